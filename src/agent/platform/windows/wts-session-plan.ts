// The session lock on Windows (issue #5 item 2), as a plan: which commands list, lock and end
// Terminal Services (WTS) sessions, and a pure parser of `query session` (qwinsta) output.
// NEVER RUN ON WINDOWS: the parser is tested on `query session` outputs written after the format
// Windows 10/11 and Server 2016–2022 print (test/fixtures/wts/README.md), not captured ones.
//
// Why these commands, from a service running as LocalSystem in session 0:
// - List: `query session` = WTSEnumerateSessions (name, user, id, state). It does not show whether a
//   session's screen is locked (Win+L leaves it "Active"); that needs WTSQuerySessionInformation
//   (WTSSessionInfoEx → SessionFlags WTS_SESSIONSTATE_LOCK), which has no command-line tool. Here a
//   session that is not Active (Disc, Conn…) counts as locked: nobody sees its desktop.
// - Lock: `tsdiscon <id>` = WTSDisconnectSession. The session keeps running, its desktop disappears;
//   the console shows the Windows sign-in screen, and getting back in needs the password.
//   LockWorkStation cannot be used: it locks the desktop of the *calling* process's session, so it
//   works only from a process inside the user's session (session 0 has no interactive desktop);
//   the agent would have to start a process in the user's session (CreateProcessAsUser), and the
//   tray app, which is inside, is exactly what must not be trusted.
// - End: `logoff <id>` = WTSLogoffSession.
import { err, ok, type Result } from '../../../shared/result';
import type { OsSessionFacts } from '../../session/model';
import type { SessionControl, SessionControlOutcome, SessionSource } from '../../session/ports';
import type { CommandRunner } from './command-runner';

/** WTS_CONNECTSTATE_CLASS as `query session` prints it. */
export type WtsState = 'active' | 'connected' | 'connect-query' | 'shadow' | 'disconnected' | 'idle' | 'listen' | 'reset' | 'down' | 'init' | 'unknown';

/** One row of `query session`. */
export interface WtsSessionRow {
  /** `console`, `rdp-tcp#3`, `services`; null for a disconnected session (the column is empty). */
  readonly sessionName: string | null;
  readonly user: string | null;
  readonly id: number;
  readonly state: WtsState;
  /** The state word as printed. */
  readonly stateText: string;
  /** The row of the session `query session` ran in (`>`). */
  readonly current: boolean;
}

// English words (the usual output) and Japanese ones (⚠ unverified: written from memory of
// localized qwinsta; with the OEM code page 932 they may arrive garbled and then read `unknown`).
const stateWords: Readonly<Record<string, WtsState>> = {
  active: 'active',
  conn: 'connected',
  connq: 'connect-query',
  shadow: 'shadow',
  disc: 'disconnected',
  idle: 'idle',
  listen: 'listen',
  reset: 'reset',
  down: 'down',
  init: 'init',
  アクティブ: 'active',
  接続: 'connected',
  切断: 'disconnected',
  アイドル: 'idle',
  リッスン: 'listen',
  待ち受け: 'listen',
  ダウン: 'down',
};

/**
 * Parses `query session` output. Columns are found from the right, so a localized header and
 * user names with spaces do not matter: the ID is the integer right before a known state word
 * (or, failing that, the last integer followed by one word). The first character is `>` for the
 * current session; a name in column 1 is the session name, text further right the user. Pure;
 * never throws. Fails when no row could be read (not `query session` output).
 */
export function parseQuerySession(stdout: string): Result<WtsSessionRow[], string> {
  const rows: WtsSessionRow[] = [];
  for (const raw of stdout.replace(/\r/g, '').split('\n')) {
    const line = raw.trimEnd();
    if (line.length < 2) continue;
    const tokens = [...line.slice(1).matchAll(/\S+/g)].map((m) => ({ text: m[0], at: (m.index ?? 0) + 1 }));
    let idIndex = -1;
    for (let i = tokens.length - 1; i >= 1; i -= 1) {
      if (/^\d{1,10}$/.test(tokens[i - 1]?.text ?? '') && (tokens[i]?.text.toLowerCase() ?? '') in stateWords) {
        idIndex = i - 1;
        break;
      }
    }
    if (idIndex < 0) {
      for (let i = tokens.length - 2; i >= 0; i -= 1) {
        if (/^\d{1,10}$/.test(tokens[i]?.text ?? '')) {
          idIndex = i;
          break;
        }
      }
    }
    if (idIndex < 0) continue;
    const id = Number(tokens[idIndex]?.text);
    if (!Number.isSafeInteger(id) || id > 0xffff_ffff) continue;
    const stateText = tokens[idIndex + 1]?.text ?? '';
    const before = tokens.slice(0, idIndex);
    const named = before.length > 0 && before[0]?.at === 1;
    const sessionName = named ? (before[0]?.text ?? null) : null;
    const userText = (named ? before.slice(1) : before).map((t) => t.text).join(' ');
    rows.push({
      sessionName,
      user: userText === '' ? null : userText,
      id,
      state: stateWords[stateText.toLowerCase()] ?? 'unknown',
      stateText,
      current: line.startsWith('>'),
    });
  }
  return rows.length === 0 ? err('no session rows in query session output') : ok(rows);
}

/** A uid for a Windows account name (the agent's IPC identity); undefined when unknown. */
export type WindowsUidResolver = (user: string) => number | undefined;

/** The uid given to a session whose user cannot be resolved: locked, and nobody can unlock it over IPC. */
export const unresolvedWindowsUid = 0xffff_fffe;

/**
 * A row as OS session facts. Rows without a user (services = session 0, listeners) are not login
 * sessions: undefined. Pure.
 */
export function wtsSessionFacts(row: WtsSessionRow, uidOf: WindowsUidResolver): OsSessionFacts | undefined {
  if (row.user === null || row.id === 0 || row.state === 'listen' || row.state === 'down') return undefined;
  const remote = row.sessionName !== null && row.sessionName.toLowerCase().startsWith('rdp-tcp');
  return {
    id: String(row.id),
    uid: uidOf(row.user) ?? unresolvedWindowsUid,
    user: row.user,
    seat: row.sessionName === 'console' ? 'console' : null,
    tty: row.sessionName,
    sessionClass: 'user',
    // A desktop is where the tray runs, console or RDP alike.
    type: 'windows',
    remote,
    active: row.state === 'active',
    osState: row.state === 'active' ? 'active' : 'online',
    // Not Active = no desktop shown (see the file header); a Win+L lock is not visible here.
    osLocked: row.state !== 'active',
    idleForMs: null,
    leaderPid: null,
  };
}

/** One command of the plan (no shell: `file` with `args`). */
export interface WtsCommand {
  readonly file: string;
  readonly args: readonly string[];
}

const system32 = (systemRoot: string, exe: string): string => `${systemRoot.replace(/[\\/]+$/, '')}\\System32\\${exe}`;

/** `query session` (the 64-bit System32 copy: a 32-bit process would be redirected to SysWOW64, where it is missing). */
export function planWtsList(systemRoot = 'C:\\Windows'): WtsCommand {
  return { file: system32(systemRoot, 'query.exe'), args: ['session'] };
}

/** `tsdiscon <id>`: disconnect = the session's desktop is replaced by the sign-in screen. */
export function planWtsLock(sessionId: string, systemRoot = 'C:\\Windows'): Result<WtsCommand, string> {
  return /^\d{1,10}$/.test(sessionId) ? ok({ file: system32(systemRoot, 'tsdiscon.exe'), args: [sessionId] }) : err(`not a WTS session id: ${JSON.stringify(sessionId)}`);
}

/** `logoff <id>`: ends the session and its programs. */
export function planWtsTerminate(sessionId: string, systemRoot = 'C:\\Windows'): Result<WtsCommand, string> {
  return /^\d{1,10}$/.test(sessionId) ? ok({ file: system32(systemRoot, 'logoff.exe'), args: [sessionId] }) : err(`not a WTS session id: ${JSON.stringify(sessionId)}`);
}

/** Options of {@link createWtsSessions}. */
export interface WtsSessionsOptions {
  readonly run: CommandRunner;
  readonly uidOf: WindowsUidResolver;
  /** `%SystemRoot%`. Default `C:\Windows`. */
  readonly systemRoot?: string;
  readonly timeoutMs?: number;
}

/**
 * SessionSource and SessionControl from the plan above, on an injected CommandRunner. No event
 * stream (the service polls). Never run on Windows.
 */
export function createWtsSessions(options: WtsSessionsOptions): SessionSource & SessionControl {
  const runOptions = { timeoutMs: options.timeoutMs ?? 10_000 };
  const control = async (planned: Result<WtsCommand, string>): Promise<SessionControlOutcome> => {
    if (!planned.ok) return { ok: false, detail: planned.error };
    try {
      const outcome = await options.run.run(planned.value.file, planned.value.args, runOptions);
      return outcome.exitCode === 0 ? { ok: true } : { ok: false, detail: outcome.stderr.trim().slice(0, 500) || `exit ${String(outcome.exitCode)}` };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  };
  return {
    async list() {
      const command = planWtsList(options.systemRoot);
      let stdout: string;
      try {
        const outcome = await options.run.run(command.file, command.args, runOptions);
        // query session exits 1 when some sessions could not be read; the rows it printed still count.
        stdout = outcome.stdout;
        if (outcome.exitCode !== 0 && outcome.stdout.trim() === '') {
          const detail = outcome.stderr.trim().slice(0, 500) || `exit ${String(outcome.exitCode)}`;
          return err({ reason: 'failed', detail, text: { ja: `query session が失敗しました: ${detail}`, en: `query session failed: ${detail}` } });
        }
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return err({ reason: 'tool-missing', detail, text: { ja: `query.exe を実行できません: ${detail}`, en: `cannot run query.exe: ${detail}` } });
      }
      const rows = parseQuerySession(stdout);
      if (!rows.ok) return err({ reason: 'failed', detail: rows.error, text: { ja: 'query session の出力を読めません', en: 'cannot read the output of query session' } });
      return ok(rows.value.flatMap((row) => wtsSessionFacts(row, options.uidOf) ?? []));
    },
    watch: () => () => undefined,
    lock: (sessionId) => control(planWtsLock(sessionId, options.systemRoot)),
    terminate: (sessionId) => control(planWtsTerminate(sessionId, options.systemRoot)),
  };
}
