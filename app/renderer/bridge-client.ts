/**
 * The renderer's bridge client: the same typed `Bridge` (app/shared/bridge.ts) in both modes.
 * - Electron: the preload exposes `window.pktlab` (contextBridge); errors cross it as `code: message`
 *   and are turned back into BridgeError here.
 * - Web mode: a WebSocket to the page's own server (`/ws`; the HttpOnly cookie authenticates it).
 */
import {
  BridgeError,
  METHODS,
  decodeWire,
  encodeWire,
  makeBridge,
  type Bridge,
  type BridgeErrorData,
  type ErrorCode,
  type EventName,
  type HostMsg,
} from '../shared/bridge.ts';

const CODES: readonly ErrorCode[] = ['bad-args', 'unknown-method', 'no-lab', 'not-found', 'unsupported', 'failed', 'disconnected'];

export function errorFrom(e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^(?:Error invoking remote method '[^']*': (?:Error: )?)?([a-z-]+): ([\s\S]*)$/.exec(msg);
  if (m && (CODES as readonly string[]).includes(m[1]!)) return new BridgeError(m[1] as ErrorCode, m[2]!);
  return new BridgeError('failed', msg);
}

/** Wraps the preload's bridge so rejections are BridgeErrors with their code. */
function fromElectron(raw: Bridge): Bridge {
  const out: Record<string, unknown> = { mode: 'electron', on: raw.on };
  for (const ns of Object.keys(METHODS) as (keyof typeof METHODS)[]) {
    const src = raw[ns] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const o: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
    for (const k of Object.keys(METHODS[ns])) o[k] = (...a) => src[k]!(...a).catch((e: unknown) => Promise.reject(errorFrom(e)));
    out[ns] = o;
  }
  return out as unknown as Bridge;
}

export interface WebConnection {
  readonly bridge: Bridge;
  /** Called once when the connection to the server is lost. */
  onClose(fn: () => void): void;
}

export function connectWeb(url = `ws://${location.host}/ws`): Promise<WebConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
    const listeners = new Map<EventName, Set<(p: unknown) => void>>();
    const closeFns: (() => void)[] = [];
    let nextId = 1;
    let open = false;
    ws.addEventListener('message', (ev) => {
      let m: HostMsg;
      try {
        m = decodeWire(typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data as ArrayBuffer)) as HostMsg;
      } catch {
        return;
      }
      if (m.t === 'evt') {
        for (const fn of listeners.get(m.name) ?? []) fn(m.payload);
      } else if (m.t === 'res') {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new BridgeError((m.error as BridgeErrorData).code, (m.error as BridgeErrorData).message));
      }
    });
    ws.addEventListener('close', () => {
      for (const p of pending.values()) p.reject(new BridgeError('disconnected', 'the connection to pktlab was lost'));
      pending.clear();
      if (!open) reject(new BridgeError('disconnected', 'could not connect to pktlab (open the URL it printed)'));
      for (const f of closeFns) f();
    });
    ws.addEventListener('open', () => {
      open = true;
      const bridge = makeBridge(
        'web',
        (method, args) =>
          new Promise((res, rej) => {
            if (ws.readyState !== WebSocket.OPEN) return rej(new BridgeError('disconnected', 'not connected'));
            const id = nextId++;
            pending.set(id, { resolve: res, reject: rej });
            ws.send(encodeWire({ t: 'req', id, method, args }));
          }),
        (event, cb) => {
          let set = listeners.get(event);
          if (!set) listeners.set(event, (set = new Set()));
          set.add(cb);
          return () => set.delete(cb);
        },
      );
      resolve({ bridge, onClose: (fn) => closeFns.push(fn) });
    });
  });
}

/** The bridge for this page: the preload's in Electron, else a WebSocket connection. */
export async function connectBridge(): Promise<WebConnection> {
  const exposed = (globalThis as { pktlab?: Bridge }).pktlab;
  if (exposed) return { bridge: fromElectron(exposed), onClose: () => {} };
  return connectWeb();
}
