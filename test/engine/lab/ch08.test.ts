import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateChecks, type CheckContext } from '../../../engine/lab/checks.ts';
import { runLab } from '../../../engine/lab/runner.ts';
import { LabSession, type StepResult } from '../../../engine/lab/session.ts';
import { requireTool } from '../../support/tools.ts';
import { assertCleanCapture } from '../../support/tshark.ts';
import { pktlab } from '../../support/cli.ts';
import { openLabFile, stepCheck } from './helpers.ts';

const LAB1 = 'labs/ch08/08-01-l4-switch.yaml';
const LAB2 = 'labs/ch08/08-02-distribution.yaml';
const GOLDEN_SCRIPT = 'test/engine/cli/golden/08-02-distribution.script';
const GOLDEN = 'test/engine/cli/golden/08-02-distribution.txt';
const R1 = '92.75.100.82';
const R2 = '92.75.100.41';

/** Student mode: open each step (its setup runs), do `act`, let a second pass, check. */
function student(act: (s: LabSession, step: number) => void): StepResult[] {
  const s = openLabFile(LAB2);
  try {
    return s.steps.map((st) => {
      s.enterStep(st.index);
      s.runSetup(st.index);
      act(s, st.index);
      s.settle();
      return s.check(st.index);
    });
  } finally {
    s.dispose();
  }
}

describe('lab/ch08 (labs 08-01 and 08-02)', function () {
  this.timeout(120_000);
  const tmp = mkdtempSync(join(tmpdir(), 'pktlab-ch08-'));

  for (const lab of [LAB1, LAB2]) {
    it(`${lab} passes pktlab run (en and ko), and its pcapng passes tshark`, async function () {
      const pcap = join(tmp, `${lab.replace(/[/\\]/g, '_')}.pcapng`);
      const en = await pktlab('run', lab, '--pcap', pcap, '--lang', 'en');
      assert.equal(en.code, 0, en.out + en.err);
      assert.equal(en.err, '');
      assert.doesNotMatch(en.out, /FAIL/);
      assert.match(en.out, /^result: PASS — (\d+)\/\1 checks passed, score (\d+)\/\2 \(100%\)\n$/m);
      const ko = await pktlab('run', lab, '--lang', 'ko');
      assert.equal(ko.code, 0, ko.out + ko.err);
      assert.match(ko.out, /^결과: 통과 — /m);
      requireTool(this, 'tshark');
      assertCleanCapture(pcap, 100);
    });
  }

  it('08-02: same seed twice gives identical pcapng bytes', async () => {
    const a = join(tmp, 'a.pcapng');
    const b = join(tmp, 'b.pcapng');
    assert.equal((await pktlab('run', LAB2, '--pcap', a)).code, 0);
    assert.equal((await pktlab('run', LAB2, '--pcap', b)).code, 0);
    assert.ok(readFileSync(a).length > 10_000);
    assert.deepEqual(readFileSync(a), readFileSync(b));
  });

  it('08-02: each method gives its own distribution (fixed seed, asserted exactly)', () => {
    const s = openLabFile(LAB2);
    try {
      const r = runLab(s);
      assert.ok(r.pass);
      const servers = (step: number, id: string): string[] =>
        r.steps[step]!.actions.find((a) => a.id === id)!.traffic!.requests.map((q) => q.server ?? '?');
      // ① round robin: in turn, whoever asks.
      assert.deepEqual([...servers(0, 'rr1'), ...servers(0, 'rr2'), ...servers(0, 'rr3'), ...servers(0, 'rr4')], ['real1', 'real2', 'real1', 'real2', 'real1', 'real2', 'real1', 'real2']);
      // ② IP hash: a client keeps its real.
      assert.deepEqual(servers(1, 'h1'), ['real2', 'real2', 'real2']);
      assert.deepEqual(servers(1, 'h2'), ['real2', 'real2', 'real2']);
      assert.deepEqual(servers(1, 'h3'), ['real1', 'real1', 'real1']);
      assert.deepEqual(servers(1, 'h4'), ['real1', 'real1', 'real1']);
      // ③ least connections: slow ones real1, real2, real1; then the short ones all to real2.
      assert.deepEqual(stepCheck(r.steps[2]!, 'slow-spread').series!.points.map((p) => p.value), [R1, R2, R1]);
      assert.deepEqual(servers(2, 'short4'), ['real2', 'real2', 'real2', 'real2']);
      // Health: without real1, then with it again.
      assert.deepEqual(servers(3, 'without1'), ['real2', 'real2', 'real2', 'real2']);
      assert.ok(servers(4, 'with1').includes('real1'));
      // The slow requests were started in the background and answered 20 s later.
      const slow = r.steps[2]!.actions.find((a) => a.id === 'slow1')!;
      assert.match(slow.transcript, /in the background: started\n$/);
      const q = slow.traffic!.requests[0];
      assert.ok(slow.traffic!.done);
      // real1's service stopped (step 4) before the 20 s were over: that connection was closed.
      assert.equal(q?.ok, false);
      const slow2 = r.steps[2]!.actions.find((a) => a.id === 'slow2')!.traffic!.requests[0]!;
      assert.equal(slow2.server, 'real2');
      assert.ok(slow2.end - slow2.start >= 20_000_000_000, `${slow2.end - slow2.start}`);
    } finally {
      s.dispose();
    }
  });

  it('a background traffic action returns at once; a check on it meanwhile says how many are still running', () => {
    const s = openLabFile(LAB2);
    try {
      s.enterStep(2);
      const [setLc, slow1] = s.steps[2]!.solution;
      s.perform(setLc!);
      const t0 = s.now;
      const r = s.perform(slow1!);
      assert.ok(s.now - t0 < 1_000_000, 'no waiting');
      const ctx = { traffic: (id: string) => (id === 'slow1' ? r.traffic! : null) } as unknown as CheckContext;
      const [c] = evaluateChecks([{ id: 'x', traffic: { action: 'slow1' } }], ctx);
      assert.equal(c!.reason.en, 'expected all 1 requests of "slow1" (http://13.246.100.25/delay?ms=20000) to succeed, 0 did (1 still running)');
      s.sleep(21_000_000_000);
      const [d] = evaluateChecks([{ id: 'x', traffic: { action: 'slow1', distribution: { counts: { real1: 1 } } } }], ctx);
      assert.ok(d!.pass, d!.reason.en);
    } finally {
      s.dispose();
    }
  });

  it('08-02: distribution checks carry per-real values over time (for a chart)', () => {
    const s = openLabFile(LAB2);
    try {
      const r = runLab(s);
      const rr = stepCheck(r.steps[0]!, 'rr-order').series!;
      assert.equal(rr.by, 'dst');
      assert.deepEqual(rr.counts, { [R1]: 4, [R2]: 4 });
      assert.equal(rr.points.length, 8);
      for (let i = 1; i < rr.points.length; i++) assert.ok(rr.points[i]!.t >= rr.points[i - 1]!.t);
      const t = stepCheck(r.steps[2]!, 'short-served').series!;
      assert.equal(t.by, 'body');
      assert.deepEqual(t.counts, { real2: 4 });
      // One request a second (interval 1s).
      assert.deepEqual(t.points.map((p) => Math.round((p.t - t.points[0]!.t) / 1e9)), [0, 1, 2, 3]);
    } finally {
      s.dispose();
    }
  });

  it('08-02 in student mode with nothing done: every step fails, naming expected and actual', () => {
    const steps = student(() => {});
    assert.deepEqual(steps.map((r) => r.pass), [false, false, false, false, false]);
    for (const r of steps) {
      for (const c of r.checks.filter((x) => !x.pass)) {
        assert.match(c.reason.en, /expected .*(saw|it was|it is)|has not (been )?run/, `${r.id}/${c.id}: ${c.reason.en}`);
        assert.notEqual(c.reason.ko, c.reason.en);
      }
    }
    // Each step's checks fail (the restore step's "nginx is running" holds trivially).
    for (const r of steps) {
      const passing = r.checks.filter((c) => c.pass).map((c) => c.id);
      assert.deepEqual(passing, r.id === 'health-restore' ? ['nginx-running'] : [], r.id);
    }
    assert.equal(
      stepCheck(steps[0]!, 'rr-order').reason.en,
      `expected at least 8 packets matching "tcp dst port 30080 and src net 13.246.100.0/24" and /Flags \\[S\\],/ at inside (alteon:inside), saw 0`,
    );
    assert.match(stepCheck(steps[1]!, 'hash-applied').reason.en, /^expected the output of "\/info\/slb\/group 1" on alteon to match \/\^1: hash,\/, it was "1: roundrobin, /);
    assert.match(stepCheck(steps[1]!, 'hash-applied').reason.ko, /^alteon에서 실행한 "\/info\/slb\/group 1"의 출력이 \/\^1: hash,\/에 맞아야 하는데 출력은 "1: roundrobin/);
    assert.equal(stepCheck(steps[2]!, 'slow-on-real1').reason.en, 'expected alteon counter slb.real.1.current to be 2, saw 0');
    assert.equal(stepCheck(steps[3]!, 'nginx-stopped').reason.en, "expected real1's http service to be stopped, it is running");
    assert.match(stepCheck(steps[3]!, 'hc-failed').reason.en, /^expected at least 4 packets .* at inside \(alteon:inside\), saw 0$/);
    assert.match(stepCheck(steps[3]!, 'hc-failed').reason.ko, /필터 "src host real1 and tcp src port 30080 and dst host 92\.75\.100\.1"와 \/Flags \\\[R\/에 맞는 패킷이 4개 이상 있어야 하는데 0개였습니다$/);
    assert.equal(stepCheck(steps[4]!, 'real1-up').reason.en, 'console action "info-up" has not been run');
  });

  it('08-02 in student mode, requests sent but the metric never changed: hash and leastconns fail for that reason', () => {
    const steps = student((s, i) => {
      for (const a of s.steps[i]!.solution) {
        if (a.kind === 'console' && a.device === 'alteon' && a.commands.includes('apply')) continue;
        s.perform(a);
      }
    });
    assert.deepEqual(steps.map((r) => r.pass), [true, false, false, true, true]);
    const h = steps[1]!;
    assert.match(stepCheck(h, 'hash-applied').reason.en, /to match \/\^1: hash,\/, it was "1: roundrobin,/);
    // Still round robin: every client's three requests are spread over both reals.
    assert.equal(
      stepCheck(h, 'client1-fixed').reason.en,
      `expected by dst {${R2}: at least 2, ${R1}: 0} matching "tcp dst port 30080 and src host client1" and /Flags \\[S\\],/ at inside (alteon:inside), saw {${R1}: 2, ${R2}: 1}`,
    );
    assert.equal(stepCheck(h, 'client1-fixed').reason.ko, `분포(by dst)가 {${R2}: 2개 이상, ${R1}: 0개}이어야 하는데 {${R1}: 2, ${R2}: 1}였습니다`);
    for (const id of ['client2-fixed', 'client3-fixed', 'client4-fixed']) assert.equal(stepCheck(h, id).pass, false, id);
    assert.equal(stepCheck(h, 'hash-served').reason.en, 'expected servers by body {real2: 3} for "h1", saw {real1: 2, real2: 1}');
    const lc = steps[2]!;
    assert.equal(
      stepCheck(lc, 'short-to-real2').reason.en,
      `expected by dst {${R2}: at least 2, ${R1}: 0} matching "tcp dst port 30080 and src host client4" and /Flags \\[S\\],/ at inside (alteon:inside), saw {${R2}: 2, ${R1}: 2}`,
    );
    assert.equal(stepCheck(lc, 'short-served').reason.en, 'expected servers by body {real2: 4} for "short4", saw {real2: 2, real1: 2}');
  });

  it('08-02 in student mode, hash left on in the least-connections step: client4 sticks to real1', () => {
    const steps = student((s, i) => {
      for (const a of s.steps[i]!.solution) {
        if (i === 2 && a.kind === 'console' && a.device === 'alteon' && a.commands.includes('apply')) continue;
        s.perform(a);
      }
    });
    assert.deepEqual(steps.map((r) => r.pass), [true, true, false, true, true]);
    assert.match(stepCheck(steps[2]!, 'leastconns-applied').reason.en, /it was "1: hash,/);
    assert.match(stepCheck(steps[2]!, 'short-served').reason.en, /saw \{real1: 4\}$/);
  });

  it(`pktlab exec reproduces ${GOLDEN} (PKTLAB_UPDATE_GOLDEN=1 rewrites it)`, async () => {
    const r = await pktlab('exec', LAB2, '--script', GOLDEN_SCRIPT);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    if (process.env.PKTLAB_UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
      if (process.env.CI === 'true' && !existsSync(GOLDEN)) assert.fail(`${GOLDEN} is missing (run with PKTLAB_UPDATE_GOLDEN=1)`);
      writeFileSync(GOLDEN, r.out);
    }
    assert.equal(r.out, readFileSync(GOLDEN, 'utf8'));
    // The distributions the transcript shows.
    const served = [...r.out.matchAll(/^client(\d)> curl[^\n]*\n[\s\S]*?<h1>(real\d)<\/h1>/gm)].map((m) => `c${m[1]}:${m[2]}`);
    assert.deepEqual(served, [
      // roundrobin
      'c1:real1', 'c1:real2', 'c2:real1', 'c2:real2',
      // hash
      'c1:real2', 'c1:real2', 'c2:real2', 'c3:real1', 'c3:real1', 'c4:real1',
      // leastconns, nothing open: the first of the group
      'c4:real1', 'c4:real1',
      // real1 DOWN
      'c1:real2', 'c3:real2',
      // real1 back
      'c3:real1',
    ]);
    assert.match(r.out, /alteon> \/c\/slb\/group 1\/metric fastest\nError: [^\n]*\nalteon> diff\nNo pending configuration changes\.\n/);
    assert.match(r.out, /alteon> \/info\/slb\/real 1\n1: 92\.75\.100\.82, [^\n]*, DOWN\n/);
    const again = await pktlab('exec', LAB2, '--script', GOLDEN_SCRIPT);
    assert.equal(again.out, r.out, 'deterministic');
  });
});
