import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError, isMngError } from '../../shared/errors';
import { msg, type Localized } from '../../shared/i18n';
import {
  auditSeverities,
  createAuditRecordReader,
  createAuditVerifier,
  parseAuditHead,
  type AuditHead,
  type AuditProblem,
  type AuditReadItem,
  type AuditSeverity,
  type AuditVerifyResult,
} from '../../agent/audit';
import { auditHeadPath, openRegularFileChunks, readAuditHeadFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';

/** Where the agent keeps its audit log unless configured otherwise (agent config `auditLog`). */
export const defaultAuditLogPath = '/var/lib/mynumber-guard/audit.jsonl';
const readChunkBytes = 1024 * 1024;
// Time for an append in progress to finish (one write + fsync) before a torn end is re-read.
const liveRetryMs = 250;

interface FileOptions {
  file?: string;
}

/** `mng audit …`: verify the hash chain, show records (docs/audit.md). */
export function registerAuditCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const audit = program.command('audit').description('監査ログの検証と表示 / verify and show the audit log');

  audit
    .command('verify')
    .description('監査ログのハッシュ連鎖を検証し、最初の不正な記録を示す / verify the hash chain and name the first bad record')
    .argument('[file]', `監査ログ（既定 ${defaultAuditLogPath}） / the audit log (default ${defaultAuditLogPath})`)
    .option('--file <path>', '監査ログ（引数の代わり） / the audit log (instead of the argument)')
    .option('--head <file>', 'ヘッド（照合する最後の記録の控え。既定は <ログ>.head があればそれ） / head anchor to check against (default <log>.head if present)')
    .option('--no-head', '<ログ>.head を使わない / do not use <log>.head')
    .action(
      defineAction(io, setExit, (ctx, file: string | undefined, options: FileOptions & { head?: string | false }) =>
        runVerify(ctx, file, options),
      ),
    );

  audit
    .command('show')
    .description('監査ログの記録を表示する（検証はしない） / print the records of the audit log (does not verify)')
    .argument('[file]', `監査ログ（既定 ${defaultAuditLogPath}） / the audit log (default ${defaultAuditLogPath})`)
    .option('--file <path>', '監査ログ（引数の代わり） / the audit log (instead of the argument)')
    .option('--type <type>', '種別で絞る（usb なら usb.* も） / only this type (usb also matches usb.*)')
    .option('--since <time>', 'この日時以降（ISO 8601。例 2025-04-01、2025-04-01T09:00+09:00） / from this time on (ISO 8601)')
    .option('--severity <level>', 'この重要度以上（info, notice, warning, alert） / at least this severity')
    .option('--tail <n>', '最後の n 件だけ / only the last n records')
    .action(
      defineAction(io, setExit, (ctx, file: string | undefined, options: FileOptions & { type?: string; since?: string; severity?: string; tail?: string }) =>
        runShow(ctx, file, options),
      ),
    );
}

// ---------------------------------------------------------------------------------------------

function invalidArgument(text: Localized, hint: Localized): MngError {
  return new MngError(ErrorCode.InvalidArgument, text, { hint });
}

/** The log path from the argument or --file (not both), relative to the working directory. */
function resolveLogPath(ctx: CliContext, argument: string | undefined, option: string | undefined): { shown: string; absolute: string } {
  if (argument !== undefined && option !== undefined && argument !== option) {
    throw invalidArgument(msg('監査ログが引数と --file の両方で指定されています', 'the audit log is given both as an argument and with --file'), msg('どちらか一方にしてください', 'give only one of them'));
  }
  const shown = argument ?? option ?? defaultAuditLogPath;
  return { shown, absolute: path.resolve(ctx.io.cwd, shown) };
}

/** Streams a log file through `push`; unreadable files become one clear error (exit 2). */
async function streamLog(file: string, shown: string, isDefault: boolean, push: (chunk: Uint8Array) => void): Promise<void> {
  let reader;
  try {
    reader = await openRegularFileChunks(file);
  } catch (error) {
    if (isMngError(error) && error.code === ErrorCode.FileUnreadable && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new MngError(ErrorCode.FileUnreadable, msg(`監査ログ ${shown} がありません`, `the audit log ${shown} does not exist`), {
        hint: isDefault
          ? msg(
              'エージェントがまだ起動していないか、別の場所に設定されています。ログのパスを引数か --file で指定してください',
              'the agent has not run yet, or it is configured elsewhere; give the log path as an argument or with --file',
            )
          : msg('パスを確認してください', 'check the path'),
        cause: error,
      });
    }
    throw error;
  }
  try {
    for (let position = 0; position < reader.sizeBytes; ) {
      const chunk = await reader.read(position, readChunkBytes);
      if (chunk.length === 0) break;
      push(chunk);
      position += chunk.length;
    }
  } finally {
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------------
// verify

interface HeadSource {
  readonly path: string;
  readonly explicit: boolean;
}

type HeadLoad =
  | { readonly state: 'none'; readonly source?: HeadSource }
  | { readonly state: 'loaded'; readonly source: HeadSource; readonly head: AuditHead }
  | { readonly state: 'bad'; readonly source: HeadSource; readonly reason: Localized };

async function loadHead(ctx: CliContext, logPath: string, option: string | false | undefined): Promise<HeadLoad> {
  if (option === false) return { state: 'none' };
  const source: HeadSource =
    option === undefined ? { path: auditHeadPath(logPath), explicit: false } : { path: path.resolve(ctx.io.cwd, option), explicit: true };
  const read = await readAuditHeadFile(source.path);
  if (read.state === 'missing') {
    if (source.explicit) {
      throw new MngError(ErrorCode.FileUnreadable, msg(`ヘッドのファイル ${option} がありません`, `the head file ${option} does not exist`), {
        hint: msg('パスを確認してください', 'check the path'),
      });
    }
    return { state: 'none', source };
  }
  if (read.state === 'unreadable') {
    if (source.explicit) throw new MngError(ErrorCode.FileUnreadable, read.reason, { hint: msg('パスを確認してください', 'check the path') });
    return { state: 'bad', source, reason: read.reason };
  }
  const parsed = parseAuditHead(read.bytes);
  if (!parsed.ok) {
    if (source.explicit) {
      throw invalidArgument(
        msg(`ヘッド ${option} を読めません: ${parsed.error.ja}`, `cannot read the head ${option}: ${parsed.error.en}`),
        msg('{"seq": 数値, "hash": "16 進 64 文字"} の形で指定してください', 'give it as {"seq": number, "hash": "64 hex digits"}'),
      );
    }
    return { state: 'bad', source, reason: parsed.error };
  }
  return { state: 'loaded', source, head: parsed.value };
}

async function runVerify(ctx: CliContext, argument: string | undefined, options: FileOptions & { head?: string | false }): Promise<ExitCode> {
  const log = resolveLogPath(ctx, argument, options.file);
  const isDefault = argument === undefined && options.file === undefined;
  // The head is read before the log: the agent writes the log first, so a head read first can only
  // lag behind the log (accepted), never run ahead of it (which would look like a cut-off end).
  const headLoad = await loadHead(ctx, log.absolute, options.head);
  const verifyOnce = async (): Promise<AuditVerifyResult> => {
    const verifier = createAuditVerifier(headLoad.state === 'loaded' ? { head: headLoad.head } : {});
    await streamLog(log.absolute, log.shown, isDefault, (chunk) => verifier.push(chunk));
    return verifier.finish().result;
  };
  let result = await verifyOnce();
  if (!result.ok && result.problemCount === 1 && result.firstBad.reason === 'torn-line') {
    // The agent may have been writing that very line: look once more before calling it torn.
    await new Promise((resolve) => setTimeout(resolve, liveRetryMs));
    result = await verifyOnce();
  }

  const headProblem = headLoad.state === 'bad' ? headLoad.reason : undefined;
  const ok = result.ok && headProblem === undefined;
  const lines: string[] = [];
  const name = log.shown;
  if (result.ok) {
    lines.push(
      ctx.t(
        msg(
          `OK: 記録 ${result.records} 件、最後の seq ${result.lastSeq}、最後のハッシュ ${result.lastHash}`,
          `OK: ${result.records} records, last seq ${result.lastSeq}, last hash ${result.lastHash}`,
        ),
      ),
    );
  } else {
    lines.push(`NG: ${describeProblem(ctx, name, result.firstBad)}`);
    if (result.firstBad.acknowledged !== undefined) {
      const by = result.firstBad.acknowledged;
      lines.push(
        ctx.t(
          msg(
            `  エージェントが ${by.time} にこれを検出し、${by.line}行目（seq ${by.seq}）に記録しています。`,
            `  The agent found this at ${by.time} and recorded it on line ${by.line} (seq ${by.seq}).`,
          ),
        ),
      );
    }
    if (result.problemCount > 1) {
      lines.push(ctx.t(msg(`  ほかに ${result.problemCount - 1} 件の問題があります（--json で一覧）。`, `  ${result.problemCount - 1} more problems (--json lists them).`)));
    }
    if (result.recordsOk > 0) {
      lines.push(
        ctx.t(
          msg(
            `  ${result.firstBad.line - 1}行目までの記録 ${result.recordsOk} 件は連鎖が正しいことを確認しました。`,
            `  The ${result.recordsOk} records up to line ${result.firstBad.line - 1} verified correctly.`,
          ),
        ),
      );
    }
  }
  lines.push(...describeHead(ctx, headLoad, result));
  if (result.warningCount > 0) {
    lines.push(
      ctx.t(
        msg(
          `注意: 時刻が前の記録より前になっている記録が ${result.warningCount} 件あります（最初は ${result.warnings[0]?.line}行目）。時計の調整によるもので、改ざんの証拠ではありません。`,
          `Note: ${result.warningCount} records have a time before the previous record's (first on line ${result.warnings[0]?.line}): clock adjustments, not evidence of tampering.`,
        ),
      ),
    );
  }
  if (result.integrityEvents.length > 0) {
    const types = [...new Set(result.integrityEvents.map((event) => event.type))].join(', ');
    lines.push(
      ctx.t(
        msg(
          `注意: エージェントがログ自体についての記録を ${result.integrityEvents.length} 件書いています（${types}）。mng audit show --type audit で内容を確認してください。`,
          `Note: the agent wrote ${result.integrityEvents.length} records about the log itself (${types}); see them with mng audit show --type audit.`,
        ),
      ),
    );
  }
  ctx.print(
    {
      ...result,
      ok,
      file: log.absolute,
      headFile: headLoad.source?.path ?? null,
      headFileProblem: headProblem ?? null,
    },
    lines.join('\n'),
  );
  return ok ? ExitCode.Ok : ExitCode.CheckFailed;
}

function describeProblem(ctx: CliContext, file: string, problem: AuditProblem): string {
  const where = problem.seq === undefined ? `${file}:${problem.line}` : `${file}:${problem.line} (seq ${problem.seq})`;
  return `${where}: ${ctx.t(problem.message)} [${problem.reason}]`;
}

function describeHead(ctx: CliContext, load: HeadLoad, result: AuditVerifyResult): string[] {
  switch (load.state) {
    case 'none':
      return load.source === undefined
        ? [ctx.t(msg('ヘッドとは照合していません（--no-head）。', 'Not checked against a head (--no-head).'))]
        : [
            ctx.t(
              msg(
                `ヘッド ${load.source.path} がないため、末尾の記録の削除は検出できません（収集サーバーの控えを --head で指定できます）。`,
                `No head ${load.source.path}: records removed from the end cannot be detected (give the collector's copy with --head).`,
              ),
            ),
          ];
    case 'bad':
      return [
        `NG: ${ctx.t(
          msg(
            `ヘッド ${load.source.path} が壊れています（${load.reason.ja}）。ヘッドとは照合していません。消された記録を隠すための改ざんの可能性があります`,
            `the head ${load.source.path} is damaged (${load.reason.en}); not checked against it. It may have been tampered with to hide removed records`,
          ),
        )}`,
      ];
    case 'loaded': {
      const check = result.head;
      if (check?.state !== 'matched') {
        return [ctx.t(msg(`ヘッド ${load.source.path}（seq ${load.head.seq}）と一致しません。`, `Does not match the head ${load.source.path} (seq ${load.head.seq}).`))];
      }
      const after = check.recordsAfter ?? 0;
      return [
        ctx.t(
          after === 0
            ? msg(`ヘッド ${load.source.path}（seq ${check.seq}）と一致しました。`, `Matches the head ${load.source.path} (seq ${check.seq}).`)
            : msg(
                `ヘッド ${load.source.path}（seq ${check.seq}）と一致しました。その後に ${after} 件の記録があります。`,
                `Matches the head ${load.source.path} (seq ${check.seq}); ${after} records follow it.`,
              ),
        ),
      ];
    }
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// show

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // A bare date is midnight in Japan time: the operators' day.
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+09:00` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw invalidArgument(
      msg(`--since ${value} を日時として読めません`, `cannot read --since ${value} as a time`),
      msg('2025-04-01 や 2025-04-01T09:00+09:00 の形で指定してください', 'use a form like 2025-04-01 or 2025-04-01T09:00+09:00'),
    );
  }
  return ms;
}

function parseTail(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw invalidArgument(msg(`--tail ${value} は 1 以上の整数ではありません`, `--tail ${value} is not a whole number of 1 or more`), msg('例: --tail 50', 'for example --tail 50'));
  }
  return Number(value);
}

function parseSeverity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const index = auditSeverities.indexOf(value as AuditSeverity);
  if (index < 0) {
    throw invalidArgument(msg(`--severity ${value} は使えません`, `--severity ${value} is not a severity`), msg('info, notice, warning, alert のどれかです', 'use one of info, notice, warning, alert'));
  }
  return index;
}

async function runShow(
  ctx: CliContext,
  argument: string | undefined,
  options: FileOptions & { type?: string; since?: string; severity?: string; tail?: string },
): Promise<ExitCode> {
  const log = resolveLogPath(ctx, argument, options.file);
  const isDefault = argument === undefined && options.file === undefined;
  const sinceMs = parseSince(options.since);
  const tail = parseTail(options.tail);
  const minSeverity = parseSeverity(options.severity);
  const type = options.type;

  const matches = (item: AuditReadItem): boolean => {
    if (item.kind === 'damaged') return type === undefined && sinceMs === undefined && minSeverity === undefined;
    const { record } = item;
    if (type !== undefined && record.type !== type && !record.type.startsWith(`${type}.`)) return false;
    if (sinceMs !== undefined && Date.parse(record.time) < sinceMs) return false;
    if (minSeverity !== undefined && auditSeverities.indexOf(record.severity) < minSeverity) return false;
    return true;
  };

  const selected: AuditReadItem[] = [];
  let damaged = 0;
  const reader = createAuditRecordReader((item) => {
    if (item.kind === 'damaged') damaged += 1;
    if (!matches(item)) return;
    selected.push(item);
    if (tail !== undefined && selected.length > tail) selected.shift();
  });
  await streamLog(log.absolute, log.shown, isDefault, (chunk) => reader.push(chunk));
  reader.finish();

  const human = selected
    .map((item) =>
      item.kind === 'record'
        ? `${item.record.seq}\t${item.record.time}\t${item.record.severity}\t${item.record.type}\t${item.record.host}\t${JSON.stringify(item.record.data)}`
        : ctx.t(msg(`${item.line}行目: 記録として読めません（${item.detail.ja}）`, `line ${item.line}: not a readable record (${item.detail.en})`)),
    )
    .join('\n');
  ctx.print(
    selected.map((item) =>
      item.kind === 'record' ? { line: item.line, hash: item.hash, ...item.record } : { line: item.line, hash: item.hash, damaged: item.fault, detail: item.detail },
    ),
    human,
  );
  if (damaged > 0) {
    ctx.io.stderr(
      `${ctx.t(
        msg(
          `注意: 記録として読めない行が ${damaged} 行あります。show は連鎖を検証しません。mng audit verify で検証してください。`,
          `Note: ${damaged} lines are not readable records. show does not verify the chain; run mng audit verify.`,
        ),
      )}\n`,
    );
  }
  return ExitCode.Ok;
}
