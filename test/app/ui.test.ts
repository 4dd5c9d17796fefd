/**
 * Web mode in Debian's Chromium (playwright-core): the page loads without console errors, lists the
 * labs, opens the first lab and runs a command in a console. Screenshot: test-artifacts/app/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startWebMode, type WebMode } from '../../app/web/serve.ts';
import { artifactDir, requireTool } from '../support/tools.ts';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

describe('app in web mode (Chromium)', function () {
  this.timeout(120_000);
  let web: WebMode;
  let browser: Browser;

  before(async function () {
    requireTool(this, 'chromium');
    web = await startWebMode();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
  });

  it('loads with no console errors, lists labs, runs a command in a console', async function () {
    const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
    const started = performance.now();
    await page.goto(web.server.url);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    // Labs listed, the first lab (08-01) opened, its first host's console ready.
    try {
      await page.waitForSelector('[data-lab="00-01-ping-arp"]');
    } catch (e) {
      await page.screenshot({ path: join(artifactDir('app'), 'web-mode-failed.png') });
      throw new Error(`${(e as Error).message}\npage: ${await page.textContent('body')}\nconsole: ${problems.join('\n')}`);
    }
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]');
    await page.waitForSelector('.devices button.active');
    const interactiveMs = performance.now() - started;
    const labCount = await page.locator('.lab-item').count();
    assert.ok(labCount >= 4, `labs listed: ${labCount}`);
    const device = await page.locator('.devices button.active').getAttribute('data-device');
    assert.equal(device, 'client1');
    await page.fill('[data-role="console-input"]', 'ping -c 1 13.246.100.1');
    await page.press('[data-role="console-input"]', 'Enter');
    await page.locator('[data-role="console-output"]').filter({ hasText: /1 packets transmitted, 1 received/ }).waitFor();
    await page.locator('[data-role="packet-count"]').filter({ hasText: /^[1-9]\d* \/ [1-9]/ }).waitFor();
    const out = await page.textContent('[data-role="console-output"]');
    assert.match(out ?? '', /64 bytes from 13\.246\.100\.1/);
    await page.screenshot({ path: join(artifactDir('app'), 'web-mode-08-01.png'), fullPage: true });
    // The language toggle switches the page to Korean.
    await page.click('[data-action="lang"]');
    await page.waitForSelector('text=실습 초기화');
    await page.screenshot({ path: join(artifactDir('app'), 'web-mode-08-01-ko.png'), fullPage: true });
    assert.deepEqual(problems, []);
    console.log(`      (web mode interactive in ${Math.round(interactiveMs)} ms after page load start)`);
    await page.close();
  });

  it('refuses the page without the token', async function () {
    const page = await browser.newPage();
    const res = await page.goto(web.server.origin + '/');
    assert.equal(res?.status(), 403);
    await page.close();
  });
});
