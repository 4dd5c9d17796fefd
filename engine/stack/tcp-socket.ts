/**
 * Sockets and servers in the shape of Node's `net` module, so apps on emulated hosts read like
 * ordinary Node code:
 *
 * ```ts
 * const server = tcp.createServer((sock) => sock.on('data', (d) => sock.write(d)));
 * server.listen(7);
 * const c = tcp.connect({ host: '10.0.0.2', port: 7 }, () => c.end('hi'));
 * ```
 *
 * Events fire synchronously inside scheduler events (never on the wall clock, promises or
 * microtasks). Where Node defers an event to the next tick ('error', 'close', 'finish',
 * 'listening'), it is deferred to a scheduler event at the same virtual time, so runs stay
 * deterministic. 'data' carries a Buffer view of the received frame (not copied).
 *
 * Differences from Node: addresses are IPv4 dotted quads (no name resolution); `pauseAccepting` /
 * `resumeAccepting` on a server model an app that is slow to call accept(2) (the accept queue then
 * fills and the listen backlog overflows); an unhandled 'error' does not throw (see events.ts).
 */
import type { Ipv4Addr } from '../wire/addr.ts';
import { ipv4ToString } from '../wire/addr.ts';
import { Emitter } from './events.ts';
import { type ConnOwner, NetError, type TcpConnection } from './tcp-conn.ts';
import type { ListenerOwner, TcpLayer, TcpListener } from './tcp.ts';

const MS = 1_000_000;

export interface ConnectOptions {
  readonly port: number;
  /** Dotted quad; default 127.0.0.1. */
  readonly host?: string;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** Node's default false: after the peer's FIN the socket ends its side too. */
  readonly allowHalfOpen?: boolean;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  /** Milliseconds, as in Node. */
  readonly keepAliveInitialDelay?: number;
  /** Owning application name (for `ss -p`). */
  readonly app?: string;
}

export interface ServerOptions {
  readonly allowHalfOpen?: boolean;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
  /** Start paused: 'data' only after resume() (Node's pauseOnConnect). */
  readonly pauseOnConnect?: boolean;
  /** Owning application name (for `ss -p`). */
  readonly app?: string;
}

export type SocketEvents = {
  connect: () => void;
  ready: () => void;
  data: (data: Buffer) => void;
  end: () => void;
  finish: () => void;
  drain: () => void;
  timeout: () => void;
  error: (err: Error) => void;
  close: (hadError: boolean) => void;
};

export type ServerEvents = {
  listening: () => void;
  connection: (socket: TcpSocket) => void;
  close: () => void;
  error: (err: Error) => void;
};

function toBytes(data: Uint8Array | string, encoding?: BufferEncoding): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data;
}

/** A TCP socket (Node's net.Socket). */
export class TcpSocket extends Emitter<SocketEvents> implements ConnOwner {
  private conn: TcpConnection | null = null;
  private laddr: Ipv4Addr = 0;
  private lport = 0;
  private raddr: Ipv4Addr = 0;
  private rport = 0;
  readonly allowHalfOpen: boolean;
  readonly app: string | undefined;
  connecting = false;
  destroyed = false;
  /** The peer's FIN was read ('end' emitted). */
  readableEnded = false;
  /** end() was called. */
  writableEnded = false;
  private closeEmitted = false;
  private pausedFlag = false;
  /** end()'s callback and the deferred 'close' error, held for the shared deferred handlers below. */
  private finishCb: (() => void) | undefined = undefined;
  private closeErr: Error | undefined = undefined;
  bytesRead = 0;
  bytesWritten = 0;
  private idleTimeout = 0;
  private idleAt = -1;
  private idleTimer: { cancel(): void; readonly active: boolean; readonly time: number } | null = null;

  /** @internal Use TcpLayer.connect / createServer. */
  constructor(
    readonly layer: TcpLayer,
    opts: { allowHalfOpen?: boolean; app?: string } = {},
  ) {
    super();
    this.allowHalfOpen = opts.allowHalfOpen ?? false;
    this.app = opts.app;
  }

  /** @internal Active open. */
  connectNow(o: ConnectOptions): void {
    const layer = this.layer;
    this.connecting = true;
    const raddr = layer.parseHost(o.host);
    this.rport = o.port;
    if (raddr === null) {
      this.failSoon(new NetError('EHOSTUNREACH', 'connect', o.host, o.port));
      return;
    }
    this.raddr = raddr;
    let laddr: Ipv4Addr | null;
    if (o.localAddress !== undefined) {
      laddr = layer.parseHost(o.localAddress);
      if (laddr === null || !layer.host.isLocalAddress(laddr)) {
        this.failSoon(new NetError('EADDRNOTAVAIL', 'connect', o.localAddress, o.localPort));
        return;
      }
    } else {
      laddr = layer.host.sourceAddressFor(raddr);
      if (laddr === null) {
        this.failSoon(new NetError('ENETUNREACH', 'connect', ipv4ToString(raddr), o.port));
        return;
      }
    }
    this.laddr = laddr;
    let conn: TcpConnection;
    try {
      const lport = o.localPort ?? layer.pickPort(laddr, raddr, o.port);
      this.lport = lport;
      conn = layer.openConnection(laddr, lport, raddr, o.port, this.app);
    } catch (e) {
      this.failSoon(e as Error);
      return;
    }
    this.attach(conn);
    if (o.noDelay) conn.nodelay = true;
    if (o.keepAlive) conn.setKeepAlive(true, (o.keepAliveInitialDelay ?? 0) * MS);
    conn.openActive();
  }

  /** @internal An accepted connection. */
  attach(conn: TcpConnection): void {
    this.conn = conn;
    conn.owner = this;
    this.laddr = conn.laddr;
    this.lport = conn.lport;
    this.raddr = conn.raddr;
    this.rport = conn.rport;
  }

  get remoteAddress(): string | undefined {
    return this.raddr === 0 ? undefined : ipv4ToString(this.raddr);
  }
  get remotePort(): number | undefined {
    return this.rport === 0 ? undefined : this.rport;
  }
  get remoteFamily(): string {
    return 'IPv4';
  }
  get localAddress(): string | undefined {
    return this.laddr === 0 && this.lport === 0 ? undefined : ipv4ToString(this.laddr);
  }
  get localPort(): number | undefined {
    return this.lport === 0 ? undefined : this.lport;
  }
  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.lport === 0) return {};
    return { address: ipv4ToString(this.laddr), family: 'IPv4', port: this.lport };
  }
  /** The connection underneath (for `ss` and tests); null once the socket let go of it. */
  get connection(): TcpConnection | null {
    return this.conn;
  }
  get pending(): boolean {
    return this.connecting;
  }
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.destroyed || this.closeEmitted) return 'closed';
    if (this.readableEnded && this.writableEnded) return 'closed';
    if (this.readableEnded) return 'writeOnly';
    if (this.writableEnded) return 'readOnly';
    return 'open';
  }
  /** Bytes written and not yet sent (Node's writableLength / bufferSize). */
  get writableLength(): number {
    return this.conn === null ? 0 : this.conn.unsent;
  }
  get bufferSize(): number {
    return this.writableLength;
  }
  get writableNeedDrain(): boolean {
    return this.conn !== null && this.conn.unsent >= this.layer.cfg.highWaterMark;
  }
  get paused(): boolean {
    return this.pausedFlag;
  }
  isPaused(): boolean {
    return this.pausedFlag;
  }

  /** Queues data; false when the caller should wait for 'drain'. */
  write(data: Uint8Array | string, encoding?: BufferEncoding | ((err?: Error) => void), cb?: (err?: Error) => void): boolean {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (this.writableEnded) {
      const err = new Error('write after end') as Error & { code: string };
      err.code = 'ERR_STREAM_WRITE_AFTER_END';
      this.soon(() => {
        cb?.(err);
        this.emit('error', err);
      });
      return false;
    }
    const conn = this.conn;
    if (conn === null || this.destroyed || !conn.writable) {
      const err = new NetError('EPIPE', 'write');
      this.soon(() => cb?.(err));
      if (!this.destroyed) this.destroy(err);
      return false;
    }
    const bytes = toBytes(data, encoding);
    this.bytesWritten += bytes.length;
    this.touch();
    const ok = conn.write(bytes);
    if (cb) this.soon(() => cb!());
    return ok;
  }

  /** Half-close: FIN after the queued data. */
  end(data?: Uint8Array | string | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    } else if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (this.writableEnded || this.destroyed) {
      if (cb) this.soon(cb);
      return this;
    }
    if (data !== undefined) this.write(data, encoding);
    this.writableEnded = true;
    this.conn?.end();
    this.finishCb = cb;
    this.layer.sched.post(TcpSocket.fireFinish, this, this.layer.labelSocket);
    return this;
  }

  // Deferred 'finish' and 'close': shared functions, so a connection's teardown allocates no closures.
  private static readonly fireFinish = (s: TcpSocket): void => {
    const cb = s.finishCb;
    s.finishCb = undefined;
    s.emit('finish');
    cb?.();
    s.maybeClose();
  };

  private static readonly fireClose = (s: TcpSocket): void => {
    const err = s.closeErr;
    s.closeErr = undefined;
    if (err !== undefined) s.emit('error', err);
    s.emit('close', err !== undefined);
  };

  /** close(2) now: unread data → RST, else FIN; 'close' follows (with 'error' first when `err` is given). */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.connecting = false;
    const conn = this.conn;
    this.conn = null;
    if (conn !== null && conn.owner === this) conn.close();
    this.stopIdle();
    this.emitClose(err);
    return this;
  }

  /** Sends RST and closes (Node's socket.resetAndDestroy()). */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    const conn = this.conn;
    this.conn = null;
    if (conn !== null && conn.owner === this) conn.abort();
    this.destroyed = true;
    this.stopIdle();
    this.emitClose(undefined);
    return this;
  }

  pause(): this {
    this.pausedFlag = true;
    return this;
  }

  resume(): this {
    if (!this.pausedFlag) return this;
    this.pausedFlag = false;
    this.soon(() => this.conn?.drainReceiveQueue());
    return this;
  }

  setNoDelay(noDelay = true): this {
    const c = this.conn;
    if (c !== null) {
      c.nodelay = noDelay;
      if (noDelay) c.output(false);
    }
    return this;
  }

  /** `initialDelay` in milliseconds, as in Node. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.conn?.setKeepAlive(enable, initialDelay * MS);
    return this;
  }

  /** Idle timeout in milliseconds (0 disables): 'timeout' after that long without reads or writes. */
  setTimeout(ms: number, cb?: () => void): this {
    this.idleTimeout = ms * MS;
    if (cb) this.once('timeout', cb);
    if (ms === 0) this.stopIdle();
    else this.touch();
    return this;
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  // --- ConnOwner ---------------------------------------------------------------------------------

  onEstablished(): void {
    this.connecting = false;
    this.touch();
    this.emit('connect');
    this.emit('ready');
  }

  onData(d: Uint8Array): void {
    this.bytesRead += d.length;
    this.touch();
    this.emit('data', Buffer.from(d.buffer, d.byteOffset, d.length));
  }

  onEnd(): void {
    this.readableEnded = true;
    this.emit('end');
    if (!this.allowHalfOpen && !this.writableEnded && !this.destroyed) this.end();
    this.maybeClose();
  }

  onDrain(): void {
    this.emit('drain');
  }

  onError(err: NetError): void {
    this.conn = null;
    this.connecting = false;
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopIdle();
    this.emitClose(err);
  }

  onClosed(): void {
    this.conn = null;
    if (!this.destroyed && !this.closeEmitted) {
      this.destroyed = true;
      this.stopIdle();
      this.emitClose(undefined);
    }
  }

  // --- internals ---------------------------------------------------------------------------------

  /** Both directions done (Node's autoDestroy): let go of the connection, which finishes on its own. */
  private maybeClose(): void {
    if (!this.readableEnded || !this.writableEnded || this.destroyed) return;
    this.destroyed = true;
    const conn = this.conn;
    this.conn = null;
    if (conn !== null && conn.owner === this) conn.close();
    this.stopIdle();
    this.emitClose(undefined);
  }

  private emitClose(err: Error | undefined): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.closeErr = err;
    this.layer.sched.post(TcpSocket.fireClose, this, this.layer.labelSocket);
  }

  private failSoon(err: Error): void {
    this.connecting = false;
    this.destroyed = true;
    this.emitClose(err);
  }

  private soon(fn: () => void): void {
    this.layer.sched.after(0, fn, this.layer.labelSocket);
  }

  private touch(): void {
    if (this.idleTimeout <= 0) return;
    const at = this.layer.sched.now + this.idleTimeout;
    this.idleAt = at;
    const t = this.idleTimer;
    if (t !== null && t.active && t.time <= at) return;
    t?.cancel();
    this.idleTimer = this.layer.sched.at(at, () => this.onIdle(), this.layer.labelSocket);
  }

  private onIdle(): void {
    this.idleTimer = null;
    if (this.idleAt < 0 || this.destroyed) return;
    if (this.idleAt > this.layer.sched.now) {
      this.idleTimer = this.layer.sched.at(this.idleAt, () => this.onIdle(), this.layer.labelSocket);
      return;
    }
    this.idleAt = -1;
    this.emit('timeout');
  }

  private stopIdle(): void {
    this.idleAt = -1;
  }
}

/** A TCP server (Node's net.Server). */
export class TcpServer extends Emitter<ServerEvents> implements ListenerOwner {
  private listener: TcpListener | null = null;
  private acceptingFlag = true;
  private readonly opts: ServerOptions;
  private readonly open = new Set<TcpSocket>();
  private closing = false;
  /** Like Node's server.maxConnections: beyond it, new connections are closed at once. */
  maxConnections = Infinity;

  /** @internal Use TcpLayer.createServer. */
  constructor(
    readonly layer: TcpLayer,
    opts: ServerOptions,
    onConnection?: (s: TcpSocket) => void,
  ) {
    super();
    this.opts = opts;
    if (onConnection) this.on('connection', onConnection);
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  get accepting(): boolean {
    return this.acceptingFlag;
  }

  /**
   * `listen(port[, host][, backlog][, cb])` or `listen({ port, host, backlog }[, cb])`. Port 0 picks
   * an ephemeral port. Backlog defaults to 511 (Node) and is capped by somaxconn.
   */
  listen(
    port?: number | { port?: number; host?: string; backlog?: number },
    host?: string | number | (() => void),
    backlog?: number | (() => void),
    cb?: () => void,
  ): this {
    let p = 0;
    let h: string | undefined;
    let b = 511;
    if (typeof port === 'object') {
      p = port.port ?? 0;
      h = port.host;
      b = port.backlog ?? 511;
      if (typeof host === 'function') cb = host;
    } else {
      p = port ?? 0;
      const rest = [host, backlog, cb];
      for (const a of rest) {
        if (typeof a === 'string') h = a;
        else if (typeof a === 'number') b = a;
        else if (typeof a === 'function') cb = a;
      }
    }
    if (cb) this.once('listening', cb);
    const addr = h === undefined || h === '0.0.0.0' || h === '::' ? 0 : this.layer.parseHost(h);
    const sched = this.layer.sched;
    if (addr === null) {
      sched.after(0, () => this.emit('error', new NetError('EADDRNOTAVAIL', 'listen', h, p)), this.layer.labelSocket);
      return this;
    }
    try {
      this.listener = this.layer.listen(addr, p, b, this, this.opts.app);
    } catch (e) {
      sched.after(0, () => this.emit('error', e as Error), this.layer.labelSocket);
      return this;
    }
    sched.after(0, () => this.emit('listening'), this.layer.labelSocket);
    return this;
  }

  address(): { address: string; family: string; port: number } | null {
    const l = this.listener;
    return l === null ? null : { address: ipv4ToString(l.laddr), family: 'IPv4', port: l.lport };
  }

  /** Stops listening; 'close' once every accepted connection has closed (as in Node). */
  close(cb?: (err?: Error) => void): this {
    if (cb) this.once('close', () => cb());
    const l = this.listener;
    this.listener = null;
    if (l !== null) l.close();
    this.closing = true;
    this.maybeEmitClose();
    return this;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.open.size;
    this.layer.sched.after(0, () => cb(null, n), this.layer.labelSocket);
    return this;
  }

  /** pktlab extension: stop taking connections off the accept queue (an app slow to accept). */
  pauseAccepting(): this {
    this.acceptingFlag = false;
    return this;
  }

  /** pktlab extension: take queued connections again. */
  resumeAccepting(): this {
    this.acceptingFlag = true;
    this.listener?.acceptPending();
    return this;
  }

  /** Connections completed and waiting in the accept queue. */
  get acceptQueueLength(): number {
    return this.listener === null ? 0 : this.listener.acceptQueue.length;
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** @internal ListenerOwner: a connection leaves the accept queue. */
  accept(conn: TcpConnection): void {
    const o = this.opts;
    const s = new TcpSocket(this.layer, o);
    s.attach(conn);
    if (this.open.size >= this.maxConnections) {
      s.destroy();
      return;
    }
    if (o.noDelay) conn.nodelay = true;
    if (o.keepAlive) conn.setKeepAlive(true, (o.keepAliveInitialDelay ?? 0) * MS);
    if (o.pauseOnConnect) s.pause();
    this.open.add(s);
    s.once('close', () => {
      this.open.delete(s);
      this.maybeEmitClose();
    });
    this.emit('connection', s);
    // Bytes (or a FIN) that arrived while the connection waited in the accept queue.
    if (!s.paused && conn.hasPendingInput) this.layer.sched.after(0, () => conn.owner === s && conn.drainReceiveQueue(), this.layer.labelSocket);
  }

  private maybeEmitClose(): void {
    if (this.closing && this.listener === null && this.open.size === 0) {
      this.closing = false;
      this.layer.sched.after(0, () => this.emit('close'), this.layer.labelSocket);
    }
  }
}
