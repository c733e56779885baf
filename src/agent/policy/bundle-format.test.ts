import { verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bundleFormat,
  decodeCanonicalBase64,
  describeNonCanonicalBase64,
  encodePreAuthentication,
  maxBundleBytes,
  parsePolicyBundle,
  policyPayloadType,
  serializePolicyBundle,
} from './bundle-format';
import { generateSigningKeyPair, parsePrivateKey, parsePublicKey } from './keys';
import { addBundleSignature, createPolicyBundle } from './sign-bundle';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function signerOf(pair = generateSigningKeyPair()) {
  const key = parsePrivateKey(pair.privateKeyPem);
  if (!key.ok) throw new Error('test key');
  return { pair, key: key.value };
}

describe('pre-authentication encoding', () => {
  it('binds the type and the byte lengths', () => {
    const pae = encodePreAuthentication(policyPayloadType, encoder.encode('héllo'));
    expect(decoder.decode(pae)).toBe(`MNGPOLICYv1 ${policyPayloadType.length} ${policyPayloadType} 6 héllo`);
  });
});

describe('canonical base64', () => {
  it.each([
    ['QQ==', undefined],
    ['QR==', 'padding bits'],
    ['QQ', 'padding (=) is missing'],
    ['Q Q==', 'whitespace'],
    ['QQ==\n', 'whitespace'],
    ['-_8=', 'base64url'],
    ['QQ*=', 'not base64'],
  ])('%j', (text, fragment) => {
    const problem = describeNonCanonicalBase64(text);
    if (fragment === undefined) expect(problem).toBeUndefined();
    else expect(problem?.en).toContain(fragment);
    expect(decodeCanonicalBase64(text) === undefined).toBe(fragment !== undefined);
  });

  it('accepts exactly what Buffer encodes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(decodeCanonicalBase64(text)).toEqual(new Uint8Array(bytes));
        expect(decodeCanonicalBase64(Buffer.from(bytes).toString('base64url'))?.length ?? -1).toBe(
          // base64url equals base64 only when it has neither - nor _ nor padding to drop.
          text === Buffer.from(bytes).toString('base64url') ? bytes.length : -1,
        );
      }),
    );
  });
});

describe('bundle container', () => {
  const { pair, key } = signerOf();
  const payload = encoder.encode('apiVersion: mynumber-guard/v1\n');
  const bundle = createPolicyBundle(payload, key);

  it('round-trips: createPolicyBundle → parsePolicyBundle', () => {
    const parsed = parsePolicyBundle(bundle);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.payload).toEqual(payload);
    expect(parsed.value.signatures).toHaveLength(1);
    expect(parsed.value.signatures[0]?.keyId).toBe(pair.keyId);
    const pub = parsePublicKey(pair.publicKeyPem);
    if (!pub.ok) throw new Error('test key');
    expect(verify(null, encodePreAuthentication(policyPayloadType, payload), pub.value.publicKey, parsed.value.signatures[0]?.sig ?? new Uint8Array())).toBe(true);
    expect(serializePolicyBundle(parsed.value)).toEqual(bundle);
  });

  it('writes the documented layout', () => {
    const document = JSON.parse(decoder.decode(bundle)) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(['format', 'payloadType', 'payload', 'signatures']);
    expect(document.format).toBe(bundleFormat);
    expect(document.payloadType).toBe(policyPayloadType);
    expect(document.payload).toBe(Buffer.from(payload).toString('base64'));
  });

  function edit(change: (doc: Record<string, unknown>) => void): Uint8Array {
    const doc = JSON.parse(decoder.decode(bundle)) as Record<string, unknown>;
    change(doc);
    return encoder.encode(JSON.stringify(doc, null, 2));
  }
  const sig0 = (doc: Record<string, unknown>) => (doc.signatures as Record<string, unknown>[])[0] as Record<string, unknown>;

  it.each<[string, () => Uint8Array, string, string]>([
    ['an extra top-level field', () => edit((d) => (d.extra = 1)), 'bundle-malformed', 'unknown field "extra"'],
    ['a missing field', () => edit((d) => delete d.payloadType), 'bundle-malformed', 'lacks the field "payloadType"'],
    ['another format', () => edit((d) => (d.format = 'x/v2')), 'bundle-malformed', 'this version reads only'],
    ['another payload type', () => edit((d) => (d.payloadType = 'text/plain')), 'bundle-malformed', 'payloadType is "text/plain"'],
    ['an extra signature field', () => edit((d) => (sig0(d).note = 'x')), 'bundle-malformed', 'unknown field "note" in signature 1'],
    ['no signature', () => edit((d) => (d.signatures = [])), 'bundle-malformed', 'there is no signature'],
    ['nine signatures', () => edit((d) => (d.signatures = Array.from({ length: 9 }, () => sig0(d)))), 'bundle-malformed', 'too many signatures'],
    ['the same key twice', () => edit((d) => (d.signatures = [sig0(d), sig0(d)])), 'bundle-malformed', 'signs twice'],
    ['a base64url payload', () => edit((d) => (d.payload = Buffer.from(new Uint8Array([251, 255])).toString('base64url'))), 'bundle-malformed', 'base64url'],
    ['an upper-case key id', () => edit((d) => (sig0(d).keyId = pair.keyId.toUpperCase())), 'signature-malformed', '32 lowercase hexadecimal'],
    ['another algorithm', () => edit((d) => (sig0(d).alg = 'rsa')), 'signature-malformed', 'not supported'],
    ['a truncated signature', () => edit((d) => (sig0(d).sig = String(sig0(d).sig).slice(0, 60))), 'signature-truncated', 'cut short (45 bytes'],
    ['a 65-byte signature', () => edit((d) => (sig0(d).sig = Buffer.alloc(65).toString('base64'))), 'signature-malformed', '65 bytes long'],
    ['a base64url signature', () => edit((d) => (sig0(d).sig = Buffer.alloc(64, 0xff).toString('base64url'))), 'signature-malformed', 'base64url'],
    ['whitespace in the signature', () => edit((d) => (sig0(d).sig = `${String(sig0(d).sig).slice(0, 40)}\n${String(sig0(d).sig).slice(40)}`)), 'signature-malformed', 'whitespace'],
    ['a signature without padding', () => edit((d) => (sig0(d).sig = String(sig0(d).sig).replace(/=+$/, ''))), 'signature-malformed', 'padding (=) is missing'],
    ['malformed JSON', () => encoder.encode('{"format": '), 'bundle-malformed', 'not valid JSON (line 1, column 12)'],
    ['binary garbage', () => new Uint8Array([0xff, 0xfe, 0x00, 0x81]), 'bundle-malformed', 'not UTF-8'],
    ['a JSON array', () => encoder.encode('[]'), 'bundle-malformed', 'not a JSON object'],
    ['a 2 MiB + 1 file', () => new Uint8Array(maxBundleBytes + 1), 'too-large', 'too large'],
  ])('refuses %s', (_name, make, code, fragment) => {
    const parsed = parsePolicyBundle(make());
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.message.en).toContain(fragment);
    expect(parsed.error.message.ja.length).toBeGreaterThan(10);
  });

  it('locates a field problem by line and column', () => {
    const parsed = parsePolicyBundle(edit((d) => (sig0(d).alg = 'rsa')));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.details).toMatchObject({ pointer: '/signatures/0/alg', line: 8, column: 14, signatureIndex: 0 });
    expect(parsed.error.message.en).toContain('(line 8, column 14)');
  });

  it('co-signs: adds a second signature, keeps the payload, refuses the same key twice', () => {
    const second = signerOf();
    const added = addBundleSignature(bundle, second.key);
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    const parsed = parsePolicyBundle(added.value.bundle);
    expect(parsed.ok && parsed.value.signatures.map((s) => s.keyId)).toEqual([pair.keyId, second.pair.keyId]);
    expect(parsed.ok && parsed.value.payload).toEqual(payload);
    const again = addBundleSignature(added.value.bundle, second.key);
    expect(!again.ok && again.error.code).toBe('already-signed');
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string().map((s) => encoder.encode(s))), (bytes) => {
        const parsed = parsePolicyBundle(bytes);
        expect(typeof parsed.ok).toBe('boolean');
      }),
    );
  });
});
