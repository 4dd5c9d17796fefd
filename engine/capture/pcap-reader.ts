/**
 * Classic pcap reader (draft-ietf-opsawg-pcap), on top of the `pcap-parser` package.
 *
 * File header (24 bytes): magic (4) | major (2) | minor (2) | reserved/thiszone (4) | reserved/sigfigs (4)
 *   | snaplen (4) | linktype (4; low 16 bits are the LinkType, upper bits FCS information)
 * Record header (16 bytes): ts seconds (4) | ts µs or ns (4) | captured length (4) | original length (4)
 * Magic 0xA1B2C3D4 means microsecond timestamps, 0xA1B23C4D nanoseconds; read in the writer's byte
 * order (either works: the magic tells which).
 *
 * pcap-parser knows only the microsecond magic. For a nanosecond file this module hands pcap-parser a
 * copy of the file whose magic is rewritten to the microsecond one, then reads the sub-second field
 * as nanoseconds (the record layout is otherwise identical).
 *
 * pcap-parser reads from a stream and waits for more bytes when a record is incomplete; it is driven
 * here synchronously through a minimal stream object (one 'data' chunk, then 'end'), and whatever it
 * left unread at the end is reported as truncation with the byte offset of the incomplete record.
 *
 * Error contract: never throws; unreadable header → failed Result; truncation → `Capture.error`.
 */
import { createRequire } from 'node:module';
import { Buffer } from 'node:buffer';
import { decodeError, fail, ok, type DecodeError, type Result } from '../wire/result.ts';
import type { Capture, CapturePacket } from './capture.ts';

const LAYER = 'pcap';
const HEADER_LEN = 24;
const RECORD_LEN = 16;

interface PcapGlobalHeader {
  magicNumber: number;
  majorVersion: number;
  minorVersion: number;
  gmtOffset: number;
  timestampAccuracy: number;
  snapshotLength: number;
  linkLayerType: number;
}

interface PcapPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

interface PcapParser {
  on(event: 'globalHeader', fn: (h: PcapGlobalHeader) => void): PcapParser;
  on(event: 'packet', fn: (p: PcapPacket) => void): PcapParser;
  on(event: 'error', fn: (e: Error) => void): PcapParser;
  on(event: 'end', fn: () => void): PcapParser;
}

interface PcapParserModule {
  parse(input: unknown): PcapParser;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as PcapParserModule;

/** The part of a readable stream pcap-parser uses; data is pushed by `feed`. */
class OneShotStream {
  private readonly handlers = new Map<string, (arg?: unknown) => void>();
  on(event: string, fn: (arg?: unknown) => void): this {
    this.handlers.set(event, fn);
    return this;
  }
  pause(): void {}
  resume(): void {}
  feed(data: Buffer): void {
    this.handlers.get('data')?.(data);
    this.handlers.get('end')?.();
  }
}

/** Reads a classic pcap file (either byte order, µs or ns timestamps) from memory. */
export function readPcap(bytes: Uint8Array): Result<Capture> {
  if (bytes.length < HEADER_LEN) {
    return fail('truncated', LAYER, `truncated file header at byte 0: ${bytes.length} bytes, a pcap header needs ${HEADER_LEN}`, 0);
  }
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  let nano: boolean;
  let little: boolean;
  switch (magic) {
    case 0xa1b2c3d4: [nano, little] = [false, false]; break;
    case 0xd4c3b2a1: [nano, little] = [false, true]; break;
    case 0xa1b23c4d: [nano, little] = [true, false]; break;
    case 0x4d3cb2a1: [nano, little] = [true, true]; break;
    default:
      return fail('unsupported', LAYER, `not a classic pcap file (magic number 0x${magic.toString(16).padStart(8, '0')})`, 0);
  }
  let input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (nano) {
    input = Buffer.from(input); // copy: the caller's bytes are not modified
    input.writeUInt32BE(little ? 0xd4c3b2a1 : 0xa1b2c3d4, 0);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = dv.getUint16(4, little);
  if (major !== 2) return fail('unsupported', LAYER, `unsupported pcap version ${major}.${dv.getUint16(6, little)} at byte 4 (only 2.x is read)`, 4);

  let header: PcapGlobalHeader | undefined;
  let parseError: string | undefined;
  const packets: CapturePacket[] = [];
  let off = HEADER_LEN;
  const scale = nano ? 1n : 1000n;
  try {
    const stream = new OneShotStream();
    const parser = pcapParser.parse(stream);
    parser.on('globalHeader', (h) => void (header = h));
    parser.on('error', (e) => void (parseError = e.message));
    parser.on('packet', (p) => {
      const h = p.header;
      const ts = BigInt(h.timestampSeconds) * 1_000_000_000n + BigInt(h.timestampMicroseconds) * scale;
      // The view into the caller's bytes (pcap-parser's Buffer may be the rewritten copy).
      const data = bytes.subarray(off + RECORD_LEN, off + RECORD_LEN + h.capturedLength);
      packets.push({ interfaceId: 0, timestampNs: ts, data, originalLength: h.originalLength });
      off += RECORD_LEN + h.capturedLength;
    });
    stream.feed(input);
  } catch (e) {
    parseError = e instanceof Error ? e.message : String(e);
  }
  if (header === undefined) return fail('malformed', LAYER, `unreadable pcap header: ${parseError ?? 'rejected by pcap-parser'}`, 0);
  const snaplen = header.snapshotLength;
  const capture = {
    format: 'pcap' as const,
    byteOrder: little ? ('little' as const) : ('big' as const),
    interfaces: [{ linktype: header.linkLayerType & 0xffff, snaplen, tsresol: nano ? 9 : 6, tsoffset: 0n, section: 0 }],
    packets,
    names: [],
  };
  let error: DecodeError | undefined;
  if (parseError !== undefined) error = decodeError('malformed', LAYER, `malformed record at byte ${off}: ${parseError}`, off);
  else if (off < bytes.length) {
    const left = bytes.length - off;
    if (left < RECORD_LEN) {
      error = decodeError('truncated', LAYER, `truncated record at byte ${off}: ${left} bytes left, a record header needs ${RECORD_LEN}`, off);
    } else {
      const capLen = dv.getUint32(off + 8, little);
      error = decodeError('truncated', LAYER, `truncated record at byte ${off}: captured length ${capLen} exceeds file size (${left - RECORD_LEN} bytes left after the record header)`, off);
    }
  }
  return ok(error ? { ...capture, error } : capture);
}
