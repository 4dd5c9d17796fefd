/**
 * GENEVE, Generic Network Virtualization Encapsulation (RFC 8926), over UDP port 6081.
 *
 * Header (RFC 8926 §3.4):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Variable-Length Options                    ~
 * ```
 * Ver 2 bits (must be 0), Opt Len 6 bits (options size in 4-byte words), O (control packet) and
 * C (critical options present) 1 bit each, Rsvd 6 bits, Protocol Type 16 bits (an EtherType; 0x6558
 * Transparent Ethernet Bridging for an Ethernet frame), VNI 24 bits, Reserved 8 bits.
 *
 * Option TLV (RFC 8926 §3.5):
 * ```
 * |          Option Class         |      Type     |R|R|R| Length  |
 * ~                  Variable-Length Option Data                  ~
 * ```
 * Class 16 bits, Type 8 bits (the high bit is the critical bit), R 3 bits, Length 5 bits (data size in
 * 4-byte words, so 0..124 bytes). Unknown options are kept verbatim.
 *
 * The payload (the inner frame) is kept as bytes; callers parse it according to `protocol`.
 *
 * Error contract: `GeneveView` accessors never throw after `checkLen()`; `parseGeneve` never throws and
 * returns a typed failure (`truncated` when the header or options are cut short, `unsupported` for a
 * version other than 0, `malformed` for an option that overruns the option area); `encode`/`emitHeader`
 * throw only on a programmer error (a field out of range, option data not a multiple of 4 bytes).
 */

import { assertUint, setU16, setU32, u16, u32 } from './bytes.ts';
import { etherTypeName } from './ethernet.ts';
import type { Layer } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const GENEVE_PORT = 6081;
export const GENEVE_HEADER_LEN = 8;
/** Opt Len is 6 bits of 4-byte words (§3.4). */
export const GENEVE_MAX_OPTIONS_LEN = 63 * 4;
/** An option's Length is 5 bits of 4-byte words (§3.5). */
export const GENEVE_MAX_OPTION_DATA = 31 * 4;
export const GENEVE_OPTION_CRITICAL = 0x80;

/** Protocol Type values (EtherTypes, §3.4). */
export const GeneveProto = { TEB: 0x6558, IPv4: 0x0800, IPv6: 0x86dd } as const;

const F = {
  verOptLen: 0,
  flags: 1,
  protocol: 2,
  vni: 4,
  reserved: 7,
  options: 8,
} as const;

/** Field offsets within a GENEVE header. */
export const GENEVE_OFFSETS = F;

const OPT = { cls: 0, type: 2, flagsLen: 3, data: 4 } as const;

/** Field offsets within a GENEVE option TLV. */
export const GENEVE_OPTION_OFFSETS = OPT;

export function geneveProtocolName(p: number): string {
  switch (p) {
    case GeneveProto.TEB:
      return 'TEB';
    case GeneveProto.IPv4:
      return 'IPv4';
    case GeneveProto.IPv6:
      return 'IPv6';
    default:
      return 'unknown';
  }
}

/** AWS Gateway Load Balancer's option class (aws-gateway-load-balancer-tunnel-handler GeneveStructs.h). */
export const GENEVE_CLASS_AWS = 0x0108;

/** Option class names from the IANA "Geneve Option Class" registry, as tcpdump prints them. */
export function geneveOptionClassName(c: number): string {
  if (c <= 0x00ff) return 'Standard';
  if (c >= 0xfff0) return 'Experimental';
  switch (c) {
    case 0x0100:
      return 'Linux';
    case 0x0101:
      return 'Open vSwitch';
    case 0x0102:
      return 'OVN';
    case 0x0103:
      return 'INT';
    case 0x0104:
      return 'VMware';
    case GENEVE_CLASS_AWS:
      return 'AWS';
    default:
      return 'Unknown';
  }
}

/** Zero-copy view over a GENEVE header and its payload. */
export class GeneveView {
  constructor(readonly bytes: Uint8Array) {}

  /** Checks the fixed header and that the declared options fit (the version is checked by parse). */
  checkLen(): DecodeError | null {
    const b = this.bytes;
    if (b.length < GENEVE_HEADER_LEN) {
      return decodeError('truncated', 'geneve', `${b.length} bytes is shorter than the ${GENEVE_HEADER_LEN}-byte header`);
    }
    if (b.length < this.headerLen) {
      return decodeError('truncated', 'geneve', `options of ${this.optLen * 4} bytes run past the ${b.length}-byte packet`, GENEVE_HEADER_LEN);
    }
    return null;
  }

  get version(): number {
    return this.bytes[F.verOptLen]! >>> 6;
  }
  set version(v: number) {
    this.bytes[F.verOptLen] = ((v & 0x3) << 6) | (this.bytes[F.verOptLen]! & 0x3f);
  }
  /** Options length in 4-byte words. */
  get optLen(): number {
    return this.bytes[F.verOptLen]! & 0x3f;
  }
  set optLen(v: number) {
    this.bytes[F.verOptLen] = (this.bytes[F.verOptLen]! & 0xc0) | (v & 0x3f);
  }
  get headerLen(): number {
    return GENEVE_HEADER_LEN + this.optLen * 4;
  }
  get oam(): boolean {
    return (this.bytes[F.flags]! & 0x80) !== 0;
  }
  set oam(v: boolean) {
    this.bytes[F.flags] = v ? this.bytes[F.flags]! | 0x80 : this.bytes[F.flags]! & 0x7f;
  }
  get critical(): boolean {
    return (this.bytes[F.flags]! & 0x40) !== 0;
  }
  set critical(v: boolean) {
    this.bytes[F.flags] = v ? this.bytes[F.flags]! | 0x40 : this.bytes[F.flags]! & 0xbf;
  }
  /** The 6 reserved bits after O and C. */
  get flagsReserved(): number {
    return this.bytes[F.flags]! & 0x3f;
  }
  set flagsReserved(v: number) {
    this.bytes[F.flags] = (this.bytes[F.flags]! & 0xc0) | (v & 0x3f);
  }
  get protocol(): number {
    return u16(this.bytes, F.protocol);
  }
  set protocol(v: number) {
    setU16(this.bytes, F.protocol, v);
  }
  get vni(): number {
    return u32(this.bytes, F.vni) >>> 8;
  }
  set vni(v: number) {
    setU32(this.bytes, F.vni, ((v & 0xffffff) * 256 + this.bytes[F.reserved]!) >>> 0);
  }
  get reserved(): number {
    return this.bytes[F.reserved]!;
  }
  set reserved(v: number) {
    this.bytes[F.reserved] = v & 0xff;
  }
  /** The option TLVs, unparsed. */
  get options(): Uint8Array {
    return this.bytes.subarray(F.options, this.headerLen);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
}

export interface GeneveOption {
  /** Option Class, 16 bits. */
  class: number;
  /** 8 bits; the high bit (0x80) marks a critical option (§3.5). */
  type: number;
  /** The three R bits, kept. */
  flags: number;
  /** A multiple of 4 bytes, at most 124. */
  data: Uint8Array;
}

export function geneveOption(cls: number, type: number, data: Uint8Array, flags = 0): GeneveOption {
  return { class: cls, type, flags, data };
}

export function isCriticalOption(o: GeneveOption): boolean {
  return (o.type & GENEVE_OPTION_CRITICAL) !== 0;
}

export interface GeneveInit {
  version?: number;
  oam?: boolean;
  /** Default: whether any option is critical (§3.4 says C is set exactly then). */
  critical?: boolean;
  flagsReserved?: number;
  protocol?: number;
  vni?: number;
  reserved?: number;
  options?: GeneveOption[];
  payload?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class Geneve implements Layer {
  version: number;
  oam: boolean;
  critical: boolean;
  flagsReserved: number;
  protocol: number;
  vni: number;
  reserved: number;
  options: GeneveOption[];
  payload: Uint8Array;

  constructor(init: GeneveInit = {}) {
    this.version = init.version ?? 0;
    this.oam = init.oam ?? false;
    this.options = init.options ?? [];
    this.critical = init.critical ?? this.options.some(isCriticalOption);
    this.flagsReserved = init.flagsReserved ?? 0;
    this.protocol = init.protocol ?? GeneveProto.TEB;
    this.vni = init.vni ?? 0;
    this.reserved = init.reserved ?? 0;
    this.payload = init.payload ?? EMPTY;
  }

  optionsLen(): number {
    let n = 0;
    for (const o of this.options) n += 4 + o.data.length;
    return n;
  }

  headerLen(): number {
    return GENEVE_HEADER_LEN + this.optionsLen();
  }

  emitHeader(buf: Uint8Array, off: number, _payloadLen: number, _outer: Layer | undefined): void {
    assertUint('geneve version', this.version, 2);
    assertUint('geneve reserved flags', this.flagsReserved, 6);
    assertUint('geneve protocol', this.protocol, 16);
    assertUint('geneve vni', this.vni, 24);
    assertUint('geneve reserved', this.reserved, 8);
    const optLen = this.optionsLen();
    if (optLen > GENEVE_MAX_OPTIONS_LEN) throw new RangeError(`geneve options of ${optLen} bytes exceed ${GENEVE_MAX_OPTIONS_LEN}`);
    if (off + GENEVE_HEADER_LEN + optLen > buf.length) throw new RangeError('geneve: buffer too small for the header');
    buf[off + F.verOptLen] = (this.version << 6) | (optLen / 4);
    buf[off + F.flags] = (this.oam ? 0x80 : 0) | (this.critical ? 0x40 : 0) | this.flagsReserved;
    setU16(buf, off + F.protocol, this.protocol);
    setU32(buf, off + F.vni, (this.vni * 256 + this.reserved) >>> 0);
    let o = off + F.options;
    for (const opt of this.options) {
      assertUint('geneve option class', opt.class, 16);
      assertUint('geneve option type', opt.type, 8);
      assertUint('geneve option flags', opt.flags, 3);
      const n = opt.data.length;
      if (n % 4 !== 0 || n > GENEVE_MAX_OPTION_DATA) {
        throw new RangeError(`geneve option data of ${n} bytes is not a multiple of 4 up to ${GENEVE_MAX_OPTION_DATA}`);
      }
      setU16(buf, o + OPT.cls, opt.class);
      buf[o + OPT.type] = opt.type;
      buf[o + OPT.flagsLen] = (opt.flags << 5) | (n / 4);
      buf.set(opt.data, o + OPT.data);
      o += 4 + n;
    }
  }

  encode(): Uint8Array {
    const h = this.headerLen();
    const out = new Uint8Array(h + this.payload.length);
    out.set(this.payload, h);
    this.emitHeader(out, 0, this.payload.length, undefined);
    return out;
  }

  /**
   * tcpdump -e -v style, except that AWS's option class is named (tcpdump says `Unknown`): `Geneve,
   * Flags [C], vni 0x1, proto TEB (0x6558), options [class AWS (0x108) type 0x1 len 12, ...]`. The
   * option `len` counts its 4-byte header, as tcpdump does. `formatGeneveTcpdump` is tcpdump's exact text.
   */
  toString(): string {
    const flags = [this.oam ? 'O' : '', this.critical ? 'C' : ''].join('') || 'none';
    let s = `Geneve${this.version ? ` ver ${this.version}` : ''}, Flags [${flags}], vni 0x${this.vni.toString(16)}`;
    if (this.reserved) s += `, rsvd 0x${this.reserved.toString(16)}`;
    s += `, proto ${geneveProtocolName(this.protocol)} (0x${this.protocol.toString(16).padStart(4, '0')})`;
    if (this.options.length) {
      const opts = this.options.map(
        (o) =>
          `class ${geneveOptionClassName(o.class)} (0x${o.class.toString(16)}) type 0x${o.type.toString(16)}` +
          `${isCriticalOption(o) ? '(C)' : ''} len ${4 + o.data.length}`,
      );
      s += `, options [${opts.join(', ')}]`;
    }
    return s;
  }
}

/** Parses a GENEVE header and its option TLVs; the payload aliases the input. */
export function parseGeneve(bytes: Uint8Array, _opts?: ParseOptions): Result<Geneve> {
  const v = new GeneveView(bytes);
  if (bytes.length >= 1 && v.version !== 0) {
    // §3.4: a tunnel endpoint must drop packets of a version it does not know.
    return fail('unsupported', 'geneve', `version ${v.version} (only 0 is defined)`, 0);
  }
  const e = v.checkLen();
  if (e) return { ok: false, error: e };
  const options: GeneveOption[] = [];
  const end = v.headerLen;
  let o = GENEVE_HEADER_LEN;
  while (o < end) {
    // The option area is whole words, so at least a 4-byte option header is left here.
    const n = (bytes[o + OPT.flagsLen]! & 0x1f) * 4;
    if (o + 4 + n > end) {
      return fail('malformed', 'geneve', `option at ${o} with ${n} data bytes overruns the ${end - GENEVE_HEADER_LEN}-byte option area`, o);
    }
    options.push({
      class: u16(bytes, o + OPT.cls),
      type: bytes[o + OPT.type]!,
      flags: bytes[o + OPT.flagsLen]! >>> 5,
      data: bytes.subarray(o + OPT.data, o + OPT.data + n),
    });
    o += 4 + n;
  }
  return ok(
    new Geneve({
      version: v.version,
      oam: v.oam,
      critical: v.critical,
      flagsReserved: v.flagsReserved,
      protocol: v.protocol,
      vni: v.vni,
      reserved: v.reserved,
      options,
      payload: v.payload,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// AWS Gateway Load Balancer options (class 0x0108)

export const AwsGwlbOption = { endpointId: 1, attachmentId: 2, flowCookie: 3 } as const;

export interface AwsGwlbMetadata {
  /** GWLB endpoint (vpce) ID, 64 bits. */
  endpointId: bigint;
  /** Attachment ID, 64 bits. */
  attachmentId: bigint;
  /** Flow cookie, 32 bits. */
  flowCookie: number;
}

function u64Bytes(v: bigint, what: string): Uint8Array {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${what} ${v} does not fit in 64 bits`);
  const b = new Uint8Array(8);
  setU32(b, 0, Number(v >> 32n));
  setU32(b, 4, Number(v & 0xffff_ffffn));
  return b;
}

/** The three GWLB options in the order GWLB sends them: endpoint ID, attachment ID, flow cookie. */
export function awsGwlbOptions(m: AwsGwlbMetadata): GeneveOption[] {
  assertUint('gwlb flow cookie', m.flowCookie, 32);
  const cookie = new Uint8Array(4);
  setU32(cookie, 0, m.flowCookie);
  return [
    geneveOption(GENEVE_CLASS_AWS, AwsGwlbOption.endpointId, u64Bytes(m.endpointId, 'gwlb endpoint id')),
    geneveOption(GENEVE_CLASS_AWS, AwsGwlbOption.attachmentId, u64Bytes(m.attachmentId, 'gwlb attachment id')),
    geneveOption(GENEVE_CLASS_AWS, AwsGwlbOption.flowCookie, cookie),
  ];
}

/**
 * The GWLB metadata, or null unless all three options are present with their sizes (the tunnel
 * handler drops such packets: GP_STATUS_MISSING_GWLB_OPTIONS). The first of duplicates wins.
 */
export function readAwsGwlbOptions(src: Geneve | readonly GeneveOption[]): AwsGwlbMetadata | null {
  const opts = src instanceof Geneve ? src.options : src;
  const find = (type: number, size: number): Uint8Array | null => {
    const o = opts.find((x) => x.class === GENEVE_CLASS_AWS && x.type === type);
    return o && o.data.length === size ? o.data : null;
  };
  const ep = find(AwsGwlbOption.endpointId, 8);
  const at = find(AwsGwlbOption.attachmentId, 8);
  const fc = find(AwsGwlbOption.flowCookie, 4);
  if (!ep || !at || !fc) return null;
  const u64 = (b: Uint8Array): bigint => (BigInt(u32(b, 0)) << 32n) | BigInt(u32(b, 4));
  return { endpointId: u64(ep), attachmentId: u64(at), flowCookie: u32(fc, 0) };
}

// ---------------------------------------------------------------------------------------------
// tcpdump's text

/** print-geneve.c format_opt_class: only these classes have names there (AWS's is `Unknown`). */
function tcpdumpOptionClass(c: number): string {
  switch (c) {
    case 0x0100:
      return 'Linux';
    case 0x0101:
      return 'Open vSwitch';
    case 0x0102:
      return 'Open Virtual Networking (OVN)';
    case 0x0103:
      return 'In-band Network Telemetry (INT)';
    case 0x0104:
      return 'VMware';
    default:
      return c <= 0x00ff ? 'Standard' : c >= 0xfff0 ? 'Experimental' : 'Unknown';
  }
}

/**
 * The header as print-geneve.c geneve_print prints it, up to (not including) the separator before
 * the inner packet: the protocol only with -e (`link`); the options as `[N bytes]` without -v, each
 * option from -v, and its data words from -vv.
 */
export function formatGeneveTcpdump(g: Geneve, verbose: number, link: boolean): string {
  const flags = [g.oam ? 'O' : '', g.critical ? 'C' : ''].join('') || 'none';
  let s = `Geneve, Flags [${flags}], vni 0x${g.vni.toString(16)}`;
  if (g.reserved) s += `, rsvd 0x${g.reserved.toString(16)}`;
  if (link) {
    // tok2str(ethertype_values, "unknown", prot)
    const name = g.protocol >= 0x0600 && etherTypeName(g.protocol) !== 'Unknown' ? etherTypeName(g.protocol) : 'unknown';
    s += `, proto ${name} (0x${g.protocol.toString(16).padStart(4, '0')})`;
  }
  const optsLen = g.headerLen() - GENEVE_HEADER_LEN;
  if (optsLen === 0) return s;
  if (verbose === 0) return `${s}, options [${optsLen} bytes]`;
  const opts = g.options.map((o) => {
    let t = `class ${tcpdumpOptionClass(o.class)} (0x${o.class.toString(16)}) type 0x${o.type.toString(16)}${isCriticalOption(o) ? '(C)' : ''} len ${4 + o.data.length}`;
    if (verbose >= 2 && o.data.length > 0) {
      t += ' data';
      for (let i = 0; i + 4 <= o.data.length; i += 4) t += ` ${u32(o.data, i).toString(16).padStart(8, '0')}`;
    }
    return t;
  });
  return `${s}, options [${opts.join(', ')}]`;
}
