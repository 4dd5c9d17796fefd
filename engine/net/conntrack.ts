/**
 * Connection tracking, modelled on Linux netfilter's nf_conntrack: flows keyed by 5-tuple (TCP, UDP;
 * ICMP echo by identifier), an original and a reply tuple per entry, TCP state tracking with Linux's
 * state table, per-state timeouts driven by the virtual clock, per-direction counters, created and
 * destroyed events, a `meta` slot for devices, and NAT: a mapping set on a flow's first packet is
 * applied to every packet of the flow in both directions (nf_nat's "manip" model), with IPv4 and
 * TCP/UDP checksums patched incrementally (RFC 1624, RFC 3022 §4.2).
 *
 * NAT model (as nf_nat): a DNAT/SNAT mapping rewrites the entry's reply tuple. A packet travelling in
 * direction d is made to look like the inverse of the other direction's tuple: destination NAT points
 * (PREROUTING, OUTPUT) rewrite the destination, source NAT points (POSTROUTING, INPUT) the source.
 *
 * ICMP echo tuples follow nf_conntrack_proto_icmp: the identifier stands in for the source port of a
 * request and the destination port of a reply, so NAT may remap it. ICMP errors quoting a tracked
 * flow are RELATED: they find the flow through the quoted header, and NAT rewrites both the outer and
 * the quoted headers (nf_nat_icmp_reply_translation).
 *
 * Fast path: lookups hash five numbers into an array of chained tuples; nothing is allocated per
 * packet of an established flow, and timeouts are a number per entry re-checked by one timer per
 * entry (queued in the scheduler's per-timeout lanes, so many flows cost no heap depth).
 */
import { ipv4ToString, type Ipv4Addr } from '../wire/addr.ts';
import { setU16, setU32, u16, u32 } from '../wire/bytes.ts';
import { updateChecksum16, updateChecksum32 } from '../wire/checksum.ts';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, IcmpView, isIcmpErrorType } from '../wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, rewriteDst, rewriteSrc, type Ipv4View } from '../wire/ipv4.ts';
import { TcpFlag, tcpNatAt } from '../wire/tcp.ts';
import { udpNatAt } from '../wire/udp.ts';
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import { sec, type Nanos } from '../sim/time.ts';
import { DelayLine } from './delay-line.ts';
import type { Disposable } from './ip-host.ts';

export type CtDirection = 0 | 1;
export const CT_ORIGINAL: CtDirection = 0;
export const CT_REPLY: CtDirection = 1;

/** Linux's TCP conntrack states (nf_conntrack_tcp.h), in its order. */
export const TCP_CT_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'] as const;
export type TcpCtState = (typeof TCP_CT_STATES)[number];

const sNO = 0, sSS = 1, sSR = 2, sES = 3, sFW = 4, sCW = 5, sLA = 6, sTW = 7, sCL = 8, sS2 = 9;
const sIV = -1; // invalid: state unchanged, packet not counted as part of the flow's progress
const sIG = -2; // ignore: state unchanged

// tcp_conntracks[dir][index][state] from net/netfilter/nf_conntrack_proto_tcp.c.
// Index: 0 syn, 1 synack, 2 fin, 3 ack, 4 rst, 5 none.
/* eslint-disable */
const TCP_TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    /*          sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
    /*syn   */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /*synack*/ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /*fin   */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack   */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /*rst   */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none  */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /*syn   */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /*synack*/ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /*fin   */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack   */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /*rst   */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none  */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** TCP_TABLE as one array indexed [dir][index][state] → dir * 60 + index * 10 + state (one load per packet). */
const TCP_NEXT = Int8Array.from(TCP_TABLE.flat(2));

/** get_conntrack_index(): which row of the table a segment's flags select. */
function tcpIndex(flags: number): number {
  if (flags & TcpFlag.RST) return 4;
  if (flags & TcpFlag.SYN) return flags & TcpFlag.ACK ? 1 : 0;
  if (flags & TcpFlag.FIN) return 2;
  if (flags & TcpFlag.ACK) return 3;
  return 5;
}

export interface ConntrackTimeouts {
  /** Per TCP state (Linux nf_conntrack_tcp_timeout_*). */
  readonly tcp: Readonly<Record<TcpCtState, Nanos>>;
  /** UDP flow seen in one direction only (nf_conntrack_udp_timeout, 30 s). */
  readonly udp: Nanos;
  /** UDP flow that has seen replies (nf_conntrack_udp_timeout_stream, 120 s). */
  readonly udpStream: Nanos;
  /** ICMP echo (nf_conntrack_icmp_timeout, 30 s). */
  readonly icmp: Nanos;
}

/** Linux defaults (net/netfilter/nf_conntrack_proto_{tcp,udp,icmp}.c). */
export const LINUX_CT_TIMEOUTS: ConntrackTimeouts = {
  tcp: {
    NONE: sec(10),
    SYN_SENT: sec(120),
    SYN_RECV: sec(60),
    ESTABLISHED: sec(5 * 24 * 3600),
    FIN_WAIT: sec(120),
    CLOSE_WAIT: sec(60),
    LAST_ACK: sec(30),
    TIME_WAIT: sec(120),
    CLOSE: sec(10),
    SYN_SENT2: sec(120),
  },
  udp: sec(30),
  udpStream: sec(120),
  icmp: sec(30),
};

export interface ConntrackOptions {
  readonly timeouts?: {
    readonly tcp?: Partial<Record<TcpCtState, Nanos>>;
    readonly udp?: Nanos;
    readonly udpStream?: Nanos;
    readonly icmp?: Nanos;
  };
  /** Most entries (nf_conntrack_max); a new flow beyond it is dropped. Default 262144. */
  readonly max?: number;
}

/** One direction's tuple of an entry; also the hash-chain node. */
export class CtTuple {
  /** @internal Next tuple in the same hash bucket. */
  next: CtTuple | null = null;
  constructor(
    public src: Ipv4Addr,
    public dst: Ipv4Addr,
    /** Source port; for ICMP echo the identifier in the original direction, else 0. */
    public sport: number,
    public dport: number,
    readonly protocol: number,
    readonly entry: ConntrackEntry,
    readonly dir: CtDirection,
  ) {}

  toString(): string {
    const ports = this.protocol === IPPROTO_ICMP ? ` id=${this.sport || this.dport}` : ` sport=${this.sport} dport=${this.dport}`;
    return `src=${ipv4ToString(this.src)} dst=${ipv4ToString(this.dst)}${ports}`;
  }
}

const NAT_SRC = 1;
const NAT_DST = 2;

export class ConntrackEntry {
  /** The tuple of the packet that opened the flow, and the one its replies carry (NAT rewrites it). */
  readonly original: CtTuple;
  readonly reply: CtTuple;
  /** TCP state index (TCP_CT_STATES); 0 for other protocols. */
  tcpState = 0;
  seenReply = false;
  /** Linux's ASSURED: the flow completed its handshake (TCP) or saw traffic both ways (UDP). */
  assured = false;
  confirmed = false;
  // Per-direction counters as plain fields: an entry lives as long as its flow, so every object it
  // holds is one more for the collector to copy.
  /** @internal */ pk0 = 0;
  /** @internal */ pk1 = 0;
  /** @internal */ by0 = 0;
  /** @internal */ by1 = 0;
  /** Virtual time the entry expires unless more packets arrive. */
  expires: Nanos = 0;
  /** Free for devices: the L4 switch keeps its chosen real server here, an SG its rule. */
  meta: unknown = undefined;
  /** @internal NAT_SRC | NAT_DST. */
  natFlags = 0;
  /** @internal A scheduler timer of its own, for a wake-up no timeout queue holds (see Conntrack.arm). */
  timer: Timer | null = null;
  /** @internal Time of the entry's live wake-up (a queue slot or `timer`); -1 when it has none. */
  queuedAt: Nanos = -1;

  constructor(
    readonly table: Conntrack,
    readonly id: number,
    readonly protocol: number,
    readonly created: Nanos,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: number,
    dport: number,
  ) {
    this.original = new CtTuple(src, dst, sport, dport, protocol, this, 0);
    this.reply = new CtTuple(dst, src, dport, sport, protocol, this, 1);
  }

  /** [original, reply]. */
  get tuples(): readonly [CtTuple, CtTuple] {
    return [this.original, this.reply];
  }

  /** Packets seen [original, reply]. */
  get packets(): readonly [number, number] {
    return [this.pk0, this.pk1];
  }

  /** Bytes (IPv4 Total Length) seen [original, reply]. */
  get bytes(): readonly [number, number] {
    return [this.by0, this.by1];
  }

  /** TCP state name, or '' for UDP/ICMP (conntrack -L prints none). */
  get state(): TcpCtState | '' {
    return this.protocol === IPPROTO_TCP ? TCP_CT_STATES[this.tcpState]! : '';
  }

  /** Seconds-resolution time left, as conntrack -L shows. */
  timeLeft(now: Nanos): Nanos {
    return Math.max(0, this.expires - now);
  }

  /**
   * Destination NAT for this flow: the original direction's destination becomes `addr` (and `port`).
   * Only on the first packet (before the entry is confirmed), like an iptables nat-table rule.
   */
  setDnat(addr: Ipv4Addr, port?: number): void {
    this.mustBeNew('DNAT');
    const r = this.reply;
    r.src = addr >>> 0;
    if (port !== undefined && this.protocol !== IPPROTO_ICMP) r.sport = port;
    this.natFlags |= NAT_DST;
  }

  /** Source NAT: the original direction's source becomes `addr` (and `port`, or ICMP echo id). */
  setSnat(addr: Ipv4Addr, port?: number): void {
    this.mustBeNew('SNAT');
    const r = this.reply;
    r.dst = addr >>> 0;
    if (port !== undefined) r.dport = port;
    this.natFlags |= NAT_SRC;
  }

  get dnat(): { addr: Ipv4Addr; port: number } | null {
    return this.natFlags & NAT_DST ? { addr: this.reply.src, port: this.reply.sport } : null;
  }
  get snat(): { addr: Ipv4Addr; port: number } | null {
    return this.natFlags & NAT_SRC ? { addr: this.reply.dst, port: this.reply.dport } : null;
  }

  private mustBeNew(what: string): void {
    if (this.confirmed) throw new Error(`conntrack: ${what} can only be set on a flow's first packet (entry ${this.id} is confirmed)`);
  }

  /** conntrack -L line. */
  toString(now?: Nanos): string {
    const name = this.protocol === IPPROTO_TCP ? 'tcp' : this.protocol === IPPROTO_UDP ? 'udp' : this.protocol === IPPROTO_ICMP ? 'icmp' : 'unknown';
    const left = now === undefined ? '' : ` ${Math.floor(this.timeLeft(now) / 1e9)}`;
    const st = this.state === '' ? '' : ` ${this.state}`;
    const o = this.original;
    const r = this.reply;
    const ic = (t: CtTuple, d: CtDirection): string =>
      this.protocol === IPPROTO_ICMP ? `src=${ipv4ToString(t.src)} dst=${ipv4ToString(t.dst)} type=${d === 0 ? 8 : 0} code=0 id=${d === 0 ? t.sport : t.dport}` : t.toString();
    let s = `${name.padEnd(8)} ${this.protocol}${left}${st} ${ic(o, 0)} packets=${this.pk0} bytes=${this.by0}`;
    if (!this.seenReply) s += ' [UNREPLIED]';
    s += ` ${ic(r, 1)} packets=${this.pk1} bytes=${this.by1}`;
    if (this.assured) s += ' [ASSURED]';
    return `${s} mark=0 use=1`;
  }
}

export class ConntrackStats {
  found = 0;
  new = 0;
  invalid = 0;
  /** New flows refused because the table was full. */
  dropped = 0;
  expired = 0;
  related = 0;
}

/** Outcome of tracking one packet. */
export interface CtResult {
  entry: ConntrackEntry | null;
  dir: CtDirection;
  related: boolean;
  /** True when the packet must be dropped (table full). */
  drop: boolean;
}

export class Conntrack {
  readonly stats = new ConntrackStats();
  readonly timeouts: ConntrackTimeouts;
  readonly max: number;
  private readonly tcpTimeouts: Nanos[];
  // Chained hash table of tuples indexed by `hash & mask` (an array index is several times cheaper than
  // a Map lookup, and every forwarded packet does one); doubled when tuples outnumber buckets.
  private buckets: (CtTuple | null)[];
  private mask: number;
  private tupleCount = 0;
  /** Entries waiting for one timeout (see arm): the distinct timeouts, and their queues at the same index. */
  private readonly queueDelays: Nanos[] = [];
  private readonly queues: DelayLine<ConntrackEntry>[] = [];
  private live = 0;
  private nextId = 1;
  private createdFns: ((e: ConntrackEntry) => void)[] = [];
  private destroyedFns: ((e: ConntrackEntry) => void)[] = [];
  private readonly res: CtResult = { entry: null, dir: 0, related: false, drop: false };

  constructor(
    readonly sched: Scheduler,
    opts: ConntrackOptions = {},
  ) {
    const t = opts.timeouts ?? {};
    this.timeouts = {
      tcp: { ...LINUX_CT_TIMEOUTS.tcp, ...(t.tcp ?? {}) },
      udp: t.udp ?? LINUX_CT_TIMEOUTS.udp,
      udpStream: t.udpStream ?? LINUX_CT_TIMEOUTS.udpStream,
      icmp: t.icmp ?? LINUX_CT_TIMEOUTS.icmp,
    };
    this.tcpTimeouts = TCP_CT_STATES.map((s) => this.timeouts.tcp[s]);
    this.max = opts.max ?? 262_144;
    // Sized as Linux sizes nf_conntrack_buckets: a quarter of nf_conntrack_max (65536 for the default
    // 262144), so a busy table need not rehash; it still doubles if tuples outnumber buckets.
    let n = 16;
    while (n < 65_536 && n * 4 < this.max) n *= 2;
    this.buckets = new Array<CtTuple | null>(n).fill(null);
    this.mask = n - 1;
    for (const d of [...this.tcpTimeouts, this.timeouts.udp, this.timeouts.udpStream, this.timeouts.icmp]) {
      if (this.queueDelays.includes(d)) continue;
      this.queueDelays.push(d);
      this.queues.push(new DelayLine<ConntrackEntry>(sched, (e, at) => this.wake(e, at), 'conntrack'));
    }
  }

  /** Number of confirmed entries. */
  get size(): number {
    return this.live;
  }

  /** Confirmed entries, oldest first (conntrack -L). */
  entries(): ConntrackEntry[] {
    const out: ConntrackEntry[] = [];
    for (const head of this.buckets) {
      for (let t: CtTuple | null = head; t !== null; t = t.next) if (t.dir === 0) out.push(t.entry);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  onCreated(fn: (e: ConntrackEntry) => void): Disposable {
    this.createdFns = [...this.createdFns, fn];
    return { dispose: () => void (this.createdFns = this.createdFns.filter((f) => f !== fn)) };
  }

  onDestroyed(fn: (e: ConntrackEntry) => void): Disposable {
    this.destroyedFns = [...this.destroyedFns, fn];
    return { dispose: () => void (this.destroyedFns = this.destroyedFns.filter((f) => f !== fn)) };
  }

  /** The tuple (and so entry and direction) a packet with these fields belongs to. */
  find(protocol: number, src: Ipv4Addr, dst: Ipv4Addr, sport: number, dport: number): CtTuple | null {
    for (let t: CtTuple | null = this.buckets[hash(protocol, src, dst, sport, dport) & this.mask]!; t !== null; t = t.next) {
      if (t.src === src && t.dst === dst && t.sport === sport && t.dport === dport && t.protocol === protocol) return t;
    }
    return null;
  }

  /**
   * Tracks one packet (the conntrack step at PREROUTING/OUTPUT): finds or creates its entry, updates
   * state, counters and timeout. `update` false only looks up (a looped-back packet already counted).
   * The result object is reused: read it before the next call.
   */
  track(ip: Ipv4View, update = true): CtResult {
    const res = this.res;
    res.entry = null;
    res.dir = 0;
    res.related = false;
    res.drop = false;
    // Read in place: `ip` views the datagram inside the received frame.
    const b = ip.buf;
    const o = ip.off;
    // Fragments are not tracked (no defragmentation in front of conntrack here).
    if ((u16(b, o + 6) & 0x3fff) !== 0) return res;
    const proto = b[o + 9]!;
    const hl = (b[o]! & 0x0f) << 2;
    const total = ip.end - o;
    const l4 = o + hl;
    let sport = 0;
    let dport = 0;
    let flags = 0;
    if (proto === IPPROTO_TCP) {
      if (total < hl + 20) return this.invalid(res);
      sport = u16(b, l4);
      dport = u16(b, l4 + 2);
      flags = b[l4 + 13]!;
    } else if (proto === IPPROTO_UDP) {
      if (total < hl + 8) return this.invalid(res);
      sport = u16(b, l4);
      dport = u16(b, l4 + 2);
    } else if (proto === IPPROTO_ICMP) {
      if (total < hl + 8) return this.invalid(res);
      const type = b[l4]!;
      if (type === ICMP_ECHO_REQUEST) sport = u16(b, l4 + 4);
      else if (type === ICMP_ECHO_REPLY) dport = u16(b, l4 + 4);
      else if (isIcmpErrorType(type)) return this.trackRelated(res, ip.bytes, hl);
      else return res;
    } else {
      return res;
    }
    const src = u32(b, o + 12);
    const dst = u32(b, o + 16);
    const t = this.find(proto, src, dst, sport, dport);
    let e: ConntrackEntry;
    let dir: CtDirection;
    if (t !== null) {
      e = t.entry;
      dir = t.dir;
      this.stats.found++;
    } else {
      // Only a packet that can open a flow creates an entry (TCP: SYN, or ACK for mid-stream pickup as
      // with nf_conntrack_tcp_loose=1; ICMP: echo request).
      if (proto === IPPROTO_TCP) {
        const idx = tcpIndex(flags);
        if (idx !== 0 && idx !== 3) return this.invalid(res);
      } else if (proto === IPPROTO_ICMP && dport !== 0) {
        return this.invalid(res);
      }
      if (this.live >= this.max) {
        this.stats.dropped++;
        res.drop = true;
        return res;
      }
      e = new ConntrackEntry(this, this.nextId++, proto, this.sched.now, src, dst, sport, dport);
      dir = 0;
      this.stats.new++;
    }
    res.entry = e;
    res.dir = dir;
    if (!update) return res;
    if (dir === 0) {
      e.pk0++;
      e.by0 += u16(b, o + 2);
    } else {
      e.pk1++;
      e.by1 += u16(b, o + 2);
    }
    let timeout: Nanos;
    if (proto === IPPROTO_TCP) {
      const next = TCP_NEXT[dir * 60 + tcpIndex(flags) * 10 + e.tcpState]!;
      if (next >= 0) {
        if (next === sES && e.tcpState === sSR) e.assured = true;
        e.tcpState = next;
      } else if (next === sIV) {
        this.stats.invalid++;
      }
      if (dir === 1) e.seenReply = true;
      timeout = this.tcpTimeouts[e.tcpState]!;
    } else if (proto === IPPROTO_UDP) {
      if (dir === 1 && !e.seenReply) e.seenReply = true;
      if (e.seenReply && dir === 0) e.assured = true;
      timeout = e.seenReply ? this.timeouts.udpStream : this.timeouts.udp;
    } else {
      if (dir === 1) e.seenReply = true;
      timeout = this.timeouts.icmp;
    }
    this.refresh(e, this.sched.now + timeout);
    return res;
  }

  /** An ICMP error: find the flow of the quoted datagram (its tuple inverted, as nf_conntrack_icmp). */
  private trackRelated(res: CtResult, b: Uint8Array, hl: number): CtResult {
    const inner = hl + 8;
    if (b.length < inner + 20) return res;
    const ihl = (b[inner]! & 0x0f) << 2;
    if (ihl < 20 || b.length < inner + ihl + 8) return res;
    const proto = b[inner + 9]!;
    const isrc = u32(b, inner + 12);
    const idst = u32(b, inner + 16);
    let sport = 0;
    let dport = 0;
    const l4 = inner + ihl;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      sport = u16(b, l4);
      dport = u16(b, l4 + 2);
    } else if (proto === IPPROTO_ICMP) {
      const type = b[l4]!;
      if (type === ICMP_ECHO_REQUEST) sport = u16(b, l4 + 4);
      else if (type === ICMP_ECHO_REPLY) dport = u16(b, l4 + 4);
      else return res;
    } else return res;
    // The quoted packet went the other way: its inverse is a tuple in the error's direction.
    const t = this.find(proto, idst, isrc, dport, sport);
    if (t === null) return res;
    res.entry = t.entry;
    res.dir = t.dir;
    res.related = true;
    this.stats.related++;
    return res;
  }

  private invalid(res: CtResult): CtResult {
    this.stats.invalid++;
    return res;
  }

  /** Inserts a new entry into the table at the end of the packet's path (nf_conntrack_confirm). */
  confirm(e: ConntrackEntry): void {
    if (e.confirmed) return;
    e.confirmed = true;
    this.insert(e.original);
    this.insert(e.reply);
    this.live++;
    this.arm(e, Math.max(e.expires, this.sched.now), null);
    const fns = this.createdFns;
    for (let i = 0; i < fns.length; i++) fns[i]!(e);
  }

  /** Removes an entry now (conntrack -D). */
  remove(e: ConntrackEntry): void {
    if (!e.confirmed) return;
    e.timer?.cancel();
    e.timer = null;
    e.queuedAt = -1;
    this.unlink(e.original);
    this.unlink(e.reply);
    e.confirmed = false;
    this.live--;
    const fns = this.destroyedFns;
    for (let i = 0; i < fns.length; i++) fns[i]!(e);
  }

  /** Removes every entry (conntrack -F). */
  flush(): void {
    for (const e of this.entries()) this.remove(e);
  }

  /**
   * Arms the entry's one live wake-up at `at`. A deadline armed as "now + a timeout" joins that
   * timeout's queue: every entry in it was armed the same way, so the queue is in deadline order and
   * costs one scheduler event for its head, and the entry no timer object. Any other deadline (a
   * re-check at an extended expiry) takes a timer. A slot whose time is not `queuedAt` is stale.
   */
  private arm(e: ConntrackEntry, at: Nanos, spent: Timer | null): void {
    e.queuedAt = at;
    if (e.timer !== null) {
      e.timer.cancel();
      e.timer = null;
    }
    // A scan of a few numbers: a Map keyed by nanoseconds would box each key.
    const delay = at - this.sched.now;
    const ds = this.queueDelays;
    for (let i = 0; i < ds.length; i++) {
      if (ds[i] === delay) {
        this.queues[i]!.push(at, e);
        return;
      }
    }
    e.timer = this.sched.atWith(at, expireEntry, e, 'conntrack', spent);
  }

  /** A queue slot came due. */
  private wake(e: ConntrackEntry, at: Nanos): void {
    if (e.confirmed && e.queuedAt === at && e.timer === null) this.expire(e, null);
  }

  /** @internal The entry's wake-up: expire it, or wait again when packets extended its deadline. */
  expire(e: ConntrackEntry, spent: Timer | null): void {
    if (!e.confirmed) return;
    if (e.expires > this.sched.now) {
      this.arm(e, e.expires, spent);
      return;
    }
    this.stats.expired++;
    this.remove(e);
  }

  private refresh(e: ConntrackEntry, expires: Nanos): void {
    e.expires = expires;
    // The wake-up is re-armed lazily when it comes, unless the deadline moved earlier (a state change).
    if (e.confirmed && e.queuedAt > expires) this.arm(e, expires, null);
  }

  private insert(t: CtTuple): void {
    if (++this.tupleCount > this.buckets.length) this.grow();
    const h = hash(t.protocol, t.src, t.dst, t.sport, t.dport) & this.mask;
    t.next = this.buckets[h]!;
    this.buckets[h] = t;
  }

  private unlink(t: CtTuple): void {
    const h = hash(t.protocol, t.src, t.dst, t.sport, t.dport) & this.mask;
    let p: CtTuple | null = this.buckets[h]!;
    if (p === t) {
      this.buckets[h] = t.next;
      t.next = null;
      this.tupleCount--;
      return;
    }
    while (p !== null && p.next !== t) p = p.next;
    if (p !== null) {
      p.next = t.next;
      this.tupleCount--;
    }
    t.next = null;
  }

  private grow(): void {
    const old = this.buckets;
    const size = old.length * 2;
    const b = new Array<CtTuple | null>(size).fill(null);
    const mask = size - 1;
    // Each chain keeps its order (newest first), so a lookup finds the same tuple as before.
    const chain: CtTuple[] = [];
    for (let i = 0; i < old.length; i++) {
      for (let t: CtTuple | null = old[i]!; t !== null; t = t.next) chain.push(t);
      for (let k = chain.length - 1; k >= 0; k--) {
        const t = chain[k]!;
        const h = hash(t.protocol, t.src, t.dst, t.sport, t.dport) & mask;
        t.next = b[h]!;
        b[h] = t;
      }
      chain.length = 0;
    }
    this.buckets = b;
    this.mask = mask;
  }

  // --- NAT ----------------------------------------------------------------------------------------

  /**
   * Applies the entry's NAT to a packet at a destination-NAT point (`dstManip` true: PREROUTING,
   * OUTPUT) or a source-NAT point (POSTROUTING, INPUT). Returns true when the packet changed.
   */
  nat(ip: Ipv4View, e: ConntrackEntry, dir: CtDirection, dstManip: boolean, related: boolean): boolean {
    const f = e.natFlags;
    if (f === 0) return false;
    // Original direction: DNAT at dst points, SNAT at src points; the reply direction undoes them.
    const need = dstManip ? (dir === 0 ? f & NAT_DST : f & NAT_SRC) : dir === 0 ? f & NAT_SRC : f & NAT_DST;
    if (need === 0) return false;
    const other = dir === 0 ? e.reply : e.original;
    if (related) return this.natRelated(ip, e, dir, dstManip, other);
    const b = ip.buf;
    const o = ip.off;
    const proto = b[o + 9]!;
    const l4 = o + ((b[o]! & 0x0f) << 2);
    const addr = dstManip ? other.src : other.dst;
    const port = dstManip ? other.sport : other.dport;
    const old = dstManip ? u32(b, o + 16) : u32(b, o + 12);
    let changed = false;
    if (old !== addr) {
      if (dstManip) rewriteDst(ip, addr);
      else rewriteSrc(ip, addr);
      changed = true;
    }
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      const sp = u16(b, l4);
      const dp = u16(b, l4 + 2);
      const nsp = dstManip ? sp : port;
      const ndp = dstManip ? port : dp;
      if (changed || nsp !== sp || ndp !== dp) {
        const ports = proto === IPPROTO_TCP ? tcpNatAt(b, l4, old, addr, nsp, ndp) : udpNatAt(b, l4, old, addr, nsp, ndp);
        if (ports) changed = true;
      }
    } else if (proto === IPPROTO_ICMP) {
      // The echo id sits in the source-port slot going out and the destination-port slot coming back.
      if (dir === 0 ? !dstManip : dstManip) {
        const v = new IcmpView(b.subarray(l4, o + u16(b, o + 2)));
        const id = v.id;
        if (id !== port) {
          v.checksum = updateChecksum16(v.checksum, id, port);
          v.id = port;
          changed = true;
        }
      }
    }
    return changed;
  }

  /** nf_nat_icmp_reply_translation: the outer header like a reply, the quoted one the opposite way. */
  private natRelated(ip: Ipv4View, e: ConntrackEntry, dir: CtDirection, dstManip: boolean, other: CtTuple): boolean {
    const b = ip.bytes;
    const hl = (b[0]! & 0x0f) << 2;
    const end = u16(b, 2);
    const icmp = b.subarray(hl, end);
    const inner = 8;
    if (icmp.length < inner + 20) return false;
    const ihl = (icmp[inner]! & 0x0f) << 2;
    if (icmp.length < inner + ihl + 8) return false;
    // Quoted datagram travelled in the other direction; it gets the opposite manip, target = its own tuple.
    const own = dir === 0 ? e.reply : e.original;
    const innerDstManip = !dstManip;
    const iaddr = innerDstManip ? own.dst : own.src;
    const iport = innerDstManip ? own.dport : own.sport;
    const ioff = inner + (innerDstManip ? 16 : 12);
    const iold = u32(icmp, ioff);
    if (iold !== iaddr) {
      setU32(icmp, ioff, iaddr);
      setU16(icmp, inner + 10, updateChecksum32(u16(icmp, inner + 10), iold, iaddr));
    }
    const proto = icmp[inner + 9]!;
    const l4 = inner + ihl;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      const poff = l4 + (innerDstManip ? 2 : 0);
      const pold = u16(icmp, poff);
      // The quote is usually too short to hold the L4 checksum (8 bytes for RFC 792); patch it when present.
      const csOff = proto === IPPROTO_TCP ? l4 + 16 : l4 + 6;
      const haveCs = icmp.length >= csOff + 2 && !(proto === IPPROTO_UDP && u16(icmp, csOff) === 0);
      if (haveCs) {
        let c = u16(icmp, csOff);
        if (iold !== iaddr) c = updateChecksum32(c, iold, iaddr);
        if (pold !== iport) c = updateChecksum16(c, pold, iport);
        setU16(icmp, csOff, proto === IPPROTO_UDP && c === 0 ? 0xffff : c);
      }
      setU16(icmp, poff, iport);
    } else if (proto === IPPROTO_ICMP && icmp.length >= l4 + 8) {
      // The quoted echo's id is in the slot this manip targets: source going out, destination coming back.
      if (own.dir === 0 ? !innerDstManip : innerDstManip) setU16(icmp, l4 + 4, own.dir === 0 ? own.sport : own.dport);
    }
    // Outer header: like a reply of the flow.
    const addr = dstManip ? other.src : other.dst;
    const off = dstManip ? 16 : 12;
    const old = u32(b, off);
    if (old !== addr) {
      if (dstManip) rewriteDst(ip, addr);
      else rewriteSrc(ip, addr);
    }
    new IcmpView(icmp).fillChecksum();
    return true;
  }
}

/** One timer callback for every entry (the entry is the timer's argument). */
function expireEntry(e: ConntrackEntry): void {
  const spent = e.timer;
  e.timer = null;
  e.table.expire(e, spent);
}

/** A 30-bit hash of a tuple (Murmur3-style mixing), small enough to stay a V8 small integer. */
function hash(proto: number, src: number, dst: number, sport: number, dport: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((sport << 16) | dport), 0x27d4eb2f);
  h ^= proto ^ (h >>> 15);
  return h & 0x3fffffff;
}
