/**
 * Name resolution as glibc's getaddrinfo does it for the tools: a dotted quad as is, then
 * /etc/hosts, then DNS A queries to each `nameserver` of /etc/resolv.conf (timeout 5 s, 2 attempts:
 * resolv.conf(5) defaults). Also the single-query primitive dig and nslookup use.
 */
import { ipv4ToString, parseIpv4Addr, type Ipv4Addr } from '../../wire/addr.ts';
import { Dns, DnsRcode, DnsType, dnsQuestion, parseDns } from '../../wire/dns.ts';
import { sec, type Nanos } from '../../sim/time.ts';
import type { Ctx } from './util.ts';

export type QueryOutcome =
  | { readonly kind: 'answer'; readonly msg: Dns; readonly bytes: number; readonly rtt: Nanos }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'unreachable' };

export interface QueryOptions {
  readonly server: Ipv4Addr;
  readonly port?: number;
  readonly name: string;
  readonly type: number;
  readonly rd?: boolean;
  readonly timeout?: Nanos;
  /** Program name for `ss -p`. */
  readonly app: string;
}

/** One DNS query over UDP from a connected socket; `cb` once, unless the command ends first. */
export function dnsQuery(ctx: Ctx, o: QueryOptions, cb: (r: QueryOutcome) => void): void {
  const host = ctx.device;
  const id = host.random('dns-id').u32() & 0xffff;
  const q = new Dns({ id, rd: o.rd ?? true, questions: [dnsQuestion(o.name.replace(/\.$/, ''), o.type)] });
  const sock = host.stack.udp.createSocket({ app: o.app });
  let done = false;
  const finish = (r: QueryOutcome): void => {
    if (done) return;
    done = true;
    timer.cancel();
    sock.close();
    cb(r);
  };
  ctx.onExit(() => {
    if (!done) {
      done = true;
      timer.cancel();
      sock.close();
    }
  });
  const start = ctx.sched.now;
  sock.on('message', (msg) => {
    const r = parseDns(msg);
    if (!r.ok || r.value.id !== id || !r.value.qr) return;
    finish({ kind: 'answer', msg: r.value, bytes: msg.length, rtt: ctx.sched.now - start });
  });
  sock.on('error', (e: Error & { code?: string }) => finish(e.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'unreachable' }));
  const timer = ctx.after(o.timeout ?? sec(5), () => finish({ kind: 'timeout' }));
  sock.connect(o.port ?? 53, ipv4ToString(o.server));
  sock.send(q.encodeMessage());
}

export type ResolveOutcome = { readonly ok: true; readonly addr: Ipv4Addr; /** The name that resolved (a search-domain FQDN, or the input). */ readonly name?: string } | { readonly ok: false; readonly error: 'notfound' | 'tempfail' };

/** getaddrinfo(name) for IPv4. */
export function resolveName(ctx: Ctx, name: string, app: string, cb: (r: ResolveOutcome) => void): void {
  const direct = parseIpv4Addr(name);
  if (direct !== null) return cb({ ok: true, addr: direct });
  const host = ctx.device;
  const fromHosts = host.hostsLookup(name);
  if (fromHosts !== null) {
    const a = parseIpv4Addr(fromHosts);
    if (a !== null) return cb({ ok: true, addr: a });
  }
  const servers = host.nameservers().map(parseIpv4Addr).filter((a): a is Ipv4Addr => a !== null);
  if (servers.length === 0 || !/^[A-Za-z0-9._-]+$/.test(name)) return cb({ ok: false, error: servers.length === 0 ? 'tempfail' : 'notfound' });
  // resolv.conf search with ndots:1: a dotless name is tried with each search domain first.
  const search = host.searchDomains();
  const candidates = name.endsWith('.') ? [name.slice(0, -1)] : name.includes('.') ? [name, ...search.map((d) => `${name}.${d}`)] : [...search.map((d) => `${name}.${d}`), name];
  let sawTimeout = false;
  const tryName = (k: number): void => {
    if (k >= candidates.length) return cb({ ok: false, error: sawTimeout ? 'tempfail' : 'notfound' });
    let attempt = 0;
    const tries = servers.length * 2;
    const next = (): void => {
      if (attempt >= tries) {
        sawTimeout = true;
        return tryName(k + 1);
      }
      const server = servers[attempt % servers.length]!;
      attempt++;
      dnsQuery(ctx, { server, name: candidates[k]!, type: DnsType.A, app }, (r) => {
        if (r.kind !== 'answer') return next();
        if (r.msg.rcode === DnsRcode.NXDOMAIN || r.msg.rcode === DnsRcode.REFUSED) return tryName(k + 1);
        if (r.msg.rcode !== DnsRcode.NOERROR) return next();
        const a = r.msg.answers.find((x) => x.data.kind === 'A');
        if (a === undefined || a.data.kind !== 'A') return tryName(k + 1);
        cb({ ok: true, addr: a.data.address, name: candidates[k]! });
      });
    };
    next();
  };
  tryName(0);
}
