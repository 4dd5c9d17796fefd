/** Small helpers shared by the host commands. */
import { NS_PER_SEC } from '../../sim/time.ts';
import type { Nanos } from '../../sim/time.ts';
import { parseIpv4Addr, type Ipv4Addr } from '../../wire/addr.ts';
import type { LookupError } from '../../stack/apps/index.ts';
import type { CommandContext } from '../shell.ts';
import type { Host } from '../host.ts';

export type Ctx = CommandContext<Host>;

/** Virtual time of day, `HH:MM:SS.uuuuuu`, from the lab epoch (midnight UTC). */
export function timeOfDay(t: Nanos): string {
  const us = Math.floor(t / 1000);
  const day = us % 86_400_000_000;
  const h = Math.floor(day / 3_600_000_000);
  const m = Math.floor(day / 60_000_000) % 60;
  const s = Math.floor(day / 1_000_000) % 60;
  const frac = day % 1_000_000;
  return `${p2(h)}:${p2(m)}:${p2(s)}.${String(frac).padStart(6, '0')}`;
}

function p2(n: number): string {
  return String(n).padStart(2, '0');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** The lab epoch, 2024-01-01T00:00:00Z (engine/sim DEFAULT_EPOCH_NS), in ms. */
const EPOCH_MS = 1_704_067_200_000;

/** Calendar fields of virtual time `t` (UTC). Date arithmetic only; no clock is read. */
function civil(t: Nanos): { y: number; mo: number; d: number; wd: number; h: number; mi: number; s: number } {
  const ms = EPOCH_MS + Math.floor(t / 1_000_000);
  const days = Math.floor(ms / 86_400_000);
  const rem = ms - days * 86_400_000;
  // Howard Hinnant's days_from_civil inverse.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  return { y, mo, d, wd: (days + 4) % 7, h: Math.floor(rem / 3_600_000), mi: Math.floor(rem / 60_000) % 60, s: Math.floor(rem / 1000) % 60 };
}

/** `date` style: `Mon Jan 01 00:00:05 UTC 2024` (dig's WHEN). */
export function dateText(t: Nanos): string {
  const c = civil(t);
  return `${DAYS[c.wd]} ${MONTHS[c.mo - 1]} ${p2(c.d)} ${p2(c.h)}:${p2(c.mi)}:${p2(c.s)} UTC ${c.y}`;
}

/** systemd style: `Mon 2024-01-01 00:00:05 UTC`. */
export function systemdDate(t: Nanos): string {
  const c = civil(t);
  return `${DAYS[c.wd]} ${c.y}-${p2(c.mo)}-${p2(c.d)} ${p2(c.h)}:${p2(c.mi)}:${p2(c.s)} UTC`;
}

/** systemd's "5min ago"-style span. */
export function agoText(dt: Nanos): string {
  let s = Math.floor(dt / NS_PER_SEC);
  if (s < 1) return `${Math.max(0, Math.floor(dt / 1_000_000))}ms`;
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}min`);
  if (s && !h) parts.push(`${s}s`);
  return parts.join(' ');
}

/** Milliseconds with three decimals (`0.123`), from nanoseconds. */
export function ms3(ns: Nanos): string {
  const us = Math.round(ns / 1000);
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** Strictly parses a non-negative decimal integer. */
export function parseUint(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parses a decimal number (seconds) like `0.2`, `1`. */
export function parseSeconds(s: string | undefined): number | null {
  if (s === undefined || !/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return null;
  return Number(s);
}

/**
 * getaddrinfo for a command through the host's resolver: the first address and the canonical name,
 * or the resolver's error (its message is glibc's gai_strerror text). Nothing is delivered after the
 * command ends, and its queries stop then.
 */
export function lookupHost(ctx: Ctx, name: string, app: string, cb: (err: LookupError | null, addr: Ipv4Addr, canonical: string | undefined) => void): void {
  const h = ctx.device.resolver().lookup(
    name,
    (err, addrs, canonical) => {
      if (ctx.finished) return;
      const a = err === null ? parseIpv4Addr(addrs[0] ?? '') : null;
      if (a === null) cb(err ?? { code: 'ENOTFOUND', message: 'Name or service not known' }, 0, undefined);
      else cb(null, a, canonical);
    },
    { app },
  );
  ctx.onExit(() => h.cancel());
}
