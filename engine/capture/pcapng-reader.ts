/**
 * pcapng reader (draft-ietf-opsawg-pcapng). Reads every section of a file in its own byte order
 * (§4.1 byte-order magic), interfaces (§4.2: if_name, if_description, if_tsresol in powers of 10 or 2,
 * if_tsoffset), Enhanced (§4.3), Simple (§4.4) and obsolete (Appendix A) Packet Blocks with their
 * comments and epb_flags, and Name Resolution Blocks (§4.5). Interface Statistics (§4.6), Decryption
 * Secrets (§4.7), Custom (§4.8) and unknown blocks are skipped by their length (§3.1), as are
 * unknown options (§3.5) and sections of a version other than 1 (§3.4).
 *
 * Error contract: never throws. A file whose first Section Header Block cannot be read is a failed
 * Result; damage further on stops reading and is reported in `Capture.error` with its byte offset,
 * after the packets read up to there.
 */
import { ipv4ToString, ipv6ToString } from '../wire/addr.ts';
import { decodeError, fail, ok, type DecodeError, type Result } from '../wire/result.ts';
import type { Capture, CaptureInterface, CaptureName, CapturePacket } from './capture.ts';
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  EPB_FLAG_DIR_MASK,
  EPB_FLAG_INBOUND,
  EPB_FLAG_OUTBOUND,
  EpbOpt,
  IdbOpt,
  NrbRecord,
  Opt,
  pad4,
  ShbOpt,
  TSRESOL_DEFAULT,
} from './pcapng.ts';

const LAYER = 'pcapng';
const NS_PER_S = 1_000_000_000n;
const utf8 = new TextDecoder('utf-8');

interface TsConv {
  readonly mul: bigint;
  readonly div: bigint;
  readonly offsetNs: bigint;
}

interface IfaceRead {
  readonly globalId: number;
  readonly snaplen: number;
  readonly ts: TsConv;
}

/** Units of if_tsresol → ns: value * mul / div (§4.2). */
function tsConv(tsresol: number, tsoffsetS: bigint): TsConv {
  const exp = BigInt(tsresol & 0x7f);
  let mul = 1n;
  let div = 1n;
  if (tsresol & 0x80) {
    mul = NS_PER_S;
    div = 1n << exp;
  } else if (exp <= 9n) {
    mul = 10n ** (9n - exp);
  } else {
    div = 10n ** (exp - 9n);
  }
  return { mul, div, offsetNs: tsoffsetS * NS_PER_S };
}

/** Text of a string option or record: UTF-8, ending at the first NUL if any (§3.5). */
function text(b: Uint8Array, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  while (end < stop && b[end] !== 0) end++;
  return utf8.decode(b.subarray(start, end));
}

class Reader {
  readonly packets: CapturePacket[] = [];
  readonly interfaces: CaptureInterface[] = [];
  readonly names: CaptureName[] = [];
  section: { hardware?: string; os?: string; userappl?: string; comment?: string } | undefined;
  firstLittle = true;
  private dv: DataView;
  private le = true;
  private sectionIndex = -1;
  private skipSection = false;
  private ifaces: IfaceRead[] = [];

  constructor(private readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private u16(o: number): number {
    return this.dv.getUint16(o, this.le);
  }

  private u32(o: number): number {
    return this.dv.getUint32(o, this.le);
  }

  /** Reads blocks until the end or the first problem, which it returns. */
  run(): DecodeError | null {
    const b = this.b;
    const n = b.length;
    let off = 0;
    while (off < n) {
      const left = n - off;
      if (left < 12) {
        return decodeError('truncated', LAYER, `truncated block at byte ${off}: ${left} bytes left, fewer than the 12 of a block header`, off);
      }
      let type = this.dv.getUint32(off, this.le);
      if (off === 0 && type !== BlockType.SHB) {
        return decodeError('malformed', LAYER, `malformed block at byte 0: a pcapng file starts with a Section Header Block`, 0);
      }
      if (type === BlockType.SHB) {
        const magicLe = this.dv.getUint32(off + 8, true);
        if (magicLe === BYTE_ORDER_MAGIC) this.le = true;
        else if (this.dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else {
          return decodeError('malformed', LAYER, `malformed section header at byte ${off}: byte-order magic 0x${magicLe.toString(16).padStart(8, '0')} is not 0x1a2b3c4d in either byte order`, off);
        }
        type = BlockType.SHB;
      }
      const len = this.u32(off + 4);
      if (len < 12 || len % 4 !== 0) {
        return decodeError('malformed', LAYER, `malformed block at byte ${off}: block length ${len} is ${len < 12 ? 'below the minimum of 12' : 'not a multiple of 4'}`, off);
      }
      if (len > left) {
        return decodeError('truncated', LAYER, `truncated block at byte ${off}: block length ${len} exceeds file size (${left} bytes left)`, off);
      }
      const trailer = this.u32(off + len - 4);
      if (trailer !== len) {
        return decodeError('malformed', LAYER, `malformed block at byte ${off}: trailing block length ${trailer} differs from the leading ${len}`, off);
      }
      const err = this.block(type, off, off + 8, off + len - 4);
      if (err) return err;
      off += len;
    }
    return null;
  }

  private block(type: number, off: number, body: number, end: number): DecodeError | null {
    if (type === BlockType.SHB) return this.shb(off, body, end);
    if (this.skipSection) return null;
    switch (type) {
      case BlockType.IDB:
        return this.idb(off, body, end);
      case BlockType.EPB:
        return this.epb(off, body, end);
      case BlockType.PB:
        return this.pb(off, body, end);
      case BlockType.SPB:
        return this.spb(off, body, end);
      case BlockType.NRB:
        return this.nrb(off, body, end);
      default:
        // ISB, DSB, custom, local-use and unknown blocks: skipped by length (§3.1).
        return null;
    }
  }

  private malformed(off: number, what: string, why: string): DecodeError {
    return decodeError('malformed', LAYER, `malformed ${what} at byte ${off}: ${why}`, off);
  }

  /**
   * Walks the options in [p, end) (§3.5), calling `each` with (code, value offset, value length).
   * Stops at opt_endofopt; an option running past the block is an error.
   */
  private options(off: number, what: string, p: number, end: number, each: (code: number, v: number, len: number) => DecodeError | null): DecodeError | null {
    while (p + 4 <= end) {
      const code = this.u16(p);
      const len = this.u16(p + 2);
      if (code === Opt.endofopt) return null;
      if (p + 4 + len > end) return this.malformed(off, what, `option ${code} at byte ${p} (length ${len}) runs past the end of the block`);
      const e = each(code, p + 4, len);
      if (e) return e;
      p += 4 + len + pad4(len);
    }
    return null;
  }

  private shb(off: number, body: number, end: number): DecodeError | null {
    if (end - body < 16) return this.malformed(off, 'section header', `body of ${end - body} bytes is shorter than the 16 fixed bytes`);
    this.sectionIndex++;
    this.ifaces = [];
    if (this.sectionIndex === 0) this.firstLittle = this.le;
    const major = this.u16(body + 4);
    // A section of another major version is skipped as a whole (§3.4).
    this.skipSection = major !== 1;
    const info: { hardware?: string; os?: string; userappl?: string; comment?: string } = {};
    if (this.sectionIndex === 0) this.section = info;
    if (this.skipSection || this.sectionIndex > 0) return null;
    const e = this.options(off, 'section header', body + 16, end, (code, v, len) => {
      const s = text(this.b, v, len);
      if (code === ShbOpt.hardware) info.hardware = s;
      else if (code === ShbOpt.os) info.os = s;
      else if (code === ShbOpt.userappl) info.userappl = s;
      else if (code === Opt.comment) info.comment = info.comment === undefined ? s : `${info.comment}\n${s}`;
      return null;
    });
    return e;
  }

  private idb(off: number, body: number, end: number): DecodeError | null {
    if (end - body < 8) return this.malformed(off, 'interface description', `body of ${end - body} bytes is shorter than the 8 fixed bytes`);
    const linktype = this.u16(body);
    const snaplen = this.u32(body + 4);
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = TSRESOL_DEFAULT;
    let tsoffset = 0n;
    const what = 'interface description';
    const e = this.options(off, what, body + 8, end, (code, v, len) => {
      if (code === IdbOpt.name) name = text(this.b, v, len);
      else if (code === IdbOpt.description) description = text(this.b, v, len);
      else if (code === IdbOpt.tsresol) {
        if (len !== 1) return this.malformed(off, what, `if_tsresol has length ${len}, not 1`);
        tsresol = this.b[v]!;
      } else if (code === IdbOpt.tsoffset) {
        if (len !== 8) return this.malformed(off, what, `if_tsoffset has length ${len}, not 8`);
        tsoffset = this.dv.getBigInt64(v, this.le);
      }
      return null;
    });
    if (e) return e;
    const globalId = this.interfaces.length;
    const iface: CaptureInterface = {
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
      linktype,
      snaplen,
      tsresol,
      tsoffset,
      section: this.sectionIndex,
    };
    this.interfaces.push(iface);
    this.ifaces.push({ globalId, snaplen, ts: tsConv(tsresol, tsoffset) });
    return null;
  }

  private iface(off: number, what: string, id: number): IfaceRead | DecodeError {
    const f = this.ifaces[id];
    if (f === undefined) return this.malformed(off, what, `interface id ${id} has no Interface Description Block in this section (${this.ifaces.length} described)`);
    return f;
  }

  private timestamp(f: IfaceRead, hi: number, lo: number): bigint {
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    return (units * f.ts.mul) / f.ts.div + f.ts.offsetNs;
  }

  private packetOptions(off: number, what: string, flagsCode: number, p: number, end: number): { comment?: string; flags?: number } | DecodeError {
    let comment: string | undefined;
    let flags: number | undefined;
    const e = this.options(off, what, p, end, (code, v, len) => {
      if (code === Opt.comment) {
        const s = text(this.b, v, len);
        comment = comment === undefined ? s : `${comment}\n${s}`;
      } else if (code === flagsCode) {
        if (len !== 4) return this.malformed(off, what, `flags option has length ${len}, not 4`);
        flags = this.u32(v);
      }
      return null;
    });
    if (e) return e;
    return { ...(comment === undefined ? {} : { comment }), ...(flags === undefined ? {} : { flags }) };
  }

  private pushPacket(f: IfaceRead, ts: bigint | null, data: Uint8Array, origLen: number, o: { comment?: string; flags?: number }): void {
    const dirBits = o.flags === undefined ? 0 : o.flags & EPB_FLAG_DIR_MASK;
    const direction = dirBits === EPB_FLAG_INBOUND ? 'inbound' : dirBits === EPB_FLAG_OUTBOUND ? 'outbound' : undefined;
    this.packets.push({
      interfaceId: f.globalId,
      timestampNs: ts,
      data,
      originalLength: origLen,
      ...(o.comment === undefined ? {} : { comment: o.comment }),
      ...(direction === undefined ? {} : { direction }),
      ...(o.flags === undefined ? {} : { flags: o.flags }),
    });
  }

  /** Enhanced Packet Block (§4.3). */
  private epb(off: number, body: number, end: number): DecodeError | null {
    const what = 'enhanced packet block';
    if (end - body < 20) return this.malformed(off, what, `body of ${end - body} bytes is shorter than the 20 fixed bytes`);
    const f = this.iface(off, what, this.u32(body));
    if (!('globalId' in f)) return f;
    const capLen = this.u32(body + 12);
    const origLen = this.u32(body + 16);
    const dataStart = body + 20;
    if (capLen > end - dataStart) return this.malformed(off, what, `captured length ${capLen} exceeds the ${end - dataStart} bytes of the block`);
    const o = this.packetOptions(off, what, EpbOpt.flags, Math.min(end, dataStart + capLen + pad4(capLen)), end);
    if ('kind' in o) return o as DecodeError;
    this.pushPacket(f, this.timestamp(f, this.u32(body + 4), this.u32(body + 8)), this.b.subarray(dataStart, dataStart + capLen), origLen, o);
    return null;
  }

  /** Packet Block, obsolete (Appendix A): 16-bit interface id and drops count. */
  private pb(off: number, body: number, end: number): DecodeError | null {
    const what = 'packet block';
    if (end - body < 20) return this.malformed(off, what, `body of ${end - body} bytes is shorter than the 20 fixed bytes`);
    const f = this.iface(off, what, this.u16(body));
    if (!('globalId' in f)) return f;
    const capLen = this.u32(body + 12);
    const origLen = this.u32(body + 16);
    const dataStart = body + 20;
    if (capLen > end - dataStart) return this.malformed(off, what, `captured length ${capLen} exceeds the ${end - dataStart} bytes of the block`);
    const o = this.packetOptions(off, what, 2 /* pack_flags */, Math.min(end, dataStart + capLen + pad4(capLen)), end);
    if ('kind' in o) return o as DecodeError;
    this.pushPacket(f, this.timestamp(f, this.u32(body + 4), this.u32(body + 8)), this.b.subarray(dataStart, dataStart + capLen), origLen, o);
    return null;
  }

  /** Simple Packet Block (§4.4): interface 0, no timestamp, captured = min(original, snaplen, block). */
  private spb(off: number, body: number, end: number): DecodeError | null {
    const what = 'simple packet block';
    if (end - body < 4) return this.malformed(off, what, `body of ${end - body} bytes is shorter than the 4 fixed bytes`);
    const f = this.iface(off, what, 0);
    if (!('globalId' in f)) return f;
    const origLen = this.u32(body);
    const room = end - body - 4;
    let capLen = Math.min(origLen, room);
    if (f.snaplen !== 0) capLen = Math.min(capLen, f.snaplen);
    this.pushPacket(f, null, this.b.subarray(body + 4, body + 4 + capLen), origLen, {});
    return null;
  }

  /** Name Resolution Block (§4.5): IPv4 and IPv6 records; others skipped; options after nrb_record_end. */
  private nrb(off: number, body: number, end: number): DecodeError | null {
    const what = 'name resolution block';
    let p = body;
    while (p + 4 <= end) {
      const type = this.u16(p);
      const len = this.u16(p + 2);
      if (type === NrbRecord.end) return null;
      if (p + 4 + len > end) return this.malformed(off, what, `record ${type} at byte ${p} (length ${len}) runs past the end of the block`);
      const v = p + 4;
      const addrLen = type === NrbRecord.ipv4 ? 4 : type === NrbRecord.ipv6 ? 16 : 0;
      if (addrLen) {
        if (len < addrLen + 1) return this.malformed(off, what, `${type === NrbRecord.ipv4 ? 'IPv4' : 'IPv6'} record at byte ${p} has length ${len}, below the minimum of ${addrLen + 2}`);
        const names: string[] = [];
        let s = v + addrLen;
        const stop = v + len;
        while (s < stop) {
          let z = s;
          while (z < stop && this.b[z] !== 0) z++;
          if (z > s) names.push(utf8.decode(this.b.subarray(s, z)));
          s = z + 1;
        }
        const address = addrLen === 4 ? ipv4ToString(this.dv.getUint32(v, false)) : ipv6ToString(this.b.subarray(v, v + 16));
        if (names.length) this.names.push({ family: addrLen === 4 ? 'ipv4' : 'ipv6', address, names });
      }
      p = v + len + pad4(len);
    }
    return null;
  }
}

/** Reads a pcapng file from memory (see the module doc for the error contract). */
export function readPcapng(bytes: Uint8Array): Result<Capture> {
  const r = new Reader(bytes);
  let err: DecodeError | null;
  try {
    err = r.run();
  } catch (e) {
    // Defensive: a reader bug must not escape as a throw on untrusted input.
    err = decodeError('malformed', LAYER, `unreadable pcapng: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r.section === undefined) {
    return fail(err?.kind ?? 'malformed', LAYER, err?.message ?? 'no section header block', err?.offset ?? 0);
  }
  const capture: Capture = {
    format: 'pcapng',
    byteOrder: r.firstLittle ? 'little' : 'big',
    interfaces: r.interfaces,
    packets: r.packets,
    names: r.names,
    section: r.section,
    ...(err ? { error: err } : {}),
  };
  return ok(capture);
}
