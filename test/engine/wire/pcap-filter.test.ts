import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { ipv4, mac } from '../../../engine/wire/addr.ts';
import { Arp, ARP_REPLY } from '../../../engine/wire/arp.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, Ethernet } from '../../../engine/wire/ethernet.ts';
import { Icmp } from '../../../engine/wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize, type Layer } from '../../../engine/wire/layer.ts';
import { compileFilter, filterErrorText } from '../../../engine/wire/pcap-filter.ts';
import { Tcp, TcpFlag } from '../../../engine/wire/tcp.ts';
import { Udp } from '../../../engine/wire/udp.ts';
import { framesToPcap } from '../../support/tshark.ts';
import { artifactDir, requireTool } from '../../support/tools.ts';

const M1 = mac('02:00:00:00:00:01');
const M2 = mac('02:00:00:00:00:02');
const M3 = mac('02:00:00:00:00:03');
const BCAST = mac('ff:ff:ff:ff:ff:ff');

function eth(src: number, dst: number, type: number, vlan?: number[]): Ethernet {
  return new Ethernet({ src, dst, etherType: type, vlan: vlan?.map((vid) => ({ vid })) });
}

function ip(src: string, dst: string, protocol: number, extra: { fragOffset?: number; mf?: boolean } = {}): Ipv4 {
  return new Ipv4({ src: ipv4(src), dst: ipv4(dst), protocol, ttl: 64, ...extra });
}

function tcp(sp: number, dp: number, flags: number = TcpFlag.SYN): Tcp {
  return new Tcp({ srcPort: sp, dstPort: dp, seq: 1000, flags, window: 64240 });
}

function frame(layers: Layer[], payload?: Uint8Array): Uint8Array {
  return serialize(layers, payload);
}

/** A varied set: ARP, ICMP, TCP and UDP on several ports, VLAN-tagged, fragments, broadcast, IPv6. */
const FRAMES: Uint8Array[] = [
  /* 1 */ frame([eth(M1, BCAST, ETHERTYPE_ARP), Arp.request(M1, ipv4('10.0.0.1'), ipv4('10.0.0.2'))]),
  /* 2 */ frame([eth(M2, M1, ETHERTYPE_ARP), new Arp({ op: ARP_REPLY, sha: M2, spa: ipv4('10.0.0.2'), tha: M1, tpa: ipv4('10.0.0.1') })]),
  /* 3 */ frame([eth(M1, M2, ETHERTYPE_IPV4), ip('10.0.0.1', '10.0.0.2', IPPROTO_ICMP), Icmp.echoRequest(1, 1, new Uint8Array(56))], new Uint8Array(56)),
  /* 4 */ frame([eth(M2, M1, ETHERTYPE_IPV4), ip('10.0.0.2', '10.0.0.1', IPPROTO_ICMP), Icmp.echoReply(1, 1, new Uint8Array(56))], new Uint8Array(56)),
  /* 5 */ frame([eth(M1, M3, ETHERTYPE_IPV4), ip('10.0.0.1', '13.246.100.25', IPPROTO_TCP), tcp(49152, 80)]),
  /* 6 */ frame([eth(M3, M1, ETHERTYPE_IPV4), ip('13.246.100.25', '10.0.0.1', IPPROTO_TCP), tcp(80, 49152, TcpFlag.SYN | TcpFlag.ACK)]),
  /* 7 */ frame([eth(M1, M3, ETHERTYPE_IPV4), ip('10.0.0.1', '13.246.100.25', IPPROTO_TCP), tcp(49153, 443)]),
  /* 8 */ frame([eth(M1, M3, ETHERTYPE_IPV4), ip('10.0.0.1', '10.0.0.53', IPPROTO_UDP), new Udp({ srcPort: 5353, dstPort: 53 })], new Uint8Array(12)),
  /* 9 */ frame([eth(M3, M1, ETHERTYPE_IPV4), ip('10.0.0.53', '10.0.0.1', IPPROTO_UDP), new Udp({ srcPort: 53, dstPort: 5353 })], new Uint8Array(12)),
  /* 10 */ frame([eth(M1, M3, ETHERTYPE_IPV4), ip('10.0.0.1', '10.0.2.2', IPPROTO_UDP), new Udp({ srcPort: 40000, dstPort: 33434 })], new Uint8Array(32)),
  /* 11 */ frame([eth(M1, M2, ETHERTYPE_IPV4, [100]), ip('192.168.1.1', '192.168.1.2', IPPROTO_TCP), tcp(1234, 22)]),
  /* 12 */ frame([eth(M1, M2, ETHERTYPE_IPV4, [200]), ip('192.168.1.1', '192.168.1.2', IPPROTO_UDP), new Udp({ srcPort: 1234, dstPort: 53 })], new Uint8Array(4)),
  /* 13 */ frame([eth(M1, M3, ETHERTYPE_IPV4), ip('10.0.0.1', '10.9.9.9', IPPROTO_UDP, { fragOffset: 185 })], new Uint8Array(40)),
  /* 14 */ frame([eth(M1, BCAST, ETHERTYPE_IPV4), ip('10.0.0.1', '10.0.0.255', IPPROTO_UDP), new Udp({ srcPort: 68, dstPort: 67 })], new Uint8Array(300)),
  /* 15 */ frame([eth(M1, M2, ETHERTYPE_IPV6)], new Uint8Array(60)),
  /* 16 */ frame([eth(M2, M3, ETHERTYPE_IPV4), ip('10.1.2.3', '172.16.5.4', IPPROTO_TCP), tcp(8080, 3000, TcpFlag.ACK)]),
  /* 17 */ frame([eth(M2, M3, ETHERTYPE_IPV4), ip('172.16.5.4', '10.1.2.3', 50)], new Uint8Array(20)),
];

/** Expressions tcpdump (libpcap) accepts; every one is checked against it frame by frame. */
const EXPRESSIONS = [
  'host 10.0.0.1',
  'src host 10.0.0.1',
  'dst host 10.0.0.1',
  'host 10.0.0.2',
  'arp',
  'ip',
  'tcp',
  'udp',
  'icmp',
  'ip6',
  'port 80',
  'tcp port 80',
  'udp port 53',
  'udp dst port 53',
  'src port 53',
  'dst port 80 or dst port 443',
  'port 80 or 443',
  'port http or https',
  'port domain',
  'portrange 30000-40000',
  'tcp portrange 1-1024',
  'net 10.0.0.0/24',
  'net 10.0.0.0 mask 255.255.255.0',
  'src net 10.0.0.0/8',
  'dst net 172.16.0.0/12',
  'net 10.1',
  'host 10.0.0.1 or 10.0.0.53',
  'host 10.0.0.1 and not 10.0.0.2',
  'not host 10.0.0.1 and 10.0.0.2',
  'not arp',
  '! icmp',
  'tcp and (port 80 or port 443)',
  'tcp && port 80 || udp',
  'udp or tcp and port 80',
  'ether host 02:00:00:00:00:02',
  'ether src 02:00:00:00:00:01',
  'ether dst ff:ff:ff:ff:ff:ff',
  'ether broadcast',
  'broadcast',
  'multicast',
  'ether proto 0x0806',
  'ip proto 50',
  'vlan',
  'vlan 100',
  'vlan and udp',
  'vlan and port 22',
  'not vlan',
  'arp and src 10.0.0.2',
  'arp host 10.0.0.1',
  'ip host 10.0.0.1',
  'src or dst port 53',
  'src and dst net 10.0.0.0/24',
  'less 70',
  'greater 100',
  'host 10.0.0.1 and (10.0.0.2 or 10.0.0.53)',
  'icmp or arp',
  'tcp port 80 and host 13.246.100.25',
  'udp port 67 or udp port 68',
  '((tcp))',
];

function tcpdumpSelects(file: string, expr: string): number[] {
  // text2pcap stamps frame n at n microseconds, so -tt gives the frame number.
  const r = spawnSync('tcpdump', ['-tt', '-nr', file, expr], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tcpdump refused ${JSON.stringify(expr)}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(/^\d+\.(\d{6})/.exec(l)![1]));
}

function ourSelection(expr: string): number[] {
  const c = compileFilter(expr);
  if (!c.ok) assert.fail(`compileFilter(${JSON.stringify(expr)}): ${c.error.message} at ${c.error.pos}`);
  const out: number[] = [];
  FRAMES.forEach((f, i) => {
    if (c.value(f)) out.push(i + 1);
  });
  return out;
}

describe('pcap-filter', function () {
  describe('agrees with tcpdump on which frames match', function () {
    let file = '';
    before(function () {
      requireTool(this, 'tcpdump');
      requireTool(this, 'text2pcap', 'tshark');
      file = join(artifactDir('pcap-filter'), 'frames.pcap');
      framesToPcap(FRAMES, file);
    });
    for (const expr of EXPRESSIONS) {
      it(expr, function () {
        assert.deepEqual(ourSelection(expr), tcpdumpSelects(file, expr));
      });
    }
  });

  describe('errors in libpcap words, with a position', function () {
    const cases: [string, string, string][] = [
      ['port 80 or', 'syntax', "can't parse filter expression: syntax error"],
      ['tcp and (', 'syntax', "can't parse filter expression: syntax error"],
      ['host foo', 'semantic', "unknown host 'foo'"],
      ['port foo', 'semantic', "unknown port 'foo'"],
      ['port 70000', 'semantic', 'illegal port number 70000 > 65535'],
      ['net 10.0.0.1/8', 'semantic', 'non-network bits set in "10.0.0.1/8"'],
      ['host 10.0.0.300', 'semantic', "invalid IPv4 address '10.0.0.300'"],
      ['vlan 5000', 'semantic', 'VLAN tag 5000 greater than maximum 4095'],
      ['tcp host 10.0.0.1', 'semantic', "'tcp' modifier applied to host"],
      ['arp port 80', 'semantic', "illegal qualifier of 'port'"],
      ['icmp port 80', 'semantic', "illegal qualifier of 'port'"],
      ['ip host 02:00:00:00:00:01', 'semantic', 'ethernet address used in non-ether expression'],
      ['ether src 10.0.0.1', 'semantic', 'illegal link layer address'],
      ['tcp or 80', 'syntax', 'syntax error in filter expression'],
      ['(host 10.0.0.1) or 10.0.0.2', 'syntax', 'syntax error in filter expression'],
      ['vlan 5 or 6', 'syntax', 'syntax error in filter expression'],
      ['port 80 or 10.0.0.1', 'semantic', "'port' modifier applied to ip host"],
      ['frob', 'syntax', "can't parse filter expression: syntax error"],
      [')', 'syntax', "can't parse filter expression: syntax error"],
      ['host', 'syntax', "can't parse filter expression: syntax error"],
      ['80', 'syntax', "can't parse filter expression: syntax error"],
    ];
    for (const [expr, kind, text] of cases) {
      it(`${expr} → ${text}`, function () {
        const r = compileFilter(expr);
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.kind, kind);
        assert.equal(filterErrorText(r.error), text);
        assert.ok(r.error.pos >= 0 && r.error.pos <= expr.length);
      });
    }

    it('points at the offending token', function () {
      const r = compileFilter('tcp port 80 and host nosuch');
      assert.ok(!r.ok);
      if (!r.ok) assert.equal(r.error.pos, 21);
    });

    it('refuses byte-offset expressions as unsupported', function () {
      const r = compileFilter('tcp[13] & 2 != 0');
      assert.ok(!r.ok && r.error.kind === 'unsupported');
    });
  });

  describe('lab extras', function () {
    it('a bare address is a host', function () {
      assert.deepEqual(ourSelection('10.0.0.53'), ourSelection('host 10.0.0.53'));
    });
    it('host names resolve through the caller', function () {
      const r = compileFilter('host web', { resolveHost: (n) => (n === 'web' ? ipv4('13.246.100.25') : null) });
      assert.ok(r.ok);
      if (r.ok) assert.deepEqual(FRAMES.map((f, i) => (r.value(f) ? i + 1 : 0)).filter((x) => x), [5, 6, 7]);
    });
    it('the empty expression accepts everything', function () {
      const r = compileFilter('  ');
      assert.ok(r.ok && FRAMES.every(r.value));
    });
  });

  describe('never throws', function () {
    const words = ['host', 'net', 'port', 'portrange', 'src', 'dst', 'ether', 'ip', 'arp', 'tcp', 'udp', 'icmp', 'vlan', 'and', 'or', 'not', '!', '(', ')', '&&', '||', '10.0.0.1', '80', '1-2', 'mask', '255.0.0.0', '10/8', 'proto', 'less', 'broadcast', '02:00:00:00:00:01', 'http', 'x'];
    it('on random strings', function () {
      fc.assert(
        fc.property(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 80 }), (s, bytes) => {
          const r = compileFilter(s);
          if (r.ok) assert.equal(typeof r.value(bytes), 'boolean');
          else assert.equal(typeof r.error.message, 'string');
        }),
        { numRuns: 3000 },
      );
    });
    it('on random word sequences, against random and real frames', function () {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...words), { maxLength: 10 }), fc.uint8Array({ maxLength: 80 }), (ws, bytes) => {
          const r = compileFilter(ws.join(' '));
          if (r.ok) {
            r.value(bytes);
            for (const f of FRAMES) r.value(f);
            for (const f of FRAMES) r.value(f.subarray(0, bytes.length % f.length));
          }
        }),
        { numRuns: 3000 },
      );
    });
  });
});
