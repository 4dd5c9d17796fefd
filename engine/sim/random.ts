/**
 * Seeded randomness for the engine (nothing in engine/ may call Math.random).
 *
 * Generator: xoshiro128** 1.1 by David Blackman and Sebastiano Vigna ("Scrambled linear pseudorandom
 * number generators", ACM TOMS 2021; reference code https://prng.di.unimi.it/xoshiro128starstar.c).
 * 128-bit state, 32-bit output, only 32-bit operations (Math.imul), so it is fast without BigInt.
 *
 * Seeding: as the authors recommend, the state is filled from SplitMix64 (Steele, Lea, Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014; https://prng.di.unimi.it/splitmix64.c).
 *
 * Streams: `Random.stream(name)` derives each stream's state from (seed, name) alone:
 *   key = mix64(mix64(seed64) XOR fnv1a64(utf8(name)));  state = two SplitMix64 outputs from key
 * so creating or drawing from one stream never shifts another's sequence, and a component's draws stay
 * the same when a lab gains an unrelated component. BigInt is used only here, once per stream.
 */

const M64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function (a bijection on 64-bit values). */
export function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** SplitMix64 as in the reference code: add the golden gamma, then mix. */
export class SplitMix64 {
  private x: bigint;
  constructor(seed: bigint) {
    this.x = BigInt.asUintN(64, seed);
  }
  next(): bigint {
    this.x = (this.x + GOLDEN64) & M64;
    return mix64(this.x);
  }
}

/** FNV-1a, 64-bit, over the UTF-8 bytes of `s`. */
export function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of utf8(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  return h;
}

function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

const TWO32 = 0x1_0000_0000;
const TWO53 = 2 ** 53;

/**
 * One xoshiro128** sequence with convenience draws. Obtain it from `Random.stream(name)`; the
 * constructor takes a raw state for tests against the reference implementation.
 */
export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Raw state words (uint32). An all-zero state is the one invalid state and is refused. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
  }

  /** Next 32-bit output, an integer in [0, 2^32). */
  u32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO53;
  }

  /** Uniform integer in [min, maxInclusive], by rejection (no modulo bias). */
  int(min: number, maxInclusive: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(maxInclusive) || maxInclusive < min) {
      throw new RangeError(`RandomStream.int(${min}, ${maxInclusive}): bounds must be safe integers with min <= max`);
    }
    const range = maxInclusive - min + 1;
    if (range <= TWO32) {
      // Accept only the largest multiple of `range` below 2^32.
      const limit = TWO32 - (TWO32 % range);
      for (;;) {
        const r = this.u32();
        if (r < limit) return min + (r % range);
      }
    }
    if (range > TWO53) throw new RangeError(`RandomStream.int(${min}, ${maxInclusive}): range exceeds 2^53`);
    const limit = TWO53 - (TWO53 % range);
    for (;;) {
      const r = (this.u32() >>> 11) * TWO32 + this.u32(); // 53 bits
      if (r < limit) return min + (r % range);
    }
  }

  /** True with probability p (0 never, 1 always). */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`RandomStream.chance(${p}): probability must lie in [0, 1]`);
    return this.float() < p;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('RandomStream.pick: empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** `n` random bytes (each u32 output supplies four, least significant first). */
  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`RandomStream.bytes(${n}): length must be a non-negative integer`);
    const out = new Uint8Array(n);
    let i = 0;
    while (i < n) {
      let r = this.u32();
      for (let k = 0; k < 4 && i < n; k++, r >>>= 8) out[i++] = r & 0xff;
    }
    return out;
  }
}

/** Seed of a lab run: an integer, or any string (a decimal integer string means that integer). */
export type Seed = number | string;

/** The 64-bit form of a seed: integers as two's complement, other strings through FNV-1a 64. */
export function seedToBigInt(seed: Seed): bigint {
  if (typeof seed === 'string') {
    const t = seed.trim();
    if (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return BigInt.asUintN(64, BigInt(t));
    return fnv1a64(seed);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Random: seed must be a safe integer or a string, got ${seed}`);
  return BigInt.asUintN(64, BigInt(seed));
}

/** Derives the state of stream `name` under `seed64` (see the module doc). */
export function deriveStream(seed64: bigint, name: string): RandomStream {
  const sm = new SplitMix64(mix64(mix64(seed64) ^ fnv1a64(name)));
  const a = sm.next();
  const b = sm.next();
  const w = (x: bigint, shift: bigint): number => Number((x >> shift) & 0xffffffffn);
  // Two 64-bit outputs cannot both be zero (SplitMix64 is a bijection of consecutive states), so the
  // state is never all zero.
  return new RandomStream(w(a, 0n), w(a, 32n), w(b, 0n), w(b, 32n));
}

/** A lab's randomness: one seed, any number of independent named streams. */
export class Random {
  readonly seed: Seed;
  private readonly seed64: bigint;
  private readonly streams = new Map<string, RandomStream>();

  constructor(seed: Seed) {
    this.seed = seed;
    this.seed64 = seedToBigInt(seed);
  }

  /**
   * The stream called `name` (e.g. 'h1/tcp-iss', 'link:a-b/loss'). The same name returns the same
   * stream object, so one component's draws continue one sequence.
   */
  stream(name: string): RandomStream {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = deriveStream(this.seed64, name);
      this.streams.set(name, s);
    }
    return s;
  }
}
