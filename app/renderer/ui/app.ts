/**
 * The pktlab window: a top bar (files, timeline, language, theme), the lab guide on the left, the
 * topology with the selected device's tables above a dock of consoles / packets / distribution
 * chart, and a status bar. All panes are resizable; keyboard shortcuts are listed under F1.
 */
import type { AppInfo, Bridge, LabInfo, OpenedCapture, OpenedLab, PacketCount, TimelineState, TopoDevice } from '../../shared/bridge.ts';
import { getLang, initialLang, initI18n, onLangChange, saveLang, setLang, t, tx } from '../i18n.ts';
import { Consoles } from './consoles.ts';
import { DistributionChart } from './chart.ts';
import { DeviceStatePanel } from './device-state.ts';
import { Guide } from './guide.ts';
import { icon } from './icons.ts';
import { PacketPanes } from './packets.ts';
import { TimelineControls } from './timeline.ts';
import { TopologyView } from './topology.ts';
import { Split, Tabs, button, fmtInt, fmtTime, h, load, store } from './util.ts';

type Theme = 'dark' | 'light';

export class App {
  private readonly root = document.getElementById('app')!;
  private readonly header = h('header', { class: 'topbar' });
  private readonly statusBar = h('footer', { class: 'statusbar', 'data-role': 'status' });
  private readonly toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  private readonly fileInput = h('input', { type: 'file', accept: '.pcap,.pcapng,.cap,.ntar,application/vnd.tcpdump.pcap', class: 'hidden-file', 'data-role': 'open-file', tabindex: '-1', 'aria-hidden': 'true' });
  private readonly guide: Guide;
  private readonly topology = new TopologyView();
  private readonly deviceState: DeviceStatePanel;
  private readonly consoles: Consoles;
  private readonly packets: PacketPanes;
  private readonly chart: DistributionChart;
  private readonly timeline: TimelineControls;
  private readonly dock = new Tabs();
  private readonly topoPane = h('section', { class: 'topo-pane' });
  private readonly topoHead = h('div', { class: 'pane-title topo-title' });
  private readonly work = h('div', { class: 'work' });
  private workSplit!: Split;
  private info: AppInfo | null = null;
  private labs: LabInfo[] = [];
  private opened: OpenedLab | null = null;
  private offline: OpenedCapture | null = null;
  private count: PacketCount = { total: 0, shown: 0 };
  private tl: TimelineState = { mode: 'paused', speed: 1, nowNs: 0, eventCount: 0, canStepBack: false };
  private wireshark = false;
  private theme: Theme = load<Theme>('theme', 'dark');
  private poll: ReturnType<typeof setInterval> | undefined;
  private connected = true;
  private helpEl: HTMLElement | null = null;
  private maxBtn!: HTMLButtonElement;
  private maximized = false;

  constructor(private readonly bridge: Bridge) {
    const onError = (e: unknown): void => this.error(e);
    this.guide = new Guide(bridge, onError);
    this.deviceState = new DeviceStatePanel(bridge, onError);
    this.consoles = new Consoles(bridge, onError);
    this.packets = new PacketPanes(bridge, onError);
    this.chart = new DistributionChart(bridge);
    this.timeline = new TimelineControls(bridge, onError);
    this.guide.onOpenLab = (id) => void this.openLab(id);
    this.guide.onReset = () => void this.resetLab();
    this.guide.onStepChanged = () => this.renderStatus();
    this.topology.onSelect = (d) => this.selectDevice(d, true);
    this.deviceState.onOpenConsole = (d) => {
      this.dock.select('consoles');
      void this.consoles.show(d);
    };
    this.consoles.onDeviceSelected = (d) => {
      if (this.deviceState.currentDevice !== d) this.selectDevice(d, false);
    };
    this.packets.onNewRows = (rows) => this.topology.animatePackets(rows);
    this.packets.onCount = (c) => {
      this.count = c;
      this.dock.setBadge('packets', c.total ? fmtInt(c.shown) : '');
      this.renderStatus();
    };
    this.timeline.onState = (s) => {
      this.tl = s;
      this.chart.setNow(s.nowNs);
      this.renderStatus();
      this.syncPoll();
    };
    bridge.on.labChanged(({ lab, capture }) => void this.onLabChanged(lab, capture));
    bridge.on.language((l) => {
      if (l !== getLang()) {
        setLang(l);
        saveLang(l);
      }
      void this.consoles.regreet();
    });
    bridge.on.menu((cmd) => this.onMenu(cmd));
    onLangChange(() => this.renderLabels());
    this.fileInput.addEventListener('change', () => void this.openFileFromInput());
  }

  async start(): Promise<void> {
    this.applyTheme();
    const info = await this.bridge.app.info();
    this.info = info;
    const lang = initialLang(info.language, this.bridge.mode);
    await initI18n(lang);
    if (lang !== info.language) void this.bridge.app.setLanguage(lang).catch(() => {});
    this.layout();
    this.renderLabels();
    this.root.removeAttribute('aria-busy');
    void this.bridge.files.wireshark().then(
      (w) => {
        this.wireshark = w.available;
        this.renderHeader();
      },
      () => {},
    );
    this.labs = await this.bridge.labs.list();
    this.guide.setLabs(this.labs);
    const current = await this.bridge.labs.current().catch(() => null);
    if (current) await this.showLab(current);
    else {
      const id = info.defaultLab ?? this.labs.find((l) => l.problems.length === 0)?.id;
      if (id) await this.openLab(id);
    }
    window.addEventListener('keydown', (ev) => this.onKey(ev), true);
  }

  onDisconnect(): void {
    this.connected = false;
    this.renderStatus();
    const reload = button({ icon: 'reset', label: t('reconnect'), cls: 'btn' });
    reload.addEventListener('click', () => location.reload());
    this.root.prepend(h('div', { class: 'banner', role: 'alert' }, icon('alert'), h('span', {}, t('lost')), reload));
  }

  // ---- layout --------------------------------------------------------------------------------------

  private layout(): void {
    const canvasSplit = new Split(this.topology.el, this.deviceState.el, { dir: 'h', key: 'topo-state', initial: 0.66, fraction: true, min: 0.3, max: 0.85 });
    this.topoPane.append(this.topoHead, canvasSplit.el);
    this.dock.add('consoles', 'terminal', t('consoles'), this.consoles.el);
    this.dock.add('packets', 'packets', t('packets'), this.packets.el);
    this.dock.add('distribution', 'chart', t('distribution'), this.chart.el);
    this.dock.show('distribution', false);
    this.dock.onSelect = (id) => {
      store('dock', id);
      if (id === 'consoles') requestAnimationFrame(() => this.consoles.fitCurrent());
      if (id === 'distribution') this.chart.draw();
    };
    this.maxBtn = button({ icon: 'maximize', title: t('maximize'), action: 'maximize-dock', cls: 'btn icon-only' });
    this.maxBtn.addEventListener('click', () => this.toggleMaximize());
    const dockEl = h('section', { class: 'dock' }, h('div', { class: 'dock-head' }, this.dock.strip, h('span', { class: 'spacer' }), this.maxBtn), this.dock.body);
    this.workSplit = new Split(this.topoPane, dockEl, { dir: 'v', key: 'topo-dock', initial: 0.46, fraction: true, min: 0.15, max: 0.85 });
    this.work.append(this.workSplit.el);
    const main = new Split(this.guide.el, this.work, { dir: 'h', key: 'guide', initial: 380, min: 280, max: 720, cls: 'main-split' });
    this.root.replaceChildren(this.header, main.el, this.statusBar, this.toasts, this.fileInput);
  }

  private renderLabels(): void {
    document.title = this.opened ? `${tx(this.opened.lab.title)} — pktlab` : this.offline ? `${this.offline.name} — pktlab` : 'pktlab';
    this.renderHeader();
    this.dock.setLabel('consoles', t('consoles'));
    this.dock.setLabel('packets', t('packets'));
    this.dock.setLabel('distribution', t('distribution'));
    this.maxBtn.title = this.maximized ? t('restore') : t('maximize');
    const fit = button({ icon: 'fit', title: t('zoomFit'), cls: 'btn icon-only', action: 'fit' });
    fit.addEventListener('click', () => this.topology.fit());
    const anim = h('label', { class: 'switch', title: t('animateTip') }, h('input', { type: 'checkbox', 'data-role': 'animate' }), h('span', { class: 'track' }), h('span', {}, t('animate')));
    const cb = anim.querySelector('input')!;
    cb.checked = this.topology.animate;
    cb.addEventListener('change', () => (this.topology.animate = cb.checked));
    this.topoHead.replaceChildren(icon('topology'), h('span', {}, t('topology')), h('span', { class: 'spacer' }), anim, fit);
    this.guide.render();
    this.consoles.renderLabels();
    this.packets.renderLabels();
    this.deviceState.render();
    this.chart.draw();
    this.timeline.render();
    this.topology.renderLabels();
    this.renderStatus();
    if (this.helpEl) this.showHelp();
  }

  private renderHeader(): void {
    const open = button({ icon: 'open', label: t('openCapture'), title: t('openCaptureTip'), action: 'open-capture', cls: 'btn flat' });
    open.addEventListener('click', () => void this.openCapture());
    const save = button({ icon: 'save', label: t('saveCapture'), title: t('saveCaptureTip'), action: 'save-capture', cls: 'btn flat' });
    save.addEventListener('click', () => void this.saveCapture());
    const files = h('div', { class: 'tb-group' }, open, save);
    if (this.wireshark) {
      const ws = button({ icon: 'shark', label: t('openWireshark'), title: t('openWiresharkTip'), action: 'open-wireshark', cls: 'btn flat' });
      ws.addEventListener('click', () => void this.bridge.files.openInWireshark().then(() => this.toast(t('wiresharkOpened')), (e: unknown) => this.error(e)));
      files.append(ws);
    }
    const lang = button({ icon: 'globe', label: getLang() === 'ko' ? 'English' : '한국어', title: t('langTip'), action: 'lang', cls: 'btn flat lang' });
    lang.addEventListener('click', () => this.toggleLang());
    const theme = button({ icon: this.theme === 'dark' ? 'sun' : 'moon', title: t('themeTip'), action: 'theme', cls: 'btn flat icon-only' });
    theme.addEventListener('click', () => {
      this.theme = this.theme === 'dark' ? 'light' : 'dark';
      store('theme', this.theme);
      this.applyTheme();
      this.renderHeader();
    });
    const help = button({ icon: 'keyboard', title: t('shortcutsTip'), action: 'help', cls: 'btn flat icon-only' });
    help.addEventListener('click', () => this.showHelp());
    const brand = h('div', { class: 'brand' }, h('img', { src: 'icon.svg', alt: '' }), h('span', {}, 'pktlab'));
    const crumb = h('div', { class: 'crumb', 'data-role': 'crumb' });
    if (this.opened) crumb.append(h('span', { class: 'chip-id' }, this.opened.lab.id));
    else if (this.offline) crumb.append(h('span', { class: 'chip-id offline' }, t('offline')), h('span', { class: 'crumb-title' }, this.offline.name));
    this.header.replaceChildren(brand, crumb, files, h('div', { class: 'spacer' }), this.timeline.el, h('div', { class: 'spacer' }), h('div', { class: 'tb-group' }, lang, theme, help));
  }

  private renderStatus(): void {
    const o = this.guide.currentLab ?? this.opened;
    const lab = o ? `${o.lab.id} · ${t('steps')} ${o.current + 1}/${o.steps.length}` : this.offline ? `${t('offline')} · ${this.offline.name}` : t('noLab');
    this.statusBar.replaceChildren(
      h('span', { class: `sb-item conn ${this.connected ? 'ok' : 'bad'}` }, h('i', {}), this.bridge.mode === 'electron' ? t('desktop') : t('web')),
      h('span', { class: 'sb-item', 'data-role': 'status-lab' }, icon('book'), lab),
      h('span', { class: 'sb-item' }, icon('gear'), `${t('virtualTime')} `, h('b', { 'data-role': 'status-time' }, fmtTime(this.tl.nowNs)), h('span', { class: 'muted' }, ` · ${t('events', { n: fmtInt(this.tl.eventCount) })}`)),
      h('span', { class: `sb-item mode ${this.tl.mode}` }, this.tl.mode === 'playing' ? t('playing') : t('paused'), ` · ${this.tl.speed}×`),
      h('span', { class: 'sb-spacer' }),
      h('span', { class: 'sb-item' }, icon('packets'), `${t('packetCount')} `, h('span', { 'data-role': 'packet-count' }, `${this.count.shown} / ${this.count.total}`)),
      h('span', { class: 'sb-item muted' }, `v${this.info?.version ?? ''}`),
    );
  }

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.theme;
    this.topology.restyle();
  }

  /** Gives the dock the whole work area (the topology folds away), or back. */
  toggleMaximize(on = !this.maximized): void {
    this.maximized = on;
    this.workSplit.el.classList.toggle('max-b', on);
    this.maxBtn.classList.toggle('on', on);
    this.maxBtn.replaceChildren(icon(on ? 'restore' : 'maximize'));
    this.maxBtn.title = on ? t('restore') : t('maximize');
    requestAnimationFrame(() => {
      this.consoles.fitCurrent();
      if (!on) this.topology.fit();
    });
  }

  private syncPoll(): void {
    const playing = this.tl.mode === 'playing' && !!this.opened;
    if (playing && !this.poll) {
      this.poll = setInterval(() => {
        if (document.hidden) return;
        void this.bridge.timeline.state().then(
          (s) => {
            this.tl = s;
            this.timeline.tick(s.nowNs);
            this.chart.setNow(s.nowNs);
            const el = this.statusBar.querySelector('[data-role="status-time"]');
            if (el) el.textContent = fmtTime(s.nowNs);
            if (s.mode !== 'playing') this.timeline.set(s);
          },
          () => {},
        );
      }, 250);
    } else if (!playing && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  // ---- labs and files ------------------------------------------------------------------------------

  /** Our own open/reset/file calls in flight: their labChanged events are answered by the call. */
  private opening = 0;

  private async guarded<T>(p: () => Promise<T>): Promise<T> {
    this.opening++;
    this.packets.hold = true;
    try {
      return await p();
    } finally {
      this.opening--;
      this.packets.hold = this.opening > 0;
    }
  }

  private async openLab(id: string): Promise<void> {
    try {
      const o = await this.guarded(() => this.bridge.labs.open(id));
      await this.showLab(o);
    } catch (e) {
      this.error(e);
    }
  }

  private async resetLab(): Promise<void> {
    try {
      const o = await this.guarded(() => this.bridge.labs.reset());
      await this.showLab(o);
    } catch (e) {
      this.error(e);
    }
  }

  private async onLabChanged(lab: OpenedLab | null, capture?: OpenedCapture): Promise<void> {
    if (this.opening) return;
    if (lab) return this.showLab(lab);
    // A capture opened elsewhere (the desktop menu, a test hook).
    if (capture) return this.showOffline(capture);
    const points = await this.bridge.packets.points().catch(() => []);
    const c = await this.bridge.packets.count().catch(() => ({ total: 0, shown: 0 }));
    await this.showOffline({ name: this.offline?.name ?? 'capture', count: c.total, points });
  }

  private async showLab(o: OpenedLab): Promise<void> {
    this.opened = o;
    this.offline = null;
    this.work.classList.remove('offline');
    this.workSplit.el.classList.remove('single');
    this.timeline.setEnabled(true);
    await this.guide.showLab(o);
    this.topology.show(o.topology);
    this.consoles.setDevices(o.topology.devices);
    const sw = o.topology.devices.find((d) => d.kind === 'l4switch');
    const labels = new Map<string, string>();
    for (const d of o.topology.devices) for (const i of d.interfaces) if (i.address) labels.set(i.address.split('/')[0]!, d.label);
    this.chart.setSource(sw?.id ?? null, labels);
    this.dock.show('distribution', !!sw || /^08-02/.test(o.lab.id));
    this.dock.show('consoles', true);
    await this.packets.reset(await this.bridge.packets.points().catch(() => []));
    const first = o.topology.devices.find((d) => d.console && d.kind === 'host') ?? o.topology.devices.find((d) => d.console);
    const saved = load<string>('dock', 'consoles');
    this.dock.select(this.dock.ids().includes(saved) ? saved : 'consoles');
    if (first) await this.consoles.show(first.id, false);
    this.selectDevice(first?.id ?? null, false);
    this.labs = await this.bridge.labs.list().catch(() => this.labs);
    this.guide.setLabs(this.labs);
    this.timeline.set(await this.bridge.timeline.state().catch(() => this.tl));
    this.renderLabels();
  }

  private async showOffline(c: OpenedCapture): Promise<void> {
    this.opened = null;
    this.offline = c;
    this.work.classList.add('offline');
    this.workSplit.el.classList.add('single');
    this.topology.clear();
    this.consoles.setDevices([]);
    this.deviceState.show(null).catch(() => {});
    this.chart.setSource(null, new Map());
    this.dock.show('consoles', false);
    this.dock.show('distribution', false);
    this.dock.select('packets');
    this.timeline.setEnabled(false);
    this.guide.showOffline(c);
    await this.packets.reset(c.points);
    this.renderLabels();
  }

  private selectDevice(id: string | null, fromTopology: boolean): void {
    const d: TopoDevice | null = (id && this.opened?.topology.devices.find((x) => x.id === id)) || null;
    this.topology.select(d?.id ?? null);
    void this.deviceState.show(d);
    if (fromTopology && d?.console) {
      this.dock.select('consoles');
      void this.consoles.show(d.id);
    }
  }

  private async openCapture(): Promise<void> {
    if (this.bridge.mode === 'electron') {
      try {
        const c = await this.guarded(() => this.bridge.files.openDialog());
        if (c) {
          await this.showOffline(c);
          this.toast(t('openedFile', { name: c.name, count: fmtInt(c.count) }));
        }
      } catch (e) {
        this.error(e);
      }
      return;
    }
    this.fileInput.value = '';
    this.fileInput.click();
  }

  private async openFileFromInput(): Promise<void> {
    const f = this.fileInput.files?.[0];
    if (!f) return;
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const c = await this.guarded(() => this.bridge.files.openCaptureBytes(f.name.slice(0, 255) || 'capture', bytes));
      await this.showOffline(c);
      if (c.warning) this.toast(`${t('warning')}: ${c.warning}`, 'warn');
      else this.toast(t('openedFile', { name: c.name, count: fmtInt(c.count) }));
    } catch (e) {
      this.error(e);
    }
  }

  private async saveCapture(): Promise<void> {
    try {
      if (this.bridge.mode === 'electron') {
        const p = await this.bridge.files.saveDialog();
        if (p) this.toast(t('saved', { name: p }));
        return;
      }
      const bytes = await this.bridge.files.captureBytes();
      const name = `${this.opened?.lab.id ?? this.offline?.name.replace(/\.(pcapng|pcap|cap)$/i, '') ?? 'capture'}.pcapng`;
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: name, class: 'hidden-file' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.toast(t('saved', { name }));
    } catch (e) {
      this.error(e);
    }
  }

  private toggleLang(): void {
    const l = getLang() === 'ko' ? 'en' : 'ko';
    setLang(l);
    saveLang(l);
    void this.bridge.app.setLanguage(l).catch((e: unknown) => this.error(e));
  }

  private onMenu(cmd: string): void {
    if (cmd === 'open-capture') void this.openCapture();
    else if (cmd === 'save-capture') void this.saveCapture();
    else if (cmd === 'open-in-wireshark') void this.bridge.files.openInWireshark().catch((e: unknown) => this.error(e));
    else if (cmd === 'reset-lab') void this.resetLab();
    else if (cmd === 'check') void this.guide.check();
    else if (cmd === 'help') this.showHelp();
  }

  // ---- keyboard ------------------------------------------------------------------------------------

  private onKey(ev: KeyboardEvent): void {
    const k = ev.key;
    const ctrl = ev.ctrlKey || ev.metaKey;
    let handled = true;
    if (ctrl && !ev.shiftKey && k.toLowerCase() === 'o') void this.openCapture();
    else if (ctrl && !ev.shiftKey && k.toLowerCase() === 's') void this.saveCapture();
    else if (ctrl && k === '/') {
      this.dock.select('packets');
      this.packets.focusFilter();
    } else if (ctrl && k === 'Enter') void this.guide.check();
    else if (k === 'F1') this.showHelp();
    else if (k === 'F11' || (ctrl && ev.shiftKey && k.toLowerCase() === 'm')) this.toggleMaximize();
    else if (k === 'F8') this.timeline.togglePlay();
    else if (k === 'F9') this.timeline.back();
    else if (k === 'F10') this.timeline.forward();
    else if (ev.altKey && /^[1-3]$/.test(k)) {
      const ids = this.dock.ids();
      const id = ids[Number(k) - 1];
      if (id) this.dock.select(id);
    } else if (k === 'Escape' && this.helpEl) this.closeHelp();
    else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }

  private showHelp(): void {
    this.helpEl?.remove();
    const rows: [string, string][] = [
      ['Ctrl+O', t('sc_open')],
      ['Ctrl+S', t('sc_save')],
      ['Ctrl+/', t('sc_filter')],
      ['Ctrl+Enter', t('sc_check')],
      ['F8', t('sc_play')],
      ['F9', t('sc_back')],
      ['F10', t('sc_forward')],
      ['Alt+1 … 3', t('sc_tabs')],
      ['F11', t('maximize')],
      ['↑ ↓ PgUp PgDn Home End', t('sc_rows')],
      ['Ctrl+Shift+C / V', t('sc_termCopy')],
      ['F1', t('sc_help')],
    ];
    const close = button({ icon: 'x', title: t('close'), cls: 'btn icon-only', action: 'close-help' });
    close.addEventListener('click', () => this.closeHelp());
    const dlg = h(
      'div',
      { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('shortcuts') },
      h('div', { class: 'modal-head' }, icon('keyboard'), h('h2', {}, t('shortcuts')), h('span', { class: 'spacer' }), close),
      h('table', { class: 'keys' }, h('tbody', {}, ...rows.map(([a, b]) => h('tr', {}, h('td', {}, ...a.split(' / ').flatMap((x, i) => (i ? [' / ', h('kbd', {}, x)] : [h('kbd', {}, x)]))), h('td', {}, b))))),
    );
    const back = h('div', { class: 'modal-back' }, dlg);
    back.addEventListener('click', (ev) => {
      if (ev.target === back) this.closeHelp();
    });
    this.helpEl = back;
    document.body.append(back);
    close.focus();
  }

  private closeHelp(): void {
    this.helpEl?.remove();
    this.helpEl = null;
  }

  // ---- messages ------------------------------------------------------------------------------------

  toast(msg: string, kind: 'info' | 'warn' | 'error' = 'info'): void {
    const close = button({ icon: 'x', title: t('dismiss'), cls: 'btn icon-only' });
    const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-role': kind === 'error' ? 'error' : 'toast' }, icon(kind === 'info' ? 'info' : 'alert'), h('span', { class: 'msg' }, msg), close);
    close.addEventListener('click', () => el.remove());
    this.toasts.append(el);
    while (this.toasts.childElementCount > 4) this.toasts.firstElementChild!.remove();
    setTimeout(() => el.remove(), kind === 'error' ? 12_000 : 5_000);
  }

  error(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.toast(msg, 'error');
  }
}
