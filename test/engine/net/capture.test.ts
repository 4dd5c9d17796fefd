import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sec } from '../../../engine/sim/time.ts';
import { artifactDir, requireTool } from '../../support/tools.ts';
import { assertCleanCapture, tsharkFields } from '../../support/tshark.ts';
import { capture, echo, threeHopChain } from './util.ts';

describe('engine/net capture', () => {
  it('a ping across two routers writes a clean pcapng (tshark)', function () {
    requireTool(this, 'tshark');
    const { net, h1, r1 } = threeHopChain(5);
    r1.enableConntrack();
    r1.hooks.add('forward', 0, (ctx) => {
      if (ctx.ctNew) ctx.note(`new flow ${ctx.ct!.original.toString()}`);
      return 'accept';
    });
    const w = capture(net);
    for (let i = 1; i <= 3; i++) {
      echo(h1, '10.3.0.10', i);
      net.runFor(sec(1));
    }
    echo(h1, '10.3.0.10', 4, { ttl: 1 });
    net.runFor(sec(1));
    const file = join(artifactDir('engine', 'net'), 'ping-across-routers.pcapng');
    writeFileSync(file, w.toBytes());
    const v = assertCleanCapture(file, 20);
    assert.equal(v.badChecksums, 0);
    const replies = tsharkFields(file, ['ip.src', 'ip.ttl'], 'icmp.type == 0 && frame.interface_name == "h1:eth0"');
    assert.deepEqual(replies, [['10.3.0.10', '62'], ['10.3.0.10', '62'], ['10.3.0.10', '62']]);
    const exceeded = tsharkFields(file, ['ip.src'], 'icmp.type == 11 && frame.interface_name == "h1:eth0"');
    assert.deepEqual(exceeded.map((r) => r[0]!.split(',')[0]), ['10.1.0.1'], 'outer source (the quoted header follows)');
    const comments = tsharkFields(file, ['frame.comment'], 'frame.comment');
    assert.ok(comments.length >= 1 && comments[0]![0]!.startsWith('new flow src=10.1.0.10'));
  });
});
