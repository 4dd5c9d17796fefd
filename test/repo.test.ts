/** The repository's own rules: it type-checks, and the layering/determinism lint passes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintTree } from '../scripts/lint.ts';

describe('repository', function () {
  this.timeout(300_000);

  it('type-checks (npm run typecheck)', function () {
    const r = spawnSync('npm', ['run', '--silent', 'typecheck'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `typecheck failed:\n${r.stdout}${r.stderr}`);
  });

  it('passes the lint (npm run lint)', function () {
    const r = spawnSync('npm', ['run', '--silent', 'lint'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `lint failed:\n${r.stdout}${r.stderr}`);
  });

  it('lint refuses an outward import and a wall-clock read, naming file:line:col', function () {
    const root = mkdtempSync(join(tmpdir(), 'pktlab-lint-'));
    mkdirSync(join(root, 'engine', 'wire'), { recursive: true });
    mkdirSync(join(root, 'engine', 'net'), { recursive: true });
    mkdirSync(join(root, 'app', 'renderer'), { recursive: true });
    writeFileSync(join(root, 'engine', 'net', 'node.ts'), 'export const x = 1;\n');
    writeFileSync(join(root, 'engine', 'wire', 'bad.ts'), "import { x } from '../net/node.ts';\nexport const y = x + Math.random();\n");
    writeFileSync(join(root, 'app', 'renderer', 'ui.ts'), "import fs from 'node:fs';\nimport { x } from '../../engine/net/node.ts';\nexport { fs, x };\n");
    const msgs = lintTree(root).map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
    assert.deepEqual(msgs, [
      "app/renderer/ui.ts:1:16: app/renderer must not import the Node built-in 'node:fs'",
      "app/renderer/ui.ts:2:19: app/renderer must not import engine internals ('../../engine/net/node.ts'); use the bridge's types in app/shared",
      "engine/wire/bad.ts:1:19: engine/wire must not import engine/net ('../net/node.ts'); it may import: nothing else of the engine",
      'engine/wire/bad.ts:2:22: Math.random in the engine: use a seeded stream from engine/sim/random.ts',
    ]);
  });
});
