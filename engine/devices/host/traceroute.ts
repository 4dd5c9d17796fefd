/**
 * traceroute, shaped like traceroute 2.1.2 (Debian 12), default UDP method:
 *
 *   traceroute to 10.3.0.10 (10.3.0.10), 30 hops max, 60 byte packets
 *    1  10.1.0.1 (10.1.0.1)  2.006 ms  2.004 ms  2.004 ms
 *    2  * * *
 *
 * Probes are UDP datagrams (32 bytes of data) to ports 33434, 33435, ... with TTL 1, 2, ...; three
 * per hop, the hop's probes sent together and answered (or timed out, 5 s) before the next hop, as
 * `traceroute -N 3` does. Answers are ICMP time exceeded / port unreachable seen by the node's raw
 * ICMP listener.
 */
import { ipv4ToString, type Ipv4Addr } from '../../wire/addr.ts';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_UNREACH_PORT, parseIcmp } from '../../wire/icmp.ts';
import { IPPROTO_UDP } from '../../wire/ipv4.ts';
import { UdpView } from '../../wire/udp.ts';
import { getopt, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { lookupHost, ms3, parseSeconds, parseUint, type Ctx } from './util.ts';

const OPTS = [
  { name: 'numeric', short: 'n' },
  { name: 'max', short: 'm', arg: true },
  { name: 'queries', short: 'q', arg: true },
  { name: 'wait', short: 'w', arg: true },
  { name: 'first', short: 'f', arg: true },
  { name: 'port', short: 'p', arg: true },
  { name: 'v4', short: '4' },
  { name: 'help', long: 'help' },
] as const;

const BASE_PORT = 33434;
const DATA_LEN = 32;

const USAGE = `Usage:
  traceroute [ -46dFITnreAUDV ] [ -f first_ttl ] [ -g gate,... ] [ -i device ] [ -m max_ttl ] [ -N squeries ] [ -p port ] [ -t tos ] [ -l flow_label ] [ -w MAX,HERE,NEAR ] [ -q nqueries ] [ -s src_addr ] [ -z sendwait ] [ --fwmark=num ] host [ packetlen ]
`;

function run(ctx: Ctx): void {
  const g = getopt(ctx.args, OPTS);
  if (!g.ok) {
    const e = g.error;
    ctx.err(e.kind === 'unknown-long' ? `Bad option \`--${e.option}' (argc 1)\n` : e.kind === 'missing-arg' ? `Option \`-${e.option}' (argc 1) requires an argument: \`-${e.option} ${e.option === 'm' ? 'max_ttl' : 'arg'}'\n` : `Bad option \`-${e.option}' (argc 1)\n`);
    return ctx.exit(2);
  }
  const o = g.opts;
  if (o.has('help')) {
    ctx.out(USAGE);
    return ctx.exit(0);
  }
  const maxTtl = o.has('max') ? parseUint(o.get('max')) : 30;
  const queries = o.has('queries') ? parseUint(o.get('queries')) : 3;
  const first = o.has('first') ? parseUint(o.get('first')) : 1;
  const wait = o.has('wait') ? parseSeconds(o.get('wait')) : 5;
  const port = o.has('port') ? parseUint(o.get('port')) : BASE_PORT;
  if (maxTtl === null || maxTtl < 1 || maxTtl > 255) {
    ctx.err(maxTtl !== null && maxTtl > 255 ? 'max hops cannot be more than 255\n' : `Cannot handle \`-m' option with arg \`${o.get('max')}' (argc 2)\n`);
    return ctx.exit(2);
  }
  if (queries === null || queries < 1 || queries > 10) {
    ctx.err('no more than 10 probes per hop\n');
    return ctx.exit(2);
  }
  if (first === null || first < 1 || first > maxTtl) {
    ctx.err('first hop out of range\n');
    return ctx.exit(2);
  }
  if (wait === null || port === null) {
    ctx.err(`Cannot handle option with arg\n`);
    return ctx.exit(2);
  }
  const target = o.operands[0];
  if (target === undefined) {
    ctx.err(USAGE);
    return ctx.exit(2);
  }
  lookupHost(ctx, target, 'traceroute', (err, addr) => {
    if (err !== null) {
      ctx.err(`${target}: ${err.message}\nCannot handle "host" cmdline arg \`${target}' on position 1 (argc ${ctx.args.length})\n`);
      return ctx.exit(2);
    }
    trace(ctx, target, addr, { maxTtl, queries, first, wait: Math.round(wait * 1e9), port, numeric: o.has('numeric') });
  });
}

interface Probe {
  readonly dport: number;
  readonly sent: number;
  from?: Ipv4Addr;
  rtt?: number;
  annot?: string;
  final?: boolean;
}

function trace(ctx: Ctx, name: string, dst: Ipv4Addr, p: { maxTtl: number; queries: number; first: number; wait: number; port: number; numeric: boolean }): void {
  const host: Host = ctx.device;
  const d = ipv4ToString(dst);
  // traceroute names the destination as given on the command line.
  ctx.out(`traceroute to ${name} (${d}), ${p.maxTtl} hops max, ${DATA_LEN + 28} byte packets\n`);
  const sock = host.stack.udp.createSocket({ app: 'traceroute' });
  sock.on('error', () => undefined);
  sock.bind();
  ctx.onExit(() => sock.close());
  let ttl = p.first;
  let nextPort = p.port + (p.first - 1) * p.queries;
  let probes: Probe[] = [];
  let pending = 0;
  let hopTimer: { cancel(): void } | null = null;

  const listener = host.onIcmp((m) => {
    if (m.type !== ICMP_TIME_EXCEEDED && m.type !== ICMP_DEST_UNREACH) return;
    const r = parseIcmp(m.payload, { checksum: 'ignore' });
    if (!r.ok) return;
    const q = r.value.quoted({ checksum: 'ignore', partial: true });
    if (!q.ok || q.value.protocol !== IPPROTO_UDP || q.value.dst !== dst) return;
    // The quote may stop 8 bytes into the UDP header (RFC 792): read just the ports.
    const u = new UdpView(q.value.payload);
    if (u.bytes.length < 8 || u.srcPort !== sock.lport) return;
    const pr = probes.find((x) => x.dport === u.dstPort && x.from === undefined);
    if (pr === undefined) return;
    pr.from = m.src;
    pr.rtt = ctx.sched.now - pr.sent;
    if (m.type === ICMP_DEST_UNREACH) {
      pr.final = true;
      pr.annot = m.code === ICMP_UNREACH_PORT ? '' : ({ 0: ' !N', 1: ' !H', 2: ' !P', 4: ' !F', 5: ' !S', 13: ' !X' } as Record<number, string>)[m.code] ?? ` !<${m.code}>`;
    }
    pending--;
    if (pending === 0) endHop();
  });
  ctx.onExit(() => listener.dispose());

  const endHop = (): void => {
    hopTimer?.cancel();
    let line = `${String(ttl).padStart(2)} `;
    let lastFrom: Ipv4Addr | undefined;
    for (const pr of probes) {
      if (pr.from === undefined) {
        line += ' *';
        continue;
      }
      if (pr.from !== lastFrom) {
        const a = ipv4ToString(pr.from);
        line += p.numeric ? ` ${a}` : ` ${a} (${a})`;
        lastFrom = pr.from;
      }
      line += `  ${ms3(pr.rtt!)} ms${pr.annot ?? ''}`;
    }
    ctx.out(`${line}\n`);
    const done = probes.some((x) => x.final) || ttl >= p.maxTtl;
    if (done) return ctx.exit(0);
    ttl++;
    startHop();
  };

  const startHop = (): void => {
    probes = [];
    pending = p.queries;
    sock.setTTL(ttl);
    for (let i = 0; i < p.queries; i++) {
      const pr: Probe = { dport: nextPort++, sent: ctx.sched.now };
      probes.push(pr);
      sock.send(new Uint8Array(DATA_LEN), pr.dport, d);
    }
    hopTimer = ctx.after(p.wait, endHop);
  };
  startHop();
}

export const traceroute: CommandSpec<Host> = { name: 'traceroute', summary: 'print the route packets take to a host', run };
