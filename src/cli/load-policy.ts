import path from 'node:path';
import { ErrorCode, MngError } from '../shared/errors';
import { msg } from '../shared/i18n';
import { formatDiagnostic, parsePolicyText } from '../shared/policy';
import type { ZonePolicy } from '../shared/policy/schema';
import { createTrustStore, maxBundleBytes, parsePolicyBundle, parsePolicyState, verifyPolicyBundle } from '../agent/policy';
import { createFilePolicyStateStore, readPemKeyFiles, readRegularFile } from '../agent/platform/node';
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
    return verifyBundleBytes(ctx, bytes, file, trustPath);
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

/** Where a terminal keeps its trusted policy keys (agent default). */
export const defaultTrustPath = '/etc/mynumber-guard/trust.d';

/** Verifies bundle bytes against the keys at `trustPath` (signature, validity window, content). */
async function verifyBundleBytes(ctx: CliContext, bytes: Uint8Array, label: string, trustPath: string): Promise<ZonePolicy> {
  const trust = createTrustStore(await readPemKeyFiles(path.resolve(ctx.io.cwd, trustPath)));
  if (!trust.ok) throw new MngError(ErrorCode.KeyInvalid, trust.error.message);
  const bundle = parsePolicyBundle(bytes);
  if (!bundle.ok) throw new MngError(ErrorCode.BundleInvalid, msg(`${label}: ${bundle.error.message.ja}`, `${label}: ${bundle.error.message.en}`));
  const verified = verifyPolicyBundle(bytes, trust.value, { nowMs: ctx.io.clock.nowMs() });
  if (!verified.ok) throw new MngError(ErrorCode.SignatureInvalid, msg(`${label}: ${verified.error.message.ja}`, `${label}: ${verified.error.message.en}`));
  return verified.value.policy;
}

/**
 * The policy the agent has in force: the last good bundle in `<stateDir>/policy-state.json`,
 * verified again with the trusted keys (the state file is only as trustworthy as its signature).
 */
export async function loadPolicyInForce(ctx: CliContext, stateDir: string, trustPath: string = defaultTrustPath): Promise<ZonePolicy> {
  const store = createFilePolicyStateStore({ stateDir: path.resolve(ctx.io.cwd, stateDir) });
  const bytes = await store.read();
  const noPolicy = (): MngError =>
    new MngError(ErrorCode.InvalidArgument, msg(`${store.location} に適用中のポリシーがありません`, `no policy in force in ${store.location}`), {
      hint: msg('エージェントがポリシーを適用したか確認するか、--policy で指定してください', 'check that the agent applied a policy, or give --policy'),
    });
  if (bytes === undefined) throw noPolicy();
  const state = parsePolicyState(bytes);
  if (!state.ok) throw new MngError(ErrorCode.InvalidArgument, msg(`${store.location}: ${state.error.ja}`, `${store.location}: ${state.error.en}`));
  if (state.value.lastGood === undefined) throw noPolicy();
  return verifyBundleBytes(ctx, state.value.lastGood.bundle, `${store.location} (${state.value.lastGood.source})`, trustPath);
}
