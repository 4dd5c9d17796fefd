/**
 * A FIFO of frames in flight with their arrival times and one scheduler timer for the head, so a link
 * or switch port carrying many frames costs one pending event, not one closure per frame. Arrival
 * times pushed must not decrease (FIFO media); a smaller one is clamped to keep order.
 */
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import type { Nanos } from '../sim/time.ts';

export class DelayLine {
  private times: Nanos[] = [];
  private frames: Uint8Array[] = [];
  private head = 0;
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
    return this.times.length - this.head;
  }

  push(at: Nanos, frame: Uint8Array): void {
    if (at < this.last) at = this.last;
    this.last = at;
    this.times.push(at);
    this.frames.push(frame);
    if (this.timer === null && !this.running) this.timer = this.sched.at(at, this.fire, this.label);
  }

  /** Drops everything in flight (the medium was cut or disposed); returns how many. */
  clear(): number {
    const n = this.length;
    this.timer?.cancel();
    this.timer = null;
    this.times = [];
    this.frames = [];
    this.head = 0;
    return n;
  }

  private run(): void {
    this.timer = null;
    const now = this.sched.now;
    // Deliver everything due now; a delivery may push more frames onto this same line.
    this.running = true;
    try {
      while (this.head < this.times.length && this.times[this.head]! <= now) {
        const f = this.frames[this.head]!;
        this.frames[this.head] = EMPTY_FRAME;
        this.head++;
        this.deliver(f);
      }
    } finally {
      this.running = false;
    }
    if (this.head === this.times.length) {
      this.times.length = 0;
      this.frames.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > this.times.length) {
        this.times = this.times.slice(this.head);
        this.frames = this.frames.slice(this.head);
        this.head = 0;
      }
      this.timer = this.sched.at(this.times[this.head]!, this.fire, this.label);
    }
  }
}

const EMPTY_FRAME = new Uint8Array(0);
