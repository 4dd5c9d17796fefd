/**
 * `npm run web`: builds the renderer and the engine host worker, starts the engine host in a worker
 * thread and serves pktlab on 127.0.0.1 with a per-run token; prints the URL and keeps serving until
 * interrupted. `--port N` picks the port (default: any free one).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngineHost, repoRoot } from '../../engine/host/index.ts';
import { buildEngineWorker, buildRenderer } from '../build.ts';
import { startWebServer, type WebServer } from './server.ts';

export interface WebMode {
  readonly server: WebServer;
  stop(): Promise<void>;
}

export function systemLocale(): string {
  return process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || Intl.DateTimeFormat().resolvedOptions().locale;
}

export async function startWebMode(opts: { port?: number; labsDir?: string; defaultLab?: string } = {}): Promise<WebMode> {
  const [rendererDir, workerFile] = await Promise.all([buildRenderer(), buildEngineWorker()]);
  const version = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const host = startEngineHost({
    workerFile,
    version,
    locale: systemLocale(),
    ...(opts.labsDir ? { labsDir: opts.labsDir } : {}),
    ...(opts.defaultLab ? { defaultLab: opts.defaultLab } : {}),
  });
  const server = await startWebServer({ rendererDir, host, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return {
    server,
    async stop() {
      await server.close();
      await host.close();
    },
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const i = argv.indexOf('--port');
  const port = i >= 0 ? Number(argv[i + 1]) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    console.error('usage: npm run web [-- --port N]');
    process.exitCode = 2;
    return;
  }
  const web = await startWebMode(port !== undefined ? { port } : {});
  console.log(`pktlab is serving on ${web.server.origin} (127.0.0.1 only). Open this URL in a browser:`);
  console.log(`  ${web.server.url}`);
  console.log('Press Ctrl-C to stop.');
  const stop = (): void => {
    void web.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) await main(process.argv.slice(2));
