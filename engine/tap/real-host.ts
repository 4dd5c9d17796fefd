/**
 * A real host: a declared lab host backed by a Linux network namespace and a TAP device, so real
 * tools (curl, ping, nginx, tcpdump) run as that host.
 *
 *   namespace  pktlab-<lab>-<host>              (its only routes: lo, and the TAP)
 *   TAP        pktlab<9 hex> → renamed eth0      (≤ 15 chars while in the root namespace)
 *
 * The TAP is opened in the root namespace *down and without addresses*, moved into the namespace at
 * once, and only configured there; so nothing is ever sent on any interface of the root namespace.
 *
 * `makeReal(network, node, opts)` is the lab runner's entry point: it turns an engine node's interface
 * into the real host's NIC (TapLink 'nic' mode) with the node's addresses, routes, MAC and MTU.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Interface } from '../net/interface.ts';
import type { Network } from '../net/network.ts';
import type { Node } from '../net/node.ts';
import type { RealTimePacer } from '../sim/pacer.ts';
import { fnv1a64 } from '../sim/random.ts';
import { cidrToString, ipv4ToString, macToString, type MacAddr } from '../wire/addr.ts';
import { Netns, NS_PREFIX, TAP_PREFIX, removeStale, type ExecOptions, type ExecResult, type StaleReport } from './netns.ts';
import { TapLink, type TapLinkMode } from './tap-link.ts';
import { TapError, isValidIfName, openTap, type TapDevice } from './tun.ts';

export interface RealRoute {
  /** 'default' or '10.1.0.0/16'. */
  readonly dst: string;
  /** Next hop; omit for an on-link route. */
  readonly via?: string;
}

export interface RealHostOptions {
  /** Lab name, part of the namespace name. */
  readonly lab: string;
  /** Declared host name, part of the namespace name. */
  readonly host: string;
  /** The NIC's name inside the namespace; default 'eth0'. */
  readonly ifname?: string;
  /** '10.0.0.5/24', ... */
  readonly addresses: readonly string[];
  readonly mac?: string | MacAddr;
  readonly mtu?: number;
  /** Default route via this gateway (through the TAP). */
  readonly gateway?: string;
  readonly routes?: readonly RealRoute[];
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** `pktlab-<lab>-<host>` (sanitised). */
export function namespaceName(lab: string, host: string): string {
  return `${NS_PREFIX}${sanitize(lab)}-${sanitize(host)}`.slice(0, 200);
}

/** A 15-character TAP name for `ns`, distinct per process: 'pktlab' + 9 hex digits. */
export function tapName(ns: string): string {
  const h = fnv1a64(`${ns}/${process.pid}`).toString(16).padStart(16, '0').slice(0, 9);
  return `${TAP_PREFIX}${h}`;
}

let staleOnce: Promise<StaleReport> | null = null;

/** Removes stale pktlab namespaces and TAPs once per process (before the first real host). */
export function removeStaleOnce(): Promise<StaleReport> {
  staleOnce ??= removeStale();
  staleOnce.catch(() => void (staleOnce = null));
  return staleOnce;
}

export class RealHost {
  private disposed = false;
  private links: TapLink[] = [];

  private constructor(
    readonly netns: Netns,
    readonly tap: TapDevice,
    /** The NIC's name inside the namespace. */
    readonly ifname: string,
    readonly options: RealHostOptions,
  ) {}

  /** Creates the namespace and TAP and applies addresses, MAC, MTU and routes. */
  static async create(opts: RealHostOptions): Promise<RealHost> {
    const ifname = opts.ifname ?? 'eth0';
    if (!isValidIfName(ifname)) throw new TapError(`pktlab: bad interface name ${JSON.stringify(ifname)}`, 'EINVAL');
    await removeStaleOnce();
    const nsName = namespaceName(opts.lab, opts.host);
    const tap = await openTap({ name: tapName(nsName) });
    let ns: Netns | null = null;
    try {
      ns = await Netns.create(nsName);
      await ns.moveIn(tap.name, ifname);
      if (opts.mac !== undefined) await ns.setMac(typeof opts.mac === 'number' ? macToString(opts.mac) : opts.mac);
      if (opts.mtu !== undefined) await ns.setMtu(opts.mtu);
      for (const a of opts.addresses) await ns.addAddress(a);
      await ns.up();
      for (const r of opts.routes ?? []) await ns.addRoute(r.dst, r.via);
      if (opts.gateway !== undefined && !(opts.routes ?? []).some((r) => r.dst === 'default')) await ns.addRoute('default', opts.gateway);
      return new RealHost(ns, tap, ifname, opts);
    } catch (e) {
      tap.close();
      await ns?.dispose();
      throw e;
    }
  }

  /** The namespace's name (`ip netns exec <namespace> ...`). */
  get namespace(): string {
    return this.netns.name;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs a command inside the host and collects stdout, stderr and the exit status. */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.netns.exec(cmd, args, opts);
  }

  /** Starts a long-running command inside the host (a server, tcpdump); killed on dispose. */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    return this.netns.spawn(cmd, args, opts);
  }

  /** A real shell inside the host for the app's console (pipes, no pty). */
  shell(): ChildProcess {
    const name = sanitize(this.options.host);
    return this.netns.spawn('bash', ['--noprofile', '--norc', '-i'], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: 'dumb', PS1: `root@${name}:\\w# ` },
    });
  }

  /** Joins the host's NIC to an engine interface (see TapLink). One link per host. */
  attach(iface: Interface, opts: { mode?: TapLinkMode; pacer?: RealTimePacer } = {}): TapLink {
    if (this.disposed) throw new TapError(`pktlab: real host ${this.options.host} was disposed`, 'ENOENT');
    if (this.links.some((l) => !l.isClosed)) throw new TapError(`pktlab: real host ${this.options.host} is already attached`, 'EBUSY');
    const link = new TapLink(iface, this.tap, opts);
    this.links.push(link);
    return link;
  }

  /** Closes the TAP, kills everything inside, deletes the namespace. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.links) l.dispose();
    this.tap.close();
    await this.netns.dispose();
  }
}

// --- the lab runner's entry point ------------------------------------------------------------------

export interface MakeRealOptions {
  /** Lab name (namespace `pktlab-<lab>-<node>`). */
  readonly lab: string;
  /** Which interface becomes the real NIC; default the node's first non-loopback interface. */
  readonly ifname?: string;
  /** The pacer the caller drives the network with, if any (see TapLinkOptions.pacer). */
  readonly pacer?: RealTimePacer;
}

/** A node made real; dispose() gives the engine node its addresses back. */
export interface RealNode {
  readonly node: Node;
  readonly iface: Interface;
  readonly host: RealHost;
  readonly link: TapLink;
  dispose(): Promise<void>;
}

/**
 * Makes `node` a real host: a namespace and TAP carrying the node's addresses, MAC, MTU and routes,
 * joined to the node's interface (which stays on its segment or link). The engine node gives up the
 * interface's addresses so only the kernel answers for them; it must run no apps of its own.
 */
export async function makeReal(network: Network, node: Node, opts: MakeRealOptions): Promise<RealNode> {
  if (node.network !== network) throw new Error(`pktlab: ${node.name} is not a node of this network`);
  const iface = opts.ifname !== undefined ? node.iface(opts.ifname) : node.interfaces().find((i) => !i.loopback);
  if (iface === undefined) throw new Error(`pktlab: ${node.name} has no Ethernet interface to make real`);
  if (iface.attachedTo === null) throw new Error(`pktlab: ${iface.fullName} is not attached to a segment or link`);
  const addresses = iface.addresses.map((a) => cidrToString(a));
  const savedAddrs = [...iface.addresses];
  const routes: RealRoute[] = node
    .routes()
    .filter((r) => r.dev === iface.name && r.proto !== 'kernel')
    .map((r) => ({
      dst: r.prefix === 0 ? 'default' : `${ipv4ToString(r.dst)}/${r.prefix}`,
      ...(r.gateway !== 0 ? { via: ipv4ToString(r.gateway) } : {}),
    }));
  const savedRoutes = node.routes().filter((r) => r.dev === iface.name && r.proto !== 'kernel');
  const host = await RealHost.create({ lab: opts.lab, host: node.name, ifname: iface.name, addresses, mac: iface.mac, mtu: iface.mtu, routes });
  let link: TapLink;
  try {
    link = host.attach(iface, { mode: 'nic', pacer: opts.pacer });
  } catch (e) {
    await host.dispose();
    throw e;
  }
  for (const a of savedAddrs) iface.removeAddress(a.addr);
  let done = false;
  return {
    node,
    iface,
    host,
    link,
    async dispose(): Promise<void> {
      if (done) return;
      done = true;
      link.dispose();
      await host.dispose();
      for (const a of savedAddrs) iface.addAddress({ addr: a.addr, prefix: a.prefix });
      const have = new Set(node.routes().map(String));
      for (const r of savedRoutes) {
        if (have.has(String(r))) continue;
        node.addRoute({ dst: r.prefix === 0 ? 'default' : `${ipv4ToString(r.dst)}/${r.prefix}`, dev: r.dev, ...(r.gateway !== 0 ? { via: r.gateway } : {}), metric: r.metric });
      }
    },
  };
}
