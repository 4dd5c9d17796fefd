/** The engine host in a worker thread: lists and opens labs, runs console commands, steps back. */
import assert from 'node:assert/strict';
import { isMainThread } from 'node:worker_threads';
import { startEngineHost, type EngineHost } from '../../engine/host/index.ts';
import type { ConsoleInfo, ExecResult, LabInfo, OpenedLab, PacketCount, PacketRow, TimelineState } from '../../app/shared/bridge.ts';

const CHAPTER_CONFIG = [
  '/c/slb on',
  '/c/slb/real 1', 'ena', 'ipver v4', 'rip 92.75.100.82',
  '/c/slb/real 2', 'ena', 'ipver v4', 'rip 92.75.100.41',
  '/c/slb/group 1', 'ipver v4', 'metric roundrobin', 'add 1', 'add 2',
  '/c/slb/virt 1', 'ena', 'ipver v4', 'vip 13.246.100.25',
  '/c/slb/virt 1/service http', 'group 1', 'rport 30080',
  'apply',
];

describe('engine/host in a worker thread', function () {
  let host: EngineHost;
  const events: { name: string; payload: unknown }[] = [];

  before(function () {
    host = startEngineHost({ locale: 'ko-KR' });
    host.onEvent((name, payload) => events.push({ name, payload }));
  });
  after(async () => host.close());

  it('runs in another thread and answers app.info', async function () {
    assert.ok(isMainThread);
    assert.ok(host.threadId > 0);
    const info = (await host.call('app.info', [])) as { language: string; defaultLab: string };
    assert.equal(info.language, 'ko', 'default language from the system locale');
    assert.match(info.defaultLab, /^08-01/);
  });

  it('lists the labs with their progress', async function () {
    const labs = (await host.call('labs.list', [])) as LabInfo[];
    const ids = labs.map((l) => l.id);
    assert.ok(ids.includes('00-01-ping-arp'), ids.join(','));
    for (const l of labs) assert.deepEqual(Object.keys(l.progress).sort(), ['earned', 'passed', 'steps', 'total']);
  });

  it('opens a lab and runs ping in a console, streaming its output', async function () {
    const o = (await host.call('labs.open', ['00-01-ping-arp'])) as OpenedLab;
    assert.deepEqual(o.topology.devices.map((d) => d.id), ['alice', 'bob']);
    const c = (await host.call('consoles.open', ['alice'])) as ConsoleInfo;
    assert.equal(c.prompt, 'root@alice:~# ');
    const r = (await host.call('consoles.exec', [c.consoleId, 'ping -c 1 10.0.0.2'])) as ExecResult;
    assert.equal(r.exitCode, 0);
    assert.match(r.output, /1 packets transmitted, 1 received/);
    const streamed = events.filter((e) => e.name === 'consoleOutput').map((e) => (e.payload as { data: string }).data).join('');
    assert.match(streamed, /64 bytes from 10\.0\.0\.2/);
    const count = (await host.call('packets.count', [])) as PacketCount;
    assert.equal(count.total, 4, 'ARP request, ARP reply, echo request, echo reply');
    const rows = (await host.call('packets.rows', [0, 10])) as PacketRow[];
    assert.deepEqual(rows.map((x) => x.protocol), ['ARP', 'ARP', 'ICMP', 'ICMP']);
  });

  it('steps back by deterministic replay', async function () {
    const before = (await host.call('packets.rows', [0, 10])) as PacketRow[];
    const t0 = (await host.call('timeline.pause', [])) as TimelineState;
    const back = (await host.call('timeline.stepBack', ['packet'])) as TimelineState;
    assert.ok(back.eventCount < t0.eventCount);
    const rows = (await host.call('packets.rows', [0, 10])) as PacketRow[];
    assert.equal(rows.length, 3);
    // The same packets; the echo request no longer knows its reply ("(reply in 4)" in Info).
    const noReply = (r: PacketRow): PacketRow => ({ ...r, info: r.info.replace(/ \(reply in \d+\)$/, '') });
    assert.deepEqual(rows, before.slice(0, 3).map(noReply), 'the replay gives the same packets');
    assert.match(before[2]!.info, /^Echo \(ping\) request .* \(reply in 4\)$/);
    const fwd = (await host.call('timeline.stepForward', ['packet'])) as TimelineState;
    assert.ok(fwd.eventCount > back.eventCount);
    assert.deepEqual(await host.call('packets.rows', [0, 10]), before);
  });

  it('opens lab 08-01: the Alteon configuration and round robin between two reals', async function () {
    const o = (await host.call('labs.open', ['08-01-l4-switch'])) as OpenedLab;
    const kinds = new Map(o.topology.groups.map((g) => [g.id, g.kind]));
    assert.deepEqual([...kinds.values()].sort(), ['onprem-inside', 'onprem-outside']);
    const sw = (await host.call('consoles.open', ['alteon'])) as ConsoleInfo;
    assert.equal(sw.kind, 'alteon');
    let last: ExecResult | null = null;
    for (const line of CHAPTER_CONFIG) last = (await host.call('consoles.exec', [sw.consoleId, line])) as ExecResult;
    assert.match(last!.output, /Apply complete/);
    const client = (await host.call('consoles.open', ['client1'])) as ConsoleInfo;
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = (await host.call('consoles.exec', [client.consoleId, 'curl -s http://13.246.100.25/'])) as ExecResult;
      assert.equal(r.exitCode, 0, r.output);
      served.push(/real\d/.exec(r.output)?.[0] ?? r.output);
    }
    assert.equal(served[0], served[2]);
    assert.equal(served[1], served[3]);
    assert.notEqual(served[0], served[1]);
    const comp = (await host.call('consoles.complete', [sw.consoleId, '/c/slb/gr'])) as { candidates: string[] };
    assert.deepEqual(comp.candidates, ['group']);
  });

  it("greets in the UI language; the tools' own output stays English", async function () {
    await host.call('labs.open', ['08-01-l4-switch']);
    await host.call('app.setLanguage', ['ko']);
    const ko = (await host.call('consoles.open', ['client1'])) as ConsoleInfo;
    assert.match(ko.greeting, /^pktlab host client1 \(에뮬레이션된 리눅스 셸\)\. 명령 목록을 보려면 "help"를 입력하세요\.\r\n\r\nroot@client1:~# $/);
    const sw = (await host.call('consoles.open', ['alteon'])) as ConsoleInfo;
    assert.match(sw.greeting, /^Alteon Application Switch \(pktlab\) — alteon\r\n메뉴의 명령 목록을 보려면 "help"/);
    const r = (await host.call('consoles.exec', [ko.consoleId, 'ping -c 1 192.0.2.1'])) as ExecResult;
    assert.match(r.output, /packets transmitted/);
    await host.call('app.setLanguage', ['en']);
    const en = (await host.call('consoles.open', ['client1'])) as ConsoleInfo;
    assert.match(en.greeting, /^pktlab host client1 \(emulated Linux shell\)\. Type "help" for the commands\.\r\n/);
    const swEn = (await host.call('consoles.open', ['alteon'])) as ConsoleInfo;
    assert.match(swEn.greeting, /\r\nType "help" for the commands of a menu\.\r\n/);
    // A console opened in Korean is redrawn in English by the UI (consoles.greeting).
    assert.equal(await host.call('consoles.greeting', [ko.consoleId]), en.greeting);
    await host.call('app.setLanguage', ['ko']);
  });
});
