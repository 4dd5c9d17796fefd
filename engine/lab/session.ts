/**
 * A running lab: the built topology plus the steps, the actions the lab performs, and the checks,
 * evaluated on demand. It serves both modes:
 *
 * - auto (`pktlab run`, runner.ts): for each step, enterStep → runSetup → runSolution → settle → check;
 * - student (the app): enterStep and runSetup when the student opens a step, the student types into
 *   `console(device)`, and `check(step)` when asked. A console check on a solution action the lab
 *   did not run looks at the student's own runs of that action's commands.
 *
 * A capture check sees the packets recorded since the step was entered. `dispose()` stops it all.
 *
 * Time: the work that waits (a command, a sleep, a traffic action, the settle) is written once as a
 * Flow, a generator that yields what it waits for. `drive()` runs a flow synchronously in virtual
 * time (the sync methods: run, perform, check, ...). Once a host is real (`makeReal`, engine/tap) the
 * lab lives in wall time: a RealTimePacer runs the scheduler and `driveAsync()` awaits each wait
 * (the *Async methods); the sync methods then refuse.
 */
import type { Execution, ShellSink } from '../devices/shell.ts';
import type { Network } from '../net/network.ts';
import { RealTimePacer } from '../sim/pacer.ts';
import type { Timer } from '../sim/scheduler.ts';
import { ms, sec, type Nanos } from '../sim/time.ts';
import { makeReal, type RealNode } from '../tap/index.ts';
import { ipv4ToString } from '../wire/addr.ts';
import { buildTopology, COMMAND_LIMIT, type BuildOptions, type ConsoleTarget, type Topology } from './build.ts';
import type { CaptureStore, CapturePoint } from './captures.ts';
import { evaluateChecks, type CheckContext, type CheckResult, type ConsoleRecord } from './checks.ts';
import { formatProblem, loadLab, type LabProblem } from './load.ts';
import { localText, normalizeLab, type LocalText, type NormalAction, type NormalLab } from './normalize.ts';
import type { Check } from './schema.ts';
import { realConsole, realState, RealExecution, REAL_COMMAND_LIMIT, startRealTraffic, type RealClock } from './real.ts';
import { httpRequestRecord, startTraffic, type TrafficRequest, type TrafficResult, type TrafficSpec } from './traffic.ts';

export interface StepInfo {
  readonly index: number;
  readonly id: string;
  readonly title: LocalText;
  readonly instructions: LocalText;
  readonly hints: readonly LocalText[];
  readonly checks: readonly { readonly id: string; readonly weight: number; readonly description: LocalText | null }[];
  readonly setup: readonly NormalAction[];
  readonly solution: readonly NormalAction[];
}

export interface ActionResult {
  readonly kind: NormalAction['kind'];
  readonly id: string | null;
  /** The action as a script line or a short description (`alice> ping -c 1 10.0.0.2`, `sleep 2s`). */
  readonly text: string;
  /** Transcript: each command echoed as `DEVICE> COMMAND`, then its output. */
  readonly transcript: string;
  /** Last exit status of a console action; null for others. */
  readonly exitCode: number | null;
  readonly traffic?: TrafficResult;
}

export interface StepResult {
  readonly index: number;
  readonly id: string;
  readonly title: LocalText;
  readonly pass: boolean;
  /** Weight of the passed checks. */
  readonly earned: number;
  readonly total: number;
  readonly checks: readonly CheckResult[];
}

export interface Score {
  readonly earned: number;
  readonly total: number;
  readonly perStep: readonly { readonly index: number; readonly earned: number; readonly total: number; readonly checked: boolean; readonly pass: boolean }[];
}

/** An HTTP request a command in a device's console made (curl): what traffic checks fall back on. */
export interface ConsoleHttpRecord {
  readonly device: string;
  /** The effective URL and its parts (host as written, port, path with query). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly target: string;
  readonly request: TrafficRequest;
}

/** `http://host[:port]/path?q` → its parts (port 80 by default). */
function splitUrl(url: string): { host: string; port: number; target: string } | null {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/:?#]+)(?::(\d+))?([^#]*)/.exec(url.trim());
  if (m === null) return null;
  const scheme = (m[1] ?? 'http').toLowerCase();
  return { host: m[2]!.toLowerCase(), port: m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : 80, target: m[4] || '/' };
}

/** Virtual time the auto mode lets pass after a step's actions (closing handshakes, late replies). */
export const SETTLE_TIME: Nanos = sec(1);

function actionText(a: NormalAction): string {
  switch (a.kind) {
    case 'console':
      return a.commands.map((c) => `${a.device}> ${c}`).join('\n');
    case 'wait':
      return `sleep ${fmtDuration(a.duration)}`;
    case 'traffic': {
      const s = a.spec;
      const target = s.url ?? `${s.protocol ?? 'tcp'} ${s.to}:${s.port ?? ''}`;
      return `traffic ${s.from} → ${target} ×${s.count ?? 1}${(s.concurrency ?? 1) > 1 ? ` (${s.concurrency} at a time)` : ''}${s.background ? ' in the background' : ''}`;
    }
    case 'fault':
      return `fault ${a.target} ${a.name} ${a.op}`;
  }
}

function fmtDuration(ns: Nanos): string {
  if (ns % 1_000_000_000 === 0) return `${ns / 1_000_000_000}s`;
  if (ns % 1_000_000 === 0) return `${ns / 1_000_000}ms`;
  return `${ns}ns`;
}

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ');

export interface SessionOptions extends BuildOptions {}

/** What a flow waits for: virtual time to pass, or a condition (at most `limit`). */
export type Wait =
  | { readonly kind: 'time'; readonly ns: Nanos }
  | {
      readonly kind: 'until';
      readonly done: () => boolean;
      readonly limit: Nanos;
      /** Calls `wake` when `done` may have turned true (else the async driver polls). */
      readonly onChange?: (wake: () => void) => void;
    };

/** Lab work written once for both drivers: yields its waits, returns its result. */
export type Flow<T> = Generator<Wait, T, void>;

/** A host that cannot be made real. `exitCode`: 2 for a bad name or kind, 1 when the system refuses. */
export class RealHostError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** How often the async driver re-checks a condition that has no change notification. */
const POLL: Nanos = ms(10);

export class LabSession {
  readonly steps: readonly StepInfo[];
  /** Index of the step the student (or the runner) is on. */
  currentStep = 0;
  /** Every line typed into a console through `console()` or `run()`, oldest first. */
  readonly consoleLog: ConsoleRecord[] = [];
  /** Every HTTP request a console command made (curl), oldest first. */
  readonly httpLog: ConsoleHttpRecord[] = [];
  private topo: Topology;
  private stepStart: number[] = [];
  /** Virtual time each step was entered (typed requests count from then). */
  private stepTime: Nanos[] = [];
  private readonly actionOutputs = new Map<string, ConsoleRecord>();
  private readonly trafficResults = new Map<string, TrafficResult>();
  private readonly results: (StepResult | undefined)[] = [];
  private readonly consoles = new Map<string, ConsoleTarget>();
  private disposed = false;
  private readonly reals = new Map<string, RealNode>();
  private realPacer: RealTimePacer | null = null;
  private pacerError: { error: unknown } | null = null;
  /** Pending async waits; a pacer failure ends them with its error. */
  private readonly waiters = new Set<(err?: { error: unknown }) => void>();

  constructor(
    readonly lab: NormalLab,
    private readonly opts: SessionOptions = {},
  ) {
    this.steps = lab.lab.steps.map((s, index) => ({
      index,
      id: s.id,
      title: localText(s.title),
      instructions: localText(s.instructions),
      hints: (s.hints ?? []).map(localText),
      checks: (s.checks ?? []).map((c) => ({ id: c.id, weight: c.weight ?? 1, description: c.description === undefined ? null : localText(c.description) })),
      setup: lab.steps[index]!.setup,
      solution: lab.steps[index]!.solution,
    }));
    this.topo = buildTopology(lab, opts);
    this.stepStart[0] = this.topo.captures.total;
    this.stepTime[0] = this.now;
    this.observeHttp();
  }

  /** Records the HTTP requests the hosts' consoles make (curl). */
  private observeHttp(): void {
    for (const d of this.topo.devices.values()) {
      if (d.host === null) continue;
      const device = d.name;
      d.host.observeHttp((r, start) => {
        const u = splitUrl(r.url);
        if (u !== null) this.httpLog.push({ device, url: r.url, ...u, request: httpRequestRecord(this.httpLog.length, start, this.now, r) });
      });
    }
  }

  /** Loads, validates and builds a lab file's text; problems come back instead of a session. */
  static open(text: string, file: string, opts: SessionOptions = {}): { session: LabSession; problems: [] } | { session: null; problems: LabProblem[] } {
    const r = loadLab(text, file);
    if (r.lab === null) return { session: null, problems: r.problems };
    return { session: new LabSession(normalizeLab(r.lab), opts), problems: [] };
  }

  get id(): string {
    return this.lab.lab.id;
  }
  get title(): LocalText {
    return localText(this.lab.lab.title);
  }
  get network(): Network {
    return this.topo.network;
  }
  get topology(): Topology {
    return this.topo;
  }
  /** The capture points and their packets (pcapng via `recorder.toBytes()`). */
  get recorder(): CaptureStore {
    return this.topo.captures;
  }
  get seed(): number {
    return this.topo.seed;
  }
  get epochNs(): bigint {
    return this.topo.epochNs;
  }
  get now(): Nanos {
    return this.topo.network.now;
  }

  devices(): string[] {
    return [...this.topo.devices.keys()];
  }

  capturePoints(): readonly CapturePoint[] {
    return this.topo.captures.points;
  }

  resolveHost(name: string): number | null {
    return this.topo.resolveHost(name);
  }

  /** The pcapng of everything captured so far. */
  pcap(): Uint8Array {
    return this.topo.captures.toBytes();
  }

  /**
   * A device's console (exec / prompt / complete / greeting). Lines typed into it are kept in
   * `consoleLog` once they finish. The caller drives virtual time (or use `run`).
   */
  console(device: string): ConsoleTarget | null {
    const d = this.topo.devices.get(device);
    if (d === undefined) return null;
    let c = this.consoles.get(device);
    if (c === undefined) {
      const real = this.reals.get(device);
      const inner = real ? realConsole(device, real.host) : d.console;
      c = {
        kind: inner.kind,
        prompt: () => inner.prompt(),
        complete: (b) => inner.complete(b),
        greeting: (lang) => inner.greeting(lang),
        exec: (line, sink) => {
          const ex = inner.exec(line, sink);
          ex.onDone((code) => this.consoleLog.push({ device, commands: [line], output: ex.output, exitCode: code }));
          return ex;
        },
      };
      this.consoles.set(device, c);
    }
    return c;
  }

  // ---- real hosts ----------------------------------------------------------------------------------

  /** Hosts the lab declares `real: true`. */
  declaredReal(): string[] {
    return Object.entries(this.lab.lab.topology.devices)
      .filter(([, d]) => d.kind === 'host' && d.real === true)
      .map(([n]) => n);
  }

  /** Hosts that are real now. */
  realHosts(): string[] {
    return [...this.reals.keys()];
  }

  realNode(device: string): RealNode | undefined {
    return this.reals.get(device);
  }

  /** While a host is real the lab runs in wall time; drive it with the *Async methods. */
  get realTime(): boolean {
    return this.reals.size > 0;
  }

  /** The pacer running the network in wall time while a host is real, else null. */
  get pacer(): RealTimePacer | null {
    return this.reals.size > 0 ? this.realPacer : null;
  }

  /**
   * Makes the declared real hosts and `extra` real (a `pktlab-` namespace and TAP each, engine/tap)
   * and starts wall-time pacing. Returns notes for the user. Throws RealHostError (nothing is left
   * real then).
   */
  async makeReal(extra: readonly string[] = []): Promise<string[]> {
    const names = [...new Set([...this.declaredReal(), ...extra])];
    const hosts = this.devices().filter((n) => this.topo.devices.get(n)!.kind === 'host');
    for (const n of names) {
      const d = this.topo.devices.get(n);
      if (d === undefined) throw new RealHostError(`the lab has no host called '${n}' (hosts: ${hosts.join(', ')})`, 2);
      if (d.kind !== 'host') {
        const what = d.kind === 'l4switch' ? 'an L4 switch (kind: l4switch)' : `a ${d.kind}`;
        throw new RealHostError(`${n} is ${what}; only a plain host (kind: host) can be real (hosts: ${hosts.join(', ')})`, 2);
      }
      if (d.interfaces.size !== 1) throw new RealHostError(`${n} has ${d.interfaces.size} interfaces; a real host has exactly one`, 2);
    }
    const notes: string[] = [];
    this.realPacer ??= new RealTimePacer(this.network.sched, { speed: 1, onError: (e) => this.failed(e) });
    try {
      for (const n of names) {
        if (this.reals.has(n)) continue;
        let r: RealNode;
        try {
          r = await makeReal(this.network, this.topo.devices.get(n)!.node, { lab: this.id, pacer: this.realPacer });
        } catch (e) {
          throw new RealHostError(`real host ${n}: ${String((e as Error)?.message ?? e).replace(/^pktlab: /, '')}`, 1);
        }
        this.reals.set(n, r);
        this.consoles.delete(n);
        const dev = this.lab.lab.topology.devices[n]!;
        const svc = dev.kind === 'host' && dev.services ? Object.keys(dev.services) : [];
        if (svc.length) notes.push(`${n} is real: its emulated ${svc.join(', ')} service does not run; start a real server in namespace ${r.host.namespace}`);
      }
    } catch (e) {
      await this.releaseReal();
      throw e;
    }
    return notes;
  }

  /** Gives every real host back to the engine (namespaces and TAPs removed) and stops pacing. */
  private async releaseReal(): Promise<void> {
    const all = [...this.reals.values()];
    this.reals.clear();
    for (const [n] of this.consoles) if (all.some((r) => r.node.name === n)) this.consoles.delete(n);
    for (const r of all) await r.dispose().catch(() => {});
    this.realPacer?.stop();
  }

  private failed(error: unknown): void {
    this.pacerError = { error };
    for (const w of [...this.waiters]) w(this.pacerError);
  }

  // ---- drivers -------------------------------------------------------------------------------------

  /** Runs a flow to its end synchronously in virtual time. Refused while a host is real. */
  drive<T>(flow: Flow<T>): T {
    if (this.realTime) {
      flow.return(undefined as T);
      throw new Error(`the lab has real hosts (${this.realHosts().join(', ')}) and runs in wall time: use the async methods`);
    }
    for (let s = flow.next(); ; s = flow.next()) {
      if (s.done) return s.value;
      const w = s.value;
      if (w.kind === 'time') this.network.runFor(w.ns);
      else this.network.runUntilCondition(w.done, w.limit);
    }
  }

  /** Runs a flow: in wall time under the pacer while a host is real, else as drive(). */
  async driveAsync<T>(flow: Flow<T>): Promise<T> {
    if (!this.realTime) return this.drive(flow);
    let s = this.resume(() => flow.next());
    for (;;) {
      if (s.done) return s.value;
      let err: { error: unknown } | null = null;
      try {
        await this.waitReal(s.value);
      } catch (e) {
        err = { error: e };
      }
      s = this.resume(() => (err ? flow.throw(err.error) : flow.next()));
    }
  }

  /** Continues a flow at the current virtual time, then lets the pacer plan for what it scheduled. */
  private resume<T>(fn: () => T): T {
    const pacer = this.realPacer!;
    if (!this.network.sched.running) pacer.sync();
    try {
      return fn();
    } finally {
      pacer.wake();
    }
  }

  /** One wait in wall time: a scheduler timer the pacer fires, or the condition turning true. */
  private waitReal(w: Wait): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pacerError) return reject(this.pacerError.error);
      if (w.kind === 'until' && w.done()) return resolve();
      const sched = this.network.sched;
      const pacer = this.realPacer!;
      if (!sched.running) pacer.sync();
      let poll: Timer | null = null;
      let settled = false;
      const end = (err?: { error: unknown }): void => {
        if (settled) return;
        settled = true;
        limit.cancel();
        poll?.cancel();
        this.waiters.delete(end);
        if (err) reject(err.error);
        else resolve();
      };
      this.waiters.add(end);
      const limit = sched.after(w.kind === 'time' ? w.ns : w.limit, () => end(), 'lab-wait');
      if (w.kind === 'until') {
        const check = (): void => {
          if (!settled && w.done()) end();
        };
        if (w.onChange) w.onChange(check);
        else {
          const again = (): void => {
            check();
            if (!settled) poll = sched.after(POLL, again, 'lab-poll');
          };
          poll = sched.after(POLL, again, 'lab-poll');
        }
      }
      pacer.wake();
    });
  }

  /** Virtual time and timers for wall-time work started outside scheduler events. */
  private realClock(): RealClock {
    const sched = this.network.sched;
    const pacer = this.realPacer!;
    return {
      now: () => (sched.running ? sched.now : pacer.virtualNow()),
      after: (dt, fn) => {
        if (!sched.running) pacer.sync();
        const t = sched.after(dt, fn, 'real-traffic');
        pacer.wake();
        return t;
      },
    };
  }

  // ---- flows ---------------------------------------------------------------------------------------

  /** A line on a device's console, to completion (interrupted at `limit`; on a real host at most REAL_COMMAND_LIMIT). */
  *runFlow(device: string, line: string, sink?: ShellSink, limit: Nanos = COMMAND_LIMIT): Flow<Execution> {
    const d = this.topo.devices.get(device);
    if (d === undefined) throw new Error(`no device ${device} (devices: ${this.devices().join(', ')})`);
    const c = this.console(device)!;
    const ex = c.exec(line, sink);
    if (d.host) {
      const until = (l: Nanos): Wait => ({ kind: 'until', done: () => ex.done, limit: l, onChange: (wake) => ex.onDone(wake) });
      yield until(this.reals.has(device) ? Math.min(limit, REAL_COMMAND_LIMIT) : limit);
      if (!ex.done) {
        ex.interrupt();
        yield until(sec(1));
      }
      if (!ex.done && ex instanceof RealExecution) {
        ex.kill();
        yield until(sec(1));
      }
    }
    return ex;
  }

  *sleepFlow(ns: Nanos): Flow<void> {
    yield { kind: 'time', ns };
  }

  *setupFlow(i: number = this.currentStep): Flow<ActionResult[]> {
    if (i !== this.currentStep || this.stepStart[i] === undefined) this.enterStep(i);
    const out: ActionResult[] = [];
    for (const a of this.step(i).setup) out.push(yield* this.performFlow(a));
    return out;
  }

  *solutionFlow(i: number = this.currentStep): Flow<ActionResult[]> {
    if (i !== this.currentStep || this.stepStart[i] === undefined) this.enterStep(i);
    const out: ActionResult[] = [];
    for (const a of this.step(i).solution) out.push(yield* this.performFlow(a));
    return out;
  }

  // ---- the synchronous API (virtual time) and its async twins ------------------------------------

  /** Runs a line on a device's console to completion in virtual time (interrupted at `limit`). */
  run(device: string, line: string, sink?: ShellSink, limit: Nanos = COMMAND_LIMIT): Execution {
    return this.drive(this.runFlow(device, line, sink, limit));
  }

  runAsync(device: string, line: string, sink?: ShellSink, limit: Nanos = COMMAND_LIMIT): Promise<Execution> {
    return this.driveAsync(this.runFlow(device, line, sink, limit));
  }

  /** Lets virtual time pass. */
  sleep(ns: Nanos): void {
    this.drive(this.sleepFlow(ns));
  }

  sleepAsync(ns: Nanos): Promise<void> {
    return this.driveAsync(this.sleepFlow(ns));
  }

  /** Makes step `i` current; its capture checks see packets from now on. */
  enterStep(i: number): StepInfo {
    const s = this.step(i);
    this.currentStep = i;
    this.stepStart[i] = this.topo.captures.total;
    this.stepTime[i] = this.now;
    return s;
  }

  /** Performs the step's setup actions (entering the step first if it is not current). */
  runSetup(i: number = this.currentStep): ActionResult[] {
    return this.drive(this.setupFlow(i));
  }

  runSetupAsync(i: number = this.currentStep): Promise<ActionResult[]> {
    return this.driveAsync(this.setupFlow(i));
  }

  /** Performs the step's solution actions (what the student would do). */
  runSolution(i: number = this.currentStep): ActionResult[] {
    return this.drive(this.solutionFlow(i));
  }

  runSolutionAsync(i: number = this.currentStep): Promise<ActionResult[]> {
    return this.driveAsync(this.solutionFlow(i));
  }

  /** Lets `SETTLE_TIME` pass, so packets a step's actions caused are seen in that step. */
  settle(): void {
    this.sleep(SETTLE_TIME);
  }

  settleAsync(): Promise<void> {
    return this.sleepAsync(SETTLE_TIME);
  }

  perform(a: NormalAction): ActionResult {
    return this.drive(this.performFlow(a));
  }

  performAsync(a: NormalAction): Promise<ActionResult> {
    return this.driveAsync(this.performFlow(a));
  }

  *performFlow(a: NormalAction): Flow<ActionResult> {
    const text = actionText(a);
    switch (a.kind) {
      case 'console': {
        let transcript = '';
        let output = '';
        let code: number | null = null;
        for (const cmd of a.commands) {
          const ex = yield* this.runFlow(a.device, cmd);
          transcript += `${a.device}> ${cmd}\n${ex.output}${ex.output === '' || ex.output.endsWith('\n') ? '' : '\n'}`;
          output += ex.output;
          code = ex.exitCode;
        }
        if (a.id !== null) this.actionOutputs.set(a.id, { device: a.device, commands: a.commands, output, exitCode: code });
        return { kind: a.kind, id: a.id, text, transcript, exitCode: code };
      }
      case 'wait':
        yield* this.sleepFlow(a.duration);
        return { kind: a.kind, id: null, text, transcript: `${text}\n`, exitCode: null };
      case 'traffic': {
        const d = this.topo.devices.get(a.spec.from);
        if (!d?.host) throw new Error(`traffic from ${a.spec.from}: not a host`);
        const real = this.reals.get(a.spec.from);
        const t = real
          ? startRealTraffic({ from: a.spec.from, host: real.host, spec: a.spec, clock: this.realClock(), resolve: (n) => this.nameOf(a.spec.from, n) })
          : startTraffic(d.host, a.spec);
        if (a.spec.background) {
          // Runs on as virtual time passes; checks see its requests as they are then.
          if (a.spec.id !== undefined) this.trafficResults.set(a.spec.id, t.result);
          yield* this.sleepFlow(0);
          return { kind: a.kind, id: a.spec.id ?? null, text, transcript: `${text}: started\n`, exitCode: null, traffic: t.result };
        }
        yield { kind: 'until', done: () => t.result.done, limit: t.limit };
        if (!t.result.done) t.cancel();
        if (a.spec.id !== undefined) this.trafficResults.set(a.spec.id, t.result);
        const okN = t.result.requests.filter((r) => r?.ok).length;
        return { kind: a.kind, id: a.spec.id ?? null, text, transcript: `${text}: ${okN}/${t.result.count} succeeded\n`, exitCode: null, traffic: t.result };
      }
      case 'fault':
        this.fault(a.target, a.name, a.op);
        return { kind: a.kind, id: null, text, transcript: `${text}\n`, exitCode: null };
    }
  }

  private fault(target: 'link' | 'segment' | 'device' | 'service', name: string, op: 'down' | 'up' | 'stop' | 'start'): void {
    const up = op === 'up' || op === 'start';
    switch (target) {
      case 'link':
        this.network.link(name).up = up;
        return;
      case 'segment':
        // A switch that fails: its members lose carrier.
        for (const m of this.lab.segments.get(name) ?? []) this.topo.iface(m).up = up;
        return;
      case 'device': {
        const d = this.topo.devices.get(name);
        if (!d) throw new Error(`no device ${name}`);
        for (const i of d.interfaces.values()) i.up = up;
        return;
      }
      case 'service': {
        const [dev, svc] = name.split('.') as [string, string];
        if (this.reals.has(dev)) throw new Error(`${name}: ${dev} is a real host; its services are real processes in namespace ${this.reals.get(dev)!.host.namespace}`);
        const h = this.topo.devices.get(dev)?.host;
        if (!h) throw new Error(`no host ${dev}`);
        const unit = svc === 'http' ? 'nginx' : 'named';
        const err = up ? h.startService(unit) : h.stopService(unit);
        if (err) throw new Error(`${name}: ${err}`);
      }
    }
  }

  /** Evaluates the step's checks now and keeps the result for the score. */
  check(i: number = this.currentStep): StepResult {
    return this.drive(this.checkFlow(i));
  }

  checkAsync(i: number = this.currentStep): Promise<StepResult> {
    return this.driveAsync(this.checkFlow(i));
  }

  /** The checks one by one; a console check's `command` runs (as a flow) just before it is evaluated. */
  *checkFlow(i: number = this.currentStep): Flow<StepResult> {
    const s = this.step(i);
    const checks = (this.lab.lab.steps[i]!.checks ?? []) as Check[];
    const since = this.stepStart[i] ?? 0;
    const results: CheckResult[] = [];
    for (const c of checks) {
      let ran: (() => Execution) | null = null;
      if ('console' in c && c.console.action === undefined && c.console.command !== undefined && c.console.device !== undefined) {
        try {
          const ex = yield* this.runFlow(c.console.device, c.console.command);
          ran = () => ex;
        } catch (e) {
          ran = () => {
            throw e;
          };
        }
      }
      const ctx: CheckContext = {
        topo: this.topo,
        packets: (point) => {
          const p = this.topo.captures.point(point);
          return p === undefined ? null : { point: p, packets: this.topo.captures.packets(p.index, since) };
        },
        consoleAction: (id) => this.consoleAction(id),
        traffic: (id) => this.trafficResults.get(id) ?? this.typedTraffic(id, i),
        run: (device, line) => (ran !== null ? ran() : this.run(device, line)),
        real: (device) => {
          const r = this.reals.get(device);
          return r === undefined ? null : realState(r.host);
        },
      };
      results.push(...evaluateChecks([c], ctx));
    }
    const earned = results.filter((r) => r.pass).reduce((a, r) => a + r.weight, 0);
    const total = results.reduce((a, r) => a + r.weight, 0);
    const r: StepResult = { index: i, id: s.id, title: s.title, pass: results.every((c) => c.pass), earned, total, checks: results };
    this.results[i] = r;
    return r;
  }

  /** The step's hints (the app shows them one at a time). */
  hints(i: number = this.currentStep): readonly LocalText[] {
    return this.step(i).hints;
  }

  /** Score over every step: passed weight / total weight (steps not checked yet count as 0). */
  score(): Score {
    const perStep = this.steps.map((s, index) => {
      const r = this.results[index];
      const total = s.checks.reduce((a, c) => a + c.weight, 0);
      return { index, earned: r?.earned ?? 0, total, checked: r !== undefined, pass: r?.pass ?? false };
    });
    return { earned: perStep.reduce((a, s) => a + s.earned, 0), total: perStep.reduce((a, s) => a + s.total, 0), perStep };
  }

  /** Rebuilds the lab from scratch (same seed): step 0, empty captures and logs. Not while a host is real. */
  reset(): void {
    if (this.realTime) throw new Error('a lab with real hosts cannot be reset; dispose it and open it again');
    this.topo.dispose();
    this.topo = buildTopology(this.lab, this.opts);
    this.consoles.clear();
    this.consoleLog.length = 0;
    this.httpLog.length = 0;
    this.observeHttp();
    this.actionOutputs.clear();
    this.trafficResults.clear();
    this.results.length = 0;
    this.stepStart = [this.topo.captures.total];
    this.stepTime = [this.now];
    this.currentStep = 0;
  }

  /** Stops everything; real hosts' namespaces are removed at once (their processes reaped later). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.reals.values()) void r.dispose().catch(() => {});
    this.reals.clear();
    this.realPacer?.stop();
    for (const w of [...this.waiters]) w({ error: new Error('the lab session was disposed') });
    this.topo.dispose();
  }

  /** dispose(), after waiting until every real host is gone. */
  async disposeAsync(): Promise<void> {
    if (this.disposed) return;
    await this.releaseReal();
    this.dispose();
  }

  /** A name as `from` resolves it: its `hosts` table, then the lab's devices. */
  private nameOf(from: string, name: string): string | null {
    const d = this.lab.lab.topology.devices[from];
    const own = d?.kind === 'host' ? d.hosts?.[name] : undefined;
    if (own !== undefined) return own;
    const a = this.topo.resolveHost(name);
    return a === null ? null : ipv4ToString(a);
  }

  private step(i: number): StepInfo {
    const s = this.steps[i];
    if (s === undefined) throw new RangeError(`step ${i} does not exist (the lab has ${this.steps.length})`);
    return s;
  }

  /**
   * Student mode for a traffic action the lab did not run: the requests typed in the action host's
   * console since step `step` began, to the same host (as written or by address), port and path
   * (`to`/`port` actions: host and port); the latest `count` of them. Null when no such action exists.
   */
  private typedTraffic(id: string, step: number): TrafficResult | null {
    let spec: TrafficSpec | null = null;
    for (const st of this.steps) for (const a of [...st.setup, ...st.solution]) if (a.kind === 'traffic' && a.spec.id === id) spec = a.spec;
    if (spec === null) return null;
    const proto = spec.url ? 'http' : (spec.protocol ?? 'tcp');
    const url = spec.url ?? (proto === 'http' ? `http://${spec.to}:${spec.port ?? 80}/` : null);
    const target = url ?? `${proto} ${spec.to}:${spec.port ?? 0}`;
    const from = spec.from;
    const want = url !== null ? splitUrl(url) : { host: (spec.to ?? '').toLowerCase(), port: spec.port ?? 0, target: null };
    const since = this.stepTime[step] ?? 0;
    let requests: TrafficRequest[] = [];
    if (want !== null && proto !== 'udp') {
      const addr = (h: string): string | null => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h : this.nameOf(from, h));
      const wantAddr = addr(want.host);
      const mine = this.httpLog.filter(
        (r) =>
          r.device === from &&
          r.request.start >= since &&
          r.port === want.port &&
          (want.target === null || r.target === want.target) &&
          (r.host === want.host || (wantAddr !== null && (addr(r.host) ?? r.request.peer) === wantAddr)),
      );
      requests = mine.slice(-(spec.count ?? 1)).map((r, index) => ({ ...r.request, index }));
    }
    return { id, from, target, count: requests.length, requests, done: true, typed: true };
  }

  /** The lab's run of a console action, else the student's latest runs of its commands. */
  private consoleAction(id: string): ConsoleRecord | null {
    const own = this.actionOutputs.get(id);
    if (own) return own;
    for (const st of this.steps) {
      for (const a of [...st.setup, ...st.solution]) {
        if (a.kind !== 'console' || a.id !== id) continue;
        const want = new Set(a.commands.map(norm));
        const recs = this.consoleLog.filter((r) => r.device === a.device && r.commands.some((c) => want.has(norm(c))));
        if (recs.length === 0) return null;
        if (a.commands.length === 1) return recs[recs.length - 1]!;
        return { device: a.device, commands: a.commands, output: recs.map((r) => r.output).join(''), exitCode: recs[recs.length - 1]!.exitCode };
      }
    }
    return null;
  }
}

export { formatProblem };
