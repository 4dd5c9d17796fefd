/**
 * IPv4 fragmentation (RFC 791 §3.2, "Fragmentation and reassembly") and reassembly (RFC 815's hole
 * list reduced to a sorted list of received ranges). Only options with the copied flag go into
 * non-first fragments (RFC 791 §3.1). Reassembly gives up after 30 s (Linux ipfrag_time) and reports
 * ICMP time exceeded, code 1, when the first fragment had arrived (RFC 792).
 */
import { u16, setU16 } from '../wire/bytes.ts';
import { Ipv4View } from '../wire/ipv4.ts';
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import { sec, type Nanos } from '../sim/time.ts';

const MF = 0x2000;
const DF = 0x4000;
const OFFSET_MASK = 0x1fff;

/**
 * Splits a datagram (DF clear) into datagrams of at most `mtu` bytes. Returns null when it cannot be
 * done (MTU too small for the header plus 8 bytes).
 */
export function fragmentDatagram(dg: Uint8Array, mtu: number): Uint8Array[] | null {
  const ip = new Ipv4View(dg);
  const hl = ip.headerLen;
  const total = ip.totalLen;
  const ff = ip.flagsFrag;
  const baseOffset = (ff & OFFSET_MASK) * 8;
  const origMf = (ff & MF) !== 0;
  // Options for later fragments: those with the copied bit.
  const opts = dg.subarray(20, hl);
  const copied: number[] = [];
  for (let i = 0; i < opts.length; ) {
    const t = opts[i]!;
    if (t === 0) break;
    if (t === 1) {
      i++;
      continue;
    }
    const len = opts[i + 1] ?? 0;
    if (len < 2 || i + len > opts.length) break;
    if (t & 0x80) for (let k = 0; k < len; k++) copied.push(opts[i + k]!);
    i += len;
  }
  const laterHl = 20 + ((copied.length + 3) & ~3);
  const out: Uint8Array[] = [];
  let off = 0;
  const dataLen = total - hl;
  while (off < dataLen) {
    const h = off === 0 ? hl : laterHl;
    const room = ((mtu - h) >> 3) << 3;
    if (room <= 0) return null;
    const n = Math.min(room, dataLen - off);
    const last = off + n >= dataLen;
    const f = new Uint8Array(h + n);
    f.set(dg.subarray(0, 20), 0);
    if (off === 0) f.set(dg.subarray(20, hl), 20);
    else for (let k = 0; k < copied.length; k++) f[20 + k] = copied[k]!;
    f[0] = 0x40 | (h >> 2);
    f.set(dg.subarray(hl + off, hl + off + n), h);
    setU16(f, 2, h + n);
    setU16(f, 6, (ff & ~(MF | OFFSET_MASK) & ~DF) | (last && !origMf ? 0 : MF) | ((baseOffset + off) >> 3));
    new Ipv4View(f).fillChecksum();
    out.push(f);
    off += n;
  }
  return out;
}

interface Pending {
  /** Received [start, end) byte ranges of the payload, with their data. */
  parts: { start: number; data: Uint8Array }[];
  /** The first fragment's header (offset 0), once received. */
  header: Uint8Array | null;
  /** Payload length, once the last fragment (MF clear) has arrived. */
  totalData: number;
  bytes: number;
  timer: Timer;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  timeout: Nanos = sec(30);
  /** Bound on datagrams being reassembled at once (ipfrag_high_thresh-like). */
  maxPending = 1024;

  constructor(
    private readonly sched: Scheduler,
    private readonly onTimeout: (firstFragment: Uint8Array | null) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds a fragment (a whole datagram, header first, trimmed to Total Length). Returns the reassembled
   * datagram when this one completed it, null while incomplete or when it was refused.
   */
  add(dg: Uint8Array): Uint8Array | null {
    const ip = new Ipv4View(dg);
    const key = `${ip.src}/${ip.dst}/${ip.id}/${ip.protocol}`;
    const hl = ip.headerLen;
    const start = ip.fragOffset * 8;
    const data = dg.subarray(hl, ip.totalLen);
    let p = this.pending.get(key);
    if (p === undefined) {
      if (this.pending.size >= this.maxPending) return null;
      const timer = this.sched.after(this.timeout, () => this.expire(key), 'ip reassembly');
      p = { parts: [], header: null, totalData: -1, bytes: 0, timer };
      this.pending.set(key, p);
    }
    if (start === 0) p.header = dg.slice(0, hl);
    if (!ip.mf) p.totalData = start + data.length;
    if (start + data.length > 65535 - 20) {
      this.drop(key, p);
      return null;
    }
    p.parts.push({ start, data: data.slice() });
    p.bytes += data.length;
    if (p.header === null || p.totalData < 0) return null;
    // Complete when the ranges cover [0, totalData) without a hole.
    p.parts.sort((a, b) => a.start - b.start);
    let covered = 0;
    for (const part of p.parts) {
      if (part.start > covered) return null;
      covered = Math.max(covered, part.start + part.data.length);
    }
    if (covered < p.totalData) return null;
    const h = p.header;
    const out = new Uint8Array(h.length + p.totalData);
    out.set(h, 0);
    for (const part of p.parts) out.set(part.data.subarray(0, Math.max(0, p.totalData - part.start)), h.length + part.start);
    setU16(out, 2, out.length);
    setU16(out, 6, u16(out, 6) & ~(MF | OFFSET_MASK));
    new Ipv4View(out).fillChecksum();
    this.drop(key, p);
    return out;
  }

  private drop(key: string, p: Pending): void {
    p.timer.cancel();
    this.pending.delete(key);
  }

  private expire(key: string): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    let first: Uint8Array | null = null;
    if (p.header !== null) {
      const d0 = p.parts.find((x) => x.start === 0);
      if (d0) {
        first = new Uint8Array(p.header.length + d0.data.length);
        first.set(p.header, 0);
        first.set(d0.data, p.header.length);
        setU16(first, 2, first.length);
      }
    }
    this.onTimeout(first);
  }

  clear(): void {
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
  }
}
