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
 * `[|domain]`, `[|geneve]`). The one-line form verifies no checksum; `verbose` (tcpdump -v) does, as
 * tcpdump does (see the section at the end).
 */
import { ipv4ToString } from './addr.ts';
import { ARP_LEN, parseArp } from './arp.ts';
import { parseDns } from './dns.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_TEB, etherTypeName, parseEthernet } from './ethernet.ts';
import { GENEVE_PORT, parseGeneve } from './geneve.ts';
import { icmpChecksumNote, parseIcmp } from './icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4Line, ipv4VerboseHeader, parseIpv4, type Ipv4 } from './ipv4.ts';
import { formatTcp, formatTcpVerbose, parseTcp, type Tcp } from './tcp.ts';
import { parseUdp, udpChecksumNote } from './udp.ts';

export interface SummaryOptions {
  /** Print the link-level header first, like tcpdump -e. */
  readonly linkHeader?: boolean;
  /**
   * tcpdump's -v count (0: the one-line form above). From 1 the text is tcpdump -v's and may span
   * lines (joined by '\n', no trailing newline): see `verboseEthernet`.
   */
  readonly verbose?: number;
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
    const v = opts.verbose ?? 0;
    if (v > 0) return verboseEthernet(bytes, opts.linkHeader === true, v, 0);
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

// ---------------------------------------------------------------------------------------------
// tcpdump -v
//
// Each IPv4 packet prints as `IP (tos ..., length N)` then, on the next line indented by four spaces,
// the upper layer (print-ip.c). TCP gains `cksum 0x... (correct)` (print-tcp.c), ICMP a note when its
// checksum is wrong and, for an error, the quoted datagram on a line of its own after `\n\t`, itself
// printed -v (print-icmp.c); DNS names each record's owner (print-domain.c); HTTP prints every text
// line (util-print.c txtproto_print); ARP names its address formats (print-arp.c). With -e tcpdump
// leaves out the `IP `/`ARP, ` prefix everywhere, quotes and tunnelled packets included.
//
// -vv adds UDP's checksum note, seq on every TCP segment and DNS's other sections; -vvv DNS TTLs.
// Further v's print as -vvv: nothing else in these protocols changes.
//
// What stays as the one-line form prints it (and so as it differs from tcpdump there): ARP beyond
// its prefix and length, Geneve's header, DNS names of rcodes/classes, and TXT data.

function verboseEthernet(bytes: Uint8Array, link: boolean, level: number, depth: number): string {
  const r = parseEthernet(bytes, IGNORE);
  if (!r.ok) return '[|ether]';
  const eth = r.value;
  // print-ether.c ends the link header with `, ` after VLAN tags, `: ` otherwise.
  const prefix = link ? `${eth.toString()}${eth.vlan.length > 0 ? ', ' : ': '}` : '';
  switch (eth.etherType) {
    case ETHERTYPE_ARP: {
      const a = parseArp(eth.payload, IGNORE);
      const name = link ? '' : 'ARP, ';
      if (!a.ok) return `${prefix}${name}[|arp]`;
      // print-arp.c prints the length it was handed: the Ethernet payload, padding included.
      const text = a.value.toString().replace(new RegExp(`, length ${ARP_LEN}$`), `, length ${eth.payload.length}`);
      return `${prefix}${name}Ethernet (len 6), IPv4 (len 4), ${text}`;
    }
    case ETHERTYPE_IPV4:
      return prefix + verboseIpv4(eth.payload, link, level, depth);
    default:
      return prefix + etherPayload(eth.etherType, eth.payload, link, depth);
  }
}

/**
 * One IPv4 packet, -v. `bytes` may stop before Total Length (a datagram quoted by an ICMP error):
 * the upper layer then prints what is there, and checksums that cover missing bytes are not checked.
 */
function verboseIpv4(bytes: Uint8Array, link: boolean, level: number, depth: number): string {
  const name = link ? '' : 'IP ';
  const r = parseIpv4(bytes, { checksum: 'ignore', partial: true });
  if (!r.ok) return `${name}[|ip]`;
  const ip = r.value;
  const head = `${name}${ipv4VerboseHeader(bytes)}\n    `;
  const declared = (bytes[2]! << 8) | bytes[3]!;
  const whole = declared <= bytes.length;
  const fragmented = ip.mf || ip.fragOffset > 0;
  const src = ipv4ToString(ip.src);
  const dst = ipv4ToString(ip.dst);
  // print-ip.c: a later fragment names the protocol only; an unknown one gets its length too
  // (after two spaces: ip_print prints the separator, then the protocol printer its own).
  if (ip.fragOffset > 0) return `${head}${src} > ${dst}: ip-proto-${ip.protocol}`;
  switch (ip.protocol) {
    case IPPROTO_TCP:
      return head + verboseTcp(ip, whole && !fragmented, level);
    case IPPROTO_UDP:
      return head + verboseUdp(ip, whole && !fragmented, link, level, depth);
    case IPPROTO_ICMP:
      return head + verboseIcmp(ip, declared - ip.headerLen(), whole && !fragmented, link, level, depth);
    default:
      return `${head}${src} > ${dst}:  ip-proto-${ip.protocol} ${declared - ip.headerLen()}`;
  }
}

/** `a.p > b.q:  [|proto]` as tcpdump prints a header cut after the ports (the mark after a space). */
function cutAfterPorts(ip: Ipv4, proto: string): string {
  const p = ip.payload;
  if (p.length < 4) return `${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: [|${proto}]`;
  return `${ipv4ToString(ip.src)}.${(p[0]! << 8) | p[1]!} > ${ipv4ToString(ip.dst)}.${(p[2]! << 8) | p[3]!}:  [|${proto}]`;
}

function verboseTcp(ip: Ipv4, verify: boolean, level: number): string {
  const t = parseTcp(ip.payload, IGNORE);
  if (!t.ok) return cutAfterPorts(ip, 'tcp');
  const tcp = t.value;
  let s = formatTcpVerbose(tcp, ip.src, ip.dst, ip.payload, verify, level);
  if (tcp.payload.length > 0 && (HTTP_PORTS.has(tcp.srcPort) || HTTP_PORTS.has(tcp.dstPort))) s += `: ${httpVerbose(tcp.payload)}`;
  return s;
}

/**
 * print-http.c's request methods (txtproto_print matches the first token without case); a
 * response is recognised by a three-digit second token (RESP_CODE_SECOND_TOKEN).
 */
const HTTP_CMDS = new Set(
  'GET PUT COPY HEAD LOCK MOVE POLL POST BCOPY BMOVE MKCOL TRACE LABEL MERGE DELETE SEARCH UNLOCK REPORT UPDATE NOTIFY BDELETE CONNECT OPTIONS CHECKIN PROPFIND CHECKOUT CCM_POST SUBSCRIBE PROPPATCH BPROPFIND BPROPPATCH UNCHECKOUT MKACTIVITY MKWORKSPACE UNSUBSCRIBE RPC_CONNECT VERSION-CONTROL BASELINE-CONTROL'.split(' '),
);

const printable = (c: number): boolean => c >= 0x20 && c <= 0x7e;

/** util-print.c fetch_token: the token at `at` (up to a space or unprintable byte) and where the next one starts. */
function fetchToken(d: Uint8Array, at: number): { token: string; next: number } | null {
  let i = at;
  let token = '';
  while (i < d.length && printable(d[i]!) && d[i] !== 0x20) token += String.fromCharCode(d[i++]!);
  if (token === '') return null;
  while (i < d.length && d[i] !== 0x0d && d[i] !== 0x0a && (d[i] === 0x20 || d[i] === 0x09)) i++;
  return { token, next: i };
}

/**
 * util-print.c txtproto_print, verbose: `HTTP, length: N` then each text line after `\n\t`, until
 * a byte that is not printable text; a last line without its end is marked ` [|http]`.
 */
function httpVerbose(d: Uint8Array): string {
  const first = fetchToken(d, 0);
  let recognised = false;
  if (first !== null) {
    if (HTTP_CMDS.has(first.token.toUpperCase())) recognised = true;
    const second = fetchToken(d, first.next);
    if (second !== null && /^[0-9]{3}$/.test(second.token)) recognised = true;
  }
  if (!recognised) return 'HTTP';
  let s = `HTTP, length: ${d.length}`;
  let i = 0;
  while (i < d.length) {
    const start = i;
    let end = -1;
    while (i < d.length) {
      const c = d[i]!;
      if (c === 0x0a) {
        end = i++;
        break;
      }
      if (c === 0x0d) {
        if (i + 1 >= d.length || d[i + 1] !== 0x0a) return s;
        end = i;
        i += 2;
        break;
      }
      if (!printable(c) && c !== 0x09) return s;
      i++;
    }
    if (end < 0) return `${s}\n\t${latin1(d, start, d.length)} [|http]`;
    s += `\n\t${latin1(d, start, end)}`;
  }
  return s;
}

function latin1(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(d[i]!);
  return s;
}

function verboseUdp(ip: Ipv4, whole: boolean, link: boolean, level: number, depth: number): string {
  const p = ip.payload;
  if (p.length < 8) return cutAfterPorts(ip, 'udp');
  const sp = (p[0]! << 8) | p[1]!;
  const dp = (p[2]! << 8) | p[3]!;
  const ulen = (p[4]! << 8) | p[5]!;
  let s = `${ipv4ToString(ip.src)}.${sp} > ${ipv4ToString(ip.dst)}.${dp}: `;
  // print-udp.c: checksum only with -vv, and only over a whole datagram.
  if (level >= 2 && whole) s += udpChecksumNote(p, ip.src, ip.dst);
  const u = parseUdp(p, IGNORE);
  // The datagram as far as it is present (a quote may cut it); the length printed is the header's.
  const data = u.ok ? u.value.payload : p.subarray(8, Math.max(8, Math.min(p.length, ulen)));
  if (sp === DNS_PORT || dp === DNS_PORT) {
    const d = parseDns(data, IGNORE);
    return s + (d.ok ? d.value.toVerboseString(level) : ' [|domain]');
  }
  if (dp === GENEVE_PORT && u.ok) {
    const g = parseGeneve(data, IGNORE);
    if (!g.ok) return `${s}[|geneve]`;
    const gen = g.value;
    s += gen.toString();
    if (gen.oam || depth >= MAX_DEPTH) return s;
    // print-geneve.c: -v puts the inner packet on a line of its own.
    if (gen.protocol === ETHERTYPE_TEB) s += `\n\t${verboseEthernet(gen.payload, link, level, depth + 1)}`;
    else if (gen.protocol === ETHERTYPE_IPV4) s += `\n\t${verboseIpv4(gen.payload, link, level, depth + 1)}`;
    return s;
  }
  return `${s}UDP, length ${ulen < 8 ? 0 : ulen - 8}`;
}

function verboseIcmp(ip: Ipv4, length: number, whole: boolean, link: boolean, level: number, depth: number): string {
  const ends = `${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: `;
  const m = parseIcmp(ip.payload, IGNORE);
  if (!m.ok) return `${ends}[|icmp]`;
  const icmp = m.value;
  let s = ends + icmp.toString(length);
  if (whole) s += icmpChecksumNote(ip.payload);
  // The quoted datagram (print-icmp.c: `\n\t` then ip_print of it). tcpdump also looks for RFC 4884
  // MPLS extensions after 128 quoted bytes; pktlab sends none, and one is reported only when a
  // checksum over those bytes happens to verify, so that is left out.
  if (icmp.isError() && depth < MAX_DEPTH) s += `\n\t${verboseIpv4(icmp.payload, link, level, depth + 1)}`;
  return s;
}
