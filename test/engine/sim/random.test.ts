import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Random, RandomStream, SplitMix64, deriveStream, fnv1a64, seedToBigInt } from '../../../engine/sim/random.ts';

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);

describe('sim/random', () => {
  describe('reference vectors', () => {
    it('xoshiro128** from state {1, 2, 3, 4} matches the reference implementation', () => {
      // Outputs of xoshiro128starstar.c 1.1 (Blackman & Vigna) for s = {1, 2, 3, 4}; the same vector is
      // in Rust's rand_xoshiro tests.
      const r = new RandomStream(1, 2, 3, 4);
      assert.deepEqual(take(10, () => r.u32()), [
        11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
      ]);
    });

    it('SplitMix64 from seed 1234567 matches the reference implementation', () => {
      const sm = new SplitMix64(1234567n);
      assert.deepEqual(
        take(5, () => 0).map(() => sm.next()),
        [6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n, 16408922859458223821n],
      );
    });

    it('FNV-1a 64 matches the published test values', () => {
      assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
      assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
      assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
    });

    it('stream derivation is pinned (values from an independent C implementation)', () => {
      const cases: Array<[bigint, string, number[]]> = [
        [42n, 'test', [574208408, 4241217712, 2100200453, 3835219657, 2711111126, 541662766]],
        [42n, 'arp', [4102433896, 3207139113, 3064119590, 220793010, 1017786947, 414902549]],
        [0n, '', [1881086885, 3293861117, 2451669338, 4071360368, 1410356445, 2717469364]],
        [(1n << 64n) - 1n, 'h1/tcp-iss', [2592082933, 2527078424, 3234264725, 3296257258, 1070648465, 1726125857]],
      ];
      for (const [seed, name, want] of cases) {
        const s = deriveStream(seed, name);
        assert.deepEqual(take(6, () => s.u32()), want, `${seed}/${name}`);
      }
      assert.deepEqual(take(2, () => new Random(42).stream('test').u32()), [574208408, 574208408]);
      assert.deepEqual(take(1, () => new Random(-1).stream('h1/tcp-iss').u32()), [2592082933]);
    });
  });

  describe('seeds and streams', () => {
    it('same seed and name give the same sequence', () => {
      const a = new Random(7).stream('x');
      const b = new Random(7).stream('x');
      assert.deepEqual(take(100, () => a.u32()), take(100, () => b.u32()));
      assert.deepEqual(new Random('lab-1').stream('y').bytes(64), new Random('lab-1').stream('y').bytes(64));
    });

    it('stream(name) returns the same stream object each time', () => {
      const r = new Random(1);
      assert.equal(r.stream('a'), r.stream('a'));
    });

    it('a new stream, or draws on another, never shift a stream\'s sequence', () => {
      const plain = new Random(99);
      const want = take(20, () => plain.stream('link:a-b/loss').u32());
      const busy = new Random(99);
      busy.stream('h1/tcp-iss').bytes(1000);
      const got: number[] = [];
      for (let i = 0; i < 20; i++) {
        got.push(busy.stream('link:a-b/loss').u32());
        busy.stream(`new-${i}`).u32();
      }
      assert.deepEqual(got, want);
    });

    it('different names and different seeds give different sequences', () => {
      const seqs = new Set<string>();
      for (const seed of [0, 1, 2, 'x', 'y']) {
        for (const name of ['a', 'b', 'h1/tcp', 'h2/tcp', '']) {
          seqs.add(take(4, () => new Random(seed).stream(name).u32()).join(','));
        }
      }
      assert.equal(seqs.size, 25);
    });

    it('different names are uncorrelated (bitwise agreement ~ 50%)', () => {
      const a = new Random(5).stream('a');
      const b = new Random(5).stream('b');
      let same = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        let x = (a.u32() ^ b.u32()) >>> 0;
        for (let k = 0; k < 32; k++, x >>>= 1) same += 1 - (x & 1);
      }
      const ratio = same / (n * 32);
      assert.ok(Math.abs(ratio - 0.5) < 0.005, `agreement ${ratio}`);
    });

    it('seed forms: decimal strings equal numbers; other strings hash; bad numbers are refused', () => {
      assert.equal(seedToBigInt('42'), 42n);
      assert.equal(seedToBigInt(' 42 '), 42n);
      assert.equal(seedToBigInt(-1), (1n << 64n) - 1n);
      assert.equal(seedToBigInt('lab'), fnv1a64('lab'));
      assert.equal(seedToBigInt('4.2'), fnv1a64('4.2'));
      assert.throws(() => new Random(1.5), RangeError);
      assert.throws(() => new Random(Number.NaN), RangeError);
      assert.throws(() => new RandomStream(0, 0, 0, 0), RangeError);
    });
  });

  describe('draws', () => {
    it('u32 and float stay in range', () => {
      const r = new Random(3).stream('range');
      for (let i = 0; i < 10_000; i++) {
        const u = r.u32();
        assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
        const f = r.float();
        assert.ok(f >= 0 && f < 1);
      }
    });

    it('int(min, max) stays within bounds for any bounds (property)', () => {
      const r = new Random(11).stream('int');
      fc.assert(
        fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 2 ** 40 }), (min, span) => {
          fc.pre(min + span <= Number.MAX_SAFE_INTEGER);
          const v = r.int(min, min + span);
          return Number.isSafeInteger(v) && v >= min && v <= min + span;
        }),
        { numRuns: 20_000 },
      );
      assert.equal(r.int(5, 5), 5);
      assert.throws(() => r.int(2, 1), RangeError);
      assert.throws(() => r.int(0.5, 2), RangeError);
      assert.throws(() => r.int(-(2 ** 53), 2 ** 53), RangeError);
    });

    it('int() is uniform: chi-square over 10 bins and over a non-power-of-two range (fixed seed)', () => {
      const r = new Random(2024).stream('chi');
      const check = (k: number, n: number, critical: number): void => {
        const bins = new Array<number>(k).fill(0);
        for (let i = 0; i < n; i++) bins[r.int(0, k - 1)]!++;
        const e = n / k;
        const chi = bins.reduce((acc, o) => acc + ((o - e) * (o - e)) / e, 0);
        assert.ok(chi < critical, `chi-square ${chi.toFixed(2)} for k=${k} (critical ${critical})`);
      };
      check(10, 100_000, 27.88); // 9 degrees of freedom, p = 0.001
      check(6, 60_000, 20.52); // 5 degrees of freedom, p = 0.001
      check(37, 370_000, 67.99); // 36 degrees of freedom, p = 0.001 (rounded up)
    });

    it('int() over a range just above 2^31 has no modulo bias (upper half not under-represented)', () => {
      // With a plain `u32 % range`, values below 2^32 - range would come up twice as often.
      const r = new Random(8).stream('bias');
      const range = 3 * 2 ** 30; // 0xC0000000: modulo would favour [0, 2^30)
      let low = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) if (r.int(0, range - 1) < 2 ** 30) low++;
      assert.ok(Math.abs(low / n - 1 / 3) < 0.01, `low share ${low / n}`);
    });

    it('chance(p) respects its edges and rate', () => {
      const r = new Random(4).stream('chance');
      assert.ok(take(1000, () => Number(r.chance(0))).every((x) => x === 0));
      assert.ok(take(1000, () => Number(r.chance(1))).every((x) => x === 1));
      const hits = take(100_000, () => Number(r.chance(0.1))).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(hits - 10_000) < 600, `hits ${hits}`);
      assert.throws(() => r.chance(1.5), RangeError);
      assert.throws(() => r.chance(Number.NaN), RangeError);
    });

    it('pick and shuffle', () => {
      const r = new Random(6).stream('pick');
      const items = ['a', 'b', 'c'] as const;
      const seen = new Set(take(200, () => 0).map(() => r.pick(items)));
      assert.equal(seen.size, 3);
      assert.throws(() => r.pick([]), RangeError);
      const arr = Array.from({ length: 50 }, (_, i) => i);
      const out = r.shuffle(arr);
      assert.equal(out, arr);
      assert.deepEqual([...arr].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
      assert.notDeepEqual(arr, Array.from({ length: 50 }, (_, i) => i));
      // Every permutation of 3 items appears with roughly equal frequency.
      const counts = new Map<string, number>();
      for (let i = 0; i < 60_000; i++) {
        const k = r.shuffle([1, 2, 3]).join('');
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      assert.equal(counts.size, 6);
      for (const c of counts.values()) assert.ok(Math.abs(c - 10_000) < 500, `count ${c}`);
    });

    it('bytes(n) is the u32 stream, little-endian, for any n', () => {
      const a = new Random(9).stream('bytes');
      const b = new Random(9).stream('bytes');
      const bytes = a.bytes(7);
      const w0 = b.u32();
      const w1 = b.u32();
      assert.deepEqual([...bytes], [w0 & 255, (w0 >>> 8) & 255, (w0 >>> 16) & 255, w0 >>> 24, w1 & 255, (w1 >>> 8) & 255, (w1 >>> 16) & 255]);
      assert.equal(a.bytes(0).length, 0);
      assert.throws(() => a.bytes(-1), RangeError);
    });
  });
});
