import { hostname } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import { maxPskcBytes, parsePskc, type PskcDecryptionKey, type PskcImportedKey, type PskcProblem } from '../../agent/mfa';
import { readRegularFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import { createMfaAdminJournal, defaultMfaKeyFile, defaultMfaStateDir, openMfaStores } from '../mfa-stores';
import type { CommandDeps } from '../program';
import { mfaCommandGroup } from './mfa';

/** Audit type of one imported hardware token (in the `mng` MFA journal; never the secret). */
export const pskcImportedAuditType = 'mfa.pskc-imported';
const maxPassphraseFileBytes = 4096;

interface ImportOptions {
  pskHex?: string;
  passphraseFile?: string;
  user?: string;
  userMap: string[];
  skipBadMac?: boolean;
  replace?: boolean;
  stateDir?: string;
  keyFile?: string;
}

/** `mng mfa import-pskc <file>`: hardware TOTP tokens from a PSKC file (RFC 6030), stored through the SecretStore. */
export function registerMfaPskcCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  mfaCommandGroup(program)
    .command('import-pskc')
    .description('ハードウェアトークンを PSKC ファイル（RFC 6030）から登録する / import hardware TOTP tokens from a PSKC file (RFC 6030)')
    .argument('<file>', 'ベンダーから受け取った PSKC ファイル / the PSKC file from the token vendor')
    .option('--psk-hex <hex>', '事前共有鍵（16 進 32 文字） / the pre-shared key (32 hex digits)')
    .option('--passphrase-file <file>', 'パスフレーズを書いたファイル（PBKDF2） / a file holding the passphrase (PBKDF2)')
    .option('--user <name>', 'トークンが 1 つのファイルの利用者（ファイルの UserId より優先） / user of a one-token file (over the file UserId)')
    .option('--user-map <serial=name>', 'シリアル番号か Key Id ごとの利用者（繰り返し可） / user per serial number or Key Id (repeatable)', collect, [])
    .option('--skip-bad-mac', 'MAC が一致しないトークンだけ飛ばす（既定はファイル全体を拒否） / skip tokens whose MAC fails (default: refuse the whole file)')
    .option('--replace', '登録済みの利用者のトークンを置き換える / replace tokens of users that already have one')
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultMfaStateDir}） / agent state folder (default ${defaultMfaStateDir})`)
    .option('--key-file <file>', `MFA の秘密を暗号化する鍵（既定 ${defaultMfaKeyFile}） / key that encrypts MFA secrets (default ${defaultMfaKeyFile})`)
    .action(defineAction(io, setExit, (ctx, file: string, options: ImportOptions) => runImport(ctx, file, options)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runImport(ctx: CliContext, file: string, options: ImportOptions): Promise<ExitCode> {
  const key = await decryptionKey(ctx, options);
  const userMap = parseUserMap(options.userMap);
  const bytes = await readRegularFile(path.resolve(ctx.io.cwd, file), { maxBytes: maxPskcBytes });
  const parsed = parsePskc(new Uint8Array(bytes), {
    ...(key === undefined ? {} : { key }),
    ...(options.user === undefined ? {} : { defaultUser: options.user }),
    userMap,
    skipBadMac: options.skipBadMac === true,
    createdAt: new Date(ctx.io.clock.nowMs()).toISOString(),
  });
  if (!parsed.ok) {
    for (const problem of parsed.error.problems) ctx.io.stderr(`mng: ${file}: ${ctx.t(problem.message)}\n`);
    if (ctx.json) ctx.print({ ok: false, file, imported: [], problems: parsed.error.problems.map(problemJson) }, '');
    ctx.io.stderr(`${ctx.t(msg('何も登録していません。', 'nothing was imported.'))}\n`);
    return ExitCode.CheckFailed;
  }

  const stores = openMfaStores({ stateDir: options.stateDir, keyFile: options.keyFile, cwd: ctx.io.cwd });
  const { keys, skipped } = parsed.value;
  // All or nothing: check every user before storing the first token.
  if (options.replace !== true) {
    const taken: string[] = [];
    for (const item of keys) if ((await stores.secrets.get(item.record.user)) !== null) taken.push(item.record.user);
    if (taken.length > 0) {
      throw new MngError(
        ErrorCode.InvalidArgument,
        msg(`次の利用者にはトークンが登録済みです: ${taken.join(', ')}。何も登録していません`, `these users already have a token: ${taken.join(', ')}; nothing was imported`),
        { hint: msg('置き換えるなら --replace を付けてください', 'add --replace to replace them') },
      );
    }
  }
  const journal = createMfaAdminJournal({ dir: stores.dir, clock: ctx.io.clock, host: hostname() });
  for (const item of keys) {
    await stores.secrets.put(item.record);
    await journal.append({
      type: pskcImportedAuditType,
      severity: 'notice',
      data: {
        user: item.record.user,
        serial: item.record.serial,
        keyId: item.keyId,
        algorithm: item.record.algorithm,
        digits: item.record.digits,
        periodSeconds: item.record.periodSeconds,
        driftSteps: item.record.driftSteps,
        file: path.basename(file),
      },
    });
  }
  for (const problem of skipped) ctx.io.stderr(`mng: ${file}: ${ctx.t(problem.message)}\n`);
  ctx.print(
    { ok: skipped.length === 0, file, imported: keys.map(importedJson), skipped: skipped.map(problemJson) },
    [
      ctx.t(msg(`${keys.length} 個のトークンを登録しました${skipped.length > 0 ? `（${skipped.length} 個は飛ばしました）` : ''}:`, `imported ${keys.length} token(s)${skipped.length > 0 ? ` (${skipped.length} skipped)` : ''}:`)),
      ...keys.map((item) => `  ${describeKey(ctx, item)}`),
      ctx.t(msg('Linux のログオンにも使うときは mng mfa pam sync を実行してください。', 'run mng mfa pam sync to use them at Linux logon too.')),
    ].join('\n'),
  );
  return skipped.length === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
}

async function decryptionKey(ctx: CliContext, options: ImportOptions): Promise<PskcDecryptionKey | undefined> {
  if (options.pskHex !== undefined && options.passphraseFile !== undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg('--psk-hex と --passphrase-file は同時に使えません', '--psk-hex and --passphrase-file cannot be used together'), {
      hint: msg('ファイルの保護方式に合う方だけを指定してください', 'give only the one that matches how the file is protected'),
    });
  }
  if (options.pskHex !== undefined) {
    if (!/^[0-9a-fA-F]{32}$/.test(options.pskHex)) {
      throw new MngError(ErrorCode.InvalidArgument, msg('--psk-hex は 16 進 32 文字（AES-128 の鍵）で指定してください', '--psk-hex must be 32 hex digits (an AES-128 key)'), {
        hint: msg('ベンダーから受け取った事前共有鍵を確認してください', 'check the pre-shared key received from the vendor'),
      });
    }
    return { kind: 'pre-shared', key: new Uint8Array(Buffer.from(options.pskHex, 'hex')) };
  }
  if (options.passphraseFile !== undefined) {
    const bytes = await readRegularFile(path.resolve(ctx.io.cwd, options.passphraseFile), { maxBytes: maxPassphraseFileBytes });
    // One trailing line end is the editor's, not the passphrase's.
    const passphrase = bytes.toString('utf8').replace(/\r?\n$/, '');
    if (passphrase === '') {
      throw new MngError(ErrorCode.InvalidArgument, msg(`パスフレーズのファイル ${options.passphraseFile} が空です`, `the passphrase file ${options.passphraseFile} is empty`), {
        hint: msg('ベンダーから受け取ったパスフレーズを 1 行で書いてください', 'write the passphrase received from the vendor on one line'),
      });
    }
    return { kind: 'passphrase', passphrase };
  }
  return undefined;
}

function parseUserMap(items: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) {
      throw new MngError(ErrorCode.InvalidArgument, msg(`--user-map ${item} の形が正しくありません`, `--user-map ${item} is malformed`), {
        hint: msg('--user-map <シリアル>=<利用者名> の形で指定してください', 'give it as --user-map <serial>=<name>'),
      });
    }
    map.set(item.slice(0, at), item.slice(at + 1));
  }
  return map;
}

function describeKey(ctx: CliContext, item: PskcImportedKey): string {
  const { record } = item;
  return ctx.t(
    msg(
      `${record.user}: シリアル ${record.serial ?? 'なし'}、${record.algorithm}、${record.digits} 桁、${record.periodSeconds} 秒${record.driftSteps !== 0 ? `、ずれ ${record.driftSteps} ステップ` : ''}`,
      `${record.user}: serial ${record.serial ?? 'none'}, ${record.algorithm}, ${record.digits} digits, ${record.periodSeconds} s${record.driftSteps !== 0 ? `, drift ${record.driftSteps} steps` : ''}`,
    ),
  );
}

function importedJson(item: PskcImportedKey): Record<string, unknown> {
  const { record } = item;
  return { user: record.user, serial: record.serial, keyId: item.keyId, manufacturer: item.manufacturer, algorithm: record.algorithm, digits: record.digits, periodSeconds: record.periodSeconds, driftSteps: record.driftSteps };
}

function problemJson(problem: PskcProblem): Record<string, unknown> {
  return { code: problem.code, keyPackage: problem.keyPackage, message: problem.message };
}
