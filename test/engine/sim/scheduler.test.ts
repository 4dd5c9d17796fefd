import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scheduler, type Timer } from '../../../engine/sim/scheduler.ts';
import { MAX_NANOS, ms, sec } from '../../../engine/sim/time.ts';

describe('sim/scheduler', () => {
  it('runs events in time order, equal times in insertion order (FIFO)', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(30, () => log.push('c'));
    s.at(10, () => log.push('a1'));
    s.at(20, () => log.push('b'));
    s.at(10, () => log.push('a2'));
    s.at(10, () => log.push('a3'));
    assert.equal(s.runUntilIdle(), 5);
    assert.deepEqual(log, ['a1', 'a2', 'a3', 'b', 'c']);
    assert.equal(s.now, 30);
  });

  it('an event scheduled at the current time runs after those already due then (FIFO)', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(5, () => {
      log.push('first');
      s.after(0, () => log.push('zero-delay'));
    });
    s.at(5, () => log.push('second'));
    s.runUntilIdle();
    assert.deepEqual(log, ['first', 'second', 'zero-delay']);
  });

  it('step() runs exactly one event and advances now to its time', () => {
    const s = new Scheduler();
    const log: number[] = [];
    s.at(100, () => log.push(1));
    s.at(100, () => log.push(2));
    s.at(250, () => log.push(3));
    assert.equal(s.step(), true);
    assert.deepEqual(log, [1]);
    assert.equal(s.now, 100);
    assert.equal(s.pending, 2);
    assert.equal(s.step(), true);
    assert.equal(s.step(), true);
    assert.deepEqual(log, [1, 2, 3]);
    assert.equal(s.now, 250);
    assert.equal(s.step(), false);
    assert.equal(s.now, 250);
    assert.equal(s.eventCount, 3);
  });

  it('runUntil(t) runs an event exactly at t, not after it, and leaves now == t', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(ms(1), () => log.push('before'));
    s.at(ms(2), () => log.push('at'));
    s.at(ms(2) + 1, () => log.push('after'));
    assert.equal(s.runUntil(ms(2)), 2);
    assert.deepEqual(log, ['before', 'at']);
    assert.equal(s.now, ms(2));
    assert.equal(s.pending, 1);
    // With nothing due, time still moves to t.
    s.runUntil(ms(2));
    assert.equal(s.now, ms(2));
    s.runUntil(sec(1));
    assert.deepEqual(log, ['before', 'at', 'after']);
    assert.equal(s.now, sec(1));
  });

  it('runUntil also runs events scheduled during the run when they fall within t', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(s.now);
      s.after(10, tick);
    };
    s.at(0, tick);
    s.runUntil(35);
    assert.deepEqual(seen, [0, 10, 20, 30]);
    assert.equal(s.pending, 1);
    assert.equal(s.nextEventTime(), 40);
  });

  it('cancel before run stops the event; cancel after run is a no-op', () => {
    const s = new Scheduler();
    const log: string[] = [];
    const a = s.at(10, () => log.push('a'), 'a');
    const b = s.at(20, () => log.push('b'), 'b');
    assert.equal(a.active, true);
    a.cancel();
    a.cancel();
    assert.equal(a.active, false);
    assert.equal(s.pending, 1);
    assert.equal(s.peekLabel(), 'b');
    assert.equal(s.nextEventTime(), 20);
    s.runUntilIdle();
    assert.deepEqual(log, ['b']);
    assert.equal(b.active, false);
    b.cancel();
    assert.equal(s.pending, 0);
    assert.equal(s.eventCount, 1);
  });

  it('a timer exposes its time and label and can be disposed', () => {
    const s = new Scheduler();
    s.runUntil(50);
    const t = s.after(25, () => assert.fail('disposed timer ran'), 'rto');
    assert.equal(t.time, 75);
    assert.equal(t.label, 'rto');
    t.dispose();
    assert.equal(s.runUntilIdle(), 0);
  });

  it('pending counts only live events, and cancelled entries are compacted away', () => {
    const s = new Scheduler();
    const timers: Timer[] = [];
    for (let i = 0; i < 10_000; i++) timers.push(s.at(1000 + i, () => {}));
    assert.equal(s.pending, 10_000);
    for (let i = 0; i < 9_990; i++) timers[i]!.cancel();
    assert.equal(s.pending, 10);
    // Internal size: the heap was rebuilt, so dead entries do not pile up.
    const heapSize = (s as unknown as { size: number }).size;
    assert.ok(heapSize <= 2 * 10 + 32, `heap still holds ${heapSize} entries`);
    assert.equal(s.nextEventTime(), 1000 + 9_990);
    assert.equal(s.runUntilIdle(), 10);
  });

  it('repeated cancel/re-arm (TCP retransmit style) keeps memory bounded', () => {
    const s = new Scheduler();
    let t = s.after(sec(1), () => {});
    for (let i = 0; i < 100_000; i++) {
      t.cancel();
      t = s.after(sec(1) + i, () => {});
    }
    assert.equal(s.pending, 1);
    assert.ok((s as unknown as { size: number }).size < 100);
  });

  it('cancelAll() and dispose() drop every event', () => {
    const s = new Scheduler();
    const ts = [s.at(1, () => {}), s.at(2, () => {}), s.at(3, () => {})];
    ts[1]!.cancel();
    s.cancelAll();
    assert.equal(s.pending, 0);
    assert.ok(ts.every((t) => !t.active));
    assert.equal(s.step(), false);
    s.at(5, () => {});
    s.dispose();
    assert.equal(s.pending, 0);
  });

  it('refuses the past, non-integers, NaN and times beyond MAX_SAFE_INTEGER with RangeError', () => {
    const s = new Scheduler();
    s.runUntil(100);
    assert.throws(() => s.at(99, () => {}), { name: 'RangeError', message: /in the past \(t=99 ns, now=100 ns\)/ });
    assert.throws(() => s.after(-1, () => {}), RangeError);
    assert.throws(() => s.at(100.5, () => {}), { name: 'RangeError', message: /integer number of nanoseconds/ });
    assert.throws(() => s.at(Number.NaN, () => {}), RangeError);
    assert.throws(() => s.at(MAX_NANOS + 1, () => {}), { name: 'RangeError', message: /beyond the largest exact virtual time/ });
    assert.throws(() => s.at(Infinity, () => {}), RangeError);
    assert.throws(() => s.after(MAX_NANOS, () => {}), RangeError);
    assert.throws(() => s.runUntil(50), RangeError);
    assert.equal(s.pending, 0);
    s.at(MAX_NANOS, () => {});
    s.runUntilIdle();
    assert.equal(s.now, MAX_NANOS);
  });

  it('runUntilIdle throws a clear error on a runaway timer loop, leaving the scheduler usable', () => {
    const s = new Scheduler();
    const loop = (): void => void s.after(1, loop, 'loop');
    s.at(0, loop, 'loop');
    assert.throws(() => s.runUntilIdle(1000), {
      message: /runUntilIdle: ran 1000 events and more remain \(now 999ns, next "loop"\); a timer probably reschedules itself forever/,
    });
    assert.equal(s.eventCount, 1000);
    assert.equal(s.pending, 1);
    assert.equal(s.runUntil(1499), 500);
    assert.throws(() => s.runUntil(sec(1), 10), /runUntil: ran 10 events/);
  });

  it('exactly maxEvents events then idle is not a runaway', () => {
    const s = new Scheduler();
    for (let i = 0; i < 5; i++) s.at(i, () => {});
    assert.equal(s.runUntilIdle(5), 5);
  });

  it('an exception from a callback propagates and the scheduler stays consistent', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(10, () => log.push('a'));
    s.at(20, () => {
      throw new Error('boom');
    });
    s.at(30, () => log.push('c'));
    assert.throws(() => s.runUntilIdle(), /boom/);
    assert.equal(s.now, 20);
    assert.equal(s.eventCount, 2);
    assert.equal(s.pending, 1);
    assert.equal(s.running, false);
    s.runUntilIdle();
    assert.deepEqual(log, ['a', 'c']);
    s.at(40, () => {
      throw new Error('again');
    });
    assert.throws(() => s.step(), /again/);
    assert.equal(s.step(), false);
  });

  it('refuses re-entrant runs from inside a callback', () => {
    const s = new Scheduler();
    s.at(1, () => s.step());
    assert.throws(() => s.runUntilIdle(), /called from inside an event callback/);
    assert.equal(s.running, false);
  });

  it('onEvent sees every event with its label and time before it runs', () => {
    const s = new Scheduler();
    const seen: Array<[string | undefined, number]> = [];
    s.onEvent = (label, time) => seen.push([label, time]);
    s.at(5, () => {}, 'x');
    s.at(7, () => {});
    s.runUntilIdle();
    assert.deepEqual(seen, [
      ['x', 5],
      [undefined, 7],
    ]);
  });

  it('is deterministic: the same schedule gives the same trace (replay to a previous event)', () => {
    const build = (): { s: Scheduler; trace: string[] } => {
      const s = new Scheduler();
      const trace: string[] = [];
      s.onEvent = (label, time) => trace.push(`${time}:${label}`);
      for (let i = 0; i < 50; i++) s.at((i * 37) % 11, () => s.after(i % 3, () => {}, `child${i}`), `root${i}`);
      return { s, trace };
    };
    const a = build();
    a.s.runUntilIdle();
    // Replay to the event before the last and compare the prefix.
    const b = build();
    while (b.s.eventCount < a.s.eventCount - 1) b.s.step();
    assert.deepEqual(b.trace, a.trace.slice(0, -1));
  });

  it('lanes: timers of a declared delay keep (time, insertion) order with heap timers and post()', () => {
    const s = new Scheduler();
    s.addLane(10);
    const got: string[] = [];
    s.at(10, () => got.push('heap@10'));
    s.after(10, () => got.push('lane@10'));
    s.runUntil(5);
    s.after(10, () => got.push('lane@15'));
    s.at(15, () => got.push('heap@15'));
    s.at(5, () => {
      got.push('now');
      s.post((x: string) => got.push(x), 'post');
      s.after(0, () => got.push('after0'));
    });
    const c = s.after(10, () => got.push('cancelled'));
    c.cancel();
    s.runUntilIdle();
    assert.deepEqual(got, ['now', 'post', 'after0', 'heap@10', 'lane@10', 'lane@15', 'heap@15']);
    assert.equal(s.pending, 0);
  });

  it('lanes: cancelled timers do not pile up', () => {
    const s = new Scheduler();
    s.addLane(sec(1));
    const keep = s.after(sec(1), () => {});
    for (let i = 0; i < 100_000; i++) s.after(sec(1), () => {}).cancel();
    assert.equal(s.pending, 1);
    const stored = (s as unknown as { laneStored: number }).laneStored;
    assert.ok(stored < 100, `lane still holds ${stored} timers`);
    assert.equal(s.nextEventTime(), keep.time);
    assert.equal(s.runUntilIdle(), 1);
  });

  it('light entries: order, cancellation and lighten anywhere in a long lane; stale handles are inert', () => {
    const s = new Scheduler();
    s.addLane(1000);
    const got: string[] = [];
    const kind = s.lightKind((i) => void got.push(`l${i}`), 'light');
    const handles: number[] = [];
    const timers: Timer[] = [];
    for (let i = 1; i <= 200; i++) s.at(i + 1000, () => got.push(`h${i}`), 'heap');
    for (let i = 1; i <= 200; i++) {
      s.runUntil(i);
      // Alternate: a light entry, and a timer (lightened later, mostly far from the lane's tail).
      handles[i] = s.atLight(i + 1000, kind, i);
      timers[i] = s.after(1000, () => got.push(`t${i}`), 'timer');
    }
    assert.equal(s.pending, 600);
    for (let i = 1; i <= 200; i += 3) s.lighten(timers[i]!, s.lightKind(() => void got.push(`t${i}`), 'timer'), i);
    for (let i = 2; i <= 200; i += 2) s.cancelLight(handles[i]!);
    for (let i = 1; i <= 200; i += 4) s.cancelLight(handles[i]!);
    s.cancelLight(handles[2]!); // twice: a no-op
    const want: string[] = [];
    for (let i = 1; i <= 200; i++) {
      want.push(`h${i}`);
      if (i % 2 !== 0 && i % 4 !== 1) want.push(`l${i}`);
      want.push(`t${i}`);
    }
    assert.equal(s.pending, want.length);
    const stored = (s as unknown as { laneStored: number }).laneStored;
    assert.ok(stored <= 2 * 200, `lane holds ${stored}`);
    assert.equal(s.peekLabel(), 'heap');
    s.runUntilIdle();
    assert.deepEqual(got, want);
    assert.equal(s.pending, 0);
    // Every handle is stale now, even where its index was reused.
    const h = s.atLight(s.now + 1000, kind, 999);
    for (const x of handles.filter((x) => x !== undefined)) {
      assert.equal(s.lightActive(x), false);
      s.cancelLight(x);
    }
    assert.equal(s.lightActive(h), true);
    assert.equal(s.lightTime(h), s.now + 1000);
    s.cancelAll();
    assert.equal(s.lightActive(h), false);
    assert.equal(s.pending, 0);
    assert.equal(s.runUntilIdle(), 0);
  });

  it('light entries are counted and labelled like timers', () => {
    const s = new Scheduler();
    s.addLane(10);
    const seen: (string | undefined)[] = [];
    s.onEvent = (label) => void seen.push(label);
    const kind = s.lightKind(() => {}, 'tw');
    s.atLight(10, kind, 0);
    s.atLight(10, kind, 1);
    s.atLight(7, kind, 2);
    assert.equal(s.pending, 3);
    assert.equal(s.nextEventTime(), 7);
    assert.equal(s.runUntilIdle(), 3);
    assert.deepEqual(seen, ['tw', 'tw', 'tw']);
    assert.equal(s.eventCount, 3);
  });

  it('atWith passes its argument, and can reuse a timer that has run', () => {
    const s = new Scheduler();
    const got: number[] = [];
    const f = (x: number): void => void got.push(x);
    const t = s.atWith(3, f, 1, 'x', null);
    s.runUntilIdle();
    const u = s.atWith(5, f, 2, 'x', t);
    assert.equal(u, t);
    assert.equal(u.active, true);
    const v = s.atWith(6, f, 3, 'x', u);
    assert.notEqual(v, u, 'a pending timer is not reused');
    s.runUntilIdle();
    assert.deepEqual(got, [1, 2, 3]);
  });

  describe('property: matches a sorted-array model under random schedule/cancel/run', () => {
    type Op =
      | { k: 'at'; dt: number; nested: number; form: number }
      | { k: 'cancel'; idx: number }
      | { k: 'lighten'; idx: number }
      | { k: 'step' }
      | { k: 'runUntil'; dt: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({ k: fc.constant('at' as const), dt: fc.integer({ min: 0, max: 20 }), nested: fc.integer({ min: -1, max: 5 }), form: fc.integer({ min: 0, max: 2 }) }),
      },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), idx: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('lighten' as const), idx: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('step' as const) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('runUntil' as const), dt: fc.integer({ min: 0, max: 15 }) }) },
    );

    /** With `light`, events are also scheduled as light entries (atLight), or turned into them (lighten). */
    const sameOrder = (lanes: number[], light = false) => (): void => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
          const s = new Scheduler();
          for (const d of lanes) s.addLane(d);
          const got: number[] = [];
          // Per event: its Timer, or the handle of its light entry.
          const timers: (Timer | number)[] = [];
          const run = (id: number, nested: number): void => {
            got.push(id);
            if (nested >= 0) schedule(s.now + nested, -1, 0);
          };
          const kindOf = (id: number, nested: number): number => s.lightKind(() => run(id, nested), `e${id}`);
          // Model: entries sorted by (time, seq); an event with `nested` >= 0 schedules one child.
          interface Entry { time: number; seq: number; id: number; nested: number; live: boolean }
          let model: Entry[] = [];
          const want: number[] = [];
          let now = 0;
          let seq = 0;
          let nextId = 0;
          const modelAdd = (time: number, nested: number): Entry => {
            const e = { time, seq: seq++, id: nextId++, nested, live: true };
            model.push(e);
            model.sort((x, y) => x.time - y.time || x.seq - y.seq);
            return e;
          };
          // The real side allocates ids with its own counter; both sides allocate in execution order.
          let sid = 0;
          const schedule = (time: number, nested: number, form: number): void => {
            const id = sid++;
            if (light && form === 1) {
              timers.push(s.atLight(time, kindOf(id, nested), id));
              return;
            }
            const t = s.at(time, () => run(id, nested), `e${id}`);
            timers.push(light && form === 2 ? s.lighten(t, kindOf(id, nested), id) : t);
          };
          const modelRunOne = (limit: number): boolean => {
            model = model.filter((e) => e.live);
            const e = model[0];
            if (!e || e.time > limit) return false;
            model.shift();
            e.live = false;
            now = e.time;
            want.push(e.id);
            if (e.nested >= 0) {
              // Mirrors schedule(): ids are allocated in the same order in both.
              modelAdd(now + e.nested, -1);
            }
            return true;
          };
          for (const o of ops) {
            if (o.k === 'at') {
              schedule(s.now + o.dt, o.nested, o.form);
              modelAdd(now + o.dt, o.nested);
            } else if (o.k === 'cancel') {
              if (timers.length === 0) continue;
              const i = o.idx % timers.length;
              const t = timers[i]!;
              if (typeof t === 'number') s.cancelLight(t);
              else t.cancel();
              const e = model.find((x) => x.id === i);
              if (e) e.live = false;
            } else if (o.k === 'lighten') {
              // A pending timer, wherever it waits, becomes a light entry at the same place.
              if (!light || timers.length === 0) continue;
              const i = o.idx % timers.length;
              const t = timers[i]!;
              const e = model.find((x) => x.id === i);
              if (typeof t === 'number' || !t.active || !e) continue;
              timers[i] = s.lighten(t, kindOf(i, e.nested), i);
            } else if (o.k === 'step') {
              const ran = s.step();
              assert.equal(ran, modelRunOne(Infinity));
            } else {
              const t = s.now + o.dt;
              s.runUntil(t);
              while (modelRunOne(t));
              now = t;
            }
            assert.equal(s.now, now);
            assert.equal(s.pending, model.filter((e) => e.live).length);
            const live = model.filter((e) => e.live);
            assert.equal(s.nextEventTime(), live[0]?.time);
            assert.equal(s.peekLabel(), live[0] ? `e${live[0].id}` : undefined);
          }
          s.runUntilIdle();
          while (modelRunOne(Infinity));
          assert.deepEqual(got, want);
        }),
        { numRuns: 500 },
      );
    };
    it('same execution order, now and pending', sameOrder([]));
    it('same with FIFO lanes for some delays (and the current time)', sameOrder([1, 3, 7, 20]));
    it('same with light entries, in lanes and in the heap', sameOrder([1, 3, 7, 20], true));
    it('same with light entries and no lanes', sameOrder([], true));

    it('random times in bulk come out sorted by (time, insertion)', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 500 }), (times, cancels) => {
          const s = new Scheduler();
          const got: number[] = [];
          const timers = times.map((t, i) => s.at(t, () => got.push(i)));
          const dead = new Set<number>();
          for (const c of cancels) {
            if (times.length === 0) break;
            const i = c % times.length;
            timers[i]!.cancel();
            dead.add(i);
          }
          s.runUntilIdle();
          const want = times
            .map((t, i) => ({ t, i }))
            .filter((x) => !dead.has(x.i))
            .sort((a, b) => a.t - b.t || a.i - b.i)
            .map((x) => x.i);
          assert.deepEqual(got, want);
        }),
        { numRuns: 300 },
      );
    });
  });
});
