// Policy texts, keys and trust stores for tests of signed bundles. The policy is the repository's
// default policy (policies/mynumber-zone.yaml) with its metadata lines rewritten, so the tests
// follow the schema as it evolves instead of keeping a copy that drifts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTrustStore, generateSigningKeyPair, parsePrivateKey, type SigningKey, type SigningKeyPair, type TrustStore } from '../../src/agent/policy';
import { repoRoot } from './mng';

export const defaultPolicyPath = path.join(repoRoot, 'policies/mynumber-zone.yaml');

/** The default policy text, as committed. */
export function defaultPolicyText(): string {
  return readFileSync(defaultPolicyPath, 'utf8');
}

/** Metadata fields a test may override. Times are ISO 8601 with offset. */
export interface PolicyOverrides {
  readonly id?: string;
  readonly version?: number;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly issuer?: string;
}

/** The default policy with some `metadata` lines replaced. Throws if a line is not found. */
export function policyText(overrides: PolicyOverrides = {}, base = defaultPolicyText()): string {
  let text = base;
  for (const [field, value] of Object.entries(overrides) as [string, string | number | undefined][]) {
    if (value === undefined) continue;
    const line = new RegExp(`^(  ${field}: ).*$`, 'm');
    if (!line.test(text)) throw new Error(`policyText: no "  ${field}:" line in the default policy`);
    text = text.replace(line, `$1${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return text;
}

/** A validity window around `nowMs`: from one day before to `daysAfter` days after. */
export function windowAround(nowMs: number, daysAfter = 30): { notBefore: string; notAfter: string } {
  const day = 86_400_000;
  return { notBefore: new Date(nowMs - day).toISOString(), notAfter: new Date(nowMs + daysAfter * day).toISOString() };
}

/** A fixed "now" for unit tests, and a window around it. */
export const testNowMs = Date.parse('2026-06-01T00:00:00Z');
export const testWindow = windowAround(testNowMs);

/** A fresh signing key pair with its parsed private key. */
export function createSigner(): SigningKeyPair & { key: SigningKey } {
  const pair = generateSigningKeyPair();
  const key = parsePrivateKey(pair.privateKeyPem);
  if (!key.ok) throw new Error(`createSigner: ${key.error.message.en}`);
  return { ...pair, key: key.value };
}

/** A trust store holding the public keys of `signers`, labelled signer-0, signer-1, … */
export function trustOf(...signers: SigningKeyPair[]): TrustStore {
  const store = createTrustStore(signers.map((s, i) => ({ path: `/trust/signer-${i}.pub.pem`, name: `signer-${i}.pub.pem`, text: s.publicKeyPem })));
  if (!store.ok) throw new Error(`trustOf: ${store.error.message.en}`);
  return store.value;
}
