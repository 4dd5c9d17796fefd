/**
 * The checks a schema cannot express: names that must be unique, references that must resolve,
 * addressing that must make sense. Runs on the raw parsed value, after (and besides) the schema
 * validation, so one pass reports everything; a value of the wrong shape was already reported by the
 * schema and is skipped here. Never throws.
 */
import { inSubnet, ipv4ToString, parseCidr, parseIpv4Addr, prefixMask, type Ipv4Addr, type Ipv4Cidr } from '../wire/addr.ts';
import { parseActionLine } from './formats.ts';
import { suggest, type Issue, type Path, type Anchor } from './validate-schema.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const entries = (v: unknown): Array<[string, unknown]> => (isObj(v) ? Object.entries(v) : []);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface IfaceInfo {
  readonly name: string;
  readonly cidr: Ipv4Cidr | null;
  /** Path of the address value. */
  readonly addrPath: Path;
}

interface DeviceInfo {
  readonly name: string;
  readonly kind: string | null;
  readonly ifaces: Map<string, IfaceInfo>;
  readonly services: Set<string>;
}

interface Attachment {
  readonly what: string;
  readonly path: Path;
}

interface ActionInfo {
  readonly kind: 'console' | 'traffic' | 'fault' | 'wait';
  readonly step: number;
}

const FAULT_TARGETS = ['link', 'segment', 'device', 'service'] as const;
const FAULT_OPS: Record<string, readonly string[]> = { link: ['down', 'up'], segment: ['down', 'up'], device: ['stop', 'start'], service: ['stop', 'start'] };

function cidrText(c: Ipv4Cidr): string {
  return `${ipv4ToString(c.addr)}/${c.prefix}`;
}

function networkText(c: Ipv4Cidr): string {
  return `${ipv4ToString((c.addr & prefixMask(c.prefix)) >>> 0)}/${c.prefix}`;
}

/** Addresses of devices by name, for capture filters that say `host client`. */
export function hostTable(raw: unknown): Map<string, Ipv4Addr> {
  const table = new Map<string, Ipv4Addr>();
  const topo = isObj(raw) ? raw.topology : undefined;
  const devices = isObj(topo) ? topo.devices : undefined;
  for (const [name, dev] of entries(devices)) {
    if (!isObj(dev)) continue;
    for (const [, iface] of entries(dev.interfaces)) {
      const addr = str(iface) ?? (isObj(iface) ? str(iface.address) : null);
      const c = addr === null ? null : parseCidr(addr);
      if (c && !table.has(name)) table.set(name, c.addr);
    }
    for (const [h, ip] of entries(dev.hosts)) {
      const a = str(ip) === null ? null : parseIpv4Addr(ip as string);
      if (a !== null && !table.has(h)) table.set(h, a);
    }
  }
  return table;
}

export function checkSemantics(raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: Path, anchor: Anchor, message: string): void => void issues.push({ path, anchor, message });
  try {
    run(raw, add);
  } catch (e) {
    add([], 'value', `internal error while checking the lab: ${(e as Error).message}`);
  }
  return issues;
}

function run(raw: unknown, add: (path: Path, anchor: Anchor, message: string) => void): void {
  if (!isObj(raw)) return;
  const topo = isObj(raw.topology) ? raw.topology : {};
  const devices = new Map<string, DeviceInfo>();

  // Devices and their interfaces.
  for (const [name, dev] of entries(topo.devices)) {
    if (!isObj(dev)) continue;
    const info: DeviceInfo = { name, kind: str(dev.kind), ifaces: new Map(), services: new Set(Object.keys(isObj(dev.services) ? dev.services : {})) };
    devices.set(name, info);
    const base: Path = ['topology', 'devices', name];
    for (const [ifn, iface] of entries(dev.interfaces)) {
      const addrPath: Path = typeof iface === 'string' ? [...base, 'interfaces', ifn] : [...base, 'interfaces', ifn, 'address'];
      const addr = str(iface) ?? (isObj(iface) ? str(iface.address) : null);
      const cidr = addr === null ? null : parseCidr(addr);
      info.ifaces.set(ifn, { name: ifn, cidr, addrPath });
      if (cidr && cidr.prefix <= 30) {
        const host = (cidr.addr & ~prefixMask(cidr.prefix)) >>> 0;
        const allOnes = (~prefixMask(cidr.prefix)) >>> 0;
        if (host === 0) add(addrPath, 'value', `${cidrText(cidr)} is the network address of ${networkText(cidr)}, not a host address`);
        else if (host === allOnes) add(addrPath, 'value', `${cidrText(cidr)} is the broadcast address of ${networkText(cidr)}, not a host address`);
      }
    }
    // Overlapping subnets on one device make its connected routes ambiguous.
    const seen: IfaceInfo[] = [];
    for (const i of info.ifaces.values()) {
      if (!i.cidr) continue;
      const other = seen.find((o) => inSubnet(i.cidr!.addr, o.cidr!.addr, Math.min(i.cidr!.prefix, o.cidr!.prefix)));
      if (other) add(i.addrPath, 'value', `subnet ${networkText(i.cidr)} of ${name}.${i.name} overlaps ${networkText(other.cidr!)} of ${name}.${other.name}: a device's interfaces must be on different subnets`);
      seen.push(i);
    }
    const connected = [...info.ifaces.values()].filter((i) => i.cidr);
    const onSubnet = (a: Ipv4Addr): boolean => connected.some((i) => inSubnet(a, i.cidr!.addr, i.cidr!.prefix));
    const subnetsText = connected.length ? `its subnets: ${connected.map((i) => `${i.name} ${networkText(i.cidr!)}`).join(', ')}` : 'it has no interface address';
    const gw = str(dev.gateway);
    const gwAddr = gw === null ? null : parseIpv4Addr(gw);
    if (gwAddr !== null && !onSubnet(gwAddr)) add([...base, 'gateway'], 'value', `gateway ${gw} is not on a subnet of ${name} (${subnetsText})`);
    list(dev.routes).forEach((r, i) => {
      if (!isObj(r)) return;
      const via = str(r.via);
      const viaAddr = via === null ? null : parseIpv4Addr(via);
      if (viaAddr !== null && !onSubnet(viaAddr)) add([...base, 'routes', i, 'via'], 'value', `next hop ${via} is not on a subnet of ${name} (${subnetsText})`);
      const devName = str(r.dev);
      if (devName !== null && !info.ifaces.has(devName)) add([...base, 'routes', i, 'dev'], 'value', `${name} has no interface '${devName}'${suggest(devName, info.ifaces.keys()) || `; it has ${[...info.ifaces.keys()].join(', ')}`}`);
      if (via === null && devName === null && isObj(r)) add([...base, 'routes', i], 'mapping', `a route needs 'via' (a next hop) or 'dev' (an interface)`);
    });
  }

  const deviceNames = [...devices.keys()];
  const checkDevice = (path: Path, name: string, anchor: Anchor = 'value'): DeviceInfo | null => {
    const d = devices.get(name);
    if (!d) add(path, anchor, `unknown device '${name}'${suggest(name, deviceNames) || `; devices are ${deviceNames.join(', ') || 'none'}`}`);
    return d ?? null;
  };
  /** Resolves `DEVICE.INTERFACE`; reports what does not exist. */
  const checkIface = (path: Path, ref: string): { dev: DeviceInfo; iface: IfaceInfo } | null => {
    const dot = ref.indexOf('.');
    if (dot < 0) return null; // the schema reported the syntax
    const dev = checkDevice(path, ref.slice(0, dot));
    if (!dev) return null;
    const ifn = ref.slice(dot + 1);
    const iface = dev.ifaces.get(ifn);
    if (!iface) {
      add(path, 'value', `device '${dev.name}' has no interface '${ifn}'${suggest(ifn, dev.ifaces.keys()) || `; it has ${[...dev.ifaces.keys()].join(', ') || 'none'}`}`);
      return null;
    }
    return { dev, iface };
  };

  // Segments and links: each interface joins at most one; addresses on one L2 domain are distinct.
  const attached = new Map<string, Attachment>();
  const join = (domain: string, refs: Array<[Path, string]>): void => {
    const addrs = new Map<Ipv4Addr, string>();
    for (const [path, ref] of refs) {
      const r = checkIface(path, ref);
      if (!r) continue;
      const key = `${r.dev.name}.${r.iface.name}`;
      const prev = attached.get(key);
      if (prev) {
        add(path, 'value', `${key} is already attached to ${prev.what}; an interface joins one segment or link`);
        continue;
      }
      attached.set(key, { what: domain, path });
      if (r.iface.cidr) {
        const owner = addrs.get(r.iface.cidr.addr);
        if (owner) add(path, 'value', `${key} has address ${ipv4ToString(r.iface.cidr.addr)}, which ${owner} on ${domain} also has`);
        else addrs.set(r.iface.cidr.addr, key);
      }
    }
  };
  const segmentNames = new Set<string>();
  for (const [name, seg] of entries(topo.segments)) {
    segmentNames.add(name);
    const members = Array.isArray(seg) ? seg : isObj(seg) ? list(seg.members) : [];
    const base: Path = Array.isArray(seg) ? ['topology', 'segments', name] : ['topology', 'segments', name, 'members'];
    join(
      `segment '${name}'`,
      members.flatMap((m, i): Array<[Path, string]> => (typeof m === 'string' ? [[[...base, i], m]] : [])),
    );
  }
  const linkNames = new Set<string>();
  for (const [name, link] of entries(topo.links)) {
    linkNames.add(name);
    if (!isObj(link)) continue;
    if (segmentNames.has(name)) add(['topology', 'links', name], 'key', `'${name}' is already the name of a segment; segments and links need distinct names`);
    const ends: Array<[Path, string]> = [];
    for (const end of ['a', 'b'] as const) {
      const ref = str(link[end]);
      if (ref !== null) ends.push([['topology', 'links', name, end], ref]);
    }
    join(`link '${name}'`, ends);
  }

  // Capture points: on an attached interface, a segment or a link.
  const captureNames: string[] = [];
  for (const [name, cap] of entries(topo.captures)) {
    captureNames.push(name);
    const at = str(cap) ?? (isObj(cap) ? str(cap.at) : null);
    if (at === null) continue;
    const path: Path = typeof cap === 'string' ? ['topology', 'captures', name] : ['topology', 'captures', name, 'at'];
    if (at.includes('.')) {
      const r = checkIface(path, at);
      if (r && !attached.has(at)) add(path, 'value', `capture point '${name}' is on ${at}, which is attached to no segment or link, so it would capture nothing`);
    } else if (!segmentNames.has(at) && !linkNames.has(at)) {
      const known = [...segmentNames, ...linkNames];
      add(path, 'value', `capture point '${name}' is on '${at}', which is no segment or link${suggest(at, known) || (known.length ? `; segments and links are ${known.join(', ')}` : '')}; an interface is written DEVICE.INTERFACE`);
    }
  }

  // Initial configuration.
  for (const [name] of entries(raw.config)) checkDevice(['config', name], name, 'key');

  // Steps, actions, checks.
  const stepIds = new Map<string, number>();
  const actionIds = new Map<string, ActionInfo>();
  list(raw.steps).forEach((step, si) => {
    if (!isObj(step)) return;
    const sid = str(step.id);
    if (sid !== null) {
      if (stepIds.has(sid)) add(['steps', si, 'id'], 'value', `duplicate step id '${sid}' (also step ${stepIds.get(sid)! + 1})`);
      else stepIds.set(sid, si);
    }
    for (const phase of ['setup', 'solution'] as const) {
      list(step[phase]).forEach((action, ai) => checkAction(['steps', si, phase, ai], action, si));
    }
    const checkIds = new Set<string>();
    list(step.checks).forEach((check, ci) => {
      if (!isObj(check)) return;
      const path: Path = ['steps', si, 'checks', ci];
      const cid = str(check.id);
      if (cid !== null) {
        if (checkIds.has(cid)) add([...path, 'id'], 'value', `duplicate check id '${cid}' in step '${sid ?? si + 1}'`);
        checkIds.add(cid);
      }
      checkCheck(path, check, si);
    });
  });

  function checkAction(path: Path, action: unknown, step: number): void {
    if (typeof action === 'string') {
      const a = parseActionLine(action);
      if (a && 'device' in a) checkDevice(path, a.device);
      return;
    }
    if (!isObj(action)) return;
    const [kind] = Object.keys(action);
    const body = kind === undefined ? undefined : action[kind];
    if (!isObj(body)) return;
    const id = str(body.id);
    if (id !== null && (kind === 'console' || kind === 'traffic')) {
      if (actionIds.has(id)) add([...path, kind, 'id'], 'value', `duplicate action id '${id}'`);
      else actionIds.set(id, { kind, step });
    }
    if (kind === 'console') {
      const dev = str(body.device);
      if (dev !== null) checkDevice([...path, kind, 'device'], dev);
    } else if (kind === 'traffic') {
      const p: Path = [...path, kind];
      const from = str(body.from);
      if (from !== null) {
        const d = checkDevice([...p, 'from'], from);
        if (d && d.kind !== null && d.kind !== 'host') add([...p, 'from'], 'value', `traffic comes from a host; '${from}' is a ${d.kind}`);
      }
      if ('url' in body && 'to' in body) add([...p, 'to'], 'key', `give either 'url' or 'to' (with 'port'), not both`);
      else if (!('url' in body) && !('to' in body)) add(p, 'mapping', `missing 'url' (HTTP requests) or 'to' and 'port' (connections)`);
      else if ('to' in body && !('port' in body)) add(p, 'mapping', `missing 'port' for 'to'`);
      if ('url' in body && 'protocol' in body && body.protocol !== 'http') add([...p, 'protocol'], 'value', `a url means protocol http; found ${JSON.stringify(body.protocol)}`);
    } else if (kind === 'fault') {
      const p: Path = [...path, kind];
      const given = FAULT_TARGETS.filter((t) => t in body);
      if (given.length === 0) {
        add(p, 'mapping', `a fault needs one of ${FAULT_TARGETS.join(', ')}`);
        return;
      }
      if (given.length > 1) {
        add([...p, given[1]!], 'key', `a fault has one target; found ${given.join(' and ')}`);
        return;
      }
      const target = given[0]!;
      const name = str(body[target]);
      const op = str(body.op);
      if (op !== null && (['down', 'up', 'stop', 'start'] as string[]).includes(op) && !FAULT_OPS[target]!.includes(op)) {
        add([...p, 'op'], 'value', `op '${op}' does not apply to a ${target}; expected ${FAULT_OPS[target]!.join(' or ')}`);
      }
      if (name === null) return;
      if (target === 'device') checkDevice([...p, target], name);
      else if (target === 'link' && !linkNames.has(name)) add([...p, target], 'value', `unknown link '${name}'${suggest(name, linkNames) || (linkNames.size ? `; links are ${[...linkNames].join(', ')}` : '; the lab has no links')}`);
      else if (target === 'segment' && !segmentNames.has(name)) add([...p, target], 'value', `unknown segment '${name}'${suggest(name, segmentNames) || (segmentNames.size ? `; segments are ${[...segmentNames].join(', ')}` : '; the lab has no segments')}`);
      else if (target === 'service') {
        const dot = name.lastIndexOf('.');
        if (dot < 0) return;
        const d = checkDevice([...p, target], name.slice(0, dot));
        const svc = name.slice(dot + 1);
        if (d && !d.services.has(svc)) add([...p, target], 'value', `device '${d.name}' runs no ${svc} service${d.services.size ? ` (it runs ${[...d.services].join(', ')})` : ''}`);
      }
    }
  }

  function checkCheck(path: Path, check: Obj, step: number): void {
    if (isObj(check.state)) {
      const dev = str(check.state.device);
      if (dev !== null) {
        const d = checkDevice([...path, 'state', 'device'], dev);
        const svc = isObj(check.state.service) ? str(check.state.service.name) : null;
        if (d && svc !== null && !d.services.has(svc)) add([...path, 'state', 'service', 'name'], 'value', `device '${d.name}' runs no ${svc} service`);
        const rdev = isObj(check.state.route) ? str(check.state.route.dev) : null;
        if (d && rdev !== null && !d.ifaces.has(rdev)) add([...path, 'state', 'route', 'dev'], 'value', `device '${d.name}' has no interface '${rdev}'${suggest(rdev, d.ifaces.keys())}`);
      }
    }
    if (isObj(check.capture)) {
      const at = str(check.capture.at);
      if (at !== null && !captureNames.includes(at)) {
        add([...path, 'capture', 'at'], 'value', `unknown capture point '${at}'${suggest(at, captureNames) || (captureNames.length ? `; capture points are ${captureNames.join(', ')}` : '; the lab defines none under topology.captures')}`);
      }
    }
    if (isObj(check.console)) {
      const c = check.console;
      const p: Path = [...path, 'console'];
      const action = str(c.action);
      if (action !== null) {
        if ('command' in c) add([...p, 'command'], 'key', `give either 'command' or 'action', not both`);
        const a = actionIds.get(action);
        if (!a) add([...p, 'action'], 'value', `no console action before this check has id '${action}'${suggest(action, [...actionIds].filter(([, v]) => v.kind === 'console').map(([k]) => k))}`);
        else if (a.kind !== 'console') add([...p, 'action'], 'value', `action '${action}' is a ${a.kind} action; a console check looks at a console action`);
        else if (a.step > step) add([...p, 'action'], 'value', `action '${action}' comes in a later step`);
      } else if ('command' in c) {
        if (!('device' in c)) add(p, 'mapping', `missing 'device' to run the command on`);
        else if (str(c.device) !== null) checkDevice([...p, 'device'], c.device as string);
      } else {
        add(p, 'mapping', `a console check needs 'command' (with 'device') or 'action'`);
      }
      if (!('match' in c) && !('notMatch' in c)) add(p, 'mapping', `a console check needs 'match' or 'notMatch'`);
    }
    if (isObj(check.traffic)) {
      const action = str(check.traffic.action);
      if (action !== null) {
        const a = actionIds.get(action);
        const p: Path = [...path, 'traffic', 'action'];
        if (!a) add(p, 'value', `no traffic action before this check has id '${action}'${suggest(action, [...actionIds].filter(([, v]) => v.kind === 'traffic').map(([k]) => k))}`);
        else if (a.kind !== 'traffic') add(p, 'value', `action '${action}' is a ${a.kind} action; a traffic check looks at a traffic action`);
        else if (a.step > step) add(p, 'value', `action '${action}' comes in a later step`);
      }
    }
  }
}
