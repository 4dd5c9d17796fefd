/** Topologies for the device tests: hosts on a segment, and hosts behind two routers. */
import { Network } from '../../../engine/net/network.ts';
import { Host } from '../../../engine/devices/host.ts';
import { dnsService, httpService } from '../../../engine/devices/host/services.ts';
import type { Node } from '../../../engine/net/node.ts';

/** client1 10.0.0.1/24 and server1 10.0.0.2/24 on one segment. */
export function twoHosts(seed = 1): { net: Network; client: Host; server: Host } {
  const net = new Network({ seed });
  const lan = net.addSegment('lan');
  const client = new Host(net, 'client1');
  const server = new Host(net, 'server1');
  lan.attach(client.addInterface('eth0', { addresses: ['10.0.0.1/24'] }));
  lan.attach(server.addInterface('eth0', { addresses: ['10.0.0.2/24'] }));
  return { net, client, server };
}

/**
 * lan0 10.0.0.0/24: client1 .1, ns1 .53 (named, zone lab.example), r1 .254
 * r1 10.0.1.1/24 — r2 10.0.1.254/24 (a link with 1 ms delay)
 * lan2 10.0.2.0/24: r2 .254, web1 .2 (nginx)
 */
export function routedLab(seed = 1): { net: Network; client: Host; ns: Host; web: Host; r1: Node; r2: Node } {
  const net = new Network({ seed });
  const lan0 = net.addSegment('lan0');
  const lan2 = net.addSegment('lan2');
  const client = new Host(net, 'client1', { nameservers: ['10.0.0.53'], search: ['lab.example'] });
  const ns = new Host(net, 'ns1');
  const web = new Host(net, 'web1');
  const r1 = net.addNode('r1', { ipForwarding: true });
  const r2 = net.addNode('r2', { ipForwarding: true });
  lan0.attach(client.addInterface('eth0', { addresses: ['10.0.0.1/24'] }));
  lan0.attach(ns.addInterface('eth0', { addresses: ['10.0.0.53/24'] }));
  lan0.attach(r1.addInterface('eth0', { addresses: ['10.0.0.254/24'] }));
  net.addLink(r1.addInterface('eth1', { addresses: ['10.0.1.1/24'] }), r2.addInterface('eth0', { addresses: ['10.0.1.254/24'] }), { delay: 1_000_000 });
  lan2.attach(r2.addInterface('eth1', { addresses: ['10.0.2.254/24'] }));
  lan2.attach(web.addInterface('eth0', { addresses: ['10.0.2.2/24'] }));
  client.addRoute({ dst: 'default', via: '10.0.0.254' });
  ns.addRoute({ dst: 'default', via: '10.0.0.254' });
  web.addRoute({ dst: 'default', via: '10.0.2.254' });
  r1.addRoute({ dst: '10.0.2.0/24', via: '10.0.1.254' });
  r2.addRoute({ dst: '10.0.0.0/24', via: '10.0.1.1' });
  web.addService(httpService());
  ns.addService(
    dnsService({
      zones: [
        {
          origin: 'lab.example',
          records: [
            { name: 'web', type: 'A', value: '10.0.2.2' },
            { name: 'www', type: 'CNAME', value: 'web.lab.example' },
            { name: 'ns1', type: 'A', value: '10.0.0.53' },
          ],
        },
      ],
    }),
  );
  return { net, client, ns, web, r1, r2 };
}

/** Runs lines on a host and returns a transcript with prompts, as a console shows it. */
export function transcript(h: Host, lines: readonly string[]): string {
  let s = '';
  for (const l of lines) {
    const ex = h.run(l);
    s += `${h.shell.prompt()}${l}\n${ex.output}`;
  }
  return s;
}
