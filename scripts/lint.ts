/**
 * pktlab's own lint: the layering rule of DESIGN.md and the determinism rule, checked on the TypeScript
 * syntax tree (not on text) so comments and strings never trigger it.
 *
 * 1. Imports point inward. Each engine layer may import only the layers listed for it below (and
 *    itself); the engine never imports app/; the renderer imports no Node built-in and no engine code.
 * 2. Nothing in engine/ reads the wall clock or Math.random, except the real-time pacer module: virtual
 *    time and seeded random streams are what make captures byte-identical run to run.
 *
 * Usage: tsx scripts/lint.ts [ROOT]   (exit 1 and one `file:line:col: message` per problem)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname, sep } from 'node:path';
import ts from 'typescript';

/** Engine layers and what each may import (besides itself). Kept in step with DESIGN.md. */
export const ENGINE_LAYERS: Record<string, readonly string[]> = {
  wire: [],
  sim: [],
  net: ['wire', 'sim'],
  capture: ['wire', 'sim'],
  stack: ['net', 'wire', 'sim'],
  devices: ['stack', 'net', 'wire', 'sim'],
  tap: ['net', 'wire', 'sim'],
  lab: ['devices', 'stack', 'net', 'capture', 'tap', 'wire', 'sim'],
  cli: ['lab', 'devices', 'stack', 'net', 'capture', 'tap', 'wire', 'sim'],
  host: ['cli', 'lab', 'devices', 'stack', 'net', 'capture', 'tap', 'wire', 'sim'],
};

/** The one engine module the app shell (app/main, app/web) may import. */
export const APP_ENGINE_ENTRY = 'engine/host/index.ts';

/** The one module allowed to read the wall clock (it paces virtual time against it). */
export const WALLCLOCK_ALLOWED = new Set(['engine/sim/pacer.ts']);

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

function walk(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|mts|cts)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
}

function layerOf(rel: string): { area: string; layer?: string } {
  const parts = rel.split('/');
  if (parts[0] === 'engine' && parts.length > 2) return { area: 'engine', layer: parts[1] };
  if (parts[0] === 'engine') return { area: 'engine' };
  if (parts[0] === 'app' && parts.length > 2) return { area: 'app', layer: parts[1] };
  return { area: parts[0] ?? '' };
}

export function lintFile(root: string, file: string, text: string): Problem[] {
  const rel = relative(root, file).split(sep).join('/');
  const here = layerOf(rel);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const problems: Problem[] = [];
  const report = (node: ts.Node, message: string): void => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    problems.push({ file: rel, line: line + 1, col: character + 1, message });
  };

  const checkSpecifier = (node: ts.Node, spec: string): void => {
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
      const there = layerOf(target);
      if (here.area === 'engine' && there.area === 'app') {
        // The engine host implements the bridge contract, so it (and only it) may use app/shared.
        if (here.layer === 'host' && there.layer === 'shared') return;
        report(node, `engine code must not import app/ ('${spec}'): the engine knows nothing of its UI (only engine/host may use app/shared)`);
        return;
      }
      if (here.area === 'app' && here.layer === 'shared' && !(there.area === 'app' && there.layer === 'shared')) {
        report(node, `app/shared is the pure bridge contract and imports only app/shared ('${spec}')`);
        return;
      }
      if (here.area === 'app' && here.layer !== 'renderer' && here.layer !== 'shared' && there.area === 'engine' && target !== APP_ENGINE_ENTRY) {
        report(node, `app/${here.layer} imports the engine only through ${APP_ENGINE_ENTRY} ('${spec}')`);
        return;
      }
      if (here.area === 'app' && here.layer === 'preload' && there.area === 'engine') {
        report(node, `app/preload must not import the engine ('${spec}'): it only forwards the bridge`);
        return;
      }
      if (here.area === 'engine' && here.layer && there.area === 'engine' && there.layer && there.layer !== here.layer) {
        const allowed = ENGINE_LAYERS[here.layer];
        if (allowed && !allowed.includes(there.layer)) {
          const list = allowed.length ? allowed.join(', ') : 'nothing else of the engine';
          report(node, `engine/${here.layer} must not import engine/${there.layer} ('${spec}'); it may import: ${list}`);
        }
      }
      if (here.area === 'app' && here.layer === 'renderer' && there.area === 'engine') {
        report(node, `app/renderer must not import engine internals ('${spec}'); use the bridge's types in app/shared`);
      }
      if (here.area === 'app' && here.layer === 'renderer' && there.area === 'app' && (there.layer === 'main' || there.layer === 'web' || there.layer === 'preload')) {
        report(node, `app/renderer must not import app/${there.layer} ('${spec}'); it talks to it only through the bridge`);
      }
    } else if (here.area === 'app' && (here.layer === 'renderer' || here.layer === 'shared') && NODE_BUILTINS.has(spec)) {
      report(node, `app/${here.layer} must not import the Node built-in '${spec}'`);
    } else if (here.area === 'app' && here.layer === 'shared') {
      report(node, `app/shared is pure and imports no package ('${spec}')`);
    } else if (here.area === 'app' && here.layer === 'renderer' && spec === 'electron') {
      report(node, `app/renderer must not import electron: it talks to the shell only through the bridge`);
    } else if (here.area === 'engine' && (here.layer === 'wire' || here.layer === 'sim') && NODE_BUILTINS.has(spec)) {
      report(node, `engine/${here.layer} is pure computation and must not import the Node built-in '${spec}'`);
    }
  };

  const wallclockBanned = here.area === 'engine' && !WALLCLOCK_ALLOWED.has(rel);

  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      checkSpecifier(node.moduleSpecifier, node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteralLike(a)) checkSpecifier(a, a.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) checkSpecifier(e, e.text);
    }
    if (wallclockBanned) {
      if (ts.isPropertyAccessExpression(node)) {
        const obj = node.expression.getText(sf);
        const name = node.name.text;
        if (obj === 'Math' && name === 'random') report(node, 'Math.random in the engine: use a seeded stream from engine/sim/random.ts');
        if (obj === 'Date' && name === 'now') report(node, 'Date.now in the engine: use the virtual clock (engine/sim)');
        if (obj === 'performance' && name === 'now') report(node, 'performance.now in the engine: use the virtual clock (engine/sim)');
        if (obj === 'process' && name === 'hrtime') report(node, 'process.hrtime in the engine: use the virtual clock (engine/sim)');
      }
      if (ts.isNewExpression(node) && node.expression.getText(sf) === 'Date') {
        if (!node.arguments || node.arguments.length === 0) report(node, 'new Date() reads the wall clock: use the virtual clock (engine/sim)');
      }
      if (ts.isCallExpression(node) && node.expression.getText(sf) === 'Date') {
        report(node, 'Date() reads the wall clock: use the virtual clock (engine/sim)');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return problems;
}

export function lintTree(root: string): Problem[] {
  const files: string[] = [];
  for (const top of ['engine', 'app', 'test', 'bench', 'scripts']) walk(join(root, top), files);
  const problems: Problem[] = [];
  for (const f of files.sort()) problems.push(...lintFile(root, f, readFileSync(f, 'utf8')));
  return problems;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const root = resolve(process.argv[2] ?? '.');
  const problems = lintTree(root);
  for (const p of problems) console.log(`${p.file}:${p.line}:${p.col}: ${p.message}`);
  if (problems.length) {
    console.log(`lint: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    process.exit(1);
  }
  console.log('lint: ok');
}
