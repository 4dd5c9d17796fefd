/**
 * A FIFO of frames in flight with their arrival times and one scheduler timer for the head, so a link
 * or switch port carrying many frames costs one pending event, not one closure per frame. Arrival
 * times pushed must not decrease (FIFO media); a smaller one is clamped to keep order.
 *
 * The queue is a ring that keeps its capacity when it drains: a port empties after almost every
 * burst, and regrowing arrays each time would allocate per frame.
 */
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import type { Nanos } from '../sim/time.ts';

const INITIAL = 16;

export class DelayLine {
  private times = new Float64Array(INITIAL);
  private frames: Uint8Array[] = new Array<Uint8Array>(INITIAL).fill(EMPTY_FRAME);
  private head = 0;
  private n = 0;
  private timer: Timer | null = null;
  private last: Nanos = 0;
  private running = false;
  private readonly fire = (): void => this.run();

  constructor(
    private readonly sched: Scheduler,
    private readonly deliver: (frame: Uint8Array) => void,
    private readonly label: string,
  ) {}

  /** Frames pushed and not yet delivered. */
  get length(): number {
    return this.n;
  }

  push(at: Nanos, frame: Uint8Array): void {
    if (at < this.last) at = this.last;
    this.last = at;
    if (this.n === this.frames.length) this.grow();
    const i = (this.head + this.n) & (this.frames.length - 1);
    this.times[i] = at;
    this.frames[i] = frame;
    this.n++;
    if (this.timer === null && !this.running) this.timer = this.sched.at(at, this.fire, this.label);
  }

  /** Drops everything in flight (the medium was cut or disposed); returns how many. */
  clear(): number {
    const n = this.n;
    this.timer?.cancel();
    this.timer = null;
    this.frames.fill(EMPTY_FRAME);
    this.head = 0;
    this.n = 0;
    return n;
  }

  private grow(): void {
    const cap = this.frames.length;
    const times = new Float64Array(cap * 2);
    const frames = new Array<Uint8Array>(cap * 2).fill(EMPTY_FRAME);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & (cap - 1);
      times[k] = this.times[i]!;
      frames[k] = this.frames[i]!;
    }
    this.times = times;
    this.frames = frames;
    this.head = 0;
  }

  private run(): void {
    this.timer = null;
    const now = this.sched.now;
    // Deliver everything due now; a delivery may push more frames onto this same line.
    this.running = true;
    try {
      while (this.n > 0 && this.times[this.head]! <= now) {
        const h = this.head;
        const f = this.frames[h]!;
        this.frames[h] = EMPTY_FRAME; // do not keep a delivered frame alive
        this.head = (h + 1) & (this.frames.length - 1);
        this.n--;
        this.deliver(f);
      }
    } finally {
      this.running = false;
    }
    if (this.n === 0) this.head = 0;
    else this.timer = this.sched.at(this.times[this.head]!, this.fire, this.label);
  }
}

const EMPTY_FRAME = new Uint8Array(0);
