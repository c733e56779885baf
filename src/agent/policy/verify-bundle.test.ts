import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { createSigner, policyText, testNowMs, testWindow, trustOf } from '../../../test/helpers/policy-fixtures';
import { maxBundleBytes } from './bundle-format';
import { addBundleSignature, createPolicyBundle } from './sign-bundle';
import { sha256Hex, verifyPolicyBundle, type VerifyOptions } from './verify-bundle';
import type { BundleRejectionCode } from './rejection';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const stranger = createSigner();
const text = policyText({ version: 5, ...testWindow });
const payload = encoder.encode(text);
// The base64url case below needs a signature with a `+` or `/` in its base64 (about 1 in 15
// random signatures has neither): pick a signer whose signature has one, so the test is stable.
const { signer, bundle } = (() => {
  for (;;) {
    const candidate = createSigner();
    const signed = createPolicyBundle(payload, candidate.key);
    const sig = (JSON.parse(new TextDecoder().decode(signed)) as { signatures: { sig: string }[] }).signatures[0]?.sig ?? '';
    if (/[+/]/.test(sig)) return { signer: candidate, bundle: signed };
  }
})();
const trust = trustOf(signer);
const at: VerifyOptions = { nowMs: testNowMs };

type Doc = { format: string; payloadType: string; payload: string; signatures: { keyId: string; alg: string; sig: string }[] };

function doc(bytes: Uint8Array = bundle): Doc {
  return JSON.parse(decoder.decode(bytes)) as Doc;
}
function write(d: Doc | Record<string, unknown>): Uint8Array {
  return encoder.encode(JSON.stringify(d, null, 2));
}
function editSig(change: (sig: string) => string): Uint8Array {
  const d = doc();
  const first = d.signatures[0];
  if (!first) throw new Error('no signature');
  first.sig = change(first.sig);
  return write(d);
}
function flipByte(base64: string, index: number): string {
  const raw = Buffer.from(base64, 'base64');
  raw[index] = (raw[index] ?? 0) ^ 0x01;
  return raw.toString('base64');
}

function expectRejected(bytes: Uint8Array, code: BundleRejectionCode, fragment: string, options: VerifyOptions = at, store = trust) {
  const result = verifyPolicyBundle(bytes, store, options);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('accepted');
  expect(result.error.code).toBe(code);
  expect(result.error.message.en).toContain(fragment);
  expect(result.error.message.ja.length).toBeGreaterThan(10);
  return result.error;
}

describe('verifyPolicyBundle: the good case', () => {
  it('accepts a bundle signed by a trusted key, returning the exact signed text', () => {
    const result = verifyPolicyBundle(bundle, trust, at);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.policy.metadata.version).toBe(5);
    expect(result.value.policyText).toBe(text);
    expect(result.value.keyId).toBe(signer.keyId);
    expect(result.value.keyLabel).toBe('signer-0');
    expect(result.value.payloadSha256).toBe(sha256Hex(payload));
    expect(result.value.unknownKeyIds).toEqual([]);
  });

  it('accepts a co-signed bundle when one key is unknown, and reports the unknown key', () => {
    const added = addBundleSignature(bundle, stranger.key);
    if (!added.ok) throw new Error('co-sign');
    const result = verifyPolicyBundle(added.value.bundle, trust, at);
    expect(result.ok && result.value.unknownKeyIds).toEqual([stranger.keyId]);
  });

  it('is not disturbed by JSON whitespace outside strings (the payload is what is signed)', () => {
    const compact = encoder.encode(JSON.stringify(doc()));
    const result = verifyPolicyBundle(compact, trust, at);
    expect(result.ok && result.value.payloadSha256).toBe(sha256Hex(payload));
  });
});

describe('verifyPolicyBundle: tampering and damage', () => {
  it('one byte changed in the payload → bad-signature', () => {
    const d = doc();
    d.payload = flipByte(d.payload, 200);
    const error = expectRejected(write(d), 'bad-signature', 'does not match the content');
    expect(error.details).toMatchObject({ keyId: signer.keyId, signatureIndex: 0 });
  });

  it('one byte changed in the signature → bad-signature', () => {
    expectRejected(editSig((sig) => flipByte(sig, 10)), 'bad-signature', 'changed after signing');
  });

  it('the payload re-serialized with the same content (YAML parse + stringify) → bad-signature', () => {
    const reserialized = parseDocument(text).toString();
    expect(reserialized).not.toBe(text);
    const d = doc();
    d.payload = Buffer.from(reserialized).toString('base64');
    expectRejected(write(d), 'bad-signature', 'does not match');
  });

  it('a signature by a key the trust store does not know → unknown-key', () => {
    const foreign = createPolicyBundle(payload, stranger.key);
    const error = expectRejected(foreign, 'unknown-key', 'no signature from a trusted key');
    expect(error.message.en).toContain(stranger.keyId);
    expect(error.message.en).toContain('signer-0');
  });

  it('an empty trust store refuses every bundle → no-trusted-keys', () => {
    expectRejected(bundle, 'no-trusted-keys', 'no bundle is accepted', at, new Map());
  });

  it('a bad signature from a trusted key is refused even next to a good one', () => {
    const second = createSigner();
    const added = addBundleSignature(bundle, second.key);
    if (!added.ok) throw new Error('co-sign');
    const d = doc(added.value.bundle);
    const entry = d.signatures[1];
    if (!entry) throw new Error('no second signature');
    entry.sig = flipByte(entry.sig, 5);
    expectRejected(write(d), 'bad-signature', 'signature 2', at, trustOf(signer, second));
  });

  it('a truncated signature → signature-truncated', () => {
    expectRejected(editSig((sig) => sig.slice(0, 44)), 'signature-truncated', 'cut short');
  });

  it.each([
    ['base64url', (sig: string) => Buffer.from(sig, 'base64').toString('base64url'), 'base64url'],
    ['a line break added', (sig: string) => `${sig.slice(0, 30)}\n${sig.slice(30)}`, 'whitespace'],
    ['trailing spaces', (sig: string) => `${sig}  `, 'whitespace'],
    ['padding removed', (sig: string) => sig.replace(/=+$/, ''), 'padding (=) is missing'],
    ['non-zero padding bits', (sig: string) => `${sig.slice(0, 85)}${String.fromCharCode(sig.charCodeAt(85) + 1)}==`, 'unused padding bits'],
  ])('a re-encoded signature (%s) → signature-malformed', (_name, change, fragment) => {
    const changed = editSig(change);
    expect(changed).not.toEqual(bundle);
    expectRejected(changed, 'signature-malformed', fragment);
  });

  it('an extra field in the bundle → bundle-malformed', () => {
    expectRejected(write({ ...doc(), comment: 'hi' }), 'bundle-malformed', 'unknown field "comment"');
  });

  it('malformed JSON → bundle-malformed with line and column', () => {
    const broken = encoder.encode(decoder.decode(bundle).replace('"payloadType":', '"payloadType"'));
    const error = expectRejected(broken, 'bundle-malformed', "not valid JSON (line 3, column 17): expected ':'");
    expect(error.details).toMatchObject({ line: 3, column: 17 });
  });

  it('binary garbage → bundle-malformed', () => {
    expectRejected(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]), 'bundle-malformed', 'not UTF-8');
  });

  it('a 50 MB input → too-large, without parsing it', () => {
    const big = new Uint8Array(50 * 1024 * 1024);
    const started = Date.now();
    const error = expectRejected(big, 'too-large', 'too large');
    expect(error.details).toMatchObject({ sizeBytes: big.length, maxBytes: maxBundleBytes });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never parses the policy text before the signature: bad YAML with a foreign key → unknown-key', () => {
    const garbage = createPolicyBundle(encoder.encode('{{{ not yaml'), stranger.key);
    expectRejected(garbage, 'unknown-key', 'trusted');
  });
});

describe('verifyPolicyBundle: content, time and rollback', () => {
  it('a signed policy with errors → policy-invalid with located diagnostics', () => {
    const invalid = createPolicyBundle(encoder.encode(text.replace(/^kind: .*$/m, 'kind: Nope')), signer.key);
    const error = expectRejected(invalid, 'policy-invalid', 'the signature is good but the policy has 1 error(s)');
    expect(error.diagnostics?.[0]).toMatchObject({ severity: 'error', path: 'kind' });
    expect(error.diagnostics?.[0]?.line).toBeGreaterThan(0);
  });

  it('a signed payload that is not UTF-8 → policy-invalid', () => {
    const binary = createPolicyBundle(new Uint8Array([0xff, 0xfe, 0xfd]), signer.key);
    const error = expectRejected(binary, 'policy-invalid', 'UTF-8');
    expect(error.diagnostics?.[0]?.code).toBe('payload-not-utf8');
  });

  it('after notAfter → expired', () => {
    const error = expectRejected(bundle, 'expired', 'has expired', { nowMs: Date.parse(testWindow.notAfter) });
    expect(error.details).toMatchObject({ notAfter: testWindow.notAfter, version: 5 });
  });

  it('before notBefore → not-yet-valid', () => {
    expectRejected(bundle, 'not-yet-valid', 'is not valid yet', { nowMs: Date.parse(testWindow.notBefore) - 1 });
  });

  it('exactly at notBefore is valid', () => {
    expect(verifyPolicyBundle(bundle, trust, { nowMs: Date.parse(testWindow.notBefore) }).ok).toBe(true);
  });

  it('a lower version than the last accepted → rollback', () => {
    const error = expectRejected(bundle, 'rollback', 'older than version 6 already accepted', {
      nowMs: testNowMs,
      lastAccepted: () => ({ version: 6, payloadSha256: 'f'.repeat(64) }),
    });
    expect(error.details).toMatchObject({ version: 5, lastAcceptedVersion: 6 });
  });

  it('the same version with a different payload → version-reuse; with the same payload → accepted', () => {
    expectRejected(bundle, 'version-reuse', 'raise metadata.version', { nowMs: testNowMs, lastAccepted: () => ({ version: 5, payloadSha256: 'f'.repeat(64) }) });
    expect(verifyPolicyBundle(bundle, trust, { nowMs: testNowMs, lastAccepted: () => ({ version: 5, payloadSha256: sha256Hex(payload) }) }).ok).toBe(true);
  });

  it('rollback is per policy id', () => {
    const options = { nowMs: testNowMs, lastAccepted: (id: string) => (id === 'another-zone' ? { version: 99, payloadSha256: 'f'.repeat(64) } : undefined) };
    expect(verifyPolicyBundle(bundle, trust, options).ok).toBe(true);
  });

  it('below --min-version → rollback', () => {
    expectRejected(bundle, 'rollback', 'required minimum version 6', { nowMs: testNowMs, minVersion: 6 });
    expect(verifyPolicyBundle(bundle, trust, { nowMs: testNowMs, minVersion: 5 }).ok).toBe(true);
  });
});
