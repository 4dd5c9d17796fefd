/** Services for `systemctl`: the HTTP server (nginx) and DNS server (named) apps of engine/stack/apps. */
import { DnsServer, HttpServer, type DnsServerOptions, type HttpServerOptions } from '../../stack/apps/index.ts';
import type { Host, HostService } from '../host.ts';

/** nginx (or any unit name) serving with HttpServer; `server` is available once the host exists. */
export function httpService(opts: Partial<HttpServerOptions> & { readonly unit?: string } = {}): HostService & { server: HttpServer | null } {
  const unit = opts.unit ?? 'nginx';
  const svc = {
    name: unit,
    description: unit === 'nginx' ? 'A high performance web server and a reverse proxy server' : 'The Apache HTTP Server',
    exec: unit === 'nginx' ? 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;' : '/usr/sbin/apache2 -k start',
    server: null as HttpServer | null,
    start(host: Host): void {
      svc.server ??= new HttpServer(host.stack, { name: host.name, app: unit, ...opts });
      svc.server.start();
    },
    stop(): void {
      svc.server?.stop();
    },
  };
  return svc;
}

/** named (BIND) serving zones with DnsServer. */
export function dnsService(opts: DnsServerOptions & { readonly unit?: string }): HostService & { server: DnsServer | null } {
  const unit = opts.unit ?? 'named';
  const svc = {
    name: unit,
    description: 'BIND Domain Name Server',
    exec: '/usr/sbin/named -f -u bind',
    server: null as DnsServer | null,
    start(host: Host): void {
      svc.server ??= new DnsServer(host.stack, { app: unit, ...opts });
      svc.server.start();
    },
    stop(): void {
      svc.server?.stop();
    },
  };
  return svc;
}
