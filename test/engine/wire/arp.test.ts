import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipv4, mac, MAC_BROADCAST } from '../../../engine/wire/addr.ts';
import { fromHex, toHex } from '../../../engine/wire/bytes.ts';
import { ARP_REPLY, ARP_REQUEST, Arp, ArpView, arpOpName, parseArp } from '../../../engine/wire/arp.ts';
import { ETHERTYPE_ARP, Ethernet, parseEthernet } from '../../../engine/wire/ethernet.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { failureKind, must } from '../../support/result.ts';
import { fuzzDecoder } from '../../support/fuzz.ts';
import { requireTshark, tsharkReadFrames } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

const MAC1 = mac('02:00:00:00:00:01');
const MAC2 = mac('02:00:00:00:00:02');
const IP1 = ipv4('10.0.0.1');
const IP2 = ipv4('10.0.0.2');

// RFC 826 fields written out: htype 1, ptype 0x0800, hlen 6, plen 4, op, sha, spa, tha, tpa.
const REQUEST = fromHex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002');
const REPLY = fromHex('0001 0800 06 04 0002 020000000002 0a000002 020000000001 0a000001');

describe('wire/arp', () => {
  it('view reads a request', () => {
    const v = new ArpView(REQUEST);
    assert.equal(v.checkLen(), null);
    assert.equal(v.htype, 1);
    assert.equal(v.ptype, 0x0800);
    assert.equal(v.hlen, 6);
    assert.equal(v.plen, 4);
    assert.equal(v.op, ARP_REQUEST);
    assert.equal(v.sha, MAC1);
    assert.equal(v.spa, IP1);
    assert.equal(v.tha, 0);
    assert.equal(v.tpa, IP2);
  });

  it('view setters turn the request into the reply in place', () => {
    const b = Uint8Array.from(REQUEST);
    const v = new ArpView(b);
    v.op = ARP_REPLY;
    v.tha = v.sha;
    v.sha = MAC2;
    const spa = v.spa;
    v.spa = v.tpa;
    v.tpa = spa;
    assert.equal(toHex(b), toHex(REPLY));
  });

  it('builds, parses and emits a request and its reply', () => {
    const req = Arp.request(MAC1, IP1, IP2);
    assert.equal(toHex(req.encode()), toHex(REQUEST));
    const rep = Arp.replyTo(req, MAC2);
    assert.equal(toHex(rep.encode()), toHex(REPLY));
    const p = must(parseArp(REPLY));
    assert.deepEqual({ ...p }, { op: ARP_REPLY, sha: MAC2, spa: IP2, tha: MAC1, tpa: IP1 });
    assert.equal(toHex(p.encode()), toHex(REPLY));
  });

  it('prints like tcpdump', () => {
    assert.equal(must(parseArp(REQUEST)).toString(), 'Request who-has 10.0.0.2 tell 10.0.0.1, length 28');
    assert.equal(must(parseArp(REPLY)).toString(), 'Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28');
    assert.equal(new Arp({ op: 1, spa: IP1, tpa: IP2, tha: MAC2 }).toString(), 'Request who-has 10.0.0.2 (02:00:00:00:00:02) tell 10.0.0.1, length 28');
    assert.equal(arpOpName(3), 'Reverse Request');
    assert.equal(arpOpName(77), 'op-77');
  });

  it('ignores Ethernet padding after the 28 bytes', () => {
    const frame = serialize([new Ethernet({ dst: MAC_BROADCAST, src: MAC1, etherType: ETHERTYPE_ARP, pad: true }), Arp.request(MAC1, IP1, IP2)]);
    assert.equal(frame.length, 60);
    const eth = must(parseEthernet(frame));
    assert.equal(eth.payload.length, 46);
    assert.equal(must(parseArp(eth.payload)).tpa, IP2);
  });

  it('refuses bad input with typed errors', () => {
    assert.equal(failureKind(parseArp(REQUEST.subarray(0, 27))), 'truncated');
    assert.equal(failureKind(parseArp(REQUEST.subarray(0, 7))), 'truncated');
    assert.equal(new ArpView(REQUEST.subarray(0, 27)).checkLen()?.kind, 'truncated');
    const b = Uint8Array.from(REQUEST);
    b[1] = 6; // IEEE 802 hardware
    assert.equal(failureKind(parseArp(b)), 'unsupported');
    const c = Uint8Array.from(REQUEST);
    c[2] = 0x86;
    c[3] = 0xdd; // IPv6 protocol addresses
    assert.equal(failureKind(parseArp(c)), 'unsupported');
    const d = Uint8Array.from(REQUEST);
    d[4] = 8;
    assert.equal(failureKind(parseArp(d)), 'malformed');
    const e = Uint8Array.from(REQUEST);
    e[5] = 16;
    assert.equal(failureKind(parseArp(e)), 'malformed');
    assert.throws(() => new Arp({ spa: 2 ** 32 }).encode(), RangeError);
  });

  const arpArb = fc
    .record({
      op: fc.integer({ min: 0, max: 0xffff }),
      sha: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      spa: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      tha: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      tpa: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    })
    .map((r) => new Arp(r));

  it('encode → parse is the identity (property)', () => {
    fc.assert(
      fc.property(arpArb, (a) => {
        const p = must(parseArp(a.encode()));
        assert.deepEqual({ ...p }, { ...a });
        assert.equal(typeof p.toString(), 'string');
      }),
    );
  });

  it('never throws on random or mutated input (fuzz)', function () {
    this.timeout(600_000);
    fuzzDecoder(parseArp, arpArb.map((a) => a.encode()));
  });

  it('tshark agrees on a request and a reply', function () {
    requireTshark(this);
    const req = Arp.request(MAC1, IP1, IP2);
    const rep = Arp.replyTo(req, MAC2);
    const frames = [
      serialize([new Ethernet({ dst: MAC_BROADCAST, src: MAC1, etherType: ETHERTYPE_ARP, pad: true }), req]),
      serialize([new Ethernet({ dst: MAC1, src: MAC2, etherType: ETHERTYPE_ARP, pad: true }), rep]),
    ];
    const pkts = tsharkReadFrames(frames, join(artifactDir('wire', 'arp'), 'arp.pcap'), 2);
    assert.equal(pkts.length, 2);
    [req, rep].forEach((ours, i) => {
      const a = pkts[i]!._source.layers.arp;
      assert.equal(Number(a['arp.opcode']), ours.op);
      assert.equal(Number(a['arp.hw.type']), 1);
      assert.equal(a['arp.proto.type'], '0x0800');
      assert.equal(mac(a['arp.src.hw_mac']), ours.sha);
      assert.equal(ipv4(a['arp.src.proto_ipv4']), ours.spa);
      assert.equal(mac(a['arp.dst.hw_mac']), ours.tha);
      assert.equal(ipv4(a['arp.dst.proto_ipv4']), ours.tpa);
    });
  });
});
