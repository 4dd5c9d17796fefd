/**
 * A running lab: the built topology plus the steps, the actions the lab performs, and the checks,
 * evaluated on demand. It serves both modes:
 *
 * - auto (`pktlab run`, runner.ts): for each step, enterStep → runSetup → runSolution → settle → check;
 * - student (the app): enterStep and runSetup when the student opens a step, the student types into
 *   `console(device)`, and `check(step)` when asked. A console check on a solution action the lab
 *   did not run looks at the student's own runs of that action's commands.
 *
 * A capture check sees the packets recorded since the step was entered. Everything here runs in
 * virtual time on the caller's thread; `dispose()` stops it all.
 */
import type { Execution, ShellSink } from '../devices/shell.ts';
import type { Network } from '../net/network.ts';
import { sec, type Nanos } from '../sim/time.ts';
import { buildTopology, COMMAND_LIMIT, type BuildOptions, type ConsoleTarget, type Topology } from './build.ts';
import type { CaptureStore, CapturePoint } from './captures.ts';
import { evaluateChecks, type CheckResult, type ConsoleRecord } from './checks.ts';
import { formatProblem, loadLab, type LabProblem } from './load.ts';
import { localText, normalizeLab, type LocalText, type NormalAction, type NormalLab } from './normalize.ts';
import type { Check } from './schema.ts';
import { startTraffic, type TrafficResult } from './traffic.ts';

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

export class LabSession {
  readonly steps: readonly StepInfo[];
  /** Index of the step the student (or the runner) is on. */
  currentStep = 0;
  /** Every line typed into a console through `console()` or `run()`, oldest first. */
  readonly consoleLog: ConsoleRecord[] = [];
  private topo: Topology;
  private stepStart: number[] = [];
  private readonly actionOutputs = new Map<string, ConsoleRecord>();
  private readonly trafficResults = new Map<string, TrafficResult>();
  private readonly results: (StepResult | undefined)[] = [];
  private readonly consoles = new Map<string, ConsoleTarget>();
  private disposed = false;

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
      const inner = d.console;
      c = {
        kind: inner.kind,
        prompt: () => inner.prompt(),
        complete: (b) => inner.complete(b),
        greeting: () => inner.greeting(),
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

  /** Runs a line on a device's console to completion in virtual time (interrupted at `limit`). */
  run(device: string, line: string, sink?: ShellSink, limit: Nanos = COMMAND_LIMIT): Execution {
    const d = this.topo.devices.get(device);
    if (d === undefined) throw new Error(`no device ${device} (devices: ${this.devices().join(', ')})`);
    const c = this.console(device)!;
    const ex = c.exec(line, sink);
    if (d.host) {
      this.network.runUntilCondition(() => ex.done, limit);
      if (!ex.done) {
        ex.interrupt();
        this.network.runUntilCondition(() => ex.done, sec(1));
      }
    }
    return ex;
  }

  /** Lets virtual time pass. */
  sleep(ns: Nanos): void {
    this.network.runFor(ns);
  }

  /** Makes step `i` current; its capture checks see packets from now on. */
  enterStep(i: number): StepInfo {
    const s = this.step(i);
    this.currentStep = i;
    this.stepStart[i] = this.topo.captures.total;
    return s;
  }

  /** Performs the step's setup actions (entering the step first if it is not current). */
  runSetup(i: number = this.currentStep): ActionResult[] {
    if (i !== this.currentStep || this.stepStart[i] === undefined) this.enterStep(i);
    return this.step(i).setup.map((a) => this.perform(a));
  }

  /** Performs the step's solution actions (what the student would do). */
  runSolution(i: number = this.currentStep): ActionResult[] {
    if (i !== this.currentStep || this.stepStart[i] === undefined) this.enterStep(i);
    return this.step(i).solution.map((a) => this.perform(a));
  }

  /** Lets `SETTLE_TIME` pass, so packets a step's actions caused are seen in that step. */
  settle(): void {
    this.network.runFor(SETTLE_TIME);
  }

  perform(a: NormalAction): ActionResult {
    const text = actionText(a);
    switch (a.kind) {
      case 'console': {
        let transcript = '';
        let output = '';
        let code: number | null = null;
        for (const cmd of a.commands) {
          const ex = this.run(a.device, cmd);
          transcript += `${a.device}> ${cmd}\n${ex.output}${ex.output === '' || ex.output.endsWith('\n') ? '' : '\n'}`;
          output += ex.output;
          code = ex.exitCode;
        }
        if (a.id !== null) this.actionOutputs.set(a.id, { device: a.device, commands: a.commands, output, exitCode: code });
        return { kind: a.kind, id: a.id, text, transcript, exitCode: code };
      }
      case 'wait':
        this.network.runFor(a.duration);
        return { kind: a.kind, id: null, text, transcript: `${text}\n`, exitCode: null };
      case 'traffic': {
        const d = this.topo.devices.get(a.spec.from);
        if (!d?.host) throw new Error(`traffic from ${a.spec.from}: not a host`);
        const t = startTraffic(d.host, a.spec);
        if (a.spec.background) {
          // Runs on as virtual time passes; checks see its requests as they are then.
          if (a.spec.id !== undefined) this.trafficResults.set(a.spec.id, t.result);
          this.network.runFor(0);
          return { kind: a.kind, id: a.spec.id ?? null, text, transcript: `${text}: started\n`, exitCode: null, traffic: t.result };
        }
        this.network.runUntilCondition(() => t.result.done, t.limit);
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
    const s = this.step(i);
    const checks = this.lab.lab.steps[i]!.checks ?? [];
    const since = this.stepStart[i] ?? 0;
    const results = evaluateChecks(checks as Check[], {
      topo: this.topo,
      packets: (point) => {
        const p = this.topo.captures.point(point);
        return p === undefined ? null : { point: p, packets: this.topo.captures.packets(p.index, since) };
      },
      consoleAction: (id) => this.consoleAction(id),
      traffic: (id) => this.trafficResults.get(id) ?? null,
      run: (device, line) => this.run(device, line),
    });
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

  /** Rebuilds the lab from scratch (same seed): step 0, empty captures and logs. */
  reset(): void {
    this.topo.dispose();
    this.topo = buildTopology(this.lab, this.opts);
    this.consoles.clear();
    this.consoleLog.length = 0;
    this.actionOutputs.clear();
    this.trafficResults.clear();
    this.results.length = 0;
    this.stepStart = [this.topo.captures.total];
    this.currentStep = 0;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.topo.dispose();
  }

  private step(i: number): StepInfo {
    const s = this.steps[i];
    if (s === undefined) throw new RangeError(`step ${i} does not exist (the lab has ${this.steps.length})`);
    return s;
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
