/** Helpers shared by the lab tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CheckResult } from '../../../engine/lab/checks.ts';
import { formatProblem } from '../../../engine/lab/load.ts';
import { LabSession, type StepResult } from '../../../engine/lab/session.ts';

/** Opens a lab file as a session; fails the test with its problems when it does not load. */
export function openLabFile(file: string, seed?: number): LabSession {
  const r = LabSession.open(readFileSync(file, 'utf8'), file, seed === undefined ? {} : { seed });
  assert.ok(r.session, r.problems.map(formatProblem).join('\n'));
  return r.session;
}

/** The result of check `id` of a step; fails the test when the step has none. */
export function stepCheck(r: StepResult, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `${r.id}: no check ${id}`);
  return c;
}
