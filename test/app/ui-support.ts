/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Helpers for the renderer's UI tests: pktlab in web mode driven by Debian's Chromium through
 * playwright-core. Pages collect console errors/warnings, page errors, failed requests and CSP
 * violations, so each test can assert there were none.
 */
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebMode, type WebMode } from '../../app/web/serve.ts';
import { artifactDir } from '../support/tools.ts';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export interface Ui {
  readonly web: WebMode;
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function startUi(): Promise<Ui> {
  const web = await startWebMode();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  return {
    web,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await web.stop();
    },
  };
}

export interface UiPage {
  readonly page: Page;
  readonly problems: string[];
}

export async function openPage(ui: Ui, opts: { width?: number; height?: number; locale?: string } = {}): Promise<UiPage> {
  const ctx = await ui.browser.newContext({ viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 }, locale: opts.locale ?? 'en-US', deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`));
  });
  await page.goto(ui.web.server.url);
  return { page, problems };
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(artifactDir('app'), name) });
}

/** Text on the screen of a device's terminal (rows joined by newlines, no-break spaces as spaces). */
export function terminalText(page: Page, device: string): Promise<string> {
  return page.evaluate((d) => {
    const rows = document.querySelector(`.console-pane[data-console="${d}"] .xterm-rows`);
    if (!rows) return '';
    return [...rows.children].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n');
  }, device);
}

/** Waits until the terminal's screen matches `re`. */
export async function waitTerminal(page: Page, device: string, re: RegExp, timeout = 20_000): Promise<string> {
  const end = Date.now() + timeout;
  let last = '';
  while (Date.now() < end) {
    last = await terminalText(page, device);
    if (re.test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal ${device} did not show ${re} within ${timeout} ms; it shows:\n${last}`);
}

/** Focuses a device's terminal (opening its tab). */
export async function focusTerminal(page: Page, device: string): Promise<void> {
  await page.click(`.ctab[data-device="${device}"]`);
  await page.waitForSelector(`.console-pane[data-console="${device}"]:not([hidden]) .xterm-screen`);
  await page.click(`.console-pane[data-console="${device}"] .xterm-screen`);
}

/** Visible packet rows: their cells by column class. */
export function visibleRows(page: Page): Promise<{ n: string; src: string; dst: string; proto: string; info: string; point: string; cls: string }[]> {
  // No named helpers inside the page function: the test runner's transform would refer to its own.
  return page.$$eval('.pwindow .prow[data-n]', (rows) =>
    rows.map((r) => ({
      n: r.querySelector('.c-no')?.textContent ?? '',
      src: r.querySelector('.c-src')?.textContent ?? '',
      dst: r.querySelector('.c-dst')?.textContent ?? '',
      proto: r.querySelector('.c-proto')?.textContent ?? '',
      info: r.querySelector('.c-info')?.textContent ?? '',
      point: r.querySelector('.c-point')?.textContent ?? '',
      cls: r.className,
    })),
  );
}

/** Applies a display filter (Wireshark syntax) and waits for the list to show the result. */
export async function applyFilter(page: Page, expr: string): Promise<void> {
  await page.fill('[data-role="filter"]', expr);
  await page.press('[data-role="filter"]', 'Enter');
  await page.waitForSelector('.filter-box[data-state="ok"], .filter-box[data-state="bad"], .filter-box[data-state="none"]');
  const state = await page.getAttribute('.filter-box', 'data-state');
  if (state !== 'ok' && state !== 'none') throw new Error(`the filter ${expr} was refused: ${await page.textContent('[data-role="filter-error"]')}`);
  await page.waitForTimeout(150);
}
