/**
 * pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description
 * Block per capture point, Enhanced Packet Blocks with nanosecond timestamps, direction flags and a
 * comment carrying the device's decision, and Name Resolution Blocks (IPv4 address → device name).
 *
 * Output is little-endian (the SHB byte-order magic tells readers so, §4.1) and fully determined by
 * the calls made: no host name, no OS version, no wall-clock time ends up in the file, so writing the
 * same packets twice gives identical bytes.
 *
 * Bytes accumulate in one growable buffer; with a `sink`, every `flushBytes` the filled buffer is
 * handed over (ownership passes to the sink, no copy) and a fresh one started, so a long capture
 * streams to a file owned by the caller. Without a sink, `toBytes()` returns everything written.
 *
 * Error contract: every method throws (RangeError/TypeError) only on a programmer error — an unknown
 * interface id, a negative or out-of-range timestamp, inconsistent lengths, a string that does not fit
 * an option or contains a NUL. A throw leaves the writer unchanged (the block is not committed).
 */
import type { Ipv4Addr } from '../wire/addr.ts';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  EPB_FLAG_INBOUND,
  EPB_FLAG_OUTBOUND,
  EpbOpt,
  IdbOpt,
  LINKTYPE_ETHERNET,
  MAX_OPTION_BYTES,
  NrbRecord,
  Opt,
  pad4,
  ShbOpt,
  TSRESOL_NS,
} from './pcapng.ts';

/** What every pcapng pktlab writes says about its origin (shb_hardware, shb_os, shb_userappl). */
export const PKTLAB_SHB_TEXT = 'pktlab';

/** Default snapshot length: Wireshark's maximum for Ethernet. */
export const DEFAULT_SNAPLEN = 262_144;

/** A comment is one option, so its UTF-8 form is limited by the 16-bit option length (§3.5). */
export const MAX_COMMENT_BYTES = MAX_OPTION_BYTES;

export type Direction = 'inbound' | 'outbound';

export interface InterfaceSpec {
  /** if_name, e.g. "alteon:outside". */
  readonly name: string;
  /** if_description, e.g. "Alteon port 1 (outside), 10.0.0.2/24". */
  readonly description?: string;
  /** LinkType (§4.2); default 1, Ethernet. */
  readonly linktype?: number;
  /** SnapLen (§4.2); default 262144. Longer packets are written truncated to it. */
  readonly snaplen?: number;
}

export interface PacketOptions {
  /** opt_comment: the device's decision, e.g. "alteon: SLB vip1 → real2 (roundrobin)". UTF-8. */
  readonly comment?: string;
  /** epb_flags bits 0-1 (§4.3.1). */
  readonly direction?: Direction;
  /** Original Packet Length when the frame on the wire was longer than `data`; default data.length. */
  readonly originalLength?: number;
}

export interface NameRecord {
  readonly addr: Ipv4Addr;
  /** One or more names, e.g. "alteon-vip1". */
  readonly names: string | readonly string[];
}

export interface PcapngWriterOptions {
  /**
   * Absolute time of virtual time zero, in ns since 1970-01-01T00:00:00Z (the lab epoch). Packet
   * timestamps are virtual ns; the file stores epochNs + virtual ns. Default 0.
   */
  readonly epochNs?: bigint;
  /** Streaming output: receives each filled chunk, which it then owns. */
  readonly sink?: (chunk: Uint8Array) => void;
  /** With a sink, hand over the buffer once it holds this many bytes. Default 1 MiB. */
  readonly flushBytes?: number;
  /** Initial buffer capacity in bytes. Default 64 KiB (or flushBytes plus headroom with a sink). */
  readonly initialCapacity?: number;
}

const TWO32 = 0x1_0000_0000;
const MAX_TS = (1n << 64n) - 1n;
const EPB_FIXED = 28; // type, length, interface id, ts hi, ts lo, caplen, origlen
const textEncoder = new TextEncoder();

interface IfaceState {
  readonly snaplen: number;
}

export class PcapngWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;
  private flushed = 0;
  private readonly ifaces: IfaceState[] = [];
  private packetCount = 0;
  private readonly epochHi: number;
  private readonly epochLo: number;
  private readonly epochNs: bigint;
  private readonly sink: ((chunk: Uint8Array) => void) | undefined;
  private readonly flushBytes: number;

  constructor(opts: PcapngWriterOptions = {}) {
    const epoch = opts.epochNs ?? 0n;
    if (typeof epoch !== 'bigint' || epoch < 0n || epoch > MAX_TS) throw new RangeError(`epochNs ${String(epoch)} is not a 64-bit unsigned ns count`);
    this.epochNs = epoch;
    this.epochHi = Number(epoch >> 32n);
    this.epochLo = Number(epoch & 0xffff_ffffn);
    this.sink = opts.sink;
    this.flushBytes = opts.flushBytes ?? 1 << 20;
    if (!Number.isInteger(this.flushBytes) || this.flushBytes < 1) throw new RangeError(`flushBytes ${this.flushBytes} must be a positive integer`);
    const cap = opts.initialCapacity ?? (this.sink ? this.flushBytes + (1 << 16) : 1 << 16);
    this.buf = new Uint8Array(Math.max(256, cap));
    this.dv = new DataView(this.buf.buffer);
    this.writeShb();
  }

  /** Number of interfaces described so far; the next addInterface returns this id. */
  get interfaceCount(): number {
    return this.ifaces.length;
  }

  /** Number of Enhanced Packet Blocks written. */
  get packets(): number {
    return this.packetCount;
  }

  /** Total bytes produced so far (flushed or not). */
  get byteLength(): number {
    return this.flushed + this.len;
  }

  /**
   * Writes an Interface Description Block (§4.2) and returns its interface id (0, 1, ...). Interfaces
   * may be added at any point of the section, also after packets.
   */
  addInterface(spec: InterfaceSpec): number {
    const linktype = spec.linktype ?? LINKTYPE_ETHERNET;
    const snaplen = spec.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) throw new RangeError(`linktype ${linktype} does not fit in 16 bits`);
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen >= TWO32) throw new RangeError(`snaplen ${snaplen} does not fit in 32 bits`);
    if (typeof spec.name !== 'string' || spec.name.length === 0) throw new TypeError('interface name must be a non-empty string');
    const name = encodeOptionText('if_name', spec.name);
    const desc = spec.description === undefined ? undefined : encodeOptionText('if_description', spec.description);
    // Body: linktype(2) reserved(2) snaplen(4), options: if_name, if_description, if_tsresol, end.
    const optLen = optSize(name.length) + (desc ? optSize(desc.length) : 0) + optSize(1) + 4;
    const total = 16 + optLen + 4;
    const o = this.reserve(total);
    const dv = this.dv;
    dv.setUint32(o, BlockType.IDB, true);
    dv.setUint32(o + 4, total, true);
    dv.setUint16(o + 8, linktype, true);
    dv.setUint16(o + 10, 0, true);
    dv.setUint32(o + 12, snaplen, true);
    let p = this.putOptBytes(o + 16, IdbOpt.name, name);
    if (desc) p = this.putOptBytes(p, IdbOpt.description, desc);
    dv.setUint32(p, IdbOpt.tsresol | (1 << 16), true);
    this.buf[p + 4] = TSRESOL_NS;
    this.buf[p + 5] = 0;
    this.buf[p + 6] = 0;
    this.buf[p + 7] = 0;
    p += 8;
    dv.setUint32(p, 0, true); // opt_endofopt
    dv.setUint32(p + 4, total, true);
    this.commit(total);
    this.ifaces.push({ snaplen });
    return this.ifaces.length - 1;
  }

  /**
   * Writes an Enhanced Packet Block (§4.3). `timeNs` is virtual time in ns (added to the lab epoch);
   * `data` is the frame, truncated to the interface's snaplen if longer.
   */
  writePacket(interfaceId: number, timeNs: number | bigint, data: Uint8Array, opts?: PacketOptions): void {
    const iface = this.ifaces[interfaceId];
    if (iface === undefined || !Number.isInteger(interfaceId)) {
      throw new RangeError(`interface id ${interfaceId} has no Interface Description Block (${this.ifaces.length} described)`);
    }
    let tsHi: number;
    let tsLo: number;
    if (typeof timeNs === 'number') {
      if (!Number.isSafeInteger(timeNs) || timeNs < 0) throw new RangeError(`timestamp ${timeNs} ns must be a non-negative safe integer`);
      const lo = this.epochLo + (timeNs % TWO32);
      tsLo = lo % TWO32;
      tsHi = this.epochHi + Math.floor(timeNs / TWO32) + (lo >= TWO32 ? 1 : 0);
      if (tsHi >= TWO32) throw new RangeError(`timestamp ${timeNs} ns overflows 64 bits after the epoch`);
    } else {
      if (typeof timeNs !== 'bigint' || timeNs < 0n) throw new RangeError(`timestamp ${String(timeNs)} ns must be non-negative`);
      const t = this.epochNs + timeNs;
      if (t > MAX_TS) throw new RangeError(`timestamp ${timeNs} ns overflows 64 bits after the epoch`);
      tsHi = Number(t >> 32n);
      tsLo = Number(t & 0xffff_ffffn);
    }
    const origLen = opts?.originalLength ?? data.length;
    if (!Number.isInteger(origLen) || origLen < data.length || origLen >= TWO32) {
      throw new RangeError(`original length ${origLen} must be an integer >= the ${data.length} captured bytes and fit 32 bits`);
    }
    const capLen = iface.snaplen !== 0 && data.length > iface.snaplen ? iface.snaplen : data.length;
    const dir = opts?.direction;
    let flags = 0;
    if (dir !== undefined) {
      if (dir === 'inbound') flags = EPB_FLAG_INBOUND;
      else if (dir === 'outbound') flags = EPB_FLAG_OUTBOUND;
      else throw new RangeError(`direction ${String(dir)} is not 'inbound' or 'outbound'`);
    }
    const comment = opts?.comment;
    if (comment !== undefined) checkText('comment', comment);
    // Worst case: 3 UTF-8 bytes per UTF-16 unit; exact length is known after encoding.
    const commentMax = comment === undefined ? 0 : 4 + comment.length * 3 + 3;
    const dataEnd = EPB_FIXED + capLen + pad4(capLen);
    const maxTotal = dataEnd + (flags ? 8 : 0) + commentMax + 4 + 4;
    const o = this.reserve(maxTotal);
    const buf = this.buf;
    const dv = this.dv;
    buf.set(capLen === data.length ? data : data.subarray(0, capLen), o + EPB_FIXED);
    for (let i = o + EPB_FIXED + capLen; i < o + dataEnd; i++) buf[i] = 0;
    let p = o + dataEnd;
    if (comment !== undefined) {
      const { written } = textEncoder.encodeInto(comment, buf.subarray(p + 4, p + 4 + comment.length * 3));
      if (written > MAX_COMMENT_BYTES) throw new RangeError(`comment is ${written} bytes of UTF-8; the limit is ${MAX_COMMENT_BYTES}`);
      dv.setUint16(p, Opt.comment, true);
      dv.setUint16(p + 2, written, true);
      p += 4 + written;
      for (let k = pad4(written); k > 0; k--) buf[p++] = 0;
    }
    if (flags) {
      dv.setUint32(p, EpbOpt.flags | (4 << 16), true);
      dv.setUint32(p + 4, flags, true);
      p += 8;
    }
    if (p !== o + dataEnd) {
      dv.setUint32(p, 0, true); // opt_endofopt
      p += 4;
    }
    const total = p + 4 - o;
    dv.setUint32(o, BlockType.EPB, true);
    dv.setUint32(o + 4, total, true);
    dv.setUint32(o + 8, interfaceId, true);
    dv.setUint32(o + 12, tsHi, true);
    dv.setUint32(o + 16, tsLo, true);
    dv.setUint32(o + 20, capLen, true);
    dv.setUint32(o + 24, origLen, true);
    dv.setUint32(p, total, true);
    this.commit(total);
    this.packetCount++;
  }

  /**
   * Writes a Name Resolution Block (§4.5) with one nrb_record_ipv4 per entry (address → names). May
   * be called before or after packets, any number of times; an empty list writes nothing.
   */
  writeNames(records: readonly NameRecord[]): void {
    if (records.length === 0) return;
    const encoded: { addr: number; names: Uint8Array[]; valueLen: number }[] = [];
    let total = 8 + 4 + 4; // header, nrb_record_end, trailing length
    for (const r of records) {
      if (!Number.isInteger(r.addr) || r.addr < 0 || r.addr >= TWO32) throw new RangeError(`address ${r.addr} is not an IPv4 address`);
      const list = typeof r.names === 'string' ? [r.names] : r.names;
      if (list.length === 0) throw new RangeError('a name record needs at least one name');
      const names = list.map((n) => {
        if (n.length === 0) throw new RangeError('a resolved name must not be empty');
        return encodeOptionText('name', n);
      });
      const valueLen = 4 + names.reduce((s, n) => s + n.length + 1, 0);
      if (valueLen > MAX_OPTION_BYTES) throw new RangeError(`name record for ${r.addr} is ${valueLen} bytes; the limit is ${MAX_OPTION_BYTES}`);
      encoded.push({ addr: r.addr >>> 0, names, valueLen });
      total += 4 + valueLen + pad4(valueLen);
    }
    const o = this.reserve(total);
    const buf = this.buf;
    const dv = this.dv;
    dv.setUint32(o, BlockType.NRB, true);
    dv.setUint32(o + 4, total, true);
    let p = o + 8;
    for (const e of encoded) {
      dv.setUint16(p, NrbRecord.ipv4, true);
      dv.setUint16(p + 2, e.valueLen, true);
      // The address is four octets in network order, not a word in the section's byte order (§4.5).
      dv.setUint32(p + 4, e.addr, false);
      p += 8;
      for (const n of e.names) {
        buf.set(n, p);
        p += n.length;
        buf[p++] = 0;
      }
      for (let k = pad4(e.valueLen); k > 0; k--) buf[p++] = 0;
    }
    dv.setUint32(p, NrbRecord.end, true); // nrb_record_end, length 0
    dv.setUint32(p + 4, total, true);
    this.commit(total);
  }

  /** Hands buffered bytes to the sink (no-op without one or when nothing is pending). */
  flush(): void {
    if (!this.sink || this.len === 0) return;
    const chunk = this.buf.subarray(0, this.len);
    this.flushed += this.len;
    this.len = 0;
    this.buf = new Uint8Array(this.buf.length);
    this.dv = new DataView(this.buf.buffer);
    this.sink(chunk);
  }

  /**
   * Everything written, as a view of the internal buffer (later writes only append, so the view stays
   * valid). Only without a sink: with one, the bytes have gone to it.
   */
  toBytes(): Uint8Array {
    if (this.sink) throw new Error('toBytes() is not available on a streaming writer; its bytes go to the sink');
    return this.buf.subarray(0, this.len);
  }

  private writeShb(): void {
    const text = textEncoder.encode(PKTLAB_SHB_TEXT);
    const optLen = 3 * optSize(text.length) + 4;
    const total = 24 + optLen + 4;
    const o = this.reserve(total);
    const dv = this.dv;
    dv.setUint32(o, BlockType.SHB, true);
    dv.setUint32(o + 4, total, true);
    dv.setUint32(o + 8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(o + 12, 1, true); // major version
    dv.setUint16(o + 14, 0, true); // minor version
    dv.setInt32(o + 16, -1, true); // section length -1: not specified (64 bits)
    dv.setInt32(o + 20, -1, true);
    let p = o + 24;
    p = this.putOptBytes(p, ShbOpt.hardware, text);
    p = this.putOptBytes(p, ShbOpt.os, text);
    p = this.putOptBytes(p, ShbOpt.userappl, text);
    dv.setUint32(p, 0, true);
    dv.setUint32(p + 4, total, true);
    this.commit(total);
  }

  /** Writes one option with a byte value at p; returns the offset after its padding. */
  private putOptBytes(p: number, code: number, value: Uint8Array): number {
    this.dv.setUint16(p, code, true);
    this.dv.setUint16(p + 2, value.length, true);
    this.buf.set(value, p + 4);
    p += 4 + value.length;
    for (let k = pad4(value.length); k > 0; k--) this.buf[p++] = 0;
    return p;
  }

  /** Ensures `n` bytes of room after the committed data; returns where the block starts. */
  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    return this.len;
  }

  private commit(n: number): void {
    this.len += n;
    if (this.sink && this.len >= this.flushBytes) this.flush();
  }
}

function optSize(valueLen: number): number {
  return 4 + valueLen + pad4(valueLen);
}

function checkText(what: string, s: string): void {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string`);
  if (s.includes('\0')) throw new RangeError(`${what} contains a NUL character, which readers take as the end of the string (§3.5)`);
}

function encodeOptionText(what: string, s: string): Uint8Array {
  checkText(what, s);
  const b = textEncoder.encode(s);
  if (b.length > MAX_OPTION_BYTES) throw new RangeError(`${what} is ${b.length} bytes of UTF-8; the limit is ${MAX_OPTION_BYTES}`);
  return b;
}
