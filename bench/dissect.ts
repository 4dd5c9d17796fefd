/**
 * Packet panes: 1,000,000 synthetic packets (TCP to two servers and DNS queries, 81 bytes on
 * average) appended to a PacketStore; display-filter time over all of them (the figure: under 1 s on
 * one core), full dissection per packet, a 50-row window, and the store's memory.
 */
import { PacketStore } from '../engine/capture/packet-store.ts';
import { dissect } from '../engine/capture/dissect.ts';
import { ipv4, mac } from '../engine/wire/addr.ts';
import { Dns, dnsQuestion } from '../engine/wire/dns.ts';
import { Ethernet } from '../engine/wire/ethernet.ts';
import { Ipv4, IPPROTO_TCP, IPPROTO_UDP } from '../engine/wire/ipv4.ts';
import { serialize } from '../engine/wire/layer.ts';
import { Tcp, TcpFlag } from '../engine/wire/tcp.ts';
import { Udp } from '../engine/wire/udp.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const N = 1_000_000;

function templates(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const eth = (): Ethernet => new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') });
  for (let k = 0; k < 8; k++) {
    const ip = new Ipv4({ src: ipv4(`10.0.0.${k + 1}`), dst: ipv4(k % 2 ? '10.0.1.11' : '10.0.1.12'), protocol: IPPROTO_TCP, id: k, df: true });
    out.push(serialize([eth(), ip, new Tcp({ srcPort: 40000 + k, dstPort: 80, seq: 1000, flags: k % 4 === 0 ? TcpFlag.SYN : TcpFlag.ACK | TcpFlag.PSH, window: 502 })], new Uint8Array(k % 4 === 0 ? 0 : 40).fill(0x61)));
  }
  for (let k = 0; k < 8; k++) {
    const ip = new Ipv4({ src: ipv4(`10.0.0.${k + 1}`), dst: ipv4('10.0.0.53'), protocol: IPPROTO_UDP, id: 100 + k });
    out.push(serialize([eth(), ip, new Udp({ srcPort: 50000 + k, dstPort: 53 })], new Dns({ id: k, rd: true, questions: [dnsQuestion(`host${k}.example.com`)] }).encode()));
  }
  return out;
}

/** Best of `reps` runs of fn, in ms. */
function bestMs(reps: number, fn: (rep: number) => void): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn(r);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export async function run(): Promise<Row[]> {
  const t = templates();
  const store = new PacketStore();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) store.append(t[i % t.length]!, { timeNs: BigInt(i) * 10_000n });
  const appendMs = performance.now() - t0;
  const rows: Row[] = [{ name: 'packet store: append 1M packets (copy + TCP stream pass)', value: appendMs, unit: 'ms' }];
  const filters = ['ip.addr == 10.0.1.11', 'tcp.port == 80 && tcp.flags.syn == 1', 'udp', 'ip.addr == 10.0.0.0/24 && !dns', 'dns.qry.name == "host3.example.com"'];
  for (const f of filters) {
    // Parentheses make each run a new filter text, so the incremental cache does not answer it.
    const ms = bestMs(3, (r) => {
      const res = store.filter(`${'('.repeat(r + 1)}${f}${')'.repeat(r + 1)}`);
      if (!res.ok) throw new Error(res.error.message);
    });
    rows.push({ name: `filter 1M packets: ${f}`, value: ms, unit: 'ms', aim: '< 1000' });
  }
  const D = 50_000;
  const dms = bestMs(3, () => {
    for (let i = 0; i < D; i++) store.detail(i);
  });
  rows.push({ name: 'dissect with detail tree, per packet', value: (dms * 1000) / D, unit: 'µs' });
  const frame = t[1]!;
  const cms = bestMs(3, () => {
    for (let i = 0; i < D; i++) dissect(frame, { number: i + 1 });
  });
  rows.push({ name: 'dissect (standalone, TCP 94 B), per packet', value: (cms * 1000) / D, unit: 'µs' });
  const wms = bestMs(3, (r) => {
    store.rows(200_000 + r * 1000, 50);
  });
  rows.push({ name: 'rows: 50-row window (uncached)', value: wms, unit: 'ms', aim: '< 16' });
  rows.push({ name: 'packet store memory, 1M packets of 81 B', value: store.memoryBytes() / 2 ** 20, unit: 'MiB' });
  return rows;
}
