/**
 * pcapng format constants shared by the writer and the reader (draft-ietf-opsawg-pcapng, "PCAP Now
 * Generic (pcapng) Capture File Format"). Section references below are to that draft.
 *
 * General block structure (§3.1): every block is
 *   Block Type (32) | Block Total Length (32) | Body (padded to 32 bits) | Block Total Length (32)
 * so the smallest block is 12 bytes and every length is a multiple of 4.
 *
 * Options (§3.5): a list of Type (16) | Length (16) | Value (padded to 32 bits), ended by
 * opt_endofopt (0, length 0) or by the end of the block body.
 */

/** Block type codes (§11.1 block type registry). */
export const BlockType = {
  /** Section Header Block (§4.1); the value is a palindrome, so it reads the same in both byte orders. */
  SHB: 0x0a0d0d0a,
  /** Interface Description Block (§4.2). */
  IDB: 0x00000001,
  /** Packet Block, obsolete (Appendix A). */
  PB: 0x00000002,
  /** Simple Packet Block (§4.4). */
  SPB: 0x00000003,
  /** Name Resolution Block (§4.5). */
  NRB: 0x00000004,
  /** Interface Statistics Block (§4.6). */
  ISB: 0x00000005,
  /** Enhanced Packet Block (§4.3). */
  EPB: 0x00000006,
  /** Decryption Secrets Block (§4.7). */
  DSB: 0x0000000a,
  /** Custom Blocks (§4.8), copyable and not-to-be-copied. */
  CB_COPY: 0x00000bad,
  CB_NOCOPY: 0x40000bad,
} as const;

/** SHB byte-order magic (§4.1): reads 0x1A2B3C4D in the section's own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Options valid in every block (§3.5). */
export const Opt = { endofopt: 0, comment: 1 } as const;

/** SHB options (§4.1). */
export const ShbOpt = { hardware: 2, os: 3, userappl: 4 } as const;

/** IDB options (§4.2). */
export const IdbOpt = {
  name: 2,
  description: 3,
  ipv4addr: 4,
  ipv6addr: 5,
  macaddr: 6,
  euiaddr: 7,
  speed: 8,
  tsresol: 9,
  tzone: 10,
  filter: 11,
  os: 12,
  fcslen: 13,
  tsoffset: 14,
  hardware: 15,
} as const;

/** EPB options (§4.3); epb_flags is a 32-bit word (§4.3.1). */
export const EpbOpt = { flags: 2, hash: 3, dropcount: 4 } as const;

/** epb_flags bits 0-1 (§4.3.1): 00 not available, 01 inbound, 10 outbound. */
export const EPB_FLAG_INBOUND = 0b01;
export const EPB_FLAG_OUTBOUND = 0b10;
export const EPB_FLAG_DIR_MASK = 0b11;

/** NRB record types (§4.5). */
export const NrbRecord = { end: 0, ipv4: 1, ipv6: 2, eui48: 3, eui64: 4 } as const;

/** LINKTYPE_ETHERNET (draft-ietf-opsawg-pcaplinktype). */
export const LINKTYPE_ETHERNET = 1;

/** if_tsresol value for nanoseconds: MSB 0, negative power of ten 9 (§4.2). */
export const TSRESOL_NS = 9;
/** if_tsresol when the option is absent: microseconds (§4.2). */
export const TSRESOL_DEFAULT = 6;

/** An option value's length field is 16 bits (§3.5), so no string option can exceed this. */
export const MAX_OPTION_BYTES = 0xffff;

/** Bytes of padding that bring `n` up to a multiple of 4 (§3.1, §3.5). */
export function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}
