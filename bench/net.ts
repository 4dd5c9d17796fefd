/**
 * Benchmarks for engine/net: packets per second through one router node on established flows, with
 * prebuilt frames and capture off. Each frame is copied into the receive buffer first (as a NIC's DMA
 * would), then goes the whole node path: Ethernet/IPv4 checks, PREROUTING (conntrack, NAT), route,
 * FORWARD (a filter hook), TTL, POSTROUTING, neighbour lookup and transmit on an interface. The
 * transmit side is left unplugged so the medium and the scheduler are not measured here.
 */
import { ipv4, mac } from '../engine/wire/addr.ts';
import { Ethernet, ETHERTYPE_IPV4 } from '../engine/wire/ethernet.ts';
import { IPPROTO_TCP, Ipv4 } from '../engine/wire/ipv4.ts';
import { serialize } from '../engine/wire/layer.ts';
import { Tcp, TcpFlag } from '../engine/wire/tcp.ts';
import { Network } from '../engine/net/network.ts';
import type { Interface } from '../engine/net/interface.ts';
import type { Node } from '../engine/net/node.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const CLIENT_MAC = mac('02:00:00:00:00:01');
const FLOWS = 1000;
const VIP = ipv4('198.51.100.7');

interface Setup {
  router: Node;
  rx: Interface;
  frames: Uint8Array[];
}

function frameFor(router: Node, i: number, flags: number, dst: number): Uint8Array {
  const ip = new Ipv4({ src: ipv4('10.1.0.0') + 10 + (i % 200), dst, protocol: IPPROTO_TCP, ttl: 64, df: true, id: i & 0xffff });
  const tcp = new Tcp({ srcPort: 10000 + i, dstPort: 80, flags, seq: 1000, ack: 2000, window: 65535 });
  return serialize([new Ethernet({ dst: router.iface('eth0').mac, src: CLIENT_MAC, etherType: ETHERTYPE_IPV4 }), ip, tcp], new Uint8Array(64));
}

function setup(mode: 'plain' | 'conntrack' | 'dnat'): Setup {
  const net = new Network({ seed: 1 });
  const router = net.addNode('r1', { ipForwarding: true });
  const rx = router.addInterface('eth0', { addresses: ['10.1.0.1/16'] });
  const tx = router.addInterface('eth1', { addresses: ['10.3.0.1/24'] });
  tx.arp!.addPermanent(ipv4('10.3.0.10'), mac('02:00:00:00:00:03'));
  router.addRoute({ dst: '198.51.100.0/24', via: '10.3.0.10' });
  const dst = mode === 'dnat' ? VIP : ipv4('10.3.0.10');
  if (mode !== 'plain') {
    router.enableConntrack();
    router.hooks.add('forward', 0, (ctx) => (ctx.ct === null && ctx.protocol === IPPROTO_TCP ? ctx.drop('untracked') : 'accept'), 'filter');
  }
  if (mode === 'dnat') {
    router.hooks.add('prerouting', -150, (ctx) => {
      if (ctx.ctNew && ctx.ip.dst === VIP) ctx.ct!.setDnat(ipv4('10.3.0.10'), 8080);
      return 'accept';
    });
  }
  // Open every flow (the SYN creates the entry; an ACK from the client side establishes loosely).
  for (let i = 0; i < FLOWS; i++) {
    rx.receive(frameFor(router, i, TcpFlag.SYN, dst));
  }
  const frames: Uint8Array[] = [];
  for (let i = 0; i < FLOWS; i++) frames.push(frameFor(router, i, TcpFlag.ACK | TcpFlag.PSH, dst));
  return { router, rx, frames };
}

function pps(s: Setup, packets: number): number {
  const { rx, frames } = s;
  const buf = new Uint8Array(frames[0]!.length);
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < packets; i++) {
      const f = frames[i % FLOWS]!;
      buf.set(f);
      rx.receive(buf);
    }
    const dt = (performance.now() - t0) / 1000;
    best = Math.max(best, packets / dt);
  }
  return best;
}

export async function run(): Promise<Row[]> {
  const n = 1_000_000;
  const plain = setup('plain');
  const ct = setup('conntrack');
  const dnat = setup('dnat');
  const rows: Row[] = [
    { name: 'net: router forward, no hooks', value: Math.round(pps(plain, n)), unit: 'packets/s' },
    { name: 'net: router forward, conntrack + filter hook, 1000 established flows', value: Math.round(pps(ct, n)), unit: 'packets/s', aim: '>= 1,000,000' },
    { name: 'net: router forward, conntrack + DNAT + filter, 1000 flows', value: Math.round(pps(dnat, n)), unit: 'packets/s', aim: '>= 1,000,000' },
  ];
  // Sanity: everything was forwarded (transmit counted), nothing dropped by the path.
  for (const [s, name] of [[plain, 'plain'], [ct, 'conntrack'], [dnat, 'dnat']] as const) {
    const drops = [...s.router.counters.drops].filter(([k]) => k !== 'no-carrier');
    if (drops.length > 0) throw new Error(`bench ${name}: unexpected drops ${JSON.stringify(drops)}`);
    if (s.router.conntrack && s.router.conntrack.size !== FLOWS) throw new Error(`bench ${name}: ${s.router.conntrack.size} flows`);
  }
  return rows;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  for (const r of await run()) console.log(`${r.name.padEnd(72)} ${String(r.value).padStart(12)} ${r.unit}${r.aim ? `  (aim ${r.aim})` : ''}`);
}
