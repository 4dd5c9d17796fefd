/** The emulated Alteon L4 switch: SLB data plane, health checks and the Alteon CLI. */
export { L4Switch, SlbSession, type L4SwitchOptions } from './switch.ts';
export { AlteonCli, NullRuntime, alteonTime, type AlteonCliOptions, type RealRuntimeInfo, type SlbRuntime } from './cli.ts';
export * from './config.ts';
export { Selector, mix32, type Candidate } from './select.ts';
export { HealthCheck, type HealthCheckSpec } from './health.ts';
export { SessionCounters, SlbMaintCounters, maintLines } from './stats.ts';
