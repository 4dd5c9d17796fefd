/**
 * The engine host: the ONE module the app shell (app/main, app/web) imports from the engine.
 *
 * `startEngineHost` starts the engine in a worker thread (engine/host/worker.ts) and returns a small
 * client: `call(method, args)` → promise, `onEvent(cb)`, `close()`. The worker validates every call
 * against the bridge contract (app/shared/bridge.ts) — the shell validates too, before forwarding.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { BridgeError, type BridgeErrorData, type EventName, type HostMsg } from '../../app/shared/bridge.ts';
import type { WorkerConfig } from './worker.ts';

export interface EngineHostOptions {
  /** Directory of lab files; default the repository's labs/. */
  readonly labsDir?: string;
  readonly version?: string;
  /** System locale, e.g. 'ko-KR' (the default UI language follows it). */
  readonly locale?: string;
  readonly defaultLab?: string;
  /**
   * The worker's entry file: default engine/host/worker-boot.mjs (registers tsx, then loads
   * worker.ts from source); a bundled build passes its bundled worker (.mjs).
   */
  readonly workerFile?: string;
}

export type HostEventListener = (name: EventName, payload: unknown) => void;

export interface EngineHost {
  call(method: string, args: readonly unknown[]): Promise<unknown>;
  onEvent(fn: HostEventListener): () => void;
  /** Stops the worker; pending calls reject with `disconnected`. */
  close(): Promise<void>;
  readonly threadId: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const CLOSE_WAIT_MS = 5000;

/** The repository root as seen from this module (source layout). */
export function repoRoot(): string {
  return resolve(here, '..', '..');
}

export function defaultLabsDir(): string {
  return join(repoRoot(), 'labs');
}

export { findWireshark } from './wireshark.ts';

export function startEngineHost(opts: EngineHostOptions = {}): EngineHost {
  const file = opts.workerFile ?? join(here, 'worker-boot.mjs');
  const cfg: WorkerConfig = {
    labsDir: opts.labsDir ?? defaultLabsDir(),
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
    ...(opts.defaultLab ? { defaultLab: opts.defaultLab } : {}),
  };
  const worker = new Worker(file, { workerData: cfg });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Set<HostEventListener>();
  let nextId = 1;
  let closed = false;
  const failAll = (why: string): void => {
    closed = true;
    for (const p of pending.values()) p.reject(new BridgeError('disconnected', why));
    pending.clear();
  };
  let onClosed: (() => void) | null = null;
  worker.on('message', (m: HostMsg | 'closed') => {
    if (m === 'closed') {
      onClosed?.();
      return;
    }
    if (m.t === 'evt') {
      for (const l of listeners) l(m.name, m.payload);
    } else if (m.t === 'res') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new BridgeError((m.error as BridgeErrorData).code, (m.error as BridgeErrorData).message));
    }
  });
  worker.on('error', (e) => failAll(`engine host stopped: ${e.message}`));
  worker.on('exit', (code) => failAll(`engine host exited (${code})`));
  return {
    threadId: worker.threadId,
    call(method, args) {
      if (closed) return Promise.reject(new BridgeError('disconnected', 'engine host is closed'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ t: 'req', id, method, args: [...args] });
      });
    },
    onEvent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The worker disposes the lab first (real hosts removed; at most CLOSE_WAIT_MS), then stops. */
    async close() {
      if (closed) return;
      failAll('engine host is closed');
      await new Promise<void>((done) => {
        const t = setTimeout(done, CLOSE_WAIT_MS);
        onClosed = () => {
          clearTimeout(t);
          done();
        };
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}
