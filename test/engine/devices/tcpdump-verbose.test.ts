/**
 * tcpdump, -e and -v/-vv/-vvv (and with -e): summarizeFrame's text against the real tcpdump 4.99
 * frame by frame, on hand-built frames covering each rule and on frames a routed lab emits,
 * captured through the host's own `tcpdump -v`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { parseEthernet } from '../../../engine/wire/ethernet.ts';
import { summarizeFrame } from '../../../engine/wire/summary.ts';
import { sec } from '../../../engine/sim/time.ts';
import { mutated, FUZZ_RUNS } from '../../support/fuzz.ts';
import { requireTool } from '../../support/tools.ts';
import { assertCleanCapture, requireTshark, tsharkFields } from '../../support/tshark.ts';
import { writeArtifact } from '../capture/helpers.ts';
import { routedLab } from './topo.ts';
import { verboseFrames } from './verbose-frames.ts';

const frames = verboseFrames();
const byName = (n: string): Uint8Array => frames.find((f) => f.name === n)!.bytes;

/** Real tcpdump's text per packet (timestamp cut, continuation lines kept) for `frames`. */
function tcpdumpTexts(name: string, bytes: readonly Uint8Array[], args: readonly string[], clean = false): string[] {
  const w = new PcapngWriter();
  w.addInterface({ name: 'x' });
  bytes.forEach((b, i) => w.writePacket(0, i * 1000, b));
  const file = writeArtifact(name, w.toBytes());
  // A lab's own packets must also read clean in tshark (the hand-built set is judged by its own test).
  if (clean) assertCleanCapture(file, bytes.length);
  // -S: pktlab prints absolute sequence numbers; -nn: numeric, as pktlab always is.
  const r = spawnSync('tcpdump', ['-nn', '-S', ...args, '-r', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return splitPackets(r.stdout);
}

/** Packets of a tcpdump listing: a line starting with a timestamp opens one, others continue it. */
function splitPackets(out: string): string[] {
  const texts: string[] = [];
  for (const l of out.replace(/\n$/, '').split('\n')) {
    if (/^\d\d:\d\d:\d\d\.\d{6} /.test(l)) texts.push(l.slice(16));
    else if (texts.length > 0) texts[texts.length - 1] += `\n${l}`;
  }
  return texts;
}

describe('tcpdump text (plain, -e, -v...)', function () {
  describe('summarizeFrame matches tcpdump 4.99 frame by frame', function () {
    const modes: [string, string[], number, boolean][] = [
      ['no -v', [], 0, false],
      ['-e', ['-e'], 0, true],
      ['-v', ['-v'], 1, false],
      ['-vv', ['-vv'], 2, false],
      ['-vvv', ['-vvv'], 3, false],
      ['-v -e', ['-v', '-e'], 1, true],
      ['-vv -e', ['-vv', '-e'], 2, true],
    ];
    for (const [label, args, verbose, link] of modes) {
      it(label, function () {
        requireTool(this, 'tcpdump');
        const theirs = tcpdumpTexts(`verbose${args.join('') || '-plain'}.pcapng`, frames.map((f) => f.bytes), args);
        assert.equal(theirs.length, frames.length);
        frames.forEach((f, i) => {
          const mine = summarizeFrame(f.bytes, { verbose, linkHeader: link });
          assert.equal(mine, theirs[i], f.name);
        });
      });
    }
  });

  it('tshark, checksums validated, flags exactly the frames damaged on purpose', function () {
    requireTshark(this);
    // The frames carry deliberately wrong checksums and lengths so that tcpdump's complaints can be
    // compared; every other frame must read clean, and each damaged one must be caught.
    const damaged = ['tcp bad cksum', 'ip bad cksum', 'udp bad cksum', 'icmp bad cksum', 'icmp quote bad ip cksum', 'udp bad length', 'udp length below header', 'udp length short of ip'];
    for (const n of damaged) byName(n);
    const w = new PcapngWriter();
    w.addInterface({ name: 'x' });
    frames.forEach((f, i) => w.writePacket(0, i * 1000, f.bytes));
    const file = writeArtifact('verbose-tshark.pcapng', w.toBytes());
    const flagged = tsharkFields(
      file,
      ['frame.number'],
      '_ws.malformed || _ws.expert.severity == error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"',
    ).map((r) => frames[Number(r[0]) - 1]!.name);
    assert.deepEqual([...flagged].sort(), [...damaged].sort());
  });

  describe('verbose texts (as tcpdump 4.99 printed them)', function () {
    it('IPv4 header line, then the TCP line indented, with the checksum verified', function () {
      assert.equal(
        summarizeFrame(byName('tcp syn'), { verbose: 1 }),
        'IP (tos 0x0, ttl 64, id 54321, offset 0, flags [DF], proto TCP (6), length 60)\n' +
          '    10.0.0.1.49152 > 10.0.0.2.80: Flags [S], cksum 0x74d3 (correct), seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
      );
    });

    it('reports wrong checksums with the value that would be right', function () {
      assert.match(summarizeFrame(byName('tcp bad cksum'), { verbose: 1 }), /Flags \[S\], cksum 0x9e5f \(incorrect -> 0xc4fa\), seq 1000/);
      assert.match(summarizeFrame(byName('ip bad cksum'), { verbose: 1 }), /length 44, bad cksum 7c65 \(->26c0\)!\)\n/);
      assert.match(summarizeFrame(byName('icmp bad cksum'), { verbose: 1 }), /length 24 \(wrong icmp cksum d2ce \(->886b\)!\)$/);
      // UDP's checksum shows from -vv only.
      assert.match(summarizeFrame(byName('udp bad cksum'), { verbose: 1 }), /9999: UDP, length 4$/);
      assert.match(summarizeFrame(byName('udp bad cksum'), { verbose: 2 }), /9999: \[bad udp cksum 0x1316 -> 0x49b3!\] UDP, length 4$/);
      assert.match(summarizeFrame(byName('udp no cksum'), { verbose: 2 }), /9999: \[no cksum\] UDP/);
    });

    it("quotes an ICMP error's datagram on a line of its own", function () {
      assert.equal(
        summarizeFrame(byName('icmp time exceeded tcp cut'), { verbose: 1 }),
        'IP (tos 0x0, ttl 64, id 25, offset 0, flags [none], proto ICMP (1), length 56)\n' +
          '    10.0.0.254 > 10.0.0.1: ICMP time exceeded in-transit, length 36\n' +
          '\tIP (tos 0x0, ttl 1, id 23, offset 0, flags [DF], proto TCP (6), length 60)\n' +
          '    10.0.0.1.49152 > 10.0.0.2.80:  [|tcp]',
      );
    });

    it('fragments: a first one decodes without checksum, later ones name the protocol', function () {
      assert.match(summarizeFrame(byName('frag first tcp'), { verbose: 1 }), /flags \[\+\].*\n {4}10\.0\.0\.1\.49152 > 10\.0\.0\.2\.80: Flags \[P\.\], seq 1:21,/);
      assert.match(summarizeFrame(byName('frag rest udp'), { verbose: 1 }), /offset 48, flags \[none\].*\n {4}10\.0\.0\.1 > 10\.0\.0\.2: ip-proto-17$/);
    });

    it('DNS names owners from -v, adds sections from -vv and TTLs from -vvv', function () {
      const f = byName('dns mx ns ptr');
      assert.match(summarizeFrame(f, { verbose: 1 }), /: 9- 1\/1\/1 example\.com\. MX mail\.example\.com\. 10 \(84\)$/);
      assert.match(summarizeFrame(f, { verbose: 2 }), /: \[udp sum ok\] 9- q: MX\? example\.com\. 1\/1\/1 example\.com\. MX mail\.example\.com\. 10 ns: example\.com\. NS ns1\.example\.com\. ar: mail\.example\.com\. A 192\.0\.2\.25 \(84\)$/);
      assert.match(summarizeFrame(f, { verbose: 3 }), / example\.com\. \[1m\] MX /);
    });

    it('-e drops the IP prefix, the ICMP quote included', function () {
      const s = summarizeFrame(byName('icmp port unreach dns'), { verbose: 1, linkHeader: true });
      assert.match(s, /^02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 \(0x0800\), length 99: \(tos 0x0,/);
      assert.match(s, /\n\t\(tos 0x0, ttl 64, id 20,/);
    });

    it('without verbose the one-line form is unchanged', function () {
      for (const f of frames) assert.equal(summarizeFrame(f.bytes, { verbose: 0 }), summarizeFrame(f.bytes), f.name);
    });
  });

  it('never throws: random and mutated frames give text at every level, 0 included', function () {
    const runs = Math.min(FUZZ_RUNS, 20_000);
    // summarizeFrame swallows an exception as `[|ether]`; a frame whose Ethernet header decodes must
    // never come back as that, so a formatter bug cannot hide behind the guard.
    const check = (b: Uint8Array, v: number, e: boolean): void => {
      const s = summarizeFrame(b, { verbose: v, linkHeader: e });
      assert.equal(typeof s, 'string');
      assert.ok(s.length > 0);
      if (parseEthernet(b).ok) assert.notEqual(s, '[|ether]', Buffer.from(b).toString('hex'));
    };
    const level = fc.integer({ min: 0, max: 4 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), level, fc.boolean(), check), { numRuns: runs });
    fc.assert(fc.property(mutated(fc.constantFrom(...frames.map((f) => f.bytes))), level, fc.boolean(), check), { numRuns: runs });
  });

  describe('the host command', function () {
    it('prints -v packets of a routed lab as tcpdump does (curl, dig, traceroute)', function () {
      const { client, net } = routedLab();
      const iface = client.findInterface('eth0')!;
      const seen: Uint8Array[] = [];
      const tap = iface.addTap((frame) => void seen.push(Uint8Array.from(frame)));
      const cap = client.exec('tcpdump -v -e -i eth0 not arp');
      assert.equal(client.run('curl -s -o /dev/null http://10.0.2.2/').exitCode, 0);
      client.run('dig @10.0.0.53 www.lab.example');
      client.run('dig @10.0.0.53 nosuch.lab.example');
      client.run('traceroute -n -q 1 -m 3 10.0.2.2');
      net.runFor(sec(5));
      cap.interrupt();
      tap.dispose();
      assert.ok(cap.done);
      assert.doesNotMatch(cap.stderr, /verbose output suppressed/);
      // The console echoes Ctrl-C as `^C` on stdout; it is no part of a packet.
      const ours = splitPackets(cap.stdout.replace(/^\^C\n?/m, ''));
      // The lab's kinds of packets all appear: TCP with checksums, DNS, ICMP errors with their quote.
      const all = ours.join('\n');
      assert.match(all, /cksum 0x[0-9a-f]{4} \(correct\)/);
      assert.match(all, /ICMP time exceeded in-transit, length \d+\n\t\(tos /);
      assert.match(all, /udp port \d+ unreachable, length \d+\n\t\(tos /);
      assert.match(all, /NXDomain/);
      requireTool(this, 'tcpdump');
      const frames = seen.filter((f) => !(f[12] === 0x08 && f[13] === 0x06));
      requireTshark(this);
      const theirs = tcpdumpTexts('verbose-host.pcapng', frames, ['-v', '-e'], true);
      assert.deepEqual(ours, theirs);
    });

    for (const args of [[], ['-e']]) {
      it(`prints packets of a routed lab as tcpdump${args.map((a) => ` ${a}`).join('')} does, ARP included`, function () {
        const { client, net } = routedLab();
        const iface = client.findInterface('eth0')!;
        const seen: Uint8Array[] = [];
        const tap = iface.addTap((frame) => void seen.push(Uint8Array.from(frame)));
        const cap = client.exec(['tcpdump', ...args, '-i', 'eth0'].join(' '));
        assert.equal(client.run('curl -s -o /dev/null http://10.0.2.2/').exitCode, 0);
        client.run('dig @10.0.0.53 nosuch.lab.example');
        client.run('traceroute -n -q 1 -m 2 10.0.2.2');
        net.runFor(sec(5));
        cap.interrupt();
        tap.dispose();
        assert.ok(cap.done);
        assert.match(cap.stderr, /verbose output suppressed/);
        const ours = splitPackets(cap.stdout.replace(/^\^C\n?/m, ''));
        const all = ours.join('\n');
        assert.match(all, /Request who-has 10\.0\.0\.254 tell 10\.0\.0\.1, length \d+/);
        assert.match(all, /NXDomain/);
        assert.match(all, /: HTTP: GET \/ HTTP\/1\.1/);
        requireTool(this, 'tcpdump');
        requireTshark(this);
        assert.deepEqual(ours, tcpdumpTexts(`host${args.join('') || '-plain'}.pcapng`, seen, args, true));
      });
    }
  });
});
