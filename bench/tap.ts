/**
 * Real traffic through the engine over TAP, against the kernel doing the same job (wall clock):
 *
 * - pktlab: `wrk` in client1's namespace (lab 08-01, client1 made real) → TAP → emulated segment →
 *   emulated Alteon (VIP 13.246.100.25, round robin, DNAT) → emulated reals' HTTP servers.
 * - HAProxy: `wrk` in a namespace → veth → HAProxy (roundrobin, own namespace) → veth → two nginx,
 *   each in its namespace.
 * - nginx: `wrk` → veth → one nginx.
 *
 * Each: `wrk -t1 -c20 -d5s --latency` after a 1 s warm-up; requests/s and p99 latency, then our ratio
 * to each reference. Every namespace is a `pktlab-` one created here; veth pairs are created inside
 * namespaces (never in the root namespace). Skipped with a printed reason without root or the tools
 * (Debian: wrk, nginx, haproxy).
 *
 * PKTLAB_BENCH_PROFILE=1 also samples this process's CPU during the pktlab run and prints self time
 * by engine area to stderr.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { ms } from '../engine/sim/time.ts';
import { Netns, removeStaleOnce, makeReal, type RealNode } from '../engine/tap/index.ts';
import { buildLab, CHAPTER_CONFIG } from '../test/engine/devices/l4switch/fixture.ts';
import { startNginx, type Nginx } from '../test/engine/tap/nginx.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const DURATION_S = 5;
const CONNECTIONS = 20;
const VIP = '13.246.100.25';

export interface WrkResult {
  rps: number;
  p99Ms: number;
  p50Ms: number;
  requests: number;
  errors: number;
}

/** '1.23ms' | '850.00us' | '1.02s' | '2.00m' → ms. */
function durMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (m === null) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/** Reads `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? NaN);
  const p99Ms = durMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p50Ms = durMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const requests = Number(/^\s+(\d+) requests in /m.exec(out)?.[1] ?? NaN);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock) errors += Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]);
  errors += Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99Ms, p50Ms, requests, errors };
}

async function wrk(ns: { exec: Netns['exec'] }, url: string, seconds = DURATION_S): Promise<WrkResult> {
  const r = await ns.exec('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '--timeout', '2s', url], { timeoutMs: (seconds + 15) * 1000 });
  const res = parseWrk(r.stdout);
  if (r.code !== 0 || !Number.isFinite(res.rps)) throw new Error(`wrk ${url} failed (${r.code ?? r.signal}): ${r.stdout}${r.stderr}`);
  return res;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function skipReason(): string | null {
  if (process.platform !== 'linux') return `TAP needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (namespaces and TAP devices)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  const missing = ['ip', 'wrk', 'nginx', 'haproxy', 'ss'].filter((c) => !have(c));
  if (missing.length > 0) return `missing ${missing.join(', ')} (apt-get install -y wrk nginx haproxy iproute2)`;
  return null;
}

// --- CPU profile by engine area --------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

const AREAS: [RegExp, string][] = [
  [/engine\/tap\//, 'engine/tap (TAP I/O, link)'],
  [/engine\/sim\/pacer/, 'engine/sim/pacer'],
  [/engine\/sim\//, 'engine/sim (scheduler)'],
  [/engine\/devices\/l4switch\//, 'engine/devices/l4switch'],
  [/engine\/stack\/apps\//, 'engine/stack/apps (HttpServer)'],
  [/engine\/stack\//, 'engine/stack (TCP)'],
  [/engine\/net\/conntrack/, 'engine/net/conntrack'],
  [/engine\/net\//, 'engine/net (node, interface, segment)'],
  [/engine\/wire\//, 'engine/wire (codecs, checksums)'],
  [/engine\/capture\//, 'engine/capture'],
  [/koffi/, 'koffi (read/write syscalls)'],
];

function summarise(profile: { nodes: ProfileNode[]; samples?: number[] }): string {
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const url = n.callFrame.url;
    const name = n.callFrame.functionName;
    // koffi's poll callback: its self time is the native read()/write() on the TAP, i.e. the kernel's
    // work for the real host (its TCP/IP runs inside those syscalls).
    const area = AREAS.find(([re]) => re.test(url))?.[1] ?? (name === 'PollHandle' ? 'TAP read/write syscalls (native, under koffi poll)' : name === '(idle)' ? '(idle)' : name === '(garbage collector)' ? '(GC)' : url === '' ? `(native: ${name || 'program'})` : 'other JS');
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const fn = `${name || '(anonymous)'} ${url.replace(/^.*\/engine\//, 'engine/')}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
  }
  const pct = (h: number): string => `${((100 * h) / total).toFixed(1).padStart(5)}%`;
  const areas = [...byArea].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${pct(v)}  ${k}`);
  const fns = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `  ${pct(v)}  ${k}`);
  return `bench tap: CPU self time of the pktlab process during wrk, by area\n${areas.join('\n')}\ntop functions\n${fns.join('\n')}`;
}

// --- the runs --------------------------------------------------------------------------------------

async function pktlabRun(): Promise<{ res: WrkResult; cpuPct: number }> {
  const lab = buildLab();
  lab.alteon.configure(`${CHAPTER_CONFIG}\napply`);
  lab.net.runFor(ms(100));
  let client: RealNode | null = null;
  let session: Session | null = null;
  try {
    client = await makeReal(lab.net, lab.clients[0]!, { lab: 'bench0801' });
    const url = `http://${VIP}/`;
    await wrk(client.host, url, 1);
    const profiling = process.env.PKTLAB_BENCH_PROFILE === '1';
    if (profiling) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await wrk(client.host, url);
    const cpu = process.cpuUsage(cpu0);
    const cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
    if (session !== null) {
      const { profile } = await session.post('Profiler.stop');
      console.error(summarise(profile as unknown as { nodes: ProfileNode[] }));
    }
    return { res, cpuPct };
  } finally {
    session?.disconnect();
    await client?.dispose();
    lab.net.dispose();
  }
}

interface RefRig {
  wrk: Netns;
  dispose(): Promise<void>;
  haproxyUrl: string;
  nginxUrl: string;
}

/** A veth pair created inside namespace `a` with its peer placed straight into `b`. */
async function veth(a: Netns, aName: string, aAddr: string, b: Netns, bName: string, bAddr: string): Promise<void> {
  await a.ip(['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name]);
  await a.ip(['addr', 'add', aAddr, 'dev', aName]);
  await b.ip(['addr', 'add', bAddr, 'dev', bName]);
  await a.ip(['link', 'set', 'dev', aName, 'up']);
  await b.ip(['link', 'set', 'dev', bName, 'up']);
}

function haproxyConf(): string {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend vip
  bind ${VIP}:80
  default_backend reals
backend reals
  balance roundrobin
  server real1 10.77.1.2:30080
  server real2 10.77.2.2:30080
`;
}

async function waitListen(ns: Netns, port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; ; i++) {
    if ((await ns.exec('ss', ['-Hltn', `sport = :${port}`])).stdout.includes(`:${port}`)) return;
    if (i >= 100 || child.exitCode !== null) throw new Error(`server on :${port} did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 *   wrk ns  13.246.100.11/24 ─veth─ 13.246.100.25/24  haproxy ns  10.77.1.1/30 ─veth─ 10.77.1.2 nginx1 ns
 *           10.77.3.1/30 ─veth─┐                                 10.77.2.1/30 ─veth─ 10.77.2.2 nginx2 ns
 *                              └──────────────────────────────── 10.77.3.2 (nginx1, straight)
 */
async function refRig(): Promise<RefRig> {
  await removeStaleOnce();
  const made: Netns[] = [];
  const nginxes: Nginx[] = [];
  const dirs: string[] = [];
  const dispose = async (): Promise<void> => {
    for (const n of nginxes) await n.stop();
    for (const ns of made) await ns.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    const ns = async (name: string): Promise<Netns> => {
      const n = await Netns.create(`pktlab-bench-${name}`);
      made.push(n);
      return n;
    };
    const client = await ns('wrk');
    const lb = await ns('haproxy');
    const ng1 = await ns('nginx1');
    const ng2 = await ns('nginx2');
    await veth(client, 'eth0', '13.246.100.11/24', lb, 'eth0', `${VIP}/24`);
    await veth(lb, 'r1', '10.77.1.1/30', ng1, 'eth0', '10.77.1.2/30');
    await veth(lb, 'r2', '10.77.2.1/30', ng2, 'eth0', '10.77.2.2/30');
    await veth(client, 'd1', '10.77.3.1/30', ng1, 'd1', '10.77.3.2/30');
    nginxes.push(await startNginx(ng1, { name: 'nginx1', port: 30080, accessLog: false }));
    nginxes.push(await startNginx(ng2, { name: 'nginx2', port: 30080, accessLog: false }));
    const dir = mkdtempSync(join(tmpdir(), 'pktlab-haproxy-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyConf());
    const ha = lb.spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
    let log = '';
    ha.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    await waitListen(lb, 80, ha, () => log);
    return { wrk: client, dispose, haproxyUrl: `http://${VIP}/`, nginxUrl: 'http://10.77.3.2:30080/' };
  } catch (e) {
    await dispose();
    throw e;
  }
}

export async function run(): Promise<Row[]> {
  const why = skipReason();
  if (why !== null) {
    console.error(`bench tap: skipped: ${why}`);
    return [];
  }
  const { res: ours, cpuPct } = await pktlabRun();
  const rig = await refRig();
  let ha: WrkResult;
  let ng: WrkResult;
  try {
    await wrk(rig.wrk, rig.haproxyUrl, 1);
    ha = await wrk(rig.wrk, rig.haproxyUrl);
    await wrk(rig.wrk, rig.nginxUrl, 1);
    ng = await wrk(rig.wrk, rig.nginxUrl);
  } finally {
    await rig.dispose();
  }
  const w = `wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s`;
  return [
    { name: `tap: ${w} → TAP → emulated Alteon VIP → emulated reals`, value: ours.rps, unit: 'req/s', aim: '≥ 20,000' },
    { name: 'tap: … p99 latency', value: ours.p99Ms, unit: 'ms' },
    { name: 'tap: … p50 latency', value: ours.p50Ms, unit: 'ms' },
    { name: 'tap: … socket errors + non-2xx', value: ours.errors, unit: 'responses' },
    { name: 'tap: … pktlab process CPU during the run', value: cpuPct, unit: '% of a core' },
    { name: `tap: ${w} → HAProxy → 2 × nginx (namespaces, veth)`, value: ha.rps, unit: 'req/s' },
    { name: 'tap: … p99 latency (HAProxy)', value: ha.p99Ms, unit: 'ms' },
    { name: `tap: ${w} → nginx (namespace, veth)`, value: ng.rps, unit: 'req/s' },
    { name: 'tap: … p99 latency (nginx)', value: ng.p99Ms, unit: 'ms' },
    { name: 'tap: pktlab / HAProxy (req/s)', value: ours.rps / ha.rps, unit: 'ratio' },
    { name: 'tap: pktlab / nginx straight (req/s)', value: ours.rps / ng.rps, unit: 'ratio' },
  ];
}
