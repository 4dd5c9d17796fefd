import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import { Ethernet } from '../../../engine/wire/ethernet.ts';
import { Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import {
  Tcp,
  TcpFlag,
  type TcpOption,
  TcpView,
  formatTcp,
  parseTcp,
  tcpFlagsString,
  tcpRewritePorts,
  tcpUpdateForAddressChange,
} from '../../../engine/wire/tcp.ts';
import { must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

const LO = { src: ipv4('127.0.0.1'), dst: ipv4('127.0.0.1') };

// Real segments from a Linux loopback capture (tcpdump -i lo, IP payload only). Loopback hands the
// capture CHECKSUM_PARTIAL segments (only the pseudo-header sum in the field), so each checksum field
// holds the value tcpdump -vv reported as correct ("incorrect -> 0x9c22"): an independent oracle.
const SYN_HEX = 'df8a1fa3ed0a42cb00000000a002ffd79c2200000204ffd70402080ab84bcc8c000000000103030a';
const SYN_LINE =
  '127.0.0.1.57226 > 127.0.0.1.8099: Flags [S], seq 3976872651, win 65495, options [mss 65495,sackOK,TS val 3091975308 ecr 0,nop,wscale 10], length 0';
const PSH_HEX =
  'df8a1fa3ed0a42ccd02552b780180040b56c00000101080ab84bcc8d90a37cf5474554202f20485454502f312e300d0a0d0a';
const PSH_LINE =
  '127.0.0.1.57226 > 127.0.0.1.8099: Flags [P.], seq 3976872652:3976872670, ack 3492106935, win 64, options [nop,nop,TS val 3091975309 ecr 2426633461], length 18';
const ACK_HEX = 'df8a1fa3ed0a42ccd02552b7801000409426 00000101080ab84bcc8d90a37cf5'.replace(' ', '');
const ACK_LINE =
  '127.0.0.1.57226 > 127.0.0.1.8099: Flags [.], ack 3492106935, win 64, options [nop,nop,TS val 3091975309 ecr 2426633461], length 0';
const RST_HEX = 'df8a1fa3ed0a42ded02552bc8014004091b300000101080ab84bce1d90a37dbd';
const RST_LINE =
  '127.0.0.1.57226 > 127.0.0.1.8099: Flags [R.], seq 3976872670, ack 3492106940, win 64, options [nop,nop,TS val 3091975709 ecr 2426633661], length 0';

function mustParse(b: Uint8Array, opts?: Parameters<typeof parseTcp>[1]): Tcp {
  return must(parseTcp(b, opts));
}

function header(fields: { doff?: number; flags?: number } = {}, options = ''): Uint8Array {
  const opts = fromHex(options);
  const doff = fields.doff ?? 5 + Math.ceil(opts.length / 4);
  const b = new Uint8Array(Math.max(20 + opts.length, 20));
  b[12] = doff << 4;
  b[13] = fields.flags ?? 0x10;
  b.set(opts, 20);
  return b;
}

describe('tcp', function () {
  describe('real SYN with options', function () {
    const bytes = fromHex(SYN_HEX);
    const synOptions: TcpOption[] = [
      { kind: 'mss', mss: 65495 },
      { kind: 'sackOK' },
      { kind: 'ts', tsval: 3091975308, tsecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 10 },
    ];

    it('view reads the fields', function () {
      const v = new TcpView(bytes);
      assert.equal(v.checkLen(), null);
      assert.equal(v.srcPort, 57226);
      assert.equal(v.dstPort, 8099);
      assert.equal(v.seq, 3976872651);
      assert.equal(v.ack, 0);
      assert.equal(v.dataOffset, 10);
      assert.equal(v.headerLen, 40);
      assert.equal(v.flags, TcpFlag.SYN);
      assert.ok(v.hasFlag(TcpFlag.SYN) && !v.hasFlag(TcpFlag.ACK));
      assert.equal(v.window, 65495);
      assert.equal(v.checksum, 0x9c22);
      assert.equal(v.urgentPointer, 0);
      assert.equal(v.optionBytes.length, 20);
      assert.equal(v.payload.length, 0);
      assert.ok(v.verifyChecksum(LO.src, LO.dst));
    });

    it('a value built from the fields encodes to the same bytes (checksum 0x9c22)', function () {
      const t = new Tcp({ srcPort: 57226, dstPort: 8099, seq: 3976872651, flags: TcpFlag.SYN, window: 65495, options: synOptions });
      assert.equal(toHex(t.encode(LO)), SYN_HEX);
      assert.equal(t.checksum, 0x9c22);
    });

    it('parses, verifying the checksum, and prints like tcpdump -nn -S', function () {
      const t = mustParse(bytes, { pseudo: LO });
      assert.equal(t.srcPort, 57226);
      assert.equal(t.dstPort, 8099);
      assert.equal(t.seq, 3976872651);
      assert.equal(t.flags, TcpFlag.SYN);
      assert.equal(t.window, 65495);
      assert.equal(t.checksum, 0x9c22);
      assert.deepEqual(t.options, synOptions);
      assert.equal(t.toString(LO), SYN_LINE);
      assert.equal(formatTcp(t, LO.src, LO.dst), SYN_LINE);
      assert.equal(t.toString(), SYN_LINE.replace('127.0.0.1.57226 > 127.0.0.1.8099', '57226 > 8099'));
    });

    it('the parsed value emits the same bytes, with options untouched or decoded', function () {
      const t = mustParse(bytes);
      assert.equal(toHex(t.encode(LO)), SYN_HEX);
      void t.options; // now emitted from the decoded list
      assert.equal(toHex(t.encode(LO)), SYN_HEX);
      assert.equal(toHex(serialize([new Ipv4({ src: LO.src, dst: LO.dst, protocol: 6 }), t]).subarray(20)), SYN_HEX);
    });
  });

  describe('real data, ACK and RST segments', function () {
    for (const [name, hex, line, payload] of [
      ['PSH|ACK with 18 bytes', PSH_HEX, PSH_LINE, 'GET / HTTP/1.0\r\n\r\n'],
      ['pure ACK (no seq printed)', ACK_HEX, ACK_LINE, ''],
      ['RST|ACK', RST_HEX, RST_LINE, ''],
    ] as const) {
      it(`${name}: view, build, parse, emit`, function () {
        const bytes = fromHex(hex);
        const v = new TcpView(bytes);
        assert.equal(v.checkLen(), null);
        assert.ok(v.verifyChecksum(LO.src, LO.dst));
        assert.equal(new TextDecoder().decode(v.payload), payload);
        const t = mustParse(bytes, { pseudo: LO });
        assert.equal(t.toString(LO), line);
        assert.equal(t.flags, v.flags);
        assert.equal(t.ack, v.ack);
        assert.equal(toHex(t.encode(LO)), hex);
        const built = new Tcp({
          srcPort: v.srcPort,
          dstPort: v.dstPort,
          seq: v.seq,
          ack: v.ack,
          flags: v.flags,
          window: v.window,
          options: t.options.slice(),
          payload: new TextEncoder().encode(payload),
        });
        assert.equal(toHex(built.encode(LO)), hex);
      });
    }
  });

  describe('flags', function () {
    it("tcpFlagsString matches tcpdump's letters", function () {
      const F = TcpFlag;
      assert.equal(tcpFlagsString(F.SYN), '[S]');
      assert.equal(tcpFlagsString(F.SYN | F.ACK), '[S.]');
      assert.equal(tcpFlagsString(F.PSH | F.ACK), '[P.]');
      assert.equal(tcpFlagsString(F.FIN | F.ACK), '[F.]');
      assert.equal(tcpFlagsString(F.RST), '[R]');
      assert.equal(tcpFlagsString(F.RST | F.ACK), '[R.]');
      assert.equal(tcpFlagsString(F.ACK), '[.]');
      assert.equal(tcpFlagsString(F.SYN | F.ECE | F.CWR), '[SEW]');
      assert.equal(tcpFlagsString(F.URG | F.ACK | F.AE), '[.Ue]');
      assert.equal(tcpFlagsString(0), '[none]');
    });

    it('keeps AE and the reserved bits through parse and emit, apart from the data offset', function () {
      const t = new Tcp({ flags: 0xfff, options: [{ kind: 'nop' }] });
      const b = t.encode();
      assert.equal(b[12], 0x6f);
      assert.equal(b[13], 0xff);
      const p = mustParse(b);
      assert.equal(p.flags, 0xfff);
      const v = new TcpView(b);
      v.flags = TcpFlag.AE | TcpFlag.SYN;
      assert.equal(v.dataOffset, 6);
      assert.equal(v.flags, 0x102);
      v.dataOffset = 5;
      assert.equal(v.flags, 0x102);
    });

    it('prints urg when URG is set', function () {
      const t = new Tcp({ srcPort: 1, dstPort: 2, seq: 7, ack: 9, flags: TcpFlag.URG | TcpFlag.ACK | TcpFlag.PSH, window: 10, urgentPointer: 3, payload: new Uint8Array(4) });
      assert.equal(t.toString(), '1 > 2: Flags [P.U], seq 7:11, ack 9, win 10, urg 3, length 4');
    });

    it('seq N:M wraps at 2^32', function () {
      const t = new Tcp({ seq: 0xffff_fffe, flags: TcpFlag.ACK, payload: new Uint8Array(4) });
      assert.match(t.toString(), /seq 4294967294:2, ack 0/);
    });
  });

  describe('options', function () {
    it('SACK blocks, unknown kinds verbatim, EOL ends the list', function () {
      const opts: TcpOption[] = [
        { kind: 'nop' },
        { kind: 'nop' },
        { kind: 'sack', blocks: [{ left: 1001, right: 2001 }, { left: 3001, right: 4001 }] },
        { kind: 34, data: fromHex('0102030405060708') },
        { kind: 'eol' },
      ];
      const t = new Tcp({ srcPort: 80, dstPort: 1000, seq: 1, ack: 1001, flags: TcpFlag.ACK, window: 5, options: opts });
      const b = t.encode();
      assert.equal(t.headerLen(), 20 + 32);
      assert.equal(toHex(b.subarray(20)), '0101' + '0512000003e9000007d100000bb900000fa1' + '220a0102030405060708' + '00' + '00');
      const p = mustParse(b);
      assert.deepEqual(p.options, opts);
      assert.equal(p.toString(), '80 > 1000: Flags [.], ack 1001, win 5, options [nop,nop,sack 2 {1001:2001}{3001:4001},unknown-34 0x0102030405060708,eol], length 0');
    });

    it('pads with EOL to a 4-byte boundary and computes the data offset', function () {
      const t = new Tcp({ options: [{ kind: 'wscale', shift: 7 }] });
      const b = t.encode();
      assert.equal(b.length, 24);
      assert.equal(b[12]! >>> 4, 6);
      assert.equal(toHex(b.subarray(20)), '03030700');
      assert.deepEqual(mustParse(b).options, [{ kind: 'wscale', shift: 7 }, { kind: 'eol' }]);
    });

    it('emitHeader writes the padding zeros itself (the buffer may be dirty)', function () {
      const buf = new Uint8Array(24).fill(0xaa);
      new Tcp({ options: [{ kind: 'wscale', shift: 2 }] }).emitHeader(buf, 0, 0, undefined);
      assert.equal(toHex(buf.subarray(20)), '03030200');
      assert.equal(buf[12], 0x60);
      const buf2 = new Uint8Array(30).fill(0xaa);
      new Tcp({ options: [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }] }).emitHeader(buf2, 2, 0, undefined);
      assert.equal(toHex(buf2.subarray(22)), '020405b401000000');
      assert.equal(buf2[0], 0xaa);
    });

    it('emit refuses options that cannot be represented (programmer errors)', function () {
      assert.throws(() => new Tcp({ options: Array.from({ length: 5 }, () => ({ kind: 'ts', tsval: 1, tsecr: 2 }) as TcpOption) }).encode(), RangeError);
      assert.throws(() => new Tcp({ options: [{ kind: 'mss', mss: 70000 }] }).encode(), RangeError);
      assert.throws(() => new Tcp({ options: [{ kind: 'sack', blocks: [] }] }).encode(), RangeError);
      assert.throws(() => new Tcp({ options: [{ kind: 1, data: fromHex('00') }] }).encode(), RangeError);
      assert.throws(() => new Tcp({ srcPort: 65536 }).encode(), RangeError);
      assert.throws(() => new Tcp({ flags: 0x1000 }).encode(), RangeError);
      assert.throws(() => new Tcp().emitHeader(new Uint8Array(19), 0, 0, undefined), RangeError);
    });

    it('a full 40-byte options area is accepted', function () {
      const nop: TcpOption = { kind: 'nop' };
      const opts: TcpOption[] = [nop, nop, nop, nop, nop, nop, { kind: 'sack', blocks: [1, 2, 3, 4].map((n) => ({ left: n, right: n + 1 })) }];
      const b = new Tcp({ options: opts }).encode();
      assert.equal(b.length, 60);
      assert.deepEqual(mustParse(b).options, opts);
    });
  });

  describe('malformed and truncated input', function () {
    const cases: [string, Uint8Array, 'truncated' | 'malformed'][] = [
      ['empty', new Uint8Array(0), 'truncated'],
      ['19 bytes', new Uint8Array(19), 'truncated'],
      ['data offset 4', header({ doff: 4 }), 'malformed'],
      ['data offset 0', header({ doff: 0 }), 'malformed'],
      ['data offset past the bytes', header({ doff: 6 }), 'truncated'],
      ['option length 0', header({}, '02000000'), 'malformed'],
      ['option length 1', header({}, '08010000'), 'malformed'],
      ['option with no length byte', header({}, '01010102'), 'malformed'],
      ['timestamps running past the header', header({}, '0101080a00000000'), 'malformed'],
      ['option running past the header by one', header({}, '0101010122050102'), 'malformed'],
      ['MSS of length 3', header({}, '02030500'), 'malformed'],
      ['MSS of length 6', header({}, '020605b40000'.padEnd(16, '0')), 'malformed'],
      ['window scale of length 4', header({}, '03040700'), 'malformed'],
      ['SACK-permitted of length 3', header({}, '04030000'), 'malformed'],
      ['SACK of length 2', header({}, '05020000'), 'malformed'],
      ['SACK of length 12', header({}, '050c' + '00'.repeat(10)), 'malformed'],
      ['timestamps of length 8', header({}, '0808' + '00'.repeat(6)), 'malformed'],
    ];
    for (const [name, bytes, kind] of cases) {
      it(`${name} → ${kind}`, function () {
        const r = parseTcp(bytes);
        assert.equal(r.ok, false);
        if (!r.ok) {
          assert.equal(r.error.kind, kind, r.error.message);
          assert.equal(r.error.layer, 'tcp');
        }
        if (bytes.length >= 20 && kind === 'truncated') assert.equal(new TcpView(bytes).checkLen()?.kind, 'truncated');
      });
    }

    it('anything after EOL is padding and not checked', function () {
      const p = mustParse(header({}, '00ff0102'));
      assert.deepEqual(p.options, [{ kind: 'eol' }]);
    });

    it('unknown kinds of any length are kept verbatim', function () {
      const p = mustParse(header({}, 'fe02fd03aa010000'));
      assert.deepEqual(p.options, [{ kind: 254, data: new Uint8Array(0) }, { kind: 253, data: fromHex('aa') }, { kind: 'nop' }, { kind: 'eol' }]);
      assert.match(p.toString(), /options \[unknown-254,unknown-253 0xaa,nop,eol\]/);
    });
  });

  describe('checksum policy', function () {
    const bad = fromHex(SYN_HEX);
    bad[17] ^= 0x01;

    it("a bad checksum is kind 'checksum' under verify", function () {
      const r = parseTcp(bad, { pseudo: LO });
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.kind, 'checksum');
      assert.equal(new TcpView(bad).verifyChecksum(LO.src, LO.dst), false);
    });

    it('is accepted under ignore, and without a pseudo-header', function () {
      assert.ok(parseTcp(bad, { pseudo: LO, checksum: 'ignore' }).ok);
      assert.ok(parseTcp(bad).ok);
    });

    it('a different pseudo-header fails', function () {
      assert.equal(parseTcp(fromHex(SYN_HEX), { pseudo: { src: LO.src, dst: ipv4('127.0.0.2') } }).ok, false);
    });

    it('fillChecksum restores it; encode without a pseudo-header writes 0', function () {
      const b = Uint8Array.from(bad);
      new TcpView(b).fillChecksum(LO.src, LO.dst);
      assert.equal(toHex(b), SYN_HEX);
      const t = mustParse(b);
      assert.equal(new TcpView(t.encode()).checksum, 0);
      assert.equal(t.checksum, 0);
    });
  });

  describe('view setters', function () {
    it('write every field in place', function () {
      const b = new Tcp({ options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }], payload: fromHex('aabb') }).encode();
      const v = new TcpView(b);
      v.srcPort = 0xfffe;
      v.dstPort = 443;
      v.seq = 0xffff_ffff;
      v.ack = 0x8000_0000;
      v.flags = TcpFlag.FIN | TcpFlag.ACK;
      v.window = 65535;
      v.urgentPointer = 9;
      v.fillChecksum(LO.src, LO.dst);
      const t = mustParse(b, { pseudo: LO });
      assert.deepEqual(
        [t.srcPort, t.dstPort, t.seq, t.ack, t.flags, t.window, t.urgentPointer, toHex(t.payload)],
        [0xfffe, 443, 0xffff_ffff, 0x8000_0000, 0x11, 65535, 9, 'aabb'],
      );
      assert.equal(toHex(v.payload), 'aabb');
    });
  });

  // Random segments with random option lists.
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
    fc.constant<TcpOption>({ kind: 'nop' }),
    u16.map((mss): TcpOption => ({ kind: 'mss', mss })),
    fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
    fc.constant<TcpOption>({ kind: 'sackOK' }),
    fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map((bs): TcpOption => ({ kind: 'sack', blocks: bs.map(([left, right]) => ({ left, right })) })),
    fc.record({ tsval: u32, tsecr: u32 }).map(({ tsval, tsecr }): TcpOption => ({ kind: 'ts', tsval, tsecr })),
    fc
      .record({ kind: fc.integer({ min: 6, max: 255 }).filter((k) => k !== 8), data: fc.uint8Array({ maxLength: 10 }) })
      .map(({ kind, data }): TcpOption => ({ kind, data })),
    fc.constant<TcpOption>({ kind: 'eol' }),
  );
  const optionsArb = fc.array(optionArb, { maxLength: 8 }).filter((o) => new Tcp({ options: o }).headerLen() <= 60);
  const segmentArb = fc
    .record({
      srcPort: u16,
      dstPort: u16,
      seq: u32,
      ack: u32,
      flags: fc.integer({ min: 0, max: 0xfff }),
      window: u16,
      urgentPointer: u16,
      options: optionsArb,
      payload: fc.uint8Array({ maxLength: 64 }),
    })
    .map((init) => new Tcp(init));
  const pseudoArb = fc.record({ src: u32, dst: u32 });

  /** What parse gives back for an emitted option list: up to the first EOL, or the list plus the padding's EOL. */
  function expectedOptions(opts: readonly TcpOption[]): TcpOption[] {
    const eol = opts.findIndex((o) => o.kind === 'eol');
    if (eol >= 0) return opts.slice(0, eol + 1);
    let n = 0;
    for (const o of opts) n += rawLen(o);
    return n % 4 === 0 ? [...opts] : [...opts, { kind: 'eol' }];
  }
  function rawLen(o: TcpOption): number {
    switch (o.kind) {
      case 'eol':
      case 'nop':
        return 1;
      case 'mss':
        return 4;
      case 'wscale':
        return 3;
      case 'sackOK':
        return 2;
      case 'sack':
        return 2 + 8 * o.blocks.length;
      case 'ts':
        return 10;
      default:
        return 2 + o.data.length;
    }
  }

  describe('properties', function () {
    it('encode → parse is the identity (checksum verified)', function () {
      fc.assert(
        fc.property(segmentArb, pseudoArb, (t, pseudo) => {
          const b = t.encode(pseudo);
          // Untouched options re-emit byte for byte (bytes after an EOL included).
          assert.equal(toHex(mustParse(b).encode(pseudo)), toHex(b));
          const p = mustParse(b, { pseudo });
          assert.deepEqual(
            [p.srcPort, p.dstPort, p.seq, p.ack, p.flags, p.window, p.urgentPointer, p.checksum],
            [t.srcPort, t.dstPort, t.seq, t.ack, t.flags, t.window, t.urgentPointer, t.checksum],
          );
          assert.deepEqual(p.payload, t.payload);
          assert.deepEqual(p.options, expectedOptions(t.options));
        }),
        { numRuns: 3000 },
      );
    });

    it('serialize with an IPv4 outer layer gives the same checksum as encode(pseudo)', function () {
      fc.assert(
        fc.property(segmentArb, pseudoArb, (t, pseudo) => {
          const frame = serialize([new Ipv4({ src: pseudo.src, dst: pseudo.dst, protocol: 6 }), t], t.payload);
          assert.equal(toHex(frame.subarray(20)), toHex(t.encode(pseudo)));
        }),
        { numRuns: 500 },
      );
    });

    it('NAT rewrites (ports, then either address) keep the checksum valid', function () {
      fc.assert(
        fc.property(segmentArb, pseudoArb, u32, u16, u16, fc.boolean(), (t, pseudo, addr, sp, dp, rewriteSrc) => {
          const b = t.encode(pseudo);
          const v = new TcpView(b);
          tcpRewritePorts(v, sp, dp);
          const next = rewriteSrc ? { src: addr, dst: pseudo.dst } : { src: pseudo.src, dst: addr };
          tcpUpdateForAddressChange(v, rewriteSrc ? pseudo.src : pseudo.dst, addr);
          assert.ok(v.verifyChecksum(next.src, next.dst));
          const p = mustParse(b, { pseudo: next });
          assert.equal(p.srcPort, sp);
          assert.equal(p.dstPort, dp);
        }),
        { numRuns: 5000 },
      );
    });

    it('fuzzDecoder: random and mutated segments never throw; accepted ones decode, print and re-encode', function () {
      this.timeout(600_000);
      const validArb = fc.tuple(segmentArb, pseudoArb).map(([t, pseudo]) => t.encode(pseudo));
      fuzzDecoder((b) => {
        const r = parseTcp(b);
        if (r.ok) {
          r.value.toString();
          r.value.encode();
          void r.value.options;
          r.value.encode();
        }
        return r;
      }, validArb);
      fuzzDecoder((b) => parseTcp(b, { pseudo: LO }), validArb, 10_000);
    });
  });

  describe('tshark agreement', function () {
    const ETH = { src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') };

    /** Segments tshark should read cleanly: a handshake, data, SACK, FIN/RST, ECN and seeded random ones. */
    function segments(): { t: Tcp; src: number; dst: number }[] {
      const A = ipv4('10.0.0.1');
      const B = ipv4('10.0.0.2');
      const F = TcpFlag;
      const fixed: Tcp[] = [
        new Tcp({ srcPort: 49152, dstPort: 80, seq: 1000, flags: F.SYN, window: 64240, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', tsval: 1, tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }] }),
        new Tcp({ srcPort: 80, dstPort: 49152, seq: 5000, ack: 1001, flags: F.SYN | F.ACK | F.ECE, window: 65160, options: [{ kind: 'mss', mss: 1400 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'wscale', shift: 14 }] }),
        new Tcp({ srcPort: 49152, dstPort: 80, seq: 1001, ack: 5001, flags: F.PSH | F.ACK, window: 502, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', tsval: 0xfffffff0, tsecr: 77 }], payload: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n') }),
        new Tcp({ srcPort: 80, dstPort: 49152, seq: 5001, ack: 1019, flags: F.ACK, window: 509, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: 2000, right: 3000 }, { left: 4000, right: 5000 }, { left: 6000, right: 7000 }] }] }),
        new Tcp({ srcPort: 80, dstPort: 49152, seq: 5001, ack: 1019, flags: F.FIN | F.ACK | F.CWR, window: 509, payload: new Uint8Array(100) }),
        new Tcp({ srcPort: 49152, dstPort: 80, seq: 1019, ack: 5102, flags: F.RST | F.ACK | F.AE, window: 0 }),
        new Tcp({ srcPort: 1, dstPort: 2, seq: 1, ack: 0, flags: F.PSH | F.URG | F.ACK, window: 100, urgentPointer: 3, options: [{ kind: 253, data: fromHex('abcd') }], payload: new Uint8Array(10) }),
      ];
      const out = fixed.map((t) => (t.srcPort === 80 ? { t, src: B, dst: A } : { t, src: A, dst: B }));
      // Seeded random segments with options tshark knows; wscale ≤ 14 (RFC 7323 §2.3).
      const saneOpt: fc.Arbitrary<TcpOption> = fc.oneof(
        fc.constant<TcpOption>({ kind: 'nop' }),
        fc.integer({ min: 1, max: 0xffff }).map((mss): TcpOption => ({ kind: 'mss', mss })),
        fc.integer({ min: 0, max: 14 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
        fc.constant<TcpOption>({ kind: 'sackOK' }),
        fc.record({ tsval: u32, tsecr: u32 }).map(({ tsval, tsecr }): TcpOption => ({ kind: 'ts', tsval, tsecr })),
      );
      const arb = fc.record({
        srcPort: fc.integer({ min: 1024, max: 0xffff }),
        dstPort: fc.integer({ min: 1024, max: 0xffff }),
        seq: u32,
        ack: u32,
        flags: fc.constantFrom(F.ACK, F.PSH | F.ACK, F.SYN, F.SYN | F.ACK, F.FIN | F.ACK),
        window: u16,
        options: fc.array(saneOpt, { maxLength: 6 }).filter((o) => new Tcp({ options: o }).headerLen() <= 60),
        payload: fc.uint8Array({ maxLength: 40 }),
        src: u32.filter((a) => a >>> 24 !== 0 && a >>> 24 < 224 && a >>> 24 !== 127),
        dst: u32.filter((a) => a >>> 24 !== 0 && a >>> 24 < 224 && a >>> 24 !== 127),
      });
      for (const r of fc.sample(arb, { seed: 7, numRuns: 100 })) out.push({ t: new Tcp(r), src: r.src, dst: r.dst });
      return out;
    }

    it('tshark reads our frames cleanly and decodes the same fields', function () {
      this.timeout(180_000);
      requireTshark(this);
      const segs = segments();
      const frames = segs.map(({ t, src, dst }) =>
        serialize([new Ethernet({ ...ETH, etherType: 0x0800 }), new Ipv4({ src, dst, protocol: 6, ttl: 64, id: 1 }), t], t.payload),
      );
      const fields = ['tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.urgent_pointer', 'tcp.len',
        'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.sack_perm', 'tcp.options.sack_le', 'tcp.options.sack_re',
        'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'tcp.option_kind', 'tcp.checksum'];
      const pkts = tsharkReadFrames(frames, join(artifactDir('wire'), 'tcp.pcap'), segs.length, ['-o', 'tcp.relative_sequence_numbers:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE', ...fields.flatMap((f) => ['-e', f])]);
      assert.equal(pkts.length, segs.length);
      segs.forEach(({ t }, i) => {
        const L = pkts[i]!._source.layers;
        const get = (f: string): string[] => (L[f] as string[] | undefined) ?? [];
        const opts = t.options;
        const ctx = `frame ${i + 1}: ${t.toString()}`;
        const ackExpected = t.hasFlag(TcpFlag.ACK) ? [String(t.ack)] : get('tcp.ack_raw');
        assert.deepEqual(
          [get('tcp.srcport'), get('tcp.dstport'), get('tcp.seq_raw'), get('tcp.ack_raw'), get('tcp.window_size_value'), get('tcp.len')],
          [[String(t.srcPort)], [String(t.dstPort)], [String(t.seq)], ackExpected, [String(t.window)], [String(t.payload.length)]],
          ctx,
        );
        assert.equal(parseInt(get('tcp.flags')[0]!, 16), t.flags, ctx);
        assert.equal(parseInt(get('tcp.checksum')[0]!, 16), t.checksum, ctx);
        if (t.hasFlag(TcpFlag.URG)) assert.deepEqual(get('tcp.urgent_pointer'), [String(t.urgentPointer)], ctx);
        const pick = <K extends TcpOption['kind']>(k: K) => opts.filter((o): o is Extract<TcpOption, { kind: K }> => o.kind === k);
        assert.deepEqual(get('tcp.options.mss_val'), pick('mss').map((o) => String(o.mss)), ctx);
        assert.deepEqual(get('tcp.options.wscale.shift'), pick('wscale').map((o) => String(o.shift)), ctx);
        assert.equal(get('tcp.options.sack_perm').length, pick('sackOK').length, ctx);
        const blocks = pick('sack').flatMap((o) => o.blocks);
        assert.deepEqual(get('tcp.options.sack_le'), blocks.map((b) => String(b.left)), ctx);
        assert.deepEqual(get('tcp.options.sack_re'), blocks.map((b) => String(b.right)), ctx);
        assert.deepEqual(get('tcp.options.timestamp.tsval'), pick('ts').map((o) => String(o.tsval)), ctx);
        assert.deepEqual(get('tcp.options.timestamp.tsecr'), pick('ts').map((o) => String(o.tsecr)), ctx);
        const kinds = opts.map((o) => String(typeof o.kind === 'number' ? o.kind : { eol: 0, nop: 1, mss: 2, wscale: 3, sackOK: 4, sack: 5, ts: 8 }[o.kind]));
        assert.deepEqual(get('tcp.option_kind').slice(0, kinds.length), kinds, ctx);
      });
    });
  });
});
