import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import { parseLedgerText, type ExportRecord } from '../../agent/exports';
import { createJsonlLedgerFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';

/** Where the agent keeps its state (and the export ledger) unless configured otherwise. */
export const defaultStateDir = '/var/lib/mynumber-guard';

interface LogOptions {
  stateDir?: string;
  since?: string;
}

/** `mng exports …`: the export ledger (issue #4 item 2). */
export function registerExportsCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const exportsCommand = program.command('exports').description('書き出し台帳 / the export ledger');
  exportsCommand
    .command('log')
    .description('書き出し先に書かれたファイルの記録を表示する / list the records of files written to export destinations')
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultStateDir}） / the agent state folder (default ${defaultStateDir})`)
    .option('--since <time>', 'この日時以降（ISO 8601。例 2025-04-01、2025-04-01T09:00+09:00） / from this time on (ISO 8601)')
    .action(defineAction(io, setExit, (ctx, options: LogOptions) => runLog(ctx, options)));
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // A bare date is midnight in Japan time: the operators' day (same rule as `mng audit show`).
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+09:00` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`--since ${value} を日時として読めません`, `cannot read --since ${value} as a time`), {
      hint: msg('2025-04-01 や 2025-04-01T09:00+09:00 の形で指定してください', 'use a form like 2025-04-01 or 2025-04-01T09:00+09:00'),
    });
  }
  return ms;
}

const outcomeLabels: Record<ExportRecord['outcome'], { ja: string; en: string }> = {
  recorded: { ja: '記録', en: 'recorded' },
  quarantined: { ja: '隔離', en: 'quarantined' },
  deleted: { ja: '削除', en: 'deleted' },
  'vanished-before-hash': { ja: 'ハッシュ前に消滅', en: 'vanished before hash' },
  'changed-while-hashed': { ja: 'ハッシュ中に変更', en: 'changed while hashed' },
  unhashable: { ja: '読めない', en: 'unreadable' },
  'action-failed': { ja: '処置失敗', en: 'action failed' },
};

function formatRecord(ctx: CliContext, record: ExportRecord): string {
  const size = record.sizeBytes === undefined ? '-' : `${record.sizeBytes}B`;
  const hash = record.sha256 ?? '-';
  const user = record.user ?? '-';
  // JSON.stringify escapes control characters, so a newline in a file name cannot forge a line.
  return `${record.time}  ${ctx.t(outcomeLabels[record.outcome])}  ${user}  ${size}  ${hash}  ${JSON.stringify(record.path)}`;
}

async function runLog(ctx: CliContext, options: LogOptions): Promise<ExitCode> {
  const sinceMs = parseSince(options.since);
  const stateDir = path.resolve(ctx.io.cwd, options.stateDir ?? defaultStateDir);
  const file = createJsonlLedgerFile(stateDir);
  let text: string | undefined;
  try {
    text = await file.read();
  } catch (error) {
    throw new MngError(
      ErrorCode.FileUnreadable,
      msg(`書き出し台帳 ${file.path} を読めません: ${(error as Error).message}`, `cannot read the export ledger ${file.path}: ${(error as Error).message}`),
      { hint: msg('root で実行するか --state-dir を確認してください', 'run as root or check --state-dir'), cause: error },
    );
  }
  const read = text === undefined ? { records: [], badLines: 0 } : parseLedgerText(text);
  const records = read.records.filter((record) => sinceMs === undefined || Date.parse(record.time) >= sinceMs);
  if (read.badLines > 0) {
    ctx.io.stderr(`${ctx.t(msg(`台帳の ${read.badLines} 行は記録として読めませんでした（途中で切れた行など）`, `${read.badLines} line(s) of the ledger are not records (a torn line, for example)`))}\n`);
  }
  const human =
    records.length === 0
      ? ctx.t(msg(`記録はありません（${file.path}）`, `no records (${file.path})`))
      : records.map((record) => formatRecord(ctx, record)).join('\n');
  ctx.print({ ledger: file.path, records, badLines: read.badLines }, human);
  return ExitCode.Ok;
}
