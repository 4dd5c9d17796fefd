/**
 * tshark as the independent judge of every capture a test writes: checksum validation on for IPv4,
 * TCP, UDP (ICMP checksums are always checked by Wireshark), JSON output for field comparisons.
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

export const TSHARK_CHECKSUM_PREFS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
];

function tshark(args: readonly string[]): string {
  const r = spawnSync('tshark', [...args], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export type TsharkPacket = { _source: { layers: Record<string, any> } };

/** `tshark -r FILE -T json` with checksum validation on; returns the packet list. */
export function tsharkJson(file: string, extra: readonly string[] = []): TsharkPacket[] {
  // --no-duplicate-keys: a frame with two IP layers (GENEVE, ICMP quotes) keeps both as an array.
  const args = ['-r', file, '-T', 'json', '--no-duplicate-keys', ...TSHARK_CHECKSUM_PREFS];
  args.push(...extra.filter((e) => e !== '--no-duplicate-keys'));
  const out = tshark(args);
  return JSON.parse(out) as TsharkPacket[];
}

/** `tshark -r FILE -T fields -e F...` rows (tab-separated fields), checksum validation on. */
export function tsharkFields(file: string, fields: readonly string[], filter?: string): string[][] {
  const args = ['-r', file, '-T', 'fields', ...TSHARK_CHECKSUM_PREFS];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  return tshark(args).split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

export function tsharkCount(file: string, filter?: string): number {
  const args = ['-r', file, ...TSHARK_CHECKSUM_PREFS, '-T', 'fields', '-e', 'frame.number'];
  if (filter) args.push('-Y', filter);
  return tshark(args).split('\n').filter((l) => l.length > 0).length;
}

export interface CaptureVerdict {
  packets: number;
  malformed: number;
  badChecksums: number;
  expertErrors: string[];
}

/**
 * Reads FILE with checksum validation on and counts malformed packets and bad checksums
 * (`_ws.malformed`, `*.checksum.status == Bad`, i.e. `*.checksum_bad` expert infos).
 */
export function judgeCapture(file: string): CaptureVerdict {
  const packets = tsharkCount(file);
  const malformed = tsharkCount(file, '_ws.malformed || _ws.expert.severity == error');
  const bad = tsharkCount(
    file,
    'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"',
  );
  const expertErrors = tsharkFields(file, ['frame.number', '_ws.expert.message'], '_ws.expert.severity == error').map((r) => r.join(': '));
  return { packets, malformed, badChecksums: bad, expertErrors };
}

/** Asserts tshark reads FILE with zero malformed packets and zero bad checksums, and at least one packet. */
export function assertCleanCapture(file: string, minPackets = 1): CaptureVerdict {
  const v = judgeCapture(file);
  assert.ok(v.packets >= minPackets, `${file}: tshark read ${v.packets} packets, expected at least ${minPackets}`);
  assert.equal(v.malformed, 0, `${file}: ${v.malformed} malformed/error packets: ${v.expertErrors.join('; ')}`);
  assert.equal(v.badChecksums, 0, `${file}: ${v.badChecksums} packets with bad checksums`);
  return v;
}

/**
 * Writes Ethernet frames to a classic pcap with text2pcap (an independent writer), so codec tests
 * can have tshark judge bytes before, and independently of, pktlab's own pcapng writer.
 */
export function framesToPcap(frames: readonly Uint8Array[], file: string): void {
  let text = '';
  for (const f of frames) {
    for (let off = 0; off < f.length; off += 16) {
      const chunk = Array.from(f.subarray(off, off + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
      text += `${off.toString(16).padStart(6, '0')} ${chunk}\n`;
    }
    text += '\n';
  }
  const r = spawnSync('text2pcap', ['-q', '-F', 'pcap', '-', file], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`text2pcap exited ${r.status}: ${r.stderr}`);
}
