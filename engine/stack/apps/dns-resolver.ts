/**
 * A stub resolver shaped after glibc's (resolv.conf + nsswitch `hosts: files dns`), for ping, curl and
 * dig on emulated hosts. Callbacks run inside scheduler events; nothing uses promises.
 *
 * glibc behaviour followed (resolv/res_send.c, res_query.c, resolv.conf(5)):
 * - /etc/hosts first (`files` before `dns`); IP literals need no lookup.
 * - Nameservers in order (at most 3, MAXNS), `attempts` rounds over them (default 2), each query on a
 *   fresh connected UDP socket from a random port with a random ID. The wait for server index i is
 *   `timeout << i`, divided by the server count for i > 0 (send_dg), at least 1 s; default timeout 5 s.
 * - A reply is taken only from the server asked, with the query's ID and question; anything else is
 *   ignored and the wait goes on. SERVFAIL, NOTIMP and REFUSED move on to the next server; NXDOMAIN and
 *   answers end the query. ICMP port unreachable (ECONNREFUSED on the connected socket) moves on at once.
 * - `rotate` off by default; `search` domains with `ndots` (default 1), as res_search: a name with at
 *   least ndots dots is tried as is first, a trailing dot means only as is.
 * - Only A records are asked for (the labs are IPv4); `lookup` fails with ENOTFOUND ("Name or service
 *   not known") on NXDOMAIN or no address, ETIMEOUT ("Temporary failure in name resolution") when no
 *   server answered, ESERVFAIL/EREFUSED when the servers refused.
 *
 * `query` is dig's path: one message to the chosen (or first) server, dig's defaults (timeout 5 s,
 * 3 tries, RD set), returning the whole response, the server used, the query time in virtual ms
 * (truncated, as dig prints it) and the message size; each failed send is reported as dig's
 * "communications error" reason.
 */
import type { Timer } from '../../sim/scheduler.ts';
import type { RandomStream } from '../../sim/random.ts';
import { ipv4ToString, parseIpv4Addr } from '../../wire/addr.ts';
import { Dns, DnsRcode, DnsType, dnsNameLabels, dnsQuestion, parseDns } from '../../wire/dns.ts';
import type { Stack } from '../index.ts';
import type { UdpSocket } from '../udp.ts';
import type { HostResolver, ResolveFailure } from './http-client.ts';

const MS = 1_000_000;

export interface DnsResolverOptions {
  /** resolv.conf nameserver lines (dotted quads; at most 3 are used). */
  readonly nameservers?: readonly string[];
  /** options timeout:N, ms (default 5000). */
  readonly timeoutMs?: number;
  /** options attempts:N (default 2). */
  readonly attempts?: number;
  /** options rotate (default false). */
  readonly rotate?: boolean;
  /** search line. */
  readonly search?: readonly string[];
  /** options ndots:N (default 1). */
  readonly ndots?: number;
  /** /etc/hosts: name → addresses (see parseHostsFile). */
  readonly hosts?: Readonly<Record<string, string | readonly string[]>>;
  /** Server port (default 53). */
  readonly port?: number;
  /** Program owning the query sockets (`ss -p`); default 'resolver'. */
  readonly app?: string;
}

/** Per-call options of `lookup`. */
export interface LookupOptions {
  /** Program owning the query sockets (`ss -p`), e.g. 'ping'. */
  readonly app?: string;
}

/** `lookup`'s callback: addresses, and the canonical name (the A records' owner after CNAMEs). */
export type LookupCallback = (err: LookupError | null, addresses: readonly string[], canonicalName?: string) => void;

export interface LookupError extends ResolveFailure {
  readonly code: 'ENOTFOUND' | 'ETIMEOUT' | 'ESERVFAIL' | 'EREFUSED' | 'EBADNAME';
}

export interface DnsQueryOptions {
  /** Server to ask (dig @server); default the first nameserver. */
  readonly server?: string;
  readonly port?: number;
  /** dig +time (default 5000 ms). */
  readonly timeoutMs?: number;
  /** dig +tries (default 3). */
  readonly tries?: number;
  /** dig +[no]recurse (default true). */
  readonly rd?: boolean;
  readonly type?: number;
  /** Program owning the query socket (`ss -p`). */
  readonly app?: string;
  /** Each send that got no answer: dig's `;; communications error to SERVER#PORT: REASON`. */
  readonly onSendFailed?: (f: { readonly server: string; readonly port: number; readonly reason: SendFailure }) => void;
}

/** dig's texts for a send without an answer. */
export type SendFailure = 'timed out' | 'connection refused' | 'host unreachable' | 'network unreachable';

export interface DnsQueryResult {
  readonly message: Dns;
  /** The server that answered and its port (dig's SERVER line). */
  readonly server: string;
  readonly port: number;
  /** Virtual ms from the send that was answered to the answer (dig's Query time). */
  readonly queryTimeMs: number;
  /** Bytes received (dig's MSG SIZE rcvd). */
  readonly size: number;
  /** The raw response bytes. */
  readonly bytes: Uint8Array;
  /** Sends made (1 + retries). */
  readonly sends: number;
}

export interface DnsQueryFailure {
  /** 'ETIMEOUT' when no reply came (dig: "connection timed out; no servers could be reached"). */
  readonly code: 'ETIMEOUT' | 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EBADNAME';
  /** For EBADNAME on the query name, BIND's reason ('empty label', 'label too long', 'ran out of space'). */
  readonly message: string;
  readonly sends: number;
}

export interface DnsResolverStats {
  lookups: number;
  queriesSent: number;
  timeouts: number;
  answers: number;
  refusedIcmp: number;
  ignored: number;
  hostsHits: number;
}

/** Parses /etc/hosts text: `address name [aliases...]`, `#` comments. IPv4 lines only. */
export function parseHostsFile(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [addr, ...names] = line.split(/\s+/);
    if (addr === undefined || parseIpv4Addr(addr) === null) continue;
    for (const n of names) (out[n.toLowerCase()] ??= []).push(addr);
  }
  return out;
}

/** BIND's reason when `name` is no DNS name, else null. */
export function dnsNameProblem(name: string): string | null {
  try {
    dnsNameLabels(name);
    return null;
  } catch (e) {
    const m = e instanceof Error ? e.message : '';
    return /empty label/.test(m) ? 'empty label' : /label over/.test(m) ? 'label too long' : /on the wire/.test(m) ? 'ran out of space' : 'bad escape';
  }
}

const SEND_FAILURE: Record<string, SendFailure> = { ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable' };

/** One outstanding query to one server. */
interface Exchange {
  sock: UdpSocket;
  timer: Timer | null;
  done: boolean;
}

export interface QueryHandle {
  cancel(): void;
}

export class DnsResolver implements HostResolver {
  readonly stats: DnsResolverStats = { lookups: 0, queriesSent: 0, timeouts: 0, answers: 0, refusedIcmp: 0, ignored: 0, hostsHits: 0 };
  nameservers: string[];
  timeoutMs: number;
  attempts: number;
  rotate: boolean;
  search: string[];
  ndots: number;
  readonly port: number;
  readonly app: string;
  private hosts = new Map<string, string[]>();
  private readonly rng: RandomStream;
  private rotateNext = 0;

  constructor(
    readonly stack: Stack,
    o: DnsResolverOptions = {},
  ) {
    this.nameservers = [...(o.nameservers ?? [])].slice(0, 3);
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.attempts = o.attempts ?? 2;
    this.rotate = o.rotate ?? false;
    this.search = [...(o.search ?? [])];
    this.ndots = o.ndots ?? 1;
    this.port = o.port ?? 53;
    this.app = o.app ?? 'resolver';
    this.setHosts(o.hosts ?? {});
    this.rng = stack.udp.host.random('resolver');
  }

  private get sched() {
    return this.stack.udp.host.sched;
  }

  setHosts(table: Readonly<Record<string, string | readonly string[]>>): void {
    this.hosts = new Map();
    for (const [k, v] of Object.entries(table)) this.hosts.set(k.toLowerCase().replace(/\.$/, ''), typeof v === 'string' ? [v] : [...v]);
  }

  /** The /etc/hosts addresses of `name`, if it has an entry (no DNS). */
  hostsEntry(name: string): readonly string[] | undefined {
    return this.hosts.get(name.toLowerCase().replace(/\.$/, ''));
  }

  /** getaddrinfo-like: IPv4 addresses of `name`. */
  lookup(name: string, cb: LookupCallback, opts: LookupOptions = {}): QueryHandle {
    this.stats.lookups++;
    const sched = this.sched;
    let cancelled = false;
    let inner: QueryHandle | null = null;
    const done = (err: LookupError | null, a: readonly string[], canonical?: string): void => {
      if (!cancelled) cb(err, a, canonical);
    };
    const handle: QueryHandle = {
      cancel: () => {
        cancelled = true;
        inner?.cancel();
      },
    };
    if (parseIpv4Addr(name) !== null) {
      sched.after(0, () => done(null, [name]), 'resolver');
      return handle;
    }
    const key = name.toLowerCase().replace(/\.$/, '');
    const h = this.hosts.get(key);
    if (h !== undefined) {
      this.stats.hostsHits++;
      sched.after(0, () => done(null, h, name), 'resolver');
      return handle;
    }
    if (key === '' || key.length > 253 || dnsNameProblem(key) !== null) {
      sched.after(0, () => done({ code: 'EBADNAME', message: 'Name or service not known' }, []), 'resolver');
      return handle;
    }
    const cands = this.candidates(name);
    let worst: LookupError | null = null;
    const tryNext = (i: number): void => {
      if (cancelled) return;
      if (i >= cands.length) {
        done(worst ?? { code: 'ENOTFOUND', message: 'Name or service not known' }, []);
        return;
      }
      if (dnsNameProblem(cands[i]!) !== null) return tryNext(i + 1);
      inner = this.resolveOne(cands[i]!, opts.app ?? this.app, (err, addrs, canonical) => {
        if (err === null && addrs.length > 0) return done(null, addrs, canonical);
        // res_search: a timeout or server failure is remembered over "not found" (glibc got_servfail).
        if (err !== null && (worst === null || err.code !== 'ENOTFOUND')) worst = err;
        else if (worst === null) worst = { code: 'ENOTFOUND', message: 'Name or service not known' };
        tryNext(i + 1);
      });
    };
    tryNext(0);
    return handle;
  }

  /** res_search's list of names to try. */
  private candidates(name: string): string[] {
    if (name.endsWith('.')) return [name.slice(0, -1)];
    const dots = name.split('.').length - 1;
    const searched = this.search.map((d) => `${name}.${d.replace(/\.$/, '')}`);
    return dots >= this.ndots ? [name, ...searched] : [...searched, name];
  }

  /** res_send for one name: A records, glibc's server order and timeouts. */
  private resolveOne(name: string, app: string, cb: (err: LookupError | null, addrs: string[], canonical?: string) => void): QueryHandle {
    const servers = this.nameservers;
    const n = servers.length;
    let cancelled = false;
    let current: Exchange | null = null;
    const handle: QueryHandle = {
      cancel: () => {
        cancelled = true;
        if (current !== null) this.closeExchange(current);
      },
    };
    if (n === 0) {
      this.sched.after(0, () => !cancelled && cb({ code: 'ETIMEOUT', message: 'Temporary failure in name resolution' }, []), 'resolver');
      return handle;
    }
    const first = this.rotate ? this.rotateNext++ % n : 0;
    let tries = 0;
    let idx = 0;
    let sawRefusal: LookupError | null = null;
    const step = (): void => {
      if (cancelled) return;
      if (idx >= n) {
        idx = 0;
        tries++;
      }
      if (tries >= this.attempts) {
        cb(sawRefusal ?? { code: 'ETIMEOUT', message: 'Temporary failure in name resolution' }, []);
        return;
      }
      const ns = idx;
      idx++;
      const server = servers[(first + ns) % n]!;
      // glibc send_dg: seconds = retrans << ns; if (ns > 0) seconds /= nscount; at least 1.
      // resolv.conf timeouts are whole seconds, so the division rounds down to a second.
      let wait = this.timeoutMs * 2 ** ns;
      if (ns > 0) wait = Math.floor(wait / n / 1000) * 1000;
      wait = Math.max(wait, 1000);
      current = this.exchange(server, this.port, name, DnsType.A, true, wait, app, (r) => {
        current = null;
        if (cancelled) return;
        if (r.kind === 'timeout') {
          this.stats.timeouts++;
          return step();
        }
        if (r.kind === 'error') return step();
        const m = r.message;
        if (m.rcode === DnsRcode.SERVFAIL || m.rcode === DnsRcode.NOTIMP || m.rcode === DnsRcode.REFUSED) {
          sawRefusal = { code: m.rcode === DnsRcode.REFUSED ? 'EREFUSED' : 'ESERVFAIL', message: 'Temporary failure in name resolution' };
          return step();
        }
        if (m.rcode === DnsRcode.NXDOMAIN) return cb({ code: 'ENOTFOUND', message: 'Name or service not known' }, []);
        const addrs: string[] = [];
        let canonical: string | undefined;
        for (const rr of m.answers) {
          if (rr.data.kind !== 'A') continue;
          addrs.push(ipv4ToString(rr.data.address));
          canonical ??= rr.name.replace(/\.$/, '');
        }
        if (addrs.length === 0) return cb({ code: 'ENOTFOUND', message: 'Name or service not known' }, []);
        cb(null, addrs, canonical);
      });
    };
    step();
    return handle;
  }

  /**
   * dig: one query to `server` (default the first nameserver), retried `tries` times on timeout.
   * The callback gets the whole response, or a failure.
   */
  query(name: string, cb: (err: DnsQueryFailure | null, r: DnsQueryResult | null) => void, o: DnsQueryOptions = {}): QueryHandle {
    const server = o.server ?? this.nameservers[0];
    const port = o.port ?? this.port;
    const tries = o.tries ?? 3;
    const wait = o.timeoutMs ?? 5000;
    let sends = 0;
    let cancelled = false;
    let current: Exchange | null = null;
    const handle: QueryHandle = {
      cancel: () => {
        cancelled = true;
        if (current !== null) this.closeExchange(current);
      },
    };
    if (server === undefined || parseIpv4Addr(server) === null) {
      this.sched.after(0, () => !cancelled && cb({ code: 'EBADNAME', message: `couldn't get address for '${server ?? ''}': not found`, sends: 0 }, null), 'resolver');
      return handle;
    }
    const bad = dnsNameProblem(name);
    if (bad !== null) {
      this.sched.after(0, () => !cancelled && cb({ code: 'EBADNAME', message: bad, sends: 0 }, null), 'resolver');
      return handle;
    }
    const attempt = (): void => {
      if (cancelled) return;
      if (sends >= tries) {
        cb({ code: 'ETIMEOUT', message: 'connection timed out; no servers could be reached', sends }, null);
        return;
      }
      sends++;
      const sentAt = this.sched.now;
      current = this.exchange(server, port, name, o.type ?? DnsType.A, o.rd ?? true, wait, o.app ?? this.app, (r) => {
        current = null;
        if (cancelled) return;
        if (r.kind === 'timeout') {
          this.stats.timeouts++;
          o.onSendFailed?.({ server, port, reason: 'timed out' });
          return attempt();
        }
        if (r.kind === 'error') {
          // dig reports "communications error to SERVER#53: connection refused" and tries again.
          const reason = SEND_FAILURE[r.code] ?? 'connection refused';
          o.onSendFailed?.({ server, port, reason });
          const code = r.code === 'ENETUNREACH' || r.code === 'EHOSTUNREACH' ? r.code : 'ECONNREFUSED';
          if (sends >= tries) return cb({ code, message: `communications error to ${server}#${port}: ${reason}`, sends }, null);
          return attempt();
        }
        // dig: microseconds / 1000, truncated.
        cb(null, { message: r.message, server, port, queryTimeMs: Math.floor((this.sched.now - sentAt) / MS), size: r.bytes.length, bytes: r.bytes, sends });
      });
    };
    attempt();
    return handle;
  }

  /** Sends one query on a fresh connected socket and waits `waitMs` for the matching reply. */
  private exchange(
    server: string,
    port: number,
    name: string,
    type: number,
    rd: boolean,
    waitMs: number,
    app: string,
    cb: (r: { kind: 'answer'; message: Dns; bytes: Uint8Array } | { kind: 'timeout' } | { kind: 'error'; code: string }) => void,
  ): Exchange {
    const sched = this.sched;
    const id = this.rng.int(0, 0xffff);
    const q = new Dns({ id, rd, questions: [dnsQuestion(name, type)] });
    const sock = this.stack.udp.createSocket({ type: 'udp4', app });
    const ex: Exchange = { sock, timer: null, done: false };
    const finish = (r: Parameters<typeof cb>[0]): void => {
      if (ex.done) return;
      this.closeExchange(ex);
      cb(r);
    };
    sock.on('message', (msg, rinfo) => {
      if (ex.done) return;
      const p = parseDns(msg);
      const qq = p.ok ? p.value.questions[0] : undefined;
      // res_send's checks: from the server asked, a response, our ID, our question (res_queriesmatch).
      if (
        rinfo.address !== server ||
        rinfo.port !== port ||
        !p.ok ||
        !p.value.qr ||
        p.value.id !== id ||
        (qq !== undefined && (qq.name.toLowerCase().replace(/\.$/, '') !== name.toLowerCase().replace(/\.$/, '') || qq.type !== type))
      ) {
        this.stats.ignored++;
        return;
      }
      this.stats.answers++;
      finish({ kind: 'answer', message: p.value, bytes: msg.slice() });
    });
    sock.on('error', (e) => {
      const code = (e as { code?: string }).code ?? 'ECONNREFUSED';
      if (code === 'ECONNREFUSED') this.stats.refusedIcmp++;
      finish({ kind: 'error', code });
    });
    sock.connect(port, server);
    sock.send(q.encode());
    this.stats.queriesSent++;
    ex.timer = sched.after(waitMs * MS, () => {
      ex.timer = null;
      finish({ kind: 'timeout' });
    }, 'resolver timeout');
    return ex;
  }

  private closeExchange(ex: Exchange): void {
    ex.done = true;
    ex.timer?.cancel();
    ex.timer = null;
    ex.sock.close();
  }
}

