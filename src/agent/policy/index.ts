// Public surface of the policy module: signed bundles, keys and trust store, the policy manager.
export {
  bundleFormat,
  decodeCanonicalBase64,
  describeNonCanonicalBase64,
  ed25519SignatureBytes,
  encodeBase64,
  encodePreAuthentication,
  keyIdPattern,
  maxBundleBytes,
  maxPayloadBytes,
  maxSignatures,
  parsePolicyBundle,
  policyPayloadType,
  serializePolicyBundle,
  signatureAlgorithm,
  type BundleSignature,
  type ParsedBundle,
} from './bundle-format';
export {
  computeKeyId,
  createTrustStore,
  generateSigningKeyPair,
  parsePrivateKey,
  parsePublicKey,
  trustedKeySuffix,
  type KeyProblem,
  type PublicKeyInfo,
  type SigningKey,
  type SigningKeyPair,
  type TrustedKey,
  type TrustStore,
  type TrustStoreProblem,
} from './keys';
export {
  createPolicyManager,
  type ActivePolicy,
  type PolicyFinding,
  type PolicyFindingCode,
  type PolicyManager,
  type PolicyManagerDeps,
  type PolicyManagerState,
  type PolicyStatus,
} from './policy-manager';
export { createMemoryPolicyStateStore } from './memory-policy-state-store';
export { policyStateFormat, type AcceptedVersion } from './policy-state';
export type { KeyFileText, PolicyStateStore } from './ports';
export { bundleRejectionCodes, type BundleRejection, type BundleRejectionCode, type BundleRejectionDetails } from './rejection';
export { addBundleSignature, createPolicyBundle, signPolicyPayload, type AddSignatureProblem } from './sign-bundle';
export {
  authenticatePolicyBundle,
  decideRollback,
  decideValidityWindow,
  sha256Hex,
  verifyPolicyBundle,
  type AuthenticatedPolicy,
  type VerifiedPolicy,
  type VerifyOptions,
} from './verify-bundle';
export { parsePolicyState, type PolicyState } from './policy-state';
