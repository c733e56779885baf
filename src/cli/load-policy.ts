import path from 'node:path';
import { ErrorCode, MngError } from '../shared/errors';
import { msg } from '../shared/i18n';
import { formatDiagnostic, parsePolicyText } from '../shared/policy';
import type { ZonePolicy } from '../shared/policy/schema';
import { createTrustStore, maxBundleBytes, parsePolicyBundle, verifyPolicyBundle } from '../agent/policy';
import { readPemKeyFiles, readRegularFile } from '../agent/platform/node';
import type { CliContext } from './context';

function isBundleBytes(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b; // '{': policies are YAML block documents, bundles JSON objects.
  }
  return false;
}

/**
 * Loads the policy to check against: a bundle is verified with `--trust` (signature, validity,
 * content); a bundle without `--trust` is refused, since an unverified bundle proves nothing
 * about the policy in force. A YAML policy is parsed and linted; errors stop the check.
 */
export async function loadPolicy(ctx: CliContext, file: string, trustPath: string | undefined): Promise<ZonePolicy> {
  const bytes = await readRegularFile(path.resolve(ctx.io.cwd, file), { maxBytes: maxBundleBytes });
  if (isBundleBytes(bytes)) {
    if (trustPath === undefined) {
      throw new MngError(ErrorCode.InvalidArgument, msg(`${file} はバンドルです。署名を検証する --trust <公開鍵> を指定してください`, `${file} is a bundle: give --trust <public keys> to verify it`));
    }
    const trust = createTrustStore(await readPemKeyFiles(path.resolve(ctx.io.cwd, trustPath)));
    if (!trust.ok) throw new MngError(ErrorCode.KeyInvalid, trust.error.message);
    const bundle = parsePolicyBundle(bytes);
    if (!bundle.ok) throw new MngError(ErrorCode.BundleInvalid, msg(`${file}: ${bundle.error.message.ja}`, `${file}: ${bundle.error.message.en}`));
    const verified = verifyPolicyBundle(bytes, trust.value, { nowMs: ctx.io.clock.nowMs() });
    if (!verified.ok) throw new MngError(ErrorCode.SignatureInvalid, msg(`${file}: ${verified.error.message.ja}`, `${file}: ${verified.error.message.en}`));
    return verified.value.policy;
  }
  if (trustPath !== undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`${file} はバンドルではないため --trust は使えません`, `${file} is not a bundle; --trust applies to bundles only`));
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new MngError(ErrorCode.PolicyInvalid, msg(`${file} が UTF-8 ではありません`, `${file} is not UTF-8`), { cause: error });
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    for (const d of parsed.diagnostics) ctx.io.stderr(`${formatDiagnostic(d, ctx.lang, file)}\n`);
    throw new MngError(ErrorCode.PolicyInvalid, msg(`${file} はポリシーとして正しくありません（mng policy lint で確認できます）`, `${file} is not a valid policy (see mng policy lint)`));
  }
  return parsed.policy;
}
