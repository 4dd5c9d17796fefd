/**
 * A small deterministic event emitter in the shape of Node's EventEmitter (`on`, `once`, `off`, `emit`).
 *
 * Listeners run synchronously, in registration order, inside whatever scheduler event emitted them;
 * nothing is deferred to the wall clock, promises or microtasks, so a run is reproducible.
 *
 * Differences from node:events, chosen for an emulator:
 * - An 'error' with no listener does not throw out of the engine (a simulated app's unhandled socket
 *   error must not abort the lab); it is kept in `unhandledError` for inspection.
 * - Listeners live in one flat array of (name, fn) pairs, allocated on first use: an idle socket with
 *   a handful of listeners costs a few dozen bytes.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => void;

/** Event name → listener signature. */
export type EventMap = { [event: string]: Listener };

const ONCE = Symbol('once');

interface OnceWrapper {
  (...args: unknown[]): void;
  [ONCE]: Listener;
}

export class Emitter<E extends EventMap> {
  /** Flat pairs: [name0, fn0, name1, fn1, ...]; null until the first listener. */
  private ev: (string | Listener)[] | null = null;
  /** The last 'error' emitted while no 'error' listener was registered. */
  unhandledError: Error | undefined = undefined;

  on<K extends keyof E & string>(event: K, fn: E[K]): this {
    (this.ev ??= []).push(event, fn);
    return this;
  }

  addListener<K extends keyof E & string>(event: K, fn: E[K]): this {
    return this.on(event, fn);
  }

  once<K extends keyof E & string>(event: K, fn: E[K]): this {
    const w = ((...args: unknown[]): void => {
      this.off(event, w as unknown as E[K]);
      (fn as Listener)(...args);
    }) as OnceWrapper;
    w[ONCE] = fn;
    return this.on(event, w as unknown as E[K]);
  }

  off<K extends keyof E & string>(event: K, fn: E[K]): this {
    const ev = this.ev;
    if (ev === null) return this;
    for (let i = ev.length - 2; i >= 0; i -= 2) {
      const f = ev[i + 1] as Listener;
      if (ev[i] === event && (f === fn || (f as Partial<OnceWrapper>)[ONCE] === fn)) {
        ev.splice(i, 2);
        break;
      }
    }
    return this;
  }

  removeListener<K extends keyof E & string>(event: K, fn: E[K]): this {
    return this.off(event, fn);
  }

  removeAllListeners(event?: keyof E & string): this {
    if (event === undefined || this.ev === null) {
      this.ev = null;
      return this;
    }
    const ev = this.ev;
    for (let i = ev.length - 2; i >= 0; i -= 2) if (ev[i] === event) ev.splice(i, 2);
    return this;
  }

  listenerCount(event: keyof E & string): number {
    const ev = this.ev;
    if (ev === null) return 0;
    let n = 0;
    for (let i = 0; i < ev.length; i += 2) if (ev[i] === event) n++;
    return n;
  }

  /** Calls the listeners of `event` in order; returns whether there was any. */
  emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean {
    const ev = this.ev;
    let found = false;
    if (ev !== null) {
      // Fast path: one listener for this event needs no snapshot.
      let count = 0;
      let only: Listener | null = null;
      for (let i = 0; i < ev.length; i += 2) {
        if (ev[i] === event) {
          count++;
          only = ev[i + 1] as Listener;
        }
      }
      if (count === 1) {
        (only as Listener)(...args);
        found = true;
      } else if (count > 1) {
        // Snapshot: listeners added or removed while emitting do not change this round (as in Node).
        const fns: Listener[] = [];
        for (let i = 0; i < ev.length; i += 2) if (ev[i] === event) fns.push(ev[i + 1] as Listener);
        for (const f of fns) f(...args);
        found = true;
      }
    }
    if (!found && event === 'error') this.unhandledError = args[0] as Error;
    return found;
  }
}
