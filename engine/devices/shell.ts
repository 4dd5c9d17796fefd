/**
 * The console framework every device shares (the app's xterm consoles, `pktlab exec`, lab actions):
 * bash-like line parsing, a command registry per device, built-ins, and command execution in
 * virtual time.
 *
 * Commands are callback driven: a handler gets a `CommandContext`, writes with `out`/`err`, may
 * schedule work on the scheduler (`ctx.after`) or subscribe to the device, and finishes by calling
 * `exit(code)`. Nothing here uses promises or the wall clock, so a transcript is reproducible. A
 * driver runs the network's scheduler until the execution is done:
 *
 *   const ex = shell.exec('ping -c 3 10.0.0.2');
 *   network.runUntilCondition(() => ex.done, sec(60));
 *
 * Line syntax (bash subset): words split on blanks; '…' literal; "…" with \\ \" \$ \` escapes; \x
 * outside quotes; `#` at the start of a word begins a comment; `;`, `&&` and `||` sequence commands.
 * Pipes, redirections and background jobs are refused with a message (exit 2), as is anything
 * bash would call a syntax error.
 *
 * Error contract: `exec` never throws; a handler that throws is reported on the console (exit 1).
 */
import type { Scheduler, Timer } from '../sim/scheduler.ts';
import type { Nanos } from '../sim/time.ts';

export type Stream = 'out' | 'err';

/** Where an execution's output goes as it is produced (a terminal, a transcript). */
export interface ShellSink {
  write(text: string, stream: Stream): void;
}

export interface CommandContext<D = unknown> {
  /** Words after the command name. */
  readonly args: readonly string[];
  /** The command name as typed. */
  readonly name: string;
  readonly device: D;
  readonly shell: Shell<D>;
  readonly sched: Scheduler;
  out(text: string): void;
  err(text: string): void;
  /** Finishes the command; later calls are ignored. Timers from `after`/`every` and cleanups run. */
  exit(code: number): void;
  /** Ctrl-C: the handler prints what the real tool prints and calls exit. Without one, exit 130. */
  onInterrupt(fn: () => void): void;
  /** Runs `fn` when the command finishes (dispose listeners, sockets). */
  onExit(fn: () => void): void;
  /** A timer cancelled automatically when the command finishes. */
  after(dt: Nanos, fn: () => void): Timer;
  readonly finished: boolean;
}

export type CommandHandler<D> = (ctx: CommandContext<D>) => void;

export interface CommandSpec<D> {
  readonly name: string;
  /** One line for `help`. */
  readonly summary: string;
  readonly run: CommandHandler<D>;
  /** Completions for a later word (the UI's Tab); default none. */
  readonly complete?: (args: readonly string[], partial: string) => string[];
}

/** A running (or finished) command line. */
export interface Execution {
  readonly line: string;
  readonly done: boolean;
  /** Exit status of the last command run (bash's $?), null while running. */
  readonly exitCode: number | null;
  /** Everything written, stdout and stderr interleaved as a terminal shows them. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Ctrl-C. */
  interrupt(): void;
  /** Called once when done (immediately if already done). */
  onDone(fn: (code: number) => void): void;
}

export interface ShellOptions<D> {
  readonly device: D;
  readonly sched: Scheduler;
  readonly hostname: () => string;
  readonly user?: string;
}

// --- line parsing ---------------------------------------------------------------------------------

export type Connector = ';' | '&&' | '||';

export interface SimpleCommand {
  readonly words: string[];
  /** How this command follows the previous one (';' for the first). */
  readonly connector: Connector;
}

export type ParseLineResult = { readonly ok: true; readonly commands: SimpleCommand[] } | { readonly ok: false; readonly message: string };

const UNSUPPORTED: Record<string, string> = {
  '|': 'pipes (|) are not supported in this console; run each command on its own',
  '>': 'redirection (>) is not supported in this console; curl -o FILE writes a file',
  '<': 'redirection (<) is not supported in this console',
  '&': 'background jobs (&) are not supported in this console',
};

/** Splits a line into simple commands the way bash would, for the subset described above. */
export function parseLine(line: string): ParseLineResult {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let connector: Connector = ';';
  let pendingConnector: Connector | null = null;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (tok: string, next: Connector | null): ParseLineResult | null => {
    endWord();
    if (words.length === 0) {
      if (next === null && pendingConnector === null) return null;
      return { ok: false, message: `bash: syntax error near unexpected token \`${tok}'` };
    }
    commands.push({ words, connector });
    words = [];
    if (next !== null) connector = next;
    pendingConnector = next;
    return null;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      endWord();
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) return { ok: false, message: "bash: unexpected EOF while looking for matching `''" };
      word += line.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= line.length) return { ok: false, message: 'bash: unexpected EOF while looking for matching `"\'' };
        const d = line[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < line.length && '\\"$`'.includes(line[j + 1]!)) {
          s += line[j + 1];
          j += 2;
        } else {
          s += d;
          j++;
        }
      }
      word += s;
      inWord = true;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === ';' || (c === '&' && line[i + 1] === '&') || (c === '|' && line[i + 1] === '|')) {
      const tok = c === ';' ? ';' : c + c;
      const r = endCommand(tok, tok as Connector);
      if (r) return r;
      if (tok === ';') pendingConnector = null;
      i += tok.length;
    } else if (c in UNSUPPORTED) {
      return { ok: false, message: `pktlab: ${UNSUPPORTED[c]}` };
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endWord();
  if (words.length > 0) commands.push({ words, connector });
  else if (pendingConnector !== null) return { ok: false, message: 'bash: syntax error: unexpected end of file' };
  return { ok: true, commands };
}

// --- getopt ----------------------------------------------------------------------------------------

export interface OptionSpec {
  /** Key in the result, e.g. 'count'. */
  readonly name: string;
  /** One letter: 'c' for -c. */
  readonly short?: string;
  /** Without dashes: 'count' for --count. */
  readonly long?: string;
  /** Takes an argument (-c4, -c 4, --count=4, --count 4). */
  readonly arg?: boolean;
}

export type GetoptError =
  | { readonly kind: 'unknown-short'; readonly option: string }
  | { readonly kind: 'unknown-long'; readonly option: string }
  | { readonly kind: 'missing-arg'; readonly option: string; readonly long: boolean }
  | { readonly kind: 'unexpected-arg'; readonly option: string };

export class ParsedOptions {
  /** In command-line order. */
  readonly list: { name: string; value: string | undefined }[] = [];
  readonly operands: string[] = [];
  has(name: string): boolean {
    return this.list.some((o) => o.name === name);
  }
  /** The last value given for `name`. */
  get(name: string): string | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.name === name) return this.list[i]!.value;
    return undefined;
  }
  all(name: string): string[] {
    return this.list.filter((o) => o.name === name).map((o) => o.value ?? '');
  }
  count(name: string): number {
    return this.list.filter((o) => o.name === name).length;
  }
}

export type GetoptResult = { readonly ok: true; readonly opts: ParsedOptions } | { readonly ok: false; readonly error: GetoptError };

/**
 * GNU getopt_long: bundled short flags (-tanp), -c4 / -c 4, --opt=v / --opt v, `--` ends options,
 * operands may come between options (permutation) unless `stopAtOperand` (POSIX, as `ip` parses).
 * Errors are returned, for each tool to word as the real one does.
 */
export function getopt(args: readonly string[], specs: readonly OptionSpec[], opts: { stopAtOperand?: boolean } = {}): GetoptResult {
  const out = new ParsedOptions();
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      out.operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = specs.find((s) => s.long === name);
      if (spec === undefined) return { ok: false, error: { kind: 'unknown-long', option: name } };
      if (spec.arg) {
        if (eq >= 0) out.list.push({ name: spec.name, value: a.slice(eq + 1) });
        else if (i + 1 < args.length) out.list.push({ name: spec.name, value: args[++i] });
        else return { ok: false, error: { kind: 'missing-arg', option: name, long: true } };
      } else {
        if (eq >= 0) return { ok: false, error: { kind: 'unexpected-arg', option: name } };
        out.list.push({ name: spec.name, value: undefined });
      }
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const ch = a[k]!;
        const spec = specs.find((s) => s.short === ch);
        if (spec === undefined) return { ok: false, error: { kind: 'unknown-short', option: ch } };
        if (spec.arg) {
          if (k + 1 < a.length) out.list.push({ name: spec.name, value: a.slice(k + 1) });
          else if (i + 1 < args.length) out.list.push({ name: spec.name, value: args[++i] });
          else return { ok: false, error: { kind: 'missing-arg', option: ch, long: false } };
          break;
        }
        out.list.push({ name: spec.name, value: undefined });
      }
      i++;
      continue;
    }
    if (opts.stopAtOperand) {
      out.operands.push(...args.slice(i));
      break;
    }
    out.operands.push(a);
    i++;
  }
  return { ok: true, opts: out };
}

/** glibc's getopt messages (`ping: invalid option -- 'z'`), for tools that print them verbatim. */
export function glibcGetoptMessage(prog: string, e: GetoptError): string {
  switch (e.kind) {
    case 'unknown-short':
      return `${prog}: invalid option -- '${e.option}'`;
    case 'unknown-long':
      return `${prog}: unrecognized option '--${e.option}'`;
    case 'missing-arg':
      return e.long ? `${prog}: option '--${e.option}' requires an argument` : `${prog}: option requires an argument -- '${e.option}'`;
    case 'unexpected-arg':
      return `${prog}: option '--${e.option}' doesn't allow an argument`;
  }
}

// --- execution -------------------------------------------------------------------------------------

class Run<D> implements Execution {
  done = false;
  exitCode: number | null = null;
  output = '';
  stdout = '';
  stderr = '';
  private idx = 0;
  private last = 0;
  private current: Ctx<D> | null = null;
  private doneFns: ((code: number) => void)[] = [];
  private stepping = false;
  private interrupted = false;

  constructor(
    readonly shell: Shell<D>,
    readonly line: string,
    private readonly commands: SimpleCommand[],
    private readonly sink: ShellSink | undefined,
    initialStatus = 0,
  ) {
    this.last = initialStatus;
  }

  write(text: string, stream: Stream): void {
    if (text === '') return;
    this.output += text;
    if (stream === 'out') this.stdout += text;
    else this.stderr += text;
    this.sink?.write(text, stream);
  }

  /** Runs commands until one is still running (it calls back through `finished`) or all are done. */
  step(): void {
    if (this.stepping) return;
    this.stepping = true;
    try {
      while (!this.done && this.current === null) {
        if (this.idx >= this.commands.length || this.interrupted) {
          this.finish(this.last);
          break;
        }
        const c = this.commands[this.idx++]!;
        if ((c.connector === '&&' && this.last !== 0) || (c.connector === '||' && this.last === 0)) continue;
        const ctx = new Ctx<D>(this, c.words);
        this.current = ctx;
        this.shell.dispatch(ctx);
      }
    } finally {
      this.stepping = false;
    }
  }

  /** @internal A command called exit. */
  finished(ctx: Ctx<D>, code: number): void {
    if (this.current !== ctx) return;
    this.current = null;
    this.last = code;
    this.step();
  }

  private finish(code: number): void {
    this.done = true;
    this.exitCode = code;
    this.shell.lastStatus = code;
    const fns = this.doneFns;
    this.doneFns = [];
    for (const f of fns) f(code);
  }

  interrupt(): void {
    if (this.done) return;
    this.write('^C', 'out');
    this.interrupted = true;
    const ctx = this.current;
    if (ctx === null) return;
    if (!ctx.interrupt()) {
      this.write('\n', 'out');
      ctx.exit(130);
    }
  }

  onDone(fn: (code: number) => void): void {
    if (this.done) fn(this.exitCode ?? 0);
    else this.doneFns.push(fn);
  }
}

class Ctx<D> implements CommandContext<D> {
  readonly name: string;
  readonly args: readonly string[];
  finished = false;
  private interruptFns: (() => void)[] = [];
  private exitFns: (() => void)[] = [];
  private timers: Timer[] = [];

  constructor(
    private readonly run: Run<D>,
    words: string[],
  ) {
    this.name = words[0]!;
    this.args = words.slice(1);
  }

  get device(): D {
    return this.run.shell.device;
  }
  get shell(): Shell<D> {
    return this.run.shell;
  }
  get sched(): Scheduler {
    return this.run.shell.sched;
  }
  out(text: string): void {
    if (!this.finished) this.run.write(text, 'out');
  }
  err(text: string): void {
    if (!this.finished) this.run.write(text, 'err');
  }
  exit(code: number): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    const fns = this.exitFns;
    this.exitFns = [];
    for (const f of fns) {
      try {
        f();
      } catch {
        // A failing cleanup must not stop the shell.
      }
    }
    this.run.finished(this, code);
  }
  onInterrupt(fn: () => void): void {
    this.interruptFns.push(fn);
  }
  onExit(fn: () => void): void {
    this.exitFns.push(fn);
  }
  after(dt: Nanos, fn: () => void): Timer {
    const t = this.sched.after(dt, () => {
      if (!this.finished) this.guard(fn);
    });
    this.timers.push(t);
    return t;
  }
  /** Calls the interrupt handlers; false when there were none. */
  interrupt(): boolean {
    if (this.interruptFns.length === 0) return false;
    for (const f of this.interruptFns) this.guard(f);
    return true;
  }
  /** Runs command code, turning a throw into a console message (a command bug must not kill the lab). */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.err(`${this.name}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      this.exit(1);
    }
  }
}

export class Shell<D = unknown> {
  readonly device: D;
  readonly sched: Scheduler;
  readonly user: string;
  /** bash's $? after the last execution. */
  lastStatus = 0;
  /** Set by `exit`; the UI closes the console. */
  closed = false;
  private readonly hostnameFn: () => string;
  private readonly commands = new Map<string, CommandSpec<D>>();

  constructor(opts: ShellOptions<D>) {
    this.device = opts.device;
    this.sched = opts.sched;
    this.user = opts.user ?? 'root';
    this.hostnameFn = opts.hostname;
    for (const c of builtins<D>()) this.register(c);
  }

  register(spec: CommandSpec<D>): void {
    this.commands.set(spec.name, spec);
  }

  command(name: string): CommandSpec<D> | undefined {
    return this.commands.get(name);
  }

  commandNames(): string[] {
    return [...this.commands.keys()].sort();
  }

  /** `root@client1:~# ` (`$ ` for a user other than root). */
  prompt(): string {
    return `${this.user}@${this.hostnameFn()}:~${this.user === 'root' ? '#' : '$'} `;
  }

  /**
   * Tab completion for the text before the cursor: command names for the first word, else what the
   * command offers. Returns the full candidate words (the UI replaces the partial word).
   */
  complete(before: string): string[] {
    const m = /(\S*)$/.exec(before);
    const partial = m ? m[1]! : '';
    const head = before.slice(0, before.length - partial.length);
    const segment = head.split(/;|&&|\|\|/).pop() ?? '';
    const words = segment.trim() === '' ? [] : segment.trim().split(/\s+/);
    if (words.length === 0) return this.commandNames().filter((n) => n.startsWith(partial));
    const spec = this.commands.get(words[0]!);
    if (spec?.complete === undefined) return [];
    return spec.complete(words.slice(1), partial).filter((c) => c.startsWith(partial));
  }

  /** Runs a command line; output goes to `sink` as it is produced and is also kept on the Execution. */
  exec(line: string, sink?: ShellSink): Execution {
    const p = parseLine(typeof line === 'string' ? line : '');
    if (!p.ok) {
      const r = new Run<D>(this, line, [], sink, 2);
      r.write(`${p.message}\n`, 'err');
      r.step();
      return r;
    }
    const r = new Run<D>(this, line, p.commands, sink);
    r.step();
    return r;
  }

  /** @internal */
  dispatch(ctx: Ctx<D>): void {
    const spec = this.commands.get(ctx.name);
    if (spec === undefined) {
      ctx.err(`bash: ${ctx.name}: command not found\n`);
      ctx.exit(127);
      return;
    }
    ctx.guard(() => spec.run(ctx));
  }
}

// --- built-ins -------------------------------------------------------------------------------------

/** coreutils sleep: NUMBER[smhd], several summed. */
function parseSleep(s: string): number | null {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(s);
  if (!m) return null;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

function builtins<D>(): CommandSpec<D>[] {
  return [
    {
      name: 'help',
      summary: 'list the commands of this console',
      run: (ctx) => {
        const specs = ctx.shell.commandNames().map((n) => ctx.shell.command(n)!);
        const w = Math.max(...specs.map((s) => s.name.length));
        ctx.out(`Commands on ${ctx.shell.prompt().split('@')[1]!.split(':')[0]}:\n`);
        for (const s of specs) ctx.out(`  ${s.name.padEnd(w)}  ${s.summary}\n`);
        ctx.out('Ctrl-C stops a running command.\n');
        ctx.exit(0);
      },
    },
    {
      name: 'echo',
      summary: 'print the arguments',
      run: (ctx) => {
        let args = [...ctx.args];
        let newline = true;
        while (args[0] === '-n' || args[0] === '-e' || args[0] === '-E') {
          if (args[0] === '-n') newline = false;
          args = args.slice(1);
        }
        ctx.out(args.join(' ') + (newline ? '\n' : ''));
        ctx.exit(0);
      },
    },
    {
      name: 'sleep',
      summary: 'wait (virtual time)',
      run: (ctx) => {
        if (ctx.args.length === 0) {
          ctx.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
          return ctx.exit(1);
        }
        let total = 0;
        for (const a of ctx.args) {
          const s = parseSleep(a);
          if (s === null) {
            ctx.err(`sleep: invalid time interval '${a}'\nTry 'sleep --help' for more information.\n`);
            return ctx.exit(1);
          }
          total += s;
        }
        ctx.after(Math.round(total * 1e9), () => ctx.exit(0));
      },
    },
    {
      name: 'clear',
      summary: 'clear the terminal screen',
      // What ncurses clear writes for xterm: home, erase screen, erase scrollback.
      run: (ctx) => {
        ctx.out('\x1b[H\x1b[2J\x1b[3J');
        ctx.exit(0);
      },
    },
    {
      name: 'exit',
      summary: 'close this console',
      run: (ctx) => {
        const a = ctx.args[0];
        const code = a === undefined ? ctx.shell.lastStatus : /^-?\d+$/.test(a) ? Number(a) & 0xff : 2;
        if (a !== undefined && !/^-?\d+$/.test(a)) ctx.err(`bash: exit: ${a}: numeric argument required\n`);
        ctx.out('exit\n');
        ctx.shell.closed = true;
        ctx.exit(code);
      },
    },
    { name: 'true', summary: 'do nothing, successfully', run: (ctx) => ctx.exit(0) },
    { name: 'false', summary: 'do nothing, unsuccessfully', run: (ctx) => ctx.exit(1) },
  ];
}
