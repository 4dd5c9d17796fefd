/**
 * What the app shows of a running lab (engine/lab LabSession), in the bridge's shapes: the topology
 * with compound groups, and a device's tables (ARP, routes, session table, health of reals, counters).
 */
import type { LabSession } from '../lab/session.ts';
import { TCP_CT_STATES } from '../net/conntrack.ts';
import { ipv4ToString, macToString } from '../wire/addr.ts';
import type { DeviceState, GroupKind, Text, Topology, TopoDevice, TopoGroup } from '../../app/shared/bridge.ts';

const text = (t: unknown): Text | undefined => {
  if (typeof t === 'string') return { ko: t, en: t };
  if (t && typeof t === 'object' && 'ko' in t && 'en' in t) return t as Text;
  return undefined;
};

type IfaceSpec = string | { address?: string };
const ifAddress = (s: IfaceSpec): string | undefined => (typeof s === 'string' ? s : s.address);

export function topologyOf(session: LabSession): Topology {
  const lab = session.lab.lab;
  const built = session.topology.devices;
  const segs = Object.entries(lab.topology.segments ?? {}).map(([id, s]) => ({
    id,
    members: Array.isArray(s) ? s : s.members,
    description: Array.isArray(s) ? undefined : text(s.description),
  }));
  // A segment is a network box holding its single-homed devices; on-prem inside/outside by name.
  const groups: TopoGroup[] = [];
  const parentOf = new Map<string, string>();
  const homes = new Map<string, Set<string>>();
  for (const s of segs) {
    for (const m of s.members) {
      const d = m.split('.')[0]!;
      if (!homes.has(d)) homes.set(d, new Set());
      homes.get(d)!.add(s.id);
    }
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
    const dev = built.get(id);
    const interfaces = Object.entries(d.interfaces).map(([name, spec]) => {
      const engineIf = dev?.interfaces.get(name);
      const address = ifAddress(spec as IfaceSpec);
      return { name, ...(address ? { address } : {}), ...(engineIf ? { mac: macToString(engineIf.mac) } : {}) };
    });
    const description = text(d.description);
    const parent = parentOf.get(id);
    return { id, kind: d.kind, label: id, interfaces, console: dev !== undefined, ...(description ? { description } : {}), ...(parent ? { parent } : {}) };
  });
  const links = Object.entries(lab.topology.links ?? {}).map(([id, l]) => ({ id, a: l.a, b: l.b, label: `${l.a} — ${l.b}` }));
  const captures = session.capturePoints().map((c) => ({ id: c.name, at: c.at, ...(c.description ? { description: c.description } : {}) }));
  return {
    groups,
    devices,
    segments: segs.map((s) => ({ id: s.id, members: s.members, parent: `net:${s.id}`, ...(s.description ? { description: s.description } : {}) })),
    links,
    captures,
  };
}

export function deviceStateOf(session: LabSession, device: string): DeviceState | null {
  const d = session.topology.devices.get(device);
  if (d === undefined) return null;
  const node = d.node;
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
  const sw = d.l4switch;
  if (sw) {
    sessions = sw.sessions().map(({ entry, session: s }) => {
      const o = entry.original;
      const r = entry.reply;
      return {
        proto: entry.protocol === 6 ? 'tcp' : entry.protocol === 17 ? 'udp' : String(entry.protocol),
        client: `${ipv4ToString(o.src)}:${o.sport}`,
        vip: `${ipv4ToString(o.dst)}:${o.dport}`,
        real: `${ipv4ToString(r.src)}:${r.sport} (real ${s.realId})`,
        state: entry.protocol === 6 ? (TCP_CT_STATES[entry.tcpState] ?? String(entry.tcpState)) : 'active',
      };
    });
    const cfg = sw.config;
    if (cfg) {
      reals = [...cfg.reals.values()].map((rc) => {
        const info = sw.realInfo(rc.id);
        const down = info.ports.some((p) => !p.up);
        return {
          id: rc.id,
          rip: ipv4ToString(rc.rip),
          state: !rc.enabled ? 'disabled' : info.operDisabled ? 'oper-disabled' : down ? 'down' : 'up',
          sessions: sw.realStats(rc.id).current,
          total: sw.realStats(rc.id).total,
        };
      });
    }
  }
  return { device, kind: d.kind, arp, routes, sessions, reals, counters };
}
