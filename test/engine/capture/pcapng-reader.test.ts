import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4 } from '../../../engine/wire/addr.ts';
import { bytesEqual } from '../../../engine/wire/bytes.ts';
import { readCapture, type Capture } from '../../../engine/capture/capture.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { fuzzDecoder, FUZZ_RUNS } from '../../support/fuzz.ts';
import { tsharkFields } from '../../support/tshark.ts';
import { requireTool } from '../../support/tools.ts';
import { everyCodecFrames } from './frames.ts';
import { BlockBuilder, classicPcap, writeArtifact } from './helpers.ts';

const te = new TextEncoder();

function read(b: Uint8Array): Capture {
  const r = readCapture(b);
  if (!r.ok) assert.fail(`readCapture failed: ${r.error.message}`);
  return r.value;
}

/** Block boundaries of a pcapng file (offsets where a block starts, and the end). */
function blockBoundaries(b: Uint8Array): Set<number> {
  const s = new Set<number>([0]);
  let o = 0;
  let le = true;
  while (o + 12 <= b.length) {
    const dv = new DataView(b.buffer, b.byteOffset);
    if (dv.getUint32(o, true) === 0x0a0d0d0a) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
    o += dv.getUint32(o + 4, le);
    s.add(o);
  }
  return s;
}

/** A big-endian file with two sections and every block kind the reader must read or skip. */
function bigEndianFile(): { bytes: Uint8Array; frames: Uint8Array[] } {
  const frames = everyCodecFrames().map((f) => f.bytes);
  const be = new BlockBuilder(false);
  be.shb(1, be.opt(1, 'made by hand'), be.opt(4, 'other-tool 1.0'), be.endOpt());
  // Interface 0: microseconds, an if_tsoffset of 1700000000 s, and an unknown local-use option.
  be.idb(1, 65535, be.opt(2, 'eth0'), be.opt(0x8123, 'ignore me'), be.opt(9, Uint8Array.of(6)), be.opt(14, be.i64(1_700_000_000n)), be.endOpt());
  be.block(0x0a, be.u32(0x544c534b), be.u32(4), te.encode('keys')); // DSB (TLS key log), skipped
  be.block(0x00000bad, be.u32(32473), te.encode('custom data')); // custom block, skipped
  be.block(0x12345678, te.encode('an unknown block')); // unknown block type, skipped
  be.epb(0, 1_500_000n, frames[0]!, frames[0]!.length, be.opt(1, 'first'), be.opt(2, be.u32(1)), be.opt(0x9999, 'x'), be.opt(1, 'second'), be.endOpt());
  be.nrbIpv4([13, 246, 100, 25], 'alteon-vip1', 'vip');
  be.block(5, be.u32(0), be.u32(0), be.u32(2_000_000), be.endOpt()); // ISB, skipped
  be.epb(0, 2_000_000n, frames[7]!, 1514, be.opt(2, be.u32(2)));
  // Section 2, little-endian: timestamps in 2^-10 s, packets on its own interface 0.
  const le = new BlockBuilder(true);
  le.shb(1);
  le.idb(1, 0, le.opt(2, 'wlan0'), le.opt(9, Uint8Array.of(0x8a)), le.endOpt());
  le.epb(0, 1_700_000_000n * 1024n + 512n, frames[12]!);
  le.spb(frames[13]!);
  const bytes = new Uint8Array([...be.bytes(), ...le.bytes()]);
  return { bytes, frames };
}

/** Small valid captures of every shape the reader takes, for cut and fuzz tests. */
const validCaptureArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      names: fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 3 }),
      packets: fc.array(
        fc.record({
          iface: fc.nat(),
          t: fc.nat(),
          data: fc.uint8Array({ maxLength: 80 }),
          comment: fc.option(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0')), { nil: undefined }),
          inbound: fc.boolean(),
        }),
        { maxLength: 5 },
      ),
      nrb: fc.boolean(),
    })
    .map(({ names, packets, nrb }) => {
      const w = new PcapngWriter({ epochNs: 1_700_000_000_000_000_000n });
      for (const n of names) w.addInterface({ name: n, description: `${n} port` });
      if (nrb) w.writeNames([{ addr: ipv4('10.0.0.1'), names: 'client' }]);
      for (const p of packets) {
        w.writePacket(p.iface % names.length, p.t, p.data, { direction: p.inbound ? 'inbound' : 'outbound', ...(p.comment === undefined ? {} : { comment: p.comment }) });
      }
      return Uint8Array.from(w.toBytes());
    }),
  fc.constant(bigEndianFile().bytes),
  fc
    .record({ nano: fc.boolean(), little: fc.boolean(), data: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }) })
    .map(({ nano, little, data }) => classicPcap(data.map((d, i) => ({ sec: 1_700_000_000 + i, frac: i * 7, data: d })), { nano, little })),
);

describe('capture/pcapng-reader', () => {
  it('round-trips the writer: interfaces, packets, timestamps, comments, directions, names', () => {
    const frames = everyCodecFrames();
    const w = new PcapngWriter({ epochNs: 1_700_000_000_000_000_000n });
    w.addInterface({ name: 'alteon:outside', description: 'client side' });
    w.addInterface({ name: 'alteon:inside', snaplen: 1500 });
    w.writeNames([{ addr: ipv4('13.246.100.25'), names: 'alteon-vip1' }]);
    frames.forEach((f, i) =>
      w.writePacket(i % 2, 1000 * i, f.bytes, {
        ...(i % 2 ? { direction: 'outbound' as const } : { direction: 'inbound' as const, comment: `decision ${i} ✓` }),
      }),
    );
    w.writeNames([{ addr: ipv4('10.0.0.2'), names: ['dns1', 'resolver'] }]);
    const c = read(w.toBytes());
    assert.equal(c.format, 'pcapng');
    assert.equal(c.byteOrder, 'little');
    assert.equal(c.error, undefined);
    assert.deepEqual(c.interfaces, [
      { name: 'alteon:outside', description: 'client side', linktype: 1, snaplen: 262144, tsresol: 9, tsoffset: 0n, section: 0 },
      { name: 'alteon:inside', linktype: 1, snaplen: 1500, tsresol: 9, tsoffset: 0n, section: 0 },
    ]);
    assert.equal(c.packets.length, frames.length);
    c.packets.forEach((p, i) => {
      assert.equal(p.interfaceId, i % 2);
      assert.equal(p.timestampNs, 1_700_000_000_000_000_000n + BigInt(1000 * i));
      assert.ok(bytesEqual(p.data, frames[i]!.bytes));
      assert.equal(p.originalLength, frames[i]!.bytes.length);
      assert.equal(p.direction, i % 2 ? 'outbound' : 'inbound');
      assert.equal(p.comment, i % 2 ? undefined : `decision ${i} ✓`);
    });
    assert.deepEqual(c.names, [
      { family: 'ipv4', address: '13.246.100.25', names: ['alteon-vip1'] },
      { family: 'ipv4', address: '10.0.0.2', names: ['dns1', 'resolver'] },
    ]);
  });

  it('reads a big-endian section and a little-endian one; skips DSB, ISB, custom, unknown blocks and options', () => {
    const { bytes, frames } = bigEndianFile();
    const c = read(bytes);
    assert.equal(c.error, undefined);
    assert.equal(c.byteOrder, 'big');
    assert.deepEqual(c.section, { comment: 'made by hand', userappl: 'other-tool 1.0' });
    assert.deepEqual(
      c.interfaces.map((i) => [i.name, i.tsresol, i.tsoffset, i.snaplen, i.section]),
      [
        ['eth0', 6, 1_700_000_000n, 65535, 0],
        ['wlan0', 0x8a, 0n, 0, 1],
      ],
    );
    assert.equal(c.packets.length, 4);
    const [a, b, d, e] = c.packets as [any, any, any, any];
    // µs units plus the offset in seconds.
    assert.equal(a.timestampNs, 1_700_000_000_000_000_000n + 1_500_000_000n);
    assert.equal(a.comment, 'first\nsecond');
    assert.equal(a.direction, 'inbound');
    assert.ok(bytesEqual(a.data, frames[0]!));
    assert.equal(b.timestampNs, 1_700_000_002_000_000_000n);
    assert.equal(b.originalLength, 1514);
    assert.equal(b.direction, 'outbound');
    // 2^-10 s units: 512/1024 s = 0.5 s.
    assert.equal(d.interfaceId, 1);
    assert.equal(d.timestampNs, 1_700_000_000_500_000_000n);
    assert.ok(bytesEqual(d.data, frames[12]!));
    // Simple Packet Block: interface 0 of its section, no timestamp.
    assert.equal(e.interfaceId, 1);
    assert.equal(e.timestampNs, null);
    assert.ok(bytesEqual(e.data, frames[13]!));
    assert.deepEqual(c.names, [{ family: 'ipv4', address: '13.246.100.25', names: ['alteon-vip1', 'vip'] }]);
  });

  it('agrees with tshark on the hand-built big-endian file', function () {
    requireTool(this, 'tshark');
    const { bytes } = bigEndianFile();
    const file = writeArtifact('reader-big-endian.pcapng', bytes);
    // tshark lists the copyable custom block as a record of its own (no interface id): leave it out.
    const rows = tsharkFields(file, ['frame.interface_id', 'frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.section_number', 'frame.interface_name']).filter(
      (r) => r[0] !== '',
    );
    const c = read(bytes);
    assert.equal(rows.length, c.packets.length);
    rows.forEach((r, i) => {
      const p = c.packets[i]!;
      const iface = c.interfaces[p.interfaceId]!;
      assert.equal(Number(r[4]) - 1, iface.section);
      // tshark 4.0 names interfaces of later sections after the first section's; compare section 1 only.
      if (iface.section === 0) assert.equal(r[5], iface.name);
      if (p.timestampNs !== null) {
        const s = p.timestampNs / 1_000_000_000n;
        const ns = p.timestampNs % 1_000_000_000n;
        assert.equal(r[1], `${s}.${String(ns).padStart(9, '0')}`);
      }
      assert.equal(Number(r[2]), p.data.length);
      assert.equal(Number(r[3]), p.originalLength);
    });
  });

  it('skips a section of an unknown major version and reads the next one', () => {
    const a = new BlockBuilder(true);
    a.shb(1).idb(1, 0, a.opt(2, 'one'), a.endOpt()).epb(0, 1n, new Uint8Array(20));
    a.shb(2).block(0x77, new Uint8Array(8)).epb(5, 1n, new Uint8Array(20));
    a.shb(1).idb(1, 0, a.opt(2, 'three'), a.endOpt()).epb(0, 3n, new Uint8Array(30));
    const c = read(a.bytes());
    assert.equal(c.error, undefined);
    assert.deepEqual(c.interfaces.map((i) => [i.name, i.section]), [['one', 0], ['three', 2]]);
    assert.deepEqual(c.packets.map((p) => [p.interfaceId, p.timestampNs, p.data.length]), [[0, 1000n, 20], [1, 3000n, 30]]);
  });

  it('reports corrupt blocks with their byte offset and keeps the packets before them', () => {
    const good = new BlockBuilder(true);
    good.shb(1).idb(1, 0).epb(0, 1n, new Uint8Array(20));
    const base = good.bytes();
    const cases: [string, (b: BlockBuilder) => void, RegExp][] = [
      ['unknown interface', (b) => b.epb(3, 1n, new Uint8Array(8)), /enhanced packet block at byte \d+: interface id 3 has no Interface Description Block/],
      ['captured length past the block', (b) => b.block(6, b.u32(0), b.u32(0), b.u32(0), b.u32(400), b.u32(400), new Uint8Array(8)), /captured length 400 exceeds/],
      ['option past the block', (b) => b.idb(1, 0, b.u32(0x00ff0002)), /option 2 at byte \d+ \(length 255\) runs past the end of the block/],
      ['bad if_tsresol length', (b) => b.idb(1, 0, b.opt(9, Uint8Array.of(9, 9))), /if_tsresol has length 2/],
      ['short EPB', (b) => b.block(6, new Uint8Array(8)), /shorter than the 20 fixed bytes/],
      ['bad NRB record', (b) => b.block(4, b.u32(0x00400001)), /record 1 at byte \d+ \(length 64\) runs past/],
    ];
    for (const [name, add, re] of cases) {
      const extra = new BlockBuilder(true);
      add(extra);
      const bytes = new Uint8Array([...base, ...extra.bytes()]);
      const c = read(bytes);
      assert.ok(c.error, name);
      assert.equal(c.error.kind, 'malformed', name);
      assert.equal(c.error.offset, base.length, name);
      assert.match(c.error.message, re, name);
      assert.ok(c.error.message.includes(`at byte ${base.length}`), `${name}: ${c.error.message}`);
      assert.equal(c.packets.length, 1, name);
    }
    // Leading and trailing block lengths that differ; a length that is not a multiple of 4.
    const bad = Uint8Array.from(base);
    new DataView(bad.buffer).setUint32(bad.length - 4, 999, true);
    const c1 = read(bad);
    assert.match(c1.error!.message, /malformed block at byte \d+: trailing block length 999 differs from the leading/);
    assert.equal(c1.packets.length, 0);
    const odd = new Uint8Array([...base, 6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.match(read(odd).error!.message, new RegExp(`malformed block at byte ${base.length}: block length 13 is not a multiple of 4`));
  });

  it('fails without a readable first Section Header Block', () => {
    for (const [b, re] of [
      [new Uint8Array(0), /too short/],
      [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), /not a pcap or pcapng file \(magic number 0x01020304\)/],
      [Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4), /byte-order magic 0x04030201/],
      [Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0), /truncated block at byte 0/],
    ] as const) {
      const r = readCapture(b);
      assert.ok(!r.ok, String(re));
      assert.match(r.error.message, re);
      assert.equal(typeof r.error.offset, 'number');
    }
  });

  it('at every cut point of a valid file: a typed error naming the byte offset, never a throw', () => {
    const w = new PcapngWriter({ epochNs: 1n });
    w.addInterface({ name: 'a' });
    w.addInterface({ name: 'b' });
    everyCodecFrames().slice(0, 5).forEach((f, i) => w.writePacket(i % 2, i, f.bytes, { comment: `c${i}` }));
    w.writeNames([{ addr: 1, names: 'x' }]);
    for (const whole of [Uint8Array.from(w.toBytes()), bigEndianFile().bytes]) {
      const full = read(whole);
      const bounds = blockBoundaries(whole);
      for (let cut = 0; cut < whole.length; cut++) {
        const part = whole.slice(0, cut);
        const r = readCapture(part);
        if (!r.ok) {
          assert.ok(cut < 28 + 256, `cut ${cut}: only a broken first section header fails outright`);
          assert.equal(typeof r.error.offset, 'number');
          continue;
        }
        const c = r.value;
        if (bounds.has(cut)) {
          assert.equal(c.error, undefined, `cut ${cut} at a block boundary reads as a shorter file`);
        } else {
          assert.ok(c.error, `cut ${cut}: expected an error`);
          assert.equal(c.error.kind, 'truncated');
          assert.match(c.error.message, /^truncated block at byte \d+: /);
          assert.ok(c.error.offset! < cut);
        }
        assert.ok(c.packets.length <= full.packets.length);
        c.packets.forEach((p, i) => assert.ok(bytesEqual(p.data, full.packets[i]!.data)));
      }
    }
  });

  it('fuzz: random and mutated captures never throw and fail with typed kinds', function () {
    // Whole files are larger than single headers: 20,000 runs each keeps this test to seconds.
    this.timeout(300_000);
    fuzzDecoder(readCapture, validCaptureArbitrary, Math.min(FUZZ_RUNS, 20_000));
  });

  it('fuzz: mutated captures also keep their error offsets inside the file', () => {
    fc.assert(
      fc.property(validCaptureArbitrary, fc.nat(), fc.integer({ min: 0, max: 255 }), (b, pos, val) => {
        const m = Uint8Array.from(b);
        if (m.length) m[pos % m.length] = val;
        const r = readCapture(m);
        const e = r.ok ? r.value.error : r.error;
        if (e?.offset !== undefined) assert.ok(e.offset >= 0 && e.offset <= m.length);
        if (r.ok) for (const p of r.value.packets) assert.ok(p.data.length <= m.length);
      }),
      { numRuns: Math.min(FUZZ_RUNS, 5_000) },
    );
  });
});
