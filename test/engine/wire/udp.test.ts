import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import { Ethernet } from '../../../engine/wire/ethernet.ts';
import { Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Udp, UdpView, formatUdp, parseUdp, udpRewritePorts, udpUpdateForAddressChange } from '../../../engine/wire/udp.ts';
import { must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

const LO = { src: ipv4('127.0.0.1'), dst: ipv4('127.0.0.1') };

// A real datagram from a Linux loopback capture (IP payload). Loopback leaves a partial checksum in
// the field; it holds the value tcpdump -vv computed as correct (0x8ac1), an independent oracle.
const DGRAM_HEX = '946f151700188ac170696e672d7564702d7061796c6f6164';
const DGRAM_LINE = '127.0.0.1.37999 > 127.0.0.1.5399: UDP, length 16';

function mustParse(b: Uint8Array, opts?: Parameters<typeof parseUdp>[1]): Udp {
  return must(parseUdp(b, opts));
}

describe('udp', function () {
  describe('real datagram', function () {
    const bytes = fromHex(DGRAM_HEX);

    it('view reads the fields', function () {
      const v = new UdpView(bytes);
      assert.equal(v.checkLen(), null);
      assert.equal(v.srcPort, 37999);
      assert.equal(v.dstPort, 5399);
      assert.equal(v.length, 24);
      assert.equal(v.checksum, 0x8ac1);
      assert.equal(new TextDecoder().decode(v.payload), 'ping-udp-payload');
      assert.ok(v.verifyChecksum(LO.src, LO.dst));
    });

    it('a value built from the fields encodes to the same bytes (checksum 0x8ac1)', function () {
      const u = new Udp({ srcPort: 37999, dstPort: 5399, payload: new TextEncoder().encode('ping-udp-payload') });
      assert.equal(toHex(u.encode(LO)), DGRAM_HEX);
      assert.equal(u.checksum, 0x8ac1);
    });

    it('parses, verifying the checksum, and prints like tcpdump -nn', function () {
      const u = mustParse(bytes, { pseudo: LO });
      assert.deepEqual([u.srcPort, u.dstPort, u.checksum, u.payload.length], [37999, 5399, 0x8ac1, 16]);
      assert.equal(u.toString(LO), DGRAM_LINE);
      assert.equal(formatUdp(u, LO.src, LO.dst), DGRAM_LINE);
      assert.equal(u.toString(), '37999 > 5399: UDP, length 16');
    });

    it('the parsed value emits the same bytes, alone and under IPv4', function () {
      const u = mustParse(bytes);
      assert.equal(toHex(u.encode(LO)), DGRAM_HEX);
      const ip = new Ipv4({ src: LO.src, dst: LO.dst, protocol: 17 });
      assert.equal(toHex(serialize([ip, u], u.payload).subarray(20)), DGRAM_HEX);
    });

    it('the example from the brief', function () {
      const u = new Udp({ srcPort: 5353, dstPort: 53, payload: new Uint8Array(20) });
      assert.equal(u.toString({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2') }), '10.0.0.1.5353 > 10.0.0.2.53: UDP, length 20');
    });
  });

  describe('length field', function () {
    it('< 8 is malformed', function () {
      for (const len of [0, 1, 7]) {
        const b = fromHex('0001000200000000');
        b[5] = len;
        const r = parseUdp(b);
        assert.ok(!r.ok && r.error.kind === 'malformed', `length ${len}`);
        assert.equal(new UdpView(b).checkLen()?.kind, 'malformed');
      }
    });

    it('beyond the bytes is truncated; a short header is truncated', function () {
      const r = parseUdp(fromHex('000100020009000000'.slice(0, 16)));
      assert.ok(!r.ok && r.error.kind === 'truncated');
      assert.equal(new UdpView(fromHex(DGRAM_HEX).subarray(0, 23)).checkLen()?.kind, 'truncated');
      for (let n = 0; n < 8; n++) {
        const t = parseUdp(fromHex(DGRAM_HEX).subarray(0, n));
        assert.ok(!t.ok && t.error.kind === 'truncated' && t.error.layer === 'udp', `${n} bytes`);
      }
    });

    it('extra bytes beyond the length (Ethernet padding) are ignored, checksum included', function () {
      const b = new Uint8Array(DGRAM_HEX.length / 2 + 6);
      b.set(fromHex(DGRAM_HEX));
      b.fill(0xee, 24);
      const u = mustParse(b, { pseudo: LO });
      assert.equal(u.payload.length, 16);
      assert.equal(new UdpView(b).payload.length, 16);
      assert.ok(new UdpView(b).verifyChecksum(LO.src, LO.dst));
    });

    it('emit refuses fields that do not fit (programmer errors)', function () {
      assert.throws(() => new Udp({ srcPort: -1 }).encode(), RangeError);
      assert.throws(() => new Udp({ dstPort: 65536 }).encode(), RangeError);
      assert.throws(() => new Udp({ payload: new Uint8Array(65535 - 7) }).encode(), RangeError);
      assert.throws(() => new Udp().emitHeader(new Uint8Array(7), 0, 0, undefined), RangeError);
    });
  });

  describe('checksum', function () {
    const bad = fromHex(DGRAM_HEX);
    bad[7] ^= 0x10;

    it("a bad checksum is kind 'checksum' under verify", function () {
      const r = parseUdp(bad, { pseudo: LO });
      assert.ok(!r.ok && r.error.kind === 'checksum');
      assert.equal(new UdpView(bad).verifyChecksum(LO.src, LO.dst), false);
    });

    it('is accepted under ignore, and when no pseudo-header is given', function () {
      assert.ok(parseUdp(bad, { pseudo: LO, checksum: 'ignore' }).ok);
      assert.ok(parseUdp(bad).ok);
    });

    it('a received 0 means no checksum and is accepted', function () {
      const b = fromHex(DGRAM_HEX);
      b[6] = 0;
      b[7] = 0;
      assert.ok(parseUdp(b, { pseudo: LO }).ok);
      assert.ok(new UdpView(b).verifyChecksum(ipv4('1.2.3.4'), LO.dst));
    });

    it('a computed 0 is sent as 0xffff', function () {
      // Payload word chosen so the one's complement sum is 0xffff, i.e. the checksum computes to 0.
      const u = new Udp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) });
      const pseudo = { src: 0, dst: 0 };
      const sum = 17 + 10 + 1 + 2 + 10; // protocol, pseudo length, ports, length field
      u.payload = fromHex((0xffff - sum).toString(16).padStart(4, '0'));
      const b = u.encode(pseudo);
      assert.equal(new UdpView(b).checksum, 0xffff);
      assert.ok(parseUdp(b, { pseudo }).ok);
      const v = new UdpView(b);
      v.fillChecksum(0, 0);
      assert.equal(v.checksum, 0xffff);
    });

    it('encode without a pseudo-header sends 0 (no checksum)', function () {
      const u = new Udp({ srcPort: 9, dstPort: 9, payload: fromHex('01') });
      assert.equal(toHex(u.encode()), '000900090009000001');
    });
  });

  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const dgramArb = fc
    .record({ srcPort: u16, dstPort: u16, payload: fc.uint8Array({ maxLength: 128 }) })
    .map((init) => new Udp(init));
  const pseudoArb = fc.record({ src: u32, dst: u32 });

  describe('properties', function () {
    it('encode → parse is the identity (checksum verified)', function () {
      fc.assert(
        fc.property(dgramArb, pseudoArb, (u, pseudo) => {
          const b = u.encode(pseudo);
          const p = mustParse(b, { pseudo });
          assert.deepEqual([p.srcPort, p.dstPort, p.checksum], [u.srcPort, u.dstPort, u.checksum]);
          assert.notEqual(p.checksum, 0);
          assert.deepEqual(p.payload, u.payload);
          assert.equal(toHex(p.encode(pseudo)), toHex(b));
        }),
        { numRuns: 3000 },
      );
    });

    it('NAT rewrites keep the checksum valid, and leave a 0 checksum at 0', function () {
      fc.assert(
        fc.property(dgramArb, pseudoArb, u32, u16, u16, fc.boolean(), fc.boolean(), (u, pseudo, addr, sp, dp, rewriteSrc, none) => {
          const b = none ? u.encode() : u.encode(pseudo);
          const v = new UdpView(b);
          udpRewritePorts(v, sp, dp);
          const next = rewriteSrc ? { src: addr, dst: pseudo.dst } : { src: pseudo.src, dst: addr };
          udpUpdateForAddressChange(v, rewriteSrc ? pseudo.src : pseudo.dst, addr);
          if (none) assert.equal(v.checksum, 0);
          else {
            assert.notEqual(v.checksum, 0);
            assert.ok(v.verifyChecksum(next.src, next.dst));
            // Same value a full recompute gives (0xffff stands for a computed 0 in both).
            const full = Uint8Array.from(b);
            new UdpView(full).fillChecksum(next.src, next.dst);
            assert.equal(v.checksum, new UdpView(full).checksum);
          }
          const p = mustParse(b, { pseudo: next });
          assert.deepEqual([p.srcPort, p.dstPort], [sp, dp]);
        }),
        { numRuns: 5000 },
      );
    });

    it('fuzzDecoder: random and mutated datagrams never throw', function () {
      this.timeout(600_000);
      const validArb = fc.tuple(dgramArb, pseudoArb).map(([u, p]) => u.encode(p));
      fuzzDecoder((b) => {
        const r = parseUdp(b);
        if (r.ok) {
          r.value.toString();
          r.value.encode();
        }
        return r;
      }, validArb);
      fuzzDecoder((b) => parseUdp(b, { pseudo: LO }), validArb, 10_000);
    });
  });

  describe('tshark agreement', function () {
    it('tshark reads our frames cleanly and decodes the same fields', function () {
      this.timeout(180_000);
      requireTshark(this);
      const eth = new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02'), etherType: 0x0800, pad: true });
      // Ports away from well-known services so tshark's heuristics do not dissect the random payloads.
      const arb = fc.record({
        srcPort: fc.integer({ min: 40000, max: 0xffff }),
        dstPort: fc.integer({ min: 40000, max: 0xffff }),
        payload: fc.uint8Array({ maxLength: 100 }),
        src: u32.filter((a) => a >>> 24 !== 0 && a >>> 24 < 224 && a >>> 24 !== 127),
        dst: u32.filter((a) => a >>> 24 !== 0 && a >>> 24 < 224 && a >>> 24 !== 127),
        none: fc.boolean(),
      });
      const cases = fc.sample(arb, { seed: 11, numRuns: 100 });
      const udps = cases.map((c) => new Udp(c));
      const frames = cases.map((c, i) => {
        const ip = new Ipv4({ src: c.src, dst: c.dst, protocol: 17, id: i });
        const f = serialize([eth, ip, udps[i]!], c.payload);
        if (c.none) new UdpView(f.subarray(34)).checksum = 0;
        return f;
      });
      const fields = ['udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum', 'udp.checksum.status'];
      const pkts = tsharkReadFrames(frames, join(artifactDir('wire'), 'udp.pcap'), frames.length, fields.flatMap((f) => ['-e', f]));
      assert.equal(pkts.length, frames.length);
      cases.forEach((c, i) => {
        const L = pkts[i]!._source.layers;
        const ctx = `frame ${i + 1}: ${udps[i]!.toString(c)}`;
        assert.deepEqual(L['udp.srcport'], [String(c.srcPort)], ctx);
        assert.deepEqual(L['udp.dstport'], [String(c.dstPort)], ctx);
        assert.deepEqual(L['udp.length'], [String(8 + c.payload.length)], ctx);
        assert.equal(parseInt(L['udp.checksum'][0], 16), c.none ? 0 : udps[i]!.checksum, ctx);
        // Wireshark's checksum status: 1 = good, 3 = not present (a 0 field).
        assert.deepEqual(L['udp.checksum.status'], [c.none ? '3' : '1'], ctx);
      });
    });
  });
});
