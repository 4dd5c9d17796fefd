/**
 * PacketStore: chunked storage and lazy rows for 1,000,000 synthetic packets (row window, filter
 * counts, incremental filtering on live appends, memory figure), TCP stream numbering, and saving as
 * pcapng that tshark and readCapture read back with the same packets, comments and directions.
 */
import assert from 'node:assert/strict';
import { readCapture } from '../../../engine/capture/capture.ts';
import { PacketStore } from '../../../engine/capture/packet-store.ts';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { Dns, dnsQuestion } from '../../../engine/wire/dns.ts';
import { echoReplyTo, Icmp } from '../../../engine/wire/icmp.ts';
import { Ethernet } from '../../../engine/wire/ethernet.ts';
import { Ipv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Tcp, TcpFlag } from '../../../engine/wire/tcp.ts';
import { Udp } from '../../../engine/wire/udp.ts';
import { tsharkCount } from '../../support/tshark.ts';
import { requireTool } from '../../support/tools.ts';
import { captureFile } from './dissect.test.ts';
import { writeArtifact } from './helpers.ts';

/** 16 templates: 8 TCP connections (SYN/data) to two servers and DNS queries; patched per packet. */
export function syntheticFrames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const eth = (): Ethernet => new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') });
  for (let k = 0; k < 8; k++) {
    const dst = ipv4(k % 2 ? '10.0.1.11' : '10.0.1.12');
    const ip = new Ipv4({ src: ipv4(`10.0.0.${k + 1}`), dst, protocol: IPPROTO_TCP, id: k, df: true });
    out.push(serialize([eth(), ip, new Tcp({ srcPort: 40000 + k, dstPort: 80, seq: 1000, flags: k % 4 === 0 ? TcpFlag.SYN : TcpFlag.ACK | TcpFlag.PSH, window: 502 })], new Uint8Array(k % 4 === 0 ? 0 : 40).fill(0x61)));
  }
  for (let k = 0; k < 8; k++) {
    const ip = new Ipv4({ src: ipv4(`10.0.0.${k + 1}`), dst: ipv4('10.0.0.53'), protocol: IPPROTO_UDP, id: 100 + k });
    out.push(serialize([eth(), ip, new Udp({ srcPort: 50000 + k, dstPort: 53 })], new Dns({ id: k, rd: true, questions: [dnsQuestion(`host${k}.example.com`)] }).encode()));
  }
  return out;
}

describe('engine/capture/packet-store', () => {
  it('holds 1,000,000 packets: a row window, filter counts, incremental filtering, memory figure', function () {
    this.timeout(120_000);
    const t = syntheticFrames();
    const store = new PacketStore();
    const N = 1_000_000;
    for (let i = 0; i < N; i++) store.append(t[i % t.length]!, { timeNs: BigInt(i) * 10_000n, ...(i % 1000 === 0 ? { comment: `decision ${i}` } : {}) });
    assert.equal(store.count, N);
    const rows = store.rows(500_000, 40);
    assert.equal(rows.length, 40);
    assert.equal(rows[0]!.no, 500_001);
    assert.equal(rows[0]!.time, '5.000000000');
    assert.equal(rows[0]!.protocol, 'TCP');
    assert.match(rows[8]!.info, /^Standard query 0x0000 A host0\.example\.com$/);
    assert.equal(rows[0]!.comment, 'decision 500000');
    const tail = store.rows(N - 5, 40);
    assert.equal(tail.length, 5);

    const count = (f: string): number => {
      const r = store.filter(f);
      assert.ok(r.ok, f);
      return r.value.length;
    };
    assert.equal(count('tcp'), N / 2);
    assert.equal(count('dns'), N / 2);
    assert.equal(count('ip.dst == 10.0.1.11'), N / 4);
    assert.equal(count('tcp.flags.syn == 1'), N / 8);
    assert.equal(count('dns.qry.name == "host3.example.com"'), N / 16);
    assert.equal(count('frame.comment contains "decision"'), N / 1000);
    // Live appends: the same filter scans only the new packets.
    for (let i = 0; i < 16; i++) store.append(t[i]!, { timeNs: BigInt(N + i) * 10_000n });
    assert.equal(count('frame.comment contains "decision"'), N / 1000);
    assert.equal(count('tcp'), N / 2 + 8);
    assert.equal(store.tcpStreams, 8);
    const mb = store.memoryBytes() / 2 ** 20;
    console.log(`      memory for ${N + 16} packets of ${Math.round(t.reduce((a, b) => a + b.length, 0) / t.length)} bytes on average: ${mb.toFixed(1)} MiB`);
    assert.ok(mb < 200, `${mb} MiB`);
  });

  it('numbers TCP streams and keeps relative sequence bases per stream', () => {
    const { frames } = captureFile('store-streams.pcapng');
    const store = new PacketStore();
    frames.forEach((f, i) => store.append(f, { timeNs: BigInt(i) }));
    const r = store.filter('tcp.stream == 1');
    assert.ok(r.ok);
    assert.deepEqual(Array.from(r.value, (i) => i + 1), [7, 8, 9, 10, 11, 12, 17, 18, 19, 20]);
    const rows = store.rows(16, 4);
    assert.equal(rows[0]!.info, 'HTTP/1.1 200 OK  (text/html)');
    assert.match(rows[1]!.info, /^49152 → 80 \[FIN, ACK\] Seq=85 Ack=/);
  });

  it('refreshes a cached echo request row when its reply arrives (live appends)', () => {
    const a = ipv4('10.0.0.1');
    const b = ipv4('10.0.0.2');
    const frame = (src: number, dst: number, icmp: Icmp): Uint8Array =>
      serialize([new Ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') }), new Ipv4({ src, dst, protocol: IPPROTO_ICMP }), icmp]);
    const req = Icmp.echoRequest(0x4a52, 1, new Uint8Array(8));
    const store = new PacketStore();
    store.append(frame(a, b, req), { timeNs: 0n });
    assert.doesNotMatch(store.rows(0, 1)[0]!.info, /reply in/);
    store.append(frame(b, a, echoReplyTo(req)), { timeNs: 1000n });
    const rows = store.rows(0, 2);
    assert.match(rows[0]!.info, /\(reply in 2\)$/);
    assert.match(rows[1]!.info, /\(request in 1\)$/);
    // A reply seen before its request (capture started late on one side) gains "(request in N)".
    const late = new PacketStore();
    late.append(frame(b, a, echoReplyTo(req)), { timeNs: 0n });
    assert.doesNotMatch(late.rows(0, 1)[0]!.info, /request in/);
    late.append(frame(a, b, req), { timeNs: 1000n });
    assert.match(late.rows(0, 1)[0]!.info, /\(request in 2\)$/);
  });

  it('appendSame shares a packet\'s bytes and analyses it like append', () => {
    const t = syntheticFrames();
    const copied = new PacketStore();
    const shared = new PacketStore();
    for (let i = 0; i < 64; i++) {
      const meta = { timeNs: BigInt(i), ...(i % 5 === 0 ? { comment: `c${i}` } : {}) };
      copied.append(t[i % t.length]!, meta);
      if (i < t.length) shared.append(t[i]!, meta);
      else shared.appendSame(i % t.length, meta);
    }
    assert.equal(shared.count, 64);
    assert.equal(shared.tcpStreams, copied.tcpStreams);
    for (let i = 0; i < 64; i++) {
      assert.deepEqual(shared.bytes(i), copied.bytes(i));
      assert.deepEqual(shared.meta(i), copied.meta(i));
      assert.equal(shared.interfaceOf(i), 0);
    }
    assert.deepEqual(shared.rows(0, 64), copied.rows(0, 64));
    for (const f of ['tcp.stream == 3', 'udp', 'frame.comment contains "c1"']) assert.deepEqual(shared.filter(f), copied.filter(f));
    assert.deepEqual(shared.toPcapng(), copied.toPcapng());
    assert.throws(() => shared.appendSame(64, { timeNs: 0n }), RangeError);
  });

  it('saves as pcapng that readCapture and tshark read back', function () {
    const { bytes, frames } = captureFile('store-save-src.pcapng');
    const c = readCapture(bytes);
    assert.ok(c.ok);
    const store = PacketStore.fromCapture(c.value);
    const out = store.toPcapng();
    const back = readCapture(out);
    assert.ok(back.ok);
    assert.equal(back.value.packets.length, frames.length);
    back.value.packets.forEach((p, i) => {
      assert.deepEqual(p.data, frames[i]);
      assert.equal(p.timestampNs, c.value.packets[i]!.timestampNs);
    });
    assert.equal(back.value.packets[0]!.comment, 'alteon: SLB vip1 → real2 (roundrobin)');
    assert.equal(back.value.packets[0]!.direction, 'inbound');
    assert.equal(back.value.interfaces[0]!.name, 'lab:client');
    requireTool(this, 'tshark');
    const file = writeArtifact('store-saved.pcapng', out);
    assert.equal(tsharkCount(file), frames.length);
  });

  it('rejects out-of-range indices and bad filters without throwing on the filter', () => {
    const store = new PacketStore();
    assert.throws(() => store.bytes(0), RangeError);
    const r = store.filter('nonsense.field');
    assert.ok(!r.ok);
    assert.equal(r.error.message, '"nonsense.field" is not a valid protocol or protocol field.');
  });
});
