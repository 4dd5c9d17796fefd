/**
 * `npm run dist`: builds app/dist, then packages it with electron-builder (electron-builder.yml):
 * AppImage and deb on Linux, dmg on macOS, nsis on Windows. electron-builder downloads the Electron
 * runtime for the target while packaging; where that download is impossible, this says so.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { buildAll } from '../app/build.ts';

await buildAll();
const cli = createRequire(import.meta.url).resolve('electron-builder/cli.js');
const r = spawnSync(process.execPath, [cli, '--config', 'electron-builder.yml', ...process.argv.slice(2)], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '\nnpm run dist: electron-builder failed. Packaging needs the Electron runtime for the target, which\n' +
      'electron-builder downloads from GitHub (and, for some targets, its build tools). On a machine that\n' +
      'cannot reach them, build the packages elsewhere: `npm ci && npm run dist` (Linux: AppImage and deb;\n' +
      'macOS: dmg; Windows: nsis). The app itself runs here in web mode: `npm run web`.',
  );
  process.exit(r.status ?? 1);
}
