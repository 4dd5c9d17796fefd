/** Small renderer helpers: element building, storage, throttling, formatting, resizable splits. */
export { h } from '../components/dom.ts';
import { h } from '../components/dom.ts';
import { icon, type IconName } from './icons.ts';

export function load<T>(key: string, fallback: T): T {
  try {
    const v = localStorage.getItem(`pktlab.${key}`);
    return v === null ? fallback : (JSON.parse(v) as T);
  } catch {
    return fallback;
  }
}

export function store(key: string, v: unknown): void {
  try {
    localStorage.setItem(`pktlab.${key}`, JSON.stringify(v));
  } catch {
    /* ignore */
  }
}

/** Runs `fn` at most once per `ms`, always once more after the last call. */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = performance.now();
      fn();
    }, wait);
  };
}

/** A button with an icon, a label (optional) and a tooltip. */
export function button(opts: { icon?: IconName; label?: string; title?: string; action?: string; cls?: string; onClick?: (ev: MouseEvent) => void }): HTMLButtonElement {
  const b = h('button', { type: 'button', class: opts.cls ?? 'btn', title: opts.title, 'aria-label': opts.title ?? opts.label, 'data-action': opts.action });
  if (opts.icon) b.append(icon(opts.icon));
  if (opts.label) b.append(h('span', { class: 'label' }, opts.label));
  if (opts.onClick) b.addEventListener('click', opts.onClick);
  return b;
}

/** Virtual time (ns) as `12.345678 s`. */
export function fmtTime(ns: number): string {
  const s = ns / 1e9;
  if (s < 60) return `${s.toFixed(6)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(3).padStart(6, '0')}`;
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A resizable split: `a | gutter | b`, horizontal (side by side) or vertical (stacked). The first
 * pane's size is kept (px or fraction) and saved under `key`.
 */
export class Split {
  readonly el: HTMLDivElement;
  private readonly gutter: HTMLDivElement;
  private size: number;

  constructor(
    readonly a: HTMLElement,
    readonly b: HTMLElement,
    private readonly opts: { dir: 'h' | 'v'; key: string; initial: number; min?: number; max?: number; fraction?: boolean; cls?: string },
  ) {
    this.size = load(`split.${opts.key}`, opts.initial);
    this.gutter = h('div', { class: `gutter gutter-${opts.dir}`, role: 'separator', 'aria-orientation': opts.dir === 'h' ? 'vertical' : 'horizontal', tabindex: '0' });
    this.el = h('div', { class: `split split-${opts.dir}${opts.cls ? ` ${opts.cls}` : ''}`, 'data-split': opts.key }, a, this.gutter, b);
    a.classList.add('pane-a');
    b.classList.add('pane-b');
    this.apply();
    this.gutter.addEventListener('pointerdown', (ev) => this.drag(ev));
    this.gutter.addEventListener('dblclick', () => {
      this.size = opts.initial;
      this.apply();
      store(`split.${opts.key}`, this.size);
    });
    this.gutter.addEventListener('keydown', (ev) => {
      const step = opts.fraction ? 0.02 : 16;
      const dec = opts.dir === 'h' ? 'ArrowLeft' : 'ArrowUp';
      const inc = opts.dir === 'h' ? 'ArrowRight' : 'ArrowDown';
      if (ev.key === dec || ev.key === inc) {
        ev.preventDefault();
        this.setSize(this.size + (ev.key === inc ? step : -step));
      }
    });
  }

  setSize(v: number): void {
    const min = this.opts.min ?? (this.opts.fraction ? 0.1 : 120);
    const max = this.opts.max ?? (this.opts.fraction ? 0.9 : 2000);
    this.size = Math.min(max, Math.max(min, v));
    this.apply();
    store(`split.${this.opts.key}`, this.size);
  }

  private apply(): void {
    const v = this.opts.fraction ? `${(this.size * 100).toFixed(2)}%` : `${Math.round(this.size)}px`;
    this.el.style.setProperty('--split-a', v);
  }

  private drag(ev: PointerEvent): void {
    ev.preventDefault();
    this.gutter.setPointerCapture(ev.pointerId);
    const rect = this.el.getBoundingClientRect();
    const horizontal = this.opts.dir === 'h';
    this.el.classList.add('dragging');
    const move = (e: PointerEvent): void => {
      const pos = horizontal ? e.clientX - rect.left : e.clientY - rect.top;
      const total = horizontal ? rect.width : rect.height;
      this.setSize(this.opts.fraction ? pos / total : pos);
    };
    const up = (): void => {
      this.el.classList.remove('dragging');
      this.gutter.removeEventListener('pointermove', move);
      this.gutter.removeEventListener('pointerup', up);
      window.dispatchEvent(new Event('resize'));
    };
    this.gutter.addEventListener('pointermove', move);
    this.gutter.addEventListener('pointerup', up);
  }
}

/** A small tab strip; `select` shows one panel. */
export class Tabs {
  readonly strip = h('div', { class: 'tabstrip', role: 'tablist' });
  readonly body = h('div', { class: 'tabbody' });
  private readonly tabs = new Map<string, { btn: HTMLButtonElement; panel: HTMLElement; label: HTMLSpanElement; badge: HTMLSpanElement }>();
  current = '';
  onSelect: (id: string) => void = () => {};

  add(id: string, ic: IconName, label: string, panel: HTMLElement): void {
    const lab = h('span', { class: 'label' }, label);
    const badge = h('span', { class: 'badge' });
    const btn = h('button', { type: 'button', class: 'tab', role: 'tab', 'data-tab': id }, icon(ic), lab, badge);
    btn.addEventListener('click', () => this.select(id));
    panel.classList.add('tabpanel');
    panel.setAttribute('role', 'tabpanel');
    panel.dataset.panel = id;
    this.strip.append(btn);
    this.body.append(panel);
    this.tabs.set(id, { btn, panel, label: lab, badge });
    if (!this.current) this.select(id);
    else panel.hidden = true;
  }

  setLabel(id: string, label: string): void {
    const t = this.tabs.get(id);
    if (t) t.label.textContent = label;
  }

  setBadge(id: string, text: string): void {
    const t = this.tabs.get(id);
    if (t) t.badge.textContent = text;
  }

  show(id: string, visible: boolean): void {
    const t = this.tabs.get(id);
    if (!t) return;
    t.btn.hidden = !visible;
    if (!visible && this.current === id) this.select([...this.tabs.keys()].find((k) => !this.tabs.get(k)!.btn.hidden) ?? id);
  }

  ids(): string[] {
    return [...this.tabs.keys()].filter((k) => !this.tabs.get(k)!.btn.hidden);
  }

  select(id: string): void {
    if (!this.tabs.has(id)) return;
    this.current = id;
    for (const [k, t] of this.tabs) {
      const on = k === id;
      t.btn.classList.toggle('active', on);
      t.btn.setAttribute('aria-selected', String(on));
      t.panel.hidden = !on;
    }
    this.onSelect(id);
  }
}

/** A table from rows; an empty-state line when there are none. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | Node)[])[], empty: string, cls = ''): HTMLElement {
  if (rows.length === 0) return h('div', { class: 'empty-line' }, empty);
  return h(
    'table',
    { class: `grid ${cls}` },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, typeof c === 'number' ? String(c) : c))))),
  );
}
