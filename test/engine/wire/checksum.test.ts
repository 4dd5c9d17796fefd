import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocBytes, assertUint } from '../../../engine/wire/bytes.ts';
import { finish, fold, sumWords } from '../../../engine/wire/checksum.ts';
import { FUZZ_RUNS } from '../../support/fuzz.ts';

// RFC 1071 as written: add the 16-bit words (an odd last byte padded with zero), fold the carries.
function referenceSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return s;
}

function referenceFold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

describe('checksum', function () {
  it('sumWords folds to the RFC 1071 sum for short and long ranges at any alignment', function () {
    // A shared buffer, so ranges start at every alignment of the underlying memory.
    const backing = new Uint8Array(4200);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        (viewOff, start, len, acc, seed) => {
          const b = backing.subarray(viewOff, viewOff + start + len + 8);
          for (let i = 0; i < b.length; i++) b[i] = (i * 131 + seed * 7) & 0xff;
          const end = start + len;
          const want = referenceFold(acc + referenceSum(b, start, end));
          assert.equal(fold(sumWords(b, start, end, acc)), want);
          if (len < 128) assert.equal(sumWords(b, start, end, acc), acc + referenceSum(b, start, end), 'short ranges sum exactly');
        },
      ),
      { numRuns: Math.min(FUZZ_RUNS, 5_000) },
    );
  });

  it('sumWords is zero exactly for all-zero bytes', function () {
    for (const len of [0, 1, 20, 127, 128, 129, 1500]) {
      const b = new Uint8Array(len + 2);
      assert.equal(sumWords(b, 1, len + 1), 0);
      if (len > 0) {
        b[len] = 1;
        assert.notEqual(fold(sumWords(b, 1, len + 1)), 0);
      }
    }
  });

  it('fold matches end-around carry for every accumulator size', function () {
    const edges = [0, 1, 0xffff, 0x1_0000, 0x1_fffe, 0x1_ffff, 0xfffe_ffff, 0xffff_0000, 0xffff_ffff, 0x1_0000_0000, 2 ** 40 + 5, 2 ** 52];
    for (const x of edges) assert.equal(fold(x), referenceFold(x), `fold(${x})`);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (x) => fold(x) === referenceFold(x) && finish(x) === (~referenceFold(x) & 0xffff)),
      { numRuns: Math.min(FUZZ_RUNS, 5_000) },
    );
  });
});

describe('bytes', function () {
  it('assertUint accepts exactly the integers that fit, for narrow, 32-bit and 48-bit fields', function () {
    for (const bits of [1, 3, 12, 16, 31, 32, 48]) {
      const max = 2 ** bits - 1;
      for (const v of [0, -0, 1, max]) assert.doesNotThrow(() => assertUint('f', v, bits), `${v} in ${bits} bits`);
      for (const v of [-1, max + 1, 0.5, max - 0.5, NaN, Infinity, -Infinity]) {
        assert.throws(() => assertUint('f', v, bits), RangeError, `${v} in ${bits} bits`);
      }
      assert.throws(() => assertUint('f', '1' as unknown as number, bits), RangeError);
      assert.throws(() => assertUint('f', 1n as unknown as number, bits), RangeError);
    }
    assert.throws(() => assertUint('ethernet dst', 2 ** 48, 48), { name: 'RangeError', message: `ethernet dst ${2 ** 48} does not fit in 48 bits` });
  });

  it('allocBytes hands out zeroed arrays that do not overlap', function () {
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = [1, 54, 60, 64, 65, 74, 1514][i % 7]!;
      const a = allocBytes(n);
      assert.equal(a.length, n);
      assert.ok(a.every((x) => x === 0));
      a.fill(0xff);
      seen.push(a);
    }
    for (const a of seen) assert.ok(a.every((x) => x === 0xff), 'no later array overwrote an earlier one');
  });
});
