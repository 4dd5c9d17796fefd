/**
 * The Alteon SLB configuration model: real servers, real server groups, virtual servers and their
 * services, with Alteon's defaults and value ranges, whole-config validation (what `apply` checks) and
 * the `/cfg/dump` text form.
 *
 * Sources (see the project's reference/aws-elb-and-alteon.md §6):
 * - Radware Alteon CLI Reference (tsc.openbase.co.kr/helpdesk/attachments/72072415513): menus
 *   `/cfg/slb/real|group|virt`, `/cfg/slb/virt N/service`; service `group` default 1, `rport` 0, 1 or
 *   5–65534 (0 = the service port), `tmout` in minutes; "an object given only an ID is removed on apply".
 * - Nortel Web OS 10.0 Application Guide p.221: health checks every 2 s, 4 failures mark a server down.
 * - Web OS 10 AG / Radware AG p.180: default metric `leastconns`.
 * - Dump shape: team-netz-Consulting/terraform-alteon-converter sample.txt (`/c/slb/real 1` then
 *   tab-indented `ena`, `ipver v4`, `rip …`, `addport …`; `/c/slb/virt 1/service 443 https`).
 */
import { ipv4ToString, type Ipv4Addr } from '../../wire/addr.ts';

export const METRICS = ['roundrobin', 'leastconns', 'hash', 'minmisses'] as const;
export type Metric = (typeof METRICS)[number];
/** Alteon metrics this emulation does not implement (accepted names, refused with a message). */
export const UNSUPPORTED_METRICS = ['phash', 'response', 'bandwidth', 'svcleast'] as const;

export const HEALTH_TYPES = ['icmp', 'tcp', 'http'] as const;
export type HealthType = (typeof HEALTH_TYPES)[number];

export type Protocol = 'tcp' | 'udp';

/** Well-known service names Alteon accepts after `service` (and shows in the dump). */
export const SERVICE_PORTS: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  dns: 53,
  http: 80,
  pop3: 110,
  nntp: 119,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
};

/** The application name of a virtual port as the dump shows it (`basic-slb` when it has none). */
export function serviceName(vport: number): string {
  for (const [n, p] of Object.entries(SERVICE_PORTS)) if (p === vport) return n;
  return 'basic-slb';
}

/** The name a prompt or decision uses for a service: its well-known name, else the number. */
export function serviceLabel(vport: number): string {
  const n = serviceName(vport);
  return n === 'basic-slb' ? String(vport) : n;
}

export const LIMITS = {
  id: { min: 1, max: 1023 },
  weight: { min: 1, max: 48, def: 1 },
  maxcon: { min: 1, max: 200_000, def: 200_000 },
  inter: { min: 1, max: 60, def: 2 },
  retry: { min: 1, max: 63, def: 4 },
  restr: { min: 1, max: 63, def: 1 },
  /** Service `tmout`, minutes. */
  tmout: { min: 1, max: 32_768, def: 10 },
} as const;

export interface RealCfg {
  readonly id: number;
  /** 0 until `rip` is given. */
  rip: Ipv4Addr;
  enabled: boolean;
  weight: number;
  maxcon: number;
  /** Health check interval, seconds. */
  inter: number;
  /** Consecutive failures that mark the real DOWN. */
  retry: number;
  /** Consecutive successes that bring it back. */
  restr: number;
  name: string;
  /** `addport`: real ports this server serves on besides the service's rport. */
  ports: number[];
  /** Set by any command in the menu; an object never touched is dropped on apply (Radware note). */
  touched: boolean;
}

export interface GroupCfg {
  readonly id: number;
  metric: Metric;
  health: HealthType;
  /** HTTP health check path (`content`); '' = `/`. */
  content: string;
  name: string;
  /** Backup real server id (0 = none). */
  backup: number;
  reals: number[];
  touched: boolean;
}

export interface ServiceCfg {
  readonly vport: number;
  protocol: Protocol;
  group: number;
  /** 0 = the service port. */
  rport: number;
  /** Minutes an idle session stays. */
  tmout: number;
  pbind: 'clientip' | 'disable';
  name: string;
}

export interface VirtCfg {
  readonly id: number;
  vip: Ipv4Addr;
  enabled: boolean;
  name: string;
  services: Map<number, ServiceCfg>;
  touched: boolean;
}

export interface SlbConfig {
  on: boolean;
  reals: Map<number, RealCfg>;
  groups: Map<number, GroupCfg>;
  virts: Map<number, VirtCfg>;
}

export function emptyConfig(): SlbConfig {
  return { on: false, reals: new Map(), groups: new Map(), virts: new Map() };
}

export function newReal(id: number): RealCfg {
  return {
    id,
    rip: 0,
    enabled: false,
    weight: LIMITS.weight.def,
    maxcon: LIMITS.maxcon.def,
    inter: LIMITS.inter.def,
    retry: LIMITS.retry.def,
    restr: LIMITS.restr.def,
    name: '',
    ports: [],
    touched: false,
  };
}

export function newGroup(id: number): GroupCfg {
  return { id, metric: 'leastconns', health: 'tcp', content: '', name: '', backup: 0, reals: [], touched: false };
}

export function newVirt(id: number): VirtCfg {
  return { id, vip: 0, enabled: false, name: '', services: new Map(), touched: false };
}

export function newService(vport: number): ServiceCfg {
  return { vport, protocol: vport === 53 ? 'udp' : 'tcp', group: 1, rport: 0, tmout: LIMITS.tmout.def, pbind: 'disable', name: '' };
}

export function cloneConfig(c: SlbConfig): SlbConfig {
  const reals = new Map<number, RealCfg>();
  for (const [k, r] of c.reals) reals.set(k, { ...r, ports: [...r.ports] });
  const groups = new Map<number, GroupCfg>();
  for (const [k, g] of c.groups) groups.set(k, { ...g, reals: [...g.reals] });
  const virts = new Map<number, VirtCfg>();
  for (const [k, v] of c.virts) {
    const services = new Map<number, ServiceCfg>();
    for (const [p, s] of v.services) services.set(p, { ...s });
    virts.set(k, { ...v, services });
  }
  return { on: c.on, reals, groups, virts };
}

/** The real port a service uses on a real (rport 0 = the service port). */
export function effectiveRport(s: ServiceCfg): number {
  return s.rport === 0 ? s.vport : s.rport;
}

/** Drops objects that were only named, never configured (Radware: "removes it on apply"). */
export function pruneUntouched(c: SlbConfig): void {
  for (const [k, r] of c.reals) if (!r.touched) c.reals.delete(k);
  for (const [k, g] of c.groups) if (!g.touched) c.groups.delete(k);
  for (const [k, v] of c.virts) if (!v.touched && v.services.size === 0) c.virts.delete(k);
}

/**
 * What `apply` checks over the whole pending configuration; an empty list means it may be applied.
 * Message wording follows Alteon's "Error: …" lines (exact texts are not published).
 */
export function validateConfig(c: SlbConfig): string[] {
  const errs: string[] = [];
  const cfg = cloneConfig(c);
  pruneUntouched(cfg);
  for (const r of sorted(cfg.reals)) {
    if (r.rip === 0) errs.push(`Error: Real server ${r.id} has no IP address (rip).`);
  }
  for (const g of sorted(cfg.groups)) {
    for (const id of g.reals) if (!cfg.reals.has(id)) errs.push(`Error: Real server ${id} in real server group ${g.id} is not defined.`);
    if (g.backup !== 0 && !cfg.reals.has(g.backup)) errs.push(`Error: Backup real server ${g.backup} of real server group ${g.id} is not defined.`);
  }
  const seen = new Map<string, number>();
  for (const v of sorted(cfg.virts)) {
    if (v.vip === 0) errs.push(`Error: Virtual server ${v.id} has no IP address (vip).`);
    for (const s of [...v.services.values()].sort((a, b) => a.vport - b.vport)) {
      const label = serviceLabel(s.vport);
      const g = cfg.groups.get(s.group);
      if (g === undefined) errs.push(`Error: Virtual server ${v.id} service ${label}: real server group ${s.group} is not defined.`);
      else if (g.reals.length === 0) errs.push(`Error: Virtual server ${v.id} service ${label}: real server group ${s.group} is empty.`);
      if (v.vip !== 0 && v.enabled) {
        const key = `${v.vip}/${s.vport}/${s.protocol}`;
        const other = seen.get(key);
        if (other !== undefined) errs.push(`Error: Virtual servers ${other} and ${v.id} both use ${ipv4ToString(v.vip)} service ${label}.`);
        else seen.set(key, v.id);
      }
    }
    if (v.vip !== 0) {
      for (const r of cfg.reals.values()) {
        if (r.rip === v.vip) errs.push(`Error: Virtual server ${v.id} IP address ${ipv4ToString(v.vip)} is also real server ${r.id}'s IP address.`);
      }
    }
  }
  return errs;
}

function sorted<T extends { id: number }>(m: Map<number, T>): T[] {
  return [...m.values()].sort((a, b) => a.id - b.id);
}

// --- dump -------------------------------------------------------------------------------------------

/** One `/c/...` header and its tab-indented lines (without the tabs). */
export interface DumpBlock {
  readonly header: string;
  readonly lines: string[];
}

function q(s: string): string {
  return `"${s}"`;
}

export function realBlock(r: RealCfg): DumpBlock {
  const l = [r.enabled ? 'ena' : 'dis', 'ipver v4'];
  if (r.rip !== 0) l.push(`rip ${ipv4ToString(r.rip)}`);
  if (r.weight !== LIMITS.weight.def) l.push(`weight ${r.weight}`);
  if (r.maxcon !== LIMITS.maxcon.def) l.push(`maxcon ${r.maxcon}`);
  if (r.inter !== LIMITS.inter.def) l.push(`inter ${r.inter}`);
  if (r.retry !== LIMITS.retry.def) l.push(`retry ${r.retry}`);
  if (r.restr !== LIMITS.restr.def) l.push(`restr ${r.restr}`);
  if (r.name !== '') l.push(`name ${q(r.name)}`);
  for (const p of r.ports) l.push(`addport ${p}`);
  return { header: `/c/slb/real ${r.id}`, lines: l };
}

export function groupBlock(g: GroupCfg): DumpBlock {
  const l = ['ipver v4'];
  if (g.metric !== 'leastconns') l.push(`metric ${g.metric}`);
  if (g.health !== 'tcp') l.push(`health ${g.health}`);
  if (g.content !== '') l.push(`content ${q(g.content)}`);
  if (g.backup !== 0) l.push(`backup r${g.backup}`);
  if (g.name !== '') l.push(`name ${q(g.name)}`);
  for (const r of g.reals) l.push(`add ${r}`);
  return { header: `/c/slb/group ${g.id}`, lines: l };
}

export function virtBlock(v: VirtCfg): DumpBlock {
  const l = [v.enabled ? 'ena' : 'dis', 'ipver v4'];
  if (v.vip !== 0) l.push(`vip ${ipv4ToString(v.vip)}`);
  if (v.name !== '') l.push(`vname ${q(v.name)}`);
  return { header: `/c/slb/virt ${v.id}`, lines: l };
}

export function serviceBlock(v: VirtCfg, s: ServiceCfg): DumpBlock {
  const l = [`group ${s.group}`, `rport ${s.rport}`];
  if (s.protocol !== (s.vport === 53 ? 'udp' : 'tcp')) l.push(`protocol ${s.protocol}`);
  if (s.name !== '') l.push(`name ${q(s.name)}`);
  if (s.pbind !== 'disable') l.push(`pbind ${s.pbind}`);
  if (s.tmout !== LIMITS.tmout.def) l.push(`tmout ${s.tmout}`);
  return { header: `/c/slb/virt ${v.id}/service ${s.vport} ${serviceName(s.vport)}`, lines: l };
}

/** The SLB part of the configuration as dump blocks, in Alteon's order (slb, reals, groups, virts). */
export function dumpBlocks(c: SlbConfig, includeUntouched = false): DumpBlock[] {
  const out: DumpBlock[] = [];
  if (c.on) out.push({ header: '/c/slb', lines: ['on'] });
  for (const r of sorted(c.reals)) if (includeUntouched || r.touched) out.push(realBlock(r));
  for (const g of sorted(c.groups)) if (includeUntouched || g.touched) out.push(groupBlock(g));
  for (const v of sorted(c.virts)) {
    if (!includeUntouched && !v.touched && v.services.size === 0) continue;
    out.push(virtBlock(v));
    for (const s of [...v.services.values()].sort((a, b) => a.vport - b.vport)) out.push(serviceBlock(v, s));
  }
  return out;
}

export function renderBlocks(blocks: readonly DumpBlock[]): string {
  let s = '';
  for (const b of blocks) {
    s += `${b.header}\n`;
    for (const l of b.lines) s += `\t${l}\n`;
  }
  return s;
}

/** The inverse of a dump line that disappeared (for `diff`). */
function undoLine(line: string): string | null {
  const [cmd, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  switch (cmd) {
    case 'add':
      return `rem ${arg}`;
    case 'addport':
      return `remport ${arg}`;
    case 'name':
    case 'vname':
    case 'content':
      return `${cmd} none`;
    case 'backup':
      return 'backup none';
    case 'weight':
      return `weight ${LIMITS.weight.def}`;
    case 'maxcon':
      return `maxcon ${LIMITS.maxcon.def}`;
    case 'inter':
      return `inter ${LIMITS.inter.def}`;
    case 'retry':
      return `retry ${LIMITS.retry.def}`;
    case 'restr':
      return `restr ${LIMITS.restr.def}`;
    case 'tmout':
      return `tmout ${LIMITS.tmout.def}`;
    case 'metric':
      return 'metric leastconns';
    case 'health':
      return 'health tcp';
    case 'pbind':
      return 'pbind disable';
    case 'on':
      return 'off';
    default:
      return null;
  }
}

/** Pending changes against the applied configuration, in dump form (what `diff` prints). */
export function diffConfig(applied: SlbConfig, pending: SlbConfig): string {
  const a = new Map(dumpBlocks(applied).map((b) => [b.header, b.lines] as const));
  const p = dumpBlocks(pending);
  const pHeaders = new Set(p.map((b) => b.header));
  const out: DumpBlock[] = [];
  if (applied.on && !pending.on) out.push({ header: '/c/slb', lines: ['off'] });
  for (const b of p) {
    const old = a.get(b.header);
    if (old === undefined) {
      out.push(b);
      continue;
    }
    const lines: string[] = [];
    for (const l of b.lines) if (!old.includes(l)) lines.push(l);
    for (const l of old) {
      if (b.lines.includes(l)) continue;
      const u = undoLine(l);
      if (u !== null && !lines.some((x) => x.split(' ')[0] === u.split(' ')[0] && !u.startsWith('rem'))) lines.push(u);
    }
    if (lines.length > 0) out.push({ header: b.header, lines });
  }
  for (const h of a.keys()) {
    if (h === '/c/slb' || pHeaders.has(h)) continue;
    out.push({ header: h, lines: ['del'] });
  }
  return renderBlocks(out);
}
