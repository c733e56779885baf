import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeKeyId, createTrustStore, generateSigningKeyPair, parsePrivateKey, parsePublicKey } from './keys';

describe('signing keys', () => {
  it('generates a pair whose halves parse and share the key id', () => {
    const pair = generateSigningKeyPair();
    expect(pair.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(pair.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(pair.publicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
    const pub = parsePublicKey(pair.publicKeyPem);
    const priv = parsePrivateKey(pair.privateKeyPem);
    expect(pub.ok && pub.value.keyId).toBe(pair.keyId);
    expect(priv.ok && priv.value.keyId).toBe(pair.keyId);
  });

  it('key id is the first 16 bytes of SHA-256 of the raw public key', () => {
    // RFC 8032 §7.1 test 1 public key.
    const raw = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const parsed = parsePublicKey(pem);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const expected = createHash('sha256').update(raw).digest('hex').slice(0, 32);
    expect(parsed.value.keyId).toBe(expected);
    expect(computeKeyId(parsed.value.publicKey)).toBe(expected);
  });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pair = generateSigningKeyPair();
  const encrypted = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();

  it.each([
    ['garbage', 'hello', 'not-pem', 'no -----BEGIN PUBLIC KEY----- line'],
    ['an RSA key', rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'not-ed25519', 'only with Ed25519'],
    ['an EC key', ec.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'not-ed25519', 'only with Ed25519'],
    ['a private key', pair.privateKeyPem, 'private-key-given', 'this is a private key'],
    ['two keys', pair.publicKeyPem + pair.publicKeyPem, 'several-keys', 'exactly one key'],
    ['a damaged key', pair.publicKeyPem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!'), 'corrupt-key', 'cannot be decoded'],
    ['a PKCS#1 RSA key', rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString(), 'not-ed25519', 'RSA PUBLIC KEY'],
  ])('parsePublicKey refuses %s', (_name, pem, code, fragment) => {
    const parsed = parsePublicKey(pem);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.message.en).toContain(fragment);
    expect(parsed.error.message.ja).not.toBe('');
  });

  it.each([
    ['garbage', '', 'not-pem'],
    ['a public key', pair.publicKeyPem, 'public-key-given'],
    ['an encrypted key', encrypted, 'encrypted-key'],
    ['an RSA key', rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'not-ed25519'],
  ])('parsePrivateKey refuses %s', (_name, pem, code) => {
    const parsed = parsePrivateKey(pem);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe(code);
  });
});

describe('createTrustStore', () => {
  const a = generateSigningKeyPair();
  const b = generateSigningKeyPair();

  it('indexes keys by key id, labels them by file name, keeps duplicates once', () => {
    const store = createTrustStore([
      { path: '/t/city.pub.pem', name: 'city.pub.pem', text: a.publicKeyPem },
      { path: '/t/backup.pub.pem', name: 'backup.pub.pem', text: b.publicKeyPem },
      { path: '/t/copy.pub.pem', name: 'copy.pub.pem', text: a.publicKeyPem },
    ]);
    expect(store.ok).toBe(true);
    if (!store.ok) return;
    expect(store.value.size).toBe(2);
    expect(store.value.get(a.keyId)).toMatchObject({ label: 'city', source: '/t/city.pub.pem' });
    expect(store.value.get(b.keyId)?.label).toBe('backup');
  });

  it('is empty (and so refuses everything later) when there are no files', () => {
    const store = createTrustStore([]);
    expect(store.ok && store.value.size).toBe(0);
  });

  it('fails naming the bad file', () => {
    const store = createTrustStore([
      { path: '/t/good.pub.pem', name: 'good.pub.pem', text: a.publicKeyPem },
      { path: '/t/bad.pub.pem', name: 'bad.pub.pem', text: 'nonsense' },
    ]);
    expect(store.ok).toBe(false);
    if (store.ok) return;
    expect(store.error.path).toBe('/t/bad.pub.pem');
    expect(store.error.message.ja).toContain('/t/bad.pub.pem');
    expect(store.error.message.en).toContain('/t/bad.pub.pem');
  });
});
