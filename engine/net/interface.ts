/**
 * A network interface (a NIC): MAC, IPv4 addresses, MTU, admin state, counters, and the attachment to
 * a medium (a Segment port or one end of a Link). The device contract is narrow, as in ns-3's
 * NetDevice: `transmit(frame)` sends, the medium calls `receive(frame)`, taps observe both.
 *
 * Bad input is normal input: a runt or otherwise malformed frame is counted and dropped, never thrown.
 */
import type { TraceEvent } from './trace.ts';
import { MAC_BROADCAST, cidrToString, inSubnet, macToString, parseCidr, prefixMask, type Ipv4Addr, type Ipv4Cidr, type MacAddr } from '../wire/addr.ts';
import { allocBytes, u16, u32 } from '../wire/bytes.ts';
import { ETHERNET_HEADER_LEN, ETHERNET_MIN_FRAME } from '../wire/ethernet.ts';
import type { Disposable } from './ip-host.ts';
import type { ArpCache } from './neighbour.ts';
import type { Node } from './node.ts';

/** Something an interface is plugged into: a Segment port or a Link end. */
export interface Attachment {
  /** Name of the segment or link. */
  readonly medium: string;
  readonly kind: 'segment' | 'link';
  /** Hands a frame to the medium; the medium owns it from now on. */
  send(frame: Uint8Array): void;
  detach(): void;
}

export interface InterfaceAddress {
  readonly addr: Ipv4Addr;
  readonly prefix: number;
  /** Directed broadcast of the subnet (0 for /31 and /32). */
  readonly broadcast: Ipv4Addr;
  /** Linux 'secondary': a further address in a subnet the interface already has (or a /32 VIP). */
  readonly secondary: boolean;
}

/** Per-interface counters (like `ip -s link`). */
export class InterfaceCounters {
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  txBytes = 0;
  /** Malformed frames received (runts etc.). */
  rxErrors = 0;
  txErrors = 0;
  rxDropped = 0;
  txDropped = 0;
  /** Drops by reason ('down', 'runt', 'no-carrier', ...). */
  readonly drops = new Map<string, number>();

  drop(reason: string, dir: 'rx' | 'tx'): void {
    if (dir === 'rx') this.rxDropped++;
    else this.txDropped++;
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
}

export type TapListener = (frame: Uint8Array, direction: 'in' | 'out') => void;

export interface InterfaceOptions {
  readonly mac?: MacAddr;
  /** IP MTU; default 1500 (65536 for loopback). */
  readonly mtu?: number;
  /** Addresses such as '10.0.0.2/24'; the first in a subnet is primary. */
  readonly addresses?: readonly (string | Ipv4Cidr)[];
}

export class Interface {
  readonly node: Node;
  readonly name: string;
  readonly loopback: boolean;
  readonly counters = new InterfaceCounters();
  /** The interface's ARP cache (null on loopback). */
  arp: ArpCache | null = null;
  /** Pass frames for other MACs up to the trace bus (tcpdump without -p); they are never delivered to IP. */
  promiscuous = false;
  private macValue: MacAddr = 0;
  // The MAC split in its first 16 and last 32 bits, for the receive filter.
  private macHi = 0;
  private macLo = 0;
  private mtuValue: number;
  private upState = true;
  private addrs: InterfaceAddress[] = [];
  private attachment: Attachment | null = null;
  private taps: TapListener[] = [];

  /** @internal Made by Node.addInterface. */
  constructor(node: Node, name: string, mac: MacAddr, opts: InterfaceOptions, loopback = false) {
    this.node = node;
    this.name = name;
    this.mac = mac;
    this.loopback = loopback;
    this.mtuValue = opts.mtu ?? (loopback ? 65536 : 1500);
    if (!Number.isInteger(this.mtuValue) || this.mtuValue < 68 || this.mtuValue > 65535 + (loopback ? 1 : 0)) {
      throw new RangeError(`${node.name}:${name}: MTU ${this.mtuValue} is outside 68..65535 (RFC 791 minimum 68)`);
    }
  }

  get mac(): MacAddr {
    return this.macValue;
  }
  set mac(v: MacAddr) {
    if (!Number.isSafeInteger(v) || v < 0 || v > MAC_BROADCAST) throw new RangeError(`${this.name}: not a 48-bit MAC: ${v}`);
    this.macValue = v;
    this.macHi = Math.floor(v / 0x1_0000_0000);
    this.macLo = v >>> 0;
  }

  /** "node:ifname", the capture point name. */
  get fullName(): string {
    return `${this.node.name}:${this.name}`;
  }

  get mtu(): number {
    return this.mtuValue;
  }
  set mtu(v: number) {
    if (!Number.isInteger(v) || v < 68 || v > 65536) throw new RangeError(`${this.fullName}: MTU ${v} is outside 68..65535`);
    this.mtuValue = v;
  }

  /** Administrative state (`ip link set dev X up|down`). Down: no rx/tx, connected routes withdrawn. */
  get up(): boolean {
    return this.upState;
  }
  set up(v: boolean) {
    if (v === this.upState) return;
    this.upState = v;
    this.node.interfaceChanged(this);
  }

  get addresses(): readonly InterfaceAddress[] {
    return this.addrs;
  }

  /** The primary address (first non-secondary), or 0. */
  get primaryAddress(): Ipv4Addr {
    for (const a of this.addrs) if (!a.secondary) return a.addr;
    return this.addrs.length > 0 ? this.addrs[0]!.addr : 0;
  }

  /** Adds '10.0.0.2/24' (or a /32 VIP). Adding an address the interface has is a no-op. */
  addAddress(cidr: string | Ipv4Cidr): InterfaceAddress {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (c === null) throw new RangeError(`${this.fullName}: not an address/prefix: ${JSON.stringify(cidr)}`);
    const have = this.addrs.find((a) => a.addr === c.addr);
    if (have) return have;
    const secondary = this.addrs.some((a) => !a.secondary && inSubnet(c.addr, a.addr, a.prefix) && a.prefix <= c.prefix);
    const broadcast = c.prefix >= 31 ? 0 : ((c.addr | ~prefixMask(c.prefix)) >>> 0);
    const a: InterfaceAddress = { addr: c.addr >>> 0, prefix: c.prefix, broadcast, secondary };
    this.addrs.push(a);
    this.node.interfaceChanged(this);
    return a;
  }

  removeAddress(addr: Ipv4Addr): boolean {
    const i = this.addrs.findIndex((a) => a.addr === addr);
    if (i < 0) return false;
    this.addrs.splice(i, 1);
    this.node.interfaceChanged(this);
    return true;
  }

  hasAddress(addr: Ipv4Addr): boolean {
    for (let i = 0; i < this.addrs.length; i++) if (this.addrs[i]!.addr === addr) return true;
    return false;
  }

  /** True when `addr` is the directed broadcast of one of this interface's subnets. */
  isBroadcastFor(addr: Ipv4Addr): boolean {
    for (let i = 0; i < this.addrs.length; i++) if (this.addrs[i]!.broadcast === addr && addr !== 0) return true;
    return false;
  }

  /** @internal Set by Segment.attach / Link. */
  setAttachment(a: Attachment | null): void {
    if (a !== null && this.attachment !== null) {
      throw new Error(`${this.fullName} is already attached to ${this.attachment.kind} ${this.attachment.medium}`);
    }
    this.attachment = a;
  }

  get attachedTo(): Attachment | null {
    return this.attachment;
  }

  /** Observes every frame arriving at or leaving the NIC, whatever its destination MAC (a tcpdump tap). */
  addTap(fn: TapListener): Disposable {
    this.taps = [...this.taps, fn];
    return { dispose: () => void (this.taps = this.taps.filter((t) => t !== fn)) };
  }

  /**
   * Sends a frame, padded to the 60-byte Ethernet minimum like a NIC. The interface (then the medium)
   * owns the frame afterwards. Returns false when it was dropped (interface down, not attached).
   */
  transmit(frame: Uint8Array, note?: string): boolean {
    if (!this.upState) {
      this.counters.drop('down', 'tx');
      return false;
    }
    if (frame.length < ETHERNET_MIN_FRAME && !this.loopback) {
      // From the slab: an on-heap array's first subarray would move it off-heap (see allocBytes).
      const padded = allocBytes(ETHERNET_MIN_FRAME);
      padded.set(frame);
      frame = padded;
    }
    this.counters.txPackets++;
    this.counters.txBytes += frame.length;
    const net = this.node.network;
    if (net.trace.active) net.trace.emit({ time: net.sched.now, node: this.node.name, ifname: this.name, direction: 'out', frame, note });
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(frame, 'out');
    if (this.loopback) {
      net.sched.after(0, () => this.receiveLoopback(frame), `${this.node.name}:lo`);
      return true;
    }
    if (this.attachment === null) {
      this.counters.drop('no-carrier', 'tx');
      return false;
    }
    this.attachment.send(frame);
    return true;
  }

  /** A frame arriving from the medium. Never throws on any bytes. */
  receive(frame: Uint8Array): void {
    if (!this.upState) {
      this.counters.drop('down', 'rx');
      return;
    }
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(frame, 'in');
    if (frame.length < ETHERNET_HEADER_LEN) {
      this.counters.rxErrors++;
      this.counters.drop('runt', 'rx');
      const net = this.node.network;
      if (net.trace.active && this.promiscuous) net.trace.emit({ time: net.sched.now, node: this.node.name, ifname: this.name, direction: 'in', frame });
      return;
    }
    // Destination MAC filter (no per-frame view: two reads of the first header field).
    const dstHi = u16(frame, 0);
    const forUs =
      (dstHi & 0x0100) !== 0 || // group bit: broadcast / multicast
      (dstHi === this.macHi && u32(frame, 2) === this.macLo);
    const net = this.node.network;
    let ev: TraceEvent | undefined;
    if (net.trace.active && (forUs || this.promiscuous)) {
      ev = { time: net.sched.now, node: this.node.name, ifname: this.name, direction: 'in', frame, note: undefined };
      net.trace.emit(ev);
    }
    if (!forUs) return; // PACKET_OTHERHOST: not ours, silently ignored like a NIC filter
    this.counters.rxPackets++;
    this.counters.rxBytes += frame.length;
    this.node.receiveFrame(this, frame, ev);
  }

  private receiveLoopback(frame: Uint8Array): void {
    if (!this.upState) {
      this.counters.drop('down', 'rx');
      return;
    }
    this.counters.rxPackets++;
    this.counters.rxBytes += frame.length;
    this.node.receiveFrame(this, frame);
  }

  /** `ip addr` form. */
  toString(): string {
    const flags = this.loopback ? 'LOOPBACK' : 'BROADCAST,MULTICAST';
    let s = `${this.name}: <${flags}${this.upState ? ',UP,LOWER_UP' : ''}> mtu ${this.mtuValue} state ${this.upState ? (this.loopback ? 'UNKNOWN' : 'UP') : 'DOWN'}\n`;
    s += `    link/${this.loopback ? 'loopback' : 'ether'} ${macToString(this.mac)} brd ${macToString(this.loopback ? 0 : MAC_BROADCAST)}\n`;
    for (const a of this.addrs) {
      s += `    inet ${cidrToString(a)}`;
      if (a.broadcast !== 0) s += ` brd ${cidrToString({ addr: a.broadcast, prefix: 32 }).replace('/32', '')}`;
      s += ` scope ${this.loopback ? 'host' : 'global'}${a.secondary ? ' secondary' : ''} ${this.name}\n`;
    }
    return s;
  }
}
