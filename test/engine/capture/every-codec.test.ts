/**
 * The foundation acceptance test: one frame of every codec, written by pktlab's pcapng writer, read by
 * tshark with checksum validation on for IP, TCP and UDP (ICMP always): no malformed packet, no bad
 * checksum, and tshark's values for the main fields equal the values pktlab's codecs decode.
 */
import assert from 'node:assert/strict';
import { ipv4ToString, macToString } from '../../../engine/wire/addr.ts';
import { parseArp } from '../../../engine/wire/arp.ts';
import { parseDns, type Dns } from '../../../engine/wire/dns.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_TEB, parseEthernet } from '../../../engine/wire/ethernet.ts';
import { GENEVE_PORT, parseGeneve } from '../../../engine/wire/geneve.ts';
import { parseHttpRequest } from '../../../engine/wire/http.ts';
import { isIcmpErrorType, parseIcmp, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_UNREACH_NEEDFRAG } from '../../../engine/wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from '../../../engine/wire/ipv4.ts';
import { parseTcp, TcpFlag } from '../../../engine/wire/tcp.ts';
import { parseUdp } from '../../../engine/wire/udp.ts';
import { readCapture } from '../../../engine/capture/capture.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { summarizeFrame } from '../../../engine/wire/summary.ts';
import { assertCleanCapture, findAll, tsharkJson } from '../../support/tshark.ts';
import { requireTool } from '../../support/tools.ts';
import { everyCodecFrames, HTTP_PART1, HTTP_PART2 } from './frames.ts';
import { writeArtifact } from './helpers.ts';

type Fields = Map<string, string[]>;

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** The fields compared with tshark, as tshark prints them, decoded by pktlab's codecs. */
const KEYS = [
  'eth.src', 'eth.dst', 'vlan.id', 'vlan.priority',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ip.ttl', 'ip.proto', 'ip.id', 'ip.len', 'ip.flags.df',
  'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.mtu',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval',
  'quoted:tcp.seq',
  'udp.srcport', 'udp.dstport', 'udp.length',
  'dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.resp.name', 'dns.a', 'dns.cname',
  'geneve.vni', 'geneve.proto_type', 'geneve.option.class', 'geneve.option.type',
] as const;

function push(f: Fields, key: string, v: string | number): void {
  const list = f.get(key) ?? [];
  list.push(String(v));
  f.set(key, list);
}

function ethernet(bytes: Uint8Array, f: Fields): void {
  const e = parseEthernet(bytes);
  assert.ok(e.ok);
  push(f, 'eth.dst', macToString(e.value.dst));
  push(f, 'eth.src', macToString(e.value.src));
  for (const t of e.value.vlan) {
    push(f, 'vlan.priority', t.pcp);
    push(f, 'vlan.id', t.vid);
  }
  if (e.value.etherType === ETHERTYPE_ARP) {
    const a = parseArp(e.value.payload);
    assert.ok(a.ok);
    push(f, 'arp.opcode', a.value.op);
    push(f, 'arp.src.hw_mac', macToString(a.value.sha));
    push(f, 'arp.src.proto_ipv4', ipv4ToString(a.value.spa));
    push(f, 'arp.dst.proto_ipv4', ipv4ToString(a.value.tpa));
  } else if (e.value.etherType === ETHERTYPE_IPV4) {
    ip(e.value.payload, f, false);
  }
}

/** An IPv4 packet; `quoted` for the datagram inside an ICMP error (Total Length may exceed the quote). */
function ip(bytes: Uint8Array, f: Fields, quoted: boolean): void {
  const r = parseIpv4(bytes, quoted ? { partial: true } : {});
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const p = r.value;
  push(f, 'ip.len', p.headerLen() + (quoted ? (bytes[2]! << 8 | bytes[3]!) - p.headerLen() : p.payload.length));
  push(f, 'ip.id', hex(p.id, 4));
  push(f, 'ip.flags.df', p.df ? 1 : 0);
  push(f, 'ip.ttl', p.ttl);
  push(f, 'ip.proto', p.protocol);
  push(f, 'ip.src', ipv4ToString(p.src));
  push(f, 'ip.dst', ipv4ToString(p.dst));
  const pseudo = { src: p.src, dst: p.dst };
  if (p.protocol === IPPROTO_ICMP) {
    const m = parseIcmp(p.payload);
    assert.ok(m.ok);
    const icmp = m.value;
    push(f, 'icmp.type', icmp.type);
    push(f, 'icmp.code', icmp.code);
    if (icmp.type === ICMP_ECHO_REQUEST || icmp.type === ICMP_ECHO_REPLY) {
      push(f, 'icmp.ident', icmp.id);
      push(f, 'icmp.seq', icmp.seq);
    }
    if (icmp.type === ICMP_DEST_UNREACH && icmp.code === ICMP_UNREACH_NEEDFRAG) push(f, 'icmp.mtu', icmp.mtu);
    if (isIcmpErrorType(icmp.type)) ip(icmp.payload, f, true);
  } else if (p.protocol === IPPROTO_TCP) {
    const t = parseTcp(p.payload, { pseudo });
    assert.ok(t.ok, t.ok ? '' : t.error.message);
    const tcp = t.value;
    push(f, 'tcp.srcport', tcp.srcPort);
    push(f, 'tcp.dstport', tcp.dstPort);
    // Inside an ICMP error tshark shows the absolute number as tcp.seq (no tcp.seq_raw).
    push(f, quoted ? 'quoted:tcp.seq' : 'tcp.seq_raw', tcp.seq);
    push(f, 'tcp.ack_raw', tcp.ack);
    push(f, 'tcp.flags', hex(tcp.flags, 4));
    push(f, 'tcp.window_size_value', tcp.window);
    for (const o of tcp.options) {
      if (o.kind === 'mss') push(f, 'tcp.options.mss_val', o.mss);
      if (o.kind === 'wscale') push(f, 'tcp.options.wscale.shift', o.shift);
      if (o.kind === 'ts') push(f, 'tcp.options.timestamp.tsval', o.tsval);
    }
    assert.ok(tcp.flags & TcpFlag.SYN || tcp.flags & TcpFlag.ACK);
  } else if (p.protocol === IPPROTO_UDP) {
    const u = parseUdp(p.payload, { pseudo });
    assert.ok(u.ok, u.ok ? '' : u.error.message);
    const udp = u.value;
    push(f, 'udp.srcport', udp.srcPort);
    push(f, 'udp.dstport', udp.dstPort);
    push(f, 'udp.length', 8 + udp.payload.length);
    if (udp.srcPort === 53 || udp.dstPort === 53) dns(udp.payload, f);
    if (udp.dstPort === GENEVE_PORT) {
      const g = parseGeneve(udp.payload);
      assert.ok(g.ok);
      push(f, 'geneve.proto_type', hex(g.value.protocol, 4));
      push(f, 'geneve.vni', hex(g.value.vni, 6));
      for (const o of g.value.options) {
        push(f, 'geneve.option.class', hex(o.class, 4));
        push(f, 'geneve.option.type', hex(o.type, 2));
      }
      assert.equal(g.value.protocol, ETHERTYPE_TEB);
      ethernet(g.value.payload, f);
    }
  }
}

function dns(bytes: Uint8Array, f: Fields): void {
  const r = parseDns(bytes);
  assert.ok(r.ok);
  const d: Dns = r.value;
  push(f, 'dns.id', hex(d.id, 4));
  push(f, 'dns.flags.response', d.qr ? 1 : 0);
  for (const q of d.questions) push(f, 'dns.qry.name', q.name);
  for (const a of d.answers) {
    push(f, 'dns.resp.name', a.name);
    if (a.data.kind === 'A') push(f, 'dns.a', ipv4ToString(a.data.address));
    if (a.data.kind === 'CNAME') push(f, 'dns.cname', a.data.name);
  }
}

describe('capture: every codec in one pcapng, judged by tshark', () => {
  it('has zero malformed packets, zero bad checksums, and tshark agrees on every main field', function () {
    requireTool(this, 'tshark');
    const frames = everyCodecFrames();
    const w = new PcapngWriter({ epochNs: 1_709_296_496_000_000_000n });
    const lab = w.addInterface({ name: 'lab:wire', description: 'every codec' });
    frames.forEach((fr, i) => w.writePacket(lab, 1_000_000 * i, fr.bytes, { comment: `frame ${i + 1}: ${fr.name}` }));
    const bytes = w.toBytes();
    const file = writeArtifact('every-codec.pcapng', bytes);

    // pktlab's own reader and summary agree with what was written.
    const back = readCapture(bytes);
    assert.ok(back.ok && !back.value.error);
    back.value.packets.forEach((p, i) => assert.equal(summarizeFrame(p.data), frames[i]!.line, frames[i]!.name));

    const verdict = assertCleanCapture(file, frames.length);
    assert.equal(verdict.packets, frames.length);

    const packets = tsharkJson(file, ['--no-duplicate-keys']);
    assert.equal(packets.length, frames.length);
    const problems: string[] = [];
    let compared = 0;
    packets.forEach((pkt, i) => {
      const layers = pkt._source.layers;
      const ours: Fields = new Map();
      ethernet(frames[i]!.bytes, ours);
      for (const key of KEYS) {
        const theirs = (key.startsWith('quoted:') ? findAll(layers['icmp'], key.slice(7)) : findAll(layers, key)).map(String);
        const mine = ours.get(key) ?? [];
        compared += mine.length;
        if (JSON.stringify(theirs) !== JSON.stringify(mine)) {
          problems.push(`frame ${i + 1} (${frames[i]!.name}) ${key}: tshark ${JSON.stringify(theirs)}, pktlab ${JSON.stringify(mine)}`);
        }
      }
      assert.equal(findAll(layers, 'frame.comment')[0], `frame ${i + 1}: ${frames[i]!.name}`);
      // Every checksum tshark validated is good (1); none bad (0).
      for (const k of ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status']) {
        for (const s of findAll(layers, k)) if (String(s) !== '1') problems.push(`frame ${i + 1} ${k} = ${String(s)}`);
      }
    });
    assert.deepEqual(problems, []);
    assert.ok(compared > 250, `only ${compared} field values compared`);

    // HTTP split over two segments: tshark reassembles it in the second; pktlab parses the joined bytes.
    const http = parseHttpRequest(new Uint8Array([...HTTP_PART1, ...HTTP_PART2]));
    assert.ok(http.ok);
    const last = frames.findIndex((f) => f.name === 'http part 2');
    const reassembled = packets[last]!._source.layers;
    assert.deepEqual(findAll(reassembled, 'http.request.method'), [http.value.method]);
    assert.deepEqual(findAll(reassembled, 'http.request.uri'), [http.value.target]);
    assert.deepEqual(findAll(reassembled, 'tcp.segment.count'), ['2']);
    assert.deepEqual(findAll(packets[last - 1]!._source.layers, 'http.request.method'), []);

    // The DNS response uses name compression: the CNAME's RDATA is "web" + a pointer (6 bytes).
    const resp = packets[frames.findIndex((f) => f.name === 'dns response')]!._source.layers;
    assert.deepEqual(findAll(resp, 'dns.resp.len'), ['6', '4']);

    // Sanity: the acceptance covers every codec.
    const protocols = new Set(packets.flatMap((p) => String(findAll(p._source.layers, 'frame.protocols')[0]).split(':')));
    for (const p of ['eth', 'vlan', 'arp', 'ip', 'icmp', 'tcp', 'udp', 'dns', 'http', 'geneve']) assert.ok(protocols.has(p), p);
  });
});
