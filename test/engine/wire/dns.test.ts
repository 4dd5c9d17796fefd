import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import {
  DNS_MAX_POINTER_HOPS,
  DNS_PORT,
  Dns,
  DnsClass,
  DnsRcode,
  DnsType,
  DnsView,
  dnsClassName,
  dnsNameLabels,
  dnsOpcodeName,
  dnsQuestion,
  dnsRcodeName,
  dnsRecord,
  dnsTypeName,
  parseDns,
  type DnsRdata,
  type DnsRecord,
} from '../../../engine/wire/dns.ts';
import { Ethernet } from '../../../engine/wire/ethernet.ts';
import { IPPROTO_UDP, Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Udp } from '../../../engine/wire/udp.ts';
import { failure, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { artifactDir } from '../../support/tools.ts';
import { fieldValues, requireTshark, tsharkReadFrames } from '../../support/tshark.ts';

/**
 * A real exchange: frames 1 and 2 of node_modules/pcap-parser/test/smtp.pcap (10.10.1.4:56166 asks
 * 10.10.1.1:53 for mail.patriots.in; the answer compresses every name against earlier ones).
 */
const QUERY_HEX = '7956 0100 0001 0000 0000 0000 046d61696c 0870617472696f7473 02696e 00 0001 0001';
const RESPONSE_HEX =
  '7956 8180 0001 0002 0002 0000' +
  ' 046d61696c 0870617472696f7473 02696e 00 0001 0001' + // question at 12; "patriots.in" starts at 17
  ' c00c 0005 0001 00002a4b 0002 c011' + // mail.patriots.in CNAME patriots.in
  ' c011 0001 0001 00002a4c 0004 4a358c99' + // patriots.in A 74.53.140.153
  ' c011 0002 0001 0001438c 0006 036e7332c011' + // patriots.in NS ns2.patriots.in
  ' c011 0002 0001 0001438c 0006 036e7331c011'; // patriots.in NS ns1.patriots.in
const QUERY = fromHex(QUERY_HEX);
const RESPONSE = fromHex(RESPONSE_HEX);

function expectedQuery(): Dns {
  return new Dns({ id: 0x7956, rd: true, questions: [dnsQuestion('mail.patriots.in', DnsType.A)] });
}

function expectedResponse(): Dns {
  return new Dns({
    id: 0x7956,
    qr: true,
    rd: true,
    ra: true,
    questions: [dnsQuestion('mail.patriots.in')],
    answers: [
      dnsRecord({ name: 'mail.patriots.in', ttl: 10827, data: { kind: 'CNAME', name: 'patriots.in' } }),
      dnsRecord({ name: 'patriots.in', ttl: 10828, data: { kind: 'A', address: ipv4('74.53.140.153') } }),
    ],
    authorities: [
      dnsRecord({ name: 'patriots.in', ttl: 82828, data: { kind: 'NS', name: 'ns2.patriots.in' } }),
      dnsRecord({ name: 'patriots.in', ttl: 82828, data: { kind: 'NS', name: 'ns1.patriots.in' } }),
    ],
  });
}

/** www.example.com CNAME web.example.com A 13.246.100.25, as a server that compresses only against the question. */
const LOOSE_RESPONSE_HEX =
  '1234 8580 0001 0002 0000 0000' +
  ' 03777777 076578616d706c65 03636f6d 00 0001 0001' +
  ' c00c 0005 0001 0000012c 0006 03776562c010' +
  ' 03776562c010 0001 0001 0000012c 0004 0df66419'; // owner written as "web" + pointer, not a pointer to the CNAME data

/** A header with the given counts, followed by `body` hex. */
function msg(counts: [number, number, number, number], body: string): Uint8Array {
  const h = counts.map((c) => c.toString(16).padStart(4, '0')).join('');
  return fromHex(`abcd 8180 ${h} ${body}`);
}

/** Uncompressed wire size of a name text (independent count, for the compression tests). */
function plainNameLen(name: string): number {
  return dnsNameLabels(name).reduce((n, l) => n + 1 + l.length, 1);
}

describe('engine/wire/dns', () => {
  describe('real exchange (smtp.pcap, mail.patriots.in)', () => {
    it('deconstructs the query header with the view', () => {
      const v = new DnsView(QUERY);
      assert.equal(v.checkLen(), null);
      assert.equal(v.id, 0x7956);
      assert.equal(v.flags, 0x0100);
      assert.deepEqual([v.qr, v.opcode, v.aa, v.tc, v.rd, v.ra, v.z, v.ad, v.cd, v.rcode], [false, 0, false, false, true, false, false, false, false, 0]);
      assert.deepEqual([v.qdcount, v.ancount, v.nscount, v.arcount], [1, 0, 0, 0]);
      assert.equal(v.payload.length, QUERY.length - 12);
      assert.equal(v.payload.buffer, QUERY.buffer, 'the payload aliases the input');
    });

    it('deconstructs the response header with the view', () => {
      const v = new DnsView(RESPONSE);
      assert.equal(v.flags, 0x8180);
      assert.deepEqual([v.qr, v.aa, v.rd, v.ra, v.rcode], [true, false, true, true, 0]);
      assert.deepEqual([v.qdcount, v.ancount, v.nscount, v.arcount], [1, 2, 2, 0]);
    });

    it('view setters write each field and keep the others', () => {
      const b = Uint8Array.from(RESPONSE);
      const v = new DnsView(b);
      v.id = 0xbeef;
      v.aa = true;
      v.opcode = 5;
      v.rcode = DnsRcode.NXDOMAIN;
      v.cd = true;
      v.arcount = 7;
      assert.equal(v.id, 0xbeef);
      assert.deepEqual([v.qr, v.opcode, v.aa, v.rd, v.ra, v.cd, v.rcode], [true, 5, true, true, true, true, 3]);
      assert.equal(v.arcount, 7);
      v.aa = false;
      v.opcode = 0;
      v.rcode = 0;
      v.cd = false;
      assert.equal(v.flags, 0x8180);
    });

    it('parses the query', () => {
      const q = must(parseDns(QUERY));
      assert.deepEqual(q, expectedQuery());
      assert.equal(String(q), '31062+ A? mail.patriots.in. (34)');
    });

    it('parses the response, following every compression pointer', () => {
      const r = must(parseDns(RESPONSE));
      assert.deepEqual(r, expectedResponse());
      assert.equal(String(r), '31062 2/2/0 CNAME patriots.in., A 74.53.140.153 (100)');
    });

    it('constructs the same bytes the server sent (same compression choices)', () => {
      assert.equal(toHex(expectedQuery().encode()), toHex(QUERY));
      assert.equal(toHex(expectedResponse().encode()), toHex(RESPONSE));
    });

    it('emits through serialize, and into a larger buffer at an offset', () => {
      assert.equal(toHex(serialize([expectedResponse()])), toHex(RESPONSE));
      const r = expectedResponse();
      const buf = new Uint8Array(RESPONSE.length + 10);
      r.emitHeader(buf, 10, 0, undefined);
      assert.equal(toHex(buf.subarray(10)), toHex(RESPONSE));
      assert.equal(r.headerLen(), RESPONSE.length);
      assert.throws(() => r.emitHeader(new Uint8Array(50), 0, 0, undefined), RangeError);
    });

    it('keeps bytes after the last record as payload', () => {
      const withTrailer = fromHex(QUERY_HEX + ' dead');
      const q = must(parseDns(withTrailer));
      assert.equal(toHex(q.payload), 'dead');
      assert.equal(toHex(q.encode()), toHex(withTrailer));
    });
  });

  describe('record types', () => {
    it('AAAA in RFC 5952 text; SOA, PTR, MX typed; unknown types and classes kept raw', () => {
      const v6 = fromHex('20010db8000000000000000000000001');
      const m = new Dns({
        id: 1,
        qr: true,
        aa: true,
        ra: true,
        rcode: DnsRcode.NXDOMAIN,
        questions: [dnsQuestion('nope.example.com', DnsType.AAAA)],
        answers: [
          dnsRecord({ name: 'v6.example.com', ttl: 60, data: { kind: 'AAAA', address: v6 } }),
          dnsRecord({ name: '25.100.246.13.in-addr.arpa', ttl: 60, data: { kind: 'PTR', name: 'web.example.com' } }),
          dnsRecord({ name: 'example.com', ttl: 60, data: { kind: 'MX', preference: 10, exchange: 'mail.example.com' } }),
          dnsRecord({ name: 'example.com', type: DnsType.TXT, ttl: 60, data: { kind: 'raw', bytes: fromHex('0568656c6c6f') } }),
          dnsRecord({ name: 'version.bind', class: DnsClass.CH, type: DnsType.A, data: { kind: 'raw', bytes: fromHex('0102') } }),
        ],
        authorities: [
          dnsRecord({
            name: 'example.com',
            ttl: 3600,
            data: {
              kind: 'SOA',
              mname: 'ns.icann.org',
              rname: 'noc.dns.icann.org',
              serial: 2024081464,
              refresh: 7200,
              retry: 3600,
              expire: 1209600,
              minimum: 3600,
            },
          }),
        ],
        additionals: [dnsRecord({ name: '', type: DnsType.OPT, class: 1232, ttl: 0x8000, data: { kind: 'raw', bytes: new Uint8Array(0) } })],
      });
      const back = must(parseDns(m.encode()));
      assert.deepEqual(back, m);
      // As tcpdump 4.99 prints this message (print-domain.c names: NXDomain, CHAOS; TXT quoted)...
      assert.match(String(back), /^1 NXDomain\* 5\/1\/1 AAAA 2001:db8::1, PTR web\.example\.com\., MX mail\.example\.com\. 10, TXT "hello", CHAOS A /);
      // ...up to the 2-byte A record: tcpdump reads 4 bytes for an A whatever its length; pktlab shows the 2 there are.
      assert.match(String(back), / CHAOS A \[2 bytes\] \(\d+\)$/);
    });

    it('writes AAAA text per RFC 5952 (longest zero run, first on ties, no single-group ::, v4-mapped)', () => {
      const text = (hex: string): string =>
        /AAAA (\S+) \(/.exec(String(new Dns({ qr: true, answers: [dnsRecord({ name: 'a', data: { kind: 'AAAA', address: fromHex(hex) } })] })))![1]!;
      assert.equal(text('20010db8000000010000000000000001'), '2001:db8:0:1::1');
      assert.equal(text('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
      assert.equal(text('20010db8000100010001000100010000'), '2001:db8:1:1:1:1:1:0');
      assert.equal(text('00000000000000000000000000000000'), '::');
      assert.equal(text('00000000000000000000ffffc0000201'), '::ffff:192.0.2.1');
      assert.equal(text('fe800000000000000000000000abcdef'), 'fe80::ab:cdef');
    });

    it('rejects RDATA whose length does not fit its type', () => {
      const hdr: [number, number, number, number] = [0, 1, 0, 0];
      assert.equal(failure(parseDns(msg(hdr, '00 0001 0001 00000000 0003 010203'))).kind, 'malformed'); // A of 3 bytes
      assert.equal(failure(parseDns(msg(hdr, '00 001c 0001 00000000 0004 01020304'))).kind, 'malformed'); // AAAA of 4
      assert.equal(failure(parseDns(msg(hdr, '00 0005 0001 00000000 0004 016100ff'))).kind, 'malformed'); // CNAME + junk
      assert.equal(failure(parseDns(msg(hdr, '00 0005 0001 00000000 0002 0161'))).kind, 'malformed'); // name over RDLENGTH
      assert.equal(failure(parseDns(msg(hdr, '00 0006 0001 00000000 0004 00000000'))).kind, 'malformed'); // SOA short
      assert.equal(failure(parseDns(msg(hdr, '00 000f 0001 00000000 0002 000a'))).kind, 'malformed'); // MX without name
      // The same bytes under an unknown type are fine (kept raw).
      assert.deepEqual(must(parseDns(msg(hdr, '00 0063 0001 00000000 0003 010203'))).answers[0]!.data, { kind: 'raw', bytes: fromHex('010203') });
    });

    it('refuses typed data that contradicts the record type or class (programmer errors)', () => {
      const bad = (r: DnsRecord): void => {
        assert.throws(() => new Dns({ answers: [r] }).encode(), RangeError);
      };
      bad({ name: 'a', type: DnsType.NS, class: 1, ttl: 0, data: { kind: 'A', address: 1 } });
      bad({ name: 'a', type: DnsType.A, class: 3, ttl: 0, data: { kind: 'A', address: 1 } });
      bad({ name: 'a', type: DnsType.AAAA, class: 1, ttl: 0, data: { kind: 'AAAA', address: new Uint8Array(4) } });
      bad({ name: 'a', type: DnsType.A, class: 1, ttl: 2 ** 32, data: { kind: 'A', address: 1 } });
      assert.throws(() => dnsRecord({ name: 'a', data: { kind: 'raw', bytes: new Uint8Array(0) } }), RangeError);
      assert.throws(() => new Dns({ opcode: 16 }).encode(), RangeError);
      assert.throws(() => new Dns({ id: 0x10000 }).encode(), RangeError);
    });
  });

  describe('names', () => {
    it('round-trips escaped labels: dots, backslashes, spaces and bytes outside 0x21..0x7e', () => {
      const name = 'a\\.b\\\\c\\032d\\255.\\000.example';
      const labels = dnsNameLabels(name);
      assert.deepEqual(labels.map((l) => toHex(l)), ['612e625c632064ff', '00', toHex(new TextEncoder().encode('example'))]);
      const m = new Dns({ questions: [dnsQuestion(name)] });
      assert.equal(must(parseDns(m.encode())).questions[0]!.name, name);
      // Unescaped text and \DDD forms of printable bytes give the same wire name, returned canonical.
      assert.equal(must(parseDns(new Dns({ questions: [dnsQuestion('\\065b.')] }).encode())).questions[0]!.name, 'Ab');
    });

    it('accepts the root as "" or "." and a trailing dot', () => {
      assert.deepEqual(dnsNameLabels(''), []);
      assert.deepEqual(dnsNameLabels('.'), []);
      assert.equal(dnsNameLabels('www.example.com.').length, 3);
      const m = must(parseDns(new Dns({ questions: [dnsQuestion('.', DnsType.NS)] }).encode()));
      assert.equal(m.questions[0]!.name, '');
      assert.equal(String(m), '0 NS? . (17)');
    });

    it('enforces 63-byte labels and 255-byte names on write (programmer errors)', () => {
      const l63 = 'a'.repeat(63);
      assert.equal(dnsNameLabels(l63).length, 1);
      assert.throws(() => dnsNameLabels('a'.repeat(64)), RangeError);
      // 4 x 63-byte labels = 4 * 64 + 1 = 257 bytes
      assert.throws(() => dnsNameLabels([l63, l63, l63, l63].join('.')), RangeError);
      // 3 x 63 + 61 = 3 * 64 + 62 + 1 = 255 bytes: the largest name
      assert.equal(dnsNameLabels([l63, l63, l63, 'a'.repeat(61)].join('.')).length, 4);
      assert.throws(() => dnsNameLabels([l63, l63, l63, 'a'.repeat(62)].join('.')), RangeError);
      for (const bad of ['a..b', '.a', 'a\\', 'a\\256', '\u0100']) assert.throws(() => dnsNameLabels(bad), RangeError, bad);
    });

    it('rejects label length bytes over 63 (types 01 and 10) as malformed', () => {
      for (const lenByte of ['40', '7f', '80', 'bf']) {
        const e = failure(parseDns(msg([1, 0, 0, 0], `${lenByte} 00 0001 0001`)));
        assert.equal(e.kind, 'malformed', lenByte);
      }
    });

    it('rejects a name over 255 bytes, even one assembled through pointers', () => {
      const l63 = '3f' + '61'.repeat(63);
      // at 12: 3 x 63-byte labels + root (193 bytes); then a second name: 1 x 63-byte label + pointer to 12 = 257
      const e = failure(parseDns(msg([2, 0, 0, 0], `${l63}${l63}${l63}00 0001 0001 ${l63}c00c 0001 0001`)));
      assert.equal(e.kind, 'malformed');
      assert.match(e.message, /over 255/);
      // One label shorter is exactly 255 and parses.
      const l61 = '3d' + '61'.repeat(61);
      assert.ok(parseDns(msg([2, 0, 0, 0], `${l63}${l63}${l63}00 0001 0001 ${l61}c00c 0001 0001`)).ok);
    });
  });

  describe('compression on read (RFC 1035 §4.1.4)', () => {
    it('a pointer to itself is a loop: malformed', () => {
      const e = failure(parseDns(msg([1, 0, 0, 0], 'c00c 0001 0001')));
      assert.equal(e.kind, 'malformed');
      assert.match(e.message, /loop/);
    });

    it('a two-pointer loop (a -> b -> a) is malformed', () => {
      // question 1 at 12: "a" + pointer to 18; question 2 at 18: "b" + pointer to 12
      const e = failure(parseDns(msg([2, 0, 0, 0], '0161 c012 0001 0001 0162 c00c 0001 0001')));
      assert.equal(e.kind, 'malformed');
    });

    it('a forward pointer is malformed, a pointer outside the message too', () => {
      // question at 12 points forward to 18 where a valid name sits
      assert.equal(failure(parseDns(msg([1, 1, 0, 0], 'c012 0001 0001 0161 00 0001 0001 00000000 0000'))).kind, 'malformed');
      const e = failure(parseDns(msg([1, 0, 0, 0], 'ffff 0001 0001')));
      assert.equal(e.kind, 'malformed');
      assert.match(e.message, /outside/);
    });

    it('a long backward chain stops at the hop limit', () => {
      // 12: the question, root. 17: an answer owned by the root, TYPE99, whose RDATA is a chain of pointers,
      // each to the one before it (the first to the root at 12). A second answer's owner is a pointer to
      // the chain's end, so reading it follows every link.
      const n = DNS_MAX_POINTER_HOPS + 1;
      const rdStart = 17 + 11;
      const ptrs: number[] = [];
      for (let i = 0; i < n - 1; i++) ptrs.push(0xc000 | (i === 0 ? 12 : rdStart + 2 * (i - 1)));
      const rdata = ptrs.map((p) => p.toString(16)).join('');
      const head = (0xc000 | (rdStart + 2 * (n - 2))).toString(16);
      const build = (extra: string): Uint8Array =>
        fromHex(
          `abcd 8180 0001 0002 0000 0000 00 0001 0001 00 0063 0001 00000000 ${(ptrs.length * 2).toString(16).padStart(4, '0')} ${rdata} ${extra} 0063 0001 00000000 0000`,
        );
      const e = failure(parseDns(build(head)));
      assert.equal(e.kind, 'malformed');
      assert.match(e.message, /more than 64 compression pointers/);
      // Starting one link further down the chain stays within the limit.
      const ok = must(parseDns(build((0xc000 | (rdStart + 2 * (n - 3))).toString(16))));
      assert.equal(ok.answers[1]!.name, '');
    });

    it('every strict prefix of the real response is truncated', () => {
      for (let n = 0; n < RESPONSE.length; n++) {
        const e = failure(parseDns(RESPONSE.subarray(0, n)));
        assert.equal(e.kind, 'truncated', `prefix of ${n} bytes: ${e.message}`);
      }
    });

    it('counts that promise more records than there are bytes: truncated', () => {
      const b = Uint8Array.from(RESPONSE);
      new DnsView(b).arcount = 1;
      assert.equal(failure(parseDns(b)).kind, 'truncated');
      assert.equal(failure(parseDns(new Uint8Array(11))).kind, 'truncated');
    });
  });

  describe('compression on write', () => {
    it('a response from a less thorough server parses, re-encodes shorter and round-trips', () => {
      const loose = fromHex(LOOSE_RESPONSE_HEX);
      const m = must(parseDns(loose));
      assert.equal(String(m), '4660* 2/0/0 CNAME web.example.com., A 13.246.100.25 (67)');
      const tight = m.encode();
      assert.equal(loose.length, 71);
      assert.equal(tight.length, 67, 'the A owner becomes a pointer to the CNAME target');
      assert.deepEqual(must(parseDns(tight)), m);
      assert.equal(toHex(tight.subarray(51, 53)), 'c02d');
    });

    it('shortens a message against its uncompressed size, and the tcpdump lines read as expected', () => {
      const q = new Dns({ id: 0x1234, rd: true, questions: [dnsQuestion('www.example.com')] });
      assert.equal(String(q), '4660+ A? www.example.com. (33)');
      const names = ['www.example.com', 'www.example.com', 'web.example.com', 'web.example.com', 'example.com', 'a.iana-servers.net', 'b.iana-servers.net'];
      const r = new Dns({
        id: 0x1234,
        qr: true,
        aa: true,
        ra: true,
        questions: [dnsQuestion(names[0]!)],
        answers: [
          dnsRecord({ name: names[1]!, ttl: 300, data: { kind: 'CNAME', name: names[2]! } }),
          dnsRecord({ name: names[3]!, ttl: 300, data: { kind: 'A', address: ipv4('13.246.100.25') } }),
        ],
        authorities: [
          dnsRecord({ name: names[4]!, ttl: 300, data: { kind: 'NS', name: names[5]! } }),
          dnsRecord({ name: names[4]!, ttl: 300, data: { kind: 'NS', name: names[6]! } }),
        ],
      });
      const plain = 12 + 4 + 4 * 10 + 4 + 4 + [...names, names[4]!].reduce((n, s) => n + plainNameLen(s), 0);
      const enc = r.encode();
      assert.ok(enc.length < plain - 40, `compressed ${enc.length} vs plain ${plain}`);
      assert.deepEqual(must(parseDns(enc)), r);
      assert.equal(String(r), `4660* 2/2/0 CNAME web.example.com., A 13.246.100.25 (${enc.length})`);
    });

    it('compresses case-sensitively, so the case of every name survives', () => {
      const m = new Dns({ questions: [dnsQuestion('WWW.Example.COM'), dnsQuestion('www.example.com')] });
      assert.deepEqual(must(parseDns(m.encode())), m);
    });

    it('never points at offsets beyond 0x3fff (14-bit pointers)', () => {
      const big = new Uint8Array(0x4000);
      const m = new Dns({
        qr: true,
        answers: [
          dnsRecord({ name: 'pad.example', type: 99, data: { kind: 'raw', bytes: big } }),
          dnsRecord({ name: 'late.name.test', data: { kind: 'CNAME', name: 'late.name.test' } }),
          dnsRecord({ name: 'x.late.name.test', data: { kind: 'CNAME', name: 'pad.example' } }),
        ],
      });
      const enc = m.encode();
      assert.deepEqual(must(parseDns(enc)), m);
    });
  });

  describe('constants and names', () => {
    it('names known numbers and keeps unknown ones as numbers', () => {
      assert.equal(DNS_PORT, 53);
      assert.equal(dnsTypeName(DnsType.AAAA), 'AAAA');
      assert.equal(dnsTypeName(65280), 'TYPE65280');
      assert.equal(dnsClassName(DnsClass.IN), 'IN');
      assert.equal(dnsClassName(42), 'CLASS42');
      assert.equal(dnsRcodeName(DnsRcode.NXDOMAIN), 'NXDOMAIN');
      assert.equal(dnsRcodeName(12), 'RCODE12');
      assert.equal(dnsOpcodeName(4), 'NOTIFY');
    });

    it('keeps the Z, AD and CD bits and unknown opcodes/rcodes through a round trip', () => {
      const m = new Dns({ id: 9, z: true, ad: true, cd: true, tc: true, opcode: 15, rcode: 15, rd: true });
      const b = m.encode();
      assert.equal(toHex(b.subarray(2, 4)), '7b7f');
      assert.deepEqual(must(parseDns(b)), m);
      assert.equal(String(m), '9 OPCODE15+% [0q] (12)');
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Properties

  const PRINTABLE = /[\x21-\x7e]/;
  /** An independent RFC 1035 §5.1 escaper for label bytes. */
  function escapeLabel(l: Uint8Array): string {
    let s = '';
    for (const c of l) {
      const ch = String.fromCharCode(c);
      if (ch === '.' || ch === '\\') s += '\\' + ch;
      else if (PRINTABLE.test(ch)) s += ch;
      else s += '\\' + String(c).padStart(3, '0');
    }
    return s;
  }
  const te = new TextEncoder();
  const labelArb = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('www', 'example', 'com', 'net', 'a', 'B', 'ns1', 'in-addr').map((s) => te.encode(s)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }) },
  );
  const nameArb = fc
    .array(labelArb, { maxLength: 4 })
    .filter((ls) => ls.reduce((n, l) => n + 1 + l.length, 1) <= 255)
    .map((ls) => ls.map(escapeLabel).join('.'));
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const NAME_TYPES = new Set<number>([2, 5, 6, 12, 15]);
  const IN_TYPES = new Set<number>([1, 28]);
  const recordArb: fc.Arbitrary<DnsRecord> = fc
    .tuple(nameArb, fc.oneof(fc.constant(1), u16), u32)
    .chain(([name, cls, ttl]) => {
      const typed: fc.Arbitrary<DnsRdata>[] = [
        nameArb.map((n) => ({ kind: 'NS' as const, name: n })),
        nameArb.map((n) => ({ kind: 'CNAME' as const, name: n })),
        nameArb.map((n) => ({ kind: 'PTR' as const, name: n })),
        fc.tuple(u16, nameArb).map(([preference, exchange]) => ({ kind: 'MX' as const, preference, exchange })),
        fc
          .tuple(nameArb, nameArb, u32, u32, u32, u32, u32)
          .map(([mname, rname, serial, refresh, retry, expire, minimum]) => ({ kind: 'SOA' as const, mname, rname, serial, refresh, retry, expire, minimum })),
      ];
      if (cls === 1) {
        typed.push(u32.map((address) => ({ kind: 'A' as const, address })));
        typed.push(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((address) => ({ kind: 'AAAA' as const, address })));
      }
      const raw = fc
        .tuple(
          u16.filter((t) => !NAME_TYPES.has(t) && !(cls === 1 && IN_TYPES.has(t))),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([type, bytes]) => ({ name, type, class: cls, ttl, data: { kind: 'raw' as const, bytes } }));
      return fc.oneof(fc.oneof(...typed).map((data) => dnsRecord({ name, class: cls, ttl, data })), raw);
    });
  const messageArb: fc.Arbitrary<Dns> = fc
    .record({
      id: u16,
      qr: fc.boolean(),
      opcode: fc.integer({ min: 0, max: 15 }),
      aa: fc.boolean(),
      tc: fc.boolean(),
      rd: fc.boolean(),
      ra: fc.boolean(),
      z: fc.boolean(),
      ad: fc.boolean(),
      cd: fc.boolean(),
      rcode: fc.integer({ min: 0, max: 15 }),
      questions: fc.array(fc.tuple(nameArb, u16, u16).map(([n, t, c]) => dnsQuestion(n, t, c)), { maxLength: 3 }),
      answers: fc.array(recordArb, { maxLength: 4 }),
      authorities: fc.array(recordArb, { maxLength: 3 }),
      additionals: fc.array(recordArb, { maxLength: 3 }),
    })
    .map((init) => new Dns(init));

  describe('properties', () => {
    it('parse(encode(m)) equals m, and re-encoding is stable', () => {
      fc.assert(
        fc.property(messageArb, (m) => {
          const b = m.encode();
          const back = must(parseDns(b));
          assert.deepEqual(back, m);
          assert.equal(toHex(back.encode()), toHex(b));
          assert.equal(m.headerLen(), b.length);
        }),
        { numRuns: 3000 },
      );
    });

    it('header-only round trip for every flags word', () => {
      fc.assert(
        fc.property(u16, u16, (id, flags) => {
          const b = new Uint8Array(12);
          const v = new DnsView(b);
          v.id = id;
          v.flags = flags;
          const m = must(parseDns(b));
          assert.equal(toHex(m.encode()), toHex(b));
        }),
        { numRuns: 5000 },
      );
    });

    it('fuzz: parseDns never throws on random or mutated input', function () {
      this.timeout(600_000);
      fuzzDecoder(parseDns, fc.oneof(messageArb.map((m) => m.encode()), fc.constantFrom(QUERY, RESPONSE, fromHex(LOOSE_RESPONSE_HEX))));
    });
  });

  // ---------------------------------------------------------------------------------------------
  // tshark agreement

  describe('tshark agreement', () => {
    it('tshark reads our frames as we do: names, addresses, flags, counts', function () {
      requireTshark(this);
      const client = { mac: mac('00:e0:1c:3c:17:c2'), ip: ipv4('10.10.1.4'), port: 56166 };
      const server = { mac: mac('00:1f:33:d9:81:60'), ip: ipv4('10.10.1.1'), port: DNS_PORT };
      const frame = (from: typeof client, to: typeof client, dns: Dns): Uint8Array =>
        serialize([
          new Ethernet({ src: from.mac, dst: to.mac }),
          new Ipv4({ protocol: IPPROTO_UDP, src: from.ip, dst: to.ip, df: true }),
          new Udp({ srcPort: from.port, dstPort: to.port }),
          dns,
        ]);
      const rich = new Dns({
        id: 0x4242,
        qr: true,
        aa: true,
        ra: true,
        ad: true,
        rcode: DnsRcode.NXDOMAIN,
        questions: [dnsQuestion('nope.example.com', DnsType.AAAA)],
        answers: [
          dnsRecord({ name: 'www.example.com', ttl: 300, data: { kind: 'CNAME', name: 'web.example.com' } }),
          dnsRecord({ name: 'web.example.com', ttl: 300, data: { kind: 'A', address: ipv4('13.246.100.25') } }),
          dnsRecord({ name: 'web.example.com', ttl: 300, data: { kind: 'AAAA', address: fromHex('20010db8000000000000000000000001') } }),
          dnsRecord({ name: '25.100.246.13.in-addr.arpa', ttl: 60, data: { kind: 'PTR', name: 'web.example.com' } }),
          dnsRecord({ name: 'example.com', ttl: 60, data: { kind: 'MX', preference: 10, exchange: 'mail.example.com' } }),
        ],
        authorities: [
          dnsRecord({
            name: 'example.com',
            ttl: 3600,
            data: { kind: 'SOA', mname: 'ns.icann.org', rname: 'noc.dns.icann.org', serial: 2024081464, refresh: 7200, retry: 3600, expire: 1209600, minimum: 3600 },
          }),
          dnsRecord({ name: 'example.com', ttl: 3600, data: { kind: 'NS', name: 'a.iana-servers.net' } }),
        ],
        additionals: [dnsRecord({ name: '', type: DnsType.OPT, class: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } })],
      });
      const msgs = [expectedQuery(), expectedResponse(), must(parseDns(fromHex(LOOSE_RESPONSE_HEX))), rich];
      const frames = [frame(client, server, msgs[0]!), frame(server, client, msgs[1]!), frame(server, client, msgs[2]!), frame(server, client, msgs[3]!)];
      // The first two frames carry exactly the captured DNS bytes.
      assert.equal(toHex(frames[0]!.subarray(42)), toHex(QUERY));
      assert.equal(toHex(frames[1]!.subarray(42)), toHex(RESPONSE));
      const pkts = tsharkReadFrames(frames, join(artifactDir('wire', 'dns'), 'dns.pcap'), 4, ['--no-duplicate-keys']);
      assert.equal(pkts.length, 4);
      pkts.forEach((p, i) => {
        const m = msgs[i]!;
        const L = p._source.layers;
        const dns = L['dns'];
        const all = [...m.answers, ...m.authorities, ...m.additionals];
        const ofKind = (k: string): DnsRdata[] => all.map((r) => r.data).filter((d) => d.kind === k);
        const fqdnNames = (ds: DnsRdata[]): string[] => ds.map((d) => ('name' in d ? d.name : ''));
        assert.equal(fieldValues(L['ip'], 'ip.src')[0], i === 0 ? '10.10.1.4' : '10.10.1.1');
        assert.equal(fieldValues(L['eth'], 'eth.src')[0], i === 0 ? '00:e0:1c:3c:17:c2' : '00:1f:33:d9:81:60');
        assert.equal(Number(fieldValues(dns, 'dns.id')[0]), m.id);
        assert.equal(Number(fieldValues(dns, 'dns.flags')[0]), m.flagsWord(), `frame ${i + 1} flags`);
        assert.equal(fieldValues(dns, 'dns.flags.authenticated')[0] ?? '0', m.ad ? '1' : '0');
        assert.equal(Number(fieldValues(dns, 'dns.flags.rcode')[0] ?? 0), m.rcode); // shown for responses only
        assert.equal(Number(fieldValues(dns, 'dns.count.queries')[0]), m.questions.length);
        assert.equal(Number(fieldValues(dns, 'dns.count.answers')[0]), m.answers.length);
        assert.equal(Number(fieldValues(dns, 'dns.count.auth_rr')[0]), m.authorities.length);
        assert.equal(Number(fieldValues(dns, 'dns.count.add_rr')[0]), m.additionals.length);
        assert.deepEqual(fieldValues(dns, 'dns.qry.name'), m.questions.map((q) => q.name));
        assert.deepEqual(fieldValues(dns, 'dns.qry.type').map(Number), m.questions.map((q) => q.type));
        assert.deepEqual(fieldValues(dns, 'dns.resp.name'), all.map((r) => (r.name === '' ? '<Root>' : r.name)));
        assert.deepEqual(fieldValues(dns, 'dns.resp.ttl').map(Number), all.filter((r) => r.type !== DnsType.OPT).map((r) => r.ttl));
        assert.deepEqual(fieldValues(dns, 'dns.a'), ofKind('A').map((d) => (d.kind === 'A' ? `${d.address >>> 24}.${(d.address >>> 16) & 255}.${(d.address >>> 8) & 255}.${d.address & 255}` : '')));
        assert.deepEqual(fieldValues(dns, 'dns.aaaa'), ofKind('AAAA').length ? ['2001:db8::1'] : []);
        assert.deepEqual(fieldValues(dns, 'dns.cname'), fqdnNames(ofKind('CNAME')));
        assert.deepEqual(fieldValues(dns, 'dns.ns'), fqdnNames(ofKind('NS')));
        assert.deepEqual(fieldValues(dns, 'dns.ptr.domain_name'), fqdnNames(ofKind('PTR')));
        assert.deepEqual(fieldValues(dns, 'dns.mx.mail_exchange'), ofKind('MX').map((d) => (d.kind === 'MX' ? d.exchange : '')));
        const soa = ofKind('SOA')[0];
        if (soa && soa.kind === 'SOA') {
          assert.deepEqual(
            ['mname', 'rname', 'serial_number', 'refresh_interval', 'retry_interval', 'expire_limit', 'minimum_ttl'].map((f) => fieldValues(dns, `dns.soa.${f}`)[0]),
            [soa.mname, soa.rname, soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].map(String),
          );
        }
      });
    });
  });
});
