import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import { internetChecksum, pseudoHeaderSum } from '../../../engine/wire/checksum.ts';
import { ETHERTYPE_IPV4, Ethernet, parseEthernet } from '../../../engine/wire/ethernet.ts';
import { Icmp } from '../../../engine/wire/icmp.ts';
import {
  IPOPT_EOL,
  IPOPT_NOP,
  IPOPT_RA,
  IPOPT_RR,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  Ipv4,
  Ipv4View,
  decrementTtl,
  encodeIpv4Options,
  ipProtocolName,
  ipv4Line,
  ipv4OptionName,
  ipv4Options,
  parseIpv4,
  rewriteDst,
  rewriteSrc,
} from '../../../engine/wire/ipv4.ts';
import { isPseudoHeaderSource, serialize } from '../../../engine/wire/layer.ts';
import { failureKind, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

/** Copy of `b` with the header checksum recomputed (to reach checks behind the checksum). */
function refreshed(b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  new Ipv4View(c).fillChecksum();
  return c;
}

// A UDP datagram 192.168.0.1 → 192.168.0.199, DF, ttl 64, total length 115: the header checksum
// worked example (0xb861) of the Internet checksum literature.
const WIKI_HEADER = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
const WIKI_PAYLOAD = Uint8Array.from({ length: 95 }, (_, i) => i);
const WIKI = new Uint8Array(115);
WIKI.set(WIKI_HEADER);
WIKI.set(WIKI_PAYLOAD, 20);

// IGMPv2-style report to 224.0.0.22 with Router Alert (RFC 2113): IHL 6, ttl 1, proto 2, DF, id 1.
// Checksum worked by hand: sum 0x2053e → 0x0540 → ~ = 0xfabf.
const RA_PACKET = fromHex('4600 0020 0001 4000 0102 fabf 0a00 0001 e000 0016 9404 0000 1600 0904 e000 0016');

describe('wire/ipv4', () => {
  describe('real bytes', () => {
    it('has the checksum of the worked example', () => {
      assert.equal(internetChecksum(WIKI_HEADER), 0, 'the header verifies');
      const z = Uint8Array.from(WIKI_HEADER);
      z[10] = z[11] = 0;
      assert.equal(internetChecksum(z), 0xb861);
      assert.equal(internetChecksum(RA_PACKET, 0, 24), 0);
    });

    it('view reads the fields', () => {
      const v = new Ipv4View(WIKI);
      assert.equal(v.checkLen(), null);
      assert.equal(v.version, 4);
      assert.equal(v.ihl, 5);
      assert.equal(v.headerLen, 20);
      assert.equal(v.tos, 0);
      assert.equal(v.totalLen, 115);
      assert.equal(v.id, 0);
      assert.equal(v.df, true);
      assert.equal(v.mf, false);
      assert.equal(v.fragOffset, 0);
      assert.equal(v.isFragment, false);
      assert.equal(v.ttl, 64);
      assert.equal(v.protocol, IPPROTO_UDP);
      assert.equal(v.checksum, 0xb861);
      assert.equal(v.src, ipv4('192.168.0.1'));
      assert.equal(v.dst, ipv4('192.168.0.199'));
      assert.equal(v.options.length, 0);
      assert.equal(v.payload.length, 95);
      assert.equal(v.verifyChecksum(), true);
    });

    it('builds the value and encodes the same bytes', () => {
      const ip = new Ipv4({ df: true, ttl: 64, protocol: IPPROTO_UDP, src: ipv4('192.168.0.1'), dst: ipv4('192.168.0.199'), payload: WIKI_PAYLOAD });
      assert.equal(ip.headerLen(), 20);
      assert.equal(ip.totalLength(), 115);
      assert.equal(toHex(ip.encode()), toHex(WIKI));
    });

    it('parses', () => {
      const ip = must(parseIpv4(WIKI));
      assert.equal(ip.dscp, 0);
      assert.equal(ip.ecn, 0);
      assert.equal(ip.id, 0);
      assert.equal(ip.df, true);
      assert.equal(ip.mf, false);
      assert.equal(ip.reservedBit, false);
      assert.equal(ip.fragOffset, 0);
      assert.equal(ip.ttl, 64);
      assert.equal(ip.protocol, IPPROTO_UDP);
      assert.equal(ip.checksum, 0xb861);
      assert.equal(ip.src, ipv4('192.168.0.1'));
      assert.equal(ip.dst, ipv4('192.168.0.199'));
      assert.equal(ip.options.length, 0);
      assert.equal(toHex(ip.payload), toHex(WIKI_PAYLOAD));
      assert.equal(ip.payload.buffer, WIKI.buffer, 'payload aliases the input');
      assert.equal(toHex(ip.encode()), toHex(WIKI));
      assert.equal(ip.toString(), 'IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto UDP (17), length 115) 192.168.0.1 > 192.168.0.199');
    });

    it('reads options, keeps them raw and prints them', () => {
      const ip = must(parseIpv4(RA_PACKET));
      assert.equal(ip.headerLen(), 24);
      assert.equal(toHex(ip.options), '94040000');
      assert.deepEqual(
        ipv4Options(ip.options).map((o) => [o.type, o.len, toHex(o.data)]),
        [[IPOPT_RA, 4, '0000']],
      );
      assert.equal(toHex(ip.payload), '16000904e0000016');
      assert.equal(toHex(ip.encode()), toHex(RA_PACKET));
      assert.equal(
        ip.toString(),
        'IP (tos 0x0, ttl 1, id 1, offset 0, flags [DF], proto IGMP (2), length 32, options (RA)) 10.0.0.1 > 224.0.0.22',
      );
      const built = new Ipv4({ id: 1, df: true, ttl: 1, protocol: 2, src: ipv4('10.0.0.1'), dst: ipv4('224.0.0.22'), options: encodeIpv4Options([{ type: IPOPT_RA, data: Uint8Array.of(0, 0) }]), payload: ip.payload });
      assert.equal(toHex(built.encode()), toHex(RA_PACKET));
    });

    it('ignores Ethernet padding beyond the total length', () => {
      const ip = new Ipv4({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), protocol: IPPROTO_TCP, payload: new Uint8Array(6) });
      const frame = serialize([new Ethernet({ etherType: ETHERTYPE_IPV4, pad: true }), ip], ip.payload);
      assert.equal(frame.length, 60);
      const eth = must(parseEthernet(frame));
      assert.equal(eth.payload.length, 46);
      const p = must(parseIpv4(eth.payload));
      assert.equal(p.payload.length, 6);
      assert.equal(new Ipv4View(eth.payload).payload.length, 6);
    });
  });

  describe('options', () => {
    it('pads options to a 4-byte multiple with EOL on emit', () => {
      const opts = encodeIpv4Options([{ type: IPOPT_NOP }, { type: IPOPT_NOP }, { type: IPOPT_NOP }]);
      assert.equal(toHex(opts), '010101');
      const ip = new Ipv4({ options: opts, protocol: 253 });
      assert.equal(ip.headerLen(), 24);
      const b = ip.encode();
      assert.equal(b[0], 0x46);
      assert.equal(toHex(b.subarray(20, 24)), '01010100');
      const p = must(parseIpv4(b));
      assert.deepEqual(ipv4Options(p.options).map((o) => ipv4OptionName(o.type)), ['NOP', 'NOP', 'NOP', 'EOL']);
    });

    it('lists a record-route option with its data', () => {
      const rr = encodeIpv4Options([{ type: IPOPT_RR, data: fromHex('04 0a000001 00000000') }, { type: IPOPT_EOL }]);
      assert.equal(toHex(rr), '070b040a0000010000000000');
      const list = ipv4Options(rr);
      assert.equal(list.length, 2);
      assert.equal(list[0]!.len, 11);
      assert.equal(toHex(list[0]!.data), '040a00000100000000');
      assert.equal(ipv4OptionName(IPOPT_RR), 'RR');
      assert.equal(ipv4OptionName(0x99), 'unknown 153');
    });

    it('refuses options that overrun the header', () => {
      const base = fromHex('4600 0018 0000 0000 4001 0000 0a000001 0a000002 00000000');
      // RR longer than the area; a length of 1; a type octet with no length octet.
      for (const opt of ['07080400', '44010000', '01010107']) {
        const b = Uint8Array.from(base);
        b.set(fromHex(opt), 20);
        const r = parseIpv4(refreshed(b));
        assert.equal(failureKind(r), 'malformed', opt);
      }
      // EOL ends the list: whatever follows is padding.
      const ok = Uint8Array.from(base);
      ok.set(fromHex('00ffffff'), 20);
      must(parseIpv4(refreshed(ok)));
    });

    it('throws on more than 40 option bytes (programmer error)', () => {
      assert.throws(() => new Ipv4({ options: new Uint8Array(41) }).encode(), RangeError);
      assert.equal(new Ipv4({ options: new Uint8Array(40) }).encode().length, 60);
    });
  });

  describe('bad input', () => {
    it('is truncated when the header or total length runs past the bytes', () => {
      assert.equal(failureKind(parseIpv4(WIKI.subarray(0, 19))), 'truncated');
      assert.equal(failureKind(parseIpv4(new Uint8Array(0))), 'truncated');
      assert.equal(failureKind(parseIpv4(WIKI.subarray(0, 114))), 'truncated');
      assert.equal(new Ipv4View(WIKI.subarray(0, 114)).checkLen()?.kind, 'truncated');
      assert.equal(failureKind(parseIpv4(RA_PACKET.subarray(0, 22))), 'truncated');
    });

    it('partial parse accepts a cut datagram (as quoted in ICMP errors)', () => {
      const ip = must(parseIpv4(WIKI.subarray(0, 28), { partial: true }));
      assert.equal(ip.payload.length, 8);
      assert.equal(ip.dst, ipv4('192.168.0.199'));
    });

    it('is malformed for version ≠ 4, IHL < 5, total length < header', () => {
      const v6 = Uint8Array.from(WIKI);
      v6[0] = 0x65;
      assert.equal(failureKind(parseIpv4(refreshed(v6))), 'malformed');
      const ihl4 = Uint8Array.from(WIKI);
      ihl4[0] = 0x44;
      assert.equal(failureKind(parseIpv4(ihl4)), 'malformed');
      assert.equal(new Ipv4View(ihl4).checkLen()?.kind, 'malformed');
      const short = Uint8Array.from(WIKI);
      short[2] = 0;
      short[3] = 19;
      assert.equal(failureKind(parseIpv4(refreshed(short))), 'malformed');
      // Total length equal to the header: valid, empty payload.
      const empty = Uint8Array.from(WIKI);
      empty[3] = 20;
      assert.equal(must(parseIpv4(refreshed(empty))).payload.length, 0);
    });

    it('reports a bad checksum under verify and accepts it under ignore', () => {
      const b = Uint8Array.from(WIKI);
      b[11] ^= 0x01;
      assert.equal(failureKind(parseIpv4(b)), 'checksum');
      assert.equal(failureKind(parseIpv4(b, { checksum: 'verify' })), 'checksum');
      const ip = must(parseIpv4(b, { checksum: 'ignore' }));
      assert.equal(ip.checksum, 0xb860);
      assert.equal(new Ipv4View(b).verifyChecksum(), false);
      // Re-encoding repairs it.
      assert.equal(toHex(ip.encode()), toHex(WIKI));
    });

    it('throws on fields that do not fit (programmer errors)', () => {
      assert.throws(() => new Ipv4({ ttl: 256 }).encode(), RangeError);
      assert.throws(() => new Ipv4({ dscp: 64 }).encode(), RangeError);
      assert.throws(() => new Ipv4({ fragOffset: 0x2000 }).encode(), RangeError);
      assert.throws(() => new Ipv4({ payload: new Uint8Array(65516) }).encode(), RangeError);
      assert.equal(new Ipv4({ payload: new Uint8Array(65515) }).encode().length, 65535);
    });
  });

  describe('display', () => {
    it('prints flags, offset and ECN like tcpdump -v', () => {
      const frag = new Ipv4({ id: 0x1234, mf: true, fragOffset: 185, ttl: 3, protocol: IPPROTO_ICMP, src: 1, dst: 2, dscp: 46, ecn: 3 });
      assert.equal(frag.toString(), 'IP (tos 0xbb,CE, ttl 3, id 4660, offset 1480, flags [+], proto ICMP (1), length 20) 0.0.0.1 > 0.0.0.2');
      assert.equal(new Ipv4({ reservedBit: true, df: true }).flagsText(), 'rsvdDF');
      assert.equal(new Ipv4().flagsText(), 'none');
      assert.equal(new Ipv4({ df: true, mf: true }).flagsText(), 'DF+');
      assert.equal(ipProtocolName(IPPROTO_TCP), 'TCP');
      assert.equal(ipProtocolName(253), 'unknown');
      assert.equal(ipv4Line({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2') }, 'ICMP echo request'), 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request');
    });
  });

  it('supplies the pseudo-header sum to TCP/UDP', () => {
    const ip = new Ipv4({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2') });
    assert.ok(isPseudoHeaderSource(ip));
    assert.equal(ip.pseudoHeaderSum(IPPROTO_UDP, 8), pseudoHeaderSum(ipv4('10.0.0.1'), ipv4('10.0.0.2'), IPPROTO_UDP, 8));
  });

  const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
  const optionArb = fc.oneof(
    fc.constant({ type: IPOPT_NOP }),
    fc.record({ type: fc.constantFrom(IPOPT_RA, IPOPT_RR, 0x44, 0x99, 0x83), data: fc.uint8Array({ maxLength: 8 }) }),
  );
  const ipArb = fc
    .record({
      dscp: fc.integer({ min: 0, max: 63 }),
      ecn: fc.integer({ min: 0, max: 3 }),
      id: fc.integer({ min: 0, max: 0xffff }),
      df: fc.boolean(),
      mf: fc.boolean(),
      reservedBit: fc.boolean(),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }),
      ttl: fc.integer({ min: 0, max: 255 }),
      protocol: fc.integer({ min: 0, max: 255 }),
      src: u32,
      dst: u32,
      options: fc.array(optionArb, { maxLength: 4 }).map((l) => encodeIpv4Options(l)),
      payload: fc.uint8Array({ maxLength: 64 }),
    })
    .map((r) => new Ipv4(r));

  it('encode → parse is the identity (property)', () => {
    fc.assert(
      fc.property(ipArb, (ip) => {
        const b = ip.encode();
        const p = must(parseIpv4(b));
        for (const k of ['dscp', 'ecn', 'id', 'df', 'mf', 'reservedBit', 'fragOffset', 'ttl', 'protocol', 'src', 'dst'] as const) {
          assert.equal(p[k], ip[k], k);
        }
        const padded = new Uint8Array(ip.headerLen() - 20);
        padded.set(ip.options);
        assert.equal(toHex(p.options), toHex(padded));
        assert.equal(toHex(p.payload), toHex(ip.payload));
        assert.equal(toHex(p.encode()), toHex(b));
        assert.equal(typeof p.toString(), 'string');
      }),
    );
  });

  describe('forwarding helpers (RFC 1624 incremental checksum)', () => {
    it('decrementTtl, rewriteSrc, rewriteDst keep the header checksum valid (property)', () => {
      fc.assert(
        fc.property(ipArb, u32, u32, fc.integer({ min: 0, max: 3 }), (ip, newSrc, newDst, hops) => {
          const b = ip.encode();
          const v = new Ipv4View(b);
          for (let i = 0; i < hops; i++) {
            const before = v.ttl;
            assert.equal(decrementTtl(v), Math.max(0, before - 1));
            assert.ok(v.verifyChecksum(), 'after decrementTtl');
          }
          assert.equal(rewriteDst(v, newDst), ip.dst);
          assert.ok(v.verifyChecksum(), 'after rewriteDst');
          assert.equal(rewriteSrc(v, newSrc), ip.src);
          assert.ok(v.verifyChecksum(), 'after rewriteSrc');
          assert.equal(v.src, newSrc);
          assert.equal(v.dst, newDst);
          const incremental = v.checksum;
          v.fillChecksum();
          assert.equal(incremental, v.checksum, 'matches a full recomputation');
          must(parseIpv4(b));
        }),
      );
    });

    it('decrementTtl leaves a TTL of 0 alone and reports 0 for 1', () => {
      const b = new Ipv4({ ttl: 1 }).encode();
      const v = new Ipv4View(b);
      assert.equal(decrementTtl(v), 0);
      assert.equal(v.ttl, 0);
      const snapshot = toHex(b);
      assert.equal(decrementTtl(v), 0);
      assert.equal(toHex(b), snapshot);
      assert.ok(v.verifyChecksum());
    });
  });

  it('never throws on random or mutated input (fuzz)', function () {
    this.timeout(600_000);
    fuzzDecoder(parseIpv4, ipArb.map((ip) => ip.encode()));
  });

  it('never throws in partial mode either (fuzz, fewer runs)', function () {
    this.timeout(600_000);
    fuzzDecoder((b) => parseIpv4(b, { partial: true, checksum: 'ignore' }), ipArb.map((ip) => ip.encode()), 20_000);
  });

  it('tshark agrees on packets with options, DF, fragments and ECN', function () {
    requireTshark(this);
    const echo = Icmp.echoRequest(1, 1, new Uint8Array(16));
    const echoBytes = echo.encode();
    const ips = [
      new Ipv4({
        id: 0x1001,
        df: true,
        ttl: 64,
        protocol: IPPROTO_ICMP,
        src: ipv4('10.0.0.1'),
        dst: ipv4('10.0.0.2'),
        options: encodeIpv4Options([{ type: IPOPT_NOP }, { type: IPOPT_RA, data: Uint8Array.of(0, 0) }]),
      }),
      new Ipv4({ id: 0x1002, mf: true, fragOffset: 185, ttl: 9, dscp: 46, ecn: 2, protocol: 253, src: ipv4('192.0.2.1'), dst: ipv4('198.51.100.7') }),
    ];
    const payloads = [echoBytes, new Uint8Array(24)];
    const eth = new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02'), etherType: ETHERTYPE_IPV4, pad: true });
    const frames = ips.map((ip, i) => serialize([eth, ip], payloads[i]));
    const pkts = tsharkReadFrames(frames, join(artifactDir('wire', 'ipv4'), 'ipv4.pcap'), 2);
    assert.equal(pkts.length, 2);
    ips.forEach((ours, i) => {
      const t = pkts[i]!._source.layers.ip;
      const p = must(parseIpv4(must(parseEthernet(frames[i]!)).payload));
      assert.equal(ipv4(t['ip.src']), ours.src);
      assert.equal(ipv4(t['ip.dst']), ours.dst);
      assert.equal(Number(t['ip.ttl']), ours.ttl);
      assert.equal(Number(t['ip.id']), ours.id);
      assert.equal(Number(t['ip.proto']), ours.protocol);
      assert.equal(Number(t['ip.hdr_len']), ours.headerLen());
      assert.equal(Number(t['ip.len']), ours.headerLen() + payloads[i]!.length);
      assert.equal(Number(t['ip.checksum']), p.checksum);
      assert.equal(t['ip.checksum.status'], '1', 'good');
      assert.equal(t['ip.flags_tree']['ip.flags.df'], ours.df ? '1' : '0');
      assert.equal(t['ip.flags_tree']['ip.flags.mf'], ours.mf ? '1' : '0');
      // tshark 4.0 shows the raw field, in 8-octet units.
      assert.equal(Number(t['ip.frag_offset']), ours.fragOffset);
      assert.equal(Number(t['ip.dsfield_tree']['ip.dsfield.dscp']), ours.dscp);
      assert.equal(Number(t['ip.dsfield_tree']['ip.dsfield.ecn']), ours.ecn);
    });
    // tshark files the options under a text label, "Options: (8 bytes), Router Alert".
    const ipTree = pkts[0]!._source.layers.ip as Record<string, any>;
    const opts = ipTree[Object.keys(ipTree).find((k) => k.startsWith('Options:')) ?? ''];
    assert.ok(opts && 'ip.options.routeralert' in opts && 'ip.options.nop' in opts, JSON.stringify(opts));
  });
});
