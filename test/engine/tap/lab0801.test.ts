/**
 * Lab 08-01 (the Alteon chapter) with real hosts: the chapter's topology from the l4switch fixture,
 * with client1 or real1 backed by a `pktlab-` namespace and TAP. Needs root, /dev/net/tun and
 * `ip netns` (skipped with a message elsewhere, failing under CI=true); curl, ping, nginx, tcpdump.
 *
 * Safety: the chapter's addresses exist only inside the engine and these namespaces, whose only
 * routes go through their TAP. The after hooks dispose everything even when a test fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../../engine/devices/host.ts';
import type { Execution } from '../../../engine/devices/shell.ts';
import { PcapngRecorder } from '../../../engine/lab/recorder.ts';
import type { Network } from '../../../engine/net/network.ts';
import { ms } from '../../../engine/sim/time.ts';
import { parseServerPage } from '../../../engine/stack/apps/http-server.ts';
import { listNamespaces, registry } from '../../../engine/tap/netns.ts';
import { makeReal, type RealNode } from '../../../engine/tap/real-host.ts';
import { macToString } from '../../../engine/wire/addr.ts';
import { artifactDir, haveTool, requireTool } from '../../support/tools.ts';
import { assertCleanCapture } from '../../support/tshark.ts';
import { buildLab, CHAPTER_CONFIG, type Lab } from '../devices/l4switch/fixture.ts';
import { assertSameFrames, inEngine, pktlabLinks, requireNetns, sleep, waitForOutput } from './helpers.ts';
import { startNginx, type Nginx } from './nginx.ts';

const VIP = '13.246.100.25';
const LAB = '0801';

function chapterLab(): Lab {
  const lab = buildLab();
  lab.alteon.configure(`${CHAPTER_CONFIG}\napply`);
  lab.net.runFor(ms(100));
  return lab;
}

/** A console command line on an emulated host, run in real time; resolves when it is done. */
function engineRun(net: Network, host: Host, line: string): Promise<Execution> {
  return new Promise((resolve) =>
    inEngine(net, () => {
      const ex = host.exec(line);
      ex.onDone(() => resolve(ex));
    }),
  );
}

/** `curl` page → "server servedBy", or the error. */
function who(text: string, code: number | null): string {
  const p = parseServerPage(text);
  return p === null ? `error(${code}): ${text.trim()}` : `${p.server} ${p.servedBy}`;
}

/** Waits (≤ 2 s) until `pid` is gone or a zombie awaiting its reaper. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (/\) Z /.test(stat)) return true;
    await sleep(50);
  }
  return false;
}

/** ICMP echo replies the switch sent from `src` on its outside port (trace bus). */
function countEchoReplies(net: Network, src: string): { count: () => number; dispose: () => void } {
  const want = src.split('.').map(Number);
  let n = 0;
  const sub = net.trace.subscribe((e) => {
    const f = e.frame;
    if (e.node !== 'alteon' || e.ifname !== 'outside' || e.direction !== 'out' || f.length < 42) return;
    if (f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 1) return;
    const ihl = (f[14]! & 0x0f) * 4;
    if (f[14 + ihl] !== 0 || want.some((b, i) => f[26 + i] !== b)) return;
    n++;
  });
  return { count: () => n, dispose: () => sub.dispose() };
}

describe('engine/tap: lab 08-01 with real hosts', function () {
  this.timeout(90_000);
  let lab: Lab | null = null;
  const reals: RealNode[] = [];
  const nginxes: Nginx[] = [];

  before(function () {
    requireNetns(this);
  });

  const teardown = async (): Promise<void> => {
    for (const n of nginxes.splice(0)) await n.stop();
    for (const r of reals.splice(0)) await r.dispose();
    lab?.net.dispose();
    lab = null;
  };

  after(async () => {
    await teardown();
    registry.cleanupSync();
  });

  describe('client1 real', () => {
    let client: RealNode;

    before(async () => {
      lab = chapterLab();
      client = await makeReal(lab.net, lab.clients[0]!, { lab: LAB });
      reals.push(client);
    });

    after(teardown);

    it('curl from the namespace to the VIP is answered by the emulated reals in turn (real1, real2, ...)', async function () {
      requireTool(this, 'curl');
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await client.host.exec('curl', ['-s', '-S', '--max-time', '5', `http://${VIP}/`], { timeoutMs: 15_000 });
        got.push(who(r.stdout, r.code));
      }
      assert.deepEqual(got, ['real1 92.75.100.82:30080', 'real2 92.75.100.41:30080', 'real1 92.75.100.82:30080', 'real2 92.75.100.41:30080']);
      // The reals saw the real client's own address (DNAT, no source NAT) and the request's Host.
      const r = await client.host.exec('curl', ['-s', '--max-time', '5', `http://${VIP}/`], { timeoutMs: 15_000 });
      const page = parseServerPage(r.stdout);
      assert.match(page?.client ?? r.stdout, /^13\.246\.100\.11:\d+$/);
      assert.equal(page?.host, VIP);
      assert.equal(lab!.web.get('real1')!.get(30080)!.stats.requests + lab!.web.get('real2')!.get(30080)!.stats.requests, 5);
      assert.equal(client.link.counters.runts + client.link.counters.oversize + client.link.counters.writeErrors, 0);
    });

    it('ping to the VIP is answered by the switch itself (it owns the VIP); the reals stay unreachable from outside', async function () {
      requireTool(this, 'ping', 'iputils-ping');
      const replies = countEchoReplies(lab!.net, VIP);
      try {
        const ping = await client.host.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', VIP], { timeoutMs: 15_000 });
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);
        assert.match(ping.stdout, /3 packets transmitted, 3 received/);
        assert.match(ping.stdout, new RegExp(`from ${VIP.replace(/\./g, '\\.')}: icmp_seq=1 ttl=${lab!.alteon.defaultTtl} `));
        // The switch answered from its outside port, and the VIP resolves to that port's MAC.
        assert.equal(replies.count(), 3);
        const neigh = await client.host.exec('ip', ['neigh', 'show', VIP]);
        assert.match(neigh.stdout, new RegExp(`lladdr ${macToString(lab!.alteon.outside.mac)}`));
      } finally {
        replies.dispose();
      }
      // The chapter's security point: a real's address is not routed from outside.
      const direct = await client.host.exec('ping', ['-c', '1', '-W', '1', '92.75.100.82'], { timeoutMs: 10_000 });
      assert.match(direct.stdout, /1 packets transmitted, 0 received/);
      assert.ok((lab!.alteon.counters.drops.get('slb-not-a-vip') ?? 0) >= 1);
    });
  });

  describe('real1 real', () => {
    it('nginx in real1’s namespace serves port 30080 behind the VIP; tcpdump and pktlab’s pcapng hold the same frames', async function () {
      requireTool(this, 'nginx');
      requireTool(this, 'tcpdump');
      requireTool(this, 'ss', 'iproute2');
      lab = chapterLab();
      const { net } = lab;
      const client1 = lab.clients[0]!;
      lab.reals[0]!.stopService('nginx'); // the kernel and the real nginx answer for real1 now
      const real1 = await makeReal(net, lab.reals[0]!, { lab: LAB });
      reals.push(real1);
      const ngx = await startNginx(real1.host, { name: 'real1', port: 30080 });
      nginxes.push(ngx);

      const dir = artifactDir('engine', 'tap', 'lab0801');
      const pcapFile = join(dir, 'tcpdump-real1-eth0.pcap');
      const ngFile = join(dir, 'pktlab-real1-eth0.pcapng');
      const dump = real1.host.spawn('tcpdump', ['-i', 'eth0', '-n', '-s', '0', '--immediate-mode', '-U', '-w', pcapFile]);
      await waitForOutput(dump, /listening on/);
      const rec = new PcapngRecorder(net, [{ node: 'real1', ifname: 'eth0' }]).start();

      const got: string[] = [];
      const pages: string[] = [];
      for (let i = 0; i < 4; i++) {
        const ex = await engineRun(net, client1, `curl -s -m 5 http://${VIP}/`);
        got.push(who(ex.stdout, ex.exitCode));
        pages.push(ex.stdout);
      }
      await sleep(300); // let the last FIN/ACKs cross
      rec.stop();
      const exited = new Promise<void>((r) => dump.once('exit', () => r()));
      dump.kill('SIGINT');
      await exited;

      assert.deepEqual(got, ['real1 92.75.100.82:30080', 'real2 92.75.100.41:30080', 'real1 92.75.100.82:30080', 'real2 92.75.100.41:30080']);
      // real1's pages came from the real nginx, which saw the emulated client's address through the switch.
      assert.match(pages[0]!, /<p>nginx\/1\.\d+\.\d+ in a pktlab namespace<\/p>/);
      assert.match(parseServerPage(pages[0]!)!.client, /^13\.246\.100\.11:\d+$/);
      assert.doesNotMatch(pages[1]!, /pktlab namespace/);
      const log = readFileSync(ngx.accessLog, 'utf8').trim().split('\n');
      assert.equal(log.length, 2, log.join('\n'));
      for (const l of log) assert.match(l, /^13\.246\.100\.11 - - \[.*\] "GET \/ HTTP\/1\.1" 200 /);

      writeFileSync(ngFile, rec.toBytes());
      const n = assertSameFrames(rec.toBytes(), pcapFile, 20);
      if (haveTool('tshark')) {
        assertCleanCapture(ngFile, n);
        assertCleanCapture(pcapFile, n);
      }
    });

    after(teardown);
  });

  describe('afterwards', () => {
    it('a SIGTERM mid-run removes both namespaces, their TAPs and the processes inside', async () => {
      const fixture = join(import.meta.dirname, 'fixtures', 'hold-0801.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const line = await waitForOutput(child, /\{.*\}\n/, 'stdout');
        const info = JSON.parse(line.trim().split('\n').pop()!) as { namespaces: string[]; pid: number };
        const before = await listNamespaces();
        for (const ns of info.namespaces) assert.ok(before.includes(ns), `${ns} exists`);
        const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
        child.kill('SIGTERM');
        assert.equal(await exited, 'SIGTERM');
        const after = await listNamespaces();
        for (const ns of info.namespaces) assert.ok(!after.includes(ns), `${ns} is gone`);
        assert.ok(await gone(info.pid), 'the process inside real1 was killed');
        assert.deepEqual(pktlabLinks(), []);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('leaves no pktlab- namespace or TAP behind', async () => {
      await teardown();
      assert.deepEqual((await listNamespaces()).filter((n) => n.startsWith('pktlab-')), []);
      assert.deepEqual(pktlabLinks(), []);
    });
  });
});
