/**
 * `pktlab run LAB`: builds the lab and runs every step headless in virtual time (setup and solution
 * actions, then the step's checks), printing per-step pass/fail with each check's result. With real
 * hosts (`--real HOST`, or `real: true` in the lab) the run follows the wall clock (engine/tap).
 * Exit 0 only when every check passes; 1 when a check fails or the lab does not load or build; 2 on a
 * usage error.
 */
import type { LabProblem } from '../lab/load.ts';
import type { LocalText } from '../lab/normalize.ts';
import { runLabAsync, type LabRunResult, type StepRunResult } from '../lab/runner.ts';
import { makeRealHosts, openLab, parseLabArgs, problemJson, readText, writePcap } from './common.ts';
import { processIo, type CliIo, type Command } from './main.ts';

const USAGE = 'run [OPTIONS] LAB';
const SYNOPSIS = 'run [--seed N] [--pcap FILE] [--json] [--lang ko|en] [--real HOST]... LAB';

const HELP = `Usage: pktlab ${SYNOPSIS}

Build the lab and run all its steps headless in virtual time: each step's setup and solution
actions, then its checks. Prints each step's checks as PASS or FAIL, and for a failure what was
expected and what was seen.

Options:
  --seed N       seed of every random choice (default: the lab's seed)
  --pcap FILE    write everything the lab's capture points saw as pcapng
  --json         print the result as JSON
  --lang ko|en   language of the report (default from LANG, else en)
  --real HOST    make the lab host HOST real: a Linux network namespace joined to the lab by a TAP
                 device, where the lab's commands run as real programs (repeatable; needs root).
                 With a real host the lab runs in wall-clock time.
  -v, --verbose  also print each action's console transcript and passing checks' details
  -h, --help     show this help

Exit status: 0 every check passed, 1 a check failed (or the lab does not load), 2 usage error.
`;

export type Lang = 'ko' | 'en';

/** The report language: --lang, else LC_ALL / LC_MESSAGES / LANG starting with `ko`, else en. */
export function defaultLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^ko/i.test(v) ? 'ko' : 'en';
}

const T = {
  en: { seed: 'seed', pass: 'PASS', fail: 'FAIL', result: 'result', checks: (p: number, n: number) => `${p}/${n} checks passed`, score: 'score', error: 'action failed', running: 'running' },
  ko: { seed: '시드', pass: '통과', fail: '실패', result: '결과', checks: (p: number, n: number) => `검사 ${n}개 중 ${p}개 통과`, score: '점수', error: '동작 실패', running: '실행 중' },
};

function indent(s: string, pad: string): string {
  return s
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export function formatStep(r: StepRunResult, count: number, lang: Lang, verbose = false): string {
  const t = T[lang];
  let s = `[${r.index + 1}/${count}] ${r.id} — ${r.title[lang]}: ${r.pass ? t.pass : t.fail}\n`;
  if (verbose) for (const a of r.actions) s += `${indent(a.transcript, '    | ')}\n`;
  if (r.error !== null) s += `  ${t.fail} ${t.error}: ${r.error}\n`;
  for (const c of r.checks) {
    const word = c.pass ? t.pass : t.fail;
    const head = `  ${lang === 'en' ? word.padEnd(4) : word} ${c.id}`;
    s += c.description ? `${head}  ${c.description[lang]}\n` : `${head}\n`;
    if (!c.pass || verbose) s += `${indent(c.reason[lang], '         ')}\n`;
  }
  return s;
}

export function formatSummary(r: LabRunResult, lang: Lang): string {
  const t = T[lang];
  const pct = r.total === 0 ? 100 : Math.floor((r.earned / r.total) * 100);
  return `${t.result}: ${r.pass ? t.pass : t.fail} — ${t.checks(r.checksPassed, r.checks)}, ${t.score} ${r.earned}/${r.total} (${pct}%)\n`;
}

const text = (l: LocalText, lang: Lang): string => l[lang];

export function resultJson(file: string, r: LabRunResult, pcap: string | null): unknown {
  return {
    file,
    lab: r.id,
    title: r.title,
    seed: r.seed,
    pass: r.pass,
    score: { earned: r.earned, total: r.total },
    checks: { passed: r.checksPassed, total: r.checks },
    ...(pcap !== null ? { pcap } : {}),
    steps: r.steps.map((s) => ({
      index: s.index,
      id: s.id,
      title: s.title,
      pass: s.pass,
      earned: s.earned,
      total: s.total,
      ...(s.error !== null ? { error: s.error } : {}),
      actions: s.actions.map((a) => ({ kind: a.kind, ...(a.id !== null ? { id: a.id } : {}), text: a.text, ...(a.exitCode !== null ? { exitCode: a.exitCode } : {}) })),
      checks: s.checks.map((c) => ({ id: c.id, pass: c.pass, weight: c.weight, ...(c.description ? { description: c.description } : {}), reason: c.reason })),
    })),
  };
}

export const runCommand: Command = {
  summary: 'run every step of a lab headless and check it (exit 0: all checks pass)',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    let json = false;
    let verbose = false;
    let lang: Lang | null = null;
    const parsed = parseLabArgs(io, { cmd: 'run', help: HELP, synopsis: SYNOPSIS }, args, (opt, value) => {
      if (opt === '--json') json = true;
      else if (opt === '-v' || opt === '--verbose') verbose = true;
      else if (opt === '--lang') {
        const v = value();
        if (v !== 'ko' && v !== 'en') return `--lang must be ko or en${v === null ? '' : `, got '${v}'`}`;
        lang = v;
      } else return false;
      return null;
    });
    if (typeof parsed === 'number') return parsed;
    const { file, seed, pcap, real } = parsed;
    const L: Lang = lang ?? defaultLang();

    const src = readText(io, 'run', file);
    if (src === null) return 1;
    const asJson = json ? (problems: readonly LabProblem[]) => io.out(`${JSON.stringify({ file, pass: false, problems: problems.map(problemJson) }, null, 2)}\n`) : undefined;
    const session = openLab(io, 'run', src, file, seed, asJson);
    if (session === null) return 1;
    try {
      const problem = await makeRealHosts(session, real, 'run', io);
      if (problem !== 0) return problem;
      const tty = io === processIo && process.stderr.isTTY === true && !json;
      const marker = process.env.PKTLAB_FIRST_STEP_MARKER === '1';
      let progress = false;
      const clear = (): void => {
        if (progress) io.err('\r\x1b[2K');
        progress = false;
      };
      if (!json) io.out(`${session.id}: ${text(session.title, L)} (${T[L].seed} ${session.seed})\n`);
      const result = await runLabAsync(session, {
        onStepStart: (step, n) => {
          if (marker && step.index === 0) io.err('pktlab:first-step\n');
          if (tty) {
            io.err(`\r\x1b[2K[${step.index + 1}/${n}] ${T[L].running}: ${step.id} — ${text(step.title, L)} …`);
            progress = true;
          }
        },
        onStepDone: (r, n) => {
          clear();
          if (!json) io.out(formatStep(r, n, L, verbose));
        },
      });
      clear();
      if (pcap !== null && !writePcap(io, 'run', session, pcap)) return 1;
      if (json) io.out(`${JSON.stringify(resultJson(file, result, pcap), null, 2)}\n`);
      else io.out(formatSummary(result, L));
      return result.pass ? 0 : 1;
    } catch (e) {
      io.err(`pktlab run: ${file}: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await session.disposeAsync();
    }
  },
};
