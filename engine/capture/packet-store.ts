/**
 * The engine-side packet list behind the packet panes: frames appended from a live capture or a
 * file are copied into large chunked buffers (no Uint8Array per packet), with per-packet metadata
 * in growable typed arrays. Rows are dissected lazily for the visible range and cached; the detail
 * tree is dissected on demand; display filters run over the fast field walk and are incremental for
 * live appends (a repeated filter scans only the packets added since).
 *
 * Packets are addressed by index n (0-based); the frame number shown is n + 1. At append the store
 * walks each frame once to number TCP streams and set relative sequence bases (as Wireshark's first
 * pass does) and to pair ICMP echo requests with replies.
 *
 * Error contract: `append` throws only on a programmer error (unknown interface, bad length);
 * `rows`, `detail`, `filter` never throw on packet contents; an index outside [0, count) is a
 * RangeError.
 */
import type { Capture } from './capture.ts';
import { dissect, type DissectContext, type Dissection, type EchoKey, type PacketColumns } from './dissect.ts';
import { compileFilter, type FilterPacket, type FilterResult } from './display-filter.ts';
import { FrameFields, walkFrame } from './fields.ts';
import { PcapngWriter } from './pcapng-writer.ts';
import { TcpConversations, type TcpEndpoints, type TcpStreamInfo } from './tcp-conversations.ts';

export interface PacketMeta {
  /** Absolute time in ns since the epoch (or virtual lab time). */
  readonly timeNs: bigint;
  /** Index of an interface added with `addInterface` (default 0, created on first use). */
  readonly interfaceId?: number;
  readonly direction?: 'inbound' | 'outbound';
  /** The device's decision (pcapng opt_comment). */
  readonly comment?: string;
  /** Length on the wire, when the frame was captured cut short. */
  readonly originalLength?: number;
}

export interface StoreInterface {
  readonly name: string;
  readonly description?: string;
}

export interface PacketStoreOptions {
  /** Bytes per data chunk (default 16 MiB); a larger frame gets a chunk of its own. */
  readonly chunkBytes?: number;
  /** Rows kept in the row cache (default 4096). */
  readonly rowCache?: number;
}

const DIR_NONE = 0;
const DIR_IN = 1;
const DIR_OUT = 2;

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | BigInt64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = Math.max(1024, a.length * 2);
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a as never);
  return b;
}

export class PacketStore {
  private readonly chunkBytes: number;
  private readonly rowCacheMax: number;
  private readonly chunks: Uint8Array[] = [];
  private chunkUsed = 0;
  private n = 0;
  private chunkOf = new Uint16Array(0);
  private offset = new Uint32Array(0);
  private capLen = new Uint32Array(0);
  private origLen = new Uint32Array(0);
  private time = new BigInt64Array(0);
  private iface = new Uint16Array(0);
  private dir = new Uint8Array(0);
  private stream = new Int32Array(0);
  private readonly comments = new Map<number, string>();
  private readonly interfaces: StoreInterface[] = [];
  private readonly conv = new TcpConversations();
  /** Echo pairs by "lowIp highIp id seq": frame numbers of request and reply. */
  private readonly echoes = new Map<string, { req: number; rep: number }>();
  private readonly rowCache = new Map<number, PacketColumns>();
  private readonly walk = new FrameFields();
  private readonly fp: FilterPacket = { frameLen: 0, comment: undefined, tcpStream: -1 };
  private cached: { text: string; scanned: number; hits: Uint32Array; count: number } | null = null;

  constructor(opts: PacketStoreOptions = {}) {
    this.chunkBytes = opts.chunkBytes ?? 16 << 20;
    this.rowCacheMax = opts.rowCache ?? 4096;
  }

  /** A store holding every packet of a capture file (see readCapture). */
  static fromCapture(c: Capture, opts?: PacketStoreOptions): PacketStore {
    const s = new PacketStore(opts);
    for (const i of c.interfaces) s.addInterface({ name: i.name ?? `if${s.interfaces.length}`, ...(i.description ? { description: i.description } : {}) });
    let last = 0n;
    for (const p of c.packets) {
      const t = p.timestampNs ?? last;
      last = t;
      s.append(p.data, {
        timeNs: t,
        interfaceId: p.interfaceId,
        ...(p.direction ? { direction: p.direction } : {}),
        ...(p.comment !== undefined ? { comment: p.comment } : {}),
        ...(p.originalLength > p.data.length ? { originalLength: p.originalLength } : {}),
      });
    }
    return s;
  }

  get count(): number {
    return this.n;
  }

  /** Number of TCP streams seen (tcp.stream runs 0 .. tcpStreams - 1). */
  get tcpStreams(): number {
    return this.conv.count;
  }

  addInterface(spec: StoreInterface): number {
    if (this.interfaces.length >= 0xffff) throw new RangeError('too many interfaces');
    this.interfaces.push(spec);
    return this.interfaces.length - 1;
  }

  /** Copies one frame in; returns its index. */
  append(data: Uint8Array, meta: PacketMeta): number {
    const ifId = meta.interfaceId ?? 0;
    if (ifId === 0 && this.interfaces.length === 0) this.addInterface({ name: 'capture' });
    if (!Number.isInteger(ifId) || ifId < 0 || ifId >= this.interfaces.length) throw new RangeError(`interface ${ifId} was not added`);
    const orig = meta.originalLength ?? data.length;
    if (!Number.isInteger(orig) || orig < data.length || orig > 0xffffffff) throw new RangeError(`original length ${orig} is below the ${data.length} captured bytes`);
    const len = data.length;
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || this.chunkUsed + len > chunk.length) {
      chunk = new Uint8Array(Math.max(this.chunkBytes, len));
      this.chunks.push(chunk);
      this.chunkUsed = 0;
      if (this.chunks.length > 0xffff) throw new RangeError('packet store is full');
    }
    const off = this.chunkUsed;
    chunk.set(data, off);
    this.chunkUsed += len;
    return this.push(this.chunks.length - 1, off, len, orig, ifId, meta);
  }

  /**
   * Appends a packet whose bytes are those of packet `n`, sharing them instead of copying (stored
   * bytes never change): a capture that repeats frames, such as the app's synthetic test load, costs
   * no data copy. Analysis (TCP streams, echo pairs) runs as for `append`. Returns the new index.
   */
  appendSame(n: number, meta: PacketMeta): number {
    this.check(n);
    const ifId = meta.interfaceId ?? 0;
    if (!Number.isInteger(ifId) || ifId < 0 || ifId >= this.interfaces.length) throw new RangeError(`interface ${ifId} was not added`);
    const len = this.capLen[n]!;
    const orig = meta.originalLength ?? len;
    if (!Number.isInteger(orig) || orig < len || orig > 0xffffffff) throw new RangeError(`original length ${orig} is below the ${len} captured bytes`);
    return this.push(this.chunkOf[n]!, this.offset[n]!, len, orig, ifId, meta);
  }

  private push(chunkIx: number, off: number, len: number, orig: number, ifId: number, meta: PacketMeta): number {
    const i = this.n;
    if (i >= this.offset.length) {
      const need = i + 1;
      this.chunkOf = grow(this.chunkOf, need);
      this.offset = grow(this.offset, need);
      this.capLen = grow(this.capLen, need);
      this.origLen = grow(this.origLen, need);
      this.time = grow(this.time, need);
      this.iface = grow(this.iface, need);
      this.dir = grow(this.dir, need);
      this.stream = grow(this.stream, need);
    }
    this.chunkOf[i] = chunkIx;
    this.offset[i] = off;
    this.capLen[i] = len;
    this.origLen[i] = orig;
    this.time[i] = meta.timeNs;
    this.iface[i] = ifId;
    this.dir[i] = meta.direction === 'inbound' ? DIR_IN : meta.direction === 'outbound' ? DIR_OUT : DIR_NONE;
    if (meta.comment !== undefined && meta.comment !== '') this.comments.set(i, meta.comment);
    this.n = i + 1;
    this.track(i, this.chunks[chunkIx]!, off, off + len);
    return i;
  }

  /** First-pass analysis: TCP streams and bases, ICMP echo pairs. */
  private track(i: number, buf: Uint8Array, start: number, end: number): void {
    const f = this.walk;
    walkFrame(buf, start, end, f);
    let st = -1;
    for (let k = 0; k < f.tcpCount; k++) {
      const ip = f.tcpIp[k]!;
      const e: TcpEndpoints = { srcIp: f.ipSrc[ip]!, srcPort: f.tcpSrc[k]!, dstIp: f.ipDst[ip]!, dstPort: f.tcpDst[k]! };
      const s = this.conv.observe(e, f.tcpSeq[k]!, f.tcpAck[k]!, f.tcpFlags[k]!, f.tcpQuoted[k] === 1);
      if (k === 0) st = s;
    }
    this.stream[i] = st;
    for (let k = 0; k < f.icmpCount; k++) {
      const t = f.icmpType[k]!;
      if ((t !== 0 && t !== 8) || f.icmpCode[k] !== 0) continue;
      const ip = f.icmpIp[k]!;
      const key = echoKey(f.ipSrc[ip]!, f.ipDst[ip]!, f.icmpRest[k]!);
      const e = this.echoes.get(key) ?? { req: 0, rep: 0 };
      if (t === 8 && e.req === 0) {
        e.req = i + 1;
        // A reply seen first gets "(request in N)" now: drop its cached row.
        if (e.rep !== 0) this.rowCache.delete(e.rep - 1);
      } else if (t === 0 && e.rep === 0) {
        e.rep = i + 1;
        // The request's cached row was made before "(reply in N)" was known.
        if (e.req !== 0) this.rowCache.delete(e.req - 1);
      }
      this.echoes.set(key, e);
      break;
    }
  }

  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.n) throw new RangeError(`packet ${n} is outside 0..${this.n - 1}`);
  }

  /** The captured bytes of packet n (a view into the store: do not modify). */
  bytes(n: number): Uint8Array {
    this.check(n);
    const o = this.offset[n]!;
    return this.chunks[this.chunkOf[n]!]!.subarray(o, o + this.capLen[n]!);
  }

  /** Interface index of packet n (no object made, for per-packet loops). */
  interfaceOf(n: number): number {
    this.check(n);
    return this.iface[n]!;
  }

  /** Metadata of packet n. */
  meta(n: number): PacketMeta & { interfaceId: number } {
    this.check(n);
    const d = this.dir[n];
    const c = this.comments.get(n);
    return {
      timeNs: this.time[n]!,
      interfaceId: this.iface[n]!,
      ...(d === DIR_IN ? { direction: 'inbound' as const } : d === DIR_OUT ? { direction: 'outbound' as const } : {}),
      ...(c !== undefined ? { comment: c } : {}),
      ...(this.origLen[n]! > this.capLen[n]! ? { originalLength: this.origLen[n]! } : {}),
    };
  }

  private context(n: number): DissectContext {
    const m = this.meta(n);
    let first = true;
    const tcp = (e: TcpEndpoints, _quoted: boolean): TcpStreamInfo | null => {
      const st = first && this.stream[n]! >= 0 ? this.stream[n]! : this.conv.streamOf(e);
      first = false;
      return st < 0 ? null : this.conv.info(st, e);
    };
    const echo = (k: EchoKey): number | null => {
      const e = this.echoes.get(echoKey(k.src, k.dst, ((k.id << 16) | k.seq) >>> 0));
      if (e === undefined) return null;
      const other = k.reply ? e.req : e.rep;
      return other === 0 ? null : other;
    };
    return {
      number: n + 1,
      timeNs: m.timeNs,
      firstTimeNs: this.time[0]!,
      interfaceId: m.interfaceId,
      interfaceName: this.interfaces[m.interfaceId]?.name ?? String(m.interfaceId),
      ...(m.originalLength !== undefined ? { originalLength: m.originalLength } : {}),
      ...(m.comment !== undefined ? { comment: m.comment } : {}),
      ...(m.direction !== undefined ? { direction: m.direction } : {}),
      tcp,
      echo,
    };
  }

  /** Full dissection of packet n (columns and detail tree). */
  detail(n: number): Dissection {
    this.check(n);
    return dissect(this.bytes(n), this.context(n));
  }

  /** Column rows for packets [from, from + count) clipped to the store; cached. */
  rows(from: number, count: number): PacketColumns[] {
    const out: PacketColumns[] = [];
    const end = Math.min(this.n, Math.max(0, from) + Math.max(0, count));
    for (let i = Math.max(0, from); i < end; i++) {
      let r = this.rowCache.get(i);
      if (r === undefined) {
        r = dissect(this.bytes(i), this.context(i)).columns;
        if (this.rowCache.size >= this.rowCacheMax) this.rowCache.delete(this.rowCache.keys().next().value!);
        this.rowCache.set(i, r);
      }
      out.push(r);
    }
    return out;
  }

  /** Rows for packets given by index (e.g. a window of a filter result). */
  rowsAt(indices: ArrayLike<number>, from: number, count: number): PacketColumns[] {
    const out: PacketColumns[] = [];
    const end = Math.min(indices.length, from + count);
    for (let k = Math.max(0, from); k < end; k++) out.push(this.rows(indices[k]!, 1)[0]!);
    return out;
  }

  /**
   * Indices of the packets matching a display filter. Repeating the same filter after live appends
   * scans only the new packets. The empty filter matches everything.
   */
  filter(expr: string): FilterResult<Uint32Array> {
    const text = expr.trim();
    let c = this.cached;
    if (c === null || c.text !== text) {
      const r = compileFilter(text);
      if (!r.ok) return r;
      c = { text, scanned: 0, hits: new Uint32Array(1024), count: 0 };
      this.cached = c;
      this.compiled = r.value;
    }
    const test = this.compiled!.test;
    const all = this.compiled!.all;
    const f = this.walk;
    const fp = this.fp;
    for (let i = c.scanned; i < this.n; i++) {
      let hit = all;
      if (!all) {
        const o = this.offset[i]!;
        walkFrame(this.chunks[this.chunkOf[i]!]!, o, o + this.capLen[i]!, f);
        fp.frameLen = this.origLen[i]!;
        fp.comment = this.comments.get(i);
        fp.tcpStream = this.stream[i]!;
        hit = test(f, fp);
      }
      if (hit) {
        if (c.count === c.hits.length) c.hits = grow(c.hits, c.count + 1);
        c.hits[c.count++] = i;
      }
    }
    c.scanned = this.n;
    return { ok: true, value: c.hits.slice(0, c.count) };
  }
  private compiled: { test: (f: FrameFields, p: FilterPacket) => boolean; all: boolean } | null = null;

  /** Bytes held: packet data chunks plus per-packet metadata arrays (capacity, not just use). */
  memoryBytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength;
    for (const a of [this.chunkOf, this.offset, this.capLen, this.origLen, this.time, this.iface, this.dir, this.stream]) b += a.byteLength;
    return b;
  }

  /** The capture as a pcapng file (one IDB per interface, comments and directions kept). */
  toPcapng(): Uint8Array {
    const w = new PcapngWriter({ initialCapacity: Math.max(1 << 16, this.n * 48 + this.chunks.length * 0) });
    for (const i of this.interfaces) w.addInterface({ name: i.name, ...(i.description ? { description: i.description } : {}) });
    if (this.interfaces.length === 0) w.addInterface({ name: 'capture' });
    for (let i = 0; i < this.n; i++) {
      const m = this.meta(i);
      w.writePacket(m.interfaceId, m.timeNs < 0n ? 0n : m.timeNs, this.bytes(i), {
        ...(m.comment !== undefined ? { comment: m.comment } : {}),
        ...(m.direction !== undefined ? { direction: m.direction } : {}),
        ...(m.originalLength !== undefined ? { originalLength: m.originalLength } : {}),
      });
    }
    return w.toBytes();
  }
}

function echoKey(src: number, dst: number, rest: number): string {
  return src < dst ? `${src}-${dst}-${rest}` : `${dst}-${src}-${rest}`;
}
