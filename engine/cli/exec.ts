/**
 * `pktlab exec LAB`: builds the lab's topology and applies its initial configuration (`config`), but
 * performs no step's actions; then runs a script of console lines and prints a transcript, or opens
 * an interactive console.
 *
 * Script lines: `DEVICE> COMMAND` types COMMAND into DEVICE's console and runs it to completion in
 * virtual time (a command still running after 10 virtual minutes is interrupted, as Ctrl-C);
 * `sleep DURATION` lets virtual time pass; a line starting with `#` is a comment; blank lines are
 * skipped. The transcript echoes each line as `DEVICE> COMMAND` (or `sleep DURATION`) on a line of
 * its own, then that command's output. Same lab, seed and script ⇒ the same transcript.
 *
 * With `--real HOST` (or hosts the lab declares `real: true`) HOST is a Linux network namespace
 * joined by a TAP (engine/tap): its lines run as real commands (`bash -c LINE`) there, and the lab
 * runs in wall-clock time (sleep lines then take that long).
 *
 * Exit status: 0 the script ran (whatever its commands' own exit codes), 1 the lab or the script has
 * a problem (`SCRIPT:LINE: message`) or a file cannot be read or written, 2 usage error.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseActionLine } from '../lab/formats.ts';
import { LabSession, type Flow } from '../lab/session.ts';
import { RealTimePacer } from '../sim/pacer.ts';
import { parseDuration } from '../sim/time.ts';
import { makeRealHosts, openLab, parseLabArgs, readText, writePcap } from './common.ts';
import type { CliIo, Command } from './main.ts';

const USAGE = 'exec [OPTIONS] LAB';
const SYNOPSIS = 'exec [--script FILE|-] [--pcap FILE] [--seed N] [--real HOST]... LAB';

const HELP = `Usage: pktlab ${SYNOPSIS}

Build the lab's topology and apply its initial configuration (no step is run), then run a script
of console lines and print a transcript; without --script, open an interactive console.

Script lines:
  DEVICE> COMMAND   type COMMAND into DEVICE's console (run to completion in virtual time)
  sleep DURATION    let virtual time pass (250ms, 2s, 1m30s)
  # ...             a comment
The transcript echoes each line as \`DEVICE> COMMAND\`, then that command's output.

Interactive console: \`DEVICE> COMMAND\`, or \`use DEVICE\` then plain commands; \`sleep DURATION\`,
\`devices\`, \`help\`. Ctrl-C interrupts the running command; Ctrl-D exits.

Options:
  --script FILE  read the script from FILE (- for standard input)
  --pcap FILE    write the capture points' packets as pcapng when done
  --seed N       seed of every random choice (default: the lab's seed)
  --real HOST    make the lab host HOST real: a Linux network namespace joined to the lab by a TAP,
                 where HOST's lines run as real commands (bash -c LINE); repeatable; needs root.
                 With a real host the lab runs in wall-clock time.
  -h, --help     show this help

Exit status: 0 the script ran, 1 the lab or script has a problem, 2 usage error.
`;

export type ScriptLine = { readonly line: number; readonly device: string; readonly command: string } | { readonly line: number; readonly sleep: number; readonly text: string };

/** Parses a script; every problem as `FILE:LINE: message`. */
export function parseScript(text: string, file: string, devices: readonly string[]): { lines: ScriptLine[]; problems: string[] } {
  const lines: ScriptLine[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const a = parseActionLine(t.replace(/^sleep\s+(\S+)\s+#.*$/, 'sleep $1'));
    if (a === null) {
      problems.push(`${file}:${n}: expected "DEVICE> COMMAND" or "sleep DURATION", found ${JSON.stringify(t)}`);
      return;
    }
    if ('sleep' in a) {
      const d = parseDuration(a.sleep);
      if (!d.ok) problems.push(`${file}:${n}: ${d.error} (e.g. sleep 2s)`);
      else lines.push({ line: n, sleep: d.value, text: `sleep ${a.sleep}` });
      return;
    }
    if (!devices.includes(a.device)) {
      problems.push(`${file}:${n}: unknown device '${a.device}' (devices: ${devices.join(', ')})`);
      return;
    }
    lines.push({ line: n, device: a.device, command: a.command });
  });
  return { lines, problems };
}

/** Runs a parsed script on a session; the transcript goes to `out` as it is produced. */
export function runScript(session: LabSession, lines: readonly ScriptLine[], out: (s: string) => void): void {
  session.drive(scriptFlow(session, lines, out));
}

/** runScript, in wall time when the session has real hosts. */
export function runScriptAsync(session: LabSession, lines: readonly ScriptLine[], out: (s: string) => void): Promise<void> {
  return session.driveAsync(scriptFlow(session, lines, out));
}

function* scriptFlow(session: LabSession, lines: readonly ScriptLine[], out: (s: string) => void): Flow<void> {
  for (const l of lines) {
    if ('sleep' in l) {
      out(`${l.text}\n`);
      yield* session.sleepFlow(l.sleep);
      continue;
    }
    out(`${l.device}> ${l.command}\n`);
    let last = '\n';
    yield* session.runFlow(l.device, l.command, {
      write: (t) => {
        if (t === '') return;
        out(t);
        last = t;
      },
    });
    if (!last.endsWith('\n')) out('\n');
  }
}

export interface ConsoleStreams {
  readonly input: Readable;
  readonly output: Writable;
  readonly terminal: boolean;
}

/**
 * The interactive console. Commands run paced to the wall clock (a pinging host prints once a
 * second) so Ctrl-C can stop them; between commands virtual time stands still, unless a host is
 * real: then the session's pacer runs all the time.
 */
export function interactive(session: LabSession, s: ConsoleStreams): Promise<void> {
  const rl = createInterface({ input: s.input, output: s.output, terminal: s.terminal, prompt: '' });
  const write = (t: string): void => void s.output.write(t);
  const shared = session.pacer;
  const pacer = shared ?? new RealTimePacer(session.network.sched, { speed: 1 });
  const hold = (): void => {
    if (shared === null) pacer.pause();
  };
  let current: string | null = null;
  let running: { interrupt(): void } | null = null;
  const queue: string[] = [];
  const prompt = (): void => {
    rl.setPrompt(current === null ? 'pktlab> ' : `${current}> `);
    rl.prompt();
  };
  write(`Lab ${session.id}: devices ${session.devices().join(', ')}. Type "help" for help, Ctrl-D to leave.\n`);

  const runLine = (device: string, command: string, done: () => void): void => {
    const c = session.console(device)!;
    let last = '\n';
    const sink = {
      write: (t: string) => {
        if (t === '') return;
        write(t);
        last = t;
      },
    };
    const finish = (): void => {
      if (!last.endsWith('\n')) write('\n');
      running = null;
      done();
    };
    pacer.start();
    pacer.resume();
    if (!session.network.sched.running) pacer.sync();
    const ex = c.exec(command, sink);
    if (ex.done) {
      hold();
      finish();
      return;
    }
    running = ex;
    pacer.wake();
    // Done fires inside a scheduler event: continue outside it.
    ex.onDone(() =>
      setImmediate(() => {
        hold();
        finish();
      }),
    );
  };

  const handle = (line: string, done: () => void): void => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return done();
    if (t === 'help') {
      write(
        'DEVICE> COMMAND   run COMMAND on DEVICE\nuse DEVICE        run plain lines on DEVICE\nsleep DURATION    let virtual time pass\n' +
          'devices           list the devices\nexit              leave (or Ctrl-D)\nCtrl-C stops a running command.\n',
      );
      return done();
    }
    if (t === 'exit' || t === 'quit') {
      queue.length = 0;
      rl.close();
      return done();
    }
    if (t === 'devices') {
      write(`${session.devices().map((d) => `${d} (${session.topology.devices.get(d)!.kind})`).join('\n')}\n`);
      return done();
    }
    const use = /^use\s+(\S+)$/.exec(t);
    if (use) {
      if (!session.devices().includes(use[1]!)) write(`pktlab: no device '${use[1]}' (devices: ${session.devices().join(', ')})\n`);
      else current = use[1]!;
      return done();
    }
    const a = parseActionLine(t);
    if (a !== null && 'sleep' in a) {
      const d = parseDuration(a.sleep);
      if (!d.ok) write(`pktlab: ${d.error}\n`);
      else if (session.realTime) {
        void session.sleepAsync(d.value).then(done, (e: unknown) => {
          write(`pktlab: ${(e as Error).message}\n`);
          done();
        });
        return;
      } else session.sleep(d.value);
      return done();
    }
    if (a !== null && session.devices().includes(a.device)) return runLine(a.device, a.command, done);
    if (current === null) {
      write(`pktlab: which device? Write DEVICE> COMMAND or "use DEVICE" first (devices: ${session.devices().join(', ')})\n`);
      return done();
    }
    return runLine(current, line, done);
  };

  return new Promise((resolve) => {
    let busy = false;
    let closed = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (shared === null) pacer.dispose();
      write('\n');
      resolve();
    };
    const next = (): void => {
      const l = queue.shift();
      if (l === undefined) {
        busy = false;
        if (closed) finish();
        else prompt();
        return;
      }
      busy = true;
      handle(l, next);
    };
    rl.on('line', (l) => {
      queue.push(l);
      if (!busy) next();
    });
    rl.on('SIGINT', () => {
      write('^C\n');
      if (running !== null) {
        running.interrupt();
        pacer.wake();
      } else prompt();
    });
    // Ctrl-D (or the end of piped input): leave once the lines already typed have run.
    rl.on('close', () => {
      closed = true;
      if (!busy) finish();
    });
    prompt();
  });
}

export const execCommand: Command = {
  summary: 'run console commands on a lab\'s devices from a script, or interactively',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    let script: string | null = null;
    const parsed = parseLabArgs(io, { cmd: 'exec', help: HELP, synopsis: SYNOPSIS }, args, (opt, value) => {
      if (opt !== '--script' && opt !== '-s') return false;
      const v = value();
      if (v === null || v === '') return '--script needs a FILE (or - for standard input)';
      script = v;
      return null;
    });
    if (typeof parsed === 'number') return parsed;
    const { file, seed, pcap, real } = parsed;
    const src = readText(io, 'exec', file);
    if (src === null) return 1;
    let scriptText: string | null = null;
    if (script !== null) {
      scriptText = readText(io, 'exec', script, script === '-' ? 0 : script);
      if (scriptText === null) return 1;
    }
    const session = openLab(io, 'exec', src, file, seed);
    if (session === null) return 1;
    try {
      const p = scriptText === null ? null : parseScript(scriptText, script === '-' ? '<stdin>' : script!, session.devices());
      if (p !== null && p.problems.length) {
        io.err(p.problems.map((x) => `${x}\n`).join(''));
        return 1;
      }
      const problem = await makeRealHosts(session, real, 'exec', io);
      if (problem !== 0) return problem;
      if (p !== null) {
        let buf = '';
        // In wall time, output goes out as it comes.
        const limit = session.realTime ? 0 : 1 << 16;
        await runScriptAsync(session, p.lines, (t) => {
          buf += t;
          if (buf.length > limit) {
            io.out(buf);
            buf = '';
          }
        });
        if (buf) io.out(buf);
      } else {
        await interactive(session, { input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
      }
      if (pcap !== null && !writePcap(io, 'exec', session, pcap)) return 1;
      return 0;
    } finally {
      await session.disposeAsync();
    }
  },
};
