/**
 * What the pktlab subcommands share: file error text, usage errors, the `[OPTIONS] LAB` argument
 * parser of `run` and `exec` (with their common --seed, --pcap and --real), opening a lab and
 * making its real hosts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatProblem, type LabProblem } from '../lab/load.ts';
import { LabSession, RealHostError } from '../lab/session.ts';
import type { CliIo } from './main.ts';

const FILE_ERRORS = new Map([
  ['ENOENT', 'No such file or directory'],
  ['EACCES', 'Permission denied'],
  ['EPERM', 'Permission denied'],
  ['EISDIR', 'Is a directory'],
]);

/** Why a file could not be read or written, as `ls` says it (`lower`: in lower case). */
export function fileReason(e: unknown, lower = false): string {
  const code = (e as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? FILE_ERRORS.get(code) : undefined;
  if (known !== undefined) return lower ? known.toLowerCase() : known;
  return e instanceof Error ? e.message : String(e);
}

/** Prints `pktlab CMD: MSG` and the usage line; returns the usage exit code 2. */
export function usageError(io: CliIo, cmd: string, synopsis: string, msg: string): number {
  io.err(`pktlab ${cmd}: ${msg}\nUsage: pktlab ${synopsis}\n`);
  return 2;
}

/** A lab problem as JSON output gives it. */
export function problemJson(p: LabProblem): { line: number; col: number; message: string; path: string } {
  return { line: p.line, col: p.col, message: p.message, path: p.path };
}

export interface LabArgs {
  readonly file: string;
  readonly seed: number | undefined;
  readonly pcap: string | null;
  readonly real: readonly string[];
}

/** A subcommand's name, --help text and one-line synopsis. */
export interface CommandText {
  readonly cmd: string;
  readonly help: string;
  readonly synopsis: string;
}

/**
 * Parses `[OPTIONS] LAB`: `--opt VALUE` or `--opt=VALUE`, one LAB. --seed, --pcap, --real and -h are
 * handled here; `extra(opt, value)` takes the command's own options and returns false for an
 * option it does not know, a usage message, or null. After --help or a usage error (printed) it
 * returns the exit code.
 */
export function parseLabArgs(
  io: CliIo,
  text: CommandText,
  args: readonly string[],
  extra: (opt: string, value: () => string | null) => string | null | false,
): LabArgs | number {
  const r = parseArgs(args, extra);
  if ('help' in r) {
    io.out(text.help);
    return 0;
  }
  if ('usage' in r) return usageError(io, text.cmd, text.synopsis, r.usage);
  return r;
}

function parseArgs(
  args: readonly string[],
  extra: (opt: string, value: () => string | null) => string | null | false,
): LabArgs | { help: true } | { usage: string } {
  let seed: number | undefined;
  let pcap: string | null = null;
  const real: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const opt = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string | null => {
      if (eq > 0) return a.slice(eq + 1);
      const v = args[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    if (opt === '-h' || opt === '--help') return { help: true };
    if (opt === '--seed') {
      const v = value();
      if (v === null || !/^\d+$/.test(v) || Number(v) > 4294967295) return { usage: `--seed needs an integer from 0 to 4294967295${v === null ? '' : `, got '${v}'`}` };
      seed = Number(v);
    } else if (opt === '--pcap') {
      const v = value();
      if (v === null || v === '') return { usage: '--pcap needs a FILE' };
      pcap = v;
    } else if (opt === '--real') {
      const v = value();
      if (v === null || v === '') return { usage: '--real needs a HOST (a host device of the lab)' };
      real.push(v);
    } else {
      const r = extra(opt, value);
      if (typeof r === 'string') return { usage: r };
      if (r === null) continue;
      if (a.startsWith('-') && a !== '-') return { usage: `unknown option '${a}'` };
      if (file !== undefined) return { usage: `one LAB only (got '${file}' and '${a}')` };
      file = a;
    }
  }
  if (file === undefined) return { usage: 'no lab file given' };
  return { file, seed, pcap, real };
}

/** Reads a text file (`path` 0: standard input); on failure prints `pktlab CMD: NAME: reason`. */
export function readText(io: CliIo, cmd: string, name: string, path: string | 0 = name): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    io.err(`pktlab ${cmd}: ${name}: ${fileReason(e)}\n`);
    return null;
  }
}

/**
 * Opens lab source `src` of `file`. On failure prints the reason (problems through `onProblems`,
 * by default one `file:line:col: message` line each on stderr) and returns null.
 */
export function openLab(
  io: CliIo,
  cmd: string,
  src: string,
  file: string,
  seed: number | undefined,
  onProblems: (problems: readonly LabProblem[]) => void = (ps) => io.err(ps.map((p) => `${formatProblem(p)}\n`).join('')),
): LabSession | null {
  let opened: ReturnType<typeof LabSession.open>;
  try {
    opened = LabSession.open(src, file, seed !== undefined ? { seed } : {});
  } catch (e) {
    io.err(`pktlab ${cmd}: ${file}: cannot build the lab: ${(e as Error).message}\n`);
    return null;
  }
  if (opened.session === null) onProblems(opened.problems);
  return opened.session;
}

/** Writes the session's capture to `file`; on failure prints why and returns false. */
export function writePcap(io: CliIo, cmd: string, session: LabSession, file: string): boolean {
  try {
    writeFileSync(file, session.pcap());
    return true;
  } catch (e) {
    io.err(`pktlab ${cmd}: cannot write ${file}: ${fileReason(e)}\n`);
    return false;
  }
}

/**
 * Makes the lab's declared real hosts and `names` real; on failure prints one line and returns the
 * exit code (2 bad host, 1 refused by the system), else 0.
 */
export async function makeRealHosts(session: LabSession, names: readonly string[], cmd: string, io: CliIo): Promise<number> {
  if (names.length === 0 && session.declaredReal().length === 0) return 0;
  try {
    for (const note of await session.makeReal(names)) io.err(`pktlab ${cmd}: note: ${note}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RealHostError) {
      io.err(`pktlab ${cmd}: ${e.message}\n`);
      return e.exitCode;
    }
    io.err(`pktlab ${cmd}: real hosts: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
    return 1;
  }
}
