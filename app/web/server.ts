/**
 * Web mode: the renderer served to a local browser, with the engine host behind a WebSocket.
 *
 * - Binds 127.0.0.1 only (never 0.0.0.0): nothing off this machine can connect.
 * - A random per-run token: the printed URL carries it once (`/?token=…`); the server answers with an
 *   HttpOnly, SameSite=Strict cookie and redirects to `/`, so the token leaves the address bar. Every
 *   HTTP request and WebSocket upgrade without a valid cookie is refused (403).
 * - The Host header must name this server (DNS rebinding), and a WebSocket's Origin must be this
 *   server's own origin (cross-site WebSocket hijacking).
 * - Only the built renderer's files are served, with a strict CSP (no inline script, no remote
 *   content, connect-src only this server's WebSocket) and nosniff/no-referrer/frame-ancestors.
 * - Bridge calls are validated (app/shared/bridge.ts) before they reach the engine host; shell-only
 *   methods (native dialogs) answer `unsupported`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BridgeError, decodeWire, encodeWire, isRequestMsg, methodSide, toErrorData, validateCall, type HostMsg } from '../shared/bridge.ts';

/** What the server needs of the engine host (engine/host/index.ts's EngineHost fits). */
export interface HostLike {
  call(method: string, args: readonly unknown[]): Promise<unknown>;
  onEvent(fn: (name: string, payload: unknown) => void): () => void;
}

export interface WebServerOptions {
  /** Directory of the built renderer (index.html, main.js, ...). */
  readonly rendererDir: string;
  readonly host: HostLike;
  /** 0 (default): any free port. */
  readonly port?: number;
}

export interface WebServer {
  /** The URL to open, with the token: `http://127.0.0.1:PORT/?token=…`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export const BIND_ADDRESS = '127.0.0.1';
export const COOKIE = 'pktlab_token';
const MAX_WS_PAYLOAD = 768 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ws://${BIND_ADDRESS}:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/** The files of `dir` by URL path, read once: no path from a request ever reaches the file system. */
function loadFiles(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const type = TYPES[extname(n)];
        if (type) files.set(`/${relative(dir, p).split(sep).join('/')}`, { body: readFileSync(p), type });
      }
    }
  };
  walk(dir);
  return files;
}

function cookieToken(req: IncomingMessage): string | null {
  const h = req.headers.cookie;
  if (!h) return null;
  for (const part of h.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

function sameToken(a: string | null, token: string): boolean {
  if (a === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = randomBytes(32).toString('base64url');
  const files = loadFiles(opts.rendererDir);
  let port = 0;
  const hostOk = (req: IncomingMessage): boolean => req.headers.host === `${BIND_ADDRESS}:${port}` || req.headers.host === `localhost:${port}`;

  const refuse = (res: ServerResponse, status: number, msg: string): void => {
    res.writeHead(status, { ...securityHeaders(port), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${msg}\n`);
  };

  const server = createServer((req, res) => {
    if (!hostOk(req)) return refuse(res, 403, 'forbidden: unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', `http://${BIND_ADDRESS}:${port}`);
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!sameToken(given, token)) return refuse(res, 403, 'forbidden: wrong token');
      // Exchange the token for an HttpOnly cookie and drop it from the address bar.
      res.writeHead(303, {
        ...securityHeaders(port),
        'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
      });
      res.end();
      return;
    }
    if (!sameToken(cookieToken(req), token)) return refuse(res, 403, 'forbidden: open the URL pktlab printed (it carries the access token)');
    const f = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!f) return refuse(res, 404, 'not found');
    res.writeHead(200, { ...securityHeaders(port), 'Content-Type': f.type, 'Content-Length': f.body.length });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD });
  const sockets = new Set<WebSocket>();
  const unsubscribe = opts.host.onEvent((name, payload) => {
    const msg: HostMsg = { t: 'evt', name: name as HostMsg extends { name: infer N } ? N : never, payload };
    const data = encodeWire(msg);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(data);
  });

  server.on('upgrade', (req, socket, head) => {
    const origin = `http://${BIND_ADDRESS}:${port}`;
    const ok =
      hostOk(req) &&
      new URL(req.url ?? '/', origin).pathname === '/ws' &&
      (req.headers.origin === origin || req.headers.origin === `http://localhost:${port}`) &&
      sameToken(cookieToken(req), token);
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        let msg: unknown;
        try {
          const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
          msg = decodeWire(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.length) : buf.toString());
        } catch {
          return;
        }
        if (!isRequestMsg(msg)) return;
        const reply = (m: HostMsg): void => {
          if (ws.readyState === ws.OPEN) ws.send(encodeWire(m));
        };
        const bad = validateCall(msg.method, msg.args);
        const id = msg.id;
        if (bad) return reply({ t: 'res', id, ok: false, error: bad.toJSON() });
        if (methodSide(msg.method) === 'shell') {
          return reply({ t: 'res', id, ok: false, error: new BridgeError('unsupported', `${msg.method} needs the desktop app; in web mode the page uses the browser's file picker and downloads`).toJSON() });
        }
        opts.host.call(msg.method, msg.args).then(
          (value) => reply({ t: 'res', id, ok: true, value: value ?? null }),
          (e: unknown) => reply({ t: 'res', id, ok: false, error: toErrorData(e) }),
        );
      });
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, BIND_ADDRESS, () => {
      port = (server.address() as AddressInfo).port;
      const origin = `http://${BIND_ADDRESS}:${port}`;
      resolve({
        url: `${origin}/?token=${token}`,
        origin,
        port,
        token,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe();
            for (const s of sockets) s.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
