/**
 * Builds the app with esbuild into app/dist/:
 *   renderer/   index.html, main.js (the renderer bundle), styles, xterm.css — served by web mode and
 *               by the Electron app:// protocol; no remote content.
 *   engine-host.mjs   the engine host worker, bundled (fast cold start; web mode and Electron).
 *   electron/   main.mjs and preload.cjs (sandboxed preloads must be a single CommonJS file).
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = dirname(fileURLToPath(import.meta.url));
export const DIST = join(APP_DIR, 'dist');
export const RENDERER_DIST = join(DIST, 'renderer');
export const ENGINE_WORKER = join(DIST, 'engine-host.mjs');
export const ELECTRON_DIST = join(DIST, 'electron');

const require = createRequire(import.meta.url);
/** ESM bundles for Node still meet CommonJS dependencies that call require(). */
const NODE_BANNER = "import { createRequire as __pktlabCreateRequire } from 'node:module'; const require = __pktlabCreateRequire(import.meta.url);";

export async function buildRenderer(out = RENDERER_DIST): Promise<string> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(APP_DIR, 'renderer', 'main.ts')],
    outfile: join(out, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120'],
    sourcemap: false,
    logLevel: 'warning',
  });
  copyFileSync(join(APP_DIR, 'renderer', 'index.html'), join(out, 'index.html'));
  copyFileSync(join(APP_DIR, 'renderer', 'styles.css'), join(out, 'styles.css'));
  copyFileSync(require.resolve('@xterm/xterm/css/xterm.css'), join(out, 'xterm.css'));
  copyFileSync(join(APP_DIR, '..', 'build', 'icon.svg'), join(out, 'icon.svg'));
  return out;
}

export async function buildEngineWorker(outfile = ENGINE_WORKER): Promise<string> {
  await build({
    entryPoints: [join(APP_DIR, '..', 'engine', 'host', 'worker.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    external: ['koffi'],
    banner: { js: NODE_BANNER },
    logLevel: 'warning',
  });
  return outfile;
}

export async function buildElectron(out = ELECTRON_DIST): Promise<{ main: string; preload: string }> {
  mkdirSync(out, { recursive: true });
  const main = join(out, 'main.mjs');
  const preload = join(out, 'preload.cjs');
  await build({
    entryPoints: [join(APP_DIR, 'main', 'main.ts')],
    outfile: main,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    external: ['electron', 'koffi'],
    banner: { js: NODE_BANNER },
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(APP_DIR, 'preload', 'preload.ts')],
    outfile: preload,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: ['node20'],
    external: ['electron'],
    logLevel: 'warning',
  });
  return { main, preload };
}

/** Everything: renderer, worker, Electron main and preload. */
export async function buildAll(): Promise<void> {
  await Promise.all([buildRenderer(), buildEngineWorker(), buildElectron()]);
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  await buildAll();
  console.log(`built ${DIST}`);
}
