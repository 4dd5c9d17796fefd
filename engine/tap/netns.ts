/**
 * Network namespaces for real hosts, through iproute2. Every command is spawned with an argument
 * vector (never a shell string), and every configuration command runs *inside* a namespace this
 * process created (`ip -n NS ...`); the root namespace is only touched to add/delete `pktlab-`
 * namespaces, to move a `pktlab` TAP into one, and to delete stale `pktlab` TAPs no process holds.
 *
 * Isolation: a namespace starts with nothing but a down loopback. We bring lo up, move in the TAP, and
 * add routes only with `dev <the TAP>`; so the namespace's only ways out are the TAP (into the engine)
 * and 127.0.0.0/8.
 *
 * Cleanup: a process-wide registry remembers what this process created. `dispose()` kills every
 * process inside the namespace and deletes it; at exit and on SIGINT/SIGTERM the registry does that
 * synchronously for whatever is left. Each namespace records its owner's pid (the alias of its lo), so
 * `removeStale()` at start deletes only namespaces whose owner is gone.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { TapError } from './tun.ts';

export const NS_PREFIX = 'pktlab-';
export const TAP_PREFIX = 'pktlab';
const OWNER_TAG = 'pktlab-owner:';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  /** Kill the command (SIGKILL) after this many wall ms; default none. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

let ipPath: string | null = null;

/** The `ip` binary (root's PATH may not be ours). */
export function ipBinary(): string {
  if (ipPath !== null) return ipPath;
  for (const p of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) {
    if (existsSync(p)) return (ipPath = p);
  }
  return (ipPath = 'ip');
}

function checkLinux(): void {
  if (process.platform !== 'linux') {
    throw new TapError(`pktlab: real hosts need Linux network namespaces (this system is ${process.platform})`, 'ENOTSUP');
  }
}

/** Runs a command (argument vector, no shell) and collects its output. Never rejects on exit status. */
export function execFile(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal });
    });
    child.stdin!.on('error', () => {}); // the command may exit without reading its input
    child.stdin!.end(opts.input ?? '');
  });
}

/** `ip ARGS`; rejects with iproute2's own message when it fails. */
export async function ip(args: readonly string[]): Promise<string> {
  checkLinux();
  const r = await execFile(ipBinary(), args);
  if (r.code !== 0) throw new TapError(`pktlab: ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code ?? r.signal}`}`);
  return r.stdout;
}

function ipSync(args: readonly string[]): { ok: boolean; stdout: string } {
  const r = spawnSync(ipBinary(), [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, stdout: r.stdout ?? '' };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names of namespaces (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.length > 0);
}

export function validateNsName(name: string): void {
  if (!name.startsWith(NS_PREFIX) || !/^[A-Za-z0-9_.\-]{1,200}$/.test(name)) {
    throw new TapError(`pktlab: namespace names must start with '${NS_PREFIX}' and use [A-Za-z0-9_.-]: ${JSON.stringify(name)}`, 'EINVAL');
  }
}

// --- the process-wide registry ---------------------------------------------------------------------

/** What this process created and must remove, however it ends. */
class Registry {
  readonly namespaces = new Set<string>();
  private installed = false;

  track(ns: string): void {
    this.namespaces.add(ns);
    this.install();
  }

  untrack(ns: string): void {
    this.namespaces.delete(ns);
  }

  /** Synchronous: safe in 'exit' handlers. Idempotent. */
  cleanupSync(): void {
    for (const ns of [...this.namespaces]) {
      removeNamespaceSync(ns);
      this.namespaces.delete(ns);
    }
  }

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('exit', this.onExit);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGHUP', this.onSignal);
  }

  private readonly onExit = (): void => this.cleanupSync();

  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.cleanupSync();
    // Keep the signal's default meaning (terminate) unless someone else also handles it.
    if (process.listenerCount(sig) <= 1) {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      process.off('SIGHUP', this.onSignal);
      this.installed = false;
      process.kill(process.pid, sig);
    }
  };
}

export const registry = new Registry();

function killNamespacePidsSync(ns: string): void {
  const r = ipSync(['netns', 'pids', ns]);
  if (!r.ok) return;
  for (const p of r.stdout.split('\n')) {
    const pid = Number(p.trim());
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Kills everything inside `ns` and deletes it, synchronously. Only for `pktlab-` names. */
export function removeNamespaceSync(ns: string): void {
  validateNsName(ns);
  killNamespacePidsSync(ns);
  ipSync(['netns', 'del', ns]);
}

// --- stale state from earlier runs -----------------------------------------------------------------

function ownerOf(ns: string): number | null {
  const r = ipSync(['-n', ns, '-o', 'link', 'show', 'lo']);
  const m = r.ok ? /alias pktlab-owner:(\d+)/.exec(r.stdout) : null;
  return m ? Number(m[1]) : null;
}

/** Names of TAP devices some process holds open (/proc/PID/fdinfo lists `iff:` for tun fds). */
function attachedTaps(): Set<string> {
  const held = new Set<string>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return held;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fdinfo`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^iff:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (m) held.add(m[1]!);
      } catch {
        /* raced with the fd closing */
      }
    }
  }
  return held;
}

export interface StaleReport {
  readonly namespaces: string[];
  readonly taps: string[];
}

/**
 * Removes what earlier pktlab processes left: `pktlab-` namespaces whose owner process is gone, and
 * `pktlab` TAP devices in this namespace that no process holds. Live sessions are left alone.
 */
export async function removeStale(): Promise<StaleReport> {
  checkLinux();
  const namespaces: string[] = [];
  for (const ns of await listNamespaces()) {
    if (!ns.startsWith(NS_PREFIX) || registry.namespaces.has(ns)) continue;
    const owner = ownerOf(ns);
    if (owner !== null && owner !== process.pid && isAlive(owner)) continue;
    removeNamespaceSync(ns);
    namespaces.push(ns);
  }
  const taps: string[] = [];
  const held = attachedTaps();
  const links = await ip(['-d', '-o', 'link', 'show']);
  for (const line of links.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)[:@]/.exec(line);
    if (!m || !m[1]!.startsWith(TAP_PREFIX) || !/\btun\b/.test(line) || held.has(m[1]!)) continue;
    if (ipSync(['link', 'del', m[1]!]).ok) taps.push(m[1]!);
  }
  return { namespaces, taps };
}

// --- one namespace -------------------------------------------------------------------------------

export class Netns {
  private disposed = false;
  private readonly children = new Set<ChildProcess>();
  /** The only device routes may point at (set by moveIn). */
  private tapDev: string | null = null;

  private constructor(readonly name: string) {}

  /**
   * Creates namespace `name` (must start with 'pktlab-'), records this process as its owner, brings lo
   * up and turns IPv6 off (the engine speaks IPv4; no router solicitations leak onto the TAP).
   */
  static async create(name: string): Promise<Netns> {
    checkLinux();
    validateNsName(name);
    if ((await listNamespaces()).includes(name)) {
      const owner = ownerOf(name);
      if (owner !== null && owner !== process.pid && isAlive(owner)) {
        throw new TapError(`pktlab: namespace ${name} is in use by another pktlab process (pid ${owner})`, 'EEXIST');
      }
      removeNamespaceSync(name);
    }
    await ip(['netns', 'add', name]);
    registry.track(name);
    const ns = new Netns(name);
    try {
      await ip(['-n', name, 'link', 'set', 'dev', 'lo', 'alias', `${OWNER_TAG}${process.pid}`]);
      await ip(['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
      await ns.sysctl({ 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' });
    } catch (e) {
      await ns.dispose();
      throw e;
    }
    return ns;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The TAP moved in (its name inside the namespace), or null. */
  get device(): string | null {
    return this.tapDev;
  }

  /** `ip -n NS ARGS` — always inside this namespace. */
  ip(args: readonly string[]): Promise<string> {
    this.check();
    return ip(['-n', this.name, ...args]);
  }

  /** Writes sysctls inside the namespace (the net.* tree is per namespace). */
  async sysctl(values: Readonly<Record<string, string>>): Promise<void> {
    const args: string[] = ['-q', '-w'];
    for (const [k, v] of Object.entries(values)) {
      if (!/^net\.[A-Za-z0-9_.\-]+$/.test(k) || !/^[A-Za-z0-9_.\- ]*$/.test(v)) throw new TapError(`pktlab: bad sysctl ${k}=${v}`, 'EINVAL');
      args.push(`${k}=${v}`);
    }
    const r = await this.exec('sysctl', args);
    if (r.code !== 0) throw new TapError(`pktlab: sysctl in ${this.name}: ${r.stderr.trim()}`);
  }

  /**
   * Moves TAP `dev` (a `pktlab` device of this process, in the root namespace) into this namespace,
   * optionally renaming it (e.g. to the declared host's 'eth0').
   */
  async moveIn(dev: string, rename?: string): Promise<string> {
    this.check();
    if (!dev.startsWith(TAP_PREFIX)) throw new TapError(`pktlab: only pktlab TAP devices are moved into namespaces, not ${dev}`, 'EINVAL');
    if (this.tapDev !== null) throw new TapError(`pktlab: ${this.name} already has its TAP ${this.tapDev}`, 'EEXIST');
    await ip(['link', 'set', 'dev', dev, 'netns', this.name]);
    let name = dev;
    if (rename !== undefined && rename !== dev) {
      await this.ip(['link', 'set', 'dev', dev, 'name', rename]);
      name = rename;
    }
    this.tapDev = name;
    return name;
  }

  private requireDev(): string {
    if (this.tapDev === null) throw new TapError(`pktlab: ${this.name} has no TAP yet`, 'ENODEV');
    return this.tapDev;
  }

  async setMac(mac: string): Promise<void> {
    await this.ip(['link', 'set', 'dev', this.requireDev(), 'address', mac]);
  }

  async setMtu(mtu: number): Promise<void> {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) throw new TapError(`pktlab: MTU ${mtu} is outside 68..65521`, 'EINVAL');
    await this.ip(['link', 'set', 'dev', this.requireDev(), 'mtu', String(mtu)]);
  }

  async addAddress(cidr: string): Promise<void> {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new TapError(`pktlab: not an IPv4 address/prefix: ${cidr}`, 'EINVAL');
    await this.ip(['addr', 'add', cidr, 'dev', this.requireDev()]);
  }

  async up(): Promise<void> {
    await this.ip(['link', 'set', 'dev', this.requireDev(), 'up']);
  }

  /** `ip route add DST [via GW] dev TAP`: routes only ever point at the TAP. */
  async addRoute(dst: string, via?: string): Promise<void> {
    const ipRe = /^\d{1,3}(\.\d{1,3}){3}$/;
    if (dst !== 'default' && !/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(dst)) throw new TapError(`pktlab: bad route destination ${dst}`, 'EINVAL');
    if (via !== undefined && !ipRe.test(via)) throw new TapError(`pktlab: bad gateway ${via}`, 'EINVAL');
    const args = ['route', 'add', dst];
    if (via !== undefined) args.push('via', via);
    args.push('dev', this.requireDev());
    await this.ip(args);
  }

  /** Runs `cmd args` inside the namespace and collects its output (`ip netns exec NS cmd args`). */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    this.check();
    return execFile(ipBinary(), ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Starts a long-running command inside the namespace; it is killed when the namespace goes. */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    this.check();
    const child = spawn(ipBinary(), ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Pids of every process inside the namespace (`ip netns pids`). */
  async pids(): Promise<number[]> {
    const out = await ip(['netns', 'pids', this.name]);
    return out.split('\n').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 1);
  }

  /** Kills everything running inside, then deletes the namespace (and with it the TAP). Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.children) c.kill('SIGKILL');
    removeNamespaceSync(this.name);
    registry.untrack(this.name);
    // Give killed children a moment to be reaped so no zombie outlives us.
    await Promise.all(
      [...this.children].map(
        (c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : (c.once('exit', () => r()), setTimeout(r, 1000).unref()))),
      ),
    );
  }

  private check(): void {
    if (this.disposed) throw new TapError(`pktlab: namespace ${this.name} was removed`, 'ENOENT');
  }
}
