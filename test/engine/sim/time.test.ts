import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_EPOCH_NS,
  MAX_NANOS,
  absoluteNs,
  formatDuration,
  isNanos,
  ms,
  parseDuration,
  sec,
  us,
} from '../../../engine/sim/time.ts';

describe('sim/time', () => {
  it('unit helpers give integer nanoseconds', () => {
    assert.equal(us(1), 1_000);
    assert.equal(ms(250), 250_000_000);
    assert.equal(sec(1.5), 1_500_000_000);
    assert.equal(sec(1.1), 1_100_000_000); // 1.1 * 1e9 is not exact in binary; rounding makes it so
    assert.equal(us(0.0004), 0);
    assert.ok(isNanos(sec(3600)));
    assert.ok(!isNanos(1.5) && !isNanos(-1) && !isNanos(MAX_NANOS + 1));
  });

  it('the lab epoch is 2024-01-01T00:00:00Z and absoluteNs adds exactly', () => {
    assert.equal(DEFAULT_EPOCH_NS, BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n);
    assert.equal(absoluteNs(DEFAULT_EPOCH_NS, 0), DEFAULT_EPOCH_NS);
    assert.equal(absoluteNs(DEFAULT_EPOCH_NS, MAX_NANOS), DEFAULT_EPOCH_NS + 9_007_199_254_740_991n);
    assert.equal(absoluteNs(0n, 1_234_567_891), 1_234_567_891n);
    assert.throws(() => absoluteNs(0n, 1.5), RangeError);
  });

  describe('parseDuration', () => {
    const valid: Array<[string, number]> = [
      ['250ms', 250_000_000],
      ['2s', 2_000_000_000],
      ['1m', 60_000_000_000],
      ['1.5s', 1_500_000_000],
      ['100us', 100_000],
      ['100µs', 100_000],
      ['10ns', 10],
      ['0s', 0],
      ['2h', 7_200_000_000_000],
      ['1h30m', 5_400_000_000_000],
      ['1m30.5s', 90_500_000_000],
      ['.5ms', 500_000],
      ['1.100000001s', 1_100_000_001],
      [' 250 ms ', 250_000_000],
      ['0.000000001s', 1],
      ['9007199254740991ns', MAX_NANOS],
    ];
    for (const [text, ns] of valid) {
      it(`reads ${JSON.stringify(text)} as ${ns} ns`, () => {
        assert.deepEqual(parseDuration(text), { ok: true, value: ns });
      });
    }

    const invalid: Array<[string, RegExp]> = [
      ['2x', /^invalid duration "2x": expected a number followed by ns, us, ms, s, m or h$/],
      ['', /expected a number followed by/],
      ['ms', /expected a number followed by/],
      ['250', /expected a number followed by/],
      ['-1s', /expected a number followed by/],
      ['1e3ms', /expected a number followed by/],
      ['1.5ns', /"1.5ns": 1.5ns is not a whole number of nanoseconds/],
      ['1s 2x', /expected a number followed by/],
      ['NaN', /expected a number followed by/],
      ['105d', /expected a number followed by/],
      ['9007199254740992ns', /longer than the largest virtual time/],
      ['2600h', /longer than the largest virtual time/],
      ['1'.repeat(100) + 's', /longer than 64 characters/],
    ];
    for (const [text, re] of invalid) {
      it(`refuses ${JSON.stringify(text.length > 20 ? text.slice(0, 20) + '…' : text)} with a clear error`, () => {
        const r = parseDuration(text);
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.error, re);
      });
    }

    it('never throws on random strings (fuzz)', () => {
      const alphabet = fc.constantFrom(...'0123456789.nsumhµ -+ex'.split(''));
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 24 })), (s) => {
          const r = parseDuration(s);
          assert.equal(typeof r.ok, 'boolean');
          if (r.ok) assert.ok(isNanos(r.value), `${s} -> ${r.value}`);
          else assert.match(r.error, /^invalid duration/);
        }),
        { numRuns: 20_000 },
      );
    });
  });

  describe('formatDuration', () => {
    const table: Array<[number, string]> = [
      [0, '0s'],
      [10, '10ns'],
      [1_500, '1.5us'],
      [250_000_000, '250ms'],
      [1_500_000_000, '1.5s'],
      [1_000_000_001, '1.000000001s'],
      [60_000_000_000, '1m'],
      [90_500_000_000, '1m30.5s'],
      [3_600_000_000_000, '1h'],
      [3_601_000_000_000, '1h1s'],
      [-2_000_000_000, '-2s'],
    ];
    for (const [ns, text] of table) {
      it(`writes ${ns} ns as ${text}`, () => assert.equal(formatDuration(ns), text));
    }

    it('round-trips through parseDuration for every valid time', () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 0, max: 10_000_000_000 }), fc.maxSafeNat()), (ns) => {
          assert.deepEqual(parseDuration(formatDuration(ns)), { ok: true, value: ns });
        }),
        { numRuns: 5_000 },
      );
    });
  });
});
