/**
 * External tools that tests drive (tshark, text2pcap, ip, curl ...).
 * Under CI=true a missing tool is a failure (CI must install it); elsewhere the test is skipped with a
 * message naming the Debian package to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cache = new Map<string, boolean>();

export function haveTool(cmd: string): boolean {
  let v = cache.get(cmd);
  if (v === undefined) {
    v = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
    cache.set(cmd, v);
  }
  return v;
}

/** Call at the top of a test (or a before hook): skips outside CI, fails in CI, when `cmd` is missing. */
export function requireTool(ctx: Mocha.Context, cmd: string, debianPackage = cmd): void {
  if (haveTool(cmd)) return;
  const msg = `${cmd} is not installed (apt-get install -y ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI must install it in .ci/run`);
  console.log(`      (skipped: ${msg})`);
  ctx.skip();
}

/** True when running as root with /dev/net/tun and `ip netns` available (TAP tests). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && haveTool('ip') && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

/** A per-test artifact directory under test-artifacts/ (kept after the run for inspection). */
export function artifactDir(...parts: string[]): string {
  const dir = join(process.cwd(), 'test-artifacts', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string | Uint8Array } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 512 * 1024 * 1024 });
}
