/**
 * The packet table behind the UI's packet panes: captured frames (a copy each) per capture point,
 * the view (one point or all, plus a display filter), rows, detail trees and bytes, and pcapng
 * export. Filled live from a lab's trace bus or from a pcap/pcapng file.
 *
 * Interim parts, to be replaced by engine/capture's packet store, dissector and display filter as
 * they land: rows come from engine/wire/summary.ts, the filter is the pcap-filter language
 * (engine/wire/pcap-filter.ts, tcpdump syntax), the detail tree is ./dissect.ts.
 */
import { PcapngWriter } from '../capture/pcapng-writer.ts';
import { readCapture } from '../capture/capture.ts';
import { summarizeFrame } from '../wire/summary.ts';
import { compileFilter, filterErrorText, type FrameFilter } from '../wire/pcap-filter.ts';
import { endpoints } from './dissect.ts';
import type { CapturePointInfo, FilterResult, OpenedCapture, PacketCount, PacketRow, Text } from '../../app/shared/bridge.ts';

export interface StoredPacket {
  readonly point: number;
  /** Virtual ns (lab) or ns since the first packet (file). */
  readonly timeNs: number;
  readonly frame: Uint8Array;
  readonly comment?: string;
  readonly direction?: 'inbound' | 'outbound';
  /** Scheduler event count when the frame was traced (step back by packet); -1 for files. */
  readonly event: number;
}

export interface PointSpec {
  readonly id: string;
  readonly description?: Text;
  /** pcapng if_name. */
  readonly ifName: string;
}

export class PacketTable {
  private readonly packets: StoredPacket[] = [];
  private readonly counts: number[];
  private viewPoint: number | null = null;
  private filter: FrameFilter | null = null;
  /** Indices (0-based) of shown packets; null when every packet is shown. */
  private shownIdx: number[] | null = null;

  constructor(
    readonly points: readonly PointSpec[],
    private readonly epochNs: bigint,
    private readonly resolveHost: (name: string) => number | null = () => null,
  ) {
    this.counts = points.map(() => 0);
  }

  get total(): number {
    return this.packets.length;
  }

  get shown(): number {
    return this.shownIdx === null ? this.packets.length : this.shownIdx.length;
  }

  count(): PacketCount {
    return { total: this.total, shown: this.shown };
  }

  add(p: StoredPacket): void {
    this.packets.push(p);
    this.counts[p.point] = (this.counts[p.point] ?? 0) + 1;
    if (this.shownIdx !== null && this.passes(p)) this.shownIdx.push(this.packets.length - 1);
  }

  /** Drops packets traced after scheduler event `event` (deterministic replay rebuilds them). */
  truncateAfterEvent(event: number): void {
    while (this.packets.length && this.packets[this.packets.length - 1]!.event > event) {
      const p = this.packets.pop()!;
      this.counts[p.point]!--;
    }
    this.rebuild();
  }

  clear(): void {
    this.packets.length = 0;
    this.counts.fill(0);
    this.rebuild();
  }

  /** Event count of the last packet traced at or before `event`, or -1. */
  packetEventBefore(event: number): number {
    for (let i = this.packets.length - 1; i >= 0; i--) if (this.packets[i]!.event < event) return this.packets[i]!.event;
    return -1;
  }

  pointInfo(): CapturePointInfo[] {
    return this.points.map((p, i) => ({ id: p.id, ...(p.description ? { description: p.description } : {}), count: this.counts[i] ?? 0 }));
  }

  setView(point: string | null): PacketCount | null {
    if (point === null) this.viewPoint = null;
    else {
      const i = this.points.findIndex((p) => p.id === point);
      if (i < 0) return null;
      this.viewPoint = i;
    }
    this.rebuild();
    return this.count();
  }

  setFilter(expr: string): FilterResult {
    if (expr.trim() === '') {
      this.filter = null;
      this.rebuild();
      return { ok: true, shown: this.shown };
    }
    const r = compileFilter(expr, { resolveHost: (n) => this.resolveHost(n) });
    if (!r.ok) return { ok: false, error: `${filterErrorText(r.error)} (at character ${r.error.pos + 1})`, pos: r.error.pos };
    this.filter = r.value;
    this.rebuild();
    return { ok: true, shown: this.shown };
  }

  rows(from: number, count: number): PacketRow[] {
    const out: PacketRow[] = [];
    const end = Math.min(this.shown, from + count);
    const t0 = this.packets.length ? this.packets[0]!.timeNs : 0;
    for (let r = from; r < end; r++) {
      const idx = this.shownIdx === null ? r : this.shownIdx[r]!;
      const p = this.packets[idx]!;
      const e = endpoints(p.frame);
      const line = summarizeFrame(p.frame);
      out.push({
        n: idx + 1,
        time: (p.timeNs - t0) / 1e9,
        point: this.points[p.point]?.id ?? String(p.point),
        src: e.src,
        dst: e.dst,
        protocol: e.protocol,
        length: p.frame.length,
        info: line.replace(/^IP \S+ > \S+: /, ''),
        ...(p.comment ? { comment: p.comment } : {}),
      });
    }
    return out;
  }

  packet(n: number): StoredPacket | undefined {
    return this.packets[n - 1];
  }

  /** All packets as pcapng: one interface per capture point, comments and directions kept. */
  toPcapng(): Uint8Array {
    const w = new PcapngWriter({ epochNs: this.epochNs });
    for (const p of this.points) w.addInterface({ name: p.ifName, ...(p.description ? { description: p.description.en } : {}) });
    for (const p of this.packets) {
      w.writePacket(p.point, p.timeNs, p.frame, { ...(p.comment ? { comment: p.comment } : {}), ...(p.direction ? { direction: p.direction } : {}) });
    }
    return w.toBytes();
  }

  private passes(p: StoredPacket): boolean {
    if (this.viewPoint !== null && p.point !== this.viewPoint) return false;
    return this.filter === null || this.filter(p.frame);
  }

  private rebuild(): void {
    if (this.viewPoint === null && this.filter === null) {
      this.shownIdx = null;
      return;
    }
    const idx: number[] = [];
    for (let i = 0; i < this.packets.length; i++) if (this.passes(this.packets[i]!)) idx.push(i);
    this.shownIdx = idx;
  }
}

/** A packet table from pcap/pcapng bytes (offline analysis). Never throws. */
export function tableFromFile(name: string, bytes: Uint8Array): { table: PacketTable; opened: OpenedCapture } | { error: string } {
  const r = readCapture(bytes);
  if (!r.ok) return { error: `${name}: ${r.error.message}` };
  const cap = r.value;
  const points: PointSpec[] = cap.interfaces.map((i, k) => ({
    id: i.name ?? `if${k}`,
    ifName: i.name ?? `if${k}`,
    ...(i.description ? { description: { ko: i.description, en: i.description } } : {}),
  }));
  if (points.length === 0) points.push({ id: 'if0', ifName: 'if0' });
  const first = cap.packets.find((p) => p.timestampNs !== null)?.timestampNs ?? 0n;
  const table = new PacketTable(points, first);
  for (const p of cap.packets) {
    table.add({
      point: p.interfaceId,
      timeNs: p.timestampNs === null ? 0 : Number(p.timestampNs - first),
      // The reader's packets alias the file; keep our own copy so the file can go.
      frame: p.data.slice(),
      event: -1,
      ...(p.comment ? { comment: p.comment } : {}),
      ...(p.direction ? { direction: p.direction } : {}),
    });
  }
  const opened: OpenedCapture = {
    name,
    count: table.total,
    points: table.pointInfo(),
    ...(cap.error ? { warning: `reading stopped early: ${cap.error.message}` } : {}),
  };
  return { table, opened };
}
