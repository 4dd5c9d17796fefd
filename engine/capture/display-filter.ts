/**
 * A subset of Wireshark's display filter language (wireshark-filter(4), 4.0 semantics), compiled to
 * a predicate over the fast field walk of fields.ts: no detail tree is built, only the fields the
 * walk records are read.
 *
 * Supported: protocol/field presence (`tcp`, `tcp.flags.syn`); comparisons `== != > < >= <=` and
 * `eq ne gt lt ge le`; `contains`, `matches` (regex, case-insensitive as in Wireshark); `in {a b}`
 * or `in {a, b}` with `lo..hi` ranges; `&&`/`and`, `||`/`or`, `!`/`not`, parentheses; IPv4 CIDR
 * (`ip.addr == 10.0.0.0/24`); MAC, decimal/hex/octal, boolean (True/False) and string literals.
 *
 * Wireshark semantics followed: a field occurring several times (quoted or inner layers) satisfies a
 * test when any occurrence does; `!=` is "all not equal" and needs the field present (4.0: `a != b`
 * equals `!(a == b)` only where the field exists); a bare field tests presence, so `tcp.flags.syn`
 * matches every TCP segment.
 *
 * Error contract: `compileFilter` never throws; a bad filter gives `{ ok: false, error }` with a
 * Wireshark-worded message and the character offset and length of the offending text. The compiled
 * predicate never throws.
 */
import { parseIpv4Addr, parseMac } from '../wire/addr.ts';
import { u16 } from '../wire/bytes.ts';
import { dnsReadName, DNS_HEADER_LEN, DNS_OFFSETS } from '../wire/dns.ts';
import { httpFirstLine } from './dissect.ts';
import type { FrameFields } from './fields.ts';

export interface FilterError {
  readonly message: string;
  /** Character offset of the offending text in the filter string. */
  readonly offset: number;
  readonly length: number;
}

export type FilterResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FilterError };

/** Per-packet facts that are not in the bytes. */
export interface FilterPacket {
  /** Length on the wire. */
  frameLen: number;
  comment: string | undefined;
  /** tcp.stream of the packet's first TCP layer, -1 when none. */
  tcpStream: number;
}

export type Predicate = (f: FrameFields, p: FilterPacket) => boolean;

export interface CompiledFilter {
  readonly text: string;
  readonly test: Predicate;
  /** True for the empty filter (everything matches). */
  readonly all: boolean;
}

// ---------------------------------------------------------------------------------------------
// Fields

type FieldType = 'proto' | 'uint' | 'bool' | 'ipv4' | 'mac' | 'string' | 'bytes';

interface NumField {
  readonly type: 'uint' | 'bool' | 'ipv4' | 'mac';
  readonly typeName: string;
  readonly max: number;
  /** Writes the occurrences into `out`; returns how many. */
  readonly values: (f: FrameFields, p: FilterPacket, out: Float64Array) => number;
}
interface StrField {
  readonly type: 'string' | 'bytes';
  readonly typeName: string;
  readonly strings: (f: FrameFields, p: FilterPacket) => string[];
}
interface ProtoField {
  readonly type: 'proto';
  readonly typeName: string;
  readonly present: (f: FrameFields, p: FilterPacket) => boolean;
  /** `frame contains "..."` searches the bytes. */
  readonly strings?: (f: FrameFields, p: FilterPacket) => string[];
}
type Field = NumField | StrField | ProtoField;

const SCRATCH = new Float64Array(64);

function occ(count: (f: FrameFields) => number, arr: (f: FrameFields) => ArrayLike<number>): NumField['values'] {
  return (f, _p, out) => {
    const n = count(f);
    const a = arr(f);
    for (let i = 0; i < n; i++) out[i] = a[i]!;
    return n;
  };
}
function both(count: (f: FrameFields) => number, a1: (f: FrameFields) => ArrayLike<number>, a2: (f: FrameFields) => ArrayLike<number>): NumField['values'] {
  return (f, _p, out) => {
    const n = count(f);
    const x = a1(f);
    const y = a2(f);
    for (let i = 0; i < n; i++) {
      out[2 * i] = x[i]!;
      out[2 * i + 1] = y[i]!;
    }
    return 2 * n;
  };
}
const uint = (typeName: string, max: number, values: NumField['values']): NumField => ({ type: 'uint', typeName, max, values });
const U8 = 'Unsigned integer (1 byte)';
const U16 = 'Unsigned integer (2 bytes)';
const U32 = 'Unsigned integer (4 bytes)';

/** The TCP occurrences where `arr` is set (not -1), mapped by `map`. */
function tcpSet(arr: (f: FrameFields) => ArrayLike<number>, map: (v: number) => number = (v) => v): NumField['values'] {
  return (f, _p, out) => {
    const a = arr(f);
    let n = 0;
    for (let i = 0; i < f.tcpCount; i++) if (a[i]! >= 0) out[n++] = map(a[i]!);
    return n;
  };
}

function tcpFlag(bit: number): NumField {
  return { type: 'bool', typeName: 'Boolean', max: 1, values: tcpSet((f) => f.tcpFlags, (v) => (v & bit ? 1 : 0)) };
}

const latin1 = new TextDecoder('latin1');

function dnsNames(f: FrameFields): string[] {
  const out: string[] = [];
  for (let i = 0; i < f.dnsCount; i++) {
    const msg = f.buf.subarray(f.dnsOff[i]!, f.dnsEnd[i]!);
    const qd = u16(msg, DNS_OFFSETS.qdcount);
    let pos = DNS_HEADER_LEN;
    for (let q = 0; q < qd && q < 16; q++) {
      const n = dnsReadName(msg, pos);
      if ('kind' in n) break;
      out.push(n.name === '' ? '<Root>' : n.name);
      pos = n.end + 4;
    }
  }
  return out;
}

function httpFirst(f: FrameFields, i: number): ReturnType<typeof httpFirstLine> {
  const b = f.buf;
  const start = f.httpOff[i]!;
  const end = Math.min(f.httpEnd[i]!, start + 8192);
  let j = start;
  while (j < end && b[j] !== 0x0a) j++;
  let e = j;
  if (e > start && b[e - 1] === 0x0d) e--;
  return httpFirstLine(latin1.decode(b.subarray(start, e)));
}

type HttpLine = NonNullable<ReturnType<typeof httpFirstLine>>;

/** The first lines of the frame's HTTP messages of one kind. */
function httpLines<K extends HttpLine['kind']>(f: FrameFields, kind: K): Extract<HttpLine, { kind: K }>[] {
  const out: Extract<HttpLine, { kind: K }>[] = [];
  for (let i = 0; i < f.httpCount; i++) {
    const l = httpFirst(f, i);
    if (l?.kind === kind) out.push(l as Extract<HttpLine, { kind: K }>);
  }
  return out;
}

const FIELDS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['frame', { type: 'proto', typeName: 'Protocol', present: () => true, strings: (f) => [latin1.decode(f.buf.subarray(f.start, f.end))] }],
  ['frame.len', uint(U32, 0xffffffff, (_f, p, out) => ((out[0] = p.frameLen), 1))],
  ['frame.cap_len', uint(U32, 0xffffffff, (f, _p, out) => ((out[0] = f.end - f.start), 1))],
  ['frame.comment', { type: 'string', typeName: 'Character string', strings: (_f, p) => (p.comment === undefined ? [] : p.comment.split('\n')) }],
  ['eth', { type: 'proto', typeName: 'Protocol', present: (f) => f.ethCount > 0 }],
  ['eth.addr', { type: 'mac', typeName: 'Ethernet or other MAC address', max: 2 ** 48 - 1, values: both((f) => f.ethCount, (f) => f.ethSrc, (f) => f.ethDst) }],
  ['eth.src', { type: 'mac', typeName: 'Ethernet or other MAC address', max: 2 ** 48 - 1, values: occ((f) => f.ethCount, (f) => f.ethSrc) }],
  ['eth.dst', { type: 'mac', typeName: 'Ethernet or other MAC address', max: 2 ** 48 - 1, values: occ((f) => f.ethCount, (f) => f.ethDst) }],
  ['arp', { type: 'proto', typeName: 'Protocol', present: (f) => f.arpCount > 0 }],
  ['arp.opcode', uint(U16, 0xffff, occ((f) => f.arpCount, (f) => f.arpOp))],
  ['ip', { type: 'proto', typeName: 'Protocol', present: (f) => f.ipCount > 0 }],
  ['ip.addr', { type: 'ipv4', typeName: 'IPv4 address', max: 0xffffffff, values: both((f) => f.ipCount, (f) => f.ipSrc, (f) => f.ipDst) }],
  ['ip.src', { type: 'ipv4', typeName: 'IPv4 address', max: 0xffffffff, values: occ((f) => f.ipCount, (f) => f.ipSrc) }],
  ['ip.dst', { type: 'ipv4', typeName: 'IPv4 address', max: 0xffffffff, values: occ((f) => f.ipCount, (f) => f.ipDst) }],
  ['ip.proto', uint(U8, 0xff, occ((f) => f.ipCount, (f) => f.ipProto))],
  ['ip.ttl', uint(U8, 0xff, occ((f) => f.ipCount, (f) => f.ipTtl))],
  ['icmp', { type: 'proto', typeName: 'Protocol', present: (f) => f.icmpCount > 0 }],
  ['icmp.type', uint(U8, 0xff, occ((f) => f.icmpCount, (f) => f.icmpType))],
  ['icmp.code', uint(U8, 0xff, occ((f) => f.icmpCount, (f) => f.icmpCode))],
  ['tcp', { type: 'proto', typeName: 'Protocol', present: (f) => f.tcpCount > 0 }],
  ['tcp.port', uint(U16, 0xffff, both((f) => f.tcpCount, (f) => f.tcpSrc, (f) => f.tcpDst))],
  ['tcp.srcport', uint(U16, 0xffff, occ((f) => f.tcpCount, (f) => f.tcpSrc))],
  ['tcp.dstport', uint(U16, 0xffff, occ((f) => f.tcpCount, (f) => f.tcpDst))],
  ['tcp.len', uint(U32, 0xffffffff, tcpSet((f) => f.tcpLen))],
  ['tcp.stream', uint(U32, 0xffffffff, (f, p, out) => (f.tcpCount > 0 && p.tcpStream >= 0 ? ((out[0] = p.tcpStream), 1) : 0))],
  ['tcp.flags', uint(U16, 0xffff, tcpSet((f) => f.tcpFlags))],
  ['tcp.flags.fin', tcpFlag(0x001)],
  ['tcp.flags.syn', tcpFlag(0x002)],
  ['tcp.flags.reset', tcpFlag(0x004)],
  ['tcp.flags.push', tcpFlag(0x008)],
  ['tcp.flags.ack', tcpFlag(0x010)],
  ['tcp.flags.urg', tcpFlag(0x020)],
  ['tcp.flags.ece', tcpFlag(0x040)],
  ['tcp.flags.cwr', tcpFlag(0x080)],
  ['udp', { type: 'proto', typeName: 'Protocol', present: (f) => f.udpCount > 0 }],
  ['udp.port', uint(U16, 0xffff, both((f) => f.udpCount, (f) => f.udpSrc, (f) => f.udpDst))],
  ['udp.srcport', uint(U16, 0xffff, occ((f) => f.udpCount, (f) => f.udpSrc))],
  ['udp.dstport', uint(U16, 0xffff, occ((f) => f.udpCount, (f) => f.udpDst))],
  ['dns', { type: 'proto', typeName: 'Protocol', present: (f) => f.dnsCount > 0 }],
  [
    'dns.id',
    uint(U16, 0xffff, (f, _p, out) => {
      for (let i = 0; i < f.dnsCount; i++) out[i] = u16(f.buf, f.dnsOff[i]! + DNS_OFFSETS.id);
      return f.dnsCount;
    }),
  ],
  [
    'dns.flags.response',
    {
      type: 'bool',
      typeName: 'Boolean',
      max: 1,
      values: (f, _p, out) => {
        for (let i = 0; i < f.dnsCount; i++) out[i] = f.buf[f.dnsOff[i]! + DNS_OFFSETS.flags]! & 0x80 ? 1 : 0;
        return f.dnsCount;
      },
    },
  ],
  ['dns.qry.name', { type: 'string', typeName: 'Character string', strings: (f) => dnsNames(f) }],
  ['http', { type: 'proto', typeName: 'Protocol', present: (f) => f.httpCount > 0 }],
  ['http.request', { type: 'proto', typeName: 'Boolean', present: (f) => httpLines(f, 'request').length > 0 }],
  ['http.response', { type: 'proto', typeName: 'Boolean', present: (f) => httpLines(f, 'response').length > 0 }],
  ['http.request.method', { type: 'string', typeName: 'Character string', strings: (f) => httpLines(f, 'request').map((l) => l.method) }],
  ['http.request.uri', { type: 'string', typeName: 'Character string', strings: (f) => httpLines(f, 'request').map((l) => l.uri) }],
  [
    'http.response.code',
    uint(U16, 0xffff, (f, _p, out) => {
      const ls = httpLines(f, 'response');
      ls.forEach((l, i) => (out[i] = l.code));
      return ls.length;
    }),
  ],
  ['geneve', { type: 'proto', typeName: 'Protocol', present: (f) => f.geneveCount > 0 }],
  ['geneve.vni', uint('Unsigned integer (3 bytes)', 0xffffff, occ((f) => f.geneveCount, (f) => f.geneveVni))],
]);

/** Field names the filter language knows, for completion in the UI. */
export function filterFieldNames(): string[] {
  return [...FIELDS.keys()];
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'comma' | 'range' | 'end';
interface Tok {
  kind: TokKind;
  text: string;
  /** For strings, the unescaped value. */
  value: string;
  pos: number;
}

const WORD = /[A-Za-z0-9_.:/\-]/;

function lex(s: string): FilterResult<Tok[]> {
  const toks: Tok[] = [];
  let i = 0;
  const err = (message: string, pos: number, len = 1): FilterResult<Tok[]> => ({ ok: false, error: { message, offset: pos, length: len } });
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (['==', '!=', '>=', '<=', '&&', '||'].includes(two)) {
      toks.push({ kind: 'op', text: two, value: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<' || c === '!' || c === '~') {
      toks.push({ kind: 'op', text: c, value: c, pos: i });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',') {
      const kind: TokKind = c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === '{' ? 'lbrace' : c === '}' ? 'rbrace' : 'comma';
      toks.push({ kind, text: c, value: c, pos: i });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= s.length) return err('The string does not have a closing quote.', i, s.length - i);
        const d = s[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < s.length) {
          const e = s[j + 1]!;
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(j + 2, j + 4))) {
            v += String.fromCharCode(parseInt(s.slice(j + 2, j + 4), 16));
            j += 4;
            continue;
          }
          // Wireshark accepts only the C escapes; a regex escape needs a doubled backslash.
          const m = map[e];
          if (m === undefined) return err(`\\${e} is not a valid character escape sequence`, j, 2);
          v += m;
          j += 2;
          continue;
        }
        v += d;
        j++;
      }
      toks.push({ kind: 'string', text: s.slice(i, j + 1), value: v, pos: i });
      i = j + 1;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < s.length && WORD.test(s[j]!)) j++;
      // `80..443` inside a set: split around the range operator.
      const w = s.slice(i, j);
      const r = w.indexOf('..');
      if (r > 0 && r + 2 < w.length) {
        toks.push({ kind: 'word', text: w.slice(0, r), value: w.slice(0, r), pos: i });
        toks.push({ kind: 'range', text: '..', value: '..', pos: i + r });
        toks.push({ kind: 'word', text: w.slice(r + 2), value: w.slice(r + 2), pos: i + r + 2 });
      } else {
        toks.push({ kind: 'word', text: w, value: w, pos: i });
      }
      i = j;
      continue;
    }
    return err(`"${c}" was unexpected in this context.`, i);
  }
  toks.push({ kind: 'end', text: '', value: '', pos: s.length });
  return { ok: true, value: toks };
}

// ---------------------------------------------------------------------------------------------
// Parser and compiler

class FilterSyntaxError {
  constructor(readonly error: FilterError) {}
}

const WORD_OPS: Record<string, string> = { eq: '==', ne: '!=', gt: '>', lt: '<', ge: '>=', le: '<=', any_eq: '==', all_ne: '!=', '~': 'matches' };

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private fail(t: Tok, message?: string): never {
    if (t.kind === 'end') throw new FilterSyntaxError({ message: 'Unexpected end of filter expression.', offset: t.pos, length: 0 });
    throw new FilterSyntaxError({ message: message ?? `"${t.text}" was unexpected in this context.`, offset: t.pos, length: t.text.length });
  }
  private isWord(t: Tok, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toLowerCase());
  }

  parse(): Predicate {
    const p = this.or();
    const t = this.peek();
    if (t.kind !== 'end') this.fail(t);
    return p;
  }

  private or(): Predicate {
    return this.chain('||', 'or', () => this.and(), (a, b) => (f, p) => a(f, p) || b(f, p));
  }

  private and(): Predicate {
    return this.chain('&&', 'and', () => this.unary(), (a, b) => (f, p) => a(f, p) && b(f, p));
  }

  /** `operand (op operand)*`, left-associative, with `op` written as `sym` or `word`. */
  private chain(sym: string, word: string, operand: () => Predicate, join: (a: Predicate, b: Predicate) => Predicate): Predicate {
    let l = operand();
    for (;;) {
      const t = this.peek();
      if (!((t.kind === 'op' && t.text === sym) || this.isWord(t, word))) return l;
      this.next();
      l = join(l, operand());
    }
  }

  private unary(): Predicate {
    const t = this.peek();
    if ((t.kind === 'op' && t.text === '!') || this.isWord(t, 'not')) {
      this.next();
      const a = this.unary();
      return (f, p) => !a(f, p);
    }
    if (t.kind === 'lparen') {
      this.next();
      const e = this.or();
      const r = this.next();
      if (r.kind !== 'rparen') this.fail(r);
      return e;
    }
    return this.test();
  }

  private test(): Predicate {
    const t = this.next();
    if (t.kind !== 'word') this.fail(t);
    const field = FIELDS.get(t.text);
    if (field === undefined) {
      throw new FilterSyntaxError({ message: `"${t.text}" is not a valid protocol or protocol field.`, offset: t.pos, length: t.text.length });
    }
    const o = this.peek();
    let op: string | null = null;
    if (o.kind === 'op' && o.text !== '!' && o.text !== '&&' && o.text !== '||') op = o.text === '~' ? 'matches' : o.text;
    else if (o.kind === 'word') {
      const w = o.text.toLowerCase();
      if (WORD_OPS[w]) op = WORD_OPS[w]!;
      else if (w === 'contains' || w === 'matches' || w === 'in') op = w;
    }
    if (op === null) return presence(field);
    this.next();
    if (op === 'in') return this.set(t, field);
    if (op === 'contains' || op === 'matches') {
      const v = this.next();
      if (v.kind !== 'string' && v.kind !== 'word') this.fail(v);
      if (field.type !== 'string' && field.type !== 'bytes' && !(field.type === 'proto' && field.strings)) {
        throw new FilterSyntaxError({ message: `${t.text} (type=${field.typeName}) cannot participate in ${op === 'matches' ? 'matches' : "'contains'"} comparison.`, offset: t.pos, length: t.text.length });
      }
      const strings = (field as StrField).strings;
      if (op === 'contains') {
        const needle = v.value;
        return (f, p) => strings(f, p).some((s) => s.includes(needle));
      }
      let re: RegExp;
      try {
        re = new RegExp(v.value, 'is');
      } catch (e) {
        throw new FilterSyntaxError({ message: `"${v.value}" is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`, offset: v.pos, length: v.text.length });
      }
      return (f, p) => strings(f, p).some((s) => re.test(s));
    }
    const v = this.next();
    if (v.kind !== 'word' && v.kind !== 'string') this.fail(v);
    return compare(t, field, op, v);
  }

  private set(ft: Tok, field: Field): Predicate {
    const open = this.next();
    if (open.kind !== 'lbrace') this.fail(open);
    const tests: Predicate[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'rbrace') break;
      if (t.kind !== 'word' && t.kind !== 'string') this.fail(t);
      if (this.peek().kind === 'range') {
        this.next();
        const hi = this.next();
        if (hi.kind !== 'word') this.fail(hi);
        const a = compare(ft, field, '>=', t);
        const b = compare(ft, field, '<=', hi);
        // Wireshark: one occurrence must lie in the range.
        if (field.type === 'uint' || field.type === 'ipv4' || field.type === 'mac' || field.type === 'bool') {
          const lo = literal(ft, field, t);
          const up = literal(ft, field, hi);
          const nf = field;
          tests.push((f, p) => {
            const n = nf.values(f, p, SCRATCH);
            for (let i = 0; i < n; i++) if (SCRATCH[i]! >= lo && SCRATCH[i]! <= up) return true;
            return false;
          });
        } else tests.push((f, p) => a(f, p) && b(f, p));
      } else {
        tests.push(compare(ft, field, '==', t));
      }
      if (this.peek().kind === 'comma') this.next();
      else if (this.peek().kind !== 'rbrace' && this.peek().kind !== 'word' && this.peek().kind !== 'string') this.fail(this.peek());
    }
    if (tests.length === 0) this.fail(this.toks[this.i - 1]!);
    return (f, p) => {
      for (const t of tests) if (t(f, p)) return true;
      return false;
    };
  }
}

function presence(field: Field): Predicate {
  if (field.type === 'proto') return field.present;
  if (field.type === 'string' || field.type === 'bytes') {
    const s = field.strings;
    return (f, p) => s(f, p).length > 0;
  }
  const v = (field as NumField).values;
  return (f, p) => v(f, p, SCRATCH) > 0;
}

/** A numeric literal for `field`, or a FilterSyntaxError. */
function literal(ft: Tok, field: NumField, v: Tok): number {
  const text = v.value;
  const bad = (message: string): never => {
    throw new FilterSyntaxError({ message, offset: v.pos, length: v.text.length });
  };
  if (v.kind === 'string' && field.type !== 'ipv4' && field.type !== 'mac') bad(`${field.typeName} cannot be converted from a string ("${text}").`);
  switch (field.type) {
    case 'ipv4': {
      const a = parseIpv4Addr(text);
      if (a === null) bad(`"${text}" is not a valid hostname or IPv4 address.`);
      return a!;
    }
    case 'mac': {
      const m = parseMac(text);
      if (m !== null) return m;
      const parts = text.split(/[:.-]/);
      if (parts.every((x) => /^[0-9a-fA-F]{1,2}$/.test(x)) && parts.length < 6) bad(`"${text}" contains too few bytes to be a valid Ethernet address.`);
      return bad(`"${text}" is not a valid Ethernet address.`);
    }
    case 'bool': {
      const l = text.toLowerCase();
      if (l === 'true') return 1;
      if (l === 'false') return 0;
      const n = intLiteral(text);
      if (n === null) bad(`"${text}" is not a valid boolean.`);
      return n! !== 0 ? 1 : 0;
    }
    default: {
      const n = intLiteral(text);
      if (n === null) bad(`"${text}" is not a valid number.`);
      if (n! > field.max) bad(`"${text}" too big for this field, maximum ${field.max}.`);
      void ft;
      return n!;
    }
  }
}

function intLiteral(s: string): number | null {
  let m: RegExpExecArray | null;
  if ((m = /^(-?)0[xX]([0-9a-fA-F]+)$/.exec(s))) return (m[1] ? -1 : 1) * parseInt(m[2]!, 16);
  if ((m = /^(-?)0([0-7]+)$/.exec(s))) return (m[1] ? -1 : 1) * parseInt(m[2]!, 8);
  if (/^-?\d+$/.test(s)) return Number(s);
  return null;
}

function numTest(op: string, c: number): (x: number) => boolean {
  switch (op) {
    case '==':
      return (x) => x === c;
    case '!=':
      return (x) => x !== c;
    case '>':
      return (x) => x > c;
    case '<':
      return (x) => x < c;
    case '>=':
      return (x) => x >= c;
    default:
      return (x) => x <= c;
  }
}

function compare(ft: Tok, field: Field, op: string, v: Tok): Predicate {
  if (field.type === 'proto') {
    throw new FilterSyntaxError({ message: `${ft.text} (type=${field.typeName}) cannot participate in '${op}' comparison.`, offset: ft.pos, length: ft.text.length });
  }
  if (field.type === 'string' || field.type === 'bytes') {
    const c = v.value;
    const strings = field.strings;
    const t: (s: string) => boolean =
      op === '==' ? (s) => s === c : op === '!=' ? (s) => s !== c : op === '>' ? (s) => s > c : op === '<' ? (s) => s < c : op === '>=' ? (s) => s >= c : (s) => s <= c;
    if (op === '!=') {
      return (f, p) => {
        const xs = strings(f, p);
        return xs.length > 0 && xs.every(t);
      };
    }
    return (f, p) => strings(f, p).some(t);
  }
  const nf = field as NumField;
  const values = nf.values;
  // IPv4 CIDR: ip.addr == 10.0.0.0/24 compares under the mask.
  if (field.type === 'ipv4' && v.value.includes('/')) {
    const [a, bits] = v.value.split('/') as [string, string];
    const addr = parseIpv4Addr(a);
    if (addr === null) throw new FilterSyntaxError({ message: `"${a}" is not a valid hostname or IPv4 address.`, offset: v.pos, length: a.length });
    if (!/^\d+$/.test(bits)) throw new FilterSyntaxError({ message: `"${v.value}" is not a valid hostname or IPv4 address.`, offset: v.pos, length: v.text.length });
    const n = Number(bits);
    if (n > 32) throw new FilterSyntaxError({ message: `Netmask bits in a CIDR IPv4 address should be <= 32, not ${n}`, offset: v.pos, length: v.text.length });
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    const net = (addr & mask) >>> 0;
    const lo = net;
    const hi = (net | (~mask >>> 0)) >>> 0;
    const inNet = (x: number): boolean => ((x & mask) >>> 0) === net;
    const t = op === '==' ? inNet : op === '!=' ? (x: number) => !inNet(x) : op === '>' ? (x: number) => x > hi : op === '<' ? (x: number) => x < lo : op === '>=' ? (x: number) => x >= lo : (x: number) => x <= hi;
    return anyOrAll(values, t, op === '!=');
  }
  const c = literal(ft, nf, v);
  return anyOrAll(values, numTest(op, c), op === '!=');
}

function anyOrAll(values: NumField['values'], t: (x: number) => boolean, all: boolean): Predicate {
  if (all) {
    return (f, p) => {
      const n = values(f, p, SCRATCH);
      if (n === 0) return false;
      for (let i = 0; i < n; i++) if (!t(SCRATCH[i]!)) return false;
      return true;
    };
  }
  return (f, p) => {
    const n = values(f, p, SCRATCH);
    for (let i = 0; i < n; i++) if (t(SCRATCH[i]!)) return true;
    return false;
  };
}

/** Compiles a display filter. The empty (or blank) filter matches every packet. Never throws. */
export function compileFilter(text: string): FilterResult<CompiledFilter> {
  if (text.trim() === '') return { ok: true, value: { text, test: () => true, all: true } };
  const l = lex(text);
  if (!l.ok) return l;
  try {
    const test = new Parser(l.value).parse();
    return { ok: true, value: { text, test, all: false } };
  } catch (e) {
    if (e instanceof FilterSyntaxError) return { ok: false, error: e.error };
    return { ok: false, error: { message: `Invalid filter: ${e instanceof Error ? e.message : String(e)}`, offset: 0, length: text.length } };
  }
}

export type { FieldType };
