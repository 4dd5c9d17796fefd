import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngWriter } from '../../../../engine/capture/pcapng-writer.ts';
import { DEFAULT_EPOCH_NS, ms, sec } from '../../../../engine/sim/time.ts';
import { parseServerPage } from '../../../../engine/stack/apps/http-server.ts';
import type { Host } from '../../../../engine/devices/host.ts';
import { artifactDir, requireTool } from '../../../support/tools.ts';
import { assertCleanCapture, tsharkFields } from '../../../support/tshark.ts';
import { buildLab, CHAPTER_CONFIG, curl, type Lab } from './fixture.ts';

function chapterLab(opts: { clients?: number; seed?: number } = {}): Lab {
  const lab = buildLab(opts);
  lab.alteon.configure(`${CHAPTER_CONFIG}\napply`);
  lab.net.runFor(ms(100));
  return lab;
}

/** Starts a request that stays open `holdMs` (the server's /delay route); returns a reader of who served it. */
function hold(lab: Lab, client: Host, url: string): () => string {
  const ex = client.exec(`curl -s -m 120 ${url}`);
  lab.net.runFor(ms(20));
  return () => {
    const p = parseServerPage(ex.stdout);
    return p === null ? `pending(${ex.done})` : p.server;
  };
}

describe('l4switch: data plane', () => {
  it("the chapter's config: each VIP alternates between its reals (round robin), real 2 serves two ports", () => {
    const lab = chapterLab();
    const c = lab.clients[0]!;
    const v1 = Array.from({ length: 6 }, () => curl(lab, c, 'http://13.246.100.25/'));
    const v2 = Array.from({ length: 6 }, () => curl(lab, c, 'http://13.246.100.174:6800/'));
    assert.deepEqual(v1, ['real1 92.75.100.82:30080', 'real2 92.75.100.41:30080', 'real1 92.75.100.82:30080', 'real2 92.75.100.41:30080', 'real1 92.75.100.82:30080', 'real2 92.75.100.41:30080']);
    assert.deepEqual(v2, ['real2 92.75.100.41:18600', 'real3 92.75.100.141:18600', 'real2 92.75.100.41:18600', 'real3 92.75.100.141:18600', 'real2 92.75.100.41:18600', 'real3 92.75.100.141:18600']);
    // The reals saw the client's own address (DNAT only, no source NAT).
    const page = parseServerPage(c.run('curl -s http://13.246.100.25/').stdout)!;
    assert.match(page.client, /^13\.246\.100\.11:\d+$/);
    lab.net.runFor(ms(10));
    const stats = lab.alteon.configure('/stats/slb/virt 1');
    assert.match(stats, /1 {5}92\.75\.100\.82 {12}0 {9}4 {9}1/);
    assert.match(stats, /2 {5}92\.75\.100\.41 {12}0 {9}3 {9}1/);
    assert.match(stats, / {6}13\.246\.100\.25 {11}0 {9}7/);
  });

  it('the reals cannot be reached directly from outside; a VIP port with no service is dropped and counted', () => {
    const lab = chapterLab();
    const c = lab.clients[0]!;
    assert.match(curl(lab, c, 'http://92.75.100.82:30080/'), /^error\(28\)/);
    assert.match(curl(lab, c, 'http://13.246.100.25:30080/'), /^error\(28\)/);
    assert.ok(lab.alteon.counters.drops.get('slb-not-a-vip')! >= 1);
    assert.ok(lab.alteon.maintC.incorrectVports >= 1);
    assert.match(lab.alteon.configure('/stats/slb/maint'), /Incorrect Vports: +[1-9]/);
    // The VIP answers ping (the switch owns it on its outside interface).
    assert.match(c.run('ping -c 1 13.246.100.25').stdout, /1 received/);
    // Nothing at the switch forwards a real's address from outside.
    assert.match(c.run('ping -c 1 -W 1 92.75.100.82').stdout, /0 received/);
  });

  it('a mid-flow TCP segment with no session is dropped and counted', () => {
    const lab = chapterLab();
    const c = lab.clients[0]!;
    // An ACK to the VIP out of nowhere (conntrack picks it up loosely; the switch has no session).
    const { Tcp, TcpFlag } = require_tcp();
    c.sendIp({ dst: 0x0df66419, protocol: 6, upper: [new Tcp({ srcPort: 40000, dstPort: 80, flags: TcpFlag.ACK, seq: 1, ack: 1, window: 1000 })] });
    c.sendIp({ dst: 0x0df66419, protocol: 6, upper: [new Tcp({ srcPort: 40001, dstPort: 80, flags: TcpFlag.RST, seq: 1, ack: 0, window: 0 })] });
    lab.net.runFor(ms(50));
    assert.equal(lab.alteon.maintC.discardFrames, 1);
    assert.equal(lab.alteon.maintC.invalidResetPacketDrops, 1);
    assert.equal(lab.alteon.conntrack!.size > 0, true);
    assert.equal(lab.alteon.sessions().length, 0);
  });

  it('roundrobin, hash and leastconns give their exact distributions for a fixed client set and seed', () => {
    const urls = (lab: Lab, n: number): string[] => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) for (const c of lab.clients) out.push(`${c.name}→${curl(lab, c, 'http://13.246.100.25/').split(' ')[0]}`);
      return out;
    };
    // roundrobin: in turn, whatever the client.
    const rr = chapterLab({ clients: 4 });
    assert.deepEqual(urls(rr, 2), [
      'client1→real1', 'client2→real2', 'client3→real1', 'client4→real2',
      'client1→real1', 'client2→real2', 'client3→real1', 'client4→real2',
    ]);
    // hash: each client IP always lands on the same real.
    const h = chapterLab({ clients: 4 });
    h.alteon.configure('/c/slb/group 1/metric hash\napply');
    const hashed = urls(h, 3);
    assert.deepEqual(hashed.slice(0, 4), ['client1→real2', 'client2→real2', 'client3→real1', 'client4→real1']);
    assert.deepEqual(hashed.slice(4, 8), hashed.slice(0, 4));
    assert.deepEqual(hashed.slice(8, 12), hashed.slice(0, 4));
    // leastconns with connections held open: each new connection goes to the real with fewest.
    const lc = chapterLab({ clients: 4 });
    lc.alteon.configure('/c/slb/group 1/metric leastconns\napply');
    const [c1, c2, c3, c4] = lc.clients as [Host, Host, Host, Host];
    const a = hold(lc, c1, 'http://13.246.100.25/delay?ms=60000');
    const b = hold(lc, c2, 'http://13.246.100.25/delay?ms=60000');
    const c = hold(lc, c3, 'http://13.246.100.25/delay?ms=60000');
    assert.deepEqual([a(), b(), c()].map((s) => s.startsWith('pending')), [true, true, true]);
    const cur = (id: number): number => lc.alteon.realStats(id).current;
    assert.deepEqual([cur(1), cur(2)], [2, 1]);
    // Short requests while 2 and 1 are held: all go to real 2 until it has as many.
    assert.equal(curl(lc, c4, 'http://13.246.100.25/').split(' ')[0], 'real2');
    const d = hold(lc, c4, 'http://13.246.100.25/delay?ms=60000');
    assert.deepEqual([cur(1), cur(2)], [2, 2]);
    assert.equal(curl(lc, c4, 'http://13.246.100.25/').split(' ')[0], 'real1');
    lc.net.runFor(sec(61));
    assert.deepEqual([a(), b(), c(), d()], ['real1', 'real2', 'real1', 'real2']);
    assert.deepEqual([cur(1), cur(2)], [0, 0]);
  });

  it('weights: roundrobin and leastconns honour real weight', () => {
    const lab = chapterLab({ clients: 1 });
    lab.alteon.configure('/c/slb/real 1/weight 3\napply');
    const seq = Array.from({ length: 8 }, () => curl(lab, lab.clients[0]!, 'http://13.246.100.25/').split(' ')[0]);
    assert.deepEqual(seq, ['real1', 'real1', 'real2', 'real1', 'real1', 'real1', 'real2', 'real1']);
  });

  it('sessions age out after the service tmout and close on FIN/RST', () => {
    const lab = chapterLab({ clients: 1 });
    lab.alteon.configure('/c/slb/virt 1/service http/tmout 1\napply');
    const c = lab.clients[0]!;
    // A connection that stays idle: the server holds its answer 5 minutes, the switch ages it at 1.
    const r = hold(lab, c, 'http://13.246.100.25/delay?ms=300000');
    assert.equal(lab.alteon.sessions().length, 1);
    lab.net.runFor(sec(59));
    assert.equal(lab.alteon.sessions().length, 1);
    lab.net.runFor(sec(2));
    assert.equal(lab.alteon.sessions().length, 0, 'aged out after 1 minute idle');
    assert.equal(lab.alteon.realStats(1).current, 0);
    void r;
    // A completed request closes its session at once (FIN both ways).
    curl(lab, c, 'http://13.246.100.25/');
    lab.net.runFor(ms(10));
    assert.equal(lab.alteon.sessions().length, 0);
    assert.equal(lab.alteon.maintC.currentSessions, 0);
  });

  it('pcapng at the outside and inside capture points shows the DNAT and the decision comments (tshark)', function () {
    requireTool(this, 'tshark');
    const lab = buildLab();
    const w = new PcapngWriter({ epochNs: DEFAULT_EPOCH_NS });
    const ids = new Map<string, number>();
    lab.net.trace.subscribe((e) => {
      if (e.node !== 'alteon') return;
      const name = `${e.node}:${e.ifname}`;
      let id = ids.get(name);
      if (id === undefined) {
        id = w.addInterface({ name, description: name === 'alteon:outside' ? 'Alteon port 1 (outside)' : 'Alteon port 2 (inside)' });
        ids.set(name, id);
      }
      w.writePacket(id, e.time, e.frame, { direction: e.direction === 'in' ? 'inbound' : 'outbound', comment: e.note });
    });
    lab.alteon.configure(`${CHAPTER_CONFIG}\napply`);
    lab.net.runFor(ms(100));
    for (let i = 0; i < 2; i++) curl(lab, lab.clients[0]!, 'http://13.246.100.25/');
    curl(lab, lab.clients[0]!, 'http://13.246.100.174:6800/');
    const file = join(artifactDir('l4switch'), 'dnat.pcapng');
    writeFileSync(file, w.toBytes());
    assertCleanCapture(file, 20);
    const f = (filter: string): string[][] => tsharkFields(file, ['frame.interface_name', 'ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport'], filter);
    // The same connection's SYN on both legs: client → VIP:80 outside, client → RIP:30080 inside.
    const synOut = f('tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.interface_name == "alteon:outside" && ip.src == 13.246.100.11');
    const synIn = f('tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.interface_name == "alteon:inside" && ip.src == 13.246.100.11');
    assert.deepEqual(synOut.map((r) => `${r[2]}:${r[4]}`), ['13.246.100.25:80', '13.246.100.25:80', '13.246.100.174:6800']);
    assert.deepEqual(synIn.map((r) => `${r[2]}:${r[4]}`), ['92.75.100.82:30080', '92.75.100.41:30080', '92.75.100.41:18600']);
    assert.deepEqual(synOut.map((r) => r[3]), synIn.map((r) => r[3]), 'client ports unchanged');
    // Replies leave the outside as VIP:vport.
    const replies = f('tcp.flags.syn == 1 && tcp.flags.ack == 1 && frame.interface_name == "alteon:outside"');
    assert.deepEqual(replies.map((r) => `${r[1]}:${r[3]}`), ['13.246.100.25:80', '13.246.100.25:80', '13.246.100.174:6800']);
    const comments = tsharkFields(file, ['frame.comment'], 'frame.comment contains "virt"').map((r) => r[0]);
    assert.deepEqual(comments, [
      'virt 1 service http → group 1 → real 1 (92.75.100.82:30080) by roundrobin',
      'virt 1 service http → group 1 → real 2 (92.75.100.41:30080) by roundrobin',
      'virt 2 service 6800 → group 2 → real 2 (92.75.100.41:18600) by roundrobin',
    ]);
    // Health checks are real packets from the switch's inside address.
    assert.ok(tsharkFields(file, ['ip.src'], 'frame.interface_name == "alteon:inside" && ip.src == 92.75.100.1 && tcp.flags.syn == 1').length >= 3);
  });

  it('health: stopping real 1\'s HTTP service takes it out after the retries; it returns after restore', () => {
    const lab = chapterLab({ clients: 1 });
    lab.alteon.configure('/c/slb/group 1/health http\n/c/slb/group 1/content index.html\n/c/slb/real 1/restr 2\napply');
    const c = lab.clients[0]!;
    lab.net.runFor(sec(3));
    assert.match(lab.alteon.configure('/info/slb/real 1'), /^>> .*\n1: 92\.75\.100\.82, 02(:[0-9a-f]{2}){5}, vlan 1, port 2, health 4, up\n/);
    lab.reals[0]!.run('systemctl stop nginx');
    const t0 = lab.net.now;
    // inter 2 s, retry 4: down after the 4th failed check.
    assert.ok(lab.net.runUntilCondition(() => !lab.alteon.realAvailable(1, 30080), sec(20)));
    const downAfter = (lab.net.now - t0) / 1e9;
    assert.ok(downAfter > 5 && downAfter <= 8.01, `down after ${downAfter} s`);
    assert.match(lab.alteon.configure('/info/slb/real 1'), /health 4, DOWN\n {4}real ports: 30080 DOWN/);
    assert.match(lab.alteon.configure('/info/slb/virt 1'), /1: 92\.75\.100\.82, group ena, health {2}\(runtime HTTP\), 0 ms, DOWN/);
    // Every new connection goes to real 2 meanwhile.
    assert.deepEqual(Array.from({ length: 3 }, () => curl(lab, c, 'http://13.246.100.25/').split(' ')[0]), ['real2', 'real2', 'real2']);
    assert.match(lab.alteon.configure('/stats/slb/real 1'), /Health check failures: +[4-9]/);
    lab.reals[0]!.run('systemctl start nginx');
    const t1 = lab.net.now;
    assert.ok(lab.net.runUntilCondition(() => lab.alteon.realAvailable(1, 30080), sec(20)));
    const upAfter = (lab.net.now - t1) / 1e9;
    assert.ok(upAfter > 1 && upAfter <= 4.01, `up after ${upAfter} s (restr 2)`);
    assert.match(lab.alteon.configure('/info/slb/real 1'), /health 4, up\n/);
    const back = Array.from({ length: 2 }, () => curl(lab, c, 'http://13.246.100.25/').split(' ')[0]).sort();
    assert.deepEqual(back, ['real1', 'real2']);
  });

  it('health icmp and tcp; /oper/slb/dis takes a real out by hand', () => {
    const lab = chapterLab({ clients: 1 });
    const c = lab.clients[0]!;
    lab.alteon.configure('/c/slb/group 2/health icmp\napply');
    lab.net.runFor(sec(3));
    assert.ok(lab.alteon.realAvailable(3, 18600));
    lab.reals[2]!.iface('eth0').up = false;
    assert.ok(lab.net.runUntilCondition(() => !lab.alteon.realAvailable(3, 18600), sec(20)));
    assert.deepEqual(Array.from({ length: 2 }, () => curl(lab, c, 'http://13.246.100.174:6800/').split(' ')[0]), ['real2', 'real2']);
    lab.reals[2]!.iface('eth0').up = true;
    assert.ok(lab.net.runUntilCondition(() => lab.alteon.realAvailable(3, 18600), sec(20)));
    // tcp (the default) on group 1; then take real 2 out by hand.
    assert.match(lab.alteon.configure('/oper/slb/dis 2'), /Real server 2 operationally disabled/);
    assert.match(lab.alteon.configure('/info/slb/real 2'), /, disabled\n/);
    assert.deepEqual(Array.from({ length: 3 }, () => curl(lab, c, 'http://13.246.100.25/').split(' ')[0]), ['real1', 'real1', 'real1']);
    lab.alteon.configure('/oper/slb/ena 2');
    assert.deepEqual(Array.from({ length: 2 }, () => curl(lab, c, 'http://13.246.100.25/').split(' ')[0]).sort(), ['real1', 'real2']);
    // A group with every real out: "No available real server".
    lab.alteon.configure('/oper/slb/dis 1\n/oper/slb/dis 2');
    assert.match(curl(lab, c, 'http://13.246.100.25/'), /^error/);
    assert.equal(lab.alteon.maintC.noAvailableRealServer >= 1, true);
  });

  it('the same seed gives the same trace', () => {
    const run = (): string => {
      const lab = chapterLab({ clients: 2, seed: 9 });
      const log: string[] = [];
      lab.net.trace.subscribe((e) => log.push(`${e.time} ${e.node}:${e.ifname} ${e.direction} ${Buffer.from(e.frame).toString('hex')} ${e.note ?? ''}`));
      for (const c of lab.clients) curl(lab, c, 'http://13.246.100.25/');
      return log.join('\n');
    };
    assert.equal(run(), run());
  });
});

import * as tcpMod from '../../../../engine/wire/tcp.ts';
function require_tcp(): typeof tcpMod {
  return tcpMod;
}
