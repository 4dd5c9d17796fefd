import assert from 'node:assert/strict';
import { ipv4 } from '../../../engine/wire/addr.ts';
import { bytesEqual } from '../../../engine/wire/bytes.ts';
import { readCapture } from '../../../engine/capture/capture.ts';
import { MAX_COMMENT_BYTES, PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { assertCleanCapture, field, tsharkFields, tsharkJson } from '../../support/tshark.ts';
import { requireTool } from '../../support/tools.ts';
import { everyCodecFrames } from './frames.ts';
import { writeArtifact } from './helpers.ts';

const EPOCH = 1_700_000_000_000_000_000n; // 2023-11-14T22:13:20Z

function le32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(o, true);
}
function le16(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset).getUint16(o, true);
}

/** Two interfaces, comments, directions, an NRB before and one after the packets. */
function labCapture(): Uint8Array {
  const frames = everyCodecFrames();
  const w = new PcapngWriter({ epochNs: EPOCH });
  const outside = w.addInterface({ name: 'alteon:outside', description: 'Alteon port 1, client side' });
  const inside = w.addInterface({ name: 'alteon:inside', description: 'Alteon port 2, server side' });
  w.writeNames([{ addr: ipv4('13.246.100.25'), names: 'alteon-vip1' }]);
  frames.forEach((f, i) => {
    const iface = i % 2 === 0 ? outside : inside;
    w.writePacket(iface, 1_000_000 * i + 123, f.bytes, {
      direction: i % 3 === 0 ? 'inbound' : 'outbound',
      ...(i % 4 === 0 ? { comment: `alteon: packet ${i} → real${i % 3} (roundrobin)` } : {}),
    });
  });
  w.writeNames([{ addr: ipv4('10.0.0.2'), names: ['dns1', 'resolver'] }]);
  return w.toBytes();
}

describe('capture/pcapng-writer', () => {
  it('writes a Section Header Block: magic, version 1.0, length -1, pktlab text options only', () => {
    const b = new PcapngWriter().toBytes();
    assert.equal(le32(b, 0), 0x0a0d0d0a);
    assert.equal(le32(b, 4), b.length);
    assert.equal(le32(b, 8), 0x1a2b3c4d);
    assert.equal(le16(b, 12), 1);
    assert.equal(le16(b, 14), 0);
    assert.deepEqual([...b.subarray(16, 24)], new Array(8).fill(0xff));
    assert.equal(le32(b, b.length - 4), b.length);
    const r = readCapture(b);
    assert.ok(r.ok);
    assert.deepEqual(r.value.section, { hardware: 'pktlab', os: 'pktlab', userappl: 'pktlab' });
  });

  it('writes an IDB with linktype, snaplen, if_name, if_description and if_tsresol 9', () => {
    const w = new PcapngWriter();
    const shbLen = w.byteLength;
    assert.equal(w.addInterface({ name: 'sw1:outside', description: 'outside', snaplen: 1500 }), 0);
    const b = w.toBytes().subarray(shbLen);
    assert.equal(le32(b, 0), 1);
    assert.equal(le32(b, 4), b.length);
    assert.equal(le16(b, 8), 1);
    assert.equal(le32(b, 12), 1500);
    // if_name "sw1:outside" (11 bytes + 1 pad)
    assert.equal(le16(b, 16), 2);
    assert.equal(le16(b, 18), 11);
    assert.equal(new TextDecoder().decode(b.subarray(20, 31)), 'sw1:outside');
    // if_description "outside" (7 + 1), then if_tsresol = 9, then opt_endofopt
    assert.equal(le16(b, 32), 3);
    assert.equal(le16(b, 44), 9);
    assert.equal(le16(b, 46), 1);
    assert.equal(b[48], 9);
    assert.equal(le32(b, 52), 0);
    assert.equal(le32(b, 56), b.length);
  });

  it('writes an EPB: 64-bit ns timestamp = epoch + virtual time, lengths, 32-bit padding, flags and comment', () => {
    const w = new PcapngWriter({ epochNs: EPOCH });
    w.addInterface({ name: 'a' });
    const before = w.byteLength;
    const data = Uint8Array.from({ length: 61 }, (_, i) => i);
    w.writePacket(0, 2 ** 33 + 5, data, { direction: 'outbound', comment: 'drop: no route' });
    const b = w.toBytes().subarray(before);
    assert.equal(le32(b, 0), 6);
    assert.equal(b.length % 4, 0);
    assert.equal(le32(b, 4), b.length);
    assert.equal(le32(b, 8), 0);
    const ts = (BigInt(le32(b, 12)) << 32n) | BigInt(le32(b, 16));
    assert.equal(ts, EPOCH + 2n ** 33n + 5n);
    assert.equal(le32(b, 20), 61);
    assert.equal(le32(b, 24), 61);
    assert.ok(bytesEqual(b.subarray(28, 89), data));
    assert.deepEqual([...b.subarray(89, 92)], [0, 0, 0]);
    const r = readCapture(w.toBytes());
    assert.ok(r.ok && !r.value.error);
    const p = r.value.packets[0]!;
    assert.equal(p.timestampNs, EPOCH + 2n ** 33n + 5n);
    assert.equal(p.comment, 'drop: no route');
    assert.equal(p.direction, 'outbound');
    assert.equal(p.flags, 2);
  });

  it('gives the same timestamp for number and bigint virtual times, with a carry into the upper word', () => {
    const epoch = (1n << 32n) - 10n;
    const a = new PcapngWriter({ epochNs: epoch });
    const b = new PcapngWriter({ epochNs: epoch });
    a.addInterface({ name: 'x' });
    b.addInterface({ name: 'x' });
    for (const t of [0, 9, 10, 11, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      a.writePacket(0, t, new Uint8Array(14));
      b.writePacket(0, BigInt(t), new Uint8Array(14));
    }
    assert.ok(bytesEqual(a.toBytes(), b.toBytes()));
    const r = readCapture(a.toBytes());
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.packets.map((p) => p.timestampNs),
      [0, 9, 10, 11, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER].map((t) => epoch + BigInt(t)),
    );
  });

  it('truncates a packet to the snaplen and keeps its original length', () => {
    const w = new PcapngWriter();
    w.addInterface({ name: 'short', snaplen: 64 });
    w.writePacket(0, 0, new Uint8Array(100).fill(7));
    w.writePacket(0, 1, new Uint8Array(40), { originalLength: 1514 });
    const r = readCapture(w.toBytes());
    assert.ok(r.ok && !r.value.error);
    assert.deepEqual(
      r.value.packets.map((p) => [p.data.length, p.originalLength]),
      [
        [64, 100],
        [40, 1514],
      ],
    );
  });

  it('throws on programmer errors and leaves the writer unchanged', () => {
    const w = new PcapngWriter();
    w.addInterface({ name: 'a' });
    w.writePacket(0, 1, new Uint8Array(60));
    const len = w.byteLength;
    const frame = new Uint8Array(60);
    assert.throws(() => w.writePacket(1, 0, frame), /interface id 1 has no Interface Description Block/);
    assert.throws(() => w.writePacket(-1, 0, frame), RangeError);
    assert.throws(() => w.writePacket(0.5, 0, frame), RangeError);
    assert.throws(() => w.writePacket(0, -1, frame), /non-negative/);
    assert.throws(() => w.writePacket(0, -1n, frame), /non-negative/);
    assert.throws(() => w.writePacket(0, 1.5, frame), RangeError);
    assert.throws(() => w.writePacket(0, 1n << 64n, frame), /overflows/);
    assert.throws(() => w.writePacket(0, 0, frame, { originalLength: 59 }), /original length 59/);
    assert.throws(() => w.writePacket(0, 0, frame, { comment: 'x'.repeat(MAX_COMMENT_BYTES + 1) }), /limit is 65535/);
    assert.throws(() => w.writePacket(0, 0, frame, { comment: 'é'.repeat(40_000) }), /limit is 65535/);
    assert.throws(() => w.writePacket(0, 0, frame, { comment: 'a\0b' }), /NUL/);
    assert.throws(() => w.writePacket(0, 0, frame, { direction: 'sideways' as never }), /direction/);
    assert.throws(() => w.addInterface({ name: '' }), /non-empty/);
    assert.throws(() => w.addInterface({ name: 'x', linktype: 70000 }), /16 bits/);
    assert.throws(() => w.addInterface({ name: 'x', snaplen: -1 }), /32 bits/);
    assert.throws(() => w.writeNames([{ addr: 2 ** 32, names: 'x' }]), /IPv4/);
    assert.throws(() => w.writeNames([{ addr: 1, names: [] }]), /at least one name/);
    assert.throws(() => w.writeNames([{ addr: 1, names: '' }]), /empty/);
    assert.throws(() => new PcapngWriter({ epochNs: -1n }), RangeError);
    assert.equal(w.byteLength, len);
    assert.equal(w.interfaceCount, 1);
    // A comment exactly at the limit is accepted.
    w.writePacket(0, 2, frame, { comment: 'y'.repeat(MAX_COMMENT_BYTES) });
    const r = readCapture(w.toBytes());
    assert.ok(r.ok && !r.value.error);
    assert.equal(r.value.packets.length, 2);
    assert.equal(r.value.packets[1]!.comment?.length, MAX_COMMENT_BYTES);
  });

  it('streams through a sink: the chunks concatenate to the in-memory bytes', () => {
    const chunks: Uint8Array[] = [];
    const s = new PcapngWriter({ epochNs: EPOCH, sink: (c) => chunks.push(c), flushBytes: 200 });
    const m = new PcapngWriter({ epochNs: EPOCH });
    for (const w of [s, m]) {
      w.addInterface({ name: 'a' });
      everyCodecFrames().forEach((f, i) => w.writePacket(0, i * 1000, f.bytes, { comment: f.name }));
      w.writeNames([{ addr: 1, names: 'one' }]);
    }
    s.flush();
    assert.ok(chunks.length > 5);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    assert.equal(total, s.byteLength);
    const joined = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      joined.set(c, o);
      o += c.length;
    }
    assert.ok(bytesEqual(joined, m.toBytes()));
    assert.throws(() => s.toBytes(), /streaming/);
  });

  it('is deterministic: the same packets give identical bytes', () => {
    assert.ok(bytesEqual(labCapture(), labCapture()));
  });

  it('grows its buffer for large captures (jumbo frames, many packets)', () => {
    const w = new PcapngWriter({ initialCapacity: 256 });
    w.addInterface({ name: 'a' });
    const big = new Uint8Array(9014).fill(0xab);
    for (let i = 0; i < 200; i++) w.writePacket(0, i, big);
    const r = readCapture(w.toBytes());
    assert.ok(r.ok && !r.value.error);
    assert.equal(r.value.packets.length, 200);
    assert.ok(r.value.packets.every((p) => p.data.length === 9014 && p.data[9013] === 0xab));
  });

  it('is read by tshark: interface names, comments, nanosecond timestamps, direction and NRB names', function () {
    requireTool(this, 'tshark');
    const file = writeArtifact('writer-lab.pcapng', labCapture());
    const frames = everyCodecFrames();
    assertCleanCapture(file, frames.length);
    const rows = tsharkFields(file, ['frame.interface_name', 'frame.time_epoch', 'frame.comment', 'frame.packet_flags_direction']);
    assert.equal(rows.length, frames.length);
    rows.forEach((r, i) => {
      assert.equal(r[0], i % 2 === 0 ? 'alteon:outside' : 'alteon:inside');
      // 1700000000 s + (1 ms * i + 123 ns), to the nanosecond.
      const ns = 1_000_000 * i + 123;
      assert.equal(r[1], `1700000000.${String(ns).padStart(9, '0')}`);
      assert.equal(r[2] ?? '', i % 4 === 0 ? `alteon: packet ${i} → real${i % 3} (roundrobin)` : '');
      assert.equal(Number(r[3]), i % 3 === 0 ? 1 : 2);
    });
    const descr = tsharkJson(file).map((p) => field(p._source.layers, 'frame.interface_description'));
    // tshark 4.0 shows the description in -V output but not as a JSON field; accept either.
    assert.ok(descr.every((d) => d === undefined || d.startsWith('Alteon port')));
    // Names from the NRB written before the packets resolve in one pass; -2 also uses the later NRB.
    const named = tsharkJson(file, ['-N', 'n', '-2']);
    const hosts = new Set(named.flatMap((p) => [field(p._source.layers, 'ip.src_host'), field(p._source.layers, 'ip.dst_host')]));
    assert.ok(hosts.has('alteon-vip1'), `hosts: ${[...hosts].join(', ')}`);
    // 10.0.0.2 has two names; tshark shows one of them.
    assert.ok(hosts.has('dns1') || hosts.has('resolver'), `hosts: ${[...hosts].join(', ')}`);
    assert.ok(!hosts.has('13.246.100.25'));
  });
});
