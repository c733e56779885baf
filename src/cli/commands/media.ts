import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg, pick, type Lang } from '../../shared/i18n';
import { describeMountReason, mediaActionText, mountClasses, mountClassText, renderUdisksPolkitRule, udisksPolkitRulePath, type MountClass } from '../../agent/mounts';
import { createAutomountRuleFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import { loadPolicy } from '../load-policy';
import type { CommandDeps } from '../program';
import { isProcessRunning, readAgentStatusFile } from '../agent-status';

const defaultStateDir = '/var/lib/mynumber-guard';

// The media part of the agent's status document. It comes from a file: parsed by a schema first
// (STYLE.md §7); unknown fields are allowed (newer agents add them).
const outcomeSchema = z.object({ state: z.enum(['not-needed', 'applied', 'failed', 'refused', 'vanished']), fellBack: z.boolean().optional(), detail: z.string().optional(), step: z.string().optional() }).passthrough();
const mountSchema = z.object({
  mountPoint: z.string(),
  source: z.string(),
  fsType: z.string(),
  mountClass: z.enum(mountClasses as [MountClass, ...MountClass[]]),
  basis: z.string(),
  action: z.enum(['deny', 'read-only', 'allow']),
  reason: z.enum(['not-media', 'class-default', 'approved-volume', 'approval-expired', 'allowed-share', 'class-unresolved', 'identity-unknown']),
  approvedVolume: z.string().nullable(),
  outcome: outcomeSchema,
});
const statusSchema = z.object({
  format: z.literal('mynumber-guard.agent-status/v1'),
  pid: z.number(),
  summary: z.object({ mode: z.string(), generatedAt: z.string() }),
  controls: z.object({
    media: z
      .object({
        mounts: z.array(mountSchema),
        recentActions: z.array(mountSchema.omit({ basis: true }).extend({ at: z.string() })).default([]),
        destinations: z.array(z.object({ path: z.string(), action: z.string(), policyAction: z.string(), origin: z.string() }).passthrough()),
        automountRule: z.object({ path: z.string(), state: z.string() }).passthrough(),
      })
      .passthrough()
      .optional(),
  }),
});
type MediaStatus = NonNullable<z.infer<typeof statusSchema>['controls']['media']>;
type MountEntry = MediaStatus['mounts'][number];

async function readMediaStatus(stateDir: string): Promise<{ pid: number; mode: string; generatedAt: string; media: MediaStatus }> {
  const { file, status: data } = await readAgentStatusFile(stateDir, statusSchema);
  const media = data.controls.media;
  if (media === undefined) {
    throw new MngError(
      ErrorCode.InvalidArgument,
      msg(`${file} に媒体の情報がありません（媒体制御が動いていないか、設定で停止されています）`, `${file} has no media section (media control is not running, or switched off)`),
      { hint: msg('Linux 端末のエージェントの状態フォルダを指定してください', 'run it against a Linux terminal agent') },
    );
  }
  return { pid: data.pid, mode: data.summary.mode, generatedAt: data.summary.generatedAt, media };
}

function outcomeText(entry: Pick<MountEntry, 'outcome'>, lang: Lang): string {
  const o = entry.outcome;
  switch (o.state) {
    case 'not-needed':
      return '';
    case 'applied':
      return pick(o.fellBack === true ? msg('適用済み（使用中のため使用不可に切り替え）', 'applied (busy: fell back to deny)') : msg('適用済み', 'applied'), lang);
    case 'refused':
      return pick(msg('システムに必要なマウント先のため変更せず', 'left alone: a mount point the system needs'), lang);
    case 'vanished':
      return pick(msg('処置の前にマウントが消えました', 'the mount vanished before it could be enforced'), lang);
    case 'failed':
      return pick(msg(`適用に失敗（${o.step ?? ''}: ${o.detail ?? ''}）`, `FAILED (${o.step ?? ''}: ${o.detail ?? ''})`), lang);
  }
}

/** Pads by code points; wide CJK glyphs may misalign in some terminals, the content stays exact. */
function table(rows: readonly string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((cells) => [...(cells[column] ?? '')].length)));
  return rows.map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - [...cell].length))).join('  ').trimEnd()).join('\n');
}

async function runList(ctx: CliContext, options: { stateDir: string; all?: boolean }): Promise<ExitCode> {
  const status = await readMediaStatus(path.resolve(ctx.io.cwd, options.stateDir));
  const lang = ctx.lang;
  const ja = lang === 'ja';
  const running = isProcessRunning(status.pid);
  const shown = options.all === true ? status.media.mounts : status.media.mounts.filter((m) => m.mountClass !== 'internal' && m.mountClass !== 'pseudo');
  const rows = shown.map((m) => ({
    ...m,
    classText: pick(mountClassText[m.mountClass], lang),
    actionText: pick(mediaActionText[m.action], lang),
    reasonText: pick(describeMountReason({ action: m.action, reason: m.reason, mountClass: m.mountClass, approvedVolume: m.approvedVolume }), lang),
    outcomeText: outcomeText(m, lang),
  }));
  const failed = rows.filter((row) => row.outcome.state === 'failed');
  const lines = [
    ja
      ? `エージェント: ${running ? `稼働中（pid ${status.pid}）` : '停止中'}、${status.mode === 'enforce' ? '強制モード' : '監視モード（変更なし）'}、状態の時刻 ${status.generatedAt}`
      : `agent: ${running ? `running (pid ${status.pid})` : 'not running'}, ${status.mode === 'enforce' ? 'enforce mode' : 'monitor mode (nothing changed)'}, status as of ${status.generatedAt}`,
    '',
  ];
  if (rows.length === 0) lines.push(pick(msg('対象の記録媒体はマウントされていません', 'no media mounted'), lang));
  else {
    const header = ja ? ['マウント先', '種類', '判定', '理由', '結果'] : ['MOUNT POINT', 'CLASS', 'ACTION', 'REASON', 'RESULT'];
    lines.push(table([header, ...rows.map((r) => [r.mountPoint, r.classText, r.actionText, r.reasonText, r.outcomeText])]));
  }
  const recent = status.media.recentActions.filter((a) => a.mountPoint.length > 0);
  if (recent.length > 0) {
    lines.push('');
    lines.push(ja ? `最近の処置（新しい順、${recent.length} 件）:` : `recent enforcement (newest first, ${recent.length}):`);
    const header = ja ? ['時刻', 'マウント先', '種類', '判定', '理由', '結果'] : ['TIME', 'MOUNT POINT', 'CLASS', 'ACTION', 'REASON', 'RESULT'];
    lines.push(
      table([
        header,
        ...[...recent].reverse().map((a) => [
          a.at,
          a.mountPoint,
          pick(mountClassText[a.mountClass], lang),
          pick(mediaActionText[a.action], lang),
          pick(describeMountReason({ action: a.action, reason: a.reason, mountClass: a.mountClass, approvedVolume: a.approvedVolume }), lang),
          outcomeText(a, lang),
        ]),
      ]),
    );
  }
  lines.push('');
  lines.push(ja ? `書き出しの記録先（${status.media.destinations.length} か所）:` : `export destinations recorded (${status.media.destinations.length}):`);
  for (const d of status.media.destinations) {
    const action = d.action === d.policyAction ? d.action : `${d.action} (${ja ? 'ポリシーでは' : 'policy:'} ${d.policyAction})`;
    lines.push(`  ${d.path}  ${action}`);
  }
  const rule = status.media.automountRule;
  lines.push(ja ? `自動マウント禁止の規則: ${rule.path}（${rule.state}）` : `automount rule: ${rule.path} (${rule.state})`);
  ctx.print(
    { ok: failed.length === 0, agentRunning: running, pid: status.pid, mode: status.mode, generatedAt: status.generatedAt, mounts: rows, recentActions: recent, destinations: status.media.destinations, automountRule: rule },
    lines.join('\n'),
  );
  // A medium the agent failed to control is a finding: exit 1 so scripts notice.
  return failed.length === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
}

interface PolkitOptions {
  policy?: string;
  trust?: string;
  path: string;
}

async function runPolkit(ctx: CliContext, verb: 'install' | 'show' | 'remove', options: PolkitOptions): Promise<ExitCode> {
  const store = createAutomountRuleFile(path.resolve(ctx.io.cwd, options.path));
  if (verb === 'remove') {
    const removed = await store.remove();
    ctx.print(
      { ok: true, path: store.location, removed },
      pick(removed ? msg(`${store.location} を削除しました`, `removed ${store.location}`) : msg(`${store.location} はありません（削除済み）`, `${store.location} does not exist (already removed)`), ctx.lang),
    );
    return ExitCode.Ok;
  }
  if (options.policy === undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg('--policy <ポリシーまたはバンドル> を指定してください', 'give --policy <policy or bundle>'));
  }
  const policy = await loadPolicy(ctx, options.policy, options.trust);
  const text = renderUdisksPolkitRule(policy.spec.media, ctx.io.clock.nowMs());
  if (verb === 'show') {
    ctx.print({ ok: true, path: store.location, rule: text }, text.trimEnd());
    return ExitCode.Ok;
  }
  const before = await store.read();
  if (before !== text) await store.write(text);
  ctx.print(
    { ok: true, path: store.location, changed: before !== text },
    pick(before === text ? msg(`${store.location} は最新です`, `${store.location} is up to date`) : msg(`${store.location} に書きました`, `wrote ${store.location}`), ctx.lang),
  );
  return ExitCode.Ok;
}

/** `mng media …`: mounts and their decisions (issue #4 item 5) and the automount rule. */
export function registerMediaCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const media = program.command('media').description('記録媒体の制御 / removable media control');
  media
    .command('list')
    .description('マウント、その種類、判定と理由を表示する（適用に失敗したものがあれば 1） / show each mount, its class, the decision and why (exit 1 when one was not enforced)')
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultStateDir}） / agent state folder`, defaultStateDir)
    .option('--all', '内蔵・疑似ファイルシステムも表示する / include internal and pseudo file systems')
    .action(defineAction(io, setExit, (ctx, options: { stateDir: string; all?: boolean }) => runList(ctx, options)));
  const polkit = media.command('polkit').description('デスクトップの自動マウントを止める udisks2 の polkit 規則 / the udisks2 polkit rule that stops desktop automounting');
  for (const [verb, ja, en] of [
    ['install', 'ポリシーから規則を作って書く（導入時。以後はエージェントが更新）', 'write the rule for a policy (at install; the agent keeps it current)'],
    ['show', '書く内容を表示する', 'print the rule'],
    ['remove', '規則を削除する（アンインストール時）', 'delete the rule (at uninstall)'],
  ] as const) {
    const command = polkit.command(verb).description(`${ja} / ${en}`);
    if (verb !== 'remove') {
      command
        .option('--policy <file>', 'ポリシー（YAML）またはバンドル（JSON） / policy YAML or bundle JSON')
        .option('--trust <path>', 'バンドルの署名を検証する公開鍵 / public keys to verify a bundle with');
    }
    command
      .option('--path <file>', `規則ファイル（既定 ${udisksPolkitRulePath}） / rule file`, udisksPolkitRulePath)
      .action(defineAction(io, setExit, (ctx, options: PolkitOptions) => runPolkit(ctx, verb, options)));
  }
}
