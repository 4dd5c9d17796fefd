/**
 * Benchmarks for engine/wire and engine/capture: Ethernet/IPv4/TCP decodes (checksum verification
 * off and on), Ethernet+IPv4+TCP encodes with checksums, and pcapng write throughput. Each figure is
 * the best of a few short timed runs, so the whole set takes a few seconds.
 */
import { ipv4, mac } from '../engine/wire/addr.ts';
import { Ethernet, parseEthernet } from '../engine/wire/ethernet.ts';
import { Ipv4, IPPROTO_TCP, parseIpv4 } from '../engine/wire/ipv4.ts';
import { serialize } from '../engine/wire/layer.ts';
import { parseTcp, Tcp, TcpFlag } from '../engine/wire/tcp.ts';
import { PcapngWriter } from '../engine/capture/pcapng-writer.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

/** Best of `reps` timed runs of `fn`, which returns how many units it processed. Returns units/s. */
function perSec(reps: number, fn: () => number): number {
  let best = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const n = fn();
    const dt = (performance.now() - t0) / 1000;
    best = Math.max(best, n / dt);
  }
  return best;
}

const SRC = ipv4('10.0.0.1');
const DST = ipv4('13.246.100.25');

function layers(payloadLen: number): { eth: Ethernet; ip: Ipv4; tcp: Tcp; data: Uint8Array } {
  return {
    eth: new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') }),
    ip: new Ipv4({ src: SRC, dst: DST, protocol: IPPROTO_TCP, id: 1, df: true }),
    tcp: new Tcp({ srcPort: 49152, dstPort: 80, seq: 1000, ack: 2000, flags: TcpFlag.ACK | TcpFlag.PSH, window: 502 }),
    data: new Uint8Array(payloadLen).fill(0x61),
  };
}

/** A typical mix, alternating: a 1514-byte data segment and a 66-byte segment. */
function frames(): Uint8Array[] {
  const big = layers(1460);
  const ack = layers(12);
  return [serialize([big.eth, big.ip, big.tcp], big.data), serialize([ack.eth, ack.ip, ack.tcp], ack.data)];
}

let sink = 0;

function decodes(all: readonly Uint8Array[], n: number, verify: boolean): number {
  const policy = verify ? 'verify' : 'ignore';
  for (let i = 0; i < n; i++) {
    const f = all[i & 1]!;
    const e = parseEthernet(f);
    if (!e.ok) throw new Error('bench frame does not decode (ethernet)');
    const ip = parseIpv4(e.value.payload, { checksum: policy });
    if (!ip.ok) throw new Error('bench frame does not decode (ipv4)');
    const t = parseTcp(ip.value.payload, verify ? { checksum: 'verify', pseudo: { src: ip.value.src, dst: ip.value.dst } } : { checksum: 'ignore' });
    if (!t.ok) throw new Error('bench frame does not decode (tcp)');
    sink += t.value.srcPort;
  }
  return n;
}

function encodes(n: number): number {
  const { eth, ip, tcp, data } = layers(64);
  for (let i = 0; i < n; i++) {
    tcp.seq = i;
    sink += serialize([eth, ip, tcp], data).length;
  }
  return n;
}

/** MB (10^6 bytes) of packet data written per second, streaming through a discarding sink. */
function pcapngWrite(all: readonly Uint8Array[], packets: number): number {
  let out = 0;
  const w = new PcapngWriter({ epochNs: 1_700_000_000_000_000_000n, sink: (c) => void (out += c.length) });
  const a = w.addInterface({ name: 'alteon:outside' });
  const b = w.addInterface({ name: 'alteon:inside' });
  let bytes = 0;
  for (let i = 0; i < packets; i++) {
    const f = all[i & 1]!;
    w.writePacket(i & 2 ? a : b, i * 1000, f, (i & 15) === 0 ? { comment: 'alteon: vip1 → real2 (roundrobin)', direction: 'inbound' } : undefined);
    bytes += f.length;
  }
  w.flush();
  sink += out;
  return bytes / 1e6;
}

export async function run(): Promise<Row[]> {
  const all = frames();
  const decodeOff = perSec(3, () => decodes(all, 500_000, false));
  const decodeOn = perSec(3, () => decodes(all, 200_000, true));
  const enc = perSec(3, () => encodes(200_000));
  const write = perSec(3, () => pcapngWrite(all, 100_000));
  if (sink === 0.5) console.log(sink); // keep the results observable
  return [
    { name: 'eth+ipv4+tcp decode, checksums ignored', value: Math.round(decodeOff), unit: 'frames/s', aim: '>= 5,000,000' },
    { name: 'eth+ipv4+tcp decode, checksums verified', value: Math.round(decodeOn), unit: 'frames/s' },
    { name: 'eth+ipv4+tcp encode with checksums', value: Math.round(enc), unit: 'frames/s', aim: '>= 2,000,000' },
    { name: 'pcapng write (1514 B + 66 B frames)', value: Math.round(write), unit: 'MB/s', aim: '>= 500' },
  ];
}
