import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import { runIsolationCheck, type IsolationCheck } from '../../agent/isolation';
import { createIpNetworkFacts, createTcpCanaryProber } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import { loadPolicy, loadPolicyInForce } from '../load-policy';
import type { CommandDeps } from '../program';

/** Bounds of `--timeout-ms` (the policy's own bounds are 100..10000). */
const minTimeoutMs = 50;
const maxTimeoutMs = 60_000;
/** Canary probes in flight at once: 32 canaries (the schema's maximum) finish in one round. */
const maxParallelProbes = 32;

interface CheckOptions {
  policy?: string;
  stateDir?: string;
  trust?: string;
  timeoutMs?: string;
}

/** `mng isolation …`: the zone isolation check (docs/media.md §8). */
export function registerIsolationCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const isolation = program.command('isolation').description('他領域との分離の確認 / zone isolation');
  isolation
    .command('check')
    .description(
      'この端末の分離を今すぐ確認する（インターフェース・経路・DNS・カナリア）。分離: 0、違反: 1（1 行に 1 件）、確認できない: 2 / ' +
        'check this terminal now (interfaces, routes, DNS, canaries); exit 0 isolated, 1 violation (one per line), 2 could not check',
    )
    .option('--policy <file>', 'ポリシー（YAML）またはバンドル（JSON） / policy YAML or bundle JSON')
    .option('--state-dir <dir>', 'エージェントが適用中のポリシーを使う（状態フォルダ。--trust 省略時は /etc/mynumber-guard/trust.d で検証） / use the policy the agent has in force (its state folder)')
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

function sanitize(text: string): string {
  // Host names and interface names come from files and the kernel: never let them drive the terminal.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function runCheck(ctx: CliContext, options: CheckOptions): Promise<ExitCode> {
  const timeoutMs = parseTimeout(options.timeoutMs);
  if ((options.policy === undefined) === (options.stateDir === undefined)) {
    throw new MngError(ErrorCode.InvalidArgument, msg('--policy か --state-dir のどちらか一方を指定してください', 'give exactly one of --policy and --state-dir'));
  }
  const policy =
    options.policy !== undefined ? await loadPolicy(ctx, options.policy, options.trust) : await loadPolicyInForce(ctx, options.stateDir as string, options.trust);
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
