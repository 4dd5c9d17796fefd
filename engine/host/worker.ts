/**
 * The engine host's worker thread: runs an EngineService and answers bridge requests posted by the
 * app shell (Electron main or the web server), so engine work never blocks the UI's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isRequestMsg, toErrorData, type HostMsg } from '../../app/shared/bridge.ts';
import { EngineService } from './service.ts';

export interface WorkerConfig {
  readonly labsDir: string;
  readonly version?: string;
  readonly locale?: string;
  readonly defaultLab?: string;
}

const port = parentPort;
if (port === null) throw new Error('engine/host/worker.ts runs only as a worker thread (use startEngineHost)');
const cfg = workerData as WorkerConfig;
const post = (m: HostMsg): void => port.postMessage(m);
const service = new EngineService({ ...cfg, emit: (name, payload) => post({ t: 'evt', name, payload }) });

port.on('message', (msg: unknown) => {
  if (msg === 'close') {
    // Real hosts' namespaces and TAPs go before the thread does (workers get no signals).
    void service.disposeAsync().finally(() => {
      port.postMessage('closed');
      port.close();
    });
    return;
  }
  if (!isRequestMsg(msg)) return;
  service.call(msg.method, msg.args).then(
    (value) => post({ t: 'res', id: msg.id, ok: true, value: value === undefined ? null : value }),
    (e: unknown) => post({ t: 'res', id: msg.id, ok: false, error: toErrorData(e) }),
  );
});
