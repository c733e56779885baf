// Public surface of the exports module (issue #4 item 2): the ledger model, the ports adapters
// implement, the pure decision and the service.
export * from './model';
export * from './ports';
export { decideDisposeFailure, decideExport, maxHashAttempts, type ExportPlan, type HashSummary } from './decide-export';
export { parsePasswd } from './parse-passwd';
export { parseLedgerLine, serializeLedgerRecord } from './ledger-line';
export { createLedgerStore, parseLedgerText, type LedgerRead } from './ledger-store';
export { createPasswdUserDirectory } from './passwd-users';
export { createExportLedger, type ExportLedger, type ExportLedgerDeps } from './export-service';
