/**
 * `pktlab validate LAB...`: checks lab files without running them.
 * Prints `LAB: ok` per valid file and `file:line:col: message` per problem (sorted by position);
 * exit 0 when every file is valid, 1 when any is not (or cannot be read), 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { formatProblem, loadLab, type LabProblem } from '../lab/load.ts';
import { fileReason, problemJson, usageError } from './common.ts';
import type { CliIo, Command } from './main.ts';

const USAGE = 'validate [--json] LAB...';

const HELP = `Usage: pktlab ${USAGE}

Check lab files: YAML syntax, the lab format (labs/schema.json), and whether names, references and
addresses make sense. Every problem is reported at once as
  FILE:LINE:COL: MESSAGE
and each valid file as \`FILE: ok\`.

Options:
  --json      print a JSON array of {file, ok, problems: [{line, col, message, path}]}
  -h, --help  show this help

Exit status: 0 every file is valid, 1 a file has a problem or cannot be read, 2 usage error.
`;

interface FileResult {
  file: string;
  ok: boolean;
  error?: string;
  problems: LabProblem[];
}

export const validateCommand: Command = {
  summary: 'check lab files and report every problem as file:line:col',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    let json = false;
    const files: string[] = [];
    let options = true;
    for (const a of args) {
      if (options && (a === '-h' || a === '--help')) {
        io.out(HELP);
        return 0;
      } else if (options && a === '--json') {
        json = true;
      } else if (options && a === '--') {
        options = false;
      } else if (options && a.startsWith('-') && a !== '-') {
        return usageError(io, 'validate', USAGE, `unknown option '${a}'`);
      } else {
        files.push(a);
      }
    }
    if (files.length === 0) return usageError(io, 'validate', USAGE, 'no lab file given');
    const results: FileResult[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        results.push({ file, ok: false, error: fileReason(e), problems: [] });
        continue;
      }
      const r = loadLab(text, file);
      results.push({ file, ok: r.problems.length === 0, problems: r.problems });
    }
    if (json) {
      const out = results.map((r) => ({
        file: r.file,
        ok: r.ok,
        ...(r.error !== undefined ? { error: r.error } : {}),
        problems: r.problems.map(problemJson),
      }));
      io.out(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      for (const r of results) {
        if (r.error !== undefined) io.err(`pktlab validate: ${r.file}: ${r.error}\n`);
        else if (r.ok) io.out(`${r.file}: ok\n`);
        else io.out(r.problems.map((p) => `${formatProblem(p)}\n`).join(''));
      }
    }
    return results.every((r) => r.ok) ? 0 : 1;
  },
};
