/**
 * engine/stack over the real network core (engine/net Node, Segment, Link, ARP, routing): the same
 * sockets as an app would use them, with real Ethernet frames underneath.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Random } from '../../../engine/sim/random.ts';
import { Stack } from '../../../engine/stack/index.ts';
import { threeHopChain, twoHosts } from '../net/util.ts';

const MS = 1_000_000;
const SEC = 1_000_000_000;

/** h1 10.0.0.1 and h2 10.0.0.2 on one segment. */
function lan(seed = 1) {
  const { net, h1, h2 } = twoHosts(seed);
  return { net, h1, h2, s1: new Stack(h1), s2: new Stack(h2) };
}

/** h1 10.1.0.10 — r1 — r2 — h3 10.3.0.10; the r1–r2 link has `mtu` and `loss`, 10 ms each way. */
function chain(seed: number, o: { mtu?: number; loss?: number } = {}) {
  const t = threeHopChain(seed, { r2r2Mtu: o.mtu, middleDelay: 10 * MS, ...(o.loss ? { loss: o.loss } : {}) });
  return { net: t.net, h1: t.h1, h3: t.h3, s1: new Stack(t.h1), s3: new Stack(t.h3) };
}

function sink(stack: Stack, port: number, onDone: (hash: string, n: number) => void): void {
  stack.tcp
    .createServer((s) => {
      const h = createHash('sha256');
      let n = 0;
      s.on('data', (d) => {
        h.update(d);
        n += d.length;
      });
      s.on('end', () => onDone(h.digest('hex'), n));
    })
    .listen(port);
}

function send(stack: Stack, host: string, port: number, data: Uint8Array): void {
  const c = stack.tcp.connect({ host, port }, () => {
    c.write(data);
    c.end();
  });
}

describe('engine/stack over engine/net', () => {
  it('HTTP-like exchange between two hosts on a segment (ARP, real frames)', () => {
    const t = lan();
    t.s2.tcp.createServer({ app: 'httpd' }, (s) => s.on('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nhi'))).listen(80);
    let got = '';
    const c = t.s1.tcp.connect({ host: '10.0.0.2', port: 80, app: 'curl' }, () => c.write('GET / HTTP/1.0\r\n\r\n'));
    c.on('data', (d) => (got += d.toString()));
    t.net.sched.runUntil(1 * SEC);
    assert.equal(got, 'HTTP/1.0 200 OK\r\n\r\nhi');
    // The server closed first (HTTP/1.0), so the TIME-WAIT is on its side.
    assert.deepEqual(
      t.s2.tcp.sockets().map((r) => `${r.state} ${r.localAddress}:${r.localPort} ${r.remoteAddress}`),
      ['LISTEN 0.0.0.0:80 0.0.0.0', 'TIME-WAIT 10.0.0.2:80 10.0.0.1'],
    );
    assert.equal(t.s1.tcp.connectionCount, 0);
  });

  it('connect to a closed port is refused (RST); a connected UDP socket hears port unreachable', () => {
    const t = lan();
    const errs: string[] = [];
    const c = t.s1.tcp.connect({ host: '10.0.0.2', port: 81 });
    c.on('error', (e) => errs.push(`tcp ${(e as Error & { code: string }).code}`));
    const u = t.s1.udp.createSocket('udp4');
    u.on('error', (e) => errs.push(`udp ${(e as Error & { code: string }).code}`));
    u.connect(9, '10.0.0.2', () => u.send('x'));
    t.net.sched.runUntil(1 * SEC);
    assert.deepEqual(errs.sort(), ['tcp ECONNREFUSED', 'udp ECONNREFUSED']);
  });

  it('loopback: a host talks to itself', () => {
    const t = lan();
    t.s1.tcp.createServer((s) => s.on('data', (d) => s.write(d))).listen(7);
    let got = '';
    const c = t.s1.tcp.connect({ host: '10.0.0.1', port: 7 }, () => c.write('echo'));
    c.on('data', (d) => (got += d.toString()));
    t.net.sched.runUntil(1 * SEC);
    assert.equal(got, 'echo');
  });

  it('PMTUD across routers: frag-needed lowers the MSS and 1 MB arrives intact', () => {
    const t = chain(3, { mtu: 1280 });
    const data = new Random(5).stream('d').bytes(1 << 20);
    let result: [string, number] | null = null;
    sink(t.s3, 80, (h, n) => (result = [h, n]));
    send(t.s1, '10.3.0.10', 80, data);
    t.net.sched.runUntil(30 * SEC);
    assert.deepEqual(result, [createHash('sha256').update(data).digest('hex'), data.length]);
    assert.ok(t.s1.tcp.stats.pmtuUpdates >= 1);
    assert.equal(t.h1.mtuFor(t.h3.iface('eth0').addresses[0]!.addr), 1280);
  });

  it('2 MB across a lossy routed path (seeded link loss) arrives byte-exact', () => {
    const t = chain(4, { loss: 0.02 });
    const data = new Random(6).stream('d').bytes(2 << 20);
    let result: [string, number] | null = null;
    sink(t.s3, 80, (h, n) => (result = [h, n]));
    send(t.s1, '10.3.0.10', 80, data);
    t.net.sched.runUntil(300 * SEC);
    assert.deepEqual(result, [createHash('sha256').update(data).digest('hex'), data.length]);
    assert.ok(t.s1.tcp.stats.retransmits > 0);
  });
});
