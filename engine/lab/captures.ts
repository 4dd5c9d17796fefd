/**
 * The lab's capture points: one pcapng Interface Description Block per point, a Name Resolution
 * Block naming every device address after its device, and the packets kept in memory so checks can
 * look at what a point saw during a step.
 *
 * A point on an interface records what that interface sends and receives (with the direction flag).
 * A point on a segment or a link records each frame once, as one of its members sends it (a mirror
 * port of the switch or a tap on the cable).
 */
import { PcapngWriter, type NameRecord } from '../capture/pcapng-writer.ts';
import type { Interface } from '../net/interface.ts';
import type { Network } from '../net/network.ts';
import type { TraceEvent } from '../net/trace.ts';
import type { IDisposable } from '../sim/disposable.ts';
import type { Nanos } from '../sim/time.ts';
import type { LocalText } from './normalize.ts';

export interface CapturePointSpec {
  /** The capture point's name in the lab. */
  readonly name: string;
  /** Where, as the lab writes it: `DEVICE.IFACE`, a segment or a link. */
  readonly at: string;
  readonly kind: 'interface' | 'segment' | 'link';
  /** pcapng if_name: `alteon:outside` for an interface, the point's name otherwise. */
  readonly ifName: string;
  readonly description: LocalText | null;
  /** `interface alteon:outside`, `segment lan (alice:eth0, bob:eth0)`. */
  readonly what: string;
  readonly interfaces: readonly Interface[];
}

export interface CapturePoint extends CapturePointSpec {
  readonly index: number;
  /** Whether a trace event belongs to this point (each frame once per point). */
  matches(e: TraceEvent): boolean;
}

export interface CapturedPacket {
  /** 1-based number in the capture file. */
  readonly number: number;
  readonly point: number;
  readonly time: Nanos;
  readonly frame: Uint8Array;
  readonly direction: 'in' | 'out';
  readonly note?: string;
  /** Scheduler events run when the frame was traced (stepping back by packet replays to it). */
  readonly event: number;
}

export interface CaptureOptions {
  readonly epochNs: bigint;
  readonly names?: readonly NameRecord[];
}

export class CaptureStore implements IDisposable {
  readonly points: readonly CapturePoint[];
  readonly writer: PcapngWriter;
  private readonly list: CapturedPacket[] = [];
  private readonly byIface = new Map<Interface, { point: number; outOnly: boolean }[]>();
  private readonly sub: IDisposable;
  private pending: { e: TraceEvent; frame: Uint8Array; event: number; targets: readonly { point: number; outOnly: boolean }[] } | null = null;
  private readonly listeners = new Set<(p: CapturedPacket) => void>();

  constructor(
    private readonly network: Network,
    specs: readonly CapturePointSpec[],
    opts: CaptureOptions,
  ) {
    this.writer = new PcapngWriter({ epochNs: opts.epochNs });
    this.points = specs.map((s, index) => {
      const outOnly = s.kind !== 'interface';
      for (const i of s.interfaces) {
        const l = this.byIface.get(i) ?? [];
        l.push({ point: index, outOnly });
        this.byIface.set(i, l);
      }
      const keys = new Set(s.interfaces.map((i) => `${i.node.name}\u0000${i.name}`));
      this.writer.addInterface({ name: s.ifName, description: s.description?.en ?? s.what });
      return { ...s, index, matches: (e: TraceEvent) => (!outOnly || e.direction === 'out') && keys.has(`${e.node}\u0000${e.ifname}`) };
    });
    const byAddr = new Map<number, string[]>();
    for (const n of opts.names ?? []) {
      const l = byAddr.get(n.addr) ?? [];
      for (const x of typeof n.names === 'string' ? [n.names] : n.names) if (!l.includes(x)) l.push(x);
      byAddr.set(n.addr, l);
    }
    if (byAddr.size > 0) this.writer.writeNames([...byAddr].sort((a, b) => a[0] - b[0]).map(([addr, names]) => ({ addr, names })));
    this.sub = network.trace.subscribe((e) => this.onTrace(e));
  }

  /** Packets recorded so far, in file order. */
  get total(): number {
    this.flush();
    return this.list.length;
  }

  /** Packets at `point` (an index or a name) numbered above `after` (0: from the start). */
  packets(point: number | string, after = 0): CapturedPacket[] {
    this.flush();
    const idx = typeof point === 'number' ? point : this.points.findIndex((p) => p.name === point);
    const out: CapturedPacket[] = [];
    for (let k = after; k < this.list.length; k++) if (this.list[k]!.point === idx) out.push(this.list[k]!);
    return out;
  }

  /** Tells `fn` of every packet as it is recorded (a received frame once its note is final); returns the unsubscribe. */
  onPacket(fn: (p: CapturedPacket) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Records a held packet now (readers call it before looking). */
  flushPending(): void {
    this.flush();
  }

  point(name: string): CapturePoint | undefined {
    return this.points.find((p) => p.name === name);
  }

  toBytes(): Uint8Array {
    this.flush();
    return this.writer.toBytes();
  }

  dispose(): void {
    this.flush();
    this.sub.dispose();
  }

  private onTrace(e: TraceEvent): void {
    this.flush();
    const node = this.network.findNode(e.node);
    const iface = node?.findInterface(e.ifname);
    if (iface === undefined) return;
    const targets = this.byIface.get(iface);
    if (targets === undefined) return;
    const frame = e.frame.slice(); // frames are borrowed (engine/net/trace.ts)
    // A received frame's note is filled in by the node after this call returns (engine/net/trace.ts):
    // hold it until the next event or the next read.
    this.pending = { e, frame, event: this.network.sched.eventCount, targets };
    if (e.direction === 'out') this.flush();
  }

  /** Writes the held packet, now that its note is final. */
  private flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    const { e, frame, event, targets } = p;
    for (const t of targets) {
      if (t.outOnly && e.direction !== 'out') continue;
      this.writer.writePacket(t.point, e.time, frame, {
        ...(t.outOnly ? {} : { direction: e.direction === 'in' ? 'inbound' : 'outbound' }),
        ...(e.note ? { comment: e.note } : {}),
      });
      const c: CapturedPacket = { number: this.list.length + 1, point: t.point, time: e.time, frame, direction: e.direction, event, ...(e.note ? { note: e.note } : {}) };
      this.list.push(c);
      for (const fn of this.listeners) fn(c);
    }
  }
}
