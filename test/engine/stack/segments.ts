/**
 * Segment templates and a small checker DSL for TCP tests (gVisor's `checker` idea):
 *
 * ```ts
 * peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 100, mss: 1460 }));
 * expectTcp(peer.last(), flags('S.'), ack(101), mss(1460), wscale(7));
 * ```
 */
import assert from 'node:assert/strict';
import { Tcp, TcpFlag, type TcpOption } from '../../../engine/wire/tcp.ts';
import type { RawSeg } from './fixture.ts';

const { FIN, SYN, RST, PSH, ACK } = TcpFlag;

export interface SegSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  win?: number;
  mss?: number;
  wscale?: number;
  sackOk?: boolean;
  options?: TcpOption[];
}

/** Templates: the flags of common segments. */
export const SYN_T = { flags: SYN } as const;
export const SYN_ACK_T = { flags: SYN | ACK } as const;
export const ACK_T = { flags: ACK } as const;
export const PSH_ACK_T = { flags: PSH | ACK } as const;
export const FIN_ACK_T = { flags: FIN | ACK } as const;
export const RST_T = { flags: RST } as const;
export const RST_ACK_T = { flags: RST | ACK } as const;
export { SYN_T as SYN, SYN_ACK_T as SYN_ACK, ACK_T as ACK, PSH_ACK_T as PSH_ACK, FIN_ACK_T as FIN_ACK, RST_T as RST, RST_ACK_T as RST_ACK };

/** A segment from a template and fields. Default window 65535. */
export function seg(template: { readonly flags: number }, s: SegSpec = {}): Tcp {
  const t = new Tcp();
  t.flags = template.flags;
  t.srcPort = s.sport ?? 5000;
  t.dstPort = s.dport ?? 80;
  t.seq = (s.seq ?? 0) >>> 0;
  t.ack = (s.ack ?? 0) >>> 0;
  t.window = s.win ?? 65535;
  const opts: TcpOption[] = [...(s.options ?? [])];
  if (s.mss !== undefined) opts.push({ kind: 'mss', mss: s.mss });
  if (s.sackOk) opts.push({ kind: 'sackOK' });
  if (s.wscale !== undefined) opts.push({ kind: 'nop' }, { kind: 'wscale', shift: s.wscale });
  if (opts.length > 0) t.options = opts;
  return t;
}

export type Check = (t: Tcp) => string | null;

const FLAG_LETTERS: Record<string, number> = { S: SYN, F: FIN, R: RST, P: PSH, '.': ACK };

/** Exact flags in tcpdump letters: 'S', 'S.', 'R', 'R.', 'F.', 'P.', '.'. */
export function flags(text: string): Check {
  let want = 0;
  for (const ch of text) want |= FLAG_LETTERS[ch] ?? 0;
  return (t) => ((t.flags & (SYN | FIN | RST | PSH | ACK)) === want ? null : `flags: want [${text}]`);
}
export const sport = (n: number): Check => (t) => (t.srcPort === n ? null : `sport: want ${n}, got ${t.srcPort}`);
export const dport = (n: number): Check => (t) => (t.dstPort === n ? null : `dport: want ${n}, got ${t.dstPort}`);
export const seqIs = (n: number): Check => (t) => (t.seq === n >>> 0 ? null : `seq: want ${n >>> 0}, got ${t.seq}`);
export const ackIs = (n: number): Check => (t) => (t.ack === n >>> 0 ? null : `ack: want ${n >>> 0}, got ${t.ack}`);
export const win = (n: number): Check => (t) => (t.window === n ? null : `win: want ${n}, got ${t.window}`);
export const len = (n: number): Check => (t) => (t.payload.length === n ? null : `len: want ${n}, got ${t.payload.length}`);
export const mss = (n: number): Check => (t) => {
  const o = t.options.find((x) => x.kind === 'mss');
  return o !== undefined && o.kind === 'mss' && o.mss === n ? null : `mss: want ${n}`;
};
export const wscale = (n: number): Check => (t) => {
  const o = t.options.find((x) => x.kind === 'wscale');
  return o !== undefined && o.kind === 'wscale' && o.shift === n ? null : `wscale: want ${n}`;
};
export const noWscale: Check = (t) => (t.options.some((x) => x.kind === 'wscale') ? 'wscale: want none' : null);
export const sackOk: Check = (t) => (t.options.some((x) => x.kind === 'sackOK') ? null : 'sackOK: want it');
export const noSackOk: Check = (t) => (t.options.some((x) => x.kind === 'sackOK') ? 'sackOK: want none' : null);
export const sackBlocks = (blocks: [number, number][]): Check => (t) => {
  const o = t.options.find((x) => x.kind === 'sack');
  if (o === undefined || o.kind !== 'sack') return 'sack: want blocks';
  const got = o.blocks.map((b) => [b.left, b.right]);
  return JSON.stringify(got) === JSON.stringify(blocks.map(([l, r]) => [l >>> 0, r >>> 0])) ? null : `sack: want ${JSON.stringify(blocks)}, got ${JSON.stringify(got)}`;
};

/** Asserts every check on a received segment. */
export function expectTcp(s: RawSeg | Tcp | undefined, ...checks: Check[]): void {
  assert.ok(s !== undefined, 'expected a segment, got none');
  const t = s instanceof Tcp ? s : s.tcp;
  const problems = checks.map((c) => c(t)).filter((p): p is string => p !== null);
  assert.ok(problems.length === 0, `${t.toString()}\n  ${problems.join('\n  ')}`);
}
