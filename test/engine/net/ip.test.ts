import assert from 'node:assert/strict';
import { ipv4, ipv4ToString } from '../../../engine/wire/addr.ts';
import { parseArp } from '../../../engine/wire/arp.ts';
import { parseEthernet, ETHERTYPE_ARP } from '../../../engine/wire/ethernet.ts';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_UNREACH_HOST, ICMP_UNREACH_NEEDFRAG, ICMP_UNREACH_PORT, ICMP_UNREACH_NET, Icmp, parseIcmp } from '../../../engine/wire/icmp.ts';
import { IPPROTO_UDP, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { Udp } from '../../../engine/wire/udp.ts';
import { ms, sec } from '../../../engine/sim/time.ts';
import { RouteTable } from '../../../engine/net/route-table.ts';
import type { IcmpErrorDelivery, IpDelivery } from '../../../engine/net/ip-host.ts';
import { echo, icmpLog, recordTrace, threeHopChain, twoHosts } from './util.ts';

describe('engine/net IP', () => {
  describe('ARP and ping on one segment', () => {
    it('resolves with ARP first, then echo request/reply', () => {
      const { net, h1, h2 } = twoHosts();
      const kinds: string[] = [];
      net.trace.subscribe((e) => {
        if (e.node !== 'h1' || e.direction !== 'out') return;
        const eth = parseEthernet(e.frame);
        assert.ok(eth.ok);
        if (eth.value.etherType === ETHERTYPE_ARP) {
          const a = parseArp(eth.value.payload);
          assert.ok(a.ok);
          kinds.push(a.value.toString());
        } else {
          const ip = parseIpv4(eth.value.payload);
          assert.ok(ip.ok);
          kinds.push(parseIcmp(ip.value.payload).ok ? 'icmp' : '?');
        }
      });
      const log = icmpLog(h1);
      assert.equal(echo(h1, '10.0.0.2', 1), 'queued');
      net.runFor(ms(1));
      assert.deepEqual(kinds, ['Request who-has 10.0.0.2 tell 10.0.0.1, length 28', 'icmp']);
      assert.equal(log.length, 1);
      assert.equal(log[0]!.type, 0);
      assert.equal(ipv4ToString(log[0]!.src), '10.0.0.2');
      const reply = parseIcmp(log[0]!.payload);
      assert.ok(reply.ok);
      assert.equal(reply.value.id, 0x1234);
      assert.equal(reply.value.seq, 1);
      assert.equal(echo(h1, '10.0.0.2', 2), 'sent', 'second ping needs no ARP');
    });

    it('neighbour entry is REACHABLE, then STALE after reachable time', () => {
      const { net, h1 } = twoHosts();
      echo(h1, '10.0.0.2', 1);
      net.runFor(ms(1));
      assert.deepEqual(h1.neighbours().map(String), [`10.0.0.2 dev eth0 lladdr ${macOf(net, 'h2')} REACHABLE`]);
      net.runFor(sec(29));
      assert.equal(h1.neighbours()[0]!.state, 'REACHABLE');
      net.runFor(sec(1));
      assert.equal(h1.neighbours()[0]!.state, 'STALE');
      // Using a STALE entry sends at once and enters DELAY; no reply confirms it (ICMP gives no
      // upper-layer confirmation), so after 5 s Linux probes by unicast and the reply confirms.
      assert.equal(echo(h1, '10.0.0.2', 2), 'sent');
      assert.equal(h1.neighbours()[0]!.state, 'DELAY');
      net.runFor(sec(5) + ms(1));
      assert.equal(h1.neighbours()[0]!.state, 'REACHABLE');
      assert.equal(h1.iface('eth0').arp!.counters.requestsSent, 2);
    });

    it('answers ARP for a /32 secondary (VIP) and ping to it', () => {
      const { net, h1, h2 } = twoHosts();
      h2.iface('eth0').addAddress('10.0.0.100/32');
      const log = icmpLog(h1);
      echo(h1, '10.0.0.100', 1);
      net.runFor(ms(1));
      assert.equal(log.length, 1);
      assert.equal(ipv4ToString(log[0]!.src), '10.0.0.100', 'the reply comes from the VIP');
    });

    it('ARP timeout: 3 requests 1 s apart, FAILED, host unreachable to the local sender', () => {
      const { net, h1 } = twoHosts();
      const log = icmpLog(h1);
      const reqTimes: number[] = [];
      net.trace.subscribe((e) => e.node === 'h1' && e.direction === 'out' && e.ifname === 'eth0' && reqTimes.push(e.time));
      for (let i = 1; i <= 103; i++) echo(h1, '10.0.0.77', i);
      net.runFor(sec(2));
      assert.equal(h1.neighbours()[0]!.state, 'INCOMPLETE');
      assert.equal(h1.neighbours()[0]!.queued, 101, 'unres_qlen 101: the two oldest dropped');
      net.runFor(sec(2));
      assert.deepEqual(reqTimes, [0, 1e9, 2e9]);
      assert.equal(h1.neighbours()[0]!.state, 'FAILED');
      assert.deepEqual(h1.neighbours().map(String), ['10.0.0.77 dev eth0 FAILED']);
      // Linux: "From 10.0.0.1 icmp_seq=3 Destination Host Unreachable", one per queued packet.
      const unreach = log.filter((m) => m.type === ICMP_DEST_UNREACH && m.code === ICMP_UNREACH_HOST);
      assert.equal(unreach.length, 101);
      assert.equal(ipv4ToString(unreach[0]!.src), '10.0.0.1');
      assert.equal(h1.counters.drops.get('arp-failed'), 101);
      assert.equal(h1.counters.drops.get('arp-queue-full'), 2);
    });

    it('ARP timeout on a router: host unreachable to the remote source', () => {
      const { net, h1, r2, h3 } = threeHopChain();
      h3.iface('eth0').up = false;
      const log = icmpLog(h1);
      echo(h1, '10.3.0.10', 1);
      net.runFor(sec(5));
      assert.equal(log.length, 1);
      assert.equal(log[0]!.type, ICMP_DEST_UNREACH);
      assert.equal(log[0]!.code, ICMP_UNREACH_HOST);
      assert.equal(ipv4ToString(log[0]!.src), '10.12.0.2', 'from r2, by the address routing picks toward h1');
      assert.equal(r2.counters.drops.get('arp-failed'), 1);
    });

    it('loops local traffic back through lo', () => {
      const { net, h1 } = twoHosts();
      const t = recordTrace(net);
      const log = icmpLog(h1);
      echo(h1, '10.0.0.1', 1);
      net.runFor(ms(1));
      assert.deepEqual(log.map((m) => [m.type, m.ifname]), [[8, 'lo'], [0, 'lo']]);
      assert.ok(t.every((l) => l.includes('h1:lo out')));
      assert.equal(t.length, 2);
    });
  });

  describe('routing', () => {
    it('longest prefix match, then metric', () => {
      const t = new RouteTable();
      t.add(0, 0, ipv4('10.0.0.1'), 'eth0');
      t.add(ipv4('10.1.0.0'), 16, ipv4('10.0.0.2'), 'eth0');
      t.add(ipv4('10.1.2.0'), 24, ipv4('10.0.0.3'), 'eth0');
      t.add(ipv4('10.1.2.0'), 24, ipv4('10.0.0.4'), 'eth1', { metric: 10 });
      t.add(ipv4('10.1.2.3'), 32, 0, 'eth2');
      const via = (d: string) => {
        const r = t.lookup(ipv4(d));
        return r === null ? null : `${r.gateway ? ipv4ToString(r.gateway) : 'link'} ${r.dev}`;
      };
      assert.equal(via('10.1.2.3'), 'link eth2');
      assert.equal(via('10.1.2.4'), '10.0.0.3 eth0');
      assert.equal(via('10.1.9.9'), '10.0.0.2 eth0');
      assert.equal(via('192.0.2.1'), '10.0.0.1 eth0');
      const empty = new RouteTable();
      assert.equal(empty.lookup(ipv4('1.2.3.4')), null);
    });

    it('prints routes as ip route does', () => {
      const { h1, r1 } = threeHopChain();
      assert.deepEqual(h1.routes().map(String), ['default via 10.1.0.1 dev eth0', '10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.10']);
      assert.deepEqual(r1.routes().map(String), [
        '10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.1',
        '10.3.0.0/24 via 10.12.0.2 dev eth1',
        '10.12.0.0/30 dev eth1 proto kernel scope link src 10.12.0.1',
      ]);
      assert.throws(() => h1.addRoute({ dst: '10.9.0.0/16', via: '192.0.2.1' }), /Nexthop has invalid gateway/);
    });

    it('source address selection and mtuFor', () => {
      const { h1, r1 } = threeHopChain();
      assert.equal(ipv4ToString(h1.sourceAddressFor(ipv4('10.3.0.10'))!), '10.1.0.10');
      assert.equal(ipv4ToString(r1.sourceAddressFor(ipv4('10.3.0.10'))!), '10.12.0.1');
      assert.equal(h1.mtuFor(ipv4('10.3.0.10')), 1500);
      assert.ok(h1.isLocalAddress(ipv4('10.1.0.10')));
      assert.ok(!h1.isLocalAddress(ipv4('10.1.0.1')));
    });

    it('traceroute: TTL expiry gives time exceeded from each router in turn', () => {
      const { net, h1 } = threeHopChain();
      const log = icmpLog(h1);
      const hops: string[] = [];
      for (let ttl = 1; ttl <= 4; ttl++) {
        log.length = 0;
        echo(h1, '10.3.0.10', ttl, { ttl });
        net.runFor(sec(1));
        const m = log[0]!;
        hops.push(`${ttl} ${ipv4ToString(m.src)} ${m.type === ICMP_TIME_EXCEEDED ? 'time-exceeded' : m.type === 0 ? 'echo-reply' : m.type}`);
      }
      assert.deepEqual(hops, ['1 10.1.0.1 time-exceeded', '2 10.12.0.2 time-exceeded', '3 10.3.0.10 echo-reply', '4 10.3.0.10 echo-reply']);
    });

    it('no route on a router: net unreachable', () => {
      const { net, h1 } = threeHopChain();
      const log = icmpLog(h1);
      echo(h1, '192.0.2.9', 1);
      net.runFor(sec(1));
      assert.deepEqual(log.map((m) => [ipv4ToString(m.src), m.type, m.code]), [['10.1.0.1', ICMP_DEST_UNREACH, ICMP_UNREACH_NET]]);
    });

    it('a host does not forward', () => {
      const { net, h1, h2 } = twoHosts();
      h1.addRoute({ dst: '10.9.0.0/16', via: '10.0.0.2' });
      echo(h1, '10.9.0.1', 1);
      net.runFor(sec(1));
      assert.equal(h2.counters.drops.get('not-forwarding'), 1);
    });
  });

  describe('ICMP errors', () => {
    it('port unreachable through the helper reaches the sender protocol handler', () => {
      const { net, h1, h3 } = threeHopChain();
      const errors: IcmpErrorDelivery[] = [];
      h1.bindProtocol(IPPROTO_UDP, { onPacket: () => {}, onIcmpError: (e) => errors.push(e) });
      // A UDP layer on h3 with no socket on the port answers with the helper.
      h3.bindProtocol(IPPROTO_UDP, { onPacket: (d: IpDelivery) => void h3.sendIcmpError(d.datagram, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT) });
      const log = icmpLog(h1);
      h1.sendIp({ dst: ipv4('10.3.0.10'), protocol: IPPROTO_UDP, upper: [new Udp({ srcPort: 40000, dstPort: 33434 })], payload: new Uint8Array(12) });
      net.runFor(sec(1));
      assert.equal(errors.length, 1);
      const e = errors[0]!;
      assert.equal(ipv4ToString(e.from), '10.3.0.10');
      assert.equal(e.type, ICMP_DEST_UNREACH);
      assert.equal(e.code, ICMP_UNREACH_PORT);
      assert.equal(ipv4ToString(e.quotedDst), '10.3.0.10');
      assert.equal((e.quotedPayload[2]! << 8) | e.quotedPayload[3]!, 33434);
      const icmp = parseIcmp(log[0]!.payload);
      assert.ok(icmp.ok);
      assert.equal(icmp.value.toString(), 'ICMP 10.3.0.10 udp port 33434 unreachable, length 48');
    });

    it('never answers an ICMP error with an error', () => {
      const { h1 } = twoHosts();
      const err = new Icmp({ type: 3, code: 3, payload: new Uint8Array(28) });
      const dg = h1.sendIp({ dst: ipv4('10.0.0.2'), protocol: 1, upper: [err], payload: err.payload });
      assert.equal(dg, 'queued');
      const fake = new Uint8Array([0x45, 0, 0, 56, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1, 3, 3, 0, 0, 0, 0, 0, 0]);
      assert.equal(h1.sendIcmpError(fake, 3, 1), false);
      const frag = new Uint8Array([0x45, 0, 0, 28, 0, 1, 0, 10, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(h1.sendIcmpError(frag, 3, 3), false, 'non-first fragment');
      const bcast = new Uint8Array([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(h1.sendIcmpError(bcast, 3, 3), false, 'directed broadcast');
    });

    it('DF and too big: fragmentation needed with the next-hop MTU; the sender learns the path MTU', () => {
      const { net, h1, r1 } = threeHopChain(1, { r2r2Mtu: 1400 });
      const log = icmpLog(h1);
      echo(h1, '10.3.0.10', 1, { size: 1472, df: true });
      net.runFor(sec(1));
      assert.equal(log.length, 1);
      const m = log[0]!;
      assert.deepEqual([ipv4ToString(m.src), m.type, m.code], ['10.1.0.1', ICMP_DEST_UNREACH, ICMP_UNREACH_NEEDFRAG]);
      const icmp = parseIcmp(m.payload);
      assert.ok(icmp.ok);
      assert.equal(icmp.value.mtu, 1400);
      assert.ok(icmp.value.payload.length <= 576 - 28, 'quote within 576 bytes (RFC 1812 §4.3.2.3)');
      assert.equal(r1.counters.drops.get('frag-needed'), 1);
      assert.equal(h1.mtuFor(ipv4('10.3.0.10')), 1400);
      assert.equal(echo(h1, '10.3.0.10', 2, { size: 1472, df: true }), 'too-big', 'EMSGSIZE against the learned path MTU');
      assert.equal(echo(h1, '10.3.0.10', 3, { size: 1372, df: true }), 'sent');
    });

    it('fragments when DF is clear and reassembles at the destination', () => {
      const { net, h1, r1, h3 } = threeHopChain(1, { r2r2Mtu: 600 });
      const log = icmpLog(h1);
      const at3 = icmpLog(h3);
      echo(h1, '10.3.0.10', 1, { size: 1400, df: false });
      net.runFor(sec(1));
      assert.equal(r1.counters.fragCreates, 3);
      assert.equal(h3.counters.reasmOks, 1);
      assert.equal(at3[0]!.payload.length, 1408);
      // The reply (1428 bytes) is fragmented by r2 on the way back and reassembled by h1.
      assert.equal(log.length, 1);
      assert.equal(log[0]!.payload.length, 1408);
      assert.equal(h1.counters.reasmOks, 1);
    });
  });
});

function macOf(net: ReturnType<typeof twoHosts>['net'], node: string): string {
  const m = net.node(node).iface('eth0').mac;
  return m.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}
