/**
 * A point-to-point link (Mininet's TCLink: delay, bandwidth, queue, loss as plain parameters).
 *
 * Per direction: a frame waits in a FIFO transmit queue while the sender serialises earlier frames
 * (serialisation time = bits / bandwidth, exact to the nanosecond, rounded up), then propagates for
 * `delay`. The queue holds at most `queuePackets` frames and `queueBytes` bytes waiting to start; a
 * frame arriving at a full queue is tail-dropped and counted (Linux pfifo_fast with txqueuelen 1000 is
 * the default). Loss is drawn from the link's own seeded stream, so a run is reproducible; a lost frame
 * still occupies the sender. A frame whose IP payload exceeds the link MTU is dropped ('too-big').
 */
import { sec, type Nanos } from '../sim/time.ts';
import type { RandomStream } from '../sim/random.ts';
import { DelayLine } from './delay-line.ts';
import type { Interface } from './interface.ts';
import type { Network } from './network.ts';

export interface LinkOptions {
  /** One-way propagation delay; default 0. */
  readonly delay?: Nanos;
  /** Bits per second; 0 (default) is infinitely fast (no serialisation delay, no queue). */
  readonly bandwidth?: number;
  /** Frames waiting to be sent, per direction; default 1000 (Linux txqueuelen). */
  readonly queuePackets?: number;
  /** Bytes waiting to be sent, per direction; default unbounded. */
  readonly queueBytes?: number;
  /** Probability a frame is lost, 0..1; default 0. */
  readonly loss?: number;
  /** Largest IP payload (frame minus 14-byte header) carried; default unbounded. */
  readonly mtu?: number;
  /** Bytes added to each frame for serialisation (preamble 8 + FCS 4 + gap 12 = 24 on real Ethernet); default 0. */
  readonly overhead?: number;
}

export class LinkDirectionCounters {
  /** Frames accepted for transmission. */
  sent = 0;
  delivered = 0;
  lost = 0;
  /** Tail drops at a full queue. */
  queueDrops = 0;
  tooBig = 0;
  /** Frames offered or arriving while the link was down. */
  down = 0;
}

class Direction {
  readonly counters = new LinkDirectionCounters();
  /** @internal */ readonly line: DelayLine;
  /** Time the sender finishes the last accepted frame. */
  busyUntil: Nanos = 0;
  // Start times and sizes of frames accepted but not yet started (the queue), FIFO.
  private starts: Nanos[] = [];
  private sizes: number[] = [];
  private qhead = 0;
  private qbytes = 0;

  constructor(
    readonly link: Link,
    readonly from: Interface,
    readonly to: Interface,
  ) {
    this.line = new DelayLine(link.network.sched, (f) => this.arrive(f), `link ${link.name} → ${to.fullName}`);
  }

  /** Frames waiting to start, at `now`. */
  queued(now: Nanos): { packets: number; bytes: number } {
    this.drain(now);
    return { packets: this.starts.length - this.qhead, bytes: this.qbytes };
  }

  private drain(now: Nanos): void {
    while (this.qhead < this.starts.length && this.starts[this.qhead]! <= now) {
      this.qbytes -= this.sizes[this.qhead]!;
      this.qhead++;
    }
    if (this.qhead === this.starts.length) {
      this.starts.length = 0;
      this.sizes.length = 0;
      this.qhead = 0;
    } else if (this.qhead > 1024 && this.qhead * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.qhead);
      this.sizes = this.sizes.slice(this.qhead);
      this.qhead = 0;
    }
  }

  send(frame: Uint8Array): void {
    const link = this.link;
    const c = this.counters;
    if (!link.up) {
      c.down++;
      return;
    }
    if (frame.length - 14 > link.mtu) {
      c.tooBig++;
      return;
    }
    const now = link.network.sched.now;
    let done = now;
    if (link.bandwidth > 0) {
      this.drain(now);
      const busy = this.busyUntil > now;
      if (busy && (this.starts.length - this.qhead >= link.queuePackets || this.qbytes + frame.length > link.queueBytes)) {
        c.queueDrops++;
        return;
      }
      const start = busy ? this.busyUntil : now;
      done = start + link.serialisationTime(frame.length);
      this.busyUntil = done;
      if (start > now) {
        this.starts.push(start);
        this.sizes.push(frame.length);
        this.qbytes += frame.length;
      }
    }
    c.sent++;
    if (link.loss > 0 && link.lossStream.float() < link.loss) {
      c.lost++;
      return;
    }
    this.line.push(done + link.delay, frame);
  }

  private arrive(frame: Uint8Array): void {
    if (!this.link.up) {
      this.counters.down++;
      return;
    }
    this.counters.delivered++;
    this.to.receive(frame);
  }

  clear(): void {
    this.counters.down += this.line.clear();
    this.starts = [];
    this.sizes = [];
    this.qhead = 0;
    this.qbytes = 0;
    this.busyUntil = 0;
  }
}

export class Link {
  readonly kind = 'link' as const;
  delay: Nanos;
  bandwidth: number;
  queuePackets: number;
  queueBytes: number;
  loss: number;
  mtu: number;
  overhead: number;
  /** @internal */ readonly lossStream: RandomStream;
  private upState = true;
  private readonly ab: Direction;
  private readonly ba: Direction;

  /** @internal Made by Network.addLink. */
  constructor(
    readonly network: Network,
    readonly name: string,
    readonly a: Interface,
    readonly b: Interface,
    opts: LinkOptions = {},
  ) {
    this.delay = opts.delay ?? 0;
    this.bandwidth = opts.bandwidth ?? 0;
    this.queuePackets = opts.queuePackets ?? 1000;
    this.queueBytes = opts.queueBytes ?? Infinity;
    this.loss = opts.loss ?? 0;
    this.mtu = opts.mtu ?? Infinity;
    this.overhead = opts.overhead ?? 0;
    if (!(this.delay >= 0) || !Number.isInteger(this.delay)) throw new RangeError(`link ${name}: delay must be whole ns >= 0`);
    if (!(this.bandwidth >= 0)) throw new RangeError(`link ${name}: bandwidth must be >= 0`);
    if (!(this.loss >= 0 && this.loss <= 1)) throw new RangeError(`link ${name}: loss must lie in [0, 1]`);
    this.lossStream = network.random.stream(`link:${name}/loss`);
    this.ab = new Direction(this, a, b);
    this.ba = new Direction(this, b, a);
    a.setAttachment({ medium: name, kind: 'link', send: (f) => this.ab.send(f), detach: () => this.detach() });
    try {
      b.setAttachment({ medium: name, kind: 'link', send: (f) => this.ba.send(f), detach: () => this.detach() });
    } catch (e) {
      a.setAttachment(null);
      throw e;
    }
  }

  /** Serialisation time of a frame of `bytes` bytes (0 with unbounded bandwidth). */
  serialisationTime(bytes: number): Nanos {
    if (this.bandwidth <= 0) return 0;
    // Integer arithmetic where possible so 1500 B at 1 Gb/s is exactly 12000 ns.
    const bits = (bytes + this.overhead) * 8;
    const ns = (bits * 1e9) / this.bandwidth;
    const r = Math.round(ns);
    return Math.abs(ns - r) < 1e-6 ? r : Math.ceil(ns);
  }

  get up(): boolean {
    return this.upState;
  }
  /** Cutting a link loses the frames in flight. */
  set up(v: boolean) {
    if (v === this.upState) return;
    this.upState = v;
    if (!v) {
      this.ab.clear();
      this.ba.clear();
    }
  }

  /** Counters of the direction leaving `from` (a or b). */
  counters(from: Interface): LinkDirectionCounters {
    if (from === this.a) return this.ab.counters;
    if (from === this.b) return this.ba.counters;
    throw new Error(`${from.fullName} is not an end of link ${this.name}`);
  }

  /** Frames and bytes waiting in the queue leaving `from`. */
  queued(from: Interface): { packets: number; bytes: number } {
    const d = from === this.a ? this.ab : this.ba;
    return d.queued(this.network.sched.now);
  }

  private detach(): void {
    this.ab.clear();
    this.ba.clear();
    this.a.setAttachment(null);
    this.b.setAttachment(null);
  }

  /** @internal Network.dispose. */
  clear(): void {
    this.ab.clear();
    this.ba.clear();
  }

  toString(): string {
    const parts = [`link ${this.name}: ${this.a.fullName} <-> ${this.b.fullName}`];
    if (this.delay) parts.push(`delay ${this.delay / sec(1)}s`);
    if (this.bandwidth) parts.push(`rate ${this.bandwidth}bit`);
    if (this.loss) parts.push(`loss ${this.loss * 100}%`);
    return parts.join(' ');
  }
}
