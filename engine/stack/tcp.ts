/**
 * TCP for one host (RFC 9293) over the IpHost seam: demultiplexing to connections and listeners,
 * the replies for segments that reach no connection (§3.10.7.1), listen queues, ISNs (RFC 6528),
 * ephemeral ports, ICMP errors (RFC 5927, RFC 1191) and the socket table `ss` prints.
 *
 * Linux choices, each a documented option: minimum RTO 200 ms, maximum 120 s, delayed ACK 40 ms,
 * TIME-WAIT 60 s, FIN-WAIT-2 orphan timeout 60 s, 6 SYN / 5 SYN,ACK retries, 15 data retries,
 * ephemeral ports 32768–60999, initial window 10 segments, window scale 7, backlog capped at 4096,
 * no SYN cookies (a full queue drops the SYN).
 *
 * The connection itself is in tcp-conn.ts; the Node-`net`-shaped API in tcp-socket.ts.
 */
import type { IcmpErrorDelivery, IpDelivery, IpHost, Disposable } from '../net/ip-host.ts';
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import { type Ipv4Addr, ipv4ToString, parseIpv4Addr } from '../wire/addr.ts';
import { pseudoChecksum } from '../wire/checksum.ts';
import { IPPROTO_TCP } from '../wire/ipv4.ts';
import { Tcp, TcpFlag, TcpView, clearTcpOptions, decodeTcpInto, type TcpOption } from '../wire/tcp.ts';
import { LINUX_STATE_NAME, NetError, TcpConnection, TimeWaitConn, timeWaitVerdict, type TcpConfig, type TcpEntry, type TcpState } from './tcp-conn.ts';
import { ConnTable, E_LIVE, E_TIME_WAIT, E_ZOMBIE } from './tcp-table.ts';
import { TcpServer, TcpSocket, type ConnectOptions, type ServerOptions } from './tcp-socket.ts';
import { seqAdd } from './tcp-buffer.ts';

export { TcpConnection, TimeWaitConn, NetError, LINUX_STATE_NAME, type TcpState, type TcpConfig, type TcpEntry } from './tcp-conn.ts';
export { TcpServer, TcpSocket, type ConnectOptions, type ServerOptions, type SocketEvents, type ServerEvents } from './tcp-socket.ts';

const MS = 1_000_000;
const SEC = 1_000_000_000;
const { FIN, SYN, RST, ACK } = TcpFlag;
const NO_DATA = new Uint8Array(0);

/** Options of a TcpLayer; times in virtual nanoseconds. */
export interface TcpOptions {
  /** RFC 6298 §2.4 minimum RTO; default 200 ms (Linux TCP_RTO_MIN; the RFC suggests 1 s). */
  readonly minRto?: number;
  /** Upper bound of the RTO with backoff; default 120 s (Linux TCP_RTO_MAX). */
  readonly maxRto?: number;
  /** RTO before the first RTT sample; default 1 s (RFC 6298 §2.1). */
  readonly initialRto?: number;
  /** Delayed-ACK timeout; default 40 ms (Linux TCP_DELACK_MIN; RFC 9293 §3.8.6.3 allows up to 500 ms). */
  readonly delayedAck?: number;
  /** TIME-WAIT duration (2*MSL); default 60 s (Linux TCP_TIMEWAIT_LEN). */
  readonly timeWait?: number;
  /** FIN-WAIT-2 timeout of an orphaned connection; default 60 s (Linux tcp_fin_timeout). */
  readonly finTimeout?: number;
  /** SYN retransmissions before ETIMEDOUT; default 6 (Linux tcp_syn_retries, ~127 s). */
  readonly synRetries?: number;
  /** SYN,ACK retransmissions; default 5 (Linux tcp_synack_retries). */
  readonly synAckRetries?: number;
  /** Data retransmissions before ETIMEDOUT; default 15 (Linux tcp_retries2). */
  readonly retries2?: number;
  /** Receive buffer (bytes the window may offer); default 131072 (Linux tcp_rmem default). */
  readonly recvBuffer?: number;
  /** Window scale shift we offer (RFC 7323 §2.2); default 7 (Linux with a 6 MB tcp_rmem max). */
  readonly windowShift?: number;
  /** Unsent bytes above which write() returns false; default 16384 (Node's writableHighWaterMark). */
  readonly highWaterMark?: number;
  /** Initial congestion window in segments; default 10 (RFC 6928, Linux). */
  readonly initialCwnd?: number;
  /** Offer window scaling (RFC 7323); default true. */
  readonly windowScaling?: boolean;
  /** Offer SACK-permitted (RFC 2018); default true. */
  readonly sack?: boolean;
  /** Keep-alive idle time, interval, probes; defaults 7200 s, 75 s, 9 (Linux). */
  readonly keepaliveTime?: number;
  readonly keepaliveInterval?: number;
  readonly keepaliveProbes?: number;
  /** Largest listen backlog (Linux net.core.somaxconn); default 4096. */
  readonly somaxconn?: number;
  /** Ephemeral port range; default [32768, 60999] (Linux ip_local_port_range). */
  readonly portRange?: readonly [number, number];
}

/** Counters (like `nstat`/`netstat -s`). */
export interface TcpStats {
  segsIn: number;
  segsOut: number;
  badSegments: number;
  activeOpens: number;
  passiveOpens: number;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  dupAcks: number;
  resetsSent: number;
  resetsReceived: number;
  listenDrops: number;
  listenOverflows: number;
  windowProbes: number;
  timeWaitEntered: number;
  pmtuUpdates: number;
}

/** One row of `ss -tanp` (with `-o` timer and a few `-i` fields). */
export interface TcpSocketInfo {
  /** Linux name: ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, ..., LISTEN. */
  readonly state: string;
  /** RFC 9293 name. */
  readonly rfcState: TcpState;
  readonly localAddress: string;
  readonly localPort: number;
  /** '0.0.0.0' and port 0 ('*') for a listener. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Unread bytes; for a listener, the accept queue length. */
  readonly recvQ: number;
  /** Unacknowledged + unsent bytes; for a listener, the backlog. */
  readonly sendQ: number;
  /** Owning application, when one holds the socket. */
  readonly app?: string;
  /** `ss -o`: timer kind ('on', 'persist', 'delack', 'timewait', 'keepalive'), remaining ns, retries. */
  readonly timer?: { readonly kind: string; readonly remaining: number; readonly retries: number };
  readonly mss?: number;
  readonly cwnd?: number;
  readonly rto?: number;
  readonly srtt?: number;
  readonly retransmits?: number;
}

/** Receives the connections a listener completes. */
export interface ListenerOwner {
  /** False while the app is not accepting: completed connections wait in the accept queue. */
  readonly accepting: boolean;
  accept(conn: TcpConnection): void;
}

/** A listening endpoint (RFC 9293 LISTEN) with its SYN queue and accept queue. */
export class TcpListener {
  synQueue = 0;
  readonly acceptQueue: TcpConnection[] = [];
  constructor(
    readonly layer: TcpLayer,
    readonly laddr: Ipv4Addr,
    readonly lport: number,
    readonly backlog: number,
    readonly owner: ListenerOwner,
    readonly app: string | undefined,
  ) {}

  /** Hands waiting connections to the owner while it accepts. */
  acceptPending(): void {
    while (this.acceptQueue.length > 0 && this.owner.accepting) {
      const c = this.acceptQueue.shift()!;
      c.listener = null;
      this.owner.accept(c);
    }
  }

  close(): void {
    this.layer.unlisten(this);
  }
}

function resolve(o: TcpOptions): TcpConfig {
  return {
    minRto: o.minRto ?? 200 * MS,
    maxRto: o.maxRto ?? 120 * SEC,
    initialRto: o.initialRto ?? 1 * SEC,
    delayedAck: o.delayedAck ?? 40 * MS,
    timeWait: o.timeWait ?? 60 * SEC,
    finTimeout: o.finTimeout ?? 60 * SEC,
    synRetries: o.synRetries ?? 6,
    synAckRetries: o.synAckRetries ?? 5,
    retries2: o.retries2 ?? 15,
    recvBuffer: o.recvBuffer ?? 131072,
    windowShift: o.windowShift ?? 7,
    highWaterMark: o.highWaterMark ?? 16384,
    initialCwnd: o.initialCwnd ?? 10,
    windowScaling: o.windowScaling ?? true,
    sack: o.sack ?? true,
    keepaliveTime: o.keepaliveTime ?? 7200 * SEC,
    keepaliveInterval: o.keepaliveInterval ?? 75 * SEC,
    keepaliveProbes: o.keepaliveProbes ?? 9,
  };
}

/** 32-bit finalizer of MurmurHash3. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class TcpLayer {
  readonly cfg: TcpConfig;
  readonly sched: Scheduler;
  readonly stats: TcpStats = {
    segsIn: 0,
    segsOut: 0,
    badSegments: 0,
    activeOpens: 0,
    passiveOpens: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    dupAcks: 0,
    resetsSent: 0,
    resetsReceived: 0,
    listenDrops: 0,
    listenOverflows: 0,
    windowProbes: 0,
    timeWaitEntered: 0,
    pmtuUpdates: 0,
  };
  readonly labelRto: string;
  readonly labelDelack: string;
  readonly labelLong: string;
  readonly labelSocket: string;
  /** @internal Connections and TIME-WAIT records (tcp-table.ts). */
  readonly table = new ConnTable();
  /** Scheduler kind of the TIME-WAIT records' timers. */
  private readonly twKind: number;
  private readonly listeners = new Map<number, TcpListener[]>();
  private readonly somaxconn: number;
  private readonly portLo: number;
  private readonly portHi: number;
  private nextPort: number;
  private readonly secret: readonly [number, number, number, number];
  private readonly binding: Disposable;
  /** Received segments are decoded into this value; nothing keeps it past dispatch. */
  private readonly rxScratch = new Tcp();
  private rxBusy = false;
  /** Bytes of the segment decoded into rxScratch, while it is dispatched. */
  private rxBuf: Uint8Array | null = null;
  private rxStart = 0;
  private rxEnd = 0;
  /** parseHost's last answer: apps connect to the same few hosts over and over. */
  private lastHost: string | undefined = undefined;
  private lastHostAddr: Ipv4Addr | null = null;
  private readonly txScratch = new Tcp();
  /** transmit's request for IP, refilled per segment like txScratch (a nested send gets a fresh one). */
  private readonly txReq: { dst: Ipv4Addr; src: Ipv4Addr; protocol: number; upper: Tcp[]; payload: Uint8Array | undefined; df: boolean } = {
    dst: 0,
    src: 0,
    protocol: 6,
    upper: [this.txScratch],
    payload: undefined,
    df: true,
  };
  private txBusy = false;
  /** SYN option lists by what they carry; serialize only reads them, so connections share them (never edit one). */
  private readonly synOpts = new Map<number, readonly TcpOption[]>();

  constructor(
    readonly host: IpHost,
    opts: TcpOptions = {},
  ) {
    this.cfg = resolve(opts);
    this.sched = host.sched;
    // Timers with these delays fall due in the order they are armed: FIFO lanes keep them out of
    // the scheduler's heap (TIME-WAIT alone can hold tens of thousands).
    const c = this.cfg;
    for (const d of [c.delayedAck, c.timeWait, c.finTimeout, c.minRto, c.initialRto]) this.sched.addLane(d);
    this.somaxconn = opts.somaxconn ?? 4096;
    [this.portLo, this.portHi] = opts.portRange ?? [32768, 60999];
    const isn = host.random('tcp-isn');
    this.secret = [isn.u32(), isn.u32(), isn.u32(), isn.u32()];
    this.nextPort = host.random('tcp-port').int(this.portLo, this.portHi);
    this.labelRto = `tcp-rto ${host.name}`;
    this.labelDelack = `tcp-delack ${host.name}`;
    this.labelLong = `tcp-timer ${host.name}`;
    this.labelSocket = `tcp-socket ${host.name}`;
    this.twKind = this.sched.lightKind((id) => this.twFire(id), this.labelLong);
    this.binding = host.bindProtocol(6, {
      onPacket: (d) => this.onPacket(d),
      onIcmpError: (e) => this.onIcmpError(e),
    });
  }

  /** Unbinds protocol 6 and forgets every connection without sending anything. */
  dispose(): void {
    this.binding.dispose();
    const t = this.table;
    for (const id of [...t.ids()]) {
      const c = t.conn[id];
      const h = t.timerOf(id);
      if (c !== undefined) {
        c.state = 'CLOSED';
        c.tid = -1;
        t.release(id);
      } else if (h >= 0 && this.sched.lightActive(h)) {
        // Its timer still runs (as a no-op), as a closed record's would.
        t.setKind(id, E_ZOMBIE);
      } else t.release(id);
    }
    t.clear();
    this.listeners.clear();
  }

  // ------------------------------------------------------------------------------------------------
  // Node-`net`-shaped API

  /** `net.createServer([options][, connectionListener])`. */
  createServer(opts?: ServerOptions | ((s: TcpSocket) => void), onConnection?: (s: TcpSocket) => void): TcpServer {
    if (typeof opts === 'function') return new TcpServer(this, {}, opts);
    return new TcpServer(this, opts ?? {}, onConnection);
  }

  /** `net.connect(options[, connectListener])` / `net.connect(port[, host][, connectListener])`. */
  connect(opts: ConnectOptions | number, host?: string | (() => void), onConnect?: () => void): TcpSocket {
    let o: ConnectOptions;
    let cb = onConnect;
    if (typeof opts === 'number') {
      if (typeof host === 'function') {
        cb = host;
        o = { port: opts };
      } else o = { port: opts, host: host ?? '127.0.0.1' };
    } else {
      o = opts;
      if (typeof host === 'function') cb = host;
    }
    const s = new TcpSocket(this, o);
    if (cb) s.once('connect', cb);
    s.connectNow(o);
    return s;
  }

  /** Same as connect. */
  createConnection(opts: ConnectOptions | number, host?: string | (() => void), onConnect?: () => void): TcpSocket {
    return this.connect(opts, host, onConnect);
  }

  // ------------------------------------------------------------------------------------------------
  // Table

  /** The connection (or TIME-WAIT record) for a 4-tuple, if any. */
  lookup(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): TcpEntry | undefined {
    const id = this.table.find(laddr, lport, raddr, rport);
    return id < 0 ? undefined : this.entry(id);
  }

  /** A live connection, or a view of a TIME-WAIT record (made only when asked for). */
  private entry(id: number): TcpEntry {
    return this.table.conn[id] ?? new TimeWaitConn(this, id);
  }

  private insert(c: TcpConnection): void {
    const t = this.table;
    const id = t.alloc(c.laddr, c.lport, c.raddr, c.rport);
    t.setKind(id, E_LIVE);
    t.conn[id] = c;
    c.tid = id;
    t.insert(id);
  }

  /** @internal Removes a closed connection from the table and from its listener's queues. */
  detach(c: TcpEntry): void {
    if (!(c instanceof TcpConnection)) {
      c.toClosed();
      return;
    }
    const l = c.listener;
    if (l instanceof TcpListener) {
      const i = l.acceptQueue.indexOf(c);
      if (i >= 0) l.acceptQueue.splice(i, 1);
      else l.synQueue--;
      c.listener = null;
    }
    const id = c.tid;
    if (id < 0) return;
    c.tid = -1;
    this.table.unlink(id);
    this.table.release(id);
  }

  /** Number of connections in the table (any state but LISTEN). */
  get connectionCount(): number {
    return this.table.count;
  }

  /** Every connection, in table order (TIME-WAIT ones as read-only records). */
  *connections(): IterableIterator<TcpEntry> {
    for (const id of this.table.ids()) yield this.entry(id);
  }

  /** Count of connections per RFC state. */
  countByState(): Partial<Record<TcpState, number>> {
    const out: Partial<Record<TcpState, number>> = {};
    const t = this.table;
    for (const id of t.ids()) {
      const st = t.conn[id]?.state ?? 'TIME-WAIT';
      out[st] = (out[st] ?? 0) + 1;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------
  // TIME-WAIT records (RFC 9293 §3.10.7.4; Linux inet_timewait_sock): a connection in TIME-WAIT that
  // no socket holds goes on as numbers in the table. It re-ACKs a retransmitted FIN (restarting
  // 2*MSL), takes an in-window RST and lets a newer SYN reopen the 4-tuple (RFC 6191), as
  // TcpConnection does; its `ss` fields are kept as they were.

  /** @internal Hands connection `c`, in TIME-WAIT, to a record in its table place; `tm` is its pending 2*MSL timer. */
  toTimeWait(c: TcpConnection, win: number, probes: number, at: number, tm: Timer): void {
    const t = this.table;
    let id = c.tid;
    if (id >= 0) {
      t.setKind(id, E_TIME_WAIT);
      t.conn[id] = undefined;
      c.tid = -1;
    } else {
      // Not in the table: the record only waits out its timer.
      id = t.alloc(c.laddr, c.lport, c.raddr, c.rport);
      t.setKind(id, E_ZOMBIE);
    }
    t.setRecord(id, c.sndNxt, c.rcvNxt, win, c.mss, c.cwnd, c.rto, c.srtt, c.retransmits, probes, at);
    // The same scheduler entry now runs the record, so event order is unchanged.
    t.setTimer(id, this.sched.lighten(tm, this.twKind, id));
  }

  /** @internal TcpConnection.onTimeWait for record `id`. */
  twSegment(id: number, seg: Tcp): void {
    const t = this.table;
    const v = timeWaitVerdict(seg, this.payloadOf(seg).length, t.rcvNxtOf(id));
    if (v === 'close' || v === 'reopen') {
      const raddr = t.raddrOf(id);
      const laddr = t.laddrOf(id);
      this.twClose(id);
      if (v === 'reopen') this.redispatch(seg, raddr, laddr);
    } else if (v !== 'ignore') {
      const gen = t.genOf(id);
      const r = this.segment(t.sndNxtOf(id), t.rcvNxtOf(id), ACK, t.winOf(id));
      r.srcPort = t.lportOf(id);
      r.dstPort = t.rportOf(id);
      this.transmit(t.laddrOf(id), t.raddrOf(id), r, undefined);
      if (v === 'ack-restart' && t.genOf(id) === gen) this.twRestart(id);
    }
  }

  /** Restarts 2*MSL; the pending timer, due earlier, finds the new time and waits again. */
  private twRestart(id: number): void {
    const t = this.table;
    const s = this.sched;
    const at = s.now + this.cfg.timeWait;
    t.setAt(id, at);
    const h = t.timerOf(id);
    if (h >= 0 && s.lightActive(h)) {
      if (s.lightTime(h) <= at) return;
      s.cancelLight(h);
    }
    t.setTimer(id, s.atLight(at, this.twKind, id));
  }

  /** The record's timer. */
  private twFire(id: number): void {
    const t = this.table;
    t.setTimer(id, -1);
    const at = t.atOf(id);
    if (at >= 0 && at > this.sched.now) {
      t.setTimer(id, this.sched.atLight(at, this.twKind, id));
      return;
    }
    t.setAt(id, -1);
    const k = t.kindOf(id);
    if (k === E_TIME_WAIT) this.twClose(id);
    else if (k === E_ZOMBIE) t.release(id);
  }

  /** @internal Deletes record `id` (TIME-WAIT to CLOSED). */
  twClose(id: number): void {
    const t = this.table;
    if (t.kindOf(id) !== E_TIME_WAIT) return;
    t.setAt(id, -1);
    const h = t.timerOf(id);
    if (h >= 0) this.sched.cancelLight(h);
    t.setTimer(id, -1);
    t.unlink(id);
    t.release(id);
  }

  private findListener(laddr: Ipv4Addr, lport: number): TcpListener | undefined {
    const ls = this.listeners.get(lport);
    if (ls === undefined) return undefined;
    let any: TcpListener | undefined;
    for (const l of ls) {
      if (l.laddr === laddr) return l;
      if (l.laddr === 0) any = l;
    }
    return any;
  }

  /** @internal Opens a listener; throws NetError EADDRINUSE when (addr, port) is taken. */
  listen(laddr: Ipv4Addr, lport: number, backlog: number, owner: ListenerOwner, app: string | undefined): TcpListener {
    if (lport === 0) lport = this.pickListenPort();
    const ls = this.listeners.get(lport) ?? [];
    for (const l of ls) {
      if (l.laddr === laddr || l.laddr === 0 || laddr === 0) throw new NetError('EADDRINUSE', 'listen', ipv4ToString(laddr), lport);
    }
    const l = new TcpListener(this, laddr, lport, Math.max(0, Math.min(backlog, this.somaxconn)), owner, app);
    ls.push(l);
    this.listeners.set(lport, ls);
    return l;
  }

  /** @internal Stops a listener; connections not yet accepted are reset (Linux inet_csk_listen_stop). */
  unlisten(l: TcpListener): void {
    const ls = this.listeners.get(l.lport);
    if (ls === undefined) return;
    const i = ls.indexOf(l);
    if (i < 0) return;
    ls.splice(i, 1);
    if (ls.length === 0) this.listeners.delete(l.lport);
    for (const c of [...this.connections()]) if (c.listener === l && c instanceof TcpConnection) c.abort();
  }

  private portInUse(p: number): boolean {
    return this.listeners.has(p);
  }

  private pickListenPort(): number {
    const range = this.portHi - this.portLo + 1;
    for (let i = 0; i < range; i++) {
      const p = this.portLo + ((this.nextPort - this.portLo + i) % range);
      if (!this.portInUse(p) && !this.table.hasPort(p)) {
        this.nextPort = p + 1 > this.portHi ? this.portLo : p + 1;
        return p;
      }
    }
    throw new NetError('EADDRINUSE', 'listen');
  }

  /** An ephemeral port whose 4-tuple is free (Linux allows one port toward many destinations). */
  pickPort(laddr: Ipv4Addr, raddr: Ipv4Addr, rport: number): number {
    const range = this.portHi - this.portLo + 1;
    for (let i = 0; i < range; i++) {
      const p = this.portLo + ((this.nextPort - this.portLo + i) % range);
      if (!this.portInUse(p) && this.table.find(laddr, p, raddr, rport) < 0) {
        this.nextPort = p + 1 > this.portHi ? this.portLo : p + 1;
        return p;
      }
    }
    throw new NetError('EADDRNOTAVAIL', 'connect', ipv4ToString(raddr), rport);
  }

  /** @internal Creates and opens an active connection. */
  openConnection(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number, app: string | undefined): TcpConnection {
    if (this.table.find(laddr, lport, raddr, rport) >= 0) throw new NetError('EADDRINUSE', 'connect', ipv4ToString(raddr), rport);
    const c = new TcpConnection(this, laddr, lport, raddr, rport);
    c.app = app;
    this.insert(c);
    this.stats.activeOpens++;
    return c;
  }

  /**
   * RFC 6528 ISN: a 4 µs clock plus a keyed hash of the connection identifiers (the key from the
   * host's seeded 'tcp-isn' stream), so a new incarnation of a 4-tuple starts above the old one.
   */
  isn(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): number {
    const s = this.secret;
    let h = fmix((laddr ^ s[0]) >>> 0);
    h = fmix((h ^ raddr ^ s[1]) >>> 0);
    h = fmix((h ^ ((lport << 16) | rport) ^ s[2]) >>> 0);
    h = fmix((h ^ s[3]) >>> 0);
    const m = Math.floor(this.sched.now / 4000);
    return (h + m) >>> 0;
  }

  addrText(a: Ipv4Addr): string {
    return ipv4ToString(a);
  }

  // ------------------------------------------------------------------------------------------------
  // Listen queues

  /** @internal Room in the accept queue (Linux sk_acceptq_is_full: full when length > backlog). */
  acceptQueueHasRoom(c: TcpConnection): boolean {
    const l = c.listener;
    if (!(l instanceof TcpListener)) return true;
    return l.acceptQueue.length <= l.backlog;
  }

  /** @internal A passive connection completed its handshake: accept queue, then the app. */
  passiveEstablished(c: TcpConnection): void {
    const l = c.listener;
    if (!(l instanceof TcpListener)) return;
    l.synQueue--;
    l.acceptQueue.push(c);
    l.acceptPending();
  }

  // ------------------------------------------------------------------------------------------------
  // Input

  private onPacket(d: IpDelivery): void {
    // parseTcp's checks, then the checksum over the pseudo-header and the segment (RFC 9293 §3.1),
    // decoded into one reused value (a nested input, which nothing does today, gets a fresh one).
    const b = d.buf;
    const start = d.payloadOff;
    const end = d.end;
    const nested = this.rxBusy;
    const t = nested ? new Tcp() : this.rxScratch;
    if (!decodeTcpInto(t, b, start, end) || pseudoChecksum(d.src, d.dst, IPPROTO_TCP, b, start, end) !== 0) {
      this.stats.badSegments++;
      return;
    }
    this.stats.segsIn++;
    if (nested) {
      this.dispatch(t, d.src, d.dst);
      return;
    }
    this.rxBusy = true;
    this.rxBuf = b;
    this.rxStart = start;
    this.rxEnd = end;
    try {
      this.dispatch(t, d.src, d.dst);
    } finally {
      this.rxBusy = false;
      this.rxBuf = null;
    }
  }

  private dispatch(t: Tcp, src: Ipv4Addr, dst: Ipv4Addr): void {
    const id = this.table.find(dst, t.dstPort, src, t.srcPort);
    if (id >= 0) {
      const c = this.table.conn[id];
      if (c !== undefined) c.onSegment(t);
      else this.twSegment(id, t);
      return;
    }
    const l = this.findListener(dst, t.dstPort);
    if (l !== undefined) {
      this.onListen(l, t, src, dst);
      return;
    }
    this.replyClosed(t, src, dst);
  }

  /**
   * @internal The SYN options a connection uses, read from the bytes of `seg` when it is the segment
   * being dispatched (no option objects are built): bits 0-3 window shift + 1 (0: none), bit 4
   * SACK-permitted, bit 5 MSS present, bits 6-21 the MSS. -1 when `seg` is some other value.
   */
  synOptionBits(seg: Tcp): number {
    const b = this.rxBuf;
    if (seg !== this.rxScratch || b === null) return -1;
    const start = this.rxStart;
    const end = start + ((b[start + 12] as number) >>> 4) * 4;
    let r = 0;
    // The area passed decodeTcpInto's checks: every option has a valid length byte.
    for (let i = start + 20; i < end; ) {
      const kind = b[i] as number;
      if (kind === 0) break;
      if (kind === 1) {
        i++;
        continue;
      }
      if (kind === 2) r = (r & 0x1f) | 0x20 | ((((b[i + 2] as number) << 8) | (b[i + 3] as number)) << 6);
      else if (kind === 3) r = (r & ~0xf) | (Math.min(b[i + 2] as number, 14) + 1); // RFC 7323 §2.3: > 14 is 14
      else if (kind === 4) r |= 0x10;
      i += b[i + 1] as number;
    }
    return r;
  }

  /** @internal seg.payload, without making a view when the segment being dispatched carries no data. */
  payloadOf(seg: Tcp): Uint8Array {
    const b = this.rxBuf;
    if (seg === this.rxScratch && b !== null && this.rxEnd - this.rxStart === ((b[this.rxStart + 12] as number) >>> 4) * 4) return NO_DATA;
    return seg.payload;
  }

  /** @internal A SYN that reopened a TIME-WAIT 4-tuple goes to the listener. */
  redispatch(t: Tcp, src: Ipv4Addr, dst: Ipv4Addr): void {
    this.dispatch(t, src, dst);
  }

  /** LISTEN (RFC 9293 §3.10.7.2). */
  private onListen(l: TcpListener, t: Tcp, src: Ipv4Addr, dst: Ipv4Addr): void {
    const f = t.flags;
    if (f & RST) return;
    if (f & ACK) {
      this.sendReset(dst, src, t.dstPort, t.srcPort, t.ack, 0, false);
      return;
    }
    if (!(f & SYN)) return;
    if (!this.host.isLocalAddress(dst)) return;
    // Linux tcp_conn_request without SYN cookies: drop when the accept queue is full or the SYN
    // queue has reached the backlog.
    if (l.acceptQueue.length > l.backlog) {
      this.stats.listenOverflows++;
      this.stats.listenDrops++;
      return;
    }
    if (l.synQueue >= Math.max(1, l.backlog)) {
      this.stats.listenDrops++;
      return;
    }
    const c = new TcpConnection(this, dst, t.dstPort, src, t.srcPort);
    c.listener = l;
    c.app = l.app;
    l.synQueue++;
    this.insert(c);
    this.stats.passiveOpens++;
    c.openPassive(t);
  }

  /** CLOSED (RFC 9293 §3.10.7.1): answer everything but a RST with a RST. */
  private replyClosed(t: Tcp, src: Ipv4Addr, dst: Ipv4Addr): void {
    const f = t.flags;
    if (f & RST) return;
    if (!this.host.isLocalAddress(dst)) return;
    if (f & ACK) this.sendReset(dst, src, t.dstPort, t.srcPort, t.ack, 0, false);
    else {
      const len = this.payloadOf(t).length + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);
      this.sendReset(dst, src, t.dstPort, t.srcPort, 0, seqAdd(t.seq, len), true);
    }
  }

  private sendReset(laddr: Ipv4Addr, raddr: Ipv4Addr, lport: number, rport: number, seq: number, ack: number, withAck: boolean): void {
    const r = this.segment(seq, ack, withAck ? RST | ACK : RST, 0);
    r.srcPort = lport;
    r.dstPort = rport;
    this.stats.resetsSent++;
    this.transmit(laddr, raddr, r, undefined);
  }

  /** ICMP errors quoting one of our segments (RFC 5927: match the 4-tuple and an in-flight sequence number). */
  private onIcmpError(e: IcmpErrorDelivery): void {
    if (e.quotedProtocol !== 6 || e.quotedPayload.length < 8) return;
    const v = new TcpView(e.quotedPayload);
    const id = this.table.find(e.quotedSrc, v.srcPort, e.quotedDst, v.dstPort);
    // Nothing is in flight in TIME-WAIT, so no ICMP error matches a record (RFC 5927).
    const c = id < 0 ? undefined : this.table.conn[id];
    if (c === undefined) return;
    c.onIcmpError(e.type, e.code, e.mtu, v.seq);
  }

  // ------------------------------------------------------------------------------------------------
  // Output

  /**
   * @internal The value for one outgoing segment (ports are set by the caller), reused for every
   * segment: serialize copies it into the frame before anything else can send.
   */
  segment(seq: number, ack: number, flags: number, window: number): Tcp {
    const t = this.txScratch;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.window = window;
    t.urgentPointer = 0;
    clearTcpOptions(t);
    return t;
  }

  /** @internal Hands one segment to IP (DF set for PMTUD, RFC 1191). */
  transmit(laddr: Ipv4Addr, raddr: Ipv4Addr, t: Tcp, payload: Uint8Array | undefined): void {
    this.stats.segsOut++;
    if (t !== this.txScratch || this.txBusy) {
      this.host.sendIp({ dst: raddr, src: laddr, protocol: 6, upper: [t], payload, df: true });
      return;
    }
    const req = this.txReq;
    req.dst = raddr;
    req.src = laddr;
    req.payload = payload;
    this.txBusy = true;
    try {
      this.host.sendIp(req);
    } finally {
      this.txBusy = false;
      req.payload = undefined;
    }
  }

  /**
   * @internal The options of a SYN or SYN,ACK in Linux's order without timestamps: mss, nop, nop,
   * sackOK, nop, wscale (`shift` < 0: no window scale option).
   */
  synOptions(mss: number, sackOk: boolean, shift: number): TcpOption[] {
    const key = mss * 32 + (sackOk ? 16 : 0) + (shift + 1);
    let o = this.synOpts.get(key);
    if (o === undefined) {
      const opts: TcpOption[] = [{ kind: 'mss', mss }];
      if (sackOk) opts.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' });
      if (shift >= 0) opts.push({ kind: 'nop' }, { kind: 'wscale', shift });
      // Not frozen: serialize iterates option lists, and a frozen array takes a slower, allocating path.
      o = opts;
      this.synOpts.set(key, o);
    }
    return o as TcpOption[];
  }

  // ------------------------------------------------------------------------------------------------
  // ss

  /** The socket table, listeners first, as `ss -tan` lists it. */
  sockets(): TcpSocketInfo[] {
    const out: TcpSocketInfo[] = [];
    for (const ls of this.listeners.values()) {
      for (const l of ls) {
        out.push({
          state: 'LISTEN',
          rfcState: 'LISTEN',
          localAddress: ipv4ToString(l.laddr),
          localPort: l.lport,
          remoteAddress: '0.0.0.0',
          remotePort: 0,
          recvQ: l.acceptQueue.length,
          sendQ: l.backlog,
          ...(l.app !== undefined ? { app: l.app } : {}),
        });
      }
    }
    for (const c of this.connections()) {
      const timer = c.timerInfo();
      const app = c.owner !== null || c.listener !== null ? c.app : undefined;
      out.push({
        state: LINUX_STATE_NAME[c.state],
        rfcState: c.state,
        localAddress: ipv4ToString(c.laddr),
        localPort: c.lport,
        remoteAddress: ipv4ToString(c.raddr),
        remotePort: c.rport,
        recvQ: c.recvQueued,
        sendQ: c.sendQueued,
        ...(app !== undefined ? { app } : {}),
        ...(timer !== null ? { timer } : {}),
        mss: c.mss,
        cwnd: c.cwnd,
        rto: c.rto,
        srtt: c.srtt,
        retransmits: c.retransmits,
      });
    }
    return out;
  }

  /** Parses a dotted-quad host option (no name resolution in the stack). */
  parseHost(host: string | undefined): Ipv4Addr | null {
    if (host === undefined || host === 'localhost') host = '127.0.0.1';
    if (host !== this.lastHost) {
      this.lastHostAddr = parseIpv4Addr(host);
      this.lastHost = host;
    }
    return this.lastHostAddr;
  }
}
