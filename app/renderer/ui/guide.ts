/**
 * The lab guide: the chapter/lab picker with progress, the lab's summary, step pills, the current
 * step's text (Markdown, in the UI language), Check with each check's pass/fail and reason, hints on
 * demand, the score and Reset lab. In offline mode (a capture file) it shows the file instead.
 */
import type { Bridge, LabInfo, OpenedCapture, OpenedLab, Score, StepCheckResult, StepState } from '../../shared/bridge.ts';
import { t, tx } from '../i18n.ts';
import { icon } from './icons.ts';
import { renderMarkdown } from './markdown.ts';
import { button, h, load, store } from './util.ts';

export class Guide {
  readonly el = h('aside', { class: 'guide', 'data-role': 'guide' });
  private readonly picker = h('div', { class: 'labs', 'data-role': 'labs' });
  private readonly body = h('div', { class: 'guide-body' });
  private labs: LabInfo[] = [];
  private opened: OpenedLab | null = null;
  private offline: OpenedCapture | null = null;
  private state: StepState | null = null;
  private score: Score | null = null;
  private checking = false;
  private pickerOpen = load('guide.picker', true);
  private summaryOpen = false;
  onOpenLab: (id: string) => void = () => {};
  onReset: () => void = () => {};
  onStepChanged: () => void = () => {};

  constructor(
    private readonly bridge: Bridge,
    private readonly onError: (e: unknown) => void,
  ) {
    this.el.append(this.picker, this.body);
    bridge.on.stepChanged((s) => {
      if (this.opened && s.index === this.opened.current) {
        this.state = s;
        void this.refreshScore();
        this.renderBody();
      }
    });
  }

  setLabs(labs: LabInfo[]): void {
    this.labs = labs;
    this.renderPicker();
  }

  async showLab(o: OpenedLab): Promise<void> {
    this.opened = o;
    this.offline = null;
    try {
      this.state = await this.bridge.steps.current();
    } catch {
      this.state = null;
    }
    await this.refreshScore();
    this.renderPicker();
    this.renderBody();
  }

  showOffline(c: OpenedCapture): void {
    this.opened = null;
    this.offline = c;
    this.state = null;
    this.renderPicker();
    this.renderBody();
  }

  get currentLab(): OpenedLab | null {
    return this.opened;
  }

  render(): void {
    this.renderPicker();
    this.renderBody();
  }

  private async refreshScore(): Promise<void> {
    try {
      this.score = await this.bridge.steps.score();
    } catch {
      this.score = null;
    }
    // Keep the picker's progress for this lab current.
    if (this.opened && this.score) {
      const id = this.opened.lab.id;
      try {
        this.labs = await this.bridge.labs.list();
      } catch {
        /* keep */
      }
      void id;
      this.renderPicker();
    }
  }

  private renderPicker(): void {
    const activeId = this.opened?.lab.id ?? null;
    const toggle = h('button', { type: 'button', class: 'section-head', 'aria-expanded': String(this.pickerOpen), 'data-action': 'toggle-labs' }, icon(this.pickerOpen ? 'down' : 'right'), h('span', {}, t('labs')), h('span', { class: 'count' }, String(this.labs.length)));
    toggle.addEventListener('click', () => {
      this.pickerOpen = !this.pickerOpen;
      store('guide.picker', this.pickerOpen);
      this.renderPicker();
    });
    const list = h('div', { class: 'lab-list' });
    list.hidden = !this.pickerOpen;
    const chapters = new Map<string, LabInfo[]>();
    for (const l of this.labs) {
      const c = l.chapter || '—';
      if (!chapters.has(c)) chapters.set(c, []);
      chapters.get(c)!.push(l);
    }
    for (const [c, labs] of chapters) {
      const num = /^\d+$/.test(c) ? String(Number(c)) : c;
      list.append(h('div', { class: 'chapter' }, /^\d+$/.test(c) ? t('chapter', { n: num.padStart(2, '0') }) : c));
      for (const lab of labs) {
        const p = lab.progress;
        const pct = p.steps ? Math.round((100 * p.passed) / p.steps) : 0;
        const bar = h('div', { class: 'progress', title: t('progress', { passed: p.passed, steps: p.steps }) }, h('div'));
        (bar.firstElementChild as HTMLElement).style.width = `${pct}%`;
        const done = p.steps > 0 && p.passed === p.steps;
        const item = h(
          'button',
          {
            type: 'button',
            class: `lab-item${lab.id === activeId ? ' active' : ''}${done ? ' done' : ''}`,
            'data-lab': lab.id,
            disabled: lab.problems.length > 0,
            title: lab.problems.length ? `${t('labProblems')}:\n${lab.problems.join('\n')}` : tx(lab.summary) || undefined,
          },
          h('div', { class: 'lab-line' }, h('span', { class: 'id' }, lab.id), done ? icon('checkCircle', 'ok') : h('span', { class: 'steps' }, `${p.passed}/${p.steps}`)),
          h('div', { class: 'title' }, tx(lab.title)),
          bar,
        );
        item.addEventListener('click', () => this.onOpenLab(lab.id));
        list.append(item);
      }
    }
    this.picker.replaceChildren(toggle, list);
    const active = list.querySelector<HTMLElement>('.lab-item.active');
    if (active) requestAnimationFrame(() => active.scrollIntoView({ block: 'nearest' }));
  }

  private renderBody(): void {
    if (this.offline) return this.renderOffline(this.offline);
    const o = this.opened;
    if (!o) {
      this.body.replaceChildren(h('div', { class: 'empty-state' }, icon('book', 'big'), h('div', {}, t('noLab'))));
      return;
    }
    const step = o.steps[o.current];
    const head = h(
      'div',
      { class: 'lab-head' },
      h('div', { class: 'eyebrow' }, `${t('chapter', { n: o.lab.chapter })} · ${o.lab.id}`),
      h('h1', { 'data-role': 'lab-title' }, tx(o.lab.title)),
    );
    if (o.lab.summary) {
      const sum = h('div', { class: `summary md${this.summaryOpen ? '' : ' clamped'}` }, renderMarkdown(tx(o.lab.summary)));
      sum.addEventListener('click', () => {
        this.summaryOpen = !this.summaryOpen;
        sum.classList.toggle('clamped', !this.summaryOpen);
      });
      head.append(sum);
    }
    const pills = h('div', { class: 'step-pills', role: 'tablist' });
    const perStep = this.score?.perStep ?? [];
    o.steps.forEach((s, i) => {
      const st = perStep[i]?.status ?? 'pending';
      const b = h('button', { type: 'button', class: `pill s-${st}${i === o.current ? ' current' : ''}`, title: tx(s.title), 'data-step': String(i) }, st === 'passed' ? icon('check') : st === 'failed' ? icon('x') : h('span', {}, String(i + 1)));
      b.addEventListener('click', () => void this.go(i));
      pills.append(b);
      if (i < o.steps.length - 1) pills.append(h('span', { class: `pill-line${st === 'passed' ? ' done' : ''}` }));
    });
    const scoreBox = this.scoreBox();
    if (!step) {
      this.body.replaceChildren(head, pills, scoreBox);
      return;
    }
    const status = this.state?.status ?? 'pending';
    const stepEl = h('section', { class: `step-card s-${status}`, 'data-role': 'step', 'data-step': String(o.current) });
    stepEl.append(
      h('div', { class: 'step-title' }, h('span', { class: 'step-no' }, t('stepOf', { n: o.current + 1, total: o.steps.length })), h('h2', {}, tx(step.title))),
      h('div', { class: 'instructions md', 'data-role': 'instructions' }, renderMarkdown(tx(step.instructions), { decorateCode: (pre, code) => this.decorateCode(pre, code) })),
    );
    const checkBtn = button({ icon: 'check', label: this.checking ? t('checking') : t('check'), title: t('checkTip'), action: 'check', cls: 'btn primary' });
    checkBtn.disabled = this.checking;
    checkBtn.addEventListener('click', () => void this.check());
    const shown = this.state?.hints.length ?? 0;
    const hintBtn = button({ icon: 'bulb', label: `${t('hint')} ${shown}/${step.hintCount}`, title: step.hintCount ? t('hintTip') : t('noHints'), action: 'hint', cls: 'btn' });
    hintBtn.disabled = shown >= step.hintCount;
    hintBtn.addEventListener('click', () => void this.bridge.steps.hint().catch(this.onError));
    const actions = h('div', { class: 'step-actions' }, checkBtn, hintBtn);
    if (step.hasSetup) {
      const setup = button({ icon: 'play', label: t('setup'), title: t('setupTip'), action: 'setup', cls: 'btn' });
      setup.addEventListener('click', () => void this.bridge.steps.setup().then(() => this.onStepChanged(), this.onError));
      actions.append(setup);
    }
    stepEl.append(actions);
    if (this.state?.hints.length) {
      stepEl.append(
        h('div', { class: 'hints', 'data-role': 'hints' }, ...this.state.hints.map((x, i) => h('div', { class: 'hint' }, icon('bulb'), h('div', { class: 'md' }, h('span', { class: 'hint-no' }, `${t('hint')} ${i + 1}`), renderMarkdown(tx(x)))))),
      );
    }
    if (this.state?.last) stepEl.append(this.results(this.state.last));
    const prev = button({ icon: 'left', label: t('prev'), action: 'prev', cls: 'btn ghost' });
    prev.disabled = o.current === 0;
    prev.addEventListener('click', () => void this.go(o.current - 1));
    const next = button({ label: t('next'), action: 'next', cls: `btn ghost next${status === 'passed' ? ' emph' : ''}` });
    next.append(icon('right'));
    next.disabled = o.current >= o.steps.length - 1;
    next.addEventListener('click', () => void this.go(o.current + 1));
    const nav = h('div', { class: 'step-nav' }, prev, next);
    this.body.replaceChildren(head, pills, stepEl, nav, scoreBox);
  }

  private decorateCode(pre: HTMLPreElement, code: string): void {
    const b = button({ icon: 'copy', title: t('copy'), cls: 'btn icon-only code-copy' });
    b.addEventListener('click', () => {
      void navigator.clipboard.writeText(code).then(
        () => {
          b.classList.add('done');
          setTimeout(() => b.classList.remove('done'), 1200);
        },
        () => {},
      );
    });
    pre.append(b);
  }

  private scoreBox(): HTMLElement {
    const s = this.score;
    const earned = s?.earned ?? 0;
    const total = s?.total ?? 0;
    const pct = total ? Math.round((100 * earned) / total) : 0;
    const bar = h('div', { class: 'progress big' }, h('div'));
    (bar.firstElementChild as HTMLElement).style.width = `${pct}%`;
    const reset = button({ icon: 'reset', label: t('reset'), title: t('resetTip'), action: 'reset', cls: 'btn ghost' });
    reset.addEventListener('click', () => this.onReset());
    return h(
      'div',
      { class: 'score-box', 'data-role': 'score' },
      h('div', { class: 'score-line' }, h('span', { class: 'score-label' }, t('score')), h('span', { class: 'score-val' }, `${earned} / ${total}`), h('span', { class: 'pct' }, `${pct}%`)),
      bar,
      h('div', { class: 'score-actions' }, reset),
    );
  }

  private results(r: StepCheckResult): HTMLElement {
    const head = h('div', { class: `result-head ${r.pass ? 'pass' : 'fail'}` }, icon(r.pass ? 'checkCircle' : 'xCircle'), h('span', {}, r.pass ? t('stepPassed') : t('stepFailed')), h('span', { class: 'pts' }, `${r.earned} / ${r.total}`));
    const list = h(
      'ul',
      { class: 'checks', 'data-role': 'checks' },
      ...r.checks.map((c) =>
        h(
          'li',
          { class: c.pass ? 'pass' : 'fail', 'data-check': c.id },
          icon(c.pass ? 'checkCircle' : 'xCircle'),
          h('div', { class: 'check-text' }, h('div', { class: 'desc' }, tx(c.description) || c.id), h('div', { class: 'reason' }, tx(c.reasonText ?? c.reason))),
          h('span', { class: 'weight', title: t('weight', { n: c.weight }) }, `${c.pass ? c.weight : 0}/${c.weight}`),
        ),
      ),
    );
    return h('div', { class: 'results', 'data-role': 'results', 'data-pass': String(r.pass) }, head, list);
  }

  async check(): Promise<void> {
    if (!this.opened || this.checking) return;
    this.checking = true;
    this.renderBody();
    try {
      const r = await this.bridge.steps.check();
      this.state = { ...(this.state ?? { index: r.step, status: 'pending', hints: [] }), status: r.pass ? 'passed' : 'failed', last: r };
      await this.refreshScore();
    } catch (e) {
      this.onError(e);
    } finally {
      this.checking = false;
      this.renderBody();
      this.body.querySelector('[data-role="results"]')?.scrollIntoView({ block: 'nearest' });
    }
  }

  private async go(i: number): Promise<void> {
    if (!this.opened) return;
    try {
      this.state = await this.bridge.steps.goto(i);
      this.opened = { ...this.opened, current: i };
      this.renderBody();
      this.onStepChanged();
      this.body.scrollTop = 0;
    } catch (e) {
      this.onError(e);
    }
  }

  private renderOffline(c: OpenedCapture): void {
    const back = button({ icon: 'book', label: t('backToLab'), cls: 'btn', action: 'back-to-lab' });
    back.addEventListener('click', () => {
      this.pickerOpen = true;
      this.renderPicker();
      const first = this.labs.find((l) => l.problems.length === 0);
      if (first) this.onOpenLab(first.id);
    });
    this.body.replaceChildren(
      h(
        'div',
        { class: 'lab-head' },
        h('div', { class: 'eyebrow' }, t('offline')),
        h('h1', { 'data-role': 'lab-title' }, c.name),
        h('div', { class: 'summary' }, t('offlineInfo', { count: c.count.toLocaleString('en-US'), name: c.name })),
      ),
      h(
        'section',
        { class: 'step-card' },
        h('div', { class: 'step-title' }, h('h2', {}, t('interfaces'))),
        h('ul', { class: 'iface-list' }, ...c.points.map((p) => h('li', {}, h('code', {}, p.id), h('span', { class: 'muted' }, tx(p.description)), h('span', { class: 'n' }, p.count.toLocaleString('en-US'))))),
        c.warning ? h('div', { class: 'warn' }, icon('alert'), c.warning) : null,
      ),
      h('div', { class: 'step-nav' }, back),
    );
  }
}
