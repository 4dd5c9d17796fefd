/**
 * DnsServer and DnsResolver over engine/net + engine/stack: authoritative answers (A, CNAME chains,
 * NXDOMAIN/NODATA with SOA, REFUSED, referrals), glibc's retry schedule against silent and refusing
 * servers, dig-style raw queries, curl by name, and a capture judged by tshark.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DnsResolver, parseHostsFile, type DnsQueryFailure, type DnsQueryResult, type LookupError } from '../../../../engine/stack/apps/dns-resolver.ts';
import { DnsServer, parseIpv6Addr, type DnsZoneConfig } from '../../../../engine/stack/apps/dns-server.ts';
import { HttpClient, type HttpResult } from '../../../../engine/stack/apps/http-client.ts';
import { HttpServer, parseServerPage } from '../../../../engine/stack/apps/http-server.ts';
import type { Stack } from '../../../../engine/stack/index.ts';
import { ipv4ToString } from '../../../../engine/wire/addr.ts';
import { Dns, DnsRcode, DnsType, dnsQuestion, parseDns } from '../../../../engine/wire/dns.ts';
import { artifactDir, requireTool } from '../../../support/tools.ts';
import { assertCleanCapture, tsharkJson } from '../../../support/tshark.ts';
import { addHost, appNet, capture, MS, SEC, type AppNet } from './fixture.ts';

const ZONES: DnsZoneConfig[] = [
  {
    origin: 'example.com',
    ttl: 300,
    records: [
      { name: '@', type: 'SOA', value: 'ns1 hostmaster 2024010101 3600 600 86400 60' },
      { name: '@', type: 'NS', value: 'ns1' },
      { name: 'ns1', type: 'A', value: '10.0.0.53' },
      { name: 'www', type: 'CNAME', value: 'web' },
      { name: 'web', type: 'A', value: '10.0.0.2' },
      { name: 'lb', type: 'A', value: '13.246.100.25' },
      { name: 'lb', type: 'A', value: '13.246.100.41' },
      { name: 'v6', type: 'AAAA', value: '2001:db8::25' },
      { name: 'alias.example.com.', type: 'CNAME', value: 'www' },
      { name: 'ext', type: 'CNAME', value: 'www.other.org.' },
      { name: 'x.deep', type: 'A', value: '10.0.0.7' },
      { name: 'sub', type: 'NS', value: 'ns.sub' },
      { name: 'ns.sub', type: 'A', value: '10.0.0.60' },
      { name: 'elb', type: 'CNAME', value: 'my-lb-123.elb.test.' },
    ],
  },
  { origin: 'elb.test', records: [{ name: 'my-lb-123', type: 'A', value: '13.246.100.174', ttl: 60 }] },
];

interface DnsNet extends AppNet {
  ns: Stack;
  server: DnsServer;
  resolver: DnsResolver;
}

/** h1 10.0.0.1 (client), h2 10.0.0.2 (web), ns 10.0.0.53 (DNS), dead 10.0.0.54 (drops everything). */
function setup(seed = 1, resolverOpts: ConstructorParameters<typeof DnsResolver>[1] = {}): DnsNet {
  const t = appNet(seed);
  const ns = addHost(t.net, 'ns', '10.0.0.53/24');
  const dead = addHost(t.net, 'dead', '10.0.0.54/24');
  dead.node.hooks.add('input', 0, () => 'drop');
  const server = new DnsServer(ns.stack, { zones: ZONES }).start();
  const resolver = new DnsResolver(t.s1, { nameservers: ['10.0.0.53'], ...resolverOpts });
  t.net.runFor(1 * MS);
  return { ...t, ns: ns.stack, server, resolver };
}

function dig(t: DnsNet, name: string, o: Parameters<DnsResolver['query']>[2] = {}): { err: DnsQueryFailure | null; r: DnsQueryResult | null; at: number } {
  let out: { err: DnsQueryFailure | null; r: DnsQueryResult | null; at: number } | undefined;
  t.resolver.query(name, (err, r) => (out = { err, r, at: t.net.now }), o);
  t.net.runUntilCondition(() => out !== undefined, 120 * SEC);
  assert.ok(out !== undefined, 'query did not finish');
  return out;
}

function lookup(t: DnsNet, name: string, r: DnsResolver = t.resolver): { err: LookupError | null; addrs: readonly string[]; at: number } {
  const start = t.net.now;
  let out: { err: LookupError | null; addrs: readonly string[]; at: number } | undefined;
  r.lookup(name, (err, addrs) => (out = { err, addrs, at: t.net.now - start }));
  t.net.runUntilCondition(() => out !== undefined, 120 * SEC);
  assert.ok(out !== undefined, 'lookup did not finish');
  return out;
}

function answerText(m: Dns): string[] {
  return m.answers.map((r) => {
    const d = r.data;
    return `${r.name} ${r.ttl} ${d.kind} ${d.kind === 'A' ? ipv4ToString(d.address) : d.kind === 'CNAME' || d.kind === 'NS' ? d.name : ''}`.trim();
  });
}

describe('engine/stack/apps dns', () => {
  it('answers A with AA, chases CNAMEs within its zones, and compresses names', () => {
    const t = setup(1);
    const a = dig(t, 'web.example.com');
    assert.equal(a.err, null);
    const m = a.r!.message;
    assert.equal(m.aa, true);
    assert.equal(m.ra, false);
    assert.equal(m.rcode, DnsRcode.NOERROR);
    assert.deepEqual(answerText(m), ['web.example.com 300 A 10.0.0.2']);
    assert.equal(a.r!.server, '10.0.0.53');
    assert.equal(a.r!.port, 53);
    assert.equal(a.r!.size, a.r!.bytes.length);
    assert.equal(a.r!.queryTimeMs, 0, 'a LAN round trip rounds to 0 ms, as dig prints it');
    const c = dig(t, 'WWW.Example.COM');
    assert.deepEqual(answerText(c.r!.message), ['WWW.Example.COM 300 CNAME web.example.com', 'web.example.com 300 A 10.0.0.2']);
    const chain = dig(t, 'alias.example.com');
    assert.deepEqual(answerText(chain.r!.message), ['alias.example.com 300 CNAME www.example.com', 'www.example.com 300 CNAME web.example.com', 'web.example.com 300 A 10.0.0.2']);
    // Into another zone served here (an ELB name), and out of them (the answer ends at the CNAME).
    assert.deepEqual(answerText(dig(t, 'elb.example.com').r!.message), ['elb.example.com 300 CNAME my-lb-123.elb.test', 'my-lb-123.elb.test 60 A 13.246.100.174']);
    const ext = dig(t, 'ext.example.com').r!.message;
    assert.equal(ext.rcode, DnsRcode.NOERROR);
    assert.deepEqual(answerText(ext), ['ext.example.com 300 CNAME www.other.org']);
    assert.deepEqual(answerText(dig(t, 'lb.example.com').r!.message), ['lb.example.com 300 A 13.246.100.25', 'lb.example.com 300 A 13.246.100.41']);
    // Compression: the encoded answer is shorter than with every name written out.
    const full = 12 + (17 + 4) + (17 + 10 + 17) + (17 + 10 + 4) + (15 + 10 + 4);
    assert.ok(c.r!.size < full, `${c.r!.size} bytes, uncompressed ${full}`);
    const v6 = dig(t, 'v6.example.com', { type: DnsType.AAAA }).r!.message.answers[0]!;
    assert.equal(v6.data.kind, 'AAAA');
    assert.deepEqual([...(v6.data as { address: Uint8Array }).address], [...parseIpv6Addr('2001:db8::25')!]);
  });

  it('NXDOMAIN and NODATA carry the SOA (negative TTL), REFUSED outside its zones, referrals below a cut', () => {
    const t = setup(2);
    const nx = dig(t, 'nope.example.com').r!.message;
    assert.equal(nx.rcode, DnsRcode.NXDOMAIN);
    assert.equal(nx.aa, true);
    assert.equal(nx.answers.length, 0);
    assert.equal(nx.authorities.length, 1);
    assert.equal(nx.authorities[0]!.type, DnsType.SOA);
    assert.equal(nx.authorities[0]!.ttl, 60, 'min(SOA TTL, MINIMUM)');
    const nodata = dig(t, 'web.example.com', { type: DnsType.AAAA }).r!.message;
    assert.equal(nodata.rcode, DnsRcode.NOERROR);
    assert.equal(nodata.answers.length, 0);
    assert.equal(nodata.authorities[0]!.type, DnsType.SOA);
    const ent = dig(t, 'deep.example.com').r!.message;
    assert.equal(ent.rcode, DnsRcode.NOERROR, 'an empty non-terminal exists');
    const ref = dig(t, 'other.org').r!.message;
    assert.equal(ref.rcode, DnsRcode.REFUSED);
    assert.equal(ref.aa, false);
    const cut = dig(t, 'host.sub.example.com').r!.message;
    assert.equal(cut.rcode, DnsRcode.NOERROR);
    assert.equal(cut.aa, false);
    assert.deepEqual(cut.authorities.map((r) => r.data.kind === 'NS' && r.data.name), ['ns.sub.example.com']);
    assert.deepEqual(cut.additionals.map((r) => r.data.kind === 'A' && ipv4ToString(r.data.address)), ['10.0.0.60']);
    const ns = dig(t, 'example.com', { type: DnsType.NS }).r!.message;
    assert.deepEqual(answerText(ns), ['example.com 300 NS ns1.example.com']);
    assert.deepEqual(ns.additionals.map((r) => r.name), ['ns1.example.com'], 'glue');
    const s = t.server.stats;
    assert.equal(s.queries, 6);
    assert.equal(s.responses, 6);
    assert.deepEqual(s.byRcode, { NXDOMAIN: 1, NOERROR: 4, REFUSED: 1 });
    assert.match(t.server.queryLog[0]!.line, /^client 10\.0\.0\.1#\d+ \(nope\.example\.com\): query: nope\.example\.com IN A \+ → NXDOMAIN$/);
  });

  it('answers FORMERR to an unparsable query, NOTIMP to other opcodes, drops responses and runts', () => {
    const t = setup(3);
    dig(t, 'web.example.com'); // resolves ARP first: four datagrams at once would overflow its 3-packet queue
    const got: Dns[] = [];
    const sock = t.s1.udp.createSocket('udp4', (msg) => {
      const p = parseDns(msg);
      if (p.ok) got.push(p.value);
    });
    const q = new Dns({ id: 7, rd: true, questions: [dnsQuestion('web.example.com')] }).encode();
    sock.send(q.subarray(0, q.length - 3), 53, '10.0.0.53'); // question cut short
    sock.send(new Dns({ id: 8, opcode: 2, questions: [dnsQuestion('web.example.com')] }).encode(), 53, '10.0.0.53');
    sock.send(new Dns({ id: 9, qr: true }).encode(), 53, '10.0.0.53');
    sock.send(new Uint8Array(5), 53, '10.0.0.53');
    t.net.runFor(1 * SEC);
    assert.deepEqual(got.map((m) => [m.id, m.rcode]), [[7, DnsRcode.FORMERR], [8, DnsRcode.NOTIMP]]);
    assert.equal(t.server.stats.dropped, 2);
    assert.equal(t.server.stats.queries, 5);
  });

  it('lookup: /etc/hosts first, then DNS; search domains; NXDOMAIN → ENOTFOUND; REFUSED on every server → EREFUSED', () => {
    const t = setup(4, { hosts: parseHostsFile('127.0.0.1 localhost\n10.9.9.9 static.example.com static # pinned\n'), search: ['example.com'] });
    const sent0 = t.resolver.stats.queriesSent;
    const h = lookup(t, 'static');
    assert.deepEqual(h.addrs, ['10.9.9.9']);
    assert.equal(t.resolver.stats.queriesSent, sent0, 'no query for a hosts entry');
    assert.deepEqual(lookup(t, 'static.example.com').addrs, ['10.9.9.9']);
    assert.deepEqual(lookup(t, 'www').addrs, ['10.0.0.2'], 'www.example.com via the search list');
    assert.deepEqual(lookup(t, 'lb.example.com').addrs, ['13.246.100.25', '13.246.100.41']);
    assert.deepEqual(lookup(t, '10.1.2.3').addrs, ['10.1.2.3']);
    const nx = lookup(t, 'nope.example.com.');
    assert.equal(nx.err?.code, 'ENOTFOUND');
    assert.equal(nx.err?.message, 'Name or service not known');
    const before = t.resolver.stats.queriesSent;
    const refused = lookup(t, 'www.other.org.');
    assert.equal(refused.err?.code, 'EREFUSED');
    assert.equal(t.resolver.stats.queriesSent - before, 2, 'attempts:2 over one server');
  });

  it('retries like glibc: timeout << i / nscount per server, attempts rounds, then ETIMEOUT', () => {
    // One silent server: 5 s, 5 s.
    const t = setup(5, { nameservers: ['10.0.0.54'] });
    const one = lookup(t, 'web.example.com');
    assert.equal(one.err?.code, 'ETIMEOUT');
    assert.equal(one.err?.message, 'Temporary failure in name resolution');
    assert.equal(one.at, 10 * SEC);
    assert.equal(t.resolver.stats.queriesSent, 2);
    assert.equal(t.resolver.stats.timeouts, 2);
    // Three (silent) servers: 5 s, (10/3)=3 s, (20/3)=6 s, twice.
    const r3 = new DnsResolver(t.s1, { nameservers: ['10.0.0.54', '10.0.0.54', '10.0.0.54'] });
    const three = lookup(t, 'web.example.com', r3);
    assert.equal(three.err?.code, 'ETIMEOUT');
    assert.equal(three.at, 28 * SEC);
    assert.equal(r3.stats.queriesSent, 6);
    // A silent first server, then a good one: answered after the first 5 s wait.
    const r2 = new DnsResolver(t.s1, { nameservers: ['10.0.0.54', '10.0.0.53'] });
    const two = lookup(t, 'web.example.com', r2);
    assert.deepEqual(two.addrs, ['10.0.0.2']);
    assert.ok(two.at >= 5 * SEC && two.at < 5 * SEC + 10 * MS);
    // options timeout:1 attempts:3
    const fast = new DnsResolver(t.s1, { nameservers: ['10.0.0.54'], timeoutMs: 1000, attempts: 3 });
    assert.equal(lookup(t, 'web.example.com', fast).at, 3 * SEC);
  });

  it('moves on at once when the server host answers ICMP port unreachable', () => {
    const t = setup(6, { nameservers: ['10.0.0.2', '10.0.0.53'] });
    const r = lookup(t, 'web.example.com');
    assert.deepEqual(r.addrs, ['10.0.0.2']);
    assert.ok(r.at < 10 * MS, `answered after ${r.at} ns`);
    assert.equal(t.resolver.stats.refusedIcmp, 1);
    const only = new DnsResolver(t.s1, { nameservers: ['10.0.0.2'] });
    const f = lookup(t, 'web.example.com', only);
    assert.equal(f.err?.code, 'ETIMEOUT');
    assert.ok(f.at < 10 * MS);
    assert.equal(only.stats.refusedIcmp, 2);
  });

  it('dig: +tries against a silent server times out; the server used and query time are reported', () => {
    const t = setup(7);
    const start = t.net.now;
    const d = dig(t, 'web.example.com', { server: '10.0.0.54', tries: 3, timeoutMs: 2000 });
    assert.equal(d.err?.code, 'ETIMEOUT');
    assert.equal(d.err?.message, 'connection timed out; no servers could be reached');
    assert.equal(d.err?.sends, 3);
    assert.equal(d.at - start, 6 * SEC);
    const ok = dig(t, 'web.example.com', { server: '10.0.0.53', rd: false });
    assert.equal(ok.r!.message.rd, false);
    assert.equal(ok.r!.sends, 1);
  });

  it('curl resolves names through the stub resolver (6 on NXDOMAIN)', () => {
    const t = setup(8);
    new HttpServer(t.s2, { name: 'web' }).start();
    const client = new HttpClient(t.s1, { resolver: t.resolver });
    const get = (url: string): HttpResult => {
      let out: HttpResult | undefined;
      client.request({ url }, (r) => (out = r));
      t.net.runUntilCondition(() => out !== undefined, 60 * SEC);
      return out!;
    };
    const r = get('http://www.example.com/');
    assert.equal(r.exitCode, 0, r.error);
    assert.deepEqual(parseServerPage(r.response!.bodyText()), { server: 'web', servedBy: '10.0.0.2:80', client: `10.0.0.1:${r.localPort}`, host: 'www.example.com' });
    assert.ok(r.timings.namelookup > 0);
    assert.equal(get('http://nope.example.com/').error, 'curl: (6) Could not resolve host: nope.example.com');
  });

  it('a query/response capture is clean for tshark and its names and addresses agree', function () {
    requireTool(this, 'tshark');
    const runOnce = (): Uint8Array => {
      const t = setup(9);
      const w = capture(t.net);
      dig(t, 'www.example.com');
      dig(t, 'nope.example.com');
      lookup(t, 'lb.example.com');
      return w.toBytes();
    };
    const bytes = runOnce();
    assert.deepEqual(runOnce(), bytes, 'same seed, byte-identical capture');
    const file = join(artifactDir('engine', 'stack', 'apps'), 'dns-exchange.pcapng');
    writeFileSync(file, bytes);
    assertCleanCapture(file, 6);
    const pkts = tsharkJson(file, ['-Y', 'dns && frame.interface_name == "h1:eth0"']);
    const rows = pkts.map((p) => {
      const dns = p._source.layers['dns'];
      const flags = dns['dns.flags_tree'];
      const queries = Object.keys(dns['Queries'] ?? {}).map((k) => dns['Queries'][k]['dns.qry.name']);
      const answers = Object.values<Record<string, string>>(dns['Answers'] ?? {}).filter((a) => a['dns.a'] !== undefined).map((a) => a['dns.a']);
      return { response: flags['dns.flags.response'] === '1', qname: queries[0], a: answers, rcode: flags['dns.flags.rcode'], id: dns['dns.id'] };
    });
    assert.deepEqual(
      rows.map(({ id: _id, ...r }) => r),
      [
        { response: false, qname: 'www.example.com', a: [], rcode: undefined },
        { response: true, qname: 'www.example.com', a: ['10.0.0.2'], rcode: '0' },
        { response: false, qname: 'nope.example.com', a: [], rcode: undefined },
        { response: true, qname: 'nope.example.com', a: [], rcode: '3' },
        { response: false, qname: 'lb.example.com', a: [], rcode: undefined },
        { response: true, qname: 'lb.example.com', a: ['13.246.100.25', '13.246.100.41'], rcode: '0' },
      ],
    );
    for (let i = 0; i < rows.length; i += 2) assert.equal(rows[i]!.id, rows[i + 1]!.id, 'responses echo the query ID');
  });
});
