import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import { rejection, type BundleRejection } from './rejection';
import { escapePointerSegment, parseStrictJson, type JsonValue, type ParsedJson } from './strict-json';

/**
 * The signed policy bundle file (docs/cli.md, "Bundle format"): a JSON object with exactly
 * `format`, `payloadType`, `payload` (base64 of the exact policy YAML bytes) and `signatures`.
 * This file reads and writes the container; it does not check signatures (verify-bundle.ts does).
 */

/** Value of the `format` field. A future incompatible format gets a new version suffix. */
export const bundleFormat = 'mynumber-guard.policy-bundle/v1';
/** Value of `payloadType`: the only payload this format carries. It is part of what is signed. */
export const policyPayloadType = 'application/vnd.mynumber-guard.zone-policy+yaml';
/** Signature algorithm name in `signatures[].alg`. */
export const signatureAlgorithm = 'ed25519';
/** Largest bundle file accepted, in bytes (2 MiB). Checked before anything is parsed. */
export const maxBundleBytes = 2 * 1024 * 1024;
/** Largest decoded payload accepted, in bytes (1 MiB). */
export const maxPayloadBytes = 1024 * 1024;
/** Most signatures a bundle may carry; more only costs verification time. */
export const maxSignatures = 8;
/** Length of an Ed25519 signature in bytes (RFC 8032 §5.1.6). */
export const ed25519SignatureBytes = 64;
/** A key id is the first 16 bytes of SHA-256 of the raw 32-byte public key, in lowercase hex. */
export const keyIdPattern = /^[0-9a-f]{32}$/;

const pae = new TextEncoder();
const bundleFields = ['format', 'payloadType', 'payload', 'signatures'] as const;
const signatureFields = ['keyId', 'alg', 'sig'] as const;

/** One entry of `signatures`, decoded. */
export interface BundleSignature {
  readonly keyId: string;
  readonly alg: typeof signatureAlgorithm;
  /** The raw 64-byte signature. */
  readonly sig: Uint8Array;
}

/** A bundle whose container is well-formed. Nothing in it is authenticated yet. */
export interface ParsedBundle {
  readonly payloadType: typeof policyPayloadType;
  /** The exact payload bytes (the policy YAML), as signed. */
  readonly payload: Uint8Array;
  readonly signatures: readonly BundleSignature[];
}

/**
 * The bytes a signature covers: a DSSE-style pre-authentication encoding
 * `"MNGPOLICYv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal bytes.
 * Binding the type and lengths means no other message of ours can be confused with a policy.
 */
export function encodePreAuthentication(payloadType: string, payload: Uint8Array): Uint8Array {
  const typeBytes = pae.encode(payloadType);
  const header = pae.encode(`MNGPOLICYv1 ${typeBytes.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** Encodes bytes as canonical base64 (RFC 4648 §4, with padding). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Why a string is not canonical base64, or undefined when it is. */
export function describeNonCanonicalBase64(text: string): Localized | undefined {
  if (/\s/.test(text)) return msg('空白や改行が含まれています', 'it contains whitespace or line breaks');
  if (/[-_]/.test(text)) return msg('base64url の文字（- や _）が含まれています', 'it contains base64url characters (- or _)');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return msg('base64 に使えない文字が含まれています', 'it contains characters that are not base64');
  if (text.length % 4 !== 0) return msg('パディング（=）が欠けているか、長さが 4 の倍数ではありません', 'padding (=) is missing or the length is not a multiple of 4');
  if (Buffer.from(text, 'base64').toString('base64') !== text) {
    return msg('正規の形ではありません（パディングの余りビットが 0 ではありません）', 'it is not in canonical form (the unused padding bits are not zero)');
  }
  return undefined;
}

/** Decodes strict canonical base64; undefined for anything else (base64url, whitespace, odd padding). */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  if (describeNonCanonicalBase64(text) !== undefined) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Writes a bundle file: fixed field order, two-space indent, final newline. */
export function serializePolicyBundle(bundle: ParsedBundle): Uint8Array {
  const document = {
    format: bundleFormat,
    payloadType: bundle.payloadType,
    payload: encodeBase64(bundle.payload),
    signatures: bundle.signatures.map((s) => ({ keyId: s.keyId, alg: s.alg, sig: encodeBase64(s.sig) })),
  };
  return pae.encode(`${JSON.stringify(document, null, 2)}\n`);
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks and decodes the container of a bundle: size, UTF-8, strict JSON, exact field set,
 * format, payload type, canonical base64, signature entries. Never throws.
 */
export function parsePolicyBundle(bytes: Uint8Array): Result<ParsedBundle, BundleRejection> {
  if (bytes.length > maxBundleBytes) {
    return err(
      rejection(
        'too-large',
        msg(
          `バンドルが大きすぎます（${bytes.length} バイト、上限 ${maxBundleBytes} バイト）。正しいバンドルファイルを指定してください`,
          `the bundle is too large (${bytes.length} bytes, limit ${maxBundleBytes}); give the right bundle file`,
        ),
        { sizeBytes: bytes.length, maxBytes: maxBundleBytes },
      ),
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // A TypeError from the decoder is the expected answer for bytes that are not UTF-8.
    return err(
      rejection(
        'bundle-malformed',
        msg(
          'バンドルが UTF-8 のテキストではありません（バイナリファイルか、壊れています）。mng policy sign で作ったファイルを指定してください',
          'the bundle is not UTF-8 text (a binary or damaged file); give a file made by mng policy sign',
        ),
      ),
    );
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const { line, column } = parsed.error.position;
    return err(
      rejection(
        'bundle-malformed',
        msg(
          `バンドルの JSON が正しくありません（${line} 行 ${column} 列）: ${parsed.error.message.ja}`,
          `the bundle is not valid JSON (line ${line}, column ${column}): ${parsed.error.message.en}`,
        ),
        { line, column },
      ),
    );
  }
  return checkBundleShape(parsed.value);
}

function at(json: ParsedJson, pointer: string): { line?: number; column?: number; pointer: string } {
  const position = json.positionOf(pointer);
  return position === undefined ? { pointer } : { pointer, line: position.line, column: position.column };
}

function where(details: { line?: number; column?: number }): Localized {
  return details.line === undefined
    ? msg('', '')
    : msg(`（${details.line} 行 ${details.column} 列）`, ` (line ${details.line}, column ${details.column})`);
}

function malformed(json: ParsedJson, pointer: string, text: Localized, extra: { signatureIndex?: number } = {}): BundleRejection {
  const details = { ...at(json, pointer), ...extra };
  const place = where(details);
  return rejection(
    'bundle-malformed',
    msg(`バンドルの形式が正しくありません${place.ja}: ${text.ja}`, `the bundle is malformed${place.en}: ${text.en}`),
    details,
  );
}

function checkFields(
  json: ParsedJson,
  pointer: string,
  value: JsonObject,
  expected: readonly string[],
  what: Localized,
  extra: { signatureIndex?: number } = {},
): BundleRejection | undefined {
  for (const key of Object.keys(value)) {
    if (!expected.includes(key)) {
      return malformed(
        json,
        `${pointer}/${escapePointerSegment(key)}`,
        msg(`${what.ja}に不明な項目 ${JSON.stringify(key)} があります（使える項目: ${expected.join(', ')}）`, `unknown field ${JSON.stringify(key)} in ${what.en} (allowed: ${expected.join(', ')})`),
        extra,
      );
    }
  }
  for (const key of expected) {
    if (!(key in value)) {
      return malformed(json, pointer, msg(`${what.ja}に項目 "${key}" がありません`, `${what.en} lacks the field "${key}"`), extra);
    }
  }
  return undefined;
}

function checkBundleShape(json: ParsedJson): Result<ParsedBundle, BundleRejection> {
  const root = json.value;
  if (!isObject(root)) return err(malformed(json, '', msg('最上位が JSON オブジェクトではありません', 'the top level is not a JSON object')));
  const fieldProblem = checkFields(json, '', root, bundleFields, msg('バンドル', 'the bundle'));
  if (fieldProblem) return err(fieldProblem);

  if (root.format !== bundleFormat) {
    return err(
      malformed(
        json,
        '/format',
        msg(
          `format が ${JSON.stringify(root.format)} です。この版が読めるのは "${bundleFormat}" だけです`,
          `format is ${JSON.stringify(root.format)}; this version reads only "${bundleFormat}"`,
        ),
      ),
    );
  }
  if (root.payloadType !== policyPayloadType) {
    return err(
      malformed(
        json,
        '/payloadType',
        msg(
          `payloadType が ${JSON.stringify(root.payloadType)} です。"${policyPayloadType}" でなければなりません`,
          `payloadType is ${JSON.stringify(root.payloadType)}; it must be "${policyPayloadType}"`,
        ),
      ),
    );
  }

  const payloadText = root.payload;
  if (typeof payloadText !== 'string') return err(malformed(json, '/payload', msg('payload が文字列ではありません', 'payload is not a string')));
  // Size before decoding: 4 base64 characters carry 3 bytes.
  if (Math.floor((payloadText.length * 3) / 4) > maxPayloadBytes + 2) {
    return err(payloadTooLarge(Math.floor((payloadText.length * 3) / 4)));
  }
  const payloadProblem = describeNonCanonicalBase64(payloadText);
  if (payloadProblem !== undefined) {
    return err(malformed(json, '/payload', msg(`payload が正規の base64 ではありません: ${payloadProblem.ja}`, `payload is not canonical base64: ${payloadProblem.en}`)));
  }
  const payload = new Uint8Array(Buffer.from(payloadText, 'base64'));
  if (payload.length > maxPayloadBytes) return err(payloadTooLarge(payload.length));

  const signaturesValue = root.signatures;
  if (!Array.isArray(signaturesValue)) return err(malformed(json, '/signatures', msg('signatures が配列ではありません', 'signatures is not an array')));
  if (signaturesValue.length === 0) {
    return err(malformed(json, '/signatures', msg('署名がありません。mng policy sign で署名してください', 'there is no signature; sign it with mng policy sign')));
  }
  if (signaturesValue.length > maxSignatures) {
    return err(
      malformed(
        json,
        '/signatures',
        msg(`署名が多すぎます（${signaturesValue.length} 個、上限 ${maxSignatures} 個）`, `too many signatures (${signaturesValue.length}, at most ${maxSignatures})`),
      ),
    );
  }
  const signatures: BundleSignature[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of signaturesValue.entries()) {
    const decoded = checkSignatureEntry(json, index, entry);
    if (!decoded.ok) return decoded;
    if (seen.has(decoded.value.keyId)) {
      return err(
        malformed(
          json,
          `/signatures/${index}/keyId`,
          msg(`鍵 ${decoded.value.keyId} の署名が 2 つあります`, `key ${decoded.value.keyId} signs twice`),
          { signatureIndex: index },
        ),
      );
    }
    seen.add(decoded.value.keyId);
    signatures.push(decoded.value);
  }
  return ok({ payloadType: policyPayloadType, payload, signatures });
}

function payloadTooLarge(sizeBytes: number): BundleRejection {
  return rejection(
    'too-large',
    msg(
      `バンドルの payload（ポリシー本文）が大きすぎます（約 ${sizeBytes} バイト、上限 ${maxPayloadBytes} バイト）`,
      `the bundle's payload (the policy text) is too large (about ${sizeBytes} bytes, limit ${maxPayloadBytes})`,
    ),
    { pointer: '/payload', sizeBytes, maxBytes: maxPayloadBytes },
  );
}

function signatureProblem(
  json: ParsedJson,
  index: number,
  field: string,
  code: 'signature-malformed' | 'signature-truncated',
  text: Localized,
  keyId?: string,
): BundleRejection {
  const details = { ...at(json, `/signatures/${index}/${field}`), signatureIndex: index, ...(keyId === undefined ? {} : { keyId }) };
  const place = where(details);
  const advice = msg(
    '署名者が作った元のバンドルファイルをそのまま使ってください（エディタや変換ツールを通さないでください）',
    "use the signer's original bundle file as is (do not pass it through an editor or converter)",
  );
  return rejection(
    code,
    msg(`署名 ${index + 1}${place.ja}: ${text.ja}。${advice.ja}`, `signature ${index + 1}${place.en}: ${text.en}; ${advice.en}`),
    details,
  );
}

function checkSignatureEntry(json: ParsedJson, index: number, entry: JsonValue | undefined): Result<BundleSignature, BundleRejection> {
  const pointer = `/signatures/${index}`;
  const extra = { signatureIndex: index };
  if (!isObject(entry)) {
    return err(malformed(json, pointer, msg(`署名 ${index + 1} が JSON オブジェクトではありません`, `signature ${index + 1} is not a JSON object`), extra));
  }
  const fieldProblem = checkFields(json, pointer, entry, signatureFields, msg(`署名 ${index + 1} `, `signature ${index + 1}`), extra);
  if (fieldProblem) return err(fieldProblem);
  const { keyId, alg, sig } = entry;
  if (typeof keyId !== 'string' || !keyIdPattern.test(keyId)) {
    return err(
      signatureProblem(json, index, 'keyId', 'signature-malformed', msg('keyId が 16 進数（小文字）32 桁ではありません', 'keyId is not 32 lowercase hexadecimal digits')),
    );
  }
  if (alg !== signatureAlgorithm) {
    return err(
      signatureProblem(
        json,
        index,
        'alg',
        'signature-malformed',
        msg(`alg ${JSON.stringify(alg)} には対応していません（"${signatureAlgorithm}" のみ）`, `alg ${JSON.stringify(alg)} is not supported (only "${signatureAlgorithm}")`),
        keyId,
      ),
    );
  }
  if (typeof sig !== 'string') {
    return err(signatureProblem(json, index, 'sig', 'signature-malformed', msg('sig が文字列ではありません', 'sig is not a string'), keyId));
  }
  const encodedLength = sig.replace(/=+$/, '').length;
  const decodedLength = Math.floor((encodedLength * 3) / 4);
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(sig) && decodedLength < ed25519SignatureBytes) {
    return err(
      signatureProblem(
        json,
        index,
        'sig',
        'signature-truncated',
        msg(
          `署名が途中で切れています（${decodedLength} バイト、Ed25519 の署名は ${ed25519SignatureBytes} バイト）`,
          `the signature is cut short (${decodedLength} bytes; an Ed25519 signature has ${ed25519SignatureBytes})`,
        ),
        keyId,
      ),
    );
  }
  const problem = describeNonCanonicalBase64(sig);
  if (problem !== undefined) {
    return err(
      signatureProblem(json, index, 'sig', 'signature-malformed', msg(`署名が正規の base64 ではありません: ${problem.ja}`, `the signature is not canonical base64: ${problem.en}`), keyId),
    );
  }
  const raw = new Uint8Array(Buffer.from(sig, 'base64'));
  if (raw.length !== ed25519SignatureBytes) {
    return err(
      signatureProblem(
        json,
        index,
        'sig',
        'signature-malformed',
        msg(`署名の長さが ${raw.length} バイトです（Ed25519 の署名は ${ed25519SignatureBytes} バイト）`, `the signature is ${raw.length} bytes long (an Ed25519 signature has ${ed25519SignatureBytes})`),
        keyId,
      ),
    );
  }
  return ok({ keyId, alg: signatureAlgorithm, sig: raw });
}
