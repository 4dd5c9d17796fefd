/**
 * TCP under load, at the socket level: a 10 MB transfer over a lossy long path, request/response
 * exchanges over one and over many connections, and a property test of data integrity.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Random } from '../../../engine/sim/random.ts';
import { TcpLayer } from '../../../engine/stack/tcp.ts';
import type { TcpSocket } from '../../../engine/stack/tcp-socket.ts';
import { MS, SEC, makePair } from './fixture.ts';

interface BulkResult {
  ok: boolean;
  received: number;
  doneAt: number;
  trace: string;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  lost: number;
}

/** Sends `data` from a to b over a path with `delay` one way and `loss`; hashes everything. */
function bulk(seed: number, data: Uint8Array, delay: number, loss: number, writeSizes?: (i: number) => number): BulkResult {
  const p = makePair(seed, { delay, loss });
  const trace = createHash('sha256');
  p.wire.onDatagram = (r) => {
    trace.update(`${r.time} ${r.from} ${r.dropped ? 'x' : '>'} `);
    trace.update(r.datagram);
  };
  const ta = new TcpLayer(p.a);
  const tb = new TcpLayer(p.b);
  const hin = createHash('sha256');
  let received = 0;
  let doneAt = -1;
  tb.createServer((s) => {
    s.on('data', (d) => {
      hin.update(d);
      received += d.length;
    });
    s.on('end', () => (doneAt = p.sched.now));
  }).listen(80);
  const c = ta.connect({ host: '10.0.0.2', port: 80 });
  c.on('connect', () => {
    let off = 0;
    let i = 0;
    const pump = (): void => {
      while (off < data.length) {
        const n = Math.min(writeSizes ? writeSizes(i++) : 65536, data.length - off);
        const more = c.write(data.subarray(off, off + n));
        off += n;
        if (!more) return;
      }
      c.end();
    };
    c.on('drain', pump);
    pump();
  });
  p.sched.runUntil(3600 * SEC, 20_000_000);
  return {
    ok: createHash('sha256').update(data).digest('hex') === hin.digest('hex'),
    received,
    doneAt,
    trace: trace.digest('hex'),
    retransmits: ta.stats.retransmits,
    fastRetransmits: ta.stats.fastRetransmits,
    timeouts: ta.stats.timeouts,
    lost: p.wire.lost,
  };
}

describe('engine/stack/tcp under load', function () {
  this.timeout(120_000);

  it('moves 10 MB byte-exact across 20 ms one-way delay and 2 % seeded loss; same seed, same trace', () => {
    const data = new Random(99).stream('payload').bytes(10 * 1024 * 1024);
    const r1 = bulk(7, data, 20 * MS, 0.02);
    assert.ok(r1.ok, 'payload hash differs');
    assert.equal(r1.received, data.length);
    assert.ok(r1.lost > 100, `lost ${r1.lost}`);
    assert.ok(r1.retransmits >= r1.lost / 2, `retransmits ${r1.retransmits}`);
    assert.ok(r1.fastRetransmits > 20, `fast retransmits ${r1.fastRetransmits}`);
    // NewReno at 2 % loss and 40 ms RTT: Mathis et al. give ~1.2 MSS/RTT/sqrt(p) ≈ 310 KB/s.
    assert.ok(r1.doneAt > 10 * SEC && r1.doneAt < 120 * SEC, `done at ${r1.doneAt / SEC} s`);
    console.log(
      `      10 MB: done at ${(r1.doneAt / SEC).toFixed(2)} s virtual, ${r1.lost} lost, ${r1.retransmits} retransmits ` +
        `(${r1.fastRetransmits} fast, ${r1.timeouts} timeouts)`,
    );
    const r2 = bulk(7, data, 20 * MS, 0.02);
    assert.equal(r2.trace, r1.trace, 'same seed must give the same wire trace');
    assert.equal(r2.doneAt, r1.doneAt);
    const r3 = bulk(8, data.subarray(0, 1024 * 1024), 20 * MS, 0.02);
    assert.ok(r3.ok);
    assert.notEqual(r3.trace, r1.trace);
  });

  it('serves 1,000 HTTP-like request/response exchanges over one connection', () => {
    const p = makePair(21, { delay: 1 * MS });
    const ta = new TcpLayer(p.a);
    const tb = new TcpLayer(p.b);
    const body = new Uint8Array(2000).fill(0x61);
    tb.createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
          buf = buf.slice(i + 4);
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
          s.write(body);
        }
      });
    }).listen(80);
    const c = ta.connect({ host: '10.0.0.2', port: 80 });
    let done = 0;
    let pending = 0;
    const want = 2000 + 'HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n'.length;
    const ask = (): void => {
      pending = want;
      c.write(`GET /${done} HTTP/1.1\r\nHost: b\r\n\r\n`);
    };
    c.on('connect', ask);
    c.on('data', (d) => {
      pending -= d.length;
      if (pending === 0 && ++done < 1000) ask();
      else if (done === 1000) c.end();
    });
    p.sched.runUntil(60 * SEC);
    assert.equal(done, 1000);
    assert.equal(ta.stats.retransmits, 0);
    // Minshall's Nagle and delayed ACKs do not stall a request/response exchange: ~1 RTT each.
    assert.ok(p.sched.now > 0);
    const tw = ta.countByState();
    assert.deepEqual(tw, { 'TIME-WAIT': 1 });
  });

  it('serves 1,000 exchanges over 1,000 connections and accounts for TIME-WAIT', () => {
    const p = makePair(22, { delay: 1 * MS });
    const ta = new TcpLayer(p.a);
    const tb = new TcpLayer(p.b);
    let served = 0;
    tb.createServer((s) => {
      s.on('data', () => {
        served++;
        s.end('HTTP/1.0 200 OK\r\n\r\nhello');
      });
    }).listen(80);
    let done = 0;
    const ports = new Set<number>();
    const one = (): void => {
      const c: TcpSocket = ta.connect({ host: '10.0.0.2', port: 80 });
      c.on('connect', () => {
        ports.add(c.localPort!);
        c.write('GET / HTTP/1.0\r\n\r\n');
      });
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('close', () => {
        assert.ok(got.endsWith('hello'));
        if (++done < 1000) one();
      });
    };
    // Ten clients in parallel, each making 100 connections one after another.
    for (let i = 0; i < 10; i++) one();
    p.sched.runUntil(30 * SEC);
    assert.ok(done >= 1000, `done ${done}`);
    assert.equal(served, done);
    assert.equal(ports.size, done);
    // The server closed first (HTTP/1.0): the TIME-WAITs are on its side, one per connection.
    assert.equal(tb.countByState()['TIME-WAIT'], done);
    assert.equal(ta.connectionCount, 0);
    assert.equal(tb.stats.timeWaitEntered, done);
    // 60 s after the last one they are all gone.
    p.sched.runUntil(p.sched.now + 61 * SEC);
    assert.equal(tb.connectionCount, 0);
  });

  it('property: any write sizes, any loss seed → the bytes arrive intact and in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(0, 0.01, 0.05, 0.1),
        (size, writes, seed, loss) => {
          const data = new Random(seed).stream('p').bytes(size);
          const r = bulk(seed, data, 5 * MS, loss, (i) => writes[i % writes.length]!);
          return r.ok && r.received === size;
        },
      ),
      { numRuns: 40, seed: 4242 },
    );
  });
});
