/**
 * An HTTP/1.1 origin server on a host's TCP stack, shaped after nginx serving a small site: the page
 * that lab real servers answer with, configurable routes, persistent connections and an access log.
 *
 * Behaviour (RFC 9112 for the wire, RFC 9110 for semantics, nginx defaults where the RFCs leave a choice):
 * - Persistence (RFC 9112 §9.3): HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0
 *   only with `Connection: keep-alive`. An idle persistent connection is closed after
 *   `keepAliveTimeoutMs` (nginx keepalive_timeout 75 s); after `keepAliveRequests` requests on one
 *   connection the response says `Connection: close` (nginx keepalive_requests 1000).
 * - Pipelining (RFC 9112 §9.3.2): responses go out in request order; a held (slow) response holds the
 *   ones after it.
 * - Errors: a request the parser refuses is answered with its status (400, 413, 414, 431, 501, 505)
 *   and `Connection: close`; an HTTP/1.1 request without Host gets 400 (RFC 9112 §3.2). With
 *   `strict` routes an unknown path gets 404, else the default page answers every path.
 * - HEAD (RFC 9110 §9.3.2): the GET headers, Content-Length included, and no content.
 * - A slow path, `/delay?ms=N` by default, holds its response N virtual ms (long-lived connections).
 * - `stop()` is `systemctl stop nginx`: the listener goes (new SYNs get RST from the TCP layer) and open
 *   connections are closed; `start()` listens again.
 *
 * The default page names the server, the address:port it was served on, the client as the server saw
 * it (shows DNAT vs SNAT) and the request's Host; `parseServerPage` reads it back for checks.
 */
import { absoluteNs, DEFAULT_EPOCH_NS, type Nanos } from '../../sim/time.ts';
import type { Timer } from '../../sim/scheduler.ts';
import { encodeResponse, HttpHeaders, HttpParser, HttpResponse, httpReasonPhrase, type HttpRequest } from '../../wire/http.ts';
import type { Stack } from '../index.ts';
import type { TcpServer, TcpSocket } from '../tcp.ts';

const MS = 1_000_000;

/** One configured answer. `template` text may use {{server}} {{addr}} {{port}} {{client}} {{clientPort}} {{host}} {{method}} {{path}} {{uri}} {{time}}. */
export interface HttpRoute {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly template?: string;
  /** Hold the response this many virtual ms. */
  readonly delayMs?: number;
}

export interface HttpServerOptions {
  /** Name on the default page, e.g. 'real1'. */
  readonly name: string;
  /** Ports to listen on (default [80]). */
  readonly ports?: readonly number[];
  /** Bind address (default all local addresses). */
  readonly address?: string;
  /** `Server:` header (default 'nginx/1.22.1'); '' sends none. */
  readonly serverHeader?: string;
  /** Path (without query) → route. A key ending in '*' matches by prefix. */
  readonly routes?: Readonly<Record<string, HttpRoute>>;
  /** Unknown paths get 404 instead of the default page. */
  readonly strict?: boolean;
  /** Path of the slow route taking `?ms=N` (default '/delay'; null disables). */
  readonly delayPath?: string | null;
  /** Upper bound on `?ms=N` (default 3 600 000). */
  readonly maxDelayMs?: number;
  /** Idle persistent connection timeout, virtual ms (default 75 000, nginx keepalive_timeout). */
  readonly keepAliveTimeoutMs?: number;
  /** Requests per connection before `Connection: close` (default 1000, nginx keepalive_requests). */
  readonly keepAliveRequests?: number;
  /** Time allowed to receive a whole request head, virtual ms (default 60 000, nginx client_header_timeout). */
  readonly headerTimeoutMs?: number;
  /**
   * Access log lines kept, newest last; default 10 000. The oldest are dropped in batches (the log may
   * briefly hold up to twice this many) so a busy server does not shift the whole array per request.
   */
  readonly accessLogSize?: number;
  /** Lab epoch for log and Date timestamps (default engine/sim DEFAULT_EPOCH_NS). */
  readonly epochNs?: bigint;
  /** Owner name shown by `ss -p` (default 'nginx'). */
  readonly app?: string;
}

/** One access log record; `line` is the combined log format. */
export interface AccessLogEntry {
  /** Virtual time the response was finished. */
  readonly time: Nanos;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The request line, or '-' when none could be read. */
  readonly request: string;
  readonly method: string;
  readonly target: string;
  readonly status: number;
  /** Body bytes sent (nginx $body_bytes_sent). */
  readonly bytes: number;
  readonly host: string;
  readonly referer: string;
  readonly userAgent: string;
  /** From the request's arrival to the response leaving (nginx $request_time), ns. */
  readonly durationNs: Nanos;
  readonly line: string;
}

export interface HttpServerStats {
  connections: number;
  requests: number;
  responses: number;
  byStatus: Record<number, number>;
  parseErrors: number;
  keepAliveTimeouts: number;
  headerTimeouts: number;
  bytesOut: number;
}

export interface ServerPageInfo {
  readonly server: string;
  /** address:port the request was served on. */
  readonly servedBy: string;
  /** address:port of the client as the server saw it. */
  readonly client: string;
  readonly host: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** The default page. */
export function serverPage(i: ServerPageInfo): string {
  return (
    `<!DOCTYPE html>\n<html>\n<head><title>${esc(i.server)}</title></head>\n<body>\n` +
    `<h1>${esc(i.server)}</h1>\n<p>served by ${esc(i.servedBy)}</p>\n<p>client ${esc(i.client)}</p>\n<p>host ${esc(i.host)}</p>\n` +
    `</body>\n</html>\n`
  );
}

/** Reads a default page back (null when the text is not one). */
export function parseServerPage(text: string): ServerPageInfo | null {
  const server = /<h1>([^<]*)<\/h1>/.exec(text);
  const servedBy = /<p>served by ([^<]*)<\/p>/.exec(text);
  if (server === null || servedBy === null) return null;
  const client = /<p>client ([^<]*)<\/p>/.exec(text);
  const host = /<p>host ([^<]*)<\/p>/.exec(text);
  const un = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return { server: un(server[1]!), servedBy: un(servedBy[1]!), client: un(client?.[1] ?? ''), host: un(host?.[1] ?? '') };
}

/** nginx's own error page for `status`. */
function errorPage(status: number, server: string): string {
  const title = `${status} ${httpReasonPhrase(status) ?? ''}`.trim();
  const sig = server === '' ? 'nginx' : server;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${sig}</center>\r\n</body>\r\n</html>\r\n`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function epochDate(epochNs: bigint, t: Nanos): Date {
  return new Date(Number(absoluteNs(epochNs, t) / 1_000_000n));
}

/** nginx $time_local in UTC: `01/Jan/2024:00:00:00 +0000`. */
export function logTime(epochNs: bigint, t: Nanos): string {
  const d = epochDate(epochNs, t);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** IMF-fixdate (RFC 9110 §5.6.7). */
export function httpDate(epochNs: bigint, t: Nanos): string {
  return epochDate(epochNs, t).toUTCString();
}

interface Slot {
  bytes: Uint8Array | null;
  close: boolean;
  timer: Timer | null;
  readonly arrived: Nanos;
  readonly req: HttpRequest | null;
  status: number;
  bodyLen: number;
}

/** One accepted connection. */
class ServerConn {
  readonly parser = new HttpParser('request');
  readonly slots: Slot[] = [];
  /** No more requests are read (Connection: close, error, peer FIN, keepalive_requests). */
  closing = false;
  ended = false;
  requests = 0;
  timer: Timer | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;

  constructor(readonly sock: TcpSocket) {
    this.remoteAddress = sock.remoteAddress ?? '0.0.0.0';
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? '0.0.0.0';
    this.localPort = sock.localPort ?? 0;
  }
}

export class HttpServer {
  readonly name: string;
  readonly stats: HttpServerStats = {
    connections: 0,
    requests: 0,
    responses: 0,
    byStatus: {},
    parseErrors: 0,
    keepAliveTimeouts: 0,
    headerTimeouts: 0,
    bytesOut: 0,
  };
  readonly accessLog: AccessLogEntry[] = [];
  readonly ports: readonly number[];
  private readonly o: HttpServerOptions;
  private readonly serverHeader: string;
  private readonly epoch: bigint;
  private servers: TcpServer[] = [];
  /** Why a listen failed (e.g. EADDRINUSE), if one did. */
  lastError: Error | null = null;
  private readonly conns = new Set<ServerConn>();

  constructor(
    readonly stack: Stack,
    opts: HttpServerOptions,
  ) {
    this.o = opts;
    this.name = opts.name;
    this.ports = opts.ports ?? [80];
    this.serverHeader = opts.serverHeader ?? 'nginx/1.22.1';
    this.epoch = opts.epochNs ?? DEFAULT_EPOCH_NS;
  }

  get listening(): boolean {
    return this.servers.length > 0;
  }

  /** Open connections (what a least-connections balancer would count on this server). */
  get activeConnections(): number {
    return this.conns.size;
  }

  /** Listens on every configured port. Idempotent. */
  start(): this {
    if (this.servers.length > 0) return this;
    for (const port of this.ports) {
      const srv = this.stack.tcp.createServer({ allowHalfOpen: true, app: this.o.app ?? 'nginx' }, (s) => this.accept(s));
      srv.on('error', (e) => {
        // nginx: "bind() to 0.0.0.0:80 failed (98: Address already in use)".
        this.lastError = e;
        this.servers = this.servers.filter((x) => x !== srv);
      });
      if (this.o.address !== undefined) srv.listen(port, this.o.address);
      else srv.listen(port);
      this.servers.push(srv);
    }
    return this;
  }

  /** Stops listening and closes every open connection. Idempotent. */
  stop(): this {
    for (const s of this.servers) s.close();
    this.servers = [];
    for (const c of [...this.conns]) this.drop(c, true);
    return this;
  }

  /** The last `n` access log lines (all by default). */
  accessLogLines(n?: number): string[] {
    const from = n === undefined ? 0 : Math.max(0, this.accessLog.length - n);
    return this.accessLog.slice(from).map((e) => e.line);
  }

  // --- connections -------------------------------------------------------------------------------

  private accept(sock: TcpSocket): void {
    const c = new ServerConn(sock);
    this.conns.add(c);
    this.stats.connections++;
    sock.on('data', (d) => this.onData(c, d));
    sock.on('end', () => this.onEnd(c));
    sock.on('error', () => {});
    sock.on('close', () => this.drop(c, false));
    this.armTimer(c);
  }

  private onData(c: ServerConn, d: Uint8Array): void {
    if (c.closing) return;
    // Received frames are borrowed (a router may reuse them): the parser keeps a copy.
    const ok = c.parser.push(d.slice());
    for (let m = c.parser.next(); m !== null && !c.closing; m = c.parser.next()) this.onRequest(c, m);
    if (!ok && !c.closing) {
      const e = c.parser.error!;
      this.stats.parseErrors++;
      this.queue(c, null, e.status, new HttpHeaders(), errorPage(e.status, this.serverHeader), 0, false, false);
    }
    this.flush(c);
  }

  private onEnd(c: ServerConn): void {
    c.ended = true;
    c.closing = true;
    this.flush(c);
  }

  private drop(c: ServerConn, destroy: boolean): void {
    if (!this.conns.delete(c)) return;
    c.timer?.cancel();
    c.timer = null;
    for (const s of c.slots) s.timer?.cancel();
    c.slots.length = 0;
    c.closing = true;
    if (destroy) c.sock.destroy();
  }

  /** Keep-alive idle timer when nothing is pending; header timer while a request is partly read. */
  private armTimer(c: ServerConn): void {
    c.timer?.cancel();
    c.timer = null;
    if (c.closing || c.slots.length > 0) return;
    const sched = this.stack.tcp.sched;
    const idle = c.parser.idle;
    const ms = idle ? (c.requests === 0 ? (this.o.headerTimeoutMs ?? 60_000) : (this.o.keepAliveTimeoutMs ?? 75_000)) : (this.o.headerTimeoutMs ?? 60_000);
    c.timer = sched.after(ms * MS, () => {
      c.timer = null;
      if (idle && c.requests > 0) this.stats.keepAliveTimeouts++;
      else this.stats.headerTimeouts++;
      this.drop(c, true);
    }, `http-server ${this.name} timeout`);
  }

  // --- requests ----------------------------------------------------------------------------------

  private onRequest(c: ServerConn, req: HttpRequest): void {
    this.stats.requests++;
    c.requests++;
    const host = req.headers.get('host');
    const keep = req.keepAlive && c.requests < (this.o.keepAliveRequests ?? 1000);
    const headers = new HttpHeaders();
    if (req.version === 'HTTP/1.1' && host === undefined) {
      this.queue(c, req, 400, headers, errorPage(400, this.serverHeader), 0, false, false);
      return;
    }
    const q = req.target.indexOf('?');
    const path = q < 0 ? req.target : req.target.slice(0, q);
    const query = q < 0 ? '' : req.target.slice(q + 1);
    const head = req.method === 'HEAD';
    const page = (): string =>
      serverPage({ server: this.name, servedBy: `${c.localAddress}:${c.localPort}`, client: `${c.remoteAddress}:${c.remotePort}`, host: host ?? '' });
    const route = this.findRoute(path);
    if (route !== undefined) {
      for (const [n, v] of Object.entries(route.headers ?? {})) headers.add(n, v);
      let body: string | Uint8Array;
      if (route.template !== undefined) body = this.fill(route.template, c, req, host ?? '', path);
      else if (route.body !== undefined) body = route.body;
      else body = page();
      this.queue(c, req, route.status ?? 200, headers, body, route.delayMs ?? 0, keep, head);
      return;
    }
    const dp = this.o.delayPath === undefined ? '/delay' : this.o.delayPath;
    if (dp !== null && path === dp) {
      const m = /(?:^|&)ms=(\d+)(?:&|$)/.exec(query);
      const ms = Math.min(m === null ? 0 : Number(m[1]), this.o.maxDelayMs ?? 3_600_000);
      this.queue(c, req, 200, headers, page(), ms, keep, head);
      return;
    }
    if (this.o.strict) {
      this.queue(c, req, 404, headers, errorPage(404, this.serverHeader), 0, keep, head);
      return;
    }
    this.queue(c, req, 200, headers, page(), 0, keep, head);
  }

  private findRoute(path: string): HttpRoute | undefined {
    const routes = this.o.routes;
    if (routes === undefined) return undefined;
    const exact = routes[path];
    if (exact !== undefined) return exact;
    let best: HttpRoute | undefined;
    let bestLen = -1;
    for (const [k, r] of Object.entries(routes)) {
      if (k.endsWith('*') && path.startsWith(k.slice(0, -1)) && k.length > bestLen) {
        best = r;
        bestLen = k.length;
      }
    }
    return best;
  }

  private fill(t: string, c: ServerConn, req: HttpRequest, host: string, path: string): string {
    const v: Record<string, string> = {
      server: this.name,
      addr: c.localAddress,
      port: String(c.localPort),
      client: c.remoteAddress,
      clientPort: String(c.remotePort),
      host,
      method: req.method,
      path,
      uri: req.target,
      time: String(Math.floor(this.stack.tcp.sched.now / MS)),
    };
    return t.replace(/\{\{(\w+)\}\}/g, (all, k: string) => v[k] ?? all);
  }

  /** Adds a response slot in request order; `keep` false closes after it. */
  private queue(c: ServerConn, req: HttpRequest | null, status: number, headers: HttpHeaders, body: string | Uint8Array, delayMs: number, keep: boolean, head: boolean): void {
    const sched = this.stack.tcp.sched;
    if (!keep) c.closing = true;
    const slot: Slot = { bytes: null, close: !keep, timer: null, arrived: sched.now, req, status, bodyLen: 0 };
    c.slots.push(slot);
    c.timer?.cancel();
    c.timer = null;
    const build = (): void => {
      slot.timer = null;
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const h = new HttpHeaders();
      if (this.serverHeader !== '') h.add('Server', this.serverHeader);
      h.add('Date', httpDate(this.epoch, sched.now));
      if (!headers.has('content-type')) h.add('Content-Type', 'text/html');
      for (const [n, v] of headers) if (n.toLowerCase() !== 'content-length' && n.toLowerCase() !== 'connection') h.add(n, v);
      const noBody = status < 200 || status === 204 || status === 304;
      if (!noBody) h.add('Content-Length', String(bytes.length));
      h.add('Connection', keep ? 'keep-alive' : 'close');
      const send = head || noBody ? new Uint8Array(0) : bytes;
      slot.bodyLen = send.length;
      slot.bytes = encodeResponse(new HttpResponse({ status, headers: h, body: send }));
      this.flush(c);
    };
    if (delayMs > 0) slot.timer = sched.after(delayMs * MS, build, `http-server ${this.name} delay`);
    else build();
  }

  /** Writes ready responses in order; ends the connection after a closing one. */
  private flush(c: ServerConn): void {
    if (!this.conns.has(c)) return;
    const sched = this.stack.tcp.sched;
    while (c.slots.length > 0 && c.slots[0]!.bytes !== null) {
      const s = c.slots.shift()!;
      c.sock.write(s.bytes!);
      this.stats.responses++;
      this.stats.bytesOut += s.bytes!.length;
      this.stats.byStatus[s.status] = (this.stats.byStatus[s.status] ?? 0) + 1;
      this.log(c, s, sched.now);
      if (s.close) {
        for (const r of c.slots) r.timer?.cancel();
        c.slots.length = 0;
        c.sock.end();
        return;
      }
    }
    if (c.slots.length === 0 && c.ended) {
      c.sock.end();
      return;
    }
    this.armTimer(c);
  }

  private log(c: ServerConn, s: Slot, now: Nanos): void {
    const r = s.req;
    const request = r === null ? '-' : `${r.method} ${r.target} ${r.version}`;
    const referer = r?.headers.get('referer') ?? '-';
    const userAgent = r?.headers.get('user-agent') ?? '-';
    const q = (x: string): string => x.replace(/["\\]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    const line = `${c.remoteAddress} - - [${logTime(this.epoch, now)}] "${q(request)}" ${s.status} ${s.bodyLen} "${q(referer)}" "${q(userAgent)}"`;
    this.accessLog.push({
      time: now,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      localAddress: c.localAddress,
      localPort: c.localPort,
      request,
      method: r?.method ?? '-',
      target: r?.target ?? '-',
      status: s.status,
      bytes: s.bodyLen,
      host: r?.headers.get('host') ?? '-',
      referer,
      userAgent,
      durationNs: now - s.arrived,
      line,
    });
    const max = this.o.accessLogSize ?? 10_000;
    if (this.accessLog.length >= 2 * max) this.accessLog.splice(0, this.accessLog.length - max);
  }
}
