/**
 * Packet dissection for the packet panes, in Wireshark's shape: the list columns (No., Time,
 * Source, Destination, Protocol, Length, Info) and a detail tree with one node per layer whose
 * children are fields with Wireshark's labels, display-filter field names, values (as tshark's
 * `show`) and byte ranges [offset, length] within the frame for the hex view.
 *
 * Layering is the one fields.ts walks (Wireshark's dissector table choices). Wireshark behaviour
 * followed: columns are written by the innermost layer, except inside an ICMP error's quoted
 * datagram (col_set_writable FALSE); TCP sequence numbers are relative per conversation (the caller
 * supplies stream and bases, see tcp-conversations.ts); HTTP is dissected per segment as with
 * "Allow subdissector to reassemble TCP streams" off (a segment that does not start a message is
 * "Continuation"); checksums are verified and shown as [correct]/[incorrect].
 *
 * Error contract: `dissect` never throws. A layer that cannot be decoded ends the tree with a
 * `[Malformed Packet: X]` node carrying an error expert item; Info gets " [Malformed Packet]".
 */
import { ipv4ToString, ipv6ToString, macToString, MAC_BROADCAST } from '../wire/addr.ts';
import { toHex, u16 } from '../wire/bytes.ts';
import { ARP_LEN, ARP_OFFSETS, ArpView } from '../wire/arp.ts';
import { internetChecksum } from '../wire/checksum.ts';
import {
  dnsClassName,
  dnsReadName,
  dnsTypeName,
  DNS_HEADER_LEN,
  DNS_OFFSETS,
  DNS_QUESTION_OFFSETS,
  DNS_RR_OFFSETS,
  DnsView,
  parseDns,
  type DnsRdata,
  type DnsRecord,
} from '../wire/dns.ts';
import { ETHERNET_HEADER_LEN, ETHERNET_OFFSETS, etherTypeName, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_TEB, ETHERTYPE_VLAN, EthernetView, VLAN_TAG_LEN } from '../wire/ethernet.ts';
import { GENEVE_HEADER_LEN, GENEVE_OFFSETS, GENEVE_OPTION_OFFSETS, geneveOptionClassName, GeneveView } from '../wire/geneve.ts';
import { httpHeadLines } from '../wire/http.ts';
import { ICMP_HEADER_LEN, ICMP_OFFSETS, IcmpView, isIcmpErrorType } from '../wire/icmp.ts';
import { ipProtocolName, ipv4OptionName, ipv4Options, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_MIN_HEADER_LEN, IPV4_OFFSETS, Ipv4View } from '../wire/ipv4.ts';
import { parseTcp, TCP_HEADER_LEN, TCP_OFFSETS, TcpView, type TcpOption } from '../wire/tcp.ts';
import { UDP_HEADER_LEN, UDP_OFFSETS, UdpView } from '../wire/udp.ts';
import { isHttpPort, udpApp } from './fields.ts';
import type { TcpEndpoints, TcpStreamInfo } from './tcp-conversations.ts';

export type Severity = 'error' | 'warning' | 'note' | 'chat';

/** One node of the detail tree: a layer (`protocol` set) or a field. */
export interface TreeNode {
  /** Wireshark's text, e.g. `Source Port: 49152`, `.... ..1. = Syn: Set`. */
  label: string;
  /** Display-filter field name (`tcp.srcport`), when the node is a field or protocol. */
  field?: string;
  /** The value as tshark prints it (`show`), e.g. `49152`, `0x0002`, `10.0.0.1`. */
  value?: string;
  /** Bytes [offset, length] within the frame; null for generated fields. */
  range: readonly [number, number] | null;
  children?: TreeNode[];
  /** Set on layer nodes. */
  protocol?: boolean;
  /** Expert information (Wireshark's _ws.expert). */
  expert?: Severity;
}

export interface PacketColumns {
  no: number;
  /** Seconds since the first packet, 9 decimals (Wireshark's relative time). */
  time: string;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  /** The device's decision (pcapng opt_comment), when present. */
  comment?: string;
}

export interface Dissection {
  columns: PacketColumns;
  tree: TreeNode[];
  /** A layer could not be decoded. */
  malformed: boolean;
}

export interface EchoKey {
  readonly src: number;
  readonly dst: number;
  readonly id: number;
  readonly seq: number;
  readonly reply: boolean;
}

export interface DissectContext {
  /** Frame number, 1-based. */
  readonly number: number;
  /** Absolute time, ns since the epoch. */
  readonly timeNs?: bigint;
  /** Time of the first frame (reference for the Time column); default timeNs. */
  readonly firstTimeNs?: bigint;
  /** Length on the wire when the capture cut the frame short. */
  readonly originalLength?: number;
  readonly interfaceId?: number;
  readonly interfaceName?: string;
  readonly comment?: string;
  readonly direction?: 'inbound' | 'outbound';
  /** Stream index and relative-number bases of a TCP segment; without it numbers are absolute. */
  readonly tcp?: (e: TcpEndpoints, quoted: boolean) => TcpStreamInfo | null;
  /** Frame number of the matching echo reply (for a request) or request (for a reply), if any. */
  readonly echo?: (k: EchoKey) => number | null;
}

const MAX_DEPTH = 8;
const td = new TextDecoder('latin1');

// ---------------------------------------------------------------------------------------------
// Helpers

function node(label: string, field: string | undefined, value: string | undefined, off: number | null, len = 0, children?: TreeNode[]): TreeNode {
  const n: TreeNode = { label, range: off === null ? null : [off, len] };
  if (field !== undefined) n.field = field;
  if (value !== undefined) n.value = value;
  if (children !== undefined) n.children = children;
  return n;
}

function proto(label: string, field: string, off: number, len: number): TreeNode {
  return { label, field, range: [off, len], protocol: true, children: [] };
}

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** Wireshark's bit-field prefix: `.... ..1. .... ....` for `width` bits under `mask`. */
export function bitsText(v: number, mask: number, width: number): string {
  let s = '';
  for (let i = width - 1; i >= 0; i--) {
    const m = 2 ** i;
    s += Math.floor(mask / m) % 2 ? (Math.floor(v / m) % 2 ? '1' : '0') : '.';
    if (i > 0 && i % 4 === 0) s += ' ';
  }
  return s;
}

function flagNode(v: number, mask: number, width: number, name: string, field: string, off: number, len: number, setText = 'Set', unsetText = 'Not set'): TreeNode {
  const on = (v & mask) !== 0;
  return node(`${bitsText(v, mask, width)} = ${name}: ${on ? setText : unsetText}`, field, on ? '1' : '0', off, len);
}

/**
 * Source and destination port nodes of a TCP or UDP header. Wireshark adds `P.port` ("Source or
 * Destination Port") as hidden items: filterable (display-filter.ts reads the ports from the field
 * walk) but not shown in the tree, so they are not nodes here.
 */
function portNodes(p: 'tcp' | 'udp', sp: number, dp: number, spAt: number, dpAt: number): TreeNode[] {
  return [node(`Source Port: ${sp}`, `${p}.srcport`, String(sp), spAt, 2), node(`Destination Port: ${dp}`, `${p}.dstport`, String(dp), dpAt, 2)];
}

function macText(m: number): string {
  return m === MAC_BROADCAST ? 'Broadcast' : macToString(m);
}

/** ns as seconds with 9 decimals. */
export function formatSeconds(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

interface State {
  readonly b: Uint8Array;
  readonly ctx: DissectContext;
  readonly tree: TreeNode[];
  source: string;
  destination: string;
  protocol: string;
  info: string;
  /** False inside an ICMP error's quoted datagram. */
  writable: boolean;
  malformed: boolean;
  readonly protocols: string[];
}

function setCols(s: State, protocol: string, info?: string): void {
  if (!s.writable) return;
  s.protocol = protocol;
  if (info !== undefined) s.info = info;
}

function malformed(s: State, parent: TreeNode[], layer: string, message: string, off: number): void {
  s.malformed = true;
  const ex = node(`[Expert Info (Error/Malformed): ${message}]`, '_ws.malformed.expert', undefined, off, 0);
  ex.expert = 'error';
  parent.push({ label: `[Malformed Packet: ${layer}]`, field: '_ws.malformed', range: [off, 0], protocol: true, children: [ex], expert: 'error' });
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Dissects one Ethernet frame. Never throws. */
export function dissect(frame: Uint8Array, ctx: DissectContext): Dissection {
  const s: State = { b: frame, ctx, tree: [], source: '', destination: '', protocol: '', info: '', writable: true, malformed: false, protocols: [] };
  const frameNode = frameLayer(s);
  if (ctx.comment !== undefined && ctx.comment !== '') {
    const c = proto('Packet comments', 'frame.comment', 0, 0);
    c.range = null;
    for (const line of ctx.comment.split('\n')) c.children!.push(node(line, 'frame.comment', line, null));
    s.tree.push(c);
  }
  s.tree.push(frameNode);
  s.protocols.push('eth', 'ethertype');
  try {
    ethernet(s, s.tree, 0, frame.length, 0);
  } catch (e) {
    // Defensive: a dissector bug must not take down the packet list.
    malformed(s, s.tree, s.protocol || 'Frame', `Dissector bug: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
  frameNode.children!.push(node(`[Protocols in frame: ${s.protocols.join(':')}]`, 'frame.protocols', s.protocols.join(':'), null));
  const first = ctx.firstTimeNs ?? ctx.timeNs ?? 0n;
  const columns: PacketColumns = {
    no: ctx.number,
    time: formatSeconds((ctx.timeNs ?? first) - first),
    source: s.source,
    destination: s.destination,
    protocol: s.protocol,
    length: ctx.originalLength ?? frame.length,
    info: s.malformed ? (s.info ? `${s.info} [Malformed Packet]` : '[Malformed Packet]') : s.info,
  };
  if (ctx.comment !== undefined && ctx.comment !== '') columns.comment = ctx.comment;
  return { columns, tree: s.tree, malformed: s.malformed };
}

function frameLayer(s: State): TreeNode {
  const { ctx, b } = s;
  const wire = ctx.originalLength ?? b.length;
  let label = `Frame ${ctx.number}: ${wire} bytes on wire (${wire * 8} bits), ${b.length} bytes captured (${b.length * 8} bits)`;
  if (ctx.interfaceId !== undefined) label += ` on interface ${ctx.interfaceName ?? ctx.interfaceId}, id ${ctx.interfaceId}`;
  const f = proto(label, 'frame', 0, b.length);
  const c = f.children!;
  if (ctx.interfaceId !== undefined) {
    c.push(node(`Interface id: ${ctx.interfaceId}${ctx.interfaceName ? ` (${ctx.interfaceName})` : ''}`, 'frame.interface_id', String(ctx.interfaceId), null));
  }
  if (ctx.direction) {
    c.push(node(`Direction: ${ctx.direction === 'inbound' ? 'Inbound' : 'Outbound'}`, 'frame.packet_flags_direction', ctx.direction === 'inbound' ? '1' : '2', null));
  }
  c.push(node('Encapsulation type: Ethernet (1)', 'frame.encap_type', '1', null));
  if (ctx.timeNs !== undefined) {
    const epoch = formatSeconds(ctx.timeNs);
    c.push(node(`Epoch Time: ${epoch} seconds`, 'frame.time_epoch', epoch, null));
    const rel = formatSeconds(ctx.timeNs - (ctx.firstTimeNs ?? ctx.timeNs));
    c.push(node(`[Time since reference or first frame: ${rel} seconds]`, 'frame.time_relative', rel, null));
  }
  c.push(node(`Frame Number: ${ctx.number}`, 'frame.number', String(ctx.number), null));
  c.push(node(`Frame Length: ${wire} bytes (${wire * 8} bits)`, 'frame.len', String(wire), null));
  c.push(node(`Capture Length: ${b.length} bytes (${b.length * 8} bits)`, 'frame.cap_len', String(b.length), null));
  return f;
}

// ---------------------------------------------------------------------------------------------
// Ethernet, 802.1Q

function ethernet(s: State, out: TreeNode[], o: number, end: number, depth: number): void {
  const b = s.b;
  if (end - o < ETHERNET_HEADER_LEN) {
    malformed(s, out, 'Ethernet', `Ethernet header needs ${ETHERNET_HEADER_LEN} bytes, ${end - o} captured`, o);
    return;
  }
  const v = new EthernetView(b.subarray(o, end));
  const dst = v.dst;
  const src = v.src;
  const e = proto(`Ethernet II, Src: ${macText(src)}, Dst: ${macText(dst)}`, 'eth', o, ETHERNET_HEADER_LEN);
  out.push(e);
  const macNode = (label: string, field: string, m: number, at: number): TreeNode => {
    const first3 = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
    const side = field === 'eth.dst' ? 'dst' : 'src';
    return node(`${label}: ${macText(m)}`, field, macToString(m), at, 6, [
      node(`Address: ${macText(m)}`, 'eth.addr', macToString(m), at, 6),
      flagNode(first3, 0x020000, 24, 'LG bit', `eth.${side}.lg`, at, 3, 'Locally administered address (this is NOT the factory default)', 'Globally unique address (factory default)'),
      flagNode(first3, 0x010000, 24, 'IG bit', `eth.${side}.ig`, at, 3, 'Group address (multicast/broadcast)', 'Individual address (unicast)'),
    ]);
  };
  e.children!.push(macNode('Destination', 'eth.dst', dst, o + ETHERNET_OFFSETS.dst));
  e.children!.push(macNode('Source', 'eth.src', src, o + ETHERNET_OFFSETS.src));
  if (s.writable) {
    s.source = macText(src);
    s.destination = macText(dst);
  }
  let t = o + ETHERNET_OFFSETS.etherType;
  let type = u16(b, t);
  let parent = e;
  let typeField = 'eth.type';
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
    parent.children!.push(node(`Type: ${type === ETHERTYPE_VLAN ? '802.1Q Virtual LAN' : '802.1ad Provider Bridge (Q-in-Q)'} (${hex(type, 4)})`, typeField, hex(type, 4), t, 2));
    if (t + VLAN_TAG_LEN + 2 > end) {
      malformed(s, out, 'VLAN', '802.1Q tag cut short', t + 2);
      return;
    }
    const tci = u16(b, t + ETHERNET_OFFSETS.tagTci);
    const vlan = proto(`802.1Q Virtual LAN, PRI: ${tci >>> 13}, DEI: ${(tci >>> 12) & 1}, ID: ${tci & 0xfff}`, 'vlan', t + 2, VLAN_TAG_LEN);
    vlan.children!.push(
      node(`${bitsText(tci, 0xe000, 16)} = Priority: ${tci >>> 13}`, 'vlan.priority', String(tci >>> 13), t + 2, 2),
      node(`${bitsText(tci, 0x1000, 16)} = DEI: ${(tci >>> 12) & 1 ? 'Eligible' : 'Ineligible'}`, 'vlan.dei', String((tci >>> 12) & 1), t + 2, 2),
      node(`${bitsText(tci, 0x0fff, 16)} = ID: ${tci & 0xfff}`, 'vlan.id', String(tci & 0xfff), t + 2, 2),
    );
    out.push(vlan);
    s.protocols.push('vlan', 'ethertype');
    parent = vlan;
    typeField = 'vlan.etype';
    t += VLAN_TAG_LEN;
    type = u16(b, t);
  }
  parent.children!.push(node(`Type: ${etherTypeLongName(type)} (${hex(type, 4)})`, typeField, hex(type, 4), t, 2));
  const p = t + 2;
  let used = end - p;
  if (type === ETHERTYPE_IPV4) used = ipv4(s, out, p, end, depth, false);
  else if (type === ETHERTYPE_ARP) used = arp(s, out, p, end);
  else {
    setCols(s, type < 0x0600 ? 'LLC' : etherTypeName(type) === 'Unknown' ? `0x${type.toString(16).padStart(4, '0')}` : etherTypeName(type), `Ethernet II, type ${hex(type, 4)}`);
    if (end > p) out.push(dataNode(s, p, end - p));
  }
  // Bytes after the upper layer are Ethernet padding (Wireshark's eth.padding).
  if (used >= 0 && p + used < end && (type === ETHERTYPE_IPV4 || type === ETHERTYPE_ARP)) {
    e.children!.push(node(`Padding: ${toHex(b.subarray(p + used, end))}`, 'eth.padding', toHex(b.subarray(p + used, end), ':'), p + used, end - p - used));
  }
}

function etherTypeLongName(t: number): string {
  switch (t) {
    case ETHERTYPE_IPV4:
      return 'IPv4';
    case ETHERTYPE_ARP:
      return 'ARP';
    case ETHERTYPE_VLAN:
      return '802.1Q Virtual LAN';
    case ETHERTYPE_TEB:
      return 'Transparent Ethernet bridging';
    case 0x86dd:
      return 'IPv6';
    default:
      return t < 0x0600 ? 'Length' : 'Unknown';
  }
}

function dataNode(s: State, off: number, len: number): TreeNode {
  const d = proto(`Data (${len} bytes)`, 'data', off, len);
  const bytes = s.b.subarray(off, off + len);
  d.children!.push(node(`Data: ${toHex(bytes.subarray(0, 32))}${len > 32 ? '…' : ''}`, 'data.data', toHex(bytes, ':'), off, len));
  d.children!.push(node(`[Length: ${len}]`, 'data.len', String(len), null));
  s.protocols.push('data');
  return d;
}

// ---------------------------------------------------------------------------------------------
// ARP

const ARP_OPCODES: Record<number, string> = { 1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply', 8: 'inverse request', 9: 'inverse reply' };

/** Returns the bytes ARP used (28), or -1 when malformed. */
function arp(s: State, out: TreeNode[], o: number, end: number): number {
  s.protocols.push('arp');
  const v = new ArpView(s.b.subarray(o, end));
  const err = v.checkLen();
  if (err) {
    setCols(s, 'ARP', '');
    malformed(s, out, 'ARP', err.message, o);
    return -1;
  }
  const op = v.op;
  const opName = ARP_OPCODES[op] ?? 'Unknown';
  const gratuitous = v.spa === v.tpa && (op === 1 || op === 2);
  const a = proto(`Address Resolution Protocol (${opName}${gratuitous ? '/gratuitous ARP' : ''})`, 'arp', o, ARP_LEN);
  out.push(a);
  const F = ARP_OFFSETS;
  a.children!.push(
    node(`Hardware type: ${v.htype === 1 ? 'Ethernet' : 'Unknown'} (${v.htype})`, 'arp.hw.type', String(v.htype), o + F.htype, 2),
    node(`Protocol type: ${v.ptype === ETHERTYPE_IPV4 ? 'IPv4' : 'Unknown'} (${hex(v.ptype, 4)})`, 'arp.proto.type', hex(v.ptype, 4), o + F.ptype, 2),
    node(`Hardware size: ${v.hlen}`, 'arp.hw.size', String(v.hlen), o + F.hlen, 1),
    node(`Protocol size: ${v.plen}`, 'arp.proto.size', String(v.plen), o + F.plen, 1),
  );
  if (gratuitous) a.children!.push(node(`[Is gratuitous: True]`, 'arp.isgratuitous', '1', null));
  a.children!.push(
    node(`Opcode: ${opName} (${op})`, 'arp.opcode', String(op), o + F.op, 2),
    node(`Sender MAC address: ${macToString(v.sha)}`, 'arp.src.hw_mac', macToString(v.sha), o + F.sha, 6),
    node(`Sender IP address: ${ipv4ToString(v.spa)}`, 'arp.src.proto_ipv4', ipv4ToString(v.spa), o + F.spa, 4),
    node(`Target MAC address: ${macToString(v.tha)}`, 'arp.dst.hw_mac', macToString(v.tha), o + F.tha, 6),
    node(`Target IP address: ${ipv4ToString(v.tpa)}`, 'arp.dst.proto_ipv4', ipv4ToString(v.tpa), o + F.tpa, 4),
  );
  let info: string;
  // packet-arp.c: an announcement is a request for the sender's own address, a probe has sender 0.0.0.0.
  if (gratuitous) info = op === 1 ? `ARP Announcement for ${ipv4ToString(v.spa)}` : `Gratuitous ARP for ${ipv4ToString(v.spa)} (Reply)`;
  else if (op === 1 && v.spa === 0) info = `Who has ${ipv4ToString(v.tpa)}? (ARP Probe)`;
  else if (op === 1) info = `Who has ${ipv4ToString(v.tpa)}? Tell ${ipv4ToString(v.spa)}`;
  else if (op === 2) info = `${ipv4ToString(v.spa)} is at ${macToString(v.sha)}`;
  else info = `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
  setCols(s, 'ARP', info);
  return ARP_LEN;
}

// ---------------------------------------------------------------------------------------------
// IPv4

const DSCP_NAMES: Record<number, string> = { 0: 'CS0', 8: 'CS1', 16: 'CS2', 24: 'CS3', 32: 'CS4', 40: 'CS5', 48: 'CS6', 56: 'CS7', 46: 'EF', 10: 'AF11', 12: 'AF12', 14: 'AF13', 18: 'AF21', 20: 'AF22', 22: 'AF23', 26: 'AF31', 28: 'AF32', 30: 'AF33', 34: 'AF41', 36: 'AF42', 38: 'AF43' };
const ECN_NAMES = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];
const ECN_LONG = ['Not ECN-Capable Transport', 'ECN-Capable Transport codepoint \'01\'', 'ECN-Capable Transport codepoint \'10\'', 'Congestion Experienced'];

/** Returns the bytes the IPv4 packet covers (Total Length, within the frame), or -1 when malformed. */
function ipv4(s: State, out: TreeNode[], o: number, end: number, depth: number, quoted: boolean): number {
  s.protocols.push('ip');
  const b = s.b;
  if (end - o < IPV4_MIN_HEADER_LEN) {
    setCols(s, 'IPv4');
    malformed(s, out, 'IPv4', `IPv4 header needs 20 bytes, ${end - o} captured`, o);
    return -1;
  }
  const v = new Ipv4View(b.subarray(o, end));
  const hl = v.headerLen;
  const version = v.version;
  if (version !== 4 || hl < IPV4_MIN_HEADER_LEN || o + hl > end) {
    setCols(s, 'IPv4');
    const ip = proto('Internet Protocol Version 4', 'ip', o, Math.min(end - o, Math.max(hl, 1)));
    out.push(ip);
    ip.children!.push(node(`${bitsText(b[o]!, 0xf0, 8)} = Version: ${version}`, 'ip.version', String(version), o, 1));
    ip.children!.push(node(`${bitsText(b[o]!, 0x0f, 8)} = Header Length: ${hl} bytes (${hl >>> 2})`, 'ip.hdr_len', String(hl), o, 1));
    malformed(s, out, 'IPv4', version !== 4 ? `Bogus IP version (${version})` : `Bogus IP header length (${hl}, must be at least 20)`, o);
    return -1;
  }
  const F = IPV4_OFFSETS;
  const src = v.src;
  const dst = v.dst;
  const total = v.totalLen;
  const ip = proto(`Internet Protocol Version 4, Src: ${ipv4ToString(src)}, Dst: ${ipv4ToString(dst)}`, 'ip', o, hl);
  out.push(ip);
  const c = ip.children!;
  const tos = v.tos;
  const ff = v.flagsFrag;
  const flags = ff >>> 13;
  const flagText = [flags & 4 ? 'Reserved bit' : '', flags & 2 ? "Don't fragment" : '', flags & 1 ? 'More fragments' : ''].filter(Boolean).join(', ');
  const p = v.protocol;
  c.push(
    node(`${bitsText(b[o]!, 0xf0, 8)} = Version: 4`, 'ip.version', '4', o, 1),
    node(`${bitsText(b[o]!, 0x0f, 8)} = Header Length: ${hl} bytes (${hl >>> 2})`, 'ip.hdr_len', String(hl), o, 1),
    node(`Differentiated Services Field: ${hex(tos, 2)} (DSCP: ${DSCP_NAMES[tos >>> 2] ?? 'Unknown'}, ECN: ${ECN_NAMES[tos & 3]})`, 'ip.dsfield', hex(tos, 2), o + F.tos, 1, [
      node(`${bitsText(tos, 0xfc, 8)} = Differentiated Services Codepoint: ${DSCP_NAMES[tos >>> 2] === 'CS0' ? 'Default' : DSCP_NAMES[tos >>> 2] ?? 'Unknown'} (${tos >>> 2})`, 'ip.dsfield.dscp', String(tos >>> 2), o + F.tos, 1),
      node(`${bitsText(tos, 0x03, 8)} = Explicit Congestion Notification: ${ECN_LONG[tos & 3]} (${tos & 3})`, 'ip.dsfield.ecn', String(tos & 3), o + F.tos, 1),
    ]),
    node(`Total Length: ${total}`, 'ip.len', String(total), o + F.totalLen, 2),
    node(`Identification: ${hex(v.id, 4)} (${v.id})`, 'ip.id', hex(v.id, 4), o + F.id, 2),
    node(`${bitsText(b[o + F.flagsFrag]!, 0xe0, 8)} = Flags: ${hex(flags, 1)}${flagText ? `, ${flagText}` : ''}`, 'ip.flags', hex(flags, 2), o + F.flagsFrag, 1, [
      flagNode(b[o + F.flagsFrag]!, 0x80, 8, 'Reserved bit', 'ip.flags.rb', o + F.flagsFrag, 1),
      flagNode(b[o + F.flagsFrag]!, 0x40, 8, "Don't fragment", 'ip.flags.df', o + F.flagsFrag, 1),
      flagNode(b[o + F.flagsFrag]!, 0x20, 8, 'More fragments', 'ip.flags.mf', o + F.flagsFrag, 1),
    ]),
    node(`${bitsText(ff, 0x1fff, 16)} = Fragment Offset: ${(ff & 0x1fff) * 8}`, 'ip.frag_offset', String((ff & 0x1fff) * 8), o + F.flagsFrag, 2),
    node(`Time to Live: ${v.ttl}`, 'ip.ttl', String(v.ttl), o + F.ttl, 1),
    node(`Protocol: ${ipProtocolName(p) === 'unknown' ? 'Unknown' : ipProtocolName(p)} (${p})`, 'ip.proto', String(p), o + F.protocol, 1),
  );
  const ck = v.checksum;
  const good = internetChecksum(b, o, o + hl) === 0;
  c.push(node(`Header Checksum: ${hex(ck, 4)} [${good ? 'correct' : 'incorrect'}]`, 'ip.checksum', hex(ck, 4), o + F.checksum, 2, [
    node(`[Header checksum status: ${good ? 'Good' : 'Bad'}]`, 'ip.checksum.status', good ? '1' : '0', null),
  ]));
  if (!good && !quoted) c[c.length - 1]!.expert = 'error';
  c.push(
    node(`Source Address: ${ipv4ToString(src)}`, 'ip.src', ipv4ToString(src), o + F.src, 4),
    node(`Destination Address: ${ipv4ToString(dst)}`, 'ip.dst', ipv4ToString(dst), o + F.dst, 4),
  );
  if (hl > IPV4_MIN_HEADER_LEN) {
    const opts = proto(`Options: (${hl - IPV4_MIN_HEADER_LEN} bytes)`, 'ip.options', o + F.options, hl - IPV4_MIN_HEADER_LEN);
    opts.protocol = undefined;
    let at = o + F.options;
    for (const op of ipv4Options(v.options)) {
      opts.children!.push(node(`IP Option - ${ipv4OptionName(op.type)} (${op.len} byte${op.len === 1 ? '' : 's'})`, 'ip.option.type', String(op.type), at, op.len));
      at += op.len;
    }
    c.push(opts);
  }
  if (s.writable) {
    s.source = ipv4ToString(src);
    s.destination = ipv4ToString(dst);
  }
  if (total < hl) {
    setCols(s, 'IPv4');
    malformed(s, out, 'IPv4', `Bogus IP length (${total}, less than header length ${hl})`, o + F.totalLen);
    return -1;
  }
  const pend = Math.min(o + total, end);
  if (o + total > end && !quoted && s.ctx.originalLength === undefined) {
    c.push({ ...node(`[Expert Info (Error/Protocol): IPv4 total length exceeds packet length (${end - o} bytes)]`, '_ws.expert', undefined, o + F.totalLen, 2), expert: 'error' });
  }
  const fragment = (ff & 0x3fff) !== 0;
  if (fragment) {
    setCols(s, 'IPv4', `Fragmented IP protocol (proto=${ipProtocolName(p)} ${p}, off=${(ff & 0x1fff) * 8}, ID=${v.id.toString(16).padStart(4, '0')})`);
    if (pend > o + hl) out.push(dataNode(s, o + hl, pend - o - hl));
    return pend - o;
  }
  const payloadStart = o + hl;
  if (p === IPPROTO_TCP) tcp(s, out, payloadStart, pend, src, dst, quoted);
  else if (p === IPPROTO_UDP) udp(s, out, payloadStart, pend, src, dst, depth, quoted);
  else if (p === IPPROTO_ICMP) icmp(s, out, payloadStart, pend, v.ttl, src, dst, depth, quoted);
  else {
    setCols(s, 'IPv4', `${ipProtocolName(p) === 'unknown' ? 'Unknown' : ipProtocolName(p)} (${p})`);
    if (pend > payloadStart) out.push(dataNode(s, payloadStart, pend - payloadStart));
  }
  return pend - o;
}

// ---------------------------------------------------------------------------------------------
// TCP

const TCP_FLAG_NAMES: readonly [number, string][] = [
  [0x001, 'FIN'],
  [0x002, 'SYN'],
  [0x004, 'RST'],
  [0x008, 'PSH'],
  [0x010, 'ACK'],
  [0x020, 'URG'],
  [0x040, 'ECE'],
  [0x080, 'CWR'],
  [0x100, 'AE'],
];

/** Wireshark's flag list: `SYN, ACK` (packet-tcp.c tcp_flags_to_str order). */
export function tcpFlagsText(flags: number): string {
  const out: string[] = [];
  for (const [bit, name] of TCP_FLAG_NAMES) if (flags & bit) out.push(name);
  if (flags & 0xe00) out.push('Reserved');
  return out.length ? out.join(', ') : '<None>';
}

function rel(v: number, base: number | null): number {
  return base === null ? v : (v - base) >>> 0;
}

function tcp(s: State, out: TreeNode[], o: number, end: number, srcIp: number, dstIp: number, quoted: boolean): void {
  s.protocols.push('tcp');
  const b = s.b;
  const n = end - o;
  if (n < 4) {
    setCols(s, 'TCP');
    malformed(s, out, 'TCP', `TCP header cut short (${n} bytes)`, o);
    return;
  }
  const sp = u16(b, o + TCP_OFFSETS.srcPort);
  const dp = u16(b, o + TCP_OFFSETS.dstPort);
  const conv = s.ctx.tcp ? s.ctx.tcp({ srcIp, srcPort: sp, dstIp, dstPort: dp }, quoted) : null;
  const seqBase = quoted ? null : (conv?.seqBase ?? null);
  const ackBase = quoted ? null : (conv?.ackBase ?? null);
  const t = proto('', 'tcp', o, Math.min(n, TCP_HEADER_LEN));
  out.push(t);
  const c = t.children!;
  c.push(...portNodes('tcp', sp, dp, o + TCP_OFFSETS.srcPort, o + TCP_OFFSETS.dstPort));
  if (conv) c.push(node(`[Stream index: ${conv.stream}]`, 'tcp.stream', String(conv.stream), null));
  let title = `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}`;
  const v = new TcpView(b.subarray(o, end));
  if (n < 8) {
    t.label = title;
    setCols(s, 'TCP', `${sp} → ${dp}`);
    if (!quoted) malformed(s, out, 'TCP', 'TCP header cut short', o);
    return;
  }
  const seq = v.seq;
  const rseq = rel(seq, seqBase);
  title += `, Seq: ${rseq}`;
  const relText = seqBase === null ? '' : '    (relative sequence number)';
  if (n < TCP_HEADER_LEN) {
    c.push(node(`Sequence Number: ${rseq}${relText}`, 'tcp.seq', String(rseq), o + TCP_OFFSETS.seq, 4));
    t.label = title;
    setCols(s, 'TCP', `${sp} → ${dp}`);
    if (!quoted) malformed(s, out, 'TCP', `TCP header cut short (${n} bytes)`, o);
    return;
  }
  const err = v.checkLen();
  const hl = v.headerLen;
  const flags = v.flags;
  const ack = v.ack;
  const hasAck = (flags & 0x010) !== 0;
  const rack = hasAck ? rel(ack, ackBase) : ack;
  const dataLen = err ? 0 : n - hl;
  if (hasAck) title += `, Ack: ${rack}`;
  if (!quoted) title += `, Len: ${dataLen}`;
  t.label = title;
  t.range = [o, err ? n : hl];
  if (!quoted) c.push(node(`[TCP Segment Len: ${dataLen}]`, 'tcp.len', String(dataLen), null));
  c.push(node(`Sequence Number: ${rseq}${relText}`, 'tcp.seq', String(rseq), o + TCP_OFFSETS.seq, 4));
  if (!quoted) c.push(node(`Sequence Number (raw): ${seq}`, 'tcp.seq_raw', String(seq), o + TCP_OFFSETS.seq, 4));
  if (!quoted && !err) {
    const nxt = (rseq + dataLen + (flags & 0x003 ? 1 : 0)) >>> 0;
    c.push(node(`[Next Sequence Number: ${nxt}${relText}]`, 'tcp.nxtseq', String(nxt), null));
  }
  c.push(node(`Acknowledgment Number: ${rack}${hasAck && ackBase !== null ? '    (relative ack number)' : ''}`, 'tcp.ack', String(rack), o + TCP_OFFSETS.ack, 4));
  if (!quoted) c.push(node(`Acknowledgment number (raw): ${ack}`, 'tcp.ack_raw', String(ack), o + TCP_OFFSETS.ack, 4));
  const fo = o + TCP_OFFSETS.flags;
  c.push(node(`${bitsText(b[fo]!, 0xf0, 8)} = Header Length: ${hl} bytes (${hl >>> 2})`, 'tcp.hdr_len', String(hl), fo, 1));
  const hi = b[fo]!;
  const lo = b[fo + 1]!;
  const w = (hi << 8) | lo;
  c.push(node(`Flags: ${hex(flags, 3)} (${tcpFlagsText(flags)})`, 'tcp.flags', hex(flags, 4), fo, 2, [
    node(`${bitsText(w & 0xfff, 0xe00, 12)} = Reserved: ${flags & 0xe00 ? 'Set' : 'Not set'}`, 'tcp.flags.res', flags & 0xe00 ? '1' : '0', fo, 1),
    flagNode(w & 0xfff, 0x100, 12, 'Accurate ECN', 'tcp.flags.ae', fo, 1),
    flagNode(w & 0xfff, 0x080, 12, 'Congestion Window Reduced', 'tcp.flags.cwr', fo + 1, 1),
    flagNode(w & 0xfff, 0x040, 12, 'ECN-Echo', 'tcp.flags.ece', fo + 1, 1),
    flagNode(w & 0xfff, 0x020, 12, 'Urgent', 'tcp.flags.urg', fo + 1, 1),
    flagNode(w & 0xfff, 0x010, 12, 'Acknowledgment', 'tcp.flags.ack', fo + 1, 1),
    flagNode(w & 0xfff, 0x008, 12, 'Push', 'tcp.flags.push', fo + 1, 1),
    flagNode(w & 0xfff, 0x004, 12, 'Reset', 'tcp.flags.reset', fo + 1, 1),
    flagNode(w & 0xfff, 0x002, 12, 'Syn', 'tcp.flags.syn', fo + 1, 1),
    flagNode(w & 0xfff, 0x001, 12, 'Fin', 'tcp.flags.fin', fo + 1, 1),
    node(`TCP Flags: ${tcpFlagsStr(flags)}`, 'tcp.flags.str', tcpFlagsStr(flags), fo, 2),
  ]));
  const win = v.window;
  c.push(node(`Window: ${win}`, 'tcp.window_size_value', String(win), o + TCP_OFFSETS.window, 2));
  const ck = v.checksum;
  let status = 'unverified';
  if (!quoted && !err && s.ctx.originalLength === undefined) status = v.verifyChecksum(srcIp, dstIp) ? 'correct' : 'incorrect';
  c.push(node(`Checksum: ${hex(ck, 4)} [${status}]`, 'tcp.checksum', hex(ck, 4), o + TCP_OFFSETS.checksum, 2, [
    node(`[Checksum Status: ${status === 'correct' ? 'Good' : status === 'incorrect' ? 'Bad' : 'Unverified'}]`, 'tcp.checksum.status', status === 'correct' ? '1' : status === 'incorrect' ? '0' : '2', null),
  ]));
  if (status === 'incorrect') c[c.length - 1]!.expert = 'error';
  c.push(node(`Urgent Pointer: ${v.urgentPointer}`, 'tcp.urgent_pointer', String(v.urgentPointer), o + TCP_OFFSETS.urgent, 2));
  let info = `${sp} → ${dp} [${tcpFlagsText(flags)}] Seq=${rseq}`;
  if (hasAck) info += ` Ack=${rack}`;
  info += ` Win=${win}`;
  if (flags & 0x020) info += ` Urg=${v.urgentPointer}`;
  if (!quoted) info += ` Len=${dataLen}`;
  if (err) {
    setCols(s, 'TCP', info);
    if (!quoted) malformed(s, out, 'TCP', err.message, o + TCP_OFFSETS.dataOffset);
    return;
  }
  if (hl > TCP_HEADER_LEN) {
    const opts = node(`Options: (${hl - TCP_HEADER_LEN} bytes)`, 'tcp.options', toHex(b.subarray(o + TCP_HEADER_LEN, o + hl), ':'), o + TCP_HEADER_LEN, hl - TCP_HEADER_LEN, []);
    const r = parseTcp(b.subarray(o, end), { checksum: 'ignore' });
    if (r.ok) {
      let at = o + TCP_HEADER_LEN;
      const names: string[] = [];
      for (const op of r.value.options) {
        // Parsed, so each option's length byte is its size (EOL and NOP are one byte).
        const len = b[at]! <= 1 ? 1 : b[at + 1]!;
        const [n2, text] = tcpOptionNode(op, at, len, ackBase);
        opts.children!.push(n2);
        if (text) info += ` ${text}`;
        if (op.kind !== 'eol' || names.length === 0) names.push(n2.label.replace(/^TCP Option - /, '').replace(/:.*$/, ''));
        at += len;
      }
      opts.label += `, ${names.join(', ')}`;
      c.push(opts);
    } else {
      c.push(opts);
      if (!quoted) malformed(s, c, 'TCP', r.error.message, o + TCP_HEADER_LEN);
    }
  }
  if (quoted) return; // Wireshark does not analyse or hand on the payload of a quoted segment
  setCols(s, 'TCP', info);
  if (dataLen > 0) {
    const po = o + hl;
    c.push(node(`TCP payload (${dataLen} byte${dataLen === 1 ? '' : 's'})`, 'tcp.payload', toHex(b.subarray(po, end), ':'), po, dataLen));
    if (isHttpPort(sp, dp)) http(s, out, po, end);
    else out.push(dataNode(s, po, dataLen));
  }
}

/** tcp.flags.str: 12 positions, `··········S·`. */
function tcpFlagsStr(f: number): string {
  const letters = 'RRRACEUAPRSF';
  let out = '';
  for (let i = 0; i < 12; i++) out += f & (0x800 >> i) ? letters[i]! : '·';
  return out;
}

function tcpOptionNode(op: TcpOption, at: number, len: number, ackBase: number | null): [TreeNode, string] {
  const kindNode = (name: string, kind: number): TreeNode => node(`Kind: ${name} (${kind})`, 'tcp.option_kind', String(kind), at, 1);
  const lenNode = (): TreeNode => node(`Length: ${len}`, 'tcp.option_len', String(len), at + 1, 1);
  switch (op.kind) {
    case 'eol':
      return [node('TCP Option - End of Option List (EOL)', 'tcp.options.eol', undefined, at, 1, [kindNode('End of Option List', 0)]), ''];
    case 'nop':
      return [node('TCP Option - No-Operation (NOP)', 'tcp.options.nop', undefined, at, 1, [kindNode('No-Operation', 1)]), ''];
    case 'mss':
      return [
        node(`TCP Option - Maximum segment size: ${op.mss} bytes`, 'tcp.options.mss', undefined, at, len, [
          kindNode('Maximum Segment Size', 2),
          lenNode(),
          node(`MSS Value: ${op.mss}`, 'tcp.options.mss_val', String(op.mss), at + 2, 2),
        ]),
        `MSS=${op.mss}`,
      ];
    case 'wscale': {
      const mult = 2 ** Math.min(op.shift, 14);
      return [
        node(`TCP Option - Window scale: ${op.shift} (multiply by ${mult})`, 'tcp.options.wscale', undefined, at, len, [
          kindNode('Window Scale', 3),
          lenNode(),
          node(`Shift count: ${op.shift}`, 'tcp.options.wscale.shift', String(op.shift), at + 2, 1),
          node(`[Multiplier: ${mult}]`, 'tcp.options.wscale.multiplier', String(mult), null),
        ]),
        `WS=${mult}`,
      ];
    }
    case 'sackOK':
      return [node('TCP Option - SACK permitted', 'tcp.options.sack_perm', undefined, at, len, [kindNode('SACK Permitted', 4), lenNode()]), 'SACK_PERM'];
    case 'sack': {
      const kids = [kindNode('SACK', 5), lenNode()];
      let text = '';
      op.blocks.forEach((blk, i) => {
        const le = rel(blk.left, ackBase);
        const re = rel(blk.right, ackBase);
        kids.push(node(`left edge = ${le}`, 'tcp.options.sack_le', String(le), at + 2 + 8 * i, 4));
        kids.push(node(`right edge = ${re}`, 'tcp.options.sack_re', String(re), at + 6 + 8 * i, 4));
        text += `${text ? ' ' : ''}SLE=${le} SRE=${re}`;
      });
      const first = op.blocks[0];
      return [node(`TCP Option - SACK ${first ? `${rel(first.left, ackBase)}-${rel(first.right, ackBase)}` : ''}`, 'tcp.options.sack', undefined, at, len, kids), text];
    }
    case 'ts':
      return [
        node(`TCP Option - Timestamps: TSval ${op.tsval}, TSecr ${op.tsecr}`, 'tcp.options.timestamp', undefined, at, len, [
          kindNode('Time Stamp Option', 8),
          lenNode(),
          node(`Timestamp value: ${op.tsval}`, 'tcp.options.timestamp.tsval', String(op.tsval), at + 2, 4),
          node(`Timestamp echo reply: ${op.tsecr}`, 'tcp.options.timestamp.tsecr', String(op.tsecr), at + 6, 4),
        ]),
        `TSval=${op.tsval} TSecr=${op.tsecr}`,
      ];
    default:
      return [node(`TCP Option - Unknown (${op.kind})`, 'tcp.options.unknown', undefined, at, len, [kindNode('Unknown', op.kind), lenNode()]), ''];
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** Request methods Wireshark recognises at the start of a segment (packet-http.c). */
const HTTP_METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'M-SEARCH']);

const HTTP_HEADER_FIELDS: Record<string, string> = {
  host: 'http.host',
  'user-agent': 'http.user_agent',
  accept: 'http.accept',
  'accept-encoding': 'http.accept_encoding',
  'accept-language': 'http.accept_language',
  'content-type': 'http.content_type',
  'content-length': 'http.content_length_header',
  connection: 'http.connection',
  server: 'http.server',
  location: 'http.location',
  cookie: 'http.cookie',
  'set-cookie': 'http.set_cookie',
  referer: 'http.referer',
  date: 'http.date',
  'cache-control': 'http.cache_control',
  'transfer-encoding': 'http.transfer_encoding',
};

/** Kind of the first line of an HTTP segment, as Wireshark's is_http_request_or_reply decides. */
export function httpFirstLine(line: string): { kind: 'request'; method: string; uri: string; version: string } | { kind: 'response'; version: string; code: number; phrase: string } | null {
  if (/^HTTP\/\d\.\d /.test(line)) {
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
    if (!m) return null;
    return { kind: 'response', version: m[1]!, code: Number(m[2]), phrase: m[3] ?? '' };
  }
  const sp = line.indexOf(' ');
  if (sp <= 0) return null;
  const method = line.slice(0, sp);
  if (!HTTP_METHODS.has(method)) return null;
  const rest = line.slice(sp + 1);
  const sp2 = rest.lastIndexOf(' ');
  const uri = sp2 < 0 ? rest : rest.slice(0, sp2);
  const version = sp2 < 0 ? '' : rest.slice(sp2 + 1);
  return { kind: 'request', method, uri, version };
}

function http(s: State, out: TreeNode[], o: number, end: number): void {
  s.protocols.push('http');
  const b = s.b;
  const h = proto('Hypertext Transfer Protocol', 'http', o, end - o);
  out.push(h);
  const c = h.children!;
  const data = b.subarray(o, end);
  const lines = httpHeadLines(data, 200);
  const firstLine = lines[0] ? td.decode(data.subarray(lines[0].start, lines[0].end)) : '';
  const first = httpFirstLine(firstLine);
  if (first === null) {
    c.push(node(`File Data: ${end - o} bytes`, 'http.file_data', undefined, o, end - o));
    setCols(s, 'HTTP', 'Continuation');
    return;
  }
  const l0 = lines[0]!;
  const lineNode = node(`${firstLine}\\r\\n`, first.kind === 'request' ? 'http.request.line' : 'http.response.line', firstLine, o + l0.start, l0.next - l0.start, []);
  let at = o + l0.start;
  if (first.kind === 'request') {
    h.children!.push(lineNode);
    lineNode.field = undefined;
    lineNode.children!.push(node(`Request Method: ${first.method}`, 'http.request.method', first.method, at, first.method.length));
    at += first.method.length + 1;
    lineNode.children!.push(node(`Request URI: ${first.uri}`, 'http.request.uri', first.uri, at, first.uri.length));
    at += first.uri.length + 1;
    if (first.version) lineNode.children!.push(node(`Request Version: ${first.version}`, 'http.request.version', first.version, at, first.version.length));
    c.push(node('[Request: True]', 'http.request', '1', null));
  } else {
    h.children!.push(lineNode);
    lineNode.field = undefined;
    lineNode.children!.push(node(`Response Version: ${first.version}`, 'http.response.version', first.version, at, first.version.length));
    at += first.version.length + 1;
    lineNode.children!.push(node(`Status Code: ${first.code}`, 'http.response.code', String(first.code), at, 3));
    at += 4;
    if (first.phrase) lineNode.children!.push(node(`Response Phrase: ${first.phrase}`, 'http.response.phrase', first.phrase, at, first.phrase.length));
    c.push(node('[Response: True]', 'http.response', '1', null));
  }
  let contentType: string | undefined;
  let headEnd = lines.length ? lines[lines.length - 1]!.next : 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.end === l.start) {
      c.push(node('\\r\\n', undefined, undefined, o + l.start, l.next - l.start));
      headEnd = l.next;
      break;
    }
    const text = td.decode(data.subarray(l.start, l.end));
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).trim();
    const f = HTTP_HEADER_FIELDS[name.toLowerCase()] ?? (first.kind === 'request' ? 'http.request.line' : 'http.response.line');
    if (name.toLowerCase() === 'content-type') contentType = value;
    c.push(node(`${text}\\r\\n`, f, f.endsWith('.line') ? `${text}\r\n` : value, o + l.start, l.next - l.start));
  }
  if (headEnd < data.length) c.push(node(`File Data: ${data.length - headEnd} bytes`, 'http.file_data', undefined, o + headEnd, data.length - headEnd));
  // Info: the first line (Wireshark adds the line's end as a space), a response's media type after it.
  let info = `${firstLine} `;
  if (first.kind === 'response' && contentType !== undefined) {
    const semi = contentType.indexOf(';');
    info += ` (${(semi < 0 ? contentType : contentType.slice(0, semi)).trim()})`;
  }
  setCols(s, 'HTTP', info);
}

// ---------------------------------------------------------------------------------------------
// UDP, DNS, GENEVE

function udp(s: State, out: TreeNode[], o: number, end: number, srcIp: number, dstIp: number, depth: number, quoted: boolean): void {
  s.protocols.push('udp');
  const b = s.b;
  if (end - o < UDP_HEADER_LEN) {
    setCols(s, 'UDP');
    malformed(s, out, 'UDP', `UDP header needs 8 bytes, ${end - o} captured`, o);
    return;
  }
  const v = new UdpView(b.subarray(o, end));
  const sp = v.srcPort;
  const dp = v.dstPort;
  const len = v.length;
  const u = proto(`User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`, 'udp', o, UDP_HEADER_LEN);
  out.push(u);
  const c = u.children!;
  c.push(...portNodes('udp', sp, dp, o + UDP_OFFSETS.srcPort, o + UDP_OFFSETS.dstPort), node(`Length: ${len}`, 'udp.length', String(len), o + UDP_OFFSETS.length, 2));
  const err = quoted ? null : v.checkLen();
  const ck = v.checksum;
  let status = 'unverified';
  if (!quoted && !err && s.ctx.originalLength === undefined) status = ck === 0 ? 'unverified' : v.verifyChecksum(srcIp, dstIp) ? 'correct' : 'incorrect';
  c.push(node(`Checksum: ${hex(ck, 4)} [${ck === 0 ? 'zero-value ignored' : status}]`, 'udp.checksum', hex(ck, 4), o + UDP_OFFSETS.checksum, 2));
  if (status === 'incorrect') c[c.length - 1]!.expert = 'error';
  const plen = Math.max(0, Math.min(len, end - o) - UDP_HEADER_LEN);
  setCols(s, 'UDP', `${sp} → ${dp} Len=${len >= UDP_HEADER_LEN ? len - UDP_HEADER_LEN : 0}`);
  if (err) {
    malformed(s, out, 'UDP', `Bad length value ${len}: ${err.message}`, o + UDP_OFFSETS.length);
    return;
  }
  const p = o + UDP_HEADER_LEN;
  const pend = p + plen;
  if (plen > 0) c.push(node(`UDP payload (${plen} byte${plen === 1 ? '' : 's'})`, 'udp.payload', toHex(b.subarray(p, pend), ':'), p, plen));
  const app = udpApp(sp, dp);
  if (app === 'dns') dns(s, out, p, pend);
  else if (app === 'geneve') geneve(s, out, p, pend, depth);
  else if (plen > 0) out.push(dataNode(s, p, plen));
}

const DNS_TYPE_LONG: Record<number, string> = {
  1: 'A (Host Address)',
  2: 'NS (authoritative Name Server)',
  5: 'CNAME (Canonical NAME for an alias)',
  6: 'SOA (Start Of a zone of Authority)',
  12: 'PTR (domain name PoinTeR)',
  15: 'MX (Mail eXchange)',
  16: 'TXT (Text strings)',
  28: 'AAAA (IPv6 Address)',
  33: 'SRV (Server Selection)',
  41: 'OPT',
  65: 'HTTPS (HTTPS Specific Service Endpoints)',
  255: '* (A request for all records the server/cache has available)',
};
const DNS_OPCODES: Record<number, string> = { 0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update' };
const DNS_RCODES: Record<number, string> = { 0: 'No error', 1: 'Format error', 2: 'Server failure', 3: 'No such name', 4: 'Not implemented', 5: 'Refused' };

function rdataText(d: DnsRdata): string {
  switch (d.kind) {
    case 'A':
      return ipv4ToString(d.address);
    case 'AAAA':
      return ipv6ToString(d.address);
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return d.name;
    case 'MX':
      return `${d.preference} ${d.exchange}`;
    case 'SOA':
      return d.mname;
    default:
      return '';
  }
}

function dns(s: State, out: TreeNode[], o: number, end: number): void {
  s.protocols.push('dns');
  const b = s.b;
  const msg = b.subarray(o, end);
  const v = new DnsView(msg);
  if (v.checkLen()) {
    setCols(s, 'DNS', '');
    malformed(s, out, 'DNS', `DNS header needs ${DNS_HEADER_LEN} bytes, ${end - o} captured`, o);
    return;
  }
  const F = DNS_OFFSETS;
  const isResp = v.qr;
  const d = proto(`Domain Name System (${isResp ? 'response' : 'query'})`, 'dns', o, end - o);
  out.push(d);
  const c = d.children!;
  const flags = v.flags;
  const opName = DNS_OPCODES[v.opcode] ?? `Unknown operation (${v.opcode})`;
  const fo = o + F.flags;
  const fl: TreeNode[] = [
    node(`${bitsText(flags, 0x8000, 16)} = Response: Message is a ${isResp ? 'response' : 'query'}`, 'dns.flags.response', isResp ? '1' : '0', fo, 2),
    node(`${bitsText(flags, 0x7800, 16)} = Opcode: ${opName} (${v.opcode})`, 'dns.flags.opcode', String(v.opcode), fo, 2),
  ];
  if (isResp) fl.push(flagNode(flags, 0x0400, 16, 'Authoritative', 'dns.flags.authoritative', fo, 2, 'Server is an authority for domain', 'Server is not an authority for domain'));
  fl.push(flagNode(flags, 0x0200, 16, 'Truncated', 'dns.flags.truncated', fo, 2, 'Message is truncated', 'Message is not truncated'));
  fl.push(flagNode(flags, 0x0100, 16, 'Recursion desired', 'dns.flags.recdesired', fo, 2, 'Do query recursively', "Don't do query recursively"));
  if (isResp) fl.push(flagNode(flags, 0x0080, 16, 'Recursion available', 'dns.flags.recavail', fo, 2, 'Server can do recursive queries', "Server can't do recursive queries"));
  fl.push(flagNode(flags, 0x0040, 16, 'Z', 'dns.flags.z', fo, 2, 'reserved (1)', 'reserved (0)'));
  if (isResp) fl.push(flagNode(flags, 0x0020, 16, 'Answer authenticated', 'dns.flags.authenticated', fo, 2, 'Answer/authority portion was authenticated by the server', 'Answer/authority portion was not authenticated by the server'));
  fl.push(flagNode(flags, 0x0010, 16, 'Non-authenticated data', 'dns.flags.checkdisable', fo, 2, 'Acceptable', 'Unacceptable'));
  if (isResp) fl.push(node(`${bitsText(flags, 0x000f, 16)} = Reply code: ${DNS_RCODES[v.rcode] ?? 'Unknown'} (${v.rcode})`, 'dns.flags.rcode', String(v.rcode), fo, 2));
  c.push(
    node(`Transaction ID: ${hex(v.id, 4)}`, 'dns.id', hex(v.id, 4), o + F.id, 2),
    node(`Flags: ${hex(flags, 4)} ${opName}${isResp ? ` response, ${DNS_RCODES[v.rcode] ?? 'Unknown error'}` : ''}`, 'dns.flags', hex(flags, 4), fo, 2, fl),
    node(`Questions: ${v.qdcount}`, 'dns.count.queries', String(v.qdcount), o + F.qdcount, 2),
    node(`Answer RRs: ${v.ancount}`, 'dns.count.answers', String(v.ancount), o + F.ancount, 2),
    node(`Authority RRs: ${v.nscount}`, 'dns.count.auth_rr', String(v.nscount), o + F.nscount, 2),
    node(`Additional RRs: ${v.arcount}`, 'dns.count.add_rr', String(v.arcount), o + F.arcount, 2),
  );
  let info = `${opName}${isResp ? ' response' : ''} ${hex(v.id, 4)}`;
  if (isResp && v.rcode !== 0) info += ` ${DNS_RCODES[v.rcode] ?? `Unknown error (${v.rcode})`}`;
  const parsed = parseDns(msg);
  // Names and their places come from dnsReadName; values from parseDns (which succeeded or not).
  let pos = DNS_HEADER_LEN;
  const qn = proto('Queries', 'dns.queries', o + pos, 0);
  qn.protocol = undefined;
  for (let i = 0; i < v.qdcount; i++) {
    const n = dnsReadName(msg, pos);
    if ('kind' in n || n.end + DNS_QUESTION_OFFSETS.end > msg.length) break;
    const type = u16(msg, n.end + DNS_QUESTION_OFFSETS.type);
    const cls = u16(msg, n.end + DNS_QUESTION_OFFSETS.class);
    const name = n.name === '' ? '<Root>' : n.name;
    qn.children!.push(node(`${name}: type ${dnsTypeName(type)}, class ${dnsClassName(cls)}`, undefined, undefined, o + pos, n.end + 4 - pos, [
      node(`Name: ${name}`, 'dns.qry.name', name, o + pos, n.end - pos),
      node(`[Name Length: ${n.name.length}]`, 'dns.qry.name.len', String(n.name.length), null),
      node(`Type: ${DNS_TYPE_LONG[type] ?? dnsTypeName(type)} (${type})`, 'dns.qry.type', String(type), o + n.end, 2),
      node(`Class: ${dnsClassName(cls)} (${hex(cls, 4)})`, 'dns.qry.class', hex(cls, 4), o + n.end + 2, 2),
    ]));
    info += ` ${dnsTypeName(type)} ${name}`;
    pos = n.end + DNS_QUESTION_OFFSETS.end;
  }
  if (qn.children!.length) {
    qn.range = [o + DNS_HEADER_LEN, pos - DNS_HEADER_LEN];
    c.push(qn);
  }
  const sections: [string, string, DnsRecord[], number][] = [
    ['Answers', 'dns.answers', parsed.ok ? parsed.value.answers : [], v.ancount],
    ['Authoritative nameservers', 'dns.authorities', parsed.ok ? parsed.value.authorities : [], v.nscount],
    ['Additional records', 'dns.additionals', parsed.ok ? parsed.value.additionals : [], v.arcount],
  ];
  for (const [title, field, records, count] of sections) {
    if (!parsed.ok || count === 0) continue;
    const sec = node(title, field, undefined, o + pos, 0, []);
    const start = pos;
    for (const r of records) {
      const n = dnsReadName(msg, pos);
      if ('kind' in n) break;
      const rd = n.end + DNS_RR_OFFSETS.rdata;
      const rdlen = u16(msg, n.end + DNS_RR_OFFSETS.rdlength);
      const name = r.name === '' ? '<Root>' : r.name;
      const text = rdataText(r.data);
      const kids = [
        node(`Name: ${name}`, 'dns.resp.name', name, o + pos, n.end - pos),
        node(`Type: ${DNS_TYPE_LONG[r.type] ?? dnsTypeName(r.type)} (${r.type})`, 'dns.resp.type', String(r.type), o + n.end, 2),
        node(`Class: ${dnsClassName(r.class)} (${hex(r.class, 4)})`, 'dns.resp.class', hex(r.class, 4), o + n.end + 2, 2),
        node(`Time to live: ${r.ttl} (${ttlText(r.ttl)})`, 'dns.resp.ttl', String(r.ttl), o + n.end + 4, 4),
        node(`Data length: ${rdlen}`, 'dns.resp.len', String(rdlen), o + n.end + 8, 2),
      ];
      const rdField: Record<string, [string, string]> = { A: ['Address', 'dns.a'], CNAME: ['CNAME', 'dns.cname'], NS: ['Name Server', 'dns.ns'], PTR: ['Domain Name', 'dns.ptr.domain_name'], AAAA: ['AAAA Address', 'dns.aaaa'], MX: ['Mail Exchange', 'dns.mx.mail_exchange'], SOA: ['Primary name server', 'dns.soa.mname'] };
      const rf = rdField[r.data.kind];
      if (rf) kids.push(node(`${rf[0]}: ${r.data.kind === 'MX' ? (r.data as { exchange: string }).exchange : text}`, rf[1], r.data.kind === 'MX' ? (r.data as { exchange: string }).exchange : text, o + rd, rdlen));
      sec.children!.push(node(`${name}: type ${dnsTypeName(r.type)}, class ${dnsClassName(r.class)}${text ? `, ${r.data.kind === 'A' ? 'addr' : r.data.kind.toLowerCase()} ${text}` : ''}`, undefined, undefined, o + pos, rd + rdlen - pos, kids));
      if (title === 'Answers') info += ` ${dnsTypeName(r.type)}${text ? ` ${text}` : ''}`;
      pos = rd + rdlen;
    }
    sec.range = [o + start, pos - start];
    c.push(sec);
  }
  setCols(s, 'DNS', info);
  if (!parsed.ok) malformed(s, out, 'DNS', parsed.error.message, o + (parsed.error.offset ?? 0));
}

function ttlText(t: number): string {
  if (t === 0) return '0 seconds';
  const parts: string[] = [];
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let r = t;
  for (const [u, name] of units) {
    const n = Math.floor(r / u);
    if (n) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    r %= u;
  }
  return parts.join(', ');
}

const GENEVE_CLASS_NAMES: Record<number, string> = {
  0x0100: 'Linux',
  0x0101: 'Open vSwitch',
  0x0102: 'Open Virtual Networking (OVN)',
  0x0103: 'In-band Network Telemetry (INT)',
  0x0104: 'VMware, Inc.',
  0x0108: 'Amazon.com, Inc.',
};

function geneve(s: State, out: TreeNode[], o: number, end: number, depth: number): void {
  s.protocols.push('geneve');
  const b = s.b;
  const v = new GeneveView(b.subarray(o, end));
  const err = v.checkLen();
  if (end - o < GENEVE_HEADER_LEN) {
    setCols(s, 'GENEVE', 'Encapsulated');
    malformed(s, out, 'GENEVE', err?.message ?? 'cut short', o);
    return;
  }
  const F = GENEVE_OFFSETS;
  const vni = v.vni;
  const g = proto(`Generic Network Virtualization Encapsulation, VNI: ${hex(vni, 6)}`, 'geneve', o, Math.min(v.headerLen, end - o));
  out.push(g);
  const c = g.children!;
  const b0 = b[o + F.verOptLen]!;
  const fl = b[o + F.flags]!;
  const ptype = v.protocol;
  c.push(
    node(`${bitsText(b0, 0xc0, 8)} = Version: ${v.version}`, 'geneve.version', String(v.version), o + F.verOptLen, 1),
    node(`${bitsText(b0, 0x3f, 8)} = Length: ${v.optLen * 4} bytes`, 'geneve.option_len', String(v.optLen * 4), o + F.verOptLen, 1),
    node(`Flags: ${hex(fl, 2)}`, 'geneve.flags', hex(fl, 2), o + F.flags, 1, [
      node(`${bitsText(fl, 0x80, 8)} = Operations, Administration and Management Frame: ${fl & 0x80 ? 'True' : 'False'}`, 'geneve.flags.oam', fl & 0x80 ? '1' : '0', o + F.flags, 1),
      node(`${bitsText(fl, 0x40, 8)} = Critical Options Present: ${fl & 0x40 ? 'True' : 'False'}`, 'geneve.flags.critical', fl & 0x40 ? '1' : '0', o + F.flags, 1),
      node(`${bitsText(fl, 0x3f, 8)} = Reserved: ${fl & 0x3f ? 'True' : 'False'}`, 'geneve.flags.reserved', String(fl & 0x3f), o + F.flags, 1),
    ]),
    node(`Protocol Type: ${etherTypeLongName(ptype)} (${hex(ptype, 4)})`, 'geneve.proto_type', hex(ptype, 4), o + F.protocol, 2),
    node(`Virtual Network Identifier (VNI): ${hex(vni, 6)} (${vni})`, 'geneve.vni', hex(vni, 6), o + F.vni, 3),
    node(`Reserved: ${hex(v.reserved, 2)}`, 'geneve.reserved', hex(v.reserved, 2), o + F.reserved, 1),
  );
  if (err || v.version !== 0) {
    setCols(s, 'GENEVE', 'Encapsulated');
    malformed(s, out, 'GENEVE', err?.message ?? `Unknown version ${v.version}`, o);
    return;
  }
  const hl = v.headerLen;
  if (hl > GENEVE_HEADER_LEN) {
    const opts = node(`Options: (${hl - GENEVE_HEADER_LEN} bytes)`, 'geneve.options', undefined, o + GENEVE_HEADER_LEN, hl - GENEVE_HEADER_LEN, []);
    const O = GENEVE_OPTION_OFFSETS;
    let at = o + GENEVE_HEADER_LEN;
    while (at + 4 <= o + hl) {
      const cls = u16(b, at + O.cls);
      const type = b[at + O.type]!;
      const fb = b[at + O.flagsLen]!;
      const dlen = (fb & 0x1f) * 4;
      const total = 4 + dlen;
      const clsName = GENEVE_CLASS_NAMES[cls] ?? geneveOptionClassName(cls);
      const crit = type & 0x80 ? 'Critical' : 'Non-critical';
      const kids = [
        node(`Class: ${clsName} (${hex(cls, 4)})`, 'geneve.option.class', hex(cls, 4), at + O.cls, 2),
        node(`Type: ${hex(type, 2)} (${crit})`, 'geneve.option.type', hex(type, 2), at + O.type, 1),
        node(`${bitsText(fb, 0xe0, 8)} = Flags: ${hex(fb >>> 5, 2)}`, 'geneve.option.flags', hex(fb >>> 5, 2), at + O.flagsLen, 1),
        node(`${bitsText(fb, 0x1f, 8)} = Length: ${total} bytes`, 'geneve.option.length', String(total), at + O.flagsLen, 1),
      ];
      if (at + total > o + hl) {
        opts.children!.push(node(`Unknown, Class: ${clsName} (${hex(cls, 4)}) Type: ${hex(type, 2)} (${crit})`, 'geneve.option', undefined, at, o + hl - at, kids));
        malformed(s, out, 'GENEVE', `option at ${at - o} overruns the option area`, at);
        break;
      }
      if (dlen > 0) kids.push(node(`Unknown Option Data: ${toHex(b.subarray(at + O.data, at + total))}`, 'geneve.opt.unknown.data', toHex(b.subarray(at + O.data, at + total), ':'), at + O.data, dlen));
      opts.children!.push(node(`Unknown, Class: ${clsName} (${hex(cls, 4)}) Type: ${hex(type, 2)} (${crit})`, 'geneve.option', toHex(b.subarray(at, at + total), ':'), at, total, kids));
      at += total;
    }
    c.push(opts);
  }
  setCols(s, 'GENEVE', 'Encapsulated');
  if (fl & 0x80 || depth >= MAX_DEPTH || o + hl >= end) return;
  if (ptype === ETHERTYPE_TEB) {
    s.protocols.push('eth', 'ethertype');
    ethernet(s, out, o + hl, end, depth + 1);
  } else if (ptype === ETHERTYPE_IPV4) ipv4(s, out, o + hl, end, depth + 1, false);
  else out.push(dataNode(s, o + hl, end - o - hl));
}

// ---------------------------------------------------------------------------------------------
// ICMP

const ICMP_TYPES: Record<number, string> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  8: 'Echo (ping) request',
  9: 'Router advertisement',
  10: 'Router solicitation',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
  15: 'Information request',
  16: 'Information reply',
  17: 'Address mask request',
  18: 'Address mask reply',
};
const ICMP_UNREACH: Record<number, string> = {
  0: 'Network unreachable',
  1: 'Host unreachable',
  2: 'Protocol unreachable',
  3: 'Port unreachable',
  4: 'Fragmentation needed',
  5: 'Source route failed',
  6: 'Destination network unknown',
  7: 'Destination host unknown',
  8: 'Source host isolated',
  9: 'Network administratively prohibited',
  10: 'Host administratively prohibited',
  11: 'Network unreachable for TOS',
  12: 'Host unreachable for TOS',
  13: 'Communication administratively filtered',
  14: 'Host precedence violation',
  15: 'Precedence cutoff in effect',
};
const ICMP_CODES: Record<number, Record<number, string>> = {
  3: ICMP_UNREACH,
  5: { 0: 'Redirect for network', 1: 'Redirect for host', 2: 'Redirect for TOS and network', 3: 'Redirect for TOS and host' },
  11: { 0: 'Time to live exceeded in transit', 1: 'Fragment reassembly time exceeded' },
  12: { 0: 'Pointer indicates the error', 1: 'Required option missing', 2: 'Bad length' },
};

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

function icmp(s: State, out: TreeNode[], o: number, end: number, ttl: number, src: number, dst: number, depth: number, quoted: boolean): void {
  s.protocols.push('icmp');
  const b = s.b;
  const v = new IcmpView(b.subarray(o, end));
  if (end - o < 4 || (v.checkLen() && !quoted)) {
    setCols(s, 'ICMP', '');
    malformed(s, out, 'ICMP', `ICMP header needs ${ICMP_HEADER_LEN} bytes, ${end - o} captured`, o);
    return;
  }
  const F = ICMP_OFFSETS;
  const type = v.type;
  const code = v.code;
  const typeName = ICMP_TYPES[type] ?? 'Unknown ICMP (obsolete or malformed?)';
  const codeName = ICMP_CODES[type]?.[code];
  const m = proto('Internet Control Message Protocol', 'icmp', o, end - o);
  out.push(m);
  const c = m.children!;
  c.push(
    node(`Type: ${type} (${typeName})`, 'icmp.type', String(type), o + F.type, 1),
    node(`Code: ${code}${codeName ? ` (${codeName})` : ''}`, 'icmp.code', String(code), o + F.code, 1),
  );
  if (end - o >= 4) {
    const ck = v.checksum;
    const good = !quoted && internetChecksum(b, o, end) === 0;
    c.push(node(`Checksum: ${hex(ck, 4)} [${quoted ? 'unverified' : good ? 'correct' : 'incorrect'}]`, 'icmp.checksum', hex(ck, 4), o + F.checksum, 2, [
      node(`[Checksum Status: ${quoted ? 'Unverified' : good ? 'Good' : 'Bad'}]`, 'icmp.checksum.status', quoted ? '2' : good ? '1' : '0', null),
    ]));
    if (!quoted && !good && s.ctx.originalLength === undefined) c[c.length - 1]!.expert = 'error';
  }
  let info = codeName ? `${typeName} (${codeName})` : typeName;
  if (end - o < ICMP_HEADER_LEN) {
    setCols(s, 'ICMP', info);
    return;
  }
  const isEcho = type === 0 || type === 8 || type === 13 || type === 14;
  if (isEcho) {
    const id = v.id;
    const seq = v.seq;
    c.push(
      node(`Identifier (BE): ${id} (${hex(id, 4)})`, 'icmp.ident', String(id), o + F.id, 2),
      node(`Identifier (LE): ${swap16(id)} (${hex(swap16(id), 4)})`, 'icmp.ident_le', String(swap16(id)), o + F.id, 2),
      node(`Sequence Number (BE): ${seq} (${hex(seq, 4)})`, 'icmp.seq', String(seq), o + F.seq, 2),
      node(`Sequence Number (LE): ${swap16(seq)} (${hex(swap16(seq), 4)})`, 'icmp.seq_le', String(swap16(seq)), o + F.seq, 2),
    );
    const pad = type === 8 ? '  ' : type === 0 ? '    ' : '  ';
    const name = type === 8 ? 'Echo (ping) request' : type === 0 ? 'Echo (ping) reply' : typeName;
    info = `${name}${pad}id=${hex(id, 4)}, seq=${seq}/${swap16(seq)}, ttl=${ttl}`;
    if ((type === 0 || type === 8) && s.ctx.echo && !quoted) {
      const other = s.ctx.echo({ src, dst, id, seq, reply: type === 0 });
      if (other !== null) {
        info += type === 8 ? ` (reply in ${other})` : ` (request in ${other})`;
        c.push(node(`[${type === 8 ? 'Response frame' : 'Request frame'}: ${other}]`, type === 8 ? 'icmp.resp_in' : 'icmp.resp_to', String(other), null));
      }
    } else if (type === 8 && !quoted && s.ctx.echo) {
      info += ' (no response found!)';
    }
    if (end > o + ICMP_HEADER_LEN) c.push(dataNode(s, o + ICMP_HEADER_LEN, end - o - ICMP_HEADER_LEN));
  } else if (type === 5) {
    const gw = v.rest;
    c.push(node(`Gateway Address: ${ipv4ToString(gw)}`, 'icmp.redir_gw', ipv4ToString(gw), o + F.rest, 4));
  } else if (type === 3 && code === 4) {
    c.push(node(`Unused: ${hex(u16(b, o + F.rest), 4)}`, 'icmp.unused', hex(u16(b, o + F.rest), 4), o + F.rest, 2));
    c.push(node(`MTU of next hop: ${v.mtu}`, 'icmp.mtu', String(v.mtu), o + F.mtu, 2));
  } else if (type === 12) {
    c.push(node(`Pointer: ${b[o + F.rest]}`, 'icmp.pointer', String(b[o + F.rest]), o + F.rest, 1));
  } else if (isIcmpErrorType(type)) {
    c.push(node(`Unused: ${toHex(b.subarray(o + F.rest, o + F.rest + 4))}`, 'icmp.unused', toHex(b.subarray(o + F.rest, o + F.rest + 4), ':'), o + F.rest, 4));
  }
  setCols(s, 'ICMP', info);
  if (isIcmpErrorType(type) && !quoted && depth < MAX_DEPTH && end > o + ICMP_HEADER_LEN) {
    // The quoted datagram: dissected as nested layers, columns left as the error's (col_set_writable).
    const was = s.writable;
    s.writable = false;
    ipv4(s, c, o + F.data, end, depth + 1, true);
    s.writable = was;
  }
}
