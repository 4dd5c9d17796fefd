/**
 * UDP sockets over the fake-IpHost wire: datagrams both ways, port unreachable, and ICMP errors
 * reported to connected sockets only (Linux).
 */
import assert from 'node:assert/strict';
import { UdpLayer, type RemoteInfo } from '../../../engine/stack/udp.ts';
import { parseIcmp } from '../../../engine/wire/icmp.ts';
import { parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { MS, makePair } from './fixture.ts';

function pair() {
  const p = makePair(1, { delay: 1 * MS, record: true });
  return { ...p, ua: new UdpLayer(p.a), ub: new UdpLayer(p.b) };
}

describe('engine/stack/udp', () => {
  it('sends and receives datagrams with rinfo; an unbound sender gets an ephemeral port', () => {
    const t = pair();
    const server = t.ub.createSocket('udp4');
    server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from('re: '), msg]), rinfo.port, rinfo.address));
    let listening = false;
    server.bind(53, () => (listening = true));
    const client = t.ua.createSocket({ type: 'udp4', app: 'dig' });
    const got: [string, RemoteInfo][] = [];
    client.on('message', (m, r) => got.push([m.toString(), r]));
    client.send('hello', 53, '10.0.0.2');
    t.sched.runUntil(10 * MS);
    assert.ok(listening);
    assert.equal(got.length, 1);
    assert.equal(got[0]![0], 're: hello');
    assert.deepEqual(got[0]![1], { address: '10.0.0.2', family: 'IPv4', port: 53, size: 9 });
    const port = client.address().port;
    assert.ok(port >= 32768 && port <= 60999);
    assert.deepEqual(
      t.ua.sockets().map((r) => [r.state, r.localPort, r.app]),
      [['UNCONN', port, 'dig']],
    );
  });

  it('answers a datagram to an unbound port with ICMP port unreachable quoting it', () => {
    const t = pair();
    const c = t.ua.createSocket('udp4');
    c.send('x', 9999, '10.0.0.2');
    t.sched.runUntil(10 * MS);
    const back = t.wire.log.filter((r) => r.from === 'b');
    assert.equal(back.length, 1);
    const ip = parseIpv4(back[0]!.datagram);
    assert.ok(ip.ok && ip.value.protocol === 1);
    const icmp = parseIcmp(ip.ok ? ip.value.payload : new Uint8Array());
    assert.ok(icmp.ok);
    assert.equal(icmp.ok && icmp.value.type, 3);
    assert.equal(icmp.ok && icmp.value.code, 3);
    assert.equal(t.ub.stats.noPort, 1);
  });

  it('reports port unreachable as ECONNREFUSED on a connected socket only', () => {
    const t = pair();
    const connected = t.ua.createSocket('udp4');
    const errs: string[] = [];
    connected.on('error', (e) => errs.push((e as Error & { code: string }).code));
    connected.connect(9999, '10.0.0.2', () => connected.send('ping'));
    const loose = t.ua.createSocket('udp4');
    loose.on('error', (e) => errs.push(`loose ${(e as Error & { code: string }).code}`));
    loose.send('ping', 9998, '10.0.0.2');
    t.sched.runUntil(10 * MS);
    assert.deepEqual(errs, ['ECONNREFUSED']);
  });

  it('refuses a second bind on the same port with EADDRINUSE and frees the port on close', () => {
    const t = pair();
    const s1 = t.ua.createSocket('udp4').bind(5000);
    const s2 = t.ua.createSocket('udp4');
    let code = '';
    s2.on('error', (e) => (code = (e as Error & { code: string }).code));
    s2.bind(5000);
    t.sched.runUntil(1 * MS);
    assert.equal(code, 'EADDRINUSE');
    let closed = false;
    s1.close(() => (closed = true));
    t.sched.runUntil(2 * MS);
    assert.ok(closed);
    const s3 = t.ua.createSocket('udp4');
    let ok = false;
    s3.bind(5000, () => (ok = true));
    t.sched.runUntil(3 * MS);
    assert.ok(ok);
  });
});
