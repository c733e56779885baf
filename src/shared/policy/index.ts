// Public surface of the Zone Policy model (issue #2): the schema and its types, the parser that
// turns untrusted YAML text into a typed policy with located ja/en diagnostics, the linter, and
// the JSON Schema for editors.
export type { PolicyDiagnostic } from './diagnostic';
export { formatDiagnostic } from './format-diagnostic';
export { POLICY_SCHEMA_ID, policyJsonSchema } from './json-schema';
export {
  instantOf,
  lintPolicy,
  LENIENT_MAX_FAILURES,
  LONG_EMERGENCY_CODE_SECONDS,
  LONG_GRACE_SECONDS,
  LONG_IDLE_LOCK_SECONDS,
  LONG_UNLOCK_SECONDS,
  LONG_VALIDITY_DAYS,
  SLOW_ISOLATION_CHECK_SECONDS,
} from './lint-policy';
export { createYamlLocator, noSourceLocator, type PolicyLocator, type PolicyPath, type SourcePosition } from './locate';
export { formatPath } from './messages';
export {
  cidrContains,
  cidrOverlaps,
  formatIpAddress,
  hasDotSegments,
  isAbsoluteLocalPath,
  isCidr,
  isHost,
  isHostname,
  isIpAddress,
  isLoopbackHost,
  isNetworkShare,
  parseCidr,
  parseCollectorUrl,
  parseIpAddress,
  type CidrBlock,
  type CollectorUrl,
  type IpAddress,
} from './net';
export {
  compareDiagnostics,
  MAX_DIAGNOSTICS,
  MAX_NESTING_DEPTH,
  MAX_POLICY_TEXT_BYTES,
  MAX_YAML_DIAGNOSTICS,
  parsePolicyText,
  type PolicyParseResult,
} from './parse-policy';
export {
  allowedFieldsAt,
  fieldTextAt,
  FILESYSTEM_UUID_PATTERN,
  MAX_POLICY_VERSION,
  MULTI_LINE_PATTERN,
  POLICY_API_VERSION,
  POLICY_ID_PATTERN,
  POLICY_KIND,
  policyFieldText,
  SINGLE_LINE_PATTERN,
  ZonePolicySchema,
  type PolicyFormat,
  type ChannelsPolicy,
  type IsolationCanary,
  type IsolationPolicy,
  type MediaAction,
  type MediaPolicy,
  type MfaPolicy,
  type PolicyZone,
  type ReportingPolicy,
  type UsbPolicy,
  type ZonePolicy,
} from './schema';
