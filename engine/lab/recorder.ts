/**
 * Capture points on interfaces for code that builds a network by hand (tests, benchmarks, TAP tools)
 * rather than from a lab file: a thin front on the lab's CaptureStore, so there is one capture
 * implementation. Every address the network's devices own is named after its device in the Name
 * Resolution Block, so Wireshark shows device names.
 */
import type { NameRecord } from '../capture/pcapng-writer.ts';
import type { Network } from '../net/network.ts';
import type { Disposable } from '../net/ip-host.ts';
import { DEFAULT_EPOCH_NS } from '../sim/time.ts';
import { CaptureStore, type CapturePointSpec } from './captures.ts';

export interface CapturePoint {
  /** Interface name in pcapng (if_name), e.g. "alteon:outside"; default "node:ifname". */
  readonly name?: string;
  readonly node: string;
  readonly ifname: string;
  readonly description?: string;
}

export interface RecorderOptions {
  readonly epochNs?: bigint;
  /** Extra address names (e.g. a VIP → "vip1"), listed before the device names. */
  readonly names?: readonly NameRecord[];
}

/** Every address configured on the network's (non-loopback) interfaces, named after its node. */
export function deviceAddressNames(network: Network): NameRecord[] {
  const out: NameRecord[] = [];
  for (const node of network.nodes()) {
    for (const iface of node.interfaces()) {
      if (iface.loopback) continue;
      for (const a of iface.addresses) out.push({ addr: a.addr, names: node.name });
    }
  }
  return out;
}

export class PcapngRecorder implements Disposable {
  private readonly specs: CapturePointSpec[];
  private store: CaptureStore | null = null;

  constructor(
    private readonly network: Network,
    points: readonly CapturePoint[],
    private readonly opts: RecorderOptions = {},
  ) {
    const seen = new Set<string>();
    this.specs = points.map((p) => {
      const iface = network.node(p.node).iface(p.ifname);
      if (seen.has(iface.fullName)) throw new Error(`capture point ${iface.fullName} is listed twice`);
      seen.add(iface.fullName);
      return {
        name: p.name ?? iface.fullName,
        at: `${p.node}.${p.ifname}`,
        kind: 'interface',
        ifName: p.name ?? iface.fullName,
        description: null,
        what: p.description ?? `${p.node} interface ${p.ifname}`,
        interfaces: [iface],
      };
    });
  }

  /** Starts recording (once); names are taken from the devices' addresses at this moment. */
  start(): this {
    this.store ??= new CaptureStore(this.network, this.specs, {
      epochNs: this.opts.epochNs ?? DEFAULT_EPOCH_NS,
      names: [...(this.opts.names ?? []), ...deviceAddressNames(this.network)],
    });
    return this;
  }

  stop(): void {
    this.store?.dispose();
  }

  dispose(): void {
    this.stop();
  }

  /** Packets recorded at a capture point, by its position in the constructor's list. */
  packetCount(index: number): number {
    return this.store?.packets(index).length ?? 0;
  }

  get packets(): number {
    return this.store?.total ?? 0;
  }

  toBytes(): Uint8Array {
    return (this.start().store as CaptureStore).toBytes();
  }
}
