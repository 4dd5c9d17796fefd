/**
 * Student mode for traffic checks: a traffic action the lab did not run is stood in for by the
 * requests the student typed (curl) in the action host's console since the step began, to the same
 * host, port and path.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LabSession, type StepResult } from '../../../engine/lab/session.ts';
import type { CheckResult } from '../../../engine/lab/checks.ts';

const LAB1 = 'labs/ch08/08-01-l4-switch.yaml';
const LAB2 = 'labs/ch08/08-02-distribution.yaml';

function open(file: string): LabSession {
  const r = LabSession.open(readFileSync(file, 'utf8'), file);
  assert.ok(r.session, JSON.stringify(r.problems));
  return r.session;
}

const check = (r: StepResult, id: string): CheckResult => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `${r.id}: no check ${id}`);
  return c;
};

function curl(s: LabSession, device: string, url: string, times: number): void {
  for (let i = 0; i < times; i++) assert.equal(s.run(device, `curl ${url}`).exitCode, 0);
}

describe('lab: traffic checks in student mode (typed curl)', function () {
  this.timeout(60_000);

  it('08-01: curls typed on client1 pass the round-robin step, traffic checks included', () => {
    const s = open(LAB1);
    try {
      s.runSolution(0);
      s.enterStep(1);
      curl(s, 'client1', 'http://13.246.100.25/', 6);
      curl(s, 'client1', 'http://13.246.100.174:6800/', 6);
      s.settle();
      const r = s.check(1);
      assert.ok(r.pass, r.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.reason.en}`).join('\n'));
      assert.equal(check(r, 'vip1-ok').reason.en, '6 of 6 requests of "vip1" (the 6 typed on client1) succeeded');
      assert.match(check(r, 'vip1-round-robin').reason.en, /servers by body: \[real1, real2, real1, real2, real1, real2\]$/);
      assert.match(check(r, 'vip2-servers').reason.ko, /client1에서 입력한 6개/);
      assert.equal(s.httpLog.length, 12);
      assert.deepEqual(
        s.httpLog.slice(0, 2).map((h) => [h.device, h.host, h.port, h.target, h.request.server]),
        [
          ['client1', '13.246.100.25', 80, '/', 'real1'],
          ['client1', '13.246.100.25', 80, '/', 'real2'],
        ],
      );
    } finally {
      s.dispose();
    }
  });

  it('08-01: only the requests of this step, to the same URL, and the latest `count` of them count', () => {
    const s = open(LAB1);
    try {
      s.runSolution(0);
      curl(s, 'client1', 'http://13.246.100.25/', 2); // still in step 0
      s.enterStep(1);
      curl(s, 'client1', 'http://13.246.100.174:6800/', 2); // another VIP
      let r = s.check(1);
      assert.equal(check(r, 'vip1-ok').pass, false);
      assert.match(check(r, 'vip1-ok').reason.en, /made no request to http:\/\/13\.246\.100\.25\//);
      assert.equal(check(r, 'vip2-ok').reason.en, '2 of 2 requests of "vip2" (the 2 typed on client1) succeeded');
      curl(s, 'client1', 'http://13.246.100.174:6800/', 6);
      r = s.check(1);
      assert.equal(check(r, 'vip2-ok').reason.en, '6 of 6 requests of "vip2" (the 6 typed on client1) succeeded');
    } finally {
      s.dispose();
    }
  });

  it('08-01: nothing typed — the traffic checks fail saying so', () => {
    const s = open(LAB1);
    try {
      s.runSolution(0);
      s.enterStep(1);
      const r = s.check(1);
      assert.equal(r.pass, false);
      const c = check(r, 'vip1-ok');
      assert.equal(c.reason.en, `traffic action "vip1" has not run, and client1's console made no request to http://13.246.100.25/ since the step began`);
      assert.match(c.reason.ko, /client1 콘솔에서 http:\/\/13\.246\.100\.25\/\(으\)로 보낸 요청도 없습니다/);
      // The lab's own run of the action still wins.
      s.runSetup(1);
      s.settle();
      assert.ok(s.check(1).pass);
    } finally {
      s.dispose();
    }
  });

  it('08-02: curls typed on four clients pass the round-robin and IP-hash steps', () => {
    const s = open(LAB2);
    try {
      s.enterStep(0);
      for (const c of ['client1', 'client2', 'client3', 'client4']) curl(s, c, 'http://13.246.100.25/', 2);
      s.settle();
      const rr = s.check(0);
      assert.ok(rr.pass, rr.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.reason.en}`).join('\n'));
      assert.match(check(rr, 'rr-served').reason.en, /"rr1" \(the 2 typed on client1\).*\[real1, real2\]$/);

      s.enterStep(1);
      for (const a of s.steps[1]!.solution) if (a.kind === 'console') s.perform(a);
      for (const c of ['client1', 'client2', 'client3', 'client4']) curl(s, c, 'http://13.246.100.25/', 3);
      s.settle();
      const h = s.check(1);
      assert.ok(h.pass, h.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.reason.en}`).join('\n'));
      assert.match(check(h, 'hash-served').reason.en, /"h1" \(the 3 typed on client1\).*\{real2: 3\}$/);
    } finally {
      s.dispose();
    }
  });
});
