/**
 * Requests per real server over time, for labs about distribution: samples the L4 switch's real
 * server counters (`devices.state` → reals[].total, the sessions each real took) against virtual
 * time and draws cumulative step lines and a bar per real (SVG built with the DOM).
 */
import type { Bridge } from '../../shared/bridge.ts';
import { t } from '../i18n.ts';
import { icon } from './icons.ts';
import { h, throttle } from './util.ts';

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#4c9aff', '#6fdc8c', '#ffb020', '#ff7ad9', '#9d8cff', '#37d0e0', '#ff8a65', '#c5e16f'];

interface Sample {
  readonly t: number;
  readonly totals: ReadonlyMap<string, number>;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export class DistributionChart {
  readonly el = h('section', { class: 'chart', 'data-role': 'distribution' });
  private device: string | null = null;
  private samples: Sample[] = [];
  private labels = new Map<string, string>();
  private nowNs = 0;
  private readonly sampleSoon = throttle(() => void this.sample(), 300);

  constructor(private readonly bridge: Bridge) {
    bridge.on.packetsAppended(() => {
      if (this.device) this.sampleSoon();
    });
    bridge.on.timeline((s) => {
      this.nowNs = s.nowNs;
    });
    new ResizeObserver(() => this.draw()).observe(this.el);
    this.draw();
  }

  /** The L4 switch to follow (null: none), and a label per real IP (device names). */
  setSource(device: string | null, labels: Map<string, string>): void {
    this.device = device;
    this.labels = labels;
    this.samples = [];
    this.draw();
    if (device) void this.sample();
  }

  setNow(ns: number): void {
    this.nowNs = ns;
  }

  private async sample(): Promise<void> {
    if (!this.device) return;
    try {
      const s = await this.bridge.devices.state(this.device);
      const totals = new Map<string, number>();
      for (const r of s.reals) totals.set(r.rip, (r as { total?: number }).total ?? r.sessions);
      const last = this.samples[this.samples.length - 1];
      const changed = !last || [...totals].some(([k, v]) => last.totals.get(k) !== v) || totals.size !== last.totals.size;
      if (changed) this.samples.push({ t: this.nowNs, totals });
      else if (this.samples.length) this.samples[this.samples.length - 1] = { t: Math.max(last!.t, this.nowNs), totals: last!.totals };
      if (this.samples.length > 2000) this.samples.splice(0, this.samples.length - 2000);
      this.draw();
    } catch {
      /* the lab went away */
    }
  }

  draw(): void {
    const last = this.samples[this.samples.length - 1];
    const reals = last ? [...last.totals.keys()] : [];
    const sum = last ? [...last.totals.values()].reduce((a, b) => a + b, 0) : 0;
    const title = h('div', { class: 'pane-title' }, icon('chart'), h('span', {}, t('distributionTitle')));
    if (!last || sum === 0) {
      this.el.replaceChildren(title, h('div', { class: 'empty-state' }, icon('chart', 'big'), h('div', {}, t('distributionEmpty'))));
      return;
    }
    const W = Math.max(420, this.el.clientWidth - 260);
    const H = Math.max(200, this.el.clientHeight - 60);
    const pad = { l: 44, r: 16, t: 14, b: 30 };
    const t0 = this.samples[0]!.t;
    const t1 = Math.max(last.t, t0 + 1e9);
    const maxY = Math.max(1, ...reals.map((r) => last.totals.get(r) ?? 0));
    const x = (ns: number): number => pad.l + ((ns - t0) / (t1 - t0)) * (W - pad.l - pad.r);
    const y = (v: number): number => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart-svg', role: 'img', 'aria-label': t('distributionTitle') });
    const ticks = Math.min(maxY, 5);
    for (let i = 0; i <= ticks; i++) {
      const v = Math.round((maxY * i) / ticks);
      root.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }), svg('text', { x: pad.l - 8, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, String(v)));
    }
    for (let i = 0; i <= 4; i++) {
      const ns = t0 + ((t1 - t0) * i) / 4;
      root.append(svg('text', { x: x(ns), y: H - 8, class: 'tick', 'text-anchor': 'middle' }, `${(ns / 1e9).toFixed(1)} s`));
    }
    root.append(svg('line', { x1: pad.l, x2: pad.l, y1: pad.t, y2: H - pad.b, class: 'axis' }), svg('line', { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: 'axis' }));
    reals.forEach((rip, i) => {
      const c = COLOURS[i % COLOURS.length]!;
      let d = '';
      let prev = 0;
      for (const s of this.samples) {
        const v = s.totals.get(rip) ?? 0;
        d += d ? ` H${x(s.t).toFixed(1)} V${y(v).toFixed(1)}` : `M${x(s.t).toFixed(1)} ${y(v).toFixed(1)}`;
        prev = v;
      }
      d += ` H${x(t1).toFixed(1)}`;
      root.append(svg('path', { d, class: 'series', stroke: c }));
      root.append(svg('circle', { cx: x(t1), cy: y(prev), r: 3.5, fill: c }));
    });
    const legend = h(
      'div',
      { class: 'chart-legend' },
      h('div', { class: 'legend-head' }, h('span', {}, t('reals')), h('span', {}, t('requests'))),
      ...reals.map((rip, i) => {
        const v = last.totals.get(rip) ?? 0;
        const bar = h('div', { class: 'bar' }, h('div'));
        const fill = bar.firstElementChild as HTMLElement;
        fill.style.width = `${Math.round((100 * v) / Math.max(1, sum))}%`;
        fill.style.background = COLOURS[i % COLOURS.length]!;
        const sw = h('i', { class: 'swatch' });
        sw.style.background = COLOURS[i % COLOURS.length]!;
        return h('div', { class: 'legend-row', 'data-real': rip }, sw, h('span', { class: 'name' }, this.labels.get(rip) ?? rip, h('small', {}, ` ${rip}`)), h('span', { class: 'v' }, String(v)), bar);
      }),
      h('div', { class: 'legend-row total' }, h('span', { class: 'name' }, t('total')), h('span', { class: 'v' }, String(sum))),
    );
    this.el.replaceChildren(title, h('div', { class: 'chart-body' }, root, legend));
  }
}
