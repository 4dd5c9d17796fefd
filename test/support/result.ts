/** Unwrapping a codec's Result in tests. */
import assert from 'node:assert/strict';
import type { DecodeError, Result } from '../../engine/wire/result.ts';

/** The value of a success; fails the test on a failure. */
export function must<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(`${r.error.layer}: ${r.error.kind}: ${r.error.message}`);
  return r.value;
}

/** The error of a failure; fails the test on a success. */
export function failure(r: Result<unknown>): DecodeError {
  if (r.ok) assert.fail('expected a failure');
  return r.error;
}

/** The kind of a failure (`truncated`, `malformed`, ...). */
export function failureKind(r: Result<unknown>): string {
  return failure(r).kind;
}
