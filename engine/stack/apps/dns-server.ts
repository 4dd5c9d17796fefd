/**
 * An authoritative-only DNS server on UDP port 53 (RFC 1034 §4.3.2 lookup, RFC 1035 messages through
 * engine/wire's codec, which compresses names on write).
 *
 * - Zones of A, AAAA, CNAME, NS, SOA, MX and PTR records from config; names compare case-insensitively
 *   (RFC 4343). Answers from a zone carry AA.
 * - A name that does not exist gets NXDOMAIN, one that exists without the type (or an empty
 *   non-terminal) NOERROR with no answer; both with the zone's SOA in the authority section, its TTL
 *   the lesser of the SOA TTL and MINIMUM (RFC 2308 §3).
 * - CNAMEs are followed within the zones served (RFC 1034 §4.3.2 step 3a); the RCODE is that of the
 *   last name in the chain (RFC 6604). A target outside them ends the answer at the CNAME.
 * - Below a zone cut (NS records for a name under the origin) the answer is a referral: no AA, the NS
 *   records in authority and their in-zone addresses as glue.
 * - Queries for names in no served zone are REFUSED (BIND without recursion). RA is never set.
 * - Not a query (QR set) → dropped; opcode other than QUERY → NOTIMP; not exactly one question or an
 *   unparsable message with a readable header → FORMERR.
 * - UDP answers above 512 bytes (or the requestor's EDNS payload size, RFC 6891 §6.2.5) are truncated
 *   to the header and question with TC set (RFC 1035 §4.2.1). An OPT in the query is answered with one.
 * No TCP transport, no wildcards, no zone transfer.
 */
import { ipv4, parseIpv4Addr } from '../../wire/addr.ts';
import {
  Dns,
  DnsClass,
  DnsOpcode,
  DnsRcode,
  DnsType,
  DnsView,
  dnsClassName,
  dnsRcodeName,
  dnsRecord,
  dnsTypeName,
  parseDns,
  type DnsRdata,
  type DnsRecord,
} from '../../wire/dns.ts';
import type { Stack } from '../index.ts';
import type { RemoteInfo, UdpSocket } from '../udp.ts';

/** A record as written in config; `name` '@' is the origin, names without the origin are relative to it. */
export interface DnsZoneRecordSpec {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'SOA' | 'MX' | 'PTR';
  /** A: dotted quad; AAAA: RFC 4291 text; CNAME/NS/PTR: a name; MX: "pref exchange"; SOA: "mname rname serial refresh retry expire minimum". */
  readonly value: string;
  readonly ttl?: number;
}

export interface DnsZoneConfig {
  /** e.g. 'example.com'. */
  readonly origin: string;
  /** Default TTL (default 300). */
  readonly ttl?: number;
  readonly records: ReadonlyArray<DnsZoneRecordSpec | DnsRecord>;
}

export interface DnsServerOptions {
  readonly zones: readonly DnsZoneConfig[];
  /** Default 53. */
  readonly port?: number;
  /** Bind address; default all. */
  readonly address?: string;
  /** Query log lines kept; default 10 000. */
  readonly queryLogSize?: number;
  /** Owner shown by `ss -p`; default 'named'. */
  readonly app?: string;
}

export interface DnsServerStats {
  queries: number;
  responses: number;
  byRcode: Record<string, number>;
  dropped: number;
  truncated: number;
}

export interface DnsQueryLogEntry {
  readonly time: number;
  readonly client: string;
  readonly clientPort: number;
  readonly name: string;
  readonly type: string;
  readonly rcode: string;
  readonly answers: number;
  /** BIND querylog style. */
  readonly line: string;
}

function lower(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

function isUnder(name: string, origin: string): boolean {
  return origin === '' || name === origin || name.endsWith(`.${origin}`);
}

/** RFC 4291 §2.2 text → 16 bytes, or null. */
export function parseIpv6Addr(s: string): Uint8Array | null {
  let text = s.trim();
  const out = new Uint8Array(16);
  let tail4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail4 = parseIpv4Addr(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (p: string): number[] | null => {
    if (p === '') return [];
    const groups = p.split(':');
    const words: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      words.push(parseInt(g, 16));
    }
    return words;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return null;
  const words = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  if (tail4 !== null) {
    out[12] = tail4 >>> 24;
    out[13] = (tail4 >>> 16) & 0xff;
    out[14] = (tail4 >>> 8) & 0xff;
    out[15] = tail4 & 0xff;
  }
  return out;
}

class Zone {
  readonly origin: string;
  /** lower-case owner → records. */
  readonly names = new Map<string, DnsRecord[]>();
  /** Every owner and each of its ancestors up to the origin (empty non-terminals exist, RFC 8020). */
  readonly exists = new Set<string>();
  readonly soa: DnsRecord;

  constructor(cfg: DnsZoneConfig) {
    this.origin = lower(cfg.origin);
    const ttl = cfg.ttl ?? 300;
    for (const r of cfg.records) this.add('data' in r ? r : this.fromSpec(r, ttl));
    const soa = this.names.get(this.origin)?.find((r) => r.type === DnsType.SOA);
    this.soa =
      soa ??
      this.add(
        dnsRecord({
          name: this.origin,
          ttl,
          data: { kind: 'SOA', mname: `ns1.${this.origin}`, rname: `hostmaster.${this.origin}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: ttl },
        }),
      );
    this.exists.add(this.origin);
  }

  private absolute(name: string): string {
    if (name === '@' || name === '') return this.origin;
    if (name.endsWith('.')) return name.slice(0, -1);
    return isUnder(lower(name), this.origin) ? name : `${name}.${this.origin}`;
  }

  private fromSpec(s: DnsZoneRecordSpec, ttl: number): DnsRecord {
    const name = this.absolute(s.name);
    const v = s.value.trim();
    let data: DnsRdata;
    switch (s.type) {
      case 'A': {
        const a = parseIpv4Addr(v);
        if (a === null) throw new Error(`zone ${this.origin}: ${s.name} A: bad address ${v}`);
        data = { kind: 'A', address: a };
        break;
      }
      case 'AAAA': {
        const a = parseIpv6Addr(v);
        if (a === null) throw new Error(`zone ${this.origin}: ${s.name} AAAA: bad address ${v}`);
        data = { kind: 'AAAA', address: a };
        break;
      }
      case 'CNAME':
      case 'NS':
      case 'PTR':
        data = { kind: s.type, name: this.absolute(v) };
        break;
      case 'MX': {
        const [p, x] = v.split(/\s+/);
        data = { kind: 'MX', preference: Number(p), exchange: this.absolute(x ?? '') };
        break;
      }
      case 'SOA': {
        const f = v.split(/\s+/);
        if (f.length !== 7) throw new Error(`zone ${this.origin}: SOA needs 7 fields, got "${v}"`);
        const n = f.slice(2).map(Number);
        data = { kind: 'SOA', mname: this.absolute(f[0]!), rname: this.absolute(f[1]!), serial: n[0]!, refresh: n[1]!, retry: n[2]!, expire: n[3]!, minimum: n[4]! };
        break;
      }
    }
    return dnsRecord({ name, data, ttl: s.ttl ?? ttl });
  }

  private add(r: DnsRecord): DnsRecord {
    const key = lower(r.name);
    if (!isUnder(key, this.origin)) throw new Error(`zone ${this.origin}: ${r.name} is outside the zone`);
    const list = this.names.get(key) ?? [];
    list.push(r);
    this.names.set(key, list);
    for (let n = key; n !== this.origin && n !== ''; n = n.slice(n.indexOf('.') + 1 || n.length)) this.exists.add(n);
    return r;
  }

  /** The closest zone cut strictly below the origin at or above `name`, if any. */
  cut(name: string): string | null {
    let found: string | null = null;
    for (let n = name; n !== this.origin && n !== '' && isUnder(n, this.origin); n = n.includes('.') ? n.slice(n.indexOf('.') + 1) : '') {
      if (this.names.get(n)?.some((r) => r.type === DnsType.NS)) found = n;
    }
    return found;
  }

  /** SOA for a negative answer: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  negativeSoa(): DnsRecord {
    const d = this.soa.data as Extract<DnsRdata, { kind: 'SOA' }>;
    return { ...this.soa, ttl: Math.min(this.soa.ttl, d.minimum) };
  }
}

export class DnsServer {
  readonly stats: DnsServerStats = { queries: 0, responses: 0, byRcode: {}, dropped: 0, truncated: 0 };
  readonly queryLog: DnsQueryLogEntry[] = [];
  readonly port: number;
  private zones: Zone[];
  private sock: UdpSocket | null = null;
  /** Why the bind failed (e.g. EADDRINUSE), if it did. */
  lastError: Error | null = null;

  constructor(
    readonly stack: Stack,
    private readonly o: DnsServerOptions,
  ) {
    this.port = o.port ?? 53;
    this.zones = o.zones.map((z) => new Zone(z));
  }

  get listening(): boolean {
    return this.sock !== null;
  }

  /** Replaces the served zones (a reload). */
  setZones(zones: readonly DnsZoneConfig[]): void {
    this.zones = zones.map((z) => new Zone(z));
  }

  start(): this {
    if (this.sock !== null) return this;
    const s = this.stack.udp.createSocket({ type: 'udp4', app: this.o.app ?? 'named' });
    s.on('message', (m, r) => this.onMessage(s, m, r));
    s.on('error', (e) => {
      this.lastError = e;
      if (this.sock === s) this.sock = null;
    });
    if (this.o.address !== undefined) s.bind(this.port, this.o.address);
    else s.bind(this.port);
    this.sock = s;
    return this;
  }

  stop(): this {
    this.sock?.close();
    this.sock = null;
    return this;
  }

  private zoneFor(name: string): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones) if (isUnder(name, z.origin) && (best === undefined || z.origin.length > best.origin.length)) best = z;
    return best;
  }

  /** Answers one query message (exposed for tests and for a future TCP transport). */
  answer(q: Dns): Dns {
    const res = new Dns({ id: q.id, qr: true, opcode: q.opcode, rd: q.rd, cd: q.cd, questions: q.questions.map((x) => ({ ...x })) });
    if (q.opcode !== DnsOpcode.QUERY) {
      res.rcode = DnsRcode.NOTIMP;
      return res;
    }
    if (q.questions.length !== 1) {
      res.rcode = DnsRcode.FORMERR;
      return res;
    }
    const question = q.questions[0]!;
    const qtype = question.type;
    const first = this.zoneFor(lower(question.name));
    if (first === undefined || (question.class !== DnsClass.IN && question.class !== DnsClass.ANY)) {
      res.rcode = DnsRcode.REFUSED;
      return res;
    }
    res.aa = true;
    let owner = question.name;
    const seen = new Set<string>();
    for (;;) {
      const key = lower(owner);
      const zone = this.zoneFor(key);
      if (zone === undefined) return res; // CNAME target outside our zones: the answer ends at the CNAME
      if (seen.has(key)) {
        res.rcode = DnsRcode.SERVFAIL; // CNAME loop
        return res;
      }
      seen.add(key);
      const cut = zone.cut(key);
      if (cut !== null && !(qtype === DnsType.DS && cut === key)) {
        if (res.answers.length === 0) res.aa = false;
        const ns = zone.names.get(cut)!.filter((r) => r.type === DnsType.NS);
        res.authorities.push(...ns);
        for (const r of ns) this.glue((r.data as { name: string }).name, res);
        return res;
      }
      const rrs = zone.names.get(key);
      if (rrs === undefined) {
        if (!zone.exists.has(key)) res.rcode = DnsRcode.NXDOMAIN;
        res.authorities.push(zone.negativeSoa());
        return res;
      }
      const cname = rrs.find((r) => r.type === DnsType.CNAME);
      if (cname !== undefined && qtype !== DnsType.CNAME && qtype !== DnsType.ANY) {
        res.answers.push({ ...cname, name: owner });
        owner = (cname.data as { name: string }).name;
        continue;
      }
      const match = rrs.filter((r) => qtype === DnsType.ANY || r.type === qtype);
      if (match.length === 0) {
        res.authorities.push(zone.negativeSoa());
        return res;
      }
      for (const r of match) {
        res.answers.push({ ...r, name: owner });
        if (r.data.kind === 'NS') this.glue(r.data.name, res);
        else if (r.data.kind === 'MX') this.glue(r.data.exchange, res);
      }
      return res;
    }
  }

  /** In-zone A/AAAA of `target` into the additional section. */
  private glue(target: string, res: Dns): void {
    const key = lower(target);
    const z = this.zoneFor(key);
    const rrs = z?.names.get(key);
    if (rrs === undefined) return;
    for (const r of rrs) {
      if ((r.type === DnsType.A || r.type === DnsType.AAAA) && !res.additionals.includes(r)) res.additionals.push(r);
    }
  }

  private onMessage(sock: UdpSocket, msg: Uint8Array, rinfo: RemoteInfo): void {
    this.stats.queries++;
    const parsed = parseDns(msg);
    let res: Dns;
    let q: Dns | null = null;
    if (!parsed.ok) {
      const v = new DnsView(msg);
      if (v.checkLen() !== null || v.qr) {
        this.stats.dropped++;
        return;
      }
      res = new Dns({ id: v.id, qr: true, opcode: v.opcode, rd: v.rd, rcode: DnsRcode.FORMERR });
    } else {
      q = parsed.value;
      if (q.qr) {
        this.stats.dropped++;
        return;
      }
      res = this.answer(q);
    }
    const opt = q?.additionals.find((r) => r.type === DnsType.OPT);
    let limit = 512;
    if (opt !== undefined) {
      limit = Math.max(512, opt.class);
      res.additionals.push(dnsRecord({ name: '', type: DnsType.OPT, class: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }));
    }
    let bytes = res.encode();
    if (bytes.length > limit) {
      this.stats.truncated++;
      res.tc = true;
      res.answers = [];
      res.authorities = [];
      res.additionals = res.additionals.filter((r) => r.type === DnsType.OPT);
      bytes = res.encode();
    }
    sock.send(bytes, rinfo.port, rinfo.address);
    this.stats.responses++;
    const rc = dnsRcodeName(res.rcode);
    this.stats.byRcode[rc] = (this.stats.byRcode[rc] ?? 0) + 1;
    const qq = q?.questions[0];
    const name = qq?.name ?? '';
    const type = qq === undefined ? '-' : dnsTypeName(qq.type);
    const flags = `${q?.rd ? '+' : '-'}${opt !== undefined ? 'E(0)' : ''}`;
    const line = `client ${rinfo.address}#${rinfo.port} (${name}): query: ${name} ${qq === undefined ? '-' : dnsClassName(qq.class)} ${type} ${flags} → ${rc}${res.answers.length ? ` ${res.answers.length} answers` : ''}`;
    this.queryLog.push({ time: this.stack.udp.host.sched.now, client: rinfo.address, clientPort: rinfo.port, name, type, rcode: rc, answers: res.answers.length, line });
    const max = this.o.queryLogSize ?? 10_000;
    if (this.queryLog.length > max) this.queryLog.splice(0, this.queryLog.length - max);
  }
}

/** Convenience for tests and labs: `a('www.example.com', '13.246.100.25')`. */
export function aRecord(name: string, address: string, ttl = 300): DnsRecord {
  return dnsRecord({ name, ttl, data: { kind: 'A', address: ipv4(address) } });
}
