/**
 * `ss` (iproute2 6.1.0) for TCP and UDP: -t -u -a -l -n -p and combinations (-tanp, -tuln ...).
 * Columns as ss lays them out when its output is not a terminal: each as wide as its header or its
 * widest cell, addresses right-aligned up to the ':' and ports left-aligned after it, trailing
 * spaces kept. Without -n, ports are shown by service name (`0.0.0.0:http`).
 *
 * Default state filter (no -a/-l): connected sockets only, i.e. not LISTEN, TIME-WAIT, SYN-RECV
 * (ss's SS_CONN); UDP without -a shows only connected sockets.
 */
import { SERVICE_PORTS } from '../../wire/pcap-filter.ts';
import { getopt, glibcGetoptMessage, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import type { Ctx } from './util.ts';

const OPTS = [
  { name: 'tcp', short: 't', long: 'tcp' },
  { name: 'udp', short: 'u', long: 'udp' },
  { name: 'all', short: 'a', long: 'all' },
  { name: 'listening', short: 'l', long: 'listening' },
  { name: 'numeric', short: 'n', long: 'numeric' },
  { name: 'processes', short: 'p', long: 'processes' },
  { name: 'v4', short: '4', long: 'ipv4' },
  { name: 'help', short: 'h', long: 'help' },
  { name: 'version', short: 'V', long: 'version' },
] as const;

const USAGE = `Usage: ss [ OPTIONS ]
       ss [ OPTIONS ] [ FILTER ]
   -h, --help          this message
   -V, --version       output version information
   -n, --numeric       don't resolve service names
   -a, --all           display all sockets
   -l, --listening     display listening sockets
   -p, --processes     show process using socket
   -4, --ipv4          display only IP version 4 sockets
   -t, --tcp           display only TCP sockets
   -u, --udp           display only UDP sockets
`;

const PORT_NAMES = new Map<number, string>();
for (const [n, p] of Object.entries(SERVICE_PORTS)) if (!PORT_NAMES.has(p)) PORT_NAMES.set(p, n);

interface Row {
  netid: string;
  state: string;
  recvQ: number;
  sendQ: number;
  laddr: string;
  lport: string;
  raddr: string;
  rport: string;
  proc: string;
}

function run(ctx: Ctx): void {
  const g = getopt(ctx.args, OPTS);
  if (!g.ok) {
    ctx.err(`${glibcGetoptMessage('ss', g.error)}\n${USAGE}`);
    return ctx.exit(255);
  }
  const o = g.opts;
  if (o.has('help')) {
    ctx.out(USAGE);
    return ctx.exit(0);
  }
  if (o.has('version')) {
    ctx.out('ss utility, iproute2-6.1.0\n');
    return ctx.exit(0);
  }
  const host: Host = ctx.device;
  let tcp = o.has('tcp');
  let udp = o.has('udp');
  if (!tcp && !udp) tcp = udp = true;
  const all = o.has('all');
  const listening = o.has('listening');
  const numeric = o.has('numeric');
  const port = (p: number): string => (p === 0 ? '*' : numeric ? String(p) : (PORT_NAMES.get(p) ?? String(p)));
  const fds = new Map<string, number>();
  const proc = (app: string | undefined): string => {
    if (!o.has('processes') || app === undefined) return '';
    const fd = (fds.get(app) ?? 2) + 1;
    fds.set(app, fd);
    // ss prints the process cell with a leading space and no column delimiter.
    return ` users:(("${app}",pid=${host.pidOf(app)},fd=${fd}))`;
  };
  const rows: Row[] = [];
  if (udp) {
    for (const s of host.stack.udp.sockets()) {
      const show = all || (listening ? s.state === 'UNCONN' : s.state === 'ESTAB');
      if (!show) continue;
      rows.push({ netid: 'udp', state: s.state, recvQ: s.recvQ, sendQ: s.sendQ, laddr: `${s.localAddress}:`, lport: port(s.localPort), raddr: `${s.remoteAddress}:`, rport: port(s.remotePort), proc: proc(s.app) });
    }
  }
  if (tcp) {
    for (const s of host.stack.tcp.sockets()) {
      const show = all || (listening ? s.state === 'LISTEN' : !['LISTEN', 'TIME-WAIT', 'SYN-RECV', 'CLOSE'].includes(s.state));
      if (!show) continue;
      rows.push({ netid: 'tcp', state: s.state, recvQ: s.recvQ, sendQ: s.sendQ, laddr: `${s.localAddress}:`, lport: port(s.localPort), raddr: `${s.remoteAddress}:`, rport: port(s.remotePort), proc: proc(s.app) });
    }
  }
  const withNetid = tcp && udp;
  const heads = ['Netid', 'State', 'Recv-Q', 'Send-Q', 'Local Address:', 'Port', 'Peer Address:', 'Port', 'Process'];
  const cells = rows.map((r) => [r.netid, r.state, String(r.recvQ), String(r.sendQ), r.laddr, r.lport, r.raddr, r.rport, r.proc]);
  const width = heads.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k]!.length)));
  // Alignment and the delimiter in front of each column (ss.c's columns[]).
  const right = [false, false, false, false, true, false, true, false, false];
  const delim = ['', ' ', ' ', ' ', ' ', '', ' ', '', ''];
  const line = (c: string[]): string => {
    let s = '';
    let first = true;
    for (let k = 0; k < c.length; k++) {
      if (k === 0 && !withNetid) continue;
      if (!first) s += delim[k];
      first = false;
      s += right[k] ? c[k]!.padStart(width[k]!) : c[k]!.padEnd(width[k]!);
    }
    return `${s}\n`;
  };
  ctx.out(line(heads));
  for (const c of cells) ctx.out(line(c));
  ctx.exit(0);
}

export const ss: CommandSpec<Host> = { name: 'ss', summary: 'list TCP and UDP sockets (iproute2)', run };
