/**
 * The same scenario with the same seed gives byte-identical pcapng; another seed gives another file.
 * The scenario draws on every seeded source: MAC addresses, link loss, TCP ISNs and ephemeral ports.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Network } from '../../../engine/net/network.ts';
import { Stack } from '../../../engine/stack/index.ts';
import { PcapngRecorder } from '../../../engine/lab/recorder.ts';

const MS = 1_000_000;
const SEC = 1_000_000_000;

function scenario(seed: number): Uint8Array {
  const net = new Network({ seed });
  const h1 = net.addNode('h1');
  const r = net.addNode('r', { ipForwarding: true });
  const h2 = net.addNode('h2');
  const lan = net.addSegment('lan');
  lan.attach(h1.addInterface('eth0', { addresses: ['10.0.0.1/24'] }));
  lan.attach(r.addInterface('eth0', { addresses: ['10.0.0.254/24'] }));
  const ra = r.addInterface('eth1', { addresses: ['10.9.0.254/24'] });
  const hb = h2.addInterface('eth0', { addresses: ['10.9.0.2/24'] });
  net.addLink(ra, hb, { delay: 5 * MS, loss: 0.05 });
  h1.addRoute({ dst: 'default', via: '10.0.0.254' });
  h2.addRoute({ dst: 'default', via: '10.9.0.254' });
  const s1 = new Stack(h1);
  const s2 = new Stack(h2);
  const rec = new PcapngRecorder(net, [
    { node: 'h1', ifname: 'eth0' },
    { node: 'r', ifname: 'eth1' },
  ]).start();
  s2.tcp.createServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))).listen(80);
  for (let i = 0; i < 20; i++) {
    net.sched.after(i * 10 * MS, () => {
      const c = s1.tcp.connect({ host: '10.9.0.2', port: 80 }, () => c.write('GET / HTTP/1.1\r\nHost: h2\r\n\r\n'));
      c.on('data', () => c.end());
      c.on('error', () => undefined);
    });
  }
  net.runFor(30 * SEC);
  return rec.toBytes();
}

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('determinism', function () {
  this.timeout(120_000);

  it('same seed twice gives byte-identical pcapng', () => {
    const a = scenario(42);
    const b = scenario(42);
    assert.ok(a.length > 5000, `capture is only ${a.length} bytes`);
    assert.equal(digest(a), digest(b));
  });

  it('a different seed gives a different pcapng', () => {
    assert.notEqual(digest(scenario(42)), digest(scenario(43)));
  });
});
