/**
 * An L2 broadcast domain: a learning switch (IEEE 802.1D §7.8 filtering database) such as an on-prem
 * access switch or an AWS subnet. Source MACs are learned per port and aged out after 300 s (802.1D's
 * recommended ageing time); unknown unicast, broadcast and multicast are flooded to every other port.
 * Each port delivers after its own delay (default 2 µs, a cut-through switch plus a short cable).
 */
import { macToString, type MacAddr } from '../wire/addr.ts';
import { u16, u48 } from '../wire/bytes.ts';
import { sec, us, type Nanos } from '../sim/time.ts';
import { DelayLine } from './delay-line.ts';
import type { Interface } from './interface.ts';
import type { Network } from './network.ts';

export interface SegmentOptions {
  /** MAC ageing time; default 300 s. */
  readonly agingTime?: Nanos;
  /** Default per-port delivery delay; default 2 µs. */
  readonly portDelay?: Nanos;
}

export class SegmentPort {
  /** @internal */ readonly line: DelayLine;
  // One-entry caches of the filtering database: the MAC last learned on this port and the destination
  // last looked up for a frame from it. A link's conversation repeats them frame after frame, so most
  // frames need no table lookup. Cleared whenever an entry leaves the table.
  /** @internal */ lastSrc: FdbEntry | null = null;
  /** @internal */ lastDst: FdbEntry | null = null;
  constructor(
    readonly segment: Segment,
    readonly index: number,
    readonly iface: Interface,
    public delay: Nanos,
  ) {
    this.line = new DelayLine(segment.network.sched, (f) => iface.receive(f), `${segment.name}:port${index}`);
  }
}

/** @internal */
export interface FdbEntry {
  readonly key: number;
  readonly tag: number;
  readonly mac: MacAddr;
  port: SegmentPort;
  seen: Nanos;
  /** The next entry with the same key. */
  next: FdbEntry | null;
}

/** A MAC's low 30 bits (bytes o+2..o+5 less the top two bits): a small integer. */
function fdbKey(b: Uint8Array, o: number): number {
  return ((b[o + 2]! & 0x3f) << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!;
}

/** A MAC's other 18 bits. */
function fdbTag(b: Uint8Array, o: number): number {
  return (u16(b, o) << 2) | (b[o + 2]! >>> 6);
}

export interface MacTableEntry {
  readonly mac: MacAddr;
  readonly port: SegmentPort;
  /** Last time the MAC was seen as a source. */
  readonly seen: Nanos;
}

export class SegmentCounters {
  frames = 0;
  flooded = 0;
  /** Frames whose destination is on the port they came from (802.1D filtering). */
  filtered = 0;
  aged = 0;
}

export class Segment {
  readonly kind = 'segment' as const;
  agingTime: Nanos;
  portDelay: Nanos;
  readonly counters = new SegmentCounters();
  private readonly portList: SegmentPort[] = [];
  // The filtering database is keyed by a MAC's low 30 bits (a small integer: a 48-bit number as a
  // Map key is a heap number, hashed and boxed on every lookup); entries sharing those bits chain,
  // told apart by `tag`, the other 18 bits.
  private readonly fdb = new Map<number, FdbEntry>();

  /** @internal Made by Network.addSegment. */
  constructor(
    readonly network: Network,
    readonly name: string,
    opts: SegmentOptions = {},
  ) {
    this.agingTime = opts.agingTime ?? sec(300);
    this.portDelay = opts.portDelay ?? us(2);
  }

  get ports(): readonly SegmentPort[] {
    return this.portList;
  }

  /** Plugs `iface` into a new port. */
  attach(iface: Interface, opts: { delay?: Nanos } = {}): SegmentPort {
    const port = new SegmentPort(this, this.portList.length, iface, opts.delay ?? this.portDelay);
    iface.setAttachment({
      medium: this.name,
      kind: 'segment',
      send: (frame) => this.forward(port, frame),
      detach: () => this.detach(port),
    });
    this.portList.push(port);
    return port;
  }

  private detach(port: SegmentPort): void {
    const i = this.portList.indexOf(port);
    if (i < 0) return;
    this.portList.splice(i, 1);
    port.line.clear();
    port.iface.setAttachment(null);
    for (const head of [...this.fdb.values()]) {
      for (let e: FdbEntry | null = head; e !== null; e = e.next) if (e.port === port) this.unlink(e);
    }
  }

  /** The filtering database, aged entries excluded (`show mac address-table`). */
  macTable(): MacTableEntry[] {
    const now = this.network.sched.now;
    const out: MacTableEntry[] = [];
    for (const head of this.fdb.values()) {
      for (let e: FdbEntry | null = head; e !== null; e = e.next) {
        if (now - e.seen < this.agingTime) out.push({ mac: e.mac, port: e.port, seen: e.seen });
      }
    }
    return out.sort((a, b) => a.mac - b.mac);
  }

  /** Forgets every learned MAC. */
  flushMacTable(): void {
    this.fdb.clear();
    for (const p of this.portList) p.lastSrc = p.lastDst = null;
  }

  private find(frame: Uint8Array, o: number): FdbEntry | null {
    let e = this.fdb.get(fdbKey(frame, o)) ?? null;
    const tag = fdbTag(frame, o);
    while (e !== null && e.tag !== tag) e = e.next;
    return e;
  }

  private unlink(e: FdbEntry): void {
    for (const p of this.portList) {
      if (p.lastSrc === e) p.lastSrc = null;
      if (p.lastDst === e) p.lastDst = null;
    }
    const head = this.fdb.get(e.key) as FdbEntry;
    if (head === e) {
      if (e.next === null) this.fdb.delete(e.key);
      else this.fdb.set(e.key, e.next);
      return;
    }
    let p = head;
    while (p.next !== e) p = p.next as FdbEntry;
    p.next = e.next;
  }

  private forward(ingress: SegmentPort, frame: Uint8Array): void {
    this.counters.frames++;
    if (frame.length < 14) return; // a runt never leaves the switch
    const now = this.network.sched.now;
    if ((frame[6]! & 0x01) === 0) {
      let e = ingress.lastSrc;
      if (e === null || e.key !== fdbKey(frame, 6) || e.tag !== fdbTag(frame, 6)) {
        e = this.find(frame, 6);
        if (e === null) {
          const key = fdbKey(frame, 6);
          e = { key, tag: fdbTag(frame, 6), mac: u48(frame, 6), port: ingress, seen: now, next: this.fdb.get(key) ?? null };
          this.fdb.set(key, e);
        }
        ingress.lastSrc = e;
      }
      e.port = ingress;
      e.seen = now;
    }
    if ((frame[0]! & 0x01) === 0) {
      let e = ingress.lastDst;
      if (e === null || e.key !== fdbKey(frame, 0) || e.tag !== fdbTag(frame, 0)) {
        e = this.find(frame, 0);
        ingress.lastDst = e;
      }
      if (e !== null) {
        if (now - e.seen < this.agingTime) {
          if (e.port === ingress) {
            this.counters.filtered++;
            return;
          }
          e.port.line.push(now + e.port.delay, frame);
          return;
        }
        this.unlink(e);
        this.counters.aged++;
      }
    }
    this.counters.flooded++;
    // Every receiver owns its frame (a router rewrites in place), so all but the first get a copy.
    let first = true;
    for (const p of this.portList) {
      if (p === ingress) continue;
      p.line.push(now + p.delay, first ? frame : frame.slice());
      first = false;
    }
  }

  /** @internal Drops frames in flight (Network.dispose). */
  clear(): void {
    for (const p of this.portList) p.line.clear();
  }

  toString(): string {
    return `segment ${this.name}: ${this.portList.map((p) => p.iface.fullName).join(', ')}; ${this.macTable()
      .map((e) => `${macToString(e.mac)}→${e.port.iface.fullName}`)
      .join(' ')}`;
  }
}
