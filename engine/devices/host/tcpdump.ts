/**
 * tcpdump (4.99.3 / libpcap 1.10.3): -i IFACE|any, -n/-nn, -c N, -e, -X/-XX, -v/-vv/-vvv, -p, and
 * a pcap-filter expression. Lines are `HH:MM:SS.uuuuuu <summary>` in virtual time; with `-i any`
 * the Linux cooked v2 form `eth0  Out IP ...`. With -v a packet may take several lines (IP header,
 * then the upper layer indented; an ICMP error's quoted datagram), as summarizeFrame composes them.
 * Captures from the NIC tap (promiscuous unless -p) until -c frames matched or Ctrl-C, then the
 * counts on stderr.
 *
 * Lines are always numeric (the summary is tcpdump -nn's); -n is accepted for familiarity.
 */
import { parseEthernet } from '../../wire/ethernet.ts';
import { compileFilter, filterErrorText } from '../../wire/pcap-filter.ts';
import { summarizeFrame } from '../../wire/summary.ts';
import { parseIpv4Addr } from '../../wire/addr.ts';
import type { Interface } from '../../net/interface.ts';
import { getopt, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { parseUint, timeOfDay, type Ctx } from './util.ts';

const OPTS = [
  { name: 'iface', short: 'i', long: 'interface', arg: true },
  { name: 'count', short: 'c', arg: true },
  { name: 'numeric', short: 'n' },
  { name: 'link', short: 'e' },
  { name: 'hex', short: 'X' },
  { name: 'verbose', short: 'v' },
  { name: 'nopromisc', short: 'p', long: 'no-promiscuous-mode' },
  { name: 'quiet', short: 'q' },
  { name: 'snaplen', short: 's', arg: true },
  { name: 'list', short: 'D', long: 'list-interfaces' },
  { name: 'unbuffered', short: 'l' },
  { name: 'version', long: 'version' },
  { name: 'help', short: 'h', long: 'help' },
] as const;

const VERSION = 'tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.11 19 Sep 2023\n';
const USAGE = `${VERSION}Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
`;

/** tcpdump's hex_and_ascii_print: `\t0x0000:  4500 0054 ...  E..T..`. */
function hexDump(b: Uint8Array): string {
  let s = '';
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    let hex = '';
    let asc = '';
    for (let k = 0; k < row.length; k++) {
      if (k % 2 === 0) hex += ' ';
      hex += row[k]!.toString(16).padStart(2, '0');
      const c = row[k]!;
      asc += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    s += `\t0x${off.toString(16).padStart(4, '0')}: ${hex.padEnd(40)}  ${asc}\n`;
  }
  return s;
}

function run(ctx: Ctx): void {
  const g = getopt(ctx.args, OPTS);
  if (!g.ok) {
    const e = g.error;
    const msg =
      e.kind === 'unknown-short' ? `tcpdump: invalid option -- '${e.option}'` : e.kind === 'unknown-long' ? `tcpdump: unrecognized option '--${e.option}'` : e.kind === 'missing-arg' ? `tcpdump: option requires an argument -- '${e.option}'` : `tcpdump: option '--${e.option}' doesn't allow an argument`;
    ctx.err(`${msg}\n${USAGE}`);
    return ctx.exit(1);
  }
  const o = g.opts;
  const host: Host = ctx.device;
  if (o.has('version') || o.has('help')) {
    ctx.out(o.has('help') ? USAGE : VERSION);
    return ctx.exit(0);
  }
  if (o.has('list')) {
    host.interfaces().forEach((i, k) => ctx.out(`${k + 1}.${i.name}${i.loopback ? ' [Up, Running, Loopback]' : ` [Up, Running, Connected]`}\n`));
    ctx.out(`${host.interfaces().length + 1}.any (Pseudo-device that captures on all interfaces) [Up, Running]\n`);
    return ctx.exit(0);
  }
  let count = Infinity;
  if (o.has('count')) {
    const n = parseUint(o.get('count'));
    if (n === null || n === 0) {
      ctx.err(`tcpdump: invalid packet count ${o.get('count')}\n`);
      return ctx.exit(1);
    }
    count = n;
  }
  let ifs: Interface[];
  const name = o.get('iface');
  const any = name === 'any';
  if (any) ifs = [...host.interfaces()];
  else if (name !== undefined) {
    const i = host.findInterface(name);
    if (i === undefined) {
      ctx.err(`tcpdump: ${name}: No such device exists\n(No such device exists)\n`);
      return ctx.exit(1);
    }
    ifs = [i];
  } else {
    const i = host.interfaces().find((x) => !x.loopback && x.up);
    if (i === undefined) {
      ctx.err('tcpdump: no suitable device found\n');
      return ctx.exit(1);
    }
    ifs = [i];
  }
  const filterText = o.operands.join(' ');
  const f = compileFilter(filterText, {
    resolveHost: (n) => {
      const a = host.resolver().hostsEntry(n)?.[0];
      return a === undefined ? null : parseIpv4Addr(a);
    },
  });
  if (!f.ok) {
    ctx.err(`tcpdump: ${filterErrorText(f.error)}\n`);
    return ctx.exit(1);
  }
  const match = f.value;
  if (!ifs[0]!.up && !any) {
    ctx.err(`tcpdump: ${ifs[0]!.name}: That device is not up\n`);
    return ctx.exit(1);
  }
  const verbose = o.count('verbose');
  if (verbose === 0) ctx.err('tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n');
  ctx.err(
    any
      ? 'listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n'
      : `listening on ${ifs[0]!.name}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n`,
  );
  const link = o.has('link');
  const hexMode = o.count('hex');
  const promisc = !o.has('nopromisc');
  let captured = 0;
  let seen = 0;
  let stopped = false;
  const stop = (interrupted: boolean): void => {
    if (stopped) return;
    stopped = true;
    if (interrupted) ctx.err('\n');
    ctx.err(`${captured} packet${captured === 1 ? '' : 's'} captured\n${seen} packet${seen === 1 ? '' : 's'} received by filter\n0 packets dropped by kernel\n`);
    ctx.exit(0);
  };
  ctx.onInterrupt(() => stop(true));
  for (const iface of ifs) {
    const tap = iface.addTap((frame, dir) => {
      if (stopped) return;
      const group = frame.length > 0 && (frame[0]! & 1) === 1;
      const eth = parseEthernet(frame);
      const ours = eth.ok && eth.value.dst === iface.mac;
      if (dir === 'in' && !promisc && !group && !ours && !iface.loopback) return;
      if (!match(frame)) return;
      seen++;
      captured++;
      let line = timeOfDay(ctx.sched.now) + ' ';
      if (any) {
        const kind = dir === 'out' ? 'Out' : iface.loopback ? 'In' : group ? (eth.ok && eth.value.dst === 0xffff_ffff_ffff ? 'B' : 'M') : ours ? 'In' : 'P';
        line += `${iface.name.padEnd(5)} ${kind.padEnd(3)} `;
      }
      line += summarizeFrame(frame, { linkHeader: link && !any, verbose });
      ctx.out(`${line}\n`);
      if (hexMode > 0) ctx.out(hexDump(hexMode > 1 || !eth.ok ? frame : eth.value.payload));
      if (captured >= count) stop(false);
    });
    ctx.onExit(() => tap.dispose());
  }
}

export const tcpdump: CommandSpec<Host> = { name: 'tcpdump', summary: 'capture and print packets on an interface', run };
