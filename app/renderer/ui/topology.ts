/**
 * The topology view (cytoscape): devices with icons by kind, compound nodes for networks (on-prem
 * inside / outside, VPC ⊃ AZ ⊃ subnet), a small switch node per segment, edges labelled with the
 * interface name and address at the device end, and packets animated along the links as they are
 * captured, coloured by protocol. Clicking a device selects it (its console and state tables).
 *
 * Layout: layered, left to right from the outside: breadth-first over devices and segments, members
 * of one network kept together; the compound boxes fit around their children.
 */
import cytoscape from 'cytoscape';
import type { PacketRow, Topology } from '../../shared/bridge.ts';
import { t, tx, type StringKey } from '../i18n.ts';
import { deviceIconUri } from './icons.ts';
import { h } from './util.ts';

export const PROTO_COLOURS: Record<string, string> = {
  TCP: '#9d8cff',
  HTTP: '#6fdc8c',
  UDP: '#5fb8ff',
  DNS: '#37d0e0',
  ICMP: '#ff7ad9',
  ARP: '#ffcf5c',
  GENEVE: '#ff9d4d',
  OTHER: '#aab4c5',
};

const GROUP_KEYS: Record<string, StringKey> = {
  'onprem-inside': 'g_inside',
  'onprem-outside': 'g_outside',
  network: 'g_network',
  vpc: 'g_vpc',
  az: 'g_az',
  subnet: 'g_subnet',
};

function ipOf(addr: string | undefined): string | null {
  if (!addr) return null;
  return addr.split('/')[0] ?? null;
}

function subnetOf(addrs: string[]): string {
  const a = addrs.find((x) => x.includes('/'));
  if (!a) return '';
  const [ip, p] = a.split('/');
  const prefix = Number(p);
  const parts = ip!.split('.').map(Number);
  if (parts.length !== 4 || !(prefix >= 0 && prefix <= 32)) return '';
  const n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${net >>> 24}.${(net >> 16) & 255}.${(net >> 8) & 255}.${net & 255}/${prefix}`;
}

/** Edge label font in model px at label scale 1, the on-screen size fit() aims for, and the scale cap. */
const EDGE_FONT = 11;
const EDGE_LABEL_PX = 11.5;
const LABEL_MAX_SCALE = 1.8;

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export class TopologyView {
  readonly el = h('div', { class: 'topology' });
  private readonly canvas = h('div', { class: 'cy', 'data-role': 'topology' });
  private readonly legend = h('div', { class: 'legend' });
  private cy: cytoscape.Core | null = null;
  private topo: Topology | null = null;
  /** Label font scale of the last fit (model px are multiplied so labels stay readable when it zooms out). */
  private labelScale = 1;
  /** The viewport the last fit set; a resize refits only while the user has not zoomed or panned. */
  private fitted: { zoom: number; x: number; y: number } | null = null;
  private ipToDevice = new Map<string, string>();
  private inFlight = 0;
  private pktSeq = 0;
  animate = true;
  onSelect: (device: string | null) => void = () => {};

  constructor() {
    // cytoscape adds a <style> for its container unless this id exists; the CSP would refuse it, and
    // styles.css carries the rule instead.
    if (!document.getElementById('__________cytoscape_stylesheet')) document.head.append(h('meta', { id: '__________cytoscape_stylesheet', name: 'cytoscape-styles', content: 'styles.css' }));
    this.el.append(this.canvas, this.legend);
    this.renderLegend();
    new ResizeObserver(() => {
      if (!this.cy) return;
      const f = this.fitted;
      const z = this.cy.zoom();
      const p = this.cy.pan();
      if (f && Math.abs(f.zoom - z) < 1e-6 && Math.abs(f.x - p.x) < 0.5 && Math.abs(f.y - p.y) < 0.5) this.fit();
      else this.cy.resize();
    }).observe(this.canvas);
  }

  renderLabels(): void {
    this.renderLegend();
    if (this.topo) this.relabelGroups();
  }

  private renderLegend(): void {
    this.legend.replaceChildren(
      h('span', { class: 'legend-title' }, t('legendProto')),
      ...Object.entries(PROTO_COLOURS)
        .filter(([k]) => k !== 'OTHER')
        .map(([k]) => h('span', { class: `legend-item lp-${k.toLowerCase()}` }, h('i', {}), k)),
    );
  }

  private groupLabel(kind: string, label: string): string {
    const key = GROUP_KEYS[kind];
    return key ? `${t(key)} · ${label}` : label;
  }

  private relabelGroups(): void {
    if (!this.cy || !this.topo) return;
    for (const g of this.topo.groups) this.cy.getElementById(g.id).data('label', this.groupLabel(g.kind, g.label));
  }

  clear(): void {
    this.cy?.destroy();
    this.cy = null;
    this.topo = null;
  }

  show(topo: Topology): void {
    this.topo = topo;
    this.ipToDevice.clear();
    for (const d of topo.devices) for (const i of d.interfaces) {
      const ip = ipOf(i.address);
      if (ip) this.ipToDevice.set(ip, d.id);
    }
    const els: cytoscape.ElementDefinition[] = [];
    for (const g of topo.groups) els.push({ group: 'nodes', data: { id: g.id, label: this.groupLabel(g.kind, g.label), ...(g.parent ? { parent: g.parent } : {}) }, classes: `group g-${g.kind}` });
    for (const d of topo.devices) {
      const addrs = d.interfaces.map((i) => ipOf(i.address)).filter((x): x is string => !!x);
      els.push({
        group: 'nodes',
        data: { id: d.id, label: d.label, sub: addrs.length === 1 ? addrs[0] : '', kind: d.kind, icon: deviceIconUri(d.kind), ...(d.parent ? { parent: d.parent } : {}) },
        classes: `device k-${d.kind}`,
      });
    }
    const ifOf = (ref: string): { dev: string; name: string; address?: string } => {
      const [dev, name] = ref.split('.') as [string, string];
      const d = topo.devices.find((x) => x.id === dev);
      const i = d?.interfaces.find((x) => x.name === name);
      return { dev, name: name ?? '', ...(i?.address ? { address: i.address } : {}) };
    };
    for (const s of topo.segments) {
      const members = s.members.map(ifOf);
      const sid = `seg:${s.id}`;
      const subnet = subnetOf(members.map((m) => m.address ?? ''));
      els.push({ group: 'nodes', data: { id: sid, label: subnet || s.id, icon: deviceIconUri('switch'), ...(s.parent ? { parent: s.parent } : {}) }, classes: 'segment' });
      for (const m of members) {
        // The segment shows the prefix; a member's label shows its address (the prefix only if it differs).
        const addr = m.address && subnet && m.address.endsWith(`/${subnet.split('/')[1]}`) ? m.address.split('/')[0]! : m.address;
        els.push({ group: 'edges', data: { id: `e:${s.id}:${m.dev}.${m.name}`, source: m.dev, target: sid, label: addr ? `${m.name}\n${addr}` : m.name }, classes: 'member' });
      }
    }
    for (const l of topo.links) {
      const a = ifOf(l.a);
      const b = ifOf(l.b);
      els.push({
        group: 'edges',
        data: { id: `l:${l.id}`, source: a.dev, target: b.dev, slabel: a.address ? `${a.name}  ${a.address}` : a.name, tlabel: b.address ? `${b.name}  ${b.address}` : b.name },
        classes: 'link',
      });
    }
    const positions = this.layout(topo);
    this.cy?.destroy();
    this.cy = cytoscape({
      container: this.canvas,
      elements: els,
      style: this.style(),
      layout: { name: 'preset', positions: (n: cytoscape.NodeSingular) => positions.get(n.id()) ?? { x: 0, y: 0 }, fit: false } as cytoscape.LayoutOptions,
      minZoom: 0.3,
      maxZoom: 2.5,
      boxSelectionEnabled: false,
      autoungrabify: false,
    });
    this.cy.on('tap', 'node.device', (ev) => this.onSelect(ev.target.id() as string));
    this.cy.on('tap', (ev) => {
      if (ev.target === this.cy) this.onSelect(null);
    });
    this.cy.on('mouseover', 'node.device', () => this.canvas.classList.add('pointer'));
    this.cy.on('mouseout', 'node.device', () => this.canvas.classList.remove('pointer'));
    this.fit();
  }

  /**
   * Fits the diagram to the pane: 20 px padding, the protocol legend's height kept free at the bottom,
   * zoom at most 1.4. When the fit zoom is below 1, label fonts grow (up to LABEL_MAX_SCALE) so that
   * on screen edge labels are at least 11.5 px and names 13 px; the bounding box changes with the
   * labels, so the fit is repeated until it settles. The zoom and label size are left on the canvas
   * as data-zoom / data-edge-font (rendered px) for tests.
   */
  fit(): void {
    const cy = this.cy;
    if (!cy) return;
    cy.resize();
    const w = cy.width();
    const h = cy.height();
    if (w <= 0 || h <= 0) return;
    const pad = 20;
    const bottom = pad + (this.legend.offsetHeight ? this.legend.offsetHeight + 8 : 0);
    let z = 1;
    for (let k = 0; k < 4; k++) {
      const bb = cy.elements().boundingBox();
      if (!(bb.w > 0 && bb.h > 0)) return;
      z = Math.min(1.4, (w - 2 * pad) / bb.w, (h - pad - bottom) / bb.h);
      z = Math.max(cy.minZoom(), z);
      cy.viewport({ zoom: z, pan: { x: pad + (w - 2 * pad - bb.w * z) / 2 - bb.x1 * z, y: pad + (h - pad - bottom - bb.h * z) / 2 - bb.y1 * z } });
      const scale = Math.min(LABEL_MAX_SCALE, Math.max(1, EDGE_LABEL_PX / (EDGE_FONT * z)));
      if (Math.abs(scale - this.labelScale) < 0.01) break;
      this.labelScale = scale;
      cy.style(this.style());
    }
    const p = cy.pan();
    this.fitted = { zoom: cy.zoom(), x: p.x, y: p.y };
    this.canvas.dataset.zoom = cy.zoom().toFixed(3);
    this.canvas.dataset.edgeFont = (EDGE_FONT * this.labelScale * cy.zoom()).toFixed(1);
  }

  select(device: string | null): void {
    if (!this.cy) return;
    this.cy.$('node.device').unselect();
    if (device) this.cy.getElementById(device).select();
  }

  restyle(): void {
    this.cy?.style(this.style());
  }

  /** Layered positions: x by breadth-first distance from the outside, y spread per layer. */
  private layout(topo: Topology): Map<string, { x: number; y: number }> {
    const adj = new Map<string, Set<string>>();
    const link = (a: string, b: string): void => {
      if (!adj.has(a)) adj.set(a, new Set());
      if (!adj.has(b)) adj.set(b, new Set());
      adj.get(a)!.add(b);
      adj.get(b)!.add(a);
    };
    for (const d of topo.devices) adj.set(d.id, adj.get(d.id) ?? new Set());
    for (const s of topo.segments) for (const m of s.members) link(m.split('.')[0]!, `seg:${s.id}`);
    for (const l of topo.links) link(l.a.split('.')[0]!, l.b.split('.')[0]!);
    const groupKind = new Map(topo.groups.map((g) => [g.id, g.kind]));
    const outsideDev = topo.devices.find((d) => d.parent && /outside/.test(groupKind.get(d.parent) ?? ''));
    const roots = [outsideDev?.id ?? topo.devices.find((d) => d.kind === 'host')?.id ?? topo.devices[0]?.id].filter((x): x is string => !!x);
    const level = new Map<string, number>();
    const order: string[] = [];
    const visit = (start: string): void => {
      const q = [start];
      level.set(start, level.get(start) ?? 0);
      while (q.length) {
        const n = q.shift()!;
        order.push(n);
        for (const m of adj.get(n) ?? []) {
          if (level.has(m)) continue;
          level.set(m, level.get(n)! + 1);
          q.push(m);
        }
      }
    };
    for (const r of roots) visit(r);
    // Disconnected parts start after the rest.
    for (const id of adj.keys()) if (!level.has(id)) {
      const base = Math.max(0, ...level.values()) + 1;
      level.set(id, base);
      visit(id);
    }
    const parentOf = new Map<string, string | undefined>();
    for (const d of topo.devices) parentOf.set(d.id, d.parent);
    for (const s of topo.segments) parentOf.set(`seg:${s.id}`, s.parent);
    const byLevel = new Map<number, string[]>();
    for (const id of order) {
      const l = level.get(id)!;
      if (!byLevel.has(l)) byLevel.set(l, []);
      byLevel.get(l)!.push(id);
    }
    const pos = new Map<string, { x: number; y: number }>();
    const DX = 200;
    const DY = 120;
    for (const [l, ids] of byLevel) {
      ids.sort((a, b) => (parentOf.get(a) ?? '').localeCompare(parentOf.get(b) ?? '') || order.indexOf(a) - order.indexOf(b));
      const n = ids.length;
      ids.forEach((id, i) => pos.set(id, { x: l * DX, y: (i - (n - 1) / 2) * DY }));
    }
    return pos;
  }

  private style(): cytoscape.StylesheetJson {
    const ink = cssVar('--ink', '#d5dbe5');
    const muted = cssVar('--muted', '#8592a6');
    const panel = cssVar('--topo-bg', '#0f141c');
    const edge = cssVar('--topo-edge', '#4a5a73');
    const accent = cssVar('--accent', '#4c9aff');
    const font = 'Noto Sans CJK KR, DejaVu Sans, sans-serif';
    const mono = 'DejaVu Sans Mono, monospace';
    // Fonts grow with the fit's label scale; names are scaled less than the long address labels.
    const ls = this.labelScale;
    const fs = (px: number, scale = ls): number => Math.round(px * scale * 10) / 10;
    return [
      {
        selector: 'node.device',
        style: {
          'background-opacity': 0,
          'background-image': 'data(icon)',
          'background-fit': 'contain',
          'background-clip': 'none',
          shape: 'round-rectangle',
          width: 48,
          height: 48,
          label: 'data(label)',
          'text-valign': 'bottom',
          'text-halign': 'center',
          'text-margin-y': 6,
          color: ink,
          'font-family': font,
          'font-size': fs(14, Math.min(ls, 1.4)),
          'font-weight': 600,
          'text-outline-color': panel,
          'text-outline-width': 3,
          'border-width': 0,
          'overlay-opacity': 0,
        },
      },
      { selector: 'node.device:selected', style: { 'border-width': 2, 'border-color': accent, 'border-style': 'solid', 'background-opacity': 0.12, 'background-color': accent } },
      {
        selector: 'node.segment',
        style: {
          'background-opacity': 0,
          'background-image': 'data(icon)',
          'background-fit': 'contain',
          shape: 'round-rectangle',
          width: 38,
          height: 38,
          label: 'data(label)',
          'text-valign': 'bottom',
          'text-margin-y': 2,
          color: muted,
          'font-family': mono,
          'font-size': fs(10.5),
          'text-outline-color': panel,
          'text-outline-width': 2,
          events: 'no',
        },
      },
      {
        selector: 'node.group',
        style: {
          shape: 'round-rectangle',
          'background-color': cssVar('--g-net', '#1b2433'),
          'background-opacity': 0.55,
          'border-width': 1.5,
          'border-style': 'dashed',
          'border-color': cssVar('--g-net-border', '#3a4a63'),
          label: 'data(label)',
          'text-valign': 'top',
          'text-halign': 'center',
          'text-margin-y': -6,
          color: muted,
          'font-family': font,
          'font-size': fs(12.5, Math.min(ls, 1.4)),
          'font-weight': 700,
          padding: '24px',
          events: 'no',
        } as cytoscape.Css.Node,
      },
      { selector: 'node.g-onprem-outside', style: { 'background-color': cssVar('--g-outside', '#15243a'), 'border-color': cssVar('--g-outside-border', '#3c6aa8') } },
      { selector: 'node.g-onprem-inside', style: { 'background-color': cssVar('--g-inside', '#132a22'), 'border-color': cssVar('--g-inside-border', '#2f8a62') } },
      { selector: 'node.g-vpc', style: { 'border-style': 'solid', 'border-color': '#ffb020' } },
      { selector: 'node.g-az', style: { 'border-color': '#5fb8ff' } },
      { selector: 'node.g-subnet', style: { 'border-style': 'solid', 'border-color': '#2fbf71' } },
      {
        selector: 'edge',
        style: {
          width: 2.2,
          'line-color': edge,
          'curve-style': 'straight',
          'source-label': 'data(slabel)',
          'source-text-offset': Math.round(62 * Math.min(ls, 1.4)),
          'font-family': mono,
          'font-size': fs(EDGE_FONT),
          color: ink,
          'text-background-color': panel,
          'text-background-opacity': 0.92,
          'text-background-padding': '3px',
          'text-background-shape': 'roundrectangle',
          'text-border-width': 1,
          'text-border-color': edge,
          'text-border-opacity': 0.8,
          'overlay-opacity': 0,
          events: 'no',
        } as cytoscape.Css.Edge,
      },
      { selector: 'edge.link', style: { 'target-label': 'data(tlabel)', 'target-text-offset': Math.round(62 * Math.min(ls, 1.4)) } },
      {
        selector: 'edge.member',
        // The interface label sits at the device's end, just above the line (clear of the segment's subnet).
        style: {
          'source-label': 'data(label)',
          'source-text-offset': Math.round((13 * 0.6 * fs(EDGE_FONT) + 8) / 2 + 16),
          'source-text-margin-y': -Math.round(fs(EDGE_FONT) * 1.3),
          'text-wrap': 'wrap',
          'text-max-width': `${Math.round(170 * ls)}px`,
          'line-height': 1.2,
        } as cytoscape.Css.Edge,
      },
      {
        selector: 'node.pkt',
        style: { width: 13, height: 13, shape: 'ellipse', 'border-width': 2, 'border-color': panel, 'background-color': 'data(colour)', events: 'no', 'z-index': 99, label: '' },
      },
    ];
  }

  /** Animates new captured packets along the path they took on their segment. */
  animatePackets(rows: readonly PacketRow[]): void {
    if (!this.animate || !this.cy || !this.topo || document.hidden) return;
    const cy = this.cy;
    let delay = 0;
    for (const r of rows) {
      if (this.inFlight >= 40) break;
      const path = this.pathOf(r);
      if (!path) continue;
      const colour = PROTO_COLOURS[r.protocol.toUpperCase()] ?? PROTO_COLOURS.OTHER!;
      const start = cy.getElementById(path[0]!);
      if (start.empty()) continue;
      const id = `pkt${++this.pktSeq}`;
      this.inFlight++;
      const node = cy.add({ group: 'nodes', data: { id, colour }, position: { ...start.position() }, classes: 'pkt' });
      const hops = path.slice(1).map((p) => cy.getElementById(p)).filter((n) => n.nonempty());
      let chain: Promise<unknown> = new Promise((res) => setTimeout(res, delay));
      for (const hop of hops) chain = chain.then(() => node.animation({ position: { ...hop.position() }, duration: 420, easing: 'ease-in-out-sine' } as never).play().promise());
      chain.then(
        () => {
          node.remove();
          this.inFlight--;
        },
        () => {
          this.inFlight--;
        },
      );
      delay += 110;
    }
  }

  private pathOf(r: PacketRow): string[] | null {
    const topo = this.topo!;
    const cap = topo.captures.find((c) => c.id === r.point);
    const at = cap?.at ?? r.point;
    const seg = topo.segments.find((s) => s.id === at || s.members.includes(at));
    const members = seg ? [...new Set(seg.members.map((m) => m.split('.')[0]!))] : null;
    const lnk = seg ? null : topo.links.find((l) => l.id === at || l.a === at || l.b === at);
    const ends = members ?? (lnk ? [lnk.a.split('.')[0]!, lnk.b.split('.')[0]!] : null);
    if (!ends) return null;
    const kinds = new Map(topo.devices.map((d) => [d.id, d.kind]));
    const gateway = ends.find((d) => kinds.get(d) !== 'host');
    const own = (ip: string): string | undefined => {
      const d = this.ipToDevice.get(ip);
      return d && ends.includes(d) ? d : undefined;
    };
    let from = own(r.src);
    let to = own(r.dst);
    if (!from) from = to !== gateway ? gateway : ends.find((d) => d !== to);
    if (!to) to = from !== gateway ? gateway : undefined;
    if (!from) return null;
    if (seg) return to && to !== from ? [from, `seg:${seg.id}`, to] : [from, `seg:${seg.id}`];
    return to && to !== from ? [from, to] : null;
  }

  /** Device description for tooltips and the state panel. */
  describe(device: string): string {
    const d = this.topo?.devices.find((x) => x.id === device);
    return d ? tx(d.description) : '';
  }
}
