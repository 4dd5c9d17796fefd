/**
 * Topology builder: a normalised lab → engine objects (network, devices, segments, links, capture
 * points, services, routes, initial configuration), each registered in one DisposableStore so that
 * disposing the topology leaves nothing running.
 *
 * Order is part of the contract (same lab + seed ⇒ same MACs, same bytes): devices in file order,
 * their interfaces in file order, then segments, links, routes, services, capture points, and last
 * the initial configuration (pasted into each device's console, in file order).
 *
 * Devices: `host` is engine/devices Host; `router` is a Host with IP forwarding (so it keeps a
 * console with ip, ping, traceroute, tcpdump); `l4switch` is the Alteon L4Switch, whose console is
 * the Alteon CLI. Hosts know every device's name (/etc/hosts) besides the lab's own `hosts`.
 */
import { Host } from '../devices/host.ts';
import { dnsService, httpService } from '../devices/host/services.ts';
import { L4Switch } from '../devices/l4switch/index.ts';
import type { Execution, ShellSink } from '../devices/shell.ts';
import type { Interface } from '../net/interface.ts';
import { Network } from '../net/network.ts';
import type { Node } from '../net/node.ts';
import { DisposableStore, toDisposable } from '../sim/disposable.ts';
import { parseDuration, sec, type Nanos } from '../sim/time.ts';
import type { DnsZoneRecordSpec, HttpRoute } from '../stack/apps/index.ts';
import { ipv4ToString, parseMac } from '../wire/addr.ts';
import { CaptureStore, type CapturePointSpec } from './captures.ts';
import type { NormalLab } from './normalize.ts';
import type { Device } from './schema.ts';

/**
 * A device console: the host shell, the Alteon CLI, or a real host's bash (engine/lab/real.ts) (the
 * same shape the app's engine host uses).
 */
export interface ConsoleTarget {
  readonly kind: 'shell' | 'alteon' | 'real';
  prompt(): string;
  /** Starts a line; a shell command may go on in virtual time (see LabDevice.run). */
  exec(line: string, sink?: ShellSink): Execution;
  complete(before: string): string[];
  /** pktlab's own greeting, in the UI language (default English); command output stays English. */
  greeting(lang?: 'ko' | 'en'): string;
}

export interface LabDevice {
  readonly name: string;
  readonly kind: Device['kind'];
  readonly node: Node;
  /** Set for hosts and routers. */
  readonly host: Host | null;
  /** Set for L4 switches. */
  readonly l4switch: L4Switch | null;
  readonly console: ConsoleTarget;
  /** Lab interface name (`outside`, `eth0`) → engine interface. */
  readonly interfaces: ReadonlyMap<string, Interface>;
}

export interface BuildOptions {
  /** Overrides the lab's seed. */
  readonly seed?: number;
}

export interface Topology {
  readonly network: Network;
  readonly seed: number;
  readonly epochNs: bigint;
  readonly devices: ReadonlyMap<string, LabDevice>;
  readonly captures: CaptureStore;
  /** Transcript of the initial configuration, by device. */
  readonly configTranscript: ReadonlyMap<string, string>;
  /** `DEVICE.IFACE` (as the lab writes it) → engine interface. */
  iface(ref: string): Interface;
  /** Runs a console line on a device to completion in virtual time (at most `limit`). */
  run(device: string, line: string, sink?: ShellSink, limit?: Nanos): Execution;
  /** First address of a device (capture filters and messages use device names). */
  resolveHost(name: string): number | null;
  dispose(): void;
}

/** Longest a console command runs in virtual time before it is interrupted (Ctrl-C). */
export const COMMAND_LIMIT: Nanos = sec(600);

export class BuildError extends Error {}

function ifaceOpts(i: { address: { addr: number; prefix: number } | null; mtu: number; mac: string | null }, dev: string): { addresses: { addr: number; prefix: number }[]; mtu: number; mac?: number } {
  const mac = i.mac === null ? null : parseMac(i.mac);
  if (i.mac !== null && mac === null) throw new BuildError(`${dev}: bad MAC address ${i.mac}`);
  return { addresses: i.address ? [i.address] : [], mtu: i.mtu, ...(mac !== null ? { mac } : {}) };
}

function withNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

/** Builds the lab's network. Throws BuildError on a lab the engine cannot build (after disposing what it made). */
export function buildTopology(lab: NormalLab, opts: BuildOptions = {}): Topology {
  const store = new DisposableStore();
  try {
    return build(lab, opts, store);
  } catch (e) {
    store.dispose();
    throw e;
  }
}

function build(lab: NormalLab, opts: BuildOptions, store: DisposableStore): Topology {
  const seed = opts.seed ?? lab.seed;
  const epochNs = lab.epochNs;
  const network = new Network({ seed });
  store.add(toDisposable(() => network.dispose()));
  const t = lab.lab.topology;
  const devices = new Map<string, LabDevice>();
  const ifaces = new Map<string, Interface>();

  // Every device's first address, for /etc/hosts and capture filters.
  const firstAddr = new Map<string, number>();
  for (const [name, list] of lab.interfaces) {
    const a = list.find((i) => i.address !== null);
    if (a) firstAddr.set(name, a.address!.addr);
  }

  for (const [name, d] of Object.entries(t.devices)) {
    const list = lab.interfaces.get(name) ?? [];
    const map = new Map<string, Interface>();
    if (d.kind === 'l4switch') {
      if (list.length !== 2) throw new BuildError(`${name}: an l4switch has exactly two interfaces (outside and inside), found ${list.length}`);
      const oi = Math.max(0, list.findIndex((i) => i.name === 'outside'));
      const ii = list.findIndex((i, k) => k !== oi && i.name === 'inside');
      const outside = list[oi]!;
      const inside = list[ii >= 0 ? ii : oi === 0 ? 1 : 0]!;
      const sw = new L4Switch(network, name, {
        outside: outside.address ? [`${ipv4ToString(outside.address.addr)}/${outside.address.prefix}`] : [],
        inside: inside.address ? [`${ipv4ToString(inside.address.addr)}/${inside.address.prefix}`] : [],
        epochNs,
      });
      for (const [li, ei] of [
        [outside, sw.outside],
        [inside, sw.inside],
      ] as const) {
        const o = ifaceOpts(li, name);
        if (o.mac !== undefined) ei.mac = o.mac;
        if (li.mtu !== ei.mtu) ei.mtu = li.mtu;
        map.set(li.name, ei);
      }
      devices.set(name, {
        name,
        kind: d.kind,
        node: sw,
        host: null,
        l4switch: sw,
        interfaces: map,
        console: {
          kind: 'alteon',
          prompt: () => sw.cli.prompt(),
          exec: (line, sink) => sw.exec(line, sink),
          complete: (before) => sw.cli.complete(before),
          greeting: (lang) =>
            lang === 'ko'
              ? `Alteon Application Switch (pktlab) — ${name}\n메뉴의 명령 목록을 보려면 "help"를 입력하세요.\n\n`
              : `Alteon Application Switch (pktlab) — ${name}\nType "help" for the commands of a menu.\n\n`,
        },
      });
    } else {
      const hostsTable: Record<string, string> = {};
      for (const [dev, a] of firstAddr) if (dev !== name) hostsTable[dev] = ipv4ToString(a);
      if (d.kind === 'host') for (const [h, a] of Object.entries(d.hosts ?? {})) hostsTable[h] = a;
      const h = new Host(network, name, {
        ipForwarding: d.kind === 'router',
        nameservers: d.kind === 'host' ? (d.resolver?.nameservers ?? []) : [],
        search: d.kind === 'host' ? (d.resolver?.search ?? []) : [],
        hosts: hostsTable,
      });
      for (const i of list) map.set(i.name, h.addInterface(i.name, ifaceOpts(i, name)));
      devices.set(name, {
        name,
        kind: d.kind,
        node: h,
        host: h,
        l4switch: null,
        interfaces: map,
        console: {
          kind: 'shell',
          prompt: () => h.shell.prompt(),
          exec: (line, sink) => h.exec(line, sink),
          complete: (before) => h.shell.complete(before),
          greeting: (lang) =>
            lang === 'ko'
              ? `pktlab ${d.kind} ${name} (에뮬레이션된 리눅스 셸). 명령 목록을 보려면 "help"를 입력하세요.\n\n`
              : `pktlab ${d.kind} ${name} (emulated Linux shell). Type "help" for the commands.\n\n`,
        },
      });
    }
    for (const [n, i] of map) ifaces.set(`${name}.${n}`, i);
  }

  const iface = (ref: string): Interface => {
    const i = ifaces.get(ref);
    if (i === undefined) throw new BuildError(`no interface ${ref}`);
    return i;
  };

  for (const [name, members] of lab.segments) {
    const seg = network.addSegment(name);
    for (const m of members) seg.attach(iface(m));
  }
  for (const l of lab.links) {
    network.addLink(iface(l.a), iface(l.b), {
      name: l.name,
      delay: l.delay,
      ...(l.bandwidth !== null ? { bandwidth: l.bandwidth } : {}),
      loss: l.loss,
      ...(l.mtu !== null ? { mtu: l.mtu } : {}),
      queuePackets: l.queue,
    });
  }

  // Routes once addresses are up, so next hops resolve to connected subnets.
  for (const [name, d] of Object.entries(t.devices)) {
    const node = devices.get(name)!.node;
    try {
      for (const r of d.routes ?? []) {
        node.addRoute({ dst: r.to, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: devices.get(name)!.interfaces.get(r.dev)?.name ?? r.dev } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) });
      }
      if (d.gateway && !(d.routes ?? []).some((r) => r.to === 'default')) node.addRoute({ dst: 'default', via: d.gateway });
    } catch (e) {
      throw new BuildError(`${name}: ${(e as Error).message}`);
    }
  }

  // Services, started as enabled units at boot.
  for (const [name, d] of Object.entries(t.devices)) {
    if (d.kind !== 'host' || !d.services) continue;
    const h = devices.get(name)!.host!;
    const http = d.services.http;
    if (http) {
      const ports = http.port === undefined ? [80] : Array.isArray(http.port) ? http.port : [http.port];
      let routes: Record<string, HttpRoute> | undefined;
      if (http.pages) {
        routes = {};
        for (const [path, page] of Object.entries(http.pages)) {
          const p = typeof page === 'string' ? { body: page } : page;
          const headers: Record<string, string> = { ...(p.headers ?? {}) };
          if (p.contentType) headers['Content-Type'] = p.contentType;
          else if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'text/plain; charset=utf-8';
          routes[path] = {
            ...(p.body !== undefined ? { body: withNewline(p.body) } : { template: '{{server}} {{path}}\n' }),
            ...(p.status !== undefined ? { status: p.status } : {}),
            ...(p.delay ? { delayMs: nsOf(p.delay) / 1e6 } : {}),
            headers,
          };
        }
      }
      h.addService(httpService({ ports, epochNs, ...(routes ? { routes, strict: true } : {}) }));
    }
    const dns = d.services.dns;
    if (dns) {
      const zones = Object.entries(dns.zones).map(([origin, names]) => ({
        origin,
        records: Object.entries(names).flatMap(([n, rec]): DnsZoneRecordSpec[] => {
          if (typeof rec === 'string') return [{ name: n, type: 'A', value: rec }];
          if (Array.isArray(rec)) return rec.map((a) => ({ name: n, type: 'A', value: a }));
          const out: DnsZoneRecordSpec[] = [];
          const ttl = rec.ttl ?? 60;
          for (const a of rec.a === undefined ? [] : Array.isArray(rec.a) ? rec.a : [rec.a]) out.push({ name: n, type: 'A', value: a, ttl });
          if (rec.cname) out.push({ name: n, type: 'CNAME', value: rec.cname, ttl });
          return out;
        }),
      }));
      h.addService(dnsService({ zones, ...(dns.port !== undefined ? { port: dns.port } : {}) }));
    }
  }

  // Capture points: one pcapng interface each.
  const specs: CapturePointSpec[] = [];
  for (const [name, c] of lab.captures) {
    const seg = lab.segments.get(c.at);
    const link = lab.links.find((l) => l.name === c.at);
    let ifs: Interface[];
    let ifName: string;
    let what: string;
    if (seg !== undefined) {
      ifs = seg.map(iface);
      ifName = name;
      what = `segment ${c.at} (${ifs.map((i) => i.fullName).join(', ')})`;
    } else if (link !== undefined) {
      ifs = [iface(link.a), iface(link.b)];
      ifName = name;
      what = `link ${c.at} (${ifs.map((i) => i.fullName).join(' — ')})`;
    } else {
      ifs = [iface(c.at)];
      ifName = ifs[0]!.fullName;
      what = `interface ${ifs[0]!.fullName}`;
    }
    specs.push({ name, at: c.at, kind: seg !== undefined ? 'segment' : link !== undefined ? 'link' : 'interface', ifName, description: c.description, what, interfaces: ifs });
  }
  const names: { addr: number; names: string }[] = [];
  for (const [dev, list] of lab.interfaces) for (const i of list) if (i.address) names.push({ addr: i.address.addr, names: dev });
  const captures = new CaptureStore(network, specs, { epochNs, names });
  store.add(captures);

  const run = (device: string, line: string, sink?: ShellSink, limit: Nanos = COMMAND_LIMIT): Execution => {
    const d = devices.get(device);
    if (d === undefined) throw new BuildError(`no device ${device}`);
    if (d.host) return d.host.run(line, limit, sink);
    return d.console.exec(line, sink);
  };

  // Initial configuration, pasted line by line into each device's console.
  const configTranscript = new Map<string, string>();
  for (const [name, lines] of lab.config) {
    const d = devices.get(name);
    if (d === undefined) throw new BuildError(`config for unknown device ${name}`);
    let s = '';
    if (d.l4switch) s = d.l4switch.configure(lines.join('\n'));
    else
      for (const l of lines) {
        if (l.trim() === '' || l.trim().startsWith('#')) continue;
        const p = d.console.prompt();
        s += `${p}${l}\n${run(name, l).output}`;
      }
    configTranscript.set(name, s);
  }

  return {
    network,
    seed,
    epochNs,
    devices,
    captures,
    configTranscript,
    iface,
    run,
    resolveHost: (name) => firstAddr.get(name) ?? null,
    dispose: () => store.dispose(),
  };
}

function nsOf(d: string): number {
  const r = parseDuration(d); // checked by the loader
  return r.ok ? r.value : 0;
}
