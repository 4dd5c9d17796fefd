/**
 * Joins a TAP device to an engine Interface, in one of two ways:
 *
 * - `nic`: the TAP *is* the interface's hardware. The interface stays plugged into its Segment or Link
 *   (delays, MAC learning, loss all apply); frames the medium delivers to it (passing its MAC filter,
 *   as a NIC's) are written to the TAP, and frames the kernel sends are transmitted by it. The engine
 *   node keeps no addresses on it, so only the real host answers. This is how a declared lab host is
 *   made real (real-host.ts): its capture point `host:eth0` then shows exactly what tcpdump on the
 *   TAP shows.
 * - `medium`: the TAP is the interface's medium (an engine/net Attachment, like one end of a Link): what
 *   the interface transmits goes to the kernel, what the kernel sends is received by the interface.
 *   Use it to cable a real host straight to an engine device's port.
 *
 * Timing: a frame read from the TAP is injected at the current virtual time: `pacer.sync()` brings the
 * scheduler to the wall clock's virtual time, the delivery is scheduled at that time, and `wake()`
 * re-plans the pacer. While any TAP link of a network is open, the network runs under a RealTimePacer
 * at speed 1 (created here unless the caller passes the one it drives the network with).
 *
 * Bad input is normal input: runts and frames larger than the MTU allows are counted and dropped.
 */
import type { Attachment, Interface } from '../net/interface.ts';
import type { Network } from '../net/network.ts';
import { RealTimePacer } from '../sim/pacer.ts';
import type { TapDevice } from './tun.ts';

export type TapLinkMode = 'nic' | 'medium';

export interface TapLinkOptions {
  /** Default 'nic'. */
  readonly mode?: TapLinkMode;
  /**
   * The pacer that drives this network in real time (the UI's or the lab runner's). Without one, a
   * pacer is made for the network and stopped when its last TAP link closes.
   */
  readonly pacer?: RealTimePacer;
}

export class TapLinkCounters {
  /** Frames from the kernel accepted into the engine. */
  fromKernel = 0;
  fromKernelBytes = 0;
  /** Frames from the engine written to the kernel. */
  toKernel = 0;
  toKernelBytes = 0;
  /** Kernel frames shorter than an Ethernet header, dropped. */
  runts = 0;
  /** Kernel frames longer than the interface MTU allows, dropped. */
  oversize = 0;
  /** Engine frames the kernel refused (write failed; see the TapDevice's counters). */
  writeErrors = 0;
  /** Frames not for the real host's MAC (nic mode), not written, as a NIC filters them. */
  filtered = 0;
}

// --- one real-time pacer per network while TAPs are attached ---------------------------------------

interface Clock {
  readonly pacer: RealTimePacer;
  readonly owned: boolean;
  readonly prevSpeed: number;
  users: number;
}

const clocks = new WeakMap<Network, Clock>();

function acquireClock(network: Network, given: RealTimePacer | undefined): RealTimePacer {
  let c = clocks.get(network);
  if (c !== undefined) {
    if (given !== undefined && given !== c.pacer) throw new Error('pktlab: this network already runs under another real-time pacer');
  } else {
    if (given !== undefined && given.scheduler !== network.sched) throw new Error("pktlab: the pacer given does not drive this network's scheduler");
    const pacer = given ?? new RealTimePacer(network.sched, { speed: 1 });
    c = { pacer, owned: given === undefined, prevSpeed: pacer.speed, users: 0 };
    clocks.set(network, c);
  }
  c.users++;
  // Real hosts live in wall time: speed 1, running.
  if (c.pacer.speed !== 1) c.pacer.setSpeed(1);
  if (!c.pacer.running) c.pacer.start();
  else if (c.pacer.paused) c.pacer.resume();
  return c.pacer;
}

function releaseClock(network: Network): void {
  const c = clocks.get(network);
  if (c === undefined) return;
  if (--c.users > 0) return;
  clocks.delete(network);
  if (c.owned) c.pacer.stop();
  else if (c.prevSpeed !== 1) c.pacer.setSpeed(c.prevSpeed);
}

/** The pacer running `network` in real time while a TAP is attached, if any. */
export function realTimePacerOf(network: Network): RealTimePacer | undefined {
  return clocks.get(network)?.pacer;
}

/** Number of TAP links open on `network`. */
export function tapLinkCount(network: Network): number {
  return clocks.get(network)?.users ?? 0;
}

// --- the link ------------------------------------------------------------------------------------

const ETH_HLEN = 14;
/** Room for one 802.1Q tag above the MTU. */
const VLAN_ALLOWANCE = 4;

export class TapLink {
  readonly counters = new TapLinkCounters();
  readonly mode: TapLinkMode;
  readonly pacer: RealTimePacer;
  private readonly network: Network;
  private closed = false;
  private undo: (() => void) | null = null;
  private readonly label: string;

  constructor(
    readonly iface: Interface,
    readonly tap: TapDevice,
    opts: TapLinkOptions = {},
  ) {
    this.mode = opts.mode ?? 'nic';
    this.network = iface.node.network;
    this.label = `tap ${tap.name} → ${iface.fullName}`;
    if (iface.loopback) throw new Error(`pktlab: ${iface.fullName} is a loopback; a TAP needs an Ethernet interface`);
    if (this.mode === 'nic' && iface.attachedTo === null) {
      throw new Error(`pktlab: ${iface.fullName} is not attached to a segment or link; a real NIC needs a medium`);
    }
    if (this.mode === 'medium' && iface.attachedTo !== null) {
      throw new Error(`pktlab: ${iface.fullName} is already attached to ${iface.attachedTo.kind} ${iface.attachedTo.medium}`);
    }
    this.pacer = acquireClock(this.network, opts.pacer); // may throw; nothing is attached yet
    if (this.mode === 'medium') {
      const a: Attachment = {
        medium: `tap:${tap.name}`,
        kind: 'link',
        send: (frame) => this.toKernel(frame),
        detach: () => this.dispose(),
      };
      iface.setAttachment(a);
      this.undo = () => {
        if (iface.attachedTo === a) iface.setAttachment(null);
      };
    } else {
      const sub = iface.addTap((frame, dir) => {
        if (dir === 'in') this.nicReceive(frame);
      });
      this.undo = () => sub.dispose();
    }
    this.network.disposables.add(this);
    tap.onFrame((f) => this.fromKernel(f));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** nic mode: a frame the medium delivered to the interface; the NIC's MAC filter, then the kernel. */
  private nicReceive(frame: Uint8Array): void {
    if (!this.iface.up || frame.length < ETH_HLEN) return; // the interface counts these itself
    const m = this.iface.mac;
    const group = (frame[0]! & 1) !== 0;
    if (!group) {
      let d = 0;
      for (let i = 0; i < 6; i++) d = d * 256 + frame[i]!;
      if (d !== m) {
        this.counters.filtered++;
        return;
      }
    }
    this.toKernel(frame);
  }

  private toKernel(frame: Uint8Array): void {
    if (this.closed) return;
    // write() copies into the kernel now, before any engine code could reuse the buffer.
    if (this.tap.write(frame)) {
      this.counters.toKernel++;
      this.counters.toKernelBytes += frame.length;
    } else this.counters.writeErrors++;
  }

  private fromKernel(frame: Uint8Array): void {
    if (this.closed) return;
    if (frame.length < ETH_HLEN) {
      this.counters.runts++;
      return;
    }
    if (frame.length > ETH_HLEN + this.iface.mtu + VLAN_ALLOWANCE) {
      this.counters.oversize++;
      return;
    }
    this.counters.fromKernel++;
    this.counters.fromKernelBytes += frame.length;
    const sched = this.network.sched;
    // Outside any event (an I/O callback): bring the clock to now, deliver at now, re-plan the sleep.
    const now = sched.running ? sched.now : this.pacer.sync();
    sched.at(now, () => this.deliver(frame), this.label);
    this.pacer.wake();
  }

  private deliver(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.mode === 'medium') this.iface.receive(frame);
    else this.iface.transmit(frame);
  }

  /** Detaches from the interface and closes the TAP (the kernel deletes the device). Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.network.disposables.delete(this);
    this.undo?.();
    this.undo = null;
    this.tap.close();
    releaseClock(this.network);
  }
}

/** Joins `tap` to `iface` (see TapLink). */
export function attachTap(iface: Interface, tap: TapDevice, opts: TapLinkOptions = {}): TapLink {
  return new TapLink(iface, tap, opts);
}
