/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The product students open, in web mode (Debian's Chromium): lab 08-01 end to end — the chapter's
 * Alteon configuration typed into the switch console, curl to the VIP four times (the reals take turns),
 * the packet list on both sides of the switch, the step's check passing in the guide — plus the ko/en
 * toggle. Screenshots of each screen go to test-artifacts/app/.
 */
import assert from 'node:assert/strict';
import { requireTool } from '../support/tools.ts';
// The chapter's Alteon SLB configuration, verbatim as the book prints it (one copy for all tests).
import { CHAPTER_CONFIG } from '../engine/devices/l4switch/fixture.ts';
import { applyFilter, focusTerminal, openPage, shot, startUi, visibleRows, waitTerminal, type Ui } from './ui-support.ts';


describe('UI: lab 08-01 in web mode (Chromium)', function () {
  this.timeout(180_000);
  let ui: Ui;

  before(async function () {
    requireTool(this, 'chromium');
    ui = await startUi();
  });
  after(async () => ui?.close());

  it('configures the L4 switch, balances curl between the reals, shows both sides and passes the check', async function () {
    const { page, problems } = await openPage(ui);
    // The first start opens lab 08-01; client1's console is ready.
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]', { timeout: 30_000 });
    await page.waitForSelector('.ctab.active[data-device="client1"]');
    await page.waitForSelector('[data-role="topology"] canvas');
    assert.match((await page.textContent('[data-role="lab-title"]')) ?? '', /L4 switch/);
    await page.waitForTimeout(400);
    await shot(page, 'ui-1-guide-topology.png');
    // At the fit zoom the edge labels are readable and the diagram fills its pane.
    const fitInfo = await page.evaluate(() => {
      const cy = document.querySelector<HTMLElement>('[data-role="topology"]')!;
      return { font: Number(cy.dataset.edgeFont), zoom: Number(cy.dataset.zoom) };
    });
    assert.ok(fitInfo.font >= 11, `edge labels at the fit zoom: ${fitInfo.font} px`);

    // The switch console: the book's configuration, line by line, then apply and the dump.
    await focusTerminal(page, 'alteon');
    await waitTerminal(page, 'alteon', /Main#\s*$/);
    for (const line of CHAPTER_CONFIG.split('\n')) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type('apply');
    await page.keyboard.press('Enter');
    await waitTerminal(page, 'alteon', /Apply complete/);
    await page.keyboard.type('/c/d');
    await page.keyboard.press('Enter');
    await waitTerminal(page, 'alteon', /rport 18600[\s\S]*#\s*$/);

    // Tab completion of a menu path, and line editing (Ctrl-U clears the line).
    await page.keyboard.type('/c/sl');
    await page.keyboard.press('Tab');
    await waitTerminal(page, 'alteon', /\/c\/slb\s*$/m);
    await page.keyboard.press('Control+U');
    await page.waitForTimeout(200);
    await shot(page, 'ui-2-console-alteon.png');

    // The device's state tables follow the console: the switch has its reals configured.
    await page.waitForSelector('[data-role="device-state"] .dev-title .name:text("alteon")');
    await page.click('[data-section="reals"]');
    await page.waitForSelector('[data-role="device-state"] td:text("92.75.100.82")');

    // curl to the VIP four times on client1: real1 and real2 answer in turn.
    await focusTerminal(page, 'client1');
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Control+L');
      await waitTerminal(page, 'client1', /^\s*root@client1:~#\s*$/);
      await page.keyboard.type('curl http://13.246.100.25/');
      await page.keyboard.press('Enter');
      const text = await waitTerminal(page, 'client1', /curl http:\/\/13\.246\.100\.25\/[\s\S]*\breal[12]\b[\s\S]*root@client1:~#\s*$/);
      answers.push(/\b(real[12])\b/.exec(text.split('curl http://13.246.100.25/')[1] ?? '')![1]!);
    }
    assert.equal(answers.length, 4);
    assert.notEqual(answers[0], answers[1], `alternating answers: ${answers.join(', ')}`);
    assert.deepEqual(answers, [answers[0], answers[1], answers[0], answers[1]], `alternating answers: ${answers.join(', ')}`);
    assert.deepEqual([...answers].sort(), ['real1', 'real1', 'real2', 'real2']);
    await shot(page, 'ui-3-console-curl.png');

    // The distribution chart: two requests per real.
    await page.click('[data-tab="distribution"]');
    await page.waitForSelector('.legend-row[data-real="92.75.100.82"] .v:text("2")');
    await page.waitForSelector('.legend-row[data-real="92.75.100.41"] .v:text("2")');
    await shot(page, 'ui-4-distribution.png');

    // Packets: client → VIP outside, client → real:30080 inside.
    await page.click('[data-tab="packets"]');
    await page.selectOption('[data-role="capture-point"]', 'outside');
    await page.waitForFunction(() => document.querySelectorAll('.pwindow .prow[data-n]').length > 0 && [...document.querySelectorAll('.pwindow .prow .c-point')].every((c) => c.textContent === 'outside'));
    const outside = await visibleRows(page);
    assert.ok(outside.some((r) => r.src === '13.246.100.11' && r.dst === '13.246.100.25'), `outside: client1 → VIP\n${JSON.stringify(outside.slice(0, 12), null, 1)}`);
    assert.ok(!outside.some((r) => r.dst.startsWith('92.75.100.')), 'no real server address outside');
    await applyFilter(page, 'ip.addr == 13.246.100.11 && tcp');
    await page.selectOption('[data-role="capture-point"]', 'inside');
    await page.waitForFunction(() => document.querySelectorAll('.pwindow .prow[data-n]').length > 0 && [...document.querySelectorAll('.pwindow .prow .c-point')].every((c) => c.textContent === 'inside'));
    const inside = await visibleRows(page);
    const toReal = inside.filter((r) => r.src === '13.246.100.11' && (r.dst === '92.75.100.82' || r.dst === '92.75.100.41'));
    assert.ok(toReal.length >= 4, `inside: client1 → the reals\n${JSON.stringify(inside.slice(0, 12), null, 1)}`);
    assert.ok(new Set(toReal.map((r) => r.dst)).size === 2, 'both reals get requests');
    // The first of them, in the detail tree: TCP to port 30080; its bytes highlighted in the hex view.
    await page.click(`.pwindow .prow[data-n="${toReal[0]!.n}"]`);
    await page.waitForSelector('.detail-tree .node:has-text("Transmission Control Protocol")');
    const tcpLayer = page.locator('.detail-tree .tree > li > .node', { hasText: 'Transmission Control Protocol' });
    assert.match((await tcpLayer.textContent()) ?? '', /Dst Port: 30080/);
    await tcpLayer.locator('.twisty').click();
    // The engine dissector's field: Wireshark's label and filter name, bytes 36..38 of the frame.
    const dport = page.locator('.detail-tree .node[data-field="tcp.dstport"]');
    assert.equal(await dport.textContent(), 'Destination Port: 30080');
    assert.equal(await dport.getAttribute('data-range'), '36-38');
    await dport.click();
    await page.waitForSelector('.hex-view span.hl');
    const hl = await page.$$eval('.hex-view .hx span.hl', (s) => s.map((x) => x.textContent).join(''));
    assert.equal(hl, (30080).toString(16).padStart(4, '0'), 'the port field’s two bytes are highlighted');
    await page.locator('.detail-tree .tree > li > .node', { hasText: 'Internet Protocol Version 4' }).locator('.twisty').click();
    await page.click('[data-action="maximize-dock"]');
    await page.waitForTimeout(300);
    await shot(page, 'ui-5-packets-detail-hex.png');
    await page.click('[data-action="maximize-dock"]');

    // The step's check passes in the guide.
    await page.click('[data-action="check"]');
    await page.waitForSelector('[data-role="results"][data-pass="true"]');
    const checks = await page.$$eval('[data-role="checks"] li', (l) => l.map((x) => `${x.className}: ${x.textContent}`));
    assert.ok(checks.length >= 2 && checks.every((c) => c.startsWith('pass')), checks.join('\n'));
    await page.waitForSelector('.pill.s-passed[data-step="0"]');
    await page.click('[data-tab="consoles"]');
    await page.waitForTimeout(300);
    await shot(page, 'ui-6-check-passed.png');

    assert.deepEqual(problems, []);
    await page.close();
  });

  it('switches the guide and the menus between Korean and English', async function () {
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]', { timeout: 30_000 });
    await page.waitForSelector('[data-role="instructions"]');
    const en = {
      title: await page.textContent('[data-role="lab-title"]'),
      step: await page.textContent('[data-role="instructions"]'),
      open: await page.textContent('[data-action="open-capture"]'),
      tab: await page.textContent('[data-tab="packets"] .label'),
      check: await page.textContent('[data-action="check"]'),
    };
    assert.match(en.title ?? '', /On-prem server load balancing/);
    assert.match(en.open ?? '', /Open capture/);
    await page.click('[data-action="lang"]');
    await page.waitForSelector('text=실습 초기화');
    const ko = {
      title: await page.textContent('[data-role="lab-title"]'),
      step: await page.textContent('[data-role="instructions"]'),
      open: await page.textContent('[data-action="open-capture"]'),
      tab: await page.textContent('[data-tab="packets"] .label'),
      check: await page.textContent('[data-action="check"]'),
    };
    assert.match(ko.title ?? '', /L4 스위치\(Alteon\)로 하는 온프레미스 서버 로드밸런싱/);
    assert.match(ko.step ?? '', /alteon 콘솔에 책의 설정을 한 줄씩 입력하세요/);
    assert.equal(ko.open, '캡처 파일 열기…');
    assert.equal(ko.tab, '패킷');
    assert.equal(ko.check, '확인');
    assert.equal(await page.getAttribute('html', 'lang'), 'ko');
    // The greeting of a console nothing was typed in follows the language; tool output stays English.
    await waitTerminal(page, 'client1', /명령 목록을 보려면 "help"를 입력하세요/);
    await page.waitForTimeout(300);
    await shot(page, 'ui-7-korean.png');
    // The choice is kept, and goes back.
    await page.click('[data-action="lang"]');
    await page.waitForSelector('text=Reset lab');
    assert.equal(await page.textContent('[data-action="open-capture"]'), en.open);
    assert.equal(await page.textContent('[data-role="instructions"]'), en.step);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('has a light theme too', async function () {
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active[data-lab^="08-01"]', { timeout: 30_000 });
    await page.click('[data-action="theme"]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    await page.click('[data-tab="packets"]');
    await page.waitForTimeout(300);
    await shot(page, 'ui-8-light.png');
    await page.click('[data-action="theme"]');
    assert.deepEqual(problems, []);
    await page.close();
  });
});


