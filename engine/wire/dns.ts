/**
 * DNS messages (RFC 1035 §4), carried as a UDP payload (port 53).
 *
 * Header (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2 / RFC 6840 §5.7):
 * ```
 *                                  1  1  1  1  1  1
 *    0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                      ID                       |   16 bits
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |   1, 4, 1, 1, 1, 1, 1, 1, 1, 4 bits
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                    QDCOUNT                    |   16 bits each
 *  |                    ANCOUNT                    |
 *  |                    NSCOUNT                    |
 *  |                    ARCOUNT                    |
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * ```
 * Question (§4.1.2): QNAME, QTYPE (16), QCLASS (16).
 * Resource record (§4.1.3): NAME, TYPE (16), CLASS (16), TTL (32), RDLENGTH (16), RDATA.
 * Names (§3.1, §4.1.4): labels of 1..63 bytes, at most 255 bytes on the wire, ended by a zero byte or a
 * compression pointer (two bytes, top bits 11, 14-bit offset from the start of the message).
 *
 * Representation: a name is text with RFC 1035 §5.1 escapes (`\.`, `\\`, `\DDD` for bytes outside
 * 0x21..0x7e), without the trailing dot; the root is `''`. Case is kept. RDATA is typed for A and AAAA
 * (class IN), NS, CNAME, PTR, MX and SOA; anything else is kept as raw bytes. Bytes after the last record
 * are kept as `payload`.
 *
 * Error contract: `DnsView` accessors never throw after `checkLen()`; `parseDns` never throws and returns
 * a typed failure (`truncated` when the bytes end early, `malformed` for a bad name, pointer or RDLENGTH);
 * `encode`/`emitHeader` throw only on a programmer error (a field out of range, a bad name text).
 */

import { ipv4ToString, ipv6ToString, type Ipv4Addr } from './addr.ts';
import { assertUint, setU16, setU32, u16, u32 } from './bytes.ts';
import type { Layer } from './layer.ts';
import { decodeError, fail, ok, type DecodeError, type ParseOptions, type Result } from './result.ts';

export const DNS_PORT = 53;
export const DNS_HEADER_LEN = 12;
/** RFC 1035 §2.3.4. */
export const DNS_MAX_LABEL = 63;
export const DNS_MAX_NAME = 255;
/**
 * Pointers must point strictly before the name segment that holds them (as BIND's dns_name_fromwire
 * requires), which already rules out loops; the hop limit bounds the work on a long backward chain.
 */
export const DNS_MAX_POINTER_HOPS = 64;

const F = {
  id: 0,
  flags: 2,
  qdcount: 4,
  ancount: 6,
  nscount: 8,
  arcount: 10,
} as const;

/** Field offsets within a DNS header. */
export const DNS_OFFSETS = F;

const FLAG = {
  qr: 0x8000,
  opcodeShift: 11,
  aa: 0x0400,
  tc: 0x0200,
  rd: 0x0100,
  ra: 0x0080,
  z: 0x0040,
  ad: 0x0020,
  cd: 0x0010,
} as const;

/** RR TYPEs (IANA "Resource Record (RR) TYPEs"). */
export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const DnsOpcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const DnsRcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

function reverse(o: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(o).map(([k, v]) => [v, k]));
}
const TYPE_NAMES = reverse(DnsType);
const CLASS_NAMES = reverse(DnsClass);
const OPCODE_NAMES = reverse(DnsOpcode);
const RCODE_NAMES = reverse(DnsRcode);

/** Mnemonic of an RR type, or RFC 3597 §5 `TYPEnnn`. */
export function dnsTypeName(t: number): string {
  return TYPE_NAMES.get(t) ?? `TYPE${t}`;
}
/** Mnemonic of a class, or RFC 3597 §5 `CLASSnnn`. */
export function dnsClassName(c: number): string {
  return CLASS_NAMES.get(c) ?? `CLASS${c}`;
}
export function dnsOpcodeName(op: number): string {
  return OPCODE_NAMES.get(op) ?? `OPCODE${op}`;
}
export function dnsRcodeName(rc: number): string {
  return RCODE_NAMES.get(rc) ?? `RCODE${rc}`;
}

/** Zero-copy view over a DNS message's fixed header. */
export class DnsView {
  constructor(readonly bytes: Uint8Array) {}

  checkLen(): DecodeError | null {
    if (this.bytes.length < DNS_HEADER_LEN) {
      return decodeError('truncated', 'dns', `${this.bytes.length} bytes is shorter than the ${DNS_HEADER_LEN}-byte header`);
    }
    return null;
  }

  get id(): number {
    return u16(this.bytes, F.id);
  }
  set id(v: number) {
    setU16(this.bytes, F.id, v);
  }
  /** The whole second header word. */
  get flags(): number {
    return u16(this.bytes, F.flags);
  }
  set flags(v: number) {
    setU16(this.bytes, F.flags, v);
  }
  private bit(mask: number): boolean {
    return (this.flags & mask) !== 0;
  }
  private setBit(mask: number, on: boolean): void {
    this.flags = on ? this.flags | mask : this.flags & ~mask & 0xffff;
  }
  get qr(): boolean {
    return this.bit(FLAG.qr);
  }
  set qr(v: boolean) {
    this.setBit(FLAG.qr, v);
  }
  get opcode(): number {
    return (this.flags >>> FLAG.opcodeShift) & 0xf;
  }
  set opcode(v: number) {
    this.flags = (this.flags & ~(0xf << FLAG.opcodeShift) & 0xffff) | ((v & 0xf) << FLAG.opcodeShift);
  }
  get aa(): boolean {
    return this.bit(FLAG.aa);
  }
  set aa(v: boolean) {
    this.setBit(FLAG.aa, v);
  }
  get tc(): boolean {
    return this.bit(FLAG.tc);
  }
  set tc(v: boolean) {
    this.setBit(FLAG.tc, v);
  }
  get rd(): boolean {
    return this.bit(FLAG.rd);
  }
  set rd(v: boolean) {
    this.setBit(FLAG.rd, v);
  }
  get ra(): boolean {
    return this.bit(FLAG.ra);
  }
  set ra(v: boolean) {
    this.setBit(FLAG.ra, v);
  }
  get z(): boolean {
    return this.bit(FLAG.z);
  }
  set z(v: boolean) {
    this.setBit(FLAG.z, v);
  }
  get ad(): boolean {
    return this.bit(FLAG.ad);
  }
  set ad(v: boolean) {
    this.setBit(FLAG.ad, v);
  }
  get cd(): boolean {
    return this.bit(FLAG.cd);
  }
  set cd(v: boolean) {
    this.setBit(FLAG.cd, v);
  }
  get rcode(): number {
    return this.flags & 0xf;
  }
  set rcode(v: number) {
    this.flags = (this.flags & 0xfff0) | (v & 0xf);
  }
  get qdcount(): number {
    return u16(this.bytes, F.qdcount);
  }
  set qdcount(v: number) {
    setU16(this.bytes, F.qdcount, v);
  }
  get ancount(): number {
    return u16(this.bytes, F.ancount);
  }
  set ancount(v: number) {
    setU16(this.bytes, F.ancount, v);
  }
  get nscount(): number {
    return u16(this.bytes, F.nscount);
  }
  set nscount(v: number) {
    setU16(this.bytes, F.nscount, v);
  }
  get arcount(): number {
    return u16(this.bytes, F.arcount);
  }
  set arcount(v: number) {
    setU16(this.bytes, F.arcount, v);
  }
  /** The sections after the header (questions and records, still compressed). */
  get payload(): Uint8Array {
    return this.bytes.subarray(DNS_HEADER_LEN);
  }
}

// ---------------------------------------------------------------------------------------------
// Values

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export type DnsRdata =
  | { readonly kind: 'A'; readonly address: Ipv4Addr }
  /** 16 bytes. */
  | { readonly kind: 'AAAA'; readonly address: Uint8Array }
  | { readonly kind: 'NS' | 'CNAME' | 'PTR'; readonly name: string }
  | { readonly kind: 'MX'; readonly preference: number; readonly exchange: string }
  | {
      readonly kind: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  /** Any other type (or A/AAAA outside class IN), kept verbatim (RFC 3597). */
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  /** Seconds, unsigned 32-bit (RFC 2181 §8 limits meaningful values to 2^31 - 1; the bits are kept). */
  ttl: number;
  data: DnsRdata;
}

const KIND_TYPE: Record<Exclude<DnsRdata['kind'], 'raw'>, number> = {
  A: DnsType.A,
  AAAA: DnsType.AAAA,
  NS: DnsType.NS,
  CNAME: DnsType.CNAME,
  PTR: DnsType.PTR,
  MX: DnsType.MX,
  SOA: DnsType.SOA,
};

export function dnsQuestion(name: string, type: number = DnsType.A, cls: number = DnsClass.IN): DnsQuestion {
  return { name, type, class: cls };
}

/** A record whose type follows from its data (`type` is needed only for raw data). */
export function dnsRecord(init: { name: string; data: DnsRdata; ttl?: number; class?: number; type?: number }): DnsRecord {
  const type = init.data.kind === 'raw' ? init.type : KIND_TYPE[init.data.kind];
  if (type === undefined) throw new RangeError('dnsRecord: raw data needs an explicit type');
  return { name: init.name, type, class: init.class ?? DnsClass.IN, ttl: init.ttl ?? 0, data: init.data };
}

export interface DnsInit {
  id?: number;
  qr?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;
  ra?: boolean;
  z?: boolean;
  ad?: boolean;
  cd?: boolean;
  rcode?: number;
  questions?: DnsQuestion[];
  answers?: DnsRecord[];
  authorities?: DnsRecord[];
  additionals?: DnsRecord[];
  payload?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** A DNS message. As a Layer it is a UDP payload; `payload` holds any bytes after the last record. */
export class Dns implements Layer {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  payload: Uint8Array;

  constructor(init: DnsInit = {}) {
    this.id = init.id ?? 0;
    this.qr = init.qr ?? false;
    this.opcode = init.opcode ?? DnsOpcode.QUERY;
    this.aa = init.aa ?? false;
    this.tc = init.tc ?? false;
    this.rd = init.rd ?? false;
    this.ra = init.ra ?? false;
    this.z = init.z ?? false;
    this.ad = init.ad ?? false;
    this.cd = init.cd ?? false;
    this.rcode = init.rcode ?? DnsRcode.NOERROR;
    this.questions = init.questions ?? [];
    this.answers = init.answers ?? [];
    this.authorities = init.authorities ?? [];
    this.additionals = init.additionals ?? [];
    this.payload = init.payload ?? EMPTY;
  }

  /** The 16-bit flags word. */
  flagsWord(): number {
    assertUint('dns opcode', this.opcode, 4);
    assertUint('dns rcode', this.rcode, 4);
    return (
      (this.qr ? FLAG.qr : 0) |
      (this.opcode << FLAG.opcodeShift) |
      (this.aa ? FLAG.aa : 0) |
      (this.tc ? FLAG.tc : 0) |
      (this.rd ? FLAG.rd : 0) |
      (this.ra ? FLAG.ra : 0) |
      (this.z ? FLAG.z : 0) |
      (this.ad ? FLAG.ad : 0) |
      (this.cd ? FLAG.cd : 0) |
      this.rcode
    );
  }

  /** The message with names compressed (§4.1.4), without `payload`. */
  encodeMessage(): Uint8Array {
    return new DnsWriter().message(this);
  }

  /** The message length: the whole DNS message is this layer's header. */
  headerLen(): number {
    return this.encodeMessage().length;
  }

  emitHeader(buf: Uint8Array, off: number, _payloadLen: number, _outer: Layer | undefined): void {
    const m = this.encodeMessage();
    if (off + m.length > buf.length) throw new RangeError(`dns: buffer too small for a ${m.length}-byte message`);
    buf.set(m, off);
  }

  encode(): Uint8Array {
    const m = this.encodeMessage();
    const out = new Uint8Array(m.length + this.payload.length);
    out.set(m);
    out.set(this.payload, m.length);
    return out;
  }

  /** tcpdump style: `4660+ A? www.example.com. (33)`, `4660* 2/0/0 CNAME web.example.com., A 13.246.100.25 (67)`. */
  toString(): string {
    return this.format(0);
  }

  /**
   * tcpdump -v/-vv/-vvv (print-domain.c ns_print, `level` = the number of v's): -v names each
   * record's owner (`www.example.com. CNAME web.example.com.`); -vv adds a response's questions
   * (` q: A? name.`), the authority and additional sections (` ns:`, ` ar:`; ` an:` etc. in a
   * query); -vvv each record's TTL (` [5m]`).
   */
  toVerboseString(level: number): string {
    return this.format(level);
  }

  private format(level: number): string {
    let len: string;
    try {
      len = String(this.encodeMessage().length + this.payload.length);
    } catch {
      len = '?';
    }
    const op = this.opcode === 0 ? '' : ` ${dnsOpcodeName(this.opcode)}`;
    const rr = (r: DnsRecord): string => recordText(r, level);
    const section = (tag: string, rs: readonly DnsRecord[]): string => (rs.length ? ` ${tag}:${rs.map((r) => ` ${rr(r).trimStart()}`).join(',')}` : '');
    let s: string;
    if (this.qr) {
      const rc = this.rcode === 0 ? '' : ` ${TCPDUMP_RCODES[this.rcode] ?? `Resp${this.rcode}`}`;
      s = `${this.id}${op}${rc}${this.aa ? '*' : ''}${this.ra ? '' : '-'}${this.tc ? '|' : ''}${this.ad ? '$' : ''}`;
      if (this.questions.length !== 1) s += ` [${this.questions.length}q]`;
      if (level >= 2) s += this.questions.map((q) => ` q: ${questionText(q)}`).join(',');
      s += ` ${this.answers.length}/${this.authorities.length}/${this.additionals.length}`;
      if (this.answers.length) s += ' ' + this.answers.map(rr).join(', ');
      if (level >= 2) s += section('ns', this.authorities) + section('ar', this.additionals);
    } else {
      s = `${this.id}${op}${this.rd ? '+' : ''}${this.cd ? '%' : ''}`;
      if (this.questions.length !== 1) s += ` [${this.questions.length}q]`;
      if (this.answers.length) s += ` [${this.answers.length}a]`;
      if (this.authorities.length) s += ` [${this.authorities.length}n]`;
      if (this.additionals.length) s += ` [${this.additionals.length}au]`;
      for (const q of this.questions) s += ` ${questionText(q)}`;
      if (level >= 2) s += section('an', this.answers) + section('ns', this.authorities) + section('ar', this.additionals);
    }
    return `${s} (${len})`;
  }
}

/** `A? www.example.com.`, with the class when not IN. */
function questionText(q: DnsQuestion): string {
  return `${dnsTypeName(q.type)}${q.class === DnsClass.IN ? '' : ` ${className(q.class)}`}? ${fqdn(q.name)}`;
}

/**
 * print-domain.c's rcode and class names (ns_rcode, ns_class2str): `NXDomain`, `CHAOS`, not the
 * RFC's `NXDOMAIN`, `CH` that dig prints.
 */
const TCPDUMP_RCODES: readonly string[] = ['', 'FormErr', 'ServFail', 'NXDomain', 'NotImp', 'Refused', 'YXDomain', 'YXRRSet', 'NXRRSet', 'NotAuth', 'NotZone'];
const TCPDUMP_CLASSES: ReadonlyMap<number, string> = new Map([[DnsClass.IN, 'IN'], [DnsClass.CH, 'CHAOS'], [DnsClass.HS, 'HS'], [DnsClass.ANY, 'ANY']]);

function className(c: number): string {
  return TCPDUMP_CLASSES.get(c) ?? `(Class ${c})`;
}

/** print-domain.c's TXT rdata: each character-string in double quotes, separated by spaces. */
function txtText(b: Uint8Array): string | null {
  const parts: string[] = [];
  for (let i = 0; i < b.length; ) {
    const n = b[i]!;
    if (i + 1 + n > b.length) return null;
    let t = '';
    for (let k = i + 1; k <= i + n; k++) {
      const c = b[k]!;
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return null;
      t += String.fromCharCode(c);
    }
    parts.push(`"${t}"`);
    i += 1 + n;
  }
  return parts.join(' ');
}

/** print-domain.c unsigned_relts_print: `0s`, `5m`, `1h2m3s`. */
function relativeTime(secs: number): string {
  if (secs === 0) return '0s';
  const units: readonly [number, string][] = [[31536000, 'y'], [604800, 'w'], [86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  let s = '';
  for (const [n, u] of units) {
    if (secs >= n) {
      s += `${Math.floor(secs / n)}${u}`;
      secs %= n;
    }
  }
  return s;
}

function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

/** One record as ns_rprint prints it; `level` ≥ 1 puts the owner name first, ≥ 3 the TTL after the class. */
function recordText(r: DnsRecord, level = 0): string {
  let cls = r.class === DnsClass.IN ? '' : `${className(r.class)} `;
  if (level >= 3) cls += `[${relativeTime(r.ttl)}] `;
  if (level >= 1) cls = `${fqdn(r.name)} ${cls}`;
  const d = r.data;
  let data: string;
  switch (d.kind) {
    case 'A':
      data = ipv4ToString(d.address);
      break;
    case 'AAAA':
      data = ipv6ToString(d.address);
      break;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      data = fqdn(d.name);
      break;
    case 'MX':
      data = `${fqdn(d.exchange)} ${d.preference}`;
      break;
    case 'SOA':
      data = `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
      break;
    case 'raw':
      // TXT as tcpdump prints it when it is plain text (anything needing escapes keeps the byte count).
      data = (r.type === DnsType.TXT ? txtText(d.bytes) : null) ?? `[${d.bytes.length} bytes]`;
      break;
  }
  return `${cls}${dnsTypeName(r.type)} ${data}`;
}

// ---------------------------------------------------------------------------------------------
// Names

/** One label's text with RFC 1035 §5.1 escapes. */
function labelText(b: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = b[i]!;
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c >= 0x21 && c <= 0x7e) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/** Name text → label bytes; throws on text that is no name (a programmer error on the write side). */
export function dnsNameLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let wire = 1;
  const close = (): void => {
    if (cur.length === 0) throw new RangeError(`dns name ${JSON.stringify(name)} has an empty label`);
    if (cur.length > DNS_MAX_LABEL) throw new RangeError(`dns name ${JSON.stringify(name)} has a label over ${DNS_MAX_LABEL} bytes`);
    wire += cur.length + 1;
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  for (let i = 0; i < name.length; ) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      const ddd = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      if (ddd) {
        const v = Number(ddd[0]);
        if (v > 255) throw new RangeError(`dns name ${JSON.stringify(name)}: escape \\${ddd[0]} is above 255`);
        cur.push(v);
        i += 4;
      } else if (i + 1 < name.length) {
        const e = name.charCodeAt(i + 1);
        if (e > 0xff) throw new RangeError(`dns name ${JSON.stringify(name)}: character outside 0..255`);
        cur.push(e);
        i += 2;
      } else {
        throw new RangeError(`dns name ${JSON.stringify(name)} ends in a lone backslash`);
      }
    } else if (c === 0x2e) {
      close();
      i++;
    } else {
      if (c > 0xff) throw new RangeError(`dns name ${JSON.stringify(name)}: character outside 0..255 (use \\DDD escapes)`);
      cur.push(c);
      i++;
    }
  }
  if (cur.length > 0) close(); // else the text ended with the (optional) root dot
  if (wire > DNS_MAX_NAME) throw new RangeError(`dns name ${JSON.stringify(name)} is ${wire} bytes on the wire, over ${DNS_MAX_NAME}`);
  return labels;
}

interface NameRead {
  name: string;
  /** Offset just after the name where it was found (after the first pointer, if any). */
  end: number;
}

/**
 * Reads a possibly compressed name at `start` (RFC 1035 §4.1.4). Bytes in place must lie before `bound`
 * (the message end, or the RDATA end, where running over means RDLENGTH is wrong: `overrun`).
 */
function readName(msg: Uint8Array, start: number, bound: number, overrun: 'truncated' | 'malformed'): NameRead | DecodeError {
  const labels: string[] = [];
  let pos = start;
  let segStart = start;
  let end = -1;
  let hops = 0;
  let wire = 1;
  for (;;) {
    const limit = end < 0 ? bound : msg.length;
    const kind = end < 0 ? overrun : 'truncated';
    if (pos >= limit) return decodeError(kind, 'dns', `name at ${start} runs past the end`, pos);
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      return { name: labels.join('.'), end };
    }
    const tag = len & 0xc0;
    if (tag === 0xc0) {
      if (pos + 1 >= limit) return decodeError(kind, 'dns', `compression pointer at ${pos} is cut short`, pos);
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= msg.length) {
        return decodeError('malformed', 'dns', `compression pointer at ${pos} to ${target} is outside the ${msg.length}-byte message`, pos);
      }
      if (target >= segStart) {
        return decodeError('malformed', 'dns', `compression pointer at ${pos} to ${target} does not point before ${segStart} (forward or loop)`, pos);
      }
      if (++hops > DNS_MAX_POINTER_HOPS) {
        return decodeError('malformed', 'dns', `name at ${start} follows more than ${DNS_MAX_POINTER_HOPS} compression pointers`, pos);
      }
      pos = segStart = target;
      continue;
    }
    if (tag !== 0) {
      // 01 (RFC 6891 extended label, deprecated) and 10 (reserved): a length above 63.
      return decodeError('malformed', 'dns', `label length byte 0x${len.toString(16)} at ${pos} is over ${DNS_MAX_LABEL}`, pos);
    }
    if (pos + 1 + len > limit) return decodeError(kind, 'dns', `label at ${pos} runs past the end`, pos);
    wire += len + 1;
    if (wire > DNS_MAX_NAME) return decodeError('malformed', 'dns', `name at ${start} is over ${DNS_MAX_NAME} bytes`, pos);
    labels.push(labelText(msg, pos + 1, len));
    pos += 1 + len;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Upper bound of a name's uncompressed size. */
const NAME_BOUND = DNS_MAX_NAME;

class DnsWriter {
  private buf = new Uint8Array(512);
  private o = 0;
  /** Suffix (wire form, as a string key) → offset where it was first written (§4.1.4). */
  private readonly dict = new Map<string, number>();

  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.o + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.o));
    this.buf = b;
  }

  private u16(v: number, what: string): void {
    assertUint(what, v, 16);
    this.room(2);
    setU16(this.buf, this.o, v);
    this.o += 2;
  }

  private u32(v: number, what: string): void {
    assertUint(what, v, 32);
    this.room(4);
    setU32(this.buf, this.o, v);
    this.o += 4;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.o);
    this.o += b.length;
  }

  /** Writes a name, replacing its longest already-written suffix with a pointer. */
  name(text: string): void {
    const labels = dnsNameLabels(text);
    this.room(NAME_BOUND);
    const keys = new Array<string>(labels.length);
    let key = '';
    for (let i = labels.length - 1; i >= 0; i--) {
      key = String.fromCharCode(labels[i]!.length, ...labels[i]!) + key;
      keys[i] = key;
    }
    for (let i = 0; i < labels.length; i++) {
      const at = this.dict.get(keys[i]!);
      if (at !== undefined) {
        setU16(this.buf, this.o, 0xc000 | at);
        this.o += 2;
        return;
      }
      // Only offsets that fit the 14-bit pointer can be targets.
      if (this.o < 0x4000) this.dict.set(keys[i]!, this.o);
      const l = labels[i]!;
      this.buf[this.o++] = l.length;
      this.buf.set(l, this.o);
      this.o += l.length;
    }
    this.buf[this.o++] = 0;
  }

  private count(n: number, what: string): void {
    if (n > 0xffff) throw new RangeError(`dns: ${n} ${what} do not fit a 16-bit count`);
  }

  message(m: Dns): Uint8Array {
    this.u16(m.id, 'dns id');
    this.u16(m.flagsWord(), 'dns flags');
    this.count(m.questions.length, 'questions');
    this.count(m.answers.length, 'answers');
    this.count(m.authorities.length, 'authority records');
    this.count(m.additionals.length, 'additional records');
    this.u16(m.questions.length, 'qdcount');
    this.u16(m.answers.length, 'ancount');
    this.u16(m.authorities.length, 'nscount');
    this.u16(m.additionals.length, 'arcount');
    for (const q of m.questions) {
      this.name(q.name);
      this.u16(q.type, 'dns qtype');
      this.u16(q.class, 'dns qclass');
    }
    for (const r of m.answers) this.record(r);
    for (const r of m.authorities) this.record(r);
    for (const r of m.additionals) this.record(r);
    return this.buf.slice(0, this.o);
  }

  private record(r: DnsRecord): void {
    const d = r.data;
    if (d.kind !== 'raw' && KIND_TYPE[d.kind] !== r.type) {
      throw new RangeError(`dns record type ${r.type} does not match ${d.kind} data`);
    }
    if ((d.kind === 'A' || d.kind === 'AAAA') && r.class !== DnsClass.IN) {
      throw new RangeError(`dns ${d.kind} data is defined for class IN only (class ${r.class}: use raw data)`);
    }
    this.name(r.name);
    this.u16(r.type, 'dns type');
    this.u16(r.class, 'dns class');
    this.u32(r.ttl, 'dns ttl');
    const lenAt = this.o;
    this.u16(0, 'rdlength');
    const start = this.o;
    switch (d.kind) {
      case 'A':
        this.u32(d.address, 'dns A address');
        break;
      case 'AAAA':
        if (d.address.length !== 16) throw new RangeError(`dns AAAA address is ${d.address.length} bytes, not 16`);
        this.bytes(d.address);
        break;
      case 'NS':
      case 'CNAME':
      case 'PTR':
        // RFC 3597 §4: compression inside RDATA only for the RFC 1035 types.
        this.name(d.name);
        break;
      case 'MX':
        this.u16(d.preference, 'dns MX preference');
        this.name(d.exchange);
        break;
      case 'SOA':
        this.name(d.mname);
        this.name(d.rname);
        this.u32(d.serial, 'dns SOA serial');
        this.u32(d.refresh, 'dns SOA refresh');
        this.u32(d.retry, 'dns SOA retry');
        this.u32(d.expire, 'dns SOA expire');
        this.u32(d.minimum, 'dns SOA minimum');
        break;
      case 'raw':
        this.bytes(d.bytes);
        break;
    }
    const rdlen = this.o - start;
    if (rdlen > 0xffff) throw new RangeError(`dns RDATA of ${rdlen} bytes does not fit RDLENGTH`);
    setU16(this.buf, lenAt, rdlen);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

function isErr(x: object): x is DecodeError {
  return 'kind' in x && 'layer' in x;
}

function parseRdata(msg: Uint8Array, type: number, cls: number, start: number, end: number): DnsRdata | DecodeError {
  const len = end - start;
  const nameIn = (at: number): NameRead | DecodeError => readName(msg, at, end, 'malformed');
  const exact = (at: number, what: string): DecodeError | null =>
    at === end ? null : decodeError('malformed', 'dns', `${what} RDATA is ${at - start} bytes but RDLENGTH is ${len}`, start);
  switch (type) {
    case DnsType.A:
      if (cls !== DnsClass.IN) break;
      if (len !== 4) return decodeError('malformed', 'dns', `A RDATA is ${len} bytes, not 4`, start);
      return { kind: 'A', address: u32(msg, start) };
    case DnsType.AAAA:
      if (cls !== DnsClass.IN) break;
      if (len !== 16) return decodeError('malformed', 'dns', `AAAA RDATA is ${len} bytes, not 16`, start);
      return { kind: 'AAAA', address: msg.subarray(start, end) };
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR: {
      const n = nameIn(start);
      if (isErr(n)) return n;
      const kind = type === DnsType.NS ? 'NS' : type === DnsType.CNAME ? 'CNAME' : 'PTR';
      return exact(n.end, kind) ?? { kind, name: n.name };
    }
    case DnsType.MX: {
      if (len < 3) return decodeError('malformed', 'dns', `MX RDATA is ${len} bytes, below 3`, start);
      const n = nameIn(start + 2);
      if (isErr(n)) return n;
      return exact(n.end, 'MX') ?? { kind: 'MX', preference: u16(msg, start), exchange: n.name };
    }
    case DnsType.SOA: {
      const m = nameIn(start);
      if (isErr(m)) return m;
      const r = nameIn(m.end);
      if (isErr(r)) return r;
      const e = exact(r.end + 20, 'SOA');
      if (e) return e;
      const o = r.end;
      return {
        kind: 'SOA',
        mname: m.name,
        rname: r.name,
        serial: u32(msg, o),
        refresh: u32(msg, o + 4),
        retry: u32(msg, o + 8),
        expire: u32(msg, o + 12),
        minimum: u32(msg, o + 16),
      };
    }
  }
  return { kind: 'raw', bytes: msg.subarray(start, end) };
}

/** Parses a DNS message (a UDP payload). There is no checksum; `opts` is accepted for uniformity. */
export function parseDns(bytes: Uint8Array, _opts?: ParseOptions): Result<Dns> {
  const v = new DnsView(bytes);
  const e = v.checkLen();
  if (e) return { ok: false, error: e };
  const m = new Dns({
    id: v.id,
    qr: v.qr,
    opcode: v.opcode,
    aa: v.aa,
    tc: v.tc,
    rd: v.rd,
    ra: v.ra,
    z: v.z,
    ad: v.ad,
    cd: v.cd,
    rcode: v.rcode,
  });
  let pos = DNS_HEADER_LEN;
  const qd = v.qdcount;
  for (let i = 0; i < qd; i++) {
    const n = readName(bytes, pos, bytes.length, 'truncated');
    if (isErr(n)) return { ok: false, error: n };
    if (n.end + 4 > bytes.length) return fail('truncated', 'dns', `question ${i + 1} of ${qd} is cut short`, n.end);
    m.questions.push({ name: n.name, type: u16(bytes, n.end), class: u16(bytes, n.end + 2) });
    pos = n.end + 4;
  }
  const sections: [DnsRecord[], number, string][] = [
    [m.answers, v.ancount, 'answer'],
    [m.authorities, v.nscount, 'authority record'],
    [m.additionals, v.arcount, 'additional record'],
  ];
  for (const [list, count, what] of sections) {
    for (let i = 0; i < count; i++) {
      const n = readName(bytes, pos, bytes.length, 'truncated');
      if (isErr(n)) return { ok: false, error: n };
      const o = n.end;
      if (o + 10 > bytes.length) return fail('truncated', 'dns', `${what} ${i + 1} of ${count} is cut short`, o);
      const type = u16(bytes, o);
      const cls = u16(bytes, o + 2);
      const ttl = u32(bytes, o + 4);
      const rdlen = u16(bytes, o + 8);
      const start = o + 10;
      const end = start + rdlen;
      if (end > bytes.length) return fail('truncated', 'dns', `${what} ${i + 1} RDATA of ${rdlen} bytes runs past the end`, start);
      const data = parseRdata(bytes, type, cls, start, end);
      if (isErr(data)) return { ok: false, error: data };
      list.push({ name: n.name, type, class: cls, ttl, data });
      pos = end;
    }
  }
  m.payload = bytes.subarray(pos);
  return ok(m);
}

/**
 * Reads the possibly compressed name at `at` of a whole message (for dissectors that need each name's
 * place): the text and the offset just after it where it was found, or a typed error. Never throws.
 */
export function dnsReadName(msg: Uint8Array, at: number): { readonly name: string; readonly end: number } | DecodeError {
  return readName(msg, at, msg.length, 'truncated');
}

/** Offsets after a question's name (RFC 1035 §4.1.2). */
export const DNS_QUESTION_OFFSETS = { type: 0, class: 2, end: 4 } as const;
/** Offsets after a resource record's name (RFC 1035 §4.1.3). */
export const DNS_RR_OFFSETS = { type: 0, class: 2, ttl: 4, rdlength: 8, rdata: 10 } as const;
