/**
 * Real hosts in labs: `pktlab run|exec --real HOST` and LabSession.makeReal. The named host becomes a
 * `pktlab-` namespace joined by a TAP; its lines run as real programs and the lab runs in wall time.
 * Needs root, /dev/net/tun and `ip netns` (skipped with a message elsewhere, failing under CI=true);
 * curl and ping.
 *
 * Safety: the labs' addresses exist only inside the engine and these namespaces, whose only routes go
 * through their TAP. Every test ends with no `pktlab-` namespace or TAP left (checked).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateChecks, type CheckContext } from '../../../engine/lab/checks.ts';
import { realState } from '../../../engine/lab/real.ts';
import { LabSession, RealHostError } from '../../../engine/lab/session.ts';
import { ms } from '../../../engine/sim/time.ts';
import { fnv1a64 } from '../../../engine/sim/random.ts';
import { listNamespaces, registry } from '../../../engine/tap/netns.ts';
import { tapName } from '../../../engine/tap/real-host.ts';
import { requireTool } from '../../support/tools.ts';
import { pktlabLinks, requireNetns, waitForOutput } from './helpers.ts';
import { pktlab } from '../../support/cli.ts';

const CLI = join(import.meta.dirname, 'fixtures', 'pktlab-cli.ts');
const L0801 = 'labs/ch08/08-01-l4-switch.yaml';
const L0003 = 'labs/00-basics/03-http.yaml';

/** `pktlab ARGS` in a child process (tsx), with `input` on its stdin. */
function child(args: readonly string[], input: string | null, env: NodeJS.ProcessEnv = {}) {
  const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  if (input !== null) p.stdin.end(input);
  return p;
}

function collect(p: ReturnType<typeof child>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  p.stderr.on('data', (b: Buffer) => void (err += b.toString()));
  return new Promise((r) => p.on('close', (code, signal) => r({ code, signal, out, err })));
}

/** `ns` is gone, and so is the TAP process `pid` made for it (other suites may run real hosts meanwhile). */
async function assertNothingLeft(ns: string, pid: number = process.pid): Promise<void> {
  assert.ok(!(await listNamespaces()).includes(ns), `${ns} is left`);
  const tap = `pktlab${fnv1a64(`${ns}/${pid}`).toString(16).padStart(16, '0').slice(0, 9)}`;
  assert.equal(tapName(ns).length, tap.length);
  assert.deepEqual(pktlabLinks().filter((l) => l.includes(`${tap}:`) || l.includes(`${tap}@`)), [], `TAP ${tap} is left`);
}

const NS_0801 = 'pktlab-08-01-l4-switch-client1';
const NS_0003 = 'pktlab-00-03-http-client';
const NS_0001 = 'pktlab-00-01-ping-arp-alice';

describe('engine/lab: real hosts in labs (pktlab run|exec --real)', function () {
  this.timeout(120_000);

  before(function () {
    requireNetns(this);
    requireTool(this, 'curl');
    requireTool(this, 'ping', 'iputils-ping');
  });

  after(() => registry.cleanupSync());

  it('pktlab run 08-01 --real client1 passes: real curl in the namespace against the emulated switch', async () => {
    const r = await pktlab('run', L0801, '--real', 'client1', '--lang', 'en', '-v');
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^result: PASS — 10\/10 checks passed, score 10\/10 \(100%\)$/m);
    // The boundary step's line ran as the real curl (its progress meter and error text).
    assert.match(r.out, /\| client1> curl -m 3 http:\/\/92\.75\.100\.82:30080\/\n([^\n]*\n)*? +\| curl: \(28\) Connection timed out after \d+ milliseconds/);
    assert.match(r.out, /% Total +% Received/);
    // The traffic actions were real curls, answered by the emulated reals in turn.
    assert.match(r.out, /servers by body: \[real1, real2, real1, real2, real1, real2\]/);
    await assertNothingLeft(NS_0801);
  });

  it('pktlab exec 03-http --real client --script -: the real tools\' output, emulated devices alongside', async () => {
    const script = ['client> ip netns identify', 'client> ip route', 'client> ping -c 2 10.0.2.80', 'sleep 200ms', 'client> curl -s http://10.0.2.80/', 'web> ss -tn', 'client> ip neigh', 'client> exit 3'].join('\n');
    const p = child(['exec', L0003, '--real', 'client', '--script', '-'], `${script}\n`);
    const r = await collect(p);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'client> ip netns identify');
    assert.equal(lines[1], 'pktlab-00-03-http-client', 'the line ran inside the namespace');
    assert.match(r.out, /client> ip route\ndefault via 10\.0\.1\.1 dev eth0 \n10\.0\.1\.0\/24 dev eth0 proto kernel scope link src 10\.0\.1\.10 \n/);
    assert.match(r.out, /64 bytes from 10\.0\.2\.80: icmp_seq=1 ttl=63 time=[\d.]+ ms\n64 bytes from 10\.0\.2\.80: icmp_seq=2 ttl=63/);
    assert.match(r.out, /2 packets transmitted, 2 received, 0% packet loss/);
    assert.match(r.out, /sleep 200ms\nclient> curl -s http:\/\/10\.0\.2\.80\/\nWelcome to web\nweb> ss -tn\n/);
    assert.match(r.out, /client> ip neigh\n10\.0\.1\.1 dev eth0 lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} (REACHABLE|STALE|DELAY)/);
    assert.match(r.out, /client> exit 3\n$/);
    await assertNothingLeft(NS_0003, p.pid);
  });

  it('LabSession: async driver, state checks read the namespace, captures see the real host, dispose cleans up', async () => {
    const o = LabSession.open(readFileSync('labs/00-basics/01-ping-arp.yaml', 'utf8'), '01-ping-arp.yaml');
    assert.ok(o.session);
    const s = o.session;
    try {
      assert.equal(s.realTime, false);
      await s.makeReal(['alice']);
      assert.equal(s.realTime, true);
      assert.deepEqual(s.realHosts(), ['alice']);
      assert.equal(s.console('alice')!.kind, 'real');
      assert.throws(() => s.run('bob', 'ip neigh'), /runs in wall time: use the async methods/);
      // Step 1: an empty ARP cache (read with `ip neigh` in the namespace).
      s.enterStep(0);
      const c0 = await s.checkAsync(0);
      assert.ok(c0.pass, JSON.stringify(c0.checks));
      assert.match(c0.checks[0]!.reason.en, /^alice \(real host, namespace pktlab-00-01-ping-arp-alice\) has no ARP entry for 10\.0\.0\.2$/);
      // Step 2: the real ping; the capture on the segment holds the real host's frames in order.
      s.enterStep(1);
      const [ping] = await s.runSolutionAsync(1);
      assert.equal(ping!.exitCode, 0, ping!.transcript);
      assert.match(ping!.transcript, /^alice> ping -c 1 10\.0\.0\.2\nPING 10\.0\.0\.2 \(10\.0\.0\.2\) 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.2: icmp_seq=1 ttl=64 time=/);
      await s.settleAsync();
      const c1 = await s.checkAsync(1);
      assert.ok(c1.pass, JSON.stringify(c1.checks, null, 1));
      assert.match(c1.checks.find((c) => c.id === 'alice-learned-bob')!.reason.en, /has 10\.0\.0\.2 at ([0-9a-f]{2}:){5}[0-9a-f]{2} \((REACHABLE|STALE|DELAY)\)$/);
      // Emulated devices keep working while wall time runs.
      const bob = await s.runAsync('bob', 'ip neigh');
      assert.match(bob.output, /10\.0\.0\.1 dev eth0 lladdr/);
      const t0 = s.now;
      await s.sleepAsync(ms(300));
      assert.ok(s.now - t0 >= ms(300));
      // State that only the emulation has is reported as such; the interface's counters are real traffic.
      const ctx: CheckContext = {
        topo: s.topology,
        packets: () => null,
        consoleAction: () => null,
        traffic: () => null,
        run: () => assert.fail('no command'),
        real: (d) => (d === 'alice' ? realState(s.realNode('alice')!.host) : null),
      };
      const [svc, tcp, rx, route] = evaluateChecks(
        [
          { id: 'svc', state: { device: 'alice', service: { name: 'http', status: 'running' } } },
          { id: 'tcp', state: { device: 'alice', counter: { name: 'tcp.activeOpens', value: 0 } } },
          { id: 'rx', state: { device: 'alice', counter: { name: 'if.eth0.rxPackets', value: { min: 2 } } } },
          { id: 'route', state: { device: 'alice', route: { to: '10.0.0.0/24', dev: 'eth0' } } },
        ],
        ctx,
      );
      assert.equal(svc!.pass, false);
      assert.match(svc!.reason.en, /^this check cannot run on a real host: the http service of alice \(real host, namespace pktlab-00-01-ping-arp-alice\)/);
      assert.equal(tcp!.pass, false);
      assert.match(tcp!.reason.en, /cannot run on a real host: counter tcp\.activeOpens/);
      assert.ok(rx!.pass, rx!.reason.en);
      assert.ok(route!.pass, route!.reason.en);
      assert.match(route!.reason.en, /has 10\.0\.0\.0\/24 dev eth0$/);
    } finally {
      await s.disposeAsync();
    }
    await assertNothingLeft(NS_0001);
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`a ${sig} mid-run leaves no namespace or TAP`, async () => {
      const p = child(['run', L0801, '--real', 'client1'], null, { PKTLAB_FIRST_STEP_MARKER: '1' });
      const done = collect(p);
      try {
        await waitForOutput(p, /pktlab:first-step/, 'stderr');
        assert.ok((await listNamespaces()).includes(NS_0801));
        p.kill(sig);
        const r = await done;
        assert.equal(r.signal, sig, r.err);
      } finally {
        p.kill('SIGKILL');
      }
      await assertNothingLeft(NS_0801, p.pid);
    });
  }

  it('without privileges: one clear line and exit 1', async function () {
    requireTool(this, 'setpriv', 'util-linux');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', CLI, 'run', L0801, '--real', 'client1'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^pktlab run: real host client1: TAP needs root or CAP_NET_ADMIN \((open \/dev\/net\/tun: (EACCES|EPERM)|ioctl TUNSETIFF: EPERM)\)\n$/);
    const noCap = spawnSync('setpriv', ['--bounding-set=-net_admin', '--inh-caps=-net_admin', process.execPath, '--import', 'tsx', CLI, 'exec', L0003, '--real', 'client', '--script', '-'], { encoding: 'utf8', input: 'client> true\n' });
    assert.equal(noCap.status, 1, noCap.stderr);
    // root without CAP_NET_ADMIN: the device opens, TUNSETIFF is refused.
    assert.equal(noCap.stderr, 'pktlab exec: real host client: TAP needs root or CAP_NET_ADMIN (ioctl TUNSETIFF: EPERM)\n');
    assert.equal(noCap.stdout, '');
    assert.ok(!(await listNamespaces()).includes(NS_0003));
  });

  it('makeReal refuses unknown hosts and devices that are not plain hosts, before creating anything', async () => {
    const o = LabSession.open(readFileSync(L0801, 'utf8'), '08-01.yaml');
    const s = o.session!;
    try {
      await assert.rejects(s.makeReal(['nope']), (e: unknown) => e instanceof RealHostError && e.exitCode === 2 && /no host called 'nope' \(hosts: client1, real1, real2, real3\)/.test(e.message));
      await assert.rejects(s.makeReal(['alteon']), (e: unknown) => e instanceof RealHostError && e.exitCode === 2 && /alteon is an L4 switch/.test(e.message));
      assert.equal(s.realTime, false);
    } finally {
      await s.disposeAsync();
    }
    assert.ok(!(await listNamespaces()).includes(NS_0801));
  });
});
