/**
 * Traffic actions: N HTTP requests (or TCP connections, or UDP datagrams) from a host, `concurrency`
 * at a time, each recorded with its outcome and with which server answered it.
 *
 * - url: HTTP GET through the host's resolver (/etc/hosts, then its name servers), curl's client.
 * - to + port, protocol tcp (default): connect, then close; success is an established connection.
 * - to + port, protocol udp: one datagram; success is a datagram back before the timeout.
 * - to + port, protocol http: as url `http://TO:PORT/`.
 *
 * `interval` spaces the starts of consecutive requests; `timeout` bounds each request.
 */
import type { Host } from '../devices/host.ts';
import { parseDuration, type Nanos } from '../sim/time.ts';
import { HttpAgent, HttpClient, parseServerPage, type HttpResult } from '../stack/apps/index.ts';
import type { Action } from './schema.ts';

export type TrafficSpec = Extract<Action, { traffic: unknown }>['traffic'];

export interface TrafficRequest {
  readonly index: number;
  readonly ok: boolean;
  readonly start: Nanos;
  readonly end: Nanos;
  /** HTTP status. */
  readonly status?: number;
  /** Response body (HTTP). */
  readonly body?: string;
  /** The server's name on a default page (HttpServer's), when the body is one. */
  readonly server?: string;
  /** Address that answered. */
  readonly peer?: string;
  /** Response headers, names lower-cased. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly error?: string;
}

export interface TrafficResult {
  readonly id: string | null;
  readonly from: string;
  /** `http://...` or `tcp 10.0.0.1:80`. */
  readonly target: string;
  readonly count: number;
  readonly requests: TrafficRequest[];
  done: boolean;
  /** The requests were typed in `from`'s console (student mode), not made by the action. */
  readonly typed?: boolean;
}

/** A finished HTTP request as a traffic request record. */
export function httpRequestRecord(index: number, start: Nanos, end: Nanos, r: HttpResult): TrafficRequest {
  const body = r.response?.bodyText();
  const page = body === undefined ? null : parseServerPage(body);
  const headers: Record<string, string> = {};
  if (r.response) for (const [k, v] of r.response.headers) headers[k.toLowerCase()] = v;
  return {
    index,
    ok: r.exitCode === 0,
    start,
    end,
    ...(r.response ? { status: r.response.status, body: body!, headers } : {}),
    ...(page ? { server: page.server } : {}),
    ...(r.remoteAddress ? { peer: r.remoteAddress } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

export interface TrafficRun {
  readonly result: TrafficResult;
  /** Upper bound of the virtual time the run may take. */
  readonly limit: Nanos;
  cancel(): void;
}

function ns(d: string | undefined, def: Nanos): Nanos {
  if (d === undefined) return def;
  const r = parseDuration(d);
  return r.ok ? r.value : def;
}

/** A traffic action's settings with their defaults, and its empty result: shared by emulated and real hosts. */
export function planTraffic(spec: TrafficSpec, from: string) {
  const count = spec.count ?? 1;
  const concurrency = Math.max(1, Math.min(spec.concurrency ?? 1, count));
  const timeout = ns(spec.timeout, 5_000_000_000);
  const interval = ns(spec.interval, 0);
  const proto = spec.url ? 'http' : (spec.protocol ?? 'tcp');
  const url = spec.url ?? (proto === 'http' ? `http://${spec.to}:${spec.port ?? 80}/` : null);
  const target = url ?? `${proto} ${spec.to}:${spec.port ?? 0}`;
  const result: TrafficResult = { id: spec.id ?? null, from, target, count, requests: [], done: false };
  return { count, concurrency, timeout, interval, proto, url, target, result };
}

export function startTraffic(host: Host, spec: TrafficSpec): TrafficRun {
  const sched = host.sched;
  const { count, concurrency, timeout, interval, proto, url, result } = planTraffic(spec, host.name);
  const agent = spec.keepAlive ? new HttpAgent() : undefined;
  let client: HttpClient | null = null;
  if (url !== null) {
    client = new HttpClient(host.stack, { resolver: host.resolver() });
  }
  const cancels = new Set<() => void>();
  let next = 0;
  let running = 0;
  let lastStart = -Infinity;
  let cancelled = false;
  let pending = false;

  const finishAll = (): void => {
    if (result.done) return;
    result.done = true;
    agent?.destroy();
  };

  const record = (r: TrafficRequest): void => {
    result.requests[r.index] = r;
    running--;
    pump();
  };

  const one = (index: number): void => {
    const start = sched.now;
    if (client !== null && url !== null) {
      const h = client.request({ url, maxTimeMs: timeout / 1e6, ...(agent ? { agent } : {}) }, (r: HttpResult) => {
        cancels.delete(cancel);
        record(httpRequestRecord(index, start, sched.now, r));
      });
      const cancel = (): void => h.cancel();
      if (!h.done) cancels.add(cancel);
      return;
    }
    const port = spec.port ?? 0;
    const to = spec.to ?? '0.0.0.0';
    let settled = false;
    const settle = (ok: boolean, error?: string, peer?: string): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      cancels.delete(cancel);
      close();
      record({ index, ok, start, end: sched.now, ...(peer ? { peer } : {}), ...(error ? { error } : {}) });
    };
    let close = (): void => {};
    const timer = sched.after(timeout, () => settle(false, 'timed out'), 'traffic-timeout');
    const cancel = (): void => settle(false, 'cancelled');
    cancels.add(cancel);
    if (proto === 'udp') {
      const s = host.stack.udp.createSocket({ type: 'udp4', app: 'traffic' });
      close = () => s.close();
      s.on('message', () => settle(true, undefined, to));
      s.on('error', (e: Error) => settle(false, e.message));
      s.connect(port, to);
      s.send(new TextEncoder().encode('pktlab\n'));
    } else {
      const s = host.stack.tcp.connect({ port, host: to, app: 'traffic' });
      close = () => void s.destroy();
      s.on('connect', () => {
        close = () => {};
        s.end();
        settle(true, undefined, to);
      });
      s.on('error', (e: Error) => settle(false, e.message));
    }
  };

  const pump = (): void => {
    if (cancelled || next >= count) {
      if (running === 0) finishAll();
      return;
    }
    while (running < concurrency && next < count && !pending) {
      const wait = lastStart + interval - sched.now;
      if (wait > 0) {
        pending = true;
        sched.after(wait, () => {
          pending = false;
          pump();
        }, 'traffic-interval');
        return;
      }
      const index = next++;
      running++;
      lastStart = sched.now;
      one(index);
    }
  };

  sched.after(0, pump, 'traffic');
  const perRequest = timeout + interval;
  return {
    result,
    limit: perRequest * Math.ceil(count / concurrency) + interval * count + 60_000_000_000,
    cancel: () => {
      cancelled = true;
      for (const c of [...cancels]) c();
      finishAll();
    },
  };
}
