/**
 * An HTTP/1.1 client with curl's semantics, for the `curl` console command and lab traffic actions.
 *
 * Everything is callback-driven inside scheduler events (no promises). A request goes through the
 * phases `curl -v` prints (DNS cache, trying addr:port, connected, request head sent, response head,
 * body, connection left intact / closing) with virtual-time stamps, and ends exactly once with a
 * result carrying curl's exit code and message (curl 7.88.1, the Debian 12 build):
 *   0 ok; 1 unsupported protocol or a non-HTTP reply; 3 bad URL; 6 could not resolve host; 7 failed
 *   to connect (every address refused or unreachable, or the OS connect timed out); 8 weird server
 *   reply; 18 transfer closed with data outstanding; 22 HTTP error with --fail; 28 timeout
 *   (--connect-timeout, covering name lookup and connect, or --max-time); 52 empty reply from server;
 *   56 recv failure (connection reset).
 *
 * curl behaviour followed: addresses are tried in order within one connect timeout (default 300 s,
 * curl's DEFAULT_CONNECT_TIMEOUT); `--resolve host:port:addr` entries are added to the DNS cache up
 * front and bypass the resolver; the request head is Host (a custom Host value in its place),
 * User-Agent and Accept unless given by -H, the -H headers in order (an empty value only removes an
 * internal one), then Content-Length and Content-Type for a body unless given; with a connection cache
 * (HttpAgent) a persistent connection is reused by host name and port before any name lookup, and a
 * reused connection that dies before the first response byte is retried once on a fresh connection;
 * without one the connection is closed when the transfer ends, after the "left intact" line, as curl
 * does on exit. Responses are framed per RFC 9112 §6.3 by engine/wire's parser.
 *
 * `curlWriteOut` expands `-w` formats and `curlProgressMeter` gives the final progress-meter lines.
 */
import type { Nanos } from '../../sim/time.ts';
import type { Timer } from '../../sim/scheduler.ts';
import { parseIpv4Addr } from '../../wire/addr.ts';
import { encodeHead, HttpHeaders, HttpParser, HttpRequest, type HttpResponse } from '../../wire/http.ts';
import type { Stack } from '../index.ts';
import type { TcpSocket } from '../tcp.ts';
import { parseServerPage } from './http-server.ts';

const MS = 1_000_000;

/** Name → IPv4 addresses (the DNS stub resolver, or a static table). */
export interface HostResolver {
  lookup(name: string, cb: (err: ResolveFailure | null, addresses: readonly string[]) => void, opts?: { readonly app?: string }): { cancel(): void } | void;
}

export interface ResolveFailure {
  /** e.g. 'ENOTFOUND', 'ETIMEOUT'. */
  readonly code: string;
  readonly message: string;
}

/** A resolver over a fixed table (like /etc/hosts); answers in a later scheduler event. */
export function staticResolver(stack: Stack, table: Readonly<Record<string, string | readonly string[]>>): HostResolver {
  const map = new Map<string, readonly string[]>();
  for (const [k, v] of Object.entries(table)) map.set(k.toLowerCase(), typeof v === 'string' ? [v] : v);
  return {
    lookup(name, cb) {
      const a = map.get(name.toLowerCase().replace(/\.$/, ''));
      stack.tcp.sched.after(0, () => (a === undefined ? cb({ code: 'ENOTFOUND', message: 'Name or service not known' }, []) : cb(null, a)), 'resolver');
    },
  };
}

export type HttpPhaseKind =
  | 'dns-cache'
  | 'resolving'
  | 'resolved'
  | 'trying'
  | 'connect-failed'
  | 'connected'
  | 'reused'
  | 'request-sent'
  | 'response-head'
  | 'body'
  | 'left-intact'
  | 'closing'
  | 'retry'
  | 'error';

/** One step of a transfer, with the lines `curl -v` prints for it ('*', '>', '<', '{' prefixed). */
export interface HttpPhase {
  readonly time: Nanos;
  readonly kind: HttpPhaseKind;
  readonly lines: readonly string[];
}

export interface ResolveEntry {
  readonly host: string;
  readonly port: number;
  readonly addr: string;
}

export interface HttpRequestOptions {
  readonly url: string;
  /** Default GET (POST when a body is given, as `curl -d`); HEAD for `curl -I`. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** curl -d: sent with Content-Length and, unless given, Content-Type application/x-www-form-urlencoded. */
  readonly body?: string | Uint8Array;
  /** curl --resolve host:port:addr (each entry is announced; the one matching the URL is used). */
  readonly resolve?: ResolveEntry | ReadonlyArray<ResolveEntry>;
  /** curl --connect-timeout (name lookup + connect), ms; default 300 000. */
  readonly connectTimeoutMs?: number;
  /** curl --max-time, ms; 0 or absent: none. */
  readonly maxTimeMs?: number;
  /** curl -f: an HTTP status >= 400 ends the transfer with exit code 22. */
  readonly failOnError?: boolean;
  /** Connection cache: reuse persistent connections across requests (curl's within one run). */
  readonly agent?: HttpAgent;
  readonly localAddress?: string;
}

export interface HttpTimings {
  /** ns from the start, as curl -w time_namelookup, time_connect, time_pretransfer, time_starttransfer, time_total. */
  namelookup: Nanos;
  connect: Nanos;
  pretransfer: Nanos;
  starttransfer: Nanos;
  total: Nanos;
}

export interface HttpResult {
  /** curl's exit code (0 on success, whatever the HTTP status). */
  readonly exitCode: number;
  /** `curl: (N) message` on failure. */
  readonly error?: string;
  /** The request as sent: method and the effective URL (curl -w url_effective). */
  readonly method: string;
  readonly url: string;
  /** The response; on a failure after the response head arrived, that head (curl still knows the status). */
  readonly response?: HttpResponse;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** curl's connection number (#N). */
  readonly connectionId: number;
  readonly reused: boolean;
  /** A new connection was made (curl -w num_connects). */
  readonly connected: boolean;
  readonly timings: HttpTimings;
  /** Bytes received on the connection for this transfer. */
  readonly bytesReceived: number;
  /** Body bytes received (curl -w size_download). */
  readonly sizeDownload: number;
  /** Bytes of the request sent (curl -w size_request: the head; size_upload: the body). */
  readonly sizeRequest: number;
  readonly sizeUpload: number;
  readonly phases: readonly HttpPhase[];
}

export interface HttpRequestCallbacks {
  onPhase?(p: HttpPhase): void;
  onResponse?(res: HttpResponse): void;
  /** Called once, always. */
  onDone(r: HttpResult): void;
}

export interface HttpRequestHandle {
  /** Aborts the transfer (exit code 42, as an aborting curl callback). */
  cancel(): void;
  readonly done: boolean;
}

/** The `curl -v` transcript of a finished transfer, then the error line if any. */
export function curlVerbose(r: HttpResult): string[] {
  const out: string[] = [];
  for (const p of r.phases) out.push(...p.lines);
  if (r.error !== undefined) out.push(r.error);
  return out;
}

/** Seconds with six decimals from ns, as curl -w prints times. */
function secs6(ns: Nanos): string {
  const us = Math.floor(ns / 1000);
  return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
}

/** curl -w: `%{var}`, `%header{name}`, `%%`, and `\n` `\r` `\t` escapes; unknown variables are warned about. */
export function curlWriteOut(format: string, r: HttpResult): { readonly text: string; readonly warnings: readonly string[] } {
  const res = r.response;
  const t = r.timings;
  const code = String(res?.status ?? 0).padStart(3, '0');
  const vars: Record<string, () => string> = {
    http_code: () => code,
    response_code: () => code,
    http_version: () => (res === undefined ? '0' : res.version.replace(/^HTTP\//, '')),
    method: () => r.method,
    url_effective: () => r.url,
    url: () => r.url,
    scheme: () => 'HTTP',
    content_type: () => res?.headers.get('content-type') ?? '',
    remote_ip: () => r.remoteAddress ?? '',
    remote_port: () => String(r.remotePort ?? 0),
    local_ip: () => r.localAddress ?? '',
    local_port: () => String(r.localPort ?? 0),
    num_connects: () => (r.connected ? '1' : '0'),
    size_download: () => String(r.sizeDownload),
    size_request: () => String(r.sizeRequest),
    size_upload: () => String(r.sizeUpload),
    speed_download: () => String(t.total > 0 ? Math.floor((r.sizeDownload * 1e9) / t.total) : 0),
    time_namelookup: () => secs6(t.namelookup),
    time_connect: () => secs6(t.connect),
    time_pretransfer: () => secs6(t.pretransfer),
    time_starttransfer: () => secs6(t.starttransfer),
    time_total: () => secs6(t.total),
    exitcode: () => String(r.exitCode),
    errormsg: () => (r.error ?? '').replace(/^curl: \(\d+\) /, ''),
  };
  const warnings: string[] = [];
  let text = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && format[i + 1] === '%') {
      text += '%';
      i++;
    } else if (c === '%' && (format.startsWith('{', i + 1) || format.startsWith('header{', i + 1))) {
      const open = format.indexOf('{', i);
      const close = format.indexOf('}', open);
      if (close < 0) {
        text += format.slice(i);
        break;
      }
      const name = format.slice(open + 1, close);
      if (open > i + 1) text += res?.headers.get(name) ?? '';
      else if (vars[name] !== undefined) text += vars[name]();
      else warnings.push(`curl: unknown --write-out variable: '${name}'`);
      i = close;
    } else if (c === '\\' && i + 1 < format.length) {
      const e = format[i + 1]!;
      text += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : `\\${e}`;
      i++;
    } else text += c;
  }
  return { text, warnings };
}

/** curl's max5data: a size in five columns. */
function size5(n: number): string {
  if (n < 100000) return String(n).padStart(5);
  if (n < 10000 * 1024) return `${String(Math.floor(n / 1024)).padStart(4)}k`;
  if (n < 100 * 1024 * 1024) return `${(n / 1048576).toFixed(1).padStart(4)}M`;
  return `${String(Math.floor(n / 1048576)).padStart(4)}M`;
}

/** The progress meter curl leaves on stderr when the body goes to a file: heading and final line. */
export function curlProgressMeter(r: HttpResult): string {
  const bytes = r.sizeDownload;
  const total = Number(r.response?.headers.get('content-length') ?? bytes) || bytes;
  const speed = Math.round(bytes / Math.max(r.timings.total / 1e9, 0.001));
  const pct = total > 0 ? Math.floor((bytes * 100) / total) : 0;
  return (
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
    '                                 Dload  Upload   Total   Spent    Left  Speed\n' +
    `${String(pct).padStart(3)} ${size5(total)}  ${String(pct).padStart(3)} ${size5(bytes)}    0     0  ${size5(speed)}      0 --:--:-- --:--:-- --:--:-- ${size5(speed)}\n`
  );
}

const STRERROR: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  ECONNRESET: 'Connection reset by peer',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EPIPE: 'Broken pipe',
};

function strerror(e: Error | undefined): string {
  const code = (e as { code?: string } | undefined)?.code;
  return code === undefined ? (e?.message ?? 'Unknown error') : (STRERROR[code] ?? code);
}

interface ParsedUrl {
  readonly host: string;
  readonly port: number;
  readonly target: string;
  /** curl -w url_effective. */
  readonly effective: string;
}

const BAD_URL = { error: 3, message: 'URL using bad/illegal format or missing URL' } as const;

/** curl's URL handling for http: scheme optional, user info ignored, default port 80, path default '/'. */
function parseUrl(url: string): ParsedUrl | { error: number; message: string } {
  let rest = url;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (m !== null) {
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'http') return { error: 1, message: `Protocol "${scheme}" not supported or disabled in libcurl` };
    rest = url.slice(m[0].length);
  }
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let target = (slash < 0 ? '' : rest.slice(slash)).replace(/#.*/, '');
  if (target === '' || target.startsWith('?')) target = `/${target}`;
  if (/[\s\x00-\x1f\x7f]/.test(target)) return BAD_URL;
  const hp = authority.slice(authority.lastIndexOf('@') + 1);
  const colon = hp.lastIndexOf(':');
  const host = colon >= 0 ? hp.slice(0, colon) : hp;
  const portText = colon >= 0 ? hp.slice(colon + 1) : '';
  if (host === '' || !/^[A-Za-z0-9._-]+$/.test(host)) return BAD_URL;
  let port = 80;
  if (portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) return BAD_URL;
    port = Number(portText);
  }
  return { host, port, target, effective: `http://${authority}${target}` };
}

/** A TCP connection the client owns; its socket events go to the request using it, if any. */
class ClientConn {
  req: ClientRequest | null = null;
  agent: HttpAgent | null = null;
  err: Error | undefined;
  connected = false;
  dead = false;
  transfers = 0;

  constructor(
    readonly sock: TcpSocket,
    readonly key: string,
    readonly hostName: string,
    readonly address: string,
    readonly port: number,
    public id: number,
  ) {
    sock.on('connect', () => {
      this.connected = true;
      this.req?.onConnect(this);
    });
    sock.on('data', (d) => {
      if (this.req !== null) this.req.onData(d);
      else this.kill(); // bytes nobody asked for on an idle connection: curl drops such a connection
    });
    sock.on('end', () => {
      if (this.req !== null) this.req.onEnd();
      else this.kill();
    });
    sock.on('error', (e) => {
      this.err = e;
    });
    sock.on('close', () => {
      this.dead = true;
      const r = this.req;
      this.req = null;
      this.agent?.forget(this);
      r?.onClose(this.err);
    });
  }

  kill(): void {
    this.dead = true;
    this.agent?.forget(this);
    this.sock.destroy();
  }
}

/** curl's connection cache: idle persistent connections by host name and port. */
export class HttpAgent {
  private readonly idle = new Map<string, ClientConn[]>();
  /** Connections opened and reuses so far. */
  opened = 0;
  reuses = 0;
  private nextId = 0;

  /** @internal */
  newId(): number {
    return this.nextId++;
  }

  /** @internal An idle live connection for `key`, taken out of the cache. */
  take(key: string): ClientConn | null {
    const list = this.idle.get(key);
    while (list !== undefined && list.length > 0) {
      const c = list.shift()!;
      if (!c.dead) return c;
    }
    return null;
  }

  /** @internal */
  release(c: ClientConn): void {
    c.agent = this;
    const list = this.idle.get(c.key) ?? [];
    list.push(c);
    this.idle.set(c.key, list);
  }

  /** @internal */
  forget(c: ClientConn): void {
    const list = this.idle.get(c.key);
    if (list === undefined) return;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
  }

  get idleCount(): number {
    let n = 0;
    for (const l of this.idle.values()) n += l.length;
    return n;
  }

  /** Closes every idle connection (curl exiting). */
  destroy(): void {
    for (const list of this.idle.values()) for (const c of [...list]) c.kill();
    this.idle.clear();
  }
}

export interface HttpClientOptions {
  readonly resolver?: HostResolver;
  /** Default 'curl/7.88.1'. */
  readonly userAgent?: string;
}

export class HttpClient {
  readonly resolver: HostResolver | undefined;
  readonly userAgent: string;

  constructor(
    readonly stack: Stack,
    opts: HttpClientOptions = {},
  ) {
    this.resolver = opts.resolver;
    this.userAgent = opts.userAgent ?? 'curl/7.88.1';
  }

  request(o: HttpRequestOptions, cb: HttpRequestCallbacks | ((r: HttpResult) => void)): HttpRequestHandle {
    const callbacks = typeof cb === 'function' ? { onDone: cb } : cb;
    const r = new ClientRequest(this, o, callbacks);
    r.begin();
    return r;
  }
}

type State = 'init' | 'resolving' | 'connecting' | 'receiving' | 'done';

function headerList(h: HttpRequestOptions['headers']): ReadonlyArray<readonly [string, string]> {
  return h === undefined ? [] : Array.isArray(h) ? (h as ReadonlyArray<readonly [string, string]>) : Object.entries(h);
}

/** The request head and body as curl builds them (see the module doc for the header order). */
function buildRequest(o: HttpRequestOptions, u: ParsedUrl, method: string, userAgent: string): { head: Uint8Array; body: Uint8Array } {
  const custom = headerList(o.headers);
  const given = (n: string): [string, string] | undefined => {
    let found: [string, string] | undefined;
    for (const [k, v] of custom) if (k.toLowerCase() === n) found = [k, v];
    return found;
  };
  const h = new HttpHeaders();
  const host = given('host');
  if (host === undefined) h.add('Host', u.port === 80 ? u.host : `${u.host}:${u.port}`);
  else if (host[1] !== '') h.add(host[0], host[1]);
  if (given('user-agent') === undefined) h.add('User-Agent', userAgent);
  if (given('accept') === undefined) h.add('Accept', '*/*');
  for (const [n, v] of custom) if (v !== '' && n.toLowerCase() !== 'host') h.add(n, v);
  const body = o.body === undefined ? new Uint8Array(0) : typeof o.body === 'string' ? new TextEncoder().encode(o.body) : o.body;
  if (o.body !== undefined) {
    if (given('content-length') === undefined) h.add('Content-Length', String(body.length));
    if (given('content-type') === undefined) h.add('Content-Type', 'application/x-www-form-urlencoded');
  }
  return { head: encodeHead(new HttpRequest({ method, target: u.target, headers: h })), body };
}

class ClientRequest implements HttpRequestHandle {
  private state: State = 'init';
  private readonly sched;
  private readonly start: Nanos;
  private readonly phases: HttpPhase[] = [];
  private readonly timings: HttpTimings = { namelookup: 0, connect: 0, pretransfer: 0, starttransfer: 0, total: 0 };
  private url: ParsedUrl | null = null;
  private addrs: readonly string[] = [];
  private ai = 0;
  private conn: ClientConn | null = null;
  private reused = false;
  private connected = false;
  private retried = false;
  private parser: HttpParser<'response'> | null = null;
  private response: HttpResponse | null = null;
  private head: HttpResponse | null = null;
  /** Content-Length of the response being received, -1 when unknown. */
  private expected = -1;
  private bytesIn = 0;
  private bodyIn = 0;
  private request: { head: Uint8Array; body: Uint8Array } | null = null;
  private lookup: { cancel(): void } | null = null;
  private connectTimer: Timer | null = null;
  private maxTimer: Timer | null = null;
  private method = 'GET';
  private connectionId = 0;
  /** A connection was set up or reused (curl then prints "Closing connection" on failure). */
  private attempted = false;

  constructor(
    private readonly client: HttpClient,
    private readonly o: HttpRequestOptions,
    private readonly cb: HttpRequestCallbacks,
  ) {
    this.sched = client.stack.tcp.sched;
    this.start = this.sched.now;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  cancel(): void {
    if (this.state !== 'done') this.fail(42, 'Operation was aborted by an application callback');
  }

  private elapsedMs(): number {
    return Math.floor((this.sched.now - this.start) / MS);
  }

  private phase(kind: HttpPhaseKind, lines: string[]): void {
    const p: HttpPhase = { time: this.sched.now, kind, lines };
    this.phases.push(p);
    this.cb.onPhase?.(p);
  }

  private pins(): ReadonlyArray<ResolveEntry> {
    const r = this.o.resolve;
    return r === undefined ? [] : Array.isArray(r) ? (r as ReadonlyArray<ResolveEntry>) : [r as ResolveEntry];
  }

  begin(): void {
    const u = parseUrl(this.o.url);
    this.method = this.o.method ?? (this.o.body !== undefined ? 'POST' : 'GET');
    if (!('error' in u)) {
      try {
        this.request = buildRequest(this.o, u, this.method, this.client.userAgent);
      } catch {
        // A method or header that cannot go on the wire: curl's argument check.
        this.sched.after(0, () => this.fail(43, 'A libcurl function was given a bad argument'), 'http-client');
        return;
      }
    }
    if ('error' in u) {
      // A bad URL is reported at once, like curl's argument check, but still inside a scheduler event.
      this.sched.after(0, () => this.fail(u.error, u.message), 'http-client');
      return;
    }
    this.url = u;
    const pins = this.pins();
    if (pins.length > 0) this.phase('dns-cache', pins.map((p) => `* Added ${p.host}:${p.port}:${p.addr} to DNS cache`));
    if (this.o.maxTimeMs !== undefined && this.o.maxTimeMs > 0) {
      this.maxTimer = this.sched.after(this.o.maxTimeMs * MS, () => this.onMaxTime(), 'http-client max-time');
    }
    this.connectTimer = this.sched.after((this.o.connectTimeoutMs ?? 300_000) * MS, () => this.onConnectTimeout(), 'http-client connect-timeout');
    const agent = this.o.agent;
    if (agent !== undefined) {
      const c = agent.take(`${u.host.toLowerCase()}:${u.port}`);
      if (c !== null) {
        agent.reuses++;
        this.reused = true;
        this.attempted = true;
        this.conn = c;
        c.req = this;
        this.connectionId = c.id;
        this.state = 'connecting';
        // Reuse happens in its own event so callers always get their callbacks later.
        this.sched.after(0, () => {
          if (this.state !== 'connecting' || this.conn !== c) return;
          this.connectTimer?.cancel();
          this.phase('reused', [`* Re-using existing connection #${c.id} with host ${u.host}`]);
          this.send();
        }, 'http-client');
        return;
      }
    }
    this.resolve();
  }

  private resolve(): void {
    const u = this.url!;
    this.state = 'resolving';
    // curl sets up the connection (and its number) before resolving.
    this.attempted = true;
    this.connectionId = this.o.agent === undefined ? 0 : this.o.agent.newId();
    const pinned = this.pins().find((r) => r.host.toLowerCase() === u.host.toLowerCase() && r.port === u.port);
    if (pinned !== undefined) {
      this.phase('resolved', [`* Hostname ${u.host} was found in DNS cache`]);
      this.sched.after(0, () => this.resolved([pinned.addr]), 'http-client');
      return;
    }
    if (parseIpv4Addr(u.host) !== null) {
      this.sched.after(0, () => this.resolved([u.host]), 'http-client');
      return;
    }
    const resolver = this.client.resolver;
    if (resolver === undefined) {
      this.sched.after(0, () => this.fail(6, `Could not resolve host: ${u.host}`), 'http-client');
      return;
    }
    // curl 7.88 prints nothing while resolving.
    this.phase('resolving', []);
    const h = resolver.lookup(u.host, (err, addrs) => {
      this.lookup = null;
      if (this.state !== 'resolving') return;
      if (err !== null || addrs.length === 0) {
        this.fail(6, `Could not resolve host: ${u.host}`);
        return;
      }
      this.resolved(addrs);
    }, { app: 'curl' });
    if (h !== undefined && this.state === 'resolving') this.lookup = h;
  }

  private resolved(addrs: readonly string[]): void {
    if (this.state !== 'resolving') return;
    this.timings.namelookup = this.sched.now - this.start;
    this.addrs = addrs;
    this.ai = 0;
    this.state = 'connecting';
    this.connectNext();
  }

  private connectNext(): void {
    const u = this.url!;
    if (this.ai >= this.addrs.length) {
      this.fail(7, `Failed to connect to ${u.host} port ${u.port} after ${this.elapsedMs()} ms: Couldn't connect to server`);
      return;
    }
    const addr = this.addrs[this.ai]!;
    this.phase('trying', [`*   Trying ${addr}:${u.port}...`]);
    const sock = this.client.stack.tcp.connect({
      host: addr,
      port: u.port,
      app: 'curl',
      ...(this.o.localAddress !== undefined ? { localAddress: this.o.localAddress } : {}),
    });
    const c = new ClientConn(sock, `${u.host.toLowerCase()}:${u.port}`, u.host, addr, u.port, this.connectionId);
    c.req = this;
    this.conn = c;
  }

  /** @internal */
  onConnect(c: ClientConn): void {
    if (this.state !== 'connecting' || this.conn !== c) return;
    const u = this.url!;
    this.connectTimer?.cancel();
    this.connectTimer = null;
    this.timings.connect = this.sched.now - this.start;
    this.connected = true;
    if (this.o.agent !== undefined) this.o.agent.opened++;
    this.phase('connected', [`* Connected to ${u.host} (${c.address}) port ${u.port} (#${c.id})`]);
    this.send();
  }

  private send(): void {
    const c = this.conn!;
    const req = this.request!;
    c.transfers++;
    this.parser = new HttpParser('response', {
      onHead: (m) => {
        if (m.status >= 200 || m.status === 101) this.onHead(m);
      },
      onBody: (piece) => {
        this.bodyIn += piece.length;
      },
    });
    this.parser.expectResponseTo(this.method);
    this.state = 'receiving';
    this.bytesIn = 0;
    this.bodyIn = 0;
    this.expected = -1;
    this.head = null;
    c.sock.write(req.head);
    if (req.body.length > 0) c.sock.write(req.body);
    this.timings.pretransfer = this.sched.now - this.start;
    const head = new TextDecoder('latin1').decode(req.head);
    this.phase('request-sent', head.split('\r\n').slice(0, -1).map((l) => `> ${l}`));
  }

  private onHead(m: HttpResponse): void {
    const lines = [`< ${m.version} ${m.status}${m.reason === '' ? '' : ` ${m.reason}`}`];
    for (const [n, v] of m.headers) lines.push(`< ${n}: ${v}`);
    lines.push('< ');
    this.phase('response-head', lines);
    this.head = m;
    const cl = m.headers.get('content-length');
    if (cl !== undefined && cl !== null && /^\d+$/.test(cl)) this.expected = Number(cl);
    if (this.o.failOnError && m.status >= 400) this.fail(22, `The requested URL returned error: ${m.status}`);
  }

  /** @internal */
  onData(d: Uint8Array): void {
    if (this.state !== 'receiving') return;
    if (this.bytesIn === 0) this.timings.starttransfer = this.sched.now - this.start;
    this.bytesIn += d.length;
    const p = this.parser!;
    // Received frames are borrowed: the parser may keep views, so it gets a copy.
    const ok = p.push(d.slice());
    if (this.state !== 'receiving') return;
    for (let m = p.next(); m !== null; m = p.next()) {
      if (m.status < 200 && m.status !== 101) continue;
      this.complete(m);
      return;
    }
    if (!ok) this.badReply(p);
  }

  /** A reply the parser refused: not HTTP at all is curl's HTTP/0.9 refusal, anything else a weird reply. */
  private badReply(p: HttpParser<'response'>): void {
    if (/^invalid HTTP version/.test(p.error?.message ?? '')) this.fail(1, 'Received HTTP/0.9 when not allowed');
    else this.fail(8, 'Weird server reply');
  }

  /** @internal The server sent FIN. */
  onEnd(): void {
    if (this.state !== 'receiving') return;
    const p = this.parser!;
    p.end();
    for (let m = p.next(); m !== null; m = p.next()) {
      if (m.status < 200 && m.status !== 101) continue;
      this.complete(m);
      return;
    }
    this.lost(undefined);
  }

  /** @internal The socket closed (after 'error' when it had one). */
  onClose(err: Error | undefined): void {
    if (this.state === 'done') return;
    if (this.state === 'connecting' && this.conn !== null && !this.reused && !this.conn.connected) {
      const u = this.url!;
      this.phase('connect-failed', [`* connect to ${this.conn.address} port ${u.port} failed: ${strerror(err)}`]);
      this.conn = null;
      this.ai++;
      this.connectNext();
      return;
    }
    if (this.state === 'receiving' || this.state === 'connecting') this.lost(err);
  }

  /** The connection went away before a whole response arrived. */
  private lost(err: Error | undefined): void {
    if (this.bytesIn === 0 && this.reused && !this.retried) {
      // curl: "Connection died, retrying a fresh connect".
      this.retried = true;
      this.reused = false;
      this.phase('retry', ['* Connection died, retrying a fresh connect']);
      const c = this.conn;
      this.conn = null;
      if (c !== null) {
        c.req = null;
        if (!c.dead) c.kill();
      }
      this.resolve();
      return;
    }
    const code = (err as { code?: string } | undefined)?.code;
    if (code !== undefined) this.fail(56, `Recv failure: ${strerror(err)}`);
    else if (this.bytesIn === 0) this.fail(52, 'Empty reply from server');
    else this.fail(18, 'transfer closed with outstanding read data remaining');
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    const u = this.url!;
    if (this.state === 'resolving') this.fail(28, `Resolving timed out after ${this.elapsedMs()} milliseconds`);
    else if (this.state === 'connecting') this.fail(28, `Failed to connect to ${u.host} port ${u.port} after ${this.elapsedMs()} ms: Timeout was reached`);
  }

  private onMaxTime(): void {
    this.maxTimer = null;
    if (this.state === 'done') return;
    const u = this.url!;
    if (this.state === 'resolving') return this.fail(28, `Resolving timed out after ${this.elapsedMs()} milliseconds`);
    if (this.state === 'connecting') return this.fail(28, `Failed to connect to ${u.host} port ${u.port} after ${this.elapsedMs()} ms: Timeout was reached`);
    // curl counts body bytes, against the Content-Length when known.
    const of = this.expected >= 0 ? ` out of ${this.expected}` : '';
    this.fail(28, `Operation timed out after ${this.elapsedMs()} milliseconds with ${this.bodyIn}${of} bytes received`);
  }

  private complete(m: HttpResponse): void {
    const c = this.conn!;
    const u = this.url!;
    this.response = m;
    this.bodyIn = m.body.length;
    this.cb.onResponse?.(m);
    if (m.body.length > 0) this.phase('body', [`{ [${m.body.length} bytes data]`]);
    const keep = m.keepAlive && !/\bclose\b/i.test(headerList(this.o.headers).find(([n]) => n.toLowerCase() === 'connection')?.[1] ?? '');
    const agent = this.o.agent;
    this.finishTimers();
    this.state = 'done';
    c.req = null;
    if (keep && !c.dead) {
      this.phase('left-intact', [`* Connection #${c.id} to host ${u.host} left intact`]);
      if (agent !== undefined) agent.release(c);
      else c.kill();
    } else {
      this.phase('closing', [`* Closing connection ${c.id}`]);
      c.kill();
    }
    this.report(0, undefined);
  }

  private fail(code: number, message: string): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.finishTimers();
    this.lookup?.cancel();
    this.lookup = null;
    this.phase('error', [`* ${message}`]);
    const c = this.conn;
    if (c !== null) {
      c.req = null;
      if (!c.dead) c.kill();
    }
    if (this.attempted) this.phase('closing', [`* Closing connection ${this.connectionId}`]);
    this.report(code, `curl: (${code}) ${message}`);
  }

  private finishTimers(): void {
    this.connectTimer?.cancel();
    this.maxTimer?.cancel();
    this.connectTimer = null;
    this.maxTimer = null;
    this.timings.total = this.sched.now - this.start;
  }

  private report(exitCode: number, error: string | undefined): void {
    const c = this.conn;
    const s = c?.sock;
    const sent = this.parser !== null && this.request !== null;
    const r: HttpResult = {
      exitCode,
      ...(error !== undefined ? { error } : {}),
      method: this.method,
      url: this.url?.effective ?? this.o.url,
      ...(this.response !== null ? { response: this.response } : this.head !== null ? { response: this.head } : {}),
      ...(c !== null ? { remoteAddress: c.address, remotePort: c.port } : {}),
      ...(s?.localAddress !== undefined ? { localAddress: s.localAddress, localPort: s.localPort ?? 0 } : {}),
      connectionId: this.connectionId,
      reused: this.reused,
      connected: this.connected,
      timings: this.timings,
      bytesReceived: this.bytesIn,
      sizeDownload: this.bodyIn,
      sizeRequest: sent ? this.request!.head.length : 0,
      sizeUpload: sent ? this.request!.body.length : 0,
      phases: this.phases,
    };
    this.cb.onDone(r);
  }
}

// --- load generator ------------------------------------------------------------------------------

export interface LoadGeneratorOptions {
  readonly url: string;
  readonly count: number;
  /** Requests in flight at once (workers, each sequential); default 1. */
  readonly concurrency?: number;
  /** Reuse connections (one connection cache for the run); default false: a new connection per request. */
  readonly keepAlive?: boolean;
  /** Pause between one worker's requests, virtual ms; default 0. */
  readonly gapMs?: number;
  readonly method?: string;
  readonly headers?: HttpRequestOptions['headers'];
  readonly resolve?: HttpRequestOptions['resolve'];
  readonly connectTimeoutMs?: number;
  readonly maxTimeMs?: number;
  /** Each finished request, in completion order. */
  readonly onResult?: (e: LoadEntry) => void;
}

export interface LoadEntry {
  readonly index: number;
  readonly start: Nanos;
  readonly end: Nanos;
  readonly exitCode: number;
  readonly status?: number;
  /** From the server page: its name, address:port served on, and the client it saw. */
  readonly server?: string;
  readonly servedBy?: string;
  readonly client?: string;
  readonly connectionId: number;
  readonly reused: boolean;
  readonly localPort?: number;
  readonly error?: string;
}

export interface LoadReport {
  readonly count: number;
  ok: number;
  failed: number;
  /** Server name → answers. */
  readonly byServer: Record<string, number>;
  readonly byServedBy: Record<string, number>;
  readonly byStatus: Record<number, number>;
  readonly byExitCode: Record<number, number>;
  /** By request index. */
  readonly entries: LoadEntry[];
  readonly start: Nanos;
  end: Nanos;
  /** New TCP connections made. */
  connections: number;
  done: boolean;
}

export interface LoadHandle {
  readonly report: LoadReport;
  cancel(): void;
}

/**
 * Sends `count` requests, `concurrency` at a time, and tallies which server answered each (from the
 * default page). `onDone` runs once after the last answer (or after cancel()).
 */
export function loadGenerator(client: HttpClient, o: LoadGeneratorOptions, onDone: (r: LoadReport) => void): LoadHandle {
  const sched = client.stack.tcp.sched;
  const agent = o.keepAlive ? new HttpAgent() : undefined;
  const report: LoadReport = {
    count: o.count,
    ok: 0,
    failed: 0,
    byServer: {},
    byServedBy: {},
    byStatus: {},
    byExitCode: {},
    entries: [],
    start: sched.now,
    end: sched.now,
    connections: 0,
    done: false,
  };
  let next = 0;
  let running = 0;
  let cancelled = false;
  const inflight = new Set<HttpRequestHandle>();

  const finish = (): void => {
    if (report.done) return;
    report.done = true;
    report.end = sched.now;
    agent?.destroy();
    onDone(report);
  };

  const issue = (): void => {
    if (cancelled || next >= o.count) {
      if (running === 0) finish();
      return;
    }
    const index = next++;
    running++;
    const start = sched.now;
    const h = client.request(
      {
        url: o.url,
        ...(o.method !== undefined ? { method: o.method } : {}),
        ...(o.headers !== undefined ? { headers: o.headers } : {}),
        ...(o.resolve !== undefined ? { resolve: o.resolve } : {}),
        ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.maxTimeMs !== undefined ? { maxTimeMs: o.maxTimeMs } : {}),
        ...(agent !== undefined ? { agent } : {}),
      },
      (r) => {
        inflight.delete(h);
        running--;
        if (!r.reused && r.phases.some((p) => p.kind === 'connected')) report.connections++;
        const page = r.response === undefined ? null : parseServerPage(r.response.bodyText());
        const e: LoadEntry = {
          index,
          start,
          end: sched.now,
          exitCode: r.exitCode,
          ...(r.response !== undefined ? { status: r.response.status } : {}),
          ...(page !== null ? { server: page.server, servedBy: page.servedBy, client: page.client } : {}),
          connectionId: r.connectionId,
          reused: r.reused,
          ...(r.localPort !== undefined ? { localPort: r.localPort } : {}),
          ...(r.error !== undefined ? { error: r.error } : {}),
        };
        report.entries[index] = e;
        report.byExitCode[r.exitCode] = (report.byExitCode[r.exitCode] ?? 0) + 1;
        if (r.exitCode === 0) {
          report.ok++;
          const st = r.response!.status;
          report.byStatus[st] = (report.byStatus[st] ?? 0) + 1;
          if (page !== null) {
            report.byServer[page.server] = (report.byServer[page.server] ?? 0) + 1;
            report.byServedBy[page.servedBy] = (report.byServedBy[page.servedBy] ?? 0) + 1;
          }
        } else report.failed++;
        o.onResult?.(e);
        sched.after((o.gapMs ?? 0) * MS, issue, 'load-generator');
      },
    );
    if (!h.done) inflight.add(h);
  };

  const workers = Math.max(1, Math.min(o.concurrency ?? 1, o.count));
  if (o.count <= 0) sched.after(0, finish, 'load-generator');
  else for (let i = 0; i < workers; i++) sched.after(0, issue, 'load-generator');

  return {
    report,
    cancel(): void {
      if (cancelled) return;
      cancelled = true;
      for (const h of [...inflight]) h.cancel();
      if (running === 0) finish();
    },
  };
}
