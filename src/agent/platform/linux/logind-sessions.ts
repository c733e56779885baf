// The OS sessions on Linux through systemd-logind (issue #5 item 2): `loginctl` for the list and for
// lock/terminate, `dbus-monitor --system` for PrepareForSleep, Lock/Unlock and property changes.
// systemd 252 (Debian 12) has no JSON output for `list-sessions` (that came with v254) and
// `show-session -o json` does not exist, so both are parsed as text; the parsers are pure and
// fuzzed. NEVER RUN AGAINST A LIVE LOGIND: the development machines have no systemd as PID 1; the
// parsers run on fixtures written from systemd 252's loginctl.c formatting, the dbus-monitor
// parser on output captured from dbus-monitor 1.14.10 (test/fixtures/logind/README.md).
import { execFile } from 'node:child_process';
import type { Localized } from '../../../shared/i18n';
import { msg } from '../../../shared/i18n';
import { err, ok, type Result } from '../../../shared/result';
import type { OsSessionFacts } from '../../session/model';
import type { SessionControl, SessionControlOutcome, SessionHint, SessionSource, SessionSourceFailure } from '../../session/ports';
import { createSpawnMonitorChild, scheduleWithTimeout, type MonitorChild, type ScheduleTimer, type SpawnMonitorChild } from './monitor-child';

/** How one command ended (a non-zero exit is an outcome; only a missing program rejects). */
export interface LoginctlOutcome {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` without a shell. Rejects with an errno error (ENOENT) when it cannot start. */
export type LoginctlRunner = (file: string, args: readonly string[], timeoutMs: number) => Promise<LoginctlOutcome>;

/** The properties read per session; printed as `Key=Value` lines (the order is the bus's, not ours). */
export const logindSessionProperties: readonly string[] = [
  'Id',
  'Name',
  'User',
  'State',
  'Active',
  'LockedHint',
  'IdleHint',
  'IdleSinceHintMonotonic',
  'Class',
  'Type',
  'Remote',
  'Seat',
  'TTY',
  'Leader',
];

/** `loginctl list-sessions --no-legend`: one line per session, the id first. */
export const loginctlListArgs: readonly string[] = ['list-sessions', '--no-legend', '--no-pager'];

/**
 * `loginctl show-session <ids…> -p …`. Without `--value`: with several sessions and several
 * properties, bare values could not be told apart (an empty Seat is an empty line). `-p` makes
 * loginctl print a property even when empty (`Seat=`). Sessions are separated by a blank line.
 */
export function loginctlShowArgs(ids: readonly string[]): string[] {
  return ['show-session', '--no-pager', ...ids, ...logindSessionProperties.flatMap((name) => ['-p', name])];
}

/** The match rule for dbus-monitor: every signal below logind's object path. */
export const logindMatchRule = "type='signal',path_namespace='/org/freedesktop/login1'";

// logind session ids: `2`, `c1`, `12`. Within the IPC protocol's sessionId pattern, and never
// starting with `-`, so an id can never be read by loginctl as an option.
const sessionIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** The session ids in `loginctl list-sessions --no-legend` output (first column). Pure; never throws. */
export function parseLoginctlList(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split('\n')) {
    const first = line.trim().split(/\s+/)[0] ?? '';
    if (first !== '' && sessionIdPattern.test(first) && !ids.includes(first)) ids.push(first);
  }
  return ids;
}

/**
 * Splits `loginctl show-session` output into one property map per session. A blank line or a
 * second `Id=` starts the next session; lines that are not `Key=Value` are ignored. Pure.
 */
export function parseLoginctlShow(stdout: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let current = new Map<string, string>();
  const flush = (): void => {
    if (current.size > 0) blocks.push(current);
    current = new Map();
  };
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) continue;
    if (key === 'Id' && current.has('Id')) flush();
    current.set(key, line.slice(at + 1));
  }
  flush();
  return blocks;
}

const yesNo = (value: string | undefined): boolean | null => (value === 'yes' ? true : value === 'no' ? false : null);

/**
 * One session's facts from its properties. `monotonicNowUs` is CLOCK_MONOTONIC now (µs), the
 * clock of `IdleSinceHintMonotonic`. Returns why when the block cannot be a session. Pure.
 */
export function sessionFactsFromProperties(props: ReadonlyMap<string, string>, monotonicNowUs: bigint): Result<OsSessionFacts, string> {
  const id = props.get('Id') ?? '';
  if (!sessionIdPattern.test(id)) return err(`session id ${JSON.stringify(id)} is not a logind session id`);
  const uidText = props.get('User') ?? '';
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(uidText) || Number(uidText) > 0xffff_fffe) return err(`session ${id}: User ${JSON.stringify(uidText)} is not a uid`);
  const user = props.get('Name') ?? '';
  if (user === '' || user.length > 256) return err(`session ${id}: no user name`);
  const idle = yesNo(props.get('IdleHint'));
  let idleForMs: number | null = null;
  if (idle === false) idleForMs = 0;
  else if (idle === true) {
    const since = props.get('IdleSinceHintMonotonic') ?? '';
    if (/^[0-9]{1,20}$/.test(since) && since !== '0') {
      const elapsedUs = monotonicNowUs - BigInt(since);
      idleForMs = elapsedUs > 0n ? Number(elapsedUs / 1000n) : 0;
    }
  }
  const leader = props.get('Leader') ?? '';
  const orNull = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);
  return ok({
    id,
    uid: Number(uidText),
    user,
    seat: orNull(props.get('Seat')),
    tty: orNull(props.get('TTY')),
    // Unknown class: treated as `user` would be wrong both ways; report what logind said.
    sessionClass: props.get('Class') ?? '',
    type: props.get('Type') ?? 'unspecified',
    remote: yesNo(props.get('Remote')) === true,
    active: yesNo(props.get('Active')) === true,
    osState: props.get('State') ?? '',
    osLocked: yesNo(props.get('LockedHint')),
    idleForMs,
    leaderPid: /^[1-9][0-9]{0,9}$/.test(leader) ? Number(leader) : null,
  });
}

/**
 * sd-bus object path label → session id (`_32` → `2`, `c1` → `c1`, `_` → ``): `_xx` is a hex
 * byte (systemd bus_label_unescape). Undefined for a label that is not valid escaping. Pure.
 */
export function decodeBusLabel(label: string): string | undefined {
  if (label === '_') return '';
  let out = '';
  for (let i = 0; i < label.length; i += 1) {
    const c = label[i] as string;
    if (c !== '_') {
      if (!/[A-Za-z0-9]/.test(c)) return undefined;
      out += c;
      continue;
    }
    const hex = label.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

/** session id → sd-bus path label: all but [A-Za-z] escaped, digits too when first (bus_label_escape). */
export function encodeBusLabel(id: string): string {
  if (id === '') return '_';
  let out = '';
  for (let i = 0; i < id.length; i += 1) {
    const c = id[i] as string;
    if (/[A-Za-z]/.test(c) || (i > 0 && /[0-9]/.test(c))) out += c;
    else out += `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return out;
}

const sessionPathPrefix = '/org/freedesktop/login1/session/';
// `signal time=… sender=:1.3 -> destination=(null destination) serial=12 path=/org/…; interface=…; member=…`
const signalHeaderPattern = /^signal time=\S+ sender=\S+ -> destination=.*? serial=\d+ path=([^;\s]+); interface=([^;\s]+); member=(\S+)$/;

/**
 * Splits dbus-monitor output into messages: each starts with a line at column 0 (`signal …`,
 * `method call …`), its arguments are indented. Returns the complete messages and the unfinished
 * rest (the last message is complete only when the next one starts). Pure.
 */
export function splitDbusMonitorMessages(buffer: string): { messages: string[]; rest: string } {
  const lines = buffer.split('\n');
  const rest = lines.pop() ?? '';
  const messages: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line !== '' && !line.startsWith(' ') && current.length > 0) {
      messages.push(current.join('\n'));
      current = [];
    }
    if (line !== '') current.push(line);
  }
  // The last message may still get argument lines; keep it with the rest.
  const pending = current.length > 0 ? `${current.join('\n')}\n${rest}` : rest;
  return { messages, rest: pending };
}

/**
 * What one dbus-monitor message means for the session lock; undefined for anything else
 * (NameAcquired, other interfaces, other paths). Pure; never throws.
 */
export function parseLogindSignal(message: string): SessionHint | undefined {
  const [header, ...args] = message.split('\n');
  const match = signalHeaderPattern.exec((header ?? '').trimEnd());
  if (match === null) return undefined;
  const [, path, iface, member] = match as unknown as [string, string, string, string];
  if (path === '/org/freedesktop/login1' && iface === 'org.freedesktop.login1.Manager') {
    if (member === 'PrepareForSleep') {
      const value = args.map((line) => line.trim()).find((line) => line.startsWith('boolean '));
      if (value === 'boolean true') return { kind: 'sleep', phase: 'suspending' };
      if (value === 'boolean false') return { kind: 'sleep', phase: 'resumed' };
      return undefined;
    }
    if (member === 'SessionNew' || member === 'SessionRemoved') {
      const id = /^string "([^"]*)"$/.exec(args[0]?.trim() ?? '')?.[1];
      return { kind: 'changed', sessionId: id !== undefined && sessionIdPattern.test(id) ? id : null };
    }
    return undefined;
  }
  if (!path.startsWith(sessionPathPrefix)) return undefined;
  const id = decodeBusLabel(path.slice(sessionPathPrefix.length));
  if (id === undefined || !sessionIdPattern.test(id)) return undefined;
  if (iface === 'org.freedesktop.login1.Session') {
    if (member === 'Unlock') return { kind: 'unlock-requested', sessionId: id };
    if (member === 'Lock') return { kind: 'changed', sessionId: id };
    return undefined;
  }
  if (iface === 'org.freedesktop.DBus.Properties' && member === 'PropertiesChanged') return { kind: 'changed', sessionId: id };
  return undefined;
}

/**
 * Turns dbus-monitor's stdout, in chunks as they arrive, into hints. dbus-monitor flushes after
 * every message, so a chunk that ends at a line end usually ends a message: it is read at once
 * when it already means something (a PrepareForSleep without its boolean waits for the rest).
 * Pure apart from its buffer; at most 1 MiB is buffered.
 */
export function createDbusMonitorReader(): { push(chunk: string): SessionHint[] } {
  let pending = '';
  return {
    push(chunk) {
      const split = splitDbusMonitorMessages(pending + chunk);
      pending = split.rest.length > 1024 * 1024 ? '' : split.rest;
      const hints: SessionHint[] = [];
      for (const message of split.messages) {
        const hint = parseLogindSignal(message);
        if (hint !== undefined) hints.push(hint);
      }
      if (pending.endsWith('\n')) {
        const last = parseLogindSignal(pending.trimEnd());
        if (last !== undefined) {
          hints.push(last);
          pending = '';
        }
      }
      return hints;
    },
  };
}

/** Options of {@link createLogindSessions}. */
export interface LogindSessionsOptions {
  /** Default `loginctl` from PATH. */
  readonly loginctl?: string;
  /** Default `dbus-monitor` from PATH. */
  readonly dbusMonitor?: string;
  /** Bus to watch: `system` (default) or an address (`unix:path=…`, tests with a private bus). */
  readonly bus?: 'system' | { readonly address: string };
  /** Default: execFile with no shell, UTF-8, 1 MiB output cap. */
  readonly run?: LoginctlRunner;
  /** Time limit of one loginctl command (ms). Default 5,000. */
  readonly timeoutMs?: number;
  /** CLOCK_MONOTONIC now in µs (the clock of IdleSinceHintMonotonic). Default `process.hrtime.bigint() / 1000n`. */
  readonly monotonicNowUs?: () => bigint;
  readonly spawn?: SpawnMonitorChild;
  readonly schedule?: ScheduleTimer;
  /** First restart delay of a dead dbus-monitor; doubles up to 30 s. Default 500 ms. */
  readonly restartInitialDelayMs?: number;
}

const defaultRun: LoginctlRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { shell: false, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ exitCode: 0, stdout, stderr });
        return;
      }
      const failure = error as NodeJS.ErrnoException & { code?: unknown };
      if (typeof failure.code === 'number') resolve({ exitCode: failure.code, stdout, stderr });
      else if (typeof failure.code === 'string') reject(error);
      else resolve({ exitCode: null, stdout, stderr });
    });
  });

function failure(reason: SessionSourceFailure['reason'], detail: string, text: Localized): SessionSourceFailure {
  return { reason, detail, text };
}

/** Classifies a failed loginctl run. Pure. */
export function classifyLoginctlFailure(outcome: LoginctlOutcome): SessionSourceFailure {
  const detail = outcome.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 500) || `exit ${String(outcome.exitCode)}`;
  // "System has not been booted with systemd as init system (PID 1). Can't operate." /
  // "Failed to connect to bus: Host is down" (measured on Debian 12 without systemd).
  if (/not been booted with systemd|Failed to connect to bus|org\.freedesktop\.login1.*not (?:provided|activatable)/i.test(outcome.stderr)) {
    return failure('no-service', detail, msg('systemd-logind が動いていないため、ログインセッションを確認できません', 'systemd-logind is not running, so login sessions cannot be read'));
  }
  return failure('failed', detail, msg(`loginctl が失敗しました: ${detail}`, `loginctl failed: ${detail}`));
}

/**
 * SessionSource and SessionControl on logind. list() runs `loginctl list-sessions` and one
 * `loginctl show-session` for all sessions (two processes per poll). watch() keeps one
 * `dbus-monitor` child and restarts it with a doubling delay when it dies; its signals are hints
 * only (a forged signal can make the agent look again or lock, never unlock).
 */
export function createLogindSessions(options: LogindSessionsOptions = {}): SessionSource & SessionControl {
  const loginctl = options.loginctl ?? 'loginctl';
  const run = options.run ?? defaultRun;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const monotonicNowUs = options.monotonicNowUs ?? (() => process.hrtime.bigint() / 1000n);
  const spawnChild = options.spawn ?? createSpawnMonitorChild('utf8');
  const schedule = options.schedule ?? scheduleWithTimeout;
  const initialDelayMs = options.restartInitialDelayMs ?? 500;
  const bus = options.bus ?? 'system';
  const monitorArgs = [...(bus === 'system' ? ['--system'] : ['--address', bus.address]), logindMatchRule];

  async function runLoginctl(args: readonly string[]): Promise<Result<LoginctlOutcome, SessionSourceFailure>> {
    try {
      return ok(await run(loginctl, args, timeoutMs));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return err(
        missing
          ? failure('tool-missing', detail, msg('loginctl が見つかりません（systemd パッケージ）', 'loginctl was not found (systemd package)'))
          : failure('failed', detail, msg(`loginctl を実行できません: ${detail}`, `cannot run loginctl: ${detail}`)),
      );
    }
  }

  async function control(verb: 'lock-session' | 'terminate-session', sessionId: string): Promise<SessionControlOutcome> {
    if (!sessionIdPattern.test(sessionId)) return { ok: false, detail: `not a session id: ${JSON.stringify(sessionId)}` };
    const outcome = await runLoginctl([verb, sessionId]);
    if (!outcome.ok) return { ok: false, detail: outcome.error.detail };
    if (outcome.value.exitCode !== 0) return { ok: false, detail: outcome.value.stderr.trim().slice(0, 500) || `exit ${String(outcome.value.exitCode)}` };
    return { ok: true };
  }

  return {
    async list() {
      const listed = await runLoginctl(loginctlListArgs);
      if (!listed.ok) return listed;
      if (listed.value.exitCode !== 0) return err(classifyLoginctlFailure(listed.value));
      const ids = parseLoginctlList(listed.value.stdout);
      if (ids.length === 0) return ok([]);
      const shown = await runLoginctl(loginctlShowArgs(ids));
      if (!shown.ok) return shown;
      // A session that ended between the two commands makes show-session fail for it; the others
      // are still printed. So the exit code alone is not a failure when blocks came back.
      const blocks = parseLoginctlShow(shown.value.stdout);
      if (shown.value.exitCode !== 0 && blocks.length === 0) return err(classifyLoginctlFailure(shown.value));
      const now = monotonicNowUs();
      const sessions: OsSessionFacts[] = [];
      for (const block of blocks) {
        const facts = sessionFactsFromProperties(block, now);
        if (facts.ok) sessions.push(facts.value);
      }
      return ok(sessions);
    },

    watch(listener) {
      let running = true;
      let child: MonitorChild | undefined;
      let cancelRestart: (() => void) | undefined;
      let delayMs = initialDelayMs;
      const launch = (): void => {
        let stderrTail = '';
        let ended = false;
        let spawned: MonitorChild;
        try {
          spawned = spawnChild(options.dbusMonitor ?? 'dbus-monitor', monitorArgs, process.env);
        } catch (error) {
          listener({ kind: 'watch-failed', detail: String(error) });
          restart();
          return;
        }
        child = spawned;
        const end = (how: string): void => {
          if (ended) return;
          ended = true;
          if (child === spawned) child = undefined;
          if (!running) return;
          listener({ kind: 'watch-failed', detail: `dbus-monitor ${how}${stderrTail.trim() === '' ? '' : `: ${stderrTail.trim()}`}` });
          restart();
        };
        const reader = createDbusMonitorReader();
        spawned.onStdout((chunk) => {
          delayMs = initialDelayMs;
          for (const hint of reader.push(chunk)) listener(hint);
        });
        spawned.onStderr((chunk) => {
          stderrTail = (stderrTail + chunk).slice(-2000);
        });
        spawned.onError((error) => end(`could not run: ${error.message}`));
        spawned.onExit((code, signal) => end(signal !== null ? `exited (signal ${signal})` : `exited (code ${String(code)})`));
      };
      const restart = (): void => {
        if (!running) return;
        const wait = delayMs;
        delayMs = Math.min(delayMs * 2, 30_000);
        cancelRestart = schedule(() => {
          cancelRestart = undefined;
          if (running) launch();
        }, wait);
      };
      launch();
      return () => {
        running = false;
        cancelRestart?.();
        child?.kill('SIGTERM');
        child = undefined;
      };
    },

    lock: (sessionId) => control('lock-session', sessionId),
    terminate: (sessionId) => control('terminate-session', sessionId),
  };
}
