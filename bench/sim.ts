/**
 * Benchmarks for engine/sim: scheduler throughput (schedule + run pairs) at several queue sizes, timer
 * cancellation, and random draws. Each figure is the best of a few ~200 ms runs after a warm-up run,
 * so JIT warm-up and a busy machine distort it less; the whole set takes a few seconds.
 */
import { Random } from '../engine/sim/random.ts';
import { Scheduler, type Timer } from '../engine/sim/scheduler.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const RUN_MS = 200;

/** Best ops/s over `reps` runs of about RUN_MS each; `fn` does some work and returns its op count. */
function opsPerSec(fn: () => number, reps = 3): number {
  fn(); // warm-up
  let best = 0;
  for (let r = 0; r < reps; r++) {
    let ops = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      ops += fn();
      dt = performance.now() - t0;
    } while (dt < RUN_MS);
    best = Math.max(best, ops / (dt / 1000));
  }
  return best;
}

const noop = (): void => {};

/**
 * The hold model: `pending` periodic timers, each rescheduling itself when it fires, like link
 * deliveries and protocol timers in a running lab. Every event is one schedule + one run.
 */
function hold(pending: number, events: number): () => number {
  return () => {
    const s = new Scheduler();
    let left = events;
    for (let i = 0; i < pending; i++) {
      const period = 1000 + i * 7;
      const tick = (): void => {
        if (--left > 0) s.after(period, tick);
      };
      s.after(period, tick);
    }
    s.runUntilIdle(events + pending);
    return events;
  };
}

/** Schedule `n` events at random times (a fixed stream), then run them all. */
function batch(n: number): () => number {
  const times = Array.from({ length: n }, ((r) => () => r.u32())(new Random(1).stream('bench')));
  return () => {
    const s = new Scheduler();
    for (let i = 0; i < n; i++) s.at(times[i]!, noop);
    s.runUntilIdle(n);
    return n;
  };
}

/** A chain of zero-delay events (deliver to the next layer "now"). */
function zeroDelay(events: number): () => number {
  return () => {
    const s = new Scheduler();
    let left = events;
    const tick = (): void => {
      if (--left > 0) s.after(0, tick);
    };
    s.after(0, tick);
    s.runUntilIdle(events);
    return events;
  };
}

/** TCP-style restarts: cancel a pending timer and arm a new one, with `pending` timers live. */
function restarts(pending: number, rounds: number): () => number {
  return () => {
    const s = new Scheduler();
    const live: Timer[] = Array.from({ length: pending }, (_, i) => s.after(1_000_000 + i, noop));
    for (let k = 0; k < rounds; k++) {
      const i = k % pending;
      live[i]!.cancel();
      live[i] = s.after(1_000_000 + k, noop);
    }
    s.cancelAll();
    return rounds;
  };
}

/** Cancelling each of `n` pending timers (including the compactions this triggers). */
function cancelsPerSec(n: number): number {
  let best = 0;
  for (let r = 0; r < 6; r++) {
    const s = new Scheduler();
    const timers = Array.from({ length: n }, (_, i) => s.at(i * 13, noop));
    const t0 = performance.now();
    for (const t of timers) t.cancel();
    best = Math.max(best, n / ((performance.now() - t0) / 1000));
  }
  return best;
}

function randomU32(n: number): () => number {
  const r = new Random(7).stream('bench');
  let sink = 0;
  return () => {
    for (let i = 0; i < n; i++) sink ^= r.u32();
    return sink === 0.5 ? 0 : n; // keeps the loop's result observable
  };
}

export async function run(): Promise<Row[]> {
  const aim = '>= 5M';
  return [
    { name: 'sim: schedule+run, 100 pending (hold model)', value: opsPerSec(hold(100, 200_000)), unit: 'events/s', aim },
    { name: 'sim: schedule+run, 1k pending (hold model)', value: opsPerSec(hold(1_000, 200_000)), unit: 'events/s', aim },
    { name: 'sim: schedule+run, 10k pending (hold model)', value: opsPerSec(hold(10_000, 200_000)), unit: 'events/s' },
    { name: 'sim: schedule+run, zero-delay chain', value: opsPerSec(zeroDelay(200_000)), unit: 'events/s', aim },
    { name: 'sim: schedule 100k at random times, then run', value: opsPerSec(batch(100_000)), unit: 'events/s' },
    { name: 'sim: timer cancel+rearm, 10k pending', value: opsPerSec(restarts(10_000, 200_000)), unit: 'restarts/s', aim },
    { name: 'sim: timer cancel, 100k pending', value: cancelsPerSec(100_000), unit: 'cancels/s' },
    { name: 'sim: random u32', value: opsPerSec(randomU32(1_000_000)), unit: 'draws/s' },
  ];
}
