/**
 * `npm start`: the desktop app when the Electron binary is installed; otherwise web mode, saying so.
 * Electron's npm package throws (or names a missing file) when its binary could not be downloaded.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildAll, ELECTRON_DIST } from '../app/build.ts';
import { join } from 'node:path';

export function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
if (bin) {
  await buildAll();
  const child = spawn(bin, [join(ELECTRON_DIST, 'main.mjs')], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log("Electron is not installed (its binary could not be downloaded); serving pktlab in web mode instead:");
  const { main } = await import('../app/web/serve.ts');
  await main(process.argv.slice(2));
}
