/**
 * Virtual time.
 *
 * `Nanos` is a plain number of virtual nanoseconds since the lab epoch. A double holds every integer up
 * to Number.MAX_SAFE_INTEGER (2^53 - 1 ns, about 104.2 days) exactly, which is far beyond any lab, and
 * numbers keep the scheduler's hot path free of BigInt. The scheduler refuses times that are not
 * integers or lie beyond that limit (RangeError), so virtual time is always exact.
 *
 * Wall-clock dates exist only at the edges: pcapng needs absolute nanoseconds, which `absoluteNs` gives
 * as a BigInt from a fixed lab epoch (never from the real clock), so captures are byte-identical.
 */

/** Virtual nanoseconds since the lab epoch (an integer, at most MAX_NANOS). */
export type Nanos = number;

/** Largest representable virtual time: 2^53 - 1 ns (about 104 days). */
export const MAX_NANOS: Nanos = Number.MAX_SAFE_INTEGER;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_SEC = 1_000_000_000;

/** Nanoseconds in `n` microseconds, rounded to the nearest nanosecond. */
export function us(n: number): Nanos {
  return Math.round(n * NS_PER_US);
}

/** Nanoseconds in `n` milliseconds, rounded to the nearest nanosecond. */
export function ms(n: number): Nanos {
  return Math.round(n * NS_PER_MS);
}

/** Nanoseconds in `n` seconds, rounded to the nearest nanosecond. */
export function sec(n: number): Nanos {
  return Math.round(n * NS_PER_SEC);
}

/** True when `t` is a valid virtual time: an integer in [0, MAX_NANOS]. */
export function isNanos(t: number): boolean {
  return Number.isSafeInteger(t) && t >= 0;
}

/** The default lab epoch: 2024-01-01T00:00:00Z in nanoseconds since the Unix epoch. */
export const DEFAULT_EPOCH_NS: bigint = 1_704_067_200n * 1_000_000_000n;

/** Absolute time (ns since the Unix epoch) of virtual time `t`, for pcapng timestamps. */
export function absoluteNs(epochNs: bigint, t: Nanos): bigint {
  if (!Number.isSafeInteger(t)) throw new RangeError(`virtual time ${t} is not an integer number of nanoseconds`);
  return epochNs + BigInt(t);
}

/** Result of parsing a duration written by a person (lab files, `sleep` lines). */
export type DurationResult = { readonly ok: true; readonly value: Nanos } | { readonly ok: false; readonly error: string };

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

// One or more "<number><unit>" parts, as in Go's time.ParseDuration ("1m30s"); a space may separate
// a number from its unit ("250 ms") because people write it that way in YAML.
const PART = /(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s|m|h)/y;
// Long inputs are refused before BigInt arithmetic, so a hostile string costs nothing.
const MAX_INPUT = 64;

/**
 * Parses '250ms', '2s', '1m', '1.5s', '100us', '10ns', '1h30m', '250 ms'. Never throws.
 * The value must be a whole number of nanoseconds no larger than MAX_NANOS.
 */
export function parseDuration(text: string): DurationResult {
  if (typeof text !== 'string') return { ok: false, error: `invalid duration: expected a string, got ${typeof text}` };
  const shown = text.length > MAX_INPUT ? `${text.slice(0, MAX_INPUT)}…` : text;
  const bad = (why: string): DurationResult => ({ ok: false, error: `invalid duration "${shown}": ${why}` });
  const expected = 'expected a number followed by ns, us, ms, s, m or h';
  const s = text.trim();
  if (s.length === 0) return bad(expected);
  if (s.length > MAX_INPUT) return bad(`longer than ${MAX_INPUT} characters`);
  let pos = 0;
  let total = 0n;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return bad(expected);
    const num = m[1] as string;
    const unit = UNIT_NS[m[2] as string] as bigint;
    const dot = num.indexOf('.');
    const whole = dot < 0 ? num : num.slice(0, dot);
    const frac = dot < 0 ? '' : num.slice(dot + 1);
    const scale = 10n ** BigInt(frac.length);
    const scaled = (BigInt(whole || '0') * scale + BigInt(frac || '0')) * unit;
    if (scaled % scale !== 0n) return bad(`${m[0]} is not a whole number of nanoseconds`);
    total += scaled / scale;
    pos = PART.lastIndex;
  }
  if (total > BigInt(MAX_NANOS)) return bad('longer than the largest virtual time (about 104 days)');
  return { ok: true, value: Number(total) };
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['s', NS_PER_SEC],
  ['ms', NS_PER_MS],
  ['us', NS_PER_US],
];

/**
 * Formats a duration so that parseDuration reads it back exactly: '0s', '10ns', '1.5us', '250ms',
 * '1.000000001s', '1m30s', '2h'. Non-integers are rounded to the nearest nanosecond.
 */
export function formatDuration(t: Nanos): string {
  if (!Number.isFinite(t)) return String(t);
  let n = Math.round(Math.abs(t));
  const sign = t < 0 && n !== 0 ? '-' : '';
  if (n === 0) return '0s';
  if (n >= 60 * NS_PER_SEC) {
    const h = Math.floor(n / (3600 * NS_PER_SEC));
    n -= h * 3600 * NS_PER_SEC;
    const m = Math.floor(n / (60 * NS_PER_SEC));
    n -= m * 60 * NS_PER_SEC;
    return sign + (h ? `${h}h` : '') + (m ? `${m}m` : '') + (n ? decimal(n, NS_PER_SEC, 's') : '');
  }
  if (n < NS_PER_US) return `${sign}${n}ns`;
  for (const [unit, size] of FORMAT_UNITS) if (n >= size) return sign + decimal(n, size, unit);
  return `${sign}${n}ns`;
}

/** `n / size` written exactly with trailing zeros trimmed, then the unit. */
function decimal(n: number, size: number, unit: string): string {
  const whole = Math.floor(n / size);
  const rest = n - whole * size;
  if (rest === 0) return `${whole}${unit}`;
  const digits = String(size).length - 1;
  const frac = String(rest).padStart(digits, '0').replace(/0+$/, '');
  return `${whole}.${frac}${unit}`;
}
