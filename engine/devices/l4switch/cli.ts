/**
 * The Alteon CLI: the menu tree (`/cfg/slb`, `real N`, `group N`, `virt N`, `virt N/service …`,
 * `/info/slb`, `/stats/slb`, `/oper/slb`), chained paths (`/c/slb/real 1/rip 10.0.0.1/ena`), relative
 * navigation, `..`/`up`, `/` to Main, `help`/`?`, tab completion, and the pending/applied model:
 * every change is pending until `apply`, which validates the whole pending configuration and applies
 * all or nothing; `diff`, `revert`, `save`, `cur`, `/cfg/dump`.
 *
 * Sources: Radware Alteon CLI Reference (tsc.openbase.co.kr/helpdesk/attachments/72072415513) for the
 * menus ("[Real Server Group 1 Menu]", "[Virtual Server 22 66 basic-slb Service Menu]"), the
 * `health` prompt ("Current health check type: tcp" / "Pending new health check type" / "Enter health
 * check type:"), `/stats/slb/*` tables and the maintenance counters; Radware AG p.180 for `>> Main#`;
 * ytti/oxidized alteonos.rb for the dump header lines; expect scripts driving Alteon for "Confirm
 * saving without first applying changes" and "Confirm saving to FLASH [y/n]: ".
 *
 * Each input line is a transaction: it runs against a copy of the pending configuration and menu
 * position, and an error anywhere on the line leaves both unchanged.
 *
 * Questions (`save`'s confirmations, a command typed without its value) are answered by the next
 * line given to `exec`, as on a terminal; in scripts write the answer on the following line
 * (`save`, then `y`). Anything but y/yes answers no. An empty answer to a value prompt keeps it.
 */
import { ipv4ToString, parseIpv4Addr, type Ipv4Addr } from '../../wire/addr.ts';
import { DEFAULT_EPOCH_NS, type Nanos } from '../../sim/time.ts';
import type { Execution, ShellSink, Stream } from '../shell.ts';
import {
  HEALTH_TYPES,
  LIMITS,
  METRICS,
  SERVICE_PORTS,
  UNSUPPORTED_METRICS,
  cloneConfig,
  diffConfig,
  dumpBlocks,
  effectiveRport,
  emptyConfig,
  groupBlock,
  newGroup,
  newReal,
  newService,
  newVirt,
  pruneUntouched,
  realBlock,
  renderBlocks,
  serviceBlock,
  serviceLabel,
  validateConfig,
  virtBlock,
  type GroupCfg,
  type RealCfg,
  type ServiceCfg,
  type SlbConfig,
  type VirtCfg,
} from './config.ts';
import { SessionCounters, SlbMaintCounters, maintLines } from './stats.ts';

// --- what the CLI needs from the device -------------------------------------------------------------

export interface RealRuntimeInfo {
  /** MAC learned for the rip, or null. */
  readonly mac: number | null;
  /** Switch port the real is reached through. */
  readonly port: number;
  /** Health per checked real port. */
  readonly ports: readonly { readonly port: number; readonly up: boolean }[];
  readonly operDisabled: boolean;
  readonly healthFailures: number;
}

/** The data plane behind the CLI (the L4Switch); a standalone CLI uses a null runtime. */
export interface SlbRuntime {
  /** Virtual time now (dump timestamps). */
  now(): Nanos;
  /** Installs a validated configuration (called by `apply`). */
  apply(cfg: SlbConfig): void;
  realInfo(id: number): RealRuntimeInfo;
  realStats(id: number): SessionCounters;
  groupStats(group: number, real: number): SessionCounters;
  virtStats(virt: number, real: number): SessionCounters;
  maint(): SlbMaintCounters;
  clearStats(): void;
  /** `/oper/slb/dis|ena N`. */
  setOperDisabled(real: number, disabled: boolean): void;
  /** MAC the switch answers ARP for a VIP with. */
  vipMac(): number;
}

/** A runtime with no data plane: everything up, no sessions, time stands still unless given. */
export class NullRuntime implements SlbRuntime {
  private readonly oper = new Set<number>();
  private readonly maintC = new SlbMaintCounters();
  private readonly zero = new SessionCounters();
  constructor(private readonly clock: () => Nanos = () => 0) {}
  now(): Nanos {
    return this.clock();
  }
  apply(): void {}
  realInfo(id: number): RealRuntimeInfo {
    return { mac: null, port: 2, ports: [], operDisabled: this.oper.has(id), healthFailures: 0 };
  }
  realStats(): SessionCounters {
    return this.zero;
  }
  groupStats(): SessionCounters {
    return this.zero;
  }
  virtStats(): SessionCounters {
    return this.zero;
  }
  maint(): SlbMaintCounters {
    return this.maintC;
  }
  clearStats(): void {}
  setOperDisabled(real: number, disabled: boolean): void {
    if (disabled) this.oper.add(real);
    else this.oper.delete(real);
  }
  vipMac(): number {
    return 0;
  }
}

export interface AlteonCliOptions {
  readonly runtime?: SlbRuntime;
  /** Absolute time of virtual time 0 (dump timestamps); default the lab epoch. */
  readonly epochNs?: bigint;
  /** Base MAC for the dump's version line. */
  readonly baseMac?: number;
}

// --- menus --------------------------------------------------------------------------------------------

type Pos =
  | { readonly k: 'main' | 'cfg' | 'slb' | 'info' | 'infoslb' | 'stats' | 'statsslb' | 'oper' | 'operslb' }
  | { readonly k: 'real' | 'group' | 'virt'; readonly id: number }
  | { readonly k: 'service'; readonly virt: number; readonly vport: number };

const MAIN: Pos = { k: 'main' };

class CliError extends Error {}

interface Question {
  readonly prompt: string;
  readonly answer: (t: Txn, text: string) => void;
}

/** One line's work: a scratch copy of the state, output, and actions to run if the line succeeds. */
interface Txn {
  pending: SlbConfig;
  pos: Pos;
  out: string[];
  question: Question | null;
  actions: (() => void)[];
  /** Whether the segment being run is the last on the line (a missing value may be asked for). */
  last: boolean;
}

interface Cmd {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly help: string;
  /** Values offered by tab completion for the first argument. */
  readonly values?: () => readonly string[];
  /**
   * How many words the command takes; the words after them are run as the next command, as
   * Alteon's CLI reads typed-ahead input (`/c/slb on` = slb menu, then `on`). Default: all.
   */
  readonly argc?: number | ((args: readonly string[]) => number);
  run(t: Txn, args: readonly string[]): void;
}

const SEP = '------------------------------------------------------------------';

function title(p: Pos, cfg: SlbConfig): string {
  switch (p.k) {
    case 'main':
      return 'Main';
    case 'cfg':
      return 'Configuration';
    case 'slb':
      return 'Server Load Balancing';
    case 'real':
      return `Real Server ${p.id}`;
    case 'group':
      return `Real Server Group ${p.id}`;
    case 'virt':
      return `Virtual Server ${p.id}`;
    case 'service':
      void cfg;
      return `Virtual Server ${p.virt} ${serviceLabel(p.vport)} Service`;
    case 'info':
      return 'Information';
    case 'infoslb':
      return 'Server Load Balancing Information';
    case 'stats':
      return 'Statistics';
    case 'statsslb':
      return 'Server Load Balancing Statistics';
    case 'oper':
      return 'Operations';
    case 'operslb':
      return 'Server Load Balancing Operations';
  }
}

function parent(p: Pos): Pos {
  switch (p.k) {
    case 'main':
    case 'cfg':
    case 'info':
    case 'stats':
    case 'oper':
      return MAIN;
    case 'slb':
      return { k: 'cfg' };
    case 'real':
    case 'group':
    case 'virt':
      return { k: 'slb' };
    case 'service':
      return { k: 'virt', id: p.virt };
    case 'infoslb':
      return { k: 'info' };
    case 'statsslb':
      return { k: 'stats' };
    case 'operslb':
      return { k: 'oper' };
  }
}

function parseNum(s: string | undefined, what: string, min: number, max: number): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new CliError(`Error: Invalid ${what} "${s ?? ''}" (${min}-${max}).`);
  const n = Number(s);
  if (n < min || n > max) throw new CliError(`Error: Invalid ${what} ${n} (${min}-${max}).`);
  return n;
}

function parseIp(s: string, what: string): Ipv4Addr {
  const a = parseIpv4Addr(s);
  if (a === null || a === 0 || a === 0xffffffff || a >>> 28 >= 0xe) throw new CliError(`Error: Invalid ${what} "${s}".`);
  return a;
}

function parseRport(s: string): number {
  const n = parseNum(s, 'real server port', 0, 65534);
  if (n >= 2 && n <= 4) throw new CliError(`Error: Invalid real server port ${n} (0, 1, 5-65534).`);
  return n;
}

function parseServicePort(s: string): number {
  const named = SERVICE_PORTS[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new CliError(`Error: Invalid service "${s}": give a port (1-65534) or one of ${Object.keys(SERVICE_PORTS).join(', ')}.`);
  return parseNum(s, 'virtual port', 1, 65534);
}

/** Splits a line on '/' outside double quotes. */
function splitPath(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (const c of line) {
    if (c === '"') inQ = !inQ;
    if (c === '/' && !inQ) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Splits a segment into words; "…" keeps blanks. */
function words(seg: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(seg); m !== null; m = re.exec(seg)) out.push(m[1] ?? m[2]!);
  return out;
}

function macText(m: number | null): string {
  if (m === null) return '00:00:00:00:00:00';
  const h = m.toString(16).padStart(12, '0');
  return h.match(/../g)!.join(':');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "14:10:20 Fri Jul 28, 2017" (the dump header's form), UTC, from the virtual clock. */
export function alteonTime(epochNs: bigint, t: Nanos): string {
  const d = new Date(Number((epochNs + BigInt(Math.floor(t))) / 1_000_000n));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

// --- the console ----------------------------------------------------------------------------------------

class CliRun implements Execution {
  done = true;
  exitCode: number | null;
  output = '';
  stdout = '';
  stderr = '';
  constructor(
    readonly line: string,
    code: number,
  ) {
    this.exitCode = code;
  }
  write(text: string, stream: Stream, sink: ShellSink | undefined): void {
    if (text === '') return;
    this.output += text;
    if (stream === 'out') this.stdout += text;
    else this.stderr += text;
    sink?.write(text, stream);
  }
  interrupt(): void {}
  onDone(fn: (code: number) => void): void {
    fn(this.exitCode ?? 0);
  }
}

export class AlteonCli {
  /** The running configuration. */
  private appliedCfg: SlbConfig = emptyConfig();
  private pendingCfg: SlbConfig = emptyConfig();
  private savedCfg: SlbConfig = emptyConfig();
  private pos: Pos = MAIN;
  private question: Question | null = null;
  private lastApplied: Nanos | null = null;
  private lastSaved: Nanos | null = null;
  readonly runtime: SlbRuntime;
  private readonly epochNs: bigint;
  private readonly baseMac: number;
  private readonly menus: Record<Pos['k'], Cmd[]>;

  constructor(opts: AlteonCliOptions = {}) {
    this.runtime = opts.runtime ?? new NullRuntime();
    this.epochNs = opts.epochNs ?? DEFAULT_EPOCH_NS;
    this.baseMac = opts.baseMac ?? 0;
    this.menus = this.buildMenus();
  }

  /** The configuration in effect (after the last successful apply). */
  get applied(): SlbConfig {
    return cloneConfig(this.appliedCfg);
  }
  get pending(): SlbConfig {
    return cloneConfig(this.pendingCfg);
  }
  get saved(): SlbConfig {
    return cloneConfig(this.savedCfg);
  }
  get hasPendingChanges(): boolean {
    return diffConfig(this.appliedCfg, this.pendingCfg) !== '';
  }

  /** `>> Main# `, or the open question. */
  prompt(): string {
    if (this.question !== null) return this.question.prompt;
    return `>> ${title(this.pos, this.pendingCfg)}# `;
  }

  /** Menu path of the current position, e.g. `/cfg/slb/real 1`. */
  get path(): string {
    const parts: string[] = [];
    for (let p = this.pos; p.k !== 'main'; p = parent(p)) parts.unshift(this.segmentOf(p));
    return `/${parts.join('/')}`;
  }

  private segmentOf(p: Pos): string {
    switch (p.k) {
      case 'real':
      case 'group':
      case 'virt':
        return `${p.k} ${p.id}`;
      case 'service':
        return `service ${serviceLabel(p.vport)}`;
      case 'infoslb':
      case 'statsslb':
      case 'operslb':
        return 'slb';
      default:
        return p.k;
    }
  }

  /** Runs one line. Never throws; output is written to `sink` and kept on the Execution. */
  exec(line: string, sink?: ShellSink): Execution {
    const text = typeof line === 'string' ? line : '';
    const { out, err, code } = this.run(text);
    const r = new CliRun(text, code);
    r.write(out, 'out', sink);
    r.write(err, 'err', sink);
    return r;
  }

  /** Runs a script of lines (a pasted configuration); returns the transcript with prompts. */
  execScript(script: string): string {
    let s = '';
    for (const line of script.split(/\r?\n/)) {
      const p = this.prompt();
      const r = this.exec(line);
      s += `${p}${line}\n${r.output}`;
    }
    return s;
  }

  private run(line: string): { out: string; err: string; code: number } {
    const t: Txn = { pending: cloneConfig(this.pendingCfg), pos: this.pos, out: [], question: null, actions: [], last: false };
    try {
      if (this.question !== null) {
        const q = this.question;
        this.question = null;
        q.answer(t, line.trim());
      } else {
        this.runLine(t, line);
      }
    } catch (e) {
      // The line changed nothing, so what it printed before the error is not shown either.
      if (e instanceof CliError) return { out: '', err: `${e.message}\n`, code: 1 };
      return { out: '', err: `Error: internal error: ${(e as Error).message}\n`, code: 1 };
    }
    // Commit: the line succeeded.
    this.pendingCfg = t.pending;
    this.pos = t.pos;
    this.question = t.question;
    for (const a of t.actions) a();
    return { out: t.out.join(''), err: '', code: 0 };
  }

  private runLine(t: Txn, raw: string): void {
    let line = raw.trim();
    if (line === '' || line.startsWith('/*') || /^script (start|end)\b/.test(line)) return;
    if (line.startsWith('/')) {
      t.pos = MAIN;
      line = line.slice(1);
    }
    const segs = splitPath(line)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (let i = 0; i < segs.length; i++) {
      t.last = i === segs.length - 1;
      this.runSegment(t, words(segs[i]!));
      if (t.question !== null && !t.last) throw new CliError('Error: a value is missing before the end of the line.');
    }
  }

  private runSegment(t: Txn, w: string[]): void {
    const name = w[0]!.toLowerCase();
    const args = w.slice(1);
    const cmd = this.lookup(t.pos, name);
    const n = cmd.argc === undefined ? args.length : typeof cmd.argc === 'number' ? cmd.argc : cmd.argc(args);
    const rest = args.slice(n);
    const last = t.last;
    if (rest.length > 0) t.last = false;
    cmd.run(t, args.slice(0, n));
    if (rest.length > 0) {
      if (t.question !== null) throw new CliError('Error: a value is missing before the end of the line.');
      t.last = last;
      this.runSegment(t, rest);
    }
  }

  private lookup(pos: Pos, name: string): Cmd {
    const list = [...this.menus[pos.k], ...this.globals()];
    for (const c of list) if (c.name === name || c.aliases?.includes(name)) return c;
    const pre = list.filter((c) => c.name.startsWith(name));
    if (pre.length === 1) return pre[0]!;
    if (pre.length > 1) throw new CliError(`Error: Command "${name}" is ambiguous: ${pre.map((c) => c.name).join(', ')}.`);
    throw new CliError(`Error: Command "${name}" not found in the ${title(pos, this.pendingCfg)} menu. Type "help" for a list of commands.`);
  }

  /**
   * Tab completion for the text before the cursor: the menu names and commands (or the values of
   * a command such as `metric`) that start with the word being typed.
   */
  complete(before: string): string[] {
    if (this.question !== null) return [];
    const t: Txn = { pending: cloneConfig(this.pendingCfg), pos: this.pos, out: [], question: null, actions: [], last: false };
    let line = before.trimStart();
    if (line.startsWith('/')) {
      t.pos = MAIN;
      line = line.slice(1);
    }
    const segs = splitPath(line);
    const lastSeg = segs.pop() ?? '';
    try {
      for (const s of segs) {
        const w = words(s);
        if (w.length === 0) continue;
        const cmd = this.lookup(t.pos, w[0]!.toLowerCase());
        // Only navigation matters for completion; side effects stay on the scratch copy.
        t.last = false;
        cmd.run(t, w.slice(1));
      }
    } catch {
      return [];
    }
    const m = /^(\s*)(\S*)(\s+)?(.*)$/.exec(lastSeg)!;
    const first = m[2]!;
    if (m[3] === undefined) {
      const names = [...this.menus[t.pos.k], ...this.globals()].map((c) => c.name);
      return [...new Set(names)].filter((n) => n.startsWith(first.toLowerCase())).sort();
    }
    let cmd: Cmd;
    try {
      cmd = this.lookup(t.pos, first.toLowerCase());
    } catch {
      return [];
    }
    const rest = m[4]!;
    if (cmd.values === undefined || /\s/.test(rest.trim()) || rest.endsWith(' ')) return [];
    return cmd.values().filter((v) => v.startsWith(rest.toLowerCase()));
  }

  // --- menu definitions -------------------------------------------------------------------------------

  private globals(): Cmd[] {
    return [
      { name: 'help', aliases: ['?'], help: 'Display this menu', argc: 0, run: (t) => this.help(t) },
      { name: 'up', aliases: ['..'], help: 'Go up one menu level', argc: 0, run: (t) => void (t.pos = parent(t.pos)) },
      { name: 'apply', help: 'Apply pending config changes', argc: 0, run: (t) => this.apply(t) },
      { name: 'save', help: 'Save updated config to FLASH', argc: (a) => (a.length > 0 && /^(y|n|yes|no)$/i.test(a[0]!) ? 1 : 0), run: (t, a) => this.save(t, a) },
      { name: 'diff', help: 'Show all pending config changes', argc: 0, run: (t) => this.diff(t) },
      { name: 'revert', help: 'Revert pending config changes', argc: 0, run: (t) => this.revert(t) },
    ];
  }

  private help(t: Txn): void {
    const list = this.menus[t.pos.k];
    let s = `[${title(t.pos, t.pending)} Menu]\n`;
    for (const c of list) s += `     ${c.name.padEnd(8)} - ${c.help}\n`;
    t.out.push(s);
  }

  private nav(name: string, help: string, to: Pos, aliases?: string[]): Cmd {
    return { name, aliases, help, argc: 0, run: (t) => void (t.pos = to) };
  }

  private buildMenus(): Record<Pos['k'], Cmd[]> {
    return {
      main: [
        this.nav('info', 'Information Menu', { k: 'info' }, ['i']),
        this.nav('stats', 'Statistics Menu', { k: 'stats' }, ['stat', 's']),
        this.nav('cfg', 'Configuration Menu', { k: 'cfg' }, ['c']),
        this.nav('oper', 'Operations Command Menu', { k: 'oper' }, ['o']),
      ],
      cfg: [
        this.nav('slb', 'Server Load Balancing (Layer 4-7) Configuration Menu', { k: 'slb' }),
        { name: 'dump', argc: 0, aliases: ['d'], help: 'Dump current configuration to script file', run: (t) => this.dump(t) },
        { name: 'cur', argc: 0, help: 'Display current configuration', run: (t) => t.out.push(renderBlocks(dumpBlocks(t.pending))) },
      ],
      slb: this.slbMenu(),
      real: this.realMenu(),
      group: this.groupMenu(),
      virt: this.virtMenu(),
      service: this.serviceMenu(),
      info: [this.nav('slb', 'Show Server Load Balancing Information', { k: 'infoslb' })],
      infoslb: this.infoMenu(),
      stats: [this.nav('slb', 'Server Load Balancing (Layer 4-7) Stats Menu', { k: 'statsslb' })],
      statsslb: this.statsMenu(),
      oper: [this.nav('slb', 'Server Load Balancing Operations Menu', { k: 'operslb' })],
      operslb: this.operMenu(),
    };
  }

  /** An id argument, asked for when missing on the last segment. */
  private withId(t: Txn, args: readonly string[], what: string, then: (t: Txn, id: number) => void): void {
    const { min, max } = LIMITS.id;
    if (args.length === 0) {
      if (!t.last) throw new CliError(`Error: ${what} number is missing.`);
      t.question = { prompt: `Enter ${what} number: (${min}-${max}) `, answer: (t2, a) => then(t2, parseNum(a, `${what} number`, min, max)) };
      return;
    }
    then(t, parseNum(args[0], `${what} number`, min, max));
  }

  private slbMenu(): Cmd[] {
    const status = (t: Txn, on: boolean): void => {
      t.out.push(`Current status: ${this.appliedCfg.on ? 'ON' : 'OFF'}\nNew status:     ${on ? 'ON' : 'OFF'}\n`);
      t.pending.on = on;
    };
    return [
      {
        name: 'real',
        argc: 1,
        help: 'Real Server Menu',
        run: (t, a) =>
          this.withId(t, a, 'real server', (t2, id) => {
            if (!t2.pending.reals.has(id)) t2.pending.reals.set(id, newReal(id));
            t2.pos = { k: 'real', id };
          }),
      },
      {
        name: 'group',
        argc: 1,
        help: 'Real Server Group Menu',
        run: (t, a) =>
          this.withId(t, a, 'real server group', (t2, id) => {
            if (!t2.pending.groups.has(id)) t2.pending.groups.set(id, newGroup(id));
            t2.pos = { k: 'group', id };
          }),
      },
      {
        name: 'virt',
        argc: 1,
        help: 'Virtual Server Menu',
        run: (t, a) =>
          this.withId(t, a, 'virtual server', (t2, id) => {
            if (!t2.pending.virts.has(id)) t2.pending.virts.set(id, newVirt(id));
            t2.pos = { k: 'virt', id };
          }),
      },
      { name: 'on', argc: 0, help: 'Globally turn Server Load Balancing ON', run: (t) => status(t, true) },
      { name: 'off', argc: 0, help: 'Globally turn Server Load Balancing OFF', run: (t) => status(t, false) },
      { name: 'cur', argc: 0, help: 'Display current SLB configuration', run: (t) => t.out.push(renderBlocks(dumpBlocks(t.pending))) },
    ];
  }

  // Value setters: print the applied and new pending value (Alteon's "Current …" / "New pending …").

  private setter<O>(
    name: string,
    help: string,
    label: string,
    get: (t: Txn) => O,
    applied: () => O | undefined,
    show: (v: O) => string,
    parse: (s: string, args: readonly string[]) => (o: O) => void,
    extra: Partial<Pick<Cmd, 'aliases' | 'values'>> = {},
  ): Cmd {
    return {
      name,
      help,
      argc: 1,
      ...extra,
      run: (t, args) => {
        const set = (t2: Txn, a: readonly string[]): void => {
          const o = get(t2);
          parse(a[0]!, a)(o);
          const ap = applied();
          t2.out.push(`Current ${label}: ${ap === undefined ? '(none)' : show(ap)}\nNew pending ${label}: ${show(o)}\n`);
          this.touch(t2);
        };
        if (args.length === 0) {
          if (!t.last) throw new CliError(`Error: ${name}: a value is missing.`);
          const o = get(t);
          const ap = applied();
          let s = `Current ${label}: ${ap === undefined ? '(none)' : show(ap)}\n`;
          if (ap === undefined || show(ap) !== show(o)) s += `Pending new ${label}: ${show(o)}\n`;
          t.out.push(s);
          t.question = {
            prompt: `Enter ${label}: `,
            answer: (t2, text) => {
              if (text === '') return;
              set(t2, words(text));
            },
          };
          return;
        }
        set(t, args);
      },
    };
  }

  private touch(t: Txn): void {
    const p = t.pos;
    if (p.k === 'real') t.pending.reals.get(p.id)!.touched = true;
    else if (p.k === 'group') t.pending.groups.get(p.id)!.touched = true;
    else if (p.k === 'virt') t.pending.virts.get(p.id)!.touched = true;
    else if (p.k === 'service') t.pending.virts.get(p.virt)!.touched = true;
  }

  private curReal(t: Txn): RealCfg {
    const p = t.pos as { k: 'real'; id: number };
    return t.pending.reals.get(p.id)!;
  }
  /** The applied object, or a fresh one (its defaults) when it is new. */
  private appliedReal(t: Txn): RealCfg {
    const id = (t.pos as { id: number }).id;
    return this.appliedCfg.reals.get(id) ?? newReal(id);
  }
  private curGroup(t: Txn): GroupCfg {
    return t.pending.groups.get((t.pos as { id: number }).id)!;
  }
  private curVirt(t: Txn): VirtCfg {
    return t.pending.virts.get((t.pos as { id: number }).id)!;
  }
  private curService(t: Txn): ServiceCfg {
    const p = t.pos as { virt: number; vport: number };
    return t.pending.virts.get(p.virt)!.services.get(p.vport)!;
  }

  private ipverCmd(): Cmd {
    return {
      name: 'ipver',
      argc: 1,
      help: 'Set IP version',
      values: () => ['v4', 'v6'],
      run: (t, a) => {
        if (a.length === 0) {
          t.out.push('Current IP version: v4\n');
          return;
        }
        if (a[0] === 'v6') throw new CliError('Error: IPv6 is not supported by this emulation; use ipver v4.');
        if (a[0] !== 'v4') throw new CliError(`Error: Invalid IP version "${a[0]}" (v4|v6).`);
        this.touch(t);
      },
    };
  }

  private realMenu(): Cmd[] {
    let cur: Txn | null = null;
    const num = (field: 'weight' | 'maxcon' | 'inter' | 'retry' | 'restr', help: string, label: string): Cmd =>
      this.setter<RealCfg>(
        field,
        help,
        label,
        (t) => ((cur = t), this.curReal(t)),
        () => (cur === null ? undefined : this.appliedReal(cur)),
        (r) => String(r[field]),
        (s) => {
          const n = parseNum(s, label, LIMITS[field].min, LIMITS[field].max);
          return (r) => void (r[field] = n);
        },
      );
    return [
      this.setter<RealCfg>(
        'rip',
        'Set IP addr of real server',
        'real server IP address',
        (t) => ((cur = t), this.curReal(t)),
        () => (cur === null ? undefined : this.appliedReal(cur)),
        (r) => ipv4ToString(r.rip),
        (s) => {
          const a = parseIp(s, 'IP address');
          return (r) => void (r.rip = a);
        },
      ),
      this.setter<RealCfg>(
        'name',
        'Set real server name',
        'real server name',
        (t) => ((cur = t), this.curReal(t)),
        () => (cur === null ? undefined : this.appliedReal(cur)),
        (r) => (r.name === '' ? 'none' : r.name),
        (s) => {
          if (s.length > 31) throw new CliError('Error: Name is longer than 31 characters.');
          return (r) => void (r.name = s === 'none' ? '' : s);
        },
      ),
      num('weight', 'Set server weight', 'real server weight'),
      num('maxcon', 'Set maximum number of connections', 'max connections'),
      num('inter', 'Set interval between health checks', 'health check interval'),
      num('retry', 'Set number of health check failures before down', 'number of failure retries'),
      num('restr', 'Set number of successful health checks before up', 'number of restore retries'),
      this.ipverCmd(),
      {
        name: 'addport',
        argc: 1,
        aliases: ['add'],
        help: 'Add real port to server',
        run: (t, a) => {
          const p = parseNum(a[0], 'real port', 1, 65534);
          const r = this.curReal(t);
          if (r.ports.includes(p)) throw new CliError(`Error: Real port ${p} is already on real server ${r.id}.`);
          if (r.ports.length >= 16) throw new CliError('Error: A real server has at most 16 real ports.');
          r.ports.push(p);
          this.touch(t);
        },
      },
      {
        name: 'remport',
        argc: 1,
        aliases: ['rem'],
        help: 'Remove real port from server',
        run: (t, a) => {
          const p = parseNum(a[0], 'real port', 1, 65534);
          const r = this.curReal(t);
          const i = r.ports.indexOf(p);
          if (i < 0) throw new CliError(`Error: Real port ${p} is not on real server ${r.id}.`);
          r.ports.splice(i, 1);
          this.touch(t);
        },
      },
      { name: 'ena', argc: 0, help: 'Enable real server', run: (t) => ((this.curReal(t).enabled = true), this.touch(t)) },
      { name: 'dis', argc: 0, help: 'Disable real server', run: (t) => ((this.curReal(t).enabled = false), this.touch(t)) },
      {
        name: 'del',
        argc: 0,
        help: 'Delete real server',
        run: (t) => {
          const id = (t.pos as { id: number }).id;
          t.pending.reals.delete(id);
          t.pos = { k: 'slb' };
          t.out.push(`Real server ${id} deleted.\n`);
        },
      },
      { name: 'cur', argc: 0, help: 'Display current real server configuration', run: (t) => t.out.push(renderBlocks([realBlock(this.curReal(t))])) },
    ];
  }

  private groupMenu(): Cmd[] {
    let cur: Txn | null = null;
    const get = (t: Txn): GroupCfg => ((cur = t), this.curGroup(t));
    const ap = (): GroupCfg | undefined => {
      if (cur === null) return undefined;
      const id = (cur.pos as { id: number }).id;
      return this.appliedCfg.groups.get(id) ?? newGroup(id);
    };
    return [
      this.setter<GroupCfg>(
        'metric',
        'Set metric used to select next server in group',
        'real server group metric',
        get,
        ap,
        (g) => g.metric,
        (s) => {
          const m = s.toLowerCase();
          if ((UNSUPPORTED_METRICS as readonly string[]).includes(m)) throw new CliError(`Error: Metric ${m} is not supported by this emulation; use ${METRICS.join(', ')}.`);
          if (!(METRICS as readonly string[]).includes(m)) throw new CliError(`Error: Invalid metric "${s}"; use ${METRICS.join(', ')}.`);
          return (g) => void (g.metric = m as GroupCfg['metric']);
        },
        { values: () => METRICS },
      ),
      this.setter<GroupCfg>(
        'health',
        'Set health check type',
        'health check type',
        get,
        ap,
        (g) => g.health,
        (s) => {
          const h = s.toLowerCase();
          if (!(HEALTH_TYPES as readonly string[]).includes(h)) throw new CliError(`Error: Invalid health check type "${s}"; use ${HEALTH_TYPES.join(', ')}.`);
          return (g) => void (g.health = h as GroupCfg['health']);
        },
        { values: () => HEALTH_TYPES },
      ),
      this.setter<GroupCfg>(
        'content',
        'Set health check content',
        'health check content',
        get,
        ap,
        (g) => (g.content === '' ? 'none' : g.content),
        (s) => {
          if (s.length > 127 || /\s/.test(s)) throw new CliError(`Error: Invalid content "${s}".`);
          return (g) => void (g.content = s === 'none' ? '' : s);
        },
      ),
      this.setter<GroupCfg>(
        'name',
        'Set descriptive real server group name',
        'real server group name',
        get,
        ap,
        (g) => (g.name === '' ? 'none' : g.name),
        (s) => {
          if (s.length > 31) throw new CliError('Error: Name is longer than 31 characters.');
          return (g) => void (g.name = s === 'none' ? '' : s);
        },
      ),
      this.setter<GroupCfg>(
        'backup',
        'Set backup real server',
        'backup server',
        get,
        ap,
        (g) => (g.backup === 0 ? 'none' : `r${g.backup}`),
        (s) => {
          if (s === 'none') return (g) => void (g.backup = 0);
          const m = /^r(\d+)$/.exec(s);
          if (m === null) throw new CliError(`Error: Invalid backup "${s}" (rN or none).`);
          const id = parseNum(m[1], 'real server number', LIMITS.id.min, LIMITS.id.max);
          return (g) => void (g.backup = id);
        },
      ),
      this.ipverCmd(),
      {
        name: 'add',
        argc: 1,
        help: 'Add real server',
        run: (t, a) =>
          this.withId(t, a, 'real server', (t2, id) => {
            const g = this.curGroup(t2);
            if (g.reals.includes(id)) throw new CliError(`Error: Real server ${id} is already in real server group ${g.id}.`);
            if (!t2.pending.reals.has(id) || !t2.pending.reals.get(id)!.touched) throw new CliError(`Error: Real server ${id} is not defined.`);
            g.reals.push(id);
            this.touch(t2);
          }),
      },
      {
        name: 'rem',
        argc: 1,
        help: 'Remove real server',
        run: (t, a) =>
          this.withId(t, a, 'real server', (t2, id) => {
            const g = this.curGroup(t2);
            const i = g.reals.indexOf(id);
            if (i < 0) throw new CliError(`Error: Real server ${id} is not in real server group ${g.id}.`);
            g.reals.splice(i, 1);
            this.touch(t2);
          }),
      },
      {
        name: 'del',
        argc: 0,
        help: 'Delete real server group',
        run: (t) => {
          const id = (t.pos as { id: number }).id;
          t.pending.groups.delete(id);
          t.pos = { k: 'slb' };
          t.out.push(`Real server group ${id} deleted.\n`);
        },
      },
      { name: 'cur', argc: 0, help: 'Display current group configuration', run: (t) => t.out.push(renderBlocks([groupBlock(this.curGroup(t))])) },
    ];
  }

  private virtMenu(): Cmd[] {
    let cur: Txn | null = null;
    const get = (t: Txn): VirtCfg => ((cur = t), this.curVirt(t));
    const ap = (): VirtCfg | undefined => {
      if (cur === null) return undefined;
      const id = (cur.pos as { id: number }).id;
      return this.appliedCfg.virts.get(id) ?? newVirt(id);
    };
    return [
      this.setter<VirtCfg>(
        'vip',
        'Set IP addr of virtual server',
        'virtual server IP address',
        get,
        ap,
        (v) => ipv4ToString(v.vip),
        (s) => {
          const a = parseIp(s, 'IP address');
          return (v) => void (v.vip = a);
        },
      ),
      this.setter<VirtCfg>(
        'vname',
        'Set descriptive virtual server name',
        'virtual server name',
        get,
        ap,
        (v) => (v.name === '' ? 'none' : v.name),
        (s) => {
          if (s.length > 31) throw new CliError('Error: Name is longer than 31 characters.');
          return (v) => void (v.name = s === 'none' ? '' : s);
        },
      ),
      this.ipverCmd(),
      {
        name: 'service',
        argc: (a) => (a.length >= 2 && (a[1] === 'basic-slb' || SERVICE_PORTS[a[1]!.toLowerCase()] !== undefined) ? 2 : Math.min(1, a.length)),
        help: 'Virtual Service Menu',
        values: () => Object.keys(SERVICE_PORTS),
        run: (t, a) => {
          const go = (t2: Txn, w: readonly string[]): void => {
            const vport = parseServicePort(w[0]!);
            if (w[1] !== undefined && w[1] !== 'basic-slb' && SERVICE_PORTS[w[1].toLowerCase()] === undefined) {
              throw new CliError(`Error: Invalid application "${w[1]}".`);
            }
            const v = this.curVirt(t2);
            if (!v.services.has(vport)) {
              if (v.services.size >= 64) throw new CliError('Error: A virtual server has at most 64 services.');
              v.services.set(vport, newService(vport));
            }
            v.touched = true;
            t2.pos = { k: 'service', virt: v.id, vport };
          };
          if (a.length === 0) {
            if (!t.last) throw new CliError('Error: service: a virtual port is missing.');
            t.question = { prompt: 'Enter virtual port: ', answer: (t2, text) => go(t2, words(text)) };
            return;
          }
          go(t, a);
        },
      },
      { name: 'ena', argc: 0, help: 'Enable virtual server', run: (t) => ((this.curVirt(t).enabled = true), this.touch(t)) },
      { name: 'dis', argc: 0, help: 'Disable virtual server', run: (t) => ((this.curVirt(t).enabled = false), this.touch(t)) },
      {
        name: 'del',
        argc: 0,
        help: 'Delete virtual server',
        run: (t) => {
          const id = (t.pos as { id: number }).id;
          t.pending.virts.delete(id);
          t.pos = { k: 'slb' };
          t.out.push(`Virtual server ${id} deleted.\n`);
        },
      },
      {
        name: 'cur',
        argc: 0,
        help: 'Display current virtual configuration',
        run: (t) => {
          const v = this.curVirt(t);
          t.out.push(renderBlocks([virtBlock(v), ...[...v.services.values()].sort((x, y) => x.vport - y.vport).map((s) => serviceBlock(v, s))]));
        },
      },
    ];
  }

  private serviceMenu(): Cmd[] {
    let cur: Txn | null = null;
    const get = (t: Txn): ServiceCfg => ((cur = t), this.curService(t));
    const ap = (): ServiceCfg | undefined => {
      if (cur === null) return undefined;
      const p = cur.pos as { virt: number; vport: number };
      return this.appliedCfg.virts.get(p.virt)?.services.get(p.vport) ?? newService(p.vport);
    };
    return [
      this.setter<ServiceCfg>(
        'group',
        'Set real server group number',
        'real server group',
        get,
        ap,
        (s) => String(s.group),
        (v) => {
          const n = parseNum(v, 'real server group number', LIMITS.id.min, LIMITS.id.max);
          return (s) => void (s.group = n);
        },
      ),
      this.setter<ServiceCfg>(
        'rport',
        'Set real port',
        'real server port',
        get,
        ap,
        (s) => String(s.rport),
        (v) => {
          const n = parseRport(v);
          return (s) => void (s.rport = n);
        },
      ),
      this.setter<ServiceCfg>(
        'protocol',
        'Set protocol for this virtual service (TCP/UDP)',
        'protocol',
        get,
        ap,
        (s) => s.protocol,
        (v) => {
          const p = v.toLowerCase();
          if (p !== 'tcp' && p !== 'udp') throw new CliError(`Error: Invalid protocol "${v}" (tcp|udp).`);
          return (s) => void (s.protocol = p);
        },
        { values: () => ['tcp', 'udp'] },
      ),
      this.setter<ServiceCfg>(
        'tmout',
        'Set minutes inactive connection remains open',
        'session timeout (minutes)',
        get,
        ap,
        (s) => String(s.tmout),
        (v) => {
          const n = parseNum(v, 'timeout', LIMITS.tmout.min, LIMITS.tmout.max);
          return (s) => void (s.tmout = n);
        },
      ),
      this.setter<ServiceCfg>(
        'pbind',
        'Set persistent binding type',
        'persistent binding type',
        get,
        ap,
        (s) => s.pbind,
        (v) => {
          const p = v.toLowerCase();
          if (p !== 'clientip' && p !== 'disable') throw new CliError(`Error: Invalid persistent binding type "${v}" (clientip|disable).`);
          return (s) => void (s.pbind = p);
        },
        { values: () => ['clientip', 'disable'] },
      ),
      this.setter<ServiceCfg>(
        'name',
        'Set descriptive virtual service name',
        'virtual service name',
        get,
        ap,
        (s) => (s.name === '' ? 'none' : s.name),
        (v) => {
          if (v.length > 32) throw new CliError('Error: Name is longer than 32 characters.');
          return (s) => void (s.name = v === 'none' ? '' : v);
        },
      ),
      {
        name: 'del',
        argc: 0,
        help: 'Delete virtual service',
        run: (t) => {
          const p = t.pos as { virt: number; vport: number };
          t.pending.virts.get(p.virt)!.services.delete(p.vport);
          t.pos = { k: 'virt', id: p.virt };
          t.out.push(`Virtual service ${serviceLabel(p.vport)} deleted.\n`);
        },
      },
      {
        name: 'cur',
        argc: 0,
        help: 'Display current virtual service configuration',
        run: (t) => {
          const p = t.pos as { virt: number };
          t.out.push(renderBlocks([serviceBlock(t.pending.virts.get(p.virt)!, this.curService(t))]));
        },
      },
    ];
  }

  // --- apply / save / diff / revert / dump ---------------------------------------------------------------

  private apply(t: Txn): void {
    const errs = validateConfig(t.pending);
    if (errs.length > 0) throw new CliError(`${errs.join('\n')}\nApply failed; pending changes kept (see "diff").`);
    t.actions.push(() => {
      const cfg = cloneConfig(this.pendingCfg);
      pruneUntouched(cfg);
      this.appliedCfg = cfg;
      this.pendingCfg = cloneConfig(cfg);
      this.lastApplied = this.runtime.now();
      this.runtime.apply(cloneConfig(cfg));
    });
    t.out.push(`${SEP}\nApply complete; don't forget to "save" updated configuration.\n`);
  }

  private save(t: Txn, args: readonly string[]): void {
    const finish = (t2: Txn): void => {
      t2.out.push('Request will first copy the FLASH "active" config to "backup",\nthen overlay FLASH "active" with new config.\n');
      const confirm = (t3: Txn, a: string): void => {
        if (!/^y(es)?$/i.test(a)) {
          t3.out.push('Save aborted.\n');
          return;
        }
        t3.actions.push(() => {
          this.savedCfg = cloneConfig(this.appliedCfg);
          this.lastSaved = this.runtime.now();
        });
        t3.out.push('New config successfully saved to FLASH.\n');
      };
      if (args[0] !== undefined && t2 === t) return confirm(t2, args[0]);
      t2.question = { prompt: 'Confirm saving to FLASH [y/n]: ', answer: confirm };
    };
    if (diffConfig(this.appliedCfg, t.pending) !== '') {
      t.question = {
        prompt: 'Confirm saving without first applying changes [y/n]: ',
        answer: (t2, a) => {
          if (!/^y(es)?$/i.test(a)) {
            t2.out.push('Save aborted.\n');
            return;
          }
          finish(t2);
        },
      };
      return;
    }
    finish(t);
  }

  private diff(t: Txn): void {
    const d = diffConfig(this.appliedCfg, t.pending);
    t.out.push(d === '' ? 'No pending configuration changes.\n' : d);
  }

  private revert(t: Txn): void {
    t.pending = cloneConfig(this.appliedCfg);
    // The menu may refer to an object that no longer exists.
    if (!this.posExists(t.pos, t.pending)) t.pos = MAIN;
    t.out.push('Pending configuration changes reverted.\n');
  }

  private posExists(p: Pos, c: SlbConfig): boolean {
    if (p.k === 'real') return c.reals.has(p.id);
    if (p.k === 'group') return c.groups.has(p.id);
    if (p.k === 'virt') return c.virts.has(p.id);
    if (p.k === 'service') return c.virts.get(p.virt)?.services.has(p.vport) ?? false;
    return true;
  }

  private dump(t: Txn): void {
    const now = this.runtime.now();
    let s = 'script start "Alteon Application Switch" 4  /**** DO NOT EDIT THIS LINE!\n';
    s += `/* Configuration dump taken ${alteonTime(this.epochNs, now)}\n`;
    if (this.lastApplied !== null) s += `/* Configuration last applied at ${alteonTime(this.epochNs, this.lastApplied)}\n`;
    if (this.lastSaved !== null) s += `/* Configuration last save at ${alteonTime(this.epochNs, this.lastSaved)}\n`;
    s += `/* Version 29.0.0.0, Base MAC address ${macText(this.baseMac)}\n`;
    s += renderBlocks(dumpBlocks(this.appliedCfg));
    s += '/\nscript end  /**** DO NOT EDIT THIS LINE!\n';
    t.out.push(s);
  }

  // --- /info/slb -----------------------------------------------------------------------------------------

  private requireApplied<T>(m: Map<number, T>, id: number, what: string): T {
    const o = m.get(id);
    if (o === undefined) throw new CliError(`Error: ${what} ${id} is not configured.`);
    return o;
  }

  private realState(r: RealCfg): string {
    const i = this.runtime.realInfo(r.id);
    if (!r.enabled || i.operDisabled) return 'disabled';
    if (i.ports.length > 0 && i.ports.every((p) => !p.up)) return 'DOWN';
    if (i.ports.some((p) => !p.up)) return 'DOWN';
    return 'up';
  }

  private realInfoText(r: RealCfg): string {
    const i = this.runtime.realInfo(r.id);
    let s = `${r.id}: ${ipv4ToString(r.rip)}, ${macText(i.mac)}, vlan 1, port ${i.port}, health ${r.retry}, ${this.realState(r)}\n`;
    if (i.ports.length > 0) s += `    real ports: ${i.ports.map((p) => `${p.port} ${p.up ? 'up' : 'DOWN'}`).join(', ')}\n`;
    return s;
  }

  private groupInfoText(g: GroupCfg): string {
    let s = `${g.id}: ${g.metric}, backup ${g.backup === 0 ? 'none' : `r${g.backup}`}, health ${g.health}${g.name ? `, ${g.name}` : ''}\n`;
    s += '    real servers:\n';
    for (const id of g.reals) {
      const r = this.appliedCfg.reals.get(id);
      if (r === undefined) continue;
      s += `    ${id}: ${ipv4ToString(r.rip)}, weight ${r.weight}, ${this.realState(r)}\n`;
    }
    return s;
  }

  private virtInfoText(v: VirtCfg): string {
    const hname = (g: GroupCfg | undefined): string => (g === undefined ? 'tcp' : g.health);
    let s = `${v.id}: IP4 ${ipv4ToString(v.vip)},   ${macText(this.runtime.vipMac())}${v.name ? `, vname ${v.name}` : ''}${v.enabled ? '' : ', disabled'}\n`;
    s += '    Virtual Services:\n';
    for (const svc of [...v.services.values()].sort((a, b) => a.vport - b.vport)) {
      const g = this.appliedCfg.groups.get(svc.group);
      const h = hname(g);
      s += `    ${serviceLabel(svc.vport)}: rport ${effectiveRport(svc)}, group ${svc.group}${svc.name ? `, ${svc.name}` : ''}, health ${h} (${h.toUpperCase()})${svc.protocol === 'udp' ? ', UDP' : ''}${svc.pbind === 'clientip' ? ', pbind clientip' : ''}\n`;
      s += '        Real Servers:\n';
      for (const id of g?.reals ?? []) {
        const r = this.appliedCfg.reals.get(id);
        if (r === undefined) continue;
        const info = this.runtime.realInfo(id);
        const port = effectiveRport(svc);
        const pstate = info.ports.find((p) => p.port === port);
        let st = 'UP';
        if (!r.enabled || info.operDisabled) st = 'DISABLED';
        else if (pstate !== undefined && !pstate.up) st = 'DOWN';
        s += `        ${id}: ${ipv4ToString(r.rip)}${r.name ? `, ${r.name}` : ''}, group ena, health  (runtime ${h.toUpperCase()}), 0 ms, ${st}\n`;
      }
    }
    return s;
  }

  private infoMenu(): Cmd[] {
    const c = (): SlbConfig => this.appliedCfg;
    return [
      {
        name: 'real',
        argc: 1,
        help: 'Show real server information',
        run: (t, a) => this.withId(t, a, 'real server', (t2, id) => t2.out.push(this.realInfoText(this.requireApplied(c().reals, id, 'Real server')))),
      },
      {
        name: 'group',
        argc: 1,
        help: 'Show real server group information',
        run: (t, a) => this.withId(t, a, 'real server group', (t2, id) => t2.out.push(this.groupInfoText(this.requireApplied(c().groups, id, 'Real server group')))),
      },
      {
        name: 'virt',
        argc: 1,
        help: 'Show virtual server information',
        run: (t, a) => this.withId(t, a, 'virtual server', (t2, id) => t2.out.push(this.virtInfoText(this.requireApplied(c().virts, id, 'Virtual server')))),
      },
      {
        name: 'dump',
        argc: 0,
        help: 'Dump all SLB information',
        run: (t) => {
          let s = `SLB is ${c().on ? 'ON' : 'OFF'}\nReal server state:\n`;
          for (const r of [...c().reals.values()].sort((x, y) => x.id - y.id)) s += this.realInfoText(r);
          s += 'Real server group state:\n';
          for (const g of [...c().groups.values()].sort((x, y) => x.id - y.id)) s += this.groupInfoText(g);
          s += 'Virtual server state:\n';
          for (const v of [...c().virts.values()].sort((x, y) => x.id - y.id)) s += this.virtInfoText(v);
          t.out.push(s);
        },
      },
    ];
  }

  // --- /stats/slb ------------------------------------------------------------------------------------------

  private table(head: string, rows: { id: string; ip: string; c: SessionCounters }[], totalIp: string): string {
    const n = (x: number, w: number): string => String(x).padStart(w);
    const line = `----  ---------------  --------  --------  --------  ----------\n`;
    let s = `${head}\n`;
    s += `${''.padEnd(23)}Current     Total   Highest\n`;
    s += `Real  IP address       Sessions  Sessions  Sessions      Octets\n`;
    s += line;
    let cur = 0;
    let tot = 0;
    let hi = 0;
    let oct = 0;
    for (const r of rows) {
      s += `${r.id.padEnd(4)}  ${r.ip.padEnd(15)}  ${n(r.c.current, 8)}  ${n(r.c.total, 8)}  ${n(r.c.highest, 8)}  ${n(r.c.octets, 10)}\n`;
      cur += r.c.current;
      tot += r.c.total;
      hi += r.c.highest;
      oct += r.c.octets;
    }
    s += line;
    s += `${''.padEnd(4)}  ${totalIp.padEnd(15)}  ${n(cur, 8)}  ${n(tot, 8)}  ${n(hi, 8)}  ${n(oct, 10)}\n`;
    return s;
  }

  private statsMenu(): Cmd[] {
    const c = (): SlbConfig => this.appliedCfg;
    return [
      {
        name: 'real',
        argc: 1,
        help: 'Real server SLB stats',
        run: (t, a) =>
          this.withId(t, a, 'real server', (t2, id) => {
            this.requireApplied(c().reals, id, 'Real server');
            const st = this.runtime.realStats(id);
            const hc = this.runtime.realInfo(id).healthFailures;
            const kv = (k: string, v: number): string => `${`${k}:`.padEnd(28)}${String(v).padStart(10)}\n`;
            t2.out.push(`Real server ${id} stats:\n${kv('Health check failures', hc)}${kv('Current sessions', st.current)}${kv('Total sessions', st.total)}${kv('Highest sessions', st.highest)}${kv('Octets', st.octets)}`);
          }),
      },
      {
        name: 'group',
        argc: 1,
        help: 'Real server group SLB stats',
        run: (t, a) =>
          this.withId(t, a, 'real server group', (t2, id) => {
            const g = this.requireApplied(c().groups, id, 'Real server group');
            const rows = g.reals.map((r) => ({ id: String(r), ip: ipv4ToString(c().reals.get(r)?.rip ?? 0), c: this.runtime.groupStats(id, r) }));
            t2.out.push(this.table(`Real server group ${id} stats:`, rows, ''));
          }),
      },
      {
        name: 'virt',
        argc: 1,
        help: 'Virtual server SLB stats',
        run: (t, a) =>
          this.withId(t, a, 'virtual server', (t2, id) => {
            const v = this.requireApplied(c().virts, id, 'Virtual server');
            const reals: number[] = [];
            for (const s of v.services.values()) for (const r of c().groups.get(s.group)?.reals ?? []) if (!reals.includes(r)) reals.push(r);
            reals.sort((x, y) => x - y);
            const rows = reals.map((r) => ({ id: String(r), ip: ipv4ToString(c().reals.get(r)?.rip ?? 0), c: this.runtime.virtStats(id, r) }));
            t2.out.push(this.table(`Virtual server ${id} stats:`, rows, ipv4ToString(v.vip)));
          }),
      },
      {
        name: 'maint',
        argc: 0,
        help: 'SLB maintenance stats',
        run: (t) => {
          let s = 'SLB Maintenance Stats:\n';
          for (const [k, v] of maintLines(this.runtime.maint())) s += `${`${k}:`.padEnd(34)}${v}\n`;
          t.out.push(s);
        },
      },
      {
        name: 'clear',
        argc: 0,
        help: 'Clear all SLB stats',
        run: (t) => {
          t.actions.push(() => this.runtime.clearStats());
          t.out.push('Server Load Balancing statistics cleared.\n');
        },
      },
    ];
  }

  // --- /oper/slb ---------------------------------------------------------------------------------------------

  private operMenu(): Cmd[] {
    const op = (dis: boolean): Cmd => ({
      name: dis ? 'dis' : 'ena',
      argc: 1,
      help: dis ? 'Disable real server' : 'Enable real server',
      run: (t, a) =>
        this.withId(t, a, 'real server', (t2, id) => {
          this.requireApplied(this.appliedCfg.reals, id, 'Real server');
          t2.actions.push(() => this.runtime.setOperDisabled(id, dis));
          t2.out.push(`Real server ${id} ${dis ? 'operationally disabled' : 'operationally enabled'}.\n`);
        }),
    });
    return [op(true), op(false)];
  }
}

