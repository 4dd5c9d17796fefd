/**
 * IPv4 (RFC 791; DSCP/ECN per RFC 2474 and RFC 3168; the reserved flag per RFC 791 §3.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |   4 | 4 | 6 | 2 | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |R|D|M|     Fragment Offset     |   16 | 1 | 1 | 1 | 13 (8-octet units)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |   8 | 8 | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |   32
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |   32
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |   0..40 bytes, IHL*4 - 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * The payload is exactly Total Length - IHL*4 bytes; anything after Total Length (Ethernet padding)
 * is ignored. Options are kept as raw bytes (`options`), validated by `parseIpv4` and listed for
 * display by `ipv4Options`. `emitHeader` pads options to a 4-byte multiple with EOL (zero) octets and
 * always computes the header checksum (the parsed `checksum` field is informational).
 *
 * Error contract: accessors of `Ipv4View` never throw after `checkLen()` returned null; `parseIpv4`
 * never throws: fewer than 20 bytes, or fewer than IHL*4 or Total Length bytes → 'truncated';
 * version ≠ 4, IHL < 5, Total Length < IHL*4, or an option overrunning the header → 'malformed'; a
 * header checksum mismatch under the 'verify' policy → 'checksum'. `emitHeader`/`encode` throw a
 * RangeError only on a programmer error (a field that does not fit, a packet above 65535 bytes).
 */

import { ipv4ToString, type Ipv4Addr } from './addr.ts';
import { assertUint, setU16, setU32, u16, u32 } from './bytes.ts';
import { finish, internetChecksum, pseudoHeaderSum, sumWords, updateChecksum16, updateChecksum32 } from './checksum.ts';
import { EMPTY, serialize, type Layer, type PseudoHeaderSource } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_OPTIONS_LEN = 40;

/** Option types (RFC 791 §3.1, RFC 2113 router alert). */
export const IPOPT_EOL = 0;
export const IPOPT_NOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_SECURITY = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

const F = {
  verIhl: 0,
  tos: 1,
  totalLen: 2,
  id: 4,
  flagsFrag: 6,
  ttl: 8,
  protocol: 9,
  checksum: 10,
  src: 12,
  dst: 16,
  options: 20,
} as const;

/** Field offsets within an IPv4 header. */
export const IPV4_OFFSETS = F;

const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_MASK = 0x1fff;

const PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

/** tcpdump's name for an IP protocol number ('TCP', 'UDP', 'ICMP', ...); 'unknown' for others. */
export function ipProtocolName(n: number): string {
  return PROTO_NAMES.get(n) ?? 'unknown';
}

export interface Ipv4ParseOptions extends ParseOptions {
  /**
   * Accept Total Length beyond the available bytes and take the payload that is present. For the
   * datagram quoted in an ICMP error (RFC 792), which is cut after 8 or more payload bytes.
   */
  readonly partial?: boolean;
}

/**
 * Zero-copy view over an IPv4 packet, for the forwarding path. The datagram is `buf[off, end)`: a
 * node views it where it sits in the received frame (after the Ethernet header, before any padding)
 * without making a subarray per packet; `bytes` makes one on first use for callers that want it.
 */
export class Ipv4View {
  // Not readonly only so that `reset` can re-point a pooled view; nothing else assigns them.
  /** The buffer holding the datagram (often the whole frame). */
  buf: Uint8Array;
  /** Where the IPv4 header starts in `buf`. */
  off: number;
  /** Where the datagram ends in `buf` (exclusive). */
  end: number;
  private sub: Uint8Array | null;

  constructor(buf: Uint8Array, off = 0, end = buf.length) {
    this.buf = buf;
    this.off = off;
    this.end = end;
    this.sub = off === 0 && end === buf.length ? buf : null;
  }

  /** @internal Re-points the view at another datagram (a node reuses one view per nesting depth). */
  reset(buf: Uint8Array, off: number, end: number): this {
    this.buf = buf;
    this.off = off;
    this.end = end;
    this.sub = off === 0 && end === buf.length ? buf : null;
    return this;
  }

  /** The datagram bytes, `buf[off, end)`, header first. */
  get bytes(): Uint8Array {
    let s = this.sub;
    if (s === null) s = this.sub = this.buf.subarray(this.off, this.end);
    return s;
  }

  /** Length of the viewed bytes (Total Length when the datagram is whole). */
  get length(): number {
    return this.end - this.off;
  }

  /** The same length/shape checks as `parseIpv4` without the checksum and option checks. */
  checkLen(): DecodeError | null {
    return checkShapeAt(this.buf, this.off, this.end, false);
  }

  get version(): number {
    return this.buf[this.off + F.verIhl]! >>> 4;
  }
  get ihl(): number {
    return this.buf[this.off + F.verIhl]! & 0x0f;
  }
  get headerLen(): number {
    return (this.buf[this.off + F.verIhl]! & 0x0f) << 2;
  }
  get tos(): number {
    return this.buf[this.off + F.tos]!;
  }
  set tos(v: number) {
    this.buf[this.off + F.tos] = v;
  }
  get dscp(): number {
    return this.buf[this.off + F.tos]! >>> 2;
  }
  get ecn(): number {
    return this.buf[this.off + F.tos]! & 0x03;
  }
  get totalLen(): number {
    return u16(this.buf, this.off + F.totalLen);
  }
  set totalLen(v: number) {
    setU16(this.buf, this.off + F.totalLen, v);
  }
  get id(): number {
    return u16(this.buf, this.off + F.id);
  }
  set id(v: number) {
    setU16(this.buf, this.off + F.id, v);
  }
  get flagsFrag(): number {
    return u16(this.buf, this.off + F.flagsFrag);
  }
  set flagsFrag(v: number) {
    setU16(this.buf, this.off + F.flagsFrag, v);
  }
  get df(): boolean {
    return (this.buf[this.off + F.flagsFrag]! & 0x40) !== 0;
  }
  get mf(): boolean {
    return (this.buf[this.off + F.flagsFrag]! & 0x20) !== 0;
  }
  /** Fragment offset in 8-octet units. */
  get fragOffset(): number {
    return u16(this.buf, this.off + F.flagsFrag) & FRAG_MASK;
  }
  /** MF set or a non-zero offset (RFC 791 §3.2). */
  get isFragment(): boolean {
    return (u16(this.buf, this.off + F.flagsFrag) & (FLAG_MF | FRAG_MASK)) !== 0;
  }
  get ttl(): number {
    return this.buf[this.off + F.ttl]!;
  }
  /** Raw store; `decrementTtl` also patches the checksum. */
  set ttl(v: number) {
    this.buf[this.off + F.ttl] = v;
  }
  get protocol(): number {
    return this.buf[this.off + F.protocol]!;
  }
  set protocol(v: number) {
    this.buf[this.off + F.protocol] = v;
  }
  get checksum(): number {
    return u16(this.buf, this.off + F.checksum);
  }
  set checksum(v: number) {
    setU16(this.buf, this.off + F.checksum, v);
  }
  get src(): Ipv4Addr {
    return u32(this.buf, this.off + F.src);
  }
  /** Raw store; `rewriteSrc` also patches the checksum. */
  set src(v: Ipv4Addr) {
    setU32(this.buf, this.off + F.src, v);
  }
  get dst(): Ipv4Addr {
    return u32(this.buf, this.off + F.dst);
  }
  /** Raw store; `rewriteDst` also patches the checksum. */
  set dst(v: Ipv4Addr) {
    setU32(this.buf, this.off + F.dst, v);
  }
  get options(): Uint8Array {
    return this.buf.subarray(this.off + F.options, this.off + this.headerLen);
  }
  /** Bytes IHL*4 .. Total Length (Ethernet padding excluded). */
  get payload(): Uint8Array {
    const o = this.off;
    return this.buf.subarray(o + this.headerLen, o + u16(this.buf, o + F.totalLen));
  }
  /** Where the payload (the TCP/UDP/ICMP header) starts in `buf`. */
  get payloadOffset(): number {
    return this.off + ((this.buf[this.off + F.verIhl]! & 0x0f) << 2);
  }
  verifyChecksum(): boolean {
    return internetChecksum(this.buf, this.off, this.off + this.headerLen) === 0;
  }
  /** Recomputes the header checksum from scratch. */
  fillChecksum(): void {
    const b = this.buf;
    const o = this.off;
    setU16(b, o + F.checksum, 0);
    setU16(b, o + F.checksum, internetChecksum(b, o, o + this.headerLen));
  }
}

/**
 * Decrements the TTL (RFC 1812 §5.3.1) and patches the header checksum incrementally (RFC 1624).
 * Returns the new TTL. A TTL already 0 is left as is and 0 returned: the caller discards the packet
 * (and sends ICMP time exceeded) whenever the result is 0.
 */
export function decrementTtl(v: Ipv4View): number {
  const b = v.buf;
  const o = v.off;
  const ttl = b[o + F.ttl]!;
  if (ttl === 0) return 0;
  const proto = b[o + F.protocol]!;
  b[o + F.ttl] = ttl - 1;
  setU16(b, o + F.checksum, updateChecksum16(u16(b, o + F.checksum), (ttl << 8) | proto, ((ttl - 1) << 8) | proto));
  return ttl - 1;
}

/**
 * Sets the source address and patches the header checksum (RFC 1624). Returns the old address so the
 * caller can patch the TCP/UDP checksum, which covers it through the pseudo-header (RFC 3022 §4.2).
 */
export function rewriteSrc(v: Ipv4View, addr: Ipv4Addr): Ipv4Addr {
  return rewriteAddr(v.buf, v.off, F.src, addr);
}

/** As `rewriteSrc`, for the destination address. */
export function rewriteDst(v: Ipv4View, addr: Ipv4Addr): Ipv4Addr {
  return rewriteAddr(v.buf, v.off, F.dst, addr);
}

function rewriteAddr(b: Uint8Array, o: number, at: number, addr: Ipv4Addr): Ipv4Addr {
  const old = u32(b, o + at);
  setU32(b, o + at, addr);
  setU16(b, o + F.checksum, updateChecksum32(u16(b, o + F.checksum), old, addr));
  return old;
}

/** One option as listed for display; EOL and NOP have len 1 and no data. */
export interface Ipv4Option {
  readonly type: number;
  readonly len: number;
  readonly data: Uint8Array;
}

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [IPOPT_EOL, 'EOL'],
  [IPOPT_NOP, 'NOP'],
  [IPOPT_RR, 'RR'],
  [IPOPT_TS, 'timestamp'],
  [IPOPT_SECURITY, 'security'],
  [IPOPT_LSRR, 'LSRR'],
  [IPOPT_SSRR, 'SSRR'],
  [IPOPT_RA, 'RA'],
  [82, 'traceroute'],
]);

export function ipv4OptionName(type: number): string {
  return OPTION_NAMES.get(type) ?? `unknown ${type}`;
}

/**
 * Where the options area stops making sense (RFC 791 §3.1: a type octet, then for all but EOL and
 * NOP a length octet counting type and length, ≥ 2, within the area), or -1 when it is well-formed.
 */
function badOptionAt(raw: Uint8Array): number {
  let i = 0;
  while (i < raw.length) {
    const t = raw[i]!;
    if (t === IPOPT_EOL) return -1;
    if (t === IPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= raw.length) return i;
    const len = raw[i + 1]!;
    if (len < 2 || i + len > raw.length) return i;
    i += len;
  }
  return -1;
}

/** Lists options for display, up to and including EOL; stops at the first malformed one. */
export function ipv4Options(raw: Uint8Array): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  let i = 0;
  while (i < raw.length) {
    const t = raw[i]!;
    if (t === IPOPT_EOL || t === IPOPT_NOP) {
      out.push({ type: t, len: 1, data: EMPTY });
      if (t === IPOPT_EOL) break;
      i++;
      continue;
    }
    if (i + 1 >= raw.length) break;
    const len = raw[i + 1]!;
    if (len < 2 || i + len > raw.length) break;
    out.push({ type: t, len, data: raw.subarray(i + 2, i + len) });
    i += len;
  }
  return out;
}

/** Encodes options for `Ipv4.options` (unpadded; emit pads). */
export function encodeIpv4Options(opts: readonly { type: number; data?: Uint8Array }[]): Uint8Array {
  let n = 0;
  for (const o of opts) n += o.type === IPOPT_EOL || o.type === IPOPT_NOP ? 1 : 2 + (o.data?.length ?? 0);
  const out = new Uint8Array(n);
  let i = 0;
  for (const o of opts) {
    assertUint('ipv4 option type', o.type, 8);
    out[i++] = o.type;
    if (o.type === IPOPT_EOL || o.type === IPOPT_NOP) continue;
    const d = o.data ?? EMPTY;
    assertUint('ipv4 option length', 2 + d.length, 8);
    out[i++] = 2 + d.length;
    out.set(d, i);
    i += d.length;
  }
  return out;
}

export interface Ipv4Init {
  readonly dscp?: number;
  readonly ecn?: number;
  readonly id?: number;
  readonly df?: boolean;
  readonly mf?: boolean;
  readonly reservedBit?: boolean;
  /** In 8-octet units, as on the wire. */
  readonly fragOffset?: number;
  readonly ttl?: number;
  readonly protocol?: number;
  readonly checksum?: number;
  readonly src?: Ipv4Addr;
  readonly dst?: Ipv4Addr;
  readonly options?: Uint8Array;
  readonly payload?: Uint8Array;
}

const NONE: Ipv4Init = {};

export class Ipv4 implements Layer, PseudoHeaderSource {
  dscp: number;
  ecn: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** The "evil bit" (RFC 791 reserved, must be zero; kept so rewrites do not change it). */
  reservedBit: boolean;
  /** Fragment offset in 8-octet units. */
  fragOffset: number;
  ttl: number;
  protocol: number;
  /** The checksum as parsed; emit always computes it. */
  checksum: number;
  src: Ipv4Addr;
  dst: Ipv4Addr;
  /** Raw option bytes (a parsed value includes the padding). */
  options: Uint8Array;
  payload: Uint8Array;

  constructor(init: Ipv4Init = NONE) {
    this.dscp = init.dscp ?? 0;
    this.ecn = init.ecn ?? 0;
    this.id = init.id ?? 0;
    this.df = init.df ?? false;
    this.mf = init.mf ?? false;
    this.reservedBit = init.reservedBit ?? false;
    this.fragOffset = init.fragOffset ?? 0;
    this.ttl = init.ttl ?? 64;
    this.protocol = init.protocol ?? 0;
    this.checksum = init.checksum ?? 0;
    this.src = init.src ?? 0;
    this.dst = init.dst ?? 0;
    this.options = init.options ?? EMPTY;
    this.payload = init.payload ?? EMPTY;
  }

  headerLen(): number {
    return IPV4_MIN_HEADER_LEN + ((this.options.length + 3) & ~3);
  }

  /** Total Length of this packet with its current payload. */
  totalLength(): number {
    return this.headerLen() + this.payload.length;
  }

  pseudoHeaderSum(protocol: number, upperLength: number): number {
    return pseudoHeaderSum(this.src, this.dst, protocol, upperLength);
  }

  emitHeader(buf: Uint8Array, off: number, payloadLen: number, _outer?: Layer): void {
    const hlen = this.headerLen();
    if (hlen > IPV4_MAX_HEADER_LEN) throw new RangeError(`ipv4 options of ${this.options.length} bytes exceed ${IPV4_MAX_OPTIONS_LEN}`);
    const total = hlen + payloadLen;
    if (total > 0xffff) throw new RangeError(`ipv4 total length ${total} exceeds 65535`);
    if (off + total > buf.length) throw new RangeError(`ipv4: buffer of ${buf.length} bytes too small at offset ${off}`);
    assertUint('ipv4 dscp', this.dscp, 6);
    assertUint('ipv4 ecn', this.ecn, 2);
    assertUint('ipv4 id', this.id, 16);
    assertUint('ipv4 fragOffset', this.fragOffset, 13);
    assertUint('ipv4 ttl', this.ttl, 8);
    assertUint('ipv4 protocol', this.protocol, 8);
    assertUint('ipv4 src', this.src, 32);
    assertUint('ipv4 dst', this.dst, 32);
    const verIhlTos = ((0x40 | (hlen >>> 2)) << 8) | (this.dscp << 2) | this.ecn;
    const flagsFrag =
      (this.reservedBit ? FLAG_RESERVED : 0) | (this.df ? FLAG_DF : 0) | (this.mf ? FLAG_MF : 0) | this.fragOffset;
    const ttlProtocol = (this.ttl << 8) | this.protocol;
    const src = this.src;
    const dst = this.dst;
    setU16(buf, off + F.verIhl, verIhlTos);
    setU16(buf, off + F.totalLen, total);
    setU16(buf, off + F.id, this.id);
    setU16(buf, off + F.flagsFrag, flagsFrag);
    setU16(buf, off + F.ttl, ttlProtocol);
    setU32(buf, off + F.src, src);
    setU32(buf, off + F.dst, dst);
    // The fixed header's words are summed from the values just written (all checked to fit) rather
    // than read back; only options are summed from the buffer.
    let sum = verIhlTos + total + this.id + flagsFrag + ttlProtocol + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
    if (hlen > IPV4_MIN_HEADER_LEN) {
      buf.set(this.options, off + F.options);
      buf.fill(0, off + F.options + this.options.length, off + hlen);
      sum = sumWords(buf, off + F.options, off + hlen, sum);
    }
    setU16(buf, off + F.checksum, finish(sum));
  }

  encode(): Uint8Array {
    return serialize([this], this.payload);
  }

  /** tcpdump -v style: `IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60) 10.0.0.1 > 10.0.0.2`. */
  toString(): string {
    const tos = (this.dscp << 2) | this.ecn;
    let s = `IP (tos 0x${tos.toString(16)}`;
    if (this.ecn !== 0) s += `,${ECN_NAMES[this.ecn]}`;
    s += `, ttl ${this.ttl}, id ${this.id}, offset ${this.fragOffset * 8}, flags [${this.flagsText()}]`;
    s += `, proto ${ipProtocolName(this.protocol)} (${this.protocol}), length ${this.totalLength()}`;
    if (this.options.length > 0) s += `, options (${ipv4Options(this.options).map((o) => ipv4OptionName(o.type)).join(',')})`;
    return `${s}) ${ipv4ToString(this.src)} > ${ipv4ToString(this.dst)}`;
  }

  /** tcpdump's flag text: 'none', 'DF', '+' (MF), 'DF+', 'rsvd...'. */
  flagsText(): string {
    const s = (this.reservedBit ? 'rsvd' : '') + (this.df ? 'DF' : '') + (this.mf ? '+' : '');
    return s === '' ? 'none' : s;
  }
}

const ECN_NAMES = ['', 'ECT(1)', 'ECT(0)', 'CE'] as const;

/**
 * The parenthesised header tcpdump -v prints after `IP ` (print-ip.c ip_print): `(tos 0x0, ttl 64,
 * id 1, offset 0, flags [DF], proto TCP (6), length 60[, options (...)][, bad cksum 1234 (->abcd)!])`.
 * Read from the raw header in `b` (at least IHL*4 bytes, as `parseIpv4` checked), so that the
 * header checksum can be verified as received.
 */
export function ipv4VerboseHeader(b: Uint8Array): string {
  const tos = b[F.tos]!;
  const ff = u16(b, F.flagsFrag);
  const hlen = (b[F.verIhl]! & 0x0f) << 2;
  const proto = b[F.protocol]!;
  let s = `(tos 0x${tos.toString(16)}${ECN_VERBOSE[tos & 3]}`;
  // print-ip.c omits a TTL of 0.
  if (b[F.ttl]! >= 1) s += `, ttl ${b[F.ttl]!}`;
  s += `, id ${u16(b, F.id)}, offset ${(ff & FRAG_MASK) * 8}, flags [${ipv4FragFlagsText(ff)}], proto ${ipProtocolName(proto)} (${proto}), length ${u16(b, F.totalLen)}`;
  if (hlen > IPV4_MIN_HEADER_LEN) s += `, options (${ipv4OptionsVerbose(b.subarray(F.options, hlen))})`;
  const sum = internetChecksum(b, 0, hlen);
  if (sum !== 0) {
    const got = u16(b, F.checksum);
    s += `, bad cksum ${got.toString(16)} (->${checksumShouldBe(got, sum).toString(16)})!`;
  }
  return `${s})`;
}

/**
 * tcpdump's in_cksum_shouldbe (checksum.c): the value the field should hold, from the received field
 * and the checksum computed over the data with the received field in place.
 */
export function checksumShouldBe(received: number, computed: number): number {
  let v = received + computed;
  v = (v & 0xffff) + (v >>> 16);
  v = (v & 0xffff) + (v >>> 16);
  return v & 0xffff;
}

const ECN_VERBOSE = ['', ',ECT(1)', ',ECT(0)', ',CE'] as const;

/** bittok2str over print-ip.c's ip_frag_values, in its order: `+`, `DF`, `rsvd`, joined by `, `. */
function ipv4FragFlagsText(ff: number): string {
  const parts: string[] = [];
  if (ff & FLAG_MF) parts.push('+');
  if (ff & FLAG_DF) parts.push('DF');
  if (ff & FLAG_RESERVED) parts.push('rsvd');
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/**
 * print-ip.c ip_optprint: names joined by `,`; route options list their addresses (a `,` after
 * each one the pointer has passed), RA its value when non-zero. The timestamp option's contents
 * (ip_printts) are not decoded: pktlab never emits it, so only its name is printed.
 */
function ipv4OptionsVerbose(raw: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < raw.length) {
    if (i > 0) s += ',';
    const t = raw[i]!;
    s += OPTION_NAMES.get(t) ?? `unknown ${t}`;
    if (t === IPOPT_EOL) return s;
    if (t === IPOPT_NOP) {
      i++;
      continue;
    }
    const len = i + 1 < raw.length ? raw[i + 1]! : 0;
    if (len < 2 || len > raw.length - i) return `${s} [bad length ${len}]`;
    const o = raw.subarray(i, i + len);
    if (t === IPOPT_RR || t === IPOPT_LSRR || t === IPOPT_SSRR) s += routeText(o);
    else if (t === IPOPT_RA) {
      if (len < 4) s += ` [bad length ${len}]`;
      else if (u16(o, 2) !== 0) s += ` value ${u16(o, 2)}`;
    }
    i += len;
  }
  return s;
}

/** print-ip.c ip_printroute. */
function routeText(o: Uint8Array): string {
  const len = o.length;
  if (len < 3) return ` [bad length ${len}]`;
  let s = (len + 1) & 3 ? ` [bad length ${len}]` : '';
  const ptr = o[2]! - 1;
  if (ptr < 3 || (ptr + 1) & 3 || ptr > len + 1) s += ` [bad ptr ${o[2]!}]`;
  for (let k = 3; k + 4 <= len; k += 4) {
    s += ` ${ipv4ToString(u32(o, k))}`;
    if (ptr > k) s += ',';
  }
  return s;
}

/** `IP 10.0.0.1 > 10.0.0.2: INNER`, the line upper layers compose (ICMP; TCP/UDP add ports themselves). */
export function ipv4Line(ip: { readonly src: Ipv4Addr; readonly dst: Ipv4Addr }, inner: string): string {
  return `IP ${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: ${inner}`;
}

function checkShape(b: Uint8Array, partial: boolean): DecodeError | null {
  return checkShapeAt(b, 0, b.length, partial);
}

/** checkShape over buf[o, end). Error offsets are relative to the IPv4 header. */
function checkShapeAt(b: Uint8Array, o: number, end: number, partial: boolean): DecodeError | null {
  const n = end - o;
  if (n < IPV4_MIN_HEADER_LEN) return decodeError('truncated', 'ipv4', `${n} bytes, header needs ${IPV4_MIN_HEADER_LEN}`);
  const v = b[o + F.verIhl]!;
  if (v >>> 4 !== 4) return decodeError('malformed', 'ipv4', `version ${v >>> 4}`, F.verIhl);
  const hlen = (v & 0x0f) << 2;
  if (hlen < IPV4_MIN_HEADER_LEN) return decodeError('malformed', 'ipv4', `header length ${v & 0x0f} words is below the minimum of 5`, F.verIhl);
  if (n < hlen) return decodeError('truncated', 'ipv4', `${n} bytes, header needs ${hlen}`);
  const total = u16(b, o + F.totalLen);
  if (total < hlen) return decodeError('malformed', 'ipv4', `total length ${total} is below the header length ${hlen}`, F.totalLen);
  if (total > n && !partial) return decodeError('truncated', 'ipv4', `${n} bytes, total length ${total}`);
  return null;
}

/** Decodes an IPv4 packet; `payload` aliases `bytes` and stops at Total Length. */
export function parseIpv4(bytes: Uint8Array, opts?: Ipv4ParseOptions): Result<Ipv4> {
  const e = checkShape(bytes, opts?.partial === true);
  if (e !== null) return { ok: false, error: e };
  const hlen = (bytes[F.verIhl]! & 0x0f) << 2;
  const checksum = u16(bytes, F.checksum);
  if (opts?.checksum !== 'ignore' && internetChecksum(bytes, 0, hlen) !== 0) {
    return fail('checksum', 'ipv4', `header checksum 0x${checksum.toString(16).padStart(4, '0')} does not verify`, F.checksum);
  }
  let options: Uint8Array = EMPTY;
  if (hlen > IPV4_MIN_HEADER_LEN) {
    options = bytes.subarray(F.options, hlen);
    const bad = badOptionAt(options);
    if (bad >= 0) return fail('malformed', 'ipv4', `option at byte ${F.options + bad} overruns the header`, F.options + bad);
  }
  const ip = new Ipv4(NONE);
  const tos = bytes[F.tos]!;
  ip.dscp = tos >>> 2;
  ip.ecn = tos & 0x03;
  ip.id = u16(bytes, F.id);
  const ff = u16(bytes, F.flagsFrag);
  ip.reservedBit = (ff & FLAG_RESERVED) !== 0;
  ip.df = (ff & FLAG_DF) !== 0;
  ip.mf = (ff & FLAG_MF) !== 0;
  ip.fragOffset = ff & FRAG_MASK;
  ip.ttl = bytes[F.ttl]!;
  ip.protocol = bytes[F.protocol]!;
  ip.checksum = checksum;
  ip.src = u32(bytes, F.src);
  ip.dst = u32(bytes, F.dst);
  ip.options = options;
  ip.payload = bytes.subarray(hlen, Math.min(u16(bytes, F.totalLen), bytes.length));
  return ok(ip);
}
