/**
 * Capture filters in the pcap-filter(7) language (libpcap 1.10 / tcpdump 4.99), compiled to a
 * predicate over one Ethernet frame: `compileFilter('tcp port 80 and host 10.0.0.2')`.
 *
 * Supported primitives:
 *   [src|dst|src or dst|src and dst] host A      IPv4 (ip) or ARP sender/target (arp, rarp) address
 *   [src|dst] net N/len | net N mask M | net N    N may be partial (`net 10.1` = 10.1.0.0/16)
 *   [tcp|udp] [src|dst] port P | portrange A-B    numbers or service names (http, domain, ...)
 *   ether host|src|dst MAC, ether proto N, ether broadcast|multicast, broadcast, multicast
 *   ip, arp, rarp, tcp, udp, icmp, sctp, ip6, ip proto N, vlan [ID], less N, greater N
 * combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. As in libpcap, `and` and `or` have
 * equal precedence and associate left to right; `not` binds tightest. A bare id inherits the
 * qualifiers of the primitive before it (`host a or b`, `port 80 or 443`); after a lone protocol
 * name, `vlan` or `)` there is nothing to inherit, which libpcap reports as "syntax error in filter
 * expression". As libpcap does, each `vlan` shifts the primitives written after it to the payload
 * of the next 802.1Q tag.
 *
 * Deviations from libpcap, chosen for a lab: a bare address first (`10.0.0.1`) means `host 10.0.0.1`
 * (pcap-filter(7) describes it; libpcap 1.10 refuses it); byte-offset expressions (`tcp[13] & 2 != 0`)
 * are refused as unsupported; IPv6 packets match only `ip6` (the engine carries IPv4); host names
 * resolve only through the optional `resolveHost`.
 *
 * Error contract: `compileFilter` never throws; it returns a `FilterError` with libpcap's message and
 * the character position where the problem was found. The compiled predicate never throws on any
 * bytes: fields are read through the wire views after their length checks.
 */
import { parseIpv4Addr, parseMac, prefixMask, type Ipv4Addr, type MacAddr } from './addr.ts';
import { ArpView } from './arp.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, parseEthernet, type Ethernet } from './ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_MIN_HEADER_LEN, Ipv4View } from './ipv4.ts';
import { TcpView } from './tcp.ts';

export type FrameFilter = (frame: Uint8Array) => boolean;

export interface FilterError {
  /** 'syntax': the text does not parse; 'semantic': a value or qualifier libpcap refuses; 'unsupported'. */
  readonly kind: 'syntax' | 'semantic' | 'unsupported';
  /** libpcap's words, e.g. "syntax error", "unknown host 'foo'", "illegal port number 70000 > 65535". */
  readonly message: string;
  /** Character offset in the filter text. */
  readonly pos: number;
}

export type FilterResult = { readonly ok: true; readonly value: FrameFilter } | { readonly ok: false; readonly error: FilterError };

export interface FilterOptions {
  /** Resolves a host name (e.g. from the host's /etc/hosts); unknown names are errors. */
  readonly resolveHost?: (name: string) => Ipv4Addr | null;
}

/** The text pcap_geterr() would give for this error (tcpdump prints it after `tcpdump: `). */
export function filterErrorText(e: FilterError): string {
  return e.kind === 'syntax' && e.message === 'syntax error' ? "can't parse filter expression: syntax error" : e.message;
}

/** Well-known ports by service name (/etc/services, both tcp and udp as libpcap treats them). */
export const SERVICE_PORTS: Readonly<Record<string, number>> = {
  'ftp-data': 20,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  www: 80,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  imap: 143,
  snmp: 161,
  'snmp-trap': 162,
  bgp: 179,
  ldap: 389,
  https: 443,
  isakmp: 500,
  syslog: 514,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  'ms-wbt-server': 3389,
  postgresql: 5432,
  'http-alt': 8080,
  geneve: 6081,
};

const ETHERTYPE_RARP = 0x8035;
const IPPROTO_SCTP = 132;

// --- lexer ------------------------------------------------------------------------------------------

type TokKind = 'id' | '(' | ')' | 'and' | 'or' | 'not' | 'other' | 'end';
interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly pos: number;
}

const ID_CHAR = /[A-Za-z0-9_.:/\\-]/;

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: two === '&&' ? 'and' : 'or', text: two, pos: i });
      i += 2;
    } else if (c === '!' && s[i + 1] !== '=') {
      out.push({ kind: 'not', text: c, pos: i++ });
    } else if (c === '(' || c === ')') {
      out.push({ kind: c, text: c, pos: i++ });
    } else if (ID_CHAR.test(c)) {
      const start = i;
      while (i < s.length && ID_CHAR.test(s[i]!)) i++;
      const text = s.slice(start, i);
      const kw = text === 'and' ? 'and' : text === 'or' ? 'or' : text === 'not' ? 'not' : 'id';
      out.push({ kind: kw, text, pos: start });
    } else {
      out.push({ kind: 'other', text: c, pos: i++ });
    }
  }
  out.push({ kind: 'end', text: '', pos: s.length });
  return out;
}

// --- the frame as predicates see it -------------------------------------------------------------------

/** Per-frame lazily decoded layers, shared by every primitive of one evaluation. */
class Pkt {
  private eth: Ethernet | null | undefined = undefined;
  constructor(readonly frame: Uint8Array) {}

  ether(): Ethernet | null {
    if (this.eth === undefined) {
      const r = parseEthernet(this.frame);
      this.eth = r.ok ? r.value : null;
    }
    return this.eth;
  }

  /** EtherType seen at VLAN depth d (a TPID while more tags follow), or -1. */
  etherType(d: number): number {
    const e = this.ether();
    if (e === null) return -1;
    if (d < e.vlan.length) return e.vlan[d]!.tpid;
    return d === e.vlan.length ? e.etherType : -1;
  }

  /** Network-layer bytes at VLAN depth d when the EtherType there is `type`. */
  net(d: number, type: number): Uint8Array | null {
    const e = this.ether();
    if (e === null || d !== e.vlan.length || e.etherType !== type) return null;
    return e.payload;
  }

  ip(d: number): Ipv4View | null {
    const b = this.net(d, ETHERTYPE_IPV4);
    if (b === null || b.length < IPV4_MIN_HEADER_LEN) return null;
    return new Ipv4View(b);
  }

  arp(d: number, type: number): ArpView | null {
    const b = this.net(d, type);
    if (b === null) return null;
    const v = new ArpView(b);
    return v.checkLen() === null ? v : null;
  }

  /** Source and destination port of an unfragmented (or first-fragment) TCP/UDP/SCTP packet. */
  ports(d: number, protos: readonly number[]): [number, number] | null {
    const ip = this.ip(d);
    if (ip === null || ip.fragOffset !== 0 || !protos.includes(ip.protocol)) return null;
    const hl = ip.headerLen;
    if (hl < IPV4_MIN_HEADER_LEN) return null;
    // TCP, UDP and SCTP all begin with the two ports; the TCP view reads them.
    const t = new TcpView(ip.bytes.subarray(hl));
    if (t.bytes.length < 4) return null;
    return [t.srcPort, t.dstPort];
  }
}

type Pred = (p: Pkt) => boolean;

// --- parser -----------------------------------------------------------------------------------------

type Proto = 'ether' | 'ip' | 'arp' | 'rarp' | 'tcp' | 'udp' | 'icmp' | 'sctp' | 'ip6';
type Dir = 'src' | 'dst' | 'src or dst' | 'src and dst';
type AType = 'host' | 'net' | 'port' | 'portrange';

interface Quals {
  proto?: Proto;
  dir?: Dir;
  type?: AType;
}

const PROTOS = new Set<string>(['ether', 'ip', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'sctp', 'ip6']);
const TYPES = new Set<string>(['host', 'net', 'port', 'portrange']);

class FilterSyntaxError {
  constructor(readonly error: FilterError) {}
}

class Parser {
  private i = 0;
  /** Qualifiers a bare id inherits; null after `)`, a lone protocol or `vlan` (libpcap's qerr). */
  private last: Quals | null | undefined = undefined;
  /** 802.1Q tags skipped by the primitives compiled so far (libpcap's running link-layer offset). */
  private vlanDepth = 0;

  constructor(
    private readonly toks: Tok[],
    private readonly opts: FilterOptions,
  ) {}

  private get tok(): Tok {
    return this.toks[this.i]!;
  }

  private fail(message: string, pos = this.tok.pos, kind: FilterError['kind'] = 'syntax'): never {
    throw new FilterSyntaxError({ kind, message, pos });
  }

  parseAll(): Pred {
    const e = this.expr();
    const t = this.tok;
    if (t.kind === 'other' && '[=<>!'.includes(t.text)) this.fail('byte-offset and comparison expressions are not supported', t.pos, 'unsupported');
    if (t.kind !== 'end') this.fail('syntax error');
    return e;
  }

  private expr(): Pred {
    let left = this.term();
    for (;;) {
      const k = this.tok.kind;
      if (k !== 'and' && k !== 'or') return left;
      this.i++;
      const right = this.term();
      const l = left;
      left = k === 'and' ? (p) => l(p) && right(p) : (p) => l(p) || right(p);
    }
  }

  private term(): Pred {
    if (this.tok.kind === 'not') {
      this.i++;
      const t = this.term();
      return (p) => !t(p);
    }
    return this.rterm();
  }

  private rterm(): Pred {
    const t = this.tok;
    if (t.kind === '(') {
      this.i++;
      const e = this.expr();
      if (this.tok.kind !== ')') this.fail('syntax error');
      this.i++;
      this.last = null;
      return e;
    }
    if (t.kind === 'other') {
      if ('[=<>!'.includes(t.text)) {
        this.fail('byte-offset and comparison expressions are not supported', t.pos, 'unsupported');
      }
      this.fail('syntax error');
    }
    if (t.kind !== 'id') this.fail('syntax error');
    return this.primitive();
  }

  private word(): string {
    return this.tok.kind === 'id' ? this.tok.text : '';
  }

  private primitive(): Pred {
    const start = this.tok;
    const w = start.text;
    // Keywords that stand alone or take their own argument.
    switch (w) {
      case 'vlan':
        return this.vlan();
      case 'less':
      case 'greater': {
        this.i++;
        const n = this.number(this.tok);
        this.i++;
        this.last = null;
        return w === 'less' ? (p) => p.frame.length <= n : (p) => p.frame.length >= n;
      }
      case 'broadcast':
      case 'multicast':
        this.i++;
        this.last = null;
        return w === 'broadcast' ? isBroadcast : isMulticast;
      case 'gateway':
      case 'proto':
      case 'protochain':
      case 'len':
        this.fail(`'${w}' is not supported`, start.pos, 'unsupported');
    }
    const q: Quals = {};
    let explicit = false;
    if (PROTOS.has(this.word())) {
      q.proto = this.word() as Proto;
      this.i++;
      explicit = true;
      const nw = this.word();
      if (nw === 'proto') return this.protoNumber(q.proto);
      if (nw === 'broadcast' || nw === 'multicast') {
        if (q.proto !== 'ether') this.fail(`'${nw}' is only supported after 'ether' here`, this.tok.pos, 'unsupported');
        this.i++;
        this.last = null;
        return nw === 'broadcast' ? isBroadcast : isMulticast;
      }
    }
    const dw = this.word();
    if (dw === 'src' || dw === 'dst') {
      this.i++;
      explicit = true;
      q.dir = dw;
      const next = this.toks[this.i + 1];
      if ((this.tok.kind === 'or' || this.tok.kind === 'and') && next?.kind === 'id' && next.text === (dw === 'src' ? 'dst' : 'src')) {
        q.dir = this.tok.kind === 'or' ? 'src or dst' : 'src and dst';
        this.i += 2;
      }
    }
    if (TYPES.has(this.word())) {
      q.type = this.word() as AType;
      this.i++;
      explicit = true;
    }
    if (explicit && q.dir === undefined && q.type === undefined) {
      // A lone protocol name: `tcp`, `ip`, `arp` ...
      this.last = null;
      return protoPred(q.proto!, this.vlanDepth);
    }
    if (!explicit) {
      // A bare id: inherit the previous primitive's qualifiers.
      if (this.last === null) this.fail('syntax error in filter expression', start.pos);
      if (this.last !== undefined) Object.assign(q, this.last);
      // First in the expression only a full dotted quad may stand alone (libpcap refuses even that).
      else if (parseIpv4Addr(start.text) === null) this.fail('syntax error', start.pos);
    }
    const id = this.tok;
    if (id.kind !== 'id') this.fail('syntax error');
    this.i++;
    this.last = { ...q };
    return this.addressPred(q, id);
  }

  private vlan(): Pred {
    this.i++;
    const d = this.vlanDepth++;
    this.last = null;
    const t = this.tok;
    if (t.kind === 'id' && /^\d/.test(t.text)) {
      const vid = this.number(t);
      if (vid > 4095) this.fail(`VLAN tag ${vid} greater than maximum 4095`, t.pos, 'semantic');
      this.i++;
      return (p) => {
        const e = p.ether();
        return e !== null && d < e.vlan.length && e.vlan[d]!.vid === vid;
      };
    }
    return (p) => {
      const e = p.ether();
      return e !== null && d < e.vlan.length;
    };
  }

  private protoNumber(proto: Proto): Pred {
    this.i++;
    const t = this.tok;
    if (t.kind !== 'id') this.fail('syntax error');
    this.i++;
    this.last = null;
    const d = this.vlanDepth;
    const names: Record<string, number> =
      proto === 'ether' ? { '\\ip': ETHERTYPE_IPV4, '\\arp': ETHERTYPE_ARP, '\\rarp': ETHERTYPE_RARP, '\\ip6': ETHERTYPE_IPV6 } : { '\\tcp': IPPROTO_TCP, '\\udp': IPPROTO_UDP, '\\icmp': IPPROTO_ICMP, '\\sctp': IPPROTO_SCTP };
    const n = names[t.text] ?? this.number(t);
    if (proto === 'ether') return (p) => p.etherType(d) === n;
    if (proto === 'ip') {
      if (n > 255) this.fail(`illegal protocol number ${n} > 255`, t.pos, 'semantic');
      return (p) => p.ip(d)?.protocol === n;
    }
    return this.fail(`'${proto} proto' is not supported`, t.pos, 'unsupported');
  }

  /** Decimal, 0x hex or 0 octal, as libpcap's lexer reads numbers. */
  private number(t: Tok): number {
    const s = t.text;
    let n = NaN;
    if (/^0x[0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
    else if (/^0[0-7]+$/.test(s)) n = parseInt(s, 8);
    else if (/^\d+$/.test(s)) n = Number(s);
    if (!Number.isSafeInteger(n) || t.kind !== 'id') this.fail('syntax error', t.pos);
    return n;
  }

  private addressPred(q: Quals, id: Tok): Pred {
    const d = this.vlanDepth;
    const text = id.text;
    const type = q.type ?? 'host';
    if (type === 'port' || type === 'portrange') {
      if (q.proto !== undefined && q.proto !== 'tcp' && q.proto !== 'udp' && q.proto !== 'sctp') this.fail(`illegal qualifier of '${type}'`, id.pos, 'semantic');
      let lo: number;
      let hi: number;
      if (type === 'port') {
        if (parseIpv4Addr(text) !== null) this.fail(`'port' modifier applied to ip host`, id.pos, 'semantic');
        lo = hi = this.port(text, id.pos);
      } else {
        const dash = text.indexOf('-', 1);
        if (dash < 0) this.fail(`illegal port range '${text}'`, id.pos, 'semantic');
        lo = this.port(text.slice(0, dash), id.pos);
        hi = this.port(text.slice(dash + 1), id.pos);
        if (lo > hi) [lo, hi] = [hi, lo];
      }
      const protos = q.proto === 'tcp' ? [IPPROTO_TCP] : q.proto === 'udp' ? [IPPROTO_UDP] : q.proto === 'sctp' ? [IPPROTO_SCTP] : [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP];
      const inR = (x: number): boolean => x >= lo && x <= hi;
      return dirPred(q.dir, (p) => p.ports(d, protos), inR);
    }
    // host / net
    if (q.proto === 'tcp' || q.proto === 'udp' || q.proto === 'icmp' || q.proto === 'sctp' || q.proto === 'ip6') {
      this.fail(`'${q.proto}' modifier applied to ${type}`, id.pos, 'semantic');
    }
    if (q.proto === 'ether' || (text.includes(':') && parseMac(text) !== null)) {
      if (q.proto !== 'ether') this.fail('ethernet address used in non-ether expression', id.pos, 'semantic');
      if (type !== 'host') this.fail(`'ether' modifier applied to ${type}`, id.pos, 'semantic');
      const m = parseMac(text);
      if (m === null) {
        if (parseIpv4Addr(text) !== null) this.fail('illegal link layer address', id.pos, 'semantic');
        this.fail(`bogus ethernet address ${text}`, id.pos, 'semantic');
      }
      return etherPred(q.dir, m);
    }
    let addr: Ipv4Addr;
    let mask: number;
    const slash = text.indexOf('/');
    if (type === 'net' && slash >= 0) {
      const a = parseIpv4Addr(text.slice(0, slash));
      const len = text.slice(slash + 1);
      if (a === null) this.fail(`invalid IPv4 address '${text.slice(0, slash)}'`, id.pos, 'semantic');
      if (!/^\d{1,2}$/.test(len) || Number(len) > 32) this.fail(`mask length must be <= 32`, id.pos, 'semantic');
      addr = a;
      mask = prefixMask(Number(len));
      if (((addr & ~mask) >>> 0) !== 0) this.fail(`non-network bits set in "${text}"`, id.pos, 'semantic');
    } else if (/^[\d.]+$/.test(text)) {
      const parts = text.split('.');
      if (parts.some((x) => x === '' || Number(x) > 255) || parts.length > 4) this.fail(`invalid IPv4 address '${text}'`, id.pos, 'semantic');
      addr = 0;
      for (let k = 0; k < 4; k++) addr = addr * 256 + Number(parts[k] ?? 0);
      mask = prefixMask(parts.length * 8);
      if (this.word() === 'mask') {
        if (type !== 'net') this.fail('syntax error');
        this.i++;
        const mt = this.tok;
        const m = mt.kind === 'id' ? parseIpv4Addr(mt.text) : null;
        if (m === null) this.fail(`invalid IPv4 address '${mt.text}'`, mt.pos, 'semantic');
        this.i++;
        mask = m;
        if (((addr & ~mask) >>> 0) !== 0) this.fail(`non-network bits set in "${text} mask ${mt.text}"`, id.pos, 'semantic');
      } else if (type === 'net' && ((addr & ~mask) >>> 0) !== 0) {
        this.fail(`non-network bits set in "${text}"`, id.pos, 'semantic');
      }
    } else {
      if (!/^[A-Za-z]/.test(text)) this.fail('syntax error', id.pos);
      const r = this.opts.resolveHost?.(text) ?? null;
      if (r === null) this.fail(type === 'net' ? `unknown network '${text}'` : `unknown host '${text}'`, id.pos, 'semantic');
      addr = r;
      mask = 0xffff_ffff;
    }
    return ipArpPred(q, d, addr >>> 0, mask >>> 0);
  }

  private port(s: string, pos: number): number {
    if (/^\d+$/.test(s)) {
      const n = Number(s);
      if (n > 65535) this.fail(`illegal port number ${n} > 65535`, pos, 'semantic');
      return n;
    }
    const n = SERVICE_PORTS[s];
    if (n === undefined) this.fail(`unknown port '${s}'`, pos, 'semantic');
    return n;
  }
}

function isBroadcast(p: Pkt): boolean {
  return p.ether()?.dst === 0xffff_ffff_ffff;
}

function isMulticast(p: Pkt): boolean {
  const e = p.ether();
  return e !== null && Math.floor(e.dst / 0x100_0000_0000) % 2 === 1;
}

function protoPred(proto: Proto, d: number): Pred {
  switch (proto) {
    case 'ether':
      return (p) => p.ether() !== null;
    case 'ip':
      return (p) => p.etherType(d) === ETHERTYPE_IPV4;
    case 'ip6':
      return (p) => p.etherType(d) === ETHERTYPE_IPV6;
    case 'arp':
      return (p) => p.etherType(d) === ETHERTYPE_ARP;
    case 'rarp':
      return (p) => p.etherType(d) === ETHERTYPE_RARP;
    case 'tcp':
      return (p) => p.ip(d)?.protocol === IPPROTO_TCP;
    case 'udp':
      return (p) => p.ip(d)?.protocol === IPPROTO_UDP;
    case 'icmp':
      return (p) => p.ip(d)?.protocol === IPPROTO_ICMP;
    case 'sctp':
      return (p) => p.ip(d)?.protocol === IPPROTO_SCTP;
  }
}

function dirPred<T>(dir: Dir | undefined, get: (p: Pkt) => [T, T] | null, test: (x: T) => boolean): Pred {
  switch (dir) {
    case 'src':
      return (p) => {
        const v = get(p);
        return v !== null && test(v[0]);
      };
    case 'dst':
      return (p) => {
        const v = get(p);
        return v !== null && test(v[1]);
      };
    case 'src and dst':
      return (p) => {
        const v = get(p);
        return v !== null && test(v[0]) && test(v[1]);
      };
    default:
      return (p) => {
        const v = get(p);
        return v !== null && (test(v[0]) || test(v[1]));
      };
  }
}

function etherPred(dir: Dir | undefined, m: MacAddr): Pred {
  return dirPred(
    dir,
    (p) => {
      const e = p.ether();
      return e === null ? null : [e.src, e.dst];
    },
    (x) => x === m,
  );
}

/** `host`/`net`: IPv4 source/destination, and ARP/RARP sender/target protocol addresses, as libpcap. */
function ipArpPred(q: Quals, d: number, addr: Ipv4Addr, mask: number): Pred {
  const test = (x: number): boolean => ((x & mask) >>> 0) === addr;
  const ip = dirPred(
    q.dir,
    (p) => {
      const v = p.ip(d);
      return v === null ? null : [v.src, v.dst];
    },
    test,
  );
  const arpOf = (type: number): Pred =>
    dirPred(
      q.dir,
      (p) => {
        const v = p.arp(d, type);
        return v === null ? null : [v.spa, v.tpa];
      },
      test,
    );
  if (q.proto === 'ip') return ip;
  if (q.proto === 'arp') return arpOf(ETHERTYPE_ARP);
  if (q.proto === 'rarp') return arpOf(ETHERTYPE_RARP);
  const arp = arpOf(ETHERTYPE_ARP);
  const rarp = arpOf(ETHERTYPE_RARP);
  return (p) => ip(p) || arp(p) || rarp(p);
}

/**
 * Compiles a filter. The empty string (or only spaces) accepts every frame, as tcpdump without an
 * expression does. Never throws.
 */
export function compileFilter(text: string, opts: FilterOptions = {}): FilterResult {
  if (typeof text !== 'string') return { ok: false, error: { kind: 'syntax', message: 'syntax error', pos: 0 } };
  if (text.trim() === '') return { ok: true, value: () => true };
  try {
    const pred = new Parser(lex(text), opts).parseAll();
    return {
      ok: true,
      value: (frame) => {
        try {
          return pred(new Pkt(frame));
        } catch {
          // Defensive: a codec bug must not stop a capture; the frame is simply not matched.
          return false;
        }
      },
    };
  } catch (e) {
    if (e instanceof FilterSyntaxError) return { ok: false, error: e.error };
    return { ok: false, error: { kind: 'syntax', message: 'syntax error', pos: 0 } };
  }
}
