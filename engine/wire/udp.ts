/**
 * UDP (RFC 768).
 *
 * ```
 *   0      7 8     15 16    23 24    31
 *  +--------+--------+--------+--------+
 *  |     Source      |   Destination   |
 *  |      Port       |      Port       |
 *  +--------+--------+--------+--------+
 *  |                 |                 |
 *  |     Length      |    Checksum     |
 *  +--------+--------+--------+--------+
 *  |          data octets ...
 *  +---------------- ...
 * ```
 * Fields: source port 16, destination port 16, length 16 (header + data, minimum 8), checksum 16.
 *
 * Checksum: one's complement over the IPv4 pseudo-header (source, destination, zero, protocol 17,
 * UDP length) and the datagram. A computed 0 is sent as 0xffff; a received 0 means "no checksum"
 * and is accepted (RFC 768, "Fields").
 *
 * Error contract: view accessors never throw once `checkLen()` returns null; `parseUdp` never
 * throws and returns a typed failure (length field below 8 → malformed, above the bytes given →
 * truncated, checksum mismatch → checksum); `emitHeader`/`encode` throw only on a programmer error
 * (a field that does not fit). Bytes beyond the length field (e.g. Ethernet padding) are ignored.
 */

import { type Ipv4Addr, ipv4ToString } from './addr.ts';
import { assertUint, setU16, u16 } from './bytes.ts';
import { finish, pseudoChecksum, pseudoHeaderSum, sumWords, updateChecksum16, updateChecksum32 } from './checksum.ts';
import { checksumShouldBe } from './ipv4.ts';
import { EMPTY, type Layer, isPseudoHeaderSource } from './layer.ts';
import { type DecodeError, type ParseOptions, type Result, decodeError, fail, ok } from './result.ts';

const F = { srcPort: 0, dstPort: 2, length: 4, checksum: 6, payload: 8 } as const;

/** Field offsets within a UDP header. */
export const UDP_OFFSETS = F;

export const UDP_HEADER_LEN = 8;
/** IP protocol number of UDP. */
const PROTO_UDP = 17;

/** Pseudo-header addresses for a TCP/UDP checksum (and the endpoints tcpdump prints). */
export interface PseudoAddrs {
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
}

export interface UdpParseOptions extends ParseOptions {
  /** When given (and policy is verify), the checksum is verified against this pseudo-header. */
  readonly pseudo?: PseudoAddrs;
}

/** Zero-copy view over a UDP datagram (`bytes` starts at the UDP header). */
export class UdpView {
  constructor(public bytes: Uint8Array) {}

  /** Null when the header fits and the length field is consistent with the bytes. */
  checkLen(): DecodeError | null {
    const b = this.bytes;
    if (b.length < UDP_HEADER_LEN) return decodeError('truncated', 'udp', `${b.length} bytes, header needs ${UDP_HEADER_LEN}`);
    const len = u16(b, F.length);
    if (len < UDP_HEADER_LEN) return decodeError('malformed', 'udp', `length field ${len} is below the header length 8`, F.length);
    if (len > b.length) return decodeError('truncated', 'udp', `length field ${len} exceeds the ${b.length} bytes available`, F.length);
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
  /** Length field: header + data. */
  get length(): number {
    return u16(this.bytes, F.length);
  }
  set length(v: number) {
    setU16(this.bytes, F.length, v);
  }
  get checksum(): number {
    return u16(this.bytes, F.checksum);
  }
  set checksum(v: number) {
    setU16(this.bytes, F.checksum, v);
  }
  /** Data as delimited by the length field (extra trailing bytes excluded). */
  get payload(): Uint8Array {
    return this.bytes.subarray(F.payload, u16(this.bytes, F.length));
  }

  /** True when the checksum is 0 (none sent) or verifies against the pseudo-header. */
  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): boolean {
    if (this.checksum === 0) return true;
    const len = this.length;
    return pseudoChecksum(src, dst, PROTO_UDP, this.bytes, 0, len) === 0;
  }

  /** Computes and stores the checksum over [0, length) (0 is stored as 0xffff). */
  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    const len = this.length;
    setU16(this.bytes, F.checksum, 0);
    setU16(this.bytes, F.checksum, udpChecksum(this.bytes, 0, len, pseudoHeaderSum(src, dst, PROTO_UDP, len)));
  }
}

function udpChecksum(b: Uint8Array, start: number, end: number, pseudoSum: number): number {
  const c = finish(pseudoSum + sumWords(b, start, end));
  return c === 0 ? 0xffff : c;
}

export interface UdpInit {
  srcPort?: number;
  dstPort?: number;
  checksum?: number;
  payload?: Uint8Array;
}

const NO_INIT: UdpInit = Object.freeze({});

/** A UDP datagram as a value. */
export class Udp implements Layer {
  srcPort: number;
  dstPort: number;
  /**
   * As received by `parseUdp`, or as written by the last emit (gopacket's convention). Emit always
   * computes it: from the enclosing layer's pseudo-header, or 0 ("no checksum") without one.
   */
  checksum: number;
  /** Data; aliases the input after `parseUdp`. `encode()` uses it; `serialize` takes the payload separately. */
  payload: Uint8Array;

  constructor(init: UdpInit = NO_INIT) {
    this.srcPort = init.srcPort ?? 0;
    this.dstPort = init.dstPort ?? 0;
    this.checksum = init.checksum ?? 0;
    this.payload = init.payload ?? EMPTY;
  }

  headerLen(): number {
    return UDP_HEADER_LEN;
  }

  emitHeader(buf: Uint8Array, off: number, payloadLen: number, outer: Layer | undefined): void {
    const len = UDP_HEADER_LEN + payloadLen;
    const pseudo = isPseudoHeaderSource(outer) ? outer.pseudoHeaderSum(PROTO_UDP, len) : -1;
    this.emitWith(buf, off, len, pseudo);
  }

  /** Standalone datagram; with `pseudo` the checksum is computed, otherwise it is 0. */
  encode(pseudo?: PseudoAddrs): Uint8Array {
    const len = UDP_HEADER_LEN + this.payload.length;
    const buf = new Uint8Array(len);
    buf.set(this.payload, UDP_HEADER_LEN);
    this.emitWith(buf, 0, len, pseudo ? pseudoHeaderSum(pseudo.src, pseudo.dst, PROTO_UDP, len) : -1);
    return buf;
  }

  /** `pseudoSum` < 0: no pseudo-header available, send checksum 0. */
  private emitWith(buf: Uint8Array, off: number, len: number, pseudoSum: number): void {
    assertUint('udp srcPort', this.srcPort, 16);
    assertUint('udp dstPort', this.dstPort, 16);
    assertUint('udp length', len, 16);
    if (buf.length < off + len) throw new RangeError(`udp: buffer of ${buf.length} bytes cannot hold ${len} at ${off}`);
    setU16(buf, off + F.srcPort, this.srcPort);
    setU16(buf, off + F.dstPort, this.dstPort);
    setU16(buf, off + F.length, len);
    setU16(buf, off + F.checksum, 0);
    const c = pseudoSum < 0 ? 0 : udpChecksum(buf, off, off + len, pseudoSum);
    setU16(buf, off + F.checksum, c);
    this.checksum = c;
  }

  /** tcpdump style: `5353 > 53: UDP, length 20`, or with addresses `10.0.0.1.5353 > 10.0.0.2.53: ...`. */
  toString(addrs?: PseudoAddrs): string {
    return addrs ? formatUdp(this, addrs.src, addrs.dst) : `${this.srcPort} > ${this.dstPort}: UDP, length ${this.payload.length}`;
  }
}

/** tcpdump's line for a UDP datagram inside IPv4 (`-nn`): `10.0.0.1.5353 > 10.0.0.2.53: UDP, length 20`. */
export function formatUdp(udp: Udp, src: Ipv4Addr, dst: Ipv4Addr): string {
  return `${ipv4ToString(src)}.${udp.srcPort} > ${ipv4ToString(dst)}.${udp.dstPort}: UDP, length ${udp.payload.length}`;
}

/**
 * The checksum note tcpdump -vv prints before a UDP datagram's contents (print-udp.c): `[udp sum ok] `,
 * `[bad udp cksum 0x1316 -> 0x49b3!] `, or `[no cksum] ` for a zero field; '' when `bytes` (the
 * datagram as received, UDP header first) is not whole, as tcpdump then cannot verify it. -v alone
 * prints no UDP checksum. `length`: the bytes the sum covers, pseudo-header length included; by
 * default the header's Length, and print-udp.c's smaller IP payload length when that is shorter.
 */
export function udpChecksumNote(bytes: Uint8Array, src: Ipv4Addr, dst: Ipv4Addr, length?: number): string {
  if (bytes.length < UDP_HEADER_LEN) return '';
  const got = u16(bytes, F.checksum);
  if (got === 0) return '[no cksum] ';
  const len = length ?? u16(bytes, F.length);
  if (len < UDP_HEADER_LEN || len > bytes.length) return '';
  const sum = pseudoChecksum(src, dst, PROTO_UDP, bytes, 0, len);
  if (sum === 0) return '[udp sum ok] ';
  return `[bad udp cksum 0x${got.toString(16).padStart(4, '0')} -> 0x${checksumShouldBe(got, sum).toString(16).padStart(4, '0')}!] `;
}

/**
 * Decodes a UDP datagram. The checksum is verified only when `opts.pseudo` is given and the policy
 * is verify (the default); a received 0 is accepted as "no checksum".
 */
export function parseUdp(bytes: Uint8Array, opts?: UdpParseOptions): Result<Udp> {
  if (bytes.length < UDP_HEADER_LEN) return fail('truncated', 'udp', `${bytes.length} bytes, header needs ${UDP_HEADER_LEN}`);
  const len = u16(bytes, F.length);
  if (len < UDP_HEADER_LEN) return fail('malformed', 'udp', `length field ${len} is below the header length 8`, F.length);
  if (len > bytes.length) return fail('truncated', 'udp', `length field ${len} exceeds the ${bytes.length} bytes available`, F.length);
  const checksum = u16(bytes, F.checksum);
  const pseudo = opts?.pseudo;
  if (pseudo && checksum !== 0 && opts.checksum !== 'ignore') {
    if (pseudoChecksum(pseudo.src, pseudo.dst, PROTO_UDP, bytes, 0, len) !== 0) {
      return fail('checksum', 'udp', `bad checksum 0x${checksum.toString(16).padStart(4, '0')}`, F.checksum);
    }
  }
  const u = new Udp();
  u.srcPort = u16(bytes, F.srcPort);
  u.dstPort = u16(bytes, F.dstPort);
  u.checksum = checksum;
  u.payload = bytes.subarray(F.payload, len);
  return ok(u);
}

// NAT helpers: in-place rewrites with RFC 1624 incremental checksum updates. A checksum of 0 means
// none was sent (RFC 768) and stays 0; an updated value of 0 is stored as 0xffff.

/**
 * NAT on a datagram where it sits, `b[off..]`: as udpUpdateForAddressChange then udpRewritePorts. A
 * zero checksum (none, RFC 768) stays zero; a patched one that comes out zero is sent as 0xffff.
 * Returns whether the ports changed.
 */
export function udpNatAt(b: Uint8Array, off: number, oldAddr: Ipv4Addr, newAddr: Ipv4Addr, srcPort: number, dstPort: number): boolean {
  let c = u16(b, off + F.checksum);
  if (c !== 0 && oldAddr !== newAddr) {
    c = updateChecksum32(c, oldAddr, newAddr);
    if (c === 0) c = 0xffff;
  }
  const sp = u16(b, off + F.srcPort);
  const dp = u16(b, off + F.dstPort);
  const ports = sp !== srcPort || dp !== dstPort;
  if (ports) {
    if (c !== 0) {
      c = updateChecksum16(updateChecksum16(c, sp, srcPort), dp, dstPort);
      if (c === 0) c = 0xffff;
    }
    setU16(b, off + F.srcPort, srcPort);
    setU16(b, off + F.dstPort, dstPort);
  }
  setU16(b, off + F.checksum, c);
  return ports;
}

/** Rewrites the ports, updating the checksum incrementally. */
export function udpRewritePorts(view: UdpView, srcPort: number, dstPort: number): void {
  let c = view.checksum;
  if (c !== 0) {
    c = updateChecksum16(c, view.srcPort, srcPort);
    c = updateChecksum16(c, view.dstPort, dstPort);
    view.checksum = c === 0 ? 0xffff : c;
  }
  view.srcPort = srcPort;
  view.dstPort = dstPort;
}

/** Adjusts the checksum for a pseudo-header address change (the IP header is rewritten by the caller). */
export function udpUpdateForAddressChange(view: UdpView, oldAddr: Ipv4Addr, newAddr: Ipv4Addr): void {
  const c = view.checksum;
  if (c === 0) return;
  const n = updateChecksum32(c, oldAddr, newAddr);
  view.checksum = n === 0 ? 0xffff : n;
}
