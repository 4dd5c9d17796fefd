/**
 * Benchmarks for the emulated Alteon (engine/devices/l4switch), wall clock on one core:
 * - packets/s forwarded through the switch on established SLB sessions (frames fed to the outside
 *   interface as a NIC would, the whole node path: conntrack, SLB hook, DNAT, route, boundary hook,
 *   neighbour output), capture off and with a pcapng writer on the trace bus;
 * - new TCP connections/s end to end: a client's TCP stack connects to the VIP, the switch picks a
 *   real by round robin and DNATs, the real's stack accepts, the client closes;
 * - memory (heap and array buffers) for 100,000 concurrent sessions.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PcapngWriter } from '../engine/capture/pcapng-writer.ts';
import { ipv4, mac } from '../engine/wire/addr.ts';
import { Ethernet, ETHERTYPE_IPV4 } from '../engine/wire/ethernet.ts';
import { IPPROTO_TCP, Ipv4 } from '../engine/wire/ipv4.ts';
import { serialize } from '../engine/wire/layer.ts';
import { Tcp, TcpFlag } from '../engine/wire/tcp.ts';
import { Network } from '../engine/net/network.ts';
import { Node } from '../engine/net/node.ts';
import { Stack } from '../engine/stack/index.ts';
import { ms } from '../engine/sim/time.ts';
import { L4Switch } from '../engine/devices/l4switch/index.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const VIP = '13.246.100.25';
const CONFIG = `/c/slb on
/c/slb/real 1/rip 92.75.100.82/ena
/c/slb/real 2/rip 92.75.100.41/ena
/c/slb/group 1/metric roundrobin/add 1/add 2
/c/slb/virt 1/vip ${VIP}/ena/service http/group 1/rport 30080
apply`;

function frame(sw: L4Switch, i: number, flags: number): Uint8Array {
  const ip = new Ipv4({ src: ipv4('10.1.0.0') + (i >>> 8), dst: ipv4(VIP), protocol: IPPROTO_TCP, ttl: 64, df: true, id: i & 0xffff });
  const tcp = new Tcp({ srcPort: 1024 + (i & 0xff) * 200 + (i % 200), dstPort: 80, flags, seq: 1000, ack: flags & TcpFlag.ACK ? 2000 : 0, window: 65535 });
  return serialize([new Ethernet({ dst: sw.outside.mac, src: mac('02:00:00:00:00:01'), etherType: ETHERTYPE_IPV4 }), ip, tcp], new Uint8Array(flags & TcpFlag.SYN ? 0 : 64));
}

/** A switch whose inside leads nowhere (ARP entries permanent, interface unplugged). */
export function switchOnly(flows: number, capture: boolean): { sw: L4Switch; frames: Uint8Array[]; net: Network; written: () => number } {
  const net = new Network({ seed: 1 });
  const sw = new L4Switch(net, 'alteon', { outside: ['13.246.100.1/24'], inside: ['92.75.100.1/24'], maxSessions: Math.max(262_144, flows * 2) });
  sw.outside.addAddress('10.1.0.1/16');
  sw.inside.arp!.addPermanent(ipv4('92.75.100.82'), mac('02:00:00:00:00:82'));
  sw.inside.arp!.addPermanent(ipv4('92.75.100.41'), mac('02:00:00:00:00:41'));
  sw.outside.arp!.addPermanent(ipv4('10.1.0.0'), mac('02:00:00:00:00:01'));
  sw.configure(CONFIG);
  let bytes = 0;
  if (capture) {
    const w = new PcapngWriter({ sink: (c) => void (bytes += c.length) });
    const ids = new Map<string, number>();
    net.trace.subscribe((e) => {
      const name = `${e.node}:${e.ifname}`;
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = w.addInterface({ name })));
      w.writePacket(id, e.time, e.frame, { direction: e.direction === 'in' ? 'inbound' : 'outbound', comment: e.note });
    });
  }
  for (let i = 0; i < flows; i++) sw.outside.receive(frame(sw, i, TcpFlag.SYN));
  const frames: Uint8Array[] = [];
  for (let i = 0; i < Math.min(flows, 1000); i++) frames.push(frame(sw, i, TcpFlag.ACK | TcpFlag.PSH));
  return { sw, frames, net, written: () => bytes };
}

export function pps(frames: Uint8Array[], rx: L4Switch['outside'], packets: number): number {
  const buf = new Uint8Array(frames[0]!.length);
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < packets; i++) {
      buf.set(frames[i % frames.length]!);
      rx.receive(buf);
    }
    best = Math.max(best, packets / ((performance.now() - t0) / 1000));
  }
  return best;
}

/**
 * `n` new connections, 64 in flight, per wall second. Both ends close at once, so both keep the
 * connection in TIME-WAIT and one client has at most 28,232 ephemeral ports (32768–60999) to use:
 * `n` stays below that.
 */
export function connectionsPerSecond(n: number): number {
  const net = new Network({ seed: 2 });
  const out = net.addSegment('outside');
  const inn = net.addSegment('inside');
  const sw = new L4Switch(net, 'alteon', { outside: ['13.246.100.1/24'], inside: ['92.75.100.1/24'] });
  out.attach(sw.outside);
  inn.attach(sw.inside);
  const client = new Node(net, 'client1');
  out.attach(client.addInterface('eth0', { addresses: ['13.246.100.11/24'] }));
  const cs = new Stack(client);
  for (const [name, addr] of [['real1', '92.75.100.82'], ['real2', '92.75.100.41']] as const) {
    const r = new Node(net, name);
    inn.attach(r.addInterface('eth0', { addresses: [`${addr}/24`] }));
    r.addRoute({ dst: 'default', via: '92.75.100.1' });
    const st = new Stack(r);
    st.tcp.createServer((s) => s.end()).listen(30080);
  }
  sw.configure(CONFIG);
  net.runFor(ms(10));
  let done = 0;
  let started = 0;
  let failed = 0;
  const open = (): void => {
    started++;
    const s = cs.tcp.connect({ host: VIP, port: 80 });
    s.on('error', () => void failed++);
    s.on('close', () => {
      done++;
      if (started < n && failed === 0) open();
    });
    s.on('connect', () => s.end());
  };
  const t0 = performance.now();
  for (let i = 0; i < 64; i++) open();
  // In slices of 10 µs simulated: thousands of connections each, so the loop costs nothing measurable.
  while (done < started && failed === 0) net.sched.runUntil(net.sched.now + ms(0.01));
  const dt = (performance.now() - t0) / 1000;
  if (failed > 0) throw new Error(`bench: ${failed} connections failed`);
  if (done !== n) throw new Error(`bench: only ${done} of ${n} connections completed`);
  if (sw.realStats(1).total + sw.realStats(2).total !== n) throw new Error('bench: the switch did not balance every connection');
  return n / dt;
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function heapFor(sessions: number): number {
  gc();
  const before = usedMemory();
  const s = switchOnly(sessions, false);
  gc();
  const after = usedMemory();
  if (s.sw.sessions().length !== sessions) throw new Error(`bench: ${s.sw.sessions().length} sessions, wanted ${sessions}`);
  return (after - before) / (1024 * 1024);
}

export async function run(): Promise<Row[]> {
  const n = 1_000_000;
  const plain = switchOnly(1000, false);
  const established = pps(plain.frames, plain.sw.outside, n);
  const drops = [...plain.sw.counters.drops].filter(([k]) => k !== 'no-carrier');
  if (drops.length > 0) throw new Error(`bench: unexpected drops ${JSON.stringify(drops)}`);
  if (plain.sw.sessions().length !== 1000) throw new Error(`bench: ${plain.sw.sessions().length} sessions`);
  // One run to warm the code up (JIT), then the best of three, as the packet rates take the best of five.
  connectionsPerSecond(20_000);
  let conns = 0;
  for (let i = 0; i < 3; i++) conns = Math.max(conns, connectionsPerSecond(20_000));
  const cap = switchOnly(1000, true);
  const captured = pps(cap.frames, cap.sw.outside, n / 2);
  if (cap.written() === 0) throw new Error('bench: the capture wrote nothing');
  return [
    { name: 'l4switch: packets/s on 1000 established SLB sessions, capture off', value: Math.round(established), unit: 'packets/s', aim: '>= 1,000,000' },
    { name: 'l4switch: new TCP connections/s end to end client → VIP → real', value: Math.round(conns), unit: 'connections/s', aim: '>= 50,000' },
    { name: 'l4switch: packets/s on established sessions, pcapng capture on', value: Math.round(captured), unit: 'packets/s', aim: '>= 400,000' },
    { name: 'l4switch: memory for 100,000 concurrent sessions (heap + array buffers)', value: Math.round(heapFor(100_000) * 10) / 10, unit: 'MB', aim: '<= 100' },
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  for (const r of await run()) console.log(`${r.name.padEnd(72)} ${String(r.value).padStart(12)} ${r.unit}${r.aim ? `  (aim ${r.aim})` : ''}`);
}

/**
 * Heap in use plus ArrayBuffer memory: tables kept in typed arrays live outside the JS heap, and a
 * figure per connection must count them too.
 */
function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
