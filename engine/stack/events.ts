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

/** Stands in for the event name in a once-listener's pair; one per name, shared by every emitter. */
class OnceName {
  constructor(readonly name: string) {}
}
const onceNames = new Map<string, OnceName>();
function onceName(event: string): OnceName {
  let o = onceNames.get(event);
  if (o === undefined) onceNames.set(event, (o = new OnceName(event)));
  return o;
}

export class Emitter<E extends EventMap> {
  /** Flat pairs: [name0, fn0, name1, fn1, ...] (a once-listener's name is its OnceName); null until the first listener. */
  private ev: (string | OnceName | Listener)[] | null = null;
  /** Once-listeners in `ev`: while there are none, emit need not look up the event's OnceName. */
  private onceCount = 0;
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
    (this.ev ??= []).push(onceName(event), fn);
    this.onceCount++;
    return this;
  }

  off<K extends keyof E & string>(event: K, fn: E[K]): this {
    const ev = this.ev;
    if (ev === null) return this;
    const o = onceNames.get(event);
    for (let i = ev.length - 2; i >= 0; i -= 2) {
      const k = ev[i];
      if ((k === event || k === o) && ev[i + 1] === fn) {
        if (k === o) this.onceCount--;
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
      this.onceCount = 0;
      return this;
    }
    const ev = this.ev;
    const o = onceNames.get(event);
    for (let i = ev.length - 2; i >= 0; i -= 2) {
      if (ev[i] === event || ev[i] === o) {
        if (ev[i] === o) this.onceCount--;
        ev.splice(i, 2);
      }
    }
    return this;
  }

  listenerCount(event: keyof E & string): number {
    const ev = this.ev;
    if (ev === null) return 0;
    const o = onceNames.get(event);
    let n = 0;
    for (let i = 0; i < ev.length; i += 2) if (ev[i] === event || ev[i] === o) n++;
    return n;
  }

  /** Removes the last pair (once-name `o`, `fn`) before a once-listener runs. */
  private dropOnce(o: OnceName, fn: Listener): void {
    const ev = this.ev;
    if (ev === null) return;
    for (let i = ev.length - 2; i >= 0; i -= 2) {
      if (ev[i] === o && ev[i + 1] === fn) {
        this.onceCount--;
        ev.splice(i, 2);
        return;
      }
    }
  }

  /** Calls the listeners of `event` in order; returns whether there was any. */
  emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean {
    const ev = this.ev;
    let found = false;
    if (ev !== null) {
      // Fast path: one listener for this event needs no snapshot.
      const o = this.onceCount > 0 ? onceNames.get(event) : undefined;
      let count = 0;
      let only: Listener | null = null;
      let onlyOnce = false;
      for (let i = 0; i < ev.length; i += 2) {
        const k = ev[i];
        if (k === event || k === o) {
          count++;
          only = ev[i + 1] as Listener;
          onlyOnce = k === o;
        }
      }
      if (count === 1) {
        // A once-listener leaves before it runs (as in Node).
        if (onlyOnce) this.dropOnce(o as OnceName, only as Listener);
        (only as Listener)(...args);
        found = true;
      } else if (count > 1) {
        // Snapshot: listeners added or removed while emitting do not change this round (as in Node).
        const fns: (Listener | OnceName)[] = [];
        for (let i = 0; i < ev.length; i += 2) {
          const k = ev[i];
          if (k === event) fns.push(ev[i + 1] as Listener);
          else if (k === o) fns.push(o, ev[i + 1] as Listener);
        }
        for (let i = 0; i < fns.length; i++) {
          const f = fns[i];
          if (f === o) {
            const g = fns[++i] as Listener;
            this.dropOnce(o, g);
            g(...args);
          } else (f as Listener)(...args);
        }
        found = true;
      }
    }
    if (!found && event === 'error') this.unhandledError = args[0] as Error;
    return found;
  }
}
