import { z } from 'zod';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';

/**
 * The policy manager's durable state, encoded as one JSON document (stored through the
 * PolicyStateStore port): the highest accepted version of each policy id with its payload hash
 * (rollback protection survives restarts), and the last good bundle, byte for byte, with where it
 * came from.
 */

/** Value of the state document's `format` field. */
export const policyStateFormat = 'mynumber-guard.policy-state/v1';

/** The highest version accepted for one policy id. */
export interface AcceptedVersion {
  readonly version: number;
  /** SHA-256 (hex) of the payload accepted at that version. */
  readonly payloadSha256: string;
}

/** One policy id's rollback record. */
export interface AcceptedRecord extends AcceptedVersion {
  readonly id: string;
  /** When that version was first accepted (ms since the epoch). */
  readonly acceptedAtMs: number;
}

/** The last bundle that was verified and applied. */
export interface LastGoodBundle {
  /** The bundle file bytes as they were received. */
  readonly bundle: Uint8Array;
  /** Where it was loaded from (path or description), for status and audit. */
  readonly source: string;
  readonly appliedAtMs: number;
}

/** Everything the manager persists. */
export interface PolicyState {
  readonly accepted: readonly AcceptedRecord[];
  readonly lastGood: LastGoodBundle | undefined;
}

/** The state before anything was ever accepted. */
export const emptyPolicyState: PolicyState = { accepted: [], lastGood: undefined };

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const stateSchema = z.strictObject({
  format: z.literal(policyStateFormat),
  accepted: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(256),
        version: z.number().int().positive(),
        payloadSha256: sha256Hex,
        acceptedAtMs: z.number().int().nonnegative(),
      }),
    )
    .max(10_000),
  lastGood: z
    .strictObject({
      bundle: base64,
      source: z.string().max(4096),
      appliedAtMs: z.number().int().nonnegative(),
    })
    .nullable(),
});

/** Encodes the state document (UTF-8 JSON). */
export function serializePolicyState(state: PolicyState): Uint8Array {
  const document = {
    format: policyStateFormat,
    accepted: state.accepted.map((r) => ({ id: r.id, version: r.version, payloadSha256: r.payloadSha256, acceptedAtMs: r.acceptedAtMs })),
    lastGood:
      state.lastGood === undefined
        ? null
        : { bundle: Buffer.from(state.lastGood.bundle).toString('base64'), source: state.lastGood.source, appliedAtMs: state.lastGood.appliedAtMs },
  };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

/** Decodes a state document. Never throws; an unusable document is an error value. */
export function parsePolicyState(bytes: Uint8Array): Result<PolicyState, Localized> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    // Both the decoder and JSON.parse report bad input by throwing; that is an expected outcome here.
    return err(msg(`状態ファイルが JSON として読めません（${(error as Error).message}）`, `the state file is not readable JSON (${(error as Error).message})`));
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
    return err(msg(`状態ファイルの ${where} が正しくありません（${issue?.message ?? ''}）`, `the state file's ${where} is invalid (${issue?.message ?? ''})`));
  }
  const ids = new Set<string>();
  for (const record of parsed.data.accepted) {
    if (ids.has(record.id)) return err(msg(`状態ファイルにポリシー ID ${record.id} が 2 回あります`, `the state file lists policy id ${record.id} twice`));
    ids.add(record.id);
  }
  const lastGood = parsed.data.lastGood;
  return ok({
    accepted: parsed.data.accepted,
    lastGood:
      lastGood === null ? undefined : { bundle: new Uint8Array(Buffer.from(lastGood.bundle, 'base64')), source: lastGood.source, appliedAtMs: lastGood.appliedAtMs },
  });
}

/** The rollback record of `id`, if any. */
export function findAccepted(state: PolicyState, id: string): AcceptedRecord | undefined {
  return state.accepted.find((r) => r.id === id);
}

/** Records that `id` was accepted at `version` (keeps the higher version when one is known). */
export function recordAccepted(state: PolicyState, record: AcceptedRecord, lastGood: LastGoodBundle): PolicyState {
  const previous = findAccepted(state, record.id);
  const keep = previous !== undefined && previous.version > record.version ? previous : previous?.version === record.version ? previous : record;
  return { accepted: [...state.accepted.filter((r) => r.id !== record.id), keep].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), lastGood };
}
