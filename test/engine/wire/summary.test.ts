import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { fromHex } from '../../../engine/wire/bytes.ts';
import { summarizeFrame } from '../../../engine/wire/summary.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { mutated, FUZZ_RUNS } from '../../support/fuzz.ts';
import { haveTool } from '../../support/tools.ts';
import { everyCodecFrames } from '../capture/frames.ts';
import { writeArtifact } from '../capture/helpers.ts';

const frames = everyCodecFrames();
const byName = (n: string): Uint8Array => frames.find((f) => f.name === n)!.bytes;

/** Sets the IPv4 Total Length of an Ethernet frame (the header checksum is not fixed: display only). */
function withIpTotalLength(frame: Uint8Array, total: number): Uint8Array {
  const b = Uint8Array.from(frame);
  b[16] = total >>> 8;
  b[17] = total & 0xff;
  return b;
}

describe('wire/summary', () => {
  for (const f of frames) {
    it(`${f.name}: ${f.line.slice(0, 70)}`, () => {
      assert.equal(summarizeFrame(f.bytes), f.line);
    });
  }

  it('-e prints the Ethernet header and VLAN tags first, and no IP/ARP prefix', () => {
    assert.equal(
      summarizeFrame(byName('arp request'), { linkHeader: true }),
      '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: Request who-has 10.0.0.254 tell 10.0.0.1, length 46',
    );
    assert.equal(
      summarizeFrame(byName('vlan'), { linkHeader: true }),
      '02:00:00:00:00:01 > 02:00:00:00:00:fe, ethertype 802.1Q (0x8100), length 56: vlan 100, p 3, ethertype IPv4 (0x0800), 10.0.0.1.40001 > 10.0.0.2.9999: UDP, length 10',
    );
    // The GENEVE inner frame gets its link header too.
    assert.match(
      summarizeFrame(byName('geneve'), { linkHeader: true }),
      /^02:00:00:00:01:0a > 02:00:00:00:01:14, .*, proto TEB \(0x6558\), options \[32 bytes\]: 02:00:00:00:00:01 > 02:00:00:00:00:fe, ethertype IPv4 \(0x0800\), length 58: 10\.0\.0\.1\.49153 > 13\.246\.100\.25\.443: Flags \[S\]/,
    );
  });

  it('prints what decoded and a truncation mark where decoding stopped', () => {
    const syn = byName('tcp syn');
    assert.equal(summarizeFrame(syn.subarray(0, 10)), '[|ether]');
    assert.equal(summarizeFrame(byName('arp request').subarray(0, 20)), 'ARP, [|arp]');
    assert.equal(summarizeFrame(syn.subarray(0, 24)), 'IP [|ip]');
    assert.equal(summarizeFrame(syn.subarray(0, 36)), 'IP 10.0.0.1 > 13.246.100.25: [|tcp]');
    // With the ports there, the mark comes after `: ` and a space of its own (tcpdump's nd_print_trunc).
    assert.equal(summarizeFrame(syn.subarray(0, 40)), 'IP 10.0.0.1.49152 > 13.246.100.25.80:  [|tcp]');
    // A data segment cut by the snapshot length: its header, the declared length, then the mark.
    const http = byName('http part 1');
    assert.equal(
      summarizeFrame(http.subarray(0, 60)),
      'IP 10.0.0.1.49152 > 13.246.100.25.80: Flags [.], seq 1001:1050, ack 5001, win 502, length 49 [|tcp]',
    );
    assert.equal(summarizeFrame(byName('dns query').subarray(0, 40)), 'IP 10.0.0.1.5353 > 10.0.0.2.53:  [|udp]');
    assert.equal(summarizeFrame(byName('dns query').subarray(0, 44)), 'IP 10.0.0.1.5353 > 10.0.0.2.53:  [|domain]');
    const dns = Uint8Array.from(byName('dns query'));
    dns[42 + 12] = 0xc0; // a compression pointer pointing forward: malformed name
    dns[42 + 13] = 0xff;
    // tcpdump prints what it decoded before the bad name; pktlab's DNS decoder gives up whole.
    assert.match(summarizeFrame(dns), /^IP 10\.0\.0\.1\.5353 > 10\.0\.0\.2\.53: .*\[\|domain\]$/);
    assert.equal(summarizeFrame(byName('icmp echo request').subarray(0, 38)), 'IP 10.0.0.1 > 13.246.100.25:  [|icmp]');
    // IP and UDP lengths say 4 bytes of GENEVE follow: too few for its 8-byte header.
    const geneve = withIpTotalLength(byName('geneve').subarray(0, 46), 32);
    geneve[38] = 0;
    geneve[39] = 12;
    assert.equal(summarizeFrame(geneve), 'IP 10.0.1.10.61234 > 10.0.1.20.6081: [|geneve]');
  });

  it('prints fragments, unknown protocols and EtherTypes without decoding further', () => {
    const frag = Uint8Array.from(byName('dns query'));
    frag[20] = 0x00;
    frag[21] = 0x10; // fragment offset 16 (x8)
    assert.equal(summarizeFrame(frag), 'IP 10.0.0.1 > 10.0.0.2: ip-proto-17');
    const proto = Uint8Array.from(byName('dns query'));
    proto[23] = 99;
    assert.equal(summarizeFrame(proto), 'IP 10.0.0.1 > 10.0.0.2:  ip-proto-99 41');
    const lldp = fromHex('0180c200000e 020000000001 88cc 0000');
    assert.equal(summarizeFrame(lldp), 'ethertype LLDP (0x88cc), length 2');
    assert.equal(summarizeFrame(lldp, { linkHeader: true }), '02:00:00:00:00:01 > 01:80:c2:00:00:0e, ethertype LLDP (0x88cc), length 16: ethertype LLDP (0x88cc), length 2');
  });

  it('HTTP: the request or status line for ports 80/8080, else just HTTP', () => {
    const http = byName('http part 1');
    assert.match(summarizeFrame(http), /length 49: HTTP: GET \/index\.html HTTP\/1\.1$/);
    assert.match(summarizeFrame(byName('http part 2')), /length 35: HTTP$/);
  });

  it('never throws: random bytes and mutated frames give a line', () => {
    const runs = Math.min(FUZZ_RUNS, 20_000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, e) => {
        assert.equal(typeof summarizeFrame(b, { linkHeader: e }), 'string');
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(mutated(fc.constantFrom(...frames.map((f) => f.bytes))), fc.boolean(), (b, e) => {
        const s = summarizeFrame(b, { linkHeader: e });
        assert.equal(typeof s, 'string');
        assert.ok(s.length > 0);
      }),
      { numRuns: runs },
    );
  });

  it('matches tcpdump -nn on the every-codec capture (absolute sequence numbers aside)', function () {
    if (!haveTool('tcpdump')) this.skip();
    const w = new PcapngWriter();
    w.addInterface({ name: 'x' });
    frames.forEach((f, i) => w.writePacket(0, i, f.bytes));
    const file = writeArtifact('summary-tcpdump.pcapng', w.toBytes());
    const r = spawnSync('tcpdump', ['-nn', '-S', '-r', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = r.stdout.trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));
    frames.forEach((f, i) => {
      assert.equal(theirs[i], f.line, f.name);
    });
  });
});
