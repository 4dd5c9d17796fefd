/**
 * curl, shaped like curl 7.88.1 (Debian 12) for http:// URLs: -v -s -S -i -I -H -X -d -o -w -m
 * --connect-timeout --resolve -f -A. This is the command line and the terminal: the transfer, its
 * `-v` lines, exit codes and messages, -w variables and the progress meter come from engine/stack/apps
 * HttpClient, with names resolved by the host's DnsResolver. TLS is not emulated: https:// URLs are
 * refused like a libcurl built without it. Exit code 2 is the command line's.
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
import { parseIpv4Addr } from '../../wire/addr.ts';
import type { HttpResponse } from '../../wire/http.ts';
import { HttpClient, curlProgressMeter, curlWriteOut, type HttpPhase, type HttpResult, type ResolveEntry } from '../../stack/apps/index.ts';
import { getopt, type CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
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

function headText(r: HttpResponse): string {
  let s = `${r.version} ${r.status}${r.reason ? ` ${r.reason}` : ''}\n`;
  for (const [n, v] of r.headers) s += `${n}: ${v}\n`;
  return `${s}\n`;
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
  const timeoutOpt = (name: 'max-time' | 'connect-timeout'): number | null | undefined => {
    if (!o.has(name)) return undefined;
    const s = parseSeconds(o.get(name));
    return s === null ? null : Math.round(s * 1000);
  };
  const maxTime = timeoutOpt('max-time');
  const connectTimeout = timeoutOpt('connect-timeout');
  if (maxTime === null || connectTimeout === null) {
    ctx.err(`curl: option ${maxTime === null ? '-m' : '--connect-timeout'}: expected a proper numerical parameter\n${TRY}`);
    return ctx.exit(2);
  }
  const resolve: ResolveEntry[] = [];
  for (const r of o.all('resolve')) {
    const parts = r.split(':');
    if (parts.length !== 3 || parseIpv4Addr(parts[2]!) === null || !/^\d+$/.test(parts[1]!)) {
      ctx.err(`curl: option --resolve: bad argument\n${TRY}`);
      return ctx.exit(2);
    }
    resolve.push({ host: parts[0]!, port: Number(parts[1]), addr: parts[2]! });
  }
  const headers: [string, string][] = [];
  for (const h of o.all('header')) {
    const c = h.indexOf(':');
    if (c > 0) headers.push([h.slice(0, c).trim(), h.slice(c + 1).trim()]);
  }
  const method = o.get('request') ?? (o.has('head') ? 'HEAD' : o.has('data') ? 'POST' : 'GET');
  const output = o.get('output');
  const host: Host = ctx.device;
  const client = new HttpClient(host.stack, { resolver: host.resolver(), userAgent: o.get('user-agent') ?? 'curl/7.88.1' });
  let fileText = '';
  const start = host.sched.now;
  const handle = client.request(
    {
      url: urlText,
      method,
      headers,
      ...(o.has('data') ? { body: o.all('data').join('&') } : {}),
      ...(resolve.length > 0 ? { resolve } : {}),
      ...(maxTime !== undefined ? { maxTimeMs: maxTime } : {}),
      ...(connectTimeout !== undefined ? { connectTimeoutMs: connectTimeout } : {}),
      ...(o.has('fail') ? { failOnError: true } : {}),
    },
    {
      onPhase: (p: HttpPhase) => {
        if (ctx.finished || !verbose) return;
        // curl says "[N bytes data]" only when the body does not go to the terminal.
        if (p.kind === 'body' && output === undefined) return;
        for (const l of p.lines) ctx.err(`${l}\n`);
      },
      onResponse: (r) => {
        if (ctx.finished || (o.has('fail') && r.status >= 400)) return;
        const head = o.has('include') || o.has('head') ? headText(r) : '';
        const text = Buffer.from(r.body).toString('latin1');
        if (output !== undefined) fileText = head + text;
        else ctx.out(method === 'HEAD' ? head : head + text);
      },
      onDone: (r: HttpResult) => {
        host.noteHttp(r, start);
        if (ctx.finished) return;
        if (r.exitCode === 0 && output !== undefined) {
          host.files.set(output.startsWith('/') ? output : `/root/${output}`, fileText);
          if (!silent && !verbose) ctx.err(curlProgressMeter(r));
        }
        if (r.error !== undefined && showErr) ctx.err(`${r.error}\n`);
        const w = o.get('write-out');
        if (w !== undefined) {
          const wo = curlWriteOut(w, r);
          for (const line of wo.warnings) ctx.err(`${line}\n`);
          ctx.out(wo.text);
        }
        ctx.exit(r.exitCode);
      },
    },
  );
  ctx.onExit(() => handle.cancel());
}

export const curl: CommandSpec<Host> = { name: 'curl', summary: 'transfer a URL (HTTP)', run };
