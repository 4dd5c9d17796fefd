/**
 * One TCP connection: the transmission control block and the state machine of RFC 9293 §3.3.2 and
 * §3.10 (event processing), with
 * - retransmission timeout per RFC 6298 (SRTT/RTTVAR, Karn's algorithm, exponential backoff; minimum
 *   RTO 200 ms like Linux's TCP_RTO_MIN rather than RFC 6298 §2.4's 1 s, maximum 120 s like Linux);
 * - NewReno congestion control: RFC 5681 slow start / congestion avoidance (byte counting), fast
 *   retransmit on the third duplicate ACK, RFC 6582 fast recovery; limited transmit (RFC 3042);
 *   initial window 10 segments (RFC 6928, Linux);
 * - delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2): an ACK for every second full-sized segment,
 *   otherwise within 40 ms (Linux's TCP_DELACK_MIN); immediate ACKs for out-of-order data and FIN;
 * - flow control: receive window with receiver SWS avoidance (§3.8.6.2.2), window scaling (RFC 7323
 *   §2), Nagle (§3.7.4), sender SWS avoidance (§3.8.6.2.1), zero-window probing (§3.8.6.1);
 * - RST processing with RFC 5961 (folded into RFC 9293 §3.10.7.4): exact RCV.NXT match resets, an
 *   in-window RST or any SYN in a synchronized state draws a challenge ACK;
 * - SACK-permitted negotiation (RFC 2018) and SACK blocks sent by the receiver; the sender ignores
 *   received SACK blocks (recovery is NewReno).
 *
 * Application callbacks (owner.*) run at the end of segment processing, once the block is consistent,
 * so an app that writes or destroys from inside 'data' sees a settled connection.
 */
import type { Timer } from '../sim/scheduler.ts';
import type { Ipv4Addr } from '../wire/addr.ts';
import type { Tcp, TcpOption } from '../wire/tcp.ts';
import { TcpFlag } from '../wire/tcp.ts';
import { ReassemblyQueue, SendQueue, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './tcp-buffer.ts';
import type { TcpLayer } from './tcp.ts';
import { E_TIME_WAIT } from './tcp-table.ts';

/**
 * What a segment does to a connection in TIME-WAIT, shared by the full connection and its compact
 * record: an RST at rcv.nxt closes it; a SYN above rcv.nxt reopens the 4-tuple (RFC 9293 §3.6.1,
 * RFC 6191; Linux TCP_TW_SYN); a retransmitted FIN means our last ACK was lost, so ACK again and restart
 * the 2*MSL timer; data is ACKed; anything else is ignored.
 */
export function timeWaitVerdict(seg: Tcp, dataLen: number, rcvNxt: number): 'close' | 'reopen' | 'ack-restart' | 'ack' | 'ignore' {
  const flags = seg.flags;
  if (flags & TcpFlag.RST) return seg.seq === rcvNxt ? 'close' : 'ignore';
  if (flags & TcpFlag.SYN && !(flags & TcpFlag.ACK) && seqGt(seg.seq, rcvNxt)) return 'reopen';
  if (flags & TcpFlag.FIN) return 'ack-restart';
  return dataLen > 0 ? 'ack' : 'ignore';
}

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** Linux's names for the states, as `ss` prints them. */
export const LINUX_STATE_NAME: Readonly<Record<TcpState, string>> = {
  CLOSED: 'CLOSE',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECEIVED': 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST-ACK',
  'TIME-WAIT': 'TIME-WAIT',
};

/** Node-like error codes a connection reports. */
export type TcpErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'ENOPROTOOPT' | 'EPIPE' | 'EADDRINUSE' | 'EADDRNOTAVAIL';

const ERRNO: Record<TcpErrorCode, number> = {
  ECONNREFUSED: -111,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  EHOSTUNREACH: -113,
  ENETUNREACH: -101,
  ENOPROTOOPT: -92,
  EPIPE: -32,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
};

/** An error in the shape Node gives (`err.code`, `err.errno`, `err.syscall`, `err.address`, `err.port`). */
export class NetError extends Error {
  readonly code: TcpErrorCode;
  readonly errno: number;
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;
  constructor(code: TcpErrorCode, syscall: string, address?: string, port?: number) {
    super(`${syscall} ${code}${address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : ''}`);
    this.name = 'Error';
    this.code = code;
    this.errno = ERRNO[code];
    this.syscall = syscall;
    if (address !== undefined) this.address = address;
    if (port !== undefined) this.port = port;
  }
}

/** What a connection tells the socket that owns it. */
export interface ConnOwner {
  /** Handshake complete. */
  onEstablished(): void;
  /** In-order bytes (a view of the received frame; not copied). */
  onData(data: Uint8Array): void;
  /** Peer's FIN, after all of its data. */
  onEnd(): void;
  /** The not-yet-sent part of the send queue emptied after the app was told to wait. */
  onDrain(): void;
  /** The connection failed or was reset; it is CLOSED. */
  onError(err: NetError): void;
  /** The connection reached CLOSED without error while still owned. */
  onClosed(): void;
  /** True while the app does not want 'data' (paused): bytes stay in the receive queue. */
  readonly paused: boolean;
}

/** Settings of a TcpLayer, all resolved (see TcpOptions in tcp.ts for the documented defaults). */
export interface TcpConfig {
  readonly minRto: number;
  readonly maxRto: number;
  readonly initialRto: number;
  readonly delayedAck: number;
  readonly timeWait: number;
  readonly finTimeout: number;
  readonly synRetries: number;
  readonly synAckRetries: number;
  readonly retries2: number;
  readonly recvBuffer: number;
  readonly windowShift: number;
  readonly highWaterMark: number;
  readonly initialCwnd: number;
  readonly windowScaling: boolean;
  readonly sack: boolean;
  readonly keepaliveTime: number;
  readonly keepaliveInterval: number;
  readonly keepaliveProbes: number;
}

const { FIN, SYN, RST, PSH, ACK } = TcpFlag;
/** RFC 9293 §3.7.1: the MSS to assume when the peer sends no MSS option (IPv4). */
export const DEFAULT_MSS = 536;
const DUP_THRESH = 3;
const G = 1_000_000; // RFC 6298 clock granularity: 1 ms
const MAX_CWND = 1 << 30;

type TimerKind = 'none' | 'rto' | 'persist';
type LongKind = 'none' | 'time-wait' | 'fin-wait-2' | 'keepalive';

export class TcpConnection {
  state: TcpState = 'CLOSED';
  owner: ConnOwner | null = null;
  /** Name of the app that owns it (for `ss -p`). */
  app: string | undefined;
  /** The listener this passive connection belongs to while it is in its SYN or accept queue. */
  listener: TcpListenerLike | null = null;
  /** Passive open (created from a SYN on a listener). */
  passive = false;
  /** @internal Id of its entry in the layer's table (tcp-table.ts), -1 when not in it. */
  tid = -1;

  // --- send sequence space (RFC 9293 §3.3.1) ---
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent + 1 (SND.NXT before any go-back-N after a timeout). */
  sndMax = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer offered (sender SWS avoidance). */
  maxSndWnd = 0;
  /** End of the last small segment sent (Minshall's Nagle). */
  private sndSml = 0;
  /** Effective send MSS (peer's MSS option, path MTU - 40). */
  mss = DEFAULT_MSS;
  /** MSS we advertised. */
  advMss = DEFAULT_MSS;
  sndShift = 0;
  rcvShift = 0;
  sackOk = false;
  // --- receive sequence space ---
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the receive window (RCV.NXT + RCV.WND), before scale rounding. */
  private rcvEdge = 0;
  /** Right edge as advertised (rounded up to the scale unit); segments are accepted up to it. */
  rcvAdv = 0;
  /** Largest segment received (the receiver's estimate of the peer's MSS, for delayed ACKs). */
  rcvMss = DEFAULT_MSS;

  // --- queues ---
  private sendq: SendQueue | null = null;
  /** Sequence number of sendq offset 0. */
  private qBase = 0;
  /** The app called end(): a FIN follows the queued data. */
  finQueued = false;
  private recvq: Uint8Array[] | null = null;
  recvQueued = 0;
  private ooo: ReassemblyQueue | null = null;
  /** Peer's FIN consumed (RCV.NXT is past it). */
  finReceived = false;
  /** FIN received but not yet told to the owner (it was paused). */
  private endPending = false;
  /** The app closed the socket entirely (no further reads): new data is answered with RST (Linux). */
  orphan = false;
  nodelay = false;
  private needDrain = false;

  // --- RTO (RFC 6298) ---
  srtt = 0;
  rttvar = 0;
  rto: number;
  private backoff = 0;
  private rttActive = false;
  private rttSeq = 0;
  private rttTime = 0;
  /** Consecutive timeouts of the same segment (SYN retries / tcp_retries2). */
  retries = 0;

  // --- congestion control (RFC 5681, RFC 6582) ---
  cwnd = 0;
  ssthresh = MAX_CWND;
  private bytesAcked = 0;
  dupAcks = 0;
  inRecovery = false;
  private recover = 0;
  private firstPartial = false;

  // --- delayed ACK ---
  private ackPending = false;
  private rcvSinceAck = 0;
  private delackAt = -1;
  private delackTimer: Timer | null = null;

  // --- retransmission / persist timer (one at a time) ---
  private tKind: TimerKind = 'none';
  private tAt = -1;
  private tTimer: Timer | null = null;
  private persistBackoff = 0;
  // --- TIME-WAIT / FIN-WAIT-2 / keepalive timer ---
  private lKind: LongKind = 'none';
  private lAt = -1;
  private lTimer: Timer | null = null;
  keepalive = false;
  keepaliveIdle = 0;
  private keepaliveProbesSent = 0;
  private lastRecvAt = 0;

  /** Soft error from an ICMP message, reported if the connection later times out. */
  private softError: NetError | null = null;

  // --- counters ---
  retransmits = 0;
  fastRetransmits = 0;
  timeouts = 0;
  segsIn = 0;
  segsOut = 0;

  constructor(
    readonly layer: TcpLayer,
    readonly laddr: Ipv4Addr,
    readonly lport: number,
    readonly raddr: Ipv4Addr,
    readonly rport: number,
  ) {
    this.rto = layer.cfg.initialRto;
  }

  private get cfg(): TcpConfig {
    return this.layer.cfg;
  }

  /** Bytes queued for sending and not yet acknowledged (Send-Q). */
  get sendQueued(): number {
    return this.sendq === null ? 0 : this.sendq.length;
  }

  /** Bytes written but not yet sent once. */
  get unsent(): number {
    if (this.sendq === null) return 0;
    const sentOff = seqDiff(this.sndMax, this.qBase);
    return Math.max(0, this.sendq.length - Math.max(0, sentOff));
  }

  /** Bytes or a FIN wait for the owner to read them. */
  get hasPendingInput(): boolean {
    return this.recvq !== null || this.endPending;
  }

  /** Whether the app may still write. */
  get writable(): boolean {
    const s = this.state;
    return !this.finQueued && (s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'SYN-SENT' || s === 'SYN-RECEIVED');
  }

  // ------------------------------------------------------------------------------------------------
  // Opening

  /** Active OPEN (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
  openActive(): void {
    this.iss = this.layer.isn(this.laddr, this.lport, this.raddr, this.rport);
    this.initSend();
    this.advMss = this.ourMss();
    this.state = 'SYN-SENT';
    this.sendSyn(false);
  }

  /** Passive OPEN from a SYN on a listener (RFC 9293 §3.10.7.2): enter SYN-RECEIVED, send SYN,ACK. */
  openPassive(syn: Tcp): void {
    this.passive = true;
    this.iss = this.layer.isn(this.laddr, this.lport, this.raddr, this.rport);
    this.initSend();
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.takeSynOptions(syn);
    this.sndWnd = syn.window; // never scaled in a SYN (RFC 7323 §2.2)
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = syn.seq;
    this.sndWl2 = this.iss;
    this.state = 'SYN-RECEIVED';
    this.lastRecvAt = this.layer.sched.now;
    this.sendSyn(true);
  }

  private initSend(): void {
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.qBase = seqAdd(this.iss, 1);
    this.recover = this.iss;
    this.sndSml = this.iss;
  }

  private ourMss(): number {
    return Math.max(88, Math.min(65495, this.layer.host.mtuFor(this.raddr) - 40));
  }

  /** Options of a received SYN (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2 window scale, RFC 2018 SACK-permitted). */
  private takeSynOptions(syn: Tcp): void {
    let peerMss = DEFAULT_MSS;
    let wscale = -1;
    let sackOk = false;
    const bits = this.layer.synOptionBits(syn);
    if (bits >= 0) {
      if (bits & 0x20) peerMss = bits >>> 6;
      wscale = (bits & 0xf) - 1;
      sackOk = (bits & 0x10) !== 0;
    } else if (syn.headerLen() > 20) {
      for (const o of syn.options) {
        if (o.kind === 'mss') peerMss = o.mss;
        else if (o.kind === 'wscale') wscale = Math.min(o.shift, 14); // RFC 7323 §2.3: treat > 14 as 14
        else if (o.kind === 'sackOK') sackOk = true;
      }
    }
    this.advMss = this.ourMss();
    this.mss = Math.max(64, Math.min(peerMss, this.advMss));
    this.rcvMss = Math.min(this.mss, this.advMss);
    if (wscale >= 0 && this.cfg.windowScaling) {
      this.sndShift = wscale;
      this.rcvShift = this.cfg.windowShift;
    } else {
      this.sndShift = 0;
      this.rcvShift = 0;
    }
    this.sackOk = sackOk && this.cfg.sack;
  }

  private sendSyn(withAck: boolean): void {
    const wnd = Math.min(this.cfg.recvBuffer, 65535);
    const t = this.layer.segment(this.iss, withAck ? this.rcvNxt : 0, withAck ? SYN | ACK : SYN, wnd);
    this.rcvAdv = this.rcvEdge = seqAdd(this.rcvNxt, wnd);
    const wscale = withAck ? this.rcvShift > 0 || this.sndShift > 0 : this.cfg.windowScaling;
    t.options = this.layer.synOptions(this.advMss, withAck ? this.sackOk : this.cfg.sack, wscale ? (withAck ? this.rcvShift : this.cfg.windowShift) : -1);
    if (this.sndMax === this.iss) {
      this.sndMax = seqAdd(this.iss, 1);
      this.rttActive = true;
      this.rttSeq = this.sndMax;
      this.rttTime = this.layer.sched.now;
    }
    this.sndNxt = seqAdd(this.iss, 1);
    this.xmit(t, undefined);
    this.armRto();
  }

  // ------------------------------------------------------------------------------------------------
  // Application calls

  /** Queues bytes; returns false when the unsent part is above the high-water mark (backpressure). */
  write(data: Uint8Array): boolean {
    if (data.length > 0) {
      (this.sendq ??= new SendQueue()).push(data);
      if (this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED') this.output(false);
    }
    const ok = this.unsent < this.cfg.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** CLOSE for the sending direction (RFC 9293 §3.10.4): FIN after the queued data. */
  end(): void {
    if (this.finQueued) return;
    switch (this.state) {
      case 'SYN-SENT':
        // Nothing sent yet: Linux sends the FIN once established; keep it queued.
        this.finQueued = true;
        return;
      case 'SYN-RECEIVED':
        this.finQueued = true;
        return;
      case 'ESTABLISHED':
        this.finQueued = true;
        this.state = 'FIN-WAIT-1';
        break;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.state = 'LAST-ACK';
        break;
      default:
        return;
    }
    this.output(false);
  }

  /**
   * close(2): the app gives up the socket. Unread data → RST (RFC 9293 §3.10.4 / RFC 2525, Linux);
   * otherwise a graceful FIN and the connection lives on orphaned.
   */
  close(): void {
    this.owner = null;
    this.orphan = true;
    if (this.state === 'SYN-SENT' || (this.state === 'SYN-RECEIVED' && !this.passive)) {
      this.toClosed();
      return;
    }
    if (this.recvQueued > 0 && this.state !== 'TIME-WAIT' && this.state !== 'CLOSED') {
      this.abort();
      return;
    }
    this.end();
    if (this.state === 'FIN-WAIT-2') this.armLong('fin-wait-2', this.cfg.finTimeout);
  }

  /** ABORT (RFC 9293 §3.10.5): send RST in synchronized states, then CLOSED. */
  abort(): void {
    const s = this.state;
    this.owner = null;
    if (s === 'SYN-RECEIVED' || s === 'ESTABLISHED' || s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2' || s === 'CLOSE-WAIT') {
      this.sendRst(this.sndNxt);
    }
    this.toClosed();
  }

  /** The owner resumed reading: hand over queued bytes and the FIN, then reopen the window. */
  drainReceiveQueue(): void {
    const owner = this.owner;
    if (owner === null) return;
    const q = this.recvq;
    if (q !== null) {
      while (q.length > 0 && !owner.paused && this.owner === owner) {
        const d = q.shift()!;
        this.recvQueued -= d.length;
        owner.onData(d);
      }
      if (q.length === 0) this.recvq = null;
    }
    if (this.owner !== owner || owner.paused) return;
    if (this.endPending) {
      this.endPending = false;
      owner.onEnd();
    }
    this.maybeWindowUpdate();
  }

  setKeepAlive(enable: boolean, idle: number): void {
    this.keepalive = enable;
    this.keepaliveIdle = idle > 0 ? idle : this.cfg.keepaliveTime;
    if (enable && this.state === 'ESTABLISHED') this.armLong('keepalive', this.keepaliveIdle);
    else if (!enable && this.lKind === 'keepalive') this.stopLong();
  }

  // ------------------------------------------------------------------------------------------------
  // Segment arrival (RFC 9293 §3.10.7)

  onSegment(seg: Tcp): void {
    this.segsIn++;
    this.lastRecvAt = this.layer.sched.now;
    switch (this.state) {
      case 'SYN-SENT':
        this.onSynSent(seg);
        return;
      case 'TIME-WAIT':
        this.onTimeWait(seg);
        return;
      case 'CLOSED':
      case 'LISTEN':
        return;
    }
    const flags = seg.flags;
    let data = this.layer.payloadOf(seg);
    const segDataLen = data.length;
    let seq = seg.seq;

    // Retransmitted SYN while in SYN-RECEIVED: resend SYN,ACK (Linux tcp_check_req).
    if (this.state === 'SYN-RECEIVED' && (flags & (SYN | ACK | RST)) === SYN && seq === this.irs) {
      this.sendSyn(true);
      return;
    }

    // First: sequence number acceptability (§3.10.7.4 table).
    const rcvWnd = Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
    const segLen = data.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    let acceptable: boolean;
    if (segLen === 0) {
      acceptable = rcvWnd === 0 ? seq === this.rcvNxt : seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd));
    } else if (rcvWnd === 0) {
      acceptable = false;
    } else {
      const end = seqAdd(seq, segLen - 1);
      const wEnd = seqAdd(this.rcvNxt, rcvWnd);
      acceptable = (seqLe(this.rcvNxt, seq) && seqLt(seq, wEnd)) || (seqLe(this.rcvNxt, end) && seqLt(end, wEnd));
    }
    if (!acceptable) {
      // A zero-window receiver still takes the ACK and window of a segment at RCV.NXT (§3.10.7.4).
      if (rcvWnd === 0 && seq === this.rcvNxt && flags & ACK && !(flags & (RST | SYN))) {
        this.processAck(seg, segDataLen);
        if ((this.state as TcpState) === 'CLOSED') return;
      }
      if (!(flags & RST)) this.sendAck();
      return;
    }

    // Second: RST (RFC 5961 §3 as adopted by RFC 9293 §3.10.7.4).
    if (flags & RST) {
      if (seq === this.rcvNxt) this.onReset();
      else this.sendAck(); // challenge ACK
      return;
    }

    // Fourth: SYN in a synchronized state → challenge ACK (RFC 5961 §4).
    if (flags & SYN) {
      this.sendAck();
      return;
    }

    // Fifth: ACK.
    if (!(flags & ACK)) return;
    let established = false;
    if (this.state === 'SYN-RECEIVED') {
      if (seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax)) {
        if (this.passive && !this.layer.acceptQueueHasRoom(this)) {
          // Accept queue full: drop the ACK, the SYN,ACK is retransmitted later (Linux default).
          this.layer.stats.listenOverflows++;
          return;
        }
        this.state = 'ESTABLISHED';
        this.sndWnd = seg.window << this.sndShift;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sndWl1 = seq;
        this.sndWl2 = seg.ack;
        this.cwnd = this.initialCwnd();
        established = true;
        if (this.finQueued) this.state = 'FIN-WAIT-1';
      } else {
        this.sendRstTo(seg.ack);
        return;
      }
    }
    if (!this.processAck(seg, segDataLen)) return;
    if ((this.state as TcpState) === 'CLOSED') return;

    // Seventh: segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 only).
    let fin = (flags & FIN) !== 0;
    let deliver: Uint8Array | null = null;
    let more: Uint8Array[] | null = null;
    let finNow = false;
    let ackNow = false;
    const s = this.state as TcpState;
    const takesData = s === 'ESTABLISHED' || s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2';
    if (takesData && (data.length > 0 || fin)) {
      // Trim to the window.
      if (seqLt(seq, this.rcvNxt)) {
        const d = seqDiff(this.rcvNxt, seq);
        data = data.subarray(Math.min(d, data.length));
        seq = this.rcvNxt;
        if (d > segDataLen) fin = false; // an old FIN
      }
      const wEnd = seqAdd(this.rcvNxt, Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt)));
      if (seqGt(seqAdd(seq, data.length), wEnd)) {
        data = data.subarray(0, Math.max(0, seqDiff(wEnd, seq)));
        fin = false;
      }
      if (data.length > this.rcvMss) this.rcvMss = Math.min(data.length, this.advMss);
      if (this.orphan && data.length > 0 && seq === this.rcvNxt) {
        // Data for a socket the app has closed: reset (Linux tcp_rcv_state_process).
        this.rcvNxt = seqAdd(this.rcvNxt, data.length);
        this.sendRst(this.sndNxt);
        this.toClosed();
        return;
      }
      if (seq === this.rcvNxt) {
        const hadHoles = this.ooo !== null && !this.ooo.empty;
        if (data.length > 0) {
          this.rcvNxt = seqAdd(this.rcvNxt, data.length);
          this.rcvSinceAck += data.length;
          deliver = data;
        }
        if (fin) finNow = true;
        else if (hadHoles) {
          const segs = this.ooo!.takeFrom(this.rcvNxt);
          if (segs !== null) {
            for (const o of segs) {
              if (o.data.length > 0) {
                (more ??= []).push(o.data);
                this.rcvNxt = seqAdd(this.rcvNxt, o.data.length);
              }
              if (o.fin) finNow = true;
            }
          }
          ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills a hole
        }
        this.ackPending = true;
        if (this.rcvSinceAck >= 2 * this.rcvMss) ackNow = true;
      } else if (data.length > 0 || fin) {
        // Out of order: hold it, send a duplicate ACK at once (RFC 5681 §4.2).
        (this.ooo ??= new ReassemblyQueue()).insert(seq, data, fin);
        this.sackRecent = seq;
        this.ackPending = true;
        ackNow = true;
      }
    } else if (fin && !takesData) {
      // CLOSE-WAIT, CLOSING, LAST-ACK: a retransmitted FIN; re-acknowledge it.
      if (seqLt(seq, this.rcvNxt)) ackNow = this.ackPending = true;
    }

    // Eighth: FIN.
    if (finNow) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.finReceived = true;
      this.ackPending = true;
      ackNow = true;
      this.ooo?.clear();
      switch (this.state as TcpState) {
        case 'ESTABLISHED':
          this.state = 'CLOSE-WAIT';
          break;
        case 'FIN-WAIT-1':
          // Our FIN not yet acknowledged (else processAck moved us to FIN-WAIT-2).
          this.state = 'CLOSING';
          break;
        case 'FIN-WAIT-2':
          this.enterTimeWait();
          break;
      }
    }
    this.finishInput(established, deliver, more, finNow, ackNow);
  }

  /** Last selected SACK block anchor (RFC 2018 §4: the block with the latest segment goes first). */
  private sackRecent = 0;

  /** Tells the owner, sends what became sendable, and the ACK. */
  private finishInput(established: boolean, deliver: Uint8Array | null, more: Uint8Array[] | null, finNow: boolean, ackNow: boolean): void {
    if (established) {
      if (this.passive) this.layer.passiveEstablished(this);
      else this.owner?.onEstablished();
      if (this.keepalive) this.armLong('keepalive', this.keepaliveIdle);
    }
    if (deliver !== null) this.deliver(deliver);
    if (more !== null) for (const d of more) this.deliver(d);
    if (finNow) {
      const o = this.owner;
      if (o !== null && !o.paused && this.recvq === null) o.onEnd();
      else this.endPending = true;
    }
    if (this.state === 'CLOSED' || this.state === 'TIME-WAIT') {
      if (this.state === 'TIME-WAIT' && this.ackPending) this.sendAck();
      this.settleOwner();
      return;
    }
    this.output(false);
    if (this.ackPending) {
      if (ackNow) this.sendAck();
      else this.armDelack();
    }
    this.checkDrain();
  }

  private deliver(d: Uint8Array): void {
    const o = this.owner;
    if (o !== null && !o.paused && this.recvq === null) {
      o.onData(d);
      return;
    }
    if (this.state === 'CLOSED') return;
    (this.recvq ??= []).push(d);
    this.recvQueued += d.length;
  }

  private checkDrain(): void {
    if (this.needDrain && this.unsent === 0 && this.owner !== null) {
      this.needDrain = false;
      this.owner.onDrain();
    }
  }

  /** SYN-SENT processing (RFC 9293 §3.10.7.3). */
  private onSynSent(seg: Tcp): void {
    const flags = seg.flags;
    if (flags & ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax)) {
        if (!(flags & RST)) this.sendRstTo(seg.ack);
        return;
      }
    }
    if (flags & RST) {
      if (flags & ACK) this.fail(new NetError('ECONNREFUSED', 'connect', this.layer.addrText(this.raddr), this.rport));
      return;
    }
    if (!(flags & SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvAdv = this.rcvEdge = seqAdd(this.rcvNxt, Math.min(this.cfg.recvBuffer, 65535));
    this.takeSynOptions(seg);
    if (flags & ACK) {
      // SYN,ACK: established. The window of a SYN is never scaled (RFC 7323 §2.2).
      this.state = 'ESTABLISHED';
      this.sndWnd = seg.window;
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.cwnd = this.initialCwnd();
      this.ackSynAndSample(seg.ack);
      if (this.finQueued) this.state = 'FIN-WAIT-1';
      this.ackPending = true;
      this.sendAck();
      this.finishInput(true, null, null, false, false);
      return;
    }
    // Simultaneous open: SYN-RECEIVED, send SYN,ACK with our ISS (§3.10.7.3, §3.5 figure 7).
    this.state = 'SYN-RECEIVED';
    this.sndWnd = seg.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = this.iss;
    this.rttActive = false;
    this.sendSyn(true);
  }

  private ackSynAndSample(ack: number): void {
    if (this.rttActive && seqGe(ack, this.rttSeq)) {
      this.rttActive = false;
      this.rttSample(this.layer.sched.now - this.rttTime);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retries = 0;
    this.backoff = 0;
    this.stopTimer();
  }

  private onTimeWait(seg: Tcp): void {
    const v = timeWaitVerdict(seg, this.layer.payloadOf(seg).length, this.rcvNxt);
    if (v === 'close' || v === 'reopen') {
      this.toClosed();
      if (v === 'reopen') this.layer.redispatch(seg, this.raddr, this.laddr);
    } else if (v !== 'ignore') {
      this.sendAck();
      if (v === 'ack-restart') this.armLong('time-wait', this.cfg.timeWait);
    }
  }

  /**
   * ACK processing for synchronized states (§3.10.7.4 fifth check). Returns false when the segment
   * must be dropped.
   */
  private processAck(seg: Tcp, segDataLen: number): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      // Acknowledges something not yet sent.
      this.sendAck();
      return false;
    }
    const seq = seg.seq;
    const wnd = seg.window << this.sndShift;
    const oldWnd = this.sndWnd;
    if (this.persisting && ack === this.sndUna) {
      // The zero-window probe byte was not taken: it is sent again when the window opens.
      this.sndNxt = this.sndUna;
    }
    if (seqGt(ack, this.sndUna)) {
      this.onNewAck(ack);
      if (this.state === 'CLOSED' || this.state === 'TIME-WAIT') return this.state !== 'CLOSED';
    } else if (
      ack === this.sndUna &&
      this.sndMax !== this.sndUna &&
      segDataLen === 0 &&
      !(seg.flags & (SYN | FIN)) &&
      wnd === oldWnd &&
      wnd !== 0
    ) {
      this.onDupAck();
    }
    // Window update (§3.10.7.4): only from a segment newer than the last one that set it.
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = wnd;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      if (wnd > this.maxSndWnd) this.maxSndWnd = wnd;
      if (wnd > 0 && this.persisting) {
        this.persisting = false;
        this.persistBackoff = 0;
        if (this.tKind === 'persist') this.stopTimer();
      }
    }
    return true;
  }

  private persisting = false;

  private onNewAck(ack: number): void {
    const now = this.layer.sched.now;
    let acked = seqDiff(ack, this.sndUna);
    // The SYN's sequence number (a passive open acknowledged, or a simultaneous open).
    if (this.sndUna === this.iss) {
      acked--;
      this.sndUna = seqAdd(this.sndUna, 1);
    }
    // Data acknowledged (the FIN, if acknowledged too, is one more).
    const q = this.sendq;
    const dataAcked = Math.min(Math.max(0, seqDiff(ack, this.qBase)), q === null ? 0 : q.length);
    if (q !== null && dataAcked > 0) {
      q.consume(dataAcked);
      this.qBase = seqAdd(this.qBase, dataAcked);
    }
    const finAcked = this.finQueued && seqGt(ack, this.qBase) && (q === null || q.length === 0);
    if (this.rttActive && seqGe(ack, this.rttSeq)) {
      this.rttActive = false;
      this.rttSample(now - this.rttTime);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retries = 0;
    this.backoff = 0;
    this.softError = null;
    // Congestion control.
    if (this.inRecovery) {
      if (seqGt(ack, this.recover)) {
        // Full acknowledgment (RFC 6582 §3.2 step 3).
        const flight = seqDiff(this.sndMax, ack);
        this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
        this.inRecovery = false;
        this.dupAcks = 0;
      } else {
        // Partial acknowledgment (step 4): retransmit the next hole, deflate by the amount acked.
        this.retransmitFirst();
        this.cwnd = Math.max(this.mss, this.cwnd - acked + (acked >= this.mss ? this.mss : 0));
        if (this.firstPartial) {
          this.firstPartial = false;
          this.armRto(true);
        }
      }
    } else {
      this.dupAcks = 0;
      if (acked > 0) {
        if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, this.mss);
        else {
          this.bytesAcked += acked;
          if (this.bytesAcked >= this.cwnd) {
            this.bytesAcked -= this.cwnd;
            this.cwnd += this.mss;
          }
        }
        if (this.cwnd > MAX_CWND) this.cwnd = MAX_CWND;
      }
    }
    // RFC 6298 §5.2/5.3: stop the timer when everything is acknowledged, else restart it.
    if (this.sndUna === this.sndMax) {
      if (this.tKind === 'rto') this.stopTimer();
    } else if (!this.inRecovery || this.tKind !== 'rto') this.armRto(true);
    if (finAcked) this.onFinAcked();
  }

  private onFinAcked(): void {
    switch (this.state) {
      case 'FIN-WAIT-1':
        this.state = 'FIN-WAIT-2';
        if (this.orphan) this.armLong('fin-wait-2', this.cfg.finTimeout);
        break;
      case 'CLOSING':
        this.enterTimeWait();
        break;
      case 'LAST-ACK':
        this.toClosed();
        break;
    }
  }

  private onDupAck(): void {
    this.dupAcks++;
    this.layer.stats.dupAcks++;
    if (this.inRecovery) {
      // RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 4): inflate for each further duplicate.
      this.cwnd += this.mss;
      this.output(false);
      return;
    }
    if (this.dupAcks === DUP_THRESH) {
      // RFC 6582 §3.2 step 2: only when the ACK covers more than `recover`.
      if (!seqGt(this.sndUna, this.recover) && this.recover !== this.iss) {
        return;
      }
      const flight = seqDiff(this.sndMax, this.sndUna);
      this.ssthresh = Math.max(flight >>> 1, 2 * this.mss);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.firstPartial = true;
      this.fastRetransmits++;
      this.layer.stats.fastRetransmits++;
      this.retransmitFirst();
      this.cwnd = this.ssthresh + DUP_THRESH * this.mss;
      this.output(false);
    } else if (this.dupAcks < DUP_THRESH) {
      // Limited transmit (RFC 3042): new data on the first two duplicates.
      this.output(false);
    }
  }

  private onReset(): void {
    const s = this.state;
    if (s === 'SYN-RECEIVED') {
      if (this.passive) {
        this.toClosed(); // back to LISTEN: the listener forgets this request
        return;
      }
      this.fail(new NetError('ECONNREFUSED', 'connect', this.layer.addrText(this.raddr), this.rport));
      return;
    }
    this.layer.stats.resetsReceived++;
    if (s === 'ESTABLISHED' || s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2' || s === 'CLOSE-WAIT') {
      this.fail(new NetError('ECONNRESET', 'read'));
      return;
    }
    this.toClosed();
  }

  // ------------------------------------------------------------------------------------------------
  // Output

  private initialCwnd(): number {
    return this.cfg.initialCwnd * this.mss;
  }

  /** Sends whatever the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6.2.1, §3.7.4). */
  output(force: boolean): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'CLOSE-WAIT' && s !== 'FIN-WAIT-1' && s !== 'CLOSING' && s !== 'LAST-ACK') return;
    const q = this.sendq;
    for (;;) {
      const qlen = q === null ? 0 : q.length;
      const dataEnd = seqAdd(this.qBase, qlen);
      if (seqGt(this.sndNxt, dataEnd)) return; // FIN already sent
      const unsent = seqDiff(dataEnd, this.sndNxt);
      if (unsent === 0) {
        if (this.finQueued) this.sendData(this.sndNxt, 0, true);
        return;
      }
      const inflight = seqDiff(this.sndNxt, this.sndUna);
      let cwnd = this.cwnd;
      if (!this.inRecovery && this.dupAcks > 0 && this.dupAcks < DUP_THRESH) cwnd += this.dupAcks * this.mss;
      const usable = Math.min(this.sndWnd, cwnd) - inflight;
      const sndUsable = this.sndWnd - inflight;
      if (usable <= 0 && !(force && sndUsable > 0)) {
        if (this.sndWnd === 0 && inflight === 0) this.armPersist();
        return;
      }
      let len = Math.min(unsent, this.mss, force ? Math.max(usable, Math.min(sndUsable, this.mss)) : usable);
      if (len < this.mss && len < unsent && !force) {
        // Sender SWS avoidance: wait for a full segment unless it is half the peer's largest window.
        if (inflight > 0 || len < this.maxSndWnd >>> 1) {
          if (inflight === 0) this.armPersist();
          return;
        }
      }
      if (len < this.mss && len === unsent && !this.nodelay && !this.finQueued && !force && seqGt(this.sndSml, this.sndUna)) {
        return; // Nagle, Minshall's variant (Linux): one small segment unacknowledged at a time
      }
      if (len <= 0) return;
      const fin = this.finQueued && len === unsent;
      this.sendData(this.sndNxt, len, fin);
      if (force) return;
    }
  }

  /** Sends [seq, seq+len) from the queue (plus FIN), advancing SND.NXT/SND.MAX when it is new. */
  private sendData(seq: number, len: number, fin: boolean): void {
    const q = this.sendq;
    const payload = len > 0 && q !== null ? q.read(seqDiff(seq, this.qBase), len) : undefined;
    const qlen = q === null ? 0 : q.length;
    const pushes = seqAdd(seq, len) === seqAdd(this.qBase, qlen);
    const t = this.layer.segment(seq, this.rcvNxt, ACK | (fin ? FIN : 0) | (len > 0 && pushes ? PSH : 0), this.windowField());
    const end = seqAdd(seq, len + (fin ? 1 : 0));
    const isNew = seqGe(seq, this.sndMax);
    if (len < this.mss && len > 0) this.sndSml = end;
    if (seqGt(end, this.sndNxt)) this.sndNxt = end;
    if (seqGt(end, this.sndMax)) {
      this.sndMax = end;
      if (!this.rttActive && isNew) {
        this.rttActive = true;
        this.rttSeq = end;
        this.rttTime = this.layer.sched.now;
      }
    }
    if (!isNew) {
      this.retransmits++;
      this.layer.stats.retransmits++;
      this.rttActive = false; // Karn
    }
    this.xmit(t, payload);
    this.clearAckState();
    if (this.tKind !== 'rto' && !this.persisting) this.armRto(false);
  }

  /** Retransmits the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitFirst(): void {
    const q = this.sendq;
    const dataEnd = seqAdd(this.qBase, q === null ? 0 : q.length);
    const len = Math.min(this.mss, Math.max(0, seqDiff(dataEnd, this.sndUna)));
    const fin = this.finQueued && seqAdd(this.sndUna, len) === dataEnd && seqGt(this.sndMax, dataEnd);
    if (len === 0 && !fin) return;
    const saveNxt = this.sndNxt;
    this.sendData(this.sndUna, len, fin);
    this.sndNxt = seqGt(saveNxt, this.sndNxt) ? saveNxt : this.sndNxt;
  }

  /** The window field for an outgoing segment, with receiver SWS avoidance (§3.8.6.2.2). */
  private windowField(): number {
    const buf = this.cfg.recvBuffer;
    const free = Math.max(0, buf - this.recvQueued);
    const edge = seqAdd(this.rcvNxt, free);
    if (seqLt(this.rcvEdge, this.rcvNxt)) this.rcvEdge = this.rcvNxt;
    const cur = seqDiff(this.rcvEdge, this.rcvNxt);
    if (seqGt(edge, this.rcvEdge) && free - cur >= Math.min(buf >>> 1, this.advMss)) this.rcvEdge = edge;
    const wnd = seqDiff(this.rcvEdge, this.rcvNxt);
    const shift = this.rcvShift;
    // Round up to the scale unit so the advertised edge never moves left (Linux tcp_select_window);
    // rounding is taken from the unrounded edge, so it never accumulates.
    let field = shift === 0 ? wnd : (wnd + (1 << shift) - 1) >>> shift;
    if (field > 0xffff) field = 0xffff;
    const adv = seqAdd(this.rcvNxt, field << shift);
    if (seqGt(adv, this.rcvAdv)) this.rcvAdv = adv;
    return field;
  }

  /** Sends a window update when reading reopened the window by at least min(buffer/2, MSS). */
  private maybeWindowUpdate(): void {
    const s = this.state;
    if (s !== 'ESTABLISHED' && s !== 'FIN-WAIT-1' && s !== 'FIN-WAIT-2') return;
    const buf = this.cfg.recvBuffer;
    const free = Math.max(0, buf - this.recvQueued);
    const cur = Math.max(0, seqDiff(this.rcvEdge, this.rcvNxt));
    if (free - cur >= Math.min(buf >>> 1, this.advMss)) {
      this.ackPending = true;
      this.sendAck();
    }
  }

  /** A pure ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with SACK blocks when there are holes. */
  sendAck(): void {
    const t = this.layer.segment(this.sndNxt, this.rcvNxt, ACK, this.windowField());
    if (this.sackOk && this.ooo !== null && !this.ooo.empty) {
      const blocks = this.ooo.sackBlocks(this.sackRecent, 4);
      if (blocks.length > 0) t.options = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks }];
    }
    this.xmit(t, undefined);
    this.clearAckState();
  }

  private sendRst(seq: number): void {
    const t = this.layer.segment(seq, this.rcvNxt, RST | ACK, 0);
    this.layer.stats.resetsSent++;
    this.xmit(t, undefined);
  }

  /** <SEQ=SEG.ACK><CTL=RST> (an unacceptable ACK in SYN-SENT or SYN-RECEIVED). */
  private sendRstTo(seq: number): void {
    const t = this.layer.segment(seq, 0, RST, 0);
    this.layer.stats.resetsSent++;
    this.xmit(t, undefined);
  }

  private xmit(t: Tcp, payload: Uint8Array | undefined): void {
    t.srcPort = this.lport;
    t.dstPort = this.rport;
    this.segsOut++;
    this.layer.transmit(this.laddr, this.raddr, t, payload);
  }

  private clearAckState(): void {
    this.ackPending = false;
    this.rcvSinceAck = 0;
    this.delackAt = -1;
  }

  // ------------------------------------------------------------------------------------------------
  // RTT estimation (RFC 6298 §2)

  private rttSample(r: number): void {
    if (r <= 0) r = 1;
    if (this.srtt === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const rto = Math.round(this.srtt + Math.max(G, 4 * this.rttvar));
    this.rto = Math.min(this.cfg.maxRto, Math.max(this.cfg.minRto, rto));
  }

  /** Current timeout with backoff (RFC 6298 §5.5), bounded by the maximum RTO. */
  private currentRto(): number {
    return Math.min(this.cfg.maxRto, this.rto * 2 ** this.backoff);
  }

  // ------------------------------------------------------------------------------------------------
  // Timers. The scheduler timer is kept when a deadline moves later (it fires, sees the new deadline
  // and re-arms), so resetting the RTO on every ACK costs no allocation.

  private armRto(restart = false): void {
    if (!restart && this.tKind === 'rto') return;
    this.tKind = 'rto';
    this.setTimer(this.layer.sched.now + this.currentRto());
  }

  private armPersist(): void {
    if (this.tKind === 'persist' || this.persisting) return;
    this.persisting = true;
    this.tKind = 'persist';
    this.setTimer(this.layer.sched.now + this.persistInterval());
  }

  private persistInterval(): number {
    return Math.min(this.cfg.maxRto, Math.max(this.cfg.minRto, this.rto) * 2 ** this.persistBackoff);
  }

  private stopTimer(): void {
    this.tKind = 'none';
    this.tAt = -1;
  }

  private setTimer(at: number): void {
    this.tAt = at;
    const tm = this.tTimer;
    if (tm !== null && tm.active) {
      if (tm.time <= at) return;
      tm.cancel();
    }
    this.tTimer = this.layer.sched.atWith(at, fireRto, this, this.layer.labelRto, tm);
  }

  /** @internal */
  onTimer(): void {
    const tm = this.tTimer;
    if (this.tAt < 0) {
      this.tTimer = null; // an idle connection keeps no spent timer
      return;
    }
    const now = this.layer.sched.now;
    if (this.tAt > now) {
      this.tTimer = this.layer.sched.atWith(this.tAt, fireRto, this, this.layer.labelRto, tm);
      return;
    }
    const kind = this.tKind;
    this.tKind = 'none';
    this.tAt = -1;
    // A handler that re-arms reuses the spent timer.
    if (kind === 'rto') this.onRto();
    else if (kind === 'persist') this.onPersist();
    if (this.tTimer === tm && tm !== null && !tm.active) this.tTimer = null;
  }

  /** Retransmission timeout (RFC 6298 §5.4-5.6, RFC 5681 §3.1 eq. 4, RFC 6582 §4). */
  private onRto(): void {
    const s = this.state;
    this.timeouts++;
    this.layer.stats.timeouts++;
    this.retries++;
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED') {
      const limit = s === 'SYN-SENT' || !this.passive ? this.cfg.synRetries : this.cfg.synAckRetries;
      if (this.retries > limit) {
        if (this.passive) this.toClosed();
        else this.fail(this.softError ?? new NetError('ETIMEDOUT', 'connect', this.layer.addrText(this.raddr), this.rport));
        return;
      }
      this.backoff++;
      this.rttActive = false;
      this.retransmits++;
      this.layer.stats.retransmits++;
      this.sendSyn(s === 'SYN-RECEIVED');
      return;
    }
    if (this.sndUna === this.sndMax) return;
    if (this.retries > this.cfg.retries2) {
      this.fail(this.softError ?? new NetError('ETIMEDOUT', 'read'));
      return;
    }
    const flight = seqDiff(this.sndMax, this.sndUna);
    if (this.retries === 1) this.ssthresh = Math.max(flight >>> 1, 2 * this.mss);
    this.cwnd = this.mss; // loss window
    this.bytesAcked = 0;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.backoff++;
    this.rttActive = false;
    // Go back: resend from SND.UNA (the receiver may hold later data; its ACK will skip it).
    this.sndNxt = this.sndUna;
    this.armRto(true);
    this.output(false);
    if (this.sndNxt === this.sndUna) this.retransmitFirst();
  }

  /** Zero-window probe (RFC 9293 §3.8.6.1): one octet of new data, intervals backing off exponentially. */
  private onPersist(): void {
    if (!this.persisting) return;
    this.persisting = false;
    const q = this.sendq;
    const inflight = seqDiff(this.sndNxt, this.sndUna);
    const unsent = (q === null ? 0 : q.length) - Math.max(0, seqDiff(this.sndNxt, this.qBase));
    if (unsent <= 0 || inflight > 0) {
      this.output(false);
      return;
    }
    if (this.sndWnd > 0) {
      // A small window that SWS avoidance was holding back: send what fits (the override timeout).
      this.output(true);
      return;
    }
    this.layer.stats.windowProbes++;
    this.sendData(this.sndNxt, 1, false);
    this.rttActive = false;
    this.persistBackoff++;
    this.persisting = true;
    this.tKind = 'persist';
    this.setTimer(this.layer.sched.now + this.persistInterval());
  }

  private armDelack(): void {
    if (this.delackAt >= 0) return;
    const at = this.layer.sched.now + this.cfg.delayedAck;
    this.delackAt = at;
    const tm = this.delackTimer;
    if (tm !== null && tm.active) {
      if (tm.time <= at) return;
      tm.cancel();
    }
    this.delackTimer = this.layer.sched.atWith(at, fireDelack, this, this.layer.labelDelack, tm);
  }

  /** @internal */
  onDelack(): void {
    const tm = this.delackTimer;
    if (this.delackAt > this.layer.sched.now) {
      this.delackTimer = this.layer.sched.atWith(this.delackAt, fireDelack, this, this.layer.labelDelack, tm);
      return;
    }
    this.delackTimer = null;
    if (this.delackAt < 0) return;
    this.delackAt = -1;
    if (this.ackPending && this.state !== 'CLOSED') this.sendAck();
  }

  private armLong(kind: LongKind, after: number): void {
    this.lKind = kind;
    const at = this.layer.sched.now + after;
    this.lAt = at;
    const tm = this.lTimer;
    if (tm !== null && tm.active) {
      if (tm.time <= at) return;
      tm.cancel();
    }
    this.lTimer = this.layer.sched.atWith(at, fireLong, this, this.layer.labelLong, tm);
  }

  private stopLong(): void {
    this.lKind = 'none';
    this.lAt = -1;
  }

  /** @internal */
  onLong(): void {
    const tm = this.lTimer;
    if (this.lAt < 0) {
      this.lTimer = null;
      return;
    }
    const now = this.layer.sched.now;
    if (this.lAt > now) {
      this.lTimer = this.layer.sched.atWith(this.lAt, fireLong, this, this.layer.labelLong, tm);
      return;
    }
    const kind = this.lKind;
    this.stopLong();
    switch (kind) {
      case 'time-wait':
        if (this.state === 'TIME-WAIT') this.toClosed();
        break;
      case 'fin-wait-2':
        if (this.state === 'FIN-WAIT-2') this.toClosed();
        break;
      case 'keepalive':
        this.onKeepalive();
        break;
    }
    if (this.lTimer === tm && tm !== null && !tm.active) this.lTimer = null;
  }

  /** Keep-alive (RFC 1122 §4.2.3.6): probe <SEQ=SND.UNA-1> after idle time, give up after N probes. */
  private onKeepalive(): void {
    if (!this.keepalive || this.state !== 'ESTABLISHED') return;
    const now = this.layer.sched.now;
    const idle = now - this.lastRecvAt;
    if (idle < this.keepaliveIdle && this.keepaliveProbesSent === 0) {
      this.armLong('keepalive', this.keepaliveIdle - idle);
      return;
    }
    if (this.keepaliveProbesSent > 0 && this.lastRecvAt > now - this.cfg.keepaliveInterval * this.keepaliveProbesSent) {
      this.keepaliveProbesSent = 0;
      this.armLong('keepalive', this.keepaliveIdle);
      return;
    }
    if (this.keepaliveProbesSent >= this.cfg.keepaliveProbes) {
      this.fail(new NetError('ETIMEDOUT', 'read'));
      return;
    }
    this.keepaliveProbesSent++;
    const t = this.layer.segment(seqAdd(this.sndUna, -1), this.rcvNxt, ACK, this.windowField());
    this.xmit(t, undefined);
    this.armLong('keepalive', this.cfg.keepaliveInterval);
  }

  // ------------------------------------------------------------------------------------------------
  // Endings

  private enterTimeWait(): void {
    this.state = 'TIME-WAIT';
    this.stopTimer();
    this.persisting = false;
    this.delackAt = -1;
    this.sendq = null;
    this.ooo = null;
    // Nothing re-arms the retransmission or delayed-ACK timer in TIME-WAIT: drop them (and their
    // callbacks) now rather than keep them for up to 2*MSL.
    this.tTimer?.cancel();
    this.tTimer = null;
    this.delackTimer?.cancel();
    this.delackTimer = null;
    this.armLong('time-wait', this.cfg.timeWait);
    this.layer.stats.timeWaitEntered++;
  }

  /** Tells a still-attached owner that the connection is over (TIME-WAIT or CLOSED), once it has read all. */
  private settleOwner(): void {
    const o = this.owner;
    if (this.state !== 'TIME-WAIT' && this.state !== 'CLOSED') return;
    if (o !== null) {
      if (this.recvq !== null || this.endPending) return;
      this.owner = null;
      o.onClosed();
    }
    if (this.state === 'TIME-WAIT' && this.owner === null && this.listener === null && this.recvq === null && this.lTimer !== null && this.lTimer.active) this.compact();
  }

  /** Hands TIME-WAIT to a record in this block's table place (Linux inet_twsk). */
  private compact(): void {
    const tm = this.lTimer!;
    this.layer.toTimeWait(this, this.windowField(), this.keepaliveProbesSent, this.lAt, tm);
    this.lTimer = null;
    this.stopLong();
  }

  /** Deletes the control block (§3.10.7: "enter the CLOSED state, delete the TCB"). */
  toClosed(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.stopTimer();
    this.stopLong();
    this.persisting = false;
    this.delackAt = -1;
    // Lazily stopped timers would fire as no-ops, but until then (up to 2*MSL) they keep this block
    // alive; a closed block drops them for real.
    this.tTimer?.cancel();
    this.tTimer = null;
    this.delackTimer?.cancel();
    this.delackTimer = null;
    this.lTimer?.cancel();
    this.lTimer = null;
    this.sendq = null;
    this.ooo = null;
    this.layer.detach(this);
    this.settleOwner();
  }

  /** Error: CLOSED and the owner is told (connect failures, resets, timeouts). */
  fail(err: NetError): void {
    const o = this.owner;
    this.owner = null;
    this.recvq = null;
    this.recvQueued = 0;
    this.endPending = false;
    this.toClosed();
    o?.onError(err);
  }

  /** An ICMP error about a segment of this connection (RFC 5927 checks done by the caller). */
  onIcmpError(type: number, code: number, mtu: number | undefined, seq: number): void {
    // RFC 5927 §4.1: the quoted sequence number must be in flight.
    if (!(seqLe(this.sndUna, seq) && seqLt(seq, this.sndMax))) return;
    if (type === 3 && code === 4) {
      // Fragmentation needed (RFC 1191): lower the MSS, resend what was in flight (Linux tcp_v4_mtu_reduced).
      if (mtu === undefined || mtu < 68) return;
      const mss = Math.max(48, mtu - 40);
      if (mss >= this.mss) return;
      this.mss = mss;
      if (this.cwnd < this.mss) this.cwnd = this.mss;
      this.layer.stats.pmtuUpdates++;
      if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') return;
      this.sndNxt = this.sndUna;
      this.rttActive = false;
      this.output(false);
      return;
    }
    let err: NetError | null = null;
    const addr = this.layer.addrText(this.raddr);
    if (type === 3) {
      const c: TcpErrorCode = code === 3 ? 'ECONNREFUSED' : code === 2 ? 'ENOPROTOOPT' : code === 0 || code === 6 || code === 9 || code === 11 ? 'ENETUNREACH' : 'EHOSTUNREACH';
      err = new NetError(c, 'connect', addr, this.rport);
    } else if (type === 11) {
      err = new NetError('EHOSTUNREACH', 'connect', addr, this.rport);
    }
    if (err === null) return;
    if (this.state === 'SYN-SENT' || (this.state === 'SYN-RECEIVED' && !this.passive)) {
      if (type === 3) this.fail(err);
      else this.softError = err;
      return;
    }
    // Established: a soft error (RFC 1122 §4.2.3.9), reported only if the connection times out.
    this.softError = new NetError(err.code, 'read');
  }

  // ------------------------------------------------------------------------------------------------
  // Introspection for `ss`

  /** Timer as `ss -o` shows it: `on,200ms,0`, `persist,...`, `timewait,59sec,0`, `keepalive,...`. */
  timerInfo(): { kind: string; remaining: number; retries: number } | null {
    const now = this.layer.sched.now;
    if (this.tKind !== 'none' && this.tAt >= 0) return { kind: this.tKind === 'rto' ? 'on' : 'persist', remaining: this.tAt - now, retries: this.retries };
    if (this.delackAt >= 0) return { kind: 'delack', remaining: this.delackAt - now, retries: 0 };
    if (this.lKind !== 'none' && this.lAt >= 0) {
      const kind = this.lKind === 'time-wait' ? 'timewait' : this.lKind === 'fin-wait-2' ? 'timewait' : 'keepalive';
      return { kind, remaining: this.lAt - now, retries: this.keepaliveProbesSent };
    }
    return null;
  }
}

/** What a connection needs of its listener (implemented by TcpListener in tcp.ts). */
export interface TcpListenerLike {
  readonly backlog: number;
}

/** A table entry: a full connection or a TIME-WAIT record. */
export type TcpEntry = TcpConnection | TimeWaitConn;

/**
 * A TIME-WAIT record of the table, as `lookup` and `connections` give it: a snapshot of its fields
 * that acts on the record while it lives (the record itself is numbers in the table, tcp-table.ts).
 */
export class TimeWaitConn {
  readonly laddr: Ipv4Addr;
  readonly lport: number;
  readonly raddr: Ipv4Addr;
  readonly rport: number;
  readonly sndNxt: number;
  readonly rcvNxt: number;
  readonly mss: number;
  readonly cwnd: number;
  readonly rto: number;
  readonly srtt: number;
  readonly retransmits: number;
  private readonly gen: number;

  /** @internal Made by the layer. */
  constructor(
    readonly layer: TcpLayer,
    private readonly id: number,
  ) {
    const t = layer.table;
    this.laddr = t.laddrOf(id);
    this.lport = t.lportOf(id);
    this.raddr = t.raddrOf(id);
    this.rport = t.rportOf(id);
    this.sndNxt = t.sndNxtOf(id);
    this.rcvNxt = t.rcvNxtOf(id);
    this.mss = t.mssOf(id);
    this.cwnd = t.cwndOf(id);
    this.rto = t.rtoOf(id);
    this.srtt = t.srttOf(id);
    this.retransmits = t.retransmitsOf(id);
    this.gen = t.genOf(id);
  }

  /** True while the record is in the table. */
  private get live(): boolean {
    const t = this.layer.table;
    return t.genOf(this.id) === this.gen && t.kindOf(this.id) === E_TIME_WAIT;
  }

  get state(): TcpState {
    return this.live ? 'TIME-WAIT' : 'CLOSED';
  }
  get owner(): null {
    return null;
  }
  get listener(): null {
    return null;
  }
  get app(): undefined {
    return undefined;
  }
  get recvQueued(): number {
    return 0;
  }
  get sendQueued(): number {
    return 0;
  }

  /** TcpConnection.onTimeWait. */
  onSegment(seg: Tcp): void {
    if (this.live) this.layer.twSegment(this.id, seg);
  }

  /** Nothing is in flight in TIME-WAIT, so no ICMP error matches (RFC 5927). */
  onIcmpError(_type: number, _code: number, _mtu: number | undefined, _seq: number): void {}

  toClosed(): void {
    if (this.live) this.layer.twClose(this.id);
  }

  timerInfo(): { kind: string; remaining: number; retries: number } | null {
    const t = this.layer.table;
    const at = t.genOf(this.id) === this.gen ? t.atOf(this.id) : -1;
    return at >= 0 ? { kind: 'timewait', remaining: at - this.layer.sched.now, retries: t.probesOf(this.id) } : null;
  }
}

// Timer callbacks shared by every connection (the scheduler passes the connection), so arming a
// timer allocates no closure.
const fireRto = (c: TcpConnection): void => c.onTimer();
const fireDelack = (c: TcpConnection): void => c.onDelack();
const fireLong = (c: TcpConnection): void => c.onLong();
