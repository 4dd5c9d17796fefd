/**
 * tshark as the independent judge of every capture a test writes: checksum validation on for IPv4,
 * TCP, UDP (ICMP checksums are always checked by Wireshark), JSON output for field comparisons.
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { requireTool } from './tools.ts';

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

/** Skips (fails under CI) the test when text2pcap or tshark is missing. */
export function requireTshark(ctx: Mocha.Context): void {
  requireTool(ctx, 'text2pcap', 'tshark');
  requireTool(ctx, 'tshark');
}

/**
 * Writes `frames` to FILE (framesToPcap), asserts tshark reads at least `minPackets` of them cleanly
 * (assertCleanCapture) and returns tshark's JSON of them with `extra` arguments.
 */
export function tsharkReadFrames(frames: readonly Uint8Array[], file: string, minPackets: number, extra: readonly string[] = []): TsharkPacket[] {
  framesToPcap(frames, file);
  assertCleanCapture(file, minPackets);
  return tsharkJson(file, extra);
}

/** Every value of `key` anywhere in a tshark `-T json` tree (arrays flattened), in document order. */
export function findAll(node: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) {
    for (const n of node) findAll(n, key, out);
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === key) {
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      findAll(v, key, out);
    }
  }
  return out;
}

/** findAll for a field whose values are text: every value as a string. */
export function fieldValues(node: unknown, key: string): string[] {
  return findAll(node, key).map(String);
}

/** The first value of `key` anywhere in the tree, as a string (undefined when absent). */
export function field(node: unknown, key: string): string | undefined {
  const v = findAll(node, key)[0];
  return v === undefined ? undefined : String(v);
}
