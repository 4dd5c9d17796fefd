/**
 * TCP segment header (RFC 9293 §3.1) and options.
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsv |E|W|C|R|C|S|S|Y|I|            Window             |
 *  |       |     | |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options                    |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                             data                              |
 * ```
 * Fields: ports 16+16, sequence 32, acknowledgment 32, data offset 4 (32-bit words, 5..15),
 * flags 12 (3 reserved bits, AE (RFC 9768, formerly NS), CWR, ECE, URG, ACK, PSH, RST, SYN, FIN;
 * all 12 kept as one number), window 16, checksum 16, urgent pointer 16, options 0..40 bytes.
 *
 * Options (RFC 9293 §3.2): EOL (0) and NOP (1) are one byte; every other kind is kind, length
 * (including kind and length), data. Known: MSS (2, len 4, RFC 9293 §3.7.1), window scale (3, len 3,
 * RFC 7323 §2.2), SACK-permitted (4, len 2) and SACK (5, len 2+8n, RFC 2018 §2-3), timestamps
 * (8, len 10, RFC 7323 §3.2). Other kinds are kept verbatim as `{ kind, data }`. EOL ends the list
 * and appears in it (as tcpdump prints it); bytes after it are padding and are not represented.
 *
 * Checksum: one's complement over the IPv4 pseudo-header (source, destination, zero, protocol 6,
 * segment length) and the whole segment (RFC 9293 §3.1). A segment has no length field, so the bytes
 * handed to `parseTcp`/`TcpView` must be exactly the IP payload.
 *
 * Error contract: view accessors never throw once `checkLen()` returns null; `parseTcp` never throws
 * and returns a typed failure (short header or data offset past the bytes → truncated; data offset
 * below 5, an option with length < 2, running past the header, or the wrong length for a known kind
 * → malformed; checksum mismatch → checksum); `emitHeader`/`encode` throw only on a programmer error.
 *
 * `toString()` follows tcpdump -nn but prints absolute sequence numbers throughout (`seq 1:101`
 * means absolute 1..101): tcpdump's relative numbers need per-connection state a codec lacks.
 */

import { type Ipv4Addr, ipv4ToString } from './addr.ts';
import { assertUint, setU16, setU32, u16, u32 } from './bytes.ts';
import { finish, pseudoChecksum, pseudoHeaderSum, sumWords, updateChecksum16, updateChecksum32 } from './checksum.ts';
import { checksumShouldBe } from './ipv4.ts';
import { EMPTY, type Layer, isPseudoHeaderSource } from './layer.ts';
import { type DecodeError, type ParseOptions, type Result, decodeError, fail, ok } from './result.ts';
import type { PseudoAddrs } from './udp.ts';

export type { PseudoAddrs } from './udp.ts';

const F = { srcPort: 0, dstPort: 2, seq: 4, ack: 8, dataOffset: 12, flags: 12, window: 14, checksum: 16, urgent: 18, options: 20 } as const;

/** Field offsets within a TCP header. */
export const TCP_OFFSETS = F;

export const TCP_HEADER_LEN = 20;
/** Largest header: data offset 15 words. */
export const TCP_MAX_HEADER_LEN = 60;
/** IP protocol number of TCP. */
const PROTO_TCP = 6;

/** Flag bits of the 12-bit flags field (low 12 bits of header bytes 12-13). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  /** Accurate ECN (RFC 9768); was NS (RFC 3540). */
  AE: 0x100,
  /** The three bits still reserved (RFC 9293 §3.1). */
  RESERVED: 0xe00,
} as const;

/** Option kinds with a dedicated representation. */
export const TcpOptionKind = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

export interface SackBlock {
  /** Left edge: first sequence number of the block. */
  readonly left: number;
  /** Right edge: sequence number just past the block. */
  readonly right: number;
}

export type TcpOption =
  | { readonly kind: 'eol' }
  | { readonly kind: 'nop' }
  | { readonly kind: 'mss'; readonly mss: number }
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'sack'; readonly blocks: readonly SackBlock[] }
  | { readonly kind: 'ts'; readonly tsval: number; readonly tsecr: number }
  /** Any other kind (2..255), data without kind and length bytes; emitted verbatim. */
  | { readonly kind: number; readonly data: Uint8Array };

export interface TcpParseOptions extends ParseOptions {
  /** When given (and policy is verify), the checksum is verified against this pseudo-header. */
  readonly pseudo?: PseudoAddrs;
}

// Flag letters in tcpdump's order (print-tcp.c tcp_flag_values); ACK prints as '.'.
const FLAG_CHARS: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
  [TcpFlag.AE, 'e'],
];

/** tcpdump's flag text in brackets: `[S]`, `[S.]`, `[P.]`, `[F.]`, `[R]`, `[R.]`, `[.]`, `[none]`. */
export function tcpFlagsString(flags: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_CHARS) if (flags & bit) s += ch;
  return `[${s || 'none'}]`;
}

/**
 * Checks the options area b[start, end) (RFC 9293 §3.2). Returns null or a message; allocation-free
 * so parse stays cheap, the option objects are built only when `options` is read.
 */
function checkOptions(b: Uint8Array, start: number, end: number): DecodeError | null {
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) return null;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return decodeError('malformed', 'tcp', `option kind ${kind} has no length byte`, i);
    const len = b[i + 1]!;
    if (len < 2) return decodeError('malformed', 'tcp', `option kind ${kind} has length ${len}, below 2`, i + 1);
    if (i + len > end) return decodeError('malformed', 'tcp', `option kind ${kind} of length ${len} runs past the header`, i + 1);
    let want = 0;
    switch (kind) {
      case 2:
        want = 4;
        break;
      case 3:
        want = 3;
        break;
      case 4:
        want = 2;
        break;
      case 8:
        want = 10;
        break;
      case 5:
        // One to four blocks of 8 bytes (RFC 2018 §3); four fit only without timestamps.
        if (len < 10 || (len - 2) % 8 !== 0) return decodeError('malformed', 'tcp', `SACK option length ${len} is not 2 + 8n`, i + 1);
        break;
    }
    if (want !== 0 && len !== want) return decodeError('malformed', 'tcp', `option kind ${kind} has length ${len}, expected ${want}`, i + 1);
    i += len;
  }
  return null;
}

/** Builds the option list from an area that `checkOptions` accepted. */
function decodeOptions(b: Uint8Array, start: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) {
      out.push({ kind: 'eol' });
      break;
    }
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = b[i + 1]!;
    switch (kind) {
      case 2:
        out.push({ kind: 'mss', mss: u16(b, i + 2) });
        break;
      case 3:
        out.push({ kind: 'wscale', shift: b[i + 2]! });
        break;
      case 4:
        out.push({ kind: 'sackOK' });
        break;
      case 5: {
        const blocks: SackBlock[] = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push({ left: u32(b, j), right: u32(b, j + 4) });
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 8:
        out.push({ kind: 'ts', tsval: u32(b, i + 2), tsecr: u32(b, i + 6) });
        break;
      default:
        out.push({ kind, data: b.subarray(i + 2, i + len) });
    }
    i += len;
  }
  return out;
}

/** Unpadded byte length of an option list; throws on an option that cannot be encoded. */
function optionsLen(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) {
    switch (o.kind) {
      case 'eol':
      case 'nop':
        n += 1;
        break;
      case 'mss':
        n += 4;
        break;
      case 'wscale':
        n += 3;
        break;
      case 'sackOK':
        n += 2;
        break;
      case 'sack':
        n += 2 + 8 * o.blocks.length;
        break;
      case 'ts':
        n += 10;
        break;
      default:
        n += 2 + o.data.length;
    }
  }
  return n;
}

/** Writes options at buf[off...]; returns the offset after them. Throws on a value that does not fit. */
function writeOptions(buf: Uint8Array, off: number, opts: readonly TcpOption[]): number {
  let i = off;
  for (const o of opts) {
    switch (o.kind) {
      case 'eol':
        buf[i++] = 0;
        break;
      case 'nop':
        buf[i++] = 1;
        break;
      case 'mss':
        assertUint('tcp option mss', o.mss, 16);
        buf[i] = 2;
        buf[i + 1] = 4;
        setU16(buf, i + 2, o.mss);
        i += 4;
        break;
      case 'wscale':
        assertUint('tcp option wscale shift', o.shift, 8);
        buf[i] = 3;
        buf[i + 1] = 3;
        buf[i + 2] = o.shift;
        i += 3;
        break;
      case 'sackOK':
        buf[i] = 4;
        buf[i + 1] = 2;
        i += 2;
        break;
      case 'sack':
        // One to four blocks (RFC 2018 §3: at most 4 fit in 40 bytes).
        if (o.blocks.length < 1 || o.blocks.length > 4) throw new RangeError(`tcp SACK option with ${o.blocks.length} blocks (1..4)`);
        buf[i] = 5;
        buf[i + 1] = 2 + 8 * o.blocks.length;
        i += 2;
        for (const blk of o.blocks) {
          assertUint('tcp SACK left edge', blk.left, 32);
          assertUint('tcp SACK right edge', blk.right, 32);
          setU32(buf, i, blk.left);
          setU32(buf, i + 4, blk.right);
          i += 8;
        }
        break;
      case 'ts':
        assertUint('tcp option tsval', o.tsval, 32);
        assertUint('tcp option tsecr', o.tsecr, 32);
        buf[i] = 8;
        buf[i + 1] = 10;
        setU32(buf, i + 2, o.tsval);
        setU32(buf, i + 6, o.tsecr);
        i += 10;
        break;
      default:
        // Kinds 0 and 1 have no length byte, so they cannot carry data.
        if (!Number.isInteger(o.kind) || o.kind < 2 || o.kind > 255) throw new RangeError(`tcp option kind ${o.kind} cannot be emitted with data`);
        if (o.data.length > 38) throw new RangeError(`tcp option kind ${o.kind} with ${o.data.length} data bytes does not fit`);
        buf[i] = o.kind;
        buf[i + 1] = 2 + o.data.length;
        buf.set(o.data, i + 2);
        i += 2 + o.data.length;
    }
  }
  return i;
}

function formatOption(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOK':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.length} ${o.blocks.map((b) => `{${b.left}:${b.right}}`).join('')}`;
    case 'ts':
      return `TS val ${o.tsval} ecr ${o.tsecr}`;
    default: {
      let hex = '';
      for (const x of o.data) hex += x.toString(16).padStart(2, '0');
      return hex ? `unknown-${o.kind} 0x${hex}` : `unknown-${o.kind}`;
    }
  }
}

/** Zero-copy view over a TCP segment (`bytes` is exactly the IP payload). */
export class TcpView {
  constructor(public bytes: Uint8Array) {}

  /** Null when the fixed header and the data offset fit the bytes. Options are not checked. */
  checkLen(): DecodeError | null {
    const b = this.bytes;
    if (b.length < TCP_HEADER_LEN) return decodeError('truncated', 'tcp', `${b.length} bytes, header needs ${TCP_HEADER_LEN}`);
    const doff = b[F.dataOffset]! >>> 4;
    if (doff < 5) return decodeError('malformed', 'tcp', `data offset ${doff} words is below the minimum of 5`, F.dataOffset);
    if (doff * 4 > b.length) return decodeError('truncated', 'tcp', `header of ${doff * 4} bytes exceeds the ${b.length} bytes available`, F.dataOffset);
    return null;
  }

  get srcPort(): number {
    return u16(this.bytes, F.srcPort);
  }
  set srcPort(v: number) {
    setU16(this.bytes, F.srcPort, v);
  }
  get dstPort(): number {
    return u16(this.bytes, F.dstPort);
  }
  set dstPort(v: number) {
    setU16(this.bytes, F.dstPort, v);
  }
  get seq(): number {
    return u32(this.bytes, F.seq);
  }
  set seq(v: number) {
    setU32(this.bytes, F.seq, v);
  }
  get ack(): number {
    return u32(this.bytes, F.ack);
  }
  set ack(v: number) {
    setU32(this.bytes, F.ack, v);
  }
  /** In 32-bit words. */
  get dataOffset(): number {
    return this.bytes[F.dataOffset]! >>> 4;
  }
  set dataOffset(v: number) {
    const b = this.bytes;
    b[F.dataOffset] = ((v & 0xf) << 4) | (b[F.dataOffset]! & 0x0f);
  }
  get headerLen(): number {
    return (this.bytes[F.dataOffset]! >>> 4) * 4;
  }
  /** The 12 flag bits, reserved and AE included (see `TcpFlag`). */
  get flags(): number {
    return u16(this.bytes, F.flags) & 0x0fff;
  }
  set flags(v: number) {
    const b = this.bytes;
    b[F.flags] = (b[F.flags]! & 0xf0) | ((v >>> 8) & 0x0f);
    b[F.flags + 1] = v & 0xff;
  }
  hasFlag(bit: number): boolean {
    return (u16(this.bytes, F.flags) & bit) !== 0;
  }
  get window(): number {
    return u16(this.bytes, F.window);
  }
  set window(v: number) {
    setU16(this.bytes, F.window, v);
  }
  get checksum(): number {
    return u16(this.bytes, F.checksum);
  }
  set checksum(v: number) {
    setU16(this.bytes, F.checksum, v);
  }
  get urgentPointer(): number {
    return u16(this.bytes, F.urgent);
  }
  set urgentPointer(v: number) {
    setU16(this.bytes, F.urgent, v);
  }
  /** Raw options area (with padding). */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(F.options, this.headerLen);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }

  /** True when the checksum verifies over the pseudo-header and the whole segment. */
  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): boolean {
    const b = this.bytes;
    return pseudoChecksum(src, dst, PROTO_TCP, b, 0, b.length) === 0;
  }

  /** Computes and stores the checksum over the whole segment. */
  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    const b = this.bytes;
    setU16(b, F.checksum, 0);
    setU16(b, F.checksum, pseudoChecksum(src, dst, PROTO_TCP, b, 0, b.length));
  }
}

export interface TcpInit {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  checksum?: number;
  urgentPointer?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
}

const NO_INIT: TcpInit = Object.freeze({});

// Lets parseTcp hand over the validated options area without a public setter (set in Tcp's static block).
let setRawOptions: (t: Tcp, bytes: Uint8Array, start: number, end: number) => void;
// Likewise for the payload, kept as (bytes, offset) until first read.
let setLazyPayload: (t: Tcp, bytes: Uint8Array, start: number, end: number) => void;
/** Clears the options of a reused value (no option bytes, nothing decoded). */
let clearOptions: (t: Tcp) => void;

/** A TCP segment as a value. */
export class Tcp implements Layer {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** 12 bits, see `TcpFlag`. */
  flags: number;
  window: number;
  /**
   * As received by `parseTcp`, or as written by the last emit (gopacket's convention). Emit always
   * computes it from the enclosing layer's pseudo-header, or writes 0 without one (fill it in later
   * with `TcpView.fillChecksum`).
   */
  checksum: number;
  urgentPointer: number;
  // Data; aliases the input after `parseTcp`. Made on first read (see `payload`): a subarray costs
  // about as much as the rest of a decode, and forwarding paths often never look at the data.
  private pl: Uint8Array | null;
  private plSrc: Uint8Array | null;
  private plOff: number;
  private plEnd: number;

  // Options are kept as the received bytes (rawBuf[rawStart, rawEnd)) until first read, so parse allocates
  // no option objects (not even a subarray) and re-emitting an untouched parsed segment reproduces
  // its options byte for byte.
  private opts: TcpOption[] | null;
  private rawBuf: Uint8Array | null;
  private rawStart: number;
  private rawEnd: number;

  constructor(init: TcpInit = NO_INIT) {
    this.srcPort = init.srcPort ?? 0;
    this.dstPort = init.dstPort ?? 0;
    this.seq = init.seq ?? 0;
    this.ack = init.ack ?? 0;
    this.flags = init.flags ?? 0;
    this.window = init.window ?? 0;
    this.checksum = init.checksum ?? 0;
    this.urgentPointer = init.urgentPointer ?? 0;
    this.pl = init.payload ?? EMPTY;
    this.plSrc = null;
    this.plOff = 0;
    this.plEnd = 0;
    this.opts = init.options ?? null;
    this.rawBuf = null;
    this.rawStart = 0;
    this.rawEnd = 0;
  }

  /** Data; aliases the input after `parseTcp`. `encode()` uses it; `serialize` takes the payload separately. */
  get payload(): Uint8Array {
    let p = this.pl;
    if (p === null) {
      p = this.pl = (this.plSrc as Uint8Array).subarray(this.plOff, this.plEnd);
      this.plSrc = null;
    }
    return p;
  }
  set payload(v: Uint8Array) {
    this.pl = v;
    this.plSrc = null;
  }

  /** Options in wire order. After parse they are decoded on first read (the returned array may be edited). */
  get options(): TcpOption[] {
    if (this.opts === null) {
      const r = this.rawBuf;
      this.opts = r === null ? [] : decodeOptions(r, this.rawStart, this.rawEnd);
      this.rawBuf = null;
    }
    return this.opts;
  }
  set options(v: TcpOption[]) {
    this.opts = v;
    this.rawBuf = null;
  }

  hasFlag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  headerLen(): number {
    if (this.opts !== null) return TCP_HEADER_LEN + ((optionsLen(this.opts) + 3) & ~3);
    return this.rawBuf === null ? TCP_HEADER_LEN : TCP_HEADER_LEN + this.rawEnd - this.rawStart;
  }

  emitHeader(buf: Uint8Array, off: number, payloadLen: number, outer: Layer | undefined): void {
    const hl = this.headerLen();
    const pseudo = isPseudoHeaderSource(outer) ? outer.pseudoHeaderSum(PROTO_TCP, hl + payloadLen) : -1;
    this.emitWith(buf, off, hl, payloadLen, pseudo);
  }

  /** Standalone segment; with `pseudo` the checksum is computed, otherwise it is 0. */
  encode(pseudo?: PseudoAddrs): Uint8Array {
    const hl = this.headerLen();
    const len = hl + this.payload.length;
    const buf = new Uint8Array(len);
    buf.set(this.payload, hl);
    this.emitWith(buf, 0, hl, this.payload.length, pseudo ? pseudoHeaderSum(pseudo.src, pseudo.dst, PROTO_TCP, len) : -1);
    return buf;
  }

  /** `pseudoSum` < 0: no pseudo-header available, write checksum 0. */
  private emitWith(buf: Uint8Array, off: number, hl: number, payloadLen: number, pseudoSum: number): void {
    assertUint('tcp srcPort', this.srcPort, 16);
    assertUint('tcp dstPort', this.dstPort, 16);
    assertUint('tcp seq', this.seq, 32);
    assertUint('tcp ack', this.ack, 32);
    assertUint('tcp flags', this.flags, 12);
    assertUint('tcp window', this.window, 16);
    assertUint('tcp urgentPointer', this.urgentPointer, 16);
    if (hl > TCP_MAX_HEADER_LEN) throw new RangeError(`tcp options need a ${hl}-byte header, above ${TCP_MAX_HEADER_LEN}`);
    const end = off + hl + payloadLen;
    if (buf.length < end) throw new RangeError(`tcp: buffer of ${buf.length} bytes cannot hold ${hl + payloadLen} at ${off}`);
    const srcPort = this.srcPort;
    const dstPort = this.dstPort;
    const seq = this.seq;
    const ack = this.ack;
    const offsetFlags = ((hl >>> 2) << 12) | this.flags;
    const window = this.window;
    const urgent = this.urgentPointer;
    setU16(buf, off + F.srcPort, srcPort);
    setU16(buf, off + F.dstPort, dstPort);
    setU32(buf, off + F.seq, seq);
    setU32(buf, off + F.ack, ack);
    setU16(buf, off + F.flags, offsetFlags);
    setU16(buf, off + F.window, window);
    setU16(buf, off + F.urgent, urgent);
    const optEnd = off + hl;
    let i = off + F.options;
    if (this.opts !== null) {
      i = writeOptions(buf, i, this.opts);
    } else if (this.rawBuf !== null) {
      const r = this.rawBuf;
      for (let j = this.rawStart; j < this.rawEnd; j++) buf[i++] = r[j]!;
    }
    // Pad with EOL (zero) to the 32-bit boundary (RFC 9293 §3.1, "Padding").
    while (i < optEnd) buf[i++] = 0;
    // The fixed header's words are summed from the values just written (all checked to fit); options
    // and data from the buffer.
    const c =
      pseudoSum < 0
        ? 0
        : finish(
            sumWords(
              buf,
              off + F.options,
              end,
              pseudoSum + srcPort + dstPort + (seq >>> 16) + (seq & 0xffff) + (ack >>> 16) + (ack & 0xffff) + offsetFlags + window + urgent,
            ),
          );
    setU16(buf, off + F.checksum, c);
    this.checksum = c;
  }

  /**
   * tcpdump -nn style with absolute numbers: `49152 > 80: Flags [S], seq 1000, win 64240, options
   * [mss 1460], length 0`; with `addrs` the endpoints are `10.0.0.1.49152 > 10.0.0.2.80`.
   */
  toString(addrs?: PseudoAddrs): string {
    return addrs ? formatTcp(this, addrs.src, addrs.dst) : `${this.srcPort} > ${this.dstPort}: ${tcpSummary(this)}`;
  }

  static {
    setRawOptions = (t, bytes, start, end) => {
      t.opts = null;
      t.rawBuf = bytes;
      t.rawStart = start;
      t.rawEnd = end;
    };
    clearOptions = (t) => {
      t.opts = null;
      t.rawBuf = null;
      t.rawStart = t.rawEnd = 0;
    };
    setLazyPayload = (t, bytes, start, end) => {
      t.pl = null;
      t.plSrc = bytes;
      t.plOff = start;
      t.plEnd = end;
    };
  }
}

/**
 * Everything after `src > dst: `, in print-tcp.c's order. `cksum` is the -v checksum text inserted
 * after the flags; `vv` (-vv) shows seq on every segment.
 */
function tcpSummary(t: Tcp, cksum = '', vv = false): string {
  const f = t.flags;
  const len = t.payload.length;
  let s = `Flags ${tcpFlagsString(f)}${cksum}`;
  // tcpdump shows seq only when it means something: data, SYN, FIN or RST (or always with -vv).
  if (vv || len > 0 || f & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    s += `, seq ${t.seq}`;
    if (len > 0) s += `:${(t.seq + len) >>> 0}`;
  }
  if (f & TcpFlag.ACK) s += `, ack ${t.ack}`;
  s += `, win ${t.window}`;
  if (f & TcpFlag.URG) s += `, urg ${t.urgentPointer}`;
  if (t.headerLen() > TCP_HEADER_LEN) s += `, options [${t.options.map(formatOption).join(',')}]`;
  return `${s}, length ${len}`;
}

/** tcpdump's line for a TCP segment inside IPv4 (`-nn`, absolute sequence numbers). */
export function formatTcp(tcp: Tcp, src: Ipv4Addr, dst: Ipv4Addr): string {
  return `${ipv4ToString(src)}.${tcp.srcPort} > ${ipv4ToString(dst)}.${tcp.dstPort}: ${tcpSummary(tcp)}`;
}

/**
 * tcpdump -v's line for a TCP segment inside IPv4 (print-tcp.c): as `formatTcp`, with `, cksum 0x1c46
 * (correct)` or `(incorrect -> 0x....)` after the flags when `bytes` (the segment as received) is
 * whole and not a fragment (`verify`), and with -vv (`level` ≥ 2) seq on every segment.
 */
export function formatTcpVerbose(tcp: Tcp, src: Ipv4Addr, dst: Ipv4Addr, bytes: Uint8Array, verify: boolean, level: number): string {
  let cksum = '';
  if (verify) {
    const got = u16(bytes, F.checksum);
    const sum = pseudoChecksum(src, dst, PROTO_TCP, bytes, 0, bytes.length);
    cksum = `, cksum 0x${hex4(got)} ${sum === 0 ? '(correct)' : `(incorrect -> 0x${hex4(checksumShouldBe(got, sum))})`}`;
  }
  return `${ipv4ToString(src)}.${tcp.srcPort} > ${ipv4ToString(dst)}.${tcp.dstPort}: ${tcpSummary(tcp, cksum, level >= 2)}`;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/**
 * Decodes a TCP segment; `bytes` must be exactly the IP payload. The checksum is verified only when
 * `opts.pseudo` is given and the policy is verify (the default).
 */
export function parseTcp(bytes: Uint8Array, opts?: TcpParseOptions): Result<Tcp> {
  const n = bytes.length;
  if (n < TCP_HEADER_LEN) return fail('truncated', 'tcp', `${n} bytes, header needs ${TCP_HEADER_LEN}`);
  const hl = (bytes[F.dataOffset]! >>> 4) * 4;
  if (hl < TCP_HEADER_LEN) return fail('malformed', 'tcp', `data offset ${hl >>> 2} words is below the minimum of 5`, F.dataOffset);
  if (hl > n) return fail('truncated', 'tcp', `header of ${hl} bytes exceeds the ${n} bytes available`, F.dataOffset);
  if (hl > TCP_HEADER_LEN) {
    const e = checkOptions(bytes, TCP_HEADER_LEN, hl);
    if (e !== null) return { ok: false, error: e };
  }
  const checksum = u16(bytes, F.checksum);
  const pseudo = opts?.pseudo;
  if (pseudo && opts.checksum !== 'ignore') {
    if (pseudoChecksum(pseudo.src, pseudo.dst, PROTO_TCP, bytes, 0, n) !== 0) {
      return fail('checksum', 'tcp', `bad checksum 0x${checksum.toString(16).padStart(4, '0')}`, F.checksum);
    }
  }
  const t = new Tcp();
  t.srcPort = u16(bytes, F.srcPort);
  t.dstPort = u16(bytes, F.dstPort);
  t.seq = u32(bytes, F.seq);
  t.ack = u32(bytes, F.ack);
  t.flags = u16(bytes, F.flags) & 0x0fff;
  t.window = u16(bytes, F.window);
  t.checksum = checksum;
  t.urgentPointer = u16(bytes, F.urgent);
  setLazyPayload(t, bytes, hl, bytes.length);
  if (hl > TCP_HEADER_LEN) setRawOptions(t, bytes, TCP_HEADER_LEN, hl);
  return ok(t);
}

/** Drops every option of `t` (a value reused for another segment). */
export function clearTcpOptions(t: Tcp): void {
  clearOptions(t);
}

/**
 * parseTcp without checksum verification, refilling `t` (every field) instead of allocating; for
 * receive paths that are done with the previous segment. Returns false where parseTcp would fail.
 */
export function decodeTcpInto(t: Tcp, bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  const n = end - start;
  if (n < TCP_HEADER_LEN) return false;
  const o = start;
  const hl = (bytes[o + F.dataOffset]! >>> 4) * 4;
  if (hl < TCP_HEADER_LEN || hl > n) return false;
  if (hl > TCP_HEADER_LEN && checkOptions(bytes, o + TCP_HEADER_LEN, o + hl) !== null) return false;
  t.srcPort = u16(bytes, o + F.srcPort);
  t.dstPort = u16(bytes, o + F.dstPort);
  t.seq = u32(bytes, o + F.seq);
  t.ack = u32(bytes, o + F.ack);
  t.flags = u16(bytes, o + F.flags) & 0x0fff;
  t.window = u16(bytes, o + F.window);
  t.checksum = u16(bytes, o + F.checksum);
  t.urgentPointer = u16(bytes, o + F.urgent);
  setLazyPayload(t, bytes, o + hl, end);
  if (hl > TCP_HEADER_LEN) setRawOptions(t, bytes, o + TCP_HEADER_LEN, o + hl);
  else clearOptions(t);
  return true;
}

// NAT helpers: in-place rewrites with RFC 1624 incremental checksum updates (TCP always has one).

/**
 * NAT on a segment where it sits, `b[off..]` (a forwarded frame): the pseudo-header address `oldAddr`
 * becomes `newAddr` and the ports `srcPort`, `dstPort`, the checksum patched incrementally (RFC 1624,
 * RFC 3022 §4.2) exactly as tcpUpdateForAddressChange then tcpRewritePorts would. Returns whether the
 * ports changed.
 */
export function tcpNatAt(b: Uint8Array, off: number, oldAddr: Ipv4Addr, newAddr: Ipv4Addr, srcPort: number, dstPort: number): boolean {
  let c = u16(b, off + F.checksum);
  if (oldAddr !== newAddr) c = updateChecksum32(c, oldAddr, newAddr);
  const sp = u16(b, off + F.srcPort);
  const dp = u16(b, off + F.dstPort);
  const ports = sp !== srcPort || dp !== dstPort;
  if (ports) {
    c = updateChecksum16(updateChecksum16(c, sp, srcPort), dp, dstPort);
    setU16(b, off + F.srcPort, srcPort);
    setU16(b, off + F.dstPort, dstPort);
  }
  setU16(b, off + F.checksum, c);
  return ports;
}

/** Rewrites the ports, updating the checksum incrementally. */
export function tcpRewritePorts(view: TcpView, srcPort: number, dstPort: number): void {
  let c = view.checksum;
  c = updateChecksum16(c, view.srcPort, srcPort);
  c = updateChecksum16(c, view.dstPort, dstPort);
  view.checksum = c;
  view.srcPort = srcPort;
  view.dstPort = dstPort;
}

/** Adjusts the checksum for a pseudo-header address change (the IP header is rewritten by the caller). */
export function tcpUpdateForAddressChange(view: TcpView, oldAddr: Ipv4Addr, newAddr: Ipv4Addr): void {
  view.checksum = updateChecksum32(view.checksum, oldAddr, newAddr);
}
