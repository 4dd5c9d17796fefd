import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, ipv4ToString, mac, macToString } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import { Dns, dnsQuestion, parseDns } from '../../../engine/wire/dns.ts';
import { ETHERTYPE_TEB, Ethernet, parseEthernet } from '../../../engine/wire/ethernet.ts';
import {
  AwsGwlbOption,
  GENEVE_CLASS_AWS,
  GENEVE_PORT,
  Geneve,
  GeneveProto,
  GeneveView,
  awsGwlbOptions,
  geneveOption,
  geneveOptionClassName,
  geneveProtocolName,
  isCriticalOption,
  parseGeneve,
  readAwsGwlbOptions,
  type GeneveOption,
} from '../../../engine/wire/geneve.ts';
import { IPPROTO_UDP, Ipv4, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Udp, parseUdp } from '../../../engine/wire/udp.ts';
import { failure, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { artifactDir } from '../../support/tools.ts';
import { fieldValues, requireTshark, tsharkReadFrames } from '../../support/tshark.ts';

/**
 * A frame as GWLB sends it to an appliance (layout per aws-gateway-load-balancer-tunnel-handler
 * GenevePacket.cpp: version 0, Protocol Type IPv4 — GWLB carries the IP packet, not an Ethernet frame —
 * and the three class 0x0108 options, 32 bytes). Inside: a client's DNS query.
 */
const GWLB_FRAME_HEX = [
  '0af19b445566 0a5c2e112233 0800', // Ethernet: GWLB ENI -> appliance
  '4500 0081 0000 4000 ff11 63d6 0a000164 0a000232', // IPv4 10.0.1.100 -> 10.0.2.50, DF, ttl 255
  'f7d2 17c1 006d c7c5', // UDP 63442 -> 6081
  '08 00 0800 000000 00', // GENEVE: ver 0, opt len 8 words; flags none; proto IPv4; VNI 0; reserved
  '0108 01 02 0a1b2c3d4e5f6071', // AWS type 1: GWLB endpoint ID
  '0108 02 02 1f2e3d4c5b6a7988', // AWS type 2: attachment ID
  '0108 03 01 9e3779b9', // AWS type 3: flow cookie
  '4500 003d 3c1d 0000 3f11 084f c6336407 0a00030a', // inner IPv4 198.51.100.7 -> 10.0.3.10
  'c738 0035 0029 a459', // inner UDP 51000 -> 53
  '1234 0100 0001 0000 0000 0000 03777777076578616d706c6503636f6d00 0001 0001', // A? www.example.com
].join(' ');
const GWLB_FRAME = fromHex(GWLB_FRAME_HEX);
const GENEVE_AT = 42;
const GWLB_META = { endpointId: 0x0a1b2c3d4e5f6071n, attachmentId: 0x1f2e3d4c5b6a7988n, flowCookie: 0x9e3779b9 };

function innerQuery(): Uint8Array {
  return serialize([
    new Ipv4({ id: 0x3c1d, protocol: IPPROTO_UDP, ttl: 63, src: ipv4('198.51.100.7'), dst: ipv4('10.0.3.10') }),
    new Udp({ srcPort: 51000, dstPort: 53 }),
    new Dns({ id: 0x1234, rd: true, questions: [dnsQuestion('www.example.com')] }),
  ]);
}

function gwlbFrame(g: Geneve, inner: Uint8Array): Uint8Array {
  return serialize(
    [
      new Ethernet({ src: mac('0a:5c:2e:11:22:33'), dst: mac('0a:f1:9b:44:55:66') }),
      new Ipv4({ df: true, ttl: 255, protocol: IPPROTO_UDP, src: ipv4('10.0.1.100'), dst: ipv4('10.0.2.50') }),
      new Udp({ srcPort: 63442, dstPort: GENEVE_PORT }),
      g,
    ],
    inner,
  );
}

describe('engine/wire/geneve', () => {
  describe('a GWLB frame (AWS class 0x0108 options)', () => {
    it('deconstructs the header with the view', () => {
      const v = new GeneveView(GWLB_FRAME.subarray(GENEVE_AT));
      assert.equal(v.checkLen(), null);
      assert.deepEqual([v.version, v.optLen, v.headerLen, v.oam, v.critical, v.flagsReserved], [0, 8, 40, false, false, 0]);
      assert.equal(v.protocol, GeneveProto.IPv4);
      assert.equal(v.vni, 0);
      assert.equal(v.reserved, 0);
      assert.equal(v.options.length, 32);
      assert.equal(toHex(v.payload.subarray(0, 2)), '4500');
      assert.equal(v.payload.buffer, GWLB_FRAME.buffer, 'the payload aliases the frame');
    });

    it('parses every layer, down to the inner DNS query', () => {
      const eth = must(parseEthernet(GWLB_FRAME));
      const ip = must(parseIpv4(eth.payload));
      const udp = must(parseUdp(ip.payload, { pseudo: ip }));
      assert.equal(udp.dstPort, GENEVE_PORT);
      const g = must(parseGeneve(udp.payload));
      assert.deepEqual(
        g.options.map((o) => [o.class, o.type, o.flags, toHex(o.data)]),
        [
          [0x108, 1, 0, '0a1b2c3d4e5f6071'],
          [0x108, 2, 0, '1f2e3d4c5b6a7988'],
          [0x108, 3, 0, '9e3779b9'],
        ],
      );
      assert.deepEqual(readAwsGwlbOptions(g), GWLB_META);
      assert.equal(
        String(g),
        'Geneve, Flags [none], vni 0x0, proto IPv4 (0x0800), options [class AWS (0x108) type 0x1 len 12, class AWS (0x108) type 0x2 len 12, class AWS (0x108) type 0x3 len 8]',
      );
      const inner = must(parseIpv4(g.payload));
      assert.equal(ipv4ToString(inner.src), '198.51.100.7');
      const dns = must(parseDns(must(parseUdp(inner.payload, { pseudo: inner })).payload));
      assert.equal(String(dns), '4660+ A? www.example.com. (33)');
    });

    it('constructs the same bytes with awsGwlbOptions', () => {
      const g = new Geneve({ protocol: GeneveProto.IPv4, vni: 0, options: awsGwlbOptions(GWLB_META) });
      assert.equal(toHex(gwlbFrame(g, innerQuery())), toHex(GWLB_FRAME));
    });

    it('emits a parsed header unchanged (the return path re-uses every TLV), standalone and in place', () => {
      const g = must(parseGeneve(GWLB_FRAME.subarray(GENEVE_AT)));
      assert.equal(toHex(g.encode()), toHex(GWLB_FRAME.subarray(GENEVE_AT)));
      const buf = new Uint8Array(GWLB_FRAME.length);
      buf.set(g.payload, GENEVE_AT + g.headerLen());
      g.emitHeader(buf, GENEVE_AT, g.payload.length, undefined);
      assert.equal(toHex(buf.subarray(GENEVE_AT)), toHex(GWLB_FRAME.subarray(GENEVE_AT)));
      assert.throws(() => g.emitHeader(new Uint8Array(20), 0, 0, undefined), RangeError);
    });

    it('view setters write each field and keep the others', () => {
      const b = Uint8Array.from(GWLB_FRAME.subarray(GENEVE_AT));
      const v = new GeneveView(b);
      v.vni = 0xabcdef;
      v.reserved = 0x5a;
      v.oam = true;
      v.critical = true;
      v.flagsReserved = 0x21;
      v.protocol = GeneveProto.TEB;
      assert.deepEqual([v.vni, v.reserved, v.oam, v.critical, v.flagsReserved, v.protocol, v.optLen, v.version], [0xabcdef, 0x5a, true, true, 0x21, 0x6558, 8, 0]);
      v.version = 2;
      v.optLen = 3;
      assert.deepEqual([v.version, v.optLen], [2, 3]);
    });
  });

  describe('GWLB metadata', () => {
    it('needs all three options with their sizes, and ignores other classes', () => {
      const all = awsGwlbOptions(GWLB_META);
      assert.deepEqual(readAwsGwlbOptions(all), GWLB_META);
      for (let i = 0; i < 3; i++) assert.equal(readAwsGwlbOptions(all.filter((_, j) => j !== i)), null, `without option ${i + 1}`);
      const wrongSize = all.map((o) => (o.type === AwsGwlbOption.flowCookie ? { ...o, data: new Uint8Array(8) } : o));
      assert.equal(readAwsGwlbOptions(wrongSize), null);
      const otherClass = all.map((o) => ({ ...o, class: 0x0105 }));
      assert.equal(readAwsGwlbOptions(otherClass), null);
      // Order and extra options do not matter.
      const mixed = [geneveOption(0xffff, 0x7f, new Uint8Array(4)), all[2]!, all[0]!, all[1]!];
      assert.deepEqual(readAwsGwlbOptions(mixed), GWLB_META);
    });

    it('keeps the full 64-bit range of the IDs', () => {
      const max = { endpointId: 0xffff_ffff_ffff_ffffn, attachmentId: 1n, flowCookie: 0xffff_ffff };
      const g = must(parseGeneve(new Geneve({ options: awsGwlbOptions(max) }).encode()));
      assert.deepEqual(readAwsGwlbOptions(g), max);
      assert.throws(() => awsGwlbOptions({ ...max, endpointId: 1n << 64n }), RangeError);
      assert.throws(() => awsGwlbOptions({ ...max, attachmentId: -1n }), RangeError);
      assert.throws(() => awsGwlbOptions({ ...max, flowCookie: 2 ** 32 }), RangeError);
    });
  });

  describe('options', () => {
    it('sets C from critical options, prints them, and keeps unknown options verbatim', () => {
      const crit = geneveOption(0x0101, 0x80 | 0x05, fromHex('00112233 44556677'), 0b101);
      const plain = geneveOption(0xfff3, 0x01, new Uint8Array(0));
      assert.ok(isCriticalOption(crit));
      assert.ok(!isCriticalOption(plain));
      const g = new Geneve({ vni: 1, options: [plain, crit] });
      assert.equal(g.critical, true);
      assert.equal(new Geneve({ options: [plain] }).critical, false);
      assert.equal(new Geneve({ options: [crit], critical: false }).critical, false, 'an explicit C is kept');
      const b = g.encode();
      assert.equal(toHex(b.subarray(0, 8)), '0440655800000100');
      assert.equal(toHex(b.subarray(8)), 'fff30100' + '010185a2' + '0011223344556677');
      const back = must(parseGeneve(b));
      assert.deepEqual(back, g);
      assert.equal(
        String(back),
        'Geneve, Flags [C], vni 0x1, proto TEB (0x6558), options [class Experimental (0xfff3) type 0x1 len 4, class Open vSwitch (0x101) type 0x85(C) len 12]',
      );
    });

    it('an option that overruns the option area is malformed; options cut by the packet end are truncated', () => {
      // opt len 1 word, but the option claims 1 data word (8 bytes in all)
      const e = failure(parseGeneve(fromHex('01 00 6558 000001 00 0108 01 01')));
      assert.equal(e.kind, 'malformed');
      assert.match(e.message, /overruns/);
      // the second option's length runs past the 3-word area
      assert.equal(failure(parseGeneve(fromHex('03 00 6558 000001 00 0108 01 00 0108 02 02 00000000'))).kind, 'malformed');
      // opt len 8 words with 4 bytes present
      assert.equal(failure(parseGeneve(fromHex('08 00 6558 000001 00 0108 01 00'))).kind, 'truncated');
      for (let n = 0; n < 8; n++) assert.equal(failure(parseGeneve(new Uint8Array(n))).kind, 'truncated', `${n} bytes`);
      for (let n = 8; n < 40; n++) {
        assert.equal(failure(parseGeneve(GWLB_FRAME.subarray(GENEVE_AT, GENEVE_AT + n))).kind, 'truncated', `${n} bytes`);
      }
    });

    it('a version other than 0 is unsupported (RFC 8926 §3.4)', () => {
      for (const ver of [1, 2, 3]) {
        const b = new Geneve({ version: ver, vni: 7 }).encode();
        const e = failure(parseGeneve(b));
        assert.equal(e.kind, 'unsupported');
        assert.match(e.message, new RegExp(`version ${ver}`));
        assert.equal(failure(parseGeneve(b.subarray(0, 1))).kind, 'unsupported');
      }
    });

    it('refuses unrepresentable values (programmer errors)', () => {
      const bad = (init: ConstructorParameters<typeof Geneve>[0]): void => {
        assert.throws(() => new Geneve(init).encode(), RangeError);
      };
      bad({ vni: 1 << 24 });
      bad({ version: 4 });
      bad({ reserved: 256 });
      bad({ flagsReserved: 64 });
      bad({ options: [geneveOption(1, 1, new Uint8Array(3))] });
      bad({ options: [geneveOption(1, 1, new Uint8Array(128))] });
      bad({ options: [geneveOption(1, 256, new Uint8Array(0))] });
      bad({ options: [geneveOption(1, 1, new Uint8Array(0), 8)] });
      // 3 x (4 + 124) = 384 bytes of options > 252
      bad({ options: [0, 1, 2].map(() => geneveOption(1, 1, new Uint8Array(124))) });
      assert.equal(new Geneve({ options: [geneveOption(1, 1, new Uint8Array(124)), geneveOption(1, 2, new Uint8Array(120))] }).headerLen(), 8 + 252);
    });

    it('names classes and protocols', () => {
      assert.equal(GENEVE_CLASS_AWS, 0x0108);
      assert.equal(geneveOptionClassName(0x0108), 'AWS');
      assert.equal(geneveOptionClassName(0x0000), 'Standard');
      assert.equal(geneveOptionClassName(0xffff), 'Experimental');
      assert.equal(geneveOptionClassName(0x4242), 'Unknown');
      assert.equal(geneveProtocolName(GeneveProto.TEB), 'TEB');
      assert.equal(geneveProtocolName(0x1234), 'unknown');
      assert.equal(ETHERTYPE_TEB, GeneveProto.TEB);
    });
  });

  describe('an inner Ethernet frame (Transparent Ethernet Bridging)', () => {
    it('carries a frame that parses with the Ethernet codec', () => {
      const innerEth = serialize(
        [new Ethernet({ src: mac('02:00:00:00:0a:01'), dst: mac('02:00:00:00:0b:02') }), new Ipv4({ protocol: IPPROTO_UDP, src: ipv4('192.168.10.1'), dst: ipv4('192.168.20.2') }), new Udp({ srcPort: 5353, dstPort: 53 })],
        new Dns({ id: 7, questions: [dnsQuestion('teb.test')] }).encode(),
      );
      const g = new Geneve({ vni: 0x1, options: awsGwlbOptions(GWLB_META) });
      const b = g.encode();
      assert.equal(b.length, 40);
      const withInner = serialize([g], innerEth);
      const back = must(parseGeneve(withInner));
      assert.equal(back.protocol, GeneveProto.TEB);
      const eth = must(parseEthernet(back.payload));
      assert.equal(macToString(eth.src), '02:00:00:00:0a:01');
      assert.ok(String(back).startsWith('Geneve, Flags [none], vni 0x1, proto TEB (0x6558), options [class AWS (0x108) type 0x1 len 12, '));
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Properties

  const optionArb: fc.Arbitrary<GeneveOption> = fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 }))
    .chain(([cls, type, flags, words]) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }).map((data) => geneveOption(cls, type, data, flags)));
  const geneveArb: fc.Arbitrary<Geneve> = fc
    .record({
      oam: fc.boolean(),
      critical: fc.boolean(),
      flagsReserved: fc.integer({ min: 0, max: 63 }),
      protocol: fc.integer({ min: 0, max: 0xffff }),
      vni: fc.integer({ min: 0, max: 0xffffff }),
      reserved: fc.integer({ min: 0, max: 255 }),
      options: fc.array(optionArb, { maxLength: 6 }).filter((os) => os.reduce((n, o) => n + 4 + o.data.length, 0) <= 252),
      payload: fc.uint8Array({ maxLength: 64 }),
    })
    .map((init) => new Geneve(init));

  describe('properties', () => {
    it('parse(encode(g)) equals g', () => {
      fc.assert(
        fc.property(geneveArb, (g) => {
          const b = g.encode();
          assert.equal(b.length, g.headerLen() + g.payload.length);
          assert.deepEqual(must(parseGeneve(b)), g);
        }),
        { numRuns: 5000 },
      );
    });

    it('fuzz: parseGeneve never throws on random or mutated input', function () {
      this.timeout(600_000);
      fuzzDecoder(parseGeneve, fc.oneof(geneveArb.map((g) => g.encode()), fc.constant(GWLB_FRAME.subarray(GENEVE_AT))));
    });
  });

  // ---------------------------------------------------------------------------------------------
  // tshark agreement

  describe('tshark agreement', () => {
    it('tshark reads the GWLB frame, a TEB frame and critical options as we do', function () {
      requireTshark(this);
      const innerEth = serialize([
        new Ethernet({ src: mac('02:00:00:00:0a:01'), dst: mac('02:00:00:00:0b:02') }),
        new Ipv4({ protocol: IPPROTO_UDP, src: ipv4('192.168.10.1'), dst: ipv4('192.168.20.2') }),
        new Udp({ srcPort: 5353, dstPort: 53 }),
        new Dns({ id: 7, rd: true, questions: [dnsQuestion('teb.test')] }),
      ]);
      const teb = new Geneve({
        vni: 0x123456,
        options: [geneveOption(0x0101, 0x85, fromHex('0011223344556677'), 0), geneveOption(0xfff0, 0x01, new Uint8Array(0))],
      });
      const cases: { g: Geneve; frame: Uint8Array; inner: { src: string; dst: string }; innerEth?: { src: string; dst: string } }[] = [
        { g: must(parseGeneve(GWLB_FRAME.subarray(GENEVE_AT))), frame: GWLB_FRAME, inner: { src: '198.51.100.7', dst: '10.0.3.10' } },
        {
          g: teb,
          frame: gwlbFrame(teb, innerEth),
          inner: { src: '192.168.10.1', dst: '192.168.20.2' },
          innerEth: { src: '02:00:00:00:0a:01', dst: '02:00:00:00:0b:02' },
        },
      ];
      const pkts = tsharkReadFrames(cases.map((c) => c.frame), join(artifactDir('wire', 'geneve'), 'geneve.pcap'), cases.length, ['--no-duplicate-keys']);
      assert.equal(pkts.length, cases.length);
      pkts.forEach((p, i) => {
        const { g, inner, innerEth: ie } = cases[i]!;
        const L = p._source.layers;
        const gen = L['geneve'];
        assert.ok(gen, `frame ${i + 1} has a geneve layer`);
        assert.equal(Number(fieldValues(gen, 'geneve.version')[0]), g.version);
        assert.equal(Number(fieldValues(gen, 'geneve.vni')[0]), g.vni);
        assert.equal(Number(fieldValues(gen, 'geneve.proto_type')[0]), g.protocol);
        assert.equal(fieldValues(gen, 'geneve.flags.critical')[0], g.critical ? '1' : '0');
        assert.equal(fieldValues(gen, 'geneve.flags.oam')[0], g.oam ? '1' : '0');
        assert.deepEqual(fieldValues(gen, 'geneve.option.class').map(Number), g.options.map((o) => o.class));
        assert.deepEqual(fieldValues(gen, 'geneve.option.type').map(Number), g.options.map((o) => o.type));
        assert.deepEqual(fieldValues(gen, 'geneve.option.type.critical'), g.options.map((o) => (isCriticalOption(o) ? '1' : '0')));
        // The first geneve.option.length is the header's total options length; the rest are per option.
        assert.deepEqual(fieldValues(gen, 'geneve.option.length').map(Number), [g.optionsLen(), ...g.options.map((o) => 4 + o.data.length)]);
        assert.deepEqual(
          fieldValues(gen, 'geneve.option.unknown.data'),
          g.options.map((o) => toHex(o.data, ':')),
        );
        assert.deepEqual(fieldValues(L['ip'], 'ip.src'), ['10.0.1.100', inner.src]);
        assert.deepEqual(fieldValues(L['ip'], 'ip.dst'), ['10.0.2.50', inner.dst]);
        const eths = fieldValues(L['eth'], 'eth.src');
        if (ie) {
          assert.deepEqual(eths, ['0a:5c:2e:11:22:33', ie.src]);
          assert.deepEqual(fieldValues(L['eth'], 'eth.dst'), ['0a:f1:9b:44:55:66', ie.dst]);
        } else {
          assert.deepEqual(eths, ['0a:5c:2e:11:22:33']);
        }
        assert.equal(fieldValues(L['dns'], 'dns.qry.name')[0], i === 0 ? 'www.example.com' : 'teb.test');
      });
    });
  });
});
