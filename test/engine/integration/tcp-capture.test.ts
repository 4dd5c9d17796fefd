/**
 * What a student sees of TCP in Wireshark: a 10 MB transfer across a link with 20 ms delay and 2 %
 * seeded loss, captured at both hosts, arrives byte-exact; tshark reads both captures with zero
 * malformed packets and zero bad checksums and marks the resent segments as retransmissions.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Network } from '../../../engine/net/network.ts';
import { Stack } from '../../../engine/stack/index.ts';
import { PcapngRecorder } from '../../../engine/lab/recorder.ts';
import { artifactDir, requireTool } from '../../support/tools.ts';
import { assertCleanCapture, tsharkCount, tsharkFields } from '../../support/tshark.ts';

const MS = 1_000_000;
const SEC = 1_000_000_000;

describe('TCP transfer seen by tshark', function () {
  this.timeout(600_000);

  it('10 MB over 20 ms delay and 2 % loss: byte-exact, clean capture, retransmissions visible', function () {
    requireTool(this, 'tshark');
    const net = new Network({ seed: 7 });
    const a = net.addNode('sender');
    const b = net.addNode('receiver');
    const ea = a.addInterface('eth0', { addresses: ['10.0.0.1/24'] });
    const eb = b.addInterface('eth0', { addresses: ['10.0.0.2/24'] });
    net.addLink(ea, eb, { delay: 20 * MS, loss: 0.02, bandwidth: 100_000_000 });
    const sa = new Stack(a);
    const sb = new Stack(b);
    const rec = new PcapngRecorder(net, [
      { node: 'sender', ifname: 'eth0' },
      { node: 'receiver', ifname: 'eth0' },
    ]).start();

    const data = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const want = createHash('sha256').update(data).digest('hex');
    let got = '';
    let received = 0;
    sb.tcp
      .createServer((s) => {
        const h = createHash('sha256');
        s.on('data', (d: Uint8Array) => {
          h.update(d);
          received += d.length;
        });
        s.on('end', () => (got = h.digest('hex')));
      })
      .listen(5001);
    const c = sa.tcp.connect({ host: '10.0.0.2', port: 5001 }, () => {
      c.write(data);
      c.end();
    });
    assert.ok(net.runUntilCondition(() => got !== '', 600 * SEC), `transfer did not finish (${received} bytes received)`);
    net.runFor(1 * SEC);
    assert.equal(received, data.length);
    assert.equal(got, want);

    const file = join(artifactDir('integration'), 'tcp-10mb-loss.pcapng');
    writeFileSync(file, rec.toBytes());
    assertCleanCapture(file, 7000);
    const retrans = tsharkCount(file, 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission');
    assert.ok(retrans > 20, `tshark saw ${retrans} retransmissions; with 2 % loss of ~7,500 segments expect well over 20`);
    // Both capture points are in the file, named as the lab names them.
    const ifnames = new Set(tsharkFields(file, ['frame.interface_name']).map((r) => r[0]));
    assert.deepEqual([...ifnames].sort(), ['receiver:eth0', 'sender:eth0']);
  });
});
