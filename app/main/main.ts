/**
 * The Electron main process. It only creates the window, the menus and the file dialogs; every
 * bridge call goes to the engine host (engine/host, the same module web mode uses) in a worker.
 *
 * Security (Electron's checklist, docs/tutorial/security.md):
 *  #1 no remote content: only app:// is served; other requests are cancelled.
 *  #2-#4 nodeIntegration off, contextIsolation on, sandbox on (app.enableSandbox for every renderer).
 *  #5 permission requests denied.  #7 CSP header on every app:// response (+ meta in index.html).
 *  #12 <webview> refused.  #13 navigation denied.  #14 new windows denied.
 *  #16 no shell.openExternal with page input.  #17 IPC: channel prefix, sender frame and arguments checked.
 *  #18 custom protocol instead of file://.  Electron's event object never reaches the page (preload).
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEngineHost, type EngineHost } from '../../engine/host/index.ts';
import { BridgeError, BRIDGE_PREFIX, EVENT_NAMES, METHOD_TABLE, eventChannel, methodChannel, methodSide, toErrorData, validateCall, type EventName, type Lang, type OpenedCapture } from '../shared/bridge.ts';
import { APP_SCHEME, APP_URL, ELECTRON_CSP, isAppUrl } from './security.ts';
import { menuSpec, type MenuCommand } from './menu.ts';

const here = dirname(fileURLToPath(import.meta.url)); // app/dist/electron when bundled
const distDir = join(here, '..');
const rendererDir = join(distDir, 'renderer');
const labsDir = app.isPackaged ? join(process.resourcesPath, 'labs') : join(distDir, '..', '..', 'labs');

let win: BrowserWindow | null = null;
let host: EngineHost | null = null;
let language: Lang = 'en';
let wiresharkAvailable = false;

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.enableSandbox(); // #4
  app.whenReady().then(ready, (e: unknown) => {
    console.error(e);
    app.quit();
  });
}

/** app://pktlab/<file> → the built renderer file, with the CSP header (#7, #18). */
function serveApp(): void {
  protocol.handle(APP_SCHEME, async (req) => {
    const u = new URL(req.url);
    const rel = normalize(decodeURIComponent(u.pathname === '/' ? '/index.html' : u.pathname)).replace(/^[/\\]+/, '');
    const file = join(rendererDir, rel);
    if (u.host !== 'pktlab' || !file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', ELECTRON_CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _perm, cb) => cb(false)); // #5
  ses.setPermissionCheckHandler(() => false);
  // #1: nothing but our own scheme (and devtools) is loaded.
  ses.webRequest.onBeforeRequest((details, cb) => {
    const ok = details.url.startsWith(`${APP_SCHEME}://`) || details.url.startsWith('devtools://');
    cb({ cancel: !ok });
  });
}

function hardenContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (ev, url) => {
      if (url !== contents.getURL()) ev.preventDefault(); // #13
    });
    contents.on('will-redirect', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' })); // #14
    contents.on('will-attach-webview', (ev) => ev.preventDefault()); // #12
  });
}

/** #17: a call must come from our window's main frame, loaded from app://. */
function senderOk(e: IpcMainInvokeEvent): boolean {
  return win !== null && e.sender === win.webContents && e.senderFrame !== null && e.senderFrame === win.webContents.mainFrame && isAppUrl(e.senderFrame.url);
}

function registerIpc(h: EngineHost): void {
  for (const method of METHOD_TABLE.keys()) {
    const channel = methodChannel(method);
    if (!channel.startsWith(BRIDGE_PREFIX)) throw new Error(`bridge channel without the prefix: ${channel}`);
    ipcMain.handle(channel, async (e, ...args: unknown[]) => {
      try {
        if (!senderOk(e)) throw new BridgeError('failed', 'IPC refused: unknown sender');
        const bad = validateCall(method, args);
        if (bad) throw bad;
        const value = methodSide(method) === 'shell' ? await shellCall(method) : await h.call(method, args);
        return { ok: true, value: value ?? null };
      } catch (err) {
        return { ok: false, error: toErrorData(err) };
      }
    });
  }
  h.onEvent((name, payload) => {
    if (name === 'language') {
      language = payload as Lang;
      buildMenu();
    }
    send(name, payload);
  });
}

function send(name: EventName, payload: unknown): void {
  if (!EVENT_NAMES.includes(name)) return;
  win?.webContents.send(eventChannel(name), payload);
}

async function openCaptureDialog(): Promise<OpenedCapture | null> {
  if (!win || !host) return null;
  const r = await dialog.showOpenDialog(win, {
    properties: ['openFile'],
    filters: [
      { name: 'Captures', extensions: ['pcapng', 'pcap', 'cap'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  const file = r.filePaths[0];
  if (r.canceled || !file) return null;
  const bytes = new Uint8Array(await readFile(file));
  return (await host.call('files.openCaptureBytes', [basename(file), bytes])) as OpenedCapture;
}

async function saveCaptureDialog(): Promise<string | null> {
  if (!win || !host) return null;
  const current = (await host.call('labs.current', [])) as { lab: { id: string } } | null;
  const r = await dialog.showSaveDialog(win, {
    defaultPath: `${current?.lab.id ?? 'capture'}.pcapng`,
    filters: [{ name: 'pcapng', extensions: ['pcapng'] }],
  });
  if (r.canceled || !r.filePath) return null;
  const bytes = (await host.call('files.captureBytes', [])) as Uint8Array;
  await writeFile(r.filePath, bytes);
  return r.filePath;
}

async function shellCall(method: string): Promise<unknown> {
  if (method === 'files.openDialog') return openCaptureDialog();
  if (method === 'files.saveDialog') return saveCaptureDialog();
  throw new BridgeError('unsupported', `${method} is not a shell method`);
}

function command(c: MenuCommand): void {
  const fail = (e: unknown): void => void dialog.showErrorBox('pktlab', e instanceof Error ? e.message : String(e));
  switch (c) {
    case 'open-capture':
      openCaptureDialog().then((r) => r && send('menu', 'open-capture'), fail);
      break;
    case 'save-capture':
      saveCaptureDialog().catch(fail);
      break;
    case 'open-in-wireshark':
      host?.call('files.openInWireshark', []).catch(fail);
      break;
    case 'reset-lab':
      host?.call('labs.reset', []).catch(fail);
      break;
    case 'lang-ko':
    case 'lang-en':
      host?.call('app.setLanguage', [c === 'lang-ko' ? 'ko' : 'en']).catch(fail);
      break;
    case 'reload':
      win?.webContents.reload();
      break;
    case 'devtools':
      win?.webContents.toggleDevTools();
      break;
    case 'about':
      void dialog.showMessageBox({ title: 'pktlab', message: `pktlab ${app.getVersion()}`, detail: 'A desktop network lab with packet-level emulation.' });
      break;
    case 'quit':
      app.quit();
      break;
  }
}

function buildMenu(): void {
  const template: MenuItemConstructorOptions[] = menuSpec(language, { wireshark: wiresharkAvailable }).map((m) => ({
    label: m.label,
    submenu: m.items.map((i): MenuItemConstructorOptions =>
      i.type === 'separator'
        ? { type: 'separator' }
        : {
            label: i.label,
            ...(i.accelerator ? { accelerator: i.accelerator } : {}),
            ...(i.type === 'radio' ? { type: 'radio' as const, checked: i.checked ?? false } : {}),
            enabled: i.enabled ?? true,
            click: () => i.command && command(i.command),
          },
    ),
  }));
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function ready(): Promise<void> {
  lockDownSession();
  hardenContents();
  serveApp();
  host = startEngineHost({ workerFile: join(distDir, 'engine-host.mjs'), labsDir, version: app.getVersion(), locale: app.getLocale() });
  registerIpc(host);
  const info = (await host.call('app.info', [])) as { language: Lang };
  language = info.language;
  wiresharkAvailable = ((await host.call('files.wireshark', [])) as { available: boolean }).available;
  buildMenu();
  win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'pktlab',
    backgroundColor: '#f4f6f9',
    show: false,
    // Written out here (not built by a helper) so static checkers such as Electronegativity see it.
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      nodeIntegration: false, // #2
      nodeIntegrationInWorker: false, // #2
      nodeIntegrationInSubFrames: false, // #2
      contextIsolation: true, // #3
      sandbox: true, // #4
      webSecurity: true, // #6
      allowRunningInsecureContent: false, // #8
      experimentalFeatures: false, // #9
      disableBlinkFeatures: 'Auxclick', // #13: middle-click cannot open links
      webviewTag: false, // #12
      navigateOnDragDrop: false, // #13
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = null;
  });
  await win.loadURL(APP_URL);
  app.on('window-all-closed', () => {
    void shutdown();
  });
}

/** Closes the engine host first: the worker disposes the lab (real hosts' namespaces and TAPs). */
let closing: Promise<void> | null = null;
function shutdown(code = 0): Promise<void> {
  closing ??= (host?.close() ?? Promise.resolve()).catch(() => {}).finally(() => app.exit(code));
  return closing;
}
app.on('before-quit', (ev) => {
  if (closing === null && host) {
    ev.preventDefault();
    void shutdown();
  }
});
process.once('SIGINT', () => void shutdown(130));
process.once('SIGTERM', () => void shutdown(143));
