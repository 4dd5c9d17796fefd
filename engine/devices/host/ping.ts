/**
 * ping, shaped like iputils 20221126 (Debian 12):
 *
 *   PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.
 *   64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.123 ms
 *   From 10.0.0.1 icmp_seq=2 Destination Host Unreachable
 *
 *   --- 10.0.0.2 ping statistics ---
 *   2 packets transmitted, 1 received, +1 errors, 50% packet loss, time 1001ms
 *   rtt min/avg/max/mdev = 0.123/0.123/0.123/0.000 ms, pipe 2
 *
 * Echo requests go out through the node's IP layer; replies and errors come from its raw ICMP
 * listener (onIcmp), as a raw socket sees them.
 */
import { ipv4ToString, type Ipv4Addr } from '../../wire/addr.ts';
import { ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, Icmp, parseIcmp } from '../../wire/icmp.ts';
import { IPPROTO_ICMP } from '../../wire/ipv4.ts';
import { sec, NS_PER_MS } from '../../sim/time.ts';
import { getopt, glibcGetoptMessage, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { lookupHost, parseSeconds, parseUint, type Ctx } from './util.ts';

const USAGE = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -D                 print timestamps
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -n                 no dns name resolution
  -q                 quiet output
  -s <size>          use <size> as number of data bytes to be sent
  -t <ttl>           define time to live
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

For more details see ping(8).
`;

const OPTS = [
  { name: 'count', short: 'c', arg: true },
  { name: 'interval', short: 'i', arg: true },
  { name: 'timeout', short: 'W', arg: true },
  { name: 'deadline', short: 'w', arg: true },
  { name: 'size', short: 's', arg: true },
  { name: 'ttl', short: 't', arg: true },
  { name: 'iface', short: 'I', arg: true },
  { name: 'numeric', short: 'n' },
  { name: 'quiet', short: 'q' },
  { name: 'audible', short: 'a' },
  { name: 'verbose', short: 'v' },
  { name: 'timestamps', short: 'D' },
  { name: 'v4', short: '4' },
  { name: 'help', short: 'h' },
  { name: 'version', short: 'V' },
] as const;

const UNREACH_TEXT: Record<number, string> = {
  0: 'Destination Net Unreachable',
  1: 'Destination Host Unreachable',
  2: 'Destination Protocol Unreachable',
  3: 'Destination Port Unreachable',
  4: 'Frag needed and DF set',
  5: 'Source Route Failed',
  6: 'Destination Net Unknown',
  7: 'Destination Host Unknown',
  9: 'Destination Net Prohibited',
  10: 'Destination Host Prohibited',
  13: 'Communication prohibited by filter',
};

/** iputils' time= formatting: 3, 2, 1 or 0 decimals as the value grows. */
function rttText(ns: number): string {
  const us = Math.round(ns / 1000);
  if (us >= 100_000 - 50) return `${Math.round(us / 1000)}`;
  if (us >= 10_000 - 5) return `${Math.floor((us + 50) / 1000)}.${Math.floor(((us + 50) % 1000) / 100)}`;
  if (us >= 1000) return `${Math.floor((us + 5) / 1000)}.${String(Math.floor(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

function stat3(us: number): string {
  const v = Math.round(us);
  return `${Math.floor(v / 1000)}.${String(v % 1000).padStart(3, '0')}`;
}

/** printf %g for the loss percentage. */
function gfmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function run(ctx: Ctx): void {
  const g = getopt(ctx.args, OPTS);
  if (!g.ok) {
    ctx.err(`${glibcGetoptMessage('ping', g.error)}\n${USAGE}`);
    return ctx.exit(2);
  }
  const o = g.opts;
  if (o.has('help')) {
    ctx.out(USAGE.slice(1));
    return ctx.exit(2);
  }
  if (o.has('version')) {
    ctx.out('ping from iputils 20221126\n');
    return ctx.exit(0);
  }
  const bad = (v: string | undefined): void => {
    ctx.err(`ping: invalid argument: '${v}'\n`);
    ctx.exit(1);
  };
  let count = Infinity;
  if (o.has('count')) {
    const n = parseUint(o.get('count'));
    if (n === null || n === 0) return bad(o.get('count'));
    count = n;
  }
  let interval = sec(1);
  if (o.has('interval')) {
    const s = parseSeconds(o.get('interval'));
    if (s === null) return bad(o.get('interval'));
    if (s < 0.002) {
      ctx.err('ping: cannot flood; minimal interval allowed for user is 2ms\n');
      return ctx.exit(2);
    }
    interval = Math.round(s * 1e9);
  }
  let linger = sec(10);
  if (o.has('timeout')) {
    const s = parseSeconds(o.get('timeout'));
    if (s === null) return bad(o.get('timeout'));
    linger = Math.round(s * 1e9);
  }
  let deadline = Infinity;
  if (o.has('deadline')) {
    const s = parseUint(o.get('deadline'));
    if (s === null) return bad(o.get('deadline'));
    deadline = sec(s);
  }
  let size = 56;
  if (o.has('size')) {
    const n = parseUint(o.get('size'));
    if (n === null || n > 65507) return bad(o.get('size'));
    size = n;
  }
  let ttl: number | undefined;
  if (o.has('ttl')) {
    const n = parseUint(o.get('ttl'));
    if (n === null || n > 255) {
      ctx.err(`ping: invalid argument: '${o.get('ttl')}': out of range: 0 <= value <= 255\n`);
      return ctx.exit(1);
    }
    if (n === 0) {
      ctx.err('ping: cannot set unicast time-to-live: Invalid argument\n');
      return ctx.exit(2);
    }
    ttl = n;
  }
  const quiet = o.has('quiet');
  const target = o.operands[o.operands.length - 1];
  if (target === undefined) {
    ctx.err('ping: usage error: Destination address required\n');
    return ctx.exit(1);
  }
  lookupHost(ctx, target, 'ping', (err, addr, canonical) => {
    if (err !== null) {
      ctx.err(`ping: ${target}: ${err.message}\n`);
      return ctx.exit(2);
    }
    // iputils shows the canonical name (the A record's owner after CNAMEs), or the address.
    pingLoop(ctx, addr, canonical ?? ipv4ToString(addr), { count, interval, linger, deadline, size, ttl, quiet });
  });
}

interface PingParams {
  count: number;
  interval: number;
  linger: number;
  deadline: number;
  size: number;
  ttl: number | undefined;
  quiet: boolean;
}

function pingLoop(ctx: Ctx, dst: Ipv4Addr, shown: string, p: PingParams): void {
  const host: Host = ctx.device;
  const d = ipv4ToString(dst);
  if (host.sourceAddressFor(dst) === null) {
    ctx.err('ping: connect: Network is unreachable\n');
    return ctx.exit(2);
  }
  const id = host.random('ping-id').u32() & 0xffff;
  const data = new Uint8Array(p.size);
  for (let i = 16; i < data.length; i++) data[i] = i & 0xff;
  ctx.out(`PING ${shown} (${d}) ${p.size}(${p.size + 28}) bytes of data.\n`);
  const sent = new Map<number, number>();
  let transmitted = 0;
  let received = 0;
  let errors = 0;
  let pipe = 0;
  const rtts: number[] = [];
  const start = ctx.sched.now;
  let last = start;
  let finished = false;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    const loss = transmitted === 0 ? 0 : ((transmitted - received) * 100) / transmitted;
    let s = `\n--- ${shown} ping statistics ---\n`;
    s += `${transmitted} packets transmitted, ${received} received`;
    if (errors) s += `, +${errors} errors`;
    s += `, ${gfmt(loss)}% packet loss, time ${Math.floor((last - start) / NS_PER_MS)}ms\n`;
    let comma = '';
    if (received > 0) {
      const us = rtts.map((x) => x / 1000);
      const min = Math.min(...us);
      const max = Math.max(...us);
      const avg = us.reduce((a, b) => a + b, 0) / us.length;
      const avg2 = us.reduce((a, b) => a + b * b, 0) / us.length;
      const mdev = Math.sqrt(Math.max(0, avg2 - avg * avg));
      s += `rtt min/avg/max/mdev = ${stat3(min)}/${stat3(avg)}/${stat3(max)}/${stat3(mdev)} ms`;
      comma = ', ';
    }
    if (pipe > 1) s += `${comma}pipe ${pipe}`;
    ctx.out(`${s}\n`);
    ctx.exit(received > 0 ? 0 : 1);
  };
  ctx.onInterrupt(finish);

  const maybeDone = (): void => {
    if (transmitted >= p.count && received + errors >= p.count) finish();
  };

  const listener = host.onIcmp((m) => {
    if (finished) return;
    const r = parseIcmp(m.payload, { checksum: 'ignore' });
    if (!r.ok) return;
    const icmp = r.value;
    if (m.type === ICMP_ECHO_REPLY) {
      if (icmp.id !== id || m.src !== dst) return;
      const t0 = sent.get(icmp.seq);
      if (t0 === undefined) return;
      sent.delete(icmp.seq);
      received++;
      last = ctx.sched.now;
      const rtt = ctx.sched.now - t0;
      rtts.push(rtt);
      if (!p.quiet) ctx.out(`${icmp.payload.length + 8} bytes from ${d}: icmp_seq=${icmp.seq} ttl=${m.ttl} time=${rttText(rtt)} ms\n`);
      maybeDone();
    } else if (m.type === ICMP_DEST_UNREACH || m.type === ICMP_TIME_EXCEEDED) {
      const q = icmp.quoted({ checksum: 'ignore', partial: true });
      if (!q.ok || q.value.protocol !== IPPROTO_ICMP || q.value.dst !== dst) return;
      const qi = parseIcmp(q.value.payload, { checksum: 'ignore' });
      if (!qi.ok || qi.value.type !== ICMP_ECHO_REQUEST || qi.value.id !== id) return;
      if (!sent.delete(qi.value.seq)) return;
      errors++;
      last = ctx.sched.now;
      const text = m.type === ICMP_TIME_EXCEEDED ? 'Time to live exceeded' : (UNREACH_TEXT[m.code] ?? `Dest Unreachable, Bad Code: ${m.code}`);
      if (!p.quiet) ctx.out(`From ${ipv4ToString(m.src)} icmp_seq=${qi.value.seq} ${text}\n`);
      maybeDone();
    }
  });
  ctx.onExit(() => listener.dispose());

  const sendOne = (): void => {
    if (finished) return;
    const seq = ++transmitted;
    const icmp = Icmp.echoRequest(id, seq & 0xffff, data);
    sent.set(seq & 0xffff, ctx.sched.now);
    last = ctx.sched.now;
    pipe = Math.max(pipe, sent.size);
    const res = host.sendIp({ dst, protocol: IPPROTO_ICMP, upper: [icmp], payload: data, ttl: p.ttl });
    if (res === 'no-route') {
      ctx.out('ping: sendmsg: Network is unreachable\n');
      sent.delete(seq & 0xffff);
    }
    if (transmitted < p.count) ctx.after(p.interval, sendOne);
    else ctx.after(p.linger, finish);
  };
  if (p.deadline !== Infinity) ctx.after(p.deadline, finish);
  sendOne();
}

export const ping: CommandSpec<Host> = { name: 'ping', summary: 'send ICMP echo requests (iputils)', run };
