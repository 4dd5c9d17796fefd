/**
 * engine/stack: host transports over the IpHost seam. `new Stack(host)` installs TCP (protocol 6)
 * and UDP (protocol 17) on a host; apps use `stack.tcp` like Node's `net` and `stack.udp` like `dgram`.
 */
import type { IpHost } from '../net/ip-host.ts';
import { TcpLayer, type TcpOptions } from './tcp.ts';
import { UdpLayer } from './udp.ts';

export * from './tcp.ts';
export * from './udp.ts';
export { Emitter, type EventMap, type Listener } from './events.ts';
export { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './tcp-buffer.ts';

export interface StackOptions {
  readonly tcp?: TcpOptions;
}

export class Stack {
  readonly tcp: TcpLayer;
  readonly udp: UdpLayer;

  constructor(
    readonly host: IpHost,
    opts: StackOptions = {},
  ) {
    this.tcp = new TcpLayer(host, opts.tcp);
    this.udp = new UdpLayer(host);
  }

  dispose(): void {
    this.tcp.dispose();
    this.udp.dispose();
  }
}
