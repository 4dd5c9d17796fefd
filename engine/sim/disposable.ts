/**
 * Lifetimes. Labs, devices, timers and subscriptions register what they start into a DisposableStore
 * owned by whoever started them; disposing the owner stops everything, so stopping a lab leaves
 * nothing running (the xterm.js / VS Code Lifecycle pattern).
 */

export interface IDisposable {
  dispose(): void;
}

/** Wraps a cleanup function; the function runs at most once. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose(): void {
      if (done) return;
      done = true;
      fn();
    },
  };
}

export class DisposableStore implements IDisposable {
  private readonly items = new Set<IDisposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Number of registered, not yet disposed items. */
  get size(): number {
    return this.items.size;
  }

  /**
   * Registers `d` and returns it. Once the store is disposed, `d` is disposed at once instead:
   * something started after its owner stopped must not outlive it.
   */
  add<T extends IDisposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
      return d;
    }
    this.items.add(d);
    return d;
  }

  /** Unregisters `d` without disposing it (its owner changed or it ended by itself). */
  delete(d: IDisposable): void {
    this.items.delete(d);
  }

  /** Disposes every item, newest first, then marks the store disposed. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeItems();
  }

  /** Disposes every item but keeps the store usable. */
  clear(): void {
    this.disposeItems();
  }

  // Newest first, like a stack unwinding: a device goes before the link it was attached to. Every item
  // is disposed even if one throws; errors are rethrown afterwards.
  private disposeItems(): void {
    const list = [...this.items].reverse();
    this.items.clear();
    const errors: unknown[] = [];
    for (const d of list) {
      try {
        d.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} errors while disposing`);
  }
}
