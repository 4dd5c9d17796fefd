/**
 * The packet panes' view of a PacketStore (engine/capture): one store interface per capture point,
 * the view (one point or all, plus a Wireshark display filter), rows, detail trees and bytes in the
 * bridge's shapes. A lab's store is filled live from its capture points; a file's comes from
 * `PacketStore.fromCapture`. Packet numbers n are 1-based (Wireshark's No.).
 */
import { readCapture } from '../capture/capture.ts';
import type { TreeNode } from '../capture/dissect.ts';
import { compileFilter, type FilterError as CompileError } from '../capture/display-filter.ts';
import { PacketStore } from '../capture/packet-store.ts';
import type { CapturePointInfo, DetailNode, FilterCheck, FilterError, FilterResult, OpenedCapture, PacketCount, PacketRow, Text } from '../../app/shared/bridge.ts';

export interface PointSpec {
  readonly id: string;
  readonly description?: Text;
}

function filterError(e: CompileError): FilterError {
  return { ok: false, error: e.message, pos: e.offset, length: e.length };
}

function toDetail(n: TreeNode): DetailNode {
  return {
    label: n.label,
    ...(n.range ? { range: [n.range[0], n.range[0] + n.range[1]] as const } : {}),
    ...(n.field !== undefined ? { field: n.field } : {}),
    ...(n.expert !== undefined ? { expert: n.expert } : {}),
    ...(n.children?.length ? { children: n.children.map(toDetail) } : {}),
  };
}

/** Validates a display filter without applying it. */
export function checkFilter(expr: string): FilterCheck {
  const r = compileFilter(expr.trim());
  return r.ok ? { ok: true } : filterError(r.error);
}

export class PacketView {
  private viewPoint: number | null = null;
  private expr = '';
  /** Interface of each packet, mirrored from the store (point views, counts). */
  private ifaceOf = new Uint16Array(1024);
  private synced = 0;
  private readonly counts: number[];
  /** Store indices shown; null when every packet is. Recomputed when the store grew. */
  private idx: Uint32Array | null = null;
  private idxAt = -1;

  constructor(
    readonly store: PacketStore,
    readonly points: readonly PointSpec[],
  ) {
    this.counts = points.map(() => 0);
  }

  private sync(): void {
    const n = this.store.count;
    if (this.synced === n) return;
    if (n > this.ifaceOf.length) {
      const a = new Uint16Array(Math.max(n, this.ifaceOf.length * 2));
      a.set(this.ifaceOf);
      this.ifaceOf = a;
    }
    for (let i = this.synced; i < n; i++) {
      const k = this.store.interfaceOf(i);
      this.ifaceOf[i] = k;
      this.counts[k] = (this.counts[k] ?? 0) + 1;
    }
    this.synced = n;
  }

  private view(): Uint32Array | null {
    this.sync();
    if (this.viewPoint === null && this.expr === '') return null;
    const n = this.store.count;
    if (this.idx !== null && this.idxAt === n) return this.idx;
    let base: Uint32Array | null = null;
    if (this.expr !== '') {
      const r = this.store.filter(this.expr);
      base = r.ok ? r.value : new Uint32Array(0);
    }
    if (this.viewPoint !== null) {
      const k = this.viewPoint;
      const out = new Uint32Array(base ? base.length : n);
      let c = 0;
      if (base) for (const i of base) (this.ifaceOf[i] === k ? (out[c++] = i) : 0);
      else for (let i = 0; i < n; i++) if (this.ifaceOf[i] === k) out[c++] = i;
      base = out.subarray(0, c);
    }
    this.idx = base;
    this.idxAt = n;
    return base;
  }

  get total(): number {
    return this.store.count;
  }

  count(): PacketCount {
    const v = this.view();
    return { total: this.store.count, shown: v === null ? this.store.count : v.length };
  }

  pointInfo(): CapturePointInfo[] {
    this.sync();
    return this.points.map((p, i) => ({ id: p.id, ...(p.description ? { description: p.description } : {}), count: this.counts[i] ?? 0 }));
  }

  /** Null when there is no such point. */
  setView(point: string | null): PacketCount | null {
    if (point === null) this.viewPoint = null;
    else {
      const i = this.points.findIndex((p) => p.id === point);
      if (i < 0) return null;
      this.viewPoint = i;
    }
    this.idx = null;
    return this.count();
  }

  setFilter(expr: string): FilterResult {
    const text = expr.trim();
    if (text !== '') {
      const r = this.store.filter(text);
      if (!r.ok) return filterError(r.error);
    }
    this.expr = text;
    this.idx = null;
    return { ok: true, shown: this.count().shown };
  }

  rows(from: number, count: number): PacketRow[] {
    const v = this.view();
    const shown = v === null ? this.store.count : v.length;
    const end = Math.min(shown, from + count);
    const out: PacketRow[] = [];
    for (let r = from; r < end; r++) {
      const i = v === null ? r : v[r]!;
      const c = this.store.rows(i, 1)[0]!;
      out.push({
        n: i + 1,
        time: Number(c.time),
        point: this.points[this.ifaceOf[i]!]?.id ?? String(this.ifaceOf[i]),
        src: c.source,
        dst: c.destination,
        protocol: c.protocol,
        length: c.length,
        info: c.info,
        ...(c.comment ? { comment: c.comment } : {}),
      });
    }
    return out;
  }

  has(n: number): boolean {
    return Number.isInteger(n) && n >= 1 && n <= this.store.count;
  }

  detail(n: number): DetailNode[] {
    return this.store.detail(n - 1).tree.map(toDetail);
  }

  bytes(n: number): Uint8Array {
    return this.store.bytes(n - 1).slice();
  }
}

/** A view of pcap/pcapng bytes (offline analysis). Never throws. */
export function viewFromFile(name: string, bytes: Uint8Array): { view: PacketView; opened: OpenedCapture } | { error: string } {
  const r = readCapture(bytes);
  if (!r.ok) return { error: `${name}: ${r.error.message}` };
  const cap = r.value;
  const store = PacketStore.fromCapture(cap);
  const points: PointSpec[] = cap.interfaces.map((i, k) => ({
    id: i.name ?? `if${k}`,
    ...(i.description ? { description: { ko: i.description, en: i.description } } : {}),
  }));
  if (points.length === 0) points.push({ id: 'if0' });
  const view = new PacketView(store, points);
  const opened: OpenedCapture = {
    name,
    count: store.count,
    points: view.pointInfo(),
    ...(cap.error ? { warning: `reading stopped early: ${cap.error.message}` } : {}),
  };
  return { view, opened };
}
