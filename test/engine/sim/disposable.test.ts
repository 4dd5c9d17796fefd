import assert from 'node:assert/strict';
import { DisposableStore, toDisposable } from '../../../engine/sim/disposable.ts';
import { Scheduler } from '../../../engine/sim/scheduler.ts';

describe('sim/disposable', () => {
  it('disposes everything, newest first, once', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => log.push('link')));
    store.add(toDisposable(() => log.push('device')));
    assert.equal(store.size, 2);
    store.dispose();
    store.dispose();
    assert.deepEqual(log, ['device', 'link']);
    assert.equal(store.isDisposed, true);
    assert.equal(store.size, 0);
  });

  it('an item added after dispose is disposed at once', () => {
    const store = new DisposableStore();
    store.dispose();
    let done = false;
    store.add(toDisposable(() => (done = true)));
    assert.equal(done, true);
  });

  it('every item is disposed even when some throw; errors are rethrown', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => log.push('a')));
    store.add(
      toDisposable(() => {
        throw new Error('b failed');
      }),
    );
    store.add(toDisposable(() => log.push('c')));
    assert.throws(() => store.dispose(), /b failed/);
    assert.deepEqual(log, ['c', 'a']);
    const two = new DisposableStore();
    two.add(
      toDisposable(() => {
        throw new Error('x');
      }),
    );
    two.add(
      toDisposable(() => {
        throw new Error('y');
      }),
    );
    assert.throws(
      () => two.dispose(),
      (e: unknown) => e instanceof AggregateError && e.errors.length === 2,
    );
  });

  it('delete() unregisters; clear() disposes but keeps the store usable', () => {
    let n = 0;
    const store = new DisposableStore();
    const d = store.add(toDisposable(() => n++));
    store.delete(d);
    store.dispose();
    assert.equal(n, 0);
    const s2 = new DisposableStore();
    s2.add(toDisposable(() => n++));
    s2.clear();
    assert.equal(n, 1);
    assert.equal(s2.isDisposed, false);
    s2.add(toDisposable(() => n++));
    s2.dispose();
    assert.equal(n, 2);
  });

  it('toDisposable runs its function at most once', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    d.dispose();
    d.dispose();
    assert.equal(n, 1);
  });

  it('timers and schedulers register directly, so stopping a lab cancels its events', () => {
    const s = new Scheduler();
    const store = new DisposableStore();
    let ran = false;
    store.add(s.after(10, () => (ran = true)));
    assert.equal(s.pending, 1);
    store.dispose();
    assert.equal(s.pending, 0);
    s.runUntilIdle();
    assert.equal(ran, false);
    const lab = new DisposableStore();
    const s2 = lab.add(new Scheduler());
    s2.after(5, () => {});
    lab.dispose();
    assert.equal(s2.pending, 0);
  });
});
