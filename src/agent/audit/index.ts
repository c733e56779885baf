// Public surface of the audit module (docs/audit.md).
export * from './model';
export type { AuditFile, AuditHeadRead } from './ports';
export {
  createAuditLog,
  type AuditLog,
  type AuditLogDeps,
  type AuditOpenReport,
  type AuditTailRepair,
} from './audit-log';
export {
  createAuditVerifier,
  verifyAuditLog,
  maxReportedProblems,
  type AuditHeadCheck,
  type AuditIntegrityEvent,
  type AuditProblem,
  type AuditTailState,
  type AuditTamperReason,
  type AuditVerifier,
  type AuditVerifierOptions,
  type AuditVerifyReport,
  type AuditVerifyResult,
  type AuditVerifyWarning,
} from './verify-audit';
export { createAuditRecordReader, readAuditRecords, type AuditReadItem } from './read-audit';
export {
  formatAuditTime,
  isAuditEventType,
  parseAuditHead,
  parseAuditLine,
  serializeAuditHead,
  serializeAuditRecord,
  sha256Hex,
  type AuditLineFault,
  type AuditLineParse,
} from './record';
export { createMemoryAuditFile, type MemoryAuditFile } from './memory-audit-file';
