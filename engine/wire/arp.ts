/**
 * ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses, the only pairing pktlab speaks.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      HTYPE = 1 (16)           |      PTYPE = 0x0800 (16)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | HLEN = 6 (8)  | PLEN = 4 (8)  |          OPER (16)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Sender hardware address SHA (48)                 |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               | Sender protocol address SPA   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+          (32)                 +
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |              Target hardware address THA (48)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Target protocol address TPA (32)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * 28 bytes; bytes after them (Ethernet padding) are ignored. OPER 1 = request, 2 = reply; other opcodes
 * (RARP 3/4, InARP 8/9) are kept as numbers.
 *
 * Error contract: accessors of `ArpView` never throw after `checkLen()` returned null; `parseArp` never
 * throws: fewer than 28 bytes → 'truncated', other HTYPE/PTYPE → 'unsupported', HLEN/PLEN other than
 * 6/4 → 'malformed'; `emitHeader`/`encode` throw a RangeError only on a programmer error.
 */

import { macToString, ipv4ToString, type Ipv4Addr, type MacAddr } from './addr.ts';
import { assertUint, setU16, setU32, setU48, u16, u32, u48 } from './bytes.ts';
import { serialize, type Layer } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

const F = { htype: 0, ptype: 2, hlen: 4, plen: 5, op: 6, sha: 8, spa: 14, tha: 18, tpa: 24 } as const;

/** Field offsets within an ARP packet (for dissectors and byte-range display). */
export const ARP_OFFSETS = F;

/** 'Request', 'Reply', ... (tcpdump's words); `op-N` for others. */
export function arpOpName(op: number): string {
  switch (op) {
    case 1:
      return 'Request';
    case 2:
      return 'Reply';
    case 3:
      return 'Reverse Request';
    case 4:
      return 'Reverse Reply';
    case 8:
      return 'Inverse Request';
    case 9:
      return 'Inverse Reply';
    default:
      return `op-${op}`;
  }
}

/** Zero-copy view over an Ethernet/IPv4 ARP packet. */
export class ArpView {
  constructor(readonly bytes: Uint8Array) {}

  checkLen(): DecodeError | null {
    if (this.bytes.length < ARP_LEN) return decodeError('truncated', 'arp', `${this.bytes.length} bytes, need ${ARP_LEN}`);
    return null;
  }

  get htype(): number {
    return u16(this.bytes, F.htype);
  }
  get ptype(): number {
    return u16(this.bytes, F.ptype);
  }
  get hlen(): number {
    return this.bytes[F.hlen]!;
  }
  get plen(): number {
    return this.bytes[F.plen]!;
  }
  get op(): number {
    return u16(this.bytes, F.op);
  }
  set op(v: number) {
    setU16(this.bytes, F.op, v);
  }
  get sha(): MacAddr {
    return u48(this.bytes, F.sha);
  }
  set sha(v: MacAddr) {
    setU48(this.bytes, F.sha, v);
  }
  get spa(): Ipv4Addr {
    return u32(this.bytes, F.spa);
  }
  set spa(v: Ipv4Addr) {
    setU32(this.bytes, F.spa, v);
  }
  get tha(): MacAddr {
    return u48(this.bytes, F.tha);
  }
  set tha(v: MacAddr) {
    setU48(this.bytes, F.tha, v);
  }
  get tpa(): Ipv4Addr {
    return u32(this.bytes, F.tpa);
  }
  set tpa(v: Ipv4Addr) {
    setU32(this.bytes, F.tpa, v);
  }
}

export interface ArpInit {
  readonly op?: number;
  readonly sha?: MacAddr;
  readonly spa?: Ipv4Addr;
  readonly tha?: MacAddr;
  readonly tpa?: Ipv4Addr;
}

const NONE: ArpInit = {};

export class Arp implements Layer {
  op: number;
  sha: MacAddr;
  spa: Ipv4Addr;
  tha: MacAddr;
  tpa: Ipv4Addr;

  constructor(init: ArpInit = NONE) {
    this.op = init.op ?? ARP_REQUEST;
    this.sha = init.sha ?? 0;
    this.spa = init.spa ?? 0;
    this.tha = init.tha ?? 0;
    this.tpa = init.tpa ?? 0;
  }

  /** A request for `tpa` from `sha`/`spa` (THA zero, RFC 826 "don't care"; RFC 5227 probes use spa 0). */
  static request(sha: MacAddr, spa: Ipv4Addr, tpa: Ipv4Addr): Arp {
    return new Arp({ op: ARP_REQUEST, sha, spa, tha: 0, tpa });
  }

  /** The reply to `req` from the owner of `req.tpa` whose MAC is `mac` (RFC 826 swaps the pairs). */
  static replyTo(req: Arp, mac: MacAddr): Arp {
    return new Arp({ op: ARP_REPLY, sha: mac, spa: req.tpa, tha: req.sha, tpa: req.spa });
  }

  headerLen(): number {
    return ARP_LEN;
  }

  emitHeader(buf: Uint8Array, off: number, _payloadLen: number, _outer?: Layer): void {
    assertUint('arp op', this.op, 16);
    assertUint('arp sha', this.sha, 48);
    assertUint('arp spa', this.spa, 32);
    assertUint('arp tha', this.tha, 48);
    assertUint('arp tpa', this.tpa, 32);
    if (off + ARP_LEN > buf.length) throw new RangeError(`arp: buffer of ${buf.length} bytes too small at offset ${off}`);
    setU16(buf, off + F.htype, ARP_HTYPE_ETHERNET);
    setU16(buf, off + F.ptype, ARP_PTYPE_IPV4);
    buf[off + F.hlen] = 6;
    buf[off + F.plen] = 4;
    setU16(buf, off + F.op, this.op);
    setU48(buf, off + F.sha, this.sha);
    setU32(buf, off + F.spa, this.spa);
    setU48(buf, off + F.tha, this.tha);
    setU32(buf, off + F.tpa, this.tpa);
  }

  encode(): Uint8Array {
    return serialize([this]);
  }

  /**
   * tcpdump style: `Request who-has 10.0.0.2 tell 10.0.0.1, length 28`, `Reply 10.0.0.2 is-at 02:..., length 28`.
   * `length` is what print-arp.c is handed: the Ethernet payload, padding included (46 for a
   * minimum-size frame); the ARP packet's own 28 by default.
   */
  toString(length: number = ARP_LEN): string {
    switch (this.op) {
      case ARP_REQUEST: {
        const tha = this.tha === 0 ? '' : ` (${macToString(this.tha)})`;
        return `Request who-has ${ipv4ToString(this.tpa)}${tha} tell ${ipv4ToString(this.spa)}, length ${length}`;
      }
      case ARP_REPLY:
        return `Reply ${ipv4ToString(this.spa)} is-at ${macToString(this.sha)}, length ${length}`;
      default:
        return (
          `${arpOpName(this.op)} ${ipv4ToString(this.spa)} (${macToString(this.sha)}) > ` +
          `${ipv4ToString(this.tpa)} (${macToString(this.tha)}), length ${length}`
        );
    }
  }
}

export function parseArp(bytes: Uint8Array, _opts?: ParseOptions): Result<Arp> {
  if (bytes.length < F.sha) return fail('truncated', 'arp', `${bytes.length} bytes, fixed part needs ${F.sha}`);
  const htype = u16(bytes, F.htype);
  const ptype = u16(bytes, F.ptype);
  if (htype !== ARP_HTYPE_ETHERNET) return fail('unsupported', 'arp', `hardware type ${htype}`, F.htype);
  if (ptype !== ARP_PTYPE_IPV4) return fail('unsupported', 'arp', `protocol type 0x${ptype.toString(16).padStart(4, '0')}`, F.ptype);
  if (bytes[F.hlen] !== 6) return fail('malformed', 'arp', `hardware length ${bytes[F.hlen]} for Ethernet (want 6)`, F.hlen);
  if (bytes[F.plen] !== 4) return fail('malformed', 'arp', `protocol length ${bytes[F.plen]} for IPv4 (want 4)`, F.plen);
  if (bytes.length < ARP_LEN) return fail('truncated', 'arp', `${bytes.length} bytes, need ${ARP_LEN}`);
  const a = new Arp(NONE);
  a.op = u16(bytes, F.op);
  a.sha = u48(bytes, F.sha);
  a.spa = u32(bytes, F.spa);
  a.tha = u48(bytes, F.tha);
  a.tpa = u32(bytes, F.tpa);
  return ok(a);
}
