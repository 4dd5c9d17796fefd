/**
 * Real-time pacing. Virtual durations are short and speeds high so the tests take milliseconds; they
 * assert ordering and hard bounds (an event never runs before its wall time), never tight timings.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RealTimePacer } from '../../../engine/sim/pacer.ts';
import { Scheduler } from '../../../engine/sim/scheduler.ts';
import { ms, sec } from '../../../engine/sim/time.ts';

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('condition not reached in time');
    await sleep(1);
  }
}

describe('sim/pacer', () => {
  let pacer: RealTimePacer | undefined;
  afterEach(() => pacer?.stop());

  it('runs events in order, never before their wall time, and virtual time tracks wall time', async () => {
    const s = new Scheduler();
    const speed = 10;
    const seen: Array<{ v: number; wall: number }> = [];
    const t0 = performance.now();
    for (let i = 1; i <= 10; i++) s.at(ms(5 * i), () => seen.push({ v: s.now, wall: performance.now() - t0 }));
    pacer = new RealTimePacer(s, { speed });
    pacer.start();
    assert.equal(pacer.running, true);
    await until(() => seen.length === 10);
    assert.deepEqual(seen.map((e) => e.v), Array.from({ length: 10 }, (_, i) => ms(5 * (i + 1))));
    for (const e of seen) assert.ok(e.wall * 1e6 * speed >= e.v, `event at ${e.v} ns ran after only ${e.wall} ms`);
    // Generous: 50 ms of virtual time at 10x is 5 ms of wall time.
    assert.ok(seen[9]!.wall < 2000);
    // With nothing left to run the clock still follows the wall.
    await sleep(20);
    const v = pacer.virtualNow();
    assert.ok(v >= ms(50) + ms(20 * speed) * 0.9, `virtual now ${v}`);
    assert.equal(pacer.hasPendingWakeup, false); // idle: no timer held
  });

  it('pause freezes virtual time; resume continues without a jump', async () => {
    const s = new Scheduler();
    let ran = false;
    s.at(sec(3600), () => (ran = true));
    pacer = new RealTimePacer(s, { speed: 1 });
    pacer.start();
    await sleep(5);
    pacer.pause();
    assert.equal(pacer.paused, true);
    assert.equal(pacer.hasPendingWakeup, false);
    const frozen = pacer.virtualNow();
    assert.equal(s.now, frozen); // due time was applied to the scheduler on pause
    await sleep(30);
    assert.equal(pacer.virtualNow(), frozen);
    pacer.resume();
    assert.equal(pacer.paused, false);
    const after = pacer.virtualNow();
    assert.ok(after >= frozen && after < frozen + ms(25), `jumped from ${frozen} to ${after}`);
    assert.equal(ran, false);
  });

  it('single-stepping while paused moves time forward; resume continues from there', async () => {
    const s = new Scheduler();
    const log: number[] = [];
    s.at(sec(10), () => log.push(s.now));
    s.at(sec(20), () => log.push(s.now));
    pacer = new RealTimePacer(s, { speed: 1 });
    pacer.start();
    pacer.pause();
    assert.equal(s.step(), true);
    assert.deepEqual(log, [sec(10)]);
    pacer.resume();
    assert.ok(pacer.virtualNow() >= sec(10) && pacer.virtualNow() < sec(11));
  });

  it('setSpeed changes the rate without a jump and refuses bad values', async () => {
    const s = new Scheduler();
    pacer = new RealTimePacer(s, { speed: 1 });
    assert.throws(() => pacer!.setSpeed(0), RangeError);
    assert.throws(() => pacer!.setSpeed(-1), RangeError);
    assert.throws(() => pacer!.setSpeed(Number.NaN), RangeError);
    assert.throws(() => new RealTimePacer(s, { speed: Infinity }), RangeError);
    pacer.start();
    await sleep(10);
    const before = pacer.virtualNow();
    pacer.setSpeed(1000);
    assert.equal(pacer.speed, 1000);
    const right = pacer.virtualNow();
    assert.ok(right - before < ms(500), `jump of ${right - before} ns`);
    await sleep(20);
    assert.ok(pacer.virtualNow() - right >= ms(20 * 1000) * 0.9);
  });

  it('wake() picks up an event scheduled from outside; sync() stamps it at the current time', async () => {
    const s = new Scheduler();
    pacer = new RealTimePacer(s, { speed: 100 });
    pacer.start();
    await sleep(10);
    assert.equal(pacer.hasPendingWakeup, false);
    const t = pacer.sync();
    assert.ok(t >= ms(10 * 100) * 0.9, `sync() gave ${t}`);
    assert.equal(s.now, t);
    let ranAt = -1;
    s.after(ms(100), () => (ranAt = s.now), 'from outside');
    pacer.wake();
    await until(() => ranAt >= 0);
    assert.equal(ranAt, t + ms(100));
  });

  it('does bounded work per tick so the event loop keeps turning', async () => {
    const s = new Scheduler();
    let count = 0;
    for (let i = 0; i < 20_000; i++) s.at(0, () => count++);
    pacer = new RealTimePacer(s, { maxEventsPerTick: 500 });
    pacer.start();
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    assert.ok(count > 0 && count < 20_000, `count ${count} after two turns of the loop`);
    await until(() => count === 20_000);
  });

  it('stop() leaves no timer and no event runs afterwards; start() again resumes', async () => {
    const s = new Scheduler();
    let ran = 0;
    s.at(ms(20), () => ran++);
    pacer = new RealTimePacer(s, { speed: 1 });
    pacer.start();
    assert.equal(pacer.hasPendingWakeup, true);
    pacer.stop();
    assert.equal(pacer.running, false);
    assert.equal(pacer.hasPendingWakeup, false);
    await sleep(40);
    assert.equal(ran, 0);
    assert.equal(s.pending, 1);
    pacer.dispose();
    pacer.start();
    await until(() => ran === 1);
    assert.ok(s.now >= ms(20));
  });

  it('an event may pause or stop the pacer', async () => {
    const s = new Scheduler();
    pacer = new RealTimePacer(s, { speed: 1000 });
    const p = pacer;
    const log: string[] = [];
    s.at(ms(10), () => {
      log.push('breakpoint');
      p.pause();
    });
    s.at(ms(10), () => log.push('same time, next'));
    s.at(ms(20), () => log.push('later'));
    p.start();
    await until(() => p.paused);
    await sleep(20);
    assert.deepEqual(log, ['breakpoint']);
    p.resume();
    await until(() => log.length === 3);
    assert.deepEqual(log, ['breakpoint', 'same time, next', 'later']);
  });

  it('an exception in an event stops the pacer and reaches onError', async () => {
    const s = new Scheduler();
    const errors: unknown[] = [];
    s.at(ms(1), () => {
      throw new Error('device bug');
    });
    s.at(ms(2), () => assert.fail('ran after the error'));
    pacer = new RealTimePacer(s, { speed: 100, onError: (e) => errors.push(e) });
    pacer.start();
    await until(() => errors.length === 1);
    assert.match(String(errors[0]), /device bug/);
    assert.equal(pacer.running, false);
    assert.equal(pacer.hasPendingWakeup, false);
    assert.equal(s.pending, 1);
  });
});
