/**
 * The audit log's vocabulary. Every decision the agent makes and every refusal is an audit event;
 * the log is append-only JSONL, each record chained to the previous one by SHA-256 (docs/audit.md).
 */

/** How much attention an event needs. `alert` events are flagged to the collector. */
export type AuditSeverity = 'info' | 'notice' | 'warning' | 'alert';

/** The severities in rising order; the only values a record may carry. */
export const auditSeverities: readonly AuditSeverity[] = ['info', 'notice', 'warning', 'alert'];

/** What a module hands to the audit sink. `data` must be JSON-serializable and hold no secrets. */
export interface AuditEventInput {
  /** Dotted event type, e.g. `policy.rejected`, `usb.blocked`, `agent.started`. */
  readonly type: string;
  readonly severity: AuditSeverity;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Where a written record sits in the chain. */
export interface AuditRecordRef {
  readonly seq: number;
  /** SHA-256 (hex) of the record's line, which the next record carries as `prev`. */
  readonly hash: string;
}

/** Port: the append-only, hash-chained, fsynced audit log. Appends are written in call order. */
export interface AuditSink {
  append(event: AuditEventInput): Promise<AuditRecordRef>;
}

/** Version of the record format written in every record's `v` field. */
export const auditFormatVersion = 1;

/** `prev` of the first record: 64 zeros (there is no previous record). */
export const auditGenesisHash = '0'.repeat(64);

/**
 * One record of the log, as written on one line. The writer always serializes the fields in this
 * order with `JSON.stringify`, so a record has exactly one byte form (docs/audit.md §1).
 */
export interface AuditRecord {
  readonly v: 1;
  /** 1, 2, 3 … per host, never reused (a gap is left when records were lost, docs/audit.md §4). */
  readonly seq: number;
  /** ISO-8601 UTC with milliseconds (`2025-04-01T09:30:00.000Z`), from the injected clock. */
  readonly time: string;
  readonly type: string;
  readonly severity: AuditSeverity;
  /** Host name of the terminal that wrote the record. */
  readonly host: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** SHA-256 (hex) of the previous record's line bytes, or {@link auditGenesisHash} for seq 1. */
  readonly prev: string;
}

/**
 * The head anchor: the last record the writer made durable. Kept next to the log as `<log>.head`
 * and (issue #2, later) sent with posture reports to the collector, where it is out of reach of
 * whoever edits the local file.
 */
export interface AuditHead extends AuditRecordRef {
  /** When the head was written (ISO-8601 UTC); informative only, not checked. */
  readonly time?: string;
}

/** Event types the log writes about itself (docs/audit.md §4). */
export const auditEventTypes = {
  /** The end of the log was an unfinished line; it was completed or moved to a side file. */
  tailRepaired: 'audit.tail-repaired',
  /** Opening the log found a broken chain (edited, deleted, inserted … records). */
  chainBroken: 'audit.chain-broken-detected',
  /** The head file was missing or unreadable when the log was opened. */
  headInvalid: 'audit.head-invalid',
} as const;
