import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mac } from '../../../engine/wire/addr.ts';
import { Ethernet, ETHERTYPE_IPV4 } from '../../../engine/wire/ethernet.ts';
import { Network } from '../../../engine/net/network.ts';
import type { Interface } from '../../../engine/net/interface.ts';
import type { LinkOptions } from '../../../engine/net/link.ts';
import { us, ms, sec } from '../../../engine/sim/time.ts';
import { echo, icmpLog, recordTrace, threeHopChain, twoHosts } from './util.ts';

function frame(dst: string, src: string, len = 60): Uint8Array {
  return new Ethernet({ dst: mac(dst), src: mac(src), etherType: 0x88b5, payload: new Uint8Array(len - 14) }).encode();
}

/** A segment with three bare interfaces recording what they receive. */
function threePorts(): { net: Network; ifs: Interface[]; got: string[][] } {
  const net = new Network({ seed: 7 });
  const seg = net.addSegment('sw', { portDelay: us(5) });
  const ifs: Interface[] = [];
  const got: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const n = net.addNode(`n${i}`);
    const itf = n.addInterface('eth0', { mac: mac(`02:00:00:00:00:0${i + 1}`) });
    itf.promiscuous = true;
    seg.attach(itf);
    ifs.push(itf);
    const log: string[] = [];
    got.push(log);
    itf.addTap((f, dir) => {
      if (dir === 'in') log.push(`${net.now} ${Array.from(f.subarray(0, 6), (b) => b.toString(16)).join(':')}`);
    });
  }
  return { net, ifs, got };
}

describe('engine/net L2', () => {
  describe('Segment', () => {
    it('floods unknown unicast, then learns and forwards to one port only', () => {
      const { net, ifs, got } = threePorts();
      ifs[0]!.transmit(frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
      net.runFor(us(10));
      assert.deepEqual(got.map((g) => g.length), [0, 1, 1], 'unknown unicast is flooded');
      assert.equal(got[1]![0], '5000 2:0:0:0:0:2', 'delivered after the 5 µs port delay');
      ifs[1]!.transmit(frame('02:00:00:00:00:01', '02:00:00:00:00:02'));
      net.runFor(us(10));
      assert.deepEqual(got.map((g) => g.length), [1, 1, 1], 'learned MAC: only port 0 gets the reply');
      const seg = net.segment('sw');
      assert.deepEqual(
        seg.macTable().map((e) => e.port.iface.fullName),
        ['n0:eth0', 'n1:eth0'],
      );
      assert.equal(seg.counters.flooded, 1);
    });

    it('floods broadcast to every other port', () => {
      const { net, ifs, got } = threePorts();
      ifs[2]!.transmit(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:03'));
      net.runFor(us(10));
      assert.deepEqual(got.map((g) => g.length), [1, 1, 0]);
    });

    it('ages MAC entries out after 300 s and floods again', () => {
      const { net, ifs, got } = threePorts();
      ifs[1]!.transmit(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:02'));
      net.runFor(sec(299));
      ifs[0]!.transmit(frame('02:00:00:00:00:02', '02:00:00:00:00:01'));
      net.runFor(us(10));
      assert.equal(got[2]!.length, 1, 'still learned at 299 s: only the first broadcast reached n2');
      net.runFor(sec(301));
      ifs[2]!.transmit(frame('02:00:00:00:00:02', '02:00:00:00:00:03'));
      net.runFor(us(10));
      assert.equal(got[0]!.length, 2, 'n0 receives the flood once the entry aged');
      assert.equal(net.segment('sw').counters.aged, 1);
    });

    it('pads short frames to 60 bytes like a NIC', () => {
      const { net, ifs } = threePorts();
      const seen: number[] = [];
      ifs[1]!.addTap((f, d) => d === 'in' && seen.push(f.length));
      ifs[0]!.transmit(new Ethernet({ dst: mac('ff:ff:ff:ff:ff:ff'), src: 1, etherType: 0x88b5, payload: new Uint8Array(4) }).encode());
      net.runFor(us(10));
      assert.deepEqual(seen, [60]);
    });
  });

  describe('Link', () => {
    function pair(opts: LinkOptions) {
      const net = new Network({ seed: 3 });
      const a = net.addNode('a').addInterface('eth0', { mac: mac('02:00:00:00:00:0a') });
      const b = net.addNode('b').addInterface('eth0', { mac: mac('02:00:00:00:00:0b') });
      const link = net.addLink(a, b, opts);
      const arrivals: number[] = [];
      b.addTap((_f, d) => d === 'in' && arrivals.push(net.now));
      return { net, a, b, link, arrivals };
    }

    it('adds propagation delay exactly', () => {
      const { net, a, arrivals } = pair({ delay: ms(3) });
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
      net.runFor(sec(1));
      assert.deepEqual(arrivals, [3_000_000]);
    });

    it('serialises frames back to back at the link rate, then propagates', () => {
      // 1500-byte frames at 100 Mb/s: 120 µs each.
      const { net, a, arrivals, link } = pair({ delay: us(50), bandwidth: 100e6 });
      for (let i = 0; i < 3; i++) a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 1500));
      assert.deepEqual(link.queued(a), { packets: 2, bytes: 3000 });
      net.runFor(sec(1));
      assert.deepEqual(arrivals, [170_000, 290_000, 410_000]);
    });

    it('tail-drops when the queue is full and counts it', () => {
      const { net, a, arrivals, link } = pair({ bandwidth: 1e6, queuePackets: 2 });
      for (let i = 0; i < 5; i++) a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 125));
      net.runFor(sec(1));
      // One in service + two queued; 125 B at 1 Mb/s = 1 ms each.
      assert.deepEqual(arrivals, [1_000_000, 2_000_000, 3_000_000]);
      assert.equal(link.counters(a).queueDrops, 2);
    });

    it('bounds the queue in bytes too', () => {
      const { net, a, link } = pair({ bandwidth: 1e6, queueBytes: 200 });
      for (let i = 0; i < 4; i++) a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 125));
      net.runFor(sec(1));
      assert.equal(link.counters(a).delivered, 2);
      assert.equal(link.counters(a).queueDrops, 2);
    });

    it('loses frames with the given probability, reproducibly per seed', () => {
      const run = (): number[] => {
        const { net, a, arrivals } = pair({ loss: 0.3, delay: us(1) });
        for (let i = 0; i < 1000; i++) {
          a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
          net.runFor(us(10));
        }
        return arrivals;
      };
      const r1 = run();
      const r2 = run();
      assert.deepEqual(r1, r2);
      assert.ok(r1.length > 620 && r1.length < 780, `delivered ${r1.length} of 1000 with 30% loss`);
    });

    it('drops everything while down, and frames in flight when cut', () => {
      const { net, a, link, arrivals } = pair({ delay: ms(1) });
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
      link.up = false;
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
      net.runFor(sec(1));
      assert.deepEqual(arrivals, []);
      assert.equal(link.counters(a).down, 2);
      link.up = true;
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
      net.runFor(sec(1));
      assert.equal(arrivals.length, 1);
    });

    it('drops frames above the link MTU', () => {
      const { net, a, link, arrivals } = pair({ mtu: 1000 });
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 1014));
      a.transmit(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 1015));
      net.runFor(sec(1));
      assert.equal(arrivals.length, 1);
      assert.equal(link.counters(a).tooBig, 1);
    });
  });

  describe('Interface', () => {
    it('counts and drops malformed frames without throwing (random bytes)', () => {
      const { net, h1, h2 } = twoHosts();
      const eth = h2.iface('eth0');
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, toUs) => {
          const f = Uint8Array.from(bytes);
          if (toUs && f.length >= 14) {
            f.set([0x02, 0, 0, 0, 0, 0], 0);
            f[0] = Math.floor(eth.mac / 2 ** 40);
            for (let i = 1; i < 6; i++) f[i] = Math.floor(eth.mac / 2 ** (8 * (5 - i))) & 0xff;
          }
          eth.receive(f);
          net.runFor(us(1));
        }),
        { numRuns: 3000 },
      );
      // IPv4-typed garbage addressed to us.
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 120 }), (body) => {
          const f = new Ethernet({ dst: eth.mac, src: 0x020000000099, etherType: ETHERTYPE_IPV4, payload: body }).encode();
          eth.receive(f);
          net.runFor(us(1));
        }),
        { numRuns: 3000 },
      );
      assert.ok(eth.counters.rxErrors > 0 || h2.counters.inHdrErrors > 0);
      assert.ok(h2.counters.drops.size > 0);
      // Still works afterwards.
      const log = icmpLog(h1);
      echo(h1, '10.0.0.2', 1);
      net.runFor(ms(10));
      assert.equal(log.filter((m) => m.type === 0).length, 1);
    });

    it('admin down: no rx/tx and connected routes withdrawn', () => {
      const { net, h1 } = twoHosts();
      const eth = h1.iface('eth0');
      assert.deepEqual(h1.routes().map(String), ['10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1']);
      eth.up = false;
      assert.deepEqual(h1.routes().map(String), []);
      assert.equal(echo(h1, '10.0.0.2', 1), 'no-route');
      eth.up = true;
      assert.equal(h1.routes().length, 1);
      void net;
    });
  });

  describe('determinism', () => {
    it('the same scenario twice gives identical traces', () => {
      const run = (): string[] => {
        const { net, h1 } = threeHopChain(42);
        const t = recordTrace(net);
        for (let i = 1; i <= 3; i++) echo(h1, '10.3.0.10', i);
        echo(h1, '10.3.0.99', 9);
        net.runFor(sec(5));
        return t;
      };
      const a = run();
      const b = run();
      assert.ok(a.length > 20);
      assert.deepEqual(a, b);
    });
  });
});

describe('engine/net Network drivers', () => {
  it('runUntilCondition stops at the event that satisfies the predicate, or at the limit', () => {
    const { net, h1 } = twoHosts();
    const log = icmpLog(h1);
    echo(h1, '10.0.0.2', 1);
    assert.equal(net.runUntilCondition(() => log.length > 0, sec(1)), true);
    assert.equal(net.now, 8_000, 'request + ARP both ways + reply: four 2 µs port hops');
    assert.equal(net.runUntilCondition(() => log.length > 1, ms(5)), false);
    assert.equal(net.now, 8_000 + 5_000_000);
  });

  it('a gratuitous ARP with a new MAC updates an existing entry to STALE', () => {
    const { net, h1, h2 } = twoHosts();
    echo(h1, '10.0.0.2', 1);
    net.runFor(ms(1));
    const eth = h2.iface('eth0');
    eth.mac = mac('02:aa:bb:cc:dd:ee');
    eth.arp!.announce(eth.primaryAddress);
    net.runFor(ms(1));
    assert.deepEqual(h1.neighbours().map(String), ['10.0.0.2 dev eth0 lladdr 02:aa:bb:cc:dd:ee STALE']);
  });

  it('dispose cancels everything scheduled', () => {
    const { net, h1, r1 } = threeHopChain();
    r1.enableConntrack();
    echo(h1, '10.3.0.10', 1);
    net.runFor(ms(2));
    assert.ok(net.sched.pending > 0);
    net.dispose();
    assert.equal(net.sched.pending, 0);
  });
});
