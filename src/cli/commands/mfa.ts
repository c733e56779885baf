import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import type { MfaPolicy } from '../../shared/policy/schema';
import { createMfaService, type MfaService } from '../../agent/mfa';
import { defineAction, ExitCode, type CliContext } from '../context';
import { loadPolicy } from '../load-policy';
import { createMfaAdminJournal, defaultMfaKeyFile, defaultMfaStateDir, openMfaStores } from '../mfa-stores';
import { resetPamFaillock, type PamFaillockReset } from '../pam-faillock';
import type { CommandDeps } from '../program';

/** The policy in force unless `--policy` says otherwise (same default as the agent). */
export const defaultMfaPolicyFile = '/etc/mynumber-guard/policy.bundle.json';
/** Trusted policy signing keys unless `--trust` says otherwise. */
export const defaultMfaTrustStore = '/etc/mynumber-guard/trust.d';
/** Codes `mng mfa enroll` asks for before giving up. */
const maxEnrollPrompts = 3;

interface StoreOptions {
  stateDir?: string;
  keyFile?: string;
}
interface PolicyOptions {
  policy?: string;
  trust?: string;
}

/** Test seams: where typed lines come from and the host name for the enrollment label. */
export interface MfaCommandOptions {
  /** Clears pam_faillock's count (default: `faillock --user <user> --reset`). */
  readonly resetFaillock?: (user: string) => Promise<PamFaillockReset>;
  /** Lines typed on stdin (default: process.stdin, one code per line). */
  readonly readLines?: () => AsyncIterable<string>;
  readonly hostName?: () => string;
}

function stdinLines(): AsyncIterable<string> {
  return createInterface({ input: process.stdin, terminal: false });
}

/** The `mfa` group, created once: another command file (PSKC import, PAM) may add to it in any order. */
export function mfaCommandGroup(program: Command): Command {
  return program.commands.find((command) => command.name() === 'mfa') ?? program.command('mfa').description('多要素認証（TOTP） / multi-factor authentication (TOTP)');
}

function withStoreOptions(command: Command): Command {
  return command
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultMfaStateDir}、秘密は <dir>/mfa/） / agent state folder (default ${defaultMfaStateDir}; secrets in <dir>/mfa/)`)
    .option('--key-file <file>', `MFA の秘密を暗号化する鍵（既定 ${defaultMfaKeyFile}） / key that encrypts MFA secrets (default ${defaultMfaKeyFile})`);
}

function withPolicyOptions(command: Command): Command {
  return command
    .option('--policy <file>', `適用中のポリシー（バンドルか YAML。既定 ${defaultMfaPolicyFile}） / the policy in force (bundle or YAML; default ${defaultMfaPolicyFile})`)
    .option('--trust <keys>', `バンドルを検証する公開鍵（既定 ${defaultMfaTrustStore}） / public keys that verify a bundle (default ${defaultMfaTrustStore})`);
}

async function loadMfaPolicy(ctx: CliContext, options: PolicyOptions): Promise<MfaPolicy> {
  const file = options.policy ?? defaultMfaPolicyFile;
  // The default bundle comes with the default trust store; an explicit --policy takes --trust as given.
  const trust = options.trust ?? (options.policy === undefined ? defaultMfaTrustStore : undefined);
  return (await loadPolicy(ctx, file, trust)).spec.mfa;
}

function openService(ctx: CliContext, options: StoreOptions, policy: MfaPolicy | undefined, hostName: string): MfaService {
  const stores = openMfaStores({ stateDir: options.stateDir, keyFile: options.keyFile, cwd: ctx.io.cwd });
  return createMfaService({
    secrets: stores.secrets,
    states: stores.states,
    emergency: stores.emergency,
    audit: createMfaAdminJournal({ dir: stores.dir, clock: ctx.io.clock, host: hostName }),
    clock: ctx.io.clock,
    policy: () => policy,
    hostName,
  });
}

function checkUser(user: string): void {
  // Same bounds as the IPC protocol (`admin.mfa.reset`): 1–256 characters, no control characters.
  if (user.length === 0 || user.length > 256 || /\p{Cc}/u.test(user)) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`利用者名 ${JSON.stringify(user)} は使えません`, `user name ${JSON.stringify(user)} cannot be used`), {
      hint: msg('OS のログイン名を指定してください', 'give the OS login name'),
    });
  }
}

/** `mng mfa enroll | reset | status | emergency-code` (issue #5 item 1). */
export function registerMfaCommands(program: Command, deps: CommandDeps, options: MfaCommandOptions = {}): void {
  const { io, setExit } = deps;
  const readLines = options.readLines ?? stdinLines;
  const hostName = options.hostName ?? hostname;
  const resetFaillock = options.resetFaillock ?? ((user: string) => resetPamFaillock(user));
  const mfa = mfaCommandGroup(program);

  withPolicyOptions(withStoreOptions(mfa.command('enroll').argument('<user>', '登録する OS 利用者 / the OS user to enroll')))
    .description('TOTP を登録する（QR を一度だけ表示し、正しいコードの入力で完了） / enroll a TOTP token (QR shown once; completed by a correct code)')
    .option('--replace', '登録済みのトークンを置き換える / replace an existing token')
    .action(defineAction(io, setExit, (ctx, user: string, opts: StoreOptions & PolicyOptions & { replace?: boolean }) => runEnroll(ctx, user, opts, readLines, hostName())));

  withStoreOptions(mfa.command('reset').argument('<user>', 'OS 利用者 / the OS user'))
    .description('ロックアウトを解除する（--enrollment で登録も削除） / clear the lockout (with --enrollment also remove the token)')
    .option('--enrollment', '登録済みのトークンも削除する / also remove the enrolled token')
    .action(
      defineAction(io, setExit, async (ctx, user: string, opts: StoreOptions & { enrollment?: boolean }) => {
        checkUser(user);
        await openService(ctx, opts, undefined, hostName()).reset(user, { enrollment: opts.enrollment === true });
        // The logon's attempt limit (pam_faillock, `mng mfa pam install`) is lifted with it.
        const faillock = await resetFaillock(user);
        const lines = [
          ctx.t(opts.enrollment === true ? msg(`${user} のロックアウトを解除し、トークンを削除しました`, `cleared the lockout of ${user} and removed the token`) : msg(`${user} のロックアウトを解除しました`, `cleared the lockout of ${user}`)),
        ];
        if (faillock === 'reset') lines.push(ctx.t(msg('ログオンの試行回数（pam_faillock）も解除しました', 'the logon attempt count (pam_faillock) was cleared too')));
        if (typeof faillock === 'object') lines.push(ctx.t(msg(`警告: pam_faillock の解除に失敗しました: ${faillock.failed}`, `warning: clearing pam_faillock failed: ${faillock.failed}`)));
        ctx.print({ user, reset: true, enrollmentRemoved: opts.enrollment === true, pamFaillock: typeof faillock === 'object' ? 'failed' : faillock }, lines.join('\n'));
        return typeof faillock === 'object' ? ExitCode.CheckFailed : ExitCode.Ok;
      }),
    );

  withPolicyOptions(withStoreOptions(mfa.command('status')))
    .description('利用者ごとの登録とロックアウトの状態 / enrollment and lockout state per user')
    .action(defineAction(io, setExit, async (ctx, opts: StoreOptions & PolicyOptions) => runStatus(ctx, opts, hostName())));

  withPolicyOptions(withStoreOptions(mfa.command('emergency-code').argument('<user>', 'OS 利用者 / the OS user')))
    .description('一回限りの緊急解除コードを発行する（表示は一度だけ） / issue a single-use emergency code (shown once)')
    .action(
      defineAction(io, setExit, async (ctx, user: string, opts: StoreOptions & PolicyOptions) => {
        checkUser(user);
        const policy = await loadMfaPolicy(ctx, opts);
        const issued = await openService(ctx, opts, policy, hostName()).issueEmergencyCode(user);
        if (!issued.ok) {
          throw new MngError(ErrorCode.PolicyInvalid, msg('ポリシーで緊急解除コードが無効になっています（spec.mfa.emergencyCode.enabled）', 'the policy disables emergency codes (spec.mfa.emergencyCode.enabled)'), {
            hint: msg('ポリシーを変更するか、mng mfa reset で対応してください', 'change the policy, or use mng mfa reset'),
          });
        }
        ctx.print(
          { user, code: issued.value.code, expiresAt: issued.value.expiresAt },
          ctx.t(
            msg(
              `${user} の緊急解除コード: ${issued.value.code}（${issued.value.expiresAt} まで、一回限り。この表示は二度と出ません）`,
              `emergency code for ${user}: ${issued.value.code} (until ${issued.value.expiresAt}, single use; it is not shown again)`,
            ),
          ),
        );
        return ExitCode.Ok;
      }),
    );
}

async function runEnroll(ctx: CliContext, user: string, opts: StoreOptions & PolicyOptions & { replace?: boolean }, readLines: () => AsyncIterable<string>, hostName: string): Promise<ExitCode> {
  checkUser(user);
  const policy = await loadMfaPolicy(ctx, opts);
  const service = openService(ctx, opts, policy, hostName);
  const begun = await service.beginEnrollment(user, { replace: opts.replace === true });
  if (!begun.ok) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`${user} はすでに登録されています`, `${user} is already enrolled`), {
      hint: msg('置き換えるなら --replace を付けてください', 'add --replace to replace the token'),
    });
  }
  const start = begun.value;
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ user, uri: start.uri, expiresAt: start.expiresAt })}\n`);
  else {
    ctx.io.stdout(`${start.qrText}\n${start.uri}\n\n`);
    ctx.io.stdout(`${ctx.t(msg('認証アプリで QR コードを読み取るか、上の URI を入力してください。この表示は一度だけです。', 'Scan the QR code with the authenticator app or enter the URI above. It is shown only this once.'))}\n`);
  }
  let tries = 0;
  const prompt = (): void => ctx.io.stderr(`${ctx.t(msg('アプリに表示されたコードを入力してください: ', 'Enter the code the app shows: '))}`);
  prompt();
  for await (const line of readLines()) {
    tries += 1;
    const confirmed = await service.confirmEnrollment(start.enrollmentId, line);
    if (confirmed.code === 'enrolled') {
      ctx.print({ user, enrolled: true }, ctx.t(msg(`${user} を登録しました`, `${user} is enrolled`)));
      return ExitCode.Ok;
    }
    if (confirmed.code === 'expired' || confirmed.code === 'not-found') break;
    ctx.io.stderr(
      `${ctx.t(confirmed.code === 'malformed' ? msg(`コードは ${policy.totp.digits} 桁の数字です`, `the code is ${policy.totp.digits} digits`) : msg('コードが違います（端末とスマートフォンの時刻も確認してください）', 'wrong code (also check the clocks of the terminal and the phone)'))}\n`,
    );
    if (tries >= maxEnrollPrompts) break;
    prompt();
  }
  ctx.io.stderr(`${ctx.t(msg(`${user} は登録されていません。mng mfa enroll をやり直してください（新しい QR コードになります）`, `${user} was not enrolled; run mng mfa enroll again (it shows a new QR code)`))}\n`);
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ user, enrolled: false })}\n`);
  return ExitCode.CheckFailed;
}

async function runStatus(ctx: CliContext, opts: StoreOptions & PolicyOptions, hostName: string): Promise<ExitCode> {
  const policy = await loadMfaPolicy(ctx, opts);
  const { users } = await openService(ctx, opts, policy, hostName).status();
  const lines = users.map((entry) => {
    const lock = entry.lockout;
    const state = lock.adminResetRequired
      ? ctx.t(msg('ロック中（管理者の解除が必要）', 'locked (admin reset required)'))
      : lock.retryAfterMs > 0
        ? ctx.t(msg(`ロック中（あと ${Math.ceil(lock.retryAfterMs / 1000)} 秒）`, `locked (${Math.ceil(lock.retryAfterMs / 1000)} s left)`))
        : ctx.t(msg(`失敗 ${lock.failures}/${lock.maxFailures}`, `failures ${lock.failures}/${lock.maxFailures}`));
    const enrolled = entry.enrolled ? ctx.t(msg(`登録済み（${entry.source ?? '-'}）`, `enrolled (${entry.source ?? '-'})`)) : ctx.t(msg('未登録', 'not enrolled'));
    return `${JSON.stringify(entry.user)}  ${enrolled}  ${state}`;
  });
  ctx.print({ users }, lines.length === 0 ? ctx.t(msg('登録された利用者はいません', 'no users are enrolled')) : lines.join('\n'));
  return ExitCode.Ok;
}
