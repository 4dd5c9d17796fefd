/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Student mode in the UI (web mode, Debian's Chromium): lab 08-01's round-robin step checked after the
 * student typed the curls (no setup run) — the traffic checks evaluate the typed requests and the
 * reasons follow the UI language; the filter bar validates while typing (packets.checkFilter) without
 * applying; a 20 MB pcapng opens in reasonable time (binary WebSocket frames).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../engine/capture/pcapng-writer.ts';
import { requireTool } from '../support/tools.ts';
import { CHAPTER_CONFIG } from '../engine/devices/l4switch/fixture.ts';
import { focusTerminal, openPage, shot, startUi, waitTerminal, type Ui } from './ui-support.ts';

/** The chapter's configuration as the book prints it, then apply. */
const CONFIG = `${CHAPTER_CONFIG}\napply`;

/** A pcapng of about `mb` MB: TCP segments of 1000 bytes. */
function bigPcapng(mb: number): { bytes: Uint8Array; count: number } {
  const w = new PcapngWriter({ initialCapacity: mb * 1.1 * 1024 * 1024 });
  w.addInterface({ name: 'eth0' });
  const f = new Uint8Array(1000);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0x03, 0xda, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  f.set([0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xfa, 0xf0], 34);
  const count = Math.floor((mb * 1024 * 1024) / 1032);
  for (let i = 0; i < count; i++) {
    f[18] = (i >> 8) & 255;
    f[19] = i & 255;
    w.writePacket(0, BigInt(i) * 1000n, f);
  }
  return { bytes: w.toBytes(), count };
}

describe('UI: student mode, filter check, large files (Chromium)', function () {
  this.timeout(180_000);
  let ui: Ui;
  let dir: string;

  before(async function () {
    requireTool(this, 'chromium');
    dir = mkdtempSync(join(tmpdir(), 'pktlab-ui-student-'));
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('08-01 round robin: the step check passes on the curls the student typed', async function () {
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]', { timeout: 30_000 });
    await focusTerminal(page, 'alteon');
    await waitTerminal(page, 'alteon', /Main#\s*$/);
    for (const line of CONFIG.split('\n')) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    }
    await waitTerminal(page, 'alteon', /Apply complete/);

    // Step 2 (round robin); its setup (the lab's own traffic) is not run.
    await page.click('.pill[data-step="1"]');
    await page.waitForSelector('[data-role="step"][data-step="1"]');
    await focusTerminal(page, 'client1');
    for (const [url, n] of [['http://13.246.100.25/', 6], ['http://13.246.100.174:6800/', 6]] as const) {
      for (let i = 0; i < n; i++) {
        await page.keyboard.press('Control+L');
        await waitTerminal(page, 'client1', /^\s*root@client1:~#\s*$/);
        await page.keyboard.type(`curl ${url}`);
        await page.keyboard.press('Enter');
        await waitTerminal(page, 'client1', /\breal[123]\b[\s\S]*root@client1:~#\s*$/);
      }
    }
    await page.click('[data-action="check"]');
    await page.waitForSelector('[data-role="results"][data-pass="true"]');
    const checks = await page.$$eval('[data-role="checks"] li', (l) => l.map((x) => `${x.className}: ${x.textContent}`));
    assert.ok(checks.length === 6 && checks.every((c) => c.startsWith('pass')), checks.join('\n'));
    assert.ok(checks.some((c) => /6 of 6 requests of "vip1" \(the 6 typed on client1\) succeeded/.test(c)), checks.join('\n'));
    await page.waitForSelector('.pill.s-passed[data-step="1"]');
    await shot(page, 'ui-12-student-curls-check.png');
    // The reasons follow the UI language.
    await page.click('[data-action="lang"]');
    await page.waitForSelector('[data-role="checks"] .reason:has-text("client1에서 입력한 6개")');
    await page.click('[data-action="lang"]');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('colours the filter bar while typing (packets.checkFilter) without applying it', async function () {
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]', { timeout: 30_000 });
    await page.click('[data-tab="packets"]');
    await page.click('[data-role="filter"]');
    await page.keyboard.type('tcp.port ==');
    await page.waitForSelector('.filter-box[data-state="dirty"][data-check="invalid"]');
    assert.match((await page.getAttribute('[data-role="filter"]', 'title')) ?? '', /Unexpected end of filter expression/);
    await page.keyboard.type(' 80 || arp');
    await page.waitForSelector('.filter-box[data-state="dirty"][data-check="valid"]');
    await shot(page, 'ui-13-filter-typing.png');
    await page.keyboard.type(' &&');
    await page.waitForSelector('.filter-box[data-state="dirty"][data-check="invalid"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.filter-box[data-state="none"]');
    assert.equal(await page.getAttribute('.filter-box', 'data-check'), null);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('opens a 20 MB pcapng in reasonable time', async function () {
    const { bytes, count } = bigPcapng(20);
    const file = join(dir, 'big.pcapng');
    writeFileSync(file, bytes);
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active', { timeout: 30_000 });
    const t0 = Date.now();
    await page.setInputFiles('[data-role="open-file"]', file);
    await page.locator('[data-role="packet-count"]').filter({ hasText: `${count} / ${count}` }).waitFor({ timeout: 30_000 });
    const ms = Date.now() - t0;
    console.log(`      (${(bytes.length / 1e6).toFixed(1)} MB, ${count} packets opened and shown in ${ms} ms)`);
    assert.ok(ms < 10_000, `opening took ${ms} ms`);
    assert.match((await page.textContent('[data-role="lab-title"]')) ?? '', /big\.pcapng/);
    await shot(page, "ui-14-large-file.png");
    await page.waitForSelector('.pwindow .prow[data-n="1"]');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
