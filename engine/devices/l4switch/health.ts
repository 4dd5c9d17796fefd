/**
 * Real server health checks, as Alteon runs them (Nortel Web OS 10.0 AG ch.10 p.221; Radware AG
 * p.487): every `inter` seconds (default 2) the switch checks each service on each real server; `retry`
 * consecutive failures (default 4) mark the service DOWN and it leaves rotation; `restr` consecutive
 * successes bring it back. Types:
 * - icmp: an echo request to the rip; success is the matching echo reply.
 * - tcp (the default): a TCP connection to rip:port; success is the completed handshake, then the
 *   switch closes the connection.
 * - http: `GET /<content>` (HTTP/1.0, no Host header, as Alteon sends without `hname`); success is a
 *   200 response. No content means `/` (Radware 29 behaviour).
 * A check still unanswered when the next one is due counts as a failure. The checks are real packets
 * from the switch's inside address, so captures show them.
 */
import { ipv4ToString, type Ipv4Addr } from '../../wire/addr.ts';
import { HttpParser, HttpRequest, encodeRequest } from '../../wire/http.ts';
import { ICMP_ECHO_REPLY, Icmp, IcmpView } from '../../wire/icmp.ts';
import { IPPROTO_ICMP } from '../../wire/ipv4.ts';
import type { Node } from '../../net/node.ts';
import type { IcmpMessage } from '../../net/ip-host.ts';
import type { Timer } from '../../sim/scheduler.ts';
import { sec } from '../../sim/time.ts';
import type { Stack, TcpSocket } from '../../stack/index.ts';
import type { HealthType } from './config.ts';

export interface HealthCheckSpec {
  readonly real: number;
  readonly rip: Ipv4Addr;
  readonly port: number;
  readonly type: HealthType;
  readonly content: string;
  readonly inter: number;
  readonly retry: number;
  readonly restr: number;
}

const ECHO_DATA = new Uint8Array(32).map((_, i) => 0x61 + (i % 23));

export class HealthCheck {
  up = true;
  /** Consecutive failures / successes. */
  private fails = 0;
  private oks = 0;
  /** Failed checks since the stats were cleared. */
  failures = 0;
  private timer: Timer | null = null;
  private outstanding = false;
  private sock: TcpSocket | null = null;
  private seq = 0;
  private stopped = false;

  constructor(
    readonly spec: HealthCheckSpec,
    private readonly node: Node,
    private readonly stack: Stack,
    private readonly source: () => Ipv4Addr,
    /** ICMP echo identifier of this check. */
    readonly echoId: number,
    private readonly onChange: (c: HealthCheck) => void,
  ) {}

  start(): void {
    this.timer = this.node.sched.after(0, () => this.tick(), 'slb-health');
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.closeSocket();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.outstanding) {
      this.outstanding = false;
      this.closeSocket();
      this.result(false);
    }
    this.outstanding = true;
    this.probe();
    if (!this.stopped) this.timer = this.node.sched.after(sec(this.spec.inter), () => this.tick(), 'slb-health');
  }

  private probe(): void {
    const s = this.spec;
    if (s.type === 'icmp') {
      this.seq = (this.seq + 1) & 0xffff;
      const icmp = Icmp.echoRequest(this.echoId, this.seq, ECHO_DATA);
      const r = this.node.sendIp({
        dst: s.rip,
        src: this.source() || undefined,
        protocol: IPPROTO_ICMP,
        upper: [icmp],
        payload: ECHO_DATA,
        note: `health check icmp: real ${s.real} (${ipv4ToString(s.rip)})`,
      });
      if (r !== 'sent' && r !== 'queued') this.done(false);
      return;
    }
    const src = this.source();
    const sock = this.stack.tcp.connect({ host: ipv4ToString(s.rip), port: s.port, localAddress: src ? ipv4ToString(src) : undefined, app: 'slb-health' });
    this.sock = sock;
    sock.on('error', () => {
      if (this.sock === sock) this.done(false);
    });
    sock.on('close', () => {
      if (this.sock === sock) this.done(false);
    });
    if (s.type === 'tcp') {
      sock.on('connect', () => {
        if (this.sock !== sock) return;
        this.done(true);
      });
      return;
    }
    const parser = new HttpParser('response', {
      onHead: (m) => {
        if (this.sock === sock) this.done(m.status === 200);
      },
    });
    sock.on('connect', () => {
      const path = s.content === '' ? '/' : s.content.startsWith('/') ? s.content : `/${s.content}`;
      sock.write(encodeRequest(new HttpRequest({ method: 'GET', target: path, version: 'HTTP/1.0' })));
    });
    sock.on('data', (d: Uint8Array) => {
      if (this.sock === sock) parser.push(d);
    });
  }

  /** @internal An echo reply for this check arrived. */
  icmpReply(m: IcmpMessage): void {
    if (this.spec.type !== 'icmp' || m.type !== ICMP_ECHO_REPLY || m.src !== this.spec.rip) return;
    const v = new IcmpView(m.payload);
    if (v.seq !== this.seq || !this.outstanding) return;
    this.done(true);
  }

  private done(ok: boolean): void {
    if (!this.outstanding) return;
    this.outstanding = false;
    this.closeSocket();
    this.result(ok);
  }

  private closeSocket(): void {
    const s = this.sock;
    this.sock = null;
    if (s !== null) s.end();
  }

  private result(ok: boolean): void {
    const s = this.spec;
    if (ok) {
      this.fails = 0;
      if (!this.up && ++this.oks >= s.restr) {
        this.up = true;
        this.oks = 0;
        this.onChange(this);
      }
      return;
    }
    this.failures++;
    this.oks = 0;
    if (this.up && ++this.fails >= s.retry) {
      this.up = false;
      this.fails = 0;
      this.onChange(this);
    }
  }
}
