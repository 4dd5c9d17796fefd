import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { mac, ipv4, MAC_BROADCAST } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_QINQ,
  ETHERTYPE_TEB,
  ETHERTYPE_VLAN,
  Ethernet,
  EthernetView,
  etherTypeName,
  parseEthernet,
} from '../../../engine/wire/ethernet.ts';
import { Ipv4, IPPROTO_ICMP } from '../../../engine/wire/ipv4.ts';
import { Icmp } from '../../../engine/wire/icmp.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { failureKind, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

// ARP who-has 10.0.0.2 tell 10.0.0.1 from 02:00:00:00:00:01, padded to 60 bytes as a NIC sends it.
const ARP_FRAME = fromHex(
  'ffffffffffff 020000000001 0806' +
    '0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002' +
    '000000000000000000000000000000000000',
);

// The same frame tagged VLAN 10, priority 5 (TCI 0xa00a), DEI clear.
const VLAN_HEADER = fromHex('ffffffffffff 020000000001 8100 a00a 0806');

describe('wire/ethernet', () => {
  describe('a real ARP broadcast frame', () => {
    it('view reads the fields', () => {
      const v = new EthernetView(ARP_FRAME);
      assert.equal(v.checkLen(), null);
      assert.equal(v.dst, MAC_BROADCAST);
      assert.equal(v.src, mac('02:00:00:00:00:01'));
      assert.equal(v.etherType, ETHERTYPE_ARP);
      assert.equal(v.vlanCount, 0);
      assert.equal(v.outerVid, -1);
      assert.equal(v.headerLen, 14);
      assert.equal(v.payload.length, 46);
    });

    it('view setters write in place', () => {
      const b = Uint8Array.from(ARP_FRAME);
      const v = new EthernetView(b);
      v.dst = mac('02:00:00:00:00:02');
      v.src = mac('0a:0b:0c:0d:0e:0f');
      v.etherType = ETHERTYPE_IPV4;
      assert.equal(toHex(b.subarray(0, 14)), '0200000000020a0b0c0d0e0f0800');
    });

    it('parses, keeping the padding in the payload', () => {
      const e = must(parseEthernet(ARP_FRAME));
      assert.equal(e.dst, MAC_BROADCAST);
      assert.equal(e.src, mac('02:00:00:00:00:01'));
      assert.equal(e.etherType, ETHERTYPE_ARP);
      assert.deepEqual(e.vlan, []);
      assert.equal(e.payload.length, 46);
      assert.equal(e.payload.buffer, ARP_FRAME.buffer, 'payload aliases the input');
    });

    it('builds the value and encodes the same bytes (padding to 60)', () => {
      const e = new Ethernet({
        dst: MAC_BROADCAST,
        src: mac('02:00:00:00:00:01'),
        etherType: ETHERTYPE_ARP,
        payload: ARP_FRAME.subarray(14, 42),
        pad: true,
      });
      assert.equal(e.headerLen(), 14);
      assert.equal(e.trailerLen(28), 18);
      assert.equal(toHex(e.encode()), toHex(ARP_FRAME));
      assert.equal(e.toString(), '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60');
    });

    it('does not pad unless asked, nor when the frame is already long enough', () => {
      const e = new Ethernet({ etherType: ETHERTYPE_ARP, payload: new Uint8Array(28) });
      assert.equal(e.encode().length, 42);
      e.pad = true;
      assert.equal(e.encode().length, 60);
      e.payload = new Uint8Array(100);
      assert.equal(e.encode().length, 114);
    });
  });

  describe('802.1Q', () => {
    it('reads, parses and emits one tag', () => {
      const frame = new Uint8Array(VLAN_HEADER.length + 28);
      frame.set(VLAN_HEADER);
      frame.set(ARP_FRAME.subarray(14, 42), VLAN_HEADER.length);
      const v = new EthernetView(frame);
      assert.equal(v.checkLen(), null);
      assert.equal(v.etherType, ETHERTYPE_ARP);
      assert.equal(v.vlanCount, 1);
      assert.equal(v.outerVid, 10);
      assert.equal(v.headerLen, 18);
      const e = must(parseEthernet(frame));
      assert.deepEqual(e.vlan, [{ tpid: ETHERTYPE_VLAN, pcp: 5, dei: false, vid: 10 }]);
      assert.equal(e.etherType, ETHERTYPE_ARP);
      assert.equal(e.payload.length, 28);
      const built = new Ethernet({ dst: MAC_BROADCAST, src: mac('02:00:00:00:00:01'), vlan: [{ vid: 10, pcp: 5 }], etherType: ETHERTYPE_ARP, payload: e.payload });
      assert.equal(toHex(built.encode()), toHex(frame));
      assert.equal(
        built.toString(),
        '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype 802.1Q (0x8100), length 46: vlan 10, p 5, ethertype ARP (0x0806)',
      );
    });

    it('peels QinQ (0x88a8 then 0x8100) tags in order, with DEI', () => {
      const b = fromHex('020000000002 020000000001 88a8 3064 8100 1005 0800 45');
      const e = must(parseEthernet(b));
      assert.deepEqual(e.vlan, [
        { tpid: ETHERTYPE_QINQ, pcp: 1, dei: true, vid: 100 },
        { tpid: ETHERTYPE_VLAN, pcp: 0, dei: true, vid: 5 },
      ]);
      assert.equal(e.etherType, ETHERTYPE_IPV4);
      assert.equal(toHex(e.payload), '45');
      assert.equal(toHex(e.encode()), toHex(b));
    });
  });

  describe('bad input', () => {
    it('is truncated below 14 bytes and when a tag runs off the end', () => {
      assert.equal(failureKind(parseEthernet(ARP_FRAME.subarray(0, 13))), 'truncated');
      assert.equal(failureKind(parseEthernet(new Uint8Array(0))), 'truncated');
      assert.equal(failureKind(parseEthernet(VLAN_HEADER.subarray(0, 17))), 'truncated');
      assert.equal(new EthernetView(VLAN_HEADER.subarray(0, 17)).checkLen()?.kind, 'truncated');
      assert.equal(new EthernetView(ARP_FRAME.subarray(0, 3)).checkLen()?.kind, 'truncated');
      // Exactly a header: parses with an empty payload.
      assert.equal(must(parseEthernet(ARP_FRAME.subarray(0, 14))).payload.length, 0);
    });

    it('keeps unknown EtherTypes and 802.3 lengths as numbers', () => {
      const b = Uint8Array.from(ARP_FRAME);
      b[12] = 0x12;
      b[13] = 0x34;
      assert.equal(must(parseEthernet(b)).etherType, 0x1234);
      b[12] = 0x00;
      b[13] = 0x2e;
      assert.equal(must(parseEthernet(b)).etherType, 0x2e);
      assert.equal(etherTypeName(0x1234), 'Unknown');
      assert.equal(etherTypeName(0x2e), '802.3 length');
    });

    it('throws on values that cannot be represented (programmer errors)', () => {
      assert.throws(() => new Ethernet({ dst: 2 ** 48 }).encode(), RangeError);
      assert.throws(() => new Ethernet({ etherType: 0x10000 }).encode(), RangeError);
      assert.throws(() => new Ethernet({ vlan: [{ vid: 4096 }] }).encode(), RangeError);
    });
  });

  it('names EtherTypes', () => {
    assert.equal(etherTypeName(ETHERTYPE_IPV4), 'IPv4');
    assert.equal(etherTypeName(ETHERTYPE_ARP), 'ARP');
    assert.equal(etherTypeName(ETHERTYPE_VLAN), '802.1Q');
    assert.equal(etherTypeName(ETHERTYPE_TEB), 'TEB');
  });

  const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 });
  const tagArb = fc.record({
    tpid: fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
    pcp: fc.integer({ min: 0, max: 7 }),
    dei: fc.boolean(),
    vid: fc.integer({ min: 0, max: 4095 }),
  });
  const typeArb = fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ);
  const ethArb = fc
    .record({ dst: macArb, src: macArb, vlan: fc.array(tagArb, { maxLength: 3 }), etherType: typeArb, payload: fc.uint8Array({ maxLength: 64 }) })
    .map((r) => new Ethernet(r));

  it('encode → parse is the identity (property)', () => {
    fc.assert(
      fc.property(ethArb, (e) => {
        const b = e.encode();
        const p = must(parseEthernet(b));
        assert.equal(p.dst, e.dst);
        assert.equal(p.src, e.src);
        assert.deepEqual(p.vlan, e.vlan);
        assert.equal(p.etherType, e.etherType);
        assert.equal(toHex(p.payload), toHex(e.payload));
        assert.equal(toHex(p.encode()), toHex(b));
      }),
    );
  });

  it('padding gives at least 60 bytes and keeps the payload prefix (property)', () => {
    fc.assert(
      fc.property(ethArb, (e) => {
        e.pad = true;
        const b = e.encode();
        assert.equal(b.length, Math.max(60, e.headerLen() + e.payload.length));
        const p = must(parseEthernet(b));
        assert.equal(toHex(p.payload.subarray(0, e.payload.length)), toHex(e.payload));
        assert.ok(p.payload.subarray(e.payload.length).every((x) => x === 0));
      }),
    );
  });

  it('never throws on random or mutated input (fuzz)', function () {
    this.timeout(600_000);
    fuzzDecoder(parseEthernet, ethArb.map((e) => e.encode()));
  });

  it('tshark agrees on a VLAN-tagged frame and an untagged one', function () {
    requireTshark(this);
    const a = mac('02:00:00:00:00:01');
    const b = mac('02:00:00:00:00:02');
    const echo = Icmp.echoRequest(0x1234, 7, new Uint8Array(8));
    const ip = new Ipv4({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), protocol: IPPROTO_ICMP, id: 1 });
    const eths = [
      new Ethernet({ dst: b, src: a, vlan: [{ vid: 10, pcp: 5, dei: true }], etherType: ETHERTYPE_IPV4, pad: true }),
      new Ethernet({ dst: b, src: a, etherType: ETHERTYPE_IPV4, pad: true }),
    ];
    const frames = eths.map((e) => serialize([e, ip, echo], echo.payload));
    const pkts = tsharkReadFrames(frames, join(artifactDir('wire', 'ethernet'), 'ethernet.pcap'), 2);
    assert.equal(pkts.length, 2);
    for (let i = 0; i < 2; i++) {
      const l = pkts[i]!._source.layers;
      const ours = must(parseEthernet(frames[i]!));
      assert.equal(l.eth['eth.src'], '02:00:00:00:00:01');
      assert.equal(l.eth['eth.dst'], '02:00:00:00:00:02');
      assert.equal(Number(l.eth['eth.type']), ours.vlan.length ? ours.vlan[0]!.tpid : ours.etherType);
      assert.equal(frames[i]!.length, 60);
    }
    const vlan = pkts[0]!._source.layers.vlan;
    assert.equal(vlan['vlan.id'], '10');
    assert.equal(vlan['vlan.priority'], '5');
    assert.equal(vlan['vlan.dei'], '1');
    assert.equal(Number(vlan['vlan.etype']), ETHERTYPE_IPV4);
  });
});
