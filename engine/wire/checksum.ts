/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624), used by IPv4, ICMP, UDP
 * and TCP. Sums are kept as unfolded 32-bit-safe accumulators so callers can add a pseudo-header
 * and a payload without copying them together.
 */

import type { Ipv4Addr } from './addr.ts';

/** Adds the 16-bit big-endian words of b[start, end) to `acc` (an odd trailing byte is padded with zero). */
export function sumWords(b: Uint8Array, start: number, end: number, acc = 0): number {
  let i = start;
  // Unrolled by two words; acc stays well below 2^53 for any frame size the engine handles.
  for (; i + 3 < end; i += 4) acc += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!);
  for (; i + 1 < end; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (i < end) acc += b[i]! << 8;
  return acc;
}

/** Folds an accumulator to 16 bits with end-around carry. */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** One's complement of the folded sum: the value to store in a checksum field. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
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
