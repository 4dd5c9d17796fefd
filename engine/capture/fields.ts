/**
 * The fast path of packet analysis: one allocation-free walk over a frame that records, per layer
 * occurrence, the few fields display filters and the packet store need (addresses, ports, flags,
 * protocol presence). It reads the codecs' exported field offsets directly from the (chunk) buffer,
 * so no subarray or view object is made per packet; the full dissection with values and byte ranges
 * is dissect.ts.
 *
 * Layering follows Wireshark's: Ethernet (802.1Q tags) → ARP | IPv4; IPv4 → TCP | UDP | ICMP (not
 * for fragments, which Wireshark leaves to reassembly); UDP → DNS (port 53) | GENEVE (port 6081),
 * the lower port tried first (decode_udp_ports); TCP → HTTP on Wireshark's default HTTP ports when
 * the segment carries data; GENEVE → inner Ethernet (TEB) | IPv4; ICMP errors → the quoted IPv4
 * datagram, whose TCP header is shown without payload analysis (Wireshark's in_error_pkt) and whose
 * UDP payload is dissected. Every field can occur several times (quoted or inner layers); a filter
 * test is true when any occurrence satisfies it, as in Wireshark.
 *
 * Error contract: `walkFrame` never throws and never reads outside [start, end).
 */
import { ARP_OFFSETS } from '../wire/arp.ts';
import { u16, u32, u48 } from '../wire/bytes.ts';
import { DNS_HEADER_LEN } from '../wire/dns.ts';
import { ETHERNET_HEADER_LEN, ETHERNET_OFFSETS, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_TEB, ETHERTYPE_VLAN, VLAN_TAG_LEN } from '../wire/ethernet.ts';
import { GENEVE_HEADER_LEN, GENEVE_OFFSETS, GENEVE_PORT } from '../wire/geneve.ts';
import { ICMP_HEADER_LEN, ICMP_OFFSETS, isIcmpErrorType } from '../wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_MIN_HEADER_LEN, IPV4_OFFSETS } from '../wire/ipv4.ts';
import { TCP_HEADER_LEN, TCP_OFFSETS } from '../wire/tcp.ts';
import { UDP_HEADER_LEN, UDP_OFFSETS } from '../wire/udp.ts';

/** Occurrences kept per field; deeper nesting is still walked but not recorded. */
export const MAX_OCC = 8;
/** GENEVE and ICMP quotes nest; stop at a depth no real capture reaches. */
const MAX_DEPTH = 8;

/** Wireshark 4.0's default TCP port range of the HTTP dissector (http.tcp.port). */
export const HTTP_TCP_PORTS: ReadonlySet<number> = new Set([80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710]);
export const DNS_UDP_PORT = 53;

/** The application protocol Wireshark picks for a UDP port pair: the lower port first. */
export function udpApp(sp: number, dp: number): 'dns' | 'geneve' | null {
  const lo = sp < dp ? sp : dp;
  const hi = sp < dp ? dp : sp;
  for (const p of [lo, hi]) {
    if (p === DNS_UDP_PORT) return 'dns';
    if (p === GENEVE_PORT) return 'geneve';
  }
  return null;
}

export function isHttpPort(sp: number, dp: number): boolean {
  return HTTP_TCP_PORTS.has(sp) || HTTP_TCP_PORTS.has(dp);
}

/** Per-frame field occurrences, reset by each `walkFrame`. One instance is reused for every packet. */
export class FrameFields {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;

  ethCount = 0;
  readonly ethSrc = new Float64Array(MAX_OCC);
  readonly ethDst = new Float64Array(MAX_OCC);

  ipCount = 0;
  readonly ipSrc = new Uint32Array(MAX_OCC);
  readonly ipDst = new Uint32Array(MAX_OCC);
  readonly ipProto = new Uint8Array(MAX_OCC);
  readonly ipTtl = new Uint8Array(MAX_OCC);

  tcpCount = 0;
  readonly tcpSrc = new Uint16Array(MAX_OCC);
  readonly tcpDst = new Uint16Array(MAX_OCC);
  /** The 12 flag bits, or -1 when the quote stops before them. */
  readonly tcpFlags = new Int16Array(MAX_OCC);
  /** Segment data length, -1 inside an ICMP error (Wireshark shows no tcp.len there). */
  readonly tcpLen = new Int32Array(MAX_OCC);
  readonly tcpSeq = new Uint32Array(MAX_OCC);
  readonly tcpAck = new Uint32Array(MAX_OCC);
  /** Index of the enclosing IPv4 occurrence. */
  readonly tcpIp = new Uint8Array(MAX_OCC);
  readonly tcpQuoted = new Uint8Array(MAX_OCC);

  udpCount = 0;
  readonly udpSrc = new Uint16Array(MAX_OCC);
  readonly udpDst = new Uint16Array(MAX_OCC);

  arpCount = 0;
  readonly arpOp = new Uint16Array(MAX_OCC);

  icmpCount = 0;
  readonly icmpType = new Uint8Array(MAX_OCC);
  readonly icmpCode = new Uint8Array(MAX_OCC);
  /** Bytes 4-7 (echo id and sequence), 0 when cut short. */
  readonly icmpRest = new Uint32Array(MAX_OCC);
  /** Index of the enclosing IPv4 occurrence. */
  readonly icmpIp = new Uint8Array(MAX_OCC);

  /** DNS messages as [offset, end) in `buf`. */
  dnsCount = 0;
  readonly dnsOff = new Uint32Array(MAX_OCC);
  readonly dnsEnd = new Uint32Array(MAX_OCC);

  /** HTTP segment data as [offset, end) in `buf`. */
  httpCount = 0;
  readonly httpOff = new Uint32Array(MAX_OCC);
  readonly httpEnd = new Uint32Array(MAX_OCC);

  geneveCount = 0;
  readonly geneveVni = new Uint32Array(MAX_OCC);

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.ethCount = this.ipCount = this.tcpCount = this.udpCount = this.arpCount = 0;
    this.icmpCount = this.dnsCount = this.httpCount = this.geneveCount = 0;
  }
}

/** Walks the Ethernet frame buf[start, end) into `f`. Never throws. */
export function walkFrame(buf: Uint8Array, start: number, end: number, f: FrameFields): void {
  f.reset(buf, start, end);
  ethernet(buf, start, end, f, 0);
}

function ethernet(b: Uint8Array, o: number, end: number, f: FrameFields, depth: number): void {
  if (end - o < ETHERNET_HEADER_LEN) return;
  const k = f.ethCount;
  if (k < MAX_OCC) {
    f.ethDst[k] = u48(b, o + ETHERNET_OFFSETS.dst);
    f.ethSrc[k] = u48(b, o + ETHERNET_OFFSETS.src);
    f.ethCount = k + 1;
  }
  let t = o + ETHERNET_OFFSETS.etherType;
  let type = u16(b, t);
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
    if (t + VLAN_TAG_LEN + 2 > end) return;
    t += VLAN_TAG_LEN;
    type = u16(b, t);
  }
  etherPayload(b, type, t + 2, end, f, depth);
}

function etherPayload(b: Uint8Array, type: number, o: number, end: number, f: FrameFields, depth: number): void {
  if (type === ETHERTYPE_IPV4) ipv4(b, o, end, f, depth, false);
  else if (type === ETHERTYPE_ARP) {
    if (end - o < ARP_OFFSETS.op + 2) return;
    const k = f.arpCount;
    if (k < MAX_OCC) {
      f.arpOp[k] = u16(b, o + ARP_OFFSETS.op);
      f.arpCount = k + 1;
    }
  }
}

function ipv4(b: Uint8Array, o: number, end: number, f: FrameFields, depth: number, quoted: boolean): void {
  if (end - o < IPV4_MIN_HEADER_LEN) return;
  const vi = b[o + IPV4_OFFSETS.verIhl]!;
  const hl = (vi & 0x0f) << 2;
  if (vi >>> 4 !== 4 || hl < IPV4_MIN_HEADER_LEN || o + hl > end) return;
  const k = f.ipCount;
  if (k >= MAX_OCC) return;
  const proto = b[o + IPV4_OFFSETS.protocol]!;
  f.ipSrc[k] = u32(b, o + IPV4_OFFSETS.src);
  f.ipDst[k] = u32(b, o + IPV4_OFFSETS.dst);
  f.ipProto[k] = proto;
  f.ipTtl[k] = b[o + IPV4_OFFSETS.ttl]!;
  f.ipCount = k + 1;
  const total = u16(b, o + IPV4_OFFSETS.totalLen);
  if (total < hl) return;
  // Fragments are not reassembled here; Wireshark shows them as "Fragmented IP protocol".
  if ((u16(b, o + IPV4_OFFSETS.flagsFrag) & 0x3fff) !== 0) return;
  // A capture cut by the snapshot length (or a quote) still shows the upper headers that are present.
  const pend = o + total < end ? o + total : end;
  const p = o + hl;
  if (proto === IPPROTO_TCP) tcp(b, p, pend, f, k, quoted);
  else if (proto === IPPROTO_UDP) udp(b, p, pend, f, depth, quoted);
  else if (proto === IPPROTO_ICMP) icmp(b, p, pend, f, depth, quoted, k);
}

function tcp(b: Uint8Array, o: number, end: number, f: FrameFields, ip: number, quoted: boolean): void {
  const n = end - o;
  if (n < 4) return;
  const k = f.tcpCount;
  if (k >= MAX_OCC) return;
  f.tcpSrc[k] = u16(b, o + TCP_OFFSETS.srcPort);
  f.tcpDst[k] = u16(b, o + TCP_OFFSETS.dstPort);
  f.tcpSeq[k] = n >= 8 ? u32(b, o + TCP_OFFSETS.seq) : 0;
  f.tcpAck[k] = n >= 12 ? u32(b, o + TCP_OFFSETS.ack) : 0;
  f.tcpFlags[k] = n >= 14 ? u16(b, o + TCP_OFFSETS.flags) & 0x0fff : -1;
  f.tcpIp[k] = ip;
  f.tcpQuoted[k] = quoted ? 1 : 0;
  f.tcpLen[k] = -1;
  f.tcpCount = k + 1;
  if (quoted || n < TCP_HEADER_LEN) return;
  const hl = (b[o + TCP_OFFSETS.dataOffset]! >>> 4) << 2;
  if (hl < TCP_HEADER_LEN || hl > n) return;
  f.tcpLen[k] = n - hl;
  if (n > hl && isHttpPort(f.tcpSrc[k]!, f.tcpDst[k]!) && f.httpCount < MAX_OCC) {
    f.httpOff[f.httpCount] = o + hl;
    f.httpEnd[f.httpCount] = end;
    f.httpCount++;
  }
}

function udp(b: Uint8Array, o: number, end: number, f: FrameFields, depth: number, quoted: boolean): void {
  if (end - o < UDP_HEADER_LEN) return;
  const k = f.udpCount;
  if (k >= MAX_OCC) return;
  const sp = u16(b, o + UDP_OFFSETS.srcPort);
  const dp = u16(b, o + UDP_OFFSETS.dstPort);
  f.udpSrc[k] = sp;
  f.udpDst[k] = dp;
  f.udpCount = k + 1;
  const len = u16(b, o + UDP_OFFSETS.length);
  if (len < UDP_HEADER_LEN) return;
  let pend = o + len;
  if (pend > end) {
    if (!quoted) return;
    pend = end;
  }
  const p = o + UDP_HEADER_LEN;
  const app = udpApp(sp, dp);
  if (app === 'dns') {
    if (pend - p >= DNS_HEADER_LEN && f.dnsCount < MAX_OCC) {
      f.dnsOff[f.dnsCount] = p;
      f.dnsEnd[f.dnsCount] = pend;
      f.dnsCount++;
    }
  } else if (app === 'geneve') {
    geneve(b, p, pend, f, depth);
  }
}

function geneve(b: Uint8Array, o: number, end: number, f: FrameFields, depth: number): void {
  if (end - o < GENEVE_HEADER_LEN) return;
  const v0 = b[o + GENEVE_OFFSETS.verOptLen]!;
  if (v0 >>> 6 !== 0) return;
  const k = f.geneveCount;
  if (k >= MAX_OCC) return;
  f.geneveVni[k] = u32(b, o + GENEVE_OFFSETS.vni) >>> 8;
  f.geneveCount = k + 1;
  const hl = GENEVE_HEADER_LEN + (v0 & 0x3f) * 4;
  if (o + hl > end || depth >= MAX_DEPTH) return;
  // O bit: a control message, not a tunnelled frame.
  if ((b[o + GENEVE_OFFSETS.flags]! & 0x80) !== 0) return;
  const proto = u16(b, o + GENEVE_OFFSETS.protocol);
  if (proto === ETHERTYPE_TEB) ethernet(b, o + hl, end, f, depth + 1);
  else if (proto === ETHERTYPE_IPV4) ipv4(b, o + hl, end, f, depth + 1, false);
}

function icmp(b: Uint8Array, o: number, end: number, f: FrameFields, depth: number, quoted: boolean, ip: number): void {
  if (end - o < 4) return;
  const k = f.icmpCount;
  if (k >= MAX_OCC) return;
  const type = b[o + ICMP_OFFSETS.type]!;
  f.icmpType[k] = type;
  f.icmpCode[k] = b[o + ICMP_OFFSETS.code]!;
  f.icmpRest[k] = end - o >= ICMP_HEADER_LEN ? u32(b, o + ICMP_OFFSETS.rest) : 0;
  f.icmpIp[k] = ip;
  f.icmpCount = k + 1;
  if (quoted || depth >= MAX_DEPTH || end - o < ICMP_HEADER_LEN) return;
  if (isIcmpErrorType(type)) ipv4(b, o + ICMP_OFFSETS.data, end, f, depth + 1, true);
}
