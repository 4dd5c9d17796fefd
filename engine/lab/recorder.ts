/**
 * Capture points: subscribes to a network's trace bus from outside (ns-3's PcapHelper) and writes one
 * pcapng with an Interface Description Block per point ("alteon:outside"), nanosecond timestamps from
 * the virtual clock on the lab epoch, the device's decision as each packet's comment, and a Name
 * Resolution Block naming every address the lab's devices own, so Wireshark shows device names.
 */
import type { Network } from '../net/network.ts';
import type { TraceEvent } from '../net/trace.ts';
import type { Disposable } from '../net/ip-host.ts';
import { PcapngWriter, type NameRecord } from '../capture/pcapng-writer.ts';
import { DEFAULT_EPOCH_NS } from '../sim/time.ts';

export interface CapturePoint {
  /** Interface name in pcapng (if_name), e.g. "alteon:outside"; default "node:ifname". */
  readonly name?: string;
  readonly node: string;
  readonly ifname: string;
  readonly description?: string;
}

export interface RecorderOptions {
  readonly epochNs?: bigint;
  /** Extra address names (e.g. a VIP → "vip1"); every device address is named after its device. */
  readonly names?: readonly NameRecord[];
}

export class PcapngRecorder implements Disposable {
  readonly writer: PcapngWriter;
  private readonly ids = new Map<string, number>();
  private readonly counts: number[] = [];
  private sub: Disposable | null = null;
  private namesWritten = false;

  constructor(
    private readonly network: Network,
    points: readonly CapturePoint[],
    private readonly opts: RecorderOptions = {},
  ) {
    this.writer = new PcapngWriter({ epochNs: opts.epochNs ?? DEFAULT_EPOCH_NS });
    for (const p of points) {
      const node = network.node(p.node);
      const iface = node.iface(p.ifname);
      const key = `${p.node}\u0000${p.ifname}`;
      if (this.ids.has(key)) throw new Error(`capture point ${p.node}:${p.ifname} is listed twice`);
      const id = this.writer.addInterface({
        name: p.name ?? iface.fullName,
        description: p.description ?? `${p.node} interface ${p.ifname}`,
      });
      this.ids.set(key, id);
      this.counts[id] = 0;
    }
  }

  /** Starts recording (idempotent). Names are written first so every packet is resolved. */
  start(): this {
    if (!this.namesWritten) {
      this.writer.writeNames(this.addressNames());
      this.namesWritten = true;
    }
    if (!this.sub) this.sub = this.network.trace.subscribe((e) => this.onTrace(e));
    return this;
  }

  stop(): void {
    this.sub?.dispose();
    this.sub = null;
  }

  dispose(): void {
    this.stop();
  }

  /** Packets recorded at a capture point, by its position in the constructor's list. */
  packetCount(index: number): number {
    return this.counts[index] ?? 0;
  }

  get packets(): number {
    return this.writer.packets;
  }

  toBytes(): Uint8Array {
    return this.writer.toBytes();
  }

  private onTrace(e: TraceEvent): void {
    const id = this.ids.get(`${e.node}\u0000${e.ifname}`);
    if (id === undefined) return;
    // The writer copies the borrowed frame into its buffer before returning.
    this.writer.writePacket(id, e.time, e.frame, {
      direction: e.direction === 'in' ? 'inbound' : 'outbound',
      comment: e.note,
    });
    this.counts[id]!++;
  }

  private addressNames(): NameRecord[] {
    const byAddr = new Map<number, string[]>();
    for (const n of this.opts.names ?? []) byAddr.set(n.addr, typeof n.names === 'string' ? [n.names] : [...n.names]);
    for (const node of this.network.nodes()) {
      for (const iface of node.interfaces()) {
        if (iface.loopback) continue;
        for (const a of iface.addresses) {
          if (!byAddr.has(a.addr)) byAddr.set(a.addr, [node.name]);
        }
      }
    }
    return [...byAddr.entries()].sort((a, b) => a[0] - b[0]).map(([addr, names]) => ({ addr, names }));
  }
}
