/**
 * UDP (RFC 768) for one host over the IpHost seam, with sockets in the shape of Node's `dgram`:
 *
 * ```ts
 * const s = udp.createSocket('udp4');
 * s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
 * s.bind(53);
 * ```
 *
 * - A datagram for a port nobody bound is answered with ICMP port unreachable (RFC 1122 §4.1.3.1),
 *   unless it was broadcast/multicast or is itself not allowed an ICMP error (RFC 1812 §4.3.2.7).
 *   It goes through the node's `sendIcmpError` when the IpHost has one, else it is built with
 *   engine/wire's icmp codec and sent through IpHost.sendIp (protocol 1).
 * - An ICMP error about a datagram of a *connected* socket is reported as an 'error' event
 *   (ECONNREFUSED for port unreachable), as Linux reports it on connected sockets; unconnected sockets
 *   ignore it (Linux without IP_RECVERR).
 * - Events fire inside scheduler events; Node's next-tick deferrals ('listening', 'close', send
 *   callbacks) become scheduler events at the same virtual time.
 */
import type { IcmpErrorDelivery, IpDelivery, IpHost, Disposable } from '../net/ip-host.ts';
import { type Ipv4Addr, IPV4_BROADCAST, ipv4ToString, parseIpv4Addr } from '../wire/addr.ts';
import { ICMP_UNREACH_PORT, icmpDestUnreachable, icmpErrorAllowed } from '../wire/icmp.ts';
import { Udp, UdpView, parseUdp } from '../wire/udp.ts';
import { Emitter } from './events.ts';
import { NetError, type TcpErrorCode } from './tcp-conn.ts';

export interface RemoteInfo {
  readonly address: string;
  readonly family: 'IPv4';
  readonly port: number;
  readonly size: number;
}

export type UdpSocketEvents = {
  message: (msg: Buffer, rinfo: RemoteInfo) => void;
  listening: () => void;
  connect: () => void;
  close: () => void;
  error: (err: Error) => void;
};

export interface UdpSocketOptions {
  readonly type?: 'udp4';
  /** Owning application name (for `ss -uanp`). */
  readonly app?: string;
}

export interface UdpStats {
  datagramsIn: number;
  datagramsOut: number;
  noPort: number;
  badDatagrams: number;
  sendErrors: number;
}

/** One row of `ss -uan`. */
export interface UdpSocketInfo {
  readonly state: 'UNCONN' | 'ESTAB';
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly recvQ: number;
  readonly sendQ: number;
  readonly app?: string;
}

type SendCallback = (err: Error | null, bytes?: number) => void;

export class UdpLayer {
  readonly stats: UdpStats = { datagramsIn: 0, datagramsOut: 0, noPort: 0, badDatagrams: 0, sendErrors: 0 };
  private readonly ports = new Map<number, UdpSocket[]>();
  private nextPort: number;
  private readonly binding: Disposable;
  readonly label: string;

  constructor(readonly host: IpHost) {
    this.nextPort = host.random('udp-port').int(32768, 60999);
    this.label = `udp ${host.name}`;
    this.binding = host.bindProtocol(17, {
      onPacket: (d) => this.onPacket(d),
      onIcmpError: (e) => this.onIcmpError(e),
    });
  }

  dispose(): void {
    this.binding.dispose();
    this.ports.clear();
  }

  /** `dgram.createSocket('udp4'[, onMessage])` or `createSocket({ type: 'udp4' }[, onMessage])`. */
  createSocket(opts?: 'udp4' | UdpSocketOptions, onMessage?: (msg: Buffer, rinfo: RemoteInfo) => void): UdpSocket {
    const s = new UdpSocket(this, typeof opts === 'object' ? opts.app : undefined);
    if (onMessage) s.on('message', onMessage);
    return s;
  }

  /** The socket table. */
  sockets(): UdpSocketInfo[] {
    const out: UdpSocketInfo[] = [];
    for (const list of this.ports.values()) {
      for (const s of list) {
        const r = s.remote;
        out.push({
          state: r === null ? 'UNCONN' : 'ESTAB',
          localAddress: ipv4ToString(s.laddr),
          localPort: s.lport,
          remoteAddress: r === null ? '0.0.0.0' : ipv4ToString(r.addr),
          remotePort: r === null ? 0 : r.port,
          recvQ: 0,
          sendQ: 0,
          ...(s.app !== undefined ? { app: s.app } : {}),
        });
      }
    }
    return out;
  }

  /** @internal */
  bindSocket(s: UdpSocket, laddr: Ipv4Addr, port: number): number {
    if (port === 0) {
      const lo = 32768;
      const range = 60999 - lo + 1;
      for (let i = 0; i < range; i++) {
        const p = lo + ((this.nextPort - lo + i) % range);
        if (!this.ports.has(p)) {
          this.nextPort = p + 1 > 60999 ? lo : p + 1;
          port = p;
          break;
        }
      }
      if (port === 0) throw new NetError('EADDRINUSE', 'bind');
    }
    const list = this.ports.get(port) ?? [];
    for (const o of list) if (o.laddr === laddr || o.laddr === 0 || laddr === 0) throw new NetError('EADDRINUSE', 'bind', ipv4ToString(laddr), port);
    list.push(s);
    this.ports.set(port, list);
    return port;
  }

  /** @internal */
  unbindSocket(s: UdpSocket): void {
    const list = this.ports.get(s.lport);
    if (list === undefined) return;
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.ports.delete(s.lport);
  }

  private find(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): UdpSocket | undefined {
    const list = this.ports.get(lport);
    if (list === undefined) return undefined;
    let best: UdpSocket | undefined;
    let bestScore = -1;
    for (const s of list) {
      if (s.laddr !== 0 && s.laddr !== laddr) continue;
      const r = s.remote;
      if (r !== null && (r.addr !== raddr || r.port !== rport)) continue;
      const score = (s.laddr !== 0 ? 2 : 0) + (r !== null ? 1 : 0);
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  private onPacket(d: IpDelivery): void {
    const r = parseUdp(d.payload, { pseudo: { src: d.src, dst: d.dst } });
    if (!r.ok) {
      this.stats.badDatagrams++;
      return;
    }
    const u = r.value;
    const s = this.find(d.dst, u.dstPort, d.src, u.srcPort);
    if (s === undefined) {
      this.stats.noPort++;
      if (d.dst !== IPV4_BROADCAST && this.host.isLocalAddress(d.dst)) {
        // The node's ICMP helper when it has one (RFC 1812 checks, Linux's source choice), else built here.
        if (this.host.sendIcmpError !== undefined) this.host.sendIcmpError(d.datagram, 3, ICMP_UNREACH_PORT);
        else if (icmpErrorAllowed(d.datagram)) {
          this.host.sendIp({ dst: d.src, src: d.dst, protocol: 1, upper: [icmpDestUnreachable(ICMP_UNREACH_PORT, d.datagram)] });
        }
      }
      return;
    }
    this.stats.datagramsIn++;
    s.deliver(u.payload, d.src, u.srcPort);
  }

  private onIcmpError(e: IcmpErrorDelivery): void {
    if (e.quotedProtocol !== 17 || e.quotedPayload.length < 8) return;
    const v = new UdpView(e.quotedPayload);
    const s = this.find(e.quotedSrc, v.srcPort, e.quotedDst, v.dstPort);
    if (s === undefined || s.remote === null) return;
    if (s.remote.addr !== e.quotedDst || s.remote.port !== v.dstPort) return;
    let code: TcpErrorCode | null = null;
    if (e.type === 3) code = e.code === 3 ? 'ECONNREFUSED' : e.code === 0 ? 'ENETUNREACH' : e.code === 4 ? null : 'EHOSTUNREACH';
    else if (e.type === 11) code = 'EHOSTUNREACH';
    if (code === null) return;
    s.reportError(new NetError(code, 'recv'));
  }

  /** @internal */
  transmit(src: Ipv4Addr, dst: Ipv4Addr, sport: number, dport: number, payload: Uint8Array, ttl?: number): NetError | null {
    const u = new Udp();
    u.srcPort = sport;
    u.dstPort = dport;
    const res = this.host.sendIp({ dst, src, protocol: 17, upper: [u], payload, ...(ttl !== undefined ? { ttl } : {}) });
    if (res === 'no-route') {
      this.stats.sendErrors++;
      return new NetError('ENETUNREACH', 'send', ipv4ToString(dst), dport);
    }
    this.stats.datagramsOut++;
    return null;
  }
}

/** A UDP socket (Node's dgram.Socket). */
export class UdpSocket extends Emitter<UdpSocketEvents> {
  laddr: Ipv4Addr = 0;
  lport = 0;
  remote: { addr: Ipv4Addr; port: number } | null = null;
  private bound = false;
  private closed = false;
  private ttl: number | undefined;

  /** @internal Use UdpLayer.createSocket. */
  constructor(
    readonly layer: UdpLayer,
    readonly app: string | undefined,
  ) {
    super();
  }

  /** `bind([port][, address][, cb])` or `bind({ port, address }[, cb])`. */
  bind(port?: number | { port?: number; address?: string } | (() => void), address?: string | (() => void), cb?: () => void): this {
    let p = 0;
    let a: string | undefined;
    if (typeof port === 'function') cb = port;
    else if (typeof port === 'object') {
      p = port.port ?? 0;
      a = port.address;
      if (typeof address === 'function') cb = address;
    } else {
      p = port ?? 0;
      if (typeof address === 'function') cb = address;
      else a = address;
    }
    if (cb) this.once('listening', cb);
    const sched = this.layer.host.sched;
    if (this.bound || this.closed) {
      sched.after(0, () => this.emit('error', new Error('Socket is already bound')), this.layer.label);
      return this;
    }
    const addr = a === undefined || a === '0.0.0.0' ? 0 : parseIpv4Addr(a);
    if (addr === null || (addr !== 0 && !this.layer.host.isLocalAddress(addr))) {
      sched.after(0, () => this.emit('error', new NetError('EADDRNOTAVAIL', 'bind', a, p)), this.layer.label);
      return this;
    }
    try {
      this.lport = this.layer.bindSocket(this, addr, p);
    } catch (e) {
      sched.after(0, () => this.emit('error', e as Error), this.layer.label);
      return this;
    }
    this.laddr = addr;
    this.bound = true;
    sched.after(0, () => this.emit('listening'), this.layer.label);
    return this;
  }

  /** Associates a default destination; ICMP errors about it are then reported (Linux). */
  connect(port: number, address?: string | (() => void), cb?: () => void): this {
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    const addr = parseIpv4Addr(address ?? '127.0.0.1');
    if (!this.bound) this.bind();
    if (cb) this.once('connect', cb);
    const sched = this.layer.host.sched;
    if (addr === null) {
      sched.after(0, () => this.emit('error', new NetError('EHOSTUNREACH', 'connect', address, port)), this.layer.label);
      return this;
    }
    this.remote = { addr, port };
    sched.after(0, () => this.emit('connect'), this.layer.label);
    return this;
  }

  disconnect(): void {
    this.remote = null;
  }

  /**
   * `send(msg[, offset, length][, port][, address][, cb])`: on a connected socket port and address are
   * omitted. An unbound socket is bound to an ephemeral port first (as in Node).
   */
  send(msg: Uint8Array | string, ...args: (number | string | SendCallback | undefined)[]): void {
    let data = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
    let cb: SendCallback | undefined;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as SendCallback;
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    let port: number | undefined;
    let address: string | undefined;
    if (args.length >= 2 && typeof args[0] === 'number' && typeof args[1] === 'number') {
      data = data.subarray(args[0], args[0] + args[1]);
      args = args.slice(2);
    }
    if (typeof args[0] === 'number') port = args[0];
    if (typeof args[1] === 'string') address = args[1];
    const sched = this.layer.host.sched;
    const fail = (err: Error): void => {
      sched.after(0, () => (cb ? cb(err) : this.emit('error', err)), this.layer.label);
    };
    if (this.closed) return fail(new Error('Not running'));
    let dst: Ipv4Addr;
    let dport: number;
    if (this.remote !== null) {
      if (port !== undefined) return fail(new Error('Already connected'));
      dst = this.remote.addr;
      dport = this.remote.port;
    } else {
      if (port === undefined) return fail(new Error('Destination port is required'));
      const a = parseIpv4Addr(address ?? '127.0.0.1');
      if (a === null) return fail(new NetError('EHOSTUNREACH', 'send', address, port));
      dst = a;
      dport = port;
    }
    if (!this.bound) this.bind();
    let src = this.laddr;
    if (src === 0) {
      const s = this.layer.host.sourceAddressFor(dst);
      if (s === null) return fail(new NetError('ENETUNREACH', 'send', ipv4ToString(dst), dport));
      src = s;
    }
    const err = this.layer.transmit(src, dst, this.lport, dport, data, this.ttl);
    if (err !== null) return fail(err);
    if (cb) sched.after(0, () => cb!(null, data.length), this.layer.label);
  }

  close(cb?: () => void): this {
    if (this.closed) return this;
    this.closed = true;
    if (cb) this.once('close', cb);
    if (this.bound) this.layer.unbindSocket(this);
    this.layer.host.sched.after(0, () => this.emit('close'), this.layer.label);
    return this;
  }

  address(): { address: string; family: 'IPv4'; port: number } {
    return { address: ipv4ToString(this.laddr), family: 'IPv4', port: this.lport };
  }

  remoteAddress(): { address: string; family: 'IPv4'; port: number } {
    if (this.remote === null) throw new Error('Not connected');
    return { address: ipv4ToString(this.remote.addr), family: 'IPv4', port: this.remote.port };
  }

  setTTL(ttl: number): number {
    this.ttl = ttl;
    return ttl;
  }

  setBroadcast(_flag: boolean): void {}

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** @internal */
  deliver(payload: Uint8Array, src: Ipv4Addr, sport: number): void {
    const rinfo: RemoteInfo = { address: ipv4ToString(src), family: 'IPv4', port: sport, size: payload.length };
    this.emit('message', Buffer.from(payload.buffer, payload.byteOffset, payload.length), rinfo);
  }

  /** @internal */
  reportError(err: NetError): void {
    this.emit('error', err);
  }
}
