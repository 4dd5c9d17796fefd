/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624), used by IPv4, ICMP, UDP
 * and TCP. Sums are kept as unfolded 32-bit-safe accumulators so callers can add a pseudo-header
 * and a payload without copying them together.
 */

import type { Ipv4Addr } from './addr.ts';

/** Little-endian platform: the 32-bit read path below assumes it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Adds the 16-bit big-endian words of b[start, end) to `acc` (an odd trailing byte is padded with
 * zero). The result is an accumulator for `fold`/`finish`: for long ranges it is congruent to the
 * plain word sum modulo 0xffff rather than equal to it (and zero exactly when the bytes are all zero),
 * so every folded result is the same.
 */
export function sumWords(b: Uint8Array, start: number, end: number, acc = 0): number {
  if (end - start < 128) {
    // Short ranges (headers, handshake and ACK segments): whole words, the exact sum, which stays a
    // small integer at this length.
    let s = 0;
    let i = start;
    for (const last = end - 7; i < last; i += 8) {
      s += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
    }
    for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
    if (i < end) s += b[i]! << 8;
    return acc + s;
  }
  // The word sum equals 256 * (sum of high bytes) + (sum of low bytes).
  let hi = 0;
  let lo = 0;
  let i = start;
  if (LITTLE_ENDIAN && ((b.byteOffset + start) & 1) === 0) {
    // Long even-aligned ranges: 32-bit reads. On a little-endian machine each 16-bit half is a
    // byte-swapped word; one's complement sums commute with byte swapping (RFC 1071 §2(B)), so the
    // swapped sum is folded once and swapped back into the byte sums.
    if (((b.byteOffset + i) & 3) !== 0) {
      hi += b[i]!;
      lo += b[i + 1]!;
      i += 2;
    }
    const n = (end - i) >>> 2;
    const w = new Uint32Array(b.buffer, b.byteOffset + i, n);
    let sw = 0;
    let k = 0;
    for (; k + 3 < n; k += 4) {
      const x = w[k]!;
      const y = w[k + 1]!;
      const z = w[k + 2]!;
      const q = w[k + 3]!;
      sw += (x & 0xffff) + (x >>> 16) + (y & 0xffff) + (y >>> 16) + (z & 0xffff) + (z >>> 16) + (q & 0xffff) + (q >>> 16);
    }
    for (; k < n; k++) {
      const x = w[k]!;
      sw += (x & 0xffff) + (x >>> 16);
    }
    i += n * 4;
    sw = fold(sw);
    hi += sw & 0xff;
    lo += sw >>> 8;
  }
  // Byte sums only (no shifts), 8 bytes at a time; both stay small integers for any frame size.
  for (const last = end - 7; i < last; i += 8) {
    hi += b[i]! + b[i + 2]! + b[i + 4]! + b[i + 6]!;
    lo += b[i + 1]! + b[i + 3]! + b[i + 5]! + b[i + 7]!;
  }
  for (; i + 1 < end; i += 2) {
    hi += b[i]!;
    lo += b[i + 1]!;
  }
  if (i < end) hi += b[i]!;
  return acc + hi * 256 + lo;
}

/** Folds an accumulator to 16 bits with end-around carry. */
export function fold(acc: number): number {
  if (acc <= 0xffff) return acc;
  if (acc <= 0xffff_ffff) {
    // Two integer steps finish any 32-bit accumulator (the second adds at most one carry).
    acc = (acc & 0xffff) + (acc >>> 16);
    return (acc & 0xffff) + (acc >>> 16);
  }
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** One's complement of the folded sum: the value to store in a checksum field. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/**
 * The TCP/UDP checksum over the IPv4 pseudo-header and b[start, end) (RFC 9293 §3.1, RFC 768): 0 when
 * a segment as received verifies; over a segment whose checksum field is zero, the value to store.
 */
export function pseudoChecksum(src: number, dst: number, protocol: number, b: Uint8Array, start: number, end: number): number {
  return finish(pseudoHeaderSum(src, dst, protocol, end - start) + sumWords(b, start, end));
}

/** Checksum of b[start, end), as stored in a header. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length): number {
  return finish(sumWords(b, start, end));
}

/**
 * Sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1): source, destination, zero+protocol,
 * upper-layer length. Add the segment's words to it, then `finish`.
 */
export function pseudoHeaderSum(src: Ipv4Addr, dst: Ipv4Addr, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from `oldWord` to `newWord`.
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const acc = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(acc) & 0xffff;
}

/** RFC 1624 update for a 32-bit field (an IPv4 address) changing from `oldVal` to `newVal`. */
export function updateChecksum32(checksum: number, oldVal: number, newVal: number): number {
  const acc =
    (~checksum & 0xffff) +
    (~(oldVal >>> 16) & 0xffff) +
    (~oldVal & 0xffff) +
    ((newVal >>> 16) & 0xffff) +
    (newVal & 0xffff);
  return ~fold(acc) & 0xffff;
}
