/**
 * ICMP for IPv4 (RFC 792), with the next-hop MTU of RFC 1191 and the error rules of RFC 1812 §4.3.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type (8)  |    Code (8)   |         Checksum (16)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Rest of header (32), by type:                |
 * |  echo 0/8, timestamp 13/14:  Identifier (16) | Sequence (16)  |
 * |  unreachable 3:  unused (16) | Next-Hop MTU (16, code 4 only) |
 * |  redirect 5:  Gateway Internet Address (32)                   |
 * |  parameter problem 12:  Pointer (8) | unused (24)             |
 * |  time exceeded 11, source quench 4:  unused (32)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data: echo data, or for errors the quoted datagram           |
 * |  (its IP header + at least 8 bytes, RFC 792 / RFC 1812)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * One value class covers every type: the rest-of-header is kept as a raw uint32 (`rest`) with typed
 * accessors (`id`, `seq`, `mtu`, `pointer`, `gateway`), so unknown types round-trip unchanged. The
 * checksum covers the whole ICMP message (RFC 792). The quoted datagram stays raw (`payload`);
 * `quoted()` parses it with ipv4.ts for display.
 *
 * Error contract: accessors of `IcmpView` never throw after `checkLen()` returned null; `parseIcmp`
 * never throws: fewer than 8 bytes → 'truncated', a checksum mismatch under 'verify' → 'checksum';
 * `emitHeader`/`encode` throw a RangeError only on a programmer error.
 */

import { ipv4ToString, type Ipv4Addr } from './addr.ts';
import { assertUint, setU16, setU32, u16, u32 } from './bytes.ts';
import { internetChecksum } from './checksum.ts';
import { checksumShouldBe, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4, type Ipv4, type Ipv4ParseOptions } from './ipv4.ts';
import { EMPTY, serialize, type Layer } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ROUTER_ADVERT = 9;
export const ICMP_ROUTER_SOLICIT = 10;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAM_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;

/** Destination unreachable codes (RFC 792, RFC 1191, RFC 1812 §5.2.7.1). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
export const ICMP_UNREACH_NEEDFRAG = 4;
export const ICMP_UNREACH_SRCFAIL = 5;
export const ICMP_UNREACH_ADMIN_PROHIBITED = 13;

/** Time exceeded codes (RFC 792). */
export const ICMP_TIMXCEED_INTRANS = 0;
export const ICMP_TIMXCEED_REASS = 1;

export const ICMP_HEADER_LEN = 8;
/**
 * Default quote length: RFC 1812 §4.3.2.3 quotes as much of the offending datagram as keeps the ICMP
 * error within 576 bytes, i.e. 576 - 20 (IP header without options) - 8 (ICMP header).
 */
export const ICMP_ERROR_MAX_QUOTE = 576 - 20 - ICMP_HEADER_LEN;

const F = { type: 0, code: 1, checksum: 2, rest: 4, id: 4, seq: 6, mtu: 6, data: 8 } as const;

/** Field offsets within an ICMP message. */
export const ICMP_OFFSETS = F;

/** Error types, which quote a datagram and must never be answered with an error (RFC 1812 §4.3.2.7). */
export function isIcmpErrorType(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM;
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [3, 'destination unreachable'],
  [4, 'source quench'],
  [5, 'redirect'],
  [8, 'echo request'],
  [9, 'router advertisement'],
  [10, 'router solicitation'],
  [11, 'time exceeded'],
  [12, 'parameter problem'],
  [13, 'time stamp query'],
  [14, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
  [18, 'address mask reply'],
]);

/** Name of an ICMP type ('echo request', ...); `type-#N` (tcpdump's form) for others. */
export function icmpTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `type-#${type}`;
}

/** Zero-copy view over an ICMP message. */
export class IcmpView {
  constructor(readonly bytes: Uint8Array) {}

  checkLen(): DecodeError | null {
    if (this.bytes.length < ICMP_HEADER_LEN) return decodeError('truncated', 'icmp', `${this.bytes.length} bytes, header needs ${ICMP_HEADER_LEN}`);
    return null;
  }

  get type(): number {
    return this.bytes[F.type]!;
  }
  set type(v: number) {
    this.bytes[F.type] = v;
  }
  get code(): number {
    return this.bytes[F.code]!;
  }
  set code(v: number) {
    this.bytes[F.code] = v;
  }
  get checksum(): number {
    return u16(this.bytes, F.checksum);
  }
  set checksum(v: number) {
    setU16(this.bytes, F.checksum, v);
  }
  get rest(): number {
    return u32(this.bytes, F.rest);
  }
  set rest(v: number) {
    setU32(this.bytes, F.rest, v);
  }
  get id(): number {
    return u16(this.bytes, F.id);
  }
  set id(v: number) {
    setU16(this.bytes, F.id, v);
  }
  get seq(): number {
    return u16(this.bytes, F.seq);
  }
  set seq(v: number) {
    setU16(this.bytes, F.seq, v);
  }
  get mtu(): number {
    return u16(this.bytes, F.mtu);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(F.data);
  }
  verifyChecksum(): boolean {
    return internetChecksum(this.bytes) === 0;
  }
  fillChecksum(): void {
    setU16(this.bytes, F.checksum, 0);
    setU16(this.bytes, F.checksum, internetChecksum(this.bytes));
  }
}

export interface IcmpInit {
  readonly type?: number;
  readonly code?: number;
  readonly checksum?: number;
  /** Raw rest-of-header; `id`/`seq`/`mtu` given alongside overwrite their halves. */
  readonly rest?: number;
  readonly id?: number;
  readonly seq?: number;
  readonly mtu?: number;
  readonly payload?: Uint8Array;
}

const NONE: IcmpInit = {};

export class Icmp implements Layer {
  type: number;
  code: number;
  /** The checksum as parsed; emit always computes it. */
  checksum: number;
  /** Bytes 4-7 as a uint32. */
  rest: number;
  /** Echo data, or the quoted datagram of an error. */
  payload: Uint8Array;

  constructor(init: IcmpInit = NONE) {
    this.type = init.type ?? ICMP_ECHO_REQUEST;
    this.code = init.code ?? 0;
    this.checksum = init.checksum ?? 0;
    this.rest = init.rest ?? 0;
    this.payload = init.payload ?? EMPTY;
    if (init.id !== undefined) this.id = init.id;
    if (init.seq !== undefined) this.seq = init.seq;
    if (init.mtu !== undefined) this.mtu = init.mtu;
  }

  static echoRequest(id: number, seq: number, data: Uint8Array = EMPTY): Icmp {
    return new Icmp({ type: ICMP_ECHO_REQUEST, id, seq, payload: data });
  }

  static echoReply(id: number, seq: number, data: Uint8Array = EMPTY): Icmp {
    return new Icmp({ type: ICMP_ECHO_REPLY, id, seq, payload: data });
  }

  /** Echo/timestamp identifier (bytes 4-5). */
  get id(): number {
    return this.rest >>> 16;
  }
  set id(v: number) {
    assertUint('icmp id', v, 16);
    this.rest = ((v << 16) | (this.rest & 0xffff)) >>> 0;
  }
  /** Echo/timestamp sequence number (bytes 6-7). */
  get seq(): number {
    return this.rest & 0xffff;
  }
  set seq(v: number) {
    assertUint('icmp seq', v, 16);
    this.rest = ((this.rest & 0xffff0000) | v) >>> 0;
  }
  /** Next-hop MTU of a "fragmentation needed" (RFC 1191 §4, bytes 6-7; 0 from pre-RFC 1191 routers). */
  get mtu(): number {
    return this.rest & 0xffff;
  }
  set mtu(v: number) {
    this.seq = v;
  }
  /** Parameter problem pointer (byte 4). */
  get pointer(): number {
    return this.rest >>> 24;
  }
  /** Redirect gateway (bytes 4-7). */
  get gateway(): Ipv4Addr {
    return this.rest;
  }

  isError(): boolean {
    return isIcmpErrorType(this.type);
  }

  /** The quoted datagram of an error, parsed for display (partial; header checksum ignored by default). */
  quoted(opts: Ipv4ParseOptions = { checksum: 'ignore' }): Result<Ipv4> {
    return parseIpv4(this.payload, { ...opts, partial: true });
  }

  headerLen(): number {
    return ICMP_HEADER_LEN;
  }

  emitHeader(buf: Uint8Array, off: number, payloadLen: number, _outer?: Layer): void {
    assertUint('icmp type', this.type, 8);
    assertUint('icmp code', this.code, 8);
    assertUint('icmp rest', this.rest, 32);
    const end = off + ICMP_HEADER_LEN + payloadLen;
    if (end > buf.length) throw new RangeError(`icmp: buffer of ${buf.length} bytes too small at offset ${off}`);
    buf[off + F.type] = this.type;
    buf[off + F.code] = this.code;
    setU16(buf, off + F.checksum, 0);
    setU32(buf, off + F.rest, this.rest);
    setU16(buf, off + F.checksum, internetChecksum(buf, off, end));
  }

  encode(): Uint8Array {
    return serialize([this], this.payload);
  }

  /** tcpdump style, e.g. `ICMP echo request, id 1, seq 1, length 64`, `ICMP 10.0.0.2 udp port 33434 unreachable, length 36`. */
  toString(length: number = ICMP_HEADER_LEN + this.payload.length): string {
    // `length`: tcpdump prints the length the IP header declares, which for a message cut short
    // (inside an ICMP error's quote) is more than the bytes present.
    return `ICMP ${this.describe()}, length ${length}`;
  }

  private describe(): string {
    switch (this.type) {
      case ICMP_ECHO_REPLY:
      case ICMP_ECHO_REQUEST:
        return `${icmpTypeName(this.type)}, id ${this.id}, seq ${this.seq}`;
      case ICMP_DEST_UNREACH:
        return this.unreachText();
      case ICMP_TIME_EXCEEDED:
        if (this.code === ICMP_TIMXCEED_INTRANS) return 'time exceeded in-transit';
        if (this.code === ICMP_TIMXCEED_REASS) return 'ip reassembly time exceeded';
        return `time exceeded-#${this.code}`;
      case ICMP_PARAM_PROBLEM:
        if (this.code === 0) return `parameter problem - octet ${this.pointer}`;
        if (this.code === 1) return 'parameter problem - option missing';
        return `parameter problem - code ${this.code}`;
      case ICMP_REDIRECT: {
        const q = this.quoted();
        const dst = q.ok ? ipv4ToString(q.value.dst) : '?';
        const gw = ipv4ToString(this.gateway);
        const forms = ['redirect %s to net %g', 'redirect %s to host %g', 'redirect-tos %s to net %g', 'redirect-tos %s to host %g'];
        const f = forms[this.code] ?? `redirect-#${this.code} %s to %g`;
        return f.replace('%s', dst).replace('%g', gw);
      }
      case ICMP_TIMESTAMP:
      case ICMP_TIMESTAMP_REPLY:
        return `${icmpTypeName(this.type)} id ${this.id} seq ${this.seq}`;
      default:
        return icmpTypeName(this.type);
    }
  }

  private unreachText(): string {
    const q = this.quoted();
    if (!q.ok) return `destination unreachable, code ${this.code}`;
    const ip = q.value;
    const dst = ipv4ToString(ip.dst);
    switch (this.code) {
      case ICMP_UNREACH_PROTOCOL:
        return `${dst} protocol ${ip.protocol} unreachable`;
      case ICMP_UNREACH_PORT: {
        const p = ip.payload;
        const port = p.length >= 4 ? String(u16(p, 2)) : '?';
        if (ip.protocol === IPPROTO_UDP) return `${dst} udp port ${port} unreachable`;
        if (ip.protocol === IPPROTO_TCP) return `${dst} tcp port ${port} unreachable`;
        return `${dst} protocol ${ip.protocol} port ${port} unreachable`;
      }
      case ICMP_UNREACH_NEEDFRAG:
        return this.mtu !== 0 ? `${dst} unreachable - need to frag (mtu ${this.mtu})` : `${dst} unreachable - need to frag`;
      default: {
        const f = UNREACH_FORMS[this.code];
        return f === undefined ? `#${this.code} ${dst} unreachable` : f.replace('%s', dst);
      }
    }
  }
}

/** tcpdump's texts per unreachable code (print-icmp.c); 2, 3 and 4 are composed above. */
const UNREACH_FORMS: readonly (string | undefined)[] = [
  'net %s unreachable',
  'host %s unreachable',
  undefined,
  undefined,
  undefined,
  '%s unreachable - source route failed',
  'net %s unreachable - unknown',
  'host %s unreachable - unknown',
  '%s unreachable - source host isolated',
  'net %s unreachable - admin prohibited',
  'host %s unreachable - admin prohibited',
  'net %s unreachable - tos prohibited',
  'host %s unreachable - tos prohibited',
  'host %s unreachable - admin prohibited filter',
  'host %s unreachable - host precedence violation',
  'host %s unreachable - precedence cutoff',
];

/**
 * What tcpdump -v appends to an ICMP message whose checksum does not verify (print-icmp.c):
 * ` (wrong icmp cksum d2ce (->886b)!)`; '' when it verifies. `bytes` is the whole message.
 */
export function icmpChecksumNote(bytes: Uint8Array): string {
  if (bytes.length < ICMP_HEADER_LEN) return '';
  const sum = internetChecksum(bytes);
  if (sum === 0) return '';
  const got = u16(bytes, F.checksum);
  return ` (wrong icmp cksum ${got.toString(16)} (->${checksumShouldBe(got, sum).toString(16)})!)`;
}

export function parseIcmp(bytes: Uint8Array, opts?: ParseOptions): Result<Icmp> {
  if (bytes.length < ICMP_HEADER_LEN) return fail('truncated', 'icmp', `${bytes.length} bytes, header needs ${ICMP_HEADER_LEN}`);
  const checksum = u16(bytes, F.checksum);
  if (opts?.checksum !== 'ignore' && internetChecksum(bytes) !== 0) {
    return fail('checksum', 'icmp', `checksum 0x${checksum.toString(16).padStart(4, '0')} does not verify`, F.checksum);
  }
  const m = new Icmp(NONE);
  m.type = bytes[F.type]!;
  m.code = bytes[F.code]!;
  m.checksum = checksum;
  m.rest = u32(bytes, F.rest);
  m.payload = bytes.subarray(F.data);
  return ok(m);
}

/** An echo reply answering `req` (RFC 792: same id, seq and data). */
export function echoReplyTo(req: Icmp): Icmp {
  return new Icmp({ type: ICMP_ECHO_REPLY, rest: req.rest, payload: req.payload });
}

/**
 * The part of an offending IPv4 packet an ICMP error quotes: its header and as much payload as fits in
 * `max` bytes (RFC 1812 §4.3.2.3; at least header + 8 with the default), never past its Total Length
 * (so Ethernet padding is not quoted). A copy: the offending buffer may be reused before emit.
 */
export function icmpErrorQuote(offending: Uint8Array, max: number = ICMP_ERROR_MAX_QUOTE): Uint8Array {
  let end = Math.min(offending.length, max);
  if (offending.length >= 4) {
    const hlen = (offending[0]! & 0x0f) << 2;
    const total = u16(offending, 2);
    if (total >= hlen) end = Math.min(end, total);
  }
  return offending.slice(0, Math.max(0, end));
}

export interface IcmpErrorOptions {
  /** Rest-of-header (e.g. a redirect gateway); default 0. */
  readonly rest?: number;
  /** Maximum quote length; default ICMP_ERROR_MAX_QUOTE. */
  readonly maxQuote?: number;
}

/** An ICMP error of `type`/`code` quoting `offending` (an IPv4 packet's bytes). */
export function icmpError(type: number, code: number, offending: Uint8Array, opts: IcmpErrorOptions = NONE_ERR): Icmp {
  return new Icmp({ type, code, rest: opts.rest ?? 0, payload: icmpErrorQuote(offending, opts.maxQuote) });
}

const NONE_ERR: IcmpErrorOptions = {};

/** Destination unreachable (type 3) with `code`, e.g. ICMP_UNREACH_PORT. */
export function icmpDestUnreachable(code: number, offending: Uint8Array, maxQuote?: number): Icmp {
  return icmpError(ICMP_DEST_UNREACH, code, offending, { maxQuote });
}

/** "Fragmentation needed and DF set" carrying the next-hop MTU (RFC 1191 §4). */
export function icmpFragNeeded(offending: Uint8Array, mtu: number, maxQuote?: number): Icmp {
  assertUint('icmp mtu', mtu, 16);
  return icmpError(ICMP_DEST_UNREACH, ICMP_UNREACH_NEEDFRAG, offending, { rest: mtu, maxQuote });
}

/** Time exceeded: code 0 TTL expired in transit (RFC 1812 §5.3.1), 1 reassembly timeout. */
export function icmpTimeExceeded(code: number, offending: Uint8Array, maxQuote?: number): Icmp {
  return icmpError(ICMP_TIME_EXCEEDED, code, offending, { maxQuote });
}

function singleHost(a: Ipv4Addr): boolean {
  const top = a >>> 24;
  // RFC 1812 §4.3.2.7: not zero, loopback (127/8), broadcast, multicast (224/4) or class E (240/4).
  return a !== 0 && top !== 127 && top < 224;
}

/**
 * Whether an ICMP error may be sent about `offending` (RFC 1812 §4.3.2.7, RFC 1122 §3.2.2): not for an
 * ICMP error, a non-initial fragment, a multicast or limited-broadcast destination, or a source that
 * is not a single host. Directed broadcasts and link-layer broadcasts are the caller's to check.
 */
export function icmpErrorAllowed(offending: Uint8Array): boolean {
  if (offending.length < 20 || offending[0]! >>> 4 !== 4) return false;
  const hlen = (offending[0]! & 0x0f) << 2;
  if (hlen < 20) return false;
  if ((u16(offending, 6) & 0x1fff) !== 0) return false;
  const src = u32(offending, 12);
  const dst = u32(offending, 16);
  if (!singleHost(src)) return false;
  if (dst === 0xffffffff || dst >>> 28 === 0xe) return false;
  if (offending[9] === IPPROTO_ICMP && offending.length > hlen && isIcmpErrorType(offending[hlen]!)) return false;
  return true;
}
