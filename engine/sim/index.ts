/** engine/sim: virtual time, the deterministic scheduler, seeded random streams, real-time pacing. */
export {
  type Nanos,
  type DurationResult,
  MAX_NANOS,
  NS_PER_US,
  NS_PER_MS,
  NS_PER_SEC,
  us,
  ms,
  sec,
  isNanos,
  parseDuration,
  formatDuration,
  DEFAULT_EPOCH_NS,
  absoluteNs,
} from './time.ts';
export { Scheduler, Timer, type EventFn, type EventHook } from './scheduler.ts';
export { Random, RandomStream, type Seed, seedToBigInt, deriveStream, SplitMix64, mix64, fnv1a64 } from './random.ts';
export { RealTimePacer, type PacerOptions } from './pacer.ts';
export { DisposableStore, type IDisposable, toDisposable } from './disposable.ts';
