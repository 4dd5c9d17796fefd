import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { interactive } from '../../../engine/cli/exec.ts';
import { LabSession } from '../../../engine/lab/session.ts';
import { requireTool } from '../../support/tools.ts';
import { assertCleanCapture } from '../../support/tshark.ts';
import { assertUsageErrors, pktlab } from '../../support/cli.ts';

/** A script file with `text` in a fresh temporary directory. */
function scriptFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pktlab-exec-')), 's.txt');
  writeFileSync(file, text);
  return file;
}

const GOLDEN = [
  { lab: 'labs/00-basics/03-http.yaml', script: 'test/engine/cli/golden/03-http.script', golden: 'test/engine/cli/golden/03-http.txt' },
  { lab: 'labs/ch08/08-01-l4-switch.yaml', script: 'test/engine/cli/golden/08-01-l4-switch.script', golden: 'test/engine/cli/golden/08-01-l4-switch.txt' },
];

describe('cli/exec', () => {
  for (const g of GOLDEN) {
    it(`reproduces the golden transcript of ${g.script} (PKTLAB_UPDATE_GOLDEN=1 rewrites it)`, async () => {
      const r = await pktlab('exec', g.lab, '--script', g.script);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      if (process.env.PKTLAB_UPDATE_GOLDEN === '1' || !existsSync(g.golden)) writeFileSync(g.golden, r.out);
      assert.equal(r.out, readFileSync(g.golden, 'utf8'));
      const again = await pktlab('exec', g.lab, '--script', g.script);
      assert.equal(again.out, r.out, 'deterministic');
    });
  }

  it('echoes each script line as DEVICE> COMMAND before its output; sleep lines too; comments are not echoed', async () => {
    const script = scriptFile('# a comment\n\nalice> echo -n no newline\nsleep 2s # wait\nalice> nosuch\n');
    const r = await pktlab('exec', 'labs/00-basics/01-ping-arp.yaml', '--script', script);
    assert.equal(r.code, 0);
    assert.equal(r.out, 'alice> echo -n no newline\nno newline\nsleep 2s\nalice> nosuch\nbash: nosuch: command not found\n');
  });

  it('writes the capture with --pcap, and tshark reads it cleanly', async function () {
    requireTool(this, 'tshark');
    const dir = mkdtempSync(join(tmpdir(), 'pktlab-exec-'));
    const pcap = join(dir, 'x.pcapng');
    const r = await pktlab('exec', 'labs/00-basics/03-http.yaml', '--script', GOLDEN[0]!.script, '--pcap', pcap);
    assert.equal(r.code, 0, r.err);
    assertCleanCapture(pcap, 20);
  });

  it('reports script problems as FILE:LINE: message and exits 1 without running anything', async () => {
    const script = scriptFile('alice> ip neigh\ncarol> ls\nsleep forever\njust words\n');
    const r = await pktlab('exec', 'labs/00-basics/01-ping-arp.yaml', '--script', script);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], `${script}:2: unknown device 'carol' (devices: alice, bob)`);
    assert.match(lines[1]!, new RegExp(`^${script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `));
    assert.equal(lines[2], `${script}:4: expected "DEVICE> COMMAND" or "sleep DURATION", found "just words"`);
  });

  it('bad usage exits 2 with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['exec'], /^pktlab exec: no lab file given\nUsage: pktlab exec /],
      [['exec', 'a.yaml', 'b.yaml'], /one LAB only \(got 'a.yaml' and 'b.yaml'\)/],
      [['exec', '--script'], /--script needs a FILE/],
      [['exec', '--seed', 'x', 'labs/00-basics/01-ping-arp.yaml'], /--seed needs an integer from 0 to 4294967295, got 'x'/],
      [['exec', '--frobnicate', 'labs/00-basics/01-ping-arp.yaml'], /unknown option '--frobnicate'/],
      [['exec', 'labs/00-basics/01-ping-arp.yaml', '--real'], /--real needs a HOST/],
      [['exec', 'labs/00-basics/01-ping-arp.yaml', '--real', 'carol'], /^pktlab exec: the lab has no host called 'carol' \(hosts: alice, bob\)\n$/],
      [['exec', 'labs/00-basics/03-http.yaml', '--real', 'r1'], /^pktlab exec: r1 is a router; only a plain host \(kind: host\) can be real/],
    ];
    await assertUsageErrors('exec', cases);
  });

  it('a missing lab or script file exits 1', async () => {
    const r = await pktlab('exec', 'nope.yaml', '--script', 'x');
    assert.equal(r.code, 1);
    assert.match(r.err, /pktlab exec: .*No such file or directory/);
  });

  it('interactive console: DEVICE> COMMAND, use DEVICE, sleep, Ctrl-D', async () => {
    const s = LabSession.open(readFileSync('labs/00-basics/01-ping-arp.yaml', 'utf8'), 'lab').session!;
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += String(d)));
    const done = interactive(s, { input, output, terminal: false });
    input.write('alice> ping -c 1 10.0.0.2\n');
    input.write('use bob\n');
    input.write('ip neigh\n');
    input.write('sleep 1s\n');
    input.write('bob> echo hi\n');
    input.end();
    await done;
    s.dispose();
    assert.match(text, /1 packets transmitted, 1 received/);
    assert.match(text, /\n10\.0\.0\.1 dev eth0 lladdr/);
    assert.match(text, /\nhi\n/);
  });
});
