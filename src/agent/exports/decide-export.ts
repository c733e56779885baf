import type { AuditSeverity } from '../audit';
import type { ExportAction, ExportOutcome } from './model';

/** What hashing found, reduced to what the decision needs. */
export type HashSummary =
  | { readonly state: 'vanished' }
  | { readonly state: 'unreadable'; readonly reason: string }
  | { readonly state: 'hashed'; readonly changedWhileHashed: boolean };

/** What the shell must do with the file, and how the record reads if that succeeds. */
export interface ExportPlan {
  readonly dispose: 'none' | 'quarantine' | 'delete';
  readonly outcome: ExportOutcome;
  readonly severity: AuditSeverity;
}

/**
 * Decides what happens to one written file from the destination's policy action and what hashing
 * found. A file we could not read is recorded but never moved or deleted: an unreadable entry may
 * be one outside the watched folder (a swapped link), and we never act outside it.
 */
export function decideExport(action: ExportAction, hash: HashSummary): ExportPlan {
  if (hash.state === 'vanished') return { dispose: 'none', outcome: 'vanished-before-hash', severity: 'notice' };
  if (hash.state === 'unreadable') return { dispose: 'none', outcome: 'unhashable', severity: 'warning' };
  switch (action) {
    case 'record':
      return hash.changedWhileHashed
        ? { dispose: 'none', outcome: 'changed-while-hashed', severity: 'notice' }
        : { dispose: 'none', outcome: 'recorded', severity: 'info' };
    case 'quarantine':
      return { dispose: 'quarantine', outcome: 'quarantined', severity: 'notice' };
    case 'delete':
      return { dispose: 'delete', outcome: 'deleted', severity: 'notice' };
  }
}

/**
 * The plan after the shell tried it: a failed quarantine or delete leaves the file on the medium,
 * which is an `alert` (the policy said it must not stay there).
 */
export function decideDisposeFailure(plan: ExportPlan): ExportPlan {
  return { dispose: plan.dispose, outcome: 'action-failed', severity: 'alert' };
}

/** How many times a file that keeps changing while hashed is re-hashed before we record what we have. */
export const maxHashAttempts = 3;
