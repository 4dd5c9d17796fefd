/** Topology helpers for the engine/net tests. */
import { ipv4, type Ipv4Addr } from '../../../engine/wire/addr.ts';
import { Icmp } from '../../../engine/wire/icmp.ts';
import { IPPROTO_ICMP } from '../../../engine/wire/ipv4.ts';
import { Network } from '../../../engine/net/network.ts';
import type { Node } from '../../../engine/net/node.ts';
import type { IcmpMessage, IpSendResult } from '../../../engine/net/ip-host.ts';
import type { TraceEvent } from '../../../engine/net/trace.ts';
import { toHex } from '../../../engine/wire/bytes.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { DEFAULT_EPOCH_NS } from '../../../engine/sim/time.ts';

export function echo(from: Node, dst: string | Ipv4Addr, seq: number, opts: { id?: number; ttl?: number; size?: number; df?: boolean } = {}): IpSendResult {
  const data = new Uint8Array(opts.size ?? 56);
  for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
  const icmp = Icmp.echoRequest(opts.id ?? 0x1234, seq, data);
  return from.sendIp({ dst: typeof dst === 'string' ? ipv4(dst) : dst, protocol: IPPROTO_ICMP, upper: [icmp], payload: data, ttl: opts.ttl, df: opts.df });
}

/** Collects every ICMP message delivered to `node`. */
export function icmpLog(node: Node): IcmpMessage[] {
  const log: IcmpMessage[] = [];
  node.onIcmp((m) => log.push({ ...m, datagram: m.datagram.slice(), payload: m.payload.slice() }));
  return log;
}

/** Two hosts on one segment: h1 10.0.0.1/24, h2 10.0.0.2/24. */
export function twoHosts(seed = 1): { net: Network; h1: Node; h2: Node } {
  const net = new Network({ seed });
  const lan = net.addSegment('lan');
  const h1 = net.addNode('h1');
  const h2 = net.addNode('h2');
  lan.attach(h1.addInterface('eth0', { addresses: ['10.0.0.1/24'] }));
  lan.attach(h2.addInterface('eth0', { addresses: ['10.0.0.2/24'] }));
  return { net, h1, h2 };
}

/**
 * h1 (10.1.0.10) — r1 — (10.12.0.0/30) — r2 — h3 (10.3.0.10), on links with 1 ms delay.
 * r1: eth0 10.1.0.1/24, eth1 10.12.0.1/30; r2: eth0 10.12.0.2/30, eth1 10.3.0.1/24.
 */
export function threeHopChain(
  seed = 1,
  opts: { r2r2Mtu?: number; middleDelay?: number; loss?: number } = {},
): { net: Network; h1: Node; r1: Node; r2: Node; h3: Node } {
  const net = new Network({ seed });
  const h1 = net.addNode('h1');
  const r1 = net.addNode('r1', { ipForwarding: true });
  const r2 = net.addNode('r2', { ipForwarding: true });
  const h3 = net.addNode('h3');
  const h1e = h1.addInterface('eth0', { addresses: ['10.1.0.10/24'] });
  const r1a = r1.addInterface('eth0', { addresses: ['10.1.0.1/24'] });
  const r1b = r1.addInterface('eth1', { addresses: ['10.12.0.1/30'], mtu: opts.r2r2Mtu });
  const r2a = r2.addInterface('eth0', { addresses: ['10.12.0.2/30'], mtu: opts.r2r2Mtu });
  const r2b = r2.addInterface('eth1', { addresses: ['10.3.0.1/24'] });
  const h3e = h3.addInterface('eth0', { addresses: ['10.3.0.10/24'] });
  net.addLink(h1e, r1a, { delay: 1_000_000 });
  net.addLink(r1b, r2a, { delay: opts.middleDelay ?? 1_000_000, ...(opts.loss ? { loss: opts.loss } : {}) });
  net.addLink(r2b, h3e, { delay: 1_000_000 });
  h1.addRoute({ dst: 'default', via: '10.1.0.1' });
  h3.addRoute({ dst: 'default', via: '10.3.0.1' });
  r1.addRoute({ dst: '10.3.0.0/24', via: '10.12.0.2' });
  r2.addRoute({ dst: '10.1.0.0/24', via: '10.12.0.1' });
  return { net, h1, r1, r2, h3 };
}

/** Records every trace event as text (frames copied as hex). */
export function recordTrace(net: Network): string[] {
  const out: string[] = [];
  net.trace.subscribe((e: TraceEvent) => out.push(`${e.time} ${e.node}:${e.ifname} ${e.direction} ${toHex(e.frame)}${e.note ? ` # ${e.note}` : ''}`));
  return out;
}

/** A pcapng writer fed by the trace bus: one interface per node:if that sends or receives, notes as comments. */
export function capture(net: Network): PcapngWriter {
  const w = new PcapngWriter({ epochNs: DEFAULT_EPOCH_NS });
  const ids = new Map<string, number>();
  net.trace.subscribe((e) => {
    const name = `${e.node}:${e.ifname}`;
    let id = ids.get(name);
    if (id === undefined) {
      id = w.addInterface({ name });
      ids.set(name, id);
    }
    w.writePacket(id, e.time, e.frame, { direction: e.direction === 'in' ? 'inbound' : 'outbound', ...(e.note !== undefined ? { comment: e.note } : {}) });
  });
  return w;
}
