/**
 * Test fixture for engine/stack: fake IpHosts joined by a simulated wire with one-way delay, seeded
 * loss, optional bandwidth and MTU, in virtual time. It implements only the IpHost seam, so transport
 * tests do not depend on engine/net. IPv4 and ICMP bytes are built with engine/wire's codecs.
 *
 * A `RawPeer` takes protocol 6 on a host instead of a TcpLayer: it records every segment it gets and
 * injects hand-made segments (packetdrill style), for state-by-state tests.
 */
import type {
  Disposable,
  IcmpErrorDelivery,
  IpDelivery,
  IpHost,
  IpSendOptions,
  IpSendResult,
  ProtocolHandler,
} from '../../../engine/net/ip-host.ts';
import { Random, type RandomStream } from '../../../engine/sim/random.ts';
import { Scheduler } from '../../../engine/sim/scheduler.ts';
import { type Ipv4Addr, ipv4, ipv4ToString } from '../../../engine/wire/addr.ts';
import { ICMP_DEST_UNREACH, Icmp, icmpFragNeeded, isIcmpErrorType, parseIcmp } from '../../../engine/wire/icmp.ts';
import { Ipv4, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Tcp, TcpFlag, parseTcp } from '../../../engine/wire/tcp.ts';

export const MS = 1_000_000;
export const SEC = 1_000_000_000;

/** One datagram seen on the wire. */
export interface WireRecord {
  readonly time: number;
  readonly from: string;
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
  readonly protocol: number;
  readonly datagram: Uint8Array;
  readonly dropped: boolean;
}

export interface WireOptions {
  /** One-way delay, ns. */
  delay?: number;
  /** Loss probability per datagram (seeded). */
  loss?: number;
  /** Bits per second (serialization delay with a FIFO per direction); 0 = unlimited. */
  rate?: number;
  /** Path MTU: larger DF datagrams are dropped and answered with ICMP frag-needed. */
  mtu?: number;
  /** Keep a record of every datagram (for traces). */
  record?: boolean;
}

/** A shared medium: delivers by destination address after the delay. */
export class Wire {
  readonly hosts = new Map<Ipv4Addr, FakeHost>();
  readonly log: WireRecord[] = [];
  delay: number;
  loss: number;
  rate: number;
  mtu: number;
  record: boolean;
  /** Return true to drop this datagram (tests pick specific segments). */
  dropIf: ((d: Uint8Array, from: FakeHost) => boolean) | null = null;
  /** Called for every datagram that enters the wire. */
  onDatagram: ((r: WireRecord) => void) | null = null;
  private readonly lossRng: RandomStream;
  private readonly busyUntil = new Map<FakeHost, number>();
  sent = 0;
  lost = 0;

  constructor(
    readonly sched: Scheduler,
    readonly random: Random,
    o: WireOptions = {},
  ) {
    this.delay = o.delay ?? 1 * MS;
    this.loss = o.loss ?? 0;
    this.rate = o.rate ?? 0;
    this.mtu = o.mtu ?? 0;
    this.record = o.record ?? false;
    this.lossRng = random.stream('wire/loss');
  }

  attach(h: FakeHost): void {
    this.hosts.set(h.addr, h);
  }

  transmit(from: FakeHost, ip: Ipv4, dg: Uint8Array): IpSendResult {
    const to = this.hosts.get(ip.dst);
    if (to === undefined) return 'no-route';
    this.sent++;
    let dropped = false;
    if (this.mtu > 0 && dg.length > this.mtu) {
      if (ip.df) {
        // Router on the path answers "fragmentation needed" (RFC 1191).
        const err = icmpFragNeeded(dg, this.mtu);
        const reply = serialize([new Ipv4({ src: ip.dst, dst: ip.src, protocol: 1, ttl: 64 }), err]);
        this.sched.after(this.delay, () => from.receive(reply), 'wire');
        dropped = true;
      }
    }
    if (!dropped && this.dropIf !== null && this.dropIf(dg, from)) dropped = true;
    if (!dropped && this.loss > 0 && this.lossRng.float() < this.loss) dropped = true;
    if (dropped) this.lost++;
    if (this.record || this.onDatagram !== null) {
      const r: WireRecord = { time: this.sched.now, from: from.name, src: ip.src, dst: ip.dst, protocol: ip.protocol, datagram: dg, dropped };
      if (this.record) this.log.push(r);
      this.onDatagram?.(r);
    }
    if (dropped) return 'sent';
    let at = this.sched.now;
    if (this.rate > 0) {
      const start = Math.max(at, this.busyUntil.get(from) ?? 0);
      at = start + Math.ceil((dg.length * 8 * SEC) / this.rate);
      this.busyUntil.set(from, at);
    }
    this.sched.at(at + this.delay, () => to.receive(dg), 'wire');
    return 'sent';
  }
}

export class FakeHost implements IpHost {
  readonly handlers = new Map<number, ProtocolHandler>();
  mtu = 1500;
  /** Destinations with no route (sourceAddressFor returns null, sendIp 'no-route'). */
  readonly unreachable = new Set<Ipv4Addr>();
  private ipId = 0;
  received = 0;

  constructor(
    readonly name: string,
    readonly addr: Ipv4Addr,
    readonly sched: Scheduler,
    private readonly rnd: Random,
    readonly wire: Wire,
  ) {
    wire.attach(this);
  }

  random(purpose: string): RandomStream {
    return this.rnd.stream(`${this.name}/${purpose}`);
  }

  sendIp(o: IpSendOptions): IpSendResult {
    if (this.unreachable.has(o.dst)) return 'no-route';
    const ip = new Ipv4({
      src: o.src ?? this.addr,
      dst: o.dst,
      protocol: o.protocol,
      ttl: o.ttl ?? 64,
      df: o.df ?? o.protocol === 6,
      id: this.ipId = (this.ipId + 1) & 0xffff,
    });
    const dg = serialize([ip, ...o.upper], o.payload);
    if (o.dst === this.addr) {
      this.sched.after(0, () => this.receive(dg), 'lo');
      return 'sent';
    }
    return this.wire.transmit(this, ip, dg);
  }

  bindProtocol(protocol: number, handler: ProtocolHandler): Disposable {
    if (this.handlers.has(protocol)) throw new Error(`${this.name}: protocol ${protocol} already bound`);
    this.handlers.set(protocol, handler);
    return { dispose: () => this.handlers.delete(protocol) };
  }

  sourceAddressFor(dst: Ipv4Addr): Ipv4Addr | null {
    return this.unreachable.has(dst) ? null : this.addr;
  }

  isLocalAddress(a: Ipv4Addr): boolean {
    return a === this.addr;
  }

  mtuFor(_dst: Ipv4Addr): number {
    return this.mtu;
  }

  /** A datagram arrives from the wire. */
  receive(dg: Uint8Array): void {
    this.received++;
    const r = parseIpv4(dg);
    if (!r.ok) return;
    const ip = r.value;
    if (ip.dst !== this.addr) return;
    const payload = ip.payload;
    if (ip.protocol === 1) {
      const ir = parseIcmp(payload);
      if (ir.ok && isIcmpErrorType(ir.value.type)) {
        this.deliverIcmpError(ip.src, ir.value);
        return;
      }
    }
    const h = this.handlers.get(ip.protocol);
    if (h === undefined) return;
    const hl = (dg[0]! & 0x0f) << 2;
    const d: IpDelivery = { ifname: 'eth0', src: ip.src, dst: ip.dst, protocol: ip.protocol, ttl: ip.ttl, datagram: dg, payload, buf: dg, payloadOff: hl, end: hl + payload.length };
    h.onPacket(d);
  }

  private deliverIcmpError(from: Ipv4Addr, icmp: Icmp): void {
    const q = parseIpv4(icmp.payload, { checksum: 'ignore', partial: true });
    if (!q.ok) return;
    const quoted = q.value;
    const h = this.handlers.get(quoted.protocol);
    if (h === undefined || h.onIcmpError === undefined) return;
    const hl = quoted.headerLen();
    const e: IcmpErrorDelivery = {
      from,
      type: icmp.type,
      code: icmp.code,
      ...(icmp.type === ICMP_DEST_UNREACH && icmp.code === 4 ? { mtu: icmp.rest & 0xffff } : {}),
      quotedSrc: quoted.src,
      quotedDst: quoted.dst,
      quotedProtocol: quoted.protocol,
      quotedPayload: icmp.payload.subarray(hl),
      ttl: 64,
    };
    h.onIcmpError(e);
  }

  /** Sends a ready-made ICMP message to `to`. */
  sendIcmp(icmp: Icmp, to: Ipv4Addr): void {
    this.sendIp({ dst: to, protocol: 1, upper: [icmp] });
  }
}

export interface Pair {
  sched: Scheduler;
  random: Random;
  wire: Wire;
  a: FakeHost;
  b: FakeHost;
}

export const ADDR_A = ipv4('10.0.0.1');
export const ADDR_B = ipv4('10.0.0.2');

/** Two hosts, 10.0.0.1 (a) and 10.0.0.2 (b), on one wire. */
export function makePair(seed: number | string = 1, o: WireOptions = {}): Pair {
  const sched = new Scheduler();
  const random = new Random(seed);
  const wire = new Wire(sched, random, o);
  const a = new FakeHost('a', ADDR_A, sched, random, wire);
  const b = new FakeHost('b', ADDR_B, sched, random, wire);
  return { sched, random, wire, a, b };
}

/** A received segment with its addresses. */
export interface RawSeg {
  readonly time: number;
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
  readonly tcp: Tcp;
  readonly datagram: Uint8Array;
}

/** A hand-driven TCP endpoint: records segments, injects crafted ones. */
export class RawPeer {
  readonly segs: RawSeg[] = [];
  readonly icmpErrors: IcmpErrorDelivery[] = [];

  constructor(readonly host: FakeHost) {
    host.bindProtocol(6, {
      onPacket: (d) => {
        const r = parseTcp(d.payload, { pseudo: { src: d.src, dst: d.dst } });
        if (!r.ok) throw new Error(`bad segment: ${r.error.message}`);
        this.segs.push({ time: host.sched.now, src: d.src, dst: d.dst, tcp: r.value, datagram: d.datagram });
      },
      onIcmpError: (e) => {
        this.icmpErrors.push(e);
      },
    });
  }

  /** Sends `t` (with `payload`) to `dst`. */
  send(dst: Ipv4Addr, t: Tcp, payload?: Uint8Array): void {
    this.host.sendIp({ dst, protocol: 6, upper: [t], ...(payload ? { payload } : {}) });
  }

  /** Takes (removes) the segments received so far. */
  take(): RawSeg[] {
    return this.segs.splice(0, this.segs.length);
  }

  last(): RawSeg {
    const s = this.segs[this.segs.length - 1];
    if (s === undefined) throw new Error('no segment received');
    return s;
  }
}

/** tcpdump-like line for a datagram on the wire (for traces and failure messages). */
export function describe(dg: Uint8Array): string {
  const r = parseIpv4(dg);
  if (!r.ok) return `bad ip`;
  const ip = r.value;
  if (ip.protocol === 6) {
    const t = parseTcp(ip.payload, { checksum: 'ignore' });
    if (t.ok) return t.value.toString({ src: ip.src, dst: ip.dst });
  }
  return `${ipv4ToString(ip.src)} > ${ipv4ToString(ip.dst)} proto ${ip.protocol} len ${dg.length}`;
}

export { TcpFlag };
