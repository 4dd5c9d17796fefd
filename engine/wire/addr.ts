/**
 * Address representations used by every codec value:
 * - IPv4 address: unsigned 32-bit integer (`Ipv4Addr`), e.g. 0x0df66419 for 13.246.100.25.
 * - MAC address: 48-bit integer (`MacAddr`), exact in a JS number.
 * - IPv6 address (DNS AAAA, pcapng names only): 16 bytes; `ipv6ToString` gives the text form.
 * Numbers keep decoding allocation-free; `ipv4ToString` / `macToString` give the text form.
 */

export type Ipv4Addr = number;
export type MacAddr = number;

export const MAC_BROADCAST: MacAddr = 0xffff_ffff_ffff;
export const IPV4_ANY: Ipv4Addr = 0;
export const IPV4_BROADCAST: Ipv4Addr = 0xffff_ffff;

export function ipv4ToString(a: Ipv4Addr): string {
  return `${(a >>> 24) & 0xff}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * RFC 5952 text of a 16-byte IPv6 address: lower case, the longest run of two or more zero groups
 * as `::` (the first on a tie), and §5's `::ffff:a.b.c.d` for IPv4-mapped addresses. Another length
 * gives `[N bytes]`.
 */
export function ipv6ToString(a: Uint8Array): string {
  if (a.length !== 16) return `[${a.length} bytes]`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i]! << 8) | a[i + 1]!);
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  }
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not shortened (§4.2.2)
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text; returns null when it is not a valid IPv4 address. */
export function parseIpv4Addr(s: string): Ipv4Addr | null {
  const m = IPV4_RE.exec(s.trim());
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part[0] === '0') return null;
    const n = Number(part);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Like parseIpv4Addr but throws (for constants and already-validated configuration). */
export function ipv4(s: string): Ipv4Addr {
  const v = parseIpv4Addr(s);
  if (v === null) throw new RangeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return v;
}

export function macToString(m: MacAddr): string {
  const hex = m.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

const MAC_RE = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/;

export function parseMac(s: string): MacAddr | null {
  const m = MAC_RE.exec(s.trim());
  if (!m) return null;
  return parseInt(m[1]! + m[3]! + m[4]! + m[5]! + m[6]! + m[7]!, 16);
}

export function mac(s: string): MacAddr {
  const v = parseMac(s);
  if (v === null) throw new RangeError(`not a MAC address: ${JSON.stringify(s)}`);
  return v;
}

/** Network mask for a prefix length 0..32. */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffff_ffff << (32 - len)) >>> 0;
}

export interface Ipv4Cidr {
  readonly addr: Ipv4Addr;
  readonly prefix: number;
}

/** Parses "10.0.0.1/24"; returns null when malformed. The host bits are kept (an interface address). */
export function parseCidr(s: string): Ipv4Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = parseIpv4Addr(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (addr === null || !/^\d{1,2}$/.test(p)) return null;
  const prefix = Number(p);
  if (prefix > 32) return null;
  return { addr, prefix };
}

export function cidrToString(c: Ipv4Cidr): string {
  return `${ipv4ToString(c.addr)}/${c.prefix}`;
}

export function inSubnet(a: Ipv4Addr, net: Ipv4Addr, prefix: number): boolean {
  const m = prefixMask(prefix);
  return ((a & m) >>> 0) === ((net & m) >>> 0);
}
