/**
 * Real-time pacing: drives a Scheduler so that virtual time follows the wall clock, scaled by a speed
 * factor. This is the only module of the engine that reads the wall clock (scripts/lint.ts); the
 * scheduler itself stays deterministic, and the pacer only decides *when* its events run, never
 * their order.
 *
 *   virtual now = virtual time at the last (re)anchor + wall time elapsed since then × speed
 *
 * The anchor moves on start, resume and setSpeed, so pausing freezes virtual time and resuming
 * continues without a jump. Each tick runs the events that are due with a bounded amount of work,
 * then sleeps (setTimeout) until the next event is due, or yields (setImmediate) when it is behind, so
 * the Node event loop is never blocked for long. With nothing scheduled it holds no timer at all and
 * waits for wake().
 *
 * Injecting work from outside (a frame read from a TAP fd, a UI command): call `sync()` to bring the
 * scheduler's `now` up to the current virtual time, schedule the event, then `wake()` so the pacer
 * re-plans its sleep.
 */
import type { IDisposable } from './disposable.ts';
import type { Scheduler } from './scheduler.ts';
import { MAX_NANOS, type Nanos } from './time.ts';

export interface PacerOptions {
  /** Virtual seconds per wall second; 1 = real time, 10 = ten times faster. Default 1. */
  readonly speed?: number;
  /** Most events run in one tick before yielding to the event loop. Default 10 000. */
  readonly maxEventsPerTick?: number;
  /** Most wall milliseconds spent in one tick before yielding. Default 10. */
  readonly maxTickMs?: number;
  /**
   * Called when an event callback throws during a tick; the pacer has stopped by then. Without it the
   * error is rethrown from the timer callback (an uncaught exception, so it is never silently lost).
   */
  readonly onError?: (err: unknown) => void;
}

/** Longest single setTimeout; longer sleeps wake early and sleep again. */
const MAX_SLEEP_MS = 3_600_000;

function wallMs(): number {
  return performance.now();
}

function checkSpeed(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`RealTimePacer: speed must be a finite number > 0, got ${x}`);
  return x;
}

export class RealTimePacer implements IDisposable {
  private speedFactor: number;
  private readonly maxEventsPerTick: number;
  private readonly maxTickMs: number;
  private readonly onError: ((err: unknown) => void) | undefined;

  private isRunning = false;
  private isPaused = false;
  private anchorVirtual: Nanos = 0;
  private anchorWall = 0;
  private timeout: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(
    readonly scheduler: Scheduler,
    options: PacerOptions = {},
  ) {
    this.speedFactor = checkSpeed(options.speed ?? 1);
    this.maxEventsPerTick = Math.max(1, options.maxEventsPerTick ?? 10_000);
    this.maxTickMs = Math.max(0, options.maxTickMs ?? 10);
    this.onError = options.onError;
  }

  get running(): boolean {
    return this.isRunning;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get speed(): number {
    return this.speedFactor;
  }

  /** True while a wake-up (timer or immediate) is pending; false after stop(). */
  get hasPendingWakeup(): boolean {
    return this.timeout !== undefined || this.immediate !== undefined;
  }

  /**
   * The virtual time the wall clock corresponds to now (never behind the scheduler's own clock).
   * Frozen while paused; the scheduler's `now` when not running.
   */
  virtualNow(): Nanos {
    const s = this.scheduler.now;
    if (!this.isRunning) return s;
    if (this.isPaused) return Math.max(s, this.anchorVirtual);
    const v = Math.floor(this.anchorVirtual + (wallMs() - this.anchorWall) * 1e6 * this.speedFactor);
    return Math.min(MAX_NANOS, Math.max(s, v));
  }

  /** Starts pacing from the scheduler's current time. No-op when already running. */
  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    this.isPaused = false;
    this.anchor(this.scheduler.now);
    this.wakeSoon();
  }

  /**
   * Freezes virtual time. Events that were already due run now (unless called from inside an event,
   * in which case they run after resume), so the scheduler's `now` shows the frozen time.
   */
  pause(): void {
    if (!this.isRunning || this.isPaused) return;
    const frozen = this.virtualNow();
    this.isPaused = true;
    this.anchorVirtual = frozen;
    this.clearWakeup();
    if (!this.scheduler.running) this.scheduler.runUntil(Math.max(frozen, this.scheduler.now));
  }

  /** Continues from the frozen time (or later, if events were stepped while paused). */
  resume(): void {
    if (!this.isRunning || !this.isPaused) return;
    this.isPaused = false;
    this.anchor(Math.max(this.anchorVirtual, this.scheduler.now));
    this.wakeSoon();
  }

  /** Changes the speed factor without a jump in virtual time. */
  setSpeed(x: number): void {
    checkSpeed(x);
    if (this.isRunning && !this.isPaused) this.anchor(this.virtualNow());
    this.speedFactor = x;
    if (this.isRunning && !this.isPaused) this.wakeSoon();
  }

  /** Stops pacing and cancels its timers. The scheduler and its events are left as they are. */
  stop(): void {
    this.isRunning = false;
    this.isPaused = false;
    this.clearWakeup();
  }

  dispose(): void {
    this.stop();
  }

  /** Re-plans the sleep after events were scheduled from outside a tick. */
  wake(): void {
    if (this.isRunning && !this.isPaused) this.wakeSoon();
  }

  /**
   * Runs the events that are due and advances the scheduler's `now` to the current virtual time, so an
   * event scheduled right after is stamped with the right time. Returns that time. Must not be called
   * from inside an event callback (the scheduler is already at the right time there).
   */
  sync(): Nanos {
    if (!this.isRunning) return this.scheduler.now;
    const target = this.virtualNow();
    this.scheduler.runUntil(target);
    return this.scheduler.now;
  }

  // --- internals -------------------------------------------------------------------------------------

  private anchor(virtual: Nanos): void {
    this.anchorVirtual = virtual;
    this.anchorWall = wallMs();
  }

  private clearWakeup(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }

  private wakeSoon(): void {
    this.clearWakeup();
    this.immediate = setImmediate(this.tick);
  }

  private readonly tick = (): void => {
    this.timeout = undefined;
    this.immediate = undefined;
    if (!this.isRunning || this.isPaused) return;
    try {
      this.runDue();
    } catch (err) {
      this.stop();
      if (this.onError === undefined) throw err;
      this.onError(err);
    }
  };

  private runDue(): void {
    const s = this.scheduler;
    const started = wallMs();
    const target = this.virtualNow();
    let n = 0;
    for (;;) {
      const next = s.nextEventTime();
      if (next === undefined || next > target) break;
      // Bounded work per tick: yield and come back at once when behind.
      if (n >= this.maxEventsPerTick || ((n & 63) === 63 && wallMs() - started > this.maxTickMs)) {
        this.immediate = setImmediate(this.tick);
        return;
      }
      s.step();
      n++;
      // An event may have paused or stopped the pacer (a lab breakpoint, a UI action).
      if (!this.isRunning || this.isPaused || this.hasPendingWakeup) return;
    }
    s.runUntil(target); // nothing left at or before target: just move the clock
    this.sleepUntilNext();
  }

  private sleepUntilNext(): void {
    const next = this.scheduler.nextEventTime();
    if (next === undefined) return; // idle: wake() brings us back
    const waitMs = (next - this.virtualNow()) / (1e6 * this.speedFactor);
    if (waitMs <= 0) this.immediate = setImmediate(this.tick);
    else this.timeout = setTimeout(this.tick, Math.min(MAX_SLEEP_MS, Math.ceil(waitMs)));
  }
}
