/**
 * Real server selection by the group's metric (Radware Alteon AG "Metrics for Real Server Groups",
 * p.180–183; Web OS 10 AG ch.6):
 * - roundrobin: each real in turn; weights make a real come up `weight` times per round (smooth
 *   weighted round robin, so equal weights give plain rotation in group order).
 * - leastconns: the real with the fewest current sessions per unit of weight; ties go to the first in
 *   group order.
 * - hash: a hash of the client IP picks among the available reals (the same client keeps its real
 *   while the set of available reals stays the same).
 * - minmisses: a hash of the client IP with each real (highest score wins), so when a real fails only
 *   its own clients move ("minimum misses").
 * Only reals that are enabled, not operationally disabled, healthy on the service's real port and
 * below `maxcon` are candidates. Nothing here allocates.
 */
import type { Ipv4Addr } from '../../wire/addr.ts';
import type { Metric } from './config.ts';
import type { SessionCounters } from './stats.ts';

/** What selection needs to know about a real (implemented by the switch's runtime real). */
export interface Candidate {
  readonly id: number;
  readonly rip: Ipv4Addr;
  readonly weight: number;
  readonly counters: SessionCounters;
  available(port: number): boolean;
}

/** Per-group selection state. */
export class Selector {
  /** Smooth weighted round robin: current weight per member. */
  private readonly cw: number[];

  constructor(
    readonly metric: Metric,
    readonly members: readonly Candidate[],
  ) {
    this.cw = members.map(() => 0);
  }

  /** Index into `members` of the chosen real, or -1 when none is available. */
  select(client: Ipv4Addr, port: number): number {
    switch (this.metric) {
      case 'roundrobin':
        return this.roundrobin(port);
      case 'leastconns':
        return this.leastconns(port);
      case 'hash':
        return this.hash(client, port);
      case 'minmisses':
        return this.minmisses(client, port);
    }
  }

  private roundrobin(port: number): number {
    const m = this.members;
    const cw = this.cw;
    let total = 0;
    let best = -1;
    for (let i = 0; i < m.length; i++) {
      const r = m[i]!;
      if (!r.available(port)) continue;
      cw[i]! += r.weight;
      total += r.weight;
      if (best < 0 || cw[i]! > cw[best]!) best = i;
    }
    if (best >= 0) cw[best]! -= total;
    return best;
  }

  private leastconns(port: number): number {
    const m = this.members;
    let best = -1;
    for (let i = 0; i < m.length; i++) {
      const r = m[i]!;
      if (!r.available(port)) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = m[best]!;
      // r.current / r.weight < b.current / b.weight, without division.
      if (r.counters.current * b.weight < b.counters.current * r.weight) best = i;
    }
    return best;
  }

  private hash(client: Ipv4Addr, port: number): number {
    const m = this.members;
    let n = 0;
    for (let i = 0; i < m.length; i++) if (m[i]!.available(port)) n++;
    if (n === 0) return -1;
    let k = mix32(client) % n;
    for (let i = 0; i < m.length; i++) {
      if (!m[i]!.available(port)) continue;
      if (k === 0) return i;
      k--;
    }
    return -1;
  }

  private minmisses(client: Ipv4Addr, port: number): number {
    const m = this.members;
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < m.length; i++) {
      const r = m[i]!;
      if (!r.available(port)) continue;
      const s = mix32((client ^ mix32(r.rip)) >>> 0);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }
}

/** A 32-bit integer hash (the MurmurHash3 finalizer), as an unsigned number. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
