import { describe, expect, it } from 'vitest';
import { decideDisposeFailure, decideExport, type HashSummary } from './decide-export';
import type { ExportAction } from './model';

const hashed: HashSummary = { state: 'hashed', changedWhileHashed: false };
const changed: HashSummary = { state: 'hashed', changedWhileHashed: true };

describe('decideExport', () => {
  const table: [ExportAction, HashSummary, string, string][] = [
    ['record', hashed, 'none', 'recorded'],
    ['record', changed, 'none', 'changed-while-hashed'],
    ['quarantine', hashed, 'quarantine', 'quarantined'],
    ['quarantine', changed, 'quarantine', 'quarantined'],
    ['delete', hashed, 'delete', 'deleted'],
    ['record', { state: 'vanished' }, 'none', 'vanished-before-hash'],
    ['delete', { state: 'vanished' }, 'none', 'vanished-before-hash'],
    ['quarantine', { state: 'unreadable', reason: 'outside-root' }, 'none', 'unhashable'],
    ['delete', { state: 'unreadable', reason: 'EACCES' }, 'none', 'unhashable'],
  ];
  it.each(table)('%s + %j → %s / %s', (action, hash, dispose, outcome) => {
    const plan = decideExport(action, hash);
    expect(plan.dispose).toBe(dispose);
    expect(plan.outcome).toBe(outcome);
  });

  it('a failed quarantine or delete becomes an alert', () => {
    const plan = decideDisposeFailure(decideExport('delete', hashed));
    expect(plan).toEqual({ dispose: 'delete', outcome: 'action-failed', severity: 'alert' });
  });
});
