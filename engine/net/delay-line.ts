/**
 * A FIFO of items due at non-decreasing times with one scheduler timer for the head: frames in flight
 * on a link or switch port (many frames cost one pending event, not one closure per frame), or flows
 * waiting for one fixed timeout. Times pushed must not decrease (FIFO media); a smaller one is
 * clamped to keep order.
 *
 * The queue is a ring that keeps its capacity when it drains: a port empties after almost every
 * burst, and regrowing arrays each time would allocate per frame.
 */
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import type { Nanos } from '../sim/time.ts';

const INITIAL = 16;

export class DelayLine<T = Uint8Array> {
  private times = new Float64Array(INITIAL);
  private frames: (T | undefined)[] = new Array<T | undefined>(INITIAL).fill(undefined);
  private head = 0;
  private n = 0;
  private timer: Timer | null = null;
  /** The timer that last fired, reused for the next head (a port drains and refills constantly). */
  private spent: Timer | null = null;
  private last: Nanos = 0;
  private running = false;

  constructor(
    private readonly sched: Scheduler,
    /** Called with each item when it is due, and the time it was due at. */
    private readonly deliver: (item: T, at: Nanos) => void,
    private readonly label: string,
  ) {}

  /** Items pushed and not yet delivered. */
  get length(): number {
    return this.n;
  }

  push(at: Nanos, frame: T): void {
    if (at < this.last) at = this.last;
    this.last = at;
    if (this.n === this.frames.length) this.grow();
    const i = (this.head + this.n) & (this.frames.length - 1);
    this.times[i] = at;
    this.frames[i] = frame;
    this.n++;
    if (this.timer === null && !this.running) this.timer = this.sched.atWith(at, fireLine, this, this.label, this.spent);
  }

  /** Drops everything in flight (the medium was cut or disposed); returns how many. */
  clear(): number {
    const n = this.n;
    this.timer?.cancel();
    this.timer = null;
    this.frames.fill(undefined);
    this.head = 0;
    this.n = 0;
    return n;
  }

  private grow(): void {
    const cap = this.frames.length;
    const times = new Float64Array(cap * 2);
    const frames = new Array<T | undefined>(cap * 2).fill(undefined);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & (cap - 1);
      times[k] = this.times[i]!;
      frames[k] = this.frames[i]!;
    }
    this.times = times;
    this.frames = frames;
    this.head = 0;
  }

  /** @internal The head came due. */
  run(): void {
    this.spent = this.timer;
    this.timer = null;
    const now = this.sched.now;
    // Deliver everything due now; a delivery may push more frames onto this same line.
    this.running = true;
    try {
      while (this.n > 0 && this.times[this.head]! <= now) {
        const h = this.head;
        const f = this.frames[h] as T;
        const at = this.times[h]!;
        this.frames[h] = undefined; // do not keep a delivered item alive
        this.head = (h + 1) & (this.frames.length - 1);
        this.n--;
        this.deliver(f, at);
      }
    } finally {
      this.running = false;
    }
    if (this.n === 0) this.head = 0;
    else this.timer = this.sched.atWith(this.times[this.head]!, fireLine, this, this.label, this.spent);
  }
}

function fireLine<T>(line: DelayLine<T>): void {
  line.run();
}
