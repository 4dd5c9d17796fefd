import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pktlab } from '../../support/cli.ts';

const GOOD = 'labs/00-basics/01-ping-arp.yaml';
const GOOD2 = 'labs/00-basics/03-http.yaml';
const BROKEN = 'test/engine/lab/fixtures/broken.yaml';
const SYNTAX = 'test/engine/lab/fixtures/broken-syntax.yaml';

describe('cli/validate', () => {
  it('prints FILE: ok per valid lab and exits 0', async () => {
    const r = await pktlab('validate', GOOD, GOOD2);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out, `${GOOD}: ok\n${GOOD2}: ok\n`);
    assert.equal(r.err, '');
  });

  it('prints file:line:col: message per problem, sorted by position, and exits 1', async () => {
    const r = await pktlab('validate', GOOD, BROKEN, SYNTAX);
    assert.equal(r.code, 1);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], `${GOOD}: ok`);
    const broken = lines.filter((l) => l.startsWith(`${BROKEN}:`));
    assert.equal(broken.length, 9);
    const pos = broken.map((l) => l.split(':').slice(1, 3).map(Number) as [number, number]);
    for (let i = 1; i < pos.length; i++) assert.ok(pos[i - 1]![0] < pos[i]![0] || (pos[i - 1]![0] === pos[i]![0] && pos[i - 1]![1] <= pos[i]![1]), 'sorted');
    assert.ok(broken.includes(`${BROKEN}:21:51: delay: invalid duration "5 parsecs": expected a number followed by ns, us, ms, s, m or h (e.g. 250ms, 2s, 1m30s)`));
    assert.equal(lines[lines.length - 1], `${SYNTAX}:8:15: YAML syntax: '[' is not closed: a flow sequence must end with ']' (or go on in lines indented more than its key)`);
    assert.equal(r.err, '');
  });

  it('reports an unreadable file on stderr and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pktlab-validate-'));
    const missing = join(dir, 'nope.yaml');
    const r = await pktlab('validate', missing, GOOD);
    assert.equal(r.code, 1);
    assert.equal(r.err, `pktlab validate: ${missing}: No such file or directory\n`);
    assert.equal(r.out, `${GOOD}: ok\n`);
    const d = await pktlab('validate', dir);
    assert.equal(d.code, 1);
    assert.equal(d.err, `pktlab validate: ${dir}: Is a directory\n`);
  });

  it('--json gives machine-readable results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pktlab-validate-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: x\ntitle: T\ntopology: {devices: {a: {kind: host, interfaces: {eth0: 10.0.0.1/24}}}}\nsteps: []\n');
    const r = await pktlab('validate', '--json', GOOD, bad, join(dir, 'missing.yaml'));
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    assert.deepEqual(JSON.parse(r.out), [
      { file: GOOD, ok: true, problems: [] },
      { file: bad, ok: false, problems: [{ line: 4, col: 8, message: 'steps: expected at least 1 item, found 0', path: 'steps' }] },
      { file: join(dir, 'missing.yaml'), ok: false, error: 'No such file or directory', problems: [] },
    ]);
  });

  it('--help, usage errors, and the command list', async () => {
    const h = await pktlab('validate', '--help');
    assert.equal(h.code, 0);
    assert.match(h.out, /^Usage: pktlab validate \[--json\] LAB\.\.\./);
    assert.match(h.out, /FILE:LINE:COL: MESSAGE/);
    const none = await pktlab('validate');
    assert.equal(none.code, 2);
    assert.match(none.err, /no lab file given/);
    const opt = await pktlab('validate', '--strict', GOOD);
    assert.equal(opt.code, 2);
    assert.match(opt.err, /unknown option '--strict'/);
    const top = await pktlab('--help');
    assert.match(top.out, /validate \[--json\] LAB\.\.\.\s+check lab files/);
  });
});
