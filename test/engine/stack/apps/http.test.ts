/**
 * HttpServer and HttpClient over engine/net + engine/stack in virtual time: the server page, keep-alive
 * and new-connection load with the access log and counters agreeing, pipelining order, the slow path,
 * HEAD, error statuses, stop/start, and curl's exit codes.
 */
import assert from 'node:assert/strict';
import { HttpAgent, HttpClient, curlVerbose, curlWriteOut, loadGenerator, staticResolver, type HttpResult, type LoadReport } from '../../../../engine/stack/apps/http-client.ts';
import { HttpServer, parseServerPage } from '../../../../engine/stack/apps/http-server.ts';
import { HttpParser, type HttpResponse } from '../../../../engine/wire/http.ts';
import { appNet, MS, SEC, type AppNet } from './fixture.ts';

function setup(seed = 1, opts: Partial<ConstructorParameters<typeof HttpServer>[1]> = {}): AppNet & { server: HttpServer; client: HttpClient } {
  const t = appNet(seed);
  const server = new HttpServer(t.s2, { name: 'real1', ...opts }).start();
  const client = new HttpClient(t.s1, { resolver: staticResolver(t.s1, { 'www.example.com': '10.0.0.2' }) });
  t.net.runFor(1 * MS);
  return { ...t, server, client };
}

/** Runs one request to completion (bounded virtual time). */
function fetch(t: AppNet & { client: HttpClient }, o: Parameters<HttpClient['request']>[0], maxNs = 400 * SEC): HttpResult {
  let out: HttpResult | undefined;
  t.client.request(o, (r) => (out = r));
  t.net.runUntilCondition(() => out !== undefined, maxNs);
  assert.ok(out !== undefined, 'request did not finish');
  return out;
}

function load(t: AppNet & { client: HttpClient }, o: Parameters<typeof loadGenerator>[1], maxNs = 3600 * SEC): LoadReport {
  let rep: LoadReport | undefined;
  loadGenerator(t.client, o, (r) => (rep = r));
  t.net.runUntilCondition(() => rep !== undefined, maxNs);
  assert.ok(rep !== undefined, 'load did not finish');
  return rep;
}

/** A raw client: writes `bytes`, collects the responses (in order) until the server closes. */
function raw(t: AppNet, port: number, bytes: string, maxNs = 60 * SEC): { responses: HttpResponse[]; times: number[]; closedAt: number; error: string | null } {
  const out = { responses: [] as HttpResponse[], times: [] as number[], closedAt: -1, error: null as string | null };
  const p = new HttpParser('response');
  const sock = t.s1.tcp.connect({ host: '10.0.0.2', port }, () => sock.write(bytes));
  sock.on('data', (d) => {
    if (!p.push(d.slice())) out.error = p.error!.message;
    for (let m = p.next(); m !== null; m = p.next()) {
      out.responses.push(m);
      out.times.push(t.net.now);
    }
  });
  sock.on('error', () => {});
  sock.on('close', () => (out.closedAt = t.net.now));
  t.net.runUntilCondition(() => out.closedAt >= 0, maxNs);
  if (out.closedAt < 0) sock.destroy();
  return out;
}

describe('engine/stack/apps http', () => {
  it('answers with the server page: name, address:port served on, client as seen, Host', () => {
    const t = setup(1, { ports: [30080] });
    const r = fetch(t, { url: 'http://www.example.com:30080/' });
    assert.equal(r.exitCode, 0, r.error);
    const res = r.response!;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('server'), 'nginx/1.22.1');
    assert.equal(res.headers.get('content-type'), 'text/html');
    assert.equal(res.headers.get('content-length'), String(res.body.length));
    assert.match(res.headers.get('date')!, /^Mon, 01 Jan 2024 00:00:00 GMT$/);
    const page = parseServerPage(res.bodyText())!;
    assert.equal(page.server, 'real1');
    assert.equal(page.servedBy, '10.0.0.2:30080');
    assert.equal(page.client, `10.0.0.1:${r.localPort}`);
    assert.equal(page.host, 'www.example.com:30080');
    assert.match(res.bodyText(), /<h1>real1<\/h1>\n<p>served by 10\.0\.0\.2:30080<\/p>/);
    // curl -v transcript
    const v = curlVerbose(r);
    // curl 7.88.1 prints no line while resolving; the blank line ending the head keeps its '> ' prefix.
    assert.deepEqual(v.slice(0, 7), [
      '*   Trying 10.0.0.2:30080...',
      '* Connected to www.example.com (10.0.0.2) port 30080 (#0)',
      '> GET / HTTP/1.1',
      '> Host: www.example.com:30080',
      '> User-Agent: curl/7.88.1',
      '> Accept: */*',
      '> ',
    ]);
    assert.ok(v.includes('< HTTP/1.1 200 OK'));
    assert.equal(v[v.length - 1], '* Connection #0 to host www.example.com left intact');
    assert.ok(r.timings.connect > 0 && r.timings.pretransfer >= r.timings.connect);
    assert.ok(r.timings.starttransfer > r.timings.pretransfer && r.timings.total >= r.timings.starttransfer);
    // Access log, combined format with virtual time.
    assert.equal(t.server.accessLog.length, 1);
    assert.equal(t.server.accessLogLines()[0], '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 ' + res.body.length + ' "-" "curl/7.88.1"');
    // Without a connection cache, the client closes after the transfer (curl exits).
    t.net.runFor(1 * SEC);
    assert.equal(t.server.activeConnections, 0);
  });

  it('1,000 requests over keep-alive: one connection per 100 (keepalive_requests), log and counters agree', () => {
    const t = setup(2, { keepAliveRequests: 100 });
    const rep = load(t, { url: 'http://10.0.0.2/', count: 1000, keepAlive: true });
    assert.equal(rep.ok, 1000);
    assert.equal(rep.failed, 0);
    assert.deepEqual(rep.byServer, { real1: 1000 });
    assert.deepEqual(rep.byServedBy, { '10.0.0.2:80': 1000 });
    assert.equal(rep.connections, 10);
    assert.equal(rep.entries.filter((e) => e.reused).length, 990);
    const s = t.server.stats;
    assert.equal(s.connections, 10);
    assert.equal(s.requests, 1000);
    assert.equal(s.responses, 1000);
    assert.deepEqual(s.byStatus, { 200: 1000 });
    assert.equal(t.server.accessLog.length, 1000);
    // The log names each client port the report saw, with as many requests each.
    const perPortLog = new Map<number, number>();
    for (const e of t.server.accessLog) perPortLog.set(e.remotePort, (perPortLog.get(e.remotePort) ?? 0) + 1);
    const perPortClient = new Map<number, number>();
    for (const e of rep.entries) perPortClient.set(e.localPort!, (perPortClient.get(e.localPort!) ?? 0) + 1);
    assert.deepEqual([...perPortLog].sort(), [...perPortClient].sort());
    assert.ok([...perPortLog.values()].every((n) => n === 100));
    for (const e of rep.entries) assert.equal(e.client, `10.0.0.1:${e.localPort}`);
    t.net.runFor(1 * SEC);
    assert.equal(t.server.activeConnections, 0, 'the agent closed its idle connection at the end');
  });

  it('1,000 requests on new connections, 10 at a time: all answered, log and counters agree', () => {
    const t = setup(3);
    const rep = load(t, { url: 'http://10.0.0.2/index.html', count: 1000, concurrency: 10 });
    assert.equal(rep.ok, 1000);
    assert.equal(rep.connections, 1000);
    assert.ok(rep.entries.every((e) => !e.reused && e.status === 200 && e.server === 'real1'));
    assert.equal(t.server.stats.connections, 1000);
    assert.equal(t.server.stats.requests, 1000);
    assert.deepEqual(t.server.stats.byStatus, { 200: 1000 });
    assert.equal(t.server.accessLog.length, 1000);
    const logged = t.server.accessLog.map((e) => `${e.remoteAddress}:${e.remotePort}`).sort();
    const seen = rep.entries.map((e) => e.client!).sort();
    assert.deepEqual(logged, seen);
    assert.equal(new Set(logged).size, 1000, 'each request from its own connection');
    assert.ok(t.server.accessLog.every((e) => e.request === 'GET /index.html HTTP/1.1' && e.status === 200));
  });

  it('keeps pipelined responses in request order, a slow one holding those after it', () => {
    const t = setup(4, { routes: { '/a': { body: 'A' }, '/b': { body: 'B', status: 201 } } });
    const req = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    const r = raw(t, 80, req('/delay?ms=300') + req('/a') + req('/b', 'Connection: close\r\n'));
    assert.equal(r.error, null);
    assert.deepEqual(r.responses.map((m) => m.status), [200, 200, 201]);
    assert.equal(r.responses[1]!.bodyText(), 'A');
    assert.equal(r.responses[2]!.bodyText(), 'B');
    assert.equal(r.responses[2]!.headers.get('connection'), 'close');
    assert.ok(r.times[0]! >= 300 * MS, 'the slow response waited');
    assert.ok(r.times[1]! >= r.times[0]!, 'the fast ones waited behind it');
    assert.deepEqual(t.server.accessLog.map((e) => e.target), ['/delay?ms=300', '/a', '/b']);
  });

  it('the slow path holds the connection open for the configured virtual time', () => {
    const t = setup(5, { routes: { '/slow': { delayMs: 30_000 } } });
    const box: { r?: HttpResult } = {};
    const got = (): HttpResult | undefined => box.r;
    t.client.request({ url: 'http://10.0.0.2/slow' }, (r) => (box.r = r));
    t.net.runFor(10 * SEC);
    assert.equal(got(), undefined);
    assert.equal(t.server.activeConnections, 1, 'a long-lived connection');
    t.net.runFor(19 * SEC);
    assert.equal(got(), undefined);
    t.net.runFor(2 * SEC);
    assert.equal(got()?.exitCode, 0);
    assert.ok(got()!.timings.starttransfer >= 30 * SEC && got()!.timings.starttransfer < 30 * SEC + 10 * MS);
    assert.ok(t.server.accessLog[0]!.durationNs >= 30 * SEC);
    const q = fetch(t, { url: 'http://10.0.0.2/delay?ms=1500' });
    assert.ok(q.timings.total >= 1500 * MS && q.timings.total < 1600 * MS);
  });

  it('HEAD gets the GET headers with Content-Length and no body', () => {
    const t = setup(6);
    const g = fetch(t, { url: 'http://10.0.0.2/' });
    const h = fetch(t, { url: 'http://10.0.0.2/', method: 'HEAD' });
    assert.equal(h.exitCode, 0, h.error);
    assert.equal(h.response!.body.length, 0);
    assert.equal(h.response!.headers.get('content-length'), String(g.response!.body.length));
    assert.equal(t.server.accessLog[1]!.bytes, 0);
  });

  it('routes: templates, statuses, strict 404, 400 with Connection: close on bad requests and missing Host', () => {
    const t = setup(7, {
      strict: true,
      serverHeader: 'Apache',
      routes: {
        '/': { template: 'hello {{client}} from {{server}} on {{addr}}:{{port}} for {{host}} {{method}} {{path}}' },
        '/health': { body: 'OK', headers: { 'Content-Type': 'text/plain' } },
        '/api/*': { status: 503, body: 'down' },
      },
    });
    const a = fetch(t, { url: 'http://10.0.0.2/' });
    assert.equal(a.response!.bodyText(), 'hello 10.0.0.1 from real1 on 10.0.0.2:80 for 10.0.0.2 GET /');
    assert.equal(a.response!.headers.get('server'), 'Apache');
    const h = fetch(t, { url: 'http://10.0.0.2/health' });
    assert.equal(h.response!.headers.get('content-type'), 'text/plain');
    assert.equal(fetch(t, { url: 'http://10.0.0.2/api/v1/x' }).response!.status, 503);
    const nf = fetch(t, { url: 'http://10.0.0.2/nope' });
    assert.equal(nf.exitCode, 0);
    assert.equal(nf.response!.status, 404);
    assert.match(nf.response!.bodyText(), /<title>404 Not Found<\/title>/);
    const bad = raw(t, 80, 'GARBAGE\r\n\r\n');
    assert.equal(bad.responses.length, 1);
    assert.equal(bad.responses[0]!.status, 400);
    assert.equal(bad.responses[0]!.headers.get('connection'), 'close');
    assert.ok(bad.closedAt > 0, 'server closed the connection');
    const noHost = raw(t, 80, 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(noHost.responses[0]!.status, 400);
    assert.deepEqual(t.server.stats.byStatus, { 200: 2, 503: 1, 404: 1, 400: 2 });
    assert.equal(t.server.stats.parseErrors, 1);
    assert.equal(t.server.accessLog.at(-2)!.request, '-');
  });

  it('honours Connection: close and HTTP/1.0; closes idle keep-alive connections after the timeout', () => {
    const t = setup(8, { keepAliveTimeoutMs: 5000 });
    const c = fetch(t, { url: 'http://10.0.0.2/', headers: { Connection: 'close' } });
    assert.equal(c.response!.headers.get('connection'), 'close');
    assert.ok(curlVerbose(c).includes('* Closing connection 0'));
    const r10 = raw(t, 80, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(r10.responses[0]!.headers.get('connection'), 'close');
    assert.ok(r10.closedAt > 0);
    const agent = new HttpAgent();
    const a = fetch(t, { url: 'http://10.0.0.2/', agent });
    assert.equal(a.exitCode, 0);
    assert.equal(agent.idleCount, 1);
    const b = fetch(t, { url: 'http://10.0.0.2/', agent });
    assert.equal(b.reused, true);
    assert.ok(curlVerbose(b).includes('* Re-using existing connection #0 with host 10.0.0.2'));
    t.net.runFor(4 * SEC);
    assert.equal(t.server.activeConnections, 1);
    t.net.runFor(2 * SEC);
    assert.equal(t.server.activeConnections, 0, 'keepalive_timeout closed it');
    assert.equal(t.server.stats.keepAliveTimeouts, 1);
    assert.equal(agent.idleCount, 0, 'the client noticed the FIN');
    const d = fetch(t, { url: 'http://10.0.0.2/', agent });
    assert.equal(d.reused, false);
    assert.equal(d.connectionId, 1);
  });

  it('retries once on a fresh connection when a reused one dies before the first byte (curl)', () => {
    const t = setup(12, { keepAliveTimeoutMs: 5000 });
    const agent = new HttpAgent();
    assert.equal(fetch(t, { url: 'http://10.0.0.2/', agent }).exitCode, 0);
    // Ask again exactly when the server's keepalive_timeout closes the connection: the FIN crosses the request.
    const box: { r?: HttpResult } = {};
    t.net.sched.at(t.server.accessLog[0]!.time + 5 * SEC, () => t.client.request({ url: 'http://10.0.0.2/', agent }, (r) => (box.r = r)));
    t.net.runFor(10 * SEC);
    const r = box.r!;
    assert.equal(r.exitCode, 0, r.error);
    assert.ok(curlVerbose(r).includes('* Re-using existing connection #0 with host 10.0.0.2'));
    assert.ok(curlVerbose(r).includes('* Connection died, retrying a fresh connect'));
    assert.equal(r.connectionId, 1);
    assert.equal(t.server.stats.requests, 2);
    agent.destroy();
  });

  it('stop() closes connections and refuses SYNs (curl 7); start() serves again', () => {
    const t = setup(9);
    assert.equal(fetch(t, { url: 'http://10.0.0.2/' }).exitCode, 0);
    let slow: HttpResult | undefined;
    t.client.request({ url: 'http://10.0.0.2/delay?ms=60000' }, (r) => (slow = r));
    t.net.runFor(1 * SEC);
    assert.equal(t.server.activeConnections, 1);
    t.server.stop();
    assert.equal(t.server.listening, false);
    t.net.runFor(1 * SEC);
    assert.equal(slow?.exitCode, 52, slow?.error);
    assert.equal(slow!.error, 'curl: (52) Empty reply from server');
    const refused = fetch(t, { url: 'http://10.0.0.2/' });
    assert.equal(refused.exitCode, 7);
    assert.match(refused.error!, /^curl: \(7\) Failed to connect to 10\.0\.0\.2 port 80 after \d+ ms: Couldn't connect to server$/);
    const v = curlVerbose(refused);
    assert.equal(v[0], '*   Trying 10.0.0.2:80...');
    assert.equal(v[1], '* connect to 10.0.0.2 port 80 failed: Connection refused');
    assert.match(v[2]!, /^\* Failed to connect to 10\.0\.0\.2 port 80 after \d+ ms: Couldn't connect to server$/);
    assert.equal(v[3], '* Closing connection 0');
    assert.equal(v[4], refused.error);
    t.server.start();
    const clash = new HttpServer(t.s2, { name: 'other' }).start();
    t.net.runFor(1 * MS);
    assert.equal((clash.lastError as { code?: string } | null)?.code, 'EADDRINUSE');
    assert.equal(clash.listening, false);
    assert.equal(fetch(t, { url: 'http://10.0.0.2/' }).exitCode, 0);
    assert.equal(t.server.stats.requests, 3);
  });

  it('client errors carry curl exit codes: 6, 7, 28, 52, 56, 18, 1, 3', () => {
    const t = setup(10);
    const nores = fetch(t, { url: 'http://nowhere.example.com/' });
    assert.equal(nores.exitCode, 6);
    assert.equal(nores.error, 'curl: (6) Could not resolve host: nowhere.example.com');
    // No host answers ARP for 10.0.0.9: EHOSTUNREACH after the ARP timeout → 7.
    const unreach = fetch(t, { url: 'http://10.0.0.9/' });
    assert.equal(unreach.exitCode, 7);
    assert.ok(curlVerbose(unreach).includes('* connect to 10.0.0.9 port 80 failed: No route to host'));
    // With a shorter --connect-timeout, curl's own timer fires first → 28.
    const to = fetch(t, { url: 'http://10.0.0.9/', connectTimeoutMs: 1000 });
    assert.equal(to.exitCode, 28);
    assert.equal(to.error, 'curl: (28) Failed to connect to 10.0.0.9 port 80 after 1000 ms: Timeout was reached');
    // No route at all (off-subnet, no default route) → 7 at once.
    const noroute = fetch(t, { url: 'http://192.0.2.1/' });
    assert.equal(noroute.exitCode, 7);
    assert.ok(curlVerbose(noroute).includes('* connect to 192.0.2.1 port 80 failed: Network is unreachable'));
    // --max-time during the transfer.
    const mt = fetch(t, { url: 'http://10.0.0.2/delay?ms=10000', maxTimeMs: 2000 });
    assert.equal(mt.exitCode, 28);
    assert.equal(mt.error, 'curl: (28) Operation timed out after 2000 milliseconds with 0 bytes received');
    // A server that resets, one that closes without answering, one that stops mid-body.
    const rst = t.s2.tcp.createServer((s) => s.on('data', () => s.resetAndDestroy()));
    rst.listen(81);
    const empty = t.s2.tcp.createServer((s) => s.on('data', () => s.end()));
    empty.listen(82);
    const partial = t.s2.tcp.createServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort')));
    partial.listen(83);
    t.net.runFor(1 * MS);
    const r56 = fetch(t, { url: 'http://10.0.0.2:81/' });
    assert.equal(r56.exitCode, 56);
    assert.equal(r56.error, 'curl: (56) Recv failure: Connection reset by peer');
    const r52 = fetch(t, { url: 'http://10.0.0.2:82/' });
    assert.equal(r52.exitCode, 52);
    const r18 = fetch(t, { url: 'http://10.0.0.2:83/' });
    assert.equal(r18.exitCode, 18);
    assert.equal(fetch(t, { url: 'https://10.0.0.2/' }).exitCode, 1);
    assert.equal(fetch(t, { url: 'http://:80/' }).exitCode, 3);
  });

  it('--resolve pins a name to an address without the resolver', () => {
    const t = setup(11);
    const r = fetch(t, { url: 'http://pinned.test/', resolve: { host: 'pinned.test', port: 80, addr: '10.0.0.2' } });
    assert.equal(r.exitCode, 0, r.error);
    assert.equal(parseServerPage(r.response!.bodyText())!.host, 'pinned.test');
    assert.ok(curlVerbose(r)[0]!.startsWith('* Added pinned.test:80:10.0.0.2 to DNS cache'));
  });

  it('orders the request head as curl, fails on HTTP errors with -f (22), and expands -w', () => {
    const t = setup(13, { strict: true });
    const r = fetch(t, { url: 'http://10.0.0.2/', headers: [['X-Foo', 'bar'], ['User-Agent', 'me'], ['Accept', ''], ['Host', 'shop']], body: 'a=1', method: 'PUT' });
    assert.deepEqual(r.phases.find((p) => p.kind === 'request-sent')!.lines, ['> PUT / HTTP/1.1', '> Host: shop', '> X-Foo: bar', '> User-Agent: me', '> Content-Length: 3', '> Content-Type: application/x-www-form-urlencoded', '> ']);
    const f = fetch(t, { url: 'http://10.0.0.2/nope', failOnError: true });
    assert.equal(f.exitCode, 22);
    assert.equal(f.error, 'curl: (22) The requested URL returned error: 404');
    assert.deepEqual(curlVerbose(f).slice(-3), ['* The requested URL returned error: 404', '* Closing connection 0', f.error]);
    const w = curlWriteOut('%{http_code} %{exitcode} %{url_effective} %{num_connects} %header{content-type} %{nope}\\n', f);
    assert.deepEqual(w, { text: '404 22 http://10.0.0.2/nope 1 text/html \n', warnings: ["curl: unknown --write-out variable: 'nope'"] });
    const refused = fetch(t, { url: 'http://10.0.0.2:9/' });
    assert.equal(curlWriteOut('%{http_code} %{num_connects}', refused).text, '000 0');
  });

  it('is deterministic: the same seed gives the same results, log and timings', () => {
    const run = (seed: number): string => {
      const t = setup(seed, { routes: { '/slow': { delayMs: 250 } } });
      const rep = load(t, { url: 'http://10.0.0.2/slow', count: 60, concurrency: 4, keepAlive: true, gapMs: 7 });
      return JSON.stringify({ e: rep.entries, log: t.server.accessLog, end: rep.end, now: t.net.now });
    };
    const a = run(21);
    assert.equal(a, run(21));
    assert.notEqual(a, run(22), 'a different seed changes ports');
  });
});
