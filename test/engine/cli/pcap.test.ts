import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isoTime, timeOfDay } from '../../../engine/cli/pcap.ts';
import { ipv4 } from '../../../engine/wire/addr.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { tsharkFields } from '../../support/tshark.ts';
import { artifactDir, requireTool } from '../../support/tools.ts';
import { everyCodecFrames } from '../capture/frames.ts';
import { foreignCapture, pcapToBigEndian, writeArtifact } from '../capture/helpers.ts';
import { pktlab } from '../../support/cli.ts';

// 2024-03-01T12:34:56Z
const EPOCH = 1_709_296_496_000_000_000n;

function labFile(name: string, interfaces: 1 | 2): string {
  const w = new PcapngWriter({ epochNs: EPOCH });
  w.addInterface({ name: 'alteon:outside' });
  if (interfaces === 2) w.addInterface({ name: 'alteon:inside' });
  w.writeNames([{ addr: ipv4('13.246.100.25'), names: 'alteon-vip1' }]);
  everyCodecFrames().forEach((f, i) =>
    w.writePacket(i % interfaces, 1_000_000 * i + 7, f.bytes, i === 7 ? { comment: 'alteon: vip1 → real2 (roundrobin)\nsession 42', direction: 'inbound' } : {}),
  );
  return writeArtifact(name, w.toBytes());
}

describe('cli/pcap', () => {
  const frames = everyCodecFrames();

  it('formats times of day in UTC to the nanosecond, and ISO times', () => {
    assert.equal(timeOfDay(EPOCH + 5n), '12:34:56.000000005');
    assert.equal(timeOfDay(0n), '00:00:00.000000000');
    assert.equal(timeOfDay(-1n), '23:59:59.999999999');
    assert.equal(timeOfDay(null), '--:--:--.---------');
    assert.equal(isoTime(EPOCH + 123_456_789n), '2024-03-01T12:34:56.123456789Z');
    assert.equal(isoTime(-1n), '1969-12-31T23:59:59.999999999Z');
    assert.equal(isoTime(null), null);
  });

  it('prints one line per packet: time, summary and comment; no interface name for one interface', async () => {
    const r = await pktlab('pcap', labFile('cli-one.pcapng', 1));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, frames.length);
    lines.forEach((l, i) => {
      const t = `12:34:56.${String(1_000_000 * i + 7).padStart(9, '0')}`;
      const comment = i === 7 ? ' # alteon: vip1 → real2 (roundrobin) # session 42' : '';
      assert.equal(l, `${t} ${frames[i]!.line}${comment}`);
    });
  });

  it('names the interface when the file has several; -e adds link headers', async () => {
    const file = labFile('cli-two.pcapng', 2);
    const r = await pktlab('pcap', file);
    assert.equal(r.code, 0);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], `12:34:56.000000007 alteon:outside ${frames[0]!.line}`);
    assert.equal(lines[1], `12:34:56.001000007 alteon:inside ${frames[1]!.line}`);
    const e = await pktlab('pcap', '-e', file);
    assert.equal(e.code, 0);
    assert.equal(
      e.out.split('\n')[2],
      '12:34:56.002000007 alteon:outside 02:00:00:00:00:01 > 02:00:00:00:00:fe, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 13.246.100.25: ICMP echo request, id 7, seq 1, length 64',
    );
  });

  it('--json prints an array of {number, time, interface, summary, comment}', async () => {
    const r = await pktlab('pcap', '--json', labFile('cli-json.pcapng', 2));
    assert.equal(r.code, 0);
    const rows = JSON.parse(r.out) as { number: number; time: string; interface: string; summary: string; comment: string | null; direction: string | null }[];
    assert.equal(rows.length, frames.length);
    assert.deepEqual(rows[7], {
      number: 8,
      time: '2024-03-01T12:34:56.007000007Z',
      interface: 'alteon:inside',
      summary: frames[7]!.line,
      comment: 'alteon: vip1 → real2 (roundrobin)\nsession 42',
      direction: 'inbound',
    });
    assert.equal(rows[0]!.comment, null);
    const empty = new PcapngWriter();
    empty.addInterface({ name: 'x' });
    const e = await pktlab('pcap', '--json', writeArtifact('cli-empty.pcapng', empty.toBytes()));
    assert.deepEqual(JSON.parse(e.out), []);
  });

  it('--help and usage errors', async () => {
    const h = await pktlab('pcap', '--help');
    assert.equal(h.code, 0);
    assert.match(h.out, /Usage: pktlab pcap \[-e\] \[--json\] FILE/);
    assert.match((await pktlab('--help')).out, /pcap \[-e\] \[--json\] FILE/);
    const none = await pktlab('pcap');
    assert.equal(none.code, 2);
    assert.match(none.err, /missing FILE/);
    const bad = await pktlab('pcap', '-x', 'f');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown option '-x'/);
    assert.equal((await pktlab('pcap', 'a', 'b')).code, 2);
  });

  it('a missing, unreadable or corrupt file: a clear message on stderr, exit 1', async () => {
    const dir = artifactDir('capture');
    const missing = await pktlab('pcap', `${dir}/does-not-exist.pcapng`);
    assert.equal(missing.code, 1);
    assert.equal(missing.out, '');
    assert.equal(missing.err, `pktlab pcap: ${dir}/does-not-exist.pcapng: no such file or directory\n`);
    const isDir = await pktlab('pcap', dir);
    assert.equal(isDir.code, 1);
    assert.equal(isDir.err, `pktlab pcap: ${dir}: is a directory\n`);
    const junk = writeArtifact('cli-junk.bin', new TextEncoder().encode('this is not a capture file'));
    const j = await pktlab('pcap', junk);
    assert.equal(j.code, 1);
    assert.equal(j.err, `pktlab pcap: ${junk}: not a pcap or pcapng file (magic number 0x74686973)\n`);
  });

  it('a truncated file: the packets read, then the error naming the byte offset, exit 1', async () => {
    const whole = readFileSync(labFile('cli-whole.pcapng', 1));
    const cut = writeArtifact('cli-truncated.pcapng', whole.subarray(0, whole.length - 10));
    const r = await pktlab('pcap', cut);
    assert.equal(r.code, 1);
    assert.equal(r.out.trimEnd().split('\n').length, frames.length - 1);
    assert.match(r.err, new RegExp(`^pktlab pcap: ${cut}: truncated block at byte \\d+: block length \\d+ exceeds file size \\(\\d+ bytes left\\)\\n$`));
  });

  describe('files written by other tools, against tshark', () => {
    before(function () {
      requireTool(this, 'tshark');
      requireTool(this, 'text2pcap', 'tshark');
      requireTool(this, 'editcap', 'tshark');
    });

    /** Same packet count, and for each packet the addresses tshark reports. */
    async function agrees(file: string): Promise<void> {
      const r = await pktlab('pcap', file);
      assert.equal(r.code, 0, r.err);
      const lines = r.out.trimEnd().split('\n');
      const rows = tsharkFields(file, ['ip.src', 'ip.dst', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4']);
      assert.equal(lines.length, rows.length);
      lines.forEach((line, i) => {
        const [ipSrc, ipDst, arpSrc, arpDst] = rows[i]!;
        if (ipSrc) {
          // tshark lists every IP header (outer first, then quoted or tunnelled ones).
          const m = /IP (\d+\.\d+\.\d+\.\d+)(?:\.\d+)? > (\d+\.\d+\.\d+\.\d+)/.exec(line);
          assert.ok(m, line);
          assert.equal(m[1], ipSrc.split(',')[0]);
          assert.equal(m[2], ipDst!.split(',')[0]);
        } else {
          // tcpdump's ARP lines: `Request who-has TPA tell SPA`, `Reply SPA is-at SHA`.
          assert.ok(line.startsWith(`${line.slice(0, 18)} ARP, `), line);
          assert.ok(line.includes(` ${arpSrc}`), line);
          if (line.includes('Request')) assert.ok(line.includes(`who-has ${arpDst}`), line);
        }
      });
    }

    it('text2pcap microsecond pcap', async () => agrees(foreignCapture(frames.map((f) => f.bytes), 'cli-usec', 'pcap')));
    it('editcap nanosecond pcap', async () => agrees(foreignCapture(frames.map((f) => f.bytes), 'cli-nsec', 'nsecpcap')));
    it('editcap pcapng', async () => agrees(foreignCapture(frames.map((f) => f.bytes), 'cli-editcap', 'pcapng')));
    it('big-endian pcap', async () => {
      const le = readFileSync(foreignCapture(frames.map((f) => f.bytes), 'cli-le', 'pcap'));
      await agrees(writeArtifact('cli-be.pcap', pcapToBigEndian(le)));
    });
  });
});
