/**
 * The audit log's vocabulary. Every decision the agent makes and every refusal is an audit event;
 * the log is append-only JSONL, each record chained to the previous one by SHA-256 (docs/audit.md).
 */

/** How much attention an event needs. `alert` events are flagged to the collector. */
export type AuditSeverity = 'info' | 'notice' | 'warning' | 'alert';

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
