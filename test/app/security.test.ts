/**
 * Electron security: Electronegativity finds no HIGH issue in app/ (sources and the built bundles),
 * and the checklist items are checked statically in the main process and preload sources.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll } from '../../app/build.ts';
import { menuSpec } from '../../app/main/menu.ts';
import { APP_URL, ELECTRON_CSP, isAppUrl } from '../../app/main/security.ts';

const root = process.cwd();
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

describe('app security (Electron checklist)', function () {
  before(async function () {
    this.timeout(120_000);
    await buildAll();
  });

  it('Electronegativity reports no HIGH finding in app/', function () {
    this.timeout(300_000);
    const cli = createRequire(import.meta.url).resolve('@doyensec/electronegativity/dist/index.js');
    const out = join(mkdtempSync(join(tmpdir(), 'pktlab-eneg-')), 'report.csv');
    // The release-list check downloads Electron's release notes; CI runs offline.
    const r = spawnSync(process.execPath, [cli, '-i', join(root, 'app'), '-o', out, '-r', '-e', '39.8.10', '-x', 'AvailableSecurityFixesGlobalCheck'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr || r.stdout);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    const high = rows.filter((l) => /^[A-Z_]+,"(HIGH|CRITICAL)"/.test(l));
    assert.deepEqual(high, [], `HIGH findings:\n${high.join('\n')}`);
    assert.ok(!rows.some((l) => /CONTEXT_ISOLATION|NODE_INTEGRATION|SANDBOX_JS|WEB_SECURITY|INSECURE_CONTENT/.test(l)), rows.join('\n'));
  });

  it('the window has contextIsolation, sandbox, no nodeIntegration, no webview', function () {
    const main = read('app/main/main.ts');
    const prefs = /webPreferences: \{([\s\S]*?)\n    \}/.exec(main)?.[1] ?? '';
    for (const line of ['nodeIntegration: false', 'nodeIntegrationInWorker: false', 'nodeIntegrationInSubFrames: false', 'contextIsolation: true', 'sandbox: true', 'webSecurity: true', 'allowRunningInsecureContent: false', 'webviewTag: false']) {
      assert.ok(prefs.includes(line), `webPreferences must set ${line}`);
    }
    assert.match(main, /app\.enableSandbox\(\)/);
  });

  it('navigation, new windows, webviews and permissions are denied; only app:// loads', function () {
    const main = read('app/main/main.ts');
    assert.match(main, /'will-navigate'[\s\S]{0,120}preventDefault/);
    assert.match(main, /setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/);
    assert.match(main, /'will-attach-webview'[\s\S]{0,60}preventDefault/);
    assert.match(main, /setPermissionRequestHandler\(\(_wc, _perm, cb\) => cb\(false\)\)/);
    assert.match(main, /onBeforeRequest/);
    assert.match(main, /requestSingleInstanceLock/);
    assert.ok(isAppUrl(APP_URL));
    assert.ok(!isAppUrl('https://example.com/'));
    assert.ok(!isAppUrl('file:///etc/passwd'));
    assert.ok(!isAppUrl('app://evil/index.html'));
  });

  it('serves a strict CSP in Electron and in the page itself', function () {
    assert.match(ELECTRON_CSP, /default-src 'self'/);
    assert.match(ELECTRON_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(ELECTRON_CSP, /unsafe-inline|unsafe-eval/);
    assert.match(read('app/main/main.ts'), /headers\.set\('Content-Security-Policy', ELECTRON_CSP\)/);
    const html = read('app/renderer/index.html');
    assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self';/);
  });

  it('IPC: the sender frame is checked and arguments validated; the preload exposes no ipcRenderer', function () {
    const main = read('app/main/main.ts');
    assert.match(main, /if \(!senderOk\(e\)\)/);
    assert.match(main, /validateCall\(method, args\)/);
    assert.match(main, /e\.senderFrame === win\.webContents\.mainFrame && isAppUrl\(e\.senderFrame\.url\)/);
    const preload = read('app/preload/preload.ts');
    assert.match(preload, /contextBridge\.exposeInMainWorld\('pktlab', bridge\)/);
    assert.doesNotMatch(preload, /exposeInMainWorld\([^)]*ipcRenderer/);
    // Event callbacks get the payload only, never Electron's event object.
    assert.match(preload, /\(_e: Electron\.IpcRendererEvent, payload: unknown\): void => cb\(payload\)/);
    const bundle = readFileSync(join(root, 'app/dist/electron/preload.cjs'), 'utf8');
    assert.match(bundle, /require\("electron"\)/);
    assert.doesNotMatch(bundle, /require\("(?!electron")[^"]+"\)/, 'a sandboxed preload requires only electron');
  });

  it('has Korean and English menus', function () {
    const ko = menuSpec('ko', { wireshark: false }).map((m) => m.label);
    const en = menuSpec('en', { wireshark: false }).map((m) => m.label);
    assert.deepEqual(ko, ['파일', '실습', '보기', '언어', '도움말']);
    assert.deepEqual(en, ['File', 'Lab', 'View', 'Language', 'Help']);
    assert.equal(menuSpec('en', { wireshark: false })[0]!.items.find((i) => i.command === 'open-in-wireshark')?.enabled, false);
  });
});
