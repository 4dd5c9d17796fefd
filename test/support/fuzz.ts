/**
 * Shared fuzz harness for every decoder: N random byte strings and N mutations of valid encodings
 * (bit flips, truncation, extension, byte overwrites) go through `parse`; it must return a Result and
 * never throw, and a failure must carry one of the typed kinds.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Result } from '../../engine/wire/result.ts';

const KINDS = new Set(['truncated', 'malformed', 'checksum', 'unsupported']);

export const FUZZ_RUNS = Number(process.env.PKTLAB_FUZZ_RUNS ?? 100_000);

function checkResult(r: Result<unknown>, input: Uint8Array): void {
  if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') {
    assert.fail(`parse returned a non-Result for ${Buffer.from(input).toString('hex')}`);
  }
  if (!r.ok) {
    assert.ok(KINDS.has(r.error.kind), `untyped failure kind ${String(r.error.kind)}`);
    assert.equal(typeof r.error.layer, 'string');
    assert.equal(typeof r.error.message, 'string');
  }
}

/** A mutation of one valid encoding: the arbitrary yields the mutated bytes. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ op: fc.constant('set' as const), pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }),
          fc.record({ op: fc.constant('extend' as const), extra: fc.uint8Array({ maxLength: 16 }) }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([bytes, ops]) => {
      let b = Uint8Array.from(bytes);
      for (const op of ops) {
        if (op.op === 'flip' && b.length) b[op.pos % b.length]! ^= 1 << op.bit;
        else if (op.op === 'set' && b.length) b[op.pos % b.length] = op.val;
        else if (op.op === 'truncate') b = b.subarray(0, op.pos % (b.length + 1));
        else if (op.op === 'extend') {
          const n = new Uint8Array(b.length + op.extra.length);
          n.set(b);
          n.set(op.extra, b.length);
          b = n;
        }
      }
      return b;
    });
}

/**
 * Runs FUZZ_RUNS random inputs and FUZZ_RUNS mutated valid inputs through `parse`
 * (PKTLAB_FUZZ_RUNS overrides the count for quick local runs; CI uses the default 100,000).
 */
export function fuzzDecoder(parse: (b: Uint8Array) => Result<unknown>, valid: fc.Arbitrary<Uint8Array>, runs = FUZZ_RUNS): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
      checkResult(parse(b), b);
    }),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(mutated(valid), (b) => {
      checkResult(parse(b), b);
    }),
    { numRuns: runs },
  );
}
