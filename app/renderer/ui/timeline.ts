/**
 * Timeline controls: play / pause, step one packet (or event) back — a deterministic replay in the
 * engine host — and forward, speed, and the current virtual time.
 */
import type { Bridge, TimelineState } from '../../shared/bridge.ts';
import { t } from '../i18n.ts';
import { button, fmtInt, fmtTime, h, load, store } from './util.ts';

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 100];

export class TimelineControls {
  readonly el = h('div', { class: 'timeline', 'data-role': 'timeline' });
  private state: TimelineState = { mode: 'paused', speed: 1, nowNs: 0, eventCount: 0, canStepBack: false };
  private unit: 'packet' | 'event' = load('timeline.unit', 'packet');
  private readonly timeEl = h('span', { class: 'vtime', 'data-role': 'virtual-time' });
  private busy = false;
  private enabled = true;
  onState: (s: TimelineState) => void = () => {};

  constructor(
    private readonly bridge: Bridge,
    private readonly onError: (e: unknown) => void,
  ) {
    bridge.on.timeline((s) => this.set(s));
    this.render();
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    this.render();
  }

  set(s: TimelineState): void {
    this.state = s;
    this.render();
    this.onState(s);
  }

  get current(): TimelineState {
    return this.state;
  }

  private run(p: () => Promise<TimelineState>): void {
    if (this.busy || !this.enabled) return;
    this.busy = true;
    p().then(
      (s) => {
        this.busy = false;
        this.set(s);
      },
      (e: unknown) => {
        this.busy = false;
        this.onError(e);
      },
    );
  }

  togglePlay(): void {
    this.run(() => (this.state.mode === 'playing' ? this.bridge.timeline.pause() : this.bridge.timeline.play()));
  }

  back(): void {
    this.run(() => this.bridge.timeline.stepBack(this.unit));
  }

  forward(): void {
    this.run(() => this.bridge.timeline.stepForward(this.unit));
  }

  render(): void {
    const s = this.state;
    const unitName = this.unit === 'packet' ? t('unitPacket') : t('unitEvent');
    const playing = s.mode === 'playing';
    const back = button({ icon: 'stepBack', title: t('stepBackTip', { unit: unitName }), action: 'step-back', cls: 'btn icon-only' });
    back.disabled = !this.enabled || !s.canStepBack;
    back.addEventListener('click', () => this.back());
    const play = button({ icon: playing ? 'pause' : 'play', title: playing ? t('pauseTip') : t('playTip'), action: 'play', cls: `btn icon-only play${playing ? ' on' : ''}` });
    play.disabled = !this.enabled;
    play.addEventListener('click', () => this.togglePlay());
    const fwd = button({ icon: 'stepForward', title: t('stepForwardTip', { unit: unitName }), action: 'step-forward', cls: 'btn icon-only' });
    fwd.disabled = !this.enabled;
    fwd.addEventListener('click', () => this.forward());
    const unit = h('select', { class: 'mini-select', title: t('stepForwardTip', { unit: unitName }), 'aria-label': t('timeline'), 'data-role': 'step-unit' }, h('option', { value: 'packet' }, t('byPacket')), h('option', { value: 'event' }, t('byEvent')));
    unit.value = this.unit;
    unit.disabled = !this.enabled;
    unit.addEventListener('change', () => {
      this.unit = unit.value === 'event' ? 'event' : 'packet';
      store('timeline.unit', this.unit);
      this.render();
    });
    const speed = h('select', { class: 'mini-select', title: t('speedTip'), 'aria-label': t('speed'), 'data-role': 'speed' }, ...SPEEDS.map((x) => h('option', { value: String(x) }, `${x}×`)));
    const near = SPEEDS.reduce((a, b) => (Math.abs(b - s.speed) < Math.abs(a - s.speed) ? b : a), 1);
    speed.value = String(near);
    speed.disabled = !this.enabled;
    speed.addEventListener('change', () => this.run(() => this.bridge.timeline.setSpeed(Number(speed.value))));
    this.timeEl.textContent = fmtTime(s.nowNs);
    this.timeEl.title = `${t('virtualTime')} · ${t('events', { n: fmtInt(s.eventCount) })}${s.next ? ` · ${t('nextEvent', { label: s.next })}` : ''}`;
    const mode = h('span', { class: `mode-dot ${playing ? 'on' : 'off'}`, title: playing ? t('playing') : t('paused') });
    this.el.replaceChildren(h('div', { class: 'tl-buttons' }, back, play, fwd), unit, speed, h('div', { class: 'tl-time' }, mode, h('span', { class: 'tl-label' }, t('virtualTime')), this.timeEl));
  }

  /** Only the time text (cheap, for frequent updates). */
  tick(ns: number): void {
    this.timeEl.textContent = fmtTime(ns);
  }
}
