/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Offline analysis in the UI (web mode, Debian's Chromium): a pcapng written by Wireshark's own tools
 * (text2pcap, then editcap adding a packet comment) opened through the page's file picker; its packets
 * appear with tshark's count; a display filter narrows them to tshark's count for the same filter; a
 * bad filter shows its error; Save as pcapng downloads a file tshark reads back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { requireTool } from '../support/tools.ts';
import { tsharkCount } from '../support/tshark.ts';
import { applyFilter, openPage, shot, startUi, type Ui } from './ui-support.ts';

/** Runs a Wireshark tool quietly (its progress lines stay out of the test report). */
const tool = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { stdio: 'pipe' });
const hex = (b: readonly number[]): string => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

function ipv4(src: number[], dst: number[], proto: number, l4: number[], id: number): number[] {
  const len = 20 + l4.length;
  const h = [0x45, 0, len >> 8, len & 255, id >> 8, id & 255, 0x40, 0, 64, proto, 0, 0, ...src, ...dst];
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (h[i]! << 8) | h[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  h[10] = (~s >> 8) & 255;
  h[11] = ~s & 255;
  return [...h, ...l4];
}
const eth = (dst: number[], src: number[], type: number, p: number[]): number[] => {
  const f = [...dst, ...src, type >> 8, type & 255, ...p];
  while (f.length < 60) f.push(0);
  return f;
};
const tcp = (sp: number, dp: number, seq: number, ack: number, flags: number, data: number[] = []): number[] => [sp >> 8, sp & 255, dp >> 8, dp & 255, seq >>> 24, (seq >> 16) & 255, (seq >> 8) & 255, seq & 255, ack >>> 24, (ack >> 16) & 255, (ack >> 8) & 255, ack & 255, 0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0, ...data];
const udp = (sp: number, dp: number, data: number[]): number[] => [sp >> 8, sp & 255, dp >> 8, dp & 255, (8 + data.length) >> 8, (8 + data.length) & 255, 0, 0, ...data];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** A small mixed capture: ARP, DNS, a TCP handshake with an HTTP request and answer, ICMP echo. */
function frames(): number[][] {
  const a = [0x02, 0, 0, 0, 0, 0x0a];
  const b = [0x02, 0, 0, 0, 0, 0x0b];
  const ca = [10, 0, 0, 10];
  const cb = [10, 0, 0, 20];
  const out: number[][] = [];
  out.push(eth([255, 255, 255, 255, 255, 255], a, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...a, ...ca, 0, 0, 0, 0, 0, 0, ...cb]));
  out.push(eth(a, b, 0x0806, [0, 1, 8, 0, 6, 4, 0, 2, ...b, ...cb, ...a, ...ca]));
  const q = [0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, ...ascii('www'), 7, ...ascii('example'), 3, ...ascii('com'), 0, 0, 1, 0, 1];
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 17, udp(53000, 53, q), 1)));
  out.push(eth(a, b, 0x0800, ipv4(cb, ca, 17, udp(53, 53000, [0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, ...q.slice(12)]), 2)));
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 6, tcp(40000, 80, 100, 0, 0x02), 3)));
  out.push(eth(a, b, 0x0800, ipv4(cb, ca, 6, tcp(80, 40000, 900, 101, 0x12), 4)));
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 6, tcp(40000, 80, 101, 901, 0x10), 5)));
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 6, tcp(40000, 80, 101, 901, 0x18, ascii('GET / HTTP/1.1\r\nHost: 10.0.0.20\r\n\r\n')), 6)));
  out.push(eth(a, b, 0x0800, ipv4(cb, ca, 6, tcp(80, 40000, 901, 136, 0x18, ascii('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n')), 7)));
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 1, [8, 0, 0xf7, 0xfe, 0, 1, 0, 1], 8)));
  out.push(eth(a, b, 0x0800, ipv4(cb, ca, 1, [0, 0, 0xff, 0xfe, 0, 1, 0, 1], 9)));
  out.push(eth(b, a, 0x0800, ipv4(ca, cb, 17, udp(53001, 53, q), 10)));
  return out;
}

describe('UI: offline capture files in web mode (Chromium)', function () {
  this.timeout(120_000);
  let ui: Ui;
  let dir: string;
  let file: string;

  before(async function () {
    requireTool(this, 'chromium');
    requireTool(this, 'text2pcap', 'tshark');
    requireTool(this, 'editcap', 'tshark');
    requireTool(this, 'tshark');
    dir = mkdtempSync(join(tmpdir(), 'pktlab-ui-files-'));
    // text2pcap's hexdump input: each frame's bytes with offsets from 000000, one second apart.
    const dump = frames()
      .map((f, i) => {
        const lines: string[] = [`00:00:${String(i).padStart(2, '0')}.${String(i * 1250).padStart(6, '0')}`];
        for (let o = 0; o < f.length; o += 16) lines.push(`${o.toString(16).padStart(6, '0')}  ${hex(f.slice(o, o + 16))}`);
        return lines.join('\n');
      })
      .join('\n\n');
    writeFileSync(join(dir, 'frames.txt'), `${dump}\n`);
    tool('text2pcap', ['-q', '-t', '%H:%M:%S.', '-F', 'pcapng', '-N', 'lab0', join(dir, 'frames.txt'), join(dir, 'raw.pcapng')]);
    file = join(dir, 'mixed.pcapng');
    tool('editcap', ['-a', '5:SYN seen by the switch: new session → real 1', join(dir, 'raw.pcapng'), file]);
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a pcapng written by text2pcap/editcap, filters it, reports a bad filter, saves it', async function () {
    const total = tsharkCount(file);
    const udpCount = tsharkCount(file, 'udp');
    assert.ok(total >= 10 && udpCount > 0 && udpCount < total, `${total} packets, ${udpCount} UDP`);
    const { page, problems } = await openPage(ui);
    await page.waitForSelector('.lab-item.active', { timeout: 30_000 });

    await page.setInputFiles('[data-role="open-file"]', file);
    await page.waitForSelector('.chip-id.offline');
    await page.locator('[data-role="packet-count"]').filter({ hasText: `${total} / ${total}` }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('.pwindow .prow[data-n]').length === n, total);
    assert.match((await page.textContent('[data-role="lab-title"]')) ?? '', /mixed\.pcapng/);
    // Colouring rules and the comment editcap added.
    const classes = await page.$$eval('.pwindow .prow[data-n]', (r) => r.map((x) => x.className));
    assert.ok(classes.some((c) => c.includes('pc-arp')) && classes.some((c) => c.includes('pc-udp') || c.includes('pc-dns')) && classes.some((c) => c.includes('pc-icmp')), classes.join('\n'));
    assert.match((await page.textContent('.pwindow .prow[data-n="5"] .c-comment')) ?? '', /new session → real 1/);
    // A packet's detail and bytes.
    await page.click('.pwindow .prow[data-n="8"]');
    await page.waitForSelector('.detail-tree .node:has-text("Transmission Control Protocol")');
    await page.locator('.detail-tree .tree > li > .node', { hasText: 'Transmission Control Protocol' }).locator('.twisty').click();
    await page.locator('.detail-tree .node', { hasText: 'Source port: 40000' }).click();
    assert.equal(await page.$$eval('.hex-view .hx span.hl', (s) => s.map((x) => x.textContent).join('')), (40000).toString(16));
    await shot(page, 'ui-9-offline-file.png');

    // A display filter narrows the list to what tshark finds.
    await applyFilter(page, 'udp');
    await page.locator('[data-role="packet-count"]').filter({ hasText: `${udpCount} / ${total}` }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('.pwindow .prow[data-n]').length === n, udpCount);
    assert.equal(await page.getAttribute('.filter-box', 'data-state'), 'ok');

    // A bad filter: red bar, the error, and the list unchanged.
    await page.fill('[data-role="filter"]', '(udp');
    await page.press('[data-role="filter"]', 'Enter');
    await page.waitForSelector('.filter-box[data-state="bad"]');
    const err = (await page.textContent('[data-role="filter-error"]')) ?? '';
    assert.ok(err.trim().length > 5, `an error message: ${err}`);
    assert.equal(await page.locator('.pwindow .prow[data-n]').count(), udpCount, 'the previous filter stays');
    await shot(page, 'ui-10-bad-filter.png');

    // Save as pcapng: a download tshark reads with every packet.
    await applyFilter(page, '');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="save-capture"]')]);
    const saved = join(dir, 'saved.pcapng');
    await download.saveAs(saved);
    assert.equal(readFileSync(saved).readUInt32LE(0), 0x0a0d0d0a, 'a pcapng section header');
    assert.equal(tsharkCount(saved), total);

    assert.deepEqual(problems, []);
    await page.close();
  });
});
