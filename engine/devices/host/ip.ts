/**
 * `ip` (iproute2 6.1.0, Debian 12): addr, route, neigh, link — show, add/del, set up/down/mtu.
 * Output as iproute2 prints it, trailing spaces included (`ip route` and `ip neigh` end lines with one).
 */
import { ipv4ToString, macToString, parseCidr, parseIpv4Addr, prefixMask } from '../../wire/addr.ts';
import type { Interface } from '../../net/interface.ts';
import type { Route } from '../../net/route-table.ts';
import type { CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import type { Ctx } from './util.ts';

const OBJECTS: [string, string][] = [
  ['address', 'addr'],
  ['route', 'route'],
  ['neighbour', 'neigh'],
  ['neighbor', 'neigh'],
  ['link', 'link'],
];

/** iproute2 matches any prefix of an object/command name (`ip a`, `ip r`, `ip n`, `ip l`). */
function matches(word: string, full: string): boolean {
  return word.length > 0 && full.startsWith(word);
}

function flagsOf(i: Interface): string {
  const f: string[] = [];
  const carrier = i.loopback || i.attachedTo !== null;
  if (i.up && !carrier) f.push('NO-CARRIER');
  f.push(...(i.loopback ? ['LOOPBACK'] : ['BROADCAST', 'MULTICAST']));
  if (i.up) f.push('UP');
  if (i.up && carrier) f.push('LOWER_UP');
  return f.join(',');
}

function linkHead(i: Interface, index: number, mode: boolean): string {
  const carrier = i.loopback || i.attachedTo !== null;
  const state = i.loopback ? (i.up ? 'UNKNOWN' : 'DOWN') : i.up && carrier ? 'UP' : 'DOWN';
  const qdisc = i.loopback ? 'noqueue' : 'fq_codel';
  return `${index}: ${i.name}: <${flagsOf(i)}> mtu ${i.mtu} qdisc ${qdisc} state ${state}${mode ? ' mode DEFAULT' : ''} group default qlen 1000\n` +
    `    link/${i.loopback ? 'loopback' : 'ether'} ${macToString(i.loopback ? 0 : i.mac)} brd ${macToString(i.loopback ? 0 : 0xffff_ffff_ffff)}\n`;
}

/**
 * iproute2's print_link_stats64: RX and TX share column widths, at least those of its widest labels
 * ("*X errors:", "heartbt", "overrun", "compressed"), grown to fit the numbers.
 */
function statsBlock(i: Interface): string {
  const c = i.counters;
  const rx = [c.rxBytes, c.rxPackets, c.rxErrors, c.rxDropped, 0, 0];
  const tx = [c.txBytes, c.txPackets, c.txErrors, c.txDropped, 0, 0];
  const w = [10, 7, 6, 7, 7, 7].map((min, k) => Math.max(min, String(rx[k]).length, String(tx[k]).length));
  const block = (label: string, heads: string[], vals: number[]): string =>
    `    ${label}: ${heads.map((h, k) => h.padStart(k === 0 ? w[0]! - 4 : w[k]!)).join(' ')} ${''.padEnd(10)}\n` +
    `    ${vals.map((v, k) => String(v).padStart(w[k]!)).join(' ')} \n`;
  return block('RX', ['bytes', 'packets', 'errors', 'dropped', 'missed', 'mcast'], rx) + block('TX', ['bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns'], tx);
}

function addrBlock(i: Interface): string {
  let s = '';
  for (const a of i.addresses) {
    s += `    inet ${ipv4ToString(a.addr)}/${a.prefix}`;
    if (a.broadcast !== 0 && !i.loopback) s += ` brd ${ipv4ToString(a.broadcast)}`;
    s += ` scope ${i.loopback ? 'host' : 'global'}${a.secondary ? ' secondary' : ''} ${i.name}\n`;
    s += '       valid_lft forever preferred_lft forever\n';
  }
  return s;
}

function findDev(ctx: Ctx, name: string | undefined, msg: (n: string) => string): Interface | null | undefined {
  if (name === undefined) return undefined;
  const i = ctx.device.findInterface(name);
  if (i === undefined) {
    ctx.err(msg(name));
    ctx.exit(1);
    return null;
  }
  return i;
}

/** `dev NAME` or a bare NAME among the words. */
function devArg(words: readonly string[]): string | undefined {
  const k = words.indexOf('dev');
  if (k >= 0) return words[k + 1];
  return words.find((w) => !['show', 'list', 'lst', 'sh', 'ls', 'up'].includes(w));
}

function addr(ctx: Ctx, words: readonly string[], stats: boolean): void {
  const host = ctx.device;
  const cmd = words[0] ?? 'show';
  if (['show', 'list', 'lst', 'sh', 'ls', 's', 'l'].some((c) => c === cmd) || cmd === 'dev' || host.findInterface(cmd)) {
    const rest = cmd === 'dev' || host.findInterface(cmd) ? words : words.slice(1);
    const dev = findDev(ctx, devArg(rest), (n) => `Device "${n}" does not exist.\n`);
    if (dev === null) return;
    host.interfaces().forEach((i, k) => {
      if (dev !== undefined && i !== dev) return;
      const head = linkHead(i, k + 1, false);
      ctx.out(head + addrBlock(i) + (stats ? statsBlock(i) : ''));
    });
    return ctx.exit(0);
  }
  if (cmd === 'add' || cmd === 'del' || cmd === 'delete') {
    const cidrText = words[1];
    const c = cidrText === undefined ? null : parseCidr(cidrText.includes('/') ? cidrText : `${cidrText}/32`);
    if (c === null) {
      ctx.err(`Error: any valid prefix is expected rather than "${cidrText ?? ''}".\n`);
      return ctx.exit(1);
    }
    const devName = words[words.indexOf('dev') + 1];
    if (!words.includes('dev') || devName === undefined) {
      ctx.err('Not enough information: "dev" argument is required.\n');
      return ctx.exit(1);
    }
    const dev = findDev(ctx, devName, (n) => `Cannot find device "${n}"\n`);
    if (!dev) return;
    if (cmd === 'add') {
      if (dev.hasAddress(c.addr)) {
        ctx.err('RTNETLINK answers: File exists\n');
        return ctx.exit(2);
      }
      dev.addAddress(c);
    } else if (!dev.removeAddress(c.addr)) {
      ctx.err('RTNETLINK answers: Cannot assign requested address\n');
      return ctx.exit(2);
    }
    return ctx.exit(0);
  }
  if (cmd === 'help') {
    ctx.err('Usage: ip address {add|change|replace} IFADDR dev IFNAME\n       ip address del IFADDR dev IFNAME\n       ip address [ show [ dev IFNAME ] ]\n');
    return ctx.exit(255);
  }
  ctx.err(`Command "${cmd}" is unknown, try "ip address help".\n`);
  ctx.exit(255);
}

function link(ctx: Ctx, words: readonly string[], stats: boolean): void {
  const host = ctx.device;
  const cmd = words[0] ?? 'show';
  if (cmd === 'set') {
    const rest = words.slice(1);
    const name = rest[0] === 'dev' ? rest[1] : rest[0];
    const dev = findDev(ctx, name ?? '', (n) => `Cannot find device "${n}"\n`);
    if (!dev) return;
    for (let k = rest[0] === 'dev' ? 2 : 1; k < rest.length; k++) {
      const w = rest[k]!;
      if (w === 'up') dev.up = true;
      else if (w === 'down') dev.up = false;
      else if (w === 'mtu') {
        const v = Number(rest[++k]);
        if (!Number.isInteger(v) || v < 68 || v > 65535) {
          ctx.err(`Error: mtu less than device minimum.\n`);
          return ctx.exit(2);
        }
        dev.mtu = v;
      } else if (w === 'promisc') {
        dev.promiscuous = rest[++k] === 'on';
      } else {
        ctx.err(`Error: either "dev" is duplicate, or "${w}" is a garbage.\n`);
        return ctx.exit(255);
      }
    }
    return ctx.exit(0);
  }
  if (['show', 'list', 'lst', 'sh', 'ls'].includes(cmd) || host.findInterface(cmd) || cmd === 'dev') {
    const rest = ['show', 'list', 'lst', 'sh', 'ls'].includes(cmd) ? words.slice(1) : words;
    const dev = findDev(ctx, devArg(rest), (n) => `Device "${n}" does not exist.\n`);
    if (dev === null) return;
    host.interfaces().forEach((i, k) => {
      if (dev !== undefined && i !== dev) return;
      ctx.out(linkHead(i, k + 1, true) + (stats ? statsBlock(i) : ''));
    });
    return ctx.exit(0);
  }
  ctx.err(`Command "${cmd}" is unknown, try "ip link help".\n`);
  ctx.exit(255);
}

function routeMatches(r: Route, addr: number, prefix: number, via: number | null, dev: string | undefined): boolean {
  return r.dst === ((addr & prefixMask(prefix)) >>> 0) && r.prefix === prefix && (via === null || r.gateway === via) && (dev === undefined || r.dev === dev);
}

function route(ctx: Ctx, words: readonly string[]): void {
  const host: Host = ctx.device;
  const cmd = words[0] ?? 'show';
  if (['show', 'list', 'lst', 'sh', 'ls'].includes(cmd)) {
    for (const r of host.routes()) ctx.out(`${r.toString()} \n`);
    return ctx.exit(0);
  }
  if (cmd === 'get') {
    const a = parseIpv4Addr(words[1] ?? '');
    if (a === null) {
      ctx.err(`Error: any valid prefix is expected rather than "${words[1] ?? ''}".\n`);
      return ctx.exit(1);
    }
    if (host.isLocalAddress(a)) {
      ctx.out(`local ${ipv4ToString(a)} dev lo src ${ipv4ToString(a)} uid 0 \n    cache <local> \n`);
      return ctx.exit(0);
    }
    const r = host.routeTable.lookup(a);
    const src = host.sourceAddressFor(a);
    if (r === null || src === null) {
      ctx.err('RTNETLINK answers: Network is unreachable\n');
      return ctx.exit(2);
    }
    ctx.out(`${ipv4ToString(a)}${r.gateway ? ` via ${ipv4ToString(r.gateway)}` : ''} dev ${r.dev} src ${ipv4ToString(src)} uid 0 \n    cache \n`);
    return ctx.exit(0);
  }
  if (cmd === 'add' || cmd === 'del' || cmd === 'delete' || cmd === 'replace') {
    const dst = words[1];
    if (dst === undefined) {
      ctx.err('Error: either "to" is duplicate, or "" is a garbage.\n');
      return ctx.exit(255);
    }
    const k = (w: string): string | undefined => (words.indexOf(w) >= 0 ? words[words.indexOf(w) + 1] : undefined);
    const via = k('via');
    const dev = k('dev');
    const metric = k('metric');
    const d = dst === 'default' ? { addr: 0, prefix: 0 } : parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    if (d === null || (via !== undefined && parseIpv4Addr(via) === null)) {
      ctx.err(`Error: inet prefix is expected rather than "${d === null ? dst : via}".\n`);
      return ctx.exit(1);
    }
    if (d.prefix !== 32 && ((d.addr & ~prefixMask(d.prefix)) >>> 0) !== 0) {
      ctx.err('Error: Invalid prefix for given prefix length.\n');
      return ctx.exit(2);
    }
    if (dev !== undefined && host.findInterface(dev) === undefined) {
      ctx.err(`Cannot find device "${dev}"\n`);
      return ctx.exit(1);
    }
    const viaAddr = via === undefined ? null : parseIpv4Addr(via);
    if (cmd === 'add' || cmd === 'replace') {
      const existing = host.routeTable.routes().find((r) => routeMatches(r, d.addr, d.prefix, null, undefined) && r.metric === Number(metric ?? 0));
      if (existing && cmd === 'add') {
        ctx.err('RTNETLINK answers: File exists\n');
        return ctx.exit(2);
      }
      if (existing) host.deleteRoute(existing);
      try {
        host.addRoute({ dst: dst === 'default' ? 'default' : `${ipv4ToString(d.addr)}/${d.prefix}`, ...(via !== undefined ? { via } : {}), ...(dev !== undefined ? { dev } : {}), ...(metric !== undefined ? { metric: Number(metric) } : {}) });
      } catch (e) {
        const m = e instanceof Error ? e.message : String(e);
        ctx.err(m.startsWith('Error: Nexthop') ? 'Error: Nexthop has invalid gateway.\n' : `Error: ${m}\n`);
        return ctx.exit(2);
      }
      return ctx.exit(0);
    }
    const r = host.routeTable.routes().find((x) => routeMatches(x, d.addr, d.prefix, viaAddr, dev));
    if (r === undefined) {
      ctx.err('RTNETLINK answers: No such process\n');
      return ctx.exit(2);
    }
    host.deleteRoute(r);
    return ctx.exit(0);
  }
  ctx.err(`Command "${cmd}" is unknown, try "ip route help".\n`);
  ctx.exit(255);
}

function neigh(ctx: Ctx, words: readonly string[]): void {
  const host = ctx.device;
  const cmd = words[0] ?? 'show';
  if (['show', 'list', 'lst', 'sh', 'ls'].includes(cmd)) {
    const devName = words.includes('dev') ? words[words.indexOf('dev') + 1] : undefined;
    const dev = findDev(ctx, devName, (n) => `Cannot find device "${n}"\n`);
    if (dev === null) return;
    for (const n of host.neighbours()) {
      if (dev !== undefined && n.dev !== dev.name) continue;
      let s = `${ipv4ToString(n.ip)}`;
      if (dev === undefined) s += ` dev ${n.dev}`;
      if (n.state !== 'INCOMPLETE' && n.state !== 'FAILED') s += ` lladdr ${macToString(n.mac)}`;
      ctx.out(`${s} ${n.state} \n`);
    }
    return ctx.exit(0);
  }
  if (cmd === 'flush') {
    for (const i of host.interfaces()) i.arp?.flushAll();
    return ctx.exit(0);
  }
  ctx.err(`Command "${cmd}" is unknown, try "ip neigh help".\n`);
  ctx.exit(255);
}

function run(ctx: Ctx): void {
  let args = [...ctx.args];
  let stats = false;
  while (args[0]?.startsWith('-')) {
    const o = args.shift()!;
    if (o === '-s' || o === '-stats' || o === '-statistics') stats = true;
    else if (o === '-4') continue;
    else if (o === '-V' || o === '-Version') {
      ctx.out('ip utility, iproute2-6.1.0, libbpf 1.1.2\n');
      return ctx.exit(0);
    } else {
      ctx.err(`Option "${o}" is unknown, try "ip -help".\n`);
      return ctx.exit(255);
    }
  }
  const obj = args.shift();
  if (obj === undefined || obj === 'help') {
    ctx.err('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\nwhere  OBJECT := { address | link | neighbour | route | ... }\n       OPTIONS := { -s[tatistics] | -4 | -V[ersion] }\n');
    return ctx.exit(obj === undefined ? 255 : 0);
  }
  const found = OBJECTS.find(([full]) => matches(obj, full));
  if (found === undefined) {
    ctx.err(`Object "${obj}" is unknown, try "ip help".\n`);
    return ctx.exit(1);
  }
  switch (found[1]) {
    case 'addr':
      return addr(ctx, args, stats);
    case 'link':
      return link(ctx, args, stats);
    case 'route':
      return route(ctx, args);
    default:
      return neigh(ctx, args);
  }
}

export const ip: CommandSpec<Host> = {
  name: 'ip',
  summary: 'show and change addresses, links, routes, neighbours (iproute2)',
  run,
  complete: (args) => (args.length === 0 ? ['addr', 'route', 'neigh', 'link'] : args.length === 1 ? ['show', 'add', 'del', 'set', 'get'] : []),
};
