/**
 * A device's state tables: the L4 switch's session table and real server health, ARP, routes and
 * counters (`devices.state`), refreshed while shown as packets arrive.
 */
import type { Bridge, DeviceState, TopoDevice } from '../../shared/bridge.ts';
import { t, tx, type StringKey } from '../i18n.ts';
import { deviceIconUri, icon } from './icons.ts';
import { button, h, table, throttle } from './util.ts';

type Section = 'sessions' | 'reals' | 'arp' | 'routes' | 'counters';

export class DeviceStatePanel {
  readonly el = h('section', { class: 'device-state', 'data-role': 'device-state' });
  private device: TopoDevice | null = null;
  private state: DeviceState | null = null;
  private section: Section = 'sessions';
  private readonly refreshSoon = throttle(() => void this.refresh(), 400);
  onOpenConsole: (device: string) => void = () => {};

  constructor(
    private readonly bridge: Bridge,
    private readonly onError: (e: unknown) => void,
  ) {
    bridge.on.packetsAppended(() => {
      if (this.device && this.el.offsetParent !== null) this.refreshSoon();
    });
    bridge.on.consoleDone(() => {
      if (this.device) this.refreshSoon();
    });
    this.render();
  }

  get currentDevice(): string | null {
    return this.device?.id ?? null;
  }

  async show(d: TopoDevice | null): Promise<void> {
    this.device = d;
    this.state = null;
    if (d && d.kind !== 'l4switch' && (this.section === 'sessions' || this.section === 'reals')) this.section = 'arp';
    if (d && d.kind === 'l4switch' && this.section === 'arp') this.section = 'sessions';
    this.render();
    await this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.device) return;
    try {
      this.state = await this.bridge.devices.state(this.device.id);
    } catch (e) {
      if (!/no lab|no device/.test(String(e))) this.onError(e);
      this.state = null;
    }
    this.render();
  }

  render(): void {
    const d = this.device;
    if (!d) {
      this.el.replaceChildren(h('div', { class: 'empty-state' }, icon('device', 'big'), h('div', {}, t('pickDevice'))));
      return;
    }
    const img = h('img', { src: deviceIconUri(d.kind), alt: '', class: 'dev-icon' });
    const kindKey = `kind_${d.kind}` as StringKey;
    const kindLabel = /^(host|router|l4switch|switch|appliance|aws)$/.test(d.kind) ? t(kindKey) : d.kind;
    const head = h(
      'div',
      { class: 'dev-head' },
      img,
      h('div', { class: 'dev-title' }, h('div', { class: 'name' }, d.label), h('div', { class: 'kind' }, kindLabel, d.description ? ` — ${tx(d.description)}` : '')),
    );
    if (d.console) {
      const b = button({ icon: 'terminal', label: t('openConsole'), cls: 'btn', action: 'open-console' });
      b.addEventListener('click', () => this.onOpenConsole(d.id));
      head.append(b);
    }
    const ifaces = h(
      'div',
      { class: 'iface-chips' },
      ...d.interfaces.map((i) => h('span', { class: 'chip', title: i.mac ?? '' }, h('b', {}, i.name), ' ', i.address ?? '', i.mac ? h('span', { class: 'mac' }, ` ${i.mac}`) : null)),
    );
    const sections: Section[] = d.kind === 'l4switch' ? ['sessions', 'reals', 'arp', 'routes', 'counters'] : ['arp', 'routes', 'counters'];
    const s = this.state;
    const count = (k: Section): number | null => {
      if (!s) return null;
      if (k === 'counters') return Object.keys(s.counters).length;
      return s[k].length;
    };
    const tabs = h(
      'div',
      { class: 'seg-tabs' },
      ...sections.map((k) => {
        const n = count(k);
        const b = h('button', { type: 'button', class: `seg${k === this.section ? ' active' : ''}`, 'data-section': k }, t(k), n !== null && k !== 'counters' ? h('span', { class: 'n' }, String(n)) : null);
        b.addEventListener('click', () => {
          this.section = k;
          this.render();
        });
        return b;
      }),
    );
    this.el.replaceChildren(head, ifaces, tabs, h('div', { class: 'dev-table' }, this.sectionBody()));
  }

  private sectionBody(): HTMLElement {
    const s = this.state;
    if (!s) return h('div', { class: 'empty-line' }, '…');
    switch (this.section) {
      case 'sessions':
        return table(['proto', 'client', 'VIP', 'real', 'state'], s.sessions.map((x) => [x.proto, x.client, x.vip, x.real, stateChip(x.state)]), t('noSessions'));
      case 'reals':
        return table(['id', 'RIP', 'state', t('sessions'), t('total')], s.reals.map((x) => [x.id, x.rip, stateChip(x.state), x.sessions, (x as { total?: number }).total ?? '—']), t('noReals'));
      case 'arp':
        return table(['IP', 'MAC', 'dev', 'state'], s.arp.map((x) => [x.ip, x.mac, x.iface, stateChip(x.state)]), t('noArp'));
      case 'routes':
        return table(['dst', 'via', 'dev', 'metric', 'proto'], s.routes.map((x) => [x.dst, x.via ?? '', x.dev, x.metric, x.proto]), t('noRoutes'));
      case 'counters': {
        const rows = Object.entries(s.counters)
          .filter(([, v]) => v !== 0)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, v.toLocaleString('en-US')]);
        return table(['counter', 'value'], rows, t('noCounters'), 'counters');
      }
    }
  }
}

function stateChip(s: string): HTMLElement {
  const good = /^(up|reachable|established|active|permanent)$/i.test(s);
  const bad = /down|fail|disabled|incomplete/i.test(s);
  return h('span', { class: `state-chip${good ? ' good' : bad ? ' bad' : ''}` }, s);
}
