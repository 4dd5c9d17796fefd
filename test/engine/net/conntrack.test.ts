import assert from 'node:assert/strict';
import { ipv4, ipv4ToString } from '../../../engine/wire/addr.ts';
import { parseIcmp } from '../../../engine/wire/icmp.ts';
import { IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { Tcp, TcpFlag, parseTcp } from '../../../engine/wire/tcp.ts';
import { Udp, parseUdp } from '../../../engine/wire/udp.ts';
import { sec } from '../../../engine/sim/time.ts';
import type { Node } from '../../../engine/net/node.ts';
import type { IcmpErrorDelivery, IpDelivery } from '../../../engine/net/ip-host.ts';
import type { ConntrackEntry } from '../../../engine/net/conntrack.ts';
import { echo, icmpLog, threeHopChain } from './util.ts';

const { SYN, ACK, FIN, RST } = TcpFlag;

function tcp(from: Node, dst: string, sport: number, dport: number, flags: number, seq = 0, ack = 0): void {
  const r = from.sendIp({ dst: ipv4(dst), protocol: IPPROTO_TCP, upper: [new Tcp({ srcPort: sport, dstPort: dport, flags, seq, ack, window: 65535 })] });
  assert.ok(r === 'sent' || r === 'queued', r);
}

/** Records TCP segments delivered to `node`, checking IPv4 and TCP checksums on the way. */
function tcpLog(node: Node): string[] {
  const log: string[] = [];
  node.bindProtocol(IPPROTO_TCP, {
    onPacket: (d: IpDelivery) => {
      const ip = parseIpv4(d.datagram);
      assert.ok(ip.ok, 'IPv4 header checksum valid');
      const t = parseTcp(d.payload, { pseudo: { src: d.src, dst: d.dst } });
      assert.ok(t.ok, `TCP checksum valid: ${t.ok ? '' : t.error.message}`);
      log.push(`${ipv4ToString(d.src)}:${t.value.srcPort} > ${ipv4ToString(d.dst)}:${t.value.dstPort} ${t.value.flags}`);
    },
  });
  return log;
}

describe('engine/net conntrack', () => {
  it('follows a TCP handshake and teardown through Linux states, then TIME_WAIT expires', () => {
    const { net, h1, r1, h3 } = threeHopChain();
    const ct = r1.enableConntrack();
    const created: ConntrackEntry[] = [];
    const destroyed: ConntrackEntry[] = [];
    ct.onCreated((e) => created.push(e));
    ct.onDestroyed((e) => destroyed.push(e));
    tcpLog(h1);
    tcpLog(h3);
    const states: string[] = [];
    const step = (from: Node, dst: string, sp: number, dp: number, flags: number): void => {
      tcp(from, dst, sp, dp, flags);
      net.runFor(sec(1));
      states.push(ct.entries()[0]?.state ?? 'gone');
    };
    step(h1, '10.3.0.10', 40000, 80, SYN);
    step(h3, '10.1.0.10', 80, 40000, SYN | ACK);
    step(h1, '10.3.0.10', 40000, 80, ACK);
    step(h1, '10.3.0.10', 40000, 80, FIN | ACK);
    step(h3, '10.1.0.10', 80, 40000, ACK);
    step(h3, '10.1.0.10', 80, 40000, FIN | ACK);
    step(h1, '10.3.0.10', 40000, 80, ACK);
    assert.deepEqual(states, ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT']);
    const e = ct.entries()[0]!;
    assert.deepEqual([e.packets[0], e.packets[1]], [4, 3]);
    assert.deepEqual([e.bytes[0], e.bytes[1]], [160, 120]);
    assert.ok(e.assured);
    assert.match(e.toString(net.now), /^tcp {6}6 119 TIME_WAIT src=10\.1\.0\.10 dst=10\.3\.0\.10 sport=40000 dport=80 packets=4 bytes=160 src=10\.3\.0\.10 dst=10\.1\.0\.10 sport=80 dport=40000 packets=3 bytes=120 \[ASSURED\]/);
    assert.equal(created.length, 1);
    net.runFor(sec(119));
    assert.equal(ct.size, 1);
    net.runFor(sec(1));
    assert.equal(ct.size, 0, 'TIME_WAIT lasts 120 s');
    assert.deepEqual(destroyed, created);
  });

  it('RST closes; configurable timeouts; a stray segment is not tracked', () => {
    const { net, h1, r1 } = threeHopChain();
    const ct = r1.enableConntrack({ timeouts: { tcp: { CLOSE: sec(2) }, udp: sec(5) } });
    tcp(h1, '10.3.0.10', 40001, 80, SYN);
    net.runFor(sec(1));
    tcp(h1, '10.3.0.10', 40001, 80, RST);
    net.runFor(sec(0.5));
    assert.equal(ct.entries()[0]!.state, 'CLOSE');
    net.runFor(sec(2));
    assert.equal(ct.size, 0);
    tcp(h1, '10.3.0.10', 40002, 80, FIN);
    net.runFor(sec(1));
    assert.equal(ct.size, 0, 'FIN without a flow is INVALID: no entry');
    h1.sendIp({ dst: ipv4('10.3.0.10'), protocol: IPPROTO_UDP, upper: [new Udp({ srcPort: 5000, dstPort: 53 })] });
    net.runFor(sec(1));
    const u = ct.entries()[0]!;
    assert.match(u.toString(net.now), /^udp {6}17 4 src=10\.1\.0\.10 dst=10\.3\.0\.10 sport=5000 dport=53 packets=1 bytes=28 \[UNREPLIED\]/);
    net.runFor(sec(4));
    assert.equal(ct.size, 1, 'the datagram reached r1 1 ms after it was sent');
    net.runFor(sec(0.001));
    assert.equal(ct.size, 0, 'unreplied UDP after the configured 5 s');
  });

  it('tracks ICMP echo by id and times it out after 30 s', () => {
    const { net, h1, r1 } = threeHopChain();
    const ct = r1.enableConntrack();
    echo(h1, '10.3.0.10', 1, { id: 77 });
    net.runFor(sec(1));
    const e = ct.entries()[0]!;
    assert.equal(e.seenReply, true);
    assert.match(e.toString(), /^icmp {5}1 src=10\.1\.0\.10 dst=10\.3\.0\.10 type=8 code=0 id=77 packets=1 bytes=84 src=10\.3\.0\.10 dst=10\.1\.0\.10 type=0 code=0 id=77 packets=1 bytes=84/);
    echo(h1, '10.3.0.10', 2, { id: 77 });
    net.runFor(sec(1));
    assert.equal(ct.size, 1, 'same flow');
    net.runFor(sec(29));
    assert.equal(ct.size, 1);
    net.runFor(sec(1));
    assert.equal(ct.size, 0);
  });

  it('DNAT round trip: rewrites and restores addresses and ports with valid checksums', () => {
    const { net, h1, r1, h3 } = threeHopChain();
    const ct = r1.enableConntrack();
    const VIP = '198.51.100.7';
    h1.addRoute({ dst: '198.51.100.0/24', via: '10.1.0.1' });
    r1.hooks.add('prerouting', -150, (ctx) => {
      if (ctx.ctNew && ctx.ip.dst === ipv4(VIP) && ctx.dstPort === 80) {
        ctx.ct!.setDnat(ipv4('10.3.0.10'), 8080);
        ctx.ct!.meta = { real: 2 };
        ctx.note('virt 1 service http → group 1 → real 2 by roundrobin');
      }
      return 'accept';
    }, 'slb');
    const at1 = tcpLog(h1);
    const at3 = tcpLog(h3);
    tcp(h1, VIP, 40000, 80, SYN, 1000);
    net.runFor(sec(1));
    assert.deepEqual(at3, [`10.1.0.10:40000 > 10.3.0.10:8080 ${SYN}`]);
    tcp(h3, '10.1.0.10', 8080, 40000, SYN | ACK, 5000, 1001);
    net.runFor(sec(1));
    assert.deepEqual(at1, [`${VIP}:80 > 10.1.0.10:40000 ${SYN | ACK}`]);
    tcp(h1, VIP, 40000, 80, ACK, 1001, 5001);
    net.runFor(sec(1));
    assert.equal(at3.length, 2);
    const e = ct.entries()[0]!;
    assert.deepEqual(e.meta, { real: 2 });
    assert.deepEqual(e.dnat, { addr: ipv4('10.3.0.10'), port: 8080 });
    assert.equal(e.state, 'ESTABLISHED');
    assert.equal(e.reply.toString(), 'src=10.3.0.10 dst=10.1.0.10 sport=8080 dport=40000');
    assert.throws(() => e.setDnat(1, 1), /first packet/);
  });

  it('SNAT of ICMP echo remaps the id and restores it on the reply', () => {
    const { net, h1, r1, h3 } = threeHopChain();
    r1.enableConntrack();
    r1.hooks.add('postrouting', 50, (ctx) => {
      if (ctx.ctNew && ctx.outIf?.name === 'eth1') ctx.ct!.setSnat(ipv4('10.12.0.1'), 999);
      return 'accept';
    });
    const at3 = icmpLog(h3);
    const at1 = icmpLog(h1);
    echo(h1, '10.3.0.10', 1, { id: 5 });
    net.runFor(sec(1));
    const req = parseIcmp(at3[0]!.payload);
    assert.ok(req.ok, 'ICMP checksum valid after the id rewrite');
    assert.equal(ipv4ToString(at3[0]!.src), '10.12.0.1');
    assert.equal(req.value.id, 999);
    const rep = parseIcmp(at1[0]!.payload);
    assert.ok(rep.ok);
    assert.equal(rep.value.id, 5);
    assert.equal(ipv4ToString(at1[0]!.dst), '10.1.0.10');
  });

  it('an ICMP error about a DNATed flow is RELATED and translated inside and out', () => {
    const { net, h1, r1, h3 } = threeHopChain();
    const ct = r1.enableConntrack();
    const VIP = '198.51.100.7';
    h1.addRoute({ dst: '198.51.100.0/24', via: '10.1.0.1' });
    r1.hooks.add('prerouting', -150, (ctx) => {
      if (ctx.ctNew && ctx.ip.dst === ipv4(VIP)) ctx.ct!.setDnat(ipv4('10.3.0.10'), 5353);
      return 'accept';
    });
    h3.bindProtocol(IPPROTO_UDP, { onPacket: (d) => void h3.sendIcmpError(d.datagram, 3, 3) });
    const errors: IcmpErrorDelivery[] = [];
    h1.bindProtocol(IPPROTO_UDP, { onPacket: () => {}, onIcmpError: (e) => errors.push(e) });
    const raw = icmpLog(h1);
    h1.sendIp({ dst: ipv4(VIP), protocol: IPPROTO_UDP, upper: [new Udp({ srcPort: 7000, dstPort: 53 })], payload: new Uint8Array(20) });
    net.runFor(sec(1));
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(ipv4ToString(e.from), VIP, 'outer source like a reply of the flow (nf_nat_icmp_reply_translation)');
    assert.equal(ipv4ToString(e.quotedDst), VIP);
    assert.equal((e.quotedPayload[2]! << 8) | e.quotedPayload[3]!, 53);
    const icmp = parseIcmp(raw[0]!.payload);
    assert.ok(icmp.ok, 'ICMP checksum recomputed');
    const inner = parseIpv4(icmp.value.payload);
    assert.ok(inner.ok, 'quoted IPv4 header checksum patched');
    const udp = parseUdp(inner.value.payload, { pseudo: { src: inner.value.src, dst: inner.value.dst } });
    assert.ok(udp.ok, 'quoted UDP checksum patched');
    assert.equal(ct.stats.related, 1);
  });

  it('refuses new flows beyond max', () => {
    const { net, h1, r1 } = threeHopChain();
    const ct = r1.enableConntrack({ max: 1 });
    tcp(h1, '10.3.0.10', 1, 80, SYN);
    tcp(h1, '10.3.0.10', 2, 80, SYN);
    net.runFor(sec(1));
    assert.equal(ct.size, 1);
    assert.equal(r1.counters.drops.get('conntrack-full'), 1);
  });
});
