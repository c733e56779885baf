import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { TokenRecord, TotpAlgorithm } from './model';
import {
  aes128KeyBytes,
  decodeBase64,
  decryptAes128Cbc,
  derivePbkdf2Sha1,
  isValueMacValid,
  pskcAlgorithmUris,
} from './pskc-crypto';
import { childNamed, childrenNamed, parseSafeXml, pathNamed, type XmlElement } from './pskc-xml';

/**
 * PSKC import (RFC 6030) for hardware TOTP tokens (issue #5 item 1, mfa.md §4). Pure: bytes and
 * options in, token records or a list of problems out. Every problem names the key package
 * (position, Key Id, serial) and says what to do, in Japanese and English.
 */

/** The PSKC namespace (RFC 6030 §4). */
export const pskcNamespace = 'urn:ietf:params:xml:ns:keyprov:pskc';
/** TOTP algorithm URIs seen in the field (mfa.md §4): the registered-style form and the older draft form. */
export const pskcTotpAlgorithms: readonly string[] = ['urn:ietf:params:xml:ns:keyprov:pskc:totp', 'urn:ietf:params:xml:ns:keyprov:pskc#totp'];
const hotpAlgorithms: readonly string[] = ['urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc#hotp'];

/** Secret length bounds in bytes (RFC 4226 §4 R6; otplib guardrails, mfa.md §1.2). */
export const minSecretBytes = 16;
export const maxSecretBytes = 64;
/** Highest PBKDF2 iteration count accepted: a hostile file must not make the import run for hours. */
export const maxPbkdf2Iterations = 10_000_000;
const maxPeriodSeconds = 3600;
const maxDriftSteps = 1000;

/** How encrypted values are unlocked. */
export type PskcDecryptionKey =
  | { readonly kind: 'pre-shared'; readonly key: Uint8Array }
  | { readonly kind: 'passphrase'; readonly passphrase: string };

/** Options of `parsePskc`. */
export interface ParsePskcOptions {
  /** Key for EncryptedValue secrets: a 16-byte pre-shared key or a passphrase (PBKDF2). */
  readonly key?: PskcDecryptionKey;
  /** User of the only key package (`--user`), over the file's UserId; refused for files with several. */
  readonly defaultUser?: string;
  /** User per token serial number or Key Id; wins over the UserId in the file. */
  readonly userMap?: ReadonlyMap<string, string>;
  /** Skip key packages whose ValueMAC does not match instead of refusing the whole file (default false). */
  readonly skipBadMac?: boolean;
  /** `createdAt` of the records (ISO 8601). */
  readonly createdAt: string;
}

/** One imported token with what identifies it in the file. */
export interface PskcImportedKey {
  readonly record: TokenRecord;
  /** `Key/@Id`, when present. */
  readonly keyId: string | null;
  readonly manufacturer: string | null;
  readonly issuer: string | null;
  /** "key #1 (Id …, serial …)" for messages. */
  readonly label: Localized;
}

/** Stable problem codes (for tests and JSON output). */
export type PskcProblemCode =
  | 'xml-too-large'
  | 'xml-not-utf8'
  | 'xml-doctype-refused'
  | 'xml-malformed'
  | 'xml-too-deep'
  | 'xml-too-many-elements'
  | 'not-pskc'
  | 'unsupported-version'
  | 'no-key-packages'
  | 'key-required'
  | 'key-kind-mismatch'
  | 'key-invalid'
  | 'kdf-unsupported'
  | 'encryption-unsupported'
  | 'wrong-key'
  | 'mac-missing'
  | 'mac-unsupported'
  | 'mac-mismatch'
  | 'hotp-refused'
  | 'algorithm-unsupported'
  | 'suite-unsupported'
  | 'digits-unsupported'
  | 'parameter-invalid'
  | 'secret-missing'
  | 'secret-invalid'
  | 'secret-length'
  | 'user-missing'
  | 'user-invalid'
  | 'user-duplicate';

/** One reason a file or a key package was refused. `keyPackage` is null for the whole file. */
export interface PskcProblem {
  readonly code: PskcProblemCode;
  readonly keyPackage: Localized | null;
  /** What is wrong, where, and what to do. */
  readonly message: Localized;
}

/** A successful import: the tokens, and the key packages skipped with `skipBadMac`. */
export interface PskcImport {
  readonly keys: readonly PskcImportedKey[];
  readonly skipped: readonly PskcProblem[];
}

/** Why nothing was imported. */
export interface PskcFailure {
  readonly problems: readonly PskcProblem[];
}

/**
 * Parses a PSKC KeyContainer and returns one TokenRecord (source 'pskc') per TOTP key package.
 * All or nothing: any problem refuses the whole file, except a bad ValueMAC with `skipBadMac`.
 * Never throws.
 */
export function parsePskc(input: Uint8Array | string, options: ParsePskcOptions): Result<PskcImport, PskcFailure> {
  const xml = parseSafeXml(input);
  if (!xml.ok) return fail({ code: `xml-${xml.error.code}`, keyPackage: null, message: xml.error.message });
  const root = xml.value;
  if (root.local !== 'KeyContainer' || root.uri !== pskcNamespace) {
    return fileFail(
      'not-pskc',
      `PSKC の KeyContainer ではありません（最上位の要素が ${root.local}、名前空間 ${root.uri || 'なし'}）。トークンのベンダーから受け取った PSKC ファイルを指定してください`,
      `this is not a PSKC KeyContainer (root element ${root.local}, namespace ${root.uri || 'none'}); give the PSKC file received from the token vendor`,
    );
  }
  const version = root.attributes.Version;
  if (version !== undefined && version !== '1.0') {
    return fileFail(
      'unsupported-version',
      `PSKC のバージョン ${version} には対応していません（対応は 1.0）。RFC 6030 形式のファイルをベンダーに依頼してください`,
      `PSKC version ${version} is not supported (1.0 is); ask the vendor for an RFC 6030 file`,
    );
  }
  const packages = childrenNamed(root, 'KeyPackage');
  if (packages.length === 0) {
    return fileFail('no-key-packages', 'KeyPackage（トークン）が 1 つもありません。正しいファイルか確認してください', 'the file holds no KeyPackage (token); check that it is the right file');
  }

  if (options.defaultUser !== undefined && packages.length > 1) {
    return fileFail(
      'user-invalid',
      `このファイルには ${packages.length} 個のトークンがあるので --user は使えません。--user-map <シリアル>=<利用者名> でトークンごとに割り当ててください`,
      `the file holds ${packages.length} tokens, so --user cannot be used; assign each with --user-map <serial>=<name>`,
    );
  }

  const encryptionKey = resolveEncryptionKey(root, options.key);
  if (!encryptionKey.ok) return fail(encryptionKey.error);
  const anyEncrypted = packages.some((keyPackage) => pathNamed(keyPackage, 'Key', 'Data', 'Secret', 'EncryptedValue') !== null);
  if (anyEncrypted && encryptionKey.value === null) {
    return fail(missingKeyProblem(root));
  }
  let macKey: Uint8Array | null = null;
  if (anyEncrypted && encryptionKey.value !== null) {
    const mac = resolveMacKey(root, encryptionKey.value);
    if (!mac.ok) return fail(mac.error);
    macKey = mac.value;
  }

  const keys: PskcImportedKey[] = [];
  const problems: PskcProblem[] = [];
  const skipped: PskcProblem[] = [];
  const users = new Map<string, Localized>();
  let encryptedCount = 0;
  let badMacCount = 0;
  packages.forEach((keyPackage, index) => {
    const result = parseKeyPackage(keyPackage, index, packages.length, { ...options, encryptionKey: encryptionKey.value, macKey });
    if (result.encrypted) encryptedCount += 1;
    if (!result.ok) {
      if (result.problem.code === 'mac-mismatch') {
        badMacCount += 1;
        if (options.skipBadMac === true) {
          skipped.push(result.problem);
          return;
        }
      }
      problems.push(result.problem);
      return;
    }
    const previous = users.get(result.key.record.user);
    if (previous !== undefined) {
      problems.push(
        keyProblem(
          'user-duplicate',
          result.key.label,
          `利用者 ${result.key.record.user} には${previous.ja}が既に割り当てられています。1 人に 1 つのトークンにしてください（--user-map で割り当てを変えられます）`,
          `user ${result.key.record.user} already gets ${previous.en}; give each user one token (change the assignment with --user-map)`,
        ),
      );
      return;
    }
    users.set(result.key.record.user, result.key.label);
    keys.push(result.key);
  });

  // Several values and every MAC wrong: the key is wrong (the MAC key decrypted to valid padding
  // by chance, 1 in 256), not tampering. One value alone cannot tell; its message names both.
  if (encryptedCount > 1 && badMacCount === encryptedCount) return fail(wrongKeyProblem(options.key));
  if (problems.length > 0) return err({ problems });
  return ok({ keys, skipped });
}

// ---------------------------------------------------------------------------------------------
// File-level: encryption key and MAC key

function resolveEncryptionKey(root: XmlElement, given: PskcDecryptionKey | undefined): Result<Uint8Array | null, PskcProblem> {
  if (given === undefined) return ok(null);
  const declared = childNamed(root, 'EncryptionKey');
  const derived = childNamed(declared, 'DerivedKey');
  if (given.kind === 'pre-shared') {
    if (derived !== null) {
      const name = childNamed(derived, 'MasterKeyName')?.text.trim();
      return err(
        fileProblem(
          'key-kind-mismatch',
          `このファイルはパスフレーズで保護されています${name ? `（${name}）` : ''}。--psk-hex ではなく --passphrase-file でパスフレーズを指定してください`,
          `this file is protected with a passphrase${name ? ` (${name})` : ''}; give it with --passphrase-file instead of --psk-hex`,
        ),
      );
    }
    if (given.key.length !== aes128KeyBytes) {
      return err(
        fileProblem(
          'key-invalid',
          `事前共有鍵は ${aes128KeyBytes} バイト（16 進 32 文字）でなければなりません（指定は ${given.key.length} バイト）。ベンダーから受け取った鍵を確認してください`,
          `the pre-shared key must be ${aes128KeyBytes} bytes (32 hex digits), got ${given.key.length}; check the key received from the vendor`,
        ),
      );
    }
    return ok(given.key);
  }
  if (derived === null) {
    return err(
      fileProblem(
        'key-kind-mismatch',
        'このファイルはパスフレーズ（PBKDF2）ではなく事前共有鍵で保護されています。--passphrase-file ではなく --psk-hex で鍵を指定してください',
        'this file is protected with a pre-shared key, not a passphrase (PBKDF2); give the key with --psk-hex instead of --passphrase-file',
      ),
    );
  }
  const method = childNamed(derived, 'KeyDerivationMethod');
  if (method?.attributes.Algorithm !== pskcAlgorithmUris.pbkdf2) {
    return err(
      fileProblem(
        'kdf-unsupported',
        `鍵導出方式 ${method?.attributes.Algorithm ?? '（なし）'} には対応していません（対応は PBKDF2）。PBKDF2 か事前共有鍵で作り直すようベンダーに依頼してください`,
        `key derivation ${method?.attributes.Algorithm ?? '(none)'} is not supported (PBKDF2 is); ask the vendor for a PBKDF2 or pre-shared-key file`,
      ),
    );
  }
  const params = childNamed(method, 'PBKDF2-params');
  const salt = decodeBase64(pathNamed(params, 'Salt', 'Specified')?.text ?? '');
  const iterations = parseDecimal(childNamed(params, 'IterationCount')?.text);
  const keyLengthText = childNamed(params, 'KeyLength')?.text;
  const keyLength = keyLengthText === undefined ? aes128KeyBytes : parseDecimal(keyLengthText);
  const prf = childNamed(params, 'PRF');
  const prfAlgorithm = prf?.attributes.Algorithm;
  if (salt === null || salt.length === 0 || iterations === null || iterations < 1 || iterations > maxPbkdf2Iterations) {
    return err(
      fileProblem(
        'kdf-unsupported',
        `PBKDF2 のパラメータ（Salt、IterationCount 1〜${maxPbkdf2Iterations}）が正しくありません。ファイルが壊れていないかベンダーに確認してください`,
        `the PBKDF2 parameters (Salt, IterationCount 1 to ${maxPbkdf2Iterations}) are invalid; ask the vendor whether the file is intact`,
      ),
    );
  }
  if (keyLength !== aes128KeyBytes) {
    return err(
      fileProblem(
        'kdf-unsupported',
        `PBKDF2 の KeyLength ${keyLengthText ?? ''} には対応していません（AES-128 用の 16 のみ）。ベンダーに確認してください`,
        `PBKDF2 KeyLength ${keyLengthText ?? ''} is not supported (only 16, for AES-128); ask the vendor`,
      ),
    );
  }
  // An empty <PRF/> (as in RFC 6030 Figure 7) means the default, HMAC-SHA1 (RFC 8018 Appendix A.2).
  if (prfAlgorithm !== undefined && prfAlgorithm !== pskcAlgorithmUris.hmacSha1) {
    return err(
      fileProblem(
        'kdf-unsupported',
        `PBKDF2 の PRF ${prfAlgorithm} には対応していません（HMAC-SHA1 のみ）。ベンダーに確認してください`,
        `PBKDF2 PRF ${prfAlgorithm} is not supported (HMAC-SHA1 only); ask the vendor`,
      ),
    );
  }
  return ok(derivePbkdf2Sha1(given.passphrase, salt, iterations, keyLength));
}

function resolveMacKey(root: XmlElement, encryptionKey: Uint8Array): Result<Uint8Array, PskcProblem> {
  const method = childNamed(root, 'MACMethod');
  if (method === null) {
    return err(
      fileProblem(
        'mac-missing',
        '暗号化された値があるのに MACMethod（改ざん検出用の MAC）がありません。改ざんを検出できないファイルは読み込みません。MAC 付きのファイルをベンダーに依頼してください',
        'the file has encrypted values but no MACMethod (tamper-detection MAC); a file whose integrity cannot be checked is refused: ask the vendor for one with a MAC',
      ),
    );
  }
  if (method.attributes.Algorithm !== pskcAlgorithmUris.hmacSha1) {
    return err(
      fileProblem(
        'mac-unsupported',
        `MAC 方式 ${method.attributes.Algorithm ?? '（なし）'} には対応していません（HMAC-SHA1 のみ）。ベンダーに確認してください`,
        `MAC algorithm ${method.attributes.Algorithm ?? '(none)'} is not supported (HMAC-SHA1 only); ask the vendor`,
      ),
    );
  }
  const macKeyElement = childNamed(method, 'MACKey');
  if (macKeyElement === null) {
    return err(
      fileProblem(
        'mac-missing',
        'MACMethod に MACKey（暗号化された MAC 鍵）がありません。ベンダーに確認してください',
        'MACMethod has no MACKey (the encrypted MAC key); ask the vendor',
      ),
    );
  }
  const encrypted = readEncrypted(macKeyElement);
  if (!encrypted.ok) return err(fileProblem(encrypted.error.code, encrypted.error.ja, encrypted.error.en));
  const macKey = decryptAes128Cbc(encryptionKey, encrypted.value);
  if (macKey === null || macKey.length === 0) return err(wrongKeyProblem(undefined));
  return ok(macKey);
}

function missingKeyProblem(root: XmlElement): PskcProblem {
  const derived = pathNamed(root, 'EncryptionKey', 'DerivedKey');
  if (derived !== null) {
    return fileProblem(
      'key-required',
      '秘密鍵がパスフレーズで暗号化されています。--passphrase-file でパスフレーズを書いたファイルを指定してください',
      'the secrets are encrypted with a passphrase; give a file holding it with --passphrase-file',
    );
  }
  const name = pathNamed(root, 'EncryptionKey', 'KeyName')?.text.trim();
  return fileProblem(
    'key-required',
    `秘密鍵が事前共有鍵${name ? `「${name}」` : ''}で暗号化されています。ベンダーから別経路で受け取った鍵を --psk-hex で指定してください`,
    `the secrets are encrypted with a pre-shared key${name ? ` "${name}"` : ''}; give the key received from the vendor by another channel with --psk-hex`,
  );
}

function wrongKeyProblem(key: PskcDecryptionKey | undefined): PskcProblem {
  const passphrase = key?.kind === 'passphrase';
  return fileProblem(
    'wrong-key',
    passphrase
      ? '復号できません。パスフレーズが違います。ベンダーから受け取ったパスフレーズを確認してください'
      : '復号できません。鍵またはパスフレーズが違います。ベンダーから受け取ったものを確認してください',
    passphrase
      ? 'cannot decrypt: the passphrase is wrong; check the passphrase received from the vendor'
      : 'cannot decrypt: the key or passphrase is wrong; check what the vendor sent',
  );
}

// ---------------------------------------------------------------------------------------------
// Key packages

interface KeyPackageContext extends ParsePskcOptions {
  readonly encryptionKey: Uint8Array | null;
  readonly macKey: Uint8Array | null;
}

type KeyPackageResult =
  | { readonly ok: true; readonly key: PskcImportedKey; readonly encrypted: boolean }
  | { readonly ok: false; readonly problem: PskcProblem; readonly encrypted: boolean };

function parseKeyPackage(keyPackage: XmlElement, index: number, count: number, context: KeyPackageContext): KeyPackageResult {
  const key = childNamed(keyPackage, 'Key');
  const keyId = key?.attributes.Id?.trim() || null;
  const serial = pathNamed(keyPackage, 'DeviceInfo', 'SerialNo')?.text.trim() || null;
  const label = keyPackageLabel(index, keyId, serial);
  const encrypted = pathNamed(key, 'Data', 'Secret', 'EncryptedValue') !== null;
  const problem = (code: PskcProblemCode, ja: string, en: string): KeyPackageResult => ({ ok: false, problem: keyProblem(code, label, ja, en), encrypted });

  if (key === null) return problem('secret-missing', 'Key 要素がありません。ベンダーに確認してください', 'it has no Key element; ask the vendor');
  const algorithm = key.attributes.Algorithm ?? '';
  if (hotpAlgorithms.includes(algorithm)) {
    return problem(
      'hotp-refused',
      'HOTP（イベント方式）のトークンです。本製品は TOTP（時刻方式、RFC 6238）のみ使えます。TOTP 方式のトークンを用意してください',
      'this is an HOTP (event-based) token; the product uses TOTP (time-based, RFC 6238) only: use TOTP tokens',
    );
  }
  if (!pskcTotpAlgorithms.includes(algorithm)) {
    return problem(
      'algorithm-unsupported',
      `アルゴリズム ${algorithm || '（なし）'} には対応していません（TOTP のみ）。TOTP 方式のトークンか確認してください`,
      `algorithm ${algorithm || '(none)'} is not supported (TOTP only); check that the token is a TOTP token`,
    );
  }

  const parameters = childNamed(key, 'AlgorithmParameters');
  const suite = childNamed(parameters, 'Suite')?.text.trim();
  const hash = parseSuite(suite);
  if (hash === null) {
    return problem(
      'suite-unsupported',
      `Suite ${suite ?? ''} には対応していません（HMAC-SHA1、SHA256、SHA512）。ベンダーに確認してください`,
      `Suite ${suite ?? ''} is not supported (HMAC-SHA1, SHA256, SHA512); ask the vendor`,
    );
  }
  const format = childNamed(parameters, 'ResponseFormat');
  const length = parseDecimal(format?.attributes.Length);
  const encoding = format?.attributes.Encoding;
  if (format === null || (length !== 6 && length !== 8) || (encoding !== undefined && encoding !== 'DECIMAL')) {
    return problem(
      'digits-unsupported',
      `ResponseFormat（Length ${format?.attributes.Length ?? 'なし'}、Encoding ${encoding ?? 'なし'}）に対応していません。10 進 6 桁か 8 桁のトークンだけ使えます`,
      `ResponseFormat (Length ${format?.attributes.Length ?? 'none'}, Encoding ${encoding ?? 'none'}) is not supported; only 6- or 8-digit decimal tokens work`,
    );
  }

  const data = childNamed(key, 'Data');
  const interval = readPlainInteger(childNamed(data, 'TimeInterval'));
  const drift = readPlainInteger(childNamed(data, 'TimeDrift'));
  // RFC 6030 §4.3.4: TimeInterval defaults to 30 seconds.
  const periodSeconds = interval === undefined ? 30 : interval;
  if (periodSeconds === null || periodSeconds < 1 || periodSeconds > maxPeriodSeconds) {
    return problem(
      'parameter-invalid',
      `TimeInterval が正しくありません（1〜${maxPeriodSeconds} 秒の平文の整数）。ベンダーに確認してください`,
      `TimeInterval is invalid (a plain integer from 1 to ${maxPeriodSeconds} seconds); ask the vendor`,
    );
  }
  const driftSteps = drift === undefined ? 0 : drift;
  if (driftSteps === null || Math.abs(driftSteps) > maxDriftSteps) {
    return problem(
      'parameter-invalid',
      `TimeDrift が正しくありません（±${maxDriftSteps} ステップ以内の平文の整数）。ベンダーに確認してください`,
      `TimeDrift is invalid (a plain integer within ±${maxDriftSteps} steps); ask the vendor`,
    );
  }

  const secretElement = childNamed(data, 'Secret');
  const secret = readSecret(secretElement, context);
  if (!secret.ok) return problem(secret.error.code, secret.error.ja, secret.error.en);
  if (secret.value.length < minSecretBytes || secret.value.length > maxSecretBytes) {
    return problem(
      'secret-length',
      `秘密鍵が ${secret.value.length} バイトです（${minSecretBytes}〜${maxSecretBytes} バイトが必要、RFC 4226）。短い鍵のトークンは安全でないため使えません。ベンダーに確認してください`,
      `the secret is ${secret.value.length} bytes (${minSecretBytes} to ${maxSecretBytes} required, RFC 4226); tokens with short keys are unsafe and not accepted: ask the vendor`,
    );
  }

  const user = decideUser(keyPackage, key, keyId, serial, count, context);
  if (!user.ok) return problem(user.error.code, user.error.ja, user.error.en);

  const record: TokenRecord = {
    user: user.value,
    secret: secret.value,
    algorithm: hash,
    digits: length,
    periodSeconds,
    driftSteps,
    source: 'pskc',
    serial,
    createdAt: context.createdAt,
  };
  return {
    ok: true,
    encrypted,
    key: {
      record,
      keyId,
      manufacturer: pathNamed(keyPackage, 'DeviceInfo', 'Manufacturer')?.text.trim() || null,
      issuer: childNamed(key, 'Issuer')?.text.trim() || null,
      label,
    },
  };
}

interface LocalProblem {
  readonly code: PskcProblemCode;
  readonly ja: string;
  readonly en: string;
}

function readSecret(secret: XmlElement | null, context: KeyPackageContext): Result<Uint8Array, LocalProblem> {
  const plain = childNamed(secret, 'PlainValue');
  if (plain !== null) {
    const bytes = decodeBase64(plain.text);
    if (bytes === null) return err({ code: 'secret-invalid', ja: 'PlainValue が base64 ではありません。ベンダーに確認してください', en: 'PlainValue is not base64; ask the vendor' });
    return ok(bytes);
  }
  const encryptedElement = childNamed(secret, 'EncryptedValue');
  if (encryptedElement === null) {
    return err({ code: 'secret-missing', ja: 'Secret（PlainValue か EncryptedValue）がありません。ベンダーに確認してください', en: 'there is no Secret (PlainValue or EncryptedValue); ask the vendor' });
  }
  const encrypted = readEncrypted(encryptedElement);
  if (!encrypted.ok) return encrypted;
  // Both are set whenever a value is encrypted (checked at file level before key packages).
  if (context.encryptionKey === null || context.macKey === null) {
    return err({ code: 'key-required', ja: '秘密鍵が暗号化されていますが鍵が指定されていません', en: 'the secret is encrypted but no key was given' });
  }
  const macText = childNamed(secret, 'ValueMAC')?.text;
  const valueMac = macText === undefined ? null : decodeBase64(macText);
  if (valueMac === null) {
    return err({
      code: 'mac-missing',
      ja: 'ValueMAC（改ざん検出用の MAC）がありません。MAC のない暗号化値は読み込みません。ベンダーに確認してください',
      en: 'there is no ValueMAC (tamper-detection MAC); encrypted values without one are refused: ask the vendor',
    });
  }
  // RFC 6030 §6.1.1: check the MAC over IV ‖ ciphertext before decrypting.
  if (!isValueMacValid(context.macKey, encrypted.value, valueMac)) {
    return err({
      code: 'mac-mismatch',
      ja: 'ValueMAC が一致しません。ファイルが改ざん・破損しているか、鍵・パスフレーズが違います。鍵を確かめ、ファイルをベンダーから受け取り直してください（--skip-bad-mac でこのトークンだけ飛ばせます）',
      en: 'the ValueMAC does not match: the file was altered or damaged, or the key or passphrase is wrong; check the key and get the file again from the vendor (--skip-bad-mac skips only this token)',
    });
  }
  const plainBytes = decryptAes128Cbc(context.encryptionKey, encrypted.value);
  if (plainBytes === null) {
    return err({ code: 'wrong-key', ja: '復号できません。鍵が違うかファイルが壊れています。ベンダーに確認してください', en: 'cannot decrypt: wrong key or a damaged file; ask the vendor' });
  }
  return ok(plainBytes);
}

/** Reads an xmlenc EncryptedData-like element (EncryptionMethod + CipherData/CipherValue). */
function readEncrypted(element: XmlElement): Result<Uint8Array, LocalProblem> {
  const algorithm = childNamed(element, 'EncryptionMethod')?.attributes.Algorithm;
  if (algorithm !== pskcAlgorithmUris.aes128Cbc) {
    return err({
      code: 'encryption-unsupported',
      ja: `暗号方式 ${algorithm ?? '（なし）'} には対応していません（AES-128-CBC のみ）。ベンダーに AES-128-CBC で作り直すよう依頼してください`,
      en: `encryption ${algorithm ?? '(none)'} is not supported (AES-128-CBC only); ask the vendor for an AES-128-CBC file`,
    });
  }
  const value = decodeBase64(pathNamed(element, 'CipherData', 'CipherValue')?.text ?? '');
  if (value === null || value.length < 32 || value.length % 16 !== 0) {
    return err({
      code: 'secret-invalid',
      ja: 'CipherValue が正しくありません（IV 16 バイト＋暗号文の base64）。ファイルが壊れていないか確認してください',
      en: 'CipherValue is invalid (base64 of a 16-byte IV and the ciphertext); check that the file is intact',
    });
  }
  return ok(value);
}

/** POSIX-portable user names (plus `@` for directory users); whitespace would break the pam_oath usersfile. */
const userNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;

/** Whether `name` is accepted as a user name for a token. */
export function isValidTokenUser(name: string): boolean {
  return userNamePattern.test(name);
}

function decideUser(
  keyPackage: XmlElement,
  key: XmlElement,
  keyId: string | null,
  serial: string | null,
  count: number,
  options: ParsePskcOptions,
): Result<string, LocalProblem> {
  const mapped = (serial !== null ? options.userMap?.get(serial) : undefined) ?? (keyId !== null ? options.userMap?.get(keyId) : undefined);
  const fromFile = childNamed(key, 'UserId')?.text.trim() || pathNamed(keyPackage, 'DeviceInfo', 'UserId')?.text.trim() || undefined;
  // What the administrator says on the command line wins over the file: vendors often put a
  // directory DN (RFC 6030 Figure 3: UID=jsmith,DC=example-bank,DC=net) in UserId.
  const given = count === 1 ? options.defaultUser : undefined;
  const user = mapped ?? given ?? fromFile;
  if (user === undefined) {
    return err({
      code: 'user-missing',
      ja:
        count === 1
          ? 'ファイルに利用者（UserId）がありません。--user <利用者名> で指定してください'
          : 'ファイルに利用者（UserId）がありません。--user-map <シリアル>=<利用者名> で割り当ててください',
      en:
        count === 1
          ? 'the file names no user (UserId); give one with --user <name>'
          : 'the file names no user (UserId); assign one with --user-map <serial>=<name>',
    });
  }
  if (!isValidTokenUser(user)) {
    return err({
      code: 'user-invalid',
      ja: `利用者名「${user.slice(0, 80)}」は OS の利用者名として使えません（英数字と _ . @ -、64 文字まで）。--user-map <シリアル>=<利用者名> で割り当ててください`,
      en: `"${user.slice(0, 80)}" is not usable as an OS user name (letters, digits, _ . @ -, up to 64); assign one with --user-map <serial>=<name>`,
    });
  }
  return ok(user);
}

// ---------------------------------------------------------------------------------------------
// Small readers

function parseSuite(suite: string | undefined): TotpAlgorithm | null {
  // RFC 6030 §4.3.3: Suite is optional; TOTP defaults to HMAC-SHA1 (RFC 6238 §1.2).
  if (suite === undefined || suite === '') return 'SHA1';
  const match = /^(?:HMAC-)?SHA-?(1|256|512)$/i.exec(suite);
  if (match === null) return null;
  return `SHA${match[1]}` as TotpAlgorithm;
}

function parseDecimal(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return null;
  return Number(trimmed);
}

/** undefined: element absent; null: present but not a plain integer. */
function readPlainInteger(element: XmlElement | null): number | null | undefined {
  if (element === null) return undefined;
  const plain = childNamed(element, 'PlainValue');
  if (plain === null) return null;
  const trimmed = plain.text.trim();
  if (!/^-?\d{1,9}$/.test(trimmed)) return null;
  return Number(trimmed);
}

function keyPackageLabel(index: number, keyId: string | null, serial: string | null): Localized {
  const jaParts = [keyId === null ? null : `Id ${keyId}`, serial === null ? null : `シリアル ${serial}`].filter((part) => part !== null);
  const enParts = [keyId === null ? null : `Id ${keyId}`, serial === null ? null : `serial ${serial}`].filter((part) => part !== null);
  return msg(
    `KeyPackage ${index + 1}${jaParts.length > 0 ? `（${jaParts.join('、')}）` : ''}`,
    `KeyPackage ${index + 1}${enParts.length > 0 ? ` (${enParts.join(', ')})` : ''}`,
  );
}

function keyProblem(code: PskcProblemCode, label: Localized, ja: string, en: string): PskcProblem {
  return { code, keyPackage: label, message: msg(`${label.ja}: ${ja}`, `${label.en}: ${en}`) };
}

function fileProblem(code: PskcProblemCode, ja: string, en: string): PskcProblem {
  return { code, keyPackage: null, message: msg(ja, en) };
}

function fileFail(code: PskcProblemCode, ja: string, en: string): Result<never, PskcFailure> {
  return fail(fileProblem(code, ja, en));
}

function fail(problem: PskcProblem): Result<never, PskcFailure> {
  return err({ problems: [problem] });
}
