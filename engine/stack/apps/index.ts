/**
 * Applications on a host's stack: an HTTP server and a curl-like client (with a load generator), an
 * authoritative DNS server and a glibc-like stub resolver.
 */
export {
  HttpServer,
  serverPage,
  parseServerPage,
  logTime,
  httpDate,
  type HttpRoute,
  type HttpServerOptions,
  type HttpServerStats,
  type AccessLogEntry,
  type ServerPageInfo,
} from './http-server.ts';
export {
  HttpClient,
  HttpAgent,
  staticResolver,
  curlVerbose,
  loadGenerator,
  type HostResolver,
  type ResolveFailure,
  type HttpClientOptions,
  type HttpRequestOptions,
  type HttpRequestCallbacks,
  type HttpRequestHandle,
  type HttpResult,
  type HttpTimings,
  type HttpPhase,
  type HttpPhaseKind,
  type LoadGeneratorOptions,
  type LoadEntry,
  type LoadReport,
  type LoadHandle,
} from './http-client.ts';
export {
  DnsServer,
  aRecord,
  parseIpv6Addr,
  type DnsServerOptions,
  type DnsServerStats,
  type DnsZoneConfig,
  type DnsZoneRecordSpec,
  type DnsQueryLogEntry,
} from './dns-server.ts';
export {
  DnsResolver,
  parseHostsFile,
  type DnsResolverOptions,
  type DnsResolverStats,
  type DnsQueryOptions,
  type DnsQueryResult,
  type DnsQueryFailure,
  type LookupError,
  type QueryHandle,
} from './dns-resolver.ts';
