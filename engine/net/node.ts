/**
 * A node is a small Linux: interfaces, ARP caches, a route table, the IPv4 input/forward/output path
 * with the netfilter-like hook chain, optional connection tracking, and the kernel's ICMP behaviour
 * (echo replies, errors per RFC 1812 §4.3, PMTU learning per RFC 1191). Hosts, the L4 switch, ELB
 * nodes, the IGW and appliances are all nodes; they differ by ipForwarding and by what they hook.
 *
 * Packet path (see hooks.ts):
 *   receive → PREROUTING → route → INPUT → (reassembly) → local delivery
 *                               └→ FORWARD → TTL-1 → POSTROUTING → ARP → transmit
 *   sendIp → OUTPUT → route → POSTROUTING → ARP → transmit (local destinations loop back through 'lo')
 *
 * The forwarding path allocates nothing per packet beyond one view over the datagram: the received
 * frame is rewritten in place (MACs, TTL with an RFC 1624 checksum patch) and sent on.
 *
 * Bad input is normal input: every malformed frame or datagram is counted under a drop reason.
 */
import type { TraceEvent } from './trace.ts';
import { IPV4_BROADCAST, inSubnet, ipv4, ipv4ToString, prefixMask, type Ipv4Addr, type MacAddr } from '../wire/addr.ts';
import { setU48, u16, u32 } from '../wire/bytes.ts';
import { internetChecksum } from '../wire/checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, Ethernet } from '../wire/ethernet.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED,
  ICMP_TIMXCEED_INTRANS,
  ICMP_TIMXCEED_REASS,
  ICMP_UNREACH_HOST,
  ICMP_UNREACH_NEEDFRAG,
  ICMP_UNREACH_NET,
  ICMP_UNREACH_PROTOCOL,
  Icmp,
  icmpError,
  icmpErrorAllowed,
  icmpFragNeeded,
  isIcmpErrorType,
} from '../wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, Ipv4, Ipv4View, decrementTtl } from '../wire/ipv4.ts';
import { EMPTY, serialize, serialize3 } from '../wire/layer.ts';
import type { RandomStream } from '../sim/random.ts';
import type { Scheduler } from '../sim/scheduler.ts';
import { sec, type Nanos } from '../sim/time.ts';
import { Conntrack, type ConntrackOptions } from './conntrack.ts';
import { Reassembler, fragmentDatagram } from './fragment.ts';
import { HookChain, HookContext, HookPriority, HOOK_POINTS, P, type PointIndex, type Verdict } from './hooks.ts';
import { Interface, type InterfaceOptions } from './interface.ts';
import type {
  Disposable,
  IcmpErrorDelivery,
  IcmpListener,
  IcmpMessage,
  IpDelivery,
  IpHost,
  IpSendOptions,
  IpSendResult,
  ProtocolHandler,
} from './ip-host.ts';
import { ArpCache, LINUX_ARP_DEFAULTS, type ArpOptions, type NeighbourInfo, type NeighbourOwner, type PendingPacket } from './neighbour.ts';
import type { Network } from './network.ts';
import { Route, RouteTable, parseRouteDst, type RouteSpec } from './route-table.ts';

export interface NodeOptions {
  /** net.ipv4.ip_forward: routers and the L4 switch on, hosts off (default). */
  readonly ipForwarding?: boolean;
  readonly arp?: Partial<ArpOptions>;
  /**
   * net.ipv4.conf.*.arp_ignore: 0 answers ARP for any local address on any interface (Linux's
   * default), 1 only for addresses configured on the receiving interface (default here: VIPs are
   * answered where they are configured).
   */
  readonly arpIgnore?: 0 | 1;
  /** Answer echo requests (net.ipv4.icmp_echo_ignore_all = 0); default true. */
  readonly echoReply?: boolean;
  /** TTL of locally sent datagrams (net.ipv4.ip_default_ttl); default 64. */
  readonly defaultTtl?: number;
}

/** IP-layer counters (a subset of RFC 4293's IP-MIB / `nstat`), plus drops by reason. */
export class NodeCounters {
  inReceives = 0;
  inHdrErrors = 0;
  inAddrErrors = 0;
  inDelivers = 0;
  forwarded = 0;
  outRequests = 0;
  outNoRoutes = 0;
  fragOks = 0;
  fragCreates = 0;
  fragFails = 0;
  reasmOks = 0;
  reasmFails = 0;
  icmpInMsgs = 0;
  icmpOutMsgs = 0;
  readonly drops = new Map<string, number>();
}

interface PathMtu {
  mtu: number;
  expires: Nanos;
}

const HOOK_DROP_REASON = HOOK_POINTS.map((p) => `hook:${p}`);
/** Header placeholder for frames built by this node; MACs are filled in by ARP output. */
const ETH_IPV4 = new Ethernet({ dst: 0, src: 0, etherType: ETHERTYPE_IPV4 });
/** The same, padded to the 60-byte minimum as it is built, for frames that leave on a wire (transmit would copy them to pad). */
const ETH_IPV4_PAD = new Ethernet({ dst: 0, src: 0, etherType: ETHERTYPE_IPV4, pad: true });
const ETH_HLEN = 14;
/** Linux mtu_expires: a learned path MTU is forgotten after 10 minutes. */
const PMTU_EXPIRES = sec(600);
/** Linux uses IPTOS_PREC_INTERNETCONTROL for ICMP errors (icmp_send). */
const TOS_INTERNETCONTROL = 0xc0;

export class Node implements IpHost, NeighbourOwner {
  readonly network: Network;
  readonly name: string;
  readonly sched: Scheduler;
  ipForwarding: boolean;
  arpIgnore: 0 | 1;
  echoReply: boolean;
  defaultTtl: number;
  readonly hooks = new HookChain();
  readonly routeTable = new RouteTable();
  readonly counters = new NodeCounters();
  /** Connection tracking, once enabled. */
  conntrack: Conntrack | null = null;
  readonly lo: Interface;
  readonly arpOptions: ArpOptions;
  private readonly ifs = new Map<string, Interface>();
  private ifList: Interface[] = [];
  private localAddrs = new Set<Ipv4Addr>();
  /** Directed broadcast addresses of the interfaces' subnets (rebuilt with localAddrs). */
  private bcastAddrs = new Set<Ipv4Addr>();
  private readonly handlers: (ProtocolHandler | undefined)[] = new Array(256);
  private icmpListeners: IcmpListener[] = [];
  private readonly ctxPool: HookContext[] = [];
  private readonly viewPool: Ipv4View[] = [];
  private depth = 0;
  private ipId: number;
  private readonly pmtu = new Map<Ipv4Addr, PathMtu>();
  private readonly reasm: Reassembler;
  private ctHooks: Disposable[] = [];
  /** sendIp's reusable datagram header and [Ethernet, IPv4, upper] list (see sendIp). */
  private readonly ipScratch = new Ipv4();
  private ipScratchBusy = false;

  constructor(network: Network, name: string, opts: NodeOptions = {}) {
    this.network = network;
    this.name = name;
    this.sched = network.sched;
    this.ipForwarding = opts.ipForwarding ?? false;
    this.arpIgnore = opts.arpIgnore ?? 1;
    this.echoReply = opts.echoReply ?? true;
    this.defaultTtl = opts.defaultTtl ?? 64;
    this.arpOptions = { ...LINUX_ARP_DEFAULTS, ...(opts.arp ?? {}) };
    this.ipId = this.random('ip-id').u32() & 0xffff;
    this.reasm = new Reassembler(this.sched, (first) => {
      this.counters.reasmFails++;
      this.countDrop('reassembly-timeout');
      if (first !== null) this.sendIcmpError(first, ICMP_TIME_EXCEEDED, ICMP_TIMXCEED_REASS);
    });
    network.registerNode(this);
    this.lo = new Interface(this, 'lo', 0, { addresses: [] }, true);
    this.ifs.set('lo', this.lo);
    this.ifList.push(this.lo);
    this.lo.addAddress('127.0.0.1/8');
  }

  // --- configuration --------------------------------------------------------------------------------

  /** Adds an Ethernet interface; its MAC comes from the network's seeded stream unless given. */
  addInterface(name: string, opts: InterfaceOptions = {}): Interface {
    if (this.ifs.has(name)) throw new Error(`${this.name}: interface ${name} already exists`);
    const iface = new Interface(this, name, opts.mac ?? this.network.newMac(), opts);
    iface.arp = new ArpCache(iface, this, this.arpOptions);
    this.ifs.set(name, iface);
    this.ifList.push(iface);
    for (const a of opts.addresses ?? []) iface.addAddress(a);
    return iface;
  }

  /** The interface called `name` (throws when there is none). */
  iface(name: string): Interface {
    const i = this.ifs.get(name);
    if (i === undefined) throw new Error(`${this.name}: no interface ${name} (have ${[...this.ifs.keys()].join(', ')})`);
    return i;
  }

  findInterface(name: string): Interface | undefined {
    return this.ifs.get(name);
  }

  /** Interfaces, lo first (as `ip link`). */
  interfaces(): readonly Interface[] {
    return this.ifList;
  }

  /** `ip route add`: `{ dst: '10.2.0.0/16', via: '10.0.0.1' }`, `{ dst: 'default', via: '10.0.0.1' }`. */
  addRoute(spec: RouteSpec): Route {
    const { addr, prefix } = parseRouteDst(spec.dst);
    const via = spec.via === undefined ? 0 : typeof spec.via === 'number' ? spec.via : ipv4(spec.via);
    let dev = spec.dev;
    if (dev === undefined) {
      if (via === 0) throw new RangeError(`${this.name}: a route needs 'via' or 'dev'`);
      const r = this.routeTable.lookup(via);
      if (r === null || r.gateway !== 0) throw new RangeError(`Error: Nexthop has invalid gateway. (${this.name}: ${ipv4ToString(via)} is not on a connected network)`);
      dev = r.dev;
    } else this.iface(dev);
    const src = spec.src === undefined ? 0 : typeof spec.src === 'number' ? spec.src : ipv4(spec.src);
    const route = this.routeTable.add(addr, prefix, via, dev, { metric: spec.metric ?? 0, proto: 'boot', src });
    this.refreshRouteState();
    return route;
  }

  /** `ip route del`. */
  deleteRoute(r: Route): boolean {
    return this.routeTable.remove(r);
  }

  /** The route table in `ip route` order; `String(route)` is the `ip route` line. */
  routes(): Route[] {
    return this.routeTable.routes().filter((r) => r.dev !== 'lo');
  }

  /** Every interface's ARP cache (`ip neigh`). */
  neighbours(): NeighbourInfo[] {
    const out: NeighbourInfo[] = [];
    for (const i of this.ifList) if (i.arp) out.push(...i.arp.entries());
    return out;
  }

  /** Turns on connection tracking (and NAT) for this node; calling again returns the same table. */
  enableConntrack(opts: ConntrackOptions = {}): Conntrack {
    if (this.conntrack !== null) return this.conntrack;
    const ct = new Conntrack(this.sched, opts);
    this.conntrack = ct;
    const track = (ctx: HookContext): Verdict => {
      const r = ct.track(ctx.ip, ctx.inIf === null || !ctx.inIf.loopback);
      if (r.drop) return ctx.drop('conntrack-full');
      ctx.ct = r.entry;
      ctx.ctDir = r.dir;
      ctx.ctRelated = r.related;
      return 'accept';
    };
    const natDst = (ctx: HookContext): Verdict => {
      const e = ctx.ct;
      if (e !== null && e.natFlags !== 0) ct.nat(ctx.ip, e, ctx.ctDir, true, ctx.ctRelated);
      return 'accept';
    };
    const natSrc = (ctx: HookContext): Verdict => {
      const e = ctx.ct;
      if (e !== null && e.natFlags !== 0) ct.nat(ctx.ip, e, ctx.ctDir, false, ctx.ctRelated);
      return 'accept';
    };
    this.ctHooks = [
      this.hooks.add('prerouting', HookPriority.CONNTRACK, track, 'conntrack'),
      this.hooks.add('output', HookPriority.CONNTRACK, track, 'conntrack'),
      this.hooks.add('prerouting', HookPriority.NAT_DST, natDst, 'nat-dst'),
      this.hooks.add('output', HookPriority.NAT_DST, natDst, 'nat-dst'),
      this.hooks.add('postrouting', HookPriority.NAT_SRC, natSrc, 'nat-src'),
      this.hooks.add('input', HookPriority.NAT_SRC, natSrc, 'nat-src'),
    ];
    return ct;
  }

  /** Turns connection tracking off and forgets every entry. */
  disableConntrack(): void {
    for (const d of this.ctHooks) d.dispose();
    this.ctHooks = [];
    this.conntrack?.flush();
    this.conntrack = null;
  }

  /** Raw ICMP listener: sees every ICMP message delivered locally. */
  onIcmp(listener: IcmpListener): Disposable {
    this.icmpListeners = [...this.icmpListeners, listener];
    return { dispose: () => void (this.icmpListeners = this.icmpListeners.filter((l) => l !== listener)) };
  }

  /** Counts a drop under `reason` (`nstat`-like; consoles show them). */
  countDrop(reason: string): void {
    const d = this.counters.drops;
    d.set(reason, (d.get(reason) ?? 0) + 1);
  }

  // --- IpHost -----------------------------------------------------------------------------------------

  random(purpose: string): RandomStream {
    return this.network.random.stream(`${this.name}/${purpose}`);
  }

  bindProtocol(protocol: number, handler: ProtocolHandler): Disposable {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new RangeError(`IP protocol ${protocol} is not in 0..255`);
    if (this.handlers[protocol] !== undefined) throw new Error(`${this.name}: IP protocol ${protocol} is already bound`);
    this.handlers[protocol] = handler;
    return {
      dispose: () => {
        if (this.handlers[protocol] === handler) this.handlers[protocol] = undefined;
      },
    };
  }

  isLocalAddress(a: Ipv4Addr): boolean {
    return this.localAddrs.has(a) || a >>> 24 === 127;
  }

  sourceAddressFor(dst: Ipv4Addr): Ipv4Addr | null {
    dst >>>= 0;
    if (this.isLocalAddress(dst)) return dst;
    const r = this.lookupRoute(dst);
    if (r === null) return null;
    const s = this.selectSource(r, dst);
    return s === 0 ? null : s;
  }

  mtuFor(dst: Ipv4Addr): number {
    dst >>>= 0;
    if (this.isLocalAddress(dst)) return this.lo.mtu;
    const r = this.lookupRoute(dst);
    if (r === null) return 0;
    let mtu = r.iface?.mtu ?? 0;
    const p = this.pmtu.get(dst);
    if (p !== undefined) {
      if (p.expires <= this.sched.now) this.pmtu.delete(dst);
      else if (p.mtu < mtu) mtu = p.mtu;
    }
    return mtu;
  }

  /** Builds and sends an IPv4 datagram from this node (socket output). */
  sendIp(o: IpSendOptions): IpSendResult {
    const dst = o.dst >>> 0;
    let src = o.src;
    if (src === undefined) {
      const s = this.sourceAddressFor(dst);
      if (s === null && dst !== IPV4_BROADCAST) {
        this.counters.outNoRoutes++;
        this.countDrop('no-route');
        return 'no-route';
      }
      src = s ?? 0;
    }
    const tos = o.tos ?? 0;
    // One Ipv4 value and one layer list per node, refilled per datagram: serialize keeps neither, and
    // every field emitHeader reads is set here (a nested call, which nothing does today, gets fresh ones).
    const nested = this.ipScratchBusy;
    const ip = nested ? new Ipv4() : this.ipScratch;
    ip.id = this.nextIpId();
    ip.ttl = o.ttl ?? this.defaultTtl;
    ip.protocol = o.protocol;
    ip.src = src >>> 0;
    ip.dst = dst;
    ip.df = o.df ?? o.protocol === IPPROTO_TCP;
    ip.dscp = tos >>> 2;
    ip.ecn = tos & 3;
    let payload = o.payload;
    if (payload === undefined) {
      const inner = o.upper[o.upper.length - 1] as { payload?: unknown } | undefined;
      payload = inner !== undefined && inner.payload instanceof Uint8Array ? inner.payload : EMPTY;
    }
    // Loopback frames stay unpadded, as Linux's lo carries them.
    const eth = this.isLocalAddress(dst) ? ETH_IPV4 : ETH_IPV4_PAD;
    let frame: Uint8Array;
    if (nested) {
      frame = serialize([eth, ip, ...o.upper], payload);
    } else {
      this.ipScratchBusy = true;
      try {
        frame = o.upper.length === 1 ? serialize3(eth, ip, o.upper[0]!, payload) : serialize([eth, ip, ...o.upper], payload);
      } finally {
        this.ipScratchBusy = false;
      }
    }
    return this.output(frame, o.note);
  }

  /**
   * Sends a prebuilt IPv4 datagram (header first, checksums done) through the output path: OUTPUT
   * hooks, routing, POSTROUTING, ARP. For devices that build or re-inject packets themselves.
   */
  sendDatagram(datagram: Uint8Array, note?: string): IpSendResult {
    const frame = new Uint8Array(ETH_HLEN + datagram.length);
    frame[12] = ETHERTYPE_IPV4 >> 8;
    frame[13] = ETHERTYPE_IPV4 & 0xff;
    frame.set(datagram, ETH_HLEN);
    return this.output(frame, note);
  }

  /**
   * Sends an ICMP error about `original` (a datagram this node received or was forwarding, header
   * first). Follows RFC 1812 §4.3.2.7: nothing about ICMP errors, non-first fragments, broadcast or
   * multicast destinations, or sources that are not a single host. The quote keeps the error within
   * 576 bytes (RFC 1812 §4.3.2.3). Returns whether an error was sent.
   */
  sendIcmpError(original: Uint8Array, type: number, code: number, mtu?: number): boolean {
    if (!icmpErrorAllowed(original)) return false;
    const osrc = u32(original, 12);
    const odst = u32(original, 16);
    if (this.isBroadcast(odst) || this.isBroadcast(osrc)) return false;
    // Linux icmp_send: the original destination when it was ours, else the address routing picks.
    const src = this.isLocalAddress(odst) && odst >>> 24 !== 127 ? odst : this.sourceAddressFor(osrc);
    if (src === null) return false;
    const icmp = type === ICMP_DEST_UNREACH && code === ICMP_UNREACH_NEEDFRAG ? icmpFragNeeded(original, mtu ?? 0) : icmpError(type, code, original, { rest: mtu ?? 0 });
    this.counters.icmpOutMsgs++;
    const r = this.sendIp({ dst: osrc, src, protocol: IPPROTO_ICMP, upper: [icmp], payload: icmp.payload, tos: TOS_INTERNETCONTROL, df: false });
    return r === 'sent' || r === 'queued';
  }

  // --- receive path ------------------------------------------------------------------------------------

  /** @internal A frame accepted by `iface` (addressed to it, broadcast or multicast). */
  receiveFrame(iface: Interface, frame: Uint8Array, traced?: TraceEvent): void {
    const et = (frame[12]! << 8) | frame[13]!;
    if (et === ETHERTYPE_IPV4) this.ipInput(iface, frame, traced);
    else if (et === ETHERTYPE_ARP && iface.arp !== null) {
      const unicast = (frame[0]! & 1) === 0;
      iface.arp.input(frame.subarray(ETH_HLEN), unicast);
    } else {
      iface.counters.drop(et === 0x8100 || et === 0x88a8 ? 'vlan-tagged' : 'unknown-ethertype', 'rx');
    }
  }

  private ipInput(inIf: Interface, frame: Uint8Array, traced: TraceEvent | undefined): void {
    const c = this.counters;
    c.inReceives++;
    // Ethernet padding after Total Length is not part of the datagram: cut it before the view is
    // made (checkLen passes or fails alike on the cut bytes).
    let end = frame.length;
    if (end >= ETH_HLEN + 4) {
      const total = (frame[ETH_HLEN + 2]! << 8) | frame[ETH_HLEN + 3]!;
      if (ETH_HLEN + total < end) end = ETH_HLEN + total;
    }
    let ip = this.view(frame, ETH_HLEN, end);
    if (ip.checkLen() !== null) {
      c.inHdrErrors++;
      this.countDrop('ip-malformed');
      return;
    }
    if (!ip.verifyChecksum()) {
      c.inHdrErrors++;
      this.countDrop('ip-checksum');
      return;
    }
    const src = ip.src;
    if (src >>> 28 === 0xe || src === IPV4_BROADCAST) {
      c.inAddrErrors++;
      this.countDrop('martian-source');
      return;
    }
    const ctx = this.enter(frame, ip, inIf);
    try {
      if (this.hooks.fns[P.PRE]!.length !== 0) {
        const v = this.hooks.run(P.PRE, ctx);
        if (v !== 'accept') return this.verdictEnd(ctx, v, P.PRE);
      }
      ip = ctx.ip;
      const dst = ip.dst;
      if (this.localAddrs.has(dst) || this.isBroadcast(dst) || (inIf.loopback && dst >>> 24 === 127)) {
        this.localIn(ctx);
        return;
      }
      if ((frame[0]! & 1) !== 0) {
        // Link-layer broadcast/multicast carrying someone else's unicast address: never forwarded.
        this.countDrop('not-for-host');
        return;
      }
      if (!this.ipForwarding) {
        c.inAddrErrors++;
        this.countDrop('not-forwarding');
        return;
      }
      this.forward(ctx);
    } finally {
      // The hooks' decision becomes the received frame's capture comment too (trace.ts).
      if (traced !== undefined) {
        let n = ctx.notes;
        if (ctx.dropReason !== undefined) n = n === undefined ? `dropped: ${ctx.dropReason}` : `${n}; dropped: ${ctx.dropReason}`;
        if (n !== undefined) traced.note = n;
      }
      this.depth--;
    }
  }

  private forward(ctx: HookContext): void {
    const ip = ctx.ip;
    const dst = ip.dst;
    const route = this.lookupRoute(dst);
    if (route === null) {
      this.counters.outNoRoutes++;
      this.countDrop('no-route');
      this.sendIcmpError(ip.bytes, ICMP_DEST_UNREACH, ICMP_UNREACH_NET);
      return;
    }
    const outIf = route.iface!;
    // RFC 1812 §5.3.1: a datagram whose TTL would reach 0 is discarded with ICMP time exceeded.
    if (ip.ttl <= 1) {
      this.countDrop('ttl-exceeded');
      this.sendIcmpError(ip.bytes, ICMP_TIME_EXCEEDED, ICMP_TIMXCEED_INTRANS);
      return;
    }
    if (ip.totalLen > outIf.mtu && ip.df) {
      // RFC 1191 §4: report the next-hop MTU.
      this.counters.fragFails++;
      this.countDrop('frag-needed');
      this.sendIcmpError(ip.bytes, ICMP_DEST_UNREACH, ICMP_UNREACH_NEEDFRAG, outIf.mtu);
      return;
    }
    ctx.outIf = outIf;
    ctx.nexthop = route.gateway !== 0 ? route.gateway : dst;
    if (this.hooks.fns[P.FWD]!.length !== 0) {
      const v = this.hooks.run(P.FWD, ctx);
      if (v !== 'accept') return this.verdictEnd(ctx, v, P.FWD);
    }
    decrementTtl(ctx.ip);
    this.counters.forwarded++;
    this.postrouting(ctx);
  }

  private localIn(ctx: HookContext): void {
    let ip = ctx.ip;
    if (ip.isFragment) {
      // Reassembly before INPUT, as ip_local_deliver does.
      const whole = this.reasm.add(ip.bytes);
      if (whole === null) return;
      this.counters.reasmOks++;
      const frame = new Uint8Array(ETH_HLEN + whole.length);
      frame.set(ctx.frame.subarray(0, ETH_HLEN));
      frame.set(whole, ETH_HLEN);
      ip = new Ipv4View(frame, ETH_HLEN);
      ctx.frame = frame;
      ctx.ip = ip;
    }
    if (this.hooks.fns[P.IN]!.length !== 0) {
      const v = this.hooks.run(P.IN, ctx);
      if (v !== 'accept') return this.verdictEnd(ctx, v, P.IN);
    }
    const ct = ctx.ct;
    if (ct !== null && !ct.confirmed) this.conntrack?.confirm(ct);
    this.deliver(ctx.inIf!, ctx.ip);
  }

  /** One delivery value reused for every received datagram; a nested delivery gets a fresh one. */
  private readonly rxd = new RxDelivery();
  private rxdBusy = false;

  private deliver(inIf: Interface, ip: Ipv4View): void {
    const nested = this.rxdBusy;
    const d = nested ? new RxDelivery() : this.rxd;
    d.fill(inIf.name, ip);
    if (nested) {
      this.deliverTo(d);
      return;
    }
    this.rxdBusy = true;
    try {
      this.deliverTo(d);
    } finally {
      this.rxdBusy = false;
      d.clear(); // do not keep the frame alive until the next delivery
    }
  }

  private deliverTo(d: IpDelivery): void {
    const proto = d.protocol;
    this.counters.inDelivers++;
    if (proto === IPPROTO_ICMP) {
      this.icmpInput(d);
      return;
    }
    const h = this.handlers[proto];
    if (h !== undefined) {
      h.onPacket(d);
      return;
    }
    this.countDrop('no-protocol');
    if (!this.isBroadcast(d.dst)) this.sendIcmpError(d.datagram, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTOCOL);
  }

  private icmpInput(d: IpDelivery): void {
    const m = d.payload;
    if (m.length < 8) {
      this.countDrop('icmp-malformed');
      return;
    }
    if (internetChecksum(m) !== 0) {
      this.countDrop('icmp-checksum');
      return;
    }
    this.counters.icmpInMsgs++;
    const type = m[0]!;
    const code = m[1]!;
    const ls = this.icmpListeners;
    if (ls.length > 0) {
      const msg: IcmpMessage = {
        ifname: d.ifname,
        src: d.src,
        dst: d.dst,
        protocol: d.protocol,
        ttl: d.ttl,
        datagram: d.datagram,
        payload: m,
        buf: d.buf,
        payloadOff: d.payloadOff,
        end: d.end,
        type,
        code,
      };
      for (let i = 0; i < ls.length; i++) ls[i]!(msg);
    }
    if (type === ICMP_ECHO_REQUEST) {
      // net.ipv4.icmp_echo_ignore_broadcasts = 1 (Linux default): broadcasts are not answered.
      if (this.echoReply && !this.isBroadcast(d.dst)) {
        const reply = new Icmp({ type: ICMP_ECHO_REPLY, code: 0, rest: u32(m, 4), payload: m.subarray(8) });
        this.counters.icmpOutMsgs++;
        this.sendIp({ dst: d.src, src: d.dst, protocol: IPPROTO_ICMP, upper: [reply], payload: reply.payload, tos: d.datagram[1]! });
      }
    } else if (isIcmpErrorType(type) && m.length >= 8 + 20) {
      const q = m.subarray(8);
      const qhl = (q[0]! & 0x0f) << 2;
      if (q[0]! >>> 4 === 4 && qhl >= 20 && q.length >= qhl) {
        const quotedDst = u32(q, 16);
        const mtu = type === ICMP_DEST_UNREACH && code === ICMP_UNREACH_NEEDFRAG ? u16(m, 6) : undefined;
        if (mtu !== undefined && mtu >= 68) this.learnPmtu(quotedDst, mtu);
        const qp = q[9]!;
        const h = this.handlers[qp];
        if (h?.onIcmpError && qp !== IPPROTO_ICMP) {
          const e: IcmpErrorDelivery = {
            from: d.src,
            type,
            code,
            mtu,
            quotedSrc: u32(q, 12),
            quotedDst,
            quotedProtocol: qp,
            quotedPayload: q.subarray(qhl),
            ttl: d.ttl,
          };
          h.onIcmpError(e);
        }
      }
    }
    this.handlers[IPPROTO_ICMP]?.onPacket(d);
  }

  private learnPmtu(dst: Ipv4Addr, mtu: number): void {
    const cur = this.mtuFor(dst);
    if (cur !== 0 && mtu >= cur) return;
    this.pmtu.set(dst, { mtu, expires: this.sched.now + PMTU_EXPIRES });
  }

  // --- output path -----------------------------------------------------------------------------------

  private output(frame: Uint8Array, note: string | undefined): IpSendResult {
    const ip = this.view(frame, ETH_HLEN, frame.length);
    this.counters.outRequests++;
    const ctx = this.enter(frame, ip, null);
    ctx.notes = note;
    try {
      if (this.hooks.fns[P.OUT]!.length !== 0) {
        const v = this.hooks.run(P.OUT, ctx);
        if (v !== 'accept') return this.verdictEnd(ctx, v, P.OUT) ?? (v === 'stolen' ? 'sent' : 'dropped');
      }
      const dst = ctx.ip.dst;
      if (this.isLocalAddress(dst)) {
        ctx.outIf = this.lo;
        ctx.nexthop = dst;
      } else {
        const route = this.lookupRoute(dst);
        if (route === null) {
          if (dst !== IPV4_BROADCAST) {
            this.counters.outNoRoutes++;
            this.countDrop('no-route');
            return 'no-route';
          }
          const first = this.ifList.find((i) => !i.loopback && i.up && i.addresses.length > 0);
          if (first === undefined) return 'no-route';
          ctx.outIf = first;
        } else ctx.outIf = route.iface!;
        ctx.nexthop = route !== null && route.gateway !== 0 ? route.gateway : dst;
      }
      // The route's MTU includes a learned path MTU (RFC 1191), as Linux's dst_mtu does.
      let mtu = ctx.outIf.mtu;
      if (this.pmtu.size !== 0) {
        const p = this.pmtu.get(dst);
        if (p !== undefined && p.expires > this.sched.now && p.mtu < mtu) mtu = p.mtu;
      }
      if (ctx.ip.totalLen > mtu && ctx.ip.df) {
        // EMSGSIZE: the sender learns the MTU from mtuFor (TCP sizes segments by it).
        this.counters.fragFails++;
        this.countDrop('too-big');
        return 'too-big';
      }
      return this.postrouting(ctx, mtu);
    } finally {
      this.depth--;
    }
  }

  /** POSTROUTING, conntrack confirmation, then fragmentation if needed and neighbour output. */
  private postrouting(ctx: HookContext, mtu: number = ctx.outIf!.mtu): IpSendResult {
    if (this.hooks.fns[P.POST]!.length !== 0) {
      const v = this.hooks.run(P.POST, ctx);
      if (v !== 'accept') return this.verdictEnd(ctx, v, P.POST) ?? (v === 'stolen' ? 'sent' : 'dropped');
    }
    const ct = ctx.ct;
    if (ct !== null && !ct.confirmed) this.conntrack?.confirm(ct);
    const outIf = ctx.outIf!;
    const ip = ctx.ip;
    if (ip.totalLen > mtu) {
      const frags = fragmentDatagram(ip.bytes, mtu);
      if (frags === null) {
        this.counters.fragFails++;
        this.countDrop('frag-failed');
        return 'dropped';
      }
      this.counters.fragOks++;
      this.counters.fragCreates += frags.length;
      let r: IpSendResult = 'sent';
      for (const f of frags) {
        const frame = new Uint8Array(ETH_HLEN + f.length);
        frame[12] = ETHERTYPE_IPV4 >> 8;
        frame[13] = ETHERTYPE_IPV4 & 0xff;
        frame.set(f, ETH_HLEN);
        r = this.neighOutput(outIf, ctx.nexthop, frame, ip.dst, ctx.notes);
      }
      return r;
    }
    return this.neighOutput(outIf, ctx.nexthop, ctx.frame, ip.dst, ctx.notes);
  }

  private neighOutput(outIf: Interface, nexthop: Ipv4Addr, frame: Uint8Array, dst: Ipv4Addr, note: string | undefined): IpSendResult {
    if (outIf.loopback) {
      setU48(frame, 0, 0);
      setU48(frame, 6, 0);
      return outIf.transmit(frame, note) ? 'sent' : 'dropped';
    }
    if (dst === IPV4_BROADCAST || outIf.isBroadcastFor(dst)) {
      setU48(frame, 0, 0xffff_ffff_ffff);
      setU48(frame, 6, outIf.mac);
      return outIf.transmit(frame, note) ? 'sent' : 'dropped';
    }
    return outIf.arp!.output(nexthop, frame, note);
  }

  /** @internal ARP gave up: each waiting packet is reported to its source (arp_error_report). */
  neighbourFailed(_iface: Interface, _ip: Ipv4Addr, dropped: readonly PendingPacket[]): void {
    for (const p of dropped) {
      this.countDrop('arp-failed');
      const dg = p.frame.subarray(ETH_HLEN);
      if (dg.length >= 20) this.sendIcmpError(dg.subarray(0, Math.min(dg.length, u16(dg, 2))), ICMP_DEST_UNREACH, ICMP_UNREACH_HOST);
    }
  }

  /** @internal */
  answersArpFor(iface: Interface, ip: Ipv4Addr): boolean {
    if (iface.hasAddress(ip)) return true;
    return this.arpIgnore === 0 && this.localAddrs.has(ip) && ip >>> 24 !== 127;
  }

  // --- helpers ----------------------------------------------------------------------------------------

  /**
   * The view for a datagram entering the path at the current depth: one per depth, reused, since a
   * view lives only while its packet is being handled (hooks must not keep ctx.ip).
   */
  private view(frame: Uint8Array, off: number, end: number): Ipv4View {
    const d = this.depth;
    let v = this.viewPool[d];
    if (v === undefined) {
      v = new Ipv4View(frame, off, end);
      this.viewPool[d] = v;
      return v;
    }
    return v.reset(frame, off, end);
  }

  private enter(frame: Uint8Array, ip: Ipv4View, inIf: Interface | null): HookContext {
    const d = this.depth++;
    let ctx = this.ctxPool[d];
    if (ctx === undefined) {
      ctx = new HookContext(this);
      this.ctxPool[d] = ctx;
    }
    ctx.reset(frame, ip, inIf);
    return ctx;
  }

  /** Counts a non-accept verdict. Returns the send result for output paths ('dropped'/'sent'). */
  private verdictEnd(ctx: HookContext, v: Verdict, point: PointIndex): undefined {
    if (v === 'drop') this.countDrop(ctx.dropReason ?? HOOK_DROP_REASON[point]!);
    return undefined;
  }

  private isBroadcast(a: Ipv4Addr): boolean {
    return a === IPV4_BROADCAST || this.bcastAddrs.has(a);
  }

  private lookupRoute(dst: Ipv4Addr): Route | null {
    return this.routeTable.lookup(dst);
  }

  /** RFC 1122 §3.3.4.3 / Linux inet_select_addr: the route's src, else an address of the out interface on the next hop's subnet. */
  private selectSource(r: Route, dst: Ipv4Addr): Ipv4Addr {
    if (r.src !== 0) return r.src;
    const i = this.ifs.get(r.dev);
    if (i === undefined) return 0;
    const nh = r.gateway !== 0 ? r.gateway : dst;
    for (const a of i.addresses) if (!a.secondary && a.prefix < 32 && inSubnet(nh, a.addr, a.prefix)) return a.addr;
    if (i.primaryAddress !== 0) return i.primaryAddress;
    for (const j of this.ifList) if (!j.loopback && j.primaryAddress !== 0) return j.primaryAddress;
    return 0;
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** @internal An interface's addresses or admin state changed: local addresses and connected routes follow. */
  interfaceChanged(iface: Interface): void {
    const local = new Set<Ipv4Addr>();
    const bcast = new Set<Ipv4Addr>();
    const all = this.ifList.includes(iface) ? this.ifList : [...this.ifList, iface];
    for (const i of all) {
      for (const a of i.addresses) {
        local.add(a.addr);
        if (a.broadcast !== 0) bcast.add(a.broadcast);
      }
    }
    this.localAddrs = local;
    this.bcastAddrs = bcast;
    this.routeTable.removeWhere((r) => r.proto === 'kernel');
    for (const i of this.ifList) {
      if (!i.up || i.loopback) continue;
      for (const a of i.addresses) {
        if (a.prefix >= 32) continue;
        this.routeTable.add((a.addr & prefixMask(a.prefix)) >>> 0, a.prefix, 0, i.name, { proto: 'kernel', src: a.addr });
      }
    }
    if (!iface.up) iface.arp?.flushAll();
    this.refreshRouteState();
  }

  /** Routes through an interface that is down are kept but unusable (Linux marks them dead/linkdown). */
  private refreshRouteState(): void {
    for (const r of this.routeTable.routes()) {
      r.iface = this.ifs.get(r.dev) ?? null;
      r.dead = !(r.iface?.up ?? false);
    }
    this.routeTable.version++;
  }

  /** @internal Network.dispose. */
  dispose(): void {
    this.reasm.clear();
    this.conntrack?.flush();
    for (const i of this.ifList) i.arp?.flushAll();
  }

  toString(): string {
    return `node ${this.name}${this.ipForwarding ? ' (forwarding)' : ''}: ${this.ifList
      .filter((i) => !i.loopback)
      .map((i) => `${i.name} ${i.addresses.map((a) => `${ipv4ToString(a.addr)}/${a.prefix}`).join(',')}`)
      .join('; ')}`;
  }
}

export type { MacAddr };

/**
 * A received datagram as handed to a protocol handler: fields read from the view once, `datagram` and
 * `payload` made only when a handler asks (TCP reads `buf[payloadOff, end)` and never does).
 */
class RxDelivery implements IpDelivery {
  ifname = '';
  src: Ipv4Addr = 0;
  dst: Ipv4Addr = 0;
  protocol = 0;
  ttl = 0;
  buf: Uint8Array = EMPTY;
  off = 0;
  payloadOff = 0;
  end = 0;
  private dg: Uint8Array | null = null;
  private pl: Uint8Array | null = null;

  fill(ifname: string, ip: Ipv4View): void {
    this.ifname = ifname;
    this.src = ip.src;
    this.dst = ip.dst;
    this.protocol = ip.protocol;
    this.ttl = ip.ttl;
    this.buf = ip.buf;
    this.off = ip.off;
    this.payloadOff = ip.payloadOffset;
    this.end = ip.end;
    this.dg = null;
    this.pl = null;
  }

  clear(): void {
    this.buf = EMPTY;
    this.off = this.payloadOff = this.end = 0;
    this.dg = this.pl = null;
  }

  get datagram(): Uint8Array {
    let d = this.dg;
    if (d === null) d = this.dg = this.buf.subarray(this.off, this.end);
    return d;
  }

  get payload(): Uint8Array {
    let p = this.pl;
    if (p === null) p = this.pl = this.buf.subarray(this.payloadOff, this.end);
    return p;
  }
}
