/**
 * `LabSession`: the narrow adapter between the engine host and a running lab. Everything the host
 * needs from a lab goes through it, so the lab runner (engine/lab) can replace the interim builder
 * below without touching the host: fill `buildSession` from the runner when it lands.
 *
 * The interim builder turns a loaded lab (engine/lab/load.ts) into engine objects directly: hosts
 * (engine/devices/host.ts) with their HTTP/DNS services, routers, the Alteon L4 switch
 * (engine/devices/l4switch), segments, links, initial configuration; capture points match the trace
 * bus by interface, segment or link.
 */
import type { Lab } from '../lab/schema.ts';
import { Network } from '../net/network.ts';
import type { Node } from '../net/node.ts';
import type { Interface } from '../net/interface.ts';
import type { TraceEvent } from '../net/trace.ts';
import { Host } from '../devices/host.ts';
import { dnsService, httpService } from '../devices/host/services.ts';
import { L4Switch } from '../devices/l4switch/index.ts';
import type { Execution, ShellSink } from '../devices/shell.ts';
import { parseEpoch } from '../lab/formats.ts';
import { ipv4ToString, macToString } from '../wire/addr.ts';
import { DEFAULT_EPOCH_NS, parseDuration, sec } from '../sim/time.ts';
import { TCP_CT_STATES } from '../net/conntrack.ts';
import type { DeviceState, GroupKind, Text, Topology, TopoDevice, TopoGroup } from '../../app/shared/bridge.ts';

/** A device console: the host shell or the Alteon CLI. */
export interface ConsoleTarget {
  readonly kind: 'shell' | 'alteon';
  prompt(): string;
  exec(line: string, sink?: ShellSink): Execution;
  complete(before: string): string[];
  greeting(): string;
}

export interface SessionCapturePoint {
  readonly id: string;
  readonly at: string;
  readonly description?: Text;
  /** Whether a trace event belongs to this point (each frame once per point). */
  matches(e: TraceEvent): boolean;
}

export interface LabSession {
  readonly lab: Lab;
  readonly network: Network;
  readonly seed: number;
  readonly epochNs: bigint;
  devices(): string[];
  console(device: string): ConsoleTarget | null;
  /** Runs a command line on a device to completion in virtual time (lab actions, console checks). */
  run(device: string, line: string, sink?: ShellSink): Execution | null;
  topology(): Topology;
  capturePoints(): SessionCapturePoint[];
  deviceState(device: string): DeviceState | null;
  /** Resolves a device name to its first address (capture filters with device names). */
  resolveHost(name: string): number | null;
  dispose(): void;
}

const text = (t: unknown): Text | undefined => {
  if (typeof t === 'string') return { ko: t, en: t };
  if (t && typeof t === 'object' && 'ko' in t && 'en' in t) return t as Text;
  return undefined;
};

type IfaceSpec = string | { address?: string; mtu?: number; mac?: string; description?: unknown };
const ifAddress = (s: IfaceSpec): string | undefined => (typeof s === 'string' ? s : s.address);

/** Builds a session for `lab` (already validated by the loader). Throws on a lab it cannot build. */
export function buildSession(lab: Lab): LabSession {
  return new InterimSession(lab);
}

class InterimSession implements LabSession {
  readonly network: Network;
  readonly seed: number;
  readonly epochNs: bigint;
  private readonly nodes = new Map<string, Node>();
  /** `device.iface` as the lab writes it → the engine interface (the L4 switch renames its ports). */
  private readonly ifaces = new Map<string, Interface>();
  private readonly consoles = new Map<string, ConsoleTarget>();

  constructor(readonly lab: Lab) {
    this.seed = lab.seed ?? 1;
    this.epochNs = (lab.epoch ? parseEpoch(lab.epoch) : null) ?? DEFAULT_EPOCH_NS;
    const net = (this.network = new Network({ seed: this.seed }));
    const devices = lab.topology.devices;
    for (const [name, dev] of Object.entries(devices)) {
      const ifs = Object.entries(dev.interfaces) as [string, IfaceSpec][];
      if (dev.kind === 'l4switch') {
        const outsideIdx = Math.max(0, ifs.findIndex(([n]) => /outside|port1|^p1$/i.test(n)));
        const insideIdx = ifs.findIndex(([n], i) => i !== outsideIdx && /inside|port2|^p2$/i.test(n));
        const ins = insideIdx >= 0 ? insideIdx : outsideIdx === 0 ? 1 : 0;
        const addr = (i: number): string[] => {
          const a = ifs[i] ? ifAddress(ifs[i]![1]) : undefined;
          return a ? [a] : [];
        };
        const sw = new L4Switch(net, name, { outside: addr(outsideIdx), inside: addr(ins), epochNs: this.epochNs });
        if (ifs[outsideIdx]) this.ifaces.set(`${name}.${ifs[outsideIdx]![0]}`, sw.outside);
        if (ifs[ins]) this.ifaces.set(`${name}.${ifs[ins]![0]}`, sw.inside);
        this.nodes.set(name, sw);
        this.consoles.set(name, {
          kind: 'alteon',
          prompt: () => sw.cli.prompt(),
          exec: (line, sink) => sw.exec(line, sink),
          complete: (before) => sw.cli.complete(before),
          greeting: () => `Alteon Application Switch (pktlab) — ${name}\nType "help" for the commands of a menu.\n\n`,
        });
      } else if (dev.kind === 'host') {
        const h = new Host(net, name, {
          nameservers: dev.resolver?.nameservers ?? [],
          search: dev.resolver?.search ?? [],
          hosts: dev.hosts ?? {},
        });
        for (const [ifn, spec] of ifs) this.ifaces.set(`${name}.${ifn}`, h.addInterface(ifn, ifOpts(spec)));
        this.nodes.set(name, h);
        this.consoles.set(name, {
          kind: 'shell',
          prompt: () => h.shell.prompt(),
          exec: (line, sink) => h.exec(line, sink),
          complete: (before) => h.shell.complete(before),
          greeting: () => `pktlab host ${name} (emulated Linux shell). Type "help" for the commands.\n\n`,
        });
      } else {
        const r = net.addNode(name, { ipForwarding: true });
        for (const [ifn, spec] of ifs) this.ifaces.set(`${name}.${ifn}`, r.addInterface(ifn, ifOpts(spec)));
        this.nodes.set(name, r);
      }
    }
    for (const [name, members] of Object.entries(lab.topology.segments ?? {})) {
      const seg = net.addSegment(name);
      const list = Array.isArray(members) ? members : members.members;
      for (const m of list) seg.attach(this.iface(m));
    }
    for (const [name, l] of Object.entries(lab.topology.links ?? {})) {
      const delay = l.delay ? parseDelay(l.delay) : 0;
      net.addLink(this.iface(l.a), this.iface(l.b), { name, delay });
    }
    // Routes after wiring, so next hops resolve to connected subnets.
    for (const [name, dev] of Object.entries(devices)) {
      const node = this.nodes.get(name)!;
      if ('gateway' in dev && dev.gateway) node.addRoute({ dst: 'default', via: dev.gateway });
      for (const r of ('routes' in dev ? dev.routes : undefined) ?? []) {
        node.addRoute({ dst: r.to, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) });
      }
      if (dev.kind === 'host' && node instanceof Host) {
        const http = dev.services?.http;
        if (http) {
          const ports = http.port === undefined ? [80] : Array.isArray(http.port) ? http.port : [http.port];
          const routes: Record<string, { body?: string; status?: number; delayMs?: number; headers?: Record<string, string> }> = {};
          for (const [p, page] of Object.entries(http.pages ?? {})) {
            if (typeof page === 'string') routes[p] = { body: page };
            else {
              const headers = { ...(page.headers ?? {}), ...(page.contentType ? { 'Content-Type': page.contentType } : {}) };
              routes[p] = {
                ...(page.body !== undefined ? { body: page.body } : {}),
                ...(page.status !== undefined ? { status: page.status } : {}),
                ...(page.delay ? { delayMs: parseDelay(page.delay) / 1e6 } : {}),
                ...(Object.keys(headers).length ? { headers } : {}),
              };
            }
          }
          node.addService(httpService({ ports, ...(http.pages ? { routes, strict: true } : {}), epochNs: this.epochNs }));
        }
        const dns = dev.services?.dns;
        if (dns) {
          const zones = Object.entries(dns.zones).map(([origin, names]) => ({
            origin,
            records: Object.entries(names).flatMap(([n, rec]) => {
              const name = n === '@' ? '@' : n;
              if (typeof rec === 'string') return [{ name, type: 'A' as const, value: rec }];
              if (Array.isArray(rec)) return rec.map((a) => ({ name, type: 'A' as const, value: a }));
              const out: { name: string; type: 'A' | 'CNAME'; value: string; ttl?: number }[] = [];
              const as = rec.a === undefined ? [] : Array.isArray(rec.a) ? rec.a : [rec.a];
              for (const a of as) out.push({ name, type: 'A', value: a, ...(rec.ttl !== undefined ? { ttl: rec.ttl } : {}) });
              if (rec.cname) out.push({ name, type: 'CNAME', value: rec.cname, ...(rec.ttl !== undefined ? { ttl: rec.ttl } : {}) });
              return out;
            }),
          }));
          node.addService(dnsService({ zones, ...(dns.port ? { port: dns.port } : {}) }));
        }
      }
    }
    // Initial configuration, pasted line by line.
    for (const [name, cfg] of Object.entries(lab.config ?? {})) {
      const node = this.nodes.get(name);
      const lines = Array.isArray(cfg) ? cfg : cfg.split(/\r?\n/);
      if (node instanceof L4Switch) node.configure(lines.join('\n'));
      else for (const l of lines) if (l.trim() !== '') this.run(name, l);
    }
  }

  private iface(ref: string): Interface {
    const i = this.ifaces.get(ref);
    if (i === undefined) throw new Error(`no interface ${ref}`);
    return i;
  }

  devices(): string[] {
    return [...this.nodes.keys()];
  }

  console(device: string): ConsoleTarget | null {
    return this.consoles.get(device) ?? null;
  }

  run(device: string, line: string, sink?: ShellSink): Execution | null {
    const node = this.nodes.get(device);
    if (node instanceof Host) return node.run(line, sec(600), sink);
    if (node instanceof L4Switch) return node.exec(line, sink);
    return null;
  }

  resolveHost(name: string): number | null {
    const n = this.nodes.get(name);
    if (!n) return null;
    for (const i of n.interfaces()) if (!i.loopback && i.addresses.length) return i.addresses[0]!.addr;
    return null;
  }

  topology(): Topology {
    const lab = this.lab;
    const segs = Object.entries(lab.topology.segments ?? {}).map(([id, s]) => ({
      id,
      members: Array.isArray(s) ? s : s.members,
      description: Array.isArray(s) ? undefined : text(s.description),
    }));
    // Compound groups: a segment whose members are all single-homed devices becomes a network box;
    // on-prem inside/outside by name (VPC ⊃ AZ ⊃ subnet come with the AWS devices).
    const groups: TopoGroup[] = [];
    const parentOf = new Map<string, string>();
    const homes = new Map<string, Set<string>>();
    for (const s of segs) for (const m of s.members) {
      const d = m.split('.')[0]!;
      if (!homes.has(d)) homes.set(d, new Set());
      homes.get(d)!.add(s.id);
    }
    for (const s of segs) {
      const kind: GroupKind = /inside|internal|dc|private/i.test(s.id) ? 'onprem-inside' : /outside|external|internet|public/i.test(s.id) ? 'onprem-outside' : 'network';
      const gid = `net:${s.id}`;
      groups.push({ id: gid, kind, label: s.id });
      for (const m of s.members) {
        const d = m.split('.')[0]!;
        if (homes.get(d)?.size === 1 && Object.keys(lab.topology.devices[d]?.interfaces ?? {}).length === 1) parentOf.set(d, gid);
      }
    }
    const devices: TopoDevice[] = Object.entries(lab.topology.devices).map(([id, d]) => {
      const node = this.nodes.get(id);
      const interfaces = Object.entries(d.interfaces).map(([name, spec]) => {
        const engineIf = this.ifaces.get(`${id}.${name}`);
        const address = ifAddress(spec as IfaceSpec);
        return { name, ...(address ? { address } : {}), ...(engineIf ? { mac: macToString(engineIf.mac) } : {}) };
      });
      const description = text(d.description);
      const parent = parentOf.get(id);
      return { id, kind: d.kind, label: id, interfaces, console: this.consoles.has(id) && node !== undefined, ...(description ? { description } : {}), ...(parent ? { parent } : {}) };
    });
    const links = Object.entries(lab.topology.links ?? {}).map(([id, l]) => ({ id, a: l.a, b: l.b, label: `${l.a} — ${l.b}` }));
    const captures = Object.entries(lab.topology.captures ?? {}).map(([id, c]) => {
      const at = typeof c === 'string' ? c : c.at;
      const description = typeof c === 'string' ? undefined : text(c.description);
      return { id, at, ...(description ? { description } : {}) };
    });
    return {
      groups,
      devices,
      segments: segs.map((s) => ({ id: s.id, members: s.members, parent: `net:${s.id}`, ...(s.description ? { description: s.description } : {}) })),
      links,
      captures,
    };
  }

  capturePoints(): SessionCapturePoint[] {
    const out: SessionCapturePoint[] = [];
    for (const c of this.topology().captures) {
      const seg = (this.lab.topology.segments ?? {})[c.at];
      const link = (this.lab.topology.links ?? {})[c.at];
      let matches: (e: TraceEvent) => boolean;
      if (seg !== undefined) {
        // Every frame on a segment is sent by exactly one member: its 'out' events.
        const members = new Set((Array.isArray(seg) ? seg : seg.members).map((m) => this.iface(m)).map((i) => `${i.node.name}\u0000${i.name}`));
        matches = (e) => e.direction === 'out' && members.has(`${e.node}\u0000${e.ifname}`);
      } else if (link !== undefined) {
        const ends = new Set([this.iface(link.a), this.iface(link.b)].map((i) => `${i.node.name}\u0000${i.name}`));
        matches = (e) => e.direction === 'out' && ends.has(`${e.node}\u0000${e.ifname}`);
      } else {
        const i = this.iface(c.at);
        const node = i.node.name;
        const ifn = i.name;
        matches = (e) => e.node === node && e.ifname === ifn;
      }
      out.push({ id: c.id, at: c.at, ...(c.description ? { description: c.description } : {}), matches });
    }
    return out;
  }

  deviceState(device: string): DeviceState | null {
    const node = this.nodes.get(device);
    if (!node) return null;
    const kind = this.lab.topology.devices[device]?.kind ?? 'node';
    const arp = node.neighbours().map((n) => ({ ip: ipv4ToString(n.ip), mac: n.mac ? macToString(n.mac) : '(incomplete)', iface: n.dev, state: String(n.state) }));
    const routes = node.routes().map((r) => ({
      dst: r.isDefault ? 'default' : `${ipv4ToString(r.dst)}/${r.prefix}`,
      ...(r.gateway ? { via: ipv4ToString(r.gateway) } : {}),
      dev: r.dev,
      metric: r.metric,
      proto: String(r.proto),
    }));
    const counters: Record<string, number> = {};
    for (const [k, v] of Object.entries(node.counters)) if (typeof v === 'number') counters[`ip.${k}`] = v;
    for (const [k, v] of node.counters.drops) counters[`drop.${k}`] = v;
    let sessions: DeviceState['sessions'] = [];
    let reals: DeviceState['reals'] = [];
    if (node instanceof L4Switch) {
      sessions = node.sessions().map(({ entry, session }) => {
        const o = entry.tuples[0];
        const r = entry.tuples[1];
        return {
          proto: entry.protocol === 6 ? 'tcp' : entry.protocol === 17 ? 'udp' : String(entry.protocol),
          client: `${ipv4ToString(o.src)}:${o.sport}`,
          vip: `${ipv4ToString(o.dst)}:${o.dport}`,
          real: `${ipv4ToString(r.src)}:${r.sport} (real ${session.realId})`,
          state: entry.protocol === 6 ? (TCP_CT_STATES[entry.tcpState] ?? String(entry.tcpState)) : 'active',
        };
      });
      const cfg = node.config;
      if (cfg) {
        reals = [...cfg.reals.values()].map((rc) => {
          const info = node.realInfo(rc.id);
          const down = info.ports.some((p) => !p.up);
          return {
            id: rc.id,
            rip: ipv4ToString(rc.rip),
            state: !rc.enabled ? 'disabled' : info.operDisabled ? 'oper-disabled' : down ? 'down' : 'up',
            sessions: node.realStats(rc.id).current,
            total: node.realStats(rc.id).total,
          };
        });
      }
    }
    return { device, kind, arp, routes, sessions, reals, counters };
  }

  dispose(): void {
    this.network.dispose();
  }
}

function ifOpts(spec: IfaceSpec): { addresses?: string[]; mtu?: number } {
  const address = ifAddress(spec);
  const mtu = typeof spec === 'string' ? undefined : spec.mtu;
  return { ...(address ? { addresses: [address] } : {}), ...(mtu ? { mtu } : {}) };
}

function parseDelay(d: string): number {
  const r = parseDuration(d);
  return r.ok ? r.value : 0;
}
