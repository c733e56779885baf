// A scripted `loginctl` for tests and benchmarks that run the real agent (issue #5): logind cannot
// run on the development and CI machines (no systemd as PID 1), so a small executable placed first
// on the agent's PATH stands in for it. It stands in for logind ONLY; the agent, its socket, tokens,
// MFA files and the tray renderer stay real.
//
// The test controls the sessions through a JSON state file (`sessions.json`); every change is also
// rendered to the exact text systemd 252's loginctl prints (test/fixtures/logind/README.md):
// `list-sessions --no-legend` (one line per session, the id first) and `show-session <ids…> -p …`
// (`Key=Value` in logind's vtable order, only the `-p` properties, a blank line between sessions,
// "No session 'x' known" on stderr with exit 1 for an unknown id). The script itself is /bin/sh and
// only prints those files: a Node script would cost ≈ 115 ms of CPU per call, twice a second (the
// agent polls every second), which would skew the benchmark on the 2-core machines.
//
// `lock-session <id>` and `terminate-session <id>` are appended to `calls.log` (`<epoch ms> <verb>
// <id>`) and change nothing else: no screen locker runs here, so LockedHint changes only when the
// test says so.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One logind session as the test describes it; omitted fields take the values of a local desktop login. */
export interface FakeLogindSession {
  /** logind session id (`2`, `c1`). */
  readonly id: string;
  readonly uid: number;
  /** User name (`Name`). */
  readonly user: string;
  /** `Type`: x11, wayland (a tray app is expected) or tty. Default x11. */
  readonly type?: 'x11' | 'wayland' | 'tty' | 'unspecified';
  /** `Class`. Default user. */
  readonly sessionClass?: 'user' | 'greeter' | 'background';
  /** `State`. Default active. */
  readonly state?: 'active' | 'online' | 'closing';
  readonly active?: boolean;
  /** `LockedHint`: the OS screen is locked. Default false. */
  readonly lockedHint?: boolean;
  readonly idleHint?: boolean;
  /** CLOCK_MONOTONIC µs when the session went idle (`IdleSinceHintMonotonic`); 0 = not idle. */
  readonly idleSinceHintMonotonicUs?: number;
  readonly seat?: string;
  readonly tty?: string;
  readonly remote?: boolean;
  /** Session leader pid. Default the test process's pid. */
  readonly leader?: number;
}

/** One recorded `lock-session` / `terminate-session` call. */
export interface FakeLoginctlCall {
  readonly atMs: number;
  readonly verb: 'lock-session' | 'terminate-session';
  readonly sessionId: string;
}

/** The scripted loginctl in its folder. */
export interface FakeLoginctl {
  /** Folder holding the `loginctl` executable: put it first on the agent's PATH. */
  readonly binDir: string;
  /** The JSON state the rendered answers come from. */
  readonly stateFile: string;
  readonly callsFile: string;
  /** `PATH` for the agent: the fake first, then `basePath`. */
  pathEnv(basePath?: string): string;
  sessions(): FakeLogindSession[];
  /** Replaces every session (atomic per file; the list is written last when adding, first when removing). */
  setSessions(sessions: readonly FakeLogindSession[]): void;
  /** Changes one session's fields. */
  update(sessionId: string, patch: Partial<Omit<FakeLogindSession, 'id'>>): void;
  /** The lock/terminate calls so far, oldest first. */
  calls(): FakeLoginctlCall[];
}

const sessionIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

/** `show-session` properties of one session in logind's vtable order (systemd 252), as loginctl prints them with `-p`. */
export function renderShowSession(session: FakeLogindSession): string {
  const lines: [string, string][] = [
    ['Id', session.id],
    ['User', String(session.uid)],
    ['Name', session.user],
    ['Seat', session.seat ?? 'seat0'],
    ['TTY', session.tty ?? ''],
    ['Remote', yesNo(session.remote ?? false)],
    ['Leader', String(session.leader ?? process.pid)],
    ['Type', session.type ?? 'x11'],
    ['Class', session.sessionClass ?? 'user'],
    ['Active', yesNo(session.active ?? true)],
    ['State', session.state ?? 'active'],
    ['IdleHint', yesNo(session.idleHint ?? false)],
    ['IdleSinceHintMonotonic', String(session.idleSinceHintMonotonicUs ?? 0)],
    ['LockedHint', yesNo(session.lockedHint ?? false)],
  ];
  return `${lines.map(([key, value]) => `${key}=${value}`).join('\n')}\n`;
}

/** `list-sessions --no-legend` (SESSION UID USER SEAT TTY; numbers right-aligned, empty cells `-`). */
export function renderListSessions(sessions: readonly FakeLogindSession[]): string {
  return sessions
    .map((s) => `${s.id.padStart(7)} ${String(s.uid).padStart(4)} ${s.user.padEnd(10)} ${(s.seat ?? 'seat0').padEnd(5)} ${s.tty || '-'}`)
    .map((line) => `${line}\n`)
    .join('');
}

// Arguments as the adapter passes them (no shell in between): `show-session --no-pager <ids…>
// -p Id -p Name …`. Property filter in the order of the session file (vtable order), not of `-p`.
const script = (dir: string): string => `#!/bin/sh
# Scripted loginctl (test/helpers/fake-loginctl.ts): stands in for systemd-logind, which cannot run
# on machines without systemd as PID 1. Serves text rendered from ${dir}/sessions.json.
dir='${dir}'
verb="$1"
[ $# -gt 0 ] && shift
case "$verb" in
  list-sessions)
    cat "$dir/list.txt"
    ;;
  show-session)
    ids=''
    props=''
    while [ $# -gt 0 ]; do
      case "$1" in
        -p) props="$props $2"; shift 2 ;;
        --property=*) props="$props \${1#--property=}"; shift ;;
        -*) shift ;;
        *) ids="$ids $1"; shift ;;
      esac
    done
    status=0
    first=1
    for id in $ids; do
      file="$dir/sessions/$id"
      if [ ! -f "$file" ]; then
        echo "Failed to get session path: No session '$id' known" >&2
        status=1
        continue
      fi
      [ $first -eq 1 ] || echo
      first=0
      while IFS= read -r line; do
        if [ -z "$props" ]; then echo "$line"; continue; fi
        key="\${line%%=*}"
        for p in $props; do
          if [ "$p" = "$key" ]; then echo "$line"; fi
        done
      done < "$file"
    done
    exit $status
    ;;
  lock-session|terminate-session)
    if [ ! -f "$dir/sessions/$1" ]; then
      echo "Could not \${verb%-session} session: No session '$1' known" >&2
      exit 1
    fi
    echo "$(date +%s%3N) $verb $1" >> "$dir/calls.log"
    ;;
  *)
    echo "fake loginctl: '$verb' is not scripted" >&2
    exit 1
    ;;
esac
`;

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Creates the scripted loginctl in `dir` (created if missing) with `sessions`. */
export function createFakeLoginctl(dir: string, sessions: readonly FakeLogindSession[]): FakeLoginctl {
  const binDir = path.join(dir, 'bin');
  const sessionDir = path.join(dir, 'sessions');
  const stateFile = path.join(dir, 'sessions.json');
  const callsFile = path.join(dir, 'calls.log');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(sessionDir, { recursive: true });
  // The agent runs as root and must not be fooled: keep the folder out of others' reach.
  chmodSync(dir, 0o700);
  if (/['\n]/.test(dir)) throw new Error(`fake loginctl: unusable folder name ${JSON.stringify(dir)}`);
  writeFileSync(path.join(binDir, 'loginctl'), script(dir), { mode: 0o755 });
  writeFileSync(callsFile, '');

  let current: FakeLogindSession[] = [];
  const setSessions = (next: readonly FakeLogindSession[]): void => {
    for (const session of next) {
      if (!sessionIdPattern.test(session.id)) throw new Error(`fake loginctl: ${JSON.stringify(session.id)} is not a logind session id`);
    }
    const removed = current.filter((old) => !next.some((s) => s.id === old.id));
    const list = renderListSessions(next);
    // Removing: drop the id from the list before its file; adding: the file before the list.
    if (removed.length > 0) writeAtomically(path.join(dir, 'list.txt'), list);
    for (const session of next) writeAtomically(path.join(sessionDir, session.id), renderShowSession(session));
    writeAtomically(path.join(dir, 'list.txt'), list);
    for (const session of removed) rmSync(path.join(sessionDir, session.id), { force: true });
    current = next.map((session) => ({ ...session }));
    writeAtomically(stateFile, `${JSON.stringify(current, null, 2)}\n`);
  };
  setSessions(sessions);

  return {
    binDir,
    stateFile,
    callsFile,
    pathEnv: (basePath = process.env.PATH ?? '/usr/bin:/bin') => `${binDir}:${basePath}`,
    sessions: () => (JSON.parse(readFileSync(stateFile, 'utf8')) as FakeLogindSession[]).map((session) => ({ ...session })),
    setSessions,
    update(sessionId, patch) {
      const found = current.find((session) => session.id === sessionId);
      if (found === undefined) throw new Error(`fake loginctl: no session ${sessionId}`);
      setSessions(current.map((session) => (session.id === sessionId ? { ...session, ...patch } : session)));
    },
    calls() {
      return readFileSync(callsFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const [at, verb, sessionId] = line.split(' ');
          return { atMs: Number(at), verb: verb as FakeLoginctlCall['verb'], sessionId: sessionId ?? '' };
        });
    },
  };
}

