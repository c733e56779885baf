import { sign } from 'node:crypto';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import {
  encodePreAuthentication,
  maxPayloadBytes,
  maxSignatures,
  parsePolicyBundle,
  policyPayloadType,
  serializePolicyBundle,
  signatureAlgorithm,
  type BundleSignature,
} from './bundle-format';
import type { SigningKey } from './keys';
import type { BundleRejection } from './rejection';

/**
 * Signing side of policy bundles, used by `mng policy sign` on the administrator's machine.
 * Callers lint the policy text first; this file only wraps and signs bytes.
 */

/** Signs payload bytes as a policy: Ed25519 over the pre-authentication encoding. */
export function signPolicyPayload(payload: Uint8Array, signer: SigningKey): BundleSignature {
  const sig = sign(null, encodePreAuthentication(policyPayloadType, payload), signer.privateKey);
  return { keyId: signer.keyId, alg: signatureAlgorithm, sig: new Uint8Array(sig) };
}

/**
 * Builds a bundle file around the exact payload bytes, signed by `signer`.
 * @throws RangeError when the payload is over `maxPayloadBytes` (callers check size first).
 */
export function createPolicyBundle(payload: Uint8Array, signer: SigningKey): Uint8Array {
  if (payload.length > maxPayloadBytes) throw new RangeError(`createPolicyBundle: payload over ${maxPayloadBytes} bytes`);
  return serializePolicyBundle({ payloadType: policyPayloadType, payload, signatures: [signPolicyPayload(payload, signer)] });
}

/** Why a signature could not be added to an existing bundle. */
export type AddSignatureProblem =
  | { readonly code: 'bundle-invalid'; readonly rejection: BundleRejection; readonly message: Localized }
  | { readonly code: 'already-signed' | 'too-many-signatures'; readonly message: Localized };

/**
 * Adds `signer`'s signature to an existing bundle (co-signing). The payload is kept byte for byte;
 * the container is rewritten in the canonical layout. Signing vouches for the payload only: it
 * says nothing about the signatures already there.
 */
export function addBundleSignature(bundleBytes: Uint8Array, signer: SigningKey): Result<{ bundle: Uint8Array; payload: Uint8Array }, AddSignatureProblem> {
  const parsed = parsePolicyBundle(bundleBytes);
  if (!parsed.ok) return err({ code: 'bundle-invalid', rejection: parsed.error, message: parsed.error.message });
  const bundle = parsed.value;
  if (bundle.signatures.some((s) => s.keyId === signer.keyId)) {
    return err({
      code: 'already-signed',
      message: msg(`このバンドルには鍵 ${signer.keyId} の署名がすでにあります`, `the bundle is already signed by key ${signer.keyId}`),
    });
  }
  if (bundle.signatures.length >= maxSignatures) {
    return err({
      code: 'too-many-signatures',
      message: msg(`署名はすでに上限の ${maxSignatures} 個あります`, `the bundle already has the maximum of ${maxSignatures} signatures`),
    });
  }
  const signatures = [...bundle.signatures, signPolicyPayload(bundle.payload, signer)];
  return ok({ bundle: serializePolicyBundle({ ...bundle, signatures }), payload: bundle.payload });
}
