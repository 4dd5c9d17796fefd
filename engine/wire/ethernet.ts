/**
 * Ethernet II framing (IEEE 802.3 clause 3.2.6, RFC 894) with optional IEEE 802.1Q VLAN tags.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination MAC (48)                       |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                      Source MAC (48)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      TPID 0x8100 (16)         | PCP(3)|D|      VID (12)       |  0..n 802.1Q tags
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       EtherType (16)          |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * The FCS is not part of these bytes (captures and TAP devices carry frames without it). Tags with
 * TPID 0x8100 (802.1Q) and 0x88a8 (802.1ad S-tag) are peeled in order; the EtherType after the last
 * tag is the value's `etherType`. An EtherType below 0x0600 is an 802.3 length and is kept as a number.
 *
 * Error contract: accessors of `EthernetView` never throw after `checkLen()` returned null;
 * `parseEthernet` never throws and fails only with 'truncated'; `emitHeader`/`encode` throw a
 * RangeError only on a programmer error (a field that does not fit).
 */

import { MAC_BROADCAST, macToString, type MacAddr } from './addr.ts';
import { assertUint, setU16, setU48, u16, u48 } from './bytes.ts';
import { EMPTY, serialize, type Layer } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Transparent Ethernet Bridging (RFC 1701): the payload is an inner Ethernet frame (GENEVE, GRE). */
export const ETHERTYPE_TEB = 0x6558;

/** Minimum frame length without the 4-byte FCS (IEEE 802.3 minimum of 64 with it). */
export const ETHERNET_MIN_FRAME = 60;
export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;

const F = { dst: 0, src: 6, etherType: 12, tagTci: 2 } as const;

/** Field offsets within an Ethernet header (`tagTci` is relative to a tag's TPID). */
export const ETHERNET_OFFSETS = F;

const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [ETHERTYPE_IPV4, 'IPv4'],
  [ETHERTYPE_ARP, 'ARP'],
  [ETHERTYPE_VLAN, '802.1Q'],
  [ETHERTYPE_QINQ, '802.1Q-QinQ'],
  [ETHERTYPE_IPV6, 'IPv6'],
  [ETHERTYPE_TEB, 'TEB'],
  [0x8035, 'Reverse ARP'],
  [0x88cc, 'LLDP'],
  [0x8847, 'MPLS unicast'],
]);

/** tcpdump's name for an EtherType ('IPv4', 'ARP', ...); 'Unknown' for others, '802.3 length' below 0x0600. */
export function etherTypeName(n: number): string {
  if (n < 0x0600) return '802.3 length';
  return ETHERTYPE_NAMES.get(n) ?? 'Unknown';
}

function isTpid(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ;
}

/** One 802.1Q tag: priority code point, drop eligible indicator, VLAN id; `tpid` 0x8100 or 0x88a8. */
export interface VlanTag {
  readonly tpid: number;
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
}

export interface VlanTagInit {
  readonly tpid?: number;
  readonly pcp?: number;
  readonly dei?: boolean;
  readonly vid: number;
}

const NO_TAGS: readonly VlanTag[] = Object.freeze([]);

/** Zero-copy view over a frame. */
export class EthernetView {
  constructor(readonly bytes: Uint8Array) {}

  checkLen(): DecodeError | null {
    const b = this.bytes;
    if (b.length < ETHERNET_HEADER_LEN) {
      return decodeError('truncated', 'ethernet', `${b.length} bytes, header needs ${ETHERNET_HEADER_LEN}`);
    }
    let o = F.etherType;
    while (isTpid(u16(b, o))) {
      if (b.length < o + VLAN_TAG_LEN + 2) {
        return decodeError('truncated', 'ethernet', `802.1Q tag at byte ${o} runs past ${b.length} bytes`, o);
      }
      o += VLAN_TAG_LEN;
    }
    return null;
  }

  get dst(): MacAddr {
    return u48(this.bytes, F.dst);
  }
  set dst(v: MacAddr) {
    setU48(this.bytes, F.dst, v);
  }
  get src(): MacAddr {
    return u48(this.bytes, F.src);
  }
  set src(v: MacAddr) {
    setU48(this.bytes, F.src, v);
  }
  /** Offset of the innermost EtherType field (12 plus 4 per tag). */
  private typeOffset(): number {
    const b = this.bytes;
    let o: number = F.etherType;
    while (o + VLAN_TAG_LEN + 2 <= b.length && isTpid(u16(b, o))) o += VLAN_TAG_LEN;
    return o;
  }
  /** The EtherType after any VLAN tags. */
  get etherType(): number {
    return u16(this.bytes, this.typeOffset());
  }
  set etherType(v: number) {
    setU16(this.bytes, this.typeOffset(), v);
  }
  get vlanCount(): number {
    return (this.typeOffset() - F.etherType) / VLAN_TAG_LEN;
  }
  /** VID of the outermost tag, or -1 when untagged. */
  get outerVid(): number {
    const b = this.bytes;
    return isTpid(u16(b, F.etherType)) ? u16(b, F.etherType + F.tagTci) & 0x0fff : -1;
  }
  get headerLen(): number {
    return this.typeOffset() + 2;
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
}

export interface EthernetInit {
  readonly dst?: MacAddr;
  readonly src?: MacAddr;
  readonly vlan?: readonly VlanTagInit[];
  readonly etherType?: number;
  readonly payload?: Uint8Array;
  /** Pad the frame with zeros to the 60-byte minimum on emit (default false). */
  readonly pad?: boolean;
}

export class Ethernet implements Layer {
  dst: MacAddr;
  src: MacAddr;
  /** Tags outermost first; empty when untagged. */
  vlan: readonly VlanTag[];
  etherType: number;
  /** Everything after the header (including any padding a parsed frame carried). */
  payload: Uint8Array;
  pad: boolean;

  constructor(init: EthernetInit = NONE) {
    this.dst = init.dst ?? MAC_BROADCAST;
    this.src = init.src ?? 0;
    this.vlan = init.vlan && init.vlan.length > 0 ? init.vlan.map(vlanTag) : NO_TAGS;
    this.etherType = init.etherType ?? ETHERTYPE_IPV4;
    this.payload = init.payload ?? EMPTY;
    this.pad = init.pad ?? false;
  }

  headerLen(): number {
    return ETHERNET_HEADER_LEN + VLAN_TAG_LEN * this.vlan.length;
  }

  trailerLen(payloadLen: number): number {
    return this.pad ? Math.max(0, ETHERNET_MIN_FRAME - this.headerLen() - payloadLen) : 0;
  }

  emitHeader(buf: Uint8Array, off: number, payloadLen: number, _outer?: Layer): void {
    const dst = this.dst;
    const src = this.src;
    assertUint('ethernet dst', dst, 48);
    assertUint('ethernet src', src, 48);
    assertUint('ethernet etherType', this.etherType, 16);
    const vlan = this.vlan;
    const hlen = ETHERNET_HEADER_LEN + VLAN_TAG_LEN * vlan.length;
    const trailer = this.pad ? Math.max(0, ETHERNET_MIN_FRAME - hlen - payloadLen) : 0;
    if (off + hlen + payloadLen + trailer > buf.length) {
      throw new RangeError(`ethernet: buffer of ${buf.length} bytes too small at offset ${off}`);
    }
    setU48(buf, off + F.dst, dst);
    setU48(buf, off + F.src, src);
    let o = off + F.etherType;
    for (let k = 0; k < vlan.length; k++) {
      const t = vlan[k]!;
      assertUint('vlan tpid', t.tpid, 16);
      assertUint('vlan pcp', t.pcp, 3);
      assertUint('vlan vid', t.vid, 12);
      setU16(buf, o, t.tpid);
      setU16(buf, o + F.tagTci, (t.pcp << 13) | (t.dei ? 0x1000 : 0) | t.vid);
      o += VLAN_TAG_LEN;
    }
    setU16(buf, o, this.etherType);
    if (trailer > 0) {
      const end = off + hlen + payloadLen;
      buf.fill(0, end, end + trailer);
    }
  }

  encode(): Uint8Array {
    return serialize([this], this.payload);
  }

  /** tcpdump -e style: `02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98`. */
  toString(): string {
    const len = this.headerLen() + this.payload.length + this.trailerLen(this.payload.length);
    let s = `${macToString(this.src)} > ${macToString(this.dst)}, `;
    if (this.vlan.length === 0) return `${s}${etherTypeText(this.etherType)}, length ${len}`;
    s += `${etherTypeText(this.vlan[0]!.tpid)}, length ${len}`;
    for (let i = 0; i < this.vlan.length; i++) {
      const t = this.vlan[i]!;
      const next = i + 1 < this.vlan.length ? this.vlan[i + 1]!.tpid : this.etherType;
      s += `: vlan ${t.vid}, p ${t.pcp}${t.dei ? ', DEI' : ''}, ${etherTypeText(next)}`;
    }
    return s;
  }
}

function etherTypeText(t: number): string {
  const hex = `0x${t.toString(16).padStart(4, '0')}`;
  return t < 0x0600 ? `802.3, length ${t}` : `ethertype ${etherTypeName(t)} (${hex})`;
}

const NONE: EthernetInit = {};

function vlanTag(t: VlanTagInit): VlanTag {
  return { tpid: t.tpid ?? ETHERTYPE_VLAN, pcp: t.pcp ?? 0, dei: t.dei ?? false, vid: t.vid };
}

/** Decodes a frame; `payload` is everything after the header (IPv4 trims Ethernet padding itself). */
export function parseEthernet(bytes: Uint8Array, _opts?: ParseOptions): Result<Ethernet> {
  if (bytes.length < ETHERNET_HEADER_LEN) {
    return fail('truncated', 'ethernet', `${bytes.length} bytes, header needs ${ETHERNET_HEADER_LEN}`);
  }
  const e = new Ethernet(NONE);
  e.dst = u48(bytes, F.dst);
  e.src = u48(bytes, F.src);
  let o: number = F.etherType;
  let type = u16(bytes, o);
  if (isTpid(type)) {
    const tags: VlanTag[] = [];
    while (isTpid(type)) {
      if (bytes.length < o + VLAN_TAG_LEN + 2) {
        return fail('truncated', 'ethernet', `802.1Q tag at byte ${o} runs past ${bytes.length} bytes`, o);
      }
      const tci = u16(bytes, o + F.tagTci);
      tags.push({ tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
      o += VLAN_TAG_LEN;
      type = u16(bytes, o);
    }
    e.vlan = tags;
  }
  e.etherType = type;
  e.payload = bytes.subarray(o + 2);
  return ok(e);
}
