/**
 * Check evaluation: state (ARP entry, route, counter, session table rows, service status), capture
 * (what a capture point saw during the step), console (regular expressions on output), traffic (how a
 * traffic action's requests went). A result says what was expected and what was seen, in English and
 * Korean. Never throws: a problem evaluating a check is that check's failure.
 */
import type { Execution } from '../devices/shell.ts';
import type { Nanos } from '../sim/time.ts';
import { TCP_CT_STATES } from '../net/conntrack.ts';
import { parseArp } from '../wire/arp.ts';
import { ipv4ToString, macToString, parseMac } from '../wire/addr.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from '../wire/ethernet.ts';
import { IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from '../wire/ipv4.ts';
import { compileFilter, filterErrorText } from '../wire/pcap-filter.ts';
import { summarizeFrame } from '../wire/summary.ts';
import { parseTcp } from '../wire/tcp.ts';
import { parseUdp } from '../wire/udp.ts';
import type { LabDevice, Topology } from './build.ts';
import type { CapturedPacket, CapturePoint } from './captures.ts';
import type { RealDeviceState } from './real.ts';
import { localText, type LocalText } from './normalize.ts';
import type { Check, Count } from './schema.ts';
import type { TrafficRequest, TrafficResult } from './traffic.ts';

export interface CheckResult {
  readonly id: string;
  readonly pass: boolean;
  readonly weight: number;
  readonly description: LocalText | null;
  /** What was expected and what was seen. */
  readonly reason: LocalText;
  /** A distribution check's values in time order (which real, when), e.g. for a per-real chart. */
  readonly series?: DistributionSeries;
}

export interface DistributionSeries {
  /** `dst`, `body`, `peer`, ... as the check's `by`. */
  readonly by: string;
  /** One point per packet (capture) or successful request (traffic, at its start). */
  readonly points: readonly { readonly t: Nanos; readonly value: string }[];
  /** Final count per value. */
  readonly counts: Readonly<Record<string, number>>;
}

/** A console command's record: run by the lab (an action) or typed by the student. */
export interface ConsoleRecord {
  readonly device: string;
  readonly commands: readonly string[];
  readonly output: string;
  readonly exitCode: number | null;
}

export interface CheckContext {
  readonly topo: Topology;
  /** Packets at a capture point since the step started, or null when there is no such point. */
  packets(point: string): { point: CapturePoint; packets: readonly CapturedPacket[] } | null;
  /** The output of a console action by id (the lab's run of it, or the student's latest run of its command). */
  consoleAction(id: string): ConsoleRecord | null;
  /** The results of a traffic action by id, or null when it has not run. */
  traffic(id: string): TrafficResult | null;
  /** Runs a command now (console checks with `command`). */
  run(device: string, line: string): Execution;
  /** A real host's namespace state (engine/lab/real.ts), or null for an emulated device. */
  real?(device: string): RealDeviceState | null;
}

type Verdict = { pass: boolean; reason: LocalText; series?: DistributionSeries };

const ok = (en: string, ko: string): Verdict => ({ pass: true, reason: { en, ko } });
const bad = (en: string, ko: string): Verdict => ({ pass: false, reason: { en, ko } });

export function countOk(n: number, c: Count | undefined, def: Count = { min: 1 }): boolean {
  const w = c ?? def;
  if (typeof w === 'number') return n === w;
  return (w.min === undefined || n >= w.min) && (w.max === undefined || n <= w.max);
}

/** `6`, `at least 1`, `2 to 5`, `at most 3` (en) and the Korean form. */
export function countText(c: Count | undefined, def: Count = { min: 1 }): LocalText {
  const w = c ?? def;
  if (typeof w === 'number') return { en: `${w}`, ko: `${w}개` };
  if (w.min !== undefined && w.max !== undefined) return { en: `${w.min} to ${w.max}`, ko: `${w.min}~${w.max}개` };
  if (w.min !== undefined) return { en: `at least ${w.min}`, ko: `${w.min}개 이상` };
  if (w.max !== undefined) return { en: `at most ${w.max}`, ko: `${w.max}개 이하` };
  return { en: 'any number of', ko: '임의 개수의' };
}

const plural = (n: number | string, word: string): string => `${word}${n === 1 || n === '1' ? '' : 's'}`;
const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);

export function evaluateChecks(checks: readonly Check[], ctx: CheckContext): CheckResult[] {
  return checks.map((c) => {
    let v: Verdict;
    try {
      v = evaluate(c, ctx);
    } catch (e) {
      const m = (e as Error).message;
      v = bad(`could not evaluate the check: ${m}`, `검사를 평가하지 못했습니다: ${m}`);
    }
    return {
      id: c.id,
      pass: v.pass,
      weight: c.weight ?? 1,
      description: c.description === undefined ? null : localText(c.description),
      reason: v.reason,
      ...(v.series ? { series: v.series } : {}),
    };
  });
}

function evaluate(c: Check, ctx: CheckContext): Verdict {
  if ('state' in c) return stateCheck(c.state, ctx);
  if ('capture' in c) return captureCheck(c.capture, ctx);
  if ('console' in c) return consoleCheck(c.console, ctx);
  return trafficCheck(c.traffic, ctx);
}

// ---- state ---------------------------------------------------------------------------------------

type StateQuery = Extract<Check, { state: unknown }>['state'];

function device(ctx: CheckContext, name: string): LabDevice {
  const d = ctx.topo.devices.get(name);
  if (d === undefined) throw new Error(`no device ${name}`);
  return d;
}

function stateCheck(q: StateQuery, ctx: CheckContext): Verdict {
  const d = device(ctx, q.device);
  const real = ctx.real?.(q.device) ?? null;
  if (real !== null) return realStateCheck(q, d, real);
  const node = d.node;
  if ('arp' in q) {
    const want = q.arp;
    const present = want.present ?? true;
    const rows = node.neighbours().filter((n) => ipv4ToString(n.ip) === want.ip && n.mac !== 0 && n.state !== 'INCOMPLETE' && n.state !== 'FAILED');
    const row = rows[0];
    const seen = row ? `${want.ip} at ${macToString(row.mac)} (${row.state})` : null;
    if (!present) {
      return row
        ? bad(`expected no ARP entry for ${want.ip} on ${q.device}, found ${seen}`, `${q.device}에 ${want.ip}의 ARP 항목이 없어야 하는데 ${seen}이(가) 있습니다`)
        : ok(`${q.device} has no ARP entry for ${want.ip}`, `${q.device}에 ${want.ip}의 ARP 항목이 없습니다`);
    }
    if (!row) {
      const all = node.neighbours().map((n) => String(n)).join('; ') || 'none';
      return bad(`expected an ARP entry for ${want.ip} on ${q.device}, found none (cache: ${all})`, `${q.device}에 ${want.ip}의 ARP 항목이 있어야 하는데 없습니다 (캐시: ${all})`);
    }
    if (want.mac !== undefined && row.mac !== parseMac(want.mac)) {
      return bad(`expected ${want.ip} at ${want.mac} on ${q.device}, found ${seen}`, `${q.device}에서 ${want.ip}의 MAC이 ${want.mac}이어야 하는데 ${seen}입니다`);
    }
    return ok(`${q.device} has ${seen}`, `${q.device}에 ${seen} 항목이 있습니다`);
  }
  if ('route' in q) {
    const want = q.route;
    const present = want.present ?? true;
    const devName = want.dev === undefined ? undefined : (d.interfaces.get(want.dev)?.name ?? want.dev);
    const routes = node.routes();
    const text = (r: (typeof routes)[number]): string =>
      `${r.isDefault ? 'default' : `${ipv4ToString(r.dst)}/${r.prefix}`}${r.gateway ? ` via ${ipv4ToString(r.gateway)}` : ''} dev ${r.dev}`;
    const dest = (r: (typeof routes)[number]): string => (r.isDefault ? 'default' : `${ipv4ToString(r.dst)}/${r.prefix}`);
    const toNorm = want.to === 'default' ? 'default' : normCidr(want.to);
    const match = routes.find((r) => dest(r) === toNorm && (want.via === undefined || ipv4ToString(r.gateway) === want.via) && (devName === undefined || r.dev === devName));
    const what = `a route to ${want.to}${want.via ? ` via ${want.via}` : ''}${want.dev ? ` dev ${want.dev}` : ''}`;
    const table = routes.map(text).join('; ') || 'empty';
    if (present === (match !== undefined)) {
      return present ? ok(`${q.device} has ${text(match!)}`, `${q.device}에 경로 ${text(match!)}가 있습니다`) : ok(`${q.device} has no ${what.slice(2)}`, `${q.device}에 ${what.slice(2)}가 없습니다`);
    }
    return present
      ? bad(`expected ${what} on ${q.device}, found: ${table}`, `${q.device}에 ${what.slice(2)}가 있어야 하는데 없습니다. 경로 테이블: ${table}`)
      : bad(`expected no ${what.slice(2)} on ${q.device}, found ${text(match!)}`, `${q.device}에 ${what.slice(2)}가 없어야 하는데 ${text(match!)}가 있습니다`);
  }
  if ('counter' in q) return stateCheckCounter(q.device, q.counter, deviceCounters(d));
  if ('session' in q) return sessionVerdict(q.device, q.session, sessionRows(d));
  const want = q.service;
  const host = d.host;
  const unit = want.name === 'http' ? 'nginx' : 'named';
  const e = host?.service(unit);
  if (!host || e === undefined) return bad(`${q.device} has no ${want.name} service`, `${q.device}에 ${want.name} 서비스가 없습니다`);
  const status = e.state === 'active' ? 'running' : 'stopped';
  return status === want.status
    ? ok(`${q.device}'s ${want.name} service is ${status}`, `${q.device}의 ${want.name} 서비스가 ${status === 'running' ? '실행 중' : '멈춤'} 상태입니다`)
    : bad(`expected ${q.device}'s ${want.name} service to be ${want.status}, it is ${status}${e.error ? ` (${e.error})` : ''}`, `${q.device}의 ${want.name} 서비스가 ${want.status === 'running' ? '실행 중' : '멈춤'}이어야 하는데 ${status === 'running' ? '실행 중' : '멈춤'}입니다`);
}

/** State checks on a real host read its namespace; what only the emulation has is reported as such. */
function realStateCheck(q: StateQuery, d: LabDevice, real: RealDeviceState): Verdict {
  const where = `${q.device} (real host, namespace ${real.namespace})`;
  const cannot = (what: string): Verdict =>
    bad(`this check cannot run on a real host: ${what} of ${where} is not visible to pktlab`, `실제 호스트에서는 이 검사를 할 수 없습니다: ${q.device}의 ${what}은(는) pktlab이 볼 수 없습니다`);
  if ('arp' in q) {
    const want = q.arp;
    const present = want.present ?? true;
    const all = real.neighbours();
    const row = all.find((n) => n.ip === want.ip && n.mac !== null && !/INCOMPLETE|FAILED/.test(n.state));
    const seen = row ? `${want.ip} at ${row.mac} (${row.state})` : null;
    if (!present) {
      return row
        ? bad(`expected no ARP entry for ${want.ip} on ${where}, found ${seen}`, `${q.device}에 ${want.ip}의 ARP 항목이 없어야 하는데 ${seen}이(가) 있습니다`)
        : ok(`${where} has no ARP entry for ${want.ip}`, `${q.device}에 ${want.ip}의 ARP 항목이 없습니다`);
    }
    if (!row) {
      const cache = all.map((n) => `${n.ip} dev ${n.dev}${n.mac ? ` lladdr ${n.mac}` : ''} ${n.state}`).join('; ') || 'none';
      return bad(`expected an ARP entry for ${want.ip} on ${where}, found none (ip neigh: ${cache})`, `${q.device}에 ${want.ip}의 ARP 항목이 있어야 하는데 없습니다 (ip neigh: ${cache})`);
    }
    if (want.mac !== undefined && parseMac(row.mac!) !== parseMac(want.mac)) {
      return bad(`expected ${want.ip} at ${want.mac} on ${where}, found ${seen}`, `${q.device}에서 ${want.ip}의 MAC이 ${want.mac}이어야 하는데 ${seen}입니다`);
    }
    return ok(`${where} has ${seen}`, `${q.device}에 ${seen} 항목이 있습니다`);
  }
  if ('route' in q) {
    const want = q.route;
    const present = want.present ?? true;
    const devName = want.dev === undefined ? undefined : (d.interfaces.get(want.dev)?.name ?? want.dev);
    const routes = real.routes();
    const text = (r: (typeof routes)[number]): string => `${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`;
    const toNorm = want.to === 'default' ? 'default' : normCidr(want.to);
    const match = routes.find((r) => (r.dst === 'default' ? 'default' : normCidr(r.dst)) === toNorm && (want.via === undefined || r.via === want.via) && (devName === undefined || r.dev === devName));
    const what = `route to ${want.to}${want.via ? ` via ${want.via}` : ''}${want.dev ? ` dev ${want.dev}` : ''}`;
    const table = routes.map(text).join('; ') || 'empty';
    if (present === (match !== undefined)) {
      return present ? ok(`${where} has ${text(match!)}`, `${q.device}에 경로 ${text(match!)}가 있습니다`) : ok(`${where} has no ${what}`, `${q.device}에 ${what}가 없습니다`);
    }
    return present
      ? bad(`expected a ${what} on ${where}, found: ${table}`, `${q.device}에 ${what}가 있어야 하는데 없습니다. 경로 테이블: ${table}`)
      : bad(`expected no ${what} on ${where}, found ${text(match!)}`, `${q.device}에 ${what}가 없어야 하는데 ${text(match!)}가 있습니다`);
  }
  if ('counter' in q) {
    // The engine side of the TAP is still the interface: its counters are real traffic.
    if (!q.counter.name.startsWith('if.')) return cannot(`counter ${q.counter.name}`);
    return stateCheckCounter(q.device, q.counter, deviceCounters(d));
  }
  if ('session' in q) return sessionVerdict(q.device, q.session, real.tcp());
  return cannot(`the ${q.service.name} service`);
}

function stateCheckCounter(dev: string, c: { name: string; value?: Count }, counters: Map<string, number>): Verdict {
  const v = counters.get(c.name);
  if (v === undefined) {
    const names = [...counters.keys()].filter((k) => k.split('.')[0] === c.name.split('.')[0]).slice(0, 12);
    return bad(`${dev} has no counter ${c.name}${names.length ? ` (it has ${names.join(', ')}, ...)` : ''}`, `${dev}에 카운터 ${c.name}가 없습니다`);
  }
  const want = countText(c.value, 0);
  return countOk(v, c.value, 0)
    ? ok(`${dev} ${c.name} = ${v}`, `${dev}의 ${c.name} = ${v}`)
    : bad(`expected ${dev} counter ${c.name} to be ${want.en}, saw ${v}`, `${dev}의 카운터 ${c.name}가 ${want.ko.replace(/개/g, '')}이어야 하는데 ${v}입니다`);
}

function sessionVerdict(dev: string, s: { where?: Record<string, unknown>; count?: Count }, rows: Record<string, string | number>[]): Verdict {
  const where = Object.entries(s.where ?? {});
  const hit = rows.filter((r) => where.every(([k, v]) => r[k] !== undefined && String(r[k]) === String(v)));
  const want = countText(s.count);
  const cond = where.length ? ` where ${where.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
  const sample = rows.slice(0, 3).map((r) => Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ')).join('; ');
  return countOk(hit.length, s.count)
    ? ok(`${dev} has ${hit.length} session ${plural(hit.length, 'row')}${cond}`, `${dev}의 세션 테이블에 조건에 맞는 행이 ${hit.length}개 있습니다`)
    : bad(
        `expected ${want.en} session ${plural(want.en, 'row')}${cond} on ${dev}, saw ${hit.length} (of ${rows.length}${sample ? `: ${sample}` : ''})`,
        `${dev}의 세션 테이블에 조건에 맞는 행이 ${want.ko} 있어야 하는데 ${hit.length}개입니다 (전체 ${rows.length}개)`,
      );
}

function normCidr(s: string): string {
  const [a, p] = s.split('/');
  const parts = a!.split('.').map(Number);
  const addr = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${ipv4ToString((addr & mask) >>> 0)}/${prefix}`;
}

/** Counters a device shows: `ip.*`, `drop.*`, `if.NAME.*`, `tcp.*`, `udp.*`, `http.*`, `slb.*`. */
export function deviceCounters(d: LabDevice): Map<string, number> {
  const m = new Map<string, number>();
  const node = d.node;
  for (const [k, v] of Object.entries(node.counters)) if (typeof v === 'number') m.set(`ip.${k}`, v);
  for (const [k, v] of node.counters.drops) m.set(`drop.${k}`, v);
  for (const [lname, i] of d.interfaces) {
    for (const [k, v] of Object.entries(i.counters)) if (typeof v === 'number') m.set(`if.${lname}.${k}`, v);
  }
  const stack = d.host?.stack ?? d.l4switch?.stack;
  if (stack) for (const [k, v] of Object.entries(stack.tcp.stats)) if (typeof v === 'number') m.set(`tcp.${k}`, v);
  if (d.host) {
    const http = d.host.service('nginx')?.service as { server?: { stats?: Record<string, unknown> } | null } | undefined;
    for (const [k, v] of Object.entries(http?.server?.stats ?? {})) if (typeof v === 'number') m.set(`http.${k}`, v);
  }
  const sw = d.l4switch;
  if (sw) {
    for (const [k, v] of Object.entries(sw.maintC)) if (typeof v === 'number') m.set(`slb.maint.${k}`, v);
    const cfg = sw.config;
    if (cfg) {
      for (const r of cfg.reals.values()) {
        const s = sw.realStats(r.id);
        m.set(`slb.real.${r.id}.current`, s.current);
        m.set(`slb.real.${r.id}.total`, s.total);
        m.set(`slb.real.${r.id}.highest`, s.highest);
        m.set(`slb.real.${r.id}.octets`, s.octets);
        m.set(`slb.real.${r.id}.sessions`, s.total);
      }
      for (const v of cfg.virts.values()) {
        let cur = 0;
        let total = 0;
        let octets = 0;
        for (const r of cfg.reals.values()) {
          const s = sw.virtStats(v.id, r.id);
          cur += s.current;
          total += s.total;
          octets += s.octets;
        }
        m.set(`slb.virt.${v.id}.current`, cur);
        m.set(`slb.virt.${v.id}.total`, total);
        m.set(`slb.virt.${v.id}.sessions`, total);
        m.set(`slb.virt.${v.id}.octets`, octets);
      }
    }
  }
  return m;
}

/**
 * Session table rows: on an L4 switch its SLB sessions (proto, client, cport, vip, vport, real, rip,
 * rport, state); on a host its TCP connections as `ss` shows them (proto, local, lport, peer, pport,
 * state).
 */
export function sessionRows(d: LabDevice): Record<string, string | number>[] {
  if (d.l4switch) {
    return d.l4switch.sessions().map(({ entry, session }) => {
      const o = entry.original;
      const r = entry.reply;
      return {
        proto: entry.protocol === IPPROTO_TCP ? 'tcp' : entry.protocol === IPPROTO_UDP ? 'udp' : String(entry.protocol),
        client: ipv4ToString(o.src),
        cport: o.sport,
        vip: ipv4ToString(o.dst),
        vport: o.dport,
        real: session.realId,
        rip: ipv4ToString(r.src),
        rport: r.sport,
        state: entry.protocol === IPPROTO_TCP ? (TCP_CT_STATES[entry.tcpState] ?? String(entry.tcpState)) : 'active',
      };
    });
  }
  if (d.host) {
    const out: Record<string, string | number>[] = [];
    for (const c of d.host.stack.tcp.connections()) {
      out.push({ proto: 'tcp', local: ipv4ToString(c.laddr), lport: c.lport, peer: ipv4ToString(c.raddr), pport: c.rport, state: c.state });
    }
    return out;
  }
  return [];
}

// ---- capture -------------------------------------------------------------------------------------

type CaptureQuery = Extract<Check, { capture: unknown }>['capture'];

export interface PacketFields {
  readonly src: string | null;
  readonly dst: string | null;
  readonly srcPort: number | null;
  readonly dstPort: number | null;
}

const IGNORE = { checksum: 'ignore' } as const;

/** Addresses and ports of a frame (ARP: sender and target protocol addresses). */
export function packetFields(frame: Uint8Array): PacketFields {
  const none: PacketFields = { src: null, dst: null, srcPort: null, dstPort: null };
  const e = parseEthernet(frame, IGNORE);
  if (!e.ok) return none;
  if (e.value.etherType === ETHERTYPE_ARP) {
    const a = parseArp(e.value.payload, IGNORE);
    return a.ok ? { src: ipv4ToString(a.value.spa), dst: ipv4ToString(a.value.tpa), srcPort: null, dstPort: null } : none;
  }
  if (e.value.etherType !== ETHERTYPE_IPV4) return none;
  const ip = parseIpv4(e.value.payload, IGNORE);
  if (!ip.ok) return none;
  const base = { src: ipv4ToString(ip.value.src), dst: ipv4ToString(ip.value.dst) };
  if (ip.value.fragOffset === 0) {
    if (ip.value.protocol === IPPROTO_TCP) {
      const t = parseTcp(ip.value.payload, IGNORE);
      if (t.ok) return { ...base, srcPort: t.value.srcPort, dstPort: t.value.dstPort };
    } else if (ip.value.protocol === IPPROTO_UDP) {
      const u = parseUdp(ip.value.payload, IGNORE);
      if (u.ok) return { ...base, srcPort: u.value.srcPort, dstPort: u.value.dstPort };
    }
  }
  return { ...base, srcPort: null, dstPort: null };
}

function fieldValue(f: PacketFields, by: string): string | null {
  switch (by) {
    case 'src':
      return f.src;
    case 'dst':
      return f.dst;
    case 'srcPort':
      return f.srcPort === null ? null : String(f.srcPort);
    case 'dstPort':
      return f.dstPort === null ? null : String(f.dstPort);
    case 'srcEndpoint':
      return f.src === null ? null : `${f.src}:${f.srcPort ?? ''}`;
    case 'dstEndpoint':
      return f.dst === null ? null : `${f.dst}:${f.dstPort ?? ''}`;
    default:
      return null;
  }
}

function captureCheck(q: CaptureQuery, ctx: CheckContext): Verdict {
  const got = ctx.packets(q.at);
  if (got === null) throw new Error(`no capture point ${q.at}`);
  const where = got.point.ifName === q.at ? q.at : `${q.at} (${got.point.ifName})`;
  let packets = got.packets;
  let sel = '';
  const selKo: string[] = [];
  if (q.filter !== undefined) {
    const f = compileFilter(q.filter, { resolveHost: (n) => ctx.topo.resolveHost(n) });
    if (!f.ok) throw new Error(`invalid capture filter "${q.filter}": ${filterErrorText(f.error)}`);
    packets = packets.filter((p) => f.value(p.frame));
    sel += ` matching "${q.filter}"`;
    selKo.push(`필터 "${q.filter}"`);
  }
  const summaries = new Map<CapturedPacket, string>();
  const summary = (p: CapturedPacket): string => {
    let s = summaries.get(p);
    if (s === undefined) summaries.set(p, (s = summarizeFrame(p.frame)));
    return s;
  };
  if (q.match !== undefined) {
    const re = new RegExp(q.match);
    packets = packets.filter((p) => re.test(summary(p)));
    sel += `${sel ? ' and' : ''} /${q.match}/`;
    selKo.push(`/${q.match}/`);
  }
  const n = packets.length;
  const what = `${sel ? `${sel}` : ''} at ${where}`;
  // Count: exact, range, or at least one unless another expectation says what to look for.
  const countDefault = q.sequence !== undefined || q.distribution !== undefined ? { min: 0 } : { min: 1 };
  if (!countOk(n, q.count, countDefault)) {
    const want = countText(q.count, countDefault);
    const seen = packets.slice(0, 3).map(summary);
    return bad(
      `expected ${want.en} ${plural(want.en, 'packet')}${what}, saw ${n}${seen.length ? `: ${seen.join(' | ')}${n > 3 ? ' | ...' : ''}` : ''}`,
      `${where}에서${selKo.length ? ` ${selKo.join('와 ')}에 맞는` : ''} 패킷이 ${want.ko} 있어야 하는데 ${n}개였습니다`,
    );
  }
  if (q.expect !== undefined) {
    const exp = q.expect;
    for (const p of packets) {
      const f = packetFields(p.frame);
      for (const k of ['src', 'dst', 'srcPort', 'dstPort'] as const) {
        const want = exp[k];
        if (want === undefined) continue;
        const have = f[k];
        if (String(have) !== String(want)) {
          return bad(
            `expected every packet${what} to have ${k} ${want}; packet #${p.number} has ${k} ${have ?? 'none'}: ${summary(p)}`,
            `${where}의 모든 패킷의 ${k}가 ${want}이어야 하는데 #${p.number} 패킷은 ${have ?? '없음'}입니다: ${summary(p)}`,
          );
        }
      }
    }
  }
  if (q.sequence !== undefined) {
    let k = 0;
    const matched: string[] = [];
    for (const p of packets) {
      if (k >= q.sequence.length) break;
      if (new RegExp(q.sequence[k]!).test(summary(p))) {
        matched.push(`#${p.number}`);
        k++;
      }
    }
    if (k < q.sequence.length) {
      const seen = packets.slice(0, 6).map(summary);
      return bad(
        `expected ${q.sequence.length} packets in order${what} matching ${q.sequence.map((s) => `/${s}/`).join(', ')}; ` +
          `${k === 0 ? 'none matched the first' : `matched ${k} (${matched.join(', ')}), then none matched /${q.sequence[k]}/`} among ${n} ${plural(n, 'packet')}${seen.length ? `: ${seen.join(' | ')}${n > 6 ? ' | ...' : ''}` : ''}`,
        `${where}에서 ${q.sequence.length}개 패킷이 순서대로 나타나야 하는데 ${k}개까지만 맞았고 /${q.sequence[k]}/에 맞는 패킷이 없습니다 (패킷 ${n}개)`,
      );
    }
  }
  if (q.distribution !== undefined) {
    const dist = q.distribution;
    const points: { t: Nanos; value: string }[] = [];
    for (const p of packets) {
      const v = fieldValue(packetFields(p.frame), dist.by);
      if (v !== null) points.push({ t: p.time, value: v });
    }
    const values = points.map((p) => p.value);
    const series: DistributionSeries = { by: dist.by, points, counts: tally(values) };
    const v = distributionVerdict(values, dist.counts, dist.order, `by ${dist.by}`, `${what}`);
    if (v !== null) return { ...v, series };
    return { ...ok(`${n} ${plural(n, 'packet')}${what}; by ${dist.by}: ${tallyText(series.counts)}`, `${where}에서 패킷 ${n}개, 분포(${dist.by}): ${tallyText(series.counts)}`), series };
  }
  return ok(`${n} ${plural(n, 'packet')}${what}`, `${where}에서 패킷 ${n}개`);
}

function tally(values: readonly string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const v of values) t[v] = (t[v] ?? 0) + 1;
  return t;
}

const tallyText = (t: Record<string, number>): string =>
  `{${Object.entries(t)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;

function distributionVerdict(values: readonly string[], counts: Record<string, Count> | undefined, order: readonly string[] | undefined, by: string, what: string): Verdict | null {
  const t = tally(values);
  if (counts !== undefined) {
    const wrong = Object.entries(counts).filter(([k, c]) => !countOk(t[k] ?? 0, c, 0));
    if (wrong.length) {
      const want = `{${Object.entries(counts)
        .map(([k, c]) => `${k}: ${countText(c, 0).en}`)
        .join(', ')}}`;
      const wantKo = `{${Object.entries(counts)
        .map(([k, c]) => `${k}: ${countText(c, 0).ko}`)
        .join(', ')}}`;
      return bad(`expected ${by} ${want}${what}, saw ${tallyText(t)}`, `분포(${by})가 ${wantKo}이어야 하는데 ${tallyText(t)}였습니다`);
    }
  }
  if (order !== undefined) {
    const first = values.slice(0, order.length);
    if (first.length < order.length || first.some((v, i) => v !== order[i])) {
      return bad(`expected ${by} in the order [${order.join(', ')}]${what}, saw [${first.join(', ')}]`, `순서(${by})가 [${order.join(', ')}]이어야 하는데 [${first.join(', ')}]였습니다`);
    }
  }
  return null;
}

// ---- console -------------------------------------------------------------------------------------

type ConsoleQuery = Extract<Check, { console: unknown }>['console'];

function excerpt(s: string): string {
  const t = s.trim();
  if (t === '') return '(no output)';
  const lines = t.split('\n');
  const cut = lines.length > 6 ? [...lines.slice(0, 3), '…', ...lines.slice(-2)] : lines;
  const j = cut.join('⏎ ');
  return JSON.stringify(j.length > 400 ? `${j.slice(0, 400)}…` : j);
}

function consoleCheck(q: ConsoleQuery, ctx: CheckContext): Verdict {
  let output: string;
  let label: string;
  let labelKo: string;
  if (q.action !== undefined) {
    const r = ctx.consoleAction(q.action);
    if (r === null) return bad(`console action "${q.action}" has not been run`, `콘솔 동작 "${q.action}"이(가) 아직 실행되지 않았습니다`);
    output = r.output;
    const cmd = r.commands.length === 1 ? r.commands[0] : `${r.commands[0]} …`;
    label = `the output of "${cmd}" on ${r.device}`;
    labelKo = `${r.device}에서 실행한 "${cmd}"의 출력`;
  } else if (q.command !== undefined && q.device !== undefined) {
    output = ctx.run(q.device, q.command).output;
    label = `the output of "${q.command}" on ${q.device}`;
    labelKo = `${q.device}에서 실행한 "${q.command}"의 출력`;
  } else {
    throw new Error('a console check needs `action`, or `device` and `command`');
  }
  for (const m of list(q.match)) {
    if (!new RegExp(m, 'm').test(output)) return bad(`expected ${label} to match /${m}/, it was ${excerpt(output)}`, `${labelKo}이 /${m}/에 맞아야 하는데 출력은 ${excerpt(output)}였습니다`);
  }
  for (const m of list(q.notMatch)) {
    const hit = new RegExp(m, 'm').exec(output);
    if (hit) return bad(`expected ${label} not to match /${m}/, it contains ${JSON.stringify(hit[0])}`, `${labelKo}이 /${m}/에 맞지 않아야 하는데 ${JSON.stringify(hit[0])}이(가) 있습니다`);
  }
  const conds = [...list(q.match).map((m) => `matches /${m}/`), ...list(q.notMatch).map((m) => `does not match /${m}/`)].join(', ');
  return ok(`${label} ${conds || 'was produced'}`, `출력 조건을 만족합니다`);
}

// ---- traffic -------------------------------------------------------------------------------------

type TrafficQuery = Extract<Check, { traffic: unknown }>['traffic'];

function serverOf(r: TrafficRequest, by: string): string | null {
  if (by === 'peer') return r.peer ?? null;
  if (by.startsWith('header:')) return r.headers?.[by.slice(7).toLowerCase()] ?? null;
  if (r.server !== undefined) return r.server;
  return r.body === undefined ? null : r.body.trim();
}

function trafficCheck(q: TrafficQuery, ctx: CheckContext): Verdict {
  const t = ctx.traffic(q.action);
  if (t === null) return bad(`traffic action "${q.action}" has not run`, `트래픽 동작 "${q.action}"이(가) 실행되지 않았습니다`);
  if (t.typed && t.count === 0) {
    return bad(
      `traffic action "${q.action}" has not run, and ${t.from}'s console made no request to ${t.target} since the step began`,
      `트래픽 동작 "${q.action}"이(가) 실행되지 않았고, 이 단계를 시작한 뒤 ${t.from} 콘솔에서 ${t.target}(으)로 보낸 요청도 없습니다`,
    );
  }
  // Requests typed in a console stand in for the action's (student mode).
  const name = t.typed ? `"${q.action}" (the ${t.count} typed on ${t.from})` : `"${q.action}"`;
  const nameKo = t.typed ? `"${q.action}"(${t.from}에서 입력한 ${t.count}개)` : `"${q.action}"`;
  const reqs = t.requests.filter((r) => r !== undefined);
  const okN = reqs.filter((r) => r.ok).length;
  const failN = reqs.length - okN;
  const errors = tally(reqs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'));
  const running = t.count - reqs.length;
  const failText =
    (failN ? ` (${failN} failed: ${Object.entries(errors).map(([e, c]) => `${c}× ${e}`).join('; ')})` : '') + (running > 0 ? ` (${running} still running)` : '');
  const succ = q.succeeded ?? 'all';
  if (succ === 'all') {
    if (okN !== t.count) return bad(`expected all ${t.count} requests of ${name} (${t.target}) to succeed, ${okN} did${failText}`, `${nameKo}의 요청 ${t.count}개가 모두 성공해야 하는데 ${okN}개만 성공했습니다${failText}`);
  } else if (!countOk(okN, succ, 0)) {
    const w = countText(succ, 0);
    return bad(`expected ${w.en} successful requests of ${name}, saw ${okN}${failText}`, `${nameKo}의 성공한 요청이 ${w.ko}여야 하는데 ${okN}개였습니다`);
  }
  if (q.failed !== undefined && !countOk(failN, q.failed, 0)) {
    const w = countText(q.failed, 0);
    return bad(`expected ${w.en} failed requests of ${name}, saw ${failN}${failText}`, `${nameKo}의 실패한 요청이 ${w.ko}여야 하는데 ${failN}개였습니다`);
  }
  if (q.status !== undefined) {
    const wrong = reqs.filter((r) => r.ok && r.status !== q.status);
    if (wrong.length) {
      const st = tallyText(tally(reqs.filter((r) => r.ok).map((r) => String(r.status))));
      return bad(`expected every response of ${name} to have status ${q.status}, saw ${st}`, `${nameKo}의 모든 응답 상태가 ${q.status}여야 하는데 ${st}였습니다`);
    }
  }
  if (q.distribution !== undefined) {
    const by = q.distribution.by ?? 'body';
    const points = reqs.filter((r) => r.ok).map((r) => ({ t: r.start, value: serverOf(r, by) ?? '(none)' }));
    const values = points.map((p) => p.value);
    const series: DistributionSeries = { by, points, counts: tally(values) };
    const v = distributionVerdict(values, q.distribution.counts, q.distribution.order, `servers by ${by}`, ` for ${name}`);
    if (v !== null) return { ...v, series };
    const seen = q.distribution.order !== undefined ? `[${values.join(', ')}]` : tallyText(tally(values));
    return { ...ok(`${okN} of ${t.count} requests of ${name} succeeded; servers by ${by}: ${seen}`, `${nameKo}의 요청 ${t.count}개 중 ${okN}개 성공, 응답한 서버(${by}): ${seen}`), series };
  }
  return ok(`${okN} of ${t.count} requests of ${name} succeeded`, `${nameKo}의 요청 ${t.count}개 중 ${okN}개 성공`);
}
