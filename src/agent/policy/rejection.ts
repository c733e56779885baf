import type { Localized } from '../../shared/i18n';
import type { PolicyDiagnostic } from '../../shared/policy/diagnostic';

/**
 * Why a policy bundle was refused. Codes are stable (audit events and `--json` output carry them);
 * add new ones, never rename.
 *
 * - `too-large`: the bundle is over 2 MiB or its payload over 1 MiB.
 * - `bundle-malformed`: not UTF-8 JSON, wrong shape, unknown field, wrong format or payload type,
 *   payload not canonical base64, no signature, more than 8 signatures, a key signing twice.
 * - `signature-malformed`: a signature entry that cannot be a valid Ed25519 signature: bad key id,
 *   unsupported algorithm, not canonical base64 (base64url, whitespace, padding bits), too long.
 * - `signature-truncated`: a signature shorter than 64 bytes: it was cut short on the way.
 * - `no-trusted-keys`: the trust store is empty, so every bundle is refused (fail closed).
 * - `unknown-key`: no signature comes from a key in the trust store.
 * - `bad-signature`: a signature from a trusted key does not match the payload.
 * - `policy-invalid`: the signed payload is not a valid zone policy (see `diagnostics`).
 * - `expired` / `not-yet-valid`: outside the policy's `notBefore`..`notAfter` window.
 * - `rollback`: a lower version than one already accepted (or than `--min-version`).
 * - `version-reuse`: the same id and version as an accepted policy, with different content.
 */
export const bundleRejectionCodes = [
  'too-large',
  'bundle-malformed',
  'signature-malformed',
  'signature-truncated',
  'no-trusted-keys',
  'unknown-key',
  'bad-signature',
  'policy-invalid',
  'expired',
  'not-yet-valid',
  'rollback',
  'version-reuse',
] as const;

export type BundleRejectionCode = (typeof bundleRejectionCodes)[number];

/** Facts about a rejection, for audit events and `--json`. Every field is optional and JSON-safe. */
export interface BundleRejectionDetails {
  /** JSON Pointer of the offending field in the bundle, e.g. `/signatures/0/sig`. */
  readonly pointer?: string;
  /** 1-based position in the bundle file of the offending field or syntax error. */
  readonly line?: number;
  readonly column?: number;
  /** Index of the signature concerned in `signatures`. */
  readonly signatureIndex?: number;
  /** Key ids of the signatures seen, in bundle order. */
  readonly keyIds?: readonly string[];
  /** Key id of the signature that verified or failed. */
  readonly keyId?: string;
  readonly policyId?: string;
  readonly version?: number;
  readonly lastAcceptedVersion?: number;
  readonly payloadSha256?: string;
  readonly sizeBytes?: number;
  readonly maxBytes?: number;
  readonly notBefore?: string;
  readonly notAfter?: string;
}

/** A refused bundle: a stable code, one clear message (what, where, what to do), and facts. */
export interface BundleRejection {
  readonly code: BundleRejectionCode;
  readonly message: Localized;
  /** For `policy-invalid`: every finding of the policy parser, with line and column in the YAML. */
  readonly diagnostics?: readonly PolicyDiagnostic[];
  readonly details: BundleRejectionDetails;
}

/** Builds a rejection. */
export function rejection(
  code: BundleRejectionCode,
  message: Localized,
  details: BundleRejectionDetails = {},
  diagnostics?: readonly PolicyDiagnostic[],
): BundleRejection {
  return diagnostics === undefined ? { code, message, details } : { code, message, details, diagnostics };
}
