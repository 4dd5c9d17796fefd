/**
 * One frame of every codec, built with the codecs themselves, for the capture tests and the summary
 * tests. Each entry keeps the values it was built from so tests can compare tshark's fields with ours.
 */
import { ipv4, mac, MAC_BROADCAST } from '../../../engine/wire/addr.ts';
import { Arp, ARP_REPLY, ARP_REQUEST } from '../../../engine/wire/arp.ts';
import { Dns, dnsQuestion, dnsRecord, DnsType } from '../../../engine/wire/dns.ts';
import { Ethernet, ETHERTYPE_ARP, ETHERTYPE_TEB } from '../../../engine/wire/ethernet.ts';
import { awsGwlbOptions, Geneve } from '../../../engine/wire/geneve.ts';
import { Icmp, icmpDestUnreachable, icmpFragNeeded, icmpTimeExceeded, ICMP_UNREACH_PORT } from '../../../engine/wire/icmp.ts';
import { Ipv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../../engine/wire/ipv4.ts';
import { serialize, type Layer } from '../../../engine/wire/layer.ts';
import { Tcp, TcpFlag, type TcpOption } from '../../../engine/wire/tcp.ts';
import { Udp } from '../../../engine/wire/udp.ts';

export const MAC_CLIENT = mac('02:00:00:00:00:01');
export const MAC_ROUTER = mac('02:00:00:00:00:fe');
export const MAC_GWLB = mac('02:00:00:00:01:0a');
export const MAC_APPLIANCE = mac('02:00:00:00:01:14');
export const CLIENT = ipv4('10.0.0.1');
export const DNS_SERVER = ipv4('10.0.0.2');
export const ROUTER = ipv4('10.0.0.254');
export const VIP = ipv4('13.246.100.25');
export const GWLB = ipv4('10.0.1.10');
export const APPLIANCE = ipv4('10.0.1.20');

const te = new TextEncoder();

export interface Frame {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The tcpdump -nn line summarizeFrame must print. */
  readonly line: string;
}

function eth(dst: number, src: number, extra: Partial<ConstructorParameters<typeof Ethernet>[0]> = {}): Ethernet {
  return new Ethernet({ dst, src, ...extra });
}

function ip(src: number, dst: number, protocol: number, id: number, extra: Partial<ConstructorParameters<typeof Ipv4>[0]> = {}): Ipv4 {
  return new Ipv4({ src, dst, protocol, id, ttl: 64, ...extra });
}

/** The IPv4 packet (no Ethernet) of `layers` + payload, for ICMP error quotes. */
function packet(layers: Layer[], payload?: Uint8Array): Uint8Array {
  return serialize(layers, payload);
}

export const SYN_OPTIONS: TcpOption[] = [
  { kind: 'mss', mss: 1460 },
  { kind: 'sackOK' },
  { kind: 'ts', tsval: 1000, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

export const HTTP_PART1 = te.encode('GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n');
export const HTTP_PART2 = te.encode('User-Agent: pktlab\r\nAccept: */*\r\n\r\n');
export const DNS_QUERY = new Dns({ id: 0x1234, rd: true, questions: [dnsQuestion('www.example.com', DnsType.A)] });
export const DNS_RESPONSE = new Dns({
  id: 0x1234,
  qr: true,
  rd: true,
  ra: true,
  questions: [dnsQuestion('www.example.com', DnsType.A)],
  answers: [
    dnsRecord({ name: 'www.example.com', ttl: 300, data: { kind: 'CNAME', name: 'web.example.com' } }),
    dnsRecord({ name: 'web.example.com', ttl: 60, data: { kind: 'A', address: VIP } }),
  ],
});
export const GWLB_META = { endpointId: 0x0123456789abcdefn, attachmentId: 0x0fedcba987654321n, flowCookie: 0xdeadbeef };
export const GENEVE_VNI = 0x123456;

/** The client's TCP connection to the VIP (seq/ack values used by several frames). */
export const ISN_CLIENT = 1000;
export const ISN_SERVER = 5000;

/** An ICMP message from `src` to the client; an error's quote travels as the ICMP payload. */
function icmpFrame(src: number, id: number, m: Icmp): Uint8Array {
  return serialize([eth(MAC_CLIENT, MAC_ROUTER), ip(src, CLIENT, IPPROTO_ICMP, id), m], m.payload);
}

export function everyCodecFrames(): Frame[] {
  const out: Frame[] = [];
  const add = (name: string, bytes: Uint8Array, line: string): void => void out.push({ name, bytes, line });

  add(
    'arp request',
    serialize([eth(MAC_BROADCAST, MAC_CLIENT, { etherType: ETHERTYPE_ARP, pad: true }), new Arp({ op: ARP_REQUEST, sha: MAC_CLIENT, spa: CLIENT, tpa: ROUTER })]),
    'ARP, Request who-has 10.0.0.254 tell 10.0.0.1, length 46',
  );
  add(
    'arp reply',
    serialize([eth(MAC_CLIENT, MAC_ROUTER, { etherType: ETHERTYPE_ARP, pad: true }), new Arp({ op: ARP_REPLY, sha: MAC_ROUTER, spa: ROUTER, tha: MAC_CLIENT, tpa: CLIENT })]),
    'ARP, Reply 10.0.0.254 is-at 02:00:00:00:00:fe, length 46',
  );
  const ping = new Uint8Array(56).map((_, i) => i);
  add(
    'icmp echo request',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_ICMP, 1), Icmp.echoRequest(7, 1)], ping),
    'IP 10.0.0.1 > 13.246.100.25: ICMP echo request, id 7, seq 1, length 64',
  );
  add(
    'icmp echo reply',
    serialize([eth(MAC_CLIENT, MAC_ROUTER), ip(VIP, CLIENT, IPPROTO_ICMP, 2, { ttl: 60 }), Icmp.echoReply(7, 1)], ping),
    'IP 13.246.100.25 > 10.0.0.1: ICMP echo reply, id 7, seq 1, length 64',
  );
  const dnsToNowhere = packet([ip(CLIENT, ipv4('10.0.0.3'), IPPROTO_UDP, 3), new Udp({ srcPort: 5353, dstPort: 53 })], DNS_QUERY.encode());
  add(
    'icmp port unreachable',
    icmpFrame(ipv4('10.0.0.3'), 4, icmpDestUnreachable(ICMP_UNREACH_PORT, dnsToNowhere)),
    `IP 10.0.0.3 > 10.0.0.1: ICMP 10.0.0.3 udp port 53 unreachable, length ${8 + dnsToNowhere.length}`,
  );
  const expiring = packet(
    [ip(CLIENT, VIP, IPPROTO_TCP, 5, { ttl: 1, df: true }), new Tcp({ srcPort: 40000, dstPort: 443, seq: 77, flags: TcpFlag.SYN, window: 64240 })],
  );
  add(
    'icmp time exceeded',
    icmpFrame(ROUTER, 6, icmpTimeExceeded(0, expiring)),
    `IP 10.0.0.254 > 10.0.0.1: ICMP time exceeded in-transit, length ${8 + expiring.length}`,
  );
  // A 548-byte datagram over a 512-byte MTU, quoted whole: Wireshark verifies the checksum of a quoted
  // TCP segment even when the quote cuts it short, and then reports it bad.
  const big = packet(
    [ip(CLIENT, VIP, IPPROTO_TCP, 7, { df: true }), new Tcp({ srcPort: 49152, dstPort: 80, seq: 2000, ack: 9000, flags: TcpFlag.ACK | TcpFlag.PSH, window: 502 })],
    new Uint8Array(508).fill(0x61),
  );
  const fragNeeded = icmpFragNeeded(big, 512);
  const quoted = fragNeeded.payload.length;
  add(
    'icmp frag needed',
    icmpFrame(ROUTER, 8, fragNeeded),
    `IP 10.0.0.254 > 10.0.0.1: ICMP 13.246.100.25 unreachable - need to frag (mtu 512), length ${8 + quoted}`,
  );
  add(
    'tcp syn',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_TCP, 9, { df: true }), new Tcp({ srcPort: 49152, dstPort: 80, seq: ISN_CLIENT, flags: TcpFlag.SYN, window: 64240, options: SYN_OPTIONS })]),
    'IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7], length 0',
  );
  add(
    'tcp syn-ack',
    serialize([eth(MAC_CLIENT, MAC_ROUTER), ip(VIP, CLIENT, IPPROTO_TCP, 10, { df: true, ttl: 60 }), new Tcp({ srcPort: 80, dstPort: 49152, seq: ISN_SERVER, ack: ISN_CLIENT + 1, flags: TcpFlag.SYN | TcpFlag.ACK, window: 65160, options: [{ kind: 'mss', mss: 1460 }] })]),
    'IP 13.246.100.25.80 > 10.0.0.1.49152: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460], length 0',
  );
  add(
    'tcp ack',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_TCP, 11, { df: true }), new Tcp({ srcPort: 49152, dstPort: 80, seq: ISN_CLIENT + 1, ack: ISN_SERVER + 1, flags: TcpFlag.ACK, window: 502 })]),
    'IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [.], ack 5001, win 502, length 0',
  );
  const s1 = ISN_CLIENT + 1;
  const s2 = s1 + HTTP_PART1.length;
  add(
    'http part 1',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_TCP, 12, { df: true }), new Tcp({ srcPort: 49152, dstPort: 80, seq: s1, ack: ISN_SERVER + 1, flags: TcpFlag.ACK, window: 502 })], HTTP_PART1),
    `IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [.], seq ${s1}:${s2}, ack 5001, win 502, length ${HTTP_PART1.length}: HTTP: GET /index.html HTTP/1.1`,
  );
  add(
    'http part 2',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_TCP, 13, { df: true }), new Tcp({ srcPort: 49152, dstPort: 80, seq: s2, ack: ISN_SERVER + 1, flags: TcpFlag.ACK | TcpFlag.PSH, window: 502 })], HTTP_PART2),
    `IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [P.], seq ${s2}:${s2 + HTTP_PART2.length}, ack 5001, win 502, length ${HTTP_PART2.length}: HTTP`,
  );
  const q = DNS_QUERY.encode();
  add(
    'dns query',
    serialize([eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, DNS_SERVER, IPPROTO_UDP, 14), new Udp({ srcPort: 5353, dstPort: 53 })], q),
    `IP 10.0.0.1.5353 > 10.0.0.2.53: 4660+ A? www.example.com. (${q.length})`,
  );
  const r = DNS_RESPONSE.encode();
  add(
    'dns response',
    serialize([eth(MAC_CLIENT, MAC_ROUTER), ip(DNS_SERVER, CLIENT, IPPROTO_UDP, 15), new Udp({ srcPort: 53, dstPort: 5353 })], r),
    `IP 10.0.0.2.53 > 10.0.0.1.5353: 4660 2/0/0 CNAME web.example.com., A 13.246.100.25 (${r.length})`,
  );
  add(
    'vlan',
    serialize([eth(MAC_ROUTER, MAC_CLIENT, { vlan: [{ vid: 100, pcp: 3 }] }), ip(CLIENT, DNS_SERVER, IPPROTO_UDP, 16), new Udp({ srcPort: 40001, dstPort: 9999 })], te.encode('hello vlan')),
    'IP 10.0.0.1.40001 > 10.0.0.2.9999: UDP, length 10',
  );
  const inner = serialize(
    [eth(MAC_ROUTER, MAC_CLIENT), ip(CLIENT, VIP, IPPROTO_TCP, 17, { df: true }), new Tcp({ srcPort: 49153, dstPort: 443, seq: 3000, flags: TcpFlag.SYN, window: 64240, options: [{ kind: 'mss', mss: 8961 }] })],
  );
  const gen = new Geneve({ vni: GENEVE_VNI, protocol: ETHERTYPE_TEB, options: awsGwlbOptions(GWLB_META) });
  add(
    'geneve',
    serialize([eth(MAC_APPLIANCE, MAC_GWLB), ip(GWLB, APPLIANCE, IPPROTO_UDP, 18), new Udp({ srcPort: 61234, dstPort: 6081 }), gen], inner),
    'IP 10.0.1.10.61234 > 10.0.1.20.6081: Geneve, Flags [none], vni 0x123456, options [32 bytes]: IP 10.0.0.1.49153 > 13.246.100.25.443: Flags [S], seq 3000, win 64240, options [mss 8961], length 0',
  );
  return out;
}
