import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bytesEqual } from '../../../engine/wire/bytes.ts';
import { readCapture, type Capture } from '../../../engine/capture/capture.ts';
import { readPcap } from '../../../engine/capture/pcap-reader.ts';
import { tsharkFields } from '../../support/tshark.ts';
import { requireTool } from '../../support/tools.ts';
import { everyCodecFrames } from './frames.ts';
import { classicPcap, foreignCapture, pcapToBigEndian, writeArtifact } from './helpers.ts';

function read(b: Uint8Array): Capture {
  const r = readCapture(b);
  if (!r.ok) assert.fail(`readCapture failed: ${r.error.message}`);
  return r.value;
}

/** tshark's epoch time text → ns. */
function epochNs(s: string): bigint {
  const [sec, frac = ''] = s.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

describe('capture/pcap-reader', () => {
  const frames = everyCodecFrames().map((f) => f.bytes);

  it('reads hand-built classic pcap in both byte orders, microsecond and nanosecond', () => {
    for (const little of [true, false]) {
      for (const nano of [false, true]) {
        const b = classicPcap(
          frames.slice(0, 3).map((d, i) => ({ sec: 1_700_000_000 + i, frac: 999 + i, data: d })),
          { little, nano, snaplen: 65535 },
        );
        const copy = Uint8Array.from(b);
        const c = read(b);
        assert.ok(bytesEqual(b, copy), 'the input is not modified');
        assert.equal(c.format, 'pcap');
        assert.equal(c.byteOrder, little ? 'little' : 'big');
        assert.equal(c.error, undefined);
        assert.deepEqual(c.interfaces, [{ linktype: 1, snaplen: 65535, tsresol: nano ? 9 : 6, tsoffset: 0n, section: 0 }]);
        assert.deepEqual(
          c.packets.map((p) => p.timestampNs),
          [0, 1, 2].map((i) => BigInt(1_700_000_000 + i) * 1_000_000_000n + BigInt(999 + i) * (nano ? 1n : 1000n)),
        );
        c.packets.forEach((p, i) => {
          assert.equal(p.interfaceId, 0);
          assert.ok(bytesEqual(p.data, frames[i]!));
          assert.equal(p.originalLength, frames[i]!.length);
        });
      }
    }
  });

  it('masks the FCS bits of the LinkType field and keeps the original length', () => {
    const b = classicPcap([{ sec: 1, frac: 2, data: frames[0]!.subarray(0, 20), origLen: 60 }], { linktype: 0x1000_0001 });
    const c = read(b);
    assert.equal(c.interfaces[0]!.linktype, 1);
    assert.equal(c.packets[0]!.originalLength, 60);
    assert.equal(c.packets[0]!.data.length, 20);
  });

  it('refuses another major version and an unknown magic with a typed error', () => {
    const b = classicPcap([]);
    new DataView(b.buffer).setUint16(4, 3, true);
    const r = readPcap(b);
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'unsupported');
    assert.match(r.error.message, /unsupported pcap version 3\.4/);
    const m = readPcap(Uint8Array.of(0xa1, 0xb2, 0xcd, 0x34, ...new Array(20).fill(0)));
    assert.ok(!m.ok);
    assert.match(m.error.message, /magic number 0xa1b2cd34/);
  });

  it('at every cut point: packets read so far plus a truncation error naming the byte offset', () => {
    for (const nano of [false, true]) {
      const whole = classicPcap(frames.slice(0, 4).map((d, i) => ({ sec: i, frac: i, data: d })), { nano, little: !nano });
      const ends = [24];
      for (const f of frames.slice(0, 4)) ends.push(ends.at(-1)! + 16 + f.length);
      for (let cut = 0; cut < whole.length; cut++) {
        const r = readCapture(whole.slice(0, cut));
        if (cut < 24) {
          assert.ok(!r.ok);
          assert.equal(r.error.offset, 0);
          continue;
        }
        assert.ok(r.ok, `cut ${cut}`);
        const c = r.value;
        const complete = ends.filter((e) => e <= cut).length - 1;
        assert.equal(c.packets.length, complete, `cut ${cut}`);
        if (ends.includes(cut)) {
          assert.equal(c.error, undefined, `cut ${cut}`);
        } else {
          assert.ok(c.error, `cut ${cut}`);
          assert.equal(c.error.kind, 'truncated');
          assert.equal(c.error.offset, ends[complete]);
          assert.match(c.error.message, new RegExp(`^truncated record at byte ${ends[complete]}: `));
        }
      }
    }
  });

  describe('captures written by text2pcap and editcap', () => {
    before(function () {
      requireTool(this, 'text2pcap', 'tshark');
      requireTool(this, 'editcap', 'tshark');
      requireTool(this, 'tshark');
    });

    function compareWithTshark(file: string, nano: boolean): void {
      const bytes = readFileSync(file);
      const c = read(bytes);
      assert.equal(c.error, undefined);
      const rows = tsharkFields(file, ['frame.time_epoch', 'frame.cap_len', 'eth.src']);
      assert.equal(c.packets.length, rows.length);
      assert.equal(c.packets.length, frames.length);
      rows.forEach((r, i) => {
        const p = c.packets[i]!;
        assert.equal(p.timestampNs, epochNs(r[0]!));
        if (!nano) assert.equal(p.timestampNs! % 1000n, 0n);
        assert.equal(p.data.length, Number(r[1]));
        assert.ok(bytesEqual(p.data, frames[i]!));
      });
    }

    it('microsecond pcap (text2pcap -F pcap)', () => {
      const file = foreignCapture(frames, 'text2pcap-usec', 'pcap');
      const c = read(readFileSync(file));
      assert.equal(c.format, 'pcap');
      assert.equal(c.interfaces[0]!.tsresol, 6);
      compareWithTshark(file, false);
    });

    it('nanosecond pcap (editcap -F nsecpcap), read through the translated header', () => {
      const file = foreignCapture(frames, 'editcap-nsec', 'nsecpcap');
      const bytes = readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 4)], [0x4d, 0x3c, 0xb2, 0xa1]);
      assert.equal(read(bytes).interfaces[0]!.tsresol, 9);
      compareWithTshark(file, true);
    });

    it('big-endian pcap (text2pcap output byte-swapped), which tshark also reads', () => {
      const le = readFileSync(foreignCapture(frames, 'text2pcap-le', 'pcap'));
      const file = writeArtifact('text2pcap-be.pcap', pcapToBigEndian(le));
      const c = read(readFileSync(file));
      assert.equal(c.byteOrder, 'big');
      compareWithTshark(file, false);
    });

    it('pcapng converted by editcap (-F pcapng)', () => {
      const file = foreignCapture(frames, 'editcap', 'pcapng');
      const c = read(readFileSync(file));
      assert.equal(c.format, 'pcapng');
      assert.equal(c.interfaces[0]!.tsresol, 6);
      compareWithTshark(file, false);
    });
  });
});
