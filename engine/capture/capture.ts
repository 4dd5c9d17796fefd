/**
 * The common shape of a capture file, whatever its format, and `readCapture`, which sniffs the format
 * (pcapng Section Header Block, or a classic pcap magic number) and reads it.
 *
 * Error contract: `readCapture` never throws. A file that cannot be read at all is `{ ok: false }`;
 * a file that breaks off or turns corrupt part-way is `{ ok: true }` with the packets read before the
 * problem and `capture.error` naming the byte offset. Packet `data` aliases the input bytes.
 */
import { fail, type DecodeError, type Result } from '../wire/result.ts';
import { readPcapng } from './pcapng-reader.ts';
import { readPcap } from './pcap-reader.ts';

export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureInterface {
  /** if_name, when the file gives one (classic pcap never does). */
  readonly name?: string;
  readonly description?: string;
  /** LinkType, e.g. 1 for Ethernet. */
  readonly linktype: number;
  readonly snaplen: number;
  /**
   * Timestamp resolution in pcapng's if_tsresol encoding: MSB 0 → 10^-n s (6 µs, 9 ns), MSB 1 → 2^-n s.
   * Classic pcap gives 6 or 9.
   */
  readonly tsresol: number;
  /** if_tsoffset in seconds (0 when absent), already applied to packet timestamps. */
  readonly tsoffset: bigint;
  /** 0-based index of the pcapng section the interface belongs to (always 0 for pcap). */
  readonly section: number;
}

export interface CapturePacket {
  /** Index into `Capture.interfaces` (file-wide, across sections). */
  readonly interfaceId: number;
  /** ns since 1970-01-01T00:00:00Z; null for a pcapng Simple Packet Block, which has no timestamp. */
  readonly timestampNs: bigint | null;
  /** Captured bytes (a view of the input). */
  readonly data: Uint8Array;
  readonly originalLength: number;
  /** opt_comment values joined by newlines, when present. */
  readonly comment?: string;
  /** From epb_flags bits 0-1, when given. */
  readonly direction?: 'inbound' | 'outbound';
  /** The whole epb_flags word, when present. */
  readonly flags?: number;
}

export interface CaptureName {
  readonly family: 'ipv4' | 'ipv6';
  /** Text form, e.g. "13.246.100.25". */
  readonly address: string;
  readonly names: readonly string[];
}

export interface Capture {
  readonly format: CaptureFormat;
  /** 'little' or 'big': byte order of the (first) section or file header. */
  readonly byteOrder: 'little' | 'big';
  readonly interfaces: readonly CaptureInterface[];
  readonly packets: readonly CapturePacket[];
  /** Name Resolution Block entries (pcapng only). */
  readonly names: readonly CaptureName[];
  /** Section Header Block comments and shb_userappl etc. of the first section (pcapng only). */
  readonly section?: { readonly hardware?: string; readonly os?: string; readonly userappl?: string; readonly comment?: string };
  /** Set when reading stopped early (truncated or corrupt); `packets` holds what was read before. */
  readonly error?: DecodeError;
}

/** Reads a pcapng or classic pcap file from memory. Never throws. */
export function readCapture(bytes: Uint8Array): Result<Capture> {
  if (bytes.length < 4) return fail('truncated', 'capture', `file is ${bytes.length} bytes, too short to hold a capture header`, 0);
  const m = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (m === 0x0a0d0d0a) return readPcapng(bytes);
  switch (m) {
    case 0xa1b2c3d4:
    case 0xd4c3b2a1:
    case 0xa1b23c4d:
    case 0x4d3cb2a1:
      return readPcap(bytes);
    default:
      return fail('unsupported', 'capture', `not a pcap or pcapng file (magic number 0x${m.toString(16).padStart(8, '0')})`, 0);
  }
}
