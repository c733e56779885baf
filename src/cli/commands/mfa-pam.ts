import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg, type Localized } from '../../shared/i18n';
import {
  checkPamOathUsersfilePath,
  decidePamFaillockFigures,
  decidePamOathDigits,
  defaultPamOathUsersfile,
  defaultPamOathWindowSteps,
  initialVerificationState,
  mergePamOathUsersfile,
  pamOathIncludeName,
  parsePamOathUsersfile,
  planPamServiceInclude,
  renderPamLogonStack,
  renderPamOathIncludeFile,
  renderPamOathLine,
  renderPamOathUsersfile,
  shareReplayState,
  type PamOathMerge,
  type TokenRecord,
} from '../../agent/mfa';
import { createPamOathUsersfileFile, readRegularFile, writeFileAtomically } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import { loadPolicyInForce } from '../load-policy';
import type { ZonePolicy } from '../../shared/policy/schema';
import { defaultMfaKeyFile, defaultMfaStateDir, openMfaStores, type MfaStores } from '../mfa-stores';
import type { CommandDeps } from '../program';
import { mfaCommandGroup } from './mfa';

/** Where PAM service files live unless `--pam-dir` says otherwise. */
export const defaultPamDir = '/etc/pam.d';
/** Folders searched for pam_oath.so before a PAM file that needs it is written. */
const pamModuleRoots = ['/lib', '/usr/lib', '/lib64', '/usr/lib64'];
const maxServiceFileBytes = 256 * 1024;

interface SyncOptions {
  usersfile?: string;
  window?: string;
  stateDir?: string;
  keyFile?: string;
  /** Owner uid the usersfile and folder must have (tests); default root. */
  ownerUid?: string;
}

interface InstallOptions extends SyncOptions {
  service?: string;
  writePam?: boolean;
  pamDir?: string;
  trust?: string;
}

/** Test seam: where pam_oath.so is looked for (default the system library folders). */
export interface MfaPamCommandOptions {
  readonly pamModuleRoots?: readonly string[];
}

/** `mng mfa pam install | sync`: the pam_oath usersfile kept in step with the agent's tokens (issue #5 item 2). */
export function registerMfaPamCommands(program: Command, deps: CommandDeps, commandOptions: MfaPamCommandOptions = {}): void {
  const { io, setExit } = deps;
  const pam = mfaCommandGroup(program)
    .command('pam')
    .description('Linux のログオンで同じ TOTP を求める（pam_oath） / ask for the same TOTP at Linux logon (pam_oath)');

  withSyncOptions(pam.command('install'))
    .description('pam_oath の利用者ファイルを書き、PAM の行を表示する（--write-pam で書き込む） / write the pam_oath usersfile and print the PAM line (write it with --write-pam)')
    .option('--service <name>', '/etc/pam.d/<name> に組み込む（--write-pam と一緒に。例 login、lightdm、gdm-password） / include it in /etc/pam.d/<name> (with --write-pam; e.g. login, lightdm, gdm-password)')
    .option('--write-pam', `/etc/pam.d/${pamOathIncludeName} を書き、--service のファイルに組み込む / write /etc/pam.d/${pamOathIncludeName} and include it in the --service file`)
    .option('--pam-dir <dir>', `PAM の設定フォルダ（既定 ${defaultPamDir}） / the PAM configuration folder (default ${defaultPamDir})`)
    .option('--trust <keys>', '適用中のポリシー（試行回数の制限の値）を検証する公開鍵（既定 /etc/mynumber-guard/trust.d） / keys that verify the policy in force (its lockout figures)')
    .action(defineAction(io, setExit, (ctx, options: InstallOptions) => runInstall(ctx, options, commandOptions)));

  withSyncOptions(pam.command('sync'))
    .description('登録済みトークンから利用者ファイルを更新し、使用済みコードの記録をエージェントと共有する / update the usersfile from the stored tokens and share used-code state with the agent')
    .action(defineAction(io, setExit, async (ctx, options: SyncOptions) => {
      const synced = await syncUsersfile(ctx, options);
      ctx.print(syncJson(synced), syncText(ctx, synced).join('\n'));
      return synced.merge.skipped.length > 0 ? ExitCode.CheckFailed : ExitCode.Ok;
    }));
}

function withSyncOptions(command: Command): Command {
  return command
    .option('--usersfile <file>', `pam_oath の利用者ファイル（既定 ${defaultPamOathUsersfile}） / the pam_oath usersfile (default ${defaultPamOathUsersfile})`)
    .option('--window <steps>', `前後に許すステップ数（PAM の window=、既定 ${defaultPamOathWindowSteps}） / steps accepted either side (PAM window=, default ${defaultPamOathWindowSteps})`)
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultMfaStateDir}） / agent state folder (default ${defaultMfaStateDir})`)
    .option('--key-file <file>', `MFA の秘密を暗号化する鍵（既定 ${defaultMfaKeyFile}） / key that encrypts MFA secrets (default ${defaultMfaKeyFile})`)
    .addOption(hiddenOwnerOption(command));
}

function hiddenOwnerOption(command: Command) {
  // Tests run the real command on files they own; terminals always use root (uid 0).
  return command.createOption('--owner-uid <uid>', 'owner uid of the usersfile (tests)').hideHelp();
}

interface Synced {
  readonly usersfile: string;
  readonly windowSteps: number;
  readonly tokens: readonly TokenRecord[];
  readonly merge: PamOathMerge;
  readonly written: boolean;
  /** Users whose line now carries the agent's last accepted step. */
  readonly pamUpdated: readonly string[];
  /** Users whose agent state moved forward to a code accepted by pam_oath. */
  readonly agentUpdated: readonly string[];
}

async function syncUsersfile(ctx: CliContext, options: SyncOptions): Promise<Synced> {
  const usersfile = checkPamOathUsersfilePath(path.resolve(ctx.io.cwd, options.usersfile ?? defaultPamOathUsersfile));
  if (!usersfile.ok) throw new MngError(ErrorCode.InvalidArgument, usersfile.error, { hint: msg('--usersfile を直してください', 'fix --usersfile') });
  const windowSteps = parseCount(options.window, defaultPamOathWindowSteps, '--window', 3);
  const ownerUid = parseCount(options.ownerUid, 0, '--owner-uid', 2 ** 31);
  const stores = openMfaStores({ stateDir: options.stateDir, keyFile: options.keyFile, cwd: ctx.io.cwd });
  const tokens = await loadTokens(stores);
  const file = createPamOathUsersfileFile({ location: usersfile.value, ownerUid });
  const nowMs = ctx.io.clock.nowMs();
  const stepOptions = { utcOffsetMinutes: -new Date(nowMs).getTimezoneOffset(), windowSteps };
  const agentSteps = new Map<string, number | null>();
  for (const token of tokens) agentSteps.set(token.user, (await stores.states.get(token.user))?.lastAcceptedStep ?? null);

  let merge: PamOathMerge = mergePamOathUsersfile(null, tokens);
  let pamUpdated: readonly string[] = [];
  let shared = new Map<string, number>();
  let agentUpdated: readonly string[] = [];
  const update = await file.update((current) => {
    merge = mergePamOathUsersfile(current === null ? null : parsePamOathUsersfile(current), tokens);
    const share = shareReplayState(merge.entries, new Map(tokens.map((token) => [token.user, token])), agentSteps, stepOptions);
    pamUpdated = share.pamUpdated;
    agentUpdated = share.agentUpdated;
    shared = new Map(share.agentSteps);
    return renderPamOathUsersfile(share.entries);
  });
  // pam_oath accepted a later code than the agent knows of: move the agent's replay guard forward.
  for (const user of agentUpdated) {
    const step = shared.get(user);
    if (step === undefined) continue;
    const state = (await stores.states.get(user)) ?? initialVerificationState(user);
    if (state.lastAcceptedStep === null || state.lastAcceptedStep < step) await stores.states.put({ ...state, lastAcceptedStep: step });
  }
  return { usersfile: usersfile.value, windowSteps, tokens, merge, written: update.written, pamUpdated, agentUpdated };
}

async function loadTokens(stores: MfaStores): Promise<TokenRecord[]> {
  const tokens: TokenRecord[] = [];
  for (const user of await stores.secrets.list()) {
    const token = await stores.secrets.get(user);
    if (token !== null) tokens.push(token);
  }
  return tokens;
}

async function runInstall(ctx: CliContext, options: InstallOptions, commandOptions: MfaPamCommandOptions): Promise<ExitCode> {
  if (options.service !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(options.service)) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`PAM のサービス名 ${options.service} は使えません`, `the PAM service name ${options.service} cannot be used`), {
      hint: msg('/etc/pam.d にあるファイル名（login など）を指定してください', 'give a file name from /etc/pam.d, such as login'),
    });
  }
  if (options.service !== undefined && options.writePam !== true) {
    throw new MngError(ErrorCode.InvalidArgument, msg('--service は --write-pam と一緒に指定してください', '--service needs --write-pam'), {
      hint: msg('書き込まずに行だけ見るなら --service を外してください', 'leave out --service to only print the line'),
    });
  }
  const synced = await syncUsersfile(ctx, options);
  const usable = synced.tokens.filter((token) => !synced.merge.skipped.some((skip) => skip.user === token.user));
  const line = renderPamOathLine({ usersfile: synced.usersfile, windowSteps: synced.windowSteps, digits: decidePamOathDigits(usable) });
  // The attempt limit at logon follows the policy the agent has in force; without one, the strictest.
  let lockoutSource: 'policy' | 'default' = 'policy';
  let lockout: ZonePolicy['spec']['mfa']['lockout'] | undefined;
  try {
    lockout = (await loadPolicyInForce(ctx, options.stateDir ?? defaultMfaStateDir, options.trust)).spec.mfa.lockout;
  } catch {
    lockoutSource = 'default';
  }
  const faillock = decidePamFaillockFigures(lockout);
  const stack = renderPamLogonStack(line, faillock);
  const pamDir = path.resolve(ctx.io.cwd, options.pamDir ?? defaultPamDir);
  const written: string[] = [];
  if (options.writePam === true) {
    if (synced.merge.entries.length === 0) {
      throw new MngError(
        ErrorCode.InvalidArgument,
        msg('pam_oath で確認できるトークンを持つ利用者がいません。この状態で PAM に組み込むと誰もログオンできなくなるため、書き込みません', 'no user has a token pam_oath can check; with the PAM line in place nobody could log on, so nothing is written'),
        { hint: msg('先に mng mfa enroll か mng mfa import-pskc でトークンを登録してください', 'enroll tokens first with mng mfa enroll or mng mfa import-pskc') },
      );
    }
    for (const module of ['pam_oath.so', 'pam_faillock.so']) {
      if (await hasPamModule(commandOptions.pamModuleRoots ?? pamModuleRoots, module)) continue;
      throw new MngError(
        ErrorCode.FileUnreadable,
        msg(`${module} が見つかりません。モジュールがないまま PAM に組み込むと誰もログオンできなくなるため、書き込みません`, `${module} was not found; a PAM line for a missing module would stop every logon, so nothing is written`),
        { hint: msg(module === 'pam_oath.so' ? 'apt-get install libpam-oath でインストールしてください' : 'pam_faillock は libpam-modules（1.4 以降）に含まれます', module === 'pam_oath.so' ? 'install it with apt-get install libpam-oath' : 'pam_faillock comes with libpam-modules 1.4 or later') },
      );
    }
    const includeFile = path.join(pamDir, pamOathIncludeName);
    await writeFileAtomically(includeFile, Buffer.from(renderPamOathIncludeFile(stack), 'utf8'), 0o644);
    written.push(includeFile);
    if (options.service !== undefined) {
      const serviceFile = path.join(pamDir, options.service);
      const text = (await readRegularFile(serviceFile, { maxBytes: maxServiceFileBytes })).toString('utf8');
      const plan = planPamServiceInclude(text);
      if (!plan.ok) throw new MngError(ErrorCode.InvalidArgument, msg(`${serviceFile}: ${plan.error.ja}`, `${serviceFile}: ${plan.error.en}`), { hint: msg(`追記する行: @include ${pamOathIncludeName}`, `the line to add: @include ${pamOathIncludeName}`) });
      if (plan.value.changed) {
        const mode = (await stat(serviceFile)).mode & 0o7777;
        await writeFileAtomically(serviceFile, Buffer.from(plan.value.text, 'utf8'), mode);
        written.push(serviceFile);
      }
    }
  }
  const notes: Localized[] = [
    msg(`PAM の行:\n  ${stack.join('\n  ')}`, `PAM lines:\n  ${stack.join('\n  ')}`),
    lockoutSource === 'policy'
      ? msg(
          `試行回数の制限（pam_faillock）: 適用中のポリシーから ${faillock.deny} 回の失敗でロック、${faillock.unlockTimeSeconds === 0 ? '解除は管理者（mng mfa reset）' : `${faillock.unlockTimeSeconds} 秒後に解除`}`,
          `attempt limit (pam_faillock), from the policy in force: locked after ${faillock.deny} failures, ${faillock.unlockTimeSeconds === 0 ? 'until an administrator resets it (mng mfa reset)' : `for ${faillock.unlockTimeSeconds} s`}`,
        )
      : msg(
          `試行回数の制限（pam_faillock）: 適用中のポリシーを読めないため最も厳しい値（${faillock.deny} 回でロック、解除は管理者）を使いました`,
          `attempt limit (pam_faillock): no policy in force could be read, so the strictest figures are used (locked after ${faillock.deny} failures until an administrator resets it)`,
        ),
    options.writePam === true
      ? options.service === undefined
        ? msg(`${path.join(pamDir, pamOathIncludeName)} を書きました。使うサービスの「@include common-auth」の次の行に「@include ${pamOathIncludeName}」を追記してください（--service <名前> で自動追記）`, `wrote ${path.join(pamDir, pamOathIncludeName)}; add "@include ${pamOathIncludeName}" after "@include common-auth" of the services that should use it (--service <name> does it)`)
        : msg(`${options.service} に組み込みました。元に戻すには ${path.join(pamDir, options.service)} から「@include ${pamOathIncludeName}」の行を消してください`, `included in ${options.service}; to undo, delete the "@include ${pamOathIncludeName}" line from ${path.join(pamDir, options.service)}`)
      : msg(`この行を /etc/pam.d/<サービス> の「@include common-auth」の次に置くか、--write-pam --service <サービス> で書き込んでください`, `put this line after "@include common-auth" in /etc/pam.d/<service>, or write it with --write-pam --service <service>`),
    msg(
      '注意: トークンのない利用者（root を含む）は、組み込んだサービスでログオンできなくなります。root のシェルを開いたまま試してください',
      'note: users without a token (root included) can no longer log on through that service; keep a root shell open while testing',
    ),
  ];
  ctx.print({ ...syncJson(synced), line, stack, faillock: { ...faillock, source: lockoutSource }, written }, [...syncText(ctx, synced), ...written.map((file) => ctx.t(msg(`書き込み: ${file}`, `wrote: ${file}`))), ...notes.map((note) => ctx.t(note))].join('\n'));
  return synced.merge.skipped.length > 0 ? ExitCode.CheckFailed : ExitCode.Ok;
}

function syncText(ctx: CliContext, synced: Synced): string[] {
  const { merge } = synced;
  const lines = [
    ctx.t(
      msg(
        `pam_oath の利用者ファイル ${synced.usersfile}${synced.written ? 'を更新しました' : 'は最新です'}: 追加 ${merge.added.length}、置換 ${merge.replaced.length}、維持 ${merge.kept.length}、削除 ${merge.removed.length}`,
        `pam_oath usersfile ${synced.usersfile} ${synced.written ? 'updated' : 'up to date'}: ${merge.added.length} added, ${merge.replaced.length} replaced, ${merge.kept.length} kept, ${merge.removed.length} removed`,
      ),
    ),
  ];
  if (synced.pamUpdated.length > 0 || synced.agentUpdated.length > 0) {
    lines.push(
      ctx.t(
        msg(
          `使用済みコードの記録を共有: PAM へ ${synced.pamUpdated.length} 人、エージェントへ ${synced.agentUpdated.length} 人`,
          `used-code state shared: ${synced.pamUpdated.length} user(s) to PAM, ${synced.agentUpdated.length} to the agent`,
        ),
      ),
    );
  }
  for (const skip of merge.skipped) {
    lines.push(ctx.t(msg(`警告: ${skip.user} はログオン時に確認できません（ログオンできません）: ${skip.reason.ja}`, `warning: ${skip.user} cannot be checked at logon (cannot log on): ${skip.reason.en}`)));
  }
  for (const token of synced.tokens) {
    if (Math.abs(token.driftSteps) > synced.windowSteps && !merge.skipped.some((skip) => skip.user === token.user)) {
      lines.push(
        ctx.t(
          msg(
            `警告: ${token.user} のトークンは時計が ${token.driftSteps} ステップずれています。pam_oath はずれを補正しないため、ログオン時に拒否されることがあります`,
            `warning: the token of ${token.user} runs ${token.driftSteps} steps off; pam_oath does not correct drift, so logon may refuse its codes`,
          ),
        ),
      );
    }
  }
  if (merge.ignoredLines.length > 0) {
    lines.push(ctx.t(msg(`読めない行 ${merge.ignoredLines.length} 行を削除しました`, `dropped ${merge.ignoredLines.length} unreadable line(s)`)));
  }
  return lines;
}

function syncJson(synced: Synced): Record<string, unknown> {
  const { merge } = synced;
  return {
    usersfile: synced.usersfile,
    written: synced.written,
    added: merge.added,
    replaced: merge.replaced,
    kept: merge.kept,
    removed: merge.removed,
    skipped: merge.skipped,
    ignoredLines: merge.ignoredLines,
    sharedToPam: synced.pamUpdated,
    sharedToAgent: synced.agentUpdated,
  };
}

function parseCount(text: string | undefined, fallback: number, option: string, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`${option} ${text} は 0〜${max} の整数で指定してください`, `${option} ${text} must be an integer from 0 to ${max}`), {
      hint: msg(`${option} を直してください`, `fix ${option}`),
    });
  }
  return Number(text);
}

/** True when pam_oath.so exists in a `security` folder below one of `roots` (Debian: /lib/<triplet>/security). */
async function hasPamModule(roots: readonly string[], module: string): Promise<boolean> {
  for (const root of roots) {
    const candidates = [path.join(root, 'security', module)];
    try {
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (entry.isDirectory()) candidates.push(path.join(root, entry.name, 'security', module));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const candidate of candidates) {
      try {
        if ((await stat(candidate)).isFile()) return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      }
    }
  }
  return false;
}
