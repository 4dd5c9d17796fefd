/**
 * Device consoles: one xterm.js terminal per device, in tabs. Keystrokes go to the engine host's
 * line discipline (`consoles.keys`: echo, history, left/right, Home/End, Backspace/Delete, Ctrl-A/E/U/K,
 * Ctrl-C, Ctrl-L, Tab completion with the device's completer — the Alteon CLI completes menu paths),
 * output streams back as `consoleOutput`. Copy/paste: Ctrl+Shift+C / Ctrl+Shift+V (and Ctrl+C with a
 * selection copies instead of interrupting). A command bar sends a whole line (`consoles.exec`).
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { Bridge, ConsoleInfo, TopoDevice } from '../../shared/bridge.ts';
import { t } from '../i18n.ts';
import { icon } from './icons.ts';
import { button, h } from './util.ts';
import { pruneCspStyles, withCspSafeStyles } from './csp-styles.ts';

interface Open {
  readonly info: ConsoleInfo;
  readonly term: Terminal;
  readonly fit: FitAddon;
  readonly pane: HTMLElement;
  /** Keystrokes waiting to be sent (sent in order, one request at a time). */
  queue: string;
  sending: boolean;
  /** Something was typed or printed after the greeting (the greeting is then not redrawn). */
  used: boolean;
}

const DARK = {
  background: '#0b0f16',
  foreground: '#d6deeb',
  cursor: '#7fdbca',
  cursorAccent: '#0b0f16',
  selectionBackground: '#2d4f7c',
  black: '#1d2433',
  red: '#ff6b6b',
  green: '#5fd3a5',
  yellow: '#ffcb6b',
  blue: '#82aaff',
  magenta: '#c792ea',
  cyan: '#7fdbca',
  white: '#d6deeb',
  brightBlack: '#5d6b82',
  brightRed: '#ff8a80',
  brightGreen: '#7fe0b8',
  brightYellow: '#ffe08a',
  brightBlue: '#a8c5ff',
  brightMagenta: '#dcb6f5',
  brightCyan: '#a5ece0',
  brightWhite: '#ffffff',
};

export class Consoles {
  readonly el = h('section', { class: 'consoles' });
  private readonly strip = h('div', { class: 'devices console-tabs', role: 'tablist' });
  private readonly stack = h('div', { class: 'console-stack' });
  private readonly empty = h('div', { class: 'empty-state' });
  private readonly cmdInput = h('input', { class: 'cmd-input', 'data-role': 'console-input', autocomplete: 'off', spellcheck: 'false' });
  private readonly cmdBar: HTMLFormElement;
  private readonly toolbar = h('div', { class: 'console-tools' });
  private devices: TopoDevice[] = [];
  private readonly open = new Map<string, Open>();
  private readonly byId = new Map<string, Open>();
  private current: string | null = null;
  private readonly resizeObs: ResizeObserver;
  onDeviceSelected: (device: string) => void = () => {};

  constructor(
    private readonly bridge: Bridge,
    private readonly onError: (e: unknown) => void,
  ) {
    this.cmdBar = h('form', { class: 'cmd-bar' }, icon('send'), this.cmdInput);
    this.cmdBar.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const line = this.cmdInput.value;
      this.cmdInput.value = '';
      void this.execLine(line);
    });
    this.el.append(h('div', { class: 'console-head' }, this.strip, this.toolbar), h('div', { class: 'console-body' }, this.stack, this.empty), this.cmdBar);
    bridge.on.consoleOutput(({ consoleId, data }) => {
      const o = this.byId.get(consoleId);
      if (!o) return;
      o.used = true;
      o.term.write(data);
    });
    this.resizeObs = new ResizeObserver(() => this.fitCurrent());
    this.resizeObs.observe(this.stack);
    this.renderLabels();
  }

  renderLabels(): void {
    this.toolbar.replaceChildren(
      button({ icon: 'copy', title: t('copyTip'), action: 'console-copy', cls: 'btn icon-only', onClick: () => void this.copy() }),
      button({ icon: 'paste', title: t('pasteTip'), action: 'console-paste', cls: 'btn icon-only', onClick: () => void this.paste() }),
      button({ icon: 'eraser', title: t('clearTip'), action: 'console-clear', cls: 'btn icon-only', onClick: () => this.currentOpen()?.term.clear() }),
    );
    this.empty.replaceChildren(icon('terminal', 'big'), h('div', {}, t('noConsole')));
    this.updateCmdBar();
    this.renderStrip();
  }

  /** A new lab: closes every terminal and lists the devices with a console. */
  setDevices(devices: readonly TopoDevice[]): void {
    for (const o of this.open.values()) o.term.dispose();
    this.open.clear();
    this.byId.clear();
    this.stack.replaceChildren();
    pruneCspStyles();
    this.current = null;
    this.devices = devices.filter((d) => d.console);
    this.renderStrip();
    this.updateCmdBar();
    this.empty.hidden = false;
  }

  get devicesWithConsole(): readonly TopoDevice[] {
    return this.devices;
  }

  get currentDevice(): string | null {
    return this.current;
  }

  private renderStrip(): void {
    this.strip.replaceChildren(
      ...this.devices.map((d) => {
        const b = h('button', { type: 'button', class: `ctab${d.id === this.current ? ' active' : ''}${this.open.has(d.id) ? ' opened' : ''}`, 'data-device': d.id, role: 'tab', title: `${d.label} (${d.kind})` });
        b.append(icon(d.kind === 'host' ? 'terminal' : 'device'), h('span', { class: 'label' }, d.label), h('span', { class: 'dot' }));
        b.addEventListener('click', () => void this.show(d.id));
        return b;
      }),
    );
  }

  private updateCmdBar(): void {
    this.cmdInput.placeholder = this.current ? t('commandBar', { device: this.current }) : t('noConsole');
    this.cmdInput.title = t('commandBarTip');
    this.cmdInput.setAttribute('aria-label', t('commandBarTip'));
    this.cmdInput.disabled = !this.current;
    // The active terminal's rows: what tests and screen readers read.
    for (const o of this.open.values()) {
      const rows = o.pane.querySelector('.xterm-rows');
      if (rows) {
        if (o.info.device === this.current) rows.setAttribute('data-role', 'console-output');
        else rows.removeAttribute('data-role');
      }
    }
  }

  async show(device: string, focus = true): Promise<void> {
    try {
      let o = this.open.get(device);
      if (!o) {
        const info = await this.bridge.consoles.open(device);
        o = this.create(info);
      }
      this.current = device;
      for (const x of this.open.values()) x.pane.hidden = x !== o;
      this.empty.hidden = true;
      this.renderStrip();
      this.updateCmdBar();
      this.fitCurrent();
      if (focus) o.term.focus();
      this.onDeviceSelected(device);
    } catch (e) {
      this.onError(e);
    }
  }

  private create(info: ConsoleInfo): Open {
    const pane = h('div', { class: 'console-pane', 'data-console': info.device });
    this.stack.append(pane);
    const term = new Terminal({
      fontFamily: "'DejaVu Sans Mono', 'Noto Sans Mono CJK KR', ui-monospace, Menlo, Consolas, monospace",
      fontSize: 13,
      lineHeight: 1.15,
      cursorBlink: true,
      cursorStyle: 'bar',
      scrollback: 5000,
      theme: DARK,
      allowProposedApi: false,
      convertEol: false,
      rightClickSelectsWord: true,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    withCspSafeStyles(() => term.open(pane));
    const o: Open = { info, term, fit, pane, queue: '', sending: false, used: false };
    this.open.set(info.device, o);
    this.byId.set(info.consoleId, o);
    term.write(info.greeting);
    term.onData((data) => this.send(o, data));
    term.attachCustomKeyEventHandler((ev) => this.key(o, ev));
    try {
      fit.fit();
    } catch {
      /* not laid out yet */
    }
    return o;
  }

  /**
   * After the UI language changed (the engine host knows it): redraws the greeting of every console
   * nothing was typed in yet, so it follows the language. Consoles in use keep their text.
   */
  async regreet(): Promise<void> {
    for (const o of [...this.open.values()]) {
      if (o.used) continue;
      try {
        const g = await this.bridge.consoles.greeting(o.info.consoleId);
        if (o.used || this.byId.get(o.info.consoleId) !== o) continue;
        o.term.reset();
        o.term.write(g);
      } catch {
        /* the lab changed meanwhile */
      }
    }
  }

  /** Keys the terminal should not send: copy/paste shortcuts. */
  private key(o: Open, ev: KeyboardEvent): boolean {
    if (ev.type !== 'keydown') return true;
    const k = ev.key.toLowerCase();
    if (ev.ctrlKey && ev.shiftKey && k === 'c') {
      void this.copy();
      ev.preventDefault();
      return false;
    }
    if (ev.ctrlKey && ev.shiftKey && k === 'v') {
      void this.paste();
      ev.preventDefault();
      return false;
    }
    if (ev.ctrlKey && !ev.shiftKey && k === 'c' && o.term.hasSelection()) {
      void this.copy();
      return false;
    }
    // Application shortcuts (F-keys) are left to the window.
    if (/^F([1-9]|1[0-2])$/.test(ev.key)) return false;
    return true;
  }

  private send(o: Open, data: string): void {
    o.used = true;
    o.queue += data;
    if (o.sending) return;
    const pump = (): void => {
      if (!o.queue) {
        o.sending = false;
        return;
      }
      o.sending = true;
      const chunk = o.queue.slice(0, 60000);
      o.queue = o.queue.slice(chunk.length);
      this.bridge.consoles.keys(o.info.consoleId, chunk).then(pump, (e: unknown) => {
        o.sending = false;
        o.queue = '';
        this.onError(e);
      });
    };
    pump();
  }

  /** Types a line into the current console as keystrokes (line and Enter). */
  typeLine(line: string): void {
    const o = this.currentOpen();
    if (o) this.send(o, `${line}\r`);
  }

  private async execLine(line: string): Promise<void> {
    const o = this.currentOpen();
    if (!o) return;
    o.used = true;
    try {
      await this.bridge.consoles.exec(o.info.consoleId, line);
    } catch (e) {
      this.onError(e);
    }
    o.term.focus();
  }

  private currentOpen(): Open | undefined {
    return this.current ? this.open.get(this.current) : undefined;
  }

  private async copy(): Promise<void> {
    const o = this.currentOpen();
    const text = o?.term.getSelection() ?? '';
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      /* clipboard refused: nothing to do */
    }
  }

  private async paste(): Promise<void> {
    const o = this.currentOpen();
    if (!o) return;
    try {
      const text = await navigator.clipboard.readText();
      if (text) o.term.paste(text);
    } catch {
      /* clipboard refused */
    }
    o.term.focus();
  }

  fitCurrent(): void {
    const o = this.currentOpen();
    if (!o || o.pane.hidden || !this.el.isConnected || this.stack.clientWidth === 0) return;
    try {
      o.fit.fit();
    } catch {
      /* not laid out */
    }
  }

  focus(): void {
    this.currentOpen()?.term.focus();
  }
}
