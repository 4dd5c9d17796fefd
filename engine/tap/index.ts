/**
 * engine/tap: Linux TAP devices (through koffi, loaded only when a TAP is opened), network namespaces
 * for real hosts, and the link joining a TAP to an engine interface. See docs/tap.md.
 */
export { openTap, TapError, TapCounters, errnoName, isValidIfName, IFNAMSIZ, type TapDevice, type TapOpenOptions, type FrameHandler } from './tun.ts';
export {
  Netns,
  registry,
  removeStale,
  removeNamespaceSync,
  listNamespaces,
  execFile,
  ip,
  ipBinary,
  validateNsName,
  NS_PREFIX,
  TAP_PREFIX,
  type ExecOptions,
  type ExecResult,
  type StaleReport,
} from './netns.ts';
export { TapLink, TapLinkCounters, attachTap, realTimePacerOf, tapLinkCount, type TapLinkMode, type TapLinkOptions } from './tap-link.ts';
export {
  RealHost,
  makeReal,
  namespaceName,
  tapName,
  removeStaleOnce,
  type RealHostOptions,
  type RealRoute,
  type MakeRealOptions,
  type RealNode,
} from './real-host.ts';
