/**
 * Real hosts over TAP: a `pktlab-` namespace whose NIC is a TAP joins an emulated segment. Needs root,
 * /dev/net/tun and `ip netns` (skipped with a message elsewhere, failing under CI=true).
 *
 * Safety: every namespace here is created by the code under test with only lo and its TAP; nothing is
 * configured in the root namespace. The after hooks dispose everything even when a test fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngRecorder } from '../../../engine/lab/recorder.ts';
import { Network } from '../../../engine/net/network.ts';
import type { Node } from '../../../engine/net/node.ts';
import { Stack } from '../../../engine/stack/index.ts';
import { HttpClient, HttpServer, type HttpResult } from '../../../engine/stack/apps/index.ts';
import { listNamespaces, registry, removeStale, validateNsName } from '../../../engine/tap/netns.ts';
import { makeReal, namespaceName, RealHost, tapName, type RealNode } from '../../../engine/tap/real-host.ts';
import { realTimePacerOf, tapLinkCount } from '../../../engine/tap/tap-link.ts';
import { openTap, TapError } from '../../../engine/tap/tun.ts';
import { artifactDir, requireTool } from '../../support/tools.ts';
import { assertCleanCapture } from '../../support/tshark.ts';
import { assertSameFrames, inEngine, pktlabLinks, requireNetns, sleep, waitForOutput } from './helpers.ts';

function engineCurl(net: Network, stack: Stack, url: string): Promise<HttpResult> {
  return new Promise((resolve) => inEngine(net, () => void new HttpClient(stack).request({ url, connectTimeoutMs: 3000, maxTimeMs: 5000 }, resolve)));
}

interface Lab {
  net: Network;
  web: Node;
  webStack: Stack;
  client: Node;
  real: RealNode;
}

/** web (emulated, 10.9.0.2, HTTP on 80) and client (made real, 10.9.0.10) on segment 'lan'. */
async function buildLab(name: string, gateway = true): Promise<Lab> {
  const net = new Network({ seed: 7 });
  const lan = net.addSegment('lan');
  const web = net.addNode('web');
  lan.attach(web.addInterface('eth0', { addresses: ['10.9.0.2/24'] }));
  const webStack = new Stack(web);
  new HttpServer(webStack, { name: 'web' }).start();
  const client = net.addNode('client');
  lan.attach(client.addInterface('eth0', { addresses: ['10.9.0.10/24'] }));
  if (gateway) client.addRoute({ dst: 'default', via: '10.9.0.1' });
  const real = await makeReal(net, client, { lab: name });
  return { net, web, webStack, client, real };
}

async function teardown(lab: Lab | null): Promise<void> {
  if (!lab) return;
  await lab.real.dispose();
  lab.net.dispose();
}

describe('engine/tap: real hosts over TAP', function () {
  this.timeout(60_000);
  let lab: Lab | null = null;

  before(function () {
    requireNetns(this);
  });

  afterEach(async () => {
    await teardown(lab);
    lab = null;
  });

  after(() => {
    registry.cleanupSync(); // belt and braces: nothing of this process survives a failed test
  });

  it('configures the namespace: the TAP is its only way out, with the node’s MAC, MTU, address and routes', async () => {
    lab = await buildLab('tapcfg');
    const { real, net, client } = lab;
    assert.equal(real.host.namespace, 'pktlab-tapcfg-client');
    assert.ok(real.host.tap.name.length <= 15 && real.host.tap.name.startsWith('pktlab'));
    const routes = (await real.host.exec('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
    for (const line of routes.split('\n').filter((l) => l.trim().length > 0)) {
      assert.match(line, /dev (eth0|lo)\b/, `every route goes through the TAP or lo: ${line}`);
    }
    assert.match(routes, /^default via 10\.9\.0\.1 dev eth0/m);
    const links = (await real.host.exec('ip', ['-o', 'link', 'show'])).stdout.trim().split('\n');
    assert.equal(links.length, 2, `only lo and eth0: ${links.join(' | ')}`);
    const eth0 = (await real.host.exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    assert.match(eth0, /inet 10\.9\.0\.10\/24/);
    const link = (await real.host.exec('ip', ['-o', 'link', 'show', 'dev', 'eth0'])).stdout;
    assert.match(link, /mtu 1500/);
    assert.ok(link.includes(client.iface('eth0').toString().split('\n')[1]!.trim().split(' ')[1]!), 'the TAP carries the node’s MAC');
    // The engine node gave its address to the kernel, and the network now follows the wall clock.
    assert.equal(client.iface('eth0').addresses.length, 0);
    assert.equal(tapLinkCount(net), 1);
    assert.ok(realTimePacerOf(net)?.running);
    assert.equal(realTimePacerOf(net)?.speed, 1);
    // Nothing of ours is in the root namespace: the TAP moved into the namespace at once.
    assert.deepEqual(pktlabLinks(), []);
  });

  it('ping and curl from the namespace reach the emulated host', async function () {
    requireTool(this, 'ping', 'iputils-ping');
    requireTool(this, 'curl');
    lab = await buildLab('tapfwd');
    const ping = await lab.real.host.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.9.0.2'], { timeoutMs: 15_000 });
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, /3 packets transmitted, 3 received/);
    const curl = await lab.real.host.exec('curl', ['-s', '-S', '--max-time', '5', 'http://10.9.0.2:80/'], { timeoutMs: 15_000 });
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /web/);
    const c = lab.real.link.counters;
    assert.ok(c.fromKernel > 0 && c.toKernel > 0, JSON.stringify(c));
    assert.equal(c.runts + c.oversize + c.writeErrors, 0);
    // The emulated server counted real requests.
    assert.ok(lab.web.counters.inDelivers > 0);
  });

  it('an emulated client curls a python3 http.server inside the namespace', async function () {
    requireTool(this, 'python3');
    // No default route: http.server's reverse lookup (getfqdn) would otherwise wait for a DNS server
    // behind the TAP that this lab does not have.
    lab = await buildLab('taprev', false);
    const dir = artifactDir('engine', 'tap', 'www');
    writeFileSync(join(dir, 'hello.txt'), 'hello from a real host\n');
    const server = lab.real.host.spawn('python3', ['-u', '-m', 'http.server', '8000', '--bind', '10.9.0.10', '--directory', dir]);
    let serverLog = '';
    server.stdout!.on('data', (b: Buffer) => (serverLog += b.toString()));
    server.stderr!.on('data', (b: Buffer) => (serverLog += b.toString()));
    // Wait until the server listens (python's start-up time), then one request from the engine.
    for (let i = 0; ; i++) {
      const ss = await lab.real.host.exec('ss', ['-Hltn', 'sport = :8000']);
      if (ss.stdout.includes('10.9.0.10:8000')) break;
      assert.ok(i < 200 && server.exitCode === null, `python3 -m http.server did not start: ${serverLog}`);
      await sleep(50);
    }
    const r = await engineCurl(lab.net, lab.webStack, 'http://10.9.0.10:8000/hello.txt');
    assert.ok(r);
    assert.equal(r.exitCode, 0, `${r.error}; python3 said: ${serverLog}`);
    assert.equal(r.response?.status, 200);
    assert.equal(new TextDecoder().decode(r.response?.body), 'hello from a real host\n');
    assert.match(r.response?.headers.get('server') ?? '', /SimpleHTTP/);
    server.kill();
  });

  it('a TAP as an interface’s medium: a real host cabled straight to an engine node', async function () {
    requireTool(this, 'ping', 'iputils-ping');
    const net = new Network({ seed: 9 });
    const gw = net.addNode('gw');
    const port = gw.addInterface('eth1', { addresses: ['10.8.0.1/24'] });
    const host = await RealHost.create({ lab: 'tapmed', host: 'pc', addresses: ['10.8.0.20/24'], gateway: '10.8.0.1' });
    try {
      const link = host.attach(port, { mode: 'medium' });
      assert.equal(port.attachedTo?.medium, `tap:${host.tap.name}`);
      const ping = await host.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.8.0.1'], { timeoutMs: 15_000 });
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
      assert.ok(link.counters.fromKernel >= 3 && link.counters.toKernel >= 3, JSON.stringify(link.counters));
      assert.ok(gw.counters.icmpInMsgs >= 2);
      link.dispose();
      assert.equal(port.attachedTo, null);
    } finally {
      await host.dispose();
      net.dispose();
    }
  });

  it('tcpdump on the TAP and pktlab’s pcapng at the interface hold the same frames; tshark finds them clean', async function () {
    requireTool(this, 'tcpdump');
    requireTool(this, 'tshark');
    requireTool(this, 'curl');
    requireTool(this, 'ping', 'iputils-ping');
    lab = await buildLab('tapcap');
    const dir = artifactDir('engine', 'tap');
    const pcapFile = join(dir, 'tcpdump-eth0.pcap');
    const ngFile = join(dir, 'pktlab-client-eth0.pcapng');
    const dump = lab.real.host.spawn('tcpdump', ['-i', 'eth0', '-n', '-s', '0', '--immediate-mode', '-U', '-w', pcapFile]);
    await waitForOutput(dump, /listening on/);
    const rec = new PcapngRecorder(lab.net, [{ node: 'client', ifname: 'eth0' }]).start();
    const ping = await lab.real.host.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.9.0.2'], { timeoutMs: 15_000 });
    assert.equal(ping.code, 0, ping.stdout);
    const curl = await lab.real.host.exec('curl', ['-s', '--max-time', '5', 'http://10.9.0.2/'], { timeoutMs: 15_000 });
    assert.equal(curl.code, 0, curl.stderr);
    await sleep(300); // let the last FIN/ACKs cross
    rec.stop();
    const exited = new Promise<void>((r) => dump.once('exit', () => r()));
    dump.kill('SIGINT');
    await exited;
    writeFileSync(ngFile, rec.toBytes());

    const n = assertSameFrames(rec.toBytes(), pcapFile, 10); // the ping and curl exchange
    assertCleanCapture(ngFile, n);
    assertCleanCapture(pcapFile, n);
  });

  it('opening a TAP without privileges gives a clear error', async function () {
    requireTool(this, 'setpriv', 'util-linux');
    const fixture = join(import.meta.dirname, 'fixtures', 'open-tap.ts');
    const asNobody = childJson(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', fixture]);
    assert.equal(asNobody.ok, false);
    assert.equal(asNobody.tapError, true);
    // /dev/net/tun is usually 0666 or 0600; either open or TUNSETIFF is refused.
    assert.match(asNobody.message, /^pktlab: TAP needs root or CAP_NET_ADMIN \((open \/dev\/net\/tun: (EACCES|EPERM)|ioctl TUNSETIFF: EPERM)\)$/);
    // root without CAP_NET_ADMIN: the device opens, TUNSETIFF is refused.
    const noCap = childJson(['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin', process.execPath, '--import', 'tsx', fixture]);
    assert.equal(noCap.ok, false);
    assert.equal(noCap.message, 'pktlab: TAP needs root or CAP_NET_ADMIN (ioctl TUNSETIFF: EPERM)');
  });

  it('a TAP opened and closed leaves no device behind', async () => {
    const t = await openTap({ name: 'pktlabclose0' });
    assert.equal(t.name, 'pktlabclose0');
    assert.equal(pktlabLinks().length, 1);
    // Written while down: the kernel refuses (EIO), counted, not thrown.
    assert.equal(t.write(new Uint8Array(60)), false);
    assert.equal(t.counters.txErrors, 1);
    t.close();
    t.close();
    assert.deepEqual(pktlabLinks(), []);
  });

  it('a SIGTERM mid-run removes the namespace and TAP the child created', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'hold-real-host.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, 'sigterm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await waitForOutput(child, /\{.*\}\n/, 'stdout');
      const info = JSON.parse(line.trim().split('\n').pop()!) as { ns: string; tap: string };
      assert.ok((await listNamespaces()).includes(info.ns));
      // Another live pktlab process's namespace is not stale.
      await removeStale();
      assert.ok((await listNamespaces()).includes(info.ns), 'a live owner keeps its namespace');
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
      child.kill('SIGTERM');
      assert.equal(await exited, 'SIGTERM');
      assert.ok(!(await listNamespaces()).includes(info.ns), `${info.ns} is gone`);
      assert.deepEqual(pktlabLinks(), []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('removes stale pktlab- namespaces and TAPs that no live process owns', async () => {
    // Leftovers of a crashed run: a namespace with no live owner, a persistent TAP nobody holds (down, no address).
    spawnSync('ip', ['netns', 'add', 'pktlab-stale-test'], { stdio: 'ignore' });
    spawnSync('ip', ['tuntap', 'add', 'dev', 'pktlabstale0', 'mode', 'tap'], { stdio: 'ignore' });
    try {
      assert.ok((await listNamespaces()).includes('pktlab-stale-test'));
      assert.equal(pktlabLinks().length, 1);
      const live = await openTap({ name: 'pktlablive0' }); // held by us: not stale
      try {
        const r = await removeStale();
        assert.ok(r.namespaces.includes('pktlab-stale-test'));
        assert.deepEqual(r.taps, ['pktlabstale0']);
        assert.ok(!(await listNamespaces()).includes('pktlab-stale-test'));
        assert.equal(pktlabLinks().length, 1, 'only the live TAP is left');
      } finally {
        live.close();
      }
    } finally {
      spawnSync('ip', ['netns', 'del', 'pktlab-stale-test'], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', 'pktlabstale0'], { stdio: 'ignore' });
    }
  });

  it('leaves no pktlab- namespace or TAP behind', async () => {
    await teardown(lab);
    lab = null;
    assert.deepEqual((await listNamespaces()).filter((n) => n.startsWith('pktlab-')), []);
    assert.deepEqual(pktlabLinks(), []);
  });
});

function childJson(argv: string[]): { ok: boolean; tapError?: boolean; code?: string; message: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: process.cwd() });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`child printed no JSON (exit ${r.status}): ${r.stdout} ${r.stderr}`);
  }
}


describe('engine/tap: names and guards (no privileges needed)', () => {
  it('namespace names are pktlab-<lab>-<host>; TAP names fit IFNAMSIZ', () => {
    assert.equal(namespaceName('08-01', 'client'), 'pktlab-08-01-client');
    assert.equal(namespaceName('my lab/x', 'web 1'), 'pktlab-my-lab-x-web-1');
    const t = tapName(namespaceName('a-very-long-lab-name-indeed', 'and-a-long-host-name'));
    assert.match(t, /^pktlab[0-9a-f]{9}$/);
    assert.ok(t.length <= 15);
  });

  it('refuses namespaces without the pktlab- prefix and bad TAP names, before touching the system', async () => {
    assert.throws(() => validateNsName('default'), /must start with 'pktlab-'/);
    assert.throws(() => validateNsName('pktlab-a;rm -rf'), /must start with 'pktlab-'/);
    await assert.rejects(openTap({ name: 'pktlab-name-too-long' }), (e: Error) => e instanceof TapError && /1\.\.15 characters/.test(e.message));
  });
});
