/**
 * The packet panes, Wireshark-style:
 * - a display filter bar (the engine compiles the filter; green when applied, red with the error and
 *   the position it points at when not) and a capture point selector;
 * - a virtualised packet list: fixed row height, a spacer as tall as every row, and only the rows in
 *   view (plus a few) in the DOM, recycled; rows come from the bridge in blocks (`packets.rows`), so a
 *   million packets scroll as smoothly as ten. Past the browser's element height limit the scroll
 *   position maps proportionally onto the rows;
 * - a detail tree per layer (expand/collapse; the expanded layers are remembered between packets);
 * - a hex view that highlights the selected field's bytes; clicking a byte selects its field.
 */
import type { Bridge, CapturePointInfo, DetailNode, PacketCount, PacketRow } from '../../shared/bridge.ts';
import { t, tx } from '../i18n.ts';
import { icon } from './icons.ts';
import { Split, button, fmtInt, h } from './util.ts';

export const ROW_H = 22;
const BLOCK = 256;
const OVERSCAN = 8;
/** Stay well under Chromium's ~33.5M px layout limit. */
const MAX_PX = 16_000_000;
const MAX_BLOCKS = 64;

/** Wireshark's default colouring rules, by protocol and TCP flags. */
export function rowClass(r: PacketRow): string {
  const p = r.protocol.toUpperCase();
  if (/malformed/i.test(r.protocol)) return 'pc-bad';
  if (p === 'TCP' || p === 'HTTP') {
    if (/Flags \[[^\]]*R/.test(r.info) || /\bRST\b/.test(r.info)) return 'pc-rst';
    if (/Flags \[[^\]]*[SF]/.test(r.info) || /\b(SYN|FIN)\b/.test(r.info)) return 'pc-synfin';
    return p === 'HTTP' ? 'pc-http' : 'pc-tcp';
  }
  if (p === 'ICMP') return /unreachable|exceeded|redirect/i.test(r.info) ? 'pc-icmperr' : 'pc-icmp';
  const map: Record<string, string> = { UDP: 'pc-udp', DNS: 'pc-dns', ARP: 'pc-arp', GENEVE: 'pc-geneve', HTTP: 'pc-http' };
  return map[p] ?? 'pc-other';
}

interface RowEl {
  el: HTMLDivElement;
  cells: HTMLSpanElement[];
}

export class PacketPanes {
  readonly el = h('section', { class: 'packets-view' });
  private readonly filterInput = h('input', { class: 'filter-input', 'data-role': 'filter', spellcheck: 'false', autocomplete: 'off' });
  private readonly filterBox = h('div', { class: 'filter-box' });
  private readonly filterError = h('div', { class: 'filter-error', 'data-role': 'filter-error', role: 'alert' });
  private readonly pointSel = h('select', { class: 'point-select', 'data-role': 'capture-point' });
  private readonly countEl = h('span', { class: 'count', 'data-role': 'displayed' });
  private readonly header = h('div', { class: 'prow phead' });
  private readonly scroller = h('div', { class: 'pscroll', tabindex: '0', 'data-role': 'packet-list' });
  private readonly spacer = h('div', { class: 'pspacer' });
  private readonly window = h('div', { class: 'pwindow' });
  private readonly emptyEl = h('div', { class: 'empty-state packets-empty' });
  private readonly detailEl = h('div', { class: 'detail-tree', 'data-role': 'detail', tabindex: '0' });
  private readonly hexEl = h('div', { class: 'hex-view', 'data-role': 'hex' });
  private readonly detailHead = h('div', { class: 'pane-title' });
  private readonly hexHead = h('div', { class: 'pane-title' });
  private readonly pool: RowEl[] = [];
  private readonly blocks = new Map<number, PacketRow[]>();
  private readonly loading = new Set<number>();
  private points: CapturePointInfo[] = [];
  private count: PacketCount = { total: 0, shown: 0 };
  private selected: { index: number; n: number } | null = null;
  private detail: DetailNode[] = [];
  private bytes: Uint8Array | null = null;
  private selNode: DetailNode | null = null;
  private readonly expanded = new Set<string>();
  private generation = 0;
  private scheduled = false;
  private filterText = '';
  private filterState: 'none' | 'ok' | 'bad' | 'dirty' = 'none';
  private filterErr: { msg: string; pos?: number } | null = null;
  private hexSpans: HTMLSpanElement[] = [];
  private asciiSpans: HTMLSpanElement[] = [];
  private refreshing = false;
  private again = false;
  private readonly resizeObs: ResizeObserver;
  /** Row data the topology animates (new rows while time runs). */
  onNewRows: (rows: PacketRow[]) => void = () => {};
  onCount: (c: PacketCount) => void = () => {};
  lastAnimated = 0;

  constructor(
    private readonly bridge: Bridge,
    private readonly onError: (e: unknown) => void,
  ) {
    this.scroller.append(this.spacer, this.window);
    const list = h('div', { class: 'plist' }, this.header, this.scroller, this.emptyEl);
    const detailPane = h('div', { class: 'pane detail-pane' }, this.detailHead, this.detailEl);
    const hexPane = h('div', { class: 'pane hex-pane' }, this.hexHead, this.hexEl);
    const lower = new Split(detailPane, hexPane, { dir: 'h', key: 'detail-hex', initial: 0.5, fraction: true });
    const split = new Split(list, lower.el, { dir: 'v', key: 'list-detail', initial: 0.55, fraction: true, min: 0.15, max: 0.9 });
    const form = h('form', { class: 'filter-form' }, this.filterBox);
    this.filterBox.append(icon('filter'), this.filterInput);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.applyFilter(this.filterInput.value);
    });
    this.filterInput.addEventListener('input', () => {
      this.setFilterState(this.filterInput.value === this.filterText ? (this.filterText ? (this.filterErr ? 'bad' : 'ok') : 'none') : 'dirty');
      this.scheduleCheck();
    });
    this.filterInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        this.filterInput.value = this.filterText;
        this.filterInput.dispatchEvent(new Event('input'));
      }
    });
    this.toolbar = h('div', { class: 'packet-toolbar' });
    this.el.append(this.toolbar, this.filterError, split.el);
    this.pointSel.addEventListener('change', () => void this.setPoint(this.pointSel.value || null));
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.scroller.addEventListener('keydown', (ev) => this.onKey(ev));
    this.window.addEventListener('mousedown', (ev) => {
      const row = (ev.target as HTMLElement).closest('.prow') as HTMLElement | null;
      if (row?.dataset.index) void this.select(Number(row.dataset.index));
    });
    this.resizeObs = new ResizeObserver(() => this.schedule());
    this.resizeObs.observe(this.scroller);
    bridge.on.packetsAppended((c) => void this.onAppended(c));
    this.renderLabels();
  }

  private readonly toolbar: HTMLDivElement;

  renderLabels(): void {
    this.filterInput.placeholder = t('filter');
    this.filterInput.setAttribute('aria-label', t('filter'));
    this.filterBox.title = t('filterHelp');
    this.pointSel.title = t('capturePoint');
    this.pointSel.setAttribute('aria-label', t('capturePoint'));
    const apply = button({ icon: 'right', label: t('filterApply'), action: 'filter-apply', cls: 'btn', title: t('filterApply') });
    apply.addEventListener('click', () => void this.applyFilter(this.filterInput.value));
    const clear = button({ icon: 'x', title: t('filterClear'), action: 'filter-clear', cls: 'btn icon-only' });
    clear.addEventListener('click', () => {
      this.filterInput.value = '';
      void this.applyFilter('');
    });
    const form = this.filterBox.parentElement!;
    this.toolbar.replaceChildren(h('label', { class: 'point-label' }, icon('flag'), this.pointSel), form, clear, apply, this.countEl);
    const cols: [string, string][] = [
      ['c-no', t('colNo')],
      ['c-time', t('colTime')],
      ['c-point', t('colPoint')],
      ['c-src', t('colSource')],
      ['c-dst', t('colDestination')],
      ['c-proto', t('colProtocol')],
      ['c-len', t('colLength')],
      ['c-info', t('colInfo')],
      ['c-comment', t('colComment')],
    ];
    this.header.replaceChildren(...cols.map(([c, l]) => h('span', { class: `cell ${c}` }, l)));
    this.detailHead.replaceChildren(icon('list'), h('span', {}, t('detail')));
    this.hexHead.replaceChildren(icon('packets'), h('span', {}, t('bytes')));
    this.renderPoints();
    this.renderCount();
    this.renderEmpty();
    this.renderDetail();
    this.renderFilterError();
  }

  /** A new lab or file: points, no filter, no selection. */
  async reset(points: readonly CapturePointInfo[]): Promise<void> {
    this.points = [...points];
    this.filterText = '';
    this.filterInput.value = '';
    this.filterErr = null;
    this.setFilterState('none');
    this.renderFilterError();
    this.renderPoints();
    this.selected = null;
    this.detail = [];
    this.bytes = null;
    this.selNode = null;
    this.renderDetail();
    this.invalidate();
    this.lastAnimated = 0;
    try {
      await this.bridge.packets.setView(null);
      await this.bridge.packets.setFilter('');
    } catch {
      /* no table yet */
    }
    await this.refresh(true);
    this.lastAnimated = this.count.total;
  }

  private renderPoints(): void {
    const v = this.pointSel.value;
    this.pointSel.replaceChildren(
      h('option', { value: '' }, t('allPoints')),
      ...this.points.map((p) => h('option', { value: p.id }, `${p.id}${p.description ? ` — ${tx(p.description)}` : ''}`)),
    );
    this.pointSel.value = this.points.some((p) => p.id === v) ? v : '';
  }

  async setPoint(point: string | null): Promise<void> {
    try {
      this.pointSel.value = point ?? '';
      this.count = await this.bridge.packets.setView(point);
      this.invalidate();
      this.selected = null;
      this.renderDetail();
      await this.refresh(true);
    } catch (e) {
      this.onError(e);
    }
  }

  async applyFilter(expr: string): Promise<boolean> {
    try {
      const r = await this.bridge.packets.setFilter(expr);
      if (r.ok) {
        this.filterText = expr;
        this.filterErr = null;
        this.setFilterState(expr.trim() ? 'ok' : 'none');
        this.invalidate();
        this.selected = null;
        this.renderDetail();
        await this.refresh(true);
      } else {
        this.filterErr = { msg: r.error, ...(r.pos !== undefined ? { pos: r.pos } : {}) };
        this.filterText = expr;
        this.setFilterState('bad');
      }
      this.renderFilterError();
      return r.ok;
    } catch (e) {
      this.onError(e);
      return false;
    }
  }

  private setFilterState(s: 'none' | 'ok' | 'bad' | 'dirty'): void {
    this.filterState = s;
    this.filterBox.className = `filter-box f-${s}`;
    this.filterBox.dataset.state = s;
    if (s !== 'dirty') delete this.filterBox.dataset.check;
  }

  private checkTimer: ReturnType<typeof setTimeout> | undefined;

  /** While typing: the engine validates the text (not applied), and the bar turns green or red. */
  private scheduleCheck(): void {
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      const expr = this.filterInput.value;
      if (this.filterState !== 'dirty') return;
      if (expr.trim() === '') {
        this.filterBox.dataset.check = 'valid';
        this.filterInput.title = '';
        return;
      }
      this.bridge.packets.checkFilter(expr).then(
        (r) => {
          if (this.filterInput.value !== expr || this.filterState !== 'dirty') return;
          this.filterBox.dataset.check = r.ok ? 'valid' : 'invalid';
          this.filterInput.title = r.ok ? '' : r.error;
        },
        () => {},
      );
    }, 120);
  }

  private renderFilterError(): void {
    const e = this.filterErr;
    this.filterError.hidden = !e;
    if (!e) return this.filterError.replaceChildren();
    const expr = this.filterText;
    const parts: Node[] = [icon('alert'), h('span', { class: 'msg' }, e.msg)];
    if (e.pos !== undefined && e.pos >= 0 && e.pos <= expr.length) {
      parts.push(
        h('code', { class: 'where' }, expr.slice(0, e.pos), h('mark', {}, expr.slice(e.pos, e.pos + 1) || ' '), expr.slice(e.pos + 1)),
      );
    }
    this.filterError.replaceChildren(...parts);
  }

  focusFilter(): void {
    this.filterInput.focus();
    this.filterInput.select();
  }

  private invalidate(): void {
    this.blocks.clear();
    this.loading.clear();
    this.generation++;
  }

  /** Set while the app opens another lab or file: its append events wait for the reset. */
  hold = false;

  private async onAppended(c: PacketCount): Promise<void> {
    void c;
    if (this.hold) return;
    await this.refresh(false);
  }

  /** Re-reads the count; keeps the cache unless rows went away. */
  async refresh(force: boolean): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    try {
      const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - ROW_H * 2;
      const before = this.count;
      let c: PacketCount;
      try {
        c = await this.bridge.packets.count();
      } catch {
        c = { total: 0, shown: 0 };
      }
      if (force || c.total < before.total || c.shown < before.shown) this.invalidate();
      else if (c.shown !== before.shown) {
        // The last block may have been read partly: read it again.
        const lastBlock = Math.floor(Math.max(0, before.shown - 1) / BLOCK);
        this.blocks.delete(lastBlock);
      }
      this.count = c;
      if (c.total < this.lastAnimated) this.lastAnimated = c.total;
      this.renderCount();
      this.renderEmpty();
      this.layout();
      // Follow a live capture's tail; a list that was empty (a file just opened) starts at the top.
      if (atBottom && before.shown > 0 && c.shown > before.shown && !force) this.scroller.scrollTop = this.scroller.scrollHeight;
      this.render();
      this.onCount(c);
      if (c.total > this.lastAnimated) {
        const fresh = c.total - this.lastAnimated;
        const from = this.lastAnimated;
        this.lastAnimated = c.total;
        // Rows of the view that are new (only when every packet is in view, rows map 1:1).
        if (c.shown === c.total && fresh <= 64) {
          this.bridge.packets.rows(from, fresh).then((rows) => this.onNewRows(rows), () => {});
        }
      }
    } finally {
      this.refreshing = false;
      if (this.again) {
        this.again = false;
        void this.refresh(false);
      }
    }
  }

  private renderCount(): void {
    const c = this.count;
    this.countEl.textContent = `${t('displayed')}: ${fmtInt(c.shown)} / ${fmtInt(c.total)}`;
  }

  private renderEmpty(): void {
    const none = this.count.shown === 0;
    this.emptyEl.hidden = !none;
    if (!none) return;
    const filtered = this.count.total > 0;
    this.emptyEl.replaceChildren(icon(filtered ? 'filter' : 'packets', 'big'), h('div', { class: 'title' }, filtered ? t('noMatch') : t('noPackets')), h('div', { class: 'sub' }, filtered ? t('noMatchHint') : t('noPacketsHint')));
  }

  // ---- virtual list ------------------------------------------------------------------------------

  private virtualHeight(): number {
    return Math.min(this.count.shown * ROW_H, MAX_PX);
  }

  private layout(): void {
    this.spacer.style.height = `${this.virtualHeight()}px`;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  /** First row index in view and the window's top in px. */
  private viewport(): { first: number; top: number; visible: number } {
    const viewH = this.scroller.clientHeight;
    const visible = Math.ceil(viewH / ROW_H) + 1;
    const shown = this.count.shown;
    const st = this.scroller.scrollTop;
    const exact = shown * ROW_H <= MAX_PX;
    if (exact) {
      const first = Math.floor(st / ROW_H);
      return { first, top: first * ROW_H, visible };
    }
    const range = Math.max(1, this.virtualHeight() - viewH);
    const first = Math.round((Math.min(st, range) / range) * Math.max(0, shown - visible + 1));
    return { first, top: st, visible };
  }

  private render(): void {
    const shown = this.count.shown;
    const { first, top, visible } = this.viewport();
    const exact = shown * ROW_H <= MAX_PX;
    const from = Math.max(0, first - (exact ? OVERSCAN : 0));
    const to = Math.min(shown, first + visible + OVERSCAN);
    const n = Math.max(0, to - from);
    while (this.pool.length < n) this.pool.push(this.makeRow());
    // Only the rows in use stay in the DOM.
    while (this.window.childElementCount > n) this.window.lastElementChild!.remove();
    for (let i = 0; i < n; i++) {
      const r = this.pool[i]!;
      if (r.el.parentElement !== this.window) this.window.append(r.el);
      this.fillRow(r, from + i);
    }
    this.window.style.transform = `translateY(${top - (first - from) * ROW_H}px)`;
    this.fetchRange(from, to);
  }

  private makeRow(): RowEl {
    const cls = ['c-no', 'c-time', 'c-point', 'c-src', 'c-dst', 'c-proto', 'c-len', 'c-info', 'c-comment'];
    const cells = cls.map((c) => h('span', { class: `cell ${c}` }));
    const el = h('div', { class: 'prow' }, ...cells);
    return { el, cells };
  }

  private rowAt(index: number): PacketRow | undefined {
    return this.blocks.get(Math.floor(index / BLOCK))?.[index % BLOCK];
  }

  private fillRow(r: RowEl, index: number): void {
    const row = this.rowAt(index);
    r.el.dataset.index = String(index);
    const sel = this.selected?.index === index;
    if (!row) {
      r.el.className = `prow loading${sel ? ' selected' : ''}`;
      r.el.removeAttribute('data-n');
      r.cells[0]!.textContent = String(index + 1);
      for (let i = 1; i < r.cells.length; i++) r.cells[i]!.textContent = '';
      return;
    }
    r.el.className = `prow ${rowClass(row)}${sel ? ' selected' : ''}${row.comment ? ' has-comment' : ''}`;
    r.el.dataset.n = String(row.n);
    const v = [String(row.n), row.time.toFixed(6), row.point, row.src, row.dst, row.protocol, String(row.length), row.info, row.comment ?? ''];
    for (let i = 0; i < v.length; i++) if (r.cells[i]!.textContent !== v[i]) r.cells[i]!.textContent = v[i]!;
    r.el.title = row.comment ? `${t('colComment')}: ${row.comment}` : '';
  }

  private fetchRange(from: number, to: number): void {
    if (to <= from) return;
    for (let b = Math.floor(from / BLOCK); b <= Math.floor((to - 1) / BLOCK); b++) {
      if (this.blocks.has(b) || this.loading.has(b)) continue;
      this.loading.add(b);
      const gen = this.generation;
      this.bridge.packets.rows(b * BLOCK, BLOCK).then(
        (rows) => {
          if (gen !== this.generation) return;
          this.loading.delete(b);
          if (this.blocks.size >= MAX_BLOCKS) this.blocks.clear();
          this.blocks.set(b, rows);
          this.schedule();
        },
        (e: unknown) => {
          this.loading.delete(b);
          if (gen === this.generation && !/no lab/.test(String(e))) this.onError(e);
        },
      );
    }
  }

  private onKey(ev: KeyboardEvent): void {
    const shown = this.count.shown;
    if (!shown) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_H) - 1);
    const cur = this.selected?.index ?? -1;
    let next: number | null = null;
    if (ev.key === 'ArrowDown') next = cur + 1;
    else if (ev.key === 'ArrowUp') next = cur - 1;
    else if (ev.key === 'PageDown') next = cur + page;
    else if (ev.key === 'PageUp') next = cur - page;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = shown - 1;
    if (next === null) return;
    ev.preventDefault();
    void this.select(Math.max(0, Math.min(shown - 1, next)), true);
  }

  /** Scrolls so that row `index` is in view. */
  private reveal(index: number): void {
    const shown = this.count.shown;
    const viewH = this.scroller.clientHeight;
    if (shown * ROW_H <= MAX_PX) {
      const y = index * ROW_H;
      if (y < this.scroller.scrollTop) this.scroller.scrollTop = y;
      else if (y + ROW_H > this.scroller.scrollTop + viewH) this.scroller.scrollTop = y + ROW_H - viewH;
    } else {
      const { first, visible } = this.viewport();
      if (index < first || index >= first + visible - 1) {
        const range = Math.max(1, this.virtualHeight() - viewH);
        this.scroller.scrollTop = (Math.max(0, index - Math.floor(visible / 2)) / Math.max(1, shown - visible + 1)) * range;
      }
    }
  }

  async select(index: number, reveal = false): Promise<void> {
    if (reveal) this.reveal(index);
    let row = this.rowAt(index);
    if (!row) {
      const rows = await this.bridge.packets.rows(index, 1).catch(() => [] as PacketRow[]);
      row = rows[0];
    }
    if (!row) return;
    this.selected = { index, n: row.n };
    this.render();
    try {
      const [detail, bytes] = await Promise.all([this.bridge.packets.detail(row.n), this.bridge.packets.bytes(row.n)]);
      if (this.selected?.n !== row.n) return;
      this.detail = row.comment ? [{ label: `${t('packetComment')}: ${row.comment}`, children: [{ label: row.comment }] }, ...detail] : detail;
      this.bytes = bytes;
      this.selNode = null;
      this.renderDetail();
    } catch (e) {
      this.onError(e);
    }
  }

  /** Selects the row showing packet number n (when it is in view). */
  async selectPacket(n: number): Promise<void> {
    for (const [b, rows] of this.blocks) {
      const i = rows.findIndex((r) => r.n === n);
      if (i >= 0) return this.select(b * BLOCK + i, true);
    }
  }

  // ---- detail tree and hex -------------------------------------------------------------------------

  private key(node: DetailNode, path: string): string {
    // Layers are remembered by their name (the part before the first comma or colon).
    return `${path}/${node.label.split(/[,:(]/)[0]!.trim()}`;
  }

  private renderDetail(): void {
    if (!this.selected || this.detail.length === 0) {
      this.detailEl.replaceChildren(h('div', { class: 'empty-state small' }, icon('list', 'big'), h('div', {}, t('selectPacket'))));
      this.hexEl.replaceChildren();
      this.hexSpans = [];
      this.asciiSpans = [];
      return;
    }
    const ul = h('ul', { class: 'tree', role: 'tree' });
    for (const n of this.detail) ul.append(this.treeNode(n, ''));
    this.detailEl.replaceChildren(ul);
    this.renderHex();
  }

  private treeNode(node: DetailNode, path: string): HTMLLIElement {
    const k = this.key(node, path);
    const kids = node.children ?? [];
    const open = this.expanded.has(k);
    const li = h('li', { role: 'treeitem', 'aria-expanded': kids.length ? String(open) : undefined });
    const twisty = h('span', { class: `twisty${kids.length ? '' : ' leaf'}` });
    if (kids.length) twisty.append(icon(open ? 'down' : 'right'));
    const row = h(
      'div',
      {
        class: `node${this.selNode === node ? ' selected' : ''}${node.expert ? ` ex-${node.expert}` : ''}`,
        'data-range': node.range ? `${node.range[0]}-${node.range[1]}` : undefined,
        'data-field': node.field,
        title: node.field,
      },
      twisty,
      h('span', { class: 'nlabel' }, node.label),
    );
    li.append(row);
    row.addEventListener('click', (ev) => {
      const onTwisty = (ev.target as HTMLElement).closest('.twisty');
      if (kids.length && (onTwisty || this.selNode === node)) {
        if (this.expanded.has(k)) this.expanded.delete(k);
        else this.expanded.add(k);
      }
      this.selNode = node;
      this.renderDetailKeepScroll();
    });
    row.addEventListener('dblclick', () => {
      if (!kids.length) return;
      if (this.expanded.has(k)) this.expanded.delete(k);
      else this.expanded.add(k);
      this.renderDetailKeepScroll();
    });
    if (kids.length && open) {
      const sub = h('ul', { role: 'group' });
      for (const c of kids) sub.append(this.treeNode(c, k));
      li.append(sub);
    }
    return li;
  }

  private renderDetailKeepScroll(): void {
    const st = this.detailEl.scrollTop;
    const ul = h('ul', { class: 'tree', role: 'tree' });
    for (const n of this.detail) ul.append(this.treeNode(n, ''));
    this.detailEl.replaceChildren(ul);
    this.detailEl.scrollTop = st;
    this.highlight();
  }

  private renderHex(): void {
    const b = this.bytes;
    if (!b) return;
    const hex = (x: number, w: number): string => x.toString(16).padStart(w, '0');
    const lines: HTMLElement[] = [];
    this.hexSpans = [];
    this.asciiSpans = [];
    for (let o = 0; o < b.length; o += 16) {
      const hx = h('span', { class: 'hx' });
      const as = h('span', { class: 'as' });
      for (let i = o; i < Math.min(o + 16, b.length); i++) {
        const v = b[i]!;
        const s = h('span', { 'data-off': String(i) }, hex(v, 2));
        const a = h('span', { 'data-off': String(i) }, v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '·');
        if (i % 16 === 8) hx.append(' ');
        this.hexSpans.push(s);
        this.asciiSpans.push(a);
        hx.append(s);
        as.append(a);
      }
      lines.push(h('div', { class: 'hexline' }, h('span', { class: 'off' }, hex(o, 4)), hx, as));
    }
    const grid = h('div', { class: 'hexgrid' }, ...lines);
    grid.addEventListener('click', (ev) => {
      const off = (ev.target as HTMLElement).dataset.off;
      if (off !== undefined) this.selectByte(Number(off));
    });
    this.hexEl.replaceChildren(grid);
    this.highlight();
  }

  private highlight(): void {
    const r = this.selNode?.range;
    for (let i = 0; i < this.hexSpans.length; i++) {
      const on = !!r && i >= r[0] && i < r[1];
      this.hexSpans[i]!.classList.toggle('hl', on);
      this.asciiSpans[i]!.classList.toggle('hl', on);
    }
    if (r) this.hexSpans[r[0]]?.scrollIntoView({ block: 'nearest' });
  }

  /** Selects the deepest field whose bytes include `off` (and opens its layers). */
  private selectByte(off: number): void {
    let best: { node: DetailNode; keys: string[] } | null = null;
    const walk = (nodes: readonly DetailNode[], path: string, keys: string[]): void => {
      for (const n of nodes) {
        const k = this.key(n, path);
        if (n.range && off >= n.range[0] && off < n.range[1] && n.range[1] - n.range[0] < 100000) {
          const width = n.range[1] - n.range[0];
          if (!best || width <= (best.node.range![1] - best.node.range![0])) best = { node: n, keys };
          if (n.children) walk(n.children, k, [...keys, k]);
        }
      }
    };
    walk(this.detail, '', []);
    const found = best as { node: DetailNode; keys: string[] } | null;
    if (!found) return;
    for (const k of found.keys) this.expanded.add(k);
    this.selNode = found.node;
    this.renderDetailKeepScroll();
    this.detailEl.querySelector('.node.selected')?.scrollIntoView({ block: 'nearest' });
  }

  /** Rows currently in the DOM (tests check the list stays virtual). */
  get domRows(): number {
    return this.window.childElementCount;
  }

  get counts(): PacketCount {
    return this.count;
  }
}
