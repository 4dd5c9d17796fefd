/**
 * Fixtures for the app tests: hosts with a Stack on engine/net's two-host LAN (test/engine/net/util.ts),
 * more hosts on the same segment, and a pcapng writer fed by the trace bus.
 */
import type { Network } from '../../../../engine/net/network.ts';
import type { Node } from '../../../../engine/net/node.ts';
import { Stack } from '../../../../engine/stack/index.ts';
import { twoHosts } from '../../net/util.ts';

export { capture } from '../../net/util.ts';

export const MS = 1_000_000;
export const SEC = 1_000_000_000;

export interface AppNet {
  net: Network;
  h1: Node;
  h2: Node;
  /** Stack of h1 (10.0.0.1), the client side. */
  s1: Stack;
  /** Stack of h2 (10.0.0.2), the server side. */
  s2: Stack;
}

/** h1 10.0.0.1 and h2 10.0.0.2 on segment 'lan', each with a Stack. */
export function appNet(seed = 1): AppNet {
  const { net, h1, h2 } = twoHosts(seed);
  return { net, h1, h2, s1: new Stack(h1), s2: new Stack(h2) };
}

/** Another host with a Stack on segment 'lan' (address like '10.0.0.53/24'). */
export function addHost(net: Network, name: string, cidr: string): { node: Node; stack: Stack } {
  const node = net.addNode(name);
  net.segment('lan').attach(node.addInterface('eth0', { addresses: [cidr] }));
  return { node, stack: new Stack(node) };
}

