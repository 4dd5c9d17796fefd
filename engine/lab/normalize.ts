/**
 * The long form of a valid lab: every short form expanded and every default filled in, so the runner
 * reads one shape. Input must be a lab `loadLab` accepted (no problems).
 */
import { parseDuration, type Nanos } from '../sim/time.ts';
import { parseCidr, type Ipv4Cidr } from '../wire/addr.ts';
import { parseActionLine, parseBandwidth, parseEpoch, parseLoss } from './formats.ts';
import type { Action, Lab, Text } from './schema.ts';

export interface LocalText {
  readonly ko: string;
  readonly en: string;
}

export type NormalAction =
  | { readonly kind: 'console'; readonly id: string | null; readonly device: string; readonly commands: readonly string[] }
  | { readonly kind: 'wait'; readonly duration: Nanos }
  | { readonly kind: 'traffic'; readonly spec: Extract<Action, { traffic: unknown }>['traffic'] }
  | { readonly kind: 'fault'; readonly target: 'link' | 'segment' | 'device' | 'service'; readonly name: string; readonly op: 'down' | 'up' | 'stop' | 'start' };

export interface NormalInterface {
  readonly name: string;
  readonly address: Ipv4Cidr | null;
  readonly mtu: number;
  readonly mac: string | null;
}

export interface NormalLink {
  readonly name: string;
  readonly a: string;
  readonly b: string;
  readonly delay: Nanos;
  /** Bits per second; null: unlimited. */
  readonly bandwidth: number | null;
  readonly loss: number;
  readonly mtu: number | null;
  readonly queue: number;
}

export interface NormalLab {
  readonly lab: Lab;
  readonly seed: number;
  readonly epochNs: bigint;
  readonly interfaces: ReadonlyMap<string, readonly NormalInterface[]>;
  readonly segments: ReadonlyMap<string, readonly string[]>;
  readonly links: readonly NormalLink[];
  readonly captures: ReadonlyMap<string, { readonly at: string; readonly description: LocalText | null }>;
  readonly config: ReadonlyMap<string, readonly string[]>;
  readonly steps: ReadonlyArray<{ readonly id: string; readonly setup: readonly NormalAction[]; readonly solution: readonly NormalAction[] }>;
}

export function localText(t: Text): LocalText {
  return typeof t === 'string' ? { ko: t, en: t } : { ko: t.ko, en: t.en };
}

function nanos(d: string | undefined, def: Nanos): Nanos {
  if (d === undefined) return def;
  const r = parseDuration(d);
  if (!r.ok) throw new RangeError(r.error); // loadLab has refused such a lab
  return r.value;
}

export function normalizeAction(a: Action): NormalAction {
  if (typeof a === 'string') {
    const line = parseActionLine(a);
    if (line === null) throw new RangeError(`not an action: ${a}`);
    return 'sleep' in line ? { kind: 'wait', duration: nanos(line.sleep, 0) } : { kind: 'console', id: null, device: line.device, commands: [line.command] };
  }
  if ('console' in a) {
    const c = a.console;
    return { kind: 'console', id: c.id ?? null, device: c.device, commands: typeof c.command === 'string' ? [c.command] : c.command };
  }
  if ('wait' in a) return { kind: 'wait', duration: nanos(a.wait, 0) };
  if ('traffic' in a) return { kind: 'traffic', spec: a.traffic };
  const f = a.fault;
  const target = (['link', 'segment', 'device', 'service'] as const).find((t) => f[t] !== undefined)!;
  return { kind: 'fault', target, name: f[target]!, op: f.op };
}

export function normalizeLab(lab: Lab): NormalLab {
  const t = lab.topology;
  const interfaces = new Map<string, NormalInterface[]>();
  for (const [dev, d] of Object.entries(t.devices)) {
    interfaces.set(
      dev,
      Object.entries(d.interfaces).map(([name, i]) => {
        const long = typeof i === 'string' ? { address: i } : i;
        return { name, address: long.address ? parseCidr(long.address) : null, mtu: long.mtu ?? 1500, mac: long.mac ?? null };
      }),
    );
  }
  const segments = new Map<string, string[]>();
  for (const [name, s] of Object.entries(t.segments ?? {})) segments.set(name, Array.isArray(s) ? s : s.members);
  const links = Object.entries(t.links ?? {}).map(([name, l]) => ({
    name,
    a: l.a,
    b: l.b,
    delay: nanos(l.delay, 0),
    bandwidth: l.bandwidth ? parseBandwidth(l.bandwidth) : null,
    loss: l.loss === undefined ? 0 : (parseLoss(l.loss) ?? 0),
    mtu: l.mtu ?? null,
    queue: l.queue ?? 1000,
  }));
  const captures = new Map<string, { at: string; description: LocalText | null }>();
  for (const [name, c] of Object.entries(t.captures ?? {})) {
    captures.set(name, typeof c === 'string' ? { at: c, description: null } : { at: c.at, description: c.description ? localText(c.description) : null });
  }
  const config = new Map<string, string[]>();
  for (const [dev, c] of Object.entries(lab.config ?? {})) config.set(dev, typeof c === 'string' ? c.replace(/\r?\n$/, '').split(/\r?\n/) : c);
  return {
    lab,
    seed: lab.seed ?? 1,
    epochNs: parseEpoch(lab.epoch ?? '2024-01-01T00:00:00Z') ?? 1_704_067_200_000_000_000n,
    interfaces,
    segments,
    links,
    captures,
    config,
    steps: lab.steps.map((s) => ({ id: s.id, setup: (s.setup ?? []).map(normalizeAction), solution: (s.solution ?? []).map(normalizeAction) })),
  };
}
