/**
 * nginx (Debian package) inside a namespace, for the TAP tests and bench/tap.ts: a generated config in
 * a temp dir (logs, pid and temp paths all inside it), run in the foreground through the namespace's
 * spawn, no system service. The page has the engine HttpServer's layout, so parseServerPage reads it.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Something that spawns inside a namespace (RealHost, Netns). */
export interface NsSpawner {
  spawn(cmd: string, args?: readonly string[], opts?: SpawnOptions): ChildProcess;
  exec(cmd: string, args?: readonly string[]): Promise<{ stdout: string; code: number | null }>;
}

export interface NginxOptions {
  /** Name on the page (`<h1>`). */
  readonly name: string;
  readonly port: number;
  /** worker_processes; default 1. */
  readonly workers?: number | 'auto';
  /** Write an access log (default true); off for benchmarks. */
  readonly accessLog?: boolean;
}

export interface Nginx {
  readonly dir: string;
  readonly process: ChildProcess;
  readonly accessLog: string;
  /** Kills nginx (if still running) and removes the temp dir. */
  stop(): Promise<void>;
}

export function nginxConf(dir: string, o: NginxOptions): string {
  const page =
    `<!DOCTYPE html>\n<html>\n<head><title>${o.name}</title></head>\n<body>\n<h1>${o.name}</h1>\n` +
    `<p>served by $server_addr:$server_port</p>\n<p>client $remote_addr:$remote_port</p>\n<p>host $host</p>\n` +
    `<p>nginx/$nginx_version in a pktlab namespace</p>\n</body>\n</html>\n`;
  return `worker_processes ${o.workers ?? 1};
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  ${o.accessLog === false ? 'access_log off;' : `access_log ${dir}/access.log;`}
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen ${o.port};
    default_type text/html;
    location / { return 200 '${page}'; }
  }
}
`;
}

/** Starts nginx inside `ns` and waits until it listens on the port. */
export async function startNginx(ns: NsSpawner, o: NginxOptions): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'pktlab-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, o));
  const child = ns.spawn('nginx', ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', conf, '-g', `daemon off; pid ${dir}/nginx.pid;`]);
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const ss = await ns.exec('ss', ['-Hltn', `sport = :${o.port}`]);
      if (ss.stdout.includes(`:${o.port}`)) break;
      if (i >= 100 || child.exitCode !== null) throw new Error(`nginx did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, process: child, accessLog: join(dir, 'access.log'), stop };
}
