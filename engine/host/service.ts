/**
 * The engine side of the bridge (app/shared/bridge.ts): one `EngineService` per engine host (a worker
 * thread). It validates every call against the bridge's schemas, then acts on the open lab — an
 * engine/lab `LabSession` (steps, setup, checks, hints, consoles) — and on its packets, a
 * engine/capture `PacketStore` fed live from the session's capture points (or read from a file).
 *
 * Step back: every input that changes the lab (console lines, keystrokes, Ctrl-C, step changes, step
 * setup, checks that run commands) is recorded with the scheduler's event count and virtual time at
 * which it was applied. Going back to event N opens the LabSession again from its seed and re-applies
 * the inputs at the same points while stepping the scheduler to N — the same lab, seed and inputs
 * give the same events. While a host is real (TAP + namespace) the lab runs in wall time at speed 1
 * and cannot step back.
 *
 * Error contract: `call` rejects with a BridgeError (bad arguments, no lab, not found ...) and leaves
 * the state as it was; it never throws synchronously.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PacketStore } from '../capture/packet-store.ts';
import type { Execution } from '../devices/shell.ts';
import type { ConsoleTarget } from '../lab/build.ts';
import type { CapturedPacket } from '../lab/captures.ts';
import { formatProblem, loadLab } from '../lab/load.ts';
import { normalizeLab, type NormalLab } from '../lab/normalize.ts';
import type { Lab } from '../lab/schema.ts';
import { LabSession, type ActionResult, type StepResult } from '../lab/session.ts';
import { RealTimePacer } from '../sim/pacer.ts';
import {
  BRIDGE_VERSION,
  BridgeError,
  validateCall,
  type BridgeEventMap,
  type Completion,
  type ConsoleInfo,
  type DeviceState,
  type EventName,
  type ExecResult,
  type Lang,
  type LabInfo,
  type OpenedCapture,
  type OpenedLab,
  type PacketCount,
  type Score,
  type StepCheckResult,
  type StepInfo,
  type StepState,
  type StepStatus,
  type Text,
  type TimelineState,
  type AppInfo,
  type WiresharkInfo,
  type CheckResult,
  type ConsoleKind,
} from '../../app/shared/bridge.ts';
import { checkFilter, PacketView, viewFromFile } from './packets.ts';
import { LineEditor, commonPrefix } from './line.ts';
import { deviceStateOf, topologyOf } from './view.ts';
import { findWireshark, openInWireshark } from './wireshark.ts';
import { syntheticView } from './synthetic.ts';

export interface EngineServiceOptions {
  /** Directory holding the lab files (searched recursively for *.yaml). */
  readonly labsDir: string;
  readonly emit: <E extends EventName>(name: E, payload: BridgeEventMap[E]) => void;
  readonly version?: string;
  /** The system locale (e.g. 'ko-KR'); the UI language defaults from it. */
  readonly locale?: string;
  /** Lab id to open first; default: the first 08-01 lab, else the first lab. */
  readonly defaultLab?: string;
}

interface CatalogEntry {
  readonly id: string;
  readonly file: string;
  readonly lab: Lab | null;
  readonly problems: string[];
}

interface StepProgress {
  status: StepStatus;
  earned: number;
  total: number;
  last?: StepCheckResult;
  hints: number;
}

type Op =
  | { readonly k: 'open'; readonly consoleId: string; readonly device: string }
  | { readonly k: 'goto'; readonly step: number }
  | { readonly k: 'exec'; readonly consoleId: string; readonly line: string }
  | { readonly k: 'keys'; readonly consoleId: string; readonly data: string }
  | { readonly k: 'interrupt'; readonly consoleId: string }
  | { readonly k: 'setup'; readonly step: number }
  | { readonly k: 'check'; readonly step: number };

interface InputRecord {
  readonly event: number;
  readonly time: number;
  readonly op: Op;
  /** Event count once the op returned (ops that drive time synchronously move it). */
  end: number;
}

interface OpenConsole {
  readonly id: string;
  readonly device: string;
  readonly target: ConsoleTarget;
  readonly editor: LineEditor;
  running: Execution | null;
}

interface Running {
  readonly entry: CatalogEntry;
  readonly lab: Lab;
  readonly normal: NormalLab;
  session: LabSession;
  view: PacketView;
  /** Scheduler event count at which each packet (by store index) was traced. */
  events: number[];
  /** Paces virtual time to the wall clock (the session's own pacer once a host is real). */
  pacer: RealTimePacer;
  consoles: Map<string, OpenConsole>;
  /** Why a host the lab declares real is emulated, shown in its console (in the UI language). */
  realNote: Text | null;
  inputs: InputRecord[];
  /** Set while re-applying inputs: output events are not sent again. */
  replaying: boolean;
  unsubscribe: () => void;
}

const MAX_REPLAY_EVENTS = 50_000_000;

function textOf(t: unknown): Text {
  if (typeof t === 'string') return { ko: t, en: t };
  if (t && typeof t === 'object' && 'ko' in t && 'en' in t) return t as Text;
  return { ko: '', en: '' };
}

function findLabFiles(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith('.') || n === 'node_modules') continue;
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) findLabFiles(p, out);
    else if (/\.ya?ml$/.test(n)) out.push(p);
  }
  return out;
}

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

export class EngineService {
  private catalog: CatalogEntry[] = [];
  private readonly progress = new Map<string, StepProgress[]>();
  private run: Running | null = null;
  private file: { view: PacketView; opened: OpenedCapture } | null = null;
  private language: Lang;
  private nextConsole = 1;
  private appendTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly handlers: Record<string, (...args: never[]) => unknown>;

  constructor(private readonly opts: EngineServiceOptions) {
    this.language = /^ko\b/i.test(opts.locale ?? '') ? 'ko' : 'en';
    this.scan();
    this.handlers = {
      'app.info': () => this.appInfo(),
      'app.setLanguage': (l: Lang) => this.setLanguage(l),
      'labs.list': () => this.listLabs(),
      'labs.open': (id: string) => this.openLab(id),
      'labs.current': () => (this.run ? this.opened(this.run) : null),
      'labs.reset': () => this.resetLab(),
      'steps.current': () => this.stepState(this.need().session.currentStep),
      'steps.goto': (i: number) => this.gotoStep(i),
      'steps.setup': (i?: number) => this.applyInput({ k: 'setup', step: this.stepIndex(i) }) as Promise<ExecResult>,
      'steps.check': (i?: number) => this.applyInput({ k: 'check', step: this.stepIndex(i) }) as Promise<StepCheckResult>,
      'steps.hint': (i?: number) => this.hint(this.stepIndex(i)),
      'steps.score': () => this.score(),
      'consoles.open': (d: string) => this.openConsole(d),
      'consoles.close': (id: string) => this.closeConsole(id),
      'consoles.exec': (id: string, line: string) => this.execConsole(id, line),
      'consoles.keys': (id: string, data: string) => {
        this.console(id);
        this.applyInput({ k: 'keys', consoleId: id, data });
        return null;
      },
      'consoles.complete': (id: string, before: string) => this.complete(id, before),
      'consoles.greeting': (id: string) => this.greetingOf(this.need(), this.console(id).device),
      'consoles.interrupt': (id: string) => {
        this.console(id);
        this.applyInput({ k: 'interrupt', consoleId: id });
        return null;
      },
      'topology.get': () => topologyOf(this.need().session),
      'timeline.state': () => this.timeline(),
      'timeline.play': () => this.play(),
      'timeline.pause': () => this.pause(),
      'timeline.stepForward': (u?: 'event' | 'packet') => this.stepForward(u ?? 'event'),
      'timeline.stepBack': (u?: 'event' | 'packet') => this.stepBack(u ?? 'event'),
      'timeline.setSpeed': (x: number) => this.setSpeed(x),
      'packets.points': () => this.packets().pointInfo(),
      'packets.setView': (p: string | null) => this.setView(p),
      'packets.count': () => this.packets().count(),
      'packets.rows': (from: number, count: number) => this.packets().rows(from, count),
      'packets.detail': (n: number) => this.packets().detail(this.packet(n)),
      'packets.bytes': (n: number) => this.packets().bytes(this.packet(n)),
      'packets.setFilter': (e: string) => this.packets().setFilter(e),
      'packets.checkFilter': (e: string) => checkFilter(e),
      'packets.loadSynthetic': (n: number) => this.loadSynthetic(n),
      'files.openCaptureBytes': (name: string, bytes: Uint8Array) => this.openCapture(name, bytes),
      'files.captureBytes': () => this.captureBytes(),
      'files.wireshark': () => this.wireshark(),
      'files.openInWireshark': () => this.openWireshark(),
      'devices.state': (d: string) => this.deviceState(d),
    };
  }

  /** Validates and runs one bridge call. */
  async call(method: string, args: unknown): Promise<unknown> {
    const bad = validateCall(method, args);
    if (bad) throw bad;
    const h = this.handlers[method];
    if (h === undefined) throw new BridgeError('unsupported', `${method} is answered by the app shell, not the engine host`);
    return (h as (...a: unknown[]) => unknown)(...(args as unknown[]));
  }

  dispose(): void {
    this.closeLab();
    if (this.appendTimer) clearTimeout(this.appendTimer);
  }

  /** dispose(), after every real host's namespace and TAP are gone. */
  async disposeAsync(): Promise<void> {
    const r = this.run;
    if (this.appendTimer) clearTimeout(this.appendTimer);
    if (r === null) return;
    this.run = null;
    this.stopRunning(r);
    await r.session.disposeAsync().catch(() => {});
  }

  // ---- labs ----------------------------------------------------------------------------------------

  private scan(): void {
    this.catalog = findLabFiles(this.opts.labsDir).flatMap((file) => {
      let textData: string;
      try {
        textData = readFileSync(file, 'utf8');
      } catch {
        return [];
      }
      const rel = relative(this.opts.labsDir, file).split(sep).join('/');
      const r = loadLab(textData, rel);
      const id = r.lab?.id ?? /^id:\s*(\S+)/m.exec(textData)?.[1] ?? rel;
      return [{ id, file, lab: r.lab, problems: r.problems.map(formatProblem) }];
    });
    this.catalog.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private defaultLabId(): string | null {
    const ok = this.catalog.filter((e) => e.lab);
    if (this.opts.defaultLab && ok.some((e) => e.id === this.opts.defaultLab)) return this.opts.defaultLab;
    return (ok.find((e) => e.id.startsWith('08-01')) ?? ok[0])?.id ?? null;
  }

  private appInfo(): AppInfo {
    return { version: this.opts.version ?? '0.0.0', bridgeVersion: BRIDGE_VERSION, language: this.language, defaultLab: this.defaultLabId() };
  }

  private setLanguage(l: Lang): Lang {
    this.language = l;
    this.opts.emit('language', l);
    return l;
  }

  private progressOf(e: CatalogEntry): StepProgress[] {
    let p = this.progress.get(e.id);
    if (!p) {
      p = (e.lab?.steps ?? []).map((s) => ({ status: 'pending' as StepStatus, earned: 0, total: (s.checks ?? []).reduce((a, c) => a + (c.weight ?? 1), 0), hints: 0 }));
      this.progress.set(e.id, p);
    }
    return p;
  }

  private info(e: CatalogEntry): LabInfo {
    const p = this.progressOf(e);
    const lab = e.lab;
    return {
      id: e.id,
      chapter: lab?.chapter !== undefined ? String(lab.chapter) : e.id.split('-')[0] ?? '',
      title: lab ? textOf(lab.title) : { ko: e.id, en: e.id },
      ...(lab?.summary ? { summary: textOf(lab.summary) } : {}),
      steps: lab?.steps.length ?? 0,
      progress: {
        passed: p.filter((s) => s.status === 'passed').length,
        steps: p.length,
        earned: p.reduce((a, s) => a + s.earned, 0),
        total: p.filter((s) => s.last).reduce((a, s) => a + s.total, 0),
      },
      problems: e.problems,
    };
  }

  private listLabs(): LabInfo[] {
    this.scan();
    return this.catalog.map((e) => this.info(e));
  }

  private steps(lab: Lab): StepInfo[] {
    return lab.steps.map((s, index) => ({
      index,
      id: s.id,
      title: textOf(s.title),
      instructions: textOf(s.instructions),
      hintCount: s.hints?.length ?? 0,
      checks: (s.checks ?? []).map((c) => ({ id: c.id, weight: c.weight ?? 1, ...(c.description ? { description: textOf(c.description) } : {}) })),
      hasSetup: (s.setup?.length ?? 0) > 0,
    }));
  }

  private opened(r: Running): OpenedLab {
    return { lab: this.info(r.entry), steps: this.steps(r.lab), current: r.session.currentStep, topology: topologyOf(r.session), seed: r.session.seed };
  }

  /** A new session of the lab (its seed); BuildError becomes a BridgeError. */
  private newSession(id: string, normal: NormalLab): LabSession {
    try {
      return new LabSession(normal);
    } catch (e) {
      throw new BridgeError('failed', `lab ${id} cannot be built: ${(e as Error).message}`);
    }
  }

  private async openLab(id: string): Promise<OpenedLab> {
    const e = this.catalog.find((x) => x.id === id) ?? (this.scan(), this.catalog.find((x) => x.id === id));
    if (!e) throw new BridgeError('not-found', `no lab ${JSON.stringify(id)} (labs: ${this.catalog.map((x) => x.id).join(', ') || 'none'})`);
    if (!e.lab) throw new BridgeError('failed', `lab ${id} does not load:\n${e.problems.join('\n')}`);
    const normal = normalizeLab(e.lab);
    const session = this.newSession(id, normal); // the old lab stays open when this throws
    await this.closeLabAsync();
    this.file = null;
    // Declared real hosts become real when the engine host may create namespaces (root).
    let real = false;
    let realNote: Text | null = null;
    if (session.declaredReal().length > 0) {
      if (process.getuid?.() !== 0) realNote = { en: 'the engine host is not running as root, so this host is emulated', ko: '엔진 호스트가 root로 실행되지 않아 이 호스트는 에뮬레이션됩니다' };
      else {
        try {
          await session.makeReal();
          real = true;
        } catch (err) {
          const why = (err as Error).message;
          realNote = { en: `it could not be made real (${why}), so it is emulated`, ko: `실제 호스트로 만들 수 없어 (${why}) 에뮬레이션됩니다` };
        }
      }
    }
    const r = this.start(e, e.lab, normal, session, real);
    r.realNote = realNote;
    this.run = r;
    const o = this.opened(r);
    this.opts.emit('labChanged', { lab: o });
    this.opts.emit('timeline', this.timeline());
    this.opts.emit('packetsAppended', r.view.count());
    return o;
  }

  private start(entry: CatalogEntry, lab: Lab, normal: NormalLab, session: LabSession, real = false): Running {
    const points = session.capturePoints();
    const store = new PacketStore();
    for (const p of points) store.addInterface({ name: p.ifName, description: p.description?.en ?? p.what });
    const view = new PacketView(
      store,
      points.map((p) => ({ id: p.name, ...(p.description ? { description: p.description } : {}) })),
    );
    const r: Running = {
      entry,
      lab,
      normal,
      session,
      view,
      events: [],
      pacer: real && session.pacer ? session.pacer : new RealTimePacer(session.network.sched, { onError: (err) => this.pacerError(err) }),
      consoles: new Map(),
      realNote: null,
      inputs: [],
      replaying: false,
      unsubscribe: () => {},
    };
    const epoch = session.epochNs;
    const add = (p: CapturedPacket): void => {
      const pt = points[p.point]!;
      store.append(p.frame, {
        timeNs: epoch + BigInt(p.time),
        interfaceId: p.point,
        ...(pt.kind === 'interface' ? { direction: p.direction === 'in' ? ('inbound' as const) : ('outbound' as const) } : {}),
        ...(p.note ? { comment: p.note } : {}),
      });
      r.events.push(p.event);
      this.noteAppend(r);
    };
    // Packets of the initial configuration, then live ones.
    for (const p of points.flatMap((_, k) => session.recorder.packets(k)).sort((a, b) => a.number - b.number)) add(p);
    r.unsubscribe = session.recorder.onPacket(add);
    if (!real) r.pacer.start();
    return r;
  }

  /** Coalesces packet-append events (at most one per 50 ms of wall time). */
  private noteAppend(r: Running): void {
    if (r.replaying || this.appendTimer) return;
    this.appendTimer = setTimeout(() => {
      this.appendTimer = undefined;
      if (this.run && !this.file) this.opts.emit('packetsAppended', this.packets().count());
    }, 50);
  }

  private pacerError(err: unknown): void {
    const r = this.run;
    if (!r) return;
    for (const c of r.consoles.values()) this.opts.emit('consoleOutput', { consoleId: c.id, data: crlf(`\n[engine stopped: ${(err as Error)?.message ?? String(err)}]\n`) });
    this.opts.emit('timeline', this.timeline());
  }

  private stopRunning(r: Running): void {
    if (!r.session.realTime) r.pacer.dispose();
    r.unsubscribe();
    for (const c of r.consoles.values()) c.running?.interrupt();
  }

  private closeLab(): void {
    const r = this.run;
    if (!r) return;
    this.stopRunning(r);
    r.session.dispose();
    this.run = null;
  }

  private async closeLabAsync(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = null;
    this.stopRunning(r);
    await r.session.disposeAsync().catch(() => {});
  }

  private resetLab(): Promise<OpenedLab> {
    const r = this.need();
    return this.openLab(r.entry.id);
  }

  private need(): Running {
    if (!this.run) throw new BridgeError('no-lab', 'no lab is open (labs.open first)');
    return this.run;
  }

  // ---- steps ---------------------------------------------------------------------------------------

  private stepIndex(i: number | undefined): number {
    const r = this.need();
    const idx = i ?? r.session.currentStep;
    if (idx >= r.lab.steps.length) throw new BridgeError('not-found', `step ${idx} does not exist (the lab has ${r.lab.steps.length})`);
    return idx;
  }

  private stepState(i: number): StepState {
    const r = this.need();
    const p = this.progressOf(r.entry)[i]!;
    const hints = r.session.hints(i).slice(0, p.hints);
    return { index: i, status: p.status, hints, ...(p.last ? { last: p.last } : {}) };
  }

  private gotoStep(i: number): StepState {
    const idx = this.stepIndex(i);
    this.applyInput({ k: 'goto', step: idx });
    const s = this.stepState(idx);
    this.opts.emit('stepChanged', s);
    return s;
  }

  private hint(i: number): Text | null {
    const r = this.need();
    const p = this.progressOf(r.entry)[i]!;
    const hints = r.session.hints(i);
    if (p.hints >= hints.length) return null;
    const h = hints[p.hints]!;
    p.hints++;
    this.opts.emit('stepChanged', this.stepState(i));
    return h;
  }

  private score(): Score {
    const r = this.need();
    const p = this.progressOf(r.entry);
    return {
      earned: p.reduce((a, s) => a + s.earned, 0),
      total: p.reduce((a, s) => a + s.total, 0),
      perStep: p.map((s, index) => ({ index, earned: s.earned, total: s.total, status: s.status })),
    };
  }

  private async doSetup(r: Running, i: number): Promise<ExecResult> {
    let acts: ActionResult[] = [];
    try {
      if (r.session.realTime) acts = await r.session.runSetupAsync(i);
      else this.withPacerHeld(r, () => void (acts = r.session.runSetup(i)));
    } catch (e) {
      throw new BridgeError('failed', `step ${i + 1} setup: ${(e as Error).message}`);
    }
    const codes = acts.map((a) => a.exitCode).filter((c) => c !== null);
    return { exitCode: codes[codes.length - 1] ?? 0, output: acts.map((a) => a.transcript).join(''), prompt: '' };
  }

  private async doCheck(r: Running, i: number): Promise<StepCheckResult> {
    let res!: StepResult;
    if (r.session.realTime) res = await r.session.checkAsync(i);
    else this.withPacerHeld(r, () => void (res = r.session.check(i)));
    const checks: CheckResult[] = res.checks.map((c) => ({
      id: c.id,
      pass: c.pass,
      reason: c.reason.en,
      reasonText: c.reason,
      weight: c.weight,
      ...(c.description ? { description: c.description } : {}),
    }));
    const result: StepCheckResult = { step: i, pass: res.pass, checks, earned: res.earned, total: res.total };
    if (!r.replaying) {
      const p = this.progressOf(r.entry)[i]!;
      p.last = result;
      p.earned = res.earned;
      p.status = result.pass ? 'passed' : 'failed';
      this.opts.emit('stepChanged', this.stepState(i));
    }
    return result;
  }

  /** Runs `fn` with real-time pacing held, so work that drives virtual time itself is not raced. */
  private withPacerHeld(r: Running, fn: () => void): void {
    const playing = r.pacer.running && !r.pacer.paused;
    if (playing) r.pacer.pause();
    try {
      fn();
    } finally {
      if (playing) r.pacer.resume();
    }
  }

  // ---- inputs (recorded for replay) -----------------------------------------------------------------

  private applyInput(op: Op): unknown {
    const r = this.need();
    if (!r.pacer.paused) r.pacer.sync();
    const sched = r.session.network.sched;
    const rec: InputRecord = { event: sched.eventCount, time: sched.now, op, end: sched.eventCount };
    r.inputs.push(rec);
    try {
      return this.perform(r, op);
    } finally {
      rec.end = sched.eventCount;
      r.pacer.wake();
    }
  }

  private perform(r: Running, op: Op): unknown {
    switch (op.k) {
      case 'open':
        return this.createConsole(r, op.consoleId, op.device);
      case 'exec':
        return this.startExec(r, r.consoles.get(op.consoleId)!, op.line, () => {});
      case 'keys':
        r.consoles.get(op.consoleId)?.editor.feed(op.data);
        return null;
      case 'interrupt':
        r.consoles.get(op.consoleId)?.running?.interrupt();
        return null;
      case 'goto':
        r.session.enterStep(op.step);
        return null;
      case 'setup':
        return this.doSetup(r, op.step);
      case 'check':
        return this.doCheck(r, op.step);
    }
  }

  // ---- consoles ------------------------------------------------------------------------------------

  private openConsole(device: string): ConsoleInfo {
    const r = this.need();
    if (!r.session.console(device)) throw new BridgeError('not-found', `no device ${device} (devices: ${r.session.devices().join(', ')})`);
    const id = `c${this.nextConsole++}`;
    return this.applyInput({ k: 'open', consoleId: id, device }) as ConsoleInfo;
  }

  private createConsole(r: Running, id: string, device: string): ConsoleInfo {
    const target = r.session.console(device)!;
    const emit = (data: string): void => {
      if (!r.replaying) this.opts.emit('consoleOutput', { consoleId: id, data });
    };
    const con: OpenConsole = {
      id,
      device,
      target,
      running: null,
      editor: new LineEditor({
        write: emit,
        prompt: () => target.prompt(),
        complete: (before) => target.complete(before),
        interrupt: () => con.running?.interrupt(),
        submit: (line, done) => {
          this.startExec(r, con, line, done, true);
        },
      }),
    };
    r.consoles.set(id, con);
    return { consoleId: id, device, kind: target.kind as ConsoleKind, prompt: target.prompt(), greeting: this.greetingOf(r, device) };
  }

  /** pktlab's greeting of a device's console in the UI language, then its prompt (CRLF). */
  private greetingOf(r: Running, device: string): string {
    const target = r.session.console(device)!;
    const why = r.realNote?.[this.language];
    const declared = why !== undefined && r.session.declaredReal().includes(device);
    const note = !declared ? '' : this.language === 'ko' ? `[${device}은(는) 실제 호스트로 선언됨: ${why}]\n` : `[${device} is declared real: ${why}]\n`;
    return crlf(note + target.greeting(this.language) + target.prompt());
  }

  private console(id: string): OpenConsole {
    const c = this.need().consoles.get(id);
    if (!c) throw new BridgeError('not-found', `no console ${id}`);
    return c;
  }

  private closeConsole(id: string): null {
    const r = this.need();
    const c = this.console(id);
    c.running?.interrupt();
    r.consoles.delete(id);
    return null;
  }

  /** Starts a line on a console; resolves when it finishes. `echoed`: typed through the line editor. */
  private startExec(r: Running, con: OpenConsole, line: string, done: () => void, echoed = false): Promise<ExecResult> {
    if (con.running && !con.running.done) {
      return Promise.reject(new BridgeError('failed', `a command is still running on ${con.device} (interrupt it first)`));
    }
    if (!echoed && !r.replaying) this.opts.emit('consoleOutput', { consoleId: con.id, data: crlf(`${line}\n`) });
    const ex = con.target.exec(line, {
      write: (text) => {
        if (!r.replaying) this.opts.emit('consoleOutput', { consoleId: con.id, data: crlf(text) });
      },
    });
    con.running = ex;
    return new Promise<ExecResult>((resolve) => {
      ex.onDone((code) => {
        if (con.running === ex) con.running = null;
        const prompt = con.target.prompt();
        if (!r.replaying) this.opts.emit('consoleDone', { consoleId: con.id, exitCode: code, prompt });
        done();
        if (!echoed && !r.replaying) this.opts.emit('consoleOutput', { consoleId: con.id, data: prompt });
        resolve({ exitCode: code, output: ex.output, prompt });
      });
    });
  }

  private execConsole(id: string, line: string): Promise<ExecResult> {
    const c = this.console(id);
    if (c.running && !c.running.done) return Promise.reject(new BridgeError('failed', `a command is still running on ${c.device} (interrupt it first)`));
    return this.applyInput({ k: 'exec', consoleId: id, line }) as Promise<ExecResult>;
  }

  private complete(id: string, before: string): Completion {
    const c = this.console(id);
    const candidates = c.target.complete(before);
    return { candidates, common: commonPrefix(candidates) };
  }

  // ---- timeline ------------------------------------------------------------------------------------

  private timeline(): TimelineState {
    const r = this.run;
    if (!r) return { mode: 'paused', speed: 1, nowNs: 0, eventCount: 0, canStepBack: false };
    const s = r.session.network.sched;
    const next = s.peekLabel();
    const real = r.session.realHosts();
    return {
      mode: r.pacer.running && !r.pacer.paused ? 'playing' : 'paused',
      speed: r.pacer.speed,
      nowNs: r.pacer.running ? r.pacer.virtualNow() : s.now,
      eventCount: s.eventCount,
      canStepBack: s.eventCount > 0 && real.length === 0,
      ...(real.length ? { realHosts: real } : {}),
      ...(next !== undefined ? { next } : {}),
    };
  }

  private emitTimeline(): TimelineState {
    const t = this.timeline();
    this.opts.emit('timeline', t);
    return t;
  }

  private play(): TimelineState {
    const r = this.need();
    if (!r.pacer.running) r.pacer.start();
    else r.pacer.resume();
    return this.emitTimeline();
  }

  /** A real host keeps wall time: no pause, single steps or other speeds. */
  private wallTime(r: Running, what: string): void {
    if (r.session.realTime) throw new BridgeError('unsupported', `${what} is off while a host is real (${r.session.realHosts().join(', ')}): the lab runs in wall time at speed 1`);
  }

  private pause(): TimelineState {
    const r = this.need();
    this.wallTime(r, 'pausing');
    r.pacer.pause();
    return this.emitTimeline();
  }

  private setSpeed(x: number): TimelineState {
    const r = this.need();
    if (x !== 1) this.wallTime(r, 'changing the speed');
    r.pacer.setSpeed(x);
    return this.emitTimeline();
  }

  private stepForward(unit: 'event' | 'packet'): TimelineState {
    const r = this.need();
    this.wallTime(r, 'stepping');
    r.pacer.pause();
    const s = r.session.network.sched;
    if (unit === 'packet') {
      const before = r.view.total;
      for (let n = 0; n < 100_000; n++) {
        const more = s.step();
        r.session.recorder.flushPending();
        if (!more || r.view.total !== before) break;
      }
    } else {
      s.step();
    }
    this.opts.emit('packetsAppended', this.packets().count());
    return this.emitTimeline();
  }

  private stepBack(unit: 'event' | 'packet'): TimelineState {
    const r = this.need();
    this.wallTime(r, 'stepping back');
    r.pacer.pause();
    r.session.recorder.flushPending();
    const now = r.session.network.sched.eventCount;
    let target = now - 1;
    if (unit === 'packet') {
      const ev = r.events;
      const last = ev[ev.length - 1] ?? now;
      let k = ev.length - 1;
      while (k >= 0 && ev[k]! >= last) k--;
      target = k >= 0 ? ev[k]! : -1;
    }
    if (target < 0 || now === 0) return this.emitTimeline();
    this.replayTo(r, target);
    this.opts.emit('packetsAppended', this.packets().count());
    return this.emitTimeline();
  }

  /** Opens the lab again from its seed and re-applies recorded inputs up to scheduler event `target`. */
  private replayTo(old: Running, target: number): void {
    const session = this.newSession(old.entry.id, old.normal);
    const inputs = old.inputs;
    this.stopRunning(old);
    old.session.dispose();
    const r = this.start(old.entry, old.lab, old.normal, session);
    r.realNote = old.realNote;
    r.pacer.pause();
    r.replaying = true;
    this.run = r;
    const sched = session.network.sched;
    try {
      for (const rec of inputs) {
        if (rec.event > target || rec.end > target) break;
        while (sched.eventCount < rec.event) if (!sched.step()) break;
        if (sched.now < rec.time) sched.runUntil(rec.time);
        r.inputs.push({ ...rec });
        const res = this.perform(r, rec.op);
        if (res instanceof Promise) res.catch(() => {});
      }
      let guard = 0;
      while (sched.eventCount < target && guard++ < MAX_REPLAY_EVENTS) if (!sched.step()) break;
    } finally {
      r.replaying = false;
    }
    // Consoles that were open keep their ids; ones opened after the target come back too (empty).
    for (const c of old.consoles.values()) if (!r.consoles.has(c.id)) this.createConsole(r, c.id, c.device);
    session.recorder.flushPending();
  }

  // ---- packets and files ---------------------------------------------------------------------------

  /** The packets shown: the open file's, else the lab's (a held packet recorded first). */
  private packets(): PacketView {
    if (this.file) return this.file.view;
    const r = this.need();
    r.session.recorder.flushPending();
    return r.view;
  }

  private setView(point: string | null): PacketCount {
    const v = this.packets();
    const c = v.setView(point);
    if (c === null) throw new BridgeError('not-found', `no capture point ${point} (points: ${v.points.map((p) => p.id).join(', ')})`);
    return c;
  }

  private packet(n: number): number {
    const v = this.packets();
    if (!v.has(n)) throw new BridgeError('not-found', `no packet ${n} (there are ${v.total})`);
    return n;
  }

  private captureBytes(): Uint8Array {
    if (this.file) return this.file.view.store.toPcapng();
    return this.need().session.pcap();
  }

  private async showFile(view: PacketView, opened: OpenedCapture): Promise<OpenedCapture> {
    await this.closeLabAsync();
    this.file = { view, opened };
    this.opts.emit('labChanged', { lab: null, capture: opened });
    this.opts.emit('packetsAppended', view.count());
    return opened;
  }

  private openCapture(name: string, bytes: Uint8Array): Promise<OpenedCapture> {
    const r = viewFromFile(name, bytes);
    if ('error' in r) throw new BridgeError('failed', r.error);
    return this.showFile(r.view, r.opened);
  }

  /** Test hook (PKTLAB_TEST_HOOKS=1): n synthetic packets as an offline capture. */
  private loadSynthetic(count: number): Promise<OpenedCapture> {
    if (process.env.PKTLAB_TEST_HOOKS !== '1') throw new BridgeError('unsupported', 'packets.loadSynthetic is a test hook: start the engine host with PKTLAB_TEST_HOOKS=1');
    const view = syntheticView(count);
    return this.showFile(view, { name: `synthetic-${count}`, count: view.total, points: view.pointInfo() });
  }

  private wireshark(): WiresharkInfo {
    const p = findWireshark();
    return p ? { available: true, path: p } : { available: false };
  }

  private openWireshark(): null {
    const p = findWireshark();
    if (!p) throw new BridgeError('unsupported', 'Wireshark is not installed');
    openInWireshark(p, this.captureBytes(), this.run?.entry.id ?? this.file?.opened.name ?? 'capture');
    return null;
  }

  private deviceState(device: string): DeviceState {
    const s = deviceStateOf(this.need().session, device);
    if (!s) throw new BridgeError('not-found', `no device ${device}`);
    return s;
  }
}
