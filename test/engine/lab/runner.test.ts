import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadLab } from '../../../engine/lab/load.ts';
import { normalizeLab } from '../../../engine/lab/normalize.ts';
import { runLab } from '../../../engine/lab/runner.ts';
import { evaluateChecks } from '../../../engine/lab/checks.ts';
import type { Check } from '../../../engine/lab/schema.ts';
import { LabSession } from '../../../engine/lab/session.ts';
import { openLabFile } from './helpers.ts';

function runPcap(file: string, seed?: number): Uint8Array {
  const s = openLabFile(file, seed);
  try {
    assert.ok(runLab(s).pass);
    return s.pcap().slice();
  } finally {
    s.dispose();
  }
}

describe('lab/runner', function () {
  this.timeout(60_000);

  it('same lab + seed ⇒ byte-identical pcapng; another seed ⇒ different bytes', () => {
    for (const f of ['labs/00-basics/03-http.yaml', 'labs/ch08/08-01-l4-switch.yaml']) {
      const a = runPcap(f);
      const b = runPcap(f);
      assert.ok(a.length > 1000);
      assert.deepEqual(Buffer.from(a), Buffer.from(b), `${f}: same seed`);
      const c = runPcap(f, 12345);
      assert.notDeepEqual(Buffer.from(a), Buffer.from(c), `${f}: other seed`);
    }
  });

  it('writes one IDB per capture point and a name resolution block', () => {
    const s = openLabFile('labs/00-basics/03-http.yaml');
    try {
      assert.deepEqual(
        s.capturePoints().map((p) => [p.name, p.ifName, p.kind]),
        [
          ['client-side', 'client-side', 'link'],
          ['server-side', 'server-side', 'link'],
        ],
      );
      const text = Buffer.from(s.pcap()).toString('latin1');
      assert.ok(text.includes('The hop between client and r1'));
      for (const n of ['client', 'r1', 'web']) assert.ok(text.includes(`${n}\0`), n);
    } finally {
      s.dispose();
    }
  });

  it('dispose() leaves nothing scheduled and nothing subscribed', () => {
    const s = openLabFile('labs/ch08/08-01-l4-switch.yaml');
    runLab(s);
    const net = s.network;
    assert.ok(net.trace.active);
    s.dispose();
    assert.equal(net.trace.active, false);
    assert.equal(net.sched.nextEventTime(), undefined);
    assert.equal(net.disposables.isDisposed, true);
  });

  it('student mode: setup by the lab, commands typed by the student, checks on demand', () => {
    const s = openLabFile('labs/00-basics/03-http.yaml');
    try {
      assert.deepEqual(s.steps.map((x) => x.id), ['reach', 'get', 'load', 'outage']);
      s.enterStep(0);
      let r = s.check(0);
      assert.equal(r.pass, false);
      const ping = r.checks.find((c) => c.id === 'one-hop')!;
      assert.equal(ping.reason.en, 'console action "ping" has not been run');
      // The student types the solution into the console.
      const c = s.console('client')!;
      assert.equal(c.prompt(), 'root@client:~# ');
      assert.deepEqual(c.complete('tracer'), ['traceroute']);
      const ex = c.exec('ping -c 1 10.0.2.80');
      s.network.runUntilCondition(() => ex.done, 10e9);
      r = s.check(0);
      assert.ok(r.pass, JSON.stringify(r.checks.filter((x) => !x.pass)));
      assert.deepEqual([r.earned, r.total], [3, 3]);
      // Step 4's setup stops the server; the student's curl fails.
      s.enterStep(3);
      const setup = s.runSetup();
      assert.equal(setup[0]!.text, 'fault service web.http stop');
      s.run('client', 'curl http://10.0.2.80/');
      s.sleep(1e9);
      r = s.check(3);
      assert.ok(r.pass, JSON.stringify(r.checks.filter((x) => !x.pass)));
      assert.equal(s.hints(3).length, 2);
      const score = s.score();
      assert.deepEqual([score.earned, score.total], [6, 10]);
      assert.deepEqual(score.perStep.map((p) => p.checked), [true, false, false, true]);
      // reset: a fresh network, step 0, nothing checked.
      const before = s.network;
      s.reset();
      assert.notEqual(s.network, before);
      assert.equal(s.currentStep, 0);
      assert.equal(s.score().earned, 0);
      assert.equal(s.consoleLog.length, 0);
    } finally {
      s.dispose();
    }
  });

  it('checks on counters, session rows and traffic distribution say what they expected and saw', () => {
    const s = openLabFile('labs/ch08/08-01-l4-switch.yaml');
    try {
      s.runSolution(0);
      s.enterStep(1);
      s.runSetup(1);
      const checks: Check[] = [
        { id: 'c1', state: { device: 'alteon', counter: { name: 'slb.virt.1.sessions', value: 6 } } },
        { id: 'c2', state: { device: 'alteon', counter: { name: 'slb.real.1.total', value: { min: 4 } } } },
        { id: 'c3', state: { device: 'alteon', counter: { name: 'slb.nope', value: 1 } } },
        { id: 'c4', traffic: { action: 'vip1', distribution: { counts: { real1: 4, real2: 2 } } } },
        { id: 'c5', capture: { at: 'outside', filter: 'tcp port 80', match: 'Flags \\[S\\],', count: 5 } },
        { id: 'c6', state: { device: 'alteon', session: { where: { vip: '13.246.100.25' }, count: { max: 0 } } } },
        { id: 'c7', state: { device: 'real1', service: { name: 'http', status: 'stopped' } } },
        { id: 'c8', state: { device: 'client1', route: { to: 'default', via: '13.246.100.9' } } },
      ];
      const r = evaluateChecks(checks, {
        topo: s.topology,
        packets: (p) => {
          const pt = s.recorder.point(p);
          return pt ? { point: pt, packets: s.recorder.packets(pt.index) } : null;
        },
        consoleAction: () => null,
        traffic: (id) => (id === 'vip1' ? { id, from: 'client1', target: 'http://13.246.100.25/', count: 2, done: true, requests: [
          { index: 0, ok: true, start: 0, end: 1, status: 200, server: 'real1' },
          { index: 1, ok: true, start: 0, end: 1, status: 200, server: 'real2' },
        ] } : null),
        run: (d, l) => s.run(d, l),
      });
      const by = Object.fromEntries(r.map((x) => [x.id, x]));
      assert.ok(by.c1!.pass, by.c1!.reason.en);
      assert.equal(by.c2!.pass, false);
      assert.equal(by.c2!.reason.en, 'expected alteon counter slb.real.1.total to be at least 4, saw 3');
      assert.match(by.c3!.reason.en, /^alteon has no counter slb\.nope/);
      assert.equal(by.c4!.reason.en, 'expected servers by body {real1: 4, real2: 2} for "vip1", saw {real1: 1, real2: 1}');
      assert.match(by.c5!.reason.en, /^expected 5 packets matching "tcp port 80" and \/Flags \\\[S\\\],\/ at outside \(alteon:outside\), saw 6: /);
      assert.equal(by.c6!.pass, true, by.c6!.reason.en); // closed sessions are gone
      assert.equal(by.c7!.reason.en, "expected real1's http service to be stopped, it is running");
      assert.match(by.c8!.reason.en, /^expected a route to default via 13\.246\.100\.9 on client1, found: default via 13\.246\.100\.1 dev eth0; /);
    } finally {
      s.dispose();
    }
  });

  it('normalised labs build without the loader (engine host path)', () => {
    const file = 'labs/00-basics/01-ping-arp.yaml';
    const lab = loadLab(readFileSync(file, 'utf8'), file).lab!;
    const s = new LabSession(normalizeLab(lab));
    try {
      assert.deepEqual(s.devices(), ['alice', 'bob']);
      assert.equal(s.resolveHost('bob'), 0x0a000002);
      const r = runLab(s);
      assert.equal(r.pass, true);
      assert.deepEqual([r.checksPassed, r.checks, r.earned, r.total], [8, 8, 9, 9]);
    } finally {
      s.dispose();
    }
  });
});
