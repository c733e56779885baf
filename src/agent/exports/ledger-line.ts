import { z } from 'zod';
import type { ExportRecord } from './model';

const volumeSchema = z.strictObject({ serial: z.string().optional(), fsUuid: z.string().optional(), mountPoint: z.string() });

const recordSchema = z.strictObject({
  path: z.string(),
  destinationId: z.string(),
  volume: volumeSchema,
  kind: z.enum(['file', 'symlink', 'other']),
  sizeBytes: z.number().int().nonnegative().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  previousSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  user: z.string().optional(),
  uid: z.number().int().nonnegative().optional(),
  mtimeMs: z.number().optional(),
  time: z.string(),
  action: z.enum(['record', 'quarantine', 'delete']),
  outcome: z.enum(['recorded', 'quarantined', 'deleted', 'vanished-before-hash', 'changed-while-hashed', 'unhashable', 'action-failed']),
  quarantinePath: z.string().optional(),
  reason: z.string().optional(),
});

/** One line of the ledger file (JSONL): the record as JSON, no trailing newline. */
export function serializeLedgerRecord(record: ExportRecord): string {
  return JSON.stringify(record);
}

/**
 * Parses one ledger line; `undefined` for a line that is not a record (torn last line after a
 * crash, or an edit). The caller counts and reports those, it never trusts them.
 */
export function parseLedgerLine(line: string): ExportRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // not JSON: reported by the caller as a bad line
  }
  const parsed = recordSchema.safeParse(value);
  return parsed.success ? (parsed.data as ExportRecord) : undefined;
}
