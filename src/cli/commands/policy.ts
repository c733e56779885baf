import { lstat, mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError, isMngError } from '../../shared/errors';
import { msg, type Localized } from '../../shared/i18n';
import type { PolicyDiagnostic } from '../../shared/policy/diagnostic';
import { formatDiagnostic, parsePolicyText } from '../../shared/policy';
import {
  addBundleSignature,
  createPolicyBundle,
  createTrustStore,
  generateSigningKeyPair,
  maxBundleBytes,
  maxPayloadBytes,
  parsePolicyBundle,
  parsePrivateKey,
  sha256Hex,
  verifyPolicyBundle,
  type BundleRejection,
  type SigningKey,
  type TrustStore,
} from '../../agent/policy';
import { maxKeyFileBytes, readPemKeyFiles, readRegularFile, writeFileAtomically } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';

/** `mng policy …`: keygen, sign, verify, lint, show (docs/cli.md). */
export function registerPolicyCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const policy = program.command('policy').description('ゾーンポリシーの署名・検証 / sign and verify zone policies');

  policy
    .command('keygen')
    .description('署名鍵（Ed25519）を作る / generate an Ed25519 signing key pair')
    .requiredOption('--out <dir>', '鍵を書き出すフォルダ / folder to write the key files to')
    .option('--name <label>', '鍵の名前（ファイル名） / key name (file name)', 'policy-signing')
    .action(defineAction(io, setExit, (ctx, options: { out: string; name: string }) => runKeygen(ctx, options)));

  policy
    .command('sign')
    .description('ポリシーを検査して署名し、バンドルを作る（バンドルを渡すと署名を追加） / lint and sign a policy into a bundle (given a bundle: add a signature)')
    .argument('<file>', 'ポリシー（YAML）またはバンドル（JSON） / policy YAML or bundle JSON')
    .requiredOption('--key <key.pem>', '秘密鍵 / private key')
    .option('--out <bundle.json>', '出力先（既定: <ポリシー名>.bundle.json） / output file (default <policy>.bundle.json)')
    .action(defineAction(io, setExit, (ctx, file: string, options: { key: string; out?: string }) => runSign(ctx, file, options)));

  policy
    .command('verify')
    .description('バンドルの署名・内容・有効期間を検証する / verify a bundle: signature, content, validity')
    .argument('<bundle>', 'バンドル（JSON） / bundle JSON')
    .requiredOption('--trust <path>', '信頼する公開鍵（.pub.pem のフォルダかファイル） / trusted public keys (folder of .pub.pem, or one file)')
    .option('--at <time>', 'この日時で検証する（ISO 8601、タイムゾーン付き） / verify as of this time (ISO 8601 with offset)')
    .option('--min-version <n>', 'これより古い版を拒否する / refuse versions below n')
    .action(
      defineAction(io, setExit, (ctx, file: string, options: { trust: string; at?: string; minVersion?: string }) => runVerify(ctx, file, options)),
    );

  policy
    .command('lint')
    .description('ポリシーまたはバンドルの内容を検査する（署名は検証しない） / check a policy or bundle (signatures are not verified)')
    .argument('<file>', 'ポリシー（YAML）またはバンドル（JSON） / policy YAML or bundle JSON')
    .option('--strict', '警告もエラーとして扱う / treat warnings as errors')
    .action(defineAction(io, setExit, (ctx, file: string, options: { strict?: boolean }) => runLint(ctx, file, options)));

  policy
    .command('show')
    .description('バンドルの中のポリシー本文を表示する（署名は検証しない） / print the policy inside a bundle (signatures are not verified)')
    .argument('<bundle>', 'バンドル（JSON） / bundle JSON')
    .action(defineAction(io, setExit, (ctx, file: string) => runShow(ctx, file)));
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function resolvePath(ctx: CliContext, file: string): string {
  return path.resolve(ctx.io.cwd, file);
}

function invalidArgument(text: Localized, hint?: Localized): MngError {
  return new MngError(ErrorCode.InvalidArgument, text, hint === undefined ? {} : { hint });
}

/** Replaces terminal control characters in untrusted text before it reaches a terminal. */
function sanitizeForTerminal(text: string): string {
  // C0 controls (but tab and line feed), DEL and C1 controls could move the cursor or recolor the
  // terminal: an unverified bundle must not be able to forge what the operator sees.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isBundleBytes(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b; // '{': policies are YAML block documents, bundles JSON objects.
  }
  return false;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // The decoder throws for bytes that are not UTF-8: that answer is `undefined`.
    return undefined;
  }
}

const notUtf8Diagnostic: PolicyDiagnostic = {
  code: 'payload-not-utf8',
  severity: 'error',
  line: 0,
  column: 0,
  path: '',
  message: msg('UTF-8 のテキストではありません（バイナリファイルか、別の文字コードです）。UTF-8 で保存してください', 'not UTF-8 text (a binary file or another encoding); save it as UTF-8'),
};

function bundleDiagnostic(rejected: BundleRejection): PolicyDiagnostic {
  return {
    code: rejected.code,
    severity: 'error',
    line: rejected.details.line ?? 0,
    column: rejected.details.column ?? 0,
    path: rejected.details.pointer ?? '',
    message: rejected.message,
  };
}

function printDiagnostics(ctx: CliContext, diagnostics: readonly PolicyDiagnostic[], source: string, write: (text: string) => void): void {
  for (const d of diagnostics) write(`${sanitizeForTerminal(formatDiagnostic(d, ctx.lang, source))}\n`);
}

function diagnosticJson(d: PolicyDiagnostic, source: string): Record<string, unknown> {
  return { source, code: d.code, severity: d.severity, line: d.line, column: d.column, path: d.path, message: d.message };
}

async function readSigningKey(ctx: CliContext, keyPath: string): Promise<SigningKey> {
  const full = resolvePath(ctx, keyPath);
  const text = (await readRegularFile(full, { maxBytes: maxKeyFileBytes })).toString('utf8');
  const parsed = parsePrivateKey(text);
  if (!parsed.ok) {
    throw new MngError(ErrorCode.KeyInvalid, msg(`秘密鍵 ${keyPath} を使えません: ${parsed.error.message.ja}`, `cannot use private key ${keyPath}: ${parsed.error.message.en}`));
  }
  return parsed.value;
}

async function loadTrust(ctx: CliContext, trustPath: string): Promise<TrustStore> {
  const files = await readPemKeyFiles(resolvePath(ctx, trustPath));
  const store = createTrustStore(files);
  if (!store.ok) throw new MngError(ErrorCode.KeyInvalid, store.error.message);
  return store.value;
}

/**
 * Reads a bundle file. An oversized file is a bundle that fails the check (`too-large`, exit 1),
 * not an unreadable one: it is answered like any other bad bundle.
 */
async function readBundleFile(ctx: CliContext, file: string): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; rejection: BundleRejection }> {
  try {
    return { ok: true, bytes: await readRegularFile(resolvePath(ctx, file), { maxBytes: maxBundleBytes }) };
  } catch (error) {
    if (isMngError(error) && error.code === ErrorCode.FileTooLarge) {
      return {
        ok: false,
        rejection: {
          code: 'too-large',
          message: error.text,
          details: { maxBytes: maxBundleBytes },
        },
      };
    }
    throw error;
  }
}

function reportRejection(ctx: CliContext, file: string, rejected: BundleRejection, extra: Record<string, unknown> = {}): ExitCode {
  const source = `${file}#payload`;
  if (ctx.json) {
    ctx.print(
      {
        ok: false,
        file,
        ...extra,
        rejection: {
          code: rejected.code,
          message: rejected.message,
          details: rejected.details,
          diagnostics: (rejected.diagnostics ?? []).map((d) => diagnosticJson(d, source)),
        },
      },
      '',
    );
  }
  ctx.io.stderr(`mng: ${sanitizeForTerminal(file)}: ${sanitizeForTerminal(ctx.t(rejected.message))} [${rejected.code}]\n`);
  if (!ctx.json && rejected.diagnostics !== undefined) printDiagnostics(ctx, rejected.diagnostics, source, (t) => ctx.io.stderr(t));
  return ExitCode.CheckFailed;
}

// ---------------------------------------------------------------------------------------------
// keygen

const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function assertAbsent(file: string): Promise<void> {
  try {
    await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  throw invalidArgument(
    msg(`${file} はすでにあります。鍵は上書きしません`, `${file} already exists; keys are never overwritten`),
    msg('--name か --out で別の名前・場所を指定するか、古い鍵を移動してください', 'choose another --name or --out, or move the old key away'),
  );
}

async function runKeygen(ctx: CliContext, options: { out: string; name: string }): Promise<ExitCode> {
  if (!keyNamePattern.test(options.name)) {
    throw invalidArgument(
      msg(`鍵の名前 ${JSON.stringify(options.name)} は使えません`, `key name ${JSON.stringify(options.name)} is not allowed`),
      msg('英数字で始まり、英数字と . _ - だけの 64 文字以内にしてください', 'start with a letter or digit; use only letters, digits, . _ - (at most 64)'),
    );
  }
  const dir = resolvePath(ctx, options.out);
  const privatePath = path.join(dir, `${options.name}.key.pem`);
  const publicPath = path.join(dir, `${options.name}.pub.pem`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await assertAbsent(privatePath);
  await assertAbsent(publicPath);
  const pair = generateSigningKeyPair();
  // 'wx': fail rather than replace a file that appeared meanwhile. chmod: the umask may narrow the mode.
  await writeFile(privatePath, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
  await chmod(privatePath, 0o600);
  await writeFile(publicPath, pair.publicKeyPem, { flag: 'wx', mode: 0o644 });
  await chmod(publicPath, 0o644);
  ctx.print(
    { ok: true, keyId: pair.keyId, privateKey: privatePath, publicKey: publicPath },
    ctx.t(
      msg(
        `署名鍵を作りました（鍵 ID ${pair.keyId}）\n  秘密鍵: ${privatePath}（0600。署名に使う管理端末だけに置き、端末には配らないでください）\n  公開鍵: ${publicPath}（各端末の信頼ストアに配置してください）`,
        `created a signing key (key id ${pair.keyId})\n  private key: ${privatePath} (0600; keep it on the signing machine only, never on terminals)\n  public key:  ${publicPath} (install it in each terminal's trust store)`,
      ),
    ),
  );
  return ExitCode.Ok;
}

// ---------------------------------------------------------------------------------------------
// sign

function defaultBundlePath(input: string): string {
  return `${input.replace(/\.ya?ml$/i, '')}.bundle.json`;
}

async function runSign(ctx: CliContext, file: string, options: { key: string; out?: string }): Promise<ExitCode> {
  const key = await readSigningKey(ctx, options.key);
  const inputPath = resolvePath(ctx, file);
  const bytes = await readRegularFile(inputPath, { maxBytes: maxBundleBytes });
  const isBundle = isBundleBytes(bytes);
  const outPath = resolvePath(ctx, options.out ?? (isBundle ? file : defaultBundlePath(file)));
  if (!isBundle && outPath === inputPath) {
    throw invalidArgument(msg('出力先がポリシーのファイルと同じです', 'the output file is the policy file itself'), msg('--out で別のファイルを指定してください', 'give another file with --out'));
  }

  let payload: Uint8Array;
  let bundle: Uint8Array;
  if (isBundle) {
    const added = addBundleSignature(bytes, key);
    if (!added.ok) {
      if (added.error.code === 'bundle-invalid') return reportRejection(ctx, file, added.error.rejection);
      throw invalidArgument(added.error.message);
    }
    payload = added.value.payload;
    bundle = added.value.bundle;
  } else {
    if (bytes.length > maxPayloadBytes) {
      throw new MngError(ErrorCode.FileTooLarge, msg(`${file} が大きすぎます（${bytes.length} バイト、ポリシーの上限 ${maxPayloadBytes} バイト）`, `${file} is too large (${bytes.length} bytes; a policy is at most ${maxPayloadBytes})`));
    }
    payload = bytes;
    bundle = new Uint8Array(0);
  }

  // Lint before signing: a signature must never vouch for a policy with errors.
  const source = isBundle ? `${file}#payload` : file;
  const text = decodeUtf8(payload);
  const parsed = text === undefined ? undefined : parsePolicyText(text);
  if (parsed === undefined || !parsed.ok) {
    const diagnostics = parsed === undefined ? [notUtf8Diagnostic] : parsed.diagnostics;
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    if (ctx.json) ctx.print({ ok: false, file, diagnostics: diagnostics.map((d) => diagnosticJson(d, source)) }, '');
    else printDiagnostics(ctx, diagnostics, source, (t) => ctx.io.stderr(t));
    ctx.io.stderr(
      `mng: ${ctx.t(msg(`${file} にエラーが ${errors} 件あるため署名しません。直してから再実行してください`, `${file} has ${errors} error(s), so it is not signed; fix them and run again`))}\n`,
    );
    return ExitCode.CheckFailed;
  }
  if (!ctx.json) printDiagnostics(ctx, parsed.warnings, source, (t) => ctx.io.stderr(t));
  if (!isBundle) bundle = createPolicyBundle(payload, key);

  const meta = parsed.policy.metadata;
  const expiredAlready = Date.parse(meta.notAfter) <= ctx.io.clock.nowMs();
  if (expiredAlready) {
    ctx.io.stderr(
      `mng: ${ctx.t(msg(`注意: このポリシーは有効期限（${meta.notAfter}）を過ぎています。端末はこのバンドルを受け付けません`, `warning: this policy expired at ${meta.notAfter}; terminals will refuse this bundle`))}\n`,
    );
  }
  await writeFileAtomically(outPath, bundle, 0o644);
  const payloadSha256 = sha256Hex(payload);
  const signatures = parsePolicyBundle(bundle);
  const keyIds = signatures.ok ? signatures.value.signatures.map((s) => s.keyId) : [key.keyId];
  ctx.print(
    {
      ok: true,
      bundle: outPath,
      policyId: meta.id,
      version: meta.version,
      keyId: key.keyId,
      signatures: keyIds,
      payloadSha256,
      warnings: parsed.warnings.map((d) => diagnosticJson(d, source)),
    },
    ctx.t(
      msg(
        `署名しました: ${outPath}\n  ポリシー: ${meta.id} 版 ${meta.version}\n  署名鍵: ${key.keyId}（署名 ${keyIds.length} 個）\n  payload SHA-256: ${payloadSha256}`,
        `signed: ${outPath}\n  policy: ${meta.id} version ${meta.version}\n  key: ${key.keyId} (${keyIds.length} signature(s))\n  payload SHA-256: ${payloadSha256}`,
      ),
    ),
  );
  return ExitCode.Ok;
}

// ---------------------------------------------------------------------------------------------
// verify

const isoWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseAt(value: string | undefined, nowMs: number): number {
  if (value === undefined) return nowMs;
  const ms = Date.parse(value);
  if (!isoWithOffset.test(value) || Number.isNaN(ms)) {
    throw invalidArgument(
      msg(`--at ${JSON.stringify(value)} は日時として読めません`, `--at ${JSON.stringify(value)} is not a date-time`),
      msg('タイムゾーン付きの ISO 8601 で指定してください（例: 2026-04-01T09:00:00+09:00）', 'use ISO 8601 with an offset, e.g. 2026-04-01T09:00:00+09:00'),
    );
  }
  return ms;
}

function parseMinVersion(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidArgument(msg(`--min-version ${JSON.stringify(value)} は正の整数ではありません`, `--min-version ${JSON.stringify(value)} is not a positive integer`));
  }
  return Number(value);
}

async function runVerify(ctx: CliContext, file: string, options: { trust: string; at?: string; minVersion?: string }): Promise<ExitCode> {
  const nowMs = parseAt(options.at, ctx.io.clock.nowMs());
  const minVersion = parseMinVersion(options.minVersion);
  const trust = await loadTrust(ctx, options.trust);
  const read = await readBundleFile(ctx, file);
  if (!read.ok) return reportRejection(ctx, file, read.rejection);
  const verified = verifyPolicyBundle(read.bytes, trust, minVersion === undefined ? { nowMs } : { nowMs, minVersion });
  if (!verified.ok) return reportRejection(ctx, file, verified.error);
  const v = verified.value;
  const meta = v.policy.metadata;
  const source = `${file}#payload`;
  const lines = [
    ctx.t(msg(`検証に成功しました: ${file}`, `verified: ${file}`)),
    ctx.t(msg(`  ポリシー: ${meta.id} 版 ${meta.version}（${meta.zone}）`, `  policy: ${meta.id} version ${meta.version} (${meta.zone})`)),
    ctx.t(msg(`  発行者: ${meta.issuer}`, `  issuer: ${meta.issuer}`)),
    ctx.t(msg(`  有効期間: ${meta.notBefore} 〜 ${meta.notAfter}`, `  valid: ${meta.notBefore} to ${meta.notAfter}`)),
    ctx.t(msg(`  署名鍵: ${v.keyLabel}（${v.keyId}）`, `  signed by: ${v.keyLabel} (${v.keyId})`)),
    `  payload SHA-256: ${v.payloadSha256}`,
  ];
  if (v.unknownKeyIds.length > 0) {
    lines.push(ctx.t(msg(`  信頼ストアにない鍵の署名（無視しました）: ${v.unknownKeyIds.join(', ')}`, `  signatures from keys not in the trust store (ignored): ${v.unknownKeyIds.join(', ')}`)));
  }
  if (v.warnings.length > 0) {
    lines.push(ctx.t(msg(`  警告 ${v.warnings.length} 件（mng policy lint で確認できます）`, `  ${v.warnings.length} warning(s) (see mng policy lint)`)));
  }
  ctx.print(
    {
      ok: true,
      file,
      policyId: meta.id,
      version: meta.version,
      zone: meta.zone,
      issuer: meta.issuer,
      notBefore: meta.notBefore,
      notAfter: meta.notAfter,
      keyId: v.keyId,
      keyLabel: v.keyLabel,
      payloadSha256: v.payloadSha256,
      unknownKeyIds: v.unknownKeyIds,
      warnings: v.warnings.map((d) => diagnosticJson(d, source)),
      verifiedAt: new Date(nowMs).toISOString(),
    },
    sanitizeForTerminal(lines.join('\n')),
  );
  return ExitCode.Ok;
}

// ---------------------------------------------------------------------------------------------
// lint

async function runLint(ctx: CliContext, file: string, options: { strict?: boolean }): Promise<ExitCode> {
  const read = await readBundleFile(ctx, file);
  let kind: 'policy' | 'bundle' = 'policy';
  const found: { diagnostic: PolicyDiagnostic; source: string }[] = [];
  if (!read.ok) {
    kind = 'bundle';
    found.push({ diagnostic: bundleDiagnostic(read.rejection), source: file });
  } else if (isBundleBytes(read.bytes)) {
    kind = 'bundle';
    const bundle = parsePolicyBundle(read.bytes);
    if (!bundle.ok) found.push({ diagnostic: bundleDiagnostic(bundle.error), source: file });
    else found.push(...lintPolicyBytes(bundle.value.payload).map((diagnostic) => ({ diagnostic, source: `${file}#payload` })));
  } else if (read.bytes.length > maxPayloadBytes) {
    found.push({
      diagnostic: {
        code: 'too-large',
        severity: 'error',
        line: 0,
        column: 0,
        path: '',
        message: msg(`ポリシーが大きすぎます（${read.bytes.length} バイト、上限 ${maxPayloadBytes} バイト）`, `the policy is too large (${read.bytes.length} bytes, limit ${maxPayloadBytes})`),
      },
      source: file,
    });
  } else {
    found.push(...lintPolicyBytes(read.bytes).map((diagnostic) => ({ diagnostic, source: file })));
  }
  const errors = found.filter((f) => f.diagnostic.severity === 'error').length;
  const warnings = found.length - errors;
  const failed = errors > 0 || (options.strict === true && warnings > 0);
  const summary =
    found.length === 0
      ? msg(`問題は見つかりませんでした: ${file}`, `no problems found: ${file}`)
      : msg(`${file}: エラー ${errors} 件、警告 ${warnings} 件`, `${file}: ${errors} error(s), ${warnings} warning(s)`);
  const human = [...found.map((f) => formatDiagnostic(f.diagnostic, ctx.lang, f.source)), ctx.t(summary)].join('\n');
  ctx.print(
    { ok: !failed, file, kind, errors, warnings, strict: options.strict === true, diagnostics: found.map((f) => diagnosticJson(f.diagnostic, f.source)) },
    sanitizeForTerminal(human),
  );
  return failed ? ExitCode.CheckFailed : ExitCode.Ok;
}

function lintPolicyBytes(bytes: Uint8Array): PolicyDiagnostic[] {
  const text = decodeUtf8(bytes);
  if (text === undefined) return [notUtf8Diagnostic];
  const parsed = parsePolicyText(text);
  return parsed.ok ? [...parsed.warnings] : [...parsed.diagnostics];
}

// ---------------------------------------------------------------------------------------------
// show

async function runShow(ctx: CliContext, file: string): Promise<ExitCode> {
  const read = await readBundleFile(ctx, file);
  if (!read.ok) return reportRejection(ctx, file, read.rejection);
  const bundle = parsePolicyBundle(read.bytes);
  if (!bundle.ok) return reportRejection(ctx, file, bundle.error);
  const text = decodeUtf8(bundle.value.payload);
  if (text === undefined) {
    return reportRejection(ctx, file, { code: 'policy-invalid', message: notUtf8Diagnostic.message, details: {}, diagnostics: [notUtf8Diagnostic] });
  }
  if (!ctx.json) {
    ctx.io.stderr(
      `mng: ${ctx.t(msg('注意: 署名は検証していません。信頼できるかは mng policy verify で確かめてください', 'note: signatures are not verified; use mng policy verify to check trust'))}\n`,
    );
  }
  ctx.print(
    {
      ok: true,
      file,
      verified: false,
      payloadType: bundle.value.payloadType,
      payloadSha256: sha256Hex(bundle.value.payload),
      signatures: bundle.value.signatures.map((s) => ({ keyId: s.keyId, alg: s.alg })),
      policyText: text,
    },
    sanitizeForTerminal(text),
  );
  return ExitCode.Ok;
}
