/**
 * The chapter's topology (LABS.md 08-01): clients on the outside segment with the VIPs, the Alteon
 * between the outside and the data centre segment, and three real servers reachable only through it.
 *
 *   client1..4 13.246.100.11-14/24 ── outside ── alteon ── inside ── real1 92.75.100.82
 *                (VIPs 13.246.100.25, .174)     .1 / .1              real2 92.75.100.41
 *                                                                    real3 92.75.100.141
 */
import { Network } from '../../../../engine/net/network.ts';
import { Host } from '../../../../engine/devices/host.ts';
import { httpService } from '../../../../engine/devices/host/services.ts';
import { L4Switch } from '../../../../engine/devices/l4switch/index.ts';
import type { HttpServer } from '../../../../engine/stack/apps/index.ts';
import { parseServerPage } from '../../../../engine/stack/apps/http-server.ts';
import { ms, sec } from '../../../../engine/sim/time.ts';

/** The chapter's configuration, exactly as printed in the seed. */
export const CHAPTER_CONFIG = `/c/slb on
/c/slb/real 1
ena
ipver v4
rip 92.75.100.82
/c/slb/real 2
ena
ipver v4
rip 92.75.100.41
/c/slb/real 3
ena
ipver v4
rip 92.75.100.141
/c/slb/group 1
ipver v4
metric roundrobin
add 1
add 2
/c/slb/group 2
ipver v4
metric roundrobin
add 2
add 3
/c/slb/virt 1
ena
ipver v4
vip 13.246.100.25
/c/slb/virt 1/service http
group 1
rport 30080
/c/slb/virt 2
ena
ipver v4
vip 13.246.100.174
/c/slb/virt 2/service 6800
group 2
rport 18600`;

export interface Lab {
  net: Network;
  alteon: L4Switch;
  clients: Host[];
  reals: Host[];
  /** HTTP servers per real (real N → its servers by port). */
  web: Map<string, Map<number, HttpServer>>;
}

export function buildLab(opts: { seed?: number; clients?: number; delayMs?: number } = {}): Lab {
  const net = new Network({ seed: opts.seed ?? 1 });
  const outside = net.addSegment('outside');
  const inside = net.addSegment('inside');
  const alteon = new L4Switch(net, 'alteon', { outside: ['13.246.100.1/24'], inside: ['92.75.100.1/24'] });
  outside.attach(alteon.outside);
  inside.attach(alteon.inside);
  const clients: Host[] = [];
  for (let i = 1; i <= (opts.clients ?? 1); i++) {
    const c = new Host(net, `client${i}`);
    outside.attach(c.addInterface('eth0', { addresses: [`13.246.100.${10 + i}/24`] }));
    c.addRoute({ dst: 'default', via: '13.246.100.1' });
    clients.push(c);
  }
  const realSpec: [string, string, number[]][] = [
    ['real1', '92.75.100.82', [30080]],
    ['real2', '92.75.100.41', [30080, 18600]],
    ['real3', '92.75.100.141', [18600]],
  ];
  const reals: Host[] = [];
  const web = new Map<string, Map<number, HttpServer>>();
  for (const [name, addr, ports] of realSpec) {
    const h = new Host(net, name);
    inside.attach(h.addInterface('eth0', { addresses: [`${addr}/24`] }));
    h.addRoute({ dst: 'default', via: '92.75.100.1' });
    const m = new Map<number, HttpServer>();
    for (const p of ports) {
      const svc = httpService({ unit: ports.length > 1 ? `nginx-${p}` : 'nginx', ports: [p] });
      h.addService(svc);
      m.set(p, svc.server!);
    }
    web.set(name, m);
    reals.push(h);
  }
  return { net, alteon, clients, reals, web };
}

/** curl from a client; returns the server page's name and served-by, or the curl error text. */
export function curl(lab: Lab, client: Host, url: string): string {
  const ex = client.run(`curl -s -m 5 ${url}`, sec(10));
  // Let the connection's last ACK through, so the switch has closed the session.
  lab.net.runFor(ms(5));
  const p = parseServerPage(ex.stdout);
  if (p === null) return `error(${ex.exitCode}): ${ex.output.trim()}`;
  return `${p.server} ${p.servedBy}`;
}
