/**
 * Interim evaluation of a step's checks for the app (until engine/lab's step runner lands; then
 * `evaluateChecks` delegates to it). Supported: state (arp, route, counter, session), capture (filter,
 * match, count, expect, sequence, distribution) and console (command, or the output of the student's
 * own run of an action's command). Anything else fails with a reason saying it is not evaluated yet.
 * Never throws: an internal problem becomes a failed check with its message.
 */
import type { Check, Count, Step } from '../lab/schema.ts';
import { compileFilter, filterErrorText } from '../wire/pcap-filter.ts';
import { summarizeFrame } from '../wire/summary.ts';
import { parseActionLine } from '../lab/formats.ts';
import type { CheckResult, Text } from '../../app/shared/bridge.ts';
import type { LabSession } from './session.ts';
import type { StoredPacket } from './packets.ts';
import { endpointsDetail } from './dissect.ts';

export interface ConsoleRecord {
  readonly device: string;
  readonly line: string;
  readonly output: string;
  readonly exitCode: number | null;
}

export interface CheckContext {
  readonly session: LabSession;
  /** Packets at a capture point since the step started; null when there is no such point. */
  packets(point: string): readonly StoredPacket[] | null;
  /** Commands run on consoles so far, oldest first. */
  readonly consoleLog: readonly ConsoleRecord[];
  /** The console command an action id names (setup or solution actions of any step). */
  action(id: string): { device: string; command: string } | null;
}

function countOk(n: number, c: Count | undefined, def: Count = { min: 1 }): boolean {
  const want = c ?? def;
  if (typeof want === 'number') return n === want;
  return (want.min === undefined || n >= want.min) && (want.max === undefined || n <= want.max);
}

function countText(c: Count | undefined, def: Count = { min: 1 }): string {
  const want = c ?? def;
  if (typeof want === 'number') return `exactly ${want}`;
  if (want.min !== undefined && want.max !== undefined) return `${want.min} to ${want.max}`;
  if (want.min !== undefined) return `at least ${want.min}`;
  return `at most ${want.max ?? 0}`;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function evaluateChecks(step: Step, ctx: CheckContext): CheckResult[] {
  return (step.checks ?? []).map((c) => {
    let r: { pass: boolean; reason: string };
    try {
      r = evaluate(c, ctx);
    } catch (e) {
      r = { pass: false, reason: `could not evaluate: ${(e as Error).message}` };
    }
    const description = c.description === undefined ? undefined : typeof c.description === 'string' ? { ko: c.description, en: c.description } : (c.description as Text);
    return { id: c.id, pass: r.pass, reason: r.reason, weight: c.weight ?? 1, ...(description ? { description } : {}) };
  });
}

function evaluate(c: Check, ctx: CheckContext): { pass: boolean; reason: string } {
  if ('state' in c) {
    const q = c.state;
    const st = ctx.session.deviceState(q.device);
    if (st === null) return { pass: false, reason: `no device ${q.device}` };
    if ('arp' in q) {
      const present = q.arp.present ?? true;
      const row = st.arp.find((a) => a.ip === q.arp.ip && a.mac !== '(incomplete)');
      const macOk = row && (!q.arp.mac || row.mac.toLowerCase() === q.arp.mac.toLowerCase());
      if (present) return macOk ? { pass: true, reason: `${q.device} has ${q.arp.ip} at ${row!.mac}` } : { pass: false, reason: `${q.device} has no ARP entry for ${q.arp.ip}${row ? ` with MAC ${q.arp.mac}` : ''}` };
      return row ? { pass: false, reason: `${q.device} still has an ARP entry for ${q.arp.ip} (${row.mac})` } : { pass: true, reason: `${q.device} has no ARP entry for ${q.arp.ip}` };
    }
    if ('route' in q) {
      const present = q.route.present ?? true;
      const row = st.routes.find((r) => r.dst === q.route.to && (!q.route.via || r.via === q.route.via) && (!q.route.dev || r.dev === q.route.dev));
      const what = `route to ${q.route.to}${q.route.via ? ` via ${q.route.via}` : ''}${q.route.dev ? ` dev ${q.route.dev}` : ''}`;
      return present === (row !== undefined) ? { pass: true, reason: `${q.device} ${row ? 'has' : 'has no'} ${what}` } : { pass: false, reason: `${q.device} ${row ? 'has' : 'has no'} ${what}` };
    }
    if ('counter' in q) {
      const v = st.counters[q.counter.name];
      if (v === undefined) return { pass: false, reason: `${q.device} has no counter ${q.counter.name}` };
      const ok = countOk(v, q.counter.value);
      return { pass: ok, reason: `${q.counter.name} is ${v} (expected ${countText(q.counter.value)})` };
    }
    if ('session' in q) {
      const where = q.session.where ?? {};
      const rows = st.sessions.filter((s) => Object.entries(where).every(([k, v]) => String((s as unknown as Record<string, unknown>)[k] ?? '').includes(String(v))));
      const ok = countOk(rows.length, q.session.count);
      return { pass: ok, reason: `${rows.length} session row(s) match (expected ${countText(q.session.count)})` };
    }
    return { pass: false, reason: 'service state checks are not evaluated by this build yet (lab runner pending)' };
  }
  if ('capture' in c) {
    const q = c.capture;
    const pk = ctx.packets(q.at);
    if (pk === null) return { pass: false, reason: `no capture point ${q.at}` };
    let sel = pk;
    if (q.filter) {
      const f = compileFilter(q.filter, { resolveHost: (n) => ctx.session.resolveHost(n) });
      if (!f.ok) return { pass: false, reason: `bad filter: ${filterErrorText(f.error)}` };
      sel = sel.filter((p) => f.value(p.frame));
    }
    const lines = sel.map((p) => summarizeFrame(p.frame));
    let idx = lines.map((_, i) => i);
    if (q.match) {
      const re = new RegExp(q.match);
      idx = idx.filter((i) => re.test(lines[i]!));
    }
    if (q.sequence) {
      let at = 0;
      for (const [k, s] of q.sequence.entries()) {
        const re = new RegExp(s);
        while (at < idx.length && !re.test(lines[idx[at]!]!)) at++;
        if (at >= idx.length) return { pass: false, reason: `at ${q.at}: no packet matching /${s}/ after the first ${k} of the sequence` };
        at++;
      }
      return { pass: true, reason: `at ${q.at}: the ${q.sequence.length} packets went by in order` };
    }
    if (q.expect) {
      for (const i of idx) {
        const e = endpointsDetail(sel[i]!.frame);
        const bad =
          (q.expect.src && e.src !== q.expect.src) ||
          (q.expect.dst && e.dst !== q.expect.dst) ||
          (q.expect.srcPort !== undefined && e.srcPort !== q.expect.srcPort) ||
          (q.expect.dstPort !== undefined && e.dstPort !== q.expect.dstPort);
        if (bad) return { pass: false, reason: `at ${q.at}: packet "${lines[i]}" does not have the expected addresses/ports` };
      }
    }
    if (q.distribution) {
      const d = q.distribution;
      const vals = idx.map((i) => {
        const e = endpointsDetail(sel[i]!.frame);
        switch (d.by) {
          case 'src': return e.src;
          case 'dst': return e.dst;
          case 'srcPort': return String(e.srcPort);
          case 'dstPort': return String(e.dstPort);
          case 'srcEndpoint': return `${e.src}:${e.srcPort}`;
          default: return `${e.dst}:${e.dstPort}`;
        }
      });
      for (const [v, want] of Object.entries(d.counts ?? {})) {
        const n = vals.filter((x) => x === v).length;
        if (!countOk(n, want)) return { pass: false, reason: `at ${q.at}: ${n} packet(s) with ${d.by} ${v} (expected ${countText(want)})` };
      }
      if (d.order) {
        const got = vals.slice(0, d.order.length);
        if (got.join(',') !== d.order.join(',')) return { pass: false, reason: `at ${q.at}: ${d.by} order was ${got.join(', ') || '(none)'}, expected ${d.order.join(', ')}` };
      }
    }
    const ok = countOk(idx.length, q.count);
    return { pass: ok, reason: `at ${q.at}: ${idx.length} packet(s) selected (expected ${countText(q.count)})` };
  }
  if ('console' in c) {
    const q = c.console;
    let output: string;
    let what: string;
    if (q.command) {
      if (!q.device) return { pass: false, reason: 'a console check with a command needs a device' };
      const ex = ctx.session.run(q.device, q.command);
      if (ex === null) return { pass: false, reason: `no console on ${q.device}` };
      output = ex.output;
      what = `${q.device}> ${q.command}`;
    } else if (q.action) {
      const a = ctx.action(q.action);
      if (a === null) return { pass: false, reason: `no console action ${q.action} in the lab` };
      const norm = (s: string): string => s.trim().replace(/\s+/g, ' ');
      const rec = [...ctx.consoleLog].reverse().find((r) => r.device === a.device && norm(r.line) === norm(a.command));
      if (!rec) return { pass: false, reason: `run \`${a.command}\` on ${a.device} first` };
      if (rec.exitCode === null) return { pass: false, reason: `\`${a.command}\` on ${a.device} is still running` };
      output = rec.output;
      what = `${a.device}> ${a.command}`;
    } else {
      return { pass: false, reason: 'a console check needs a command or an action' };
    }
    for (const m of list(q.match)) if (!new RegExp(m).test(output)) return { pass: false, reason: `the output of ${what} does not match /${m}/` };
    for (const m of list(q.notMatch)) if (new RegExp(m).test(output)) return { pass: false, reason: `the output of ${what} matches /${m}/` };
    return { pass: true, reason: `the output of ${what} is as expected` };
  }
  return { pass: false, reason: 'traffic checks are not evaluated by this build yet (lab runner pending)' };
}

/** Console command actions of a step list, by action id. */
export function consoleActions(steps: readonly Step[]): Map<string, { device: string; command: string }> {
  const out = new Map<string, { device: string; command: string }>();
  for (const s of steps) {
    for (const a of [...(s.setup ?? []), ...(s.solution ?? [])]) {
      if (typeof a === 'object' && 'console' in a && a.console.id) {
        const cmd = Array.isArray(a.console.command) ? a.console.command[a.console.command.length - 1]! : a.console.command;
        out.set(a.console.id, { device: a.console.device, command: cmd });
      }
    }
  }
  return out;
}

/** `DEVICE> COMMAND` lines and waits of a step's setup, as (device, command) | sleep ns. */
export function setupLines(step: Step): ({ device: string; command: string } | { sleep: string })[] {
  const out: ({ device: string; command: string } | { sleep: string })[] = [];
  for (const a of step.setup ?? []) {
    if (typeof a === 'string') {
      const p = parseActionLine(a);
      if (p) out.push(p);
    } else if ('console' in a) {
      for (const c of Array.isArray(a.console.command) ? a.console.command : [a.console.command]) out.push({ device: a.console.device, command: c });
    } else if ('wait' in a) {
      out.push({ sleep: a.wait });
    }
  }
  return out;
}

