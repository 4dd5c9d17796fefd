/**
 * One tcpdump-style line per Ethernet frame (`tcpdump -nn`, absolute TCP sequence numbers), the single
 * place that composes the codecs' `toString()` texts:
 *
 *   IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [S], seq 1000, win 64240, options [mss 1460], length 0
 *   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 46
 *   IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64
 *   IP 10.0.0.1.5353 > 10.0.0.2.53: 4660+ A? www.example.com. (33)
 *   IP ...: Flags [P.], seq 1:79, ack 1, win 502, length 78: HTTP: GET / HTTP/1.1
 *   IP a.6081 > b.6081: Geneve, Flags [none], vni 0x1, options [32 bytes]: IP inner ...
 *
 * With `linkHeader` (tcpdump -e) the Ethernet header and VLAN tags come first (`02:..:01 > 02:..:02,
 * ethertype IPv4 (0x0800), length 74: 10.0.0.1 > ...`), also for the inner frame of GENEVE; the `IP ` and
 * `ARP, ` that name the protocol without -e are then left out, as tcpdump does.
 *
 * Error contract: never throws. What decodes is printed; where a layer stops decoding the line ends
 * with tcpdump's truncation mark for it (`[|ether]`, `[|arp]`, `[|ip]`, `[|tcp]`, `[|udp]`, `[|icmp]`,
 * `[|domain]`, `[|geneve]`). The one-line form verifies no checksum; `verbose` (tcpdump -v) does, as
 * tcpdump does (see the section at the end).
 */
import { ipv4ToString } from './addr.ts';
import { parseArp } from './arp.ts';
import { parseDns } from './dns.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_TEB, etherTypeName, parseEthernet, type Ethernet } from './ethernet.ts';
import { formatGeneveTcpdump, GENEVE_PORT, parseGeneve } from './geneve.ts';
import { icmpChecksumNote, parseIcmp } from './icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4VerboseHeader, parseIpv4, type Ipv4 } from './ipv4.ts';
import { formatTcp, formatTcpVerbose, parseTcp } from './tcp.ts';
import { udpChecksumNote } from './udp.ts';

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
/** Ports tcpdump decodes as HTTP (print-tcp.c: TCP_PORT_HTTP and TCP_PORT_HTTP_ALT; not 8000). */
const HTTP_PORTS = new Set([80, 8080]);
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
  return linkPrefix(eth, link) + etherPayload(eth, link, depth);
}

/** tcpdump -e's link header; print-ether.c ends it with `, ` after VLAN tags, `: ` otherwise. */
function linkPrefix(eth: Ethernet, link: boolean): string {
  return link ? `${eth.toString()}${eth.vlan.length > 0 ? ', ' : ': '}` : '';
}

function etherPayload(eth: Ethernet, link: boolean, depth: number): string {
  const type = eth.etherType;
  switch (type) {
    case ETHERTYPE_ARP:
      return arpText(eth.payload, link, 0);
    case ETHERTYPE_IPV4:
      return ipv4Text(eth.payload, link, depth);
    default:
      return `ethertype ${etherTypeName(type)} (0x${type.toString(16).padStart(4, '0')}), length ${eth.payload.length}`;
  }
}

/**
 * print-arp.c: `ARP, ` only without -e; -v names the address formats; the length is the one it was
 * handed, the Ethernet payload with its padding (46 for a minimum-size frame), not ARP's 28.
 */
function arpText(payload: Uint8Array, link: boolean, level: number): string {
  const name = link ? '' : 'ARP, ';
  const a = parseArp(payload, IGNORE);
  if (!a.ok) return `${name}[|arp]`;
  return `${name}${level > 0 ? 'Ethernet (len 6), IPv4 (len 4), ' : ''}${a.value.toString(payload.length)}`;
}

/** `a > b: inner`; print-ip.c leaves the `IP ` before it out with -e. */
function addrs(ip: Ipv4, inner: string): string {
  return `${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: ${inner}`;
}

function ipv4Text(bytes: Uint8Array, link: boolean, depth: number): string {
  const name = link ? '' : 'IP ';
  // `partial` accepts a packet cut short by the snapshot length; the cut is marked after the upper layer.
  const r = parseIpv4(bytes, { checksum: 'ignore', partial: true });
  if (!r.ok) return `${name}[|ip]`;
  const ip = r.value;
  const declared = (bytes[2]! << 8) | bytes[3]!;
  const cut = declared > bytes.length;
  // print-ip.c: a later fragment names its protocol only, after one space; an unknown protocol
  // gets its length too, after two (ip_print prints `: `, then the default case ` ip-proto-N N`).
  if (ip.fragOffset > 0) return `${name}${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: ip-proto-${ip.protocol}`;
  switch (ip.protocol) {
    case IPPROTO_TCP:
      return name + (cut ? tcpCut(ip, declared) : tcpText(ip));
    case IPPROTO_UDP:
      // A datagram cut by the snapshot length still prints from its header on (print-udp.c).
      return name + (ip.payload.length < 8 ? cutAfterPorts(ip, 'udp') : udpBody(ip, declared - ip.headerLen(), !cut, link, 0, depth));
    case IPPROTO_ICMP: {
      const m = parseIcmp(ip.payload, IGNORE);
      // print-icmp.c: a cut header is the mark alone, after `: ` and nd_print_trunc's own space.
      if (!m.ok) return name + addrs(ip, ' [|icmp]');
      return name + addrs(ip, m.value.toString()) + (cut ? ' [|icmp]' : '');
    }
    default:
      return `${name}${addrs(ip, ` ip-proto-${ip.protocol} ${declared - ip.headerLen()}`)}`;
  }
}

function tcpText(ip: Ipv4): string {
  const t = parseTcp(ip.payload, IGNORE);
  if (!t.ok) return cutAfterPorts(ip, 'tcp');
  const tcp = t.value;
  let s = formatTcp(tcp, ip.src, ip.dst);
  if (tcp.payload.length > 0 && (HTTP_PORTS.has(tcp.srcPort) || HTTP_PORTS.has(tcp.dstPort))) s += `: ${httpText(tcp.payload, 0)}`;
  return s;
}

/**
 * A segment cut short by the snapshot length: the header line with the length the IP header
 * declares (as tcpdump prints it), then the mark; only the ports when the header itself is cut.
 */
function tcpCut(ip: Ipv4, declared: number): string {
  const p = ip.payload;
  const hl = p.length >= 13 ? (p[12]! >>> 4) * 4 : 60;
  if (hl < 20 || p.length < hl) return cutAfterPorts(ip, 'tcp');
  const t = parseTcp(p, IGNORE);
  if (!t.ok) return cutAfterPorts(ip, 'tcp');
  const tcp = t.value;
  const dataLen = declared - ip.headerLen() - hl;
  if (dataLen > tcp.payload.length) tcp.payload = new Uint8Array(dataLen);
  return `${formatTcp(tcp, ip.src, ip.dst)} [|tcp]`;
}

// ---------------------------------------------------------------------------------------------
// tcpdump -v
//
// Each IPv4 packet prints as `IP (tos ..., length N)` then, on the next line indented by four spaces,
// the upper layer (print-ip.c). TCP gains `cksum 0x... (correct)` (print-tcp.c), ICMP a note when its
// checksum is wrong and, for an error, the quoted datagram on a line of its own after `\n\t`, itself
// printed -v (print-icmp.c); DNS names each record's owner (print-domain.c); HTTP prints every text
// line (util-print.c txtproto_print); ARP names its address formats (print-arp.c); Geneve lists its
// options (print-geneve.c). With -e tcpdump leaves out the `IP `/`ARP, ` prefix everywhere, quotes
// and tunnelled packets included.
//
// -vv adds UDP's checksum note, seq on every TCP segment, DNS's other sections and Geneve's option
// data; -vvv DNS TTLs. Further v's print as -vvv: nothing else in these protocols changes.

function verboseEthernet(bytes: Uint8Array, link: boolean, level: number, depth: number): string {
  const r = parseEthernet(bytes, IGNORE);
  if (!r.ok) return '[|ether]';
  const eth = r.value;
  const prefix = linkPrefix(eth, link);
  switch (eth.etherType) {
    case ETHERTYPE_ARP:
      return prefix + arpText(eth.payload, link, level);
    case ETHERTYPE_IPV4:
      return prefix + verboseIpv4(eth.payload, link, level, depth);
    default:
      return prefix + etherPayload(eth, link, depth);
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
      return head + (ip.payload.length < 8 ? cutAfterPorts(ip, 'udp') : udpBody(ip, declared - ip.headerLen(), whole && !fragmented, link, level, depth));
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
  if (tcp.payload.length > 0 && (HTTP_PORTS.has(tcp.srcPort) || HTTP_PORTS.has(tcp.dstPort))) s += `: ${httpText(tcp.payload, level)}`;
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

/**
 * util-print.c fetch_token: the token at `at` (ended by a space, tab, CR or LF; none if an
 * unprintable byte comes first or it outgrows MAX_TOKEN) and where the next one starts, past the
 * spaces after it (a tab, not printable there, stops that skip).
 */
function fetchToken(d: Uint8Array, at: number): { token: string; next: number } | null {
  let i = at;
  let token = '';
  for (; i < d.length; i++) {
    const c = d[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!printable(c) || token.length + 2 > MAX_TOKEN + 1) return null;
    token += String.fromCharCode(c);
  }
  if (token === '') return null;
  while (i < d.length && d[i] === 0x20) i++;
  return { token, next: i };
}

/** util-print.c MAX_TOKEN: a longer token is none. */
const MAX_TOKEN = 128;

/**
 * util-print.c print_txt_line: the line at `at`, ended by LF or CR LF (a lone CR or a byte that is
 * neither printable nor a tab makes it binary: null); a line the data ends in is printed with ` [|http]`.
 */
function txtLine(d: Uint8Array, at: number): { text: string; next: number } | null {
  for (let i = at; i < d.length; i++) {
    const c = d[i]!;
    if (c === 0x0a) return { text: latin1(d, at, i), next: i + 1 };
    if (c === 0x0d) {
      if (i + 1 >= d.length || d[i + 1] !== 0x0a) return null;
      return { text: latin1(d, at, i), next: i + 2 };
    }
    if (!printable(c) && c !== 0x09) return null;
  }
  return { text: `${latin1(d, at, d.length)} [|http]`, next: d.length };
}

/**
 * util-print.c txtproto_print: `HTTP` alone unless the data starts as a request or a response;
 * then without -v `HTTP: <first line>`, with -v `HTTP, length: N` and each text line after `\n\t`,
 * until a line that is not text.
 */
function httpText(d: Uint8Array, level: number): string {
  const first = fetchToken(d, 0);
  let recognised = false;
  if (first !== null) {
    if (HTTP_CMDS.has(first.token.toUpperCase())) recognised = true;
    const second = fetchToken(d, first.next);
    if (second !== null && /^[0-9]{3}$/.test(second.token)) recognised = true;
  }
  if (!recognised) return 'HTTP';
  if (level === 0) {
    const line = txtLine(d, 0);
    return line === null ? 'HTTP' : `HTTP: ${line.text}`;
  }
  let s = `HTTP, length: ${d.length}`;
  for (let i = 0; i < d.length; ) {
    const line = txtLine(d, i);
    if (line === null) break;
    s += `\n\t${line.text}`;
    i = line.next;
  }
  return s;
}

function latin1(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(d[i]!);
  return s;
}

/**
 * A UDP datagram whose 8-byte header is there, as print-udp.c udp_print prints it at any -v `level`
 * (0: the one-line form). `ipLen` is IP's payload length as its header declares it; `whole`: the
 * datagram is all there and no fragment, so -vv can check its checksum. The length handed on is the
 * smaller of UDP's and IP's; a datagram longer than its IP packet is a bad length unless the packet
 * is a first fragment.
 */
function udpBody(ip: Ipv4, ipLen: number, whole: boolean, link: boolean, level: number, depth: number): string {
  const p = ip.payload;
  const sp = (p[0]! << 8) | p[1]!;
  const dp = (p[2]! << 8) | p[3]!;
  const ulen = (p[4]! << 8) | p[5]!;
  let s = `${ipv4ToString(ip.src)}.${sp} > ${ipv4ToString(ip.dst)}.${dp}: `;
  if (ulen < 8) return `${s}truncated-udplength ${ulen}`;
  // From the declared length: a quote or the snapshot length may cut the bytes short.
  const length = ipLen - 8;
  const data = p.subarray(8, 8 + Math.min(ulen - 8, length));
  // print-udp.c: checksum only with -vv, and only over a whole datagram.
  if (level >= 2 && whole) s += udpChecksumNote(p, ip.src, ip.dst, 8 + data.length);
  if (sp === DNS_PORT || dp === DNS_PORT) {
    const d = parseDns(data, IGNORE);
    return s + (d.ok ? d.value.toVerboseString(level) : ' [|domain]');
  }
  if (dp === GENEVE_PORT && data.length === ulen - 8) {
    const g = parseGeneve(data, IGNORE);
    if (!g.ok) return `${s}[|geneve]`;
    const gen = g.value;
    s += formatGeneveTcpdump(gen, level, link);
    if (depth >= MAX_DEPTH) return s;
    // print-geneve.c: the inner packet (an OAM frame's too) after `: `, from -v on a line of its own.
    const sep = level > 0 ? '\n\t' : ': ';
    if (gen.protocol === ETHERTYPE_TEB) s += sep + (level > 0 ? verboseEthernet(gen.payload, link, level, depth + 1) : ethernetLine(gen.payload, link, depth + 1));
    else if (gen.protocol === ETHERTYPE_IPV4) s += sep + (level > 0 ? verboseIpv4(gen.payload, link, level, depth + 1) : ipv4Text(gen.payload, link, depth + 1));
    return s;
  }
  const fragmented = ip.mf || ip.fragOffset > 0;
  if (ulen - 8 > length && !fragmented) return `${s}UDP, bad length ${ulen - 8} > ${length}`;
  return `${s}UDP, length ${ulen - 8}`;
}

function verboseIcmp(ip: Ipv4, length: number, whole: boolean, link: boolean, level: number, depth: number): string {
  const ends = `${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)}: `;
  const m = parseIcmp(ip.payload, IGNORE);
  if (!m.ok) return `${ends} [|icmp]`;
  const icmp = m.value;
  let s = ends + icmp.toString(length);
  if (whole) s += icmpChecksumNote(ip.payload);
  // The quoted datagram (print-icmp.c: `\n\t` then ip_print of it). tcpdump also looks for RFC 4884
  // MPLS extensions after 128 quoted bytes; pktlab sends none, and one is reported only when a
  // checksum over those bytes happens to verify, so that is left out.
  if (icmp.isError() && depth < MAX_DEPTH) s += `\n\t${verboseIpv4(icmp.payload, link, level, depth + 1)}`;
  return s;
}
