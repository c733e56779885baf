import { createHash, verify } from 'node:crypto';
import { msg } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { PolicyDiagnostic } from '../../shared/policy/diagnostic';
import { parsePolicyText, type ZonePolicy } from '../../shared/policy';
import { encodePreAuthentication, parsePolicyBundle } from './bundle-format';
import type { TrustStore } from './keys';
import type { AcceptedVersion } from './policy-state';
import { rejection, type BundleRejection } from './rejection';

/**
 * The gate between a policy bundle file and the agent (STYLE.md §1.4): pure decisions only.
 * Order matters and is part of the contract:
 *   size → container (strict JSON, exact fields, canonical base64) → signature check →
 *   policy parse → validity window → rollback.
 * The policy YAML is never parsed before a trusted signature over its exact bytes has been
 * checked: an attacker's text never reaches the YAML parser.
 */

/** A bundle that passed every check. */
export interface VerifiedPolicy {
  readonly policy: ZonePolicy;
  /** The payload as text (UTF-8), exactly as signed. */
  readonly policyText: string;
  /** Key id of the trusted signature that verified (the first one in bundle order). */
  readonly keyId: string;
  /** Label of that key in the trust store. */
  readonly keyLabel: string;
  /** SHA-256 (hex) of the payload bytes. */
  readonly payloadSha256: string;
  /** Warnings of the policy parser (a signed policy may still carry warnings). */
  readonly warnings: readonly PolicyDiagnostic[];
  /** Key ids of signatures from keys this trust store does not know; they were ignored. */
  readonly unknownKeyIds: readonly string[];
}

/** A bundle whose signature and policy are good, before time and rollback checks. */
export type AuthenticatedPolicy = VerifiedPolicy;

/** Inputs of the time and rollback checks. */
export interface VerifyOptions {
  /** The current time, ms since the epoch (from the injected Clock). */
  readonly nowMs: number;
  /** The highest version accepted so far for a policy id, with its payload hash. */
  readonly lastAccepted?: (id: string) => AcceptedVersion | undefined;
  /** Refuse versions below this (operator's floor, e.g. `mng policy verify --min-version`). */
  readonly minVersion?: number;
}

/** SHA-256 (hex) of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Full verification of a bundle file's bytes against a trust store, a time and the rollback
 * state. Never throws for any input bytes.
 */
export function verifyPolicyBundle(bytes: Uint8Array, trust: TrustStore, options: VerifyOptions): Result<VerifiedPolicy, BundleRejection> {
  const authenticated = authenticatePolicyBundle(bytes, trust);
  if (!authenticated.ok) return authenticated;
  const window = decideValidityWindow(authenticated.value, options.nowMs);
  if (window !== undefined) return err(window);
  const rollback = decideRollback(authenticated.value, options);
  if (rollback !== undefined) return err(rollback);
  return authenticated;
}

/**
 * Container, signature and policy checks, without time or rollback: what a bundle is, and who
 * vouches for it. Used for start-up restore, where an expired last-good policy is reported but
 * kept (docs/cli.md, "Last good policy").
 *
 * Every signature from a trusted key must verify, and at least one must exist. Refusing a bundle
 * with one bad trusted signature among good ones is deliberate: it means someone changed the
 * bundle, and "one good signature is enough" would let a tamperer hide behind a co-signer.
 */
export function authenticatePolicyBundle(bytes: Uint8Array, trust: TrustStore): Result<AuthenticatedPolicy, BundleRejection> {
  const parsed = parsePolicyBundle(bytes);
  if (!parsed.ok) return parsed;
  const bundle = parsed.value;
  const keyIds = bundle.signatures.map((s) => s.keyId);

  if (trust.size === 0) {
    return err(
      rejection(
        'no-trusted-keys',
        msg(
          '信頼する鍵が 1 つもないため、どのバンドルも受け付けません。署名者の公開鍵（.pub.pem）を信頼ストアに置いてください',
          'the trust store holds no key, so no bundle is accepted; put the signer\'s public key (.pub.pem) in the trust store',
        ),
        { keyIds },
      ),
    );
  }

  const message = encodePreAuthentication(bundle.payloadType, bundle.payload);
  let verifiedBy: { keyId: string; label: string } | undefined;
  const unknownKeyIds: string[] = [];
  for (const [index, signature] of bundle.signatures.entries()) {
    const key = trust.get(signature.keyId);
    if (key === undefined) {
      unknownKeyIds.push(signature.keyId);
      continue;
    }
    if (!verify(null, message, key.publicKey, signature.sig)) {
      return err(
        rejection(
          'bad-signature',
          msg(
            `署名 ${index + 1}（鍵 ${key.label}、${signature.keyId}）が内容と一致しません。バンドルが署名の後に変更されています。署名者から元のファイルを受け取り直してください`,
            `signature ${index + 1} (key ${key.label}, ${signature.keyId}) does not match the content: the bundle was changed after signing. Get the original file from the signer again`,
          ),
          { signatureIndex: index, keyId: signature.keyId, keyIds, pointer: `/signatures/${index}/sig` },
        ),
      );
    }
    verifiedBy ??= { keyId: signature.keyId, label: key.label };
  }
  if (verifiedBy === undefined) {
    const trusted = [...trust.values()].map((k) => `${k.label} (${k.keyId})`).join(', ');
    return err(
      rejection(
        'unknown-key',
        msg(
          `信頼する鍵による署名がありません（署名した鍵: ${keyIds.join(', ')}、信頼する鍵: ${trusted}）。信頼する鍵で署名し直すか、署名者の公開鍵を信頼ストアに加えてください`,
          `no signature from a trusted key (signed by: ${keyIds.join(', ')}; trusted: ${trusted}). Sign it with a trusted key, or add the signer's public key to the trust store`,
        ),
        { keyIds },
      ),
    );
  }

  // Authenticated: only now may the payload reach the text decoder and the YAML parser.
  const payloadSha256 = sha256Hex(bundle.payload);
  const base = { keyId: verifiedBy.keyId, payloadSha256, keyIds };
  let policyText: string;
  try {
    policyText = new TextDecoder('utf-8', { fatal: true }).decode(bundle.payload);
  } catch {
    // The decoder reports invalid UTF-8 by throwing; that is an expected outcome for a bad payload.
    const diagnostic: PolicyDiagnostic = {
      code: 'payload-not-utf8',
      severity: 'error',
      line: 0,
      column: 0,
      path: '',
      message: msg('ポリシー本文が UTF-8 のテキストではありません', 'the policy text is not UTF-8'),
    };
    return err(policyInvalid([diagnostic], base));
  }
  const policy = parsePolicyText(policyText);
  if (!policy.ok) return err(policyInvalid(policy.diagnostics, base));
  return ok({
    policy: policy.policy,
    policyText,
    keyId: verifiedBy.keyId,
    keyLabel: verifiedBy.label,
    payloadSha256,
    warnings: policy.warnings,
    unknownKeyIds,
  });
}

function policyInvalid(diagnostics: readonly PolicyDiagnostic[], details: { keyId: string; payloadSha256: string; keyIds: readonly string[] }): BundleRejection {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0] ?? diagnostics[0];
  const where = first === undefined || first.line === 0 ? msg('', '') : msg(`${first.line} 行 ${first.column} 列: `, `line ${first.line}, column ${first.column}: `);
  const firstText = first === undefined ? msg('', '') : msg(`（最初の問題: ${where.ja}${first.message.ja}）`, ` (first problem: ${where.en}${first.message.en})`);
  return rejection(
    'policy-invalid',
    msg(
      `署名は正しいものの、ポリシーの内容に誤りが ${errors.length} 件あります${firstText.ja}。mng policy lint で確認し、直してから署名し直してください`,
      `the signature is good but the policy has ${errors.length} error(s)${firstText.en}. Check it with mng policy lint, fix it and sign again`,
    ),
    details,
    diagnostics,
  );
}

/**
 * The validity window check: valid when `notBefore <= now < notAfter`. No clock-skew allowance:
 * issuers set `notBefore` a little in the past instead (docs/cli.md). Returns the rejection, or
 * undefined when the policy is within its window. Bounds that do not parse as times (the schema
 * prevents it) fail closed as `policy-invalid`.
 */
export function decideValidityWindow(verified: AuthenticatedPolicy, nowMs: number): BundleRejection | undefined {
  const { metadata } = verified.policy;
  const details = {
    keyId: verified.keyId,
    payloadSha256: verified.payloadSha256,
    policyId: metadata.id,
    version: metadata.version,
    notBefore: metadata.notBefore,
    notAfter: metadata.notAfter,
  };
  const notBeforeMs = Date.parse(metadata.notBefore);
  const notAfterMs = Date.parse(metadata.notAfter);
  if (Number.isNaN(notBeforeMs) || Number.isNaN(notAfterMs)) {
    return rejection(
      'policy-invalid',
      msg(
        `ポリシー ${metadata.id} の有効期間（${metadata.notBefore} 〜 ${metadata.notAfter}）を日時として読めません`,
        `the validity period of policy ${metadata.id} (${metadata.notBefore} to ${metadata.notAfter}) is not a pair of date-times`,
      ),
      details,
    );
  }
  const nowText = new Date(nowMs).toISOString();
  if (nowMs < notBeforeMs) {
    return rejection(
      'not-yet-valid',
      msg(
        `ポリシー ${metadata.id} 版 ${metadata.version} はまだ有効になっていません（有効開始 ${metadata.notBefore}、現在 ${nowText}）。有効開始の後に配布するか、端末の時刻を確認してください`,
        `policy ${metadata.id} version ${metadata.version} is not valid yet (valid from ${metadata.notBefore}, now ${nowText}); deploy it after that time or check the terminal's clock`,
      ),
      details,
    );
  }
  if (nowMs >= notAfterMs) {
    return rejection(
      'expired',
      msg(
        `ポリシー ${metadata.id} 版 ${metadata.version} は有効期限切れです（有効期限 ${metadata.notAfter}、現在 ${nowText}）。新しい版を作って署名してください`,
        `policy ${metadata.id} version ${metadata.version} has expired (valid until ${metadata.notAfter}, now ${nowText}); issue and sign a new version`,
      ),
      details,
    );
  }
  return undefined;
}

/**
 * Rollback protection: a version lower than the highest accepted for the same id (or than
 * `minVersion`) is refused; the same version is accepted again only with the identical payload.
 * Protection is per policy id: see docs/cli.md ("Rollback") for what that does and does not cover.
 */
export function decideRollback(verified: AuthenticatedPolicy, options: Pick<VerifyOptions, 'lastAccepted' | 'minVersion'>): BundleRejection | undefined {
  const { id, version } = verified.policy.metadata;
  const details = { keyId: verified.keyId, payloadSha256: verified.payloadSha256, policyId: id, version };
  if (options.minVersion !== undefined && version < options.minVersion) {
    return rejection(
      'rollback',
      msg(
        `ポリシー ${id} の版 ${version} は、求められている最低の版 ${options.minVersion} より古いものです。最新の版を使ってください`,
        `policy ${id} version ${version} is older than the required minimum version ${options.minVersion}; use the latest version`,
      ),
      { ...details, lastAcceptedVersion: options.minVersion },
    );
  }
  const last = options.lastAccepted?.(id);
  if (last === undefined) return undefined;
  if (version < last.version) {
    return rejection(
      'rollback',
      msg(
        `ポリシー ${id} の版 ${version} は、この端末がすでに受け入れた版 ${last.version} より古いため受け付けません（ロールバック防止）。最新の版を配布してください`,
        `policy ${id} version ${version} is older than version ${last.version} already accepted on this terminal, so it is refused (rollback protection); deploy the latest version`,
      ),
      { ...details, lastAcceptedVersion: last.version },
    );
  }
  if (version === last.version && verified.payloadSha256 !== last.payloadSha256) {
    return rejection(
      'version-reuse',
      msg(
        `ポリシー ${id} の版 ${version} は受け入れ済みですが、内容が異なります。内容を変えたら版番号（metadata.version）を上げて署名し直してください`,
        `policy ${id} version ${version} was already accepted with different content; raise metadata.version whenever the content changes, and sign again`,
      ),
      { ...details, lastAcceptedVersion: last.version },
    );
  }
  return undefined;
}
