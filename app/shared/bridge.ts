/**
 * THE bridge contract between pktlab's UI and its engine: one definition used by the preload
 * (Electron), the web client (WebSocket), the Electron main process, the web server and the engine
 * host (worker thread).
 *
 * - `METHODS`: request/response methods by namespace, each with a schema per positional argument;
 *   every hop validates the arguments with `checkArgs` before acting (Electron security checklist
 *   #17, "validate the sender of all IPC messages" and their content). A bad call is rejected with a
 *   `BridgeError` of code `bad-args` and changes nothing.
 * - `EVENTS`: streams the engine pushes (console output, packet appends, timeline state ...).
 * - Channel names all start with `BRIDGE_PREFIX`; both ends check it (VS Code's ipc pattern).
 * - `Bridge`: the typed API the renderer sees (`bridge.labs.open('08-01-alteon-slb')`).
 *
 * Pure: imports nothing but ./schema.ts; no Node, no DOM, no engine.
 */
import { arg, bytes, checkArgs, int, nullable, num, oneOf, opt, str, type Arg, type InferArgs } from './schema.ts';

export const BRIDGE_PREFIX = 'pktlab:';
export const BRIDGE_VERSION = 1;

// ---- value types ---------------------------------------------------------------------------------

export type Lang = 'ko' | 'en';
export const LANGS = ['ko', 'en'] as const;
/** Text in both languages. */
export interface Text {
  readonly ko: string;
  readonly en: string;
}
export function textIn(t: Text | string | undefined, lang: Lang): string {
  if (t === undefined) return '';
  return typeof t === 'string' ? t : t[lang] || t.en || t.ko;
}

export interface LabProgress {
  /** Steps whose checks all passed. */
  readonly passed: number;
  readonly steps: number;
  /** Weighted check score, earned / total (0 / 0 before any check ran). */
  readonly earned: number;
  readonly total: number;
}

export interface LabInfo {
  readonly id: string;
  readonly chapter: string;
  readonly title: Text;
  readonly summary?: Text;
  readonly steps: number;
  readonly progress: LabProgress;
  /** Problems when the lab file does not load (`file:line:col: message`); empty when it is usable. */
  readonly problems: readonly string[];
}

export interface CheckInfo {
  readonly id: string;
  readonly description?: Text;
  readonly weight: number;
}

export interface StepInfo {
  readonly index: number;
  readonly id: string;
  readonly title: Text;
  /** Markdown. */
  readonly instructions: Text;
  readonly hintCount: number;
  readonly checks: readonly CheckInfo[];
  readonly hasSetup: boolean;
}

export type StepStatus = 'pending' | 'passed' | 'failed';

export interface StepState {
  readonly index: number;
  readonly status: StepStatus;
  /** Hints revealed so far (texts, in order). */
  readonly hints: readonly Text[];
  readonly last?: StepCheckResult;
}

export interface CheckResult {
  readonly id: string;
  readonly description?: Text;
  readonly pass: boolean;
  /** Why it passed or failed, in words a student understands (English). */
  readonly reason: string;
  /** The reason in both languages (the UI shows the current one). */
  readonly reasonText: Text;
  readonly weight: number;
}

export interface StepCheckResult {
  readonly step: number;
  readonly pass: boolean;
  readonly checks: readonly CheckResult[];
  readonly earned: number;
  readonly total: number;
}

export interface Score {
  readonly earned: number;
  readonly total: number;
  readonly perStep: readonly { readonly index: number; readonly earned: number; readonly total: number; readonly status: StepStatus }[];
}

/** Compound node kinds of the topology view: on-prem inside/outside, VPC ⊃ AZ ⊃ subnet. */
export type GroupKind = 'onprem-inside' | 'onprem-outside' | 'network' | 'vpc' | 'az' | 'subnet';

export interface TopoGroup {
  readonly id: string;
  readonly kind: GroupKind;
  readonly label: string;
  readonly parent?: string;
}

export interface TopoInterface {
  readonly name: string;
  /** `10.0.0.1/24`, or absent. */
  readonly address?: string;
  readonly mac?: string;
}

export interface TopoDevice {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly description?: Text;
  readonly parent?: string;
  readonly interfaces: readonly TopoInterface[];
  /** A console can be opened on it. */
  readonly console: boolean;
}

export interface TopoSegment {
  readonly id: string;
  /** `device.iface`. */
  readonly members: readonly string[];
  readonly parent?: string;
  readonly description?: Text;
}

export interface TopoLink {
  readonly id: string;
  readonly a: string;
  readonly b: string;
  readonly label: string;
}

export interface TopoCapture {
  readonly id: string;
  /** `device.iface`, a segment or a link. */
  readonly at: string;
  readonly description?: Text;
}

export interface Topology {
  readonly groups: readonly TopoGroup[];
  readonly devices: readonly TopoDevice[];
  readonly segments: readonly TopoSegment[];
  readonly links: readonly TopoLink[];
  readonly captures: readonly TopoCapture[];
}

export interface OpenedLab {
  readonly lab: LabInfo;
  readonly steps: readonly StepInfo[];
  readonly current: number;
  readonly topology: Topology;
  readonly seed: number;
}

/** 'real': a real host's bash in its network namespace (the lab runs in wall time then). */
export type ConsoleKind = 'shell' | 'alteon' | 'real';

export interface ConsoleInfo {
  readonly consoleId: string;
  readonly device: string;
  readonly kind: ConsoleKind;
  readonly prompt: string;
  /** Text a terminal shows first (a banner and the prompt). */
  readonly greeting: string;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly output: string;
  readonly prompt: string;
}

export interface Completion {
  /** Full candidate words. */
  readonly candidates: readonly string[];
  /** Longest common prefix of the candidates (what Tab inserts). */
  readonly common: string;
}

export type TimelineMode = 'playing' | 'paused';

export interface TimelineState {
  readonly mode: TimelineMode;
  readonly speed: number;
  /** Virtual time in ns since the lab started. */
  readonly nowNs: number;
  /** Scheduler events run so far. */
  readonly eventCount: number;
  readonly canStepBack: boolean;
  /** Hosts that are real (TAP + namespace): step back is off and the speed is 1. */
  readonly realHosts?: readonly string[];
  /** Label of the next event, when one is scheduled. */
  readonly next?: string;
}

export interface CapturePointInfo {
  readonly id: string;
  readonly description?: Text;
  readonly count: number;
}

export interface PacketRow {
  /** 1-based number in the whole capture (Wireshark's No.). */
  readonly n: number;
  /** Seconds since the first packet. */
  readonly time: number;
  readonly point: string;
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly length: number;
  readonly info: string;
  /** The device's decision (pcapng packet comment). */
  readonly comment?: string;
}

export interface PacketCount {
  readonly total: number;
  /** Rows that pass the view's capture point and display filter. */
  readonly shown: number;
}

export interface DetailNode {
  readonly label: string;
  /** Byte range [start, end) in the frame, for the hex view. */
  readonly range?: readonly [number, number];
  readonly children?: readonly DetailNode[];
  /** Display-filter field name (`tcp.dstport`), for a field or a protocol. */
  readonly field?: string;
  /** Expert information: 'error' | 'warning' | 'note' | 'chat'. */
  readonly expert?: string;
}

/** A display filter's error: the message and the offending text's offset and length. */
export interface FilterError {
  readonly ok: false;
  readonly error: string;
  readonly pos?: number;
  readonly length?: number;
}
export type FilterResult = { readonly ok: true; readonly shown: number } | FilterError;
/** A display filter checked without being applied. */
export type FilterCheck = { readonly ok: true } | FilterError;

export interface OpenedCapture {
  readonly name: string;
  readonly count: number;
  readonly points: readonly CapturePointInfo[];
  /** Set when the file broke off part-way; the packets before it are loaded. */
  readonly warning?: string;
}

export interface WiresharkInfo {
  readonly available: boolean;
  readonly path?: string;
}

export interface ArpRow {
  readonly ip: string;
  readonly mac: string;
  readonly iface: string;
  readonly state: string;
}
export interface RouteRow {
  readonly dst: string;
  readonly via?: string;
  readonly dev: string;
  readonly metric: number;
  readonly proto: string;
}
export interface SessionRow {
  readonly proto: string;
  readonly client: string;
  readonly vip: string;
  readonly real: string;
  readonly state: string;
}
export interface RealHealthRow {
  readonly id: number;
  readonly rip: string;
  readonly state: string;
  readonly sessions: number;
  /** Sessions the real took since the lab started (requests per real). */
  readonly total?: number;
}
export interface DeviceState {
  readonly device: string;
  readonly kind: string;
  readonly arp: readonly ArpRow[];
  readonly routes: readonly RouteRow[];
  readonly sessions: readonly SessionRow[];
  readonly reals: readonly RealHealthRow[];
  readonly counters: Readonly<Record<string, number>>;
}

export interface AppInfo {
  readonly version: string;
  readonly bridgeVersion: number;
  readonly language: Lang;
  readonly defaultLab: string | null;
}

// ---- methods -------------------------------------------------------------------------------------

/** A method: its argument schemas and (as a phantom type) its result. */
export interface MethodDef<A extends readonly Arg<unknown>[], R> {
  readonly args: A;
  /** 'engine': answered by the engine host; 'shell': by the Electron main process (native dialogs). */
  readonly side: 'engine' | 'shell';
  readonly doc: string;
  readonly _r?: R;
}

function m<R>() {
  return <const A extends readonly Arg<unknown>[]>(doc: string, args: A, side: 'engine' | 'shell' = 'engine'): MethodDef<A, R> => ({ args, side, doc });
}

const ID = str({ min: 1, max: 100, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/ });
const DEVICE = str({ min: 1, max: 64, pattern: /^[A-Za-z][A-Za-z0-9_-]*$/ });
const CONSOLE_ID = str({ min: 1, max: 100, pattern: /^c\d+$/ });
const STEP = int({ min: 0, max: 999 });
const UNIT = oneOf(['event', 'packet'] as const);

export const METHODS = {
  app: {
    info: m<AppInfo>()('Version, bridge version, language and the lab to open first.', []),
    setLanguage: m<Lang>()('Sets the UI language (menus follow it).', [arg('lang', oneOf(LANGS))]),
  },
  labs: {
    list: m<LabInfo[]>()('Every lab with its progress.', []),
    open: m<OpenedLab>()('Opens a lab by id (closing the current one).', [arg('id', ID)]),
    current: m<OpenedLab | null>()('The open lab, or null.', []),
    reset: m<OpenedLab>()('Restarts the open lab from its seed; progress is kept.', []),
  },
  steps: {
    current: m<StepState>()('State of the current step.', []),
    goto: m<StepState>()('Makes a step current.', [arg('index', STEP)]),
    setup: m<ExecResult>()("Runs a step's setup actions.", [arg('index', opt(STEP))]),
    check: m<StepCheckResult>()("Evaluates a step's checks: per check pass/fail and reason.", [arg('index', opt(STEP))]),
    hint: m<Text | null>()('Reveals the next hint of a step (null when none is left).', [arg('index', opt(STEP))]),
    score: m<Score>()('The weighted score of the open lab.', []),
  },
  consoles: {
    open: m<ConsoleInfo>()("Opens a console on a device (its shell or the Alteon CLI).", [arg('device', DEVICE)]),
    close: m<null>()('Closes a console.', [arg('consoleId', CONSOLE_ID)]),
    exec: m<ExecResult>()('Runs one command line; output also streams as consoleOutput.', [arg('consoleId', CONSOLE_ID), arg('line', str({ max: 4096 }))]),
    keys: m<null>()('Terminal keystroke data (line editing, history, Tab, Ctrl-C happen in the engine host).', [
      arg('consoleId', CONSOLE_ID),
      arg('data', str({ max: 65536 })),
    ]),
    complete: m<Completion>()('Tab completion for the text before the cursor.', [arg('consoleId', CONSOLE_ID), arg('before', str({ max: 4096 }))]),
    interrupt: m<null>()('Ctrl-C: interrupts the running command.', [arg('consoleId', CONSOLE_ID)]),
    greeting: m<string>()(
      "pktlab's greeting and the prompt of an open console, in the current UI language (to redraw a console nothing was typed in after a language change).",
      [arg('consoleId', CONSOLE_ID)],
    ),
  },
  topology: {
    get: m<Topology>()('Devices, links, segments, capture points and compound groups.', []),
  },
  timeline: {
    state: m<TimelineState>()('Mode, speed, virtual time, event count.', []),
    play: m<TimelineState>()('Runs virtual time paced to the wall clock.', []),
    pause: m<TimelineState>()('Freezes virtual time.', []),
    stepForward: m<TimelineState>()('Pauses, then runs one event (or up to the next packet).', [arg('unit', opt(UNIT))]),
    stepBack: m<TimelineState>()('Deterministic replay from the seed to the previous event (or packet).', [arg('unit', opt(UNIT))]),
    setSpeed: m<TimelineState>()('Virtual seconds per wall second.', [arg('speed', num({ min: 0.01, max: 10_000 }))]),
  },
  packets: {
    points: m<CapturePointInfo[]>()('Capture points with their packet counts.', []),
    setView: m<PacketCount>()('Shows one capture point (or all, with null).', [arg('point', nullable(ID))]),
    count: m<PacketCount>()('Total packets and rows shown.', []),
    rows: m<PacketRow[]>()('Rows of the view, from a 0-based row index.', [arg('from', int({ min: 0 })), arg('count', int({ min: 0, max: 5000 }))]),
    detail: m<DetailNode[]>()('Detail tree of packet n (1-based No.).', [arg('n', int({ min: 1 }))]),
    bytes: m<Uint8Array>()('Bytes of packet n.', [arg('n', int({ min: 1 }))]),
    setFilter: m<FilterResult>()('Display filter, Wireshark syntax (empty: none); the count, or a clear error.', [arg('expr', str({ max: 2000 }))]),
    checkFilter: m<FilterCheck>()('Validates a display filter without applying it (the bar colours while typing).', [arg('expr', str({ max: 2000 }))]),
    loadSynthetic: m<OpenedCapture>()('Test hook: n synthetic packets as an offline capture (only when the engine host runs with PKTLAB_TEST_HOOKS=1).', [
      arg('count', int({ min: 1, max: 5_000_000 })),
    ]),
  },
  files: {
    openCaptureBytes: m<OpenedCapture>()('Opens pcap/pcapng bytes for offline analysis (no lab).', [
      arg('name', str({ min: 1, max: 255 })),
      arg('bytes', bytes({ max: 512 * 1024 * 1024 })),
    ]),
    captureBytes: m<Uint8Array>()('The capture as pcapng bytes.', []),
    wireshark: m<WiresharkInfo>()('Whether Wireshark is installed.', []),
    openInWireshark: m<null>()('Opens the capture in Wireshark.', []),
    openDialog: m<OpenedCapture | null>()('Native open dialog, then openCaptureBytes (Electron only).', [], 'shell'),
    saveDialog: m<string | null>()('Native save dialog, writes the pcapng; the path or null (Electron only).', [], 'shell'),
  },
  devices: {
    state: m<DeviceState>()('ARP, routes, sessions, real health and counters of a device.', [arg('device', DEVICE)]),
  },
} as const;

type Methods = typeof METHODS;
export type Namespace = keyof Methods;
export type MethodName = { [N in Namespace]: `${N}.${keyof Methods[N] & string}` }[Namespace];

/** Trailing optional arguments may be left out. */
type AllOptional<A> = A extends readonly [infer H, ...infer R] ? (H extends Arg<infer T> ? (undefined extends T ? AllOptional<R> : false) : false) : true;
type Params<A> = AllOptional<A> extends true
  ? Partial<InferArgs<A & readonly Arg<unknown>[]>>
  : A extends readonly [infer H, ...infer R]
    ? [H extends Arg<infer T> ? T : never, ...Params<R>]
    : [];
type Fn<D> = D extends MethodDef<infer A, infer R> ? (...args: Params<A>) => Promise<R> : never;

/** The API the renderer uses. */
export type BridgeMethods = { [N in Namespace]: { [K in keyof Methods[N]]: Fn<Methods[N][K]> } };

/** Every method, flat: 'labs.open' → its definition. */
export const METHOD_TABLE: ReadonlyMap<string, MethodDef<readonly Arg<unknown>[], unknown>> = new Map(
  Object.entries(METHODS).flatMap(([ns, defs]) => Object.entries(defs).map(([k, d]) => [`${ns}.${k}`, d as MethodDef<readonly Arg<unknown>[], unknown>] as const)),
);

export function methodSide(method: string): 'engine' | 'shell' | undefined {
  return METHOD_TABLE.get(method)?.side;
}

// ---- events --------------------------------------------------------------------------------------

export interface ConsoleOutput {
  readonly consoleId: string;
  readonly data: string;
}
export interface ConsoleDone {
  readonly consoleId: string;
  readonly exitCode: number;
  readonly prompt: string;
}
export interface LabChanged {
  readonly lab: OpenedLab | null;
  /** The capture file opened for offline analysis (lab is null then). */
  readonly capture?: OpenedCapture;
}

/** Event streams, by the name the renderer subscribes with. */
export interface BridgeEventMap {
  consoleOutput: ConsoleOutput;
  consoleDone: ConsoleDone;
  packetsAppended: PacketCount;
  timeline: TimelineState;
  labChanged: LabChanged;
  stepChanged: StepState;
  language: Lang;
  /** A menu item the renderer acts on (Electron menus), e.g. 'open-capture', 'save-capture'. */
  menu: string;
}
export type EventName = keyof BridgeEventMap;
export const EVENT_NAMES: readonly EventName[] = ['consoleOutput', 'consoleDone', 'packetsAppended', 'timeline', 'labChanged', 'stepChanged', 'language', 'menu'];

export type Unsubscribe = () => void;
export type BridgeEvents = { [E in EventName]: (cb: (payload: BridgeEventMap[E]) => void) => Unsubscribe };

/** Everything the renderer gets: methods by namespace, `on.<event>(cb)`, and the mode. */
export type Bridge = BridgeMethods & { readonly on: BridgeEvents; readonly mode: 'electron' | 'web' };

// ---- errors and channels -------------------------------------------------------------------------

export type ErrorCode = 'bad-args' | 'unknown-method' | 'no-lab' | 'not-found' | 'unsupported' | 'failed' | 'disconnected';

export interface BridgeErrorData {
  readonly code: ErrorCode;
  readonly message: string;
}

export class BridgeError extends Error implements BridgeErrorData {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
  toJSON(): BridgeErrorData {
    return { code: this.code, message: this.message };
  }
}

/** Null when `method` exists and `args` fit its schemas, else the BridgeError to report. */
export function validateCall(method: unknown, args: unknown): BridgeError | null {
  if (typeof method !== 'string' || !METHOD_TABLE.has(method)) return new BridgeError('unknown-method', `unknown bridge method ${JSON.stringify(method)}`);
  const msg = checkArgs(method, METHOD_TABLE.get(method)!.args, args);
  return msg === null ? null : new BridgeError('bad-args', msg);
}

/** IPC channel of a method (Electron) — every channel starts with BRIDGE_PREFIX. */
export function methodChannel(method: MethodName | string): string {
  return `${BRIDGE_PREFIX}call:${method}`;
}
export function eventChannel(name: EventName): string {
  return `${BRIDGE_PREFIX}event:${name}`;
}
/** The method a channel names, or null when it is not one of ours. */
export function channelMethod(channel: string): string | null {
  const p = `${BRIDGE_PREFIX}call:`;
  if (!channel.startsWith(p)) return null;
  const m = channel.slice(p.length);
  return METHOD_TABLE.has(m) ? m : null;
}

// ---- the wire protocol (worker messages and the WebSocket) -----------------------------------------

export interface RequestMsg {
  readonly t: 'req';
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}
export type ResponseMsg =
  | { readonly t: 'res'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'res'; readonly id: number; readonly ok: false; readonly error: BridgeErrorData };
export interface EventMsg {
  readonly t: 'evt';
  readonly name: EventName;
  readonly payload: unknown;
}
export type HostMsg = ResponseMsg | EventMsg;

export function isRequestMsg(v: unknown): v is RequestMsg {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return r.t === 'req' && typeof r.id === 'number' && Number.isSafeInteger(r.id) && typeof r.method === 'string' && Array.isArray(r.args);
}

export function toErrorData(e: unknown): BridgeErrorData {
  if (e instanceof BridgeError) return e.toJSON();
  return { code: 'failed', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Builds the typed bridge from a transport: `invoke(method, args)` and `subscribe(event, cb)`. The
 * preload and the web client both use it, so the API the renderer sees is the same in both modes.
 * Arguments are validated here too, so a bad call fails before it leaves the page.
 */
export function makeBridge(
  mode: 'electron' | 'web',
  invoke: (method: string, args: unknown[]) => Promise<unknown>,
  subscribe: (event: EventName, cb: (payload: unknown) => void) => Unsubscribe,
): Bridge {
  const api: Record<string, unknown> = { mode };
  for (const [ns, defs] of Object.entries(METHODS)) {
    const o: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
    for (const k of Object.keys(defs)) {
      const method = `${ns}.${k}`;
      o[k] = (...a: unknown[]) => {
        // Trailing undefined arguments are the same as missing ones.
        while (a.length > 0 && a[a.length - 1] === undefined) a.pop();
        const bad = validateCall(method, a);
        return bad ? Promise.reject(bad) : invoke(method, a);
      };
    }
    api[ns] = o;
  }
  const on: Record<string, (cb: (p: unknown) => void) => Unsubscribe> = {};
  for (const e of EVENT_NAMES) {
    on[e] = (cb) => {
      if (typeof cb !== 'function') throw new BridgeError('bad-args', `on.${e}: expected a callback function`);
      return subscribe(e, cb);
    };
  }
  api.on = on;
  return api as unknown as Bridge;
}

// ---- JSON with bytes (the WebSocket carries text) -------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + (i + 1 < b.length ? B64[(n >> 6) & 63]! : '=') + '=';
  }
  return s;
}

export function fromBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = (B64.indexOf(s[i]!) << 18) | (B64.indexOf(s[i + 1]!) << 12) | ((B64.indexOf(s[i + 2]!) & 63) << 6) | (B64.indexOf(s[i + 3]!) & 63);
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// ---- binary WebSocket frames (messages carrying bytes) ---------------------------------------------

const FRAME_MAGIC = 0x31424b50; // 'PKB1' little-endian

/**
 * A message for the WebSocket: JSON text when it holds no bytes, else one binary frame —
 * magic, u32 LE length of the JSON head, the head (each Uint8Array as `{"$blob": [offset, length]}`),
 * then the bytes. Large captures cross without base64.
 */
export function encodeWire(v: unknown): string | Uint8Array {
  const blobs: Uint8Array[] = [];
  let size = 0;
  const head = JSON.stringify(v, (_k, x: unknown) => {
    if (!(x instanceof Uint8Array)) return x;
    blobs.push(x);
    const ref = { $blob: [size, x.length] };
    size += x.length;
    return ref;
  });
  if (blobs.length === 0) return head;
  const h = new TextEncoder().encode(head);
  const out = new Uint8Array(8 + h.length + size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, FRAME_MAGIC, true);
  dv.setUint32(4, h.length, true);
  out.set(h, 8);
  let o = 8 + h.length;
  for (const b of blobs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** The value of a text or binary WebSocket message (bytes are views into `data`). Throws on a bad frame. */
export function decodeWire(data: string | Uint8Array): unknown {
  if (typeof data === 'string') return decodeJson(data);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 8 || dv.getUint32(0, true) !== FRAME_MAGIC) throw new Error('not a pktlab binary frame');
  const hl = dv.getUint32(4, true);
  if (8 + hl > data.length) throw new Error('truncated pktlab binary frame');
  const base = 8 + hl;
  const avail = data.length - base;
  return JSON.parse(new TextDecoder().decode(data.subarray(8, base)), (_k, x: unknown) => {
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const r = (x as { $blob?: unknown }).$blob;
      if (Object.keys(x).length === 1 && Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && (r[0] as number) + (r[1] as number) <= avail) {
        return new Uint8Array(data.buffer, data.byteOffset + base + (r[0] as number), r[1] as number);
      }
    }
    return x;
  });
}

/** JSON text where a Uint8Array is `{"$bytes": base64}`. */
export function encodeJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? { $bytes: toBase64(x) } : x));
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_k, x: unknown) => {
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$bytes' && typeof o.$bytes === 'string') return fromBase64(o.$bytes) ?? x;
    }
    return x;
  });
}

