import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { TokenRecord } from './model';

/**
 * The PAM side of "Linux logon" (issue #5 item 2): the pam_oath line and the edit of a service
 * file under /etc/pam.d. Pure text functions; `mng mfa pam install` writes the files.
 */

/** Default location of the usersfile: root-owned /etc, next to the agent's other configuration. */
export const defaultPamOathUsersfile = '/etc/mynumber-guard/users.oath';
/** The include file `mng mfa pam install --write-pam` writes under /etc/pam.d. */
export const pamOathIncludeName = 'mynumber-guard-oath';
/** pam_oath `window=`: one step each side, the agent's drift tolerance (RFC 6238 §5.2). */
export const defaultPamOathWindowSteps = 1;

/**
 * The `digits=` of the PAM line: 6 or 8 when every token has that many digits. Null for a mix:
 * then the line has no `digits=` and pam_oath takes 6 to 8 typed digits as they are (with
 * `digits=6` an 8-digit code would be split into a 2-character "password" and 6 digits).
 */
export function decidePamOathDigits(tokens: readonly Pick<TokenRecord, 'digits'>[]): 6 | 8 | null {
  const all = new Set(tokens.map((token) => token.digits));
  if (all.size === 0) return 6;
  if (all.size === 1) return [...all][0]!;
  return null;
}

/** Checks a usersfile path for the PAM line: absolute, no white space, no `$` (no per-user files). */
export function checkPamOathUsersfilePath(location: string): Result<string, Localized> {
  if (!location.startsWith('/') || /[\s$\\[\]]/.test(location) || location.includes('/../') || location.endsWith('/')) {
    return err(
      msg(
        `利用者ファイルのパス ${location} は使えません。空白・$・[ ] を含まない絶対パスを指定してください（\${HOME} などの利用者ごとのファイルは、利用者が秘密鍵を読めてしまうため使いません）`,
        `the usersfile path ${location} cannot be used; give an absolute path without white space, $ or [ ] (per-user files such as \${HOME} are not used: the user could read the secret)`,
      ),
    );
  }
  return ok(location);
}

/** Options of the pam_oath line. */
export interface PamOathLineOptions {
  readonly usersfile: string;
  readonly windowSteps: number;
  readonly digits: 6 | 8 | null;
}

/**
 * `auth requisite pam_oath.so usersfile=… window=1 digits=6` (mfa.md §5.3). `requisite`: a wrong
 * code ends the stack at once. Never `alwaysok`, never `[user_unknown=ignore]`: a user without a
 * token is refused, not let through (no nullok-style bypass in the zone, mfa.md §7).
 */
export function renderPamOathLine(options: PamOathLineOptions): string {
  const digits = options.digits === null ? '' : ` digits=${options.digits}`;
  return `auth requisite pam_oath.so usersfile=${options.usersfile} window=${options.windowSteps}${digits}`;
}

/**
 * pam_faillock's figures at logon, from the policy's lockout (the national guideline asks for a
 * login attempt limit; pam_oath has none of its own). `deny` failures within `failIntervalSeconds`
 * lock the account; `unlockTimeSeconds` 0 means until an administrator resets it (`faillock
 * --reset`, done by `mng mfa reset`), which is what `lockUntilAdminReset` asks; otherwise the
 * policy's longest delay. pam_faillock cannot grow its delay the way the agent does.
 */
export interface PamFaillockFigures {
  readonly deny: number;
  readonly unlockTimeSeconds: number;
  readonly failIntervalSeconds: number;
}

/** Used when no policy is in force: the strictest figures (5 failures, locked until reset). */
export const defaultPamFaillockFigures: PamFaillockFigures = { deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400 };

/** The faillock figures for a policy's lockout (pure). */
export function decidePamFaillockFigures(lockout: MfaPolicy['lockout'] | undefined): PamFaillockFigures {
  if (lockout === undefined) return defaultPamFaillockFigures;
  return {
    deny: lockout.maxFailures,
    unlockTimeSeconds: lockout.lockUntilAdminReset ? 0 : (lockout.delaySeconds.at(-1) ?? defaultPamFaillockFigures.failIntervalSeconds),
    // The agent counts consecutive failures until a success; a day is the nearest faillock gets.
    failIntervalSeconds: defaultPamFaillockFigures.failIntervalSeconds,
  };
}

/**
 * The auth lines of the include file: pam_faillock around pam_oath (pam_faillock(8)'s pattern).
 * A locked account stops at `preauth` (requisite: no code is asked for, nothing is reset); a wrong
 * or missing code is counted by `authfail` and ends the stack; a right code clears the count.
 * A user without a token fails like a wrong code: still no bypass.
 */
export function renderPamLogonStack(oathLine: string, faillock: PamFaillockFigures): string[] {
  const figures = `deny=${faillock.deny} unlock_time=${faillock.unlockTimeSeconds} fail_interval=${faillock.failIntervalSeconds}`;
  const oathModule = oathLine.replace(/^auth\s+requisite\s+/, '');
  return [
    `auth requisite pam_faillock.so preauth ${figures}`,
    `auth [success=1 default=ignore] ${oathModule}`,
    `auth [default=die] pam_faillock.so authfail ${figures}`,
    'auth optional pam_faillock.so authsucc',
  ];
}

/** The include file for /etc/pam.d/mynumber-guard-oath. */
export function renderPamOathIncludeFile(stack: readonly string[]): string {
  return [
    '# mynumber-guard: ワンタイムパスワード（TOTP）の確認と試行回数の制限（pam_faillock）。`mng mfa pam install --write-pam` が書きます。',
    '# mynumber-guard: one-time password (TOTP) check with an attempt limit (pam_faillock), written by `mng mfa pam install --write-pam`.',
    '# pam_unix の後に読み込みます（OS のパスワード＋TOTP）。 / Included after pam_unix (OS password + TOTP).',
    ...stack,
    '',
  ].join('\n');
}

/** Result of planning the edit of a PAM service file. */
export interface PamServiceEdit {
  readonly text: string;
  readonly changed: boolean;
}

/**
 * Adds `@include mynumber-guard-oath` right after the service's `@include common-auth` (Debian's
 * login, lightdm, gdm-password, sshd, su all have one), so the OS password is checked first and
 * the TOTP second. Idempotent. Refuses a file without `@include common-auth`: the line must then
 * be placed by hand, since a wrong place in a PAM stack can lock everyone out or let everyone in.
 */
export function planPamServiceInclude(serviceText: string, includeName = pamOathIncludeName): Result<PamServiceEdit, Localized> {
  const lines = serviceText.split('\n');
  const isInclude = (line: string, name: string): boolean => new RegExp(`^\\s*@include\\s+${escapeRegExp(name)}\\s*$`).test(line);
  if (lines.some((line) => isInclude(line, includeName))) return ok({ text: serviceText, changed: false });
  const at = lines.findIndex((line) => isInclude(line, 'common-auth'));
  if (at < 0) {
    return err(
      msg(
        `サービスファイルに「@include common-auth」がないため、自動では追記しません。auth 行の最後（パスワード確認の後）に「@include ${includeName}」を手で追記してください`,
        `the service file has no "@include common-auth", so it is not edited automatically; add "@include ${includeName}" by hand after its last auth line (after the password check)`,
      ),
    );
  }
  const next = [...lines.slice(0, at + 1), `@include ${includeName}`, ...lines.slice(at + 1)];
  return ok({ text: next.join('\n'), changed: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
