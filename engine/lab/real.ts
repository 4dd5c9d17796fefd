/**
 * Real hosts in a lab session: a declared host backed by a `pktlab-` namespace and a TAP (engine/tap).
 *
 * - `RealExecution`: a console line run as `bash -c LINE` inside the namespace (its own process group,
 *   so Ctrl-C reaches the whole line), output streamed to the sink like an emulated console's.
 * - `realConsole`: the ConsoleTarget of a real host (kind 'real').
 * - `startRealTraffic`: a traffic action from a real host, made by real curl / bash in the namespace.
 * - `realState`: what state checks read from the namespace (`ip neigh`, `ip route`, `ss`).
 *
 * Time: everything here happens in wall time; the session's RealTimePacer keeps virtual time in step.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { Execution, ShellSink, Stream } from '../devices/shell.ts';
import type { Timer } from '../sim/scheduler.ts';
import { sec, type Nanos } from '../sim/time.ts';
import { parseServerPage } from '../stack/apps/index.ts';
import { ipBinary, type RealHost } from '../tap/index.ts';
import type { ConsoleTarget } from './build.ts';
import { planTraffic, type TrafficRequest, type TrafficRun, type TrafficSpec } from './traffic.ts';

/** Longest a console line runs on a real host before it is interrupted (wall time). */
export const REAL_COMMAND_LIMIT: Nanos = sec(60);

/** The environment of commands run in a real host. */
function realEnv(): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: 'dumb', LANG: 'C.UTF-8' };
}

function signalCode(signal: NodeJS.Signals | null): number {
  const n = signal === null ? undefined : (constants.signals as Record<string, number>)[signal];
  return n === undefined ? 1 : 128 + n;
}

/** A line running (or done) in a real host's namespace. */
export class RealExecution implements Execution {
  private text = '';
  private out = '';
  private errText = '';
  private code: number | null = null;
  private readonly waiters: ((code: number) => void)[] = [];
  private readonly child: ChildProcess;

  constructor(
    host: RealHost,
    readonly line: string,
    private readonly sink?: ShellSink,
  ) {
    this.child = host.spawn('bash', ['-c', line], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: realEnv() });
    const pipe = (s: NodeJS.ReadableStream | null, stream: Stream): void => {
      const dec = new StringDecoder('utf8');
      s?.on('data', (b: Buffer) => this.write(dec.write(b), stream));
      s?.on('end', () => this.write(dec.end(), stream));
    };
    pipe(this.child.stdout, 'out');
    pipe(this.child.stderr, 'err');
    this.child.on('error', (e) => {
      this.write(`pktlab: cannot run the line in ${host.namespace}: ${e.message}\n`, 'err');
      this.finish(127);
    });
    this.child.on('close', (code, signal) => this.finish(code ?? signalCode(signal)));
    // A background job (`cmd &`) may hold the pipes open: the line is done shortly after bash exits.
    this.child.on('exit', (code, signal) => {
      setTimeout(() => {
        if (this.done) return;
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        this.finish(code ?? signalCode(signal));
      }, 100).unref();
    });
  }

  get done(): boolean {
    return this.code !== null;
  }
  get exitCode(): number | null {
    return this.code;
  }
  get output(): string {
    return this.text;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.errText;
  }

  /** Ctrl-C: SIGINT to the line's process group. */
  interrupt(): void {
    this.signal('SIGINT');
  }

  /** SIGKILL to the line's process group (a line that ignored Ctrl-C). */
  kill(): void {
    this.signal('SIGKILL');
  }

  onDone(fn: (code: number) => void): void {
    if (this.code !== null) fn(this.code);
    else this.waiters.push(fn);
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }

  private write(t: string, stream: Stream): void {
    if (t === '') return;
    this.text += t;
    if (stream === 'out') this.out += t;
    else this.errText += t;
    this.sink?.write(t, stream);
  }

  private finish(code: number): void {
    if (this.code !== null) return;
    this.code = code;
    for (const w of this.waiters.splice(0)) w(code);
  }
}

/** The console of a real host: each line is `bash -c LINE` in its namespace. */
export function realConsole(device: string, host: RealHost): ConsoleTarget {
  return {
    kind: 'real',
    prompt: () => `root@${device}:~# `,
    exec: (line, sink) => new RealExecution(host, line, sink),
    complete: () => [],
    greeting: (lang) =>
      lang === 'ko'
        ? `pktlab 실제 호스트 ${device}: 한 줄마다 네트워크 네임스페이스 ${host.namespace} 안에서 \`bash -c LINE\`으로 실행됩니다.\n\n`
        : `pktlab real host ${device}: each line runs as \`bash -c LINE\` in network namespace ${host.namespace}.\n\n`,
  };
}

// --- traffic actions from a real host ------------------------------------------------------------

/** Virtual time and timers while the network runs in real time (the session's pacer keeps them in step). */
export interface RealClock {
  now(): Nanos;
  after(dt: Nanos, fn: () => void): Timer;
}

export interface RealTrafficOptions {
  readonly from: string;
  readonly host: RealHost;
  readonly spec: TrafficSpec;
  readonly clock: RealClock;
  /** A lab name → its address (curl --resolve), or null. */
  readonly resolve: (name: string) => string | null;
}


const MARK = '\n@@pktlab-write-out@@ ';

/** The same requests as startTraffic (engine/lab/traffic.ts), made by real tools inside the namespace. */
export function startRealTraffic(o: RealTrafficOptions): TrafficRun {
  const { spec, clock, host } = o;
  const { count, concurrency, timeout, interval, proto, url, result } = planTraffic(spec, o.from);
  const secs = (timeout / 1e9).toFixed(3);
  const children = new Set<ChildProcess>();
  let next = 0;
  let running = 0;
  let lastStart = -Infinity;
  let cancelled = false;
  let pending: Timer | null = null;

  let resolveArgs: string[] = [];
  if (url !== null) {
    try {
      const u = new URL(url);
      const name = u.hostname;
      const addr = /^\d+\.\d+\.\d+\.\d+$/.test(name) ? null : o.resolve(name);
      if (addr !== null) resolveArgs = ['--resolve', `${name}:${u.port || (u.protocol === 'https:' ? '443' : '80')}:${addr}`];
    } catch {
      /* curl reports the bad URL */
    }
  }

  const argv = (): [string, string[]] => {
    if (url !== null) return ['curl', ['-sS', '-i', '-m', secs, '-w', `${MARK}%{http_code} %{remote_ip}`, ...resolveArgs, url]];
    const to = spec.to ?? '0.0.0.0';
    const port = String(spec.port ?? 0);
    const script =
      proto === 'udp' ? 'exec 3<>"/dev/udp/$1/$2" && printf "pktlab\\n" >&3 && read -r -N 1 -u 3 _' : 'exec 3<>"/dev/tcp/$1/$2"';
    return ['timeout', ['-s', 'KILL', secs, 'bash', '-c', script, 'pktlab', to, port]];
  };

  const finishAll = (): void => {
    result.done = true;
  };

  const one = (index: number): void => {
    const start = clock.now();
    const [cmd, args] = argv();
    const child = host.spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: realEnv() });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    let settled = false;
    const settle = (code: number | null, failure?: string): void => {
      if (settled) return;
      settled = true;
      children.delete(child);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8').trim();
      const end = clock.now();
      const error = failure ?? (code === 0 ? undefined : code === 137 || code === 124 ? 'timed out' : stderr.split('\n').pop() || `exit ${code}`);
      let r: TrafficRequest = { index, ok: code === 0 && failure === undefined, start, end, ...(error ? { error } : {}) };
      if (url !== null) {
        const at = stdout.lastIndexOf(MARK);
        const head = at < 0 ? stdout : stdout.slice(0, at);
        const [status, peer] = at < 0 ? ['000', ''] : stdout.slice(at + MARK.length).trim().split(' ');
        const sep = head.indexOf('\r\n\r\n');
        if (Number(status) > 0 && sep >= 0) {
          const headers: Record<string, string> = {};
          for (const l of head.slice(0, sep).split('\r\n').slice(1)) {
            const c = l.indexOf(':');
            if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
          }
          const body = head.slice(sep + 4);
          const page = parseServerPage(body);
          r = { ...r, status: Number(status), body, headers, ...(page ? { server: page.server } : {}) };
        }
        if (peer) r = { ...r, peer };
      } else if (r.ok) r = { ...r, peer: spec.to ?? '0.0.0.0' };
      result.requests[index] = r;
      running--;
      pump();
    };
    child.on('error', (e) => settle(null, e.message));
    child.on('close', (code) => settle(code, cancelled ? 'cancelled' : undefined));
  };

  const pump = (): void => {
    if (cancelled || next >= count) {
      if (running === 0) finishAll();
      return;
    }
    while (running < concurrency && next < count && pending === null) {
      const wait = lastStart + interval - clock.now();
      if (wait > 0) {
        pending = clock.after(wait, () => {
          pending = null;
          pump();
        });
        return;
      }
      const index = next++;
      running++;
      lastStart = clock.now();
      one(index);
    }
  };

  clock.after(0, pump);
  return {
    result,
    limit: (timeout + interval) * Math.ceil(count / concurrency) + interval * count + sec(60),
    cancel: () => {
      cancelled = true;
      pending?.cancel();
      pending = null;
      for (const c of children) c.kill('SIGKILL');
      if (running === 0) finishAll();
    },
  };
}

// --- state checks on a real host -----------------------------------------------------------------

export interface RealNeighbour {
  readonly ip: string;
  readonly dev: string;
  readonly mac: string | null;
  readonly state: string;
}

export interface RealRouteRow {
  /** 'default' or '10.0.0.0/24'. */
  readonly dst: string;
  readonly via: string | null;
  readonly dev: string;
}

/** What state checks read from a real host's namespace (synchronously: a few ms each). */
export interface RealDeviceState {
  readonly namespace: string;
  neighbours(): RealNeighbour[];
  routes(): RealRouteRow[];
  /** TCP sockets as session rows (proto, local, lport, peer, pport, state). */
  tcp(): Record<string, string | number>[];
}

function runSync(args: readonly string[]): string {
  const r = spawnSync(ipBinary(), [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout ?? '';
}

/** `ss` state names → the emulated stack's (TcpState). */
const SS_STATE: Readonly<Record<string, string>> = {
  ESTAB: 'ESTABLISHED',
  'SYN-RECV': 'SYN-RECEIVED',
  CLOSE: 'CLOSED',
  UNCONN: 'CLOSED',
};

function endpoint(s: string): [string, string | number] {
  const i = s.lastIndexOf(':');
  const port = s.slice(i + 1);
  return [s.slice(0, i).replace(/%.*$/, ''), /^\d+$/.test(port) ? Number(port) : port];
}

export function realState(host: RealHost): RealDeviceState {
  const name = host.namespace;
  return {
    namespace: name,
    neighbours: () =>
      (JSON.parse(runSync(['-j', '-n', name, 'neigh', 'show']) || '[]') as { dst: string; dev: string; lladdr?: string; state?: string[] }[])
        .filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n.dst))
        .map((n) => ({ ip: n.dst, dev: n.dev, mac: n.lladdr ?? null, state: (n.state ?? ['NONE']).join(',') })),
    routes: () =>
      (JSON.parse(runSync(['-j', '-n', name, 'route', 'show']) || '[]') as { dst: string; gateway?: string; dev: string }[]).map((r) => ({
        dst: r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/32`,
        via: r.gateway ?? null,
        dev: r.dev,
      })),
    tcp: () =>
      runSync(['netns', 'exec', name, 'ss', '-Htan'])
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length >= 5)
        .map((f) => {
          const [local, lport] = endpoint(f[3]!);
          const [peer, pport] = endpoint(f[4]!);
          return { proto: 'tcp', local, lport, peer, pport, state: SS_STATE[f[0]!] ?? f[0]! };
        }),
  };
}
