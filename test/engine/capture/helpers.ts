/** Helpers shared by the capture tests: hand-built pcapng and pcap files. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes } from '../../../engine/wire/bytes.ts';
import { framesToPcap } from '../../support/tshark.ts';
import { artifactDir } from '../../support/tools.ts';

export function writeArtifact(name: string, bytes: Uint8Array): string {
  const file = join(artifactDir('capture'), name);
  writeFileSync(file, bytes);
  return file;
}

/**
 * A minimal pcapng block builder in either byte order, written from the spec independently of
 * PcapngWriter, so the reader is tested on bytes its own writer never produces.
 */
export class BlockBuilder {
  private readonly parts: Uint8Array[] = [];
  constructor(readonly little: boolean) {}

  private u16(v: number): Uint8Array {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.little);
    return b;
  }
  u32(v: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, this.little);
    return b;
  }
  i64(v: bigint): Uint8Array {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v, this.little);
    return b;
  }

  /** One option TLV, padded (§3.5). */
  opt(code: number, value: Uint8Array | string): Uint8Array {
    const v = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    const pad = (4 - (v.length % 4)) % 4;
    return concatBytes([this.u16(code), this.u16(v.length), v, new Uint8Array(pad)]);
  }

  endOpt(): Uint8Array {
    return new Uint8Array(4);
  }

  /** A whole block: type, length, body (padded), length. */
  block(type: number, ...body: Uint8Array[]): this {
    const b = concatBytes(body);
    const pad = (4 - (b.length % 4)) % 4;
    const len = 12 + b.length + pad;
    this.parts.push(concatBytes([this.u32(type), this.u32(len), b, new Uint8Array(pad), this.u32(len)]));
    return this;
  }

  shb(major = 1, ...opts: Uint8Array[]): this {
    return this.block(0x0a0d0d0a, this.u32(0x1a2b3c4d), this.u16(major), this.u16(0), this.i64(-1n), ...opts);
  }

  idb(linktype: number, snaplen: number, ...opts: Uint8Array[]): this {
    return this.block(1, this.u16(linktype), this.u16(0), this.u32(snaplen), ...opts);
  }

  epb(iface: number, ts: bigint, data: Uint8Array, origLen = data.length, ...opts: Uint8Array[]): this {
    const pad = (4 - (data.length % 4)) % 4;
    return this.block(
      6,
      this.u32(iface),
      this.u32(Number(ts >> 32n)),
      this.u32(Number(ts & 0xffff_ffffn)),
      this.u32(data.length),
      this.u32(origLen),
      data,
      new Uint8Array(pad),
      ...opts,
    );
  }

  spb(data: Uint8Array, origLen = data.length): this {
    return this.block(3, this.u32(origLen), data);
  }

  nrbIpv4(addr: [number, number, number, number], ...names: string[]): this {
    const value = concatBytes([Uint8Array.from(addr), ...names.map((n) => concatBytes([new TextEncoder().encode(n), new Uint8Array(1)]))]);
    const pad = (4 - (value.length % 4)) % 4;
    return this.block(4, this.u16(1), this.u16(value.length), value, new Uint8Array(pad), this.u16(0), this.u16(0));
  }

  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

/** A classic pcap file (draft-ietf-opsawg-pcap) built by hand in either byte order and resolution. */
export function classicPcap(
  packets: readonly { sec: number; frac: number; data: Uint8Array; origLen?: number }[],
  opts: { little?: boolean; nano?: boolean; snaplen?: number; linktype?: number } = {},
): Uint8Array {
  const little = opts.little ?? true;
  let n = 24;
  for (const p of packets) n += 16 + p.data.length;
  const b = new Uint8Array(n);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, little);
  dv.setUint16(4, 2, little);
  dv.setUint16(6, 4, little);
  dv.setUint32(16, opts.snaplen ?? 262144, little);
  dv.setUint32(20, opts.linktype ?? 1, little);
  let o = 24;
  for (const p of packets) {
    dv.setUint32(o, p.sec, little);
    dv.setUint32(o + 4, p.frac, little);
    dv.setUint32(o + 8, p.data.length, little);
    dv.setUint32(o + 12, p.origLen ?? p.data.length, little);
    b.set(p.data, o + 16);
    o += 16 + p.data.length;
  }
  return b;
}

/** Swaps a little-endian classic pcap (e.g. from text2pcap) to big-endian: header and record fields. */
export function pcapToBigEndian(le: Uint8Array): Uint8Array {
  const b = Uint8Array.from(le);
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(b.buffer);
  dst.setUint32(0, src.getUint32(0, true), false);
  dst.setUint16(4, src.getUint16(4, true), false);
  dst.setUint16(6, src.getUint16(6, true), false);
  for (const o of [8, 12, 16, 20]) dst.setUint32(o, src.getUint32(o, true), false);
  let o = 24;
  while (o + 16 <= le.length) {
    const cap = src.getUint32(o + 8, true);
    for (let k = 0; k < 16; k += 4) dst.setUint32(o + k, src.getUint32(o + k, true), false);
    o += 16 + cap;
  }
  return b;
}

/**
 * Frames written by text2pcap (an independent writer): `-F pcap` classic microsecond pcap, then
 * optionally converted by editcap (`nsecpcap` nanosecond pcap, `pcapng`). Returns the file path.
 */
export function foreignCapture(frames: readonly Uint8Array[], name: string, format: 'pcap' | 'nsecpcap' | 'pcapng' = 'pcap'): string {
  const dir = artifactDir('capture');
  const pcap = join(dir, `${name}.pcap`);
  framesToPcap(frames, pcap);
  if (format === 'pcap') return pcap;
  const out = join(dir, `${name}.${format === 'pcapng' ? 'pcapng' : 'nsec.pcap'}`);
  const e = spawnSync('editcap', ['-F', format, pcap, out], { encoding: 'utf8' });
  if (e.status !== 0) throw new Error(`editcap exited ${e.status}: ${e.stderr}`);
  return out;
}
