/** engine/net: nodes, interfaces, segments, links, ARP, routing, the hook chain and conntrack. */
export { Network, type NetworkOptions } from './network.ts';
export { Node, NodeCounters, type NodeOptions } from './node.ts';
export { Interface, InterfaceCounters, type Attachment, type InterfaceAddress, type InterfaceOptions, type TapListener } from './interface.ts';
export { Segment, SegmentPort, SegmentCounters, type SegmentOptions, type MacTableEntry } from './segment.ts';
export { Link, LinkDirectionCounters, type LinkOptions } from './link.ts';
export { Route, RouteTable, parseRouteDst, type RouteSpec, type RouteProto } from './route-table.ts';
export { ArpCache, ArpCounters, LINUX_ARP_DEFAULTS, type ArpOptions, type NeighState, type NeighbourInfo } from './neighbour.ts';
export { HookChain, HookContext, HookPriority, HOOK_POINTS, type HookFn, type HookPoint, type Verdict } from './hooks.ts';
export {
  Conntrack,
  ConntrackEntry,
  ConntrackStats,
  CtTuple,
  CT_ORIGINAL,
  CT_REPLY,
  LINUX_CT_TIMEOUTS,
  TCP_CT_STATES,
  type ConntrackOptions,
  type ConntrackTimeouts,
  type CtDirection,
  type TcpCtState,
} from './conntrack.ts';
export { fragmentDatagram, Reassembler } from './fragment.ts';
export { TraceBus, type TraceEvent, type TraceListener, type TraceDirection } from './trace.ts';
export type * from './ip-host.ts';
