/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The packet list at scale (web mode, Debian's Chromium): with 1,000,000 packets in the engine's
 * packet table (loaded by the engine host's test hook, PKTLAB_TEST_HOOKS=1), the list keeps fewer
 * than 200 rows in the DOM wherever it is scrolled, shows the right packet numbers at the top, the
 * middle and the end, stays smooth while wheel-scrolling, and a display filter still narrows it.
 */
import assert from 'node:assert/strict';
import { requireTool } from '../support/tools.ts';
import { applyFilter, openPage, shot, startUi, type Ui } from './ui-support.ts';

const N = 1_000_000;

describe('UI: a million packets in web mode (Chromium)', function () {
  this.timeout(240_000);
  let ui: Ui;
  const saved = process.env.PKTLAB_TEST_HOOKS;

  before(async function () {
    requireTool(this, 'chromium');
    process.env.PKTLAB_TEST_HOOKS = '1';
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
    if (saved === undefined) delete process.env.PKTLAB_TEST_HOOKS;
    else process.env.PKTLAB_TEST_HOOKS = saved;
  });

  it('keeps fewer than 200 rows in the DOM while scrolling 1,000,000 packets', async function () {
    const { page, problems } = await openPage(ui, { height: 1000 });
    await page.waitForSelector('.lab-item.active', { timeout: 30_000 });
    // The test hook, called over the page's own authenticated WebSocket like any bridge call.
    const t0 = Date.now();
    const loaded = await page.evaluate(
      (n) =>
        new Promise<unknown>((resolve, reject) => {
          const ws = new WebSocket(`ws://${location.host}/ws`);
          ws.onopen = () => ws.send(JSON.stringify({ t: 'req', id: 1, method: 'packets.loadSynthetic', args: [n] }));
          ws.onmessage = (ev) => {
            const m = JSON.parse(String(ev.data)) as { t: string; id?: number; ok?: boolean; value?: unknown; error?: { message: string } };
            if (m.t !== 'res' || m.id !== 1) return;
            ws.close();
            if (m.ok) resolve(m.value);
            else reject(new Error(m.error?.message));
          };
        }),
      N,
    );
    assert.equal((loaded as { count: number }).count, N);
    await page.locator('[data-role="packet-count"]').filter({ hasText: `${N} / ${N}` }).waitFor();
    console.log(`      (1,000,000 synthetic packets loaded and shown in ${Date.now() - t0} ms)`);
    await page.click('[data-action="maximize-dock"]');
    const rowsInDom = (): Promise<number> => page.evaluate(() => document.querySelectorAll('.prow').length);
    const firstShown = (): Promise<number> =>
      page.evaluate(() => {
        const sc = document.querySelector('.pscroll')!.getBoundingClientRect();
        const rows = [...document.querySelectorAll('.pwindow .prow[data-n]')].filter((r) => r.getBoundingClientRect().bottom > sc.top + 1);
        return Number(rows[0]?.getAttribute('data-n') ?? 0);
      });
    const loadedRows = (): Promise<void> => page.waitForFunction(() => document.querySelectorAll('.pwindow .prow.loading').length === 0 && document.querySelectorAll('.pwindow .prow[data-n]').length > 0).then(() => {});

    await loadedRows();
    // The dock was just maximised: let the list lay out its first rows before reading them.
    for (let i = 0; i < 50 && (await firstShown()) === 0; i++) await page.waitForTimeout(100);
    assert.equal(await firstShown(), 1);
    assert.ok((await rowsInDom()) < 200, `rows in the DOM at the top: ${await rowsInDom()}`);

    // Jump to the middle and to the end.
    for (const frac of [0.5, 1]) {
      await page.evaluate((f) => {
        const s = document.querySelector('.pscroll')!;
        s.scrollTop = f * (s.scrollHeight - s.clientHeight);
      }, frac);
      await page.waitForTimeout(100);
      await loadedRows();
      const first = await firstShown();
      const dom = await rowsInDom();
      assert.ok(dom < 200, `rows in the DOM at ${frac}: ${dom}`);
      if (frac === 1) {
        const last = await page.evaluate(() => Math.max(...[...document.querySelectorAll('.pwindow .prow[data-n]')].map((r) => Number(r.getAttribute('data-n')))));
        assert.equal(last, N, 'the last packet is at the end');
      } else {
        assert.ok(Math.abs(first - N / 2) < 200, `the middle shows packet ${first}`);
      }
    }
    await page.evaluate(() => (document.querySelector('.pscroll')!.scrollTop = 0));
    await loadedRows();

    // Smooth: wheel-scroll through thousands of rows, timing the frames.
    await page.hover('.pscroll');
    // (A string: the test runner's transform would rename a named function inside a page function.)
    await page.evaluate(`(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = () => {
        const now = performance.now();
        window.__frames.push(now - last);
        last = now;
        if (window.__frames.length < 100000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    let maxDom = 0;
    for (let i = 0; i < 60; i++) {
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(16);
      if (i % 10 === 0) maxDom = Math.max(maxDom, await rowsInDom());
    }
    await loadedRows();
    const frames = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames.slice(1));
    frames.sort((a, b) => a - b);
    const p95 = frames[Math.floor(frames.length * 0.95)] ?? 0;
    console.log(`      (wheel scroll: ${frames.length} frames, median ${frames[frames.length >> 1]!.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms; at most ${maxDom} rows in the DOM)`);
    assert.ok(maxDom < 200, `rows in the DOM while scrolling: ${maxDom}`);
    assert.ok((await firstShown()) > 1000, 'the wheel moved through the list');
    assert.ok(p95 < 100, `frames stay short while scrolling (p95 ${p95.toFixed(1)} ms)`);

    // Select a row deep in the list, then screenshot the panes.
    const pick = await page.evaluate(() => Number(document.querySelectorAll('.pwindow .prow[data-n]')[6]!.getAttribute('data-n')));
    await page.click(`.pwindow .prow[data-n="${pick}"]`);
    await page.waitForSelector('.detail-tree .tree');
    await page.locator('.detail-tree .tree > li > .node').nth(3).locator('.twisty').click();
    await page.locator('.detail-tree .tree > li > ul .node').nth(1).click();
    await page.keyboard.press('ArrowDown');
    await shot(page, 'ui-11-million-packets.png');

    // A display filter over the million.
    const f0 = Date.now();
    await applyFilter(page, 'udp');
    await page.locator('[data-role="packet-count"]').filter({ hasText: new RegExp(`^\\d+ / ${N}$`) }).waitFor();
    const shown = Number(((await page.textContent('[data-role="packet-count"]')) ?? '').split(' / ')[0]);
    console.log(`      (display filter over 1,000,000 packets: ${shown} shown in ${Date.now() - f0} ms)`);
    assert.ok(shown > 0 && shown < N / 10);
    assert.ok((await rowsInDom()) < 200);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
