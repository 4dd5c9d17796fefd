/**
 * Building frames innermost-first (the idea of gopacket's SerializeBuffer): every codec value is a
 * `Layer` that knows its header length and how to write its header in front of a payload that is
 * already in place. `serialize` allocates once, writes the payload, then each header from the inside
 * out, so lengths and checksums (TCP/UDP pseudo-header, IPv4 header) are fixed up in one pass, and
 * NAT rewrites or GENEVE encapsulation become "prepend + fix-up", not special cases.
 */

import { allocBytes } from './bytes.ts';

export interface Layer {
  /** Bytes this layer writes in front of its payload. */
  headerLen(): number;
  /**
   * Writes this header at buf[off, off + headerLen()). The payload already sits at
   * buf[off + headerLen(), off + headerLen() + payloadLen). `outer` is the enclosing layer, if any
   * (TCP and UDP take their pseudo-header from it).
   */
  emitHeader(buf: Uint8Array, off: number, payloadLen: number, outer: Layer | undefined): void;
  /** Trailing bytes this layer appends after its payload (e.g. Ethernet padding); 0 for most. */
  trailerLen?(payloadLen: number): number;
}

/** A layer that supplies the IPv4/IPv6 pseudo-header sum for an upper-layer checksum (RFC 9293 §3.1). */
export interface PseudoHeaderSource {
  pseudoHeaderSum(protocol: number, upperLength: number): number;
}

export function isPseudoHeaderSource(l: unknown): l is PseudoHeaderSource {
  return typeof l === 'object' && l !== null && typeof (l as PseudoHeaderSource).pseudoHeaderSum === 'function';
}

/**
 * Serializes layers outermost-first in the argument list, e.g. `serialize([eth, ip, tcp], data)`.
 * Without `payload`, the innermost layer's own `payload` field (if it has one) is the payload.
 */
export function serialize(layers: readonly Layer[], payload?: Uint8Array): Uint8Array {
  if (payload === undefined) {
    const own = (layers[layers.length - 1] as { payload?: unknown } | undefined)?.payload;
    payload = own instanceof Uint8Array ? own : EMPTY;
  }
  const n = layers.length;
  // Header lengths in [0, n), trailer lengths in [n, 2n), so headerLen() is asked once per layer
  // (TCP's walks its options). The module's scratch array is reused unless a layer's own methods
  // serialize too, which then get a fresh one.
  const lens = lensBusy ? new Array<number>(2 * n) : lensScratch;
  const owner = lens === lensScratch;
  lensBusy = true;
  try {
    let headerTotal = 0;
    for (let i = 0; i < n; i++) {
      const h = layers[i]!.headerLen();
      lens[i] = h;
      headerTotal += h;
    }
    // Trailers (padding) are computed inside-out, as each layer sees its own payload length.
    let inner = payload.length;
    for (let i = n - 1; i >= 0; i--) {
      const l = layers[i]!;
      const t = l.trailerLen ? l.trailerLen(inner) : 0;
      lens[n + i] = t;
      inner += lens[i]! + t;
    }
    const buf = allocBytes(inner);
    if (payload.length > 0) buf.set(payload, headerTotal);
    let payloadLen = payload.length;
    let off = headerTotal;
    for (let i = n - 1; i >= 0; i--) {
      const l = layers[i]!;
      off -= lens[i]!;
      l.emitHeader(buf, off, payloadLen, i > 0 ? layers[i - 1] : undefined);
      payloadLen += lens[i]! + lens[n + i]!;
    }
    return buf;
  } finally {
    if (owner) lensBusy = false;
  }
}

const lensScratch: number[] = new Array<number>(16).fill(0);
let lensBusy = false;

/**
 * `serialize([outer, mid, inner], payload)` for the shape almost every frame has (Ethernet, IPv4, then
 * TCP, UDP or ICMP), without the general loop and its length scratch: each call site sees only a few
 * layer classes, so the calls stay monomorphic. The same bytes as serialize.
 */
export function serialize3(outer: Layer, mid: Layer, inner: Layer, payload: Uint8Array): Uint8Array {
  const h0 = outer.headerLen();
  const h1 = mid.headerLen();
  const h2 = inner.headerLen();
  const pl = payload.length;
  const l2 = h2 + pl + (inner.trailerLen ? inner.trailerLen(pl) : 0);
  const l1 = h1 + l2 + (mid.trailerLen ? mid.trailerLen(l2) : 0);
  const buf = allocBytes(h0 + l1 + (outer.trailerLen ? outer.trailerLen(l1) : 0));
  if (pl > 0) buf.set(payload, h0 + h1 + h2);
  inner.emitHeader(buf, h0 + h1, pl, mid);
  mid.emitHeader(buf, h0, l2, outer);
  outer.emitHeader(buf, 0, l1, undefined);
  return buf;
}

export const EMPTY = new Uint8Array(0);
