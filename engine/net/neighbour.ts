/**
 * ARP (RFC 826) with Linux's neighbour state machine (net/core/neighbour.c, Documentation ip-sysctl
 * "neigh/default"): INCOMPLETE → REACHABLE → STALE → DELAY → PROBE → REACHABLE or FAILED.
 *
 * - Resolution: broadcast requests `retransTime` (1 s) apart, `mcastSolicit` (3) of them; no answer
 *   → FAILED, queued packets dropped and reported (ICMP host unreachable, as arp_error_report does).
 * - While resolving, at most `queueLen` packets wait per neighbour; when full the oldest is dropped
 *   (__neigh_event_send). 101 is unres_qlen's documented default (Documentation/networking/ip-sysctl:
 *   "unres_qlen ... Default: 101"); current kernels bound it by unres_qlen_bytes (SK_WMEM_MAX), which
 *   holds about as many small packets, so a burst to an unresolved neighbour is not cut short.
 * - REACHABLE lasts `reachableTime` (30 s, base_reachable_time; Linux randomises it to 15-45 s, fixed
 *   here so labs can state it) after the last confirmation (an ARP reply), then STALE. Sending to a
 *   STALE neighbour uses the cached MAC and enters DELAY; after `delayFirstProbe` (5 s) without
 *   confirmation, PROBE sends `ucastSolicit` (3) unicast requests 1 s apart, then FAILED.
 * - Any ARP packet from a known neighbour updates its MAC (RFC 826 merge); a request for one of our
 *   addresses creates a STALE entry for the sender and is answered.
 */
import { MAC_BROADCAST, ipv4ToString, macToString, type Ipv4Addr, type MacAddr } from '../wire/addr.ts';
import { setU48 } from '../wire/bytes.ts';
import { ARP_REPLY, ARP_REQUEST, Arp, ArpView } from '../wire/arp.ts';
import { ETHERTYPE_ARP, Ethernet } from '../wire/ethernet.ts';
import { serialize } from '../wire/layer.ts';
import type { Timer } from '../sim/scheduler.ts';
import { sec, type Nanos } from '../sim/time.ts';
import type { Interface } from './interface.ts';

export type NeighState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';

export interface ArpOptions {
  readonly reachableTime: Nanos;
  readonly retransTime: Nanos;
  readonly mcastSolicit: number;
  readonly ucastSolicit: number;
  readonly delayFirstProbe: Nanos;
  readonly queueLen: number;
}

export const LINUX_ARP_DEFAULTS: ArpOptions = {
  reachableTime: sec(30),
  retransTime: sec(1),
  mcastSolicit: 3,
  ucastSolicit: 3,
  delayFirstProbe: sec(5),
  queueLen: 101,
};

/** A packet waiting for resolution. */
export interface PendingPacket {
  readonly frame: Uint8Array;
  readonly note: string | undefined;
}

export interface NeighbourInfo {
  readonly ip: Ipv4Addr;
  readonly dev: string;
  /** 0 while unresolved. */
  readonly mac: MacAddr;
  readonly state: NeighState;
  /** Packets waiting (INCOMPLETE). */
  readonly queued: number;
  /** `ip neigh` line: `10.0.0.1 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE`. */
  toString(): string;
}

class Neighbour {
  mac: MacAddr = 0;
  state: NeighState = 'INCOMPLETE';
  confirmed: Nanos = 0;
  /** When the entry entered its current state (DELAY uses it to see a later confirmation). */
  since: Nanos = 0;
  probes = 0;
  queue: PendingPacket[] = [];
  timer: Timer | null = null;
  constructor(readonly ip: Ipv4Addr) {}
}

/** What the cache needs from its node. */
export interface NeighbourOwner {
  /** Resolution failed: the waiting packets are dropped (and reported) by the node. */
  neighbourFailed(iface: Interface, ip: Ipv4Addr, dropped: readonly PendingPacket[]): void;
  /** Whether we answer ARP requests for `ip` arriving on `iface`. */
  answersArpFor(iface: Interface, ip: Ipv4Addr): boolean;
}

export class ArpCounters {
  requestsSent = 0;
  repliesSent = 0;
  requestsReceived = 0;
  repliesReceived = 0;
  /** Packets dropped because the queue of an unresolved neighbour was full. */
  queueOverflows = 0;
  failures = 0;
}

export class ArpCache {
  readonly counters = new ArpCounters();
  private readonly table = new Map<Ipv4Addr, Neighbour>();

  constructor(
    readonly iface: Interface,
    private readonly owner: NeighbourOwner,
    public opts: ArpOptions,
  ) {}

  private get now(): Nanos {
    return this.iface.node.sched.now;
  }

  /** The state as `ip neigh` would show it now (REACHABLE turns STALE lazily, as with Linux's timer). */
  private stateOf(n: Neighbour): NeighState {
    if (n.state === 'REACHABLE' && this.now - n.confirmed >= this.opts.reachableTime) {
      n.state = 'STALE';
      n.since = n.confirmed + this.opts.reachableTime;
    }
    return n.state;
  }

  /**
   * Sends `frame` (an Ethernet frame whose header is to be filled) to neighbour `ip`: fills the MACs
   * and transmits when the neighbour is known, else queues it and resolves. Returns 'sent', 'queued'
   * or 'dropped'.
   */
  output(ip: Ipv4Addr, frame: Uint8Array, note: string | undefined): 'sent' | 'queued' | 'dropped' {
    const n = this.table.get(ip);
    if (n !== undefined) {
      const st = this.stateOf(n);
      if (st === 'REACHABLE' || st === 'PERMANENT' || st === 'DELAY' || st === 'PROBE') {
        return this.send(n.mac, frame, note);
      }
      if (st === 'STALE') {
        n.state = 'DELAY';
        n.since = this.now;
        this.arm(n, this.opts.delayFirstProbe);
        return this.send(n.mac, frame, note);
      }
      if (st === 'INCOMPLETE') return this.enqueue(n, frame, note);
      // FAILED: start over (Linux restarts resolution for a failed entry on new traffic).
      n.state = 'INCOMPLETE';
      n.probes = 0;
      n.queue = [];
      this.enqueue(n, frame, note);
      this.solicit(n);
      return 'queued';
    }
    const m = new Neighbour(ip);
    m.since = this.now;
    this.table.set(ip, m);
    this.enqueue(m, frame, note);
    this.solicit(m);
    return 'queued';
  }

  private send(mac: MacAddr, frame: Uint8Array, note: string | undefined): 'sent' | 'dropped' {
    setU48(frame, 0, mac);
    setU48(frame, 6, this.iface.mac);
    return this.iface.transmit(frame, note) ? 'sent' : 'dropped';
  }

  private enqueue(n: Neighbour, frame: Uint8Array, note: string | undefined): 'queued' {
    if (n.queue.length >= this.opts.queueLen) {
      n.queue.shift();
      this.counters.queueOverflows++;
      this.iface.node.countDrop('arp-queue-full');
    }
    n.queue.push({ frame, note });
    return 'queued';
  }

  /** Sends a request (broadcast while INCOMPLETE, unicast to the cached MAC while PROBE) and arms the retry. */
  private solicit(n: Neighbour): void {
    n.probes++;
    const spa = this.sourceFor(n.ip);
    const dst = n.state === 'PROBE' ? n.mac : MAC_BROADCAST;
    this.counters.requestsSent++;
    this.transmitArp(dst, Arp.request(this.iface.mac, spa, n.ip));
    this.arm(n, this.opts.retransTime);
  }

  /** Sender address for a request: an address of the interface in the target's subnet, else the primary. */
  private sourceFor(target: Ipv4Addr): Ipv4Addr {
    for (const a of this.iface.addresses) {
      if (a.prefix < 32 && ((a.addr ^ target) >>> (32 - a.prefix)) === 0 && !a.secondary) return a.addr;
    }
    return this.iface.primaryAddress;
  }

  private arm(n: Neighbour, after: Nanos): void {
    n.timer?.cancel();
    n.timer = this.iface.node.sched.after(after, () => this.timeout(n), `arp ${this.iface.fullName} ${ipv4ToString(n.ip)}`);
  }

  private timeout(n: Neighbour): void {
    n.timer = null;
    if (this.table.get(n.ip) !== n) return;
    switch (n.state) {
      case 'INCOMPLETE':
        if (n.probes < this.opts.mcastSolicit) this.solicit(n);
        else this.fail(n);
        return;
      case 'DELAY':
        if (n.confirmed >= n.since) {
          n.state = 'REACHABLE';
          return;
        }
        n.state = 'PROBE';
        n.since = this.now;
        n.probes = 0;
        this.solicit(n);
        return;
      case 'PROBE':
        if (n.probes < this.opts.ucastSolicit) this.solicit(n);
        else this.fail(n);
        return;
      default:
        return;
    }
  }

  private fail(n: Neighbour): void {
    n.state = 'FAILED';
    n.since = this.now;
    n.mac = 0;
    this.counters.failures++;
    const q = n.queue;
    n.queue = [];
    if (q.length > 0) this.owner.neighbourFailed(this.iface, n.ip, q);
  }

  /** Handles a received ARP packet (the Ethernet payload). Never throws. */
  input(bytes: Uint8Array, ethDstIsUs: boolean): void {
    const v = new ArpView(bytes);
    if (v.checkLen() !== null || v.htype !== 1 || v.ptype !== 0x0800 || v.hlen !== 6 || v.plen !== 4) {
      this.iface.node.countDrop('arp-malformed');
      return;
    }
    const op = v.op;
    const spa = v.spa;
    const sha = v.sha;
    const tpa = v.tpa;
    if (op === ARP_REQUEST) this.counters.requestsReceived++;
    else if (op === ARP_REPLY) this.counters.repliesReceived++;
    else return;
    if (sha === this.iface.mac || (sha >= 0x0100_0000_0000 && Math.floor(sha / 0x0100_0000_0000) % 2 === 1)) return; // our own, or a group MAC
    const forUs = this.owner.answersArpFor(this.iface, tpa);
    let n = spa !== 0 ? this.table.get(spa) : undefined;
    if (n === undefined && forUs && spa !== 0 && op === ARP_REQUEST) {
      n = new Neighbour(spa);
      this.table.set(spa, n);
    }
    if (n !== undefined && n.state !== 'PERMANENT') {
      // A unicast reply confirms reachability; anything else only refreshes the MAC (STALE if it changed).
      if (op === ARP_REPLY && ethDstIsUs) this.confirm(n, sha);
      else if (n.state === 'INCOMPLETE' || n.state === 'FAILED' || n.mac !== sha) {
        n.mac = sha;
        n.state = 'STALE';
        n.since = this.now;
        n.timer?.cancel();
        n.timer = null;
        this.flush(n);
      }
    }
    if (op === ARP_REQUEST && forUs) {
      this.counters.repliesSent++;
      this.transmitArp(sha, new Arp({ op: ARP_REPLY, sha: this.iface.mac, spa: tpa, tha: sha, tpa: spa }));
    }
  }

  private confirm(n: Neighbour, mac: MacAddr): void {
    n.mac = mac;
    n.state = 'REACHABLE';
    n.confirmed = this.now;
    n.since = this.now;
    n.probes = 0;
    n.timer?.cancel();
    n.timer = null;
    this.flush(n);
  }

  /** Sends the packets that waited for resolution. */
  private flush(n: Neighbour): void {
    const q = n.queue;
    if (q.length === 0) return;
    n.queue = [];
    for (const p of q) this.send(n.mac, p.frame, p.note);
  }

  /** A gratuitous ARP request announcing `ip` (RFC 5227 §3 announcement). */
  announce(ip: Ipv4Addr): void {
    this.counters.requestsSent++;
    this.transmitArp(MAC_BROADCAST, new Arp({ op: ARP_REQUEST, sha: this.iface.mac, spa: ip, tha: 0, tpa: ip }));
  }

  private transmitArp(dst: MacAddr, arp: Arp): void {
    const frame = serialize([new Ethernet({ dst, src: this.iface.mac, etherType: ETHERTYPE_ARP, pad: true }), arp]);
    this.iface.transmit(frame);
  }

  /** `ip neigh add ... lladdr ... nud permanent`. */
  addPermanent(ip: Ipv4Addr, mac: MacAddr): void {
    const n = this.table.get(ip) ?? new Neighbour(ip);
    n.timer?.cancel();
    n.timer = null;
    n.mac = mac;
    n.state = 'PERMANENT';
    this.table.set(ip, n);
    this.flush(n);
  }

  delete(ip: Ipv4Addr): boolean {
    const n = this.table.get(ip);
    if (n === undefined) return false;
    n.timer?.cancel();
    this.table.delete(ip);
    return true;
  }

  /** Forgets everything (interface down, `ip neigh flush`); waiting packets are dropped. */
  flushAll(): void {
    for (const n of this.table.values()) {
      n.timer?.cancel();
      for (let i = 0; i < n.queue.length; i++) this.iface.node.countDrop('arp-flushed');
    }
    this.table.clear();
  }

  /** The MAC of a usable entry, or null. */
  lookup(ip: Ipv4Addr): MacAddr | null {
    const n = this.table.get(ip);
    if (n === undefined) return null;
    const st = this.stateOf(n);
    return st === 'INCOMPLETE' || st === 'FAILED' ? null : n.mac;
  }

  entries(): NeighbourInfo[] {
    const out: NeighbourInfo[] = [];
    const dev = this.iface.name;
    for (const n of this.table.values()) {
      const state = this.stateOf(n);
      const mac = n.mac;
      const queued = n.queue.length;
      out.push({
        ip: n.ip,
        dev,
        mac,
        state,
        queued,
        toString: () => `${ipv4ToString(n.ip)} dev ${dev}${state === 'INCOMPLETE' || state === 'FAILED' ? '' : ` lladdr ${macToString(mac)}`} ${state}`,
      });
    }
    return out.sort((a, b) => a.ip - b.ip);
  }
}
