/**
 * The per-node packet hook chain, modelled on netfilter: five points on the IPv4 path, each an ordered
 * list of functions that see the packet and return a verdict.
 *
 * ```
 *  receive → PREROUTING → route → INPUT → local delivery
 *                           └──→ FORWARD → (TTL-1) → POSTROUTING → ARP → transmit
 *  local send → OUTPUT → route → POSTROUTING → ARP → transmit
 * ```
 * Lower priority runs first; equal priorities run in the order added. Linux's priorities
 * (include/uapi/linux/netfilter_ipv4.h) are used for the built-in steps: conntrack -200, destination
 * NAT -100 (PREROUTING, OUTPUT), filter 0, source NAT 100 (POSTROUTING, INPUT). A hook that picks a
 * NAT mapping on a flow's first packet therefore runs between -200 and -100 (DNAT) or below 100 (SNAT).
 * When a PREROUTING or OUTPUT hook changes the destination, routing is done again (netfilter's DNAT).
 *
 * Hooks run on the forwarding fast path: the context is reused (no allocation per packet) and must
 * not be kept after the call.
 */
import { u16 } from '../wire/bytes.ts';
import { IPPROTO_TCP, IPPROTO_UDP, Ipv4View } from '../wire/ipv4.ts';
import type { ConntrackEntry, CtDirection } from './conntrack.ts';
import type { Disposable } from './ip-host.ts';
import type { Interface } from './interface.ts';
import type { Node } from './node.ts';

export type HookPoint = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export const HOOK_POINTS: readonly HookPoint[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** 'stolen': the hook took the packet (queued it, encapsulated and re-sent it, answered it itself). */
export type Verdict = 'accept' | 'drop' | 'stolen';
export type HookFn = (ctx: HookContext) => Verdict;

/** Linux's netfilter priorities (nf_ip_hook_priorities). */
export const HookPriority = {
  CONNTRACK: -200,
  NAT_DST: -100,
  FILTER: 0,
  NAT_SRC: 100,
} as const;

/** @internal Index of a point in the chain arrays (order of HOOK_POINTS). */
export const P = { PRE: 0, IN: 1, FWD: 2, OUT: 3, POST: 4 } as const;
/** @internal */
export type PointIndex = (typeof P)[keyof typeof P];

/** The packet as a hook sees it. One per nesting depth per node, reused. */
export class HookContext {
  /** @internal */ point_: PointIndex = P.PRE;
  /** The whole Ethernet frame; the IPv4 datagram starts at byte 14. Mutable. */
  frame: Uint8Array = EMPTY;
  /**
   * View over the IPv4 datagram (header through Total Length); rewrite through it (ipv4.ts helpers).
   * Valid only during the hook call (the node reuses it): a hook that keeps the packet keeps `frame`.
   */
  ip: Ipv4View = EMPTY_VIEW;
  /** Interface the packet arrived on (null for locally sent packets). */
  inIf: Interface | null = null;
  /** Interface the route leaves by (null before the routing decision, and for local delivery). */
  outIf: Interface | null = null;
  /** Next hop chosen by routing (the destination itself when on-link), 0 before routing. */
  nexthop = 0;
  /** The conntrack entry (null when conntrack is off or the packet is untracked). */
  ct: ConntrackEntry | null = null;
  /** Direction of the packet within `ct`: 0 original, 1 reply. */
  ctDir: CtDirection = 0;
  /** An ICMP error about a tracked flow (netfilter's RELATED). */
  ctRelated = false;
  /** @internal */ notes: string | undefined = undefined;
  /** @internal */ dropReason: string | undefined = undefined;

  constructor(readonly node: Node) {}

  get point(): HookPoint {
    return HOOK_POINTS[this.point_]!;
  }

  /** True for the first packet of a flow (its conntrack entry is not confirmed yet). */
  get ctNew(): boolean {
    return this.ct !== null && !this.ct.confirmed;
  }

  /** True when something records packets (a capture, the UI): only then does a note reach anyone. */
  get tracing(): boolean {
    return this.node.network.trace.active;
  }

  /** Appends the decision text the capture shows as this packet's comment. */
  note(text: string): void {
    this.notes = this.notes === undefined ? text : `${this.notes}; ${text}`;
  }

  /** Returns 'drop', counting the drop under `reason` instead of the hook point. */
  drop(reason: string): 'drop' {
    this.dropReason = reason;
    return 'drop';
  }

  get protocol(): number {
    return this.ip.buf[this.ip.off + 9]!;
  }

  /** Offset of the TCP/UDP/ICMP header within `ip.bytes` (within `ip.buf`, add `ip.off`). */
  get l4Offset(): number {
    return (this.ip.buf[this.ip.off]! & 0x0f) << 2;
  }

  /** TCP/UDP source port, or 0 (other protocols, non-first fragments, too short). */
  get srcPort(): number {
    return this.port(0);
  }
  get dstPort(): number {
    return this.port(2);
  }

  private port(at: number): number {
    const ip = this.ip;
    const b = ip.buf;
    const o = ip.off;
    const p = b[o + 9];
    if (p !== IPPROTO_TCP && p !== IPPROTO_UDP) return 0;
    if ((u16(b, o + 6) & 0x1fff) !== 0) return 0;
    const hl = (b[o]! & 0x0f) << 2;
    return o + hl + 4 <= ip.end ? u16(b, o + hl + at) : 0;
  }

  /** @internal */
  reset(frame: Uint8Array, ip: Ipv4View, inIf: Interface | null): void {
    this.frame = frame;
    this.ip = ip;
    this.inIf = inIf;
    this.outIf = null;
    this.nexthop = 0;
    this.ct = null;
    this.ctDir = 0;
    this.ctRelated = false;
    this.notes = undefined;
    this.dropReason = undefined;
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new Ipv4View(EMPTY);

interface HookEntry {
  readonly priority: number;
  readonly seq: number;
  readonly fn: HookFn;
  readonly name: string;
}

export class HookChain {
  private readonly entries: HookEntry[][] = [[], [], [], [], []];
  /** @internal Functions in run order per point, rebuilt on change (the hot loop reads only this). */
  readonly fns: HookFn[][] = [[], [], [], [], []];
  private seq = 0;

  /** Adds `fn` at `point`; dispose the result to remove it. */
  add(point: HookPoint, priority: number, fn: HookFn, name = fn.name || 'hook'): Disposable {
    const i = HOOK_POINTS.indexOf(point);
    if (i < 0) throw new RangeError(`unknown hook point ${JSON.stringify(point)}; one of ${HOOK_POINTS.join(', ')}`);
    if (!Number.isFinite(priority)) throw new RangeError(`hook priority must be a finite number, got ${priority}`);
    const e: HookEntry = { priority, seq: this.seq++, fn, name };
    const list = this.entries[i]!;
    list.push(e);
    list.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.rebuild(i);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const k = list.indexOf(e);
        if (k >= 0) list.splice(k, 1);
        this.rebuild(i);
      },
    };
  }

  /** Hooks at `point` in run order (for `iptables -L`-like listings). */
  list(point: HookPoint): { priority: number; name: string }[] {
    return this.entries[HOOK_POINTS.indexOf(point)]!.map((e) => ({ priority: e.priority, name: e.name }));
  }

  /** @internal Runs the hooks of `point`; the first verdict other than accept ends the run. */
  run(point: PointIndex, ctx: HookContext): Verdict {
    const fns = this.fns[point]!;
    if (fns.length === 0) return 'accept';
    ctx.point_ = point;
    for (let i = 0; i < fns.length; i++) {
      const v = fns[i]!(ctx);
      if (v !== 'accept') return v;
    }
    return 'accept';
  }

  private rebuild(i: number): void {
    // Replace, not mutate, so a run in progress (a hook removing itself) is not disturbed.
    (this.fns as HookFn[][])[i] = this.entries[i]!.map((e) => e.fn);
  }
}
