/**
 * Benchmark runner: `npm run bench -- [NAME...]`, where NAME is a file stem under bench/ (`sim`,
 * `wire`, ...); no name runs them all. Each module exports `run(): Promise<Row[]>`; the rows are
 * printed as one aligned table (name | value | unit | aim). Benchmarks are not tests: nothing fails
 * on a low figure.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

interface BenchModule {
  run?: () => Promise<Row[]>;
}

const here = dirname(fileURLToPath(import.meta.url));

export function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== basename(fileURLToPath(import.meta.url)))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** 12345678.9 -> '12,345,679'; small values keep a few significant digits. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : 4;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => [r.name, formatValue(r.value), r.unit, r.aim ?? '']);
  const head = ['name', 'value', 'unit', 'aim'];
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => (i === 1 ? x.padStart(width[i] as number) : x.padEnd(width[i] as number)))
      .join(' | ')
      .trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const all = available();
  const names = argv.filter((a) => a !== '--');
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}; available: ${all.join(', ')}`);
    return 2;
  }
  const rows: Row[] = [];
  let failed = false;
  for (const name of names.length > 0 ? names : all) {
    const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchModule;
    if (typeof mod.run !== 'function') {
      console.error(`bench: bench/${name}.ts does not export run(): Promise<Row[]>`);
      failed = true;
      continue;
    }
    const t0 = performance.now();
    try {
      rows.push(...(await mod.run()));
    } catch (e) {
      console.error(`bench: ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      failed = true;
      continue;
    }
    console.error(`bench: ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (rows.length > 0) console.log(formatTable(rows));
  return failed ? 1 : 0;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) process.exitCode = await main(process.argv.slice(2));
