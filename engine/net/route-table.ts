/**
 * The IPv4 route table: connected routes (proto kernel, from interface addresses), static and default
 * routes; longest prefix match, then the lowest metric (RFC 1812 §5.2.4.3), then the oldest route.
 * `toString()` of a route is `ip route` output.
 */
import { ipv4, ipv4ToString, parseCidr, prefixMask, type Ipv4Addr } from '../wire/addr.ts';
import type { Interface } from './interface.ts';

export type RouteProto = 'kernel' | 'static' | 'boot';

export interface RouteSpec {
  /** Destination network, e.g. '10.1.0.0/16', or 'default'. */
  readonly dst: string;
  /** Next hop ('via'); omit for an on-link route. */
  readonly via?: string | Ipv4Addr;
  /** Interface name ('dev'); found from the next hop when omitted. */
  readonly dev?: string;
  readonly metric?: number;
  /** Preferred source address ('src'). */
  readonly src?: string | Ipv4Addr;
}

export class Route {
  /** Network address (host bits cleared). */
  readonly dst: Ipv4Addr;
  readonly mask: number;
  /** The route's interface is down: kept, but skipped by lookups (Linux's dead/linkdown). */
  dead = false;
  /** @internal The interface `dev` names, resolved by the node when routes change (not per packet). */
  iface: Interface | null = null;
  constructor(
    dst: Ipv4Addr,
    readonly prefix: number,
    /** Next hop, or 0 for on-link (the destination itself is the next hop). */
    readonly gateway: Ipv4Addr,
    readonly dev: string,
    readonly metric: number,
    readonly proto: RouteProto,
    /** Preferred source, or 0. */
    readonly src: Ipv4Addr,
    /** Insertion order, breaks ties. */
    readonly seq: number,
  ) {
    this.mask = prefixMask(prefix);
    this.dst = (dst & this.mask) >>> 0;
  }

  get isDefault(): boolean {
    return this.prefix === 0;
  }

  /** `ip route` form: `default via 10.0.0.1 dev eth0`, `10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2`. */
  toString(): string {
    let s = this.prefix === 0 ? 'default' : this.prefix === 32 ? ipv4ToString(this.dst) : `${ipv4ToString(this.dst)}/${this.prefix}`;
    if (this.gateway !== 0) s += ` via ${ipv4ToString(this.gateway)}`;
    s += ` dev ${this.dev}`;
    if (this.proto !== 'boot' && this.proto !== 'static') s += ` proto ${this.proto}`;
    if (this.gateway === 0) s += ' scope link';
    if (this.src !== 0) s += ` src ${ipv4ToString(this.src)}`;
    if (this.metric !== 0) s += ` metric ${this.metric}`;
    if (this.dead) s += ' linkdown';
    return s;
  }
}

export class RouteTable {
  /** Sorted: longest prefix first, then metric, then age; the first match wins. */
  private sorted: Route[] = [];
  private seq = 0;
  /** Bumped on every change (callers cache lookups against it). */
  version = 0;

  add(dst: Ipv4Addr, prefix: number, gateway: Ipv4Addr, dev: string, opts: { metric?: number; proto?: RouteProto; src?: Ipv4Addr } = {}): Route {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`route prefix ${prefix} is not in 0..32`);
    const r = new Route(dst, prefix, gateway >>> 0, dev, opts.metric ?? 0, opts.proto ?? 'boot', (opts.src ?? 0) >>> 0, this.seq++);
    const dup = this.sorted.find((x) => x.dst === r.dst && x.prefix === r.prefix && x.metric === r.metric && x.dev === r.dev && x.gateway === r.gateway);
    if (dup) return dup;
    this.sorted.push(r);
    this.sorted.sort((a, b) => b.prefix - a.prefix || a.metric - b.metric || a.seq - b.seq);
    this.version++;
    return r;
  }

  remove(r: Route): boolean {
    const i = this.sorted.indexOf(r);
    if (i < 0) return false;
    this.sorted.splice(i, 1);
    this.version++;
    return true;
  }

  /** Removes routes matching the predicate; returns how many. */
  removeWhere(pred: (r: Route) => boolean): number {
    const before = this.sorted.length;
    this.sorted = this.sorted.filter((r) => !pred(r));
    const n = before - this.sorted.length;
    if (n > 0) this.version++;
    return n;
  }

  /** Longest prefix match; null when no route covers `dst`. */
  lookup(dst: Ipv4Addr): Route | null {
    const rs = this.sorted;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (((dst & r.mask) >>> 0) === r.dst && !r.dead) return r;
    }
    return null;
  }

  /** Routes in `ip route` order (default first, then by destination). */
  routes(): Route[] {
    return [...this.sorted].sort((a, b) => {
      if (a.prefix === 0 || b.prefix === 0) return (a.prefix === 0 ? 0 : 1) - (b.prefix === 0 ? 0 : 1) || a.metric - b.metric;
      return a.dst - b.dst || b.prefix - a.prefix || a.metric - b.metric;
    });
  }

  get size(): number {
    return this.sorted.length;
  }
}

/** Parses 'default' or 'a.b.c.d/n' or a bare address (/32). Throws on bad text (configuration). */
export function parseRouteDst(s: string): { addr: Ipv4Addr; prefix: number } {
  if (s === 'default' || s === '0.0.0.0/0') return { addr: 0, prefix: 0 };
  if (!s.includes('/')) return { addr: ipv4(s), prefix: 32 };
  const c = parseCidr(s);
  if (c === null) throw new RangeError(`not a route destination: ${JSON.stringify(s)}`);
  return c;
}
