/**
 * The seam between the network core (engine/net: Node, Interface, ARP, routing, hooks) and the
 * transport protocols and apps above it (engine/stack: ICMP echo, UDP, TCP, sockets). A Node is an
 * IpHost; engine/stack sees nothing else of it, so transports can be tested over a fake IpHost.
 */
import type { Ipv4Addr } from '../wire/addr.ts';
import type { Layer } from '../wire/layer.ts';
import type { Scheduler } from '../sim/scheduler.ts';
import type { RandomStream } from '../sim/random.ts';

export interface IpSendOptions {
  readonly dst: Ipv4Addr;
  /** IP protocol number (1 ICMP, 6 TCP, 17 UDP, ...). */
  readonly protocol: number;
  /**
   * Upper-layer headers (e.g. `[tcpSegment]`), serialized with the IPv4 header as their outer layer so
   * pseudo-header checksums are filled in (engine/wire/layer.ts `serialize`).
   */
  readonly upper: readonly Layer[];
  /**
   * Bytes after the upper-layer headers (application data). When omitted, the innermost upper layer's
   * own `payload` is used if it has one (an `Icmp` error carrying its quote, a `Udp` built with data),
   * matching what that value's `encode()` would produce.
   */
  readonly payload?: Uint8Array;
  /** Source address; default: the address of the interface the route leaves by (RFC 1122 §3.3.4.3). */
  readonly src?: Ipv4Addr;
  readonly ttl?: number;
  readonly tos?: number;
  /** Don't Fragment; default true for TCP (PMTUD, RFC 1191), false otherwise. */
  readonly df?: boolean;
  /** Text attached to the resulting frame as a pcapng packet comment (the decision that sent it). */
  readonly note?: string;
}

/** Outcome of handing a datagram to the IP layer (errors are also counted on the node). */
export type IpSendResult = 'sent' | 'queued' | 'no-route' | 'dropped' | 'too-big';

/** A datagram delivered to a local protocol handler; the value is reused, so keep none of it past onPacket. */
export interface IpDelivery {
  /** Name of the interface it arrived on ('lo' for local traffic). */
  readonly ifname: string;
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
  readonly protocol: number;
  readonly ttl: number;
  /** The whole IPv4 datagram (header + payload), e.g. for quoting in an ICMP error. */
  readonly datagram: Uint8Array;
  /** The upper-layer bytes (subarray of `datagram`). */
  readonly payload: Uint8Array;
  /**
   * The buffer the datagram sits in (often the received frame) and where the upper-layer bytes are
   * in it, `buf[payloadOff, end)`: a hot handler reads them there without making a subarray.
   */
  readonly buf: Uint8Array;
  readonly payloadOff: number;
  readonly end: number;
}

/** An ICMP error (destination unreachable, time exceeded) matched to the protocol of the quoted datagram. */
export interface IcmpErrorDelivery {
  /** Address of the node that sent the ICMP error (a router, or the destination host). */
  readonly from: Ipv4Addr;
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU of a fragmentation-needed error (RFC 1191), else undefined. */
  readonly mtu?: number;
  /** Header fields of the quoted (original) datagram. */
  readonly quotedSrc: Ipv4Addr;
  readonly quotedDst: Ipv4Addr;
  readonly quotedProtocol: number;
  /** The quoted datagram's upper-layer bytes (at least 8: ports / ICMP id+seq). */
  readonly quotedPayload: Uint8Array;
  readonly ttl: number;
}

export interface ProtocolHandler {
  onPacket(d: IpDelivery): void;
  onIcmpError?(e: IcmpErrorDelivery): void;
}

/** An ICMP message delivered locally (echo requests and replies, errors, anything else), for raw listeners. */
export interface IcmpMessage extends IpDelivery {
  readonly type: number;
  readonly code: number;
}

export type IcmpListener = (m: IcmpMessage) => void;

export interface Disposable {
  dispose(): void;
}

export interface IpHost {
  readonly name: string;
  readonly sched: Scheduler;
  /** A seeded random stream private to this node and purpose, e.g. random('tcp-isn'). */
  random(purpose: string): RandomStream;
  sendIp(o: IpSendOptions): IpSendResult;
  /** Takes delivery of one IP protocol; one handler per protocol (throws if already bound). */
  bindProtocol(protocol: number, handler: ProtocolHandler): Disposable;
  /** Source address the node would use toward `dst`, or null when there is no route. */
  sourceAddressFor(dst: Ipv4Addr): Ipv4Addr | null;
  isLocalAddress(a: Ipv4Addr): boolean;
  /** MTU of the route toward dst (the path MTU when one was learned). */
  mtuFor(dst: Ipv4Addr): number;
  /**
   * Sends an ICMP error about `original` (a received IPv4 datagram, header first), e.g. port unreachable
   * from UDP. Suppressed per RFC 1812 §4.3.2.7 (errors about errors, broadcasts, non-first fragments);
   * returns whether one was sent. `mtu` is the next-hop MTU of a fragmentation-needed error.
   */
  sendIcmpError?(original: Uint8Array, type: number, code: number, mtu?: number): boolean;
  /** Raw ICMP listener (ping, traceroute): sees every ICMP message delivered locally. */
  onIcmp?(listener: IcmpListener): Disposable;
}
