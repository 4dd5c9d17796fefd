/**
 * Outcome of decoding untrusted bytes.
 *
 * Error contract shared by every codec in engine/wire:
 * - `parseX(bytes)` never throws on any input; it returns `{ ok: false, error }` with a typed kind.
 * - View accessors never throw once `checkLen()` has returned null.
 * - `emit`/`encode` throw only on a programmer error (a value that cannot be represented, e.g. a port
 *   above 65535 or a buffer that is too small); such a throw is a bug in the caller, not bad input.
 */

export type DecodeErrorKind = 'truncated' | 'malformed' | 'checksum' | 'unsupported';

export interface DecodeError {
  readonly kind: DecodeErrorKind;
  /** Protocol layer that refused the bytes, e.g. 'ipv4', 'tcp'. */
  readonly layer: string;
  /** Human-readable reason, e.g. 'header length 4 words is below the minimum of 5'. */
  readonly message: string;
  /** Byte offset within the bytes handed to this layer's parser, where known. */
  readonly offset?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(kind: DecodeErrorKind, layer: string, message: string, offset?: number): Result<T> {
  return { ok: false, error: offset === undefined ? { kind, layer, message } : { kind, layer, message, offset } };
}

export function decodeError(kind: DecodeErrorKind, layer: string, message: string, offset?: number): DecodeError {
  return offset === undefined ? { kind, layer, message } : { kind, layer, message, offset };
}

export function formatDecodeError(e: DecodeError): string {
  return `${e.layer}: ${e.kind}: ${e.message}${e.offset === undefined ? '' : ` (at byte ${e.offset})`}`;
}

/** How a parser treats checksums: verify (report kind 'checksum' on mismatch) or ignore. */
export type ChecksumPolicy = 'verify' | 'ignore';

export interface ParseOptions {
  /** Default 'verify'. */
  readonly checksum?: ChecksumPolicy;
}
