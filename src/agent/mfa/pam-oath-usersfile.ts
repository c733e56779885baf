import { createHmac } from 'node:crypto';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { TokenRecord } from './model';

/**
 * The pam_oath usersfile (Debian libpam-oath 2.6.7, liboath `usersfile.c`; mfa.md §5.3), so the
 * OS asks for the same TOTP at logon as the agent (issue #5 item 2, "Linux logon"). Pure:
 * text in, text out.
 *
 * Format facts from liboath's parser (`parse_type`, `parse_usersfile`, `update_usersfile2`):
 * - fields separated by any white space; lines that do not start with a known type (comments,
 *   `#…`) are skipped and copied unchanged when pam_oath rewrites the file;
 * - `HOTP/T30[/6|/7|/8]` and `HOTP/T60[/6|/7|/8]` are the only TOTP types: 30 or 60 s steps,
 *   HMAC-SHA1 only (no field for SHA-256/512), secrets read into a 32-byte buffer (longer
 *   secrets fail with OATH_TOO_SMALL_BUFFER);
 * - after a success pam_oath writes `type user password secret counter lastOTP time`
 *   tab-separated, time as local `%Y-%m-%dT%H:%M:%SL`;
 * - TOTP replay check: a code equal to the last OTP is refused; otherwise the last OTP is located
 *   in the window around now, and a new code at the same or an earlier position is refused. So
 *   writing the code of the agent's last accepted step into the line makes pam_oath refuse that
 *   step and every earlier one: replay state is shared with the agent's own check.
 */

/** One usersfile line that pam_oath reads. */
export interface PamOathEntry {
  /** Token type as written, e.g. `HOTP/T30/6`. */
  readonly type: string;
  readonly user: string;
  /** `-` for none (the only value mynumber-guard writes: the OS password stays with pam_unix). */
  readonly password: string;
  /** Lower-case hex. */
  readonly secretHex: string;
  /** pam_oath's moving factor (decimal text), null until its first success. */
  readonly movingFactor: string | null;
  /** The last accepted OTP, null until the first success. */
  readonly lastOtp: string | null;
  /** Local time of the last success, `YYYY-MM-DDTHH:MM:SSL`. */
  readonly lastTime: string | null;
}

/** A parsed usersfile: the entries, and lines skipped (comments excluded) with the reason. */
export interface ParsedPamOathUsersfile {
  readonly entries: readonly PamOathEntry[];
  readonly ignored: readonly { readonly line: number; readonly reason: Localized }[];
}

// liboath `parse_type`: every type string it accepts.
const knownTypes: ReadonlyMap<string, { readonly periodSeconds: number; readonly digits: number }> = new Map([
  ['HOTP', { periodSeconds: 0, digits: 6 }],
  ['HOTP/E', { periodSeconds: 0, digits: 6 }],
  ['HOTP/E/6', { periodSeconds: 0, digits: 6 }],
  ['HOTP/E/7', { periodSeconds: 0, digits: 7 }],
  ['HOTP/E/8', { periodSeconds: 0, digits: 8 }],
  ['HOTP/T30', { periodSeconds: 30, digits: 6 }],
  ['HOTP/T30/6', { periodSeconds: 30, digits: 6 }],
  ['HOTP/T30/7', { periodSeconds: 30, digits: 7 }],
  ['HOTP/T30/8', { periodSeconds: 30, digits: 8 }],
  ['HOTP/T60', { periodSeconds: 60, digits: 6 }],
  ['HOTP/T60/6', { periodSeconds: 60, digits: 6 }],
  ['HOTP/T60/7', { periodSeconds: 60, digits: 7 }],
  ['HOTP/T60/8', { periodSeconds: 60, digits: 8 }],
]);
/** liboath reads the secret into `char secret[32]`. */
export const pamOathMaxSecretBytes = 32;
const timePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})L$/;
/** First lines of a file written by mynumber-guard. */
export const pamOathUsersfileHeader = [
  '# mynumber-guard: pam_oath の利用者ファイル。`mng mfa pam sync` が書きます。手で編集しても上書きされます。',
  '# mynumber-guard: pam_oath usersfile, written by `mng mfa pam sync`; manual edits are overwritten.',
] as const;

/** Parses a usersfile as pam_oath reads it, including the state fields pam_oath appends. */
export function parsePamOathUsersfile(text: string): ParsedPamOathUsersfile {
  const entries: PamOathEntry[] = [];
  const ignored: { line: number; reason: Localized }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const fields = raw.split(/[ \t\r\n]+/).filter((field) => field !== '');
    const [type, user, password, secret, movingFactor, lastOtp, lastTime] = fields;
    if (type === undefined || type.startsWith('#')) return;
    if (!knownTypes.has(type)) {
      ignored.push({ line, reason: msg(`${line} 行目: pam_oath が読まない種別 ${type.slice(0, 40)}`, `line ${line}: type ${type.slice(0, 40)} is not read by pam_oath`) });
      return;
    }
    if (user === undefined || password === undefined || secret === undefined || !/^(?:[0-9a-fA-F]{2})+$/.test(secret)) {
      ignored.push({ line, reason: msg(`${line} 行目: 利用者・パスワード・16 進の秘密鍵の欄が揃っていません`, `line ${line}: user, password and hex secret fields are incomplete`) });
      return;
    }
    const stateValid = (movingFactor === undefined || /^\d{1,20}$/.test(movingFactor)) && (lastTime === undefined || timePattern.test(lastTime)) && fields.length <= 7;
    if (!stateValid) {
      ignored.push({ line, reason: msg(`${line} 行目: カウンタ・最後の OTP・時刻の欄が読めません`, `line ${line}: counter, last OTP or time field is unreadable`) });
      return;
    }
    entries.push({
      type,
      user,
      password,
      secretHex: secret.toLowerCase(),
      movingFactor: movingFactor ?? null,
      lastOtp: lastOtp ?? null,
      lastTime: lastTime ?? null,
    });
  });
  return { entries, ignored };
}

/** Renders entries as a usersfile (header, then one tab-separated line per entry, as pam_oath writes them). */
export function renderPamOathUsersfile(entries: readonly PamOathEntry[]): string {
  const lines = entries.map((entry) => {
    const fields = [entry.type, entry.user, entry.password, entry.secretHex];
    // pam_oath reads the state fields positionally: write all three or none.
    if (entry.lastOtp !== null && entry.lastTime !== null) fields.push(entry.movingFactor ?? '0', entry.lastOtp, entry.lastTime);
    return fields.join('\t');
  });
  return `${[...pamOathUsersfileHeader, ...lines].join('\n')}\n`;
}

/**
 * The pam_oath type of a token (`HOTP/T30/6` …), or why pam_oath cannot check it: HMAC-SHA256/512,
 * steps other than 30 or 60 s, secrets over 32 bytes, and user names with white space or `#`.
 */
export function pamOathTypeFor(token: Pick<TokenRecord, 'user' | 'algorithm' | 'digits' | 'periodSeconds' | 'secret'>): Result<string, Localized> {
  if (!/^[^\s#][^\s]*$/.test(token.user)) {
    return err(msg(`利用者名「${token.user}」に空白か先頭の # があり、pam_oath のファイルに書けません`, `the user name "${token.user}" has white space or a leading #, which the pam_oath file cannot hold`));
  }
  if (token.algorithm !== 'SHA1') {
    return err(
      msg(
        `${token.algorithm} のトークンです。pam_oath（liboath 2.6）の利用者ファイルは HMAC-SHA1 だけを扱えるため、ログオン時の確認には使えません（エージェントの画面ロック解除には使えます）`,
        `the token uses ${token.algorithm}; the pam_oath (liboath 2.6) usersfile handles HMAC-SHA1 only, so it cannot be checked at logon (the agent's unlock still works)`,
      ),
    );
  }
  if (token.periodSeconds !== 30 && token.periodSeconds !== 60) {
    return err(
      msg(
        `時間間隔 ${token.periodSeconds} 秒のトークンです。pam_oath は 30 秒と 60 秒だけを扱えます`,
        `the token has a ${token.periodSeconds}-second step; pam_oath handles 30 and 60 seconds only`,
      ),
    );
  }
  if (token.secret.length > pamOathMaxSecretBytes) {
    return err(
      msg(
        `秘密鍵が ${token.secret.length} バイトです。pam_oath は ${pamOathMaxSecretBytes} バイトまでしか読めません`,
        `the secret is ${token.secret.length} bytes; pam_oath reads at most ${pamOathMaxSecretBytes}`,
      ),
    );
  }
  return ok(`HOTP/T${token.periodSeconds}/${token.digits}`);
}

/** A token pam_oath cannot check, with the reason. */
export interface PamOathSkipped {
  readonly user: string;
  readonly reason: Localized;
}

/** The outcome of a merge: the new file and what changed, per user. */
export interface PamOathMerge {
  readonly text: string;
  readonly entries: readonly PamOathEntry[];
  /** New users. */
  readonly added: readonly string[];
  /** Users whose secret or type changed: pam_oath's state was dropped with the old secret. */
  readonly replaced: readonly string[];
  /** Users whose line (and pam_oath's replay state) was kept. */
  readonly kept: readonly string[];
  /** Users in the old file without a token now: their line is gone, so PAM refuses them. */
  readonly removed: readonly string[];
  readonly skipped: readonly PamOathSkipped[];
  /** Lines of the old file that were not entries pam_oath reads (dropped: the file is managed). */
  readonly ignoredLines: readonly { readonly line: number; readonly reason: Localized }[];
}

/**
 * Computes the usersfile for `tokens`, keeping pam_oath's replay state (counter, last OTP, time)
 * of every user whose type and secret are unchanged. The file is managed as a whole: lines of
 * users without a token are removed, so a reset token stops working at logon too.
 */
export function mergePamOathUsersfile(existing: ParsedPamOathUsersfile | null, tokens: readonly TokenRecord[]): PamOathMerge {
  const previous = new Map<string, PamOathEntry>();
  for (const entry of existing?.entries ?? []) if (!previous.has(entry.user)) previous.set(entry.user, entry);
  const entries: PamOathEntry[] = [];
  const added: string[] = [];
  const replaced: string[] = [];
  const kept: string[] = [];
  const skipped: PamOathSkipped[] = [];
  const current = new Set<string>();
  for (const token of [...tokens].sort((a, b) => compareText(a.user, b.user))) {
    const type = pamOathTypeFor(token);
    if (!type.ok) {
      skipped.push({ user: token.user, reason: type.error });
      continue;
    }
    if (current.has(token.user)) continue;
    current.add(token.user);
    const secretHex = Buffer.from(token.secret).toString('hex');
    const old = previous.get(token.user);
    if (old !== undefined && old.type === type.value && old.secretHex === secretHex && old.password === '-') {
      entries.push(old);
      kept.push(token.user);
      continue;
    }
    entries.push({ type: type.value, user: token.user, password: '-', secretHex, movingFactor: null, lastOtp: null, lastTime: null });
    (old === undefined ? added : replaced).push(token.user);
  }
  const removed = [...previous.keys()].filter((user) => !current.has(user)).sort(compareText);
  return { text: renderPamOathUsersfile(entries), entries, added, replaced, kept, removed, skipped, ignoredLines: existing?.ignored ?? [] };
}

// ---------------------------------------------------------------------------------------------
// Replay state shared with the agent

/** Time zone of pam_oath's timestamps: minutes east of UTC (Japan: 540). */
export interface PamOathTimeOptions {
  readonly utcOffsetMinutes: number;
}

/** Options of the step functions: the PAM line's `window=` (steps each side). */
export interface PamOathStepOptions extends PamOathTimeOptions {
  readonly windowSteps: number;
}

/** Formats Unix seconds as pam_oath's local timestamp (`%Y-%m-%dT%H:%M:%SL`). */
export function formatPamOathTime(unixSeconds: number, options: PamOathTimeOptions): string {
  const date = new Date((unixSeconds + options.utcOffsetMinutes * 60) * 1000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}L`;
}

/** Parses pam_oath's local timestamp to Unix seconds; null when malformed. */
export function parsePamOathTime(text: string, options: PamOathTimeOptions): number | null {
  const match = timePattern.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - options.utcOffsetMinutes * 60;
}

/**
 * The TOTP code of `token` at time step `step` (RFC 4226 §5.3 dynamic truncation over the
 * 8-byte big-endian step, RFC 6238 §4).
 */
export function totpCodeAtStep(token: Pick<TokenRecord, 'secret' | 'algorithm' | 'digits'>, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac(token.algorithm.toLowerCase(), token.secret).update(counter).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** token.digits).padStart(token.digits, '0');
}

/** The step pam_oath last accepted for a user, and whether it was identified exactly. */
export interface PamOathAcceptedStep {
  readonly step: number;
  /** True when the last OTP matched a step; false for the conservative bound (time step + window). */
  readonly exact: boolean;
}

/**
 * The TOTP step of pam_oath's last accepted code for this user: the step near the recorded
 * time whose code equals the recorded last OTP (the latest one, if several match). When none
 * matches, the time's step plus the window: the latest step pam_oath could have accepted, so
 * the agent errs on refusing. Null when pam_oath has not accepted a code for this secret.
 */
export function readPamOathAcceptedStep(entry: PamOathEntry, token: TokenRecord, options: PamOathStepOptions): PamOathAcceptedStep | null {
  if (entry.lastOtp === null || entry.lastTime === null) return null;
  if (entry.secretHex !== Buffer.from(token.secret).toString('hex')) return null;
  const seconds = parsePamOathTime(entry.lastTime, options);
  if (seconds === null || seconds < 0) return null;
  const period = token.periodSeconds;
  const center = Math.floor(seconds / period);
  // One step more than the window: the timestamp is taken after validation and may cross a step boundary.
  const reach = options.windowSteps + 1;
  for (let step = center + reach; step >= Math.max(0, center - reach); step -= 1) {
    if (totpCodeAtStep(token, step) === entry.lastOtp) return { step, exact: true };
  }
  return { step: center + options.windowSteps, exact: false };
}

/**
 * Records the agent's last accepted step in a user's line (last OTP = the code of that step,
 * time = the step's start), unless pam_oath's own state is already at or past it. pam_oath then
 * refuses that code and every earlier one.
 */
export function writeAgentAcceptedStep(entry: PamOathEntry, token: TokenRecord, step: number, options: PamOathStepOptions): PamOathEntry {
  if (entry.secretHex !== Buffer.from(token.secret).toString('hex')) return entry;
  const pam = readPamOathAcceptedStep(entry, token, options);
  if (pam !== null && pam.step >= step) return entry;
  return {
    ...entry,
    movingFactor: entry.movingFactor ?? '0',
    lastOtp: totpCodeAtStep(token, step),
    lastTime: formatPamOathTime(step * token.periodSeconds, options),
  };
}

/** Outcome of sharing replay state between the agent and pam_oath. */
export interface SharedReplayState {
  /** The usersfile entries with the agent's newer steps written in. */
  readonly entries: readonly PamOathEntry[];
  /** Users whose line now carries the agent's step. */
  readonly pamUpdated: readonly string[];
  /** Per user, the step the agent must treat as last accepted (max of both). */
  readonly agentSteps: ReadonlyMap<string, number>;
  /** Users whose agent step must move forward because pam_oath accepted a later code. */
  readonly agentUpdated: readonly string[];
}

/**
 * Shares replay state both ways: each side ends up refusing every step the other accepted.
 * `agentSteps` are the agent's last accepted steps (VerificationState.lastAcceptedStep).
 */
export function shareReplayState(
  entries: readonly PamOathEntry[],
  tokens: ReadonlyMap<string, TokenRecord>,
  agentSteps: ReadonlyMap<string, number | null>,
  options: PamOathStepOptions,
): SharedReplayState {
  const pamUpdated: string[] = [];
  const agentUpdated: string[] = [];
  const steps = new Map<string, number>();
  const next = entries.map((entry) => {
    const token = tokens.get(entry.user);
    if (token === undefined) return entry;
    const agent = agentSteps.get(entry.user) ?? null;
    const pam = readPamOathAcceptedStep(entry, token, options);
    const shared = Math.max(agent ?? -1, pam?.step ?? -1);
    if (shared >= 0) steps.set(entry.user, shared);
    if (pam !== null && (agent === null || pam.step > agent)) agentUpdated.push(entry.user);
    if (agent !== null && (pam === null || agent > pam.step)) {
      pamUpdated.push(entry.user);
      return writeAgentAcceptedStep(entry, token, agent, options);
    }
    return entry;
  });
  return { entries: next, pamUpdated, agentSteps: steps, agentUpdated };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
