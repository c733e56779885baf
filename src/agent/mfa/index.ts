// Public surface of the MFA module (issue #5 item 1). Other helpers add their exports here.
export * from './model';
export type { AdminJournalSource, EmergencyCodeStore, PamOathUsersfileAccess, SecretStore, VerificationStateStore } from './ports';
export { ingestAdminJournal } from './ingest-admin-journal';
export { cleanTypedCode, emergencyCodeDigits, formatEmergencyCode, maxTypedCodeLength, normalizeCode, normalizeEmergencyCode, type NormalizedCode } from './normalize-code';
export { verifyTotp, type TotpCheck, type TotpRejection, type TotpVerdict } from './verify-totp';
export {
  decideAfterAdminReset,
  decideAfterFailure,
  decideAfterSuccess,
  decideAttempt,
  decideLockoutView,
  fallbackLockoutDelaySeconds,
  initialVerificationState,
  type AttemptGate,
  type FailureDecision,
  type LockoutPolicy,
} from './decide-lockout';
export {
  decideRecordsAfterIssue,
  hashEmergencyCode,
  isEmergencyCodeActive,
  issueEmergencyCode,
  matchEmergencyCode,
  maxActiveEmergencyCodes,
  type EmergencyCodePolicy,
  type EmergencyMatch,
  type IssuedEmergencyCode,
} from './emergency-codes';
export {
  buildOtpauthUri,
  createEnrollmentSecret,
  createPendingEnrollments,
  encodeBase32,
  enrollmentIssuer,
  enrollmentSecretBytes,
  enrollmentTtlMs,
  maxEnrollmentConfirmFailures,
  renderEnrollmentQr,
  type PendingEnrollment,
  type PendingEnrollments,
  type TotpParameters,
} from './enrollment';
export {
  createMfaService,
  mfaAuditTypes,
  type AttemptOutcome,
  type EnrollmentConfirmCode,
  type EnrollmentRefusal,
  type EnrollmentStart,
  type IssuedCode,
  type MfaService,
  type MfaServiceDeps,
  type MfaUserStatus,
  type SharedReplayLedger,
} from './mfa-service';
export { createPamOathReplayLedger } from './pam-replay-ledger';
export { nodeCryptoPlugin } from './node-crypto-plugin';
export { createMemoryMfaStores } from './memory-mfa-stores';
// Hardware-token import (PSKC, RFC 6030) and Linux logon through pam_oath (issue #5 items 1 and 2).
export { isValidTokenUser, maxPbkdf2Iterations, parsePskc, pskcNamespace, pskcTotpAlgorithms, type ParsePskcOptions, type PskcDecryptionKey, type PskcFailure, type PskcImport, type PskcImportedKey, type PskcProblem, type PskcProblemCode } from './pskc';
export { maxPskcBytes } from './pskc-xml';
export {
  formatPamOathTime,
  mergePamOathUsersfile,
  pamOathMaxSecretBytes,
  pamOathTypeFor,
  pamOathUsersfileHeader,
  parsePamOathTime,
  parsePamOathUsersfile,
  readPamOathAcceptedStep,
  renderPamOathUsersfile,
  shareReplayState,
  totpCodeAtStep,
  writeAgentAcceptedStep,
  type PamOathAcceptedStep,
  type PamOathEntry,
  type PamOathMerge,
  type PamOathSkipped,
  type PamOathStepOptions,
  type PamOathTimeOptions,
  type ParsedPamOathUsersfile,
  type SharedReplayState,
} from './pam-oath-usersfile';
export {
  checkPamOathUsersfilePath,
  decidePamOathDigits,
  defaultPamOathUsersfile,
  defaultPamOathWindowSteps,
  pamOathIncludeName,
  planPamServiceInclude,
  decidePamFaillockFigures,
  defaultPamFaillockFigures,
  renderPamLogonStack,
  renderPamOathIncludeFile,
  renderPamOathLine,
  type PamFaillockFigures,
  type PamOathLineOptions,
  type PamServiceEdit,
} from './pam-service';
export { testMfaCodeAt, testMfaPolicy, testMfaSecret, testMfaT0, testMfaToken } from './test-mfa-fixtures';
