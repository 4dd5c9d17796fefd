/**
 * A network: the scheduler (virtual time), the seeded random source, the nodes, segments and links,
 * and the trace bus. Topology is data turned into these objects by a builder; steps refer to devices
 * by name (Mininet's division of labour).
 */
import { Random, type RandomStream, type Seed } from '../sim/random.ts';
import { Scheduler } from '../sim/scheduler.ts';
import { DisposableStore } from '../sim/disposable.ts';
import type { Nanos } from '../sim/time.ts';
import type { MacAddr } from '../wire/addr.ts';
import type { Interface } from './interface.ts';
import { Link, type LinkOptions } from './link.ts';
import { Node, type NodeOptions } from './node.ts';
import { Segment, type SegmentOptions } from './segment.ts';
import { TraceBus } from './trace.ts';

export interface NetworkOptions {
  /** Seed of every random stream (MACs, link loss, ISNs ...); default 1. */
  readonly seed?: Seed;
}

export class Network {
  readonly sched = new Scheduler();
  readonly random: Random;
  readonly trace = new TraceBus();
  /** Owner of everything started on this network; dispose() stops it all. */
  readonly disposables = new DisposableStore();
  private readonly nodeMap = new Map<string, Node>();
  private readonly segmentMap = new Map<string, Segment>();
  private readonly linkMap = new Map<string, Link>();
  private readonly macs = new Set<MacAddr>();
  private readonly macStream: RandomStream;

  constructor(opts: NetworkOptions = {}) {
    this.random = new Random(opts.seed ?? 1);
    this.macStream = this.random.stream('net/mac');
  }

  get now(): Nanos {
    return this.sched.now;
  }

  /** Creates a plain node (a host unless `ipForwarding`). Devices subclass Node and pass this network. */
  addNode(name: string, opts: NodeOptions = {}): Node {
    return new Node(this, name, opts);
  }

  /** @internal Called by the Node constructor. */
  registerNode(node: Node): void {
    if (this.nodeMap.has(node.name)) throw new Error(`a node called ${node.name} already exists`);
    this.nodeMap.set(node.name, node);
    this.disposables.add({ dispose: () => node.dispose() });
  }

  addSegment(name: string, opts: SegmentOptions = {}): Segment {
    if (this.segmentMap.has(name)) throw new Error(`a segment called ${name} already exists`);
    const s = new Segment(this, name, opts);
    this.segmentMap.set(name, s);
    this.disposables.add({ dispose: () => s.clear() });
    return s;
  }

  /** Connects two interfaces point to point; the name defaults to "a:if-b:if". */
  addLink(a: Interface, b: Interface, opts: LinkOptions & { readonly name?: string } = {}): Link {
    const name = opts.name ?? `${a.fullName}-${b.fullName}`;
    if (this.linkMap.has(name)) throw new Error(`a link called ${name} already exists`);
    const l = new Link(this, name, a, b, opts);
    this.linkMap.set(name, l);
    this.disposables.add({ dispose: () => l.clear() });
    return l;
  }

  /** The node called `name` (throws when there is none; see findNode). */
  node(name: string): Node {
    const n = this.nodeMap.get(name);
    if (n === undefined) throw new Error(`no node called ${name}`);
    return n;
  }
  findNode(name: string): Node | undefined {
    return this.nodeMap.get(name);
  }
  segment(name: string): Segment {
    const s = this.segmentMap.get(name);
    if (s === undefined) throw new Error(`no segment called ${name}`);
    return s;
  }
  link(name: string): Link {
    const l = this.linkMap.get(name);
    if (l === undefined) throw new Error(`no link called ${name}`);
    return l;
  }
  /** "node:ifname". */
  iface(fullName: string): Interface {
    const i = fullName.indexOf(':');
    if (i < 0) throw new Error(`interface names are node:ifname, got ${fullName}`);
    return this.node(fullName.slice(0, i)).iface(fullName.slice(i + 1));
  }

  nodes(): Node[] {
    return [...this.nodeMap.values()];
  }
  segments(): Segment[] {
    return [...this.segmentMap.values()];
  }
  links(): Link[] {
    return [...this.linkMap.values()];
  }

  /** A fresh locally administered unicast MAC (02:xx:xx:xx:xx:xx), deterministic per seed and call order. */
  newMac(): MacAddr {
    for (;;) {
      const m = 0x02_00_0000_0000 + (this.macStream.u32() & 0xff) * 0x1_0000_0000 + this.macStream.u32();
      if (!this.macs.has(m)) {
        this.macs.add(m);
        return m;
      }
    }
  }

  // --- drivers --------------------------------------------------------------------------------------

  /** Runs every event up to virtual time `t`. */
  runUntil(t: Nanos): void {
    this.sched.runUntil(t);
  }

  /** Runs for `dt` virtual ns from now. */
  runFor(dt: Nanos): void {
    this.sched.runUntil(this.sched.now + dt);
  }

  /**
   * Runs until nothing is scheduled. Long timers count: an established conntrack entry or a REACHABLE
   * neighbour keeps the clock moving to its expiry, so bounded runs (runFor) suit most drivers.
   */
  runUntilIdle(maxEvents?: number): void {
    this.sched.runUntilIdle(maxEvents);
  }

  /**
   * Runs events until `pred()` holds, for at most `maxVirtualNs` of virtual time from now. Returns
   * whether it held; time is left at the event that satisfied it (or at the limit).
   */
  runUntilCondition(pred: () => boolean, maxVirtualNs: Nanos): boolean {
    const deadline = this.sched.now + maxVirtualNs;
    if (pred()) return true;
    for (;;) {
      const next = this.sched.nextEventTime();
      if (next === undefined || next > deadline) {
        this.sched.runUntil(deadline);
        return pred();
      }
      this.sched.step();
      if (pred()) return true;
    }
  }

  /** Stops everything: timers, frames in flight, conntrack and ARP state. */
  dispose(): void {
    this.disposables.dispose();
    this.sched.cancelAll();
  }
}
