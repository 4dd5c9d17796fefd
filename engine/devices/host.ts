/**
 * A host: a Node (interfaces, ARP, routes) with the transport stack, a small in-memory file system
 * (/etc/hosts, /etc/resolv.conf, files written by `curl -o`), services that `systemctl` controls,
 * and a Linux-like shell (engine/devices/host/*: ping, traceroute, ip, ss, tcpdump, curl, dig,
 * nslookup, systemctl, hostname, cat, plus the shell's built-ins).
 *
 * The same shell serves the app's consoles, `pktlab exec` and lab actions; drivers call
 * `host.shell.exec(line)` and run the scheduler, or `host.run(line)` which does both.
 */
import { Stack, type StackOptions } from '../stack/index.ts';
import { Node, type NodeOptions } from '../net/node.ts';
import type { Network } from '../net/network.ts';
import { sec, type Nanos } from '../sim/time.ts';
import { Shell, type Execution, type ShellSink } from './shell.ts';
import { registerHostCommands } from './host/index.ts';
import { DnsResolver, parseHostsFile, type HttpResult } from '../stack/apps/index.ts';
import { parseIpv4Addr } from '../wire/addr.ts';

/** Something `systemctl start|stop|status NAME` controls: an HTTP server, a DNS server... */
export interface HostService {
  /** Unit name without `.service`, e.g. 'nginx', 'named'. */
  readonly name: string;
  /** The unit's Description=, e.g. 'A high performance web server and a reverse proxy server'. */
  readonly description: string;
  /** Path of the executable shown by `systemctl status` (e.g. '/usr/sbin/nginx'). */
  readonly exec?: string;
  /** Starts listening on `host`; returns an error text when it cannot (the unit then fails). */
  start(host: Host): string | void;
  stop(host: Host): void;
}

export type ServiceState = 'active' | 'inactive' | 'failed';

export interface ServiceEntry {
  readonly service: HostService;
  state: ServiceState;
  /** Virtual time of the last state change. */
  since: Nanos;
  pid: number;
  /** Last failure text. */
  error?: string;
}

export interface HostOptions extends NodeOptions {
  readonly stack?: StackOptions;
  /** `nameserver` lines of /etc/resolv.conf. */
  readonly nameservers?: readonly string[];
  /** `search` domains of /etc/resolv.conf. */
  readonly search?: readonly string[];
  /** Extra /etc/hosts entries: name → address. */
  readonly hosts?: Readonly<Record<string, string>>;
}

export class Host extends Node {
  readonly stack: Stack;
  readonly shell: Shell<Host>;
  /** Absolute path → contents. */
  readonly files = new Map<string, string>();
  private readonly serviceMap = new Map<string, ServiceEntry>();
  private nextPid = 100;
  private readonly pids = new Map<string, number>();
  private dns: DnsResolver | undefined;
  private readonly httpObservers = new Set<(r: HttpResult, start: Nanos) => void>();

  constructor(network: Network, name: string, opts: HostOptions = {}) {
    super(network, name, opts);
    this.stack = new Stack(this, opts.stack);
    let hosts = `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n`;
    for (const [n, a] of Object.entries(opts.hosts ?? {})) hosts += `${a}\t${n}\n`;
    this.files.set('/etc/hosts', hosts);
    this.files.set('/etc/hostname', `${name}\n`);
    this.setResolvConf(opts.nameservers ?? [], opts.search ?? []);
    this.shell = new Shell<Host>({ device: this, sched: this.sched, hostname: () => this.hostname });
    registerHostCommands(this.shell);
  }

  get hostname(): string {
    return (this.files.get('/etc/hostname') ?? this.name).trim() || this.name;
  }

  setResolvConf(nameservers: readonly string[], search: readonly string[] = []): void {
    let s = '';
    if (search.length > 0) s += `search ${search.join(' ')}\n`;
    for (const n of nameservers) s += `nameserver ${n}\n`;
    this.files.set('/etc/resolv.conf', s);
  }

  /**
   * The host's stub resolver (engine/stack/apps DnsResolver), configured from /etc/resolv.conf
   * (nameserver, search/domain, options timeout: attempts: ndots: rotate) and /etc/hosts as they are now.
   */
  resolver(): DnsResolver {
    const r = (this.dns ??= new DnsResolver(this.stack));
    const ns: string[] = [];
    let search: string[] = [];
    r.timeoutMs = 5000;
    r.attempts = 2;
    r.ndots = 1;
    r.rotate = false;
    for (const line of (this.files.get('/etc/resolv.conf') ?? '').split('\n')) {
      const [key, ...args] = line.replace(/[#;].*/, '').trim().split(/\s+/);
      if (key === 'nameserver' && args[0] !== undefined && parseIpv4Addr(args[0]) !== null) ns.push(args[0]);
      else if (key === 'search' || key === 'domain') search = args; // the last line wins, as glibc
      else if (key === 'options') {
        for (const o of args) {
          const [k, v] = o.split(':');
          const n = Number(v);
          if (k === 'rotate') r.rotate = true;
          else if (!Number.isInteger(n) || n < 0) continue;
          else if (k === 'timeout') r.timeoutMs = Math.min(Math.max(n, 1), 30) * 1000;
          else if (k === 'attempts') r.attempts = Math.min(Math.max(n, 1), 5);
          else if (k === 'ndots') r.ndots = Math.min(n, 15);
        }
      }
    }
    r.nameservers = ns.slice(0, 3);
    r.search = search;
    r.setHosts(parseHostsFile(this.files.get('/etc/hosts') ?? ''));
    return r;
  }

  /** Tells `fn` of every HTTP request a command on this host (curl) finishes; returns the unsubscribe. */
  observeHttp(fn: (r: HttpResult, start: Nanos) => void): () => void {
    this.httpObservers.add(fn);
    return () => this.httpObservers.delete(fn);
  }

  /** @internal curl reports a finished request (started at virtual time `start`). */
  noteHttp(r: HttpResult, start: Nanos): void {
    for (const fn of this.httpObservers) fn(r, start);
  }

  /** A stable pid per program name (ss -p, systemctl status). */
  pidOf(program: string): number {
    let p = this.pids.get(program);
    if (p === undefined) {
      p = this.nextPid;
      this.nextPid += 17;
      this.pids.set(program, p);
    }
    return p;
  }

  // --- services ---------------------------------------------------------------------------------------

  /** Registers a service; `start` (default true) starts it now, as an enabled unit at boot. */
  addService(service: HostService, opts: { start?: boolean } = {}): ServiceEntry {
    const e: ServiceEntry = { service, state: 'inactive', since: this.sched.now, pid: 0 };
    this.serviceMap.set(service.name, e);
    if (opts.start ?? true) this.startService(service.name);
    return e;
  }

  service(name: string): ServiceEntry | undefined {
    return this.serviceMap.get(name.replace(/\.service$/, ''));
  }

  services(): ServiceEntry[] {
    return [...this.serviceMap.values()];
  }

  /** Returns an error text, or null when the service is (now) running. */
  startService(name: string): string | null {
    const e = this.service(name);
    if (e === undefined) return `Unit ${name}.service not found.`;
    if (e.state === 'active') return null;
    let err: string | void;
    try {
      err = e.service.start(this);
    } catch (x) {
      err = x instanceof Error ? x.message : String(x);
    }
    e.since = this.sched.now;
    if (typeof err === 'string') {
      e.state = 'failed';
      e.error = err;
      return err;
    }
    e.state = 'active';
    e.pid = this.pidOf(e.service.name);
    delete e.error;
    return null;
  }

  stopService(name: string): string | null {
    const e = this.service(name);
    if (e === undefined) return `Unit ${name}.service not loaded.`;
    if (e.state === 'active') {
      try {
        e.service.stop(this);
      } catch {
        // A service that fails to stop is still considered stopped, like systemd's SIGKILL fallback.
      }
    }
    e.state = 'inactive';
    e.since = this.sched.now;
    return null;
  }

  // --- driving ---------------------------------------------------------------------------------------

  exec(line: string, sink?: ShellSink): Execution {
    return this.shell.exec(line, sink);
  }

  /**
   * Runs a command line to completion in virtual time (at most `limit`, default 10 minutes), the way
   * `pktlab exec` and lab actions do. A command still running at the limit is interrupted (Ctrl-C).
   */
  run(line: string, limit: Nanos = sec(600), sink?: ShellSink): Execution {
    const ex = this.shell.exec(line, sink);
    this.network.runUntilCondition(() => ex.done, limit);
    if (!ex.done) {
      ex.interrupt();
      this.network.runUntilCondition(() => ex.done, sec(1));
    }
    return ex;
  }

  override dispose(): void {
    for (const e of this.serviceMap.values()) if (e.state === 'active') this.stopService(e.service.name);
    this.stack.dispose();
    super.dispose();
  }
}
