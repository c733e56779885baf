import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { KeyFileText } from './ports';

/**
 * Policy signing keys: Ed25519 (RFC 8032) in PEM files, PKCS#8 for the private key and SPKI for
 * the public key, as OpenSSL writes them. A key is named by its key id: the first 16 bytes of
 * SHA-256 over the raw 32-byte public key, in lowercase hex (32 characters).
 */

/** A freshly generated key pair, ready to be written to files. */
export interface SigningKeyPair {
  /** PKCS#8 PEM. A secret: keep it off the terminals (docs/cli.md, "Keys"). */
  readonly privateKeyPem: string;
  /** SPKI PEM, to be copied into each agent's trust store. */
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** A private key that can sign bundles. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly keyId: string;
}

/** A public key parsed from PEM. */
export interface PublicKeyInfo {
  readonly publicKey: KeyObject;
  readonly keyId: string;
}

/** A key the agent trusts to sign policies. */
export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** Short name for people: the file name without `.pub.pem`. */
  readonly label: string;
  /** Where it came from (file path). */
  readonly source: string;
}

/**
 * The keys trusted to sign policies, by key id. Empty means no bundle is ever accepted (fail
 * closed): an agent without trust anchors must not take a policy from anyone.
 */
export type TrustStore = ReadonlyMap<string, TrustedKey>;

/** Why a PEM text is not the key asked for. `message` does not name the file; callers add it. */
export interface KeyProblem {
  readonly code: 'not-pem' | 'several-keys' | 'private-key-given' | 'public-key-given' | 'encrypted-key' | 'not-ed25519' | 'corrupt-key';
  readonly message: Localized;
}

/** A key file of the trust store that could not be used. */
export interface TrustStoreProblem {
  readonly path: string;
  readonly problem: KeyProblem;
  /** One line naming the file, what is wrong and what to do. */
  readonly message: Localized;
}

/** Generates a new Ed25519 signing key pair. */
export function generateSigningKeyPair(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: computeKeyId(publicKey),
  };
}

/** Key id of an Ed25519 public key: hex of the first 16 bytes of SHA-256(raw 32-byte key). */
export function computeKeyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError('computeKeyId: not an Ed25519 public key');
  }
  const raw = Buffer.from(jwk.x, 'base64url');
  return createHash('sha256').update(raw).digest().subarray(0, 16).toString('hex');
}

const pemBegin = /-----BEGIN ([A-Z0-9 ]+)-----/g;

function pemLabels(text: string): string[] {
  return [...text.matchAll(pemBegin)].map((m) => m[1] ?? '');
}

function describeLabel(label: string): Localized {
  if (label === 'ENCRYPTED PRIVATE KEY') return msg('パスフレーズ付きの秘密鍵', 'a passphrase-protected private key');
  if (label === 'CERTIFICATE') return msg('証明書', 'a certificate');
  if (label.includes('PRIVATE')) return msg(`秘密鍵（${label}）`, `a private key (${label})`);
  return msg(`${label}`, `${label}`);
}

function wrongKind(expected: 'public' | 'private', label: string): KeyProblem {
  const want =
    expected === 'public'
      ? msg('Ed25519 の公開鍵（-----BEGIN PUBLIC KEY-----、mng policy keygen が作る .pub.pem）', 'an Ed25519 public key (-----BEGIN PUBLIC KEY-----, the .pub.pem made by mng policy keygen)')
      : msg('Ed25519 の秘密鍵（-----BEGIN PRIVATE KEY-----、mng policy keygen が作る .key.pem）', 'an Ed25519 private key (-----BEGIN PRIVATE KEY-----, the .key.pem made by mng policy keygen)');
  if (expected === 'public' && label === 'PRIVATE KEY') {
    return {
      code: 'private-key-given',
      message: msg(`秘密鍵が指定されました。ここに必要なのは ${want.ja} です。秘密鍵は端末に置かないでください`, `this is a private key; ${want.en} is needed here. Do not put private keys on terminals`),
    };
  }
  if (expected === 'private' && label === 'PUBLIC KEY') {
    return { code: 'public-key-given', message: msg(`公開鍵が指定されました。署名には ${want.ja} が必要です`, `this is a public key; signing needs ${want.en}`) };
  }
  if (label === 'ENCRYPTED PRIVATE KEY') {
    return {
      code: 'encrypted-key',
      message: msg(
        'パスフレーズ付きの秘密鍵には対応していません。署名用の隔離された端末で、暗号化していない PKCS#8 の鍵を使ってください',
        'passphrase-protected private keys are not supported; use an unencrypted PKCS#8 key on an isolated signing machine',
      ),
    };
  }
  const found = describeLabel(label);
  return { code: 'not-ed25519', message: msg(`${found.ja}です。${want.ja} を指定してください`, `this is ${found.en}; give ${want.en}`) };
}

function checkSinglePem(text: string, expected: 'public' | 'private'): Result<string, KeyProblem> {
  const labels = pemLabels(text);
  if (labels.length === 0) {
    const want = expected === 'public' ? 'PUBLIC KEY' : 'PRIVATE KEY';
    return err({
      code: 'not-pem',
      message: msg(`PEM 形式の鍵ではありません（-----BEGIN ${want}----- の行がありません）`, `not a PEM key (no -----BEGIN ${want}----- line)`),
    });
  }
  if (labels.length > 1) {
    return err({
      code: 'several-keys',
      message: msg(`PEM のブロックが ${labels.length} 個あります。1 ファイルに鍵は 1 つだけにしてください`, `the file holds ${labels.length} PEM blocks; put exactly one key in each file`),
    });
  }
  const label = labels[0] ?? '';
  const wanted = expected === 'public' ? 'PUBLIC KEY' : 'PRIVATE KEY';
  if (label !== wanted) return err(wrongKind(expected, label));
  return ok(label);
}

function corrupt(error: unknown): KeyProblem {
  const detail = error instanceof Error ? error.message : String(error);
  return {
    code: 'corrupt-key',
    message: msg(`鍵の中身を読み取れません（壊れているか途中で切れています: ${detail}）`, `the key cannot be decoded (damaged or cut short: ${detail})`),
  };
}

function notEd25519(type: string | undefined): KeyProblem {
  return {
    code: 'not-ed25519',
    message: msg(
      `${type ?? '不明な種類'} の鍵です。ポリシーの署名には Ed25519 の鍵だけが使えます（mng policy keygen で作ってください）`,
      `this is a ${type ?? 'unknown kind of'} key; policies are signed only with Ed25519 keys (make one with mng policy keygen)`,
    ),
  };
}

/** Parses an SPKI PEM Ed25519 public key. Never throws. */
export function parsePublicKey(pem: string): Result<PublicKeyInfo, KeyProblem> {
  const shape = checkSinglePem(pem, 'public');
  if (!shape.ok) return shape;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    // node:crypto reports undecodable key material by throwing; that is an expected outcome here.
    return err(corrupt(error));
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') return err(notEd25519(publicKey.asymmetricKeyType));
  return ok({ publicKey, keyId: computeKeyId(publicKey) });
}

/** Parses a PKCS#8 PEM Ed25519 private key. Never throws. */
export function parsePrivateKey(pem: string): Result<SigningKey, KeyProblem> {
  const shape = checkSinglePem(pem, 'private');
  if (!shape.ok) return shape;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // As above: undecodable key material is an expected outcome for a bad file.
    return err(corrupt(error));
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') return err(notEd25519(privateKey.asymmetricKeyType));
  return ok({ privateKey, keyId: computeKeyId(createPublicKey(privateKey)) });
}

/** File name suffix of a trusted public key in a trust directory. */
export const trustedKeySuffix = '.pub.pem';

/**
 * Builds a trust store from public key files. Any unusable file fails the whole store, naming
 * the file: a half-loaded trust store would make acceptance depend on which file broke. The same
 * key in two files is kept once (the first file in the given order).
 */
export function createTrustStore(files: readonly KeyFileText[]): Result<TrustStore, TrustStoreProblem> {
  const keys = new Map<string, TrustedKey>();
  for (const file of files) {
    const parsed = parsePublicKey(file.text);
    if (!parsed.ok) {
      return err({
        path: file.path,
        problem: parsed.error,
        message: msg(
          `信頼する鍵のファイル ${file.path} を使えません: ${parsed.error.message.ja}。このファイルを直すか、信頼ストアから取り除いてください`,
          `trusted key file ${file.path} cannot be used: ${parsed.error.message.en}. Fix it or remove it from the trust store`,
        ),
      });
    }
    if (keys.has(parsed.value.keyId)) continue;
    const label = file.name.endsWith(trustedKeySuffix) ? file.name.slice(0, -trustedKeySuffix.length) : file.name.replace(/\.pem$/, '');
    keys.set(parsed.value.keyId, { keyId: parsed.value.keyId, publicKey: parsed.value.publicKey, label, source: file.path });
  }
  return ok(keys);
}
