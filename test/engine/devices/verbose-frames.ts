/**
 * Frames for the tcpdump -v tests: every case tcpdump's verbose printers treat differently for the
 * protocols pktlab emits, built with the codecs (a few bytes patched afterwards where a case needs a
 * wrong checksum or a cut quote).
 */
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { Dns, DnsClass, dnsQuestion, dnsRecord, DnsRcode, DnsType } from '../../../engine/wire/dns.ts';
import { Ethernet, ETHERTYPE_IPV4, ETHERTYPE_TEB } from '../../../engine/wire/ethernet.ts';
import { Geneve, geneveOption, GENEVE_PORT } from '../../../engine/wire/geneve.ts';
import { Icmp, icmpDestUnreachable, icmpFragNeeded, icmpTimeExceeded, ICMP_UNREACH_HOST, ICMP_UNREACH_PORT, ICMP_UNREACH_PROTOCOL } from '../../../engine/wire/icmp.ts';
import { encodeIpv4Options, Ipv4, IPOPT_NOP, IPOPT_RA, IPOPT_RR, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../../engine/wire/ipv4.ts';
import { serialize, type Layer } from '../../../engine/wire/layer.ts';
import { Tcp, TcpFlag, type TcpOption } from '../../../engine/wire/tcp.ts';
import { Udp } from '../../../engine/wire/udp.ts';
import { everyCodecFrames } from '../capture/frames.ts';

const A = ipv4('10.0.0.1');
const B = ipv4('10.0.0.2');
const R = ipv4('10.0.0.254');
const MA = mac('02:00:00:00:00:01');
const MB = mac('02:00:00:00:00:02');
const te = new TextEncoder();

export interface VerboseFrame {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const eth = (): Ethernet => new Ethernet({ src: MA, dst: MB });
const ip = (protocol: number, id: number, extra: Partial<ConstructorParameters<typeof Ipv4>[0]> = {}): Ipv4 =>
  new Ipv4({ src: A, dst: B, protocol, id, ttl: 64, ...extra });
const tcp = (flags: number, extra: Partial<ConstructorParameters<typeof Tcp>[0]> = {}): Tcp =>
  new Tcp({ srcPort: 49152, dstPort: 80, seq: 1000, ack: 0, flags, window: 64240, ...extra });
const frame = (layers: Layer[], payload?: Uint8Array): Uint8Array => serialize([eth(), ...layers], payload);

/** Flips bits of the 16-bit field at `off` (a deliberately wrong checksum). */
function spoil(b: Uint8Array, off: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[off]! ^= 0x5a;
  c[off + 1]! ^= 0xa5;
  return c;
}

const SYN_OPTS: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', tsval: 1, tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];

export function verboseFrames(): VerboseFrame[] {
  const out: VerboseFrame[] = [];
  const add = (name: string, bytes: Uint8Array): void => void out.push({ name, bytes });
  for (const f of everyCodecFrames()) add(`every: ${f.name}`, f.bytes);

  // TCP through a connection's life.
  add('tcp syn', frame([ip(IPPROTO_TCP, 54321, { df: true }), tcp(TcpFlag.SYN, { options: SYN_OPTS })]));
  add('tcp syn-ack', frame([ip(IPPROTO_TCP, 0, { df: true, src: B, dst: A }), tcp(TcpFlag.SYN | TcpFlag.ACK, { srcPort: 80, dstPort: 49152, seq: 7000, ack: 1001, window: 65160, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', tsval: 9, tsecr: 1 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }] })]));
  add('tcp data', frame([ip(IPPROTO_TCP, 2, { df: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { seq: 1001, ack: 7001, window: 502, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', tsval: 2, tsecr: 9 }] })], te.encode('hello, world\n')));
  add('tcp sack', frame([ip(IPPROTO_TCP, 3, { df: true }), tcp(TcpFlag.ACK, { seq: 1014, ack: 7001, window: 502, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: 8001, right: 9001 }] }] })]));
  add('tcp fin', frame([ip(IPPROTO_TCP, 4, { df: true }), tcp(TcpFlag.FIN | TcpFlag.ACK, { seq: 1014, ack: 7001, window: 502 })]));
  add('tcp rst', frame([ip(IPPROTO_TCP, 5, { df: true, src: B, dst: A }), tcp(TcpFlag.RST, { srcPort: 80, dstPort: 49152, seq: 7001, window: 0 })]));
  add('tcp rst-ack', frame([ip(IPPROTO_TCP, 0, { df: true, src: B, dst: A }), tcp(TcpFlag.RST | TcpFlag.ACK, { srcPort: 81, dstPort: 49153, seq: 0, ack: 1001, window: 0 })]));
  add('tcp urg', frame([ip(IPPROTO_TCP, 6), tcp(TcpFlag.URG | TcpFlag.ACK | TcpFlag.PSH, { seq: 1, ack: 1, urgentPointer: 1, window: 100 })], te.encode('!')));
  const http = te.encode('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello');
  add('http response', frame([ip(IPPROTO_TCP, 7, { df: true, src: B, dst: A }), tcp(TcpFlag.PSH | TcpFlag.ACK, { srcPort: 80, dstPort: 49152, seq: 7001, ack: 1014, window: 509 })], http));
  add('http request lf only', frame([ip(IPPROTO_TCP, 8, { df: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { seq: 1001, ack: 7001, window: 502 })], te.encode('post /x HTTP/1.0\nHost: a\n\n')));
  add('http request cut line', frame([ip(IPPROTO_TCP, 8, { df: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { seq: 1001, ack: 7001, window: 502 })], te.encode('GET / HTTP/1.1\r\nHost: exa')));
  add('http binary', frame([ip(IPPROTO_TCP, 9, { df: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { seq: 1001, ack: 7001, window: 502 })], Uint8Array.of(0x47, 0x45, 0x54, 0x20, 0x01, 0x0d, 0x0a)));
  add('http 8080 tab and cr', frame([ip(IPPROTO_TCP, 9, { df: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { dstPort: 8080, seq: 1001, ack: 7001, window: 502 })], te.encode('GET\t/ HTTP/1.1\r\nX: a\rb\r\n\r\n')));

  // Deliberately wrong checksums, one per layer that has one.
  const syn = frame([ip(IPPROTO_TCP, 10, { df: true }), tcp(TcpFlag.SYN, { options: [{ kind: 'mss', mss: 1460 }] })]);
  add('tcp bad cksum', spoil(syn, 14 + 20 + 16));
  add('ip bad cksum', spoil(syn, 14 + 10));
  const udp = frame([ip(IPPROTO_UDP, 11), new Udp({ srcPort: 40000, dstPort: 9999 })], te.encode('ping'));
  add('udp', udp);
  add('udp bad cksum', spoil(udp, 14 + 20 + 6));
  const noSum = Uint8Array.from(udp);
  noSum[14 + 26] = 0;
  noSum[14 + 27] = 0;
  add('udp no cksum', noSum);
  const echo = frame([ip(IPPROTO_ICMP, 12), Icmp.echoRequest(0x1234, 3)], new Uint8Array(16).fill(0xab));
  add('icmp echo', echo);
  add('icmp bad cksum', spoil(echo, 14 + 20 + 2));

  // IPv4 header variants.
  add('ip ecn ce, tos', frame([ip(IPPROTO_UDP, 13, { dscp: 46, ecn: 3 }), new Udp({ srcPort: 5004, dstPort: 5004 })], new Uint8Array(4)));
  add('ip ect0', frame([ip(IPPROTO_UDP, 13, { ecn: 2 }), new Udp({ srcPort: 5004, dstPort: 5004 })], new Uint8Array(4)));
  add('ip ttl 0', frame([ip(IPPROTO_UDP, 13, { ttl: 0 }), new Udp({ srcPort: 5004, dstPort: 5004 })], new Uint8Array(4)));
  add('ip evil bit', frame([ip(IPPROTO_UDP, 13, { reservedBit: true, df: true }), new Udp({ srcPort: 5004, dstPort: 5004 })], new Uint8Array(4)));
  add('ip options ra', frame([ip(IPPROTO_UDP, 14, { options: encodeIpv4Options([{ type: IPOPT_RA, data: Uint8Array.of(0, 0) }]) }), new Udp({ srcPort: 5004, dstPort: 5004 })], new Uint8Array(4)));
  add('ip options rr nop', frame([ip(IPPROTO_ICMP, 15, { options: encodeIpv4Options([{ type: IPOPT_NOP }, { type: IPOPT_RR, data: Uint8Array.of(8, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0) }]) }), Icmp.echoRequest(1, 1)]));
  add('ip unknown proto', frame([ip(99, 16)], new Uint8Array(10)));

  // Fragments: a first fragment decodes the upper header but cannot verify its checksum.
  const big = serialize([ip(IPPROTO_UDP, 17), new Udp({ srcPort: 40000, dstPort: 9999 })], new Uint8Array(100).fill(1));
  const first = serialize([ip(IPPROTO_UDP, 17, { mf: true }), new Udp({ srcPort: 40000, dstPort: 9999 })], new Uint8Array(100).fill(1)).subarray(0, 20 + 48);
  const f1 = Uint8Array.from(first);
  f1[2] = 0;
  f1[3] = 68;
  const fix = new Ipv4({ ...parseHeader(f1) });
  add('frag first udp', serialize([eth(), fix], f1.subarray(20)));
  add('frag rest udp', serialize([eth(), new Ipv4({ ...parseHeader(big), fragOffset: 6, mf: false })], big.subarray(20 + 48)));
  const tbig = serialize([ip(IPPROTO_TCP, 18, { mf: true }), tcp(TcpFlag.PSH | TcpFlag.ACK, { seq: 1, ack: 1 })], new Uint8Array(60).fill(2));
  add('frag first tcp', serialize([eth(), new Ipv4({ ...parseHeader(tbig), mf: true })], tbig.subarray(20, 20 + 40)));
  add('frag middle icmp', serialize([eth(), ip(IPPROTO_ICMP, 19, { mf: true, fragOffset: 185 })], new Uint8Array(24)));

  // ICMP errors: the quoted datagram follows on its own line.
  const q = (layers: Layer[], payload?: Uint8Array): Uint8Array => serialize(layers, payload);
  const udpDns = q([ip(IPPROTO_UDP, 20, { dst: ipv4('10.0.0.3') }), new Udp({ srcPort: 5353, dstPort: 53 })], new Dns({ id: 1, rd: true, questions: [dnsQuestion('example.com')] }).encode());
  add('icmp port unreach dns', frame([ip(IPPROTO_ICMP, 21, { src: B, dst: A }), icmpDestUnreachable(ICMP_UNREACH_PORT, udpDns)], icmpDestUnreachable(ICMP_UNREACH_PORT, udpDns).payload));
  const cut = icmpDestUnreachable(ICMP_UNREACH_PORT, udpDns, 28);
  add('icmp port unreach cut quote', frame([ip(IPPROTO_ICMP, 22, { src: B, dst: A }), cut], cut.payload));
  const tsyn = q([ip(IPPROTO_TCP, 23, { df: true, ttl: 1 }), tcp(TcpFlag.SYN, { options: SYN_OPTS })]);
  const te1 = icmpTimeExceeded(0, tsyn);
  add('icmp time exceeded tcp', frame([ip(IPPROTO_ICMP, 24, { src: R, dst: A }), te1], te1.payload));
  const te28 = icmpTimeExceeded(0, tsyn, 28);
  add('icmp time exceeded tcp cut', frame([ip(IPPROTO_ICMP, 25, { src: R, dst: A }), te28], te28.payload));
  const pingQ = q([ip(IPPROTO_ICMP, 26, { ttl: 1 }), Icmp.echoRequest(5, 6)], new Uint8Array(56));
  const te2 = icmpTimeExceeded(0, pingQ);
  add('icmp time exceeded echo', frame([ip(IPPROTO_ICMP, 27, { src: R, dst: A }), te2], te2.payload));
  const te3 = icmpTimeExceeded(1, udpDns);
  add('icmp reassembly time exceeded', frame([ip(IPPROTO_ICMP, 28, { src: B, dst: A }), te3], te3.payload));
  const hu = icmpDestUnreachable(ICMP_UNREACH_HOST, tsyn);
  add('icmp host unreach', frame([ip(IPPROTO_ICMP, 29, { src: R, dst: A }), hu], hu.payload));
  const pu = icmpDestUnreachable(ICMP_UNREACH_PROTOCOL, q([ip(99, 30)], new Uint8Array(8)));
  add('icmp proto unreach', frame([ip(IPPROTO_ICMP, 31, { src: B, dst: A }), pu], pu.payload));
  const fn = icmpFragNeeded(q([ip(IPPROTO_UDP, 32, { df: true }), new Udp({ srcPort: 40000, dstPort: 9999 })], new Uint8Array(1400)), 1280);
  add('icmp frag needed udp', frame([ip(IPPROTO_ICMP, 33, { src: R, dst: A }), fn], fn.payload));
  const bq = Uint8Array.from(te1.payload);
  bq[10]! ^= 0xff; // quoted IP header checksum broken
  const bqm = new Icmp({ type: 11, code: 0, payload: bq });
  add('icmp quote bad ip cksum', frame([ip(IPPROTO_ICMP, 34, { src: R, dst: A }), bqm], bq));

  // DNS.
  const dq = (d: Dns, id: number, fromServer = false): Uint8Array =>
    frame([ip(IPPROTO_UDP, id, fromServer ? { src: B, dst: A } : {}), new Udp(fromServer ? { srcPort: 53, dstPort: 33333 } : { srcPort: 33333, dstPort: 53 })], d.encode());
  add('dns query aaaa', dq(new Dns({ id: 7, rd: true, questions: [dnsQuestion('example.com', DnsType.AAAA)] }), 40));
  add('dns answer aaaa', dq(new Dns({ id: 7, qr: true, rd: true, ra: true, questions: [dnsQuestion('example.com', DnsType.AAAA)], answers: [dnsRecord({ name: 'example.com', ttl: 30, data: { kind: 'AAAA', address: Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) } })] }), 41, true));
  add('dns nxdomain soa', dq(new Dns({ id: 8, qr: true, rd: true, ra: true, aa: true, rcode: DnsRcode.NXDOMAIN, questions: [dnsQuestion('nope.example.com')], authorities: [dnsRecord({ name: 'example.com', ttl: 900, data: { kind: 'SOA', mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 } })] }), 42, true));
  add('dns mx ns ptr', dq(new Dns({ id: 9, qr: true, rd: true, questions: [dnsQuestion('example.com', DnsType.MX)], answers: [dnsRecord({ name: 'example.com', ttl: 60, data: { kind: 'MX', preference: 10, exchange: 'mail.example.com' } })], authorities: [dnsRecord({ name: 'example.com', ttl: 60, data: { kind: 'NS', name: 'ns1.example.com' } })], additionals: [dnsRecord({ name: 'mail.example.com', ttl: 60, data: { kind: 'A', address: ipv4('192.0.2.25') } })] }), 43, true));
  add('dns ptr', dq(new Dns({ id: 10, qr: true, rd: true, ra: true, questions: [dnsQuestion('1.0.0.10.in-addr.arpa', DnsType.PTR)], answers: [dnsRecord({ name: '1.0.0.10.in-addr.arpa', ttl: 60, data: { kind: 'PTR', name: 'h1.lab' } })] }), 44, true));
  add('dns chaos txt', dq(new Dns({ id: 11, questions: [dnsQuestion('version.bind', 16, DnsClass.CH)] }), 45));
  add('dns servfail tc', dq(new Dns({ id: 12, qr: true, tc: true, rcode: DnsRcode.SERVFAIL, questions: [dnsQuestion('example.com')] }), 46, true));
  add('dns two questions', dq(new Dns({ id: 13, rd: true, questions: [dnsQuestion('a.example'), dnsQuestion('b.example')] }), 47));
  add('dns raw txt answer', dq(new Dns({ id: 14, qr: true, questions: [dnsQuestion('t.example', 16)], answers: [dnsRecord({ name: 't.example', type: 16, ttl: 5, data: { kind: 'raw', bytes: Uint8Array.of(2, 0x68, 0x69) } })] }), 48, true));
  add('dns ch answer', dq(new Dns({ id: 15, qr: true, aa: true, questions: [dnsQuestion('version.bind', 16, DnsClass.CH)], answers: [dnsRecord({ name: 'version.bind', type: 16, class: DnsClass.CH, ttl: 0, data: { kind: 'raw', bytes: Uint8Array.of(3, 0x39, 0x2e, 0x39) } })] }), 49, true));
  add('dns root query', dq(new Dns({ id: 16, questions: [dnsQuestion('', DnsType.NS)] }), 50));

  // UDP lengths print-udp.c checks: longer than the IP packet (not a fragment), below the header.
  const u20 = frame([ip(IPPROTO_UDP, 51), new Udp({ srcPort: 1000, dstPort: 2000 })], new Uint8Array(20));
  const setUlen = (n: number): Uint8Array => {
    const c = Uint8Array.from(u20);
    c[14 + 24] = n >>> 8;
    c[14 + 25] = n & 0xff;
    return c;
  };
  add('udp bad length', setUlen(60));
  add('udp length below header', setUlen(4));
  add('udp length short of ip', setUlen(12));

  // Geneve: tcpdump's option class names, critical options, OAM, an IPv4 payload.
  const innerSyn = serialize([eth(), ip(IPPROTO_TCP, 52), tcp(TcpFlag.SYN, { srcPort: 1, dstPort: 2, seq: 1, window: 10 })]);
  const gUdp = (): Udp => new Udp({ srcPort: 3000, dstPort: GENEVE_PORT });
  const classes = new Geneve({
    vni: 5,
    protocol: ETHERTYPE_TEB,
    options: [0x102, 0x103, 0x10, 0xfff1, 0x104, 0x100, 0x101].map((c, i) => geneveOption(c, i === 1 ? 0x85 : i, new Uint8Array(i === 1 ? 0 : i === 2 ? 8 : 4).fill(0xa0 + i))),
  });
  add('geneve option classes', frame([ip(IPPROTO_UDP, 53), gUdp(), classes], innerSyn));
  add('geneve ipv4 payload', frame([ip(IPPROTO_UDP, 54), gUdp(), new Geneve({ vni: 6, protocol: ETHERTYPE_IPV4 })], innerSyn.subarray(14)));
  add('geneve oam', frame([ip(IPPROTO_UDP, 55), gUdp(), new Geneve({ vni: 7, protocol: ETHERTYPE_TEB, oam: true })], innerSyn));

  // HTTP: tokens as util-print.c fetch_token cuts them; port 8000 is not decoded as HTTP.
  const web = (payload: string, extra: Partial<ConstructorParameters<typeof Tcp>[0]> = {}): Uint8Array =>
    frame([ip(IPPROTO_TCP, 56), tcp(TcpFlag.PSH | TcpFlag.ACK, { srcPort: 5555, seq: 1, ack: 1, window: 10, ...extra })], te.encode(payload));
  // MAX_TOKEN: a first token of 128 characters is one, of 129 none.
  add('http token of 128', web(`${'G'.repeat(128)} 200 x\r\n`));
  add('http token of 129', web(`${'G'.repeat(129)} 200 x\r\n`));
  add('http tab before code', web('FOO\t200 x\r\n'));
  add('http response unended', web('XYZ 404'));
  add('http binary in line', web('get /\x01\r\n'));
  add('http lone cr', web('GET / HTTP/1.0\rX\r\n'));
  add('http port 8000', web('HTTP/1.0 404 Not Found\n', { srcPort: 8000, dstPort: 5 }));
  return out;
}

/** The header fields of an IPv4 packet's bytes as Ipv4 init (payload left out). */
function parseHeader(b: Uint8Array): ConstructorParameters<typeof Ipv4>[0] & object {
  const ff = (b[6]! << 8) | b[7]!;
  return {
    dscp: b[1]! >>> 2,
    ecn: b[1]! & 3,
    id: (b[4]! << 8) | b[5]!,
    reservedBit: (ff & 0x8000) !== 0,
    df: (ff & 0x4000) !== 0,
    mf: (ff & 0x2000) !== 0,
    fragOffset: ff & 0x1fff,
    ttl: b[8]!,
    protocol: b[9]!,
    src: ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0,
    dst: ((b[16]! << 24) | (b[17]! << 16) | (b[18]! << 8) | b[19]!) >>> 0,
  };
}
