#!/usr/bin/env node
// Entry point of the `pktlab` command.
//
// The CLI is TypeScript. Loading it through tsx's on-the-fly compiler costs seconds at every start, so
// the command runs an esbuild bundle of engine/cli/main.ts (out/cli/pktlab.mjs, dependencies left as
// ordinary imports) and rebuilds it whenever a source file under engine/ is newer than the bundle.
// Where esbuild cannot run, tsx's loader is the fallback: slower to start, same behaviour.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'engine', 'cli', 'main.ts');
const bundle = join(root, 'out', 'cli', 'pktlab.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return built >= newestSource(join(root, 'engine')) && built >= statSync(join(root, 'package.json')).mtimeMs;
  } catch {
    return false;
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(dirname(bundle), { recursive: true });
  // Build to a private name, then rename: two pktlab processes starting together never see half a file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  await esbuild({
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  renameSync(tmp, bundle);
}

async function load() {
  if (process.env.PKTLAB_NO_BUNDLE !== '1') {
    try {
      if (!bundleIsFresh()) await build();
      return await import(pathToFileURL(bundle).href);
    } catch {
      // Fall through to the loader below (e.g. esbuild missing or a read-only install).
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(entry).href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
