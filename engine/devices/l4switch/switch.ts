/**
 * The emulated Alteon L4 switch: a Node with IP forwarding, an `outside` interface (switch port 1,
 * where the VIPs live) and an `inside` interface (port 2, the real servers' side), and SLB done by
 * hooks on the node's shared connection tracking:
 *
 * - PREROUTING (after conntrack, before DNAT): the first packet of a TCP connection (a SYN) or UDP flow
 *   to vip:vport picks a real from the service's group by the group's metric, records a session as
 *   the conntrack entry's meta, and sets the entry's DNAT to rip:rport (rport 0 = the service port);
 *   conntrack's NAT then rewrites every packet of the flow both ways, so replies leave as vip:vport.
 *   A packet to a VIP port with no service, or a mid-flow TCP segment with no session, is dropped
 *   and counted (`/stats/slb/maint`). Established packets only add octets and refresh the session's
 *   age (service `tmout`, minutes); FIN from both sides or RST closes the session.
 * - FORWARD: traffic from outside to inside that is not an SLB session is dropped: the reals are
 *   reachable only through a virtual server (the chapter's security point).
 *
 * The switch owns each enabled VIP as a /32 on its outside interface, so it answers ARP and ping for
 * it. Decisions are written as the packet comment (`virt 1 service http → group 1 → real 2
 * (92.75.100.41:30080) by roundrobin`). The console is the Alteon CLI (cli.ts).
 */
import { ipv4ToString, type Ipv4Addr } from '../../wire/addr.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { TcpFlag } from '../../wire/tcp.ts';
import type { ConntrackEntry } from '../../net/conntrack.ts';
import { HookPriority, type HookContext, type Verdict } from '../../net/hooks.ts';
import type { Interface } from '../../net/interface.ts';
import type { Network } from '../../net/network.ts';
import { Node, type NodeOptions } from '../../net/node.ts';
import { sec, type Nanos } from '../../sim/time.ts';
import { Stack } from '../../stack/index.ts';
import type { Execution, ShellSink } from '../shell.ts';
import { AlteonCli, type RealRuntimeInfo, type SlbRuntime } from './cli.ts';
import { effectiveRport, serviceLabel, type GroupCfg, type RealCfg, type ServiceCfg, type SlbConfig, type VirtCfg } from './config.ts';
import { HealthCheck } from './health.ts';
import { Selector, type Candidate } from './select.ts';
import { SessionCounters, SlbMaintCounters } from './stats.ts';

export interface L4SwitchOptions extends NodeOptions {
  /** Addresses of the outside interface (port 1), e.g. ['13.246.100.1/24']. */
  readonly outside: readonly string[];
  /** Addresses of the inside interface (port 2), e.g. ['92.75.100.1/24']. */
  readonly inside: readonly string[];
  /** Most concurrent sessions (conntrack entries); default 262144. */
  readonly maxSessions?: number;
  /** Forward non-SLB traffic from outside to inside (default false: reals only via a VIP). */
  readonly routeOutsideToInside?: boolean;
  /** Absolute time of virtual time 0, for the dump header; default the lab epoch. */
  readonly epochNs?: bigint;
}

const TCP_ESTABLISHED = 3;
const TCP_TIME_WAIT = 7;
const TCP_CLOSE = 8;

/** A real server as the data plane sees it. */
class RealRt implements Candidate {
  readonly id: number;
  readonly rip: Ipv4Addr;
  readonly weight: number;
  readonly maxcon: number;
  readonly enabled: boolean;
  /** Health per real port (absent: not checked, counted up). */
  readonly health = new Map<number, HealthCheck>();
  constructor(
    readonly cfg: RealCfg,
    readonly counters: SessionCounters,
    private readonly sw: L4Switch,
  ) {
    this.id = cfg.id;
    this.rip = cfg.rip;
    this.weight = cfg.weight;
    this.maxcon = cfg.maxcon;
    this.enabled = cfg.enabled;
  }
  available(port: number): boolean {
    if (!this.enabled || this.sw.operDisabled.has(this.id) || this.counters.current >= this.maxcon) return false;
    const h = this.health.get(port);
    return h === undefined || h.up;
  }
}

class GroupRt {
  readonly selector: Selector;
  constructor(
    readonly cfg: GroupCfg,
    readonly members: RealRt[],
    readonly counters: SessionCounters[],
    readonly backup: RealRt | null,
    readonly backupCounters: SessionCounters | null,
  ) {
    this.selector = new Selector(cfg.metric, members);
  }
}

class ServiceRt {
  readonly rport: number;
  readonly tmout: Nanos;
  readonly label: string;
  constructor(
    readonly virt: VirtCfg,
    readonly svc: ServiceCfg,
    readonly group: GroupRt,
    /** Per group member: the virt's counters for that real. */
    readonly virtCounters: SessionCounters[],
    readonly backupVirtCounters: SessionCounters | null,
  ) {
    this.rport = effectiveRport(svc);
    this.tmout = sec(svc.tmout * 60);
    this.label = serviceLabel(svc.vport);
  }
}

/** One SLB session: the conntrack entry's meta. */
export class SlbSession {
  open = true;
  constructor(
    readonly service: ServiceRt,
    readonly real: RealRt,
    readonly rc: SessionCounters,
    readonly gc: SessionCounters,
    readonly vc: SessionCounters,
    readonly tmout: Nanos,
  ) {}
  get virt(): number {
    return this.service.virt.id;
  }
  get realId(): number {
    return this.real.id;
  }
}

function svcKey(port: number, proto: number): number {
  return port * 2 + (proto === IPPROTO_UDP ? 1 : 0);
}

function getOr<K, V>(m: Map<K, V>, k: K, mk: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = mk();
    m.set(k, v);
  }
  return v;
}

export class L4Switch extends Node implements SlbRuntime {
  readonly outside: Interface;
  readonly inside: Interface;
  readonly stack: Stack;
  readonly cli: AlteonCli;
  /** `/stats/slb/maint` counters. */
  readonly maintC = new SlbMaintCounters();
  /** Reals taken out with `/oper/slb/dis` (not part of the configuration). */
  readonly operDisabled = new Set<number>();
  routeOutsideToInside: boolean;

  private cfg: SlbConfig | null = null;
  private slbOn = false;
  /** Enabled VIPs → services by svcKey. */
  private vips = new Map<Ipv4Addr, { virt: VirtCfg; services: Map<number, ServiceRt> }>();
  private disabledVips = new Set<Ipv4Addr>();
  private ownedVips = new Set<Ipv4Addr>();
  private reals = new Map<number, RealRt>();
  private readonly realCounters = new Map<number, SessionCounters>();
  private readonly groupCounters = new Map<number, Map<number, SessionCounters>>();
  private readonly virtCounters = new Map<number, Map<number, SessionCounters>>();
  private checks: HealthCheck[] = [];
  private readonly checksByEcho = new Map<number, HealthCheck>();
  private nextEchoId = 0x4100;
  /** Health check failures per real since the stats were cleared (kept across re-applies). */
  private readonly hcBase = new Map<number, number>();

  constructor(network: Network, name: string, opts: L4SwitchOptions) {
    super(network, name, { ...opts, ipForwarding: true });
    this.routeOutsideToInside = opts.routeOutsideToInside ?? false;
    this.outside = this.addInterface('outside', { addresses: opts.outside });
    this.inside = this.addInterface('inside', { addresses: opts.inside });
    const ct = this.enableConntrack({ max: opts.maxSessions });
    this.maintC.maximumSessions = ct.max;
    ct.onDestroyed((e) => {
      const m = e.meta;
      if (m instanceof SlbSession && m.open) this.closeSession(m);
    });
    this.stack = new Stack(this);
    this.hooks.add('prerouting', HookPriority.NAT_DST - 50, this.slbHook, 'slb');
    this.hooks.add('forward', HookPriority.FILTER, this.boundaryHook, 'slb-boundary');
    this.onIcmp((m) => {
      if (m.payload.length < 8) return;
      const id = (m.payload[4]! << 8) | m.payload[5]!;
      this.checksByEcho.get(id)?.icmpReply(m);
    });
    this.cli = new AlteonCli({ runtime: this, epochNs: opts.epochNs, baseMac: this.outside.mac });
  }

  // --- console -------------------------------------------------------------------------------------------

  /** The Alteon CLI, as every console: one line, output to `sink`. */
  exec(line: string, sink?: ShellSink): Execution {
    return this.cli.exec(line, sink);
  }

  /** Types a whole configuration (one command per line), as pasting it into the console. */
  configure(text: string): string {
    return this.cli.execScript(text);
  }

  // --- data plane ----------------------------------------------------------------------------------------

  private readonly slbHook = (ctx: HookContext): Verdict => {
    const e = ctx.ct;
    if (e !== null) {
      const m = e.meta;
      if (m instanceof SlbSession) {
        const len = ctx.ip.totalLen;
        m.rc.octets += len;
        m.gc.octets += len;
        m.vc.octets += len;
        if (m.open) {
          if (e.protocol === IPPROTO_TCP) {
            const st = e.tcpState;
            if (st === TCP_ESTABLISHED) e.expires = this.sched.now + m.tmout;
            else if (st === TCP_TIME_WAIT || st === TCP_CLOSE) this.closeSession(m);
          } else {
            e.expires = this.sched.now + m.tmout;
          }
        }
        return 'accept';
      }
    }
    if (!this.slbOn) return 'accept';
    const dst = ctx.ip.dst;
    const vr = this.vips.get(dst);
    if (vr === undefined) {
      if (this.disabledVips.has(dst) && (ctx.protocol === IPPROTO_TCP || ctx.protocol === IPPROTO_UDP)) {
        this.maintC.incorrectVips++;
        ctx.note(`${ipv4ToString(dst)} is a disabled virtual server: dropped`);
        return ctx.drop('slb-incorrect-vip');
      }
      return 'accept';
    }
    const proto = ctx.protocol;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return 'accept';
    const dport = ctx.dstPort;
    const svc = vr.services.get(svcKey(dport, proto));
    if (svc === undefined) {
      this.maintC.incorrectVports++;
      ctx.note(`virt ${vr.virt.id}: no service on ${proto === IPPROTO_TCP ? 'TCP' : 'UDP'} port ${dport}: dropped`);
      return ctx.drop('slb-incorrect-vport');
    }
    if (proto === IPPROTO_UDP) this.maintC.udpDatagrams++;
    if (e === null || !ctx.ctNew || ctx.ctDir !== 0) return this.noSession(ctx, vr.virt.id, svc);
    if (proto === IPPROTO_TCP) {
      const flags = ctx.ip.buf[ctx.ip.off + ctx.l4Offset + 13]!;
      if ((flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST | TcpFlag.FIN)) !== TcpFlag.SYN) return this.noSession(ctx, vr.virt.id, svc);
    }
    return this.newSession(ctx, e, svc);
  };

  /** A packet to a service that is not the start of a flow and has no session. */
  private noSession(ctx: HookContext, virt: number, svc: ServiceRt): Verdict {
    let what = 'no session';
    if (ctx.protocol === IPPROTO_TCP) {
      const flags = ctx.ip.buf[ctx.ip.off + ctx.l4Offset + 13]!;
      if (flags & TcpFlag.RST) {
        this.maintC.invalidResetPacketDrops++;
        what = 'RST with no session';
      } else if (flags & TcpFlag.FIN) {
        this.maintC.outOfStateFinPktDrops++;
        what = 'FIN with no session';
      } else if ((flags & 0x3f) === 0) {
        this.maintC.noTcpControlBits++;
        what = 'no TCP control bits';
      } else {
        this.maintC.discardFrames++;
        what = 'mid-flow segment with no session';
      }
    } else this.maintC.discardFrames++;
    ctx.note(`virt ${virt} service ${svc.label}: ${what}: dropped`);
    return ctx.drop('slb-no-session');
  }

  private newSession(ctx: HookContext, e: ConntrackEntry, svc: ServiceRt): Verdict {
    const g = svc.group;
    const client = ctx.ip.src;
    const i = g.selector.select(client, svc.rport);
    let real: RealRt;
    let gc: SessionCounters;
    let vc: SessionCounters;
    let how: string;
    if (i >= 0) {
      real = g.members[i]!;
      gc = g.counters[i]!;
      vc = svc.virtCounters[i]!;
      how = g.cfg.metric;
    } else if (g.backup !== null && g.backup.available(svc.rport)) {
      real = g.backup;
      gc = g.backupCounters!;
      vc = svc.backupVirtCounters!;
      how = 'backup';
      this.maintC.backupServerActivations++;
    } else {
      this.maintC.noAvailableRealServer++;
      ctx.note(`virt ${svc.virt.id} service ${svc.label} → group ${g.cfg.id}: no available real server: dropped`);
      return ctx.drop('slb-no-real');
    }
    e.setDnat(real.rip, svc.rport);
    const s = new SlbSession(svc, real, real.counters, gc, vc, svc.tmout);
    e.meta = s;
    if (e.protocol === IPPROTO_UDP) e.expires = this.sched.now + svc.tmout;
    real.counters.open();
    gc.open();
    vc.open();
    this.maintC.currentSessions++;
    const len = ctx.ip.totalLen;
    real.counters.octets += len;
    gc.octets += len;
    vc.octets += len;
    // Built only when recorded: the text costs more than the rest of the decision.
    if (ctx.tracing) ctx.note(`virt ${svc.virt.id} service ${svc.label} → group ${g.cfg.id} → real ${real.id} (${ipv4ToString(real.rip)}:${svc.rport}) by ${how}`);
    return 'accept';
  }

  private closeSession(s: SlbSession): void {
    s.open = false;
    s.rc.close();
    s.gc.close();
    s.vc.close();
    if (this.maintC.currentSessions > 0) this.maintC.currentSessions--;
  }

  private readonly boundaryHook = (ctx: HookContext): Verdict => {
    if (ctx.inIf !== this.outside || ctx.outIf !== this.inside || this.routeOutsideToInside) return 'accept';
    const e = ctx.ct;
    if (e !== null && (ctx.ctDir === 1 || e.meta instanceof SlbSession)) return 'accept';
    ctx.note(`${ipv4ToString(ctx.ip.dst)} is not a virtual server: the reals are reachable only through a VIP: dropped`);
    return ctx.drop('slb-not-a-vip');
  };

  // --- configuration (SlbRuntime) -------------------------------------------------------------------------

  now(): Nanos {
    return this.sched.now;
  }

  /** Installs an applied configuration: VIPs, groups, services, health checks. */
  apply(cfg: SlbConfig): void {
    this.cfg = cfg;
    this.slbOn = cfg.on;
    // Reals.
    const reals = new Map<number, RealRt>();
    for (const r of cfg.reals.values()) {
      reals.set(r.id, new RealRt(r, getOr(this.realCounters, r.id, () => new SessionCounters()), this));
    }
    this.reals = reals;
    // Groups.
    const groups = new Map<number, GroupRt>();
    for (const g of cfg.groups.values()) {
      const gm = getOr(this.groupCounters, g.id, () => new Map<number, SessionCounters>());
      const members = g.reals.map((id) => reals.get(id)!).filter((r) => r !== undefined);
      const backup = g.backup !== 0 ? (reals.get(g.backup) ?? null) : null;
      groups.set(
        g.id,
        new GroupRt(
          g,
          members,
          members.map((r) => getOr(gm, r.id, () => new SessionCounters())),
          backup,
          backup === null ? null : getOr(gm, backup.id, () => new SessionCounters()),
        ),
      );
    }
    // Virtual servers.
    this.vips = new Map();
    this.disabledVips = new Set();
    for (const v of cfg.virts.values()) {
      if (v.vip === 0) continue;
      if (!v.enabled) {
        this.disabledVips.add(v.vip);
        continue;
      }
      const vm = getOr(this.virtCounters, v.id, () => new Map<number, SessionCounters>());
      const services = new Map<number, ServiceRt>();
      for (const s of v.services.values()) {
        const g = groups.get(s.group);
        if (g === undefined) continue;
        const proto = s.protocol === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
        services.set(
          svcKey(s.vport, proto),
          new ServiceRt(
            v,
            s,
            g,
            g.members.map((r) => getOr(vm, r.id, () => new SessionCounters())),
            g.backup === null ? null : getOr(vm, g.backup.id, () => new SessionCounters()),
          ),
        );
      }
      this.vips.set(v.vip, { virt: v, services });
    }
    // The VIPs live on the outside interface while SLB is on.
    const want = new Set<Ipv4Addr>(cfg.on ? this.vips.keys() : []);
    for (const a of this.ownedVips) if (!want.has(a)) this.outside.removeAddress(a);
    for (const a of want) if (!this.ownedVips.has(a)) this.outside.addAddress({ addr: a, prefix: 32 });
    this.ownedVips = want;
    this.restartHealthChecks(groups);
  }

  private restartHealthChecks(groups: Map<number, GroupRt>): void {
    for (const c of this.checks) {
      this.hcBase.set(c.spec.real, (this.hcBase.get(c.spec.real) ?? 0) + c.failures);
      c.stop();
    }
    this.checks = [];
    this.checksByEcho.clear();
    if (!this.slbOn) return;
    // One check per (real, real port) that an enabled service uses, typed by the first group's health.
    for (const vr of [...this.vips.values()].sort((a, b) => a.virt.id - b.virt.id)) {
      for (const s of [...vr.services.values()].sort((a, b) => a.svc.vport - b.svc.vport)) {
        const g = groups.get(s.group.cfg.id)!;
        const members = g.backup === null ? g.members : [...g.members, g.backup];
        for (const r of members) {
          if (r.health.has(s.rport)) continue;
          const c = new HealthCheck(
            { real: r.id, rip: r.rip, port: s.rport, type: g.cfg.health, content: g.cfg.content, inter: r.cfg.inter, retry: r.cfg.retry, restr: r.cfg.restr },
            this,
            this.stack,
            () => this.inside.primaryAddress,
            this.nextEchoId++ & 0xffff,
            () => {},
          );
          r.health.set(s.rport, c);
          this.checks.push(c);
          this.checksByEcho.set(c.echoId, c);
        }
      }
    }
    for (const c of this.checks) c.start();
  }

  realInfo(id: number): RealRuntimeInfo {
    const r = this.reals.get(id);
    const ports: { port: number; up: boolean }[] = [];
    let failures = this.hcBase.get(id) ?? 0;
    if (r !== undefined) {
      for (const [port, c] of [...r.health].sort((a, b) => a[0] - b[0])) {
        ports.push({ port, up: c.up });
        failures += c.failures;
      }
    }
    const mac = r === undefined ? null : this.inside.arp!.lookup(r.rip);
    return { mac, port: 2, ports, operDisabled: this.operDisabled.has(id), healthFailures: failures };
  }

  realStats(id: number): SessionCounters {
    return getOr(this.realCounters, id, () => new SessionCounters());
  }

  groupStats(group: number, real: number): SessionCounters {
    return getOr(getOr(this.groupCounters, group, () => new Map()), real, () => new SessionCounters());
  }

  virtStats(virt: number, real: number): SessionCounters {
    return getOr(getOr(this.virtCounters, virt, () => new Map()), real, () => new SessionCounters());
  }

  maint(): SlbMaintCounters {
    return this.maintC;
  }

  clearStats(): void {
    for (const c of this.realCounters.values()) c.clear();
    for (const m of this.groupCounters.values()) for (const c of m.values()) c.clear();
    for (const m of this.virtCounters.values()) for (const c of m.values()) c.clear();
    this.maintC.clear();
    this.hcBase.clear();
    for (const c of this.checks) c.failures = 0;
  }

  setOperDisabled(real: number, disabled: boolean): void {
    if (disabled) this.operDisabled.add(real);
    else this.operDisabled.delete(real);
  }

  vipMac(): number {
    return this.outside.mac;
  }

  /** The applied SLB configuration (null before the first apply). */
  get config(): SlbConfig | null {
    return this.cfg;
  }

  /** Whether real `id` is in rotation for real port `port` (enabled, healthy, not disabled by hand). */
  realAvailable(id: number, port: number): boolean {
    return this.reals.get(id)?.available(port) ?? false;
  }

  /** Open SLB sessions (conntrack entries with a session), oldest first. */
  sessions(): { entry: ConntrackEntry; session: SlbSession }[] {
    const out: { entry: ConntrackEntry; session: SlbSession }[] = [];
    for (const e of this.conntrack!.entries()) if (e.meta instanceof SlbSession && e.meta.open) out.push({ entry: e, session: e.meta });
    return out;
  }

  override dispose(): void {
    for (const c of this.checks) c.stop();
    this.checks = [];
    this.stack.dispose();
    super.dispose();
  }
}
