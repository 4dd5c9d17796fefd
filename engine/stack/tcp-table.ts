/**
 * The connection table of a TcpLayer. Every entry, a live connection or a TIME-WAIT record, is an
 * integer id into two typed arrays: its integer fields (key, links, the record's fields) fill one
 * 64-byte line of an Int32Array, so a lookup reads one line per entry it passes; its floating-point
 * fields are in a Float64Array. A TIME-WAIT record is nothing but these numbers (Linux keeps a small
 * inet_timewait_sock instead of the socket for the same reason): tens of thousands of them cost the
 * garbage collector nothing to keep.
 *
 * Lookup: chained hash buckets of heads by (lport, raddr, rport), linked by HNEXT; a head chains the
 * other local addresses of its key by SAME, newest first.
 *
 * Order for `ss`: port groups by local port, listed in the order they were created; in a group, one
 * head per (raddr, rport) in key insertion order (GPREV/GNEXT), each followed by its SAME chain.
 */
import type { Ipv4Addr } from '../wire/addr.ts';
import type { TcpConnection } from './tcp-conn.ts';

/** Entry kinds. */
export const E_FREE = 0;
export const E_LIVE = 1;
export const E_TIME_WAIT = 2;
/** A TIME-WAIT record of a disposed layer: out of the table, its timer still pending. */
export const E_ZOMBIE = 3;

// Int32 fields of an entry. Addresses and sequence numbers are stored as int32 and read back with >>> 0.
const LADDR = 0;
const RADDR = 1;
/** lport << 16 | rport. */
const PORTS = 2;
const HNEXT = 3;
const SAME = 4;
const GPREV = 5;
const GNEXT = 6;
const KIND = 7;
/** Bumped when the id is freed, so a TIME-WAIT view can tell its record is gone. */
const GEN = 8;
const SND_NXT = 9;
const RCV_NXT = 10;
/** Window field of the record's ACKs (nothing is received or read in TIME-WAIT). */
const WIN = 11;
const MSS = 12;
const RETRANSMITS = 13;
const PROBES = 14;
/** Next id of the free list. */
const FREE_NEXT = 15;
const STRIDE = 16;

// Float64 fields of an entry.
const CWND = 0;
const RTO = 1;
const SRTT = 2;
/** End of 2*MSL, -1 once expired or closed. */
const AT = 3;
/** Scheduler light handle of the record's timer, -1 for none. */
const TIMER = 4;
const FSTRIDE = 5;

const INITIAL = 64;

// Port group fields, in chunks of 256 ports; FIRST is -1 while the port has no group.
const G_FIRST = 0;
const G_LAST = 1;
const G_PREV = 2;
const G_NEXT = 3;
const GSTRIDE = 4;

/** Bucket of (lport, raddr, rport) in a table of mask + 1 buckets. */
function bucketOf(lport: number, raddr: Ipv4Addr, rport: number, mask: number): number {
  let h = Math.imul(raddr, 0x9e3779b1) ^ ((lport << 16) | rport);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) & mask;
}

export class ConnTable {
  private e = new Int32Array(INITIAL * STRIDE);
  private f = new Float64Array(INITIAL * FSTRIDE);
  /** The connection of a live entry. */
  readonly conn: (TcpConnection | undefined)[] = new Array<TcpConnection | undefined>(INITIAL).fill(undefined);
  private freeHead = -1;
  /** Ids below this have been handed out at least once. */
  private used = 0;

  private buckets = new Int32Array(64).fill(-1);
  private heads = 0;
  private readonly groups: (Int32Array | undefined)[] = [];
  private firstGroup = -1;
  private lastGroup = -1;
  /** Entries in the table. */
  count = 0;

  /** A new id with its key; not yet in the table. */
  alloc(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): number {
    let id = this.freeHead;
    if (id >= 0) this.freeHead = this.e[id * STRIDE + FREE_NEXT] as number;
    else {
      if (this.used === this.conn.length) this.grow();
      id = this.used++;
    }
    const e = this.e;
    const o = id * STRIDE;
    e[o + LADDR] = laddr;
    e[o + RADDR] = raddr;
    e[o + PORTS] = (lport << 16) | rport;
    e[o + HNEXT] = e[o + SAME] = e[o + GPREV] = e[o + GNEXT] = -1;
    const fo = id * FSTRIDE;
    this.f[fo + AT] = -1;
    this.f[fo + TIMER] = -1;
    return id;
  }

  /** Frees an id that is out of the table. */
  release(id: number): void {
    const e = this.e;
    const o = id * STRIDE;
    e[o + KIND] = E_FREE;
    e[o + GEN] = ((e[o + GEN] as number) + 1) | 0;
    e[o + FREE_NEXT] = this.freeHead;
    this.freeHead = id;
    this.conn[id] = undefined;
  }

  /** The entry for a 4-tuple, or -1. */
  find(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): number {
    let c = this.findHead(lport, raddr, rport);
    const e = this.e;
    const la = laddr | 0;
    while (c >= 0 && e[c * STRIDE + LADDR] !== la) c = e[c * STRIDE + SAME] as number;
    return c;
  }

  private findHead(lport: number, raddr: Ipv4Addr, rport: number): number {
    const b = this.buckets;
    const e = this.e;
    const ports = (lport << 16) | rport;
    const ra = raddr | 0;
    let h = b[bucketOf(lport, raddr, rport, b.length - 1)] as number;
    while (h >= 0) {
      const o = h * STRIDE;
      if (e[o + PORTS] === ports && e[o + RADDR] === ra) break;
      h = e[o + HNEXT] as number;
    }
    return h;
  }

  // --- fields ---------------------------------------------------------------------------------------

  laddrOf(id: number): Ipv4Addr {
    return (this.e[id * STRIDE + LADDR] as number) >>> 0;
  }
  raddrOf(id: number): Ipv4Addr {
    return (this.e[id * STRIDE + RADDR] as number) >>> 0;
  }
  lportOf(id: number): number {
    return (this.e[id * STRIDE + PORTS] as number) >>> 16;
  }
  rportOf(id: number): number {
    return (this.e[id * STRIDE + PORTS] as number) & 0xffff;
  }
  kindOf(id: number): number {
    return this.e[id * STRIDE + KIND] as number;
  }
  setKind(id: number, kind: number): void {
    this.e[id * STRIDE + KIND] = kind;
  }
  genOf(id: number): number {
    return this.e[id * STRIDE + GEN] as number;
  }

  /** Makes `id` a TIME-WAIT record with these fields (kind and timer are set by the caller). */
  setRecord(id: number, sndNxt: number, rcvNxt: number, win: number, mss: number, cwnd: number, rto: number, srtt: number, retransmits: number, probes: number, at: number): void {
    const e = this.e;
    const o = id * STRIDE;
    e[o + SND_NXT] = sndNxt;
    e[o + RCV_NXT] = rcvNxt;
    e[o + WIN] = win;
    e[o + MSS] = mss;
    e[o + RETRANSMITS] = retransmits;
    e[o + PROBES] = probes;
    const f = this.f;
    const fo = id * FSTRIDE;
    f[fo + CWND] = cwnd;
    f[fo + RTO] = rto;
    f[fo + SRTT] = srtt;
    f[fo + AT] = at;
  }
  sndNxtOf(id: number): number {
    return (this.e[id * STRIDE + SND_NXT] as number) >>> 0;
  }
  rcvNxtOf(id: number): number {
    return (this.e[id * STRIDE + RCV_NXT] as number) >>> 0;
  }
  winOf(id: number): number {
    return this.e[id * STRIDE + WIN] as number;
  }
  mssOf(id: number): number {
    return this.e[id * STRIDE + MSS] as number;
  }
  retransmitsOf(id: number): number {
    return this.e[id * STRIDE + RETRANSMITS] as number;
  }
  probesOf(id: number): number {
    return this.e[id * STRIDE + PROBES] as number;
  }
  cwndOf(id: number): number {
    return this.f[id * FSTRIDE + CWND] as number;
  }
  rtoOf(id: number): number {
    return this.f[id * FSTRIDE + RTO] as number;
  }
  srttOf(id: number): number {
    return this.f[id * FSTRIDE + SRTT] as number;
  }
  atOf(id: number): number {
    return this.f[id * FSTRIDE + AT] as number;
  }
  setAt(id: number, at: number): void {
    this.f[id * FSTRIDE + AT] = at;
  }
  timerOf(id: number): number {
    return this.f[id * FSTRIDE + TIMER] as number;
  }
  setTimer(id: number, handle: number): void {
    this.f[id * FSTRIDE + TIMER] = handle;
  }

  // --- membership -----------------------------------------------------------------------------------

  /** True while some entry uses local port `port`. */
  hasPort(port: number): boolean {
    const g = this.groups[port >>> 8];
    return g !== undefined && (g[(port & 255) * GSTRIDE + G_FIRST] as number) >= 0;
  }

  /** The chunk holding `port`'s group, made on first use. */
  private chunk(port: number): Int32Array {
    let g = this.groups[port >>> 8];
    if (g === undefined) this.groups[port >>> 8] = g = new Int32Array(256 * GSTRIDE).fill(-1);
    return g;
  }

  /** Adds entry `c` (key set by alloc); the newest of a key heads its chain. */
  insert(c: number): void {
    const e = this.e;
    const o = c * STRIDE;
    const ports = e[o + PORTS] as number;
    const lport = ports >>> 16;
    const rport = ports & 0xffff;
    const raddr = e[o + RADDR] as number;
    const prev = this.findHead(lport, raddr, rport);
    if (prev >= 0) {
      this.replaceHead(prev, c);
      e[o + SAME] = prev;
    } else {
      const g = this.chunk(lport);
      const go = (lport & 255) * GSTRIDE;
      if ((g[go + G_FIRST] as number) < 0) {
        // A new group goes last.
        g[go + G_PREV] = this.lastGroup;
        g[go + G_NEXT] = -1;
        if (this.lastGroup < 0) this.firstGroup = lport;
        else this.chunk(this.lastGroup)[(this.lastGroup & 255) * GSTRIDE + G_NEXT] = lport;
        this.lastGroup = lport;
        g[go + G_FIRST] = c;
        e[o + GPREV] = -1;
      } else {
        const last = g[go + G_LAST] as number;
        e[o + GPREV] = last;
        e[last * STRIDE + GNEXT] = c;
      }
      e[o + GNEXT] = -1;
      g[go + G_LAST] = c;
      // At most one head per two buckets: a lookup that misses (every new connection's) seldom
      // walks past another entry.
      if (this.heads * 2 >= this.buckets.length) this.growBuckets();
      const b = this.buckets;
      const i = bucketOf(lport, raddr, rport, b.length - 1);
      this.e[o + HNEXT] = b[i] as number;
      b[i] = c;
      this.heads++;
    }
    this.count++;
  }

  /** Takes entry `c` out of the table (its id stays allocated); false when it is not in it. */
  unlink(c: number): boolean {
    const e = this.e;
    const o = c * STRIDE;
    const ports = e[o + PORTS] as number;
    let head = this.findHead(ports >>> 16, e[o + RADDR] as number, ports & 0xffff);
    if (head < 0) return false;
    if (head === c) {
      const n = e[o + SAME] as number;
      if (n >= 0) this.replaceHead(c, n);
      else this.removeHead(c);
    } else {
      let n = e[head * STRIDE + SAME] as number;
      while (n >= 0 && n !== c) {
        head = n;
        n = e[head * STRIDE + SAME] as number;
      }
      if (n !== c) return false;
      e[head * STRIDE + SAME] = e[o + SAME] as number;
    }
    e[o + SAME] = -1;
    this.count--;
    return true;
  }

  /** Puts `c` in head `old`'s place: in its port group and in its bucket. */
  private replaceHead(old: number, c: number): void {
    const e = this.e;
    const oo = old * STRIDE;
    const co = c * STRIDE;
    const ports = e[oo + PORTS] as number;
    const port = ports >>> 16;
    const p = e[oo + GPREV] as number;
    const n = e[oo + GNEXT] as number;
    e[co + GPREV] = p;
    e[co + GNEXT] = n;
    const g = this.chunk(port);
    const go = (port & 255) * GSTRIDE;
    if (p < 0) g[go + G_FIRST] = c;
    else e[p * STRIDE + GNEXT] = c;
    if (n < 0) g[go + G_LAST] = c;
    else e[n * STRIDE + GPREV] = c;
    e[oo + GPREV] = e[oo + GNEXT] = -1;
    const b = this.buckets;
    const i = bucketOf(port, e[oo + RADDR] as number, ports & 0xffff, b.length - 1);
    e[co + HNEXT] = e[oo + HNEXT] as number;
    let h = b[i] as number;
    if (h === old) b[i] = c;
    else {
      while (e[h * STRIDE + HNEXT] !== old) h = e[h * STRIDE + HNEXT] as number;
      e[h * STRIDE + HNEXT] = c;
    }
    e[oo + HNEXT] = -1;
  }

  /** Removes head `c`, the last of its key. */
  private removeHead(c: number): void {
    const e = this.e;
    const o = c * STRIDE;
    const ports = e[o + PORTS] as number;
    const port = ports >>> 16;
    const p = e[o + GPREV] as number;
    const n = e[o + GNEXT] as number;
    const g = this.chunk(port);
    const go = (port & 255) * GSTRIDE;
    if (p < 0) g[go + G_FIRST] = n;
    else e[p * STRIDE + GNEXT] = n;
    if (n < 0) g[go + G_LAST] = p;
    else e[n * STRIDE + GPREV] = p;
    e[o + GPREV] = e[o + GNEXT] = -1;
    if ((g[go + G_FIRST] as number) < 0) {
      // The group is gone: out of the list of groups.
      const pg = g[go + G_PREV] as number;
      const ng = g[go + G_NEXT] as number;
      if (pg < 0) this.firstGroup = ng;
      else this.chunk(pg)[(pg & 255) * GSTRIDE + G_NEXT] = ng;
      if (ng < 0) this.lastGroup = pg;
      else this.chunk(ng)[(ng & 255) * GSTRIDE + G_PREV] = pg;
      g[go + G_LAST] = g[go + G_PREV] = g[go + G_NEXT] = -1;
    }
    const b = this.buckets;
    const i = bucketOf(port, e[o + RADDR] as number, ports & 0xffff, b.length - 1);
    let h = b[i] as number;
    if (h === c) b[i] = e[o + HNEXT] as number;
    else {
      while (e[h * STRIDE + HNEXT] !== c) h = e[h * STRIDE + HNEXT] as number;
      e[h * STRIDE + HNEXT] = e[o + HNEXT] as number;
    }
    e[o + HNEXT] = -1;
    this.heads--;
  }

  /** Doubles the buckets. */
  private growBuckets(): void {
    const old = this.buckets;
    const b = new Int32Array(old.length * 2).fill(-1);
    const mask = b.length - 1;
    const e = this.e;
    for (let k = 0; k < old.length; k++) {
      let h = old[k] as number;
      while (h >= 0) {
        const o = h * STRIDE;
        const next = e[o + HNEXT] as number;
        const ports = e[o + PORTS] as number;
        const i = bucketOf(ports >>> 16, e[o + RADDR] as number, ports & 0xffff, mask);
        e[o + HNEXT] = b[i] as number;
        b[i] = h;
        h = next;
      }
    }
    this.buckets = b;
  }

  /** Every entry in table order. */
  *ids(): IterableIterator<number> {
    for (let port = this.firstGroup; port >= 0; ) {
      const g = this.chunk(port);
      const go = (port & 255) * GSTRIDE;
      for (let h = g[go + G_FIRST] as number; h >= 0; h = this.e[h * STRIDE + GNEXT] as number) {
        for (let x = h; x >= 0; x = this.e[x * STRIDE + SAME] as number) yield x;
      }
      port = g[go + G_NEXT] as number;
    }
  }

  /** Empties the table (ids stay allocated: the caller releases them). */
  clear(): void {
    this.buckets = new Int32Array(64).fill(-1);
    this.heads = 0;
    this.groups.length = 0;
    this.firstGroup = this.lastGroup = -1;
    this.count = 0;
  }

  private grow(): void {
    const cap = this.conn.length * 2;
    const e = new Int32Array(cap * STRIDE);
    e.set(this.e);
    this.e = e;
    const f = new Float64Array(cap * FSTRIDE);
    f.set(this.f);
    this.f = f;
    this.conn.length = cap;
    this.conn.fill(undefined, cap / 2);
  }
}
