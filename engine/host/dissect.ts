/**
 * Interim dissection for the packet panes (until engine/capture/dissect.ts lands): list-row endpoints
 * and protocol, and a detail tree per layer with each field's byte range for the hex view. Layers come
 * from the wire codecs; offsets from their payload subarrays. Never throws.
 */
import { ipv4ToString, macToString } from '../wire/addr.ts';
import { parseArp } from '../wire/arp.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, etherTypeName, parseEthernet } from '../wire/ethernet.ts';
import { parseIcmp } from '../wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipProtocolName, parseIpv4 } from '../wire/ipv4.ts';
import { parseTcp } from '../wire/tcp.ts';
import { parseUdp } from '../wire/udp.ts';
import type { DetailNode } from '../../app/shared/bridge.ts';

const IGNORE = { checksum: 'ignore' } as const;

function appProtocol(sport: number, dport: number, transport: string): string {
  const ports = [sport, dport];
  if (ports.includes(53)) return 'DNS';
  if (transport === 'UDP' && ports.includes(6081)) return 'GENEVE';
  if (transport === 'TCP' && ports.some((p) => p === 80 || p === 8080 || p === 30080)) return 'HTTP';
  return transport;
}

export function endpoints(frame: Uint8Array): { src: string; dst: string; protocol: string } {
  try {
    const e = parseEthernet(frame, IGNORE);
    if (!e.ok) return { src: '', dst: '', protocol: 'malformed' };
    const eth = e.value;
    if (eth.etherType === ETHERTYPE_ARP) {
      const a = parseArp(eth.payload, IGNORE);
      return a.ok ? { src: ipv4ToString(a.value.spa), dst: ipv4ToString(a.value.tpa), protocol: 'ARP' } : { src: macToString(eth.src), dst: macToString(eth.dst), protocol: 'ARP' };
    }
    if (eth.etherType !== ETHERTYPE_IPV4) return { src: macToString(eth.src), dst: macToString(eth.dst), protocol: etherTypeName(eth.etherType) };
    const i = parseIpv4(eth.payload, IGNORE);
    if (!i.ok) return { src: macToString(eth.src), dst: macToString(eth.dst), protocol: 'IPv4' };
    const ip = i.value;
    const src = ipv4ToString(ip.src);
    const dst = ipv4ToString(ip.dst);
    if (ip.protocol === IPPROTO_TCP) {
      const t = parseTcp(ip.payload, IGNORE);
      const payloadLen = t.ok ? t.value.payload.length : 0;
      const proto = t.ok ? appProtocol(t.value.srcPort, t.value.dstPort, 'TCP') : 'TCP';
      return { src, dst, protocol: proto === 'HTTP' && payloadLen === 0 ? 'TCP' : proto };
    }
    if (ip.protocol === IPPROTO_UDP) {
      const u = parseUdp(ip.payload, IGNORE);
      return { src, dst, protocol: u.ok ? appProtocol(u.value.srcPort, u.value.dstPort, 'UDP') : 'UDP' };
    }
    if (ip.protocol === IPPROTO_ICMP) return { src, dst, protocol: 'ICMP' };
    return { src, dst, protocol: ipProtocolName(ip.protocol) };
  } catch {
    return { src: '', dst: '', protocol: 'malformed' };
  }
}

/** Addresses and ports of an IPv4 frame (capture checks' expect/distribution). */
export function endpointsDetail(frame: Uint8Array): { src: string; dst: string; srcPort?: number; dstPort?: number } {
  const e = parseEthernet(frame, IGNORE);
  if (!e.ok || e.value.etherType !== ETHERTYPE_IPV4) return { src: '', dst: '' };
  const i = parseIpv4(e.value.payload, IGNORE);
  if (!i.ok) return { src: '', dst: '' };
  const ip = i.value;
  const base = { src: ipv4ToString(ip.src), dst: ipv4ToString(ip.dst) };
  if (ip.protocol === IPPROTO_TCP) {
    const t = parseTcp(ip.payload, IGNORE);
    return t.ok ? { ...base, srcPort: t.value.srcPort, dstPort: t.value.dstPort } : base;
  }
  if (ip.protocol === IPPROTO_UDP) {
    const u = parseUdp(ip.payload, IGNORE);
    return u.ok ? { ...base, srcPort: u.value.srcPort, dstPort: u.value.dstPort } : base;
  }
  return base;
}

function off(frame: Uint8Array, sub: Uint8Array): number {
  return sub.byteOffset - frame.byteOffset;
}

const f = (label: string, start: number, len: number): DetailNode => ({ label, range: [start, start + len] });

export function detail(frame: Uint8Array): DetailNode[] {
  const out: DetailNode[] = [];
  try {
    out.push({ label: `Frame: ${frame.length} bytes on wire`, range: [0, frame.length] });
    const e = parseEthernet(frame, IGNORE);
    if (!e.ok) return [...out, { label: `Malformed Ethernet: ${e.error.message}` }];
    const eth = e.value;
    const ethEnd = off(frame, eth.payload);
    out.push({
      label: `Ethernet II, Src: ${macToString(eth.src)}, Dst: ${macToString(eth.dst)}`,
      range: [0, ethEnd],
      children: [f(`Destination: ${macToString(eth.dst)}`, 0, 6), f(`Source: ${macToString(eth.src)}`, 6, 6), f(`Type: ${etherTypeName(eth.etherType)} (0x${eth.etherType.toString(16).padStart(4, '0')})`, ethEnd - 2, 2)],
    });
    if (eth.etherType === ETHERTYPE_ARP) {
      const a = parseArp(eth.payload, IGNORE);
      if (!a.ok) return [...out, { label: `Malformed ARP: ${a.error.message}` }];
      const o = ethEnd;
      const arp = a.value;
      out.push({
        label: `Address Resolution Protocol (${arp.op === 1 ? 'request' : arp.op === 2 ? 'reply' : `op ${arp.op}`})`,
        range: [o, o + 28],
        children: [
          f(`Opcode: ${arp.op}`, o + 6, 2),
          f(`Sender MAC address: ${macToString(arp.sha)}`, o + 8, 6),
          f(`Sender IP address: ${ipv4ToString(arp.spa)}`, o + 14, 4),
          f(`Target MAC address: ${macToString(arp.tha)}`, o + 18, 6),
          f(`Target IP address: ${ipv4ToString(arp.tpa)}`, o + 24, 4),
        ],
      });
      return out;
    }
    if (eth.etherType !== ETHERTYPE_IPV4) return out;
    const i = parseIpv4(eth.payload, IGNORE);
    if (!i.ok) return [...out, { label: `Malformed IPv4: ${i.error.message}` }];
    const ip = i.value;
    const o = ethEnd;
    const ipEnd = off(frame, ip.payload);
    out.push({
      label: `Internet Protocol Version 4, Src: ${ipv4ToString(ip.src)}, Dst: ${ipv4ToString(ip.dst)}`,
      range: [o, ipEnd],
      children: [
        f(`Header length: ${ipEnd - o} bytes`, o, 1),
        f(`Identification: 0x${ip.id.toString(16).padStart(4, '0')} (${ip.id})`, o + 4, 2),
        f(`Flags: ${ip.df ? "Don't fragment" : 'none'}${ip.mf ? ', More fragments' : ''}, Fragment offset: ${ip.fragOffset}`, o + 6, 2),
        f(`Time to live: ${ip.ttl}`, o + 8, 1),
        f(`Protocol: ${ipProtocolName(ip.protocol)} (${ip.protocol})`, o + 9, 1),
        f(`Header checksum: 0x${ip.checksum.toString(16).padStart(4, '0')}`, o + 10, 2),
        f(`Source address: ${ipv4ToString(ip.src)}`, o + 12, 4),
        f(`Destination address: ${ipv4ToString(ip.dst)}`, o + 16, 4),
      ],
    });
    if (ip.protocol === IPPROTO_TCP) {
      const t = parseTcp(ip.payload, IGNORE);
      if (!t.ok) return [...out, { label: `Malformed TCP: ${t.error.message}` }];
      const tcp = t.value;
      const end = off(frame, tcp.payload);
      out.push({
        label: `Transmission Control Protocol, Src Port: ${tcp.srcPort}, Dst Port: ${tcp.dstPort}, Seq: ${tcp.seq >>> 0}, Len: ${tcp.payload.length}`,
        range: [ipEnd, end],
        children: [
          f(`Source port: ${tcp.srcPort}`, ipEnd, 2),
          f(`Destination port: ${tcp.dstPort}`, ipEnd + 2, 2),
          f(`Sequence number: ${tcp.seq >>> 0}`, ipEnd + 4, 4),
          f(`Acknowledgment number: ${tcp.ack >>> 0}`, ipEnd + 8, 4),
          f(`Flags: 0x${tcp.flags.toString(16).padStart(3, '0')}`, ipEnd + 12, 2),
          f(`Window: ${tcp.window}`, ipEnd + 14, 2),
          f(`Checksum: 0x${tcp.checksum.toString(16).padStart(4, '0')}`, ipEnd + 16, 2),
        ],
      });
      if (tcp.payload.length) out.push(payloadNode(frame, tcp.payload));
    } else if (ip.protocol === IPPROTO_UDP) {
      const u = parseUdp(ip.payload, IGNORE);
      if (!u.ok) return [...out, { label: `Malformed UDP: ${u.error.message}` }];
      const udp = u.value;
      out.push({
        label: `User Datagram Protocol, Src Port: ${udp.srcPort}, Dst Port: ${udp.dstPort}`,
        range: [ipEnd, ipEnd + 8],
        children: [f(`Source port: ${udp.srcPort}`, ipEnd, 2), f(`Destination port: ${udp.dstPort}`, ipEnd + 2, 2), f(`Length: ${8 + udp.payload.length}`, ipEnd + 4, 2), f(`Checksum: 0x${udp.checksum.toString(16).padStart(4, '0')}`, ipEnd + 6, 2)],
      });
      if (udp.payload.length) out.push(payloadNode(frame, udp.payload));
    } else if (ip.protocol === IPPROTO_ICMP) {
      const c = parseIcmp(ip.payload, IGNORE);
      if (!c.ok) return [...out, { label: `Malformed ICMP: ${c.error.message}` }];
      const icmp = c.value;
      out.push({
        label: `Internet Control Message Protocol, Type ${icmp.type}, Code ${icmp.code}`,
        range: [ipEnd, ipEnd + 8 + icmp.payload.length],
        children: [f(`Type: ${icmp.type}`, ipEnd, 1), f(`Code: ${icmp.code}`, ipEnd + 1, 1), f(`Checksum: 0x${icmp.checksum.toString(16).padStart(4, '0')}`, ipEnd + 2, 2)],
      });
    }
  } catch (err) {
    out.push({ label: `dissection stopped: ${(err as Error).message}` });
  }
  return out;
}

function payloadNode(frame: Uint8Array, payload: Uint8Array): DetailNode {
  const o = off(frame, payload);
  let text = '';
  for (let i = 0; i < Math.min(payload.length, 200); i++) {
    const c = payload[i]!;
    text += c >= 32 && c < 127 ? String.fromCharCode(c) : c === 10 ? '\\n' : c === 13 ? '\\r' : '.';
  }
  return { label: `Data (${payload.length} bytes): ${text}`, range: [o, o + payload.length] };
}
