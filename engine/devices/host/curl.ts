/**
 * curl, shaped like curl 7.88.1 (Debian 12) for http:// URLs: -v -s -S -i -I -H -X -d -o -w -m
 * --connect-timeout --resolve -f -A, error messages and exit codes as curl's (6, 7, 28, 22, 52,
 * 56, 3, 1, 2). The request and response go through engine/wire/http over a TcpSocket of the host's
 * stack. TLS is not emulated: https:// URLs are refused like a libcurl built without it.
 *
 * Transcript of -v (lines on stderr, the body on stdout):
 *   *   Trying 10.0.0.2:80...
 *   * Connected to 10.0.0.2 (10.0.0.2) port 80 (#0)
 *   > GET / HTTP/1.1
 *   > Host: 10.0.0.2
 *   > User-Agent: curl/7.88.1
 *   > Accept: *\/*
 *   >
 *   < HTTP/1.1 200 OK
 *   < Content-Length: 12
 *   <
 *   * Connection #0 to host 10.0.0.2 left intact
 */
import { ipv4ToString, parseIpv4Addr } from '../../wire/addr.ts';
import { HttpHeaders, HttpParser, HttpRequest, type HttpResponse } from '../../wire/http.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../sim/time.ts';
import type { NetError } from '../../stack/index.ts';
import { getopt, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { resolveName } from './resolver.ts';
import { parseSeconds, type Ctx } from './util.ts';

const VERSION = 'curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1\nRelease-Date: 2023-02-20\nProtocols: http\nFeatures: IPv6 Largefile\n';
const TRY = "curl: try 'curl --help' or 'curl --manual' for more information\n";

const OPTS = [
  { name: 'verbose', short: 'v', long: 'verbose' },
  { name: 'silent', short: 's', long: 'silent' },
  { name: 'show-error', short: 'S', long: 'show-error' },
  { name: 'include', short: 'i', long: 'include' },
  { name: 'head', short: 'I', long: 'head' },
  { name: 'header', short: 'H', long: 'header', arg: true },
  { name: 'request', short: 'X', long: 'request', arg: true },
  { name: 'data', short: 'd', long: 'data', arg: true },
  { name: 'data', long: 'data-raw', arg: true },
  { name: 'output', short: 'o', long: 'output', arg: true },
  { name: 'write-out', short: 'w', long: 'write-out', arg: true },
  { name: 'max-time', short: 'm', long: 'max-time', arg: true },
  { name: 'connect-timeout', long: 'connect-timeout', arg: true },
  { name: 'resolve', long: 'resolve', arg: true },
  { name: 'fail', short: 'f', long: 'fail' },
  { name: 'user-agent', short: 'A', long: 'user-agent', arg: true },
  { name: 'insecure', short: 'k', long: 'insecure' },
  { name: 'http1.1', long: 'http1.1' },
  { name: 'v4', short: '4', long: 'ipv4' },
  { name: 'help', short: 'h', long: 'help' },
  { name: 'version', short: 'V', long: 'version' },
] as const;

const HELP = `Usage: curl [options...] <url>
 -d, --data <data>          HTTP POST data
 -f, --fail                 Fail fast with no output on HTTP errors
 -h, --help <category>      Get help for commands
 -i, --include              Include protocol response headers in the output
 -o, --output <file>        Write to file instead of stdout
 -O, --remote-name          Write output to a file named as the remote file
 -s, --silent               Silent mode
 -T, --upload-file <file>   Transfer local FILE to destination
 -u, --user <user:password> Server user and password
 -A, --user-agent <name>    Send User-Agent <name> to server
 -v, --verbose              Make the operation more talkative
 -V, --version              Show version number and quit

This is not the full help, this menu is stripped into categories.
Use "--help category" to get an overview of all categories.
For all options use the manual or "--help all".
`;

interface Url {
  host: string;
  port: number;
  path: string;
  hostHeader: string;
}

function parseUrl(text: string): Url | { error: number; message: string } {
  let rest = text;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'http') return { error: 1, message: `Protocol "${m[1]}" not supported or disabled in libcurl` };
    rest = text.slice(m[0].length);
  }
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '/' : rest.slice(slash);
  path = path.replace(/#.*/, '');
  if (path.startsWith('?')) path = `/${path}`;
  const at = authority.lastIndexOf('@');
  const hp = at >= 0 ? authority.slice(at + 1) : authority;
  const colon = hp.lastIndexOf(':');
  const host = colon >= 0 ? hp.slice(0, colon) : hp;
  const portText = colon >= 0 ? hp.slice(colon + 1) : '';
  if (host === '' || !/^[A-Za-z0-9._-]+$/.test(host)) return { error: 3, message: 'URL using bad/illegal format or missing URL' };
  let port = 80;
  if (portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) return { error: 3, message: 'URL using bad/illegal format or missing URL' };
    port = Number(portText);
  }
  return { host, port, path, hostHeader: port === 80 ? host : `${host}:${port}` };
}

/** curl's max5data: a size in five columns. */
function size5(n: number): string {
  if (n < 100000) return String(n).padStart(5);
  if (n < 10000 * 1024) return `${String(Math.floor(n / 1024)).padStart(4)}k`;
  if (n < 100 * 1024 * 1024) return `${(n / 1048576).toFixed(1).padStart(4)}M`;
  return `${String(Math.floor(n / 1048576)).padStart(4)}M`;
}

function meter(bytes: number, total: number, elapsedNs: number): string {
  const speed = Math.round(bytes / Math.max(elapsedNs / NS_PER_SEC, 0.001));
  const pct = total > 0 ? Math.floor((bytes * 100) / total) : 0;
  return (
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
    '                                 Dload  Upload   Total   Spent    Left  Speed\n' +
    `${String(pct).padStart(3)} ${size5(total)}  ${String(pct).padStart(3)} ${size5(bytes)}    0     0  ${size5(speed)}      0 --:--:-- --:--:-- --:--:-- ${size5(speed)}\n`
  );
}

function run(ctx: Ctx): void {
  const g = getopt(ctx.args, OPTS);
  if (!g.ok) {
    const e = g.error;
    const opt = e.kind === 'unknown-short' || (e.kind === 'missing-arg' && !e.long) ? `-${e.option}` : `--${e.option}`;
    ctx.err(`curl: option ${opt}: ${e.kind === 'missing-arg' ? 'requires parameter' : 'is unknown'}\n${TRY}`);
    return ctx.exit(2);
  }
  const o = g.opts;
  if (o.has('help')) {
    ctx.out(HELP);
    return ctx.exit(0);
  }
  if (o.has('version')) {
    ctx.out(VERSION);
    return ctx.exit(0);
  }
  const urlText = o.operands[0];
  if (urlText === undefined) {
    ctx.err(TRY);
    return ctx.exit(2);
  }
  const verbose = o.has('verbose');
  const silent = o.has('silent');
  const showErr = !silent || o.has('show-error');
  const info = (s: string): void => {
    if (verbose) ctx.err(`${s}\n`);
  };
  const start = ctx.sched.now;
  const elapsedMs = (): number => Math.floor((ctx.sched.now - start) / NS_PER_MS);
  const fail = (code: number, message: string): void => {
    if (showErr) ctx.err(`curl: (${code}) ${message}\n`);
    ctx.exit(code);
  };
  const url = parseUrl(urlText);
  if ('error' in url) return fail(url.error, url.message);
  const timeoutOpt = (name: 'max-time' | 'connect-timeout'): number | null | undefined => {
    if (!o.has(name)) return undefined;
    const s = parseSeconds(o.get(name));
    return s === null ? null : Math.round(s * 1e9);
  };
  const maxTime = timeoutOpt('max-time');
  const connectTimeout = timeoutOpt('connect-timeout');
  if (maxTime === null || connectTimeout === null) {
    ctx.err(`curl: option ${maxTime === null ? '-m' : '--connect-timeout'}: expected a proper numerical parameter\n${TRY}`);
    return ctx.exit(2);
  }
  // --resolve host:port:addr
  let pinned: number | null = null;
  for (const r of o.all('resolve')) {
    const parts = r.split(':');
    const a = parts.length === 3 ? parseIpv4Addr(parts[2]!) : null;
    if (a === null) {
      ctx.err(`curl: option --resolve: bad argument\n${TRY}`);
      return ctx.exit(2);
    }
    info(`* Added ${r} to DNS cache`);
    if (parts[0] === url.host && Number(parts[1]) === url.port) pinned = a;
  }
  const method = o.get('request') ?? (o.has('head') ? 'HEAD' : o.has('data') ? 'POST' : 'GET');
  const headers = new HttpHeaders();
  headers.add('Host', url.hostHeader);
  headers.add('User-Agent', o.get('user-agent') ?? 'curl/7.88.1');
  headers.add('Accept', '*/*');
  const body = o.has('data') ? o.all('data').join('&') : '';
  if (o.has('data')) {
    headers.add('Content-Length', String(Buffer.byteLength(body)));
    headers.add('Content-Type', 'application/x-www-form-urlencoded');
  }
  for (const h of o.all('header')) {
    const c = h.indexOf(':');
    if (c <= 0) continue;
    const name = h.slice(0, c).trim();
    const value = h.slice(c + 1).trim();
    if (value === '') headers.delete(name);
    else if (headers.has(name)) headers.set(name, value);
    else headers.add(name, value);
  }
  const req = new HttpRequest({ method, target: url.path, headers, body });
  const host: Host = ctx.device;

  let received = 0;
  if (maxTime !== undefined) {
    ctx.after(maxTime, () => {
      if (phase === 'connect') {
        info(`* Connection timed out after ${elapsedMs()} milliseconds`);
        info('* Closing connection 0');
        fail(28, `Connection timed out after ${elapsedMs()} milliseconds`);
      } else {
        info(`* Operation timed out after ${elapsedMs()} milliseconds with ${received} bytes received`);
        info('* Closing connection 0');
        fail(28, `Operation timed out after ${elapsedMs()} milliseconds with ${received} bytes received`);
      }
    });
  }
  let phase: 'resolve' | 'connect' | 'transfer' = 'resolve';

  const connect = (addr: number): void => {
    phase = 'connect';
    const a = ipv4ToString(addr);
    info(`*   Trying ${a}:${url.port}...`);
    const sock = host.stack.tcp.connect({ host: a, port: url.port, app: 'curl' });
    // Exiting closes the descriptor: after end() the kernel finishes the close on its own.
    ctx.onExit(() => {
      if (!sock.destroyed && !sock.writableEnded) sock.destroy();
    });
    if (connectTimeout !== undefined) {
      ctx.after(connectTimeout, () => {
        if (phase !== 'connect') return;
        info(`* Connection timed out after ${elapsedMs()} milliseconds`);
        info('* Closing connection 0');
        fail(28, `Connection timed out after ${elapsedMs()} milliseconds`);
      });
    }
    const parser = new HttpParser('response');
    parser.expectResponseTo(method);
    let headDone = false;
    const showHead = (r: HttpResponse): void => {
      if (verbose) {
        ctx.err(`< ${r.version} ${r.status}${r.reason ? ` ${r.reason}` : ''}\n`);
        for (const [n, v] of r.headers) ctx.err(`< ${n}: ${v}\n`);
        ctx.err('< \n');
      }
      if (o.has('include') || o.has('head')) {
        let s = `${r.version} ${r.status}${r.reason ? ` ${r.reason}` : ''}\n`;
        for (const [n, v] of r.headers) s += `${n}: ${v}\n`;
        s += '\n';
        if (o.has('output')) bodyParts.push(s);
        else ctx.out(s);
      }
    };
    const bodyParts: string[] = [];
    const complete = (r: HttpResponse): void => {
      if (!headDone) {
        headDone = true;
        if (o.has('fail') && r.status >= 400) {
          info('* The requested URL returned error: ' + r.status);
          info('* Closing connection 0');
          sock.destroy();
          return fail(22, `The requested URL returned error: ${r.status}`);
        }
        showHead(r);
      }
      const text = Buffer.from(r.body).toString('latin1');
      const out = o.get('output');
      if (out !== undefined) {
        if (verbose && r.body.length > 0) ctx.err(`{ [${r.body.length} bytes data]\n`);
        const path = out.startsWith('/') ? out : `/root/${out}`;
        host.files.set(path, bodyParts.join('') + text);
        if (!silent && !verbose) ctx.err(meter(r.body.length, Number(r.headers.get('content-length') ?? r.body.length), ctx.sched.now - start));
      } else if (method !== 'HEAD') ctx.out(text);
      if (r.keepAlive) info(`* Connection #0 to host ${url.host} left intact`);
      else info('* Closing connection 0');
      sock.end();
      const w = o.get('write-out');
      if (w !== undefined) {
        const vars: Record<string, string> = {
          http_code: String(r.status).padStart(3, '0'),
          response_code: String(r.status),
          size_download: String(r.body.length),
          remote_ip: a,
          remote_port: String(url.port),
          url_effective: urlText.includes('://') ? urlText : `http://${urlText}`,
          content_type: r.headers.get('content-type') ?? '',
          num_connects: '1',
          time_total: ((ctx.sched.now - start) / NS_PER_SEC).toFixed(6),
          method,
        };
        ctx.out(w.replace(/%\{([a-z_]+)\}/g, (m0, k: string) => vars[k] ?? m0).replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\r/g, '\r'));
      }
      ctx.exit(0);
    };
    sock.on('connect', () => {
      phase = 'transfer';
      info(`* Connected to ${url.host} (${a}) port ${url.port} (#0)`);
      if (verbose) {
        ctx.err(`> ${req.method} ${req.target} ${req.version}\n`);
        for (const [n, v] of req.headers) ctx.err(`> ${n}: ${v}\n`);
        ctx.err('> \n');
      }
      sock.write(req.encode());
    });
    sock.on('data', (d) => {
      received += d.length;
      parser.push(new Uint8Array(d));
      const m = parser.next();
      if (m) complete(m);
      else if (parser.error) {
        info('* Closing connection 0');
        sock.destroy();
        fail(1, 'Received HTTP/0.9 when not allowed');
      }
    });
    sock.on('end', () => {
      if (ctx.finished) return;
      parser.end();
      const m = parser.next();
      if (m) return complete(m);
      info('* Empty reply from server');
      info('* Closing connection 0');
      fail(received === 0 ? 52 : 18, received === 0 ? 'Empty reply from server' : `transfer closed with outstanding read data remaining`);
    });
    sock.on('error', (err: Error) => {
      if (ctx.finished) return;
      const code = (err as NetError).code;
      if (phase === 'connect') {
        const why = code === 'ECONNREFUSED' ? 'Connection refused' : code === 'ETIMEDOUT' ? 'Connection timed out' : code === 'ENETUNREACH' ? 'Network is unreachable' : 'No route to host';
        info(`* connect to ${a} port ${url.port} failed: ${why}`);
        const msg = `Failed to connect to ${url.host} port ${url.port} after ${elapsedMs()} ms: Couldn't connect to server`;
        info(`* ${msg}`);
        info('* Closing connection 0');
        return fail(7, msg);
      }
      info('* Recv failure: Connection reset by peer');
      info('* Closing connection 0');
      fail(56, 'Recv failure: Connection reset by peer');
    });
  };

  if (pinned !== null) {
    info(`* Hostname ${url.host} was found in DNS cache`);
    return connect(pinned);
  }
  resolveName(ctx, url.host, 'curl', (r) => {
    if (ctx.finished) return;
    if (!r.ok) {
      info(`* Could not resolve host: ${url.host}`);
      info('* Closing connection 0');
      return fail(6, `Could not resolve host: ${url.host}`);
    }
    connect(r.addr);
  });
}

export const curl: CommandSpec<Host> = { name: 'curl', summary: 'transfer a URL (HTTP)', run };
