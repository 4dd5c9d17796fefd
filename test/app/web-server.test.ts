/** Web mode's HTTP/WebSocket server: loopback only, token required, CSP, origin check, validation. */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { buildRenderer } from '../../app/build.ts';
import { BIND_ADDRESS, COOKIE, startWebServer, type WebServer } from '../../app/web/server.ts';
import { decodeJson, encodeJson, type ResponseMsg } from '../../app/shared/bridge.ts';
import { FakeHost, get } from './helpers.ts';

describe('app/web server', function () {
  let server: WebServer;
  let host: FakeHost;
  let cookie: string;

  before(async function () {
    const rendererDir = await buildRenderer();
    host = new FakeHost();
    server = await startWebServer({ rendererDir, host });
    cookie = `${COOKIE}=${server.token}`;
  });
  after(async () => server.close());

  it('binds 127.0.0.1 only and prints a 127.0.0.1 URL with the token', async function () {
    assert.equal(BIND_ADDRESS, '127.0.0.1');
    assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{40,}$`));
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal)
      .map((i) => i!.address);
    for (const addr of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: addr, port: server.port });
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      });
      assert.ok(refused, `port ${server.port} must not be reachable on ${addr}`);
    }
  });

  it('refuses every HTTP request without the token', async function () {
    for (const path of ['/', '/index.html', '/main.js', '/styles.css', '/nope']) {
      const r = await get(`${server.origin}${path}`);
      assert.equal(r.status, 403, path);
      assert.doesNotMatch(r.body, /<script/);
    }
    assert.equal((await get(`${server.origin}/?token=wrong`)).status, 403);
    assert.equal((await get(`${server.origin}/`, { Cookie: `${COOKIE}=wrong` })).status, 403);
  });

  it('exchanges the token for an HttpOnly cookie, then serves the page with a strict CSP', async function () {
    const r = await get(server.url);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    const setCookie = String(r.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const page = await get(`${server.origin}/`, { Cookie: cookie });
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(csp, new RegExp(`connect-src ws://127\\.0\\.0\\.1:${server.port}(;|$)`));
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    for (const tag of page.body.matchAll(/<script\b[^>]*>/g)) assert.match(tag[0], /\bsrc="/, 'no inline script');
    assert.doesNotMatch(page.body, /https?:\/\//, 'no remote content');
  });

  it('refuses a wrong Host header (DNS rebinding)', async function () {
    const r = await get(`${server.origin}/`, { Cookie: cookie, Host: `evil.example:${server.port}` });
    assert.equal(r.status, 403);
  });

  const openWs = (headers: Record<string, string>): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });

  it('refuses WebSocket upgrades without the cookie or from another origin', async function () {
    await assert.rejects(openWs({ Origin: server.origin }), /403/);
    await assert.rejects(openWs({ Cookie: cookie, Origin: 'http://evil.example' }), /403/);
    await assert.rejects(openWs({ Cookie: cookie }), /403/);
    const ws = await openWs({ Cookie: cookie, Origin: server.origin });
    ws.close();
  });

  it('validates bridge calls before they reach the engine host', async function () {
    const ws = await openWs({ Cookie: cookie, Origin: server.origin });
    const ask = (id: number, method: string, args: unknown[]): Promise<ResponseMsg> =>
      new Promise((resolve) => {
        const on = (d: WebSocket.RawData): void => {
          const m = decodeJson(d.toString()) as ResponseMsg;
          if (m.t === 'res' && m.id === id) {
            ws.off('message', on);
            resolve(m);
          }
        };
        ws.on('message', on);
        ws.send(encodeJson({ t: 'req', id, method, args }));
      });
    const before = host.calls.length;
    const bad = await ask(1, 'labs.open', [42]);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.code, 'bad-args');
      assert.match(bad.error.message, /labs\.open: argument 1 id: expected a string/);
    }
    const unknown = await ask(2, 'process.exit', []);
    assert.ok(!unknown.ok && unknown.error.code === 'unknown-method');
    const extra = await ask(3, 'labs.list', [1]);
    assert.ok(!extra.ok && extra.error.code === 'bad-args');
    const shell = await ask(4, 'files.openDialog', []);
    assert.ok(!shell.ok && shell.error.code === 'unsupported');
    assert.equal(host.calls.length, before, 'nothing reached the engine host');
    const ok = await ask(5, 'labs.list', []);
    assert.ok(ok.ok);
    assert.deepEqual(host.calls.at(-1), { method: 'labs.list', args: [] });
    ws.close();
  });
});
