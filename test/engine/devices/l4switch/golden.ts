/** Golden transcript files: compared exactly; regenerated only with UPDATE_GOLDEN=1. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function assertGolden(name: string, actual: string): void {
  const file = join(DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI === 'true' && !existsSync(file)) assert.fail(`golden file ${file} is missing (run with UPDATE_GOLDEN=1)`);
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `transcript differs from ${file} (UPDATE_GOLDEN=1 regenerates it deliberately)`);
}
