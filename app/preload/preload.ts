/**
 * The preload: exposes the bridge to the page via contextBridge as named, typed functions
 * (`window.pktlab.labs.open(id)`, `window.pktlab.on.consoleOutput(cb)`), never ipcRenderer itself
 * (Electron security checklist #3 contextIsolation, #20 do not expose Electron APIs to untrusted web
 * content). Runs sandboxed (#4): bundled to one CommonJS file that requires only 'electron'.
 *
 * - Every call goes to its own channel `pktlab:call:<method>` (one shared prefix, checked by main);
 *   arguments are validated here first and again in main and the engine host.
 * - Results come back as `{ ok, value | error }`; an error is rethrown as `code: message`.
 * - Event callbacks are wrapped: the page gets the payload only, never Electron's event object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_PREFIX, eventChannel, makeBridge, methodChannel, type BridgeErrorData } from '../shared/bridge.ts';

type Envelope = { ok: true; value: unknown } | { ok: false; error: BridgeErrorData };

const bridge = makeBridge(
  'electron',
  async (method, args) => {
    const channel = methodChannel(method);
    if (!channel.startsWith(BRIDGE_PREFIX)) throw new Error('failed: bad channel');
    const r = (await ipcRenderer.invoke(channel, ...args)) as Envelope;
    if (r.ok) return r.value;
    throw new Error(`${r.error.code}: ${r.error.message}`);
  },
  (event, cb) => {
    const channel = eventChannel(event);
    const listener = (_e: Electron.IpcRendererEvent, payload: unknown): void => cb(payload);
    ipcRenderer.on(channel, listener);
    return () => {
      ipcRenderer.removeListener(channel, listener);
    };
  },
);

contextBridge.exposeInMainWorld('pktlab', bridge);
