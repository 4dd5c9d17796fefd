import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac, type Ipv4Addr } from '../../../engine/wire/addr.ts';
import { concatBytes, fromHex, setU16, toHex } from '../../../engine/wire/bytes.ts';
import { finish, internetChecksum, pseudoHeaderSum, sumWords } from '../../../engine/wire/checksum.ts';
import { ETHERTYPE_IPV4, Ethernet, parseEthernet } from '../../../engine/wire/ethernet.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_ERROR_MAX_QUOTE,
  ICMP_PARAM_PROBLEM,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  ICMP_TIMXCEED_INTRANS,
  ICMP_TIMXCEED_REASS,
  ICMP_UNREACH_HOST,
  ICMP_UNREACH_PORT,
  ICMP_UNREACH_PROTOCOL,
  Icmp,
  IcmpView,
  echoReplyTo,
  icmpDestUnreachable,
  icmpError,
  icmpErrorAllowed,
  icmpErrorQuote,
  icmpFragNeeded,
  icmpTimeExceeded,
  icmpTypeName,
  isIcmpErrorType,
  parseIcmp,
} from '../../../engine/wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4, ipv4Line, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { failureKind, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

const H1 = ipv4('10.0.0.1');
const H2 = ipv4('10.0.0.2');
const DATA = new TextEncoder().encode('abcdefgh');

// Echo request id 1 seq 1 "abcdefgh". Checksum by hand: 0800+0001+0001+6162+6364+6566+6768 = 0x19996
// → 0x9997 → ~ = 0x6668. The reply differs only in the type word: 0x6668 + 0x0800 = 0x6e68.
const ECHO_REQUEST = fromHex('08 00 6668 0001 0001 6162636465666768');
const ECHO_REPLY = fromHex('00 00 6e68 0001 0001 6162636465666768');
// In IPv4 10.0.0.1 → 10.0.0.2, id 1, ttl 64: header checksum by hand 0x66d6.
const ECHO_PACKET = concatBytes([fromHex('4500 0024 0001 0000 4001 66d6 0a000001 0a000002'), ECHO_REQUEST]);

/** An IPv4/UDP datagram with a correct UDP checksum (RFC 768), built by hand for the quotes. */
function udpDatagram(src: Ipv4Addr, dst: Ipv4Addr, sport: number, dport: number, data: Uint8Array, ttl = 64, df = false): Uint8Array {
  const udp = new Uint8Array(8 + data.length);
  setU16(udp, 0, sport);
  setU16(udp, 2, dport);
  setU16(udp, 4, udp.length);
  udp.set(data, 8);
  const c = finish(sumWords(udp, 0, udp.length, pseudoHeaderSum(src, dst, IPPROTO_UDP, udp.length)));
  setU16(udp, 6, c === 0 ? 0xffff : c);
  return new Ipv4({ src, dst, protocol: IPPROTO_UDP, ttl, df, id: 0x4242, payload: udp }).encode();
}

const PROBE = udpDatagram(H1, H2, 33434, 33434, new Uint8Array(0), 1);

describe('wire/icmp', () => {
  describe('echo, real bytes', () => {
    it('has the hand-computed checksums', () => {
      assert.equal(internetChecksum(ECHO_REQUEST), 0);
      assert.equal(internetChecksum(ECHO_REPLY), 0);
      assert.equal(internetChecksum(ECHO_PACKET, 0, 20), 0);
    });

    it('view reads the fields', () => {
      const v = new IcmpView(ECHO_REQUEST);
      assert.equal(v.checkLen(), null);
      assert.equal(v.type, ICMP_ECHO_REQUEST);
      assert.equal(v.code, 0);
      assert.equal(v.checksum, 0x6668);
      assert.equal(v.id, 1);
      assert.equal(v.seq, 1);
      assert.equal(v.rest, 0x00010001);
      assert.equal(toHex(v.payload), toHex(DATA));
      assert.equal(v.verifyChecksum(), true);
    });

    it('view setters and fillChecksum turn the request into the reply', () => {
      const b = Uint8Array.from(ECHO_REQUEST);
      const v = new IcmpView(b);
      v.type = ICMP_ECHO_REPLY;
      v.fillChecksum();
      assert.equal(toHex(b), toHex(ECHO_REPLY));
    });

    it('builds, parses and emits', () => {
      const req = Icmp.echoRequest(1, 1, DATA);
      assert.equal(toHex(req.encode()), toHex(ECHO_REQUEST));
      const p = must(parseIcmp(ECHO_REQUEST));
      assert.equal(p.type, ICMP_ECHO_REQUEST);
      assert.equal(p.code, 0);
      assert.equal(p.checksum, 0x6668);
      assert.equal(p.id, 1);
      assert.equal(p.seq, 1);
      assert.equal(p.payload.buffer, ECHO_REQUEST.buffer, 'payload aliases the input');
      assert.equal(toHex(p.encode()), toHex(ECHO_REQUEST));
      assert.equal(toHex(echoReplyTo(p).encode()), toHex(ECHO_REPLY));
      assert.equal(toHex(Icmp.echoReply(1, 1, DATA).encode()), toHex(ECHO_REPLY));
      const ip = new Ipv4({ id: 1, protocol: IPPROTO_ICMP, src: H1, dst: H2 });
      assert.equal(toHex(serialize([ip, req], req.payload)), toHex(ECHO_PACKET));
    });

    it('prints like tcpdump', () => {
      assert.equal(must(parseIcmp(ECHO_REQUEST)).toString(), 'ICMP echo request, id 1, seq 1, length 16');
      assert.equal(must(parseIcmp(ECHO_REPLY)).toString(), 'ICMP echo reply, id 1, seq 1, length 16');
      assert.equal(Icmp.echoRequest(1, 1, new Uint8Array(56)).toString(), 'ICMP echo request, id 1, seq 1, length 64');
      const ip = must(parseIpv4(ECHO_PACKET));
      assert.equal(ipv4Line(ip, must(parseIcmp(ip.payload)).toString()), 'IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 16');
    });
  });

  describe('errors', () => {
    it('port unreachable quotes the UDP probe and names its port', () => {
      const e = icmpDestUnreachable(ICMP_UNREACH_PORT, PROBE);
      assert.equal(e.type, ICMP_DEST_UNREACH);
      assert.equal(e.code, ICMP_UNREACH_PORT);
      assert.equal(e.rest, 0);
      assert.equal(toHex(e.payload), toHex(PROBE));
      assert.ok(e.isError());
      assert.equal(e.toString(), 'ICMP 10.0.0.2 udp port 33434 unreachable, length 36');
      const p = must(parseIcmp(e.encode()));
      const q = must(p.quoted());
      assert.equal(q.src, H1);
      assert.equal(q.dst, H2);
      assert.equal(q.protocol, IPPROTO_UDP);
      assert.equal(q.ttl, 1);
      assert.equal(p.toString(), e.toString());
    });

    it('names TCP ports, protocols and hosts like tcpdump', () => {
      const tcp = new Ipv4({ src: H1, dst: H2, protocol: IPPROTO_TCP, payload: fromHex('c000 0050 00000001 00000000 5002 ffff 0000 0000') }).encode();
      assert.equal(icmpDestUnreachable(ICMP_UNREACH_PORT, tcp).toString(), 'ICMP 10.0.0.2 tcp port 80 unreachable, length 48');
      assert.equal(icmpDestUnreachable(ICMP_UNREACH_PROTOCOL, tcp).toString(), 'ICMP 10.0.0.2 protocol 6 unreachable, length 48');
      assert.equal(icmpDestUnreachable(ICMP_UNREACH_HOST, tcp).toString(), 'ICMP host 10.0.0.2 unreachable, length 48');
      assert.equal(icmpDestUnreachable(13, tcp).toString(), 'ICMP host 10.0.0.2 unreachable - admin prohibited filter, length 48');
      assert.equal(icmpDestUnreachable(99, tcp).toString(), 'ICMP #99 10.0.0.2 unreachable, length 48');
      assert.equal(new Icmp({ type: ICMP_DEST_UNREACH, code: 1, payload: new Uint8Array(3) }).toString(), 'ICMP destination unreachable, code 1, length 11');
    });

    it('fragmentation needed carries the next-hop MTU (RFC 1191) and a 548-byte quote', () => {
      const big = udpDatagram(H1, ipv4('10.0.0.9'), 40000, 9, new Uint8Array(1472), 63, true);
      assert.equal(big.length, 1500);
      const e = icmpFragNeeded(big, 1400);
      assert.equal(e.mtu, 1400);
      assert.equal(e.rest, 1400, 'bytes 4-5 unused, 6-7 the MTU');
      assert.equal(e.payload.length, ICMP_ERROR_MAX_QUOTE);
      assert.equal(ICMP_ERROR_MAX_QUOTE, 548);
      assert.equal(e.toString(), 'ICMP 10.0.0.9 unreachable - need to frag (mtu 1400), length 556');
      const b = e.encode();
      assert.equal(toHex(b.subarray(0, 8)), `0304${toHex(b.subarray(2, 4))}00000578`);
      assert.equal(new IcmpView(b).mtu, 1400);
      assert.equal(must(parseIcmp(b)).mtu, 1400);
      e.mtu = 0;
      assert.equal(e.toString(), 'ICMP 10.0.0.9 unreachable - need to frag, length 556');
    });

    it('time exceeded in transit and in reassembly', () => {
      assert.equal(icmpTimeExceeded(ICMP_TIMXCEED_INTRANS, PROBE).toString(), 'ICMP time exceeded in-transit, length 36');
      assert.equal(icmpTimeExceeded(ICMP_TIMXCEED_REASS, PROBE).toString(), 'ICMP ip reassembly time exceeded, length 36');
      assert.equal(icmpTimeExceeded(5, PROBE).toString(), 'ICMP time exceeded-#5, length 36');
    });

    it('parameter problem and redirect read their rest-of-header', () => {
      const pp = icmpError(ICMP_PARAM_PROBLEM, 0, PROBE, { rest: 0x08000000 });
      assert.equal(pp.pointer, 8);
      assert.equal(pp.toString(), 'ICMP parameter problem - octet 8, length 36');
      const rd = icmpError(ICMP_REDIRECT, 1, PROBE, { rest: ipv4('10.0.0.254') });
      assert.equal(rd.gateway, ipv4('10.0.0.254'));
      assert.equal(rd.toString(), 'ICMP redirect 10.0.0.2 to host 10.0.0.254, length 36');
    });

    it('quotes never past the total length, at most max bytes, and copies', () => {
      const padded = new Uint8Array(PROBE.length + 18);
      padded.set(PROBE);
      padded.fill(0xee, PROBE.length);
      const q = icmpErrorQuote(padded);
      assert.equal(toHex(q), toHex(PROBE), 'Ethernet padding is not quoted');
      assert.notEqual(q.buffer, padded.buffer);
      assert.equal(icmpErrorQuote(padded, 24).length, 24);
      assert.equal(icmpErrorQuote(new Uint8Array(2)).length, 2);
      assert.equal(icmpDestUnreachable(ICMP_UNREACH_PORT, PROBE, 20).payload.length, 20);
    });

    it('are not sent about errors, later fragments, broadcasts or odd sources (RFC 1812 §4.3.2.7)', () => {
      assert.equal(icmpErrorAllowed(PROBE), true);
      assert.equal(icmpErrorAllowed(ECHO_PACKET), true, 'an echo request is not an error');
      const errPkt = new Ipv4({ src: H2, dst: H1, protocol: IPPROTO_ICMP, payload: icmpDestUnreachable(3, PROBE).encode() }).encode();
      assert.equal(icmpErrorAllowed(errPkt), false);
      const mk = (o: ConstructorParameters<typeof Ipv4>[0]) => new Ipv4({ src: H1, dst: H2, protocol: IPPROTO_UDP, ...o, payload: new Uint8Array(8) }).encode();
      assert.equal(icmpErrorAllowed(mk({ fragOffset: 185 })), false);
      assert.equal(icmpErrorAllowed(mk({ mf: true })), true, 'the first fragment may be answered');
      assert.equal(icmpErrorAllowed(mk({ dst: ipv4('224.0.0.5') })), false);
      assert.equal(icmpErrorAllowed(mk({ dst: ipv4('255.255.255.255') })), false);
      assert.equal(icmpErrorAllowed(mk({ src: 0 })), false);
      assert.equal(icmpErrorAllowed(mk({ src: ipv4('127.0.0.1') })), false);
      assert.equal(icmpErrorAllowed(mk({ src: ipv4('240.0.0.1') })), false);
      assert.equal(icmpErrorAllowed(new Uint8Array(19)), false);
      assert.equal(icmpErrorAllowed(new Uint8Array(20)), false, 'version 0');
    });
  });

  describe('bad and unknown input', () => {
    it('is truncated below 8 bytes', () => {
      assert.equal(failureKind(parseIcmp(ECHO_REQUEST.subarray(0, 7))), 'truncated');
      assert.equal(failureKind(parseIcmp(new Uint8Array(0))), 'truncated');
      assert.equal(new IcmpView(ECHO_REQUEST.subarray(0, 7)).checkLen()?.kind, 'truncated');
    });

    it('reports a bad checksum under verify and accepts it under ignore', () => {
      const b = Uint8Array.from(ECHO_REQUEST);
      b[15] ^= 0x20; // the data is covered too
      assert.equal(failureKind(parseIcmp(b)), 'checksum');
      assert.equal(failureKind(parseIcmp(b, { checksum: 'verify' })), 'checksum');
      assert.equal(must(parseIcmp(b, { checksum: 'ignore' })).checksum, 0x6668);
      assert.equal(new IcmpView(b).verifyChecksum(), false);
    });

    it('keeps unknown types with their raw rest-of-header', () => {
      const m = new Icmp({ type: 42, code: 7, rest: 0xdeadbeef, payload: Uint8Array.of(1, 2, 3) });
      const p = must(parseIcmp(m.encode()));
      assert.equal(p.type, 42);
      assert.equal(p.code, 7);
      assert.equal(p.rest, 0xdeadbeef);
      assert.equal(toHex(p.payload), '010203');
      assert.equal(p.isError(), false);
      assert.equal(p.toString(), 'ICMP type-#42, length 11');
      assert.equal(icmpTypeName(ICMP_TIME_EXCEEDED), 'time exceeded');
      assert.equal(isIcmpErrorType(ICMP_TIME_EXCEEDED), true);
      assert.equal(isIcmpErrorType(ICMP_ECHO_REQUEST), false);
    });

    it('throws on fields that do not fit (programmer errors)', () => {
      assert.throws(() => new Icmp({ type: 256 }).encode(), RangeError);
      assert.throws(() => Icmp.echoRequest(0x10000, 0), RangeError);
      assert.throws(() => icmpFragNeeded(PROBE, 70000), RangeError);
    });
  });

  const icmpArb = fc
    .record({
      type: fc.oneof(fc.constantFrom(0, 3, 5, 8, 11, 12), fc.integer({ min: 0, max: 255 })),
      code: fc.integer({ min: 0, max: 255 }),
      rest: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(PROBE)),
    })
    .map((r) => new Icmp(r));

  it('encode → parse is the identity (property)', () => {
    fc.assert(
      fc.property(icmpArb, (m) => {
        const b = m.encode();
        assert.equal(internetChecksum(b), 0);
        const p = must(parseIcmp(b));
        assert.equal(p.type, m.type);
        assert.equal(p.code, m.code);
        assert.equal(p.rest, m.rest);
        assert.equal(toHex(p.payload), toHex(m.payload));
        assert.equal(toHex(p.encode()), toHex(b));
        assert.equal(typeof p.toString(), 'string');
      }),
    );
  });

  it('never throws on random or mutated input (fuzz)', function () {
    this.timeout(600_000);
    fuzzDecoder(parseIcmp, icmpArb.map((m) => m.encode()));
  });

  it('toString never throws on an ignored-checksum parse of anything (fuzz, fewer runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 80 }), (b) => {
        assert.equal(typeof must(parseIcmp(b, { checksum: 'ignore' })).toString(), 'string');
      }),
      { numRuns: 20_000 },
    );
  });

  it('tshark agrees on echo, port unreachable, frag needed and time exceeded', function () {
    requireTshark(this);
    const R = ipv4('10.0.0.254');
    const big = udpDatagram(H1, ipv4('10.0.0.9'), 40000, 9, new Uint8Array(1472), 63, true);
    const req = Icmp.echoRequest(0x1234, 7, new Uint8Array(56).map((_, i) => i));
    const msgs: [Ipv4Addr, Ipv4Addr, Icmp][] = [
      [H1, H2, req],
      [H2, H1, echoReplyTo(req)],
      [H2, H1, icmpDestUnreachable(ICMP_UNREACH_PORT, PROBE)],
      [R, H1, icmpFragNeeded(big, 1400)],
      [R, H1, icmpTimeExceeded(ICMP_TIMXCEED_INTRANS, PROBE)],
    ];
    const frames = msgs.map(([src, dst, m]) =>
      serialize(
        [new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02'), etherType: ETHERTYPE_IPV4, pad: true }), new Ipv4({ src, dst, protocol: IPPROTO_ICMP, df: true }), m],
        m.payload,
      ),
    );
    const pkts = tsharkReadFrames(frames, join(artifactDir('wire', 'icmp'), 'icmp.pcap'), msgs.length);
    assert.equal(pkts.length, msgs.length);
    msgs.forEach(([src, dst, ours], i) => {
      const l = pkts[i]!._source.layers;
      const t = l.icmp;
      assert.equal(ipv4(l.ip['ip.src']), src);
      assert.equal(ipv4(l.ip['ip.dst']), dst);
      assert.equal(Number(t['icmp.type']), ours.type);
      assert.equal(Number(t['icmp.code']), ours.code);
      assert.equal(t['icmp.checksum.status'], '1', 'good');
      const parsed = must(parseIcmp(must(parseIpv4(must(parseEthernet(frames[i]!)).payload)).payload));
      assert.equal(Number(t['icmp.checksum']), parsed.checksum);
      if (ours.type === ICMP_ECHO_REQUEST || ours.type === ICMP_ECHO_REPLY) {
        assert.equal(Number(t['icmp.ident']), ours.id);
        assert.equal(Number(t['icmp.seq']), ours.seq);
      } else {
        const q = must(ours.quoted());
        assert.equal(ipv4(t.ip['ip.src']), q.src);
        assert.equal(ipv4(t.ip['ip.dst']), q.dst);
        assert.equal(Number(t.ip['ip.ttl']), q.ttl);
        assert.equal(Number(t.udp['udp.dstport']), q.protocol === IPPROTO_UDP ? (q.payload[2]! << 8) | q.payload[3]! : NaN);
      }
      if (ours.code === 4 && ours.type === ICMP_DEST_UNREACH) assert.equal(Number(t['icmp.mtu']), 1400);
    });
  });
});
