/**
 * Value syntaxes of lab files (`x-format` in engine/lab/schema.ts), each checked by the parser the
 * engine itself uses, so the validator accepts exactly what the runner can use. Never throw.
 */
import { parseDuration } from '../sim/time.ts';
import { parseCidr, parseIpv4Addr, parseMac, type Ipv4Addr } from '../wire/addr.ts';
import { compileFilter, filterErrorText } from '../wire/pcap-filter.ts';

export type FormatResult = string | null;

const BANDWIDTH_RE = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)bit\s*$/i;
const UNIT: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** Bits per second of a tc-style rate (`100Mbit`, `512kbit`, `1.5Gbit`), or null. */
export function parseBandwidth(text: string): number | null {
  const m = BANDWIDTH_RE.exec(text);
  if (!m) return null;
  const v = Number(m[1]) * UNIT[m[2]!.toLowerCase()]!;
  return Number.isFinite(v) && v > 0 ? Math.round(v) : null;
}

/** A loss probability in [0, 1] from `0.01` or `1%`, or null. */
export function parseLoss(v: number | string): number | null {
  if (typeof v === 'number') return v >= 0 && v <= 1 ? v : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  if (!m) return null;
  const p = Number(m[1]) / 100;
  return p <= 1 ? p : null;
}

/** A `DEVICE> COMMAND` or `sleep DURATION` line (the `pktlab exec` script syntax), or null. */
export function parseActionLine(line: string): { device: string; command: string } | { sleep: string } | null {
  const sleep = /^\s*sleep\s+(.+?)\s*$/.exec(line);
  if (sleep) return { sleep: sleep[1]! };
  const cmd = /^\s*([A-Za-z][A-Za-z0-9_-]*)>\s*(\S.*?)\s*$/.exec(line);
  if (cmd) return { device: cmd[1]!, command: cmd[2]! };
  return null;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the Unix epoch of an ISO 8601 time with a zone, or null. */
export function parseEpoch(text: string): bigint | null {
  if (!ISO_RE.test(text)) return null;
  const ms = Date.parse(text); // parses its argument; not a clock read
  if (!Number.isFinite(ms)) return null;
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  const subMs = frac.length > 3 ? BigInt(frac.slice(3).padEnd(6, '0')) : 0n;
  // Date.parse keeps milliseconds; the finer digits are added back exactly.
  const [y, mo, d] = [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return BigInt(ms) * 1_000_000n + subMs;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

export interface FormatContext {
  /** Host names a capture filter may use (device names, /etc/hosts entries). */
  resolveHost?: (name: string) => Ipv4Addr | null;
}

/** The problem with `value` in syntax `format`, or null when it is fine (or the format is unknown). */
export function checkFormat(format: string, value: string, ctx: FormatContext = {}): FormatResult {
  switch (format) {
    case 'ipv4':
      return parseIpv4Addr(value) === null ? `expected an IPv4 address like 10.0.0.1, found ${quote(value)}` : null;
    case 'cidr':
      if (parseCidr(value) !== null) return null;
      if (parseIpv4Addr(value) !== null) return `expected an address with its prefix length like ${value}/24, found ${quote(value)} (no /prefix)`;
      return `expected an address with its prefix length like 10.0.0.1/24, found ${quote(value)}`;
    case 'route-dest':
      return value === 'default' || parseCidr(value) !== null ? null : `expected a network like 10.1.0.0/16 or "default", found ${quote(value)}`;
    case 'mac':
      return parseMac(value) === null ? `expected a MAC address like 02:00:00:00:00:01, found ${quote(value)}` : null;
    case 'duration': {
      const d = parseDuration(value);
      return d.ok ? null : `${d.error} (e.g. 250ms, 2s, 1m30s)`;
    }
    case 'bandwidth':
      return parseBandwidth(value) === null ? `expected a rate like 100Mbit (a number and bit, kbit, Mbit or Gbit), found ${quote(value)}` : null;
    case 'percent':
      return parseLoss(value) === null ? `expected a percentage from 0% to 100% like 1%, found ${quote(value)}` : null;
    case 'date-time':
      return parseEpoch(value) === null ? `expected an ISO 8601 time with a zone like 2024-01-01T00:00:00Z, found ${quote(value)}` : null;
    case 'regex':
      try {
        new RegExp(value);
        return null;
      } catch (e) {
        return `invalid regular expression ${quote(value)}: ${(e as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '')}`;
      }
    case 'pcap-filter': {
      const r = compileFilter(value, ctx.resolveHost ? { resolveHost: ctx.resolveHost } : {});
      return r.ok ? null : `invalid capture filter ${quote(value)}: ${filterErrorText(r.error)} (at character ${r.error.pos + 1})`;
    }
    case 'action': {
      const a = parseActionLine(value);
      if (a === null) return `expected "DEVICE> COMMAND" or "sleep DURATION", found ${quote(value)}`;
      if ('sleep' in a) {
        const d = parseDuration(a.sleep);
        return d.ok ? null : `${d.error} (e.g. sleep 2s)`;
      }
      return null;
    }
    case 'url': {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        return `expected a URL like http://10.0.0.2/, found ${quote(value)}`;
      }
      return u.protocol === 'http:' ? null : `expected an http:// URL, found ${quote(value)} (${u.protocol.replace(/:$/, '')} is not supported)`;
    }
    case 'name':
      return /^[A-Za-z][A-Za-z0-9_-]*$/.test(value) ? null : `expected a name (a letter, then letters, digits, - or _), found ${quote(value)}`;
    case 'id':
      return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value) ? null : `expected an id (letters, digits, ., - or _), found ${quote(value)}`;
    case 'iface-ref':
      return /^[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z0-9][A-Za-z0-9_/-]*$/.test(value) ? null : `expected DEVICE.INTERFACE like client.eth0, found ${quote(value)}`;
    default:
      return null;
  }
}
