/**
 * "Open in Wireshark": finds an installed Wireshark and opens a capture in it (a temporary pcapng in
 * a private directory). The UI offers the action only when `findWireshark` finds one.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Wireshark executable, or null. */
export function findWireshark(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  const names = platform === 'win32' ? ['Wireshark.exe'] : ['wireshark'];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const n of names) if (executable(join(dir, n))) return join(dir, n);
  }
  const fixed =
    platform === 'darwin'
      ? ['/Applications/Wireshark.app/Contents/MacOS/Wireshark']
      : platform === 'win32'
        ? [join(env.ProgramFiles ?? 'C:\\Program Files', 'Wireshark', 'Wireshark.exe')]
        : [];
  return fixed.find(executable) ?? null;
}

/** Writes `pcapng` to a private temporary file and starts Wireshark on it (detached). */
export function openInWireshark(exe: string, pcapng: Uint8Array, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pktlab-'));
  const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`);
  writeFileSync(file, pcapng, { mode: 0o600 });
  // Arguments as a list, no shell: the file name cannot be interpreted as a command.
  const child = spawn(exe, ['-r', file], { detached: true, stdio: 'ignore', shell: false });
  child.on('error', () => {});
  child.unref();
  return file;
}
