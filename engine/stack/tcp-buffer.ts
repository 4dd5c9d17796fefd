/**
 * Sequence-number arithmetic (RFC 9293 §3.4, modulo 2^32) and the byte queues of a connection:
 * the send queue (unacknowledged + unsent bytes, starting at SND.UNA) and the out-of-order
 * reassembly queue of the receiver.
 */

/** a < b in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a <= b in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
/** a > b in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** a >= b in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** a + n, wrapped to 32 bits. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** Distance b - a (signed, in bytes). */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

const EMPTY = new Uint8Array(0);

/**
 * Bytes written by the application and not yet acknowledged, as a list of the written chunks (not
 * copied: like Node's net.Socket, a written buffer must not be changed afterwards). Offset 0 is the
 * byte at SND.UNA. Reads near the last read position are O(1) thanks to a cursor.
 */
export class SendQueue {
  private chunks: Uint8Array[] = [];
  /** Offset into chunks[0] of the first queued byte. */
  private headOff = 0;
  /** Total queued bytes. */
  length = 0;
  // Cursor: chunk index `ci` starts at queue offset `cpos`.
  private ci = 0;
  private cpos = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  /** Drops `n` bytes from the front (they were acknowledged). */
  consume(n: number): void {
    if (n <= 0) return;
    if (n >= this.length) {
      this.chunks.length = 0;
      this.headOff = 0;
      this.length = 0;
      this.ci = 0;
      this.cpos = 0;
      return;
    }
    this.length -= n;
    let drop = 0;
    let rest = n;
    const chunks = this.chunks;
    while (rest > 0) {
      const avail = chunks[drop]!.length - this.headOff;
      if (rest >= avail) {
        rest -= avail;
        drop++;
        this.headOff = 0;
      } else {
        this.headOff += rest;
        rest = 0;
      }
    }
    if (drop > 0) chunks.splice(0, drop);
    // Re-base the cursor.
    if (this.ci >= drop) {
      this.ci -= drop;
      this.cpos -= n;
      if (this.cpos < 0 || this.ci === 0) {
        this.ci = 0;
        this.cpos = 0;
      }
    } else {
      this.ci = 0;
      this.cpos = 0;
    }
  }

  /**
   * Bytes [off, off + len) of the queue. A view into the written chunk when the range lies within one
   * chunk, else a copy. `len` is clipped to what is queued.
   */
  read(off: number, len: number): Uint8Array {
    if (off + len > this.length) len = this.length - off;
    if (len <= 0) return EMPTY;
    const chunks = this.chunks;
    // Seek with the cursor (queue offset of chunk i = its start, chunk 0 starts at -headOff).
    let i = this.ci;
    let pos = this.cpos;
    if (off < pos) {
      i = 0;
      pos = 0;
    }
    for (;;) {
      const c = chunks[i]!;
      const start = i === 0 ? this.headOff : 0;
      const clen = c.length - start;
      if (off < pos + clen) {
        this.ci = i;
        this.cpos = pos;
        const at = start + (off - pos);
        if (at + len <= c.length) return c.subarray(at, at + len);
        const out = new Uint8Array(len);
        let w = c.length - at;
        out.set(c.subarray(at), 0);
        let j = i + 1;
        while (w < len) {
          const d = chunks[j++]!;
          const take = Math.min(d.length, len - w);
          out.set(take === d.length ? d : d.subarray(0, take), w);
          w += take;
        }
        return out;
      }
      pos += clen;
      i++;
    }
  }
}

/** One out-of-order segment held for reassembly. */
export interface OooSegment {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

/**
 * Out-of-order segments kept sorted by sequence number, non-overlapping (RFC 9293 §3.10.7.4 "seventh,
 * process the segment text": segments beyond RCV.NXT are held until the gap fills).
 */
export class ReassemblyQueue {
  readonly segs: OooSegment[] = [];
  bytes = 0;

  get empty(): boolean {
    return this.segs.length === 0;
  }

  /** Inserts [seq, seq+len) trimming overlap with queued segments. */
  insert(seq: number, data: Uint8Array, fin: boolean): void {
    const segs = this.segs;
    let s = seq;
    let d = data;
    // Find the first queued segment ending after s.
    let i = 0;
    while (i < segs.length && seqLe(seqAdd(segs[i]!.seq, segs[i]!.data.length), s)) i++;
    while (d.length > 0 || fin) {
      const next = segs[i];
      if (next === undefined || seqGe(next.seq, seqAdd(s, d.length))) {
        if (d.length > 0 || fin) {
          segs.splice(i, 0, { seq: s, data: d, fin });
          this.bytes += d.length;
        }
        return;
      }
      // Overlap with `next`: keep our part before it, skip the overlapping part.
      if (seqLt(s, next.seq)) {
        const head = seqDiff(next.seq, s);
        segs.splice(i, 0, { seq: s, data: d.subarray(0, head), fin: false });
        this.bytes += head;
        i++;
        s = next.seq;
        d = d.subarray(head);
      }
      const nextEnd = seqAdd(next.seq, next.data.length);
      const skip = seqDiff(nextEnd, s);
      if (skip >= d.length) {
        if (fin && !next.fin && skip === d.length && i === segs.length - 1) next.fin = true;
        return;
      }
      d = d.subarray(skip);
      s = nextEnd;
      i++;
    }
  }

  /**
   * Removes and returns the segments that now continue at `rcvNxt` (trimming what lies before it);
   * segments wholly before `rcvNxt` are dropped.
   */
  takeFrom(rcvNxt: number): OooSegment[] | null {
    const segs = this.segs;
    let out: OooSegment[] | null = null;
    let nxt = rcvNxt;
    while (segs.length > 0) {
      const h = segs[0]!;
      const end = seqAdd(h.seq, h.data.length);
      if (seqGt(h.seq, nxt)) break;
      segs.shift();
      this.bytes -= h.data.length;
      if (seqLe(end, nxt) && !(h.fin && end === nxt)) continue;
      const trim = seqDiff(nxt, h.seq);
      const seg = trim > 0 ? { seq: nxt, data: h.data.subarray(trim), fin: h.fin } : h;
      (out ??= []).push(seg);
      nxt = seqAdd(seg.seq, seg.data.length);
      if (seg.fin) break;
    }
    return out;
  }

  /** SACK blocks (RFC 2018 §4): contiguous runs, the one holding `recent` first; at most `max`. */
  sackBlocks(recent: number, max: number): { left: number; right: number }[] {
    const runs: { left: number; right: number }[] = [];
    for (const s of this.segs) {
      const end = seqAdd(s.seq, s.data.length);
      const last = runs[runs.length - 1];
      if (last !== undefined && last.right === s.seq) last.right = end;
      else if (s.data.length > 0) runs.push({ left: s.seq, right: end });
    }
    const k = runs.findIndex((r) => seqLe(r.left, recent) && seqLt(recent, r.right));
    if (k > 0) runs.unshift(runs.splice(k, 1)[0]!);
    return runs.slice(0, max);
  }

  clear(): void {
    this.segs.length = 0;
    this.bytes = 0;
  }
}
