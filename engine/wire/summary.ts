/**
 * One tcpdump-style line per Ethernet frame (`tcpdump -nn`, absolute TCP sequence numbers), the single
 * place that composes the codecs' `toString()` texts:
 *
 *   IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [S], seq 1000, win 64240, options [mss 1460], length 0
 *   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
 *   IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64
 *   IP 10.0.0.1.5353 > 10.0.0.2.53: 4660+ A? www.example.com. (33)
 *   IP ...: Flags [P.], seq 1:79, ack 1, win 502, length 78: HTTP: GET / HTTP/1.1
 *   IP a.6081 > b.6081: Geneve, Flags [none], vni 0x1, proto TEB (0x6558): IP inner ...
 *
 * With `linkHeader` (tcpdump -e) the Ethernet header and VLAN tags come first (`02:..:01 > 02:..:02,
 * ethertype IPv4 (0x0800), length 74: IP ...`), also for the inner frame of GENEVE.
 *
 * Error contract: never throws. What decodes is printed; where a layer stops decoding the line ends
 * with tcpdump's truncation mark for it (`[|ether]`, `[|arp]`, `[|ip]`, `[|tcp]`, `[|udp]`, `[|icmp]`,
 * `[|domain]`, `[|geneve]`). Checksums are not verified for display.
 */
import { ipv4ToString } from './addr.ts';
import { parseArp } from './arp.ts';
import { parseDns } from './dns.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_TEB, etherTypeName, parseEthernet } from './ethernet.ts';
import { GENEVE_PORT, parseGeneve } from './geneve.ts';
import { parseIcmp } from './icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4Line, parseIpv4, type Ipv4 } from './ipv4.ts';
import { formatTcp, parseTcp, type Tcp } from './tcp.ts';
import { parseUdp } from './udp.ts';

export interface SummaryOptions {
  /** Print the link-level header first, like tcpdump -e. */
  readonly linkHeader?: boolean;
}

const IGNORE = { checksum: 'ignore' } as const;
const DNS_PORT = 53;
/** Ports tcpdump decodes as HTTP (print-tcp.c: http, http-alt, and 8000). */
const HTTP_PORTS = new Set([80, 8000, 8080]);
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
/** GENEVE nests frames; stop recursing at a depth no real capture reaches. */
const MAX_DEPTH = 8;

/** The tcpdump-style line for one Ethernet frame. Never throws. */
export function summarizeFrame(bytes: Uint8Array, opts: SummaryOptions = {}): string {
  try {
    return ethernetLine(bytes, opts.linkHeader === true, 0);
  } catch {
    // Defensive: a codec bug must not take down a capture listing.
    return '[|ether]';
  }
}

function ethernetLine(bytes: Uint8Array, link: boolean, depth: number): string {
  const r = parseEthernet(bytes, IGNORE);
  if (!r.ok) return '[|ether]';
  const eth = r.value;
  const prefix = link ? `${eth.toString()}: ` : '';
  return prefix + etherPayload(eth.etherType, eth.payload, link, depth);
}

function etherPayload(type: number, payload: Uint8Array, link: boolean, depth: number): string {
  switch (type) {
    case ETHERTYPE_ARP: {
      const a = parseArp(payload, IGNORE);
      return a.ok ? `ARP, ${a.value.toString()}` : 'ARP, [|arp]';
    }
    case ETHERTYPE_IPV4:
      return ipv4Text(payload, link, depth);
    default:
      return `ethertype ${etherTypeName(type)} (0x${type.toString(16).padStart(4, '0')}), length ${payload.length}`;
  }
}

function ipv4Text(bytes: Uint8Array, link: boolean, depth: number): string {
  // `partial` accepts a packet cut short by the snapshot length; the cut is marked after the upper layer.
  const r = parseIpv4(bytes, { checksum: 'ignore', partial: true });
  if (!r.ok) return 'IP [|ip]';
  const ip = r.value;
  const declared = (bytes[2]! << 8) | bytes[3]!;
  const cut = declared > bytes.length;
  if (ip.fragOffset > 0) return ip.toShortString();
  switch (ip.protocol) {
    case IPPROTO_TCP:
      return cut ? tcpCut(ip, declared) : tcpText(ip);
    case IPPROTO_UDP:
      return cut ? portsLine(ip, 'udp') : udpText(ip, link, depth);
    case IPPROTO_ICMP: {
      const m = parseIcmp(ip.payload, IGNORE);
      if (!m.ok) return ipv4Line(ip, '[|icmp]');
      return ipv4Line(ip, m.value.toString()) + (cut ? ' [|icmp]' : '');
    }
    default:
      return ip.toShortString();
  }
}

/** `IP a.p > b.q: [|proto]` when the ports are there, else `IP a > b: [|proto]`. */
function portsLine(ip: Ipv4, proto: string): string {
  const p = ip.payload;
  if (p.length < 4) return ipv4Line(ip, `[|${proto}]`);
  const sp = (p[0]! << 8) | p[1]!;
  const dp = (p[2]! << 8) | p[3]!;
  return `IP ${ipv4ToString(ip.src)}.${sp} > ${ipv4ToString(ip.dst)}.${dp}: [|${proto}]`;
}

function tcpText(ip: Ipv4): string {
  const t = parseTcp(ip.payload, IGNORE);
  if (!t.ok) return portsLine(ip, 'tcp');
  const tcp = t.value;
  let s = tcpLine(tcp, ip);
  if (tcp.payload.length > 0 && (HTTP_PORTS.has(tcp.srcPort) || HTTP_PORTS.has(tcp.dstPort))) s += `: ${httpText(tcp.payload)}`;
  return s;
}

/**
 * A segment cut short by the snapshot length: the header line with the length the IP header
 * declares (as tcpdump prints it), then the mark; only the ports when the header itself is cut.
 */
function tcpCut(ip: Ipv4, declared: number): string {
  const p = ip.payload;
  const hl = p.length >= 13 ? (p[12]! >>> 4) * 4 : 60;
  if (hl < 20 || p.length < hl) return portsLine(ip, 'tcp');
  const t = parseTcp(p, IGNORE);
  if (!t.ok) return portsLine(ip, 'tcp');
  const tcp = t.value;
  const dataLen = declared - ip.headerLen() - hl;
  if (dataLen > tcp.payload.length) tcp.payload = new Uint8Array(dataLen);
  return `${tcpLine(tcp, ip)} [|tcp]`;
}

/** formatTcp gives `a.p > b.q: ...`; tcpdump's line starts with the network layer, `IP `. */
function tcpLine(tcp: Tcp, ip: Ipv4): string {
  const s = formatTcp(tcp, ip.src, ip.dst);
  return s.startsWith('IP ') ? s : `IP ${s}`;
}

/** tcpdump's txtproto_print: `HTTP: <first line>` for a request or status line, else `HTTP`. */
function httpText(data: Uint8Array): string {
  const max = Math.min(data.length, 300);
  let end = 0;
  while (end < max && data[end] !== 0x0d && data[end] !== 0x0a) end++;
  let line = '';
  for (let i = 0; i < end; i++) {
    const c = data[i]!;
    if (c < 0x20 || c > 0x7e) return 'HTTP';
    line += String.fromCharCode(c);
  }
  const sp = line.indexOf(' ');
  const first = sp < 0 ? line : line.slice(0, sp);
  if (line.startsWith('HTTP/') || (sp > 0 && HTTP_METHODS.includes(first))) return `HTTP: ${line}`;
  return 'HTTP';
}

function udpText(ip: Ipv4, link: boolean, depth: number): string {
  const u = parseUdp(ip.payload, IGNORE);
  if (!u.ok) return portsLine(ip, 'udp');
  const udp = u.value;
  const ends = `IP ${ipv4ToString(ip.src)}.${udp.srcPort} > ${ipv4ToString(ip.dst)}.${udp.dstPort}: `;
  if (udp.srcPort === DNS_PORT || udp.dstPort === DNS_PORT) {
    const d = parseDns(udp.payload, IGNORE);
    return ends + (d.ok ? d.value.toString() : '[|domain]');
  }
  if (udp.dstPort === GENEVE_PORT) {
    const g = parseGeneve(udp.payload, IGNORE);
    if (!g.ok) return `${ends}[|geneve]`;
    const gen = g.value;
    let s = ends + gen.toString();
    if (gen.oam || depth >= MAX_DEPTH) return s;
    if (gen.protocol === ETHERTYPE_TEB) s += `: ${ethernetLine(gen.payload, link, depth + 1)}`;
    else if (gen.protocol === ETHERTYPE_IPV4) s += `: ${ipv4Text(gen.payload, link, depth + 1)}`;
    return s;
  }
  return `${ends}UDP, length ${udp.payload.length}`;
}
