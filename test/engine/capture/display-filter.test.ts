/**
 * Display filters: the frame numbers each filter of a table selects equal `tshark -Y` on the same
 * pcapng; bad filters give Wireshark-worded errors with the offending position; random filter text
 * never throws.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { readCapture } from '../../../engine/capture/capture.ts';
import { compileFilter } from '../../../engine/capture/display-filter.ts';
import { PacketStore } from '../../../engine/capture/packet-store.ts';
import { requireTool } from '../../support/tools.ts';
import { captureFile } from './dissect.test.ts';

const FILTERS = [
  'tcp',
  'udp',
  'arp',
  'icmp',
  'dns',
  'http',
  'geneve',
  'ip',
  'ip.addr == 10.0.0.1',
  'ip.addr != 10.0.0.1',
  '!(ip.addr == 10.0.0.1)',
  'ip.src == 13.246.100.25 && tcp',
  'ip.dst eq 10.0.0.2',
  'ip.addr == 10.0.1.0/24',
  'ip.proto == 17',
  'ip.ttl < 64',
  'tcp.port == 80',
  'tcp.srcport == 49152 || udp.srcport == 53',
  'tcp.dstport in {443, 8080}',
  'tcp.port in {80..443}',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.fin == 1',
  'tcp.flags.reset == 1',
  'tcp.flags.syn',
  'tcp.len > 0',
  'tcp.stream == 1',
  'tcp.stream ge 2',
  'udp.port == 53',
  'udp.dstport != 53',
  'eth.addr == ff:ff:ff:ff:ff:ff',
  'eth.src == 02:00:00:00:00:01',
  'arp.opcode == 1',
  'icmp.type == 3',
  'icmp.type == 8 or icmp.type == 0',
  'dns.qry.name == "www.example.com"',
  'dns.qry.name contains "example"',
  'dns.qry.name matches "^WWW\\\\."',
  'http.request.method == "GET"',
  'http.response.code == 200',
  'geneve.vni == 0x123456',
  'frame.len > 100',
  'frame.comment contains "alteon"',
  'not arp and not icmp',
  '(tcp.port == 80 || udp) && !dns',
];

const BAD: [string, string, number][] = [
  ['foo', '"foo" is not a valid protocol or protocol field.', 0],
  ['tcp.port ==', 'Unexpected end of filter expression.', 11],
  ['tcp.port == abc', '"abc" is not a valid number.', 12],
  ['ip.addr == 10.0.0.256', '"10.0.0.256" is not a valid hostname or IPv4 address.', 11],
  ['(tcp', 'Unexpected end of filter expression.', 4],
  ['tcp &&', 'Unexpected end of filter expression.', 6],
  ['tcp.port == 80)', '")" was unexpected in this context.', 14],
  ['ip.addr == 10.0.0.0/33', 'Netmask bits in a CIDR IPv4 address should be <= 32, not 33', 11],
  ['tcp.port == 70000', '"70000" too big for this field, maximum 65535.', 12],
  ['eth.addr == 02:00:00', '"02:00:00" contains too few bytes to be a valid Ethernet address.', 12],
  ['ip.src matches "x"', 'ip.src (type=IPv4 address) cannot participate in matches comparison.', 0],
  ['tcp.port == "80"', 'Unsigned integer (2 bytes) cannot be converted from a string ("80").', 12],
  ['==', '"==" was unexpected in this context.', 0],
  ['tcp foo', '"foo" was unexpected in this context.', 4],
  ['!', 'Unexpected end of filter expression.', 1],
  ['tcp.port >< 3', '"<" was unexpected in this context.', 10],
  ['ip.addr == 1.2.3.4 && tcp.prot == 1', '"tcp.prot" is not a valid protocol or protocol field.', 22],
  ['dns.qry.name == "abc', 'The string does not have a closing quote.', 16],
  ['dns.qry.name matches "^w\\."', '\\. is not a valid character escape sequence', 24],
];

describe('engine/capture/display-filter', () => {
  it(`selects the same frames as tshark -Y for ${FILTERS.length} filters`, function () {
    requireTool(this, 'tshark');
    const { bytes, file } = captureFile('display-filter.pcapng');
    const c = readCapture(bytes);
    assert.ok(c.ok);
    const store = PacketStore.fromCapture(c.value);
    for (const f of FILTERS) {
      const r = spawnSync('tshark', ['-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', f, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      const want = r.stdout.split('\n').filter((l) => l).map(Number);
      const got = store.filter(f);
      assert.ok(got.ok, `${f}: ${got.ok ? '' : got.error.message}`);
      assert.deepEqual(Array.from(got.value, (i) => i + 1), want, f);
    }
  });

  it('rejects bad filters with Wireshark wording and the position of the problem', () => {
    for (const [text, message, offset] of BAD) {
      const r = compileFilter(text);
      assert.ok(!r.ok, `${text} compiled`);
      assert.equal(r.error.message, message, text);
      assert.equal(r.error.offset, offset, `${text}: offset`);
    }
  });

  it('tshark also rejects the bad filters', function () {
    requireTool(this, 'tshark');
    const { file } = captureFile('display-filter-bad.pcapng');
    for (const [text] of BAD) {
      const r = spawnSync('tshark', ['-r', file, '-Y', text], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `tshark accepted ${text}`);
    }
  });

  it('the empty filter matches everything; word operators and sets work', () => {
    const { frames } = captureFile('display-filter-words.pcapng');
    const store = new PacketStore();
    frames.forEach((f, i) => store.append(f, { timeNs: BigInt(i) }));
    const all = store.filter('  ');
    assert.ok(all.ok);
    assert.equal(all.value.length, frames.length);
    const a = store.filter('tcp.port in {80 443} and not tcp.flags.reset == 1');
    const b = store.filter('tcp.port in {80, 443} && !(tcp.flags.reset == 1)');
    assert.ok(a.ok && b.ok);
    assert.deepEqual(a.value, b.value);
  });

  it('never throws on random filter text (fast-check)', () => {
    const atoms = ['tcp', 'ip.addr', '==', '!=', '&&', '||', '!', '(', ')', '{', '}', '..', ',', 'in', 'contains', 'matches', '"x', '"a"', '10.0.0.1', '10.0.0.0/24', '80', '0x1', 'ff:ff', 'dns.qry.name', 'frame', ' ', 'and', 'not', '[', '\\'];
    const { frames } = captureFile('display-filter-fuzz.pcapng');
    const store = new PacketStore();
    frames.forEach((f, i) => store.append(f, { timeNs: BigInt(i) }));
    const check = (s: string): void => {
      const r = store.filter(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) {
        assert.equal(typeof r.error.message, 'string');
        assert.ok(r.error.offset >= 0 && r.error.offset <= s.length, `${s}: ${r.error.offset}`);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 60 }), check), { numRuns: 5000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...atoms), { maxLength: 12 }).map((a) => a.join(' ')), check), { numRuns: 5000 });
  });
});
