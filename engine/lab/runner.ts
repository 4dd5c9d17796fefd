/**
 * Auto mode: runs every step of a lab headless — enter the step, perform its setup and solution
 * actions, let the network settle, evaluate its checks — and grades the run. `runLab` does it in
 * virtual time; `runLabAsync` also in wall time when the session has real hosts (same flow).
 * Score = weight of passed checks / weight of all checks.
 */
import type { LocalText } from './normalize.ts';
import { SETTLE_TIME, type ActionResult, type Flow, type LabSession, type StepInfo, type StepResult } from './session.ts';

export interface RunHooks {
  /** A step is about to run (before its setup actions). */
  onStepStart?(step: StepInfo, count: number): void;
  onStepDone?(result: StepRunResult, count: number): void;
}

export interface StepRunResult extends StepResult {
  readonly actions: readonly ActionResult[];
  /** An action that could not be performed (the step then fails). */
  readonly error: string | null;
}

export interface LabRunResult {
  readonly id: string;
  readonly title: LocalText;
  readonly seed: number;
  readonly pass: boolean;
  readonly earned: number;
  readonly total: number;
  readonly checksPassed: number;
  readonly checks: number;
  readonly steps: readonly StepRunResult[];
}

export function runLab(session: LabSession, hooks: RunHooks = {}): LabRunResult {
  return session.drive(labFlow(session, hooks));
}

/** runLab, in wall time while the session has real hosts. */
export function runLabAsync(session: LabSession, hooks: RunHooks = {}): Promise<LabRunResult> {
  return session.driveAsync(labFlow(session, hooks));
}

export function* labFlow(session: LabSession, hooks: RunHooks = {}): Flow<LabRunResult> {
  const steps: StepRunResult[] = [];
  const n = session.steps.length;
  for (const step of session.steps) {
    hooks.onStepStart?.(step, n);
    session.enterStep(step.index);
    const actions: ActionResult[] = [];
    let error: string | null = null;
    try {
      for (const a of step.setup) actions.push(yield* session.performFlow(a));
      for (const a of step.solution) actions.push(yield* session.performFlow(a));
      yield* session.sleepFlow(SETTLE_TIME);
    } catch (e) {
      error = (e as Error).message;
    }
    const r = yield* session.checkFlow(step.index);
    const sr: StepRunResult = { ...r, pass: r.pass && error === null, actions, error };
    steps.push(sr);
    hooks.onStepDone?.(sr, n);
  }
  const all = steps.flatMap((s) => s.checks);
  const earned = steps.reduce((a, s) => a + s.earned, 0);
  const total = steps.reduce((a, s) => a + s.total, 0);
  return {
    id: session.id,
    title: session.title,
    seed: session.seed,
    pass: steps.every((s) => s.pass),
    earned,
    total,
    checksPassed: all.filter((c) => c.pass).length,
    checks: all.length,
    steps,
  };
}
