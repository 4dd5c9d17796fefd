/**
 * dig (BIND 9.18, Debian 12: `DiG 9.18.28-1~deb12u2-Debian`) and nslookup: the query goes through the
 * host's resolver (engine/stack/apps DnsResolver.query); these commands print it. Queries carry no
 * EDNS option (as `dig +noedns`), so replies have no OPT pseudosection. Server: `@server` (an address,
 * or a name looked up by the resolver) or the first nameserver of /etc/resolv.conf.
 */
import { ipv4ToString, ipv6ToString, parseIpv4Addr } from '../../wire/addr.ts';
import { DnsRcode, DnsType, dnsClassName, dnsOpcodeName, dnsRcodeName, dnsTypeName, type Dns, type DnsRecord } from '../../wire/dns.ts';
import type { DnsQueryFailure, DnsQueryOptions, DnsQueryResult } from '../../stack/apps/index.ts';
import type { CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { dateText, lookupHost, type Ctx } from './util.ts';

const DIG_VERSION = '9.18.28-1~deb12u2-Debian';

function fqdn(n: string): string {
  return n.endsWith('.') ? n : `${n}.`;
}

/** Tabs up to a master-file column (tab stops every 8), at least one. */
function tabTo(s: string, col: number): string {
  let out = s;
  let len = 0;
  for (const ch of s) len = ch === '\t' ? (Math.floor(len / 8) + 1) * 8 : len + 1;
  do {
    out += '\t';
    len = (Math.floor(len / 8) + 1) * 8;
  } while (len < col);
  return out;
}

export function rdataText(r: DnsRecord): string {
  const d = r.data;
  switch (d.kind) {
    case 'A':
      return ipv4ToString(d.address);
    case 'AAAA':
      return ipv6ToString(d.address);
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return fqdn(d.name);
    case 'MX':
      return `${d.preference} ${fqdn(d.exchange)}`;
    case 'SOA':
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    default:
      return `\\# ${d.bytes.length} ${Buffer.from(d.bytes).toString('hex').toUpperCase()}`;
  }
}

function recordLine(r: DnsRecord): string {
  let s = tabTo(fqdn(r.name), 24) + String(r.ttl);
  s = tabTo(s, 32) + dnsClassName(r.class);
  s = tabTo(s, 40) + dnsTypeName(r.type);
  return `${tabTo(s, 48)}${rdataText(r)}`;
}

function flagsText(m: Dns): string {
  const f: string[] = [];
  if (m.qr) f.push('qr');
  if (m.aa) f.push('aa');
  if (m.tc) f.push('tc');
  if (m.rd) f.push('rd');
  if (m.ra) f.push('ra');
  if (m.ad) f.push('ad');
  if (m.cd) f.push('cd');
  return f.join(' ');
}

/** The server to ask: `explicit` (an address or a name to look up), else the first nameserver; null when none. */
function withServer(ctx: Ctx, explicit: string | undefined, cb: (server: string | null) => void): void {
  if (explicit === undefined || parseIpv4Addr(explicit) !== null) return cb(explicit ?? ctx.device.resolver().nameservers[0] ?? null);
  lookupHost(ctx, explicit, ctx.name, (err, addr) => cb(err === null ? ipv4ToString(addr) : null));
}

/** One query through the host's resolver, cancelled if the command ends first. */
function query(ctx: Ctx, name: string, o: DnsQueryOptions, cb: (err: DnsQueryFailure | null, r: DnsQueryResult | null) => void): void {
  const h = ctx.device.resolver().query(
    name,
    (err, r) => {
      if (!ctx.finished) cb(err, r);
    },
    o,
  );
  ctx.onExit(() => h.cancel());
}

function dig(ctx: Ctx): void {
  let server: string | undefined;
  let name: string | undefined;
  let type: number = DnsType.A;
  let short = false;
  let recurse = true;
  let tries = 3;
  let timeoutMs = 5000;
  let typeSet = false;
  for (const a of ctx.args) {
    if (a.startsWith('@')) server = a.slice(1);
    else if (a.startsWith('+')) {
      const [k, v] = a.slice(1).split('=');
      if (k === 'short') short = true;
      else if (k === 'noshort') short = false;
      else if (k === 'norecurse' || k === 'norec') recurse = false;
      else if (k === 'recurse' || k === 'rec') recurse = true;
      else if (k === 'tries' || k === 'retry') tries = Math.max(1, Number(v) + (k === 'retry' ? 1 : 0)) || 1;
      else if (k === 'time' || k === 'timeout') timeoutMs = Math.max(1, Number(v) || 1) * 1000;
      else if (['noedns', 'edns', 'cmd', 'nocmd', 'stats', 'nostats', 'noall', 'answer', 'nocookie'].includes(k!)) continue;
      else {
        ctx.err(`Invalid option: ${a}\nUsage:  dig [@global-server] [domain] [q-type] [q-class] {q-opt}\n            {global-d-opt} host [@local-server] {local-d-opt}\n            [ host [@local-server] {local-d-opt} [...]]\n\nUse "dig -h" (or "dig -h | more") for complete list of options\n`);
        return ctx.exit(1);
      }
    } else if (!typeSet && name !== undefined && Object.prototype.hasOwnProperty.call(DnsType, a.toUpperCase())) {
      type = DnsType[a.toUpperCase() as keyof typeof DnsType];
      typeSet = true;
    } else if (a.toUpperCase() === 'IN') continue;
    else if (name === undefined) name = a;
    else if (!typeSet && Object.prototype.hasOwnProperty.call(DnsType, a.toUpperCase())) {
      type = DnsType[a.toUpperCase() as keyof typeof DnsType];
      typeSet = true;
    }
  }
  if (name === undefined) {
    name = '.';
    type = DnsType.NS;
  }
  const qname = name;
  const cmdline = ctx.args.join(' ');
  const header = `\n; <<>> DiG ${DIG_VERSION} <<>> ${cmdline}\n${server !== undefined ? '; (1 server found)\n' : ''};; global options: +cmd\n`;
  withServer(ctx, server, (s) => {
    if (s === null) {
      ctx.err(server !== undefined ? `dig: couldn't get address for '${server}': not found\n` : 'dig: no nameservers configured\n');
      return ctx.exit(10);
    }
    const onSendFailed: DnsQueryOptions['onSendFailed'] = (f) => ctx.out(`;; communications error to ${f.server}#${f.port}: ${f.reason}\n`);
    query(ctx, qname, { server: s, type, rd: recurse, tries, timeoutMs, app: 'dig', onSendFailed }, (err, r) => {
      if (err !== null && err.code === 'EBADNAME') {
        ctx.err(`dig: '${qname}' is not a legal name (${err.message})\n`);
        return ctx.exit(10);
      }
      if (err !== null || r === null) {
        if (!short) ctx.out(header);
        ctx.out(';; no servers could be reached\n');
        if (!short) ctx.out('\n');
        return ctx.exit(9);
      }
      const m = r.message;
      if (short) {
        for (const a of m.answers) ctx.out(`${rdataText(a)}\n`);
        return ctx.exit(0);
      }
      let out = `${header};; Got answer:\n`;
      out += `;; ->>HEADER<<- opcode: ${dnsOpcodeName(m.opcode)}, status: ${dnsRcodeName(m.rcode)}, id: ${m.id}\n`;
      out += `;; flags: ${flagsText(m)}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${m.additionals.length}\n`;
      if (recurse && !m.ra) out += ';; WARNING: recursion requested but not available\n';
      out += '\n;; QUESTION SECTION:\n';
      for (const q of m.questions) out += `${tabTo(tabTo(`;${fqdn(q.name)}`, 24), 32)}${dnsClassName(q.class)}\t${dnsTypeName(q.type)}\n`;
      const section = (title: string, rs: DnsRecord[]): void => {
        if (rs.length === 0) return;
        out += `\n;; ${title} SECTION:\n`;
        for (const x of rs) out += `${recordLine(x)}\n`;
      };
      section('ANSWER', m.answers);
      section('AUTHORITY', m.authorities);
      section('ADDITIONAL', m.additionals);
      out += `\n;; Query time: ${r.queryTimeMs} msec\n`;
      // dig shows the server as given on the command line in parentheses.
      out += `;; SERVER: ${r.server}#${r.port}(${server ?? r.server}) (UDP)\n`;
      out += `;; WHEN: ${dateText(ctx.sched.now)}\n`;
      out += `;; MSG SIZE  rcvd: ${r.size}\n\n`;
      ctx.out(out);
      ctx.exit(0);
    });
  });
}

function nslookup(ctx: Ctx): void {
  const args = ctx.args.filter((a) => !a.startsWith('-'));
  const name = args[0];
  if (name === undefined) {
    ctx.err('nslookup: interactive mode is not supported in this console; use nslookup NAME [SERVER]\n');
    return ctx.exit(1);
  }
  const noServers = (): void => {
    ctx.out(`;; connection timed out; no servers could be reached\n\n`);
    ctx.exit(1);
  };
  withServer(ctx, args[1], (s) => {
    if (s === null) return noServers();
    query(ctx, name, { server: s, type: DnsType.A, tries: 2, app: 'nslookup' }, (err, r) => {
      if (err !== null || r === null) return noServers();
      const m = r.message;
      let out = `Server:\t\t${s}\nAddress:\t${s}#${r.port}\n\n`;
      if (m.rcode !== DnsRcode.NOERROR) {
        out += `** server can't find ${fqdn(name).replace(/\.$/, '')}: ${dnsRcodeName(m.rcode)}\n\n`;
        ctx.out(out);
        return ctx.exit(1);
      }
      if (!m.aa) out += 'Non-authoritative answer:\n';
      for (const a of m.answers) {
        if (a.data.kind === 'CNAME') out += `${fqdn(a.name).replace(/\.$/, '')}\tcanonical name = ${fqdn(a.data.name)}\n`;
        else if (a.data.kind === 'A') out += `Name:\t${a.name.replace(/\.$/, '')}\nAddress: ${ipv4ToString(a.data.address)}\n`;
      }
      if (!m.answers.some((a) => a.data.kind === 'A')) out += `*** Can't find ${name}: No answer\n`;
      ctx.out(`${out}\n`);
      ctx.exit(0);
    });
  });
}

export const digCommand: CommandSpec<Host> = { name: 'dig', summary: 'DNS lookup utility (BIND 9.18)', run: dig };
export const nslookupCommand: CommandSpec<Host> = { name: 'nslookup', summary: 'query DNS servers (BIND 9.18)', run: nslookup };
