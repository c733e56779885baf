import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POLICY_VERSION } from '../../shared/policy';
import { createSigner, policyText, testNowMs, testWindow, trustOf } from '../../../test/helpers/policy-fixtures';
import { createPolicyBundle } from './sign-bundle';
import { sha256Hex, verifyPolicyBundle } from './verify-bundle';

const encoder = new TextEncoder();
const baseText = policyText(testWindow);

describe('verifyPolicyBundle properties', () => {
  it('sign → verify succeeds for any key and version, and returns exactly the signed text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_POLICY_VERSION }), (version) => {
        const signer = createSigner();
        const text = policyText({ version }, baseText);
        const result = verifyPolicyBundle(createPolicyBundle(encoder.encode(text), signer.key), trustOf(signer), { nowMs: testNowMs });
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.policy.metadata.version).toBe(version);
        expect(result.value.policyText).toBe(text);
        expect(result.value.keyId).toBe(signer.keyId);
      }),
      { numRuns: 60 },
    );
  });

  const signer = createSigner();
  const trust = trustOf(signer);
  const payload = encoder.encode(policyText({ version: 3 }, baseText));
  const bundle = createPolicyBundle(payload, signer.key);
  const payloadSha256 = sha256Hex(payload);

  it('any single-byte change anywhere in the bundle is refused, or is neutral JSON and yields the identical payload', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.nat({ max: bundle.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const mutated = new Uint8Array(bundle);
        mutated[index] = ((mutated[index] ?? 0) + delta) % 256;
        const result = verifyPolicyBundle(mutated, trust, { nowMs: testNowMs });
        if (result.ok) {
          accepted += 1;
          // Only a change to insignificant whitespace between JSON tokens can keep a bundle valid.
          expect(result.value.payloadSha256).toBe(payloadSha256);
          expect(encoder.encode(result.value.policyText)).toEqual(payload);
          expect(String.fromCharCode(bundle[index] ?? 0)).toMatch(/[ \n]/);
        } else {
          expect(result.error.message.en).not.toBe('');
        }
      }),
      { numRuns: 1500 },
    );
    // Most positions are inside the payload or signature, so nearly all mutations must fail.
    expect(accepted).toBeLessThan(300);
  });

  it('never throws on arbitrary bytes, and never accepts them', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc.string({ maxLength: 500 }).map((s) => encoder.encode(s)),
          fc.jsonValue({ maxDepth: 4 }).map((v) => encoder.encode(JSON.stringify(v))),
        ),
        (bytes) => {
          const result = verifyPolicyBundle(bytes, trust, { nowMs: testNowMs });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
