/**
 * Time from `pktlab run` start to the first step running, for the basics labs (aim < 300 ms).
 *
 * - cold: `node bin/pktlab.js run LAB` spawned as a new process, timed from spawn until it prints the
 *   first-step marker on stderr (PKTLAB_FIRST_STEP_MARKER=1 makes the runner print
 *   `pktlab:first-step` as step 1 begins). Includes Node start-up, the tsx loader compiling the
 *   TypeScript sources (its cache warm after the first spawn), loading, validating and building the
 *   lab. Median of 5 spawns after one warm-up spawn.
 * - warm: `main(['run', LAB])` in this process with every module loaded already: reading, validating,
 *   normalising and building the lab up to the first step. Median of 5.
 * - node: a bare `node -e 0` spawn, the floor under the cold figure.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../engine/cli/main.ts';

export interface Row {
  name: string;
  value: number;
  unit: string;
  aim?: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LABS = ['labs/00-basics/01-ping-arp.yaml', 'labs/00-basics/02-tcp-handshake.yaml', 'labs/00-basics/03-http.yaml'];
const MARKER = 'pktlab:first-step';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ms from spawn to `marker` on stderr (or to exit when no marker is given). */
function spawnTime(args: string[], marker: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { cwd: root, env: { ...process.env, PKTLAB_FIRST_STEP_MARKER: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let at: number | null = null;
    p.stderr.on('data', (d) => {
      err += String(d);
      if (at === null && marker !== null && err.includes(marker)) at = performance.now() - t0;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (marker === null) return resolve(performance.now() - t0);
      if (at === null) return reject(new Error(`no first-step marker (exit ${code}): ${err}`));
      resolve(at);
    });
  });
}

async function warm(lab: string): Promise<number> {
  let t0 = 0;
  let at = -1;
  const io: CliIo = {
    out: () => {},
    err: (t) => {
      if (at < 0 && t.includes(MARKER)) at = performance.now() - t0;
    },
  };
  const prev = process.env.PKTLAB_FIRST_STEP_MARKER;
  process.env.PKTLAB_FIRST_STEP_MARKER = '1';
  try {
    t0 = performance.now();
    await main(['run', lab], io);
  } finally {
    if (prev === undefined) delete process.env.PKTLAB_FIRST_STEP_MARKER;
    else process.env.PKTLAB_FIRST_STEP_MARKER = prev;
  }
  return at;
}

export async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  const bin = join(root, 'bin', 'pktlab.js');
  const nodeTimes: number[] = [];
  for (let i = 0; i < 5; i++) nodeTimes.push(await spawnTime(['-e', '0'], null));
  rows.push({ name: 'node -e 0 (process start floor)', value: median(nodeTimes), unit: 'ms' });
  await spawnTime([bin, 'run', LABS[0]!], MARKER); // warm the tsx compile cache
  for (const lab of LABS) {
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) cold.push(await spawnTime([bin, 'run', lab], MARKER));
    rows.push({ name: `pktlab run ${lab.split('/').pop()} → first step (cold process)`, value: median(cold), unit: 'ms', aim: '< 300' });
  }
  for (const lab of LABS) {
    await warm(lab);
    const w: number[] = [];
    for (let i = 0; i < 5; i++) w.push(await warm(lab));
    rows.push({ name: `pktlab run ${lab.split('/').pop()} → first step (in process)`, value: median(w), unit: 'ms', aim: '< 300' });
  }
  return rows;
}
