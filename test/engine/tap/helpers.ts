/** Shared by the TAP tests: privilege gate, engine injection, process output waits, frame comparison. */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readCapture } from '../../../engine/capture/capture.ts';
import type { Network } from '../../../engine/net/network.ts';
import { realTimePacerOf } from '../../../engine/tap/tap-link.ts';
import { canUseNetns } from '../../support/tools.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Skips (fails under CI=true) without root, /dev/net/tun and `ip netns`. */
export function requireNetns(ctx: Mocha.Context): void {
  if (canUseNetns() && spawnSync('test', ['-c', '/dev/net/tun']).status === 0) return;
  const msg = 'TAP tests need root, /dev/net/tun and `ip netns` (iproute2)';
  if (process.env.CI === 'true') throw new Error(`${msg}; CI runs them as root`);
  console.log(`      (skipped: ${msg})`);
  ctx.skip();
}

/** Runs `fn` inside an engine event at the current virtual time (the network runs in real time). */
export function inEngine(net: Network, fn: () => void): void {
  const pacer = realTimePacerOf(net);
  assert.ok(pacer, 'a TAP is attached, so the network runs under a pacer');
  net.sched.at(pacer.sync(), fn, 'test');
  pacer.wake();
}

/** `pktlab…` links in the root namespace. */
export function pktlabLinks(): string[] {
  const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => /^\d+:\s+pktlab/.test(l));
}

export function waitForOutput(child: ChildProcess, re: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const s = child[stream]!;
    const onData = (b: Buffer): void => {
      text += b.toString();
      if (re.test(text)) {
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${re}: ${text}`)));
    setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${text}`)), 20_000).unref();
  });
}

/** Frames shorter than 60 bytes are padded by the engine NIC (as on the wire) but not by tcpdump, which sees them before the NIC would. */
export function normalise(f: Uint8Array): string {
  let n = f.length;
  if (n <= 60) while (n > 14 && f[n - 1] === 0) n--;
  return Buffer.from(f.subarray(0, n)).toString('hex');
}

/** pktlab's pcapng and tcpdump's file hold the same frames (as multisets); returns the frame count. */
export function assertSameFrames(pcapng: Uint8Array, tcpdumpFile: string, minFrames: number): number {
  const ours = readCapture(pcapng);
  const theirs = readCapture(readFileSync(tcpdumpFile));
  assert.ok(ours.ok && theirs.ok);
  const a = ours.value.packets.map((p) => normalise(p.data));
  const b = theirs.value.packets.map((p) => normalise(p.data));
  assert.ok(a.length >= minFrames, `expected at least ${minFrames} frames, got ${a.length}`);
  assert.deepEqual([...a].sort(), [...b].sort(), 'the same frames, as multisets');
  return a.length;
}
