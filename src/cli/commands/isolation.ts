import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import { formatDiagnostic, parsePolicyText } from '../../shared/policy';
import type { ZonePolicy } from '../../shared/policy/schema';
import { runIsolationCheck, type IsolationCheck } from '../../agent/isolation';
import { createTrustStore, maxBundleBytes, parsePolicyBundle, verifyPolicyBundle } from '../../agent/policy';
import { createIpNetworkFacts, createTcpCanaryProber, readPemKeyFiles, readRegularFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';

/** Bounds of `--timeout-ms` (the policy's own bounds are 100..10000). */
const minTimeoutMs = 50;
const maxTimeoutMs = 60_000;
/** Canary probes in flight at once: 32 canaries (the schema's maximum) finish in one round. */
const maxParallelProbes = 32;

interface CheckOptions {
  policy: string;
  trust?: string;
  timeoutMs?: string;
}

/** `mng isolation …`: the zone isolation check (docs/isolation.md). */
export function registerIsolationCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const isolation = program.command('isolation').description('他領域との分離の確認 / zone isolation');
  isolation
    .command('check')
    .description(
      'この端末の分離を今すぐ確認する（インターフェース・経路・DNS・カナリア）。分離: 0、違反: 1（1 行に 1 件）、確認できない: 2 / ' +
        'check this terminal now (interfaces, routes, DNS, canaries); exit 0 isolated, 1 violation (one per line), 2 could not check',
    )
    .requiredOption('--policy <file>', 'ポリシー（YAML）またはバンドル（JSON） / policy YAML or bundle JSON')
    .option('--trust <path>', 'バンドルの署名を検証する公開鍵（.pub.pem のフォルダかファイル） / public keys to verify a bundle with')
    .option('--timeout-ms <ms>', 'カナリア 1 件の待ち時間（ミリ秒、既定はポリシーの canaryTimeoutMs） / per-canary timeout (ms; default: the policy)')
    .action(defineAction(io, setExit, (ctx, options: CheckOptions) => runCheck(ctx, options)));
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < minTimeoutMs || value > maxTimeoutMs) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`--timeout-ms は ${minTimeoutMs}〜${maxTimeoutMs} の整数です: ${text}`, `--timeout-ms must be an integer from ${minTimeoutMs} to ${maxTimeoutMs}: ${text}`));
  }
  return value;
}

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
async function loadPolicy(ctx: CliContext, file: string, trustPath: string | undefined): Promise<ZonePolicy> {
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

function sanitize(text: string): string {
  // Host names and interface names come from files and the kernel: never let them drive the terminal.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function runCheck(ctx: CliContext, options: CheckOptions): Promise<ExitCode> {
  const timeoutMs = parseTimeout(options.timeoutMs);
  const policy = await loadPolicy(ctx, options.policy, options.trust);
  let check: IsolationCheck;
  try {
    check = await runIsolationCheck({
      policy: policy.spec.isolation,
      facts: createIpNetworkFacts(),
      prober: createTcpCanaryProber({ maxParallel: maxParallelProbes }),
      nowMs: () => performance.now(),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new MngError(ErrorCode.FileUnreadable, msg(`ネットワークの状態を読めません（分離を確認できません）: ${text}`, `cannot read the network state (isolation not checked): ${text}`), {
      hint: msg('ip コマンド（iproute2）と /sys が使えるか確認してください', 'check that the ip command (iproute2) and /sys are available'),
      cause: error,
    });
  }
  const { report } = check;
  const elapsedMs = Math.round(check.elapsedMs);
  const violations = report.findings.filter((f) => f.severity === 'violation');
  const warnings = report.findings.filter((f) => f.severity === 'warning');
  const lines = [
    ...violations.map((f) => `${ctx.t(msg('違反', 'violation'))}: ${f.subject}: ${ctx.t(f.message)}`),
    ...warnings.map((f) => `${ctx.t(msg('警告', 'warning'))}: ${f.subject}: ${ctx.t(f.message)}`),
    ctx.t(
      report.isolated
        ? msg(`分離を確認しました（カナリア ${check.probes.length} 件、${elapsedMs} ms）`, `isolated (${check.probes.length} canary(ies), ${elapsedMs} ms)`)
        : msg(`分離されていません: 違反 ${violations.length} 件（${elapsedMs} ms）`, `NOT isolated: ${violations.length} violation(s) (${elapsedMs} ms)`),
    ),
  ];
  ctx.print(
    {
      ok: report.isolated,
      isolated: report.isolated,
      policy: { id: policy.metadata.id, version: policy.metadata.version, file: options.policy },
      elapsedMs,
      findings: report.findings,
      canaries: check.probes.map((p) => ({ name: p.name, host: p.host, port: p.port, zone: p.zone, outcome: p.result.outcome, elapsedMs: Math.round(p.result.elapsedMs), detail: p.result.detail })),
      interfaces: check.facts.interfaces,
      routes: check.facts.routes,
      dnsServers: check.facts.dnsServers,
      dnsSource: check.facts.dnsSource,
    },
    sanitize(lines.join('\n')),
  );
  return report.isolated ? ExitCode.Ok : ExitCode.CheckFailed;
}
