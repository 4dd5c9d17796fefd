/** Runs the pktlab command in-process, collecting its output. */
import assert from 'node:assert/strict';
import { main, type CliIo } from '../../engine/cli/main.ts';

export async function pktlab(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

/** Each `argv` exits 2 with stderr matching its pattern; `CMD --help` exits 0 with its usage. */
export async function assertUsageErrors(cmd: string, cases: readonly (readonly [readonly string[], RegExp])[]): Promise<void> {
  for (const [argv, re] of cases) {
    const r = await pktlab(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, re);
  }
  const h = await pktlab(cmd, '--help');
  assert.equal(h.code, 0);
  assert.match(h.out, new RegExp(`^Usage: pktlab ${cmd} `));
}
