/**
 * TCP state machine tests, grouped by state (RFC 9293 §3.3.2). Each drives one real TcpLayer against
 * either a RawPeer (hand-made segments from templates, checked with the segment DSL) or a second
 * TcpLayer, over the fake-IpHost wire of fixture.ts, in virtual time.
 */
import assert from 'node:assert/strict';
import { TcpLayer, type TcpOptions } from '../../../engine/stack/tcp.ts';
import type { TcpSocket } from '../../../engine/stack/tcp-socket.ts';
import { icmpDestUnreachable } from '../../../engine/wire/icmp.ts';
import { Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { ADDR_A, ADDR_B, MS, RawPeer, SEC, makePair, type Pair, type WireOptions } from './fixture.ts';
import {
  ACK,
  FIN_ACK,
  PSH_ACK,
  RST,
  RST_ACK,
  SYN,
  SYN_ACK,
  ackIs,
  dport,
  expectTcp,
  flags,
  len,
  mss,
  noSackOk,
  noWscale,
  sackBlocks,
  sackOk,
  seg,
  seqIs,
  sport,
  win,
  wscale,
} from './segments.ts';

/** A TcpLayer on host a (10.0.0.1) and a RawPeer on host b (10.0.0.2). */
function withRawPeer(o: WireOptions = {}, tcp: TcpOptions = {}): Pair & { ta: TcpLayer; peer: RawPeer } {
  const p = makePair(1, { delay: 1 * MS, ...o });
  return { ...p, ta: new TcpLayer(p.a, tcp), peer: new RawPeer(p.b) };
}

/** TcpLayers on both hosts. */
function withTwoLayers(seed: number | string = 1, o: WireOptions = {}, tcp: TcpOptions = {}): Pair & { ta: TcpLayer; tb: TcpLayer } {
  const p = makePair(seed, { delay: 1 * MS, ...o });
  return { ...p, ta: new TcpLayer(p.a, tcp), tb: new TcpLayer(p.b, tcp) };
}

/** Connects `ta` to a raw peer listening nowhere; returns the SYN it sent. */
function activeOpen(t: ReturnType<typeof withRawPeer>, port = 80): { sock: TcpSocket; iss: number; lport: number } {
  const sock = t.ta.connect({ host: '10.0.0.2', port });
  t.sched.runUntil(t.sched.now + 2 * MS);
  const syn = t.peer.take()[0];
  expectTcp(syn, flags('S'), dport(port));
  return { sock, iss: syn!.tcp.seq, lport: syn!.tcp.srcPort };
}

/** Drives `ta` to ESTABLISHED with the raw peer (peer ISS 5000, window 65535, MSS 1460, wscale 0). */
function established(t: ReturnType<typeof withRawPeer>, peerOpts: { mss?: number; wscale?: number; win?: number } = {}) {
  const { sock, iss, lport } = activeOpen(t);
  const irs = 5000;
  t.peer.send(ADDR_A, seg(SYN_ACK, { sport: 80, dport: lport, seq: irs, ack: iss + 1, mss: peerOpts.mss ?? 1460, win: peerOpts.win ?? 65535, ...(peerOpts.wscale !== undefined ? { wscale: peerOpts.wscale } : {}) }));
  t.sched.runUntil(t.sched.now + 2 * MS);
  const ackSeg = t.peer.take()[0];
  expectTcp(ackSeg, flags('.'), seqIs(iss + 1), ackIs(irs + 1));
  return { sock, iss, lport, irs, snd: iss + 1, rcv: irs + 1 };
}

/** Server on ta port 80 and a raw client completing the handshake (client ISS 1000). */
function passiveEstablished(t: ReturnType<typeof withRawPeer>, onConn: (s: TcpSocket) => void = () => {}) {
  t.ta.createServer(onConn).listen(80);
  t.sched.runUntil(t.sched.now + 1);
  t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000, mss: 1460 }));
  t.sched.runUntil(t.sched.now + 2 * MS);
  const sa = t.peer.take()[0]!;
  const iss = sa.tcp.seq;
  t.peer.send(ADDR_A, seg(ACK, { sport: 5000, dport: 80, seq: 1001, ack: iss + 1 }));
  t.sched.runUntil(t.sched.now + 2 * MS);
  return { iss, snd: 1001, rcv: iss + 1 };
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('engine/stack/tcp', () => {
  describe('CLOSED (no connection)', () => {
    it('answers a SYN to a closed port with RST,ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN>', () => {
      const t = withRawPeer();
      t.peer.send(ADDR_A, seg(SYN, { sport: 4000, dport: 81, seq: 0xfffffff0 }));
      t.sched.runUntil(5 * MS);
      expectTcp(t.peer.take()[0], flags('R.'), sport(81), dport(4000), seqIs(0), ackIs(0xfffffff1), win(0));
    });

    it('answers data without ACK with ack = seq + length (+FIN)', () => {
      const t = withRawPeer();
      t.peer.send(ADDR_A, seg(FIN_ACK, { seq: 100, ack: 7 }), bytes(10));
      t.peer.send(ADDR_A, seg({ flags: 0x01 }, { seq: 100 }), bytes(10));
      t.sched.runUntil(5 * MS);
      const [r1, r2] = t.peer.take();
      expectTcp(r1, flags('R'), seqIs(7));
      expectTcp(r2, flags('R.'), seqIs(0), ackIs(111));
    });

    it('answers an ACK with <SEQ=SEG.ACK><CTL=RST> and ignores a RST', () => {
      const t = withRawPeer();
      t.peer.send(ADDR_A, seg(ACK, { seq: 9, ack: 12345 }));
      t.peer.send(ADDR_A, seg(RST, { seq: 9 }));
      t.sched.runUntil(5 * MS);
      const segs = t.peer.take();
      assert.equal(segs.length, 1);
      expectTcp(segs[0], flags('R'), seqIs(12345));
    });

    it('fails connect() to a closed port with ECONNREFUSED', () => {
      const t = withTwoLayers();
      const s = t.ta.connect({ host: '10.0.0.2', port: 9 });
      let err: (Error & { code?: string }) | undefined;
      let closed = false;
      s.on('error', (e) => (err = e));
      s.on('close', (hadError) => (closed = hadError));
      t.sched.runUntil(1 * SEC);
      assert.equal(err?.code, 'ECONNREFUSED');
      assert.equal(err?.message, 'connect ECONNREFUSED 10.0.0.2:9');
      assert.ok(closed);
      assert.equal(t.ta.connectionCount, 0);
    });

    it('fails connect() on ICMP port/host unreachable (ECONNREFUSED / EHOSTUNREACH)', () => {
      for (const [code, want] of [
        [3, 'ECONNREFUSED'],
        [1, 'EHOSTUNREACH'],
      ] as const) {
        const t = withRawPeer();
        const { sock } = activeOpen(t);
        const errs: string[] = [];
        sock.on('error', (e) => errs.push((e as Error & { code: string }).code));
        // b answers the SYN's datagram with an ICMP error quoting it.
        const synDg = t.wire.log.length ? t.wire.log[0]!.datagram : null;
        void synDg;
        const quoted = serialize([new Ipv4({ src: ADDR_A, dst: ADDR_B, protocol: 6 }), seg(SYN, { sport: sock.localPort!, dport: 80, seq: sock.connection!.iss })]);
        t.b.sendIcmp(icmpDestUnreachable(code, quoted), ADDR_A);
        t.sched.runUntil(t.sched.now + 5 * MS);
        assert.deepEqual(errs, [want]);
      }
    });

    it('ignores an ICMP error whose quoted sequence number is not in flight (RFC 5927)', () => {
      const t = withRawPeer();
      const { sock } = activeOpen(t);
      const quoted = serialize([new Ipv4({ src: ADDR_A, dst: ADDR_B, protocol: 6 }), seg(SYN, { sport: sock.localPort!, dport: 80, seq: sock.connection!.iss + 1000 })]);
      t.b.sendIcmp(icmpDestUnreachable(3, quoted), ADDR_A);
      t.sched.runUntil(t.sched.now + 5 * MS);
      assert.equal(sock.connection?.state, 'SYN-SENT');
    });

    it('fails connect() with ENETUNREACH when there is no route', () => {
      const t = withTwoLayers();
      t.a.unreachable.add(ADDR_B);
      const s = t.ta.connect({ host: '10.0.0.2', port: 80 });
      let code = '';
      s.on('error', (e) => (code = (e as Error & { code: string }).code));
      t.sched.runUntil(1 * MS);
      assert.equal(code, 'ENETUNREACH');
    });
  });

  describe('LISTEN', () => {
    it('answers a SYN with SYN,ACK carrying MSS (MTU - 40), SACK-permitted and window scale 7 → SYN-RECEIVED', () => {
      const t = withRawPeer();
      t.a.mtu = 1400;
      t.ta.createServer({ app: 'nginx' }, () => {}).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000, mss: 1460, sackOk: true, wscale: 2 }));
      t.sched.runUntil(5 * MS);
      expectTcp(t.peer.take()[0], flags('S.'), sport(80), dport(5000), ackIs(1001), win(65535), mss(1360), sackOk, wscale(7));
      const rows = t.ta.sockets();
      assert.deepEqual(
        rows.map((r) => [r.state, `${r.localAddress}:${r.localPort}`, `${r.remoteAddress}:${r.remotePort}`, r.app]),
        [
          ['LISTEN', '0.0.0.0:80', '0.0.0.0:0', 'nginx'],
          ['SYN-RECV', '10.0.0.1:80', '10.0.0.2:5000', 'nginx'],
        ],
      );
    });

    it("takes the SYN's MSS, SACK-permitted and a window shift above 14 as 14 (RFC 7323 §2.3)", () => {
      const t = withRawPeer();
      t.ta.createServer(() => {}).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000, mss: 1000, sackOk: true, wscale: 15 }));
      t.sched.runUntil(5 * MS);
      expectTcp(t.peer.take()[0], flags('S.'), mss(1460), sackOk, wscale(7));
      const c = [...t.ta.connections()][0] as { mss: number; sndShift: number; sackOk: boolean };
      assert.deepEqual([c.mss, c.sndShift, c.sackOk], [1000, 14, true]);
    });

    it('omits window scale and SACK-permitted when the SYN lacks them; assumes MSS 536', () => {
      const t = withRawPeer();
      const got: Uint8Array[] = [];
      passiveEstablished(t, (s) => s.write(bytes(2000)));
      t.peer.take();
      // passiveEstablished sent MSS 1460; a fresh one without options:
      const t2 = withRawPeer();
      t2.ta.createServer((s) => s.write(bytes(2000))).listen(80);
      t2.sched.runUntil(1);
      t2.peer.send(ADDR_A, seg(SYN, { sport: 5001, dport: 80, seq: 1 }));
      t2.sched.runUntil(5 * MS);
      const sa = t2.peer.take()[0];
      expectTcp(sa, flags('S.'), noWscale, noSackOk);
      t2.peer.send(ADDR_A, seg(ACK, { sport: 5001, dport: 80, seq: 2, ack: sa!.tcp.seq + 1 }));
      t2.sched.runUntil(10 * MS);
      for (const s of t2.peer.take()) got.push(s.tcp.payload);
      assert.deepEqual(
        got.map((g) => g.length),
        [536, 536, 536, 392],
      );
    });

    it('answers an ACK for no connection with RST <SEQ=SEG.ACK>', () => {
      const t = withRawPeer();
      t.ta.createServer(() => {}).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(ACK, { sport: 5000, dport: 80, seq: 1, ack: 777 }));
      t.sched.runUntil(5 * MS);
      expectTcp(t.peer.take()[0], flags('R'), seqIs(777));
    });

    it('drops SYNs beyond the backlog (SYN queue full, no SYN cookies)', () => {
      const t = withRawPeer();
      t.ta.createServer(() => {}).listen(80, '0.0.0.0', 2);
      t.sched.runUntil(1);
      for (let i = 0; i < 4; i++) t.peer.send(ADDR_A, seg(SYN, { sport: 6000 + i, dport: 80, seq: 100 * i }));
      t.sched.runUntil(5 * MS);
      const answered = t.peer.take().map((s) => s.tcp.dstPort);
      assert.deepEqual(answered, [6000, 6001]);
      assert.equal(t.ta.stats.listenDrops, 2);
      assert.deepEqual(t.ta.countByState(), { 'SYN-RECEIVED': 2 });
    });

    it('holds completed connections in the accept queue and overflows it like Linux (backlog + 1)', () => {
      const t = withTwoLayers();
      const accepted: TcpSocket[] = [];
      const server = t.tb.createServer((s) => accepted.push(s));
      server.listen(80, 1);
      server.pauseAccepting();
      const clients = [0, 1, 2].map(() => t.ta.connect({ host: '10.0.0.2', port: 80 }));
      const connected: number[] = [];
      clients.forEach((c, i) => c.on('connect', () => connected.push(i)));
      t.sched.runUntil(10 * SEC);
      // Backlog 1: the SYN queue takes one request at a time, the accept queue holds 2
      // (sk_acceptq_is_full: length > backlog); the third client's SYNs are then dropped.
      assert.equal(server.acceptQueueLength, 2);
      assert.equal(accepted.length, 0);
      assert.equal(t.tb.sockets().find((r) => r.state === 'LISTEN')!.recvQ, 2);
      assert.deepEqual(connected, [0, 1]);
      assert.equal(clients[2]!.connection!.state, 'SYN-SENT');
      assert.ok(t.tb.stats.listenDrops >= 2);
      server.resumeAccepting();
      assert.equal(accepted.length, 2);
      t.sched.runUntil(40 * SEC);
      assert.equal(accepted.length, 3);
      assert.deepEqual(connected, [0, 1, 2]);
    });

    it('refuses a second listener on the same port with EADDRINUSE', () => {
      const t = withTwoLayers();
      t.ta.createServer(() => {}).listen(80);
      const s2 = t.ta.createServer(() => {});
      let code = '';
      s2.on('error', (e) => (code = (e as Error & { code: string }).code));
      s2.listen(80);
      t.sched.runUntil(1 * MS);
      assert.equal(code, 'EADDRINUSE');
    });
  });

  describe('SYN-SENT', () => {
    it('retransmits the SYN with exponential backoff and gives up with ETIMEDOUT after 6 retries', () => {
      const t = withRawPeer();
      const s = t.ta.connect({ host: '10.0.0.2', port: 80 });
      let err: (Error & { code?: string }) | undefined;
      s.on('error', (e) => (err = e));
      t.sched.runUntil(200 * SEC);
      const times = t.peer.take().map((x) => Math.round((x.time - 1 * MS) / SEC));
      assert.deepEqual(times, [0, 1, 3, 7, 15, 31, 63]);
      assert.equal(err?.code, 'ETIMEDOUT');
      assert.equal(t.ta.connectionCount, 0);
    });

    it('answers a SYN,ACK with an unacceptable ACK with RST <SEQ=SEG.ACK>', () => {
      const t = withRawPeer();
      const { iss, lport } = activeOpen(t);
      t.peer.send(ADDR_A, seg(SYN_ACK, { sport: 80, dport: lport, seq: 1, ack: iss + 99 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('R'), seqIs(iss + 99));
    });

    it('takes an acceptable RST,ACK as ECONNREFUSED and ignores a RST without ACK', () => {
      const t = withRawPeer();
      const { sock, iss, lport } = activeOpen(t);
      let code = '';
      sock.on('error', (e) => (code = (e as Error & { code: string }).code));
      t.peer.send(ADDR_A, seg(RST, { sport: 80, dport: lport, seq: 0 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      assert.equal(sock.connection?.state, 'SYN-SENT');
      t.peer.send(ADDR_A, seg(RST_ACK, { sport: 80, dport: lport, seq: 0, ack: iss + 1 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      assert.equal(code, 'ECONNREFUSED');
    });

    it('completes on SYN,ACK, honours the peer MSS and window scale', () => {
      const t = withRawPeer();
      const e = established(t, { mss: 1000, wscale: 3, win: 100 });
      assert.equal(e.sock.connection!.state, 'ESTABLISHED');
      e.sock.write(bytes(3000));
      t.sched.runUntil(t.sched.now + 2 * MS);
      // The window of a SYN is never scaled (RFC 7323 §2.2): 100 bytes.
      const segs = t.peer.take();
      assert.deepEqual(
        segs.map((s) => s.tcp.payload.length),
        [100],
      );
      // Later windows are: 1000 << 3 = 8000 bytes.
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd + 100, win: 1000 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      assert.deepEqual(
        t.peer.take().map((s) => s.tcp.payload.length),
        [1000, 1000, 900],
      );
      assert.equal(e.sock.connection!.sndWnd, 8000);
    });

    it('simultaneous open: crossing SYNs → SYN-RECEIVED → ESTABLISHED on both sides', () => {
      const t = withTwoLayers(3, { delay: 10 * MS, record: true });
      const a = t.ta.connect({ host: '10.0.0.2', port: 6000, localPort: 5000 });
      const b = t.tb.connect({ host: '10.0.0.1', port: 5000, localPort: 6000 });
      const seen: string[] = [];
      t.sched.runUntil(5 * MS);
      assert.equal(a.connection!.state, 'SYN-SENT');
      t.sched.runUntil(15 * MS);
      seen.push(a.connection!.state, b.connection!.state);
      a.on('connect', () => a.write('from a'));
      b.on('connect', () => b.write('from b'));
      let gotA = '';
      let gotB = '';
      a.on('data', (d) => (gotA += d.toString()));
      b.on('data', (d) => (gotB += d.toString()));
      t.sched.runUntil(100 * MS);
      assert.deepEqual(seen, ['SYN-RECEIVED', 'SYN-RECEIVED']);
      assert.equal(gotA, 'from b');
      assert.equal(gotB, 'from a');
      const synAcks = t.wire.log.filter((r) => (r.datagram[33]! & 0x12) === 0x12);
      assert.equal(synAcks.length, 2);
    });
  });

  describe('SYN-RECEIVED', () => {
    it('resends SYN,ACK on a duplicate SYN and on timeout; forgets the request after 5 retries', () => {
      const t = withRawPeer();
      t.ta.createServer(() => {}).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000 }));
      t.sched.runUntil(5 * MS);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000 }));
      t.sched.runUntil(10 * MS);
      assert.equal(t.peer.take().filter((s) => s.tcp.flags === 0x12).length, 2);
      t.sched.runUntil(100 * SEC);
      const times = t.peer.take().map((s) => Math.round(s.time / SEC));
      assert.deepEqual(times, [1, 3, 7, 15, 31]);
      assert.equal(t.ta.connectionCount, 0);
    });

    it('goes back to LISTEN on a RST at RCV.NXT; answers a bad ACK with RST', () => {
      const t = withRawPeer();
      t.ta.createServer(() => {}).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000 }));
      t.sched.runUntil(5 * MS);
      const iss = t.peer.take()[0]!.tcp.seq;
      t.peer.send(ADDR_A, seg(ACK, { sport: 5000, dport: 80, seq: 1001, ack: iss + 50 }));
      t.sched.runUntil(10 * MS);
      expectTcp(t.peer.take()[0], flags('R'), seqIs(iss + 50));
      t.peer.send(ADDR_A, seg(RST, { sport: 5000, dport: 80, seq: 1001 }));
      t.sched.runUntil(15 * MS);
      assert.equal(t.ta.connectionCount, 0);
      assert.deepEqual(
        t.ta.sockets().map((r) => r.state),
        ['LISTEN'],
      );
    });
  });

  describe('ESTABLISHED', () => {
    it('moves data both ways (echo) and counts bytes', () => {
      const t = withTwoLayers();
      t.tb.createServer((s) => s.on('data', (d) => s.write(d))).listen(7);
      const c = t.ta.connect({ host: '10.0.0.2', port: 7 });
      const payload = bytes(100_000);
      let got = Buffer.alloc(0);
      c.on('connect', () => c.write(payload));
      c.on('data', (d) => (got = Buffer.concat([got, d])));
      t.sched.runUntil(2 * SEC);
      assert.ok(Buffer.from(payload).equals(got));
      assert.equal(c.bytesWritten, 100_000);
      assert.equal(c.bytesRead, 100_000);
      assert.equal(c.remoteAddress, '10.0.0.2');
      assert.equal(c.remotePort, 7);
      assert.equal(c.localAddress, '10.0.0.1');
      assert.ok(c.localPort! >= 32768 && c.localPort! <= 60999);
    });

    it('segments a write into MSS-sized segments with PSH on the last', () => {
      const t = withRawPeer();
      const e = established(t, { mss: 1000 });
      e.sock.write(bytes(2500));
      t.sched.runUntil(t.sched.now + 2 * MS);
      const s = t.peer.take();
      expectTcp(s[0], flags('.'), seqIs(e.snd), len(1000));
      expectTcp(s[1], flags('.'), seqIs(e.snd + 1000), len(1000));
      expectTcp(s[2], flags('P.'), seqIs(e.snd + 2000), len(500));
    });

    it('delays the ACK of one segment by 40 ms and ACKs every second full segment at once', () => {
      const t = withRawPeer();
      const e = established(t);
      const t0 = t.sched.now;
      t.peer.send(ADDR_A, seg(PSH_ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd }), bytes(100));
      t.sched.runUntil(t0 + 100 * MS);
      const [a1] = t.peer.take();
      expectTcp(a1, flags('.'), ackIs(e.rcv + 100));
      assert.equal(a1!.time - t0, 1 * MS + 40 * MS + 1 * MS);
      const t1 = t.sched.now;
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: e.lport, seq: e.rcv + 100, ack: e.snd }), bytes(1460));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: e.lport, seq: e.rcv + 1560, ack: e.snd }), bytes(1460));
      t.sched.runUntil(t1 + 10 * MS);
      const [a2] = t.peer.take();
      expectTcp(a2, flags('.'), ackIs(e.rcv + 3020));
      assert.equal(a2!.time - t1, 2 * MS);
    });

    it('ACKs out-of-order data at once with SACK blocks, and the hole filling at once', () => {
      const t = withRawPeer();
      const { sock, iss, lport } = activeOpen(t);
      t.peer.send(ADDR_A, seg(SYN_ACK, { sport: 80, dport: lport, seq: 5000, ack: iss + 1, mss: 1460, sackOk: true }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      t.peer.take();
      let got = 0;
      sock.on('data', (d) => (got += d.length));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: lport, seq: 5001 + 1000, ack: iss + 1 }), bytes(500));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: lport, seq: 5001 + 2000, ack: iss + 1 }), bytes(500));
      t.sched.runUntil(t.sched.now + 2 * MS);
      const [d1, d2] = t.peer.take();
      expectTcp(d1, flags('.'), ackIs(5001), sackBlocks([[6001, 6501]]));
      expectTcp(d2, flags('.'), ackIs(5001), sackBlocks([[7001, 7501], [6001, 6501]]));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: lport, seq: 5001, ack: iss + 1 }), bytes(1000));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('.'), ackIs(6501), sackBlocks([[7001, 7501]]));
      assert.equal(got, 1500);
    });

    it('advertises a shrinking window while the app does not read, zero window, then probes (persist) until it reopens', () => {
      const t = withTwoLayers(5, { delay: 5 * MS }, { recvBuffer: 65536 });
      let server: TcpSocket | undefined;
      t.tb.createServer((s) => {
        server = s;
        s.pause();
      }).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      const total = 200_000;
      c.on('connect', () => c.write(bytes(total)));
      t.sched.runUntil(2 * SEC);
      const conn = c.connection!;
      assert.equal(conn.sndWnd, 0);
      // The buffer, give or take the scale unit the last window was rounded up to (2^7 bytes).
      const queued = server!.connection!.recvQueued;
      assert.ok(queued >= 65536 && queued < 65536 + 128, `queued ${queued}`);
      // Probes keep going with growing intervals while the window stays shut.
      const probes0 = t.ta.stats.windowProbes;
      t.sched.runUntil(20 * SEC);
      const probes = t.ta.stats.windowProbes - probes0;
      assert.ok(probes >= 3 && probes <= 8, `probes ${probes}`);
      const row = t.ta.sockets().find((r) => r.localPort === c.localPort)!;
      assert.equal(row.timer?.kind, 'persist');
      const queuedNow = server!.connection!.recvQueued;
      assert.ok(queuedNow - queued < 128);
      assert.equal(row.sendQ, total - queuedNow);
      const srow = t.tb.sockets().find((r) => r.localPort === 80 && r.state === 'ESTAB')!;
      assert.equal(srow.recvQ, queuedNow);
      let got = 0;
      server!.on('data', (d) => (got += d.length));
      server!.resume();
      t.sched.runUntil(25 * SEC);
      assert.equal(got, total);
    });

    it('recovers a lost window update through the persist probe', () => {
      const t = withTwoLayers(6, { delay: 5 * MS }, { recvBuffer: 16384 });
      let server: TcpSocket | undefined;
      t.tb.createServer((s) => {
        server = s;
        s.pause();
      }).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => c.write(bytes(50_000)));
      t.sched.runUntil(1 * SEC);
      // Drop every pure ACK from b for a moment: the window update is lost.
      t.wire.dropIf = (dg, from) => from === t.b && dg.length === 40;
      let got = 0;
      server!.on('data', (d) => (got += d.length));
      server!.resume();
      t.sched.runUntil(1 * SEC + 20 * MS);
      t.wire.dropIf = null;
      t.sched.runUntil(30 * SEC);
      assert.equal(got, 50_000);
    });

    it('fast-retransmits on the third duplicate ACK and recovers (NewReno)', () => {
      const t = withTwoLayers(7, { delay: 10 * MS });
      let dropped = false;
      let got = 0;
      t.tb.createServer((s) => s.on('data', (d) => (got += d.length))).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => c.write(bytes(200_000)));
      t.wire.dropIf = (dg, from) => {
        // Drop the 20th data segment from a once.
        if (from !== t.a || dropped || dg.length < 1000) return false;
        if (++count === 20) return (dropped = true);
        return false;
      };
      let count = 0;
      t.sched.runUntil(5 * SEC);
      assert.equal(got, 200_000);
      assert.equal(t.ta.stats.fastRetransmits, 1);
      assert.equal(t.ta.stats.timeouts, 0);
      assert.ok(t.tb.stats.segsOut > 0);
    });

    it('retransmits on RTO (min 200 ms) when the tail is lost, backing off exponentially', () => {
      const t = withRawPeer();
      const e = established(t);
      const t0 = t.sched.now;
      e.sock.write(bytes(100));
      t.sched.runUntil(t0 + 2 * SEC);
      const times = t.peer.take().map((s) => s.time - t0);
      // First RTO: from the handshake sample (2 ms RTT) the RTO is the 200 ms minimum; then doubles.
      assert.deepEqual(
        times.map((x) => Math.round(x / MS)),
        [1, 201, 601, 1401],
      );
      assert.equal(e.sock.connection!.retransmits, 3);
    });

    it('takes a RST at RCV.NXT as ECONNRESET; a RST elsewhere in the window draws a challenge ACK', () => {
      const t = withRawPeer();
      const e = established(t);
      let code = '';
      e.sock.on('error', (x) => (code = (x as Error & { code: string }).code));
      t.peer.send(ADDR_A, seg(RST, { sport: 80, dport: e.lport, seq: e.rcv + 10 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('.'), seqIs(e.snd), ackIs(e.rcv));
      assert.equal(e.sock.connection!.state, 'ESTABLISHED');
      t.peer.send(ADDR_A, seg(RST, { sport: 80, dport: e.lport, seq: e.rcv + 10_000_000 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      assert.equal(t.peer.take().length, 0);
      t.peer.send(ADDR_A, seg(RST, { sport: 80, dport: e.lport, seq: e.rcv }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      assert.equal(code, 'ECONNRESET');
      assert.equal(t.ta.connectionCount, 0);
    });

    it('answers a SYN with a challenge ACK (RFC 5961 §4) and an out-of-window segment with an ACK', () => {
      const t = withRawPeer();
      const e = established(t);
      t.peer.send(ADDR_A, seg(SYN, { sport: 80, dport: e.lport, seq: 1 }));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: e.lport, seq: e.rcv - 5000, ack: e.snd }), bytes(10));
      t.sched.runUntil(t.sched.now + 2 * MS);
      const [c1, c2] = t.peer.take();
      expectTcp(c1, flags('.'), seqIs(e.snd), ackIs(e.rcv));
      expectTcp(c2, flags('.'), seqIs(e.snd), ackIs(e.rcv));
      assert.equal(e.sock.connection!.state, 'ESTABLISHED');
    });

    it('lowers the MSS on ICMP fragmentation-needed and resends in smaller segments (PMTUD)', () => {
      const t = withTwoLayers(8, { delay: 2 * MS, mtu: 1200 });
      let got = 0;
      t.tb.createServer((s) => s.on('data', (d) => (got += d.length))).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => c.write(bytes(30_000)));
      t.sched.runUntil(3 * SEC);
      assert.equal(got, 30_000);
      assert.equal(c.connection?.mss ?? t.ta.sockets()[0]!.mss, 1160);
      assert.ok(t.ta.stats.pmtuUpdates >= 1);
    });

    it('applies backpressure: write() returns false above the high-water mark, then drain', () => {
      const t = withTwoLayers();
      t.tb.createServer((s) => s.resume()).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      const results: boolean[] = [];
      let drains = 0;
      c.on('connect', () => {
        results.push(c.write(bytes(1000)));
        results.push(c.write(bytes(100_000)));
      });
      c.on('drain', () => drains++);
      t.sched.runUntil(2 * SEC);
      assert.deepEqual(results, [true, false]);
      assert.equal(drains, 1);
    });

    it('Nagle holds a small segment while one is unacknowledged; setNoDelay sends at once', () => {
      for (const noDelay of [false, true]) {
        const t = withRawPeer();
        const e = established(t);
        e.sock.setNoDelay(noDelay);
        e.sock.write(bytes(10));
        e.sock.write(bytes(10));
        t.sched.runUntil(t.sched.now + 2 * MS);
        assert.equal(t.peer.take().length, noDelay ? 2 : 1);
      }
    });
  });

  describe('FIN-WAIT-1 / FIN-WAIT-2 / CLOSE-WAIT / LAST-ACK (half-close)', () => {
    it('one side ends, the other keeps sending, then ends', () => {
      const t = withTwoLayers(9, { delay: 5 * MS });
      const reply = bytes(300_000, 2);
      let server: TcpSocket | undefined;
      t.tb.createServer({ allowHalfOpen: true }, (s) => {
        server = s;
        s.on('end', () => {
          // Peer half-closed: keep sending for a while (30 KB every 10 ms), then end.
          let n = 0;
          const more = (): void => {
            s.write(reply.subarray(n * 30_000, (n + 1) * 30_000));
            if (++n < 10) t.sched.after(10 * MS, more);
            else s.end();
          };
          more();
        });
      }).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
      let got = 0;
      let ended = false;
      c.on('connect', () => c.end('request'));
      c.on('data', (d) => (got += d.length));
      c.on('end', () => (ended = true));
      t.sched.runUntil(40 * MS);
      assert.equal(c.connection!.state, 'FIN-WAIT-2');
      assert.equal(server!.connection!.state, 'CLOSE-WAIT');
      assert.ok(got > 0 && got < 300_000);
      t.sched.runUntil(3 * SEC);
      assert.equal(got, 300_000);
      assert.ok(ended);
      const states = t.ta.sockets().map((r) => r.state);
      assert.deepEqual(states, ['TIME-WAIT']);
      assert.deepEqual(
        t.tb.sockets().map((r) => r.state),
        ['LISTEN'],
      );
    });

    it('without allowHalfOpen the receiver of a FIN ends its side too (Node default) → LAST-ACK → CLOSED', () => {
      const t = withTwoLayers(10, { delay: 5 * MS });
      const seen: string[] = [];
      t.tb.createServer((s) => {
        s.on('end', () => seen.push(`end:${s.connection?.state}`));
        s.on('close', () => seen.push('close'));
      }).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => c.end());
      t.sched.runUntil(17 * MS);
      const srv = [...t.tb.connections()][0]!;
      assert.equal(srv.state, 'LAST-ACK');
      t.sched.runUntil(1 * SEC);
      assert.deepEqual(seen, ['end:CLOSE-WAIT', 'close']);
      assert.equal(t.tb.connectionCount, 0);
    });

    it('answers data arriving after close() with RST (orphaned socket)', () => {
      const t = withRawPeer();
      const e = established(t);
      e.sock.destroy();
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('F.'), seqIs(e.snd));
      t.peer.send(ADDR_A, seg(ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd + 1 }), bytes(10));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('R.'));
      assert.equal(t.ta.connectionCount, 0);
    });

    it('destroy() with unread data sends RST (RFC 9293 §3.10.4)', () => {
      const t = withRawPeer();
      const e = established(t);
      e.sock.pause();
      t.peer.send(ADDR_A, seg(PSH_ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd }), bytes(10));
      t.sched.runUntil(t.sched.now + 2 * MS);
      e.sock.destroy();
      t.sched.runUntil(t.sched.now + 2 * MS);
      const segs = t.peer.take();
      expectTcp(segs[segs.length - 1], flags('R.'), seqIs(e.snd));
    });
  });

  describe('CLOSING', () => {
    it('simultaneous close: both FINs cross → CLOSING → TIME-WAIT on both sides', () => {
      const t = withTwoLayers(11, { delay: 10 * MS });
      let srv: TcpSocket | undefined;
      t.tb.createServer({ allowHalfOpen: true }, (s) => (srv = s)).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
      t.sched.runUntil(100 * MS);
      const ca = c.connection!;
      const cb = srv!.connection!;
      c.end();
      srv!.end();
      t.sched.runUntil(t.sched.now + 15 * MS);
      assert.deepEqual([ca.state, cb.state], ['CLOSING', 'CLOSING']);
      t.sched.runUntil(t.sched.now + 20 * MS);
      assert.deepEqual([ca.state, cb.state], ['TIME-WAIT', 'TIME-WAIT']);
    });
  });

  describe('TIME-WAIT', () => {
    it('lasts 60 s (2*MSL like Linux) and then the connection is gone', () => {
      const t = withTwoLayers(12);
      t.tb.createServer((s) => s.resume()).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => c.end());
      t.sched.runUntil(100 * MS);
      const row = t.ta.sockets()[0]!;
      assert.equal(row.state, 'TIME-WAIT');
      assert.equal(row.timer?.kind, 'timewait');
      t.sched.runUntil(60 * SEC);
      assert.equal(t.ta.connectionCount, 1);
      t.sched.runUntil(60 * SEC + 100 * MS);
      assert.equal(t.ta.connectionCount, 0);
    });

    it('re-ACKs a retransmitted FIN and restarts the timer', () => {
      const t = withRawPeer();
      const e = established(t);
      e.sock.end();
      t.sched.runUntil(t.sched.now + 2 * MS);
      t.peer.take();
      t.peer.send(ADDR_A, seg(FIN_ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd + 1 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('.'), ackIs(e.rcv + 1));
      assert.equal([...t.ta.connections()][0]!.state, 'TIME-WAIT');
      t.sched.runUntil(t.sched.now + 30 * SEC);
      t.peer.send(ADDR_A, seg(FIN_ACK, { sport: 80, dport: e.lport, seq: e.rcv, ack: e.snd + 1 }));
      t.sched.runUntil(t.sched.now + 2 * MS);
      expectTcp(t.peer.take()[0], flags('.'), ackIs(e.rcv + 1));
      t.sched.runUntil(t.sched.now + 59 * SEC);
      assert.equal(t.ta.connectionCount, 1);
      t.sched.runUntil(t.sched.now + 2 * SEC);
      assert.equal(t.ta.connectionCount, 0);
    });

    it('lets a new SYN with a higher sequence number reopen the 4-tuple (RFC 6191)', () => {
      const t = withRawPeer();
      let conns = 0;
      t.ta.createServer({ allowHalfOpen: true }, (s) => {
        conns++;
        s.end();
      }).listen(80);
      t.sched.runUntil(1);
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 1000 }));
      t.sched.runUntil(3 * MS);
      const iss = t.peer.take()[0]!.tcp.seq;
      t.peer.send(ADDR_A, seg(ACK, { sport: 5000, dport: 80, seq: 1001, ack: iss + 1 }));
      t.sched.runUntil(6 * MS);
      expectTcp(t.peer.take()[0], flags('F.')); // the server ends at once
      t.peer.send(ADDR_A, seg(FIN_ACK, { sport: 5000, dport: 80, seq: 1001, ack: iss + 2 }));
      t.sched.runUntil(9 * MS);
      assert.equal(conns, 1);
      assert.equal([...t.ta.connections()][0]!.state, 'TIME-WAIT');
      t.peer.take();
      t.peer.send(ADDR_A, seg(SYN, { sport: 5000, dport: 80, seq: 90_000 }));
      t.sched.runUntil(12 * MS);
      expectTcp(t.peer.take()[0], flags('S.'), ackIs(90_001));
      assert.equal([...t.ta.connections()][0]!.state, 'SYN-RECEIVED');
    });
  });

  describe('TIME-WAIT records', () => {
    it('many records keep table order, their fields and each its own expiry; a view outlives its record', () => {
      const t = withTwoLayers(5);
      t.tb.createServer((s) => s.end('hi')).listen(80);
      const ports: number[] = [];
      const n = 150;
      // Connections opened 1 ms apart, each closed by both ends once it is up.
      for (let i = 0; i < n; i++) {
        t.sched.runUntil(i * MS);
        const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
        c.on('connect', () => c.end());
        c.on('data', () => {});
      }
      t.sched.runUntil(500 * MS);
      for (const c of t.ta.connections()) ports.push(c.lport);
      assert.equal(ports.length, n);
      assert.deepEqual(t.ta.countByState(), { 'TIME-WAIT': n });
      const rows = t.ta.sockets();
      assert.deepEqual(
        rows.map((r) => r.localPort),
        ports,
      );
      for (const r of rows) {
        assert.equal(r.state, 'TIME-WAIT');
        assert.equal(r.timer?.kind, 'timewait');
        assert.equal(r.mss, 1460);
        assert.ok(r.srtt! > 0 && r.rto! >= 200 * MS && r.cwnd! > 0);
      }
      // Entered 1 ms apart: each goes at its own time.
      const first = rows[0]!.timer!.remaining + t.sched.now;
      const view = [...t.ta.connections()][0]!;
      t.sched.runUntil(first - 1);
      assert.equal(t.ta.connectionCount, n);
      assert.equal(view.state, 'TIME-WAIT');
      t.sched.runUntil(first);
      assert.equal(t.ta.connectionCount, n - 1);
      assert.equal(view.state, 'CLOSED');
      assert.equal(view.timerInfo(), null);
      assert.equal(view.lport, ports[0]);
      t.sched.runUntil(first + 10 * MS);
      assert.ok(t.ta.connectionCount < n - 5 && t.ta.connectionCount > n - 20);
      assert.deepEqual(
        t.ta.sockets().map((r) => r.localPort),
        ports.slice(n - t.ta.connectionCount),
      );
      t.sched.runUntilIdle();
      assert.equal(t.ta.connectionCount, 0);
      assert.equal(t.tb.connectionCount, 0);
      assert.equal(t.sched.pending, 0);
    });

    it('dispose forgets the records; their timers still run out', () => {
      const t = withTwoLayers(6);
      t.tb.createServer((s) => s.end()).listen(80);
      for (let i = 0; i < 3; i++) {
        const c = t.ta.connect({ host: '10.0.0.2', port: 80 });
        c.on('connect', () => c.end());
      }
      t.sched.runUntil(100 * MS);
      assert.deepEqual(t.ta.countByState(), { 'TIME-WAIT': 3 });
      const view = [...t.ta.connections()][0]!;
      t.ta.dispose();
      assert.equal(t.ta.connectionCount, 0);
      assert.deepEqual([...t.ta.connections()], []);
      assert.equal(view.state, 'CLOSED');
      t.sched.runUntilIdle();
      assert.equal(t.sched.pending, 0);
    });
  });

  describe('ss', () => {
    it('lists sockets with Linux state names, queues, owner app and timers', () => {
      const t = withTwoLayers(13, { delay: 5 * MS });
      t.tb.createServer({ app: 'nginx' }, (s) => s.pause()).listen(80);
      const c = t.ta.connect({ host: '10.0.0.2', port: 80, app: 'curl' });
      c.on('connect', () => c.write(bytes(5000)));
      t.sched.runUntil(1 * SEC);
      const a = t.ta.sockets();
      assert.equal(a.length, 1);
      assert.equal(a[0]!.state, 'ESTAB');
      assert.equal(a[0]!.app, 'curl');
      assert.equal(a[0]!.sendQ, 0);
      const b = t.tb.sockets();
      assert.deepEqual(
        b.map((r) => [r.state, r.recvQ, r.app]),
        [
          ['LISTEN', 0, 'nginx'],
          ['ESTAB', 5000, 'nginx'],
        ],
      );
    });
  });
});
