/**
 * Big-endian (network order) field access on Uint8Array. Callers bounds-check first (`checkLen()`);
 * these helpers do not, so they stay fast on the forwarding path.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function setU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** 48-bit big-endian integer (a MAC address) as a JS number (exact below 2^53). */
export function u48(b: Uint8Array, o: number): number {
  return u16(b, o) * 0x1_0000_0000 + u32(b, o + 2);
}

export function setU48(b: Uint8Array, o: number, v: number): void {
  setU16(b, o, Math.floor(v / 0x1_0000_0000));
  setU32(b, o + 2, v >>> 0);
}

/** Throws a programmer error when an integer field value does not fit `bits`. */
export function assertUint(name: string, v: number, bits: number): void {
  // Fast path, small enough to inline where `bits` is a constant: for widths below 32 bits a mask
  // keeps exactly the integers 0..2^bits-1 (NaN and non-integers fail), `>>> 0` does for 32, and wider
  // fields (48-bit MACs) compare against the bound. Anything else takes the full check.
  if (
    typeof v === 'number' &&
    (bits < 32 ? (v & ((1 << bits) - 1)) === v : bits === 32 ? v >>> 0 === v : v >= 0 && v < 2 ** bits && Math.floor(v) === v)
  ) {
    return;
  }
  checkUint(name, v, bits);
}

function checkUint(name: string, v: number, bits: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) {
    throw new RangeError(`${name} ${v} does not fit in ${bits} bits`);
  }
}

// Frame allocation. A Uint8Array above 64 bytes gets its own off-heap, zero-filled backing store,
// which costs about 1 µs; packets are built at millions per second, so small arrays are carved out of
// shared 64 KiB slabs instead (as Node's Buffer pool does). Arrays of 64 bytes or less would live on
// the V8 heap, which is cheap to allocate, but the first `subarray` (or `buffer`) of one moves its bytes
// off-heap at a similar cost, and received frames are viewed that way (a 54-byte TCP ACK), so
// they come from the slab too. Every region is handed out once, so it is zero like a fresh array. A
// view keeps its whole slab alive, which only matters for bytes held long.
const SLAB_SIZE = 64 * 1024;
const POOL_MAX = 16 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabOff = 0;

/**
 * A zero-filled Uint8Array of `n` bytes, like `new Uint8Array(n)` but cheap for packet-sized arrays.
 * It may share its `buffer` with other arrays (use `byteOffset`/`length`, never `buffer` alone).
 */
export function allocBytes(n: number): Uint8Array {
  if (n > POOL_MAX) return new Uint8Array(n);
  if (slabOff + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOff = 0;
  }
  const out = new Uint8Array(slab, slabOff, n);
  slabOff = (slabOff + n + 7) & ~7;
  return out;
}

/** Concatenates byte arrays into one new Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && sep) s += sep;
    s += b[i]!.toString(16).padStart(2, '0');
  }
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new RangeError('hex string has an odd number of digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
