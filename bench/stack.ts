/**
 * Benchmarks for engine/stack over the real network core (two engine/net hosts on one segment, real
 * Ethernet/ARP/IPv4 underneath), in wall-clock time on one core:
 *
 * (a) TCP connections per second: handshake, a small request, a small response, FIN both ways.
 * (b) Bulk transfer: simulated payload bytes per wall second, MTU 1500 (and MTU 9000 for reference).
 * (c) Memory per established idle connection: N connections opened and left idle, heap and
 *     array-buffer memory measured after a full GC before and after, divided by the 2N endpoints (each
 *     endpoint = socket + TCB + table entry + the app's listeners). GC comes from `global.gc` when
 *     node runs with --expose-gc (`node --expose-gc --import tsx bench/stack.ts`), else from
 *     v8.setFlagsFromString('--expose-gc') and a fresh context; without either the row is skipped.
 *
 * Each part is bounded to about a second of wall time. Run: `npx tsx bench/stack.ts`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Network } from '../engine/net/network.ts';
import { Stack } from '../engine/stack/index.ts';
import type { TcpSocket } from '../engine/stack/tcp-socket.ts';
import type { TcpOptions } from '../engine/stack/tcp.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const MS = 1_000_000;

function lan(mtu = 1500, tcp: TcpOptions = {}) {
  const net = new Network({ seed: 1 });
  const seg = net.addSegment('lan');
  const h1 = net.addNode('h1');
  const h2 = net.addNode('h2');
  seg.attach(h1.addInterface('eth0', { addresses: ['10.0.0.1/24'], mtu }));
  seg.attach(h2.addInterface('eth0', { addresses: ['10.0.0.2/24'], mtu }));
  return { net, c: new Stack(h1, { tcp }), s: new Stack(h2, { tcp }) };
}

/** (a) Short connections, `parallel` at a time, until `budgetMs` of wall time has passed. */
export function connectionsPerSecond(budgetMs: number): number {
  const t = lan();
  const request = Buffer.from('GET / HTTP/1.0\r\nHost: b\r\n\r\n');
  const response = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  t.s.tcp.createServer((sock) => sock.on('data', () => sock.end(response))).listen(80);
  let done = 0;
  let started = 0;
  let stop = false;
  const one = (): void => {
    started++;
    const c = t.c.tcp.connect({ port: 80, host: '10.0.0.2' }, () => c.write(request));
    c.on('data', () => {});
    c.on('close', () => {
      done++;
      if (!stop) one();
    });
  };
  for (let i = 0; i < 64; i++) one();
  // Warm up, then measure, both bounded by wall time: at 2 µs per hop, one simulated millisecond
  // holds thousands of connections, so a fixed simulated span would not bound the run.
  const warm = performance.now();
  while (performance.now() - warm < budgetMs / 5) t.net.sched.runUntil(t.net.sched.now + MS / 10);
  const d0 = done;
  const w0 = performance.now();
  let w = 0;
  while ((w = performance.now() - w0) < budgetMs) t.net.sched.runUntil(t.net.sched.now + MS / 10);
  const n = done - d0;
  stop = true;
  void started;
  return n / (w / 1000);
}

/** (b) One connection pushing `bytes`; returns Gbit/s of payload per wall second. */
export function bulk(bytes: number, mtu: number): number {
  const t = lan(mtu, { recvBuffer: 4 << 20 });
  let got = 0;
  t.s.tcp.createServer((sock) => sock.on('data', (d) => (got += d.length))).listen(80);
  const chunk = new Uint8Array(256 * 1024);
  const c = t.c.tcp.connect({ port: 80, host: '10.0.0.2' }, () => {
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!c.write(chunk)) return;
      }
      c.end();
    };
    c.on('drain', pump);
    pump();
  });
  const w0 = performance.now();
  t.net.sched.runUntil(t.net.sched.now + 600_000 * MS, 50_000_000);
  const w = performance.now() - w0;
  if (got < bytes) throw new Error(`bulk: ${got} of ${bytes} bytes arrived`);
  return (got * 8) / (w / 1000) / 1e9;
}

function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('gc') as unknown;
    return typeof f === 'function' ? (f as () => void) : null;
  } catch {
    return null;
  }
}

/** (c) Heap bytes per established idle endpoint. */
function heapPerConnection(n: number): number | null {
  const gc = getGc();
  if (gc === null) return null;
  const t = lan();
  const keep: TcpSocket[] = [];
  t.s.tcp.createServer((sock) => {
    sock.on('data', () => {});
    keep.push(sock);
  }).listen(80);
  t.net.sched.runUntil(10 * MS);
  gc();
  gc();
  const before = usedMemory();
  for (let i = 0; i < n; i++) {
    const c = t.c.tcp.connect({ port: 80, host: '10.0.0.2' });
    c.on('data', () => {});
    keep.push(c);
    // In batches below the listen backlog, so no SYN is dropped.
    if (i % 250 === 249) t.net.sched.runUntil(t.net.sched.now + 10 * MS);
  }
  // Establish, then let every timer (delayed ACKs, lazily cancelled RTO timers) run out.
  t.net.sched.runUntil(t.net.sched.now + 5000 * MS);
  gc();
  gc();
  const after = usedMemory();
  if (t.c.tcp.countByState().ESTABLISHED !== n) throw new Error('heap: not all connections established');
  return (after - before) / (2 * n);
}

export async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  rows.push({ name: 'tcp connections/s (req+resp, FIN both ways)', value: Math.round(connectionsPerSecond(1000)), unit: 'conn/s', aim: '>= 50000' });
  rows.push({ name: 'tcp bulk payload, MTU 1500', value: Number(bulk(64 << 20, 1500).toFixed(2)), unit: 'Gbit/s', aim: '>= 2' });
  rows.push({ name: 'tcp bulk payload, MTU 9000', value: Number(bulk(128 << 20, 9000).toFixed(2)), unit: 'Gbit/s' });
  const heap = heapPerConnection(5000);
  if (heap !== null) rows.push({ name: 'memory per established idle endpoint (heap + array buffers)', value: Math.round(heap), unit: 'bytes', aim: '<= 2048' });
  return rows;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'));
if (isMain) {
  const rows = await run();
  for (const r of rows) console.log(`${r.name.padEnd(48)} ${String(r.value).padStart(12)} ${r.unit.padEnd(8)} ${r.aim ?? ''}`);
}

/**
 * Heap in use plus ArrayBuffer memory: tables kept in typed arrays live outside the JS heap, and a
 * figure per connection must count them too.
 */
function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
