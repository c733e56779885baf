// MountHolders on Linux /proc (proc(5)), under any proc root: `/proc` in production, a fixture tree
// in unit tests (issue #4 item 1: "a writer holding a file open during the remount: no byte written
// after the decision reaches the medium"). Measured on the development kernel (6.x): fdinfo
// `mnt_id` equals the mount id of mountinfo, also for a mount point whose name is not UTF-8, so
// open files are matched by id, never by path text. Nothing here touches the mounted file system
// itself (no stat or open of a held file): a FUSE daemon that hangs, or one this adapter has just
// stopped, cannot hang the agent. Which processes may be stopped is decided by the mounts module
// (`decideHolderStops`); this adapter only reads and signals.
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../../../shared/clock';
import { decodeRuleBytes } from '../../../shared/usb-rules';
import type { Mount } from '../../mounts/model';
import type { HolderStop, HolderTermination, MountHandle, MountHandleKind, MountHolder, MountHolders } from '../../mounts/ports';

/** The signals this adapter sends. */
export type HolderSignal = 'SIGSTOP' | 'SIGCONT' | 'SIGKILL';

/** Options of {@link ProcMountHolders}. */
export interface ProcMountHoldersOptions {
  /** Where proc is mounted. Default `/proc`. */
  readonly procRoot?: string;
  /** The passwd file for login names. Default `/etc/passwd` (users only in NSS/LDAP get `user: null`). */
  readonly passwdFile?: string;
  /** This agent's pid, never signalled. Default `process.pid`. */
  readonly agentPid?: number;
  readonly clock?: Clock;
  /** Sends a signal; throws an errno error (`ESRCH`, `EPERM`) like `process.kill`. Default `process.kill`. */
  readonly signal?: (pid: number, signal: HolderSignal) => void;
  /** How long to wait for the targets to stop after SIGSTOP (ms). Default 1,000. */
  readonly stopTimeoutMs?: number;
  /** How long to wait for the targets to exit after SIGKILL (ms). Default 3,000. */
  readonly exitTimeoutMs?: number;
  /** Poll interval while waiting (ms). Default 5. */
  readonly pollMs?: number;
  /** How many processes are read at once. Default 16. */
  readonly concurrency?: number;
}

/** The fields of `/proc/<pid>/stat` this adapter uses. */
export interface ProcStat {
  readonly pid: number;
  /** `comm` as the kernel prints it between the parentheses (may hold spaces and `)`), one character per byte when read as latin1. */
  readonly comm: string;
  /** One letter: R S D Z T t X I P … */
  readonly state: string;
  /** Field 9, the PF_* flags. */
  readonly flags: number;
  /** Field 22, start time in clock ticks after boot. */
  readonly startTime: number;
}

// include/linux/sched.h: PF_KTHREAD.
const pfKthread = 0x00200000;
// Up to this many handles of one kind are kept per process: enough for the audit to say what it was.
const maxHandlesPerKind = 4;

const decimal = (text: string | undefined): number | null => (text !== undefined && /^[0-9]{1,19}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null);

/**
 * Parses `/proc/<pid>/stat` (proc(5)). `comm` sits in parentheses and may itself contain `)`,
 * spaces or newlines, so the fields after it are counted from the LAST `)`. Null when malformed.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = decimal(text.slice(0, open));
  const rest = text.slice(close + 2).trim().split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const state = rest[0];
  const flags = decimal(rest[6]);
  const startTime = decimal(rest[19]);
  if (pid === null || state === undefined || !/^[A-Za-z]$/.test(state) || flags === null || startTime === null) return null;
  return { pid, comm: text.slice(open + 2, close), state, flags, startTime };
}

/** The fields of `/proc/<pid>/fdinfo/<fd>` this adapter uses. */
export interface FdInfo {
  /** Open flags (octal in the file), e.g. 0100001 = O_WRONLY|O_LARGEFILE. */
  readonly flags: number;
  /** The mount the file was opened through: the id of mountinfo's first field. */
  readonly mntId: number;
}

/** Parses `/proc/<pid>/fdinfo/<fd>` (proc(5): `pos`, `flags` in octal, `mnt_id`, …). Null when a field is missing. */
export function parseFdinfo(text: string): FdInfo | null {
  const flags = /^flags:\s*([0-7]{1,22})$/m.exec(text);
  const mntId = /^mnt_id:\s*([0-9]{1,10})$/m.exec(text);
  if (flags === null || mntId === null) return null;
  const value = Number.parseInt(flags[1] as string, 8);
  return Number.isSafeInteger(value) ? { flags: value, mntId: Number(mntId[1]) } : null;
}

/** True when the open flags allow writing (O_ACCMODE is O_WRONLY or O_RDWR). */
export function isWriteAccess(flags: number): boolean {
  const accessMode = flags & 0o3;
  return accessMode === 0o1 || accessMode === 0o2;
}

/** The real uid from `/proc/<pid>/status` (`Uid:` real effective saved fs); null when absent. */
export function parseStatusUid(text: string): number | null {
  const match = /^Uid:\s+([0-9]{1,10})\s/m.exec(text);
  return match === null ? null : Number(match[1]);
}

/** One file-backed mapping of `/proc/<pid>/maps`. */
export interface MapsEntry {
  /** st_dev of the mapped file (the maps field is hex `major:minor`). */
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
  /** Writable and shared (`rw-s`): stores through it reach the file. */
  readonly sharedWritable: boolean;
  /** The path as the kernel prints it (newlines escaped as `\012`). */
  readonly path: string;
}

/** Parses `/proc/<pid>/maps`, keeping file-backed mappings only (inode ≠ 0). Malformed lines are skipped. */
export function parseMaps(text: string): MapsEntry[] {
  const entries: MapsEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^[0-9a-f]+-[0-9a-f]+ ([-rwxsp]{4}) [0-9a-f]+ ([0-9a-f]{1,8}):([0-9a-f]{1,8}) ([0-9]{1,20}) *(.*)$/.exec(line);
    if (match === null) continue;
    const inode = decimal(match[4]);
    if (inode === null || inode === 0) continue;
    const perms = match[1] as string;
    entries.push({
      major: Number.parseInt(match[2] as string, 16),
      minor: Number.parseInt(match[3] as string, 16),
      inode,
      sharedWritable: perms[1] === 'w' && perms[3] === 's',
      path: match[5] ?? '',
    });
  }
  return entries;
}

/** uid → login name from passwd(5) text; the first entry of a uid wins, malformed lines are skipped. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    const uid = decimal(fields[2]);
    const name = fields[0];
    if (fields.length < 7 || uid === null || name === undefined || name === '' || names.has(uid)) continue;
    names.set(uid, name);
  }
  return names;
}

/** True when `target` (readlink bytes) is `mountPoint` or below it. A mount point of `/` matches nothing (never enforced). */
export function isAtOrBelow(target: Uint8Array, mountPoint: Uint8Array): boolean {
  if (mountPoint.length <= 1 || target.length < mountPoint.length) return false;
  for (let i = 0; i < mountPoint.length; i += 1) if (target[i] !== mountPoint[i]) return false;
  return target.length === mountPoint.length || target[mountPoint.length] === 0x2f;
}

/** One printable line (like `MountPath.display`): `\\`, `\n`, `\t`, `\xHH` for controls and bytes that are not UTF-8. */
export function printableBytes(bytes: Uint8Array): string {
  let out = '';
  for (const char of decodeRuleBytes(bytes)) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (code >= 0xdc80 && code <= 0xdcff) out += `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out;
}

const errnoOf = (error: unknown): string | undefined => (error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined);

/**
 * Runs `read`, returning null when the process (or one of its fds) went away or is not readable:
 * ENOENT/ESRCH (exited meanwhile), EACCES/EPERM (hidepid, or not ours to read), EINVAL/ENOTDIR
 * (a pid directory replaced mid-read). Anything else is a fault and is thrown.
 */
async function unlessGone<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOTDIR') return null;
    throw error;
  }
}

const defaultSignal = (pid: number, signal: HolderSignal): void => {
  process.kill(pid, signal);
};

/**
 * MountHolders over `<procRoot>`. `findHolders` reads every `<pid>/fd` link and, for links that
 * name a path, `<pid>/fdinfo/<fd>`'s `mnt_id` (precise whatever bytes the path holds); `cwd` and
 * `root` links compared byte-wise with the mount point; and `maps` entries whose device is the
 * mount's (`major:minor`; a mapping has no mount id in proc, so another mount of the same file
 * system would match too: it is the same medium). `terminate` freezes all targets with SIGSTOP
 * before killing any, so none can write, fork or hand a file to a sibling while the others die.
 */
export class ProcMountHolders implements MountHolders {
  readonly agentPid: number;
  private readonly procRoot: string;
  private readonly passwdFile: string;
  private readonly clock: Clock;
  private readonly signal: (pid: number, signal: HolderSignal) => void;
  private readonly stopTimeoutMs: number;
  private readonly exitTimeoutMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;

  constructor(options: ProcMountHoldersOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.passwdFile = options.passwdFile ?? '/etc/passwd';
    this.agentPid = options.agentPid ?? process.pid;
    this.clock = options.clock ?? systemClock;
    this.signal = options.signal ?? defaultSignal;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 1_000;
    this.exitTimeoutMs = options.exitTimeoutMs ?? 3_000;
    this.pollMs = options.pollMs ?? 5;
    this.concurrency = options.concurrency ?? 16;
  }

  async findHolders(mount: Mount): Promise<MountHolder[]> {
    const pids = (await readdir(this.procRoot)).filter((name) => /^[1-9][0-9]{0,9}$/.test(name)).map(Number);
    const users = await this.readUsers();
    const found: MountHolder[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pids.length) {
        const pid = pids[next] as number;
        next += 1;
        const holder = await this.readHolder(pid, mount, users);
        if (holder !== null) found.push(holder);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, worker));
    return found.sort((a, b) => a.pid - b.pid);
  }

  async terminate(targets: readonly MountHolder[]): Promise<HolderTermination> {
    const results = new Map<MountHolder, { result: HolderStop['result']; detail: string }>();
    const live: MountHolder[] = [];
    // Defence in depth: the mounts module never asks for these, and kill(2) on pid ≤ 0 or -1 signals groups.
    for (const target of targets) {
      if (!Number.isSafeInteger(target.pid) || target.pid <= 1 || target.pid === this.agentPid) {
        results.set(target, { result: 'failed', detail: 'refused: init, the agent itself, or an invalid pid' });
        continue;
      }
      if (!(await this.isSame(target))) {
        results.set(target, { result: 'gone', detail: '' });
        continue;
      }
      const sent = this.send(target.pid, 'SIGSTOP');
      if (sent === 'ok') live.push(target);
      else results.set(target, sent === 'gone' ? { result: 'gone', detail: '' } : { result: 'failed', detail: sent });
    }

    // Wait until every target is stopped (or gone): from then on none of them runs.
    await this.waitUntil(this.stopTimeoutMs, async () => {
      const states = await Promise.all(live.map((target) => this.stateOf(target)));
      return states.every((state) => state === 'gone' || state === 'T' || state === 't');
    });
    const frozenAtMs = this.clock.nowMs();

    const killed: MountHolder[] = [];
    for (const target of live) {
      if (!(await this.isSame(target))) {
        // The pid was reused between the identity check and SIGSTOP: undo the stop on a stranger.
        this.send(target.pid, 'SIGCONT');
        results.set(target, { result: 'gone', detail: '' });
        continue;
      }
      const sent = this.send(target.pid, 'SIGKILL');
      if (sent === 'ok') killed.push(target);
      else results.set(target, sent === 'gone' ? { result: 'gone', detail: '' } : { result: 'failed', detail: sent });
    }

    // A zombie has already closed its files and dropped its mappings (do_exit → exit_files,
    // exit_mm, exit_fs), so it no longer holds the mount even before its parent reaps it.
    await this.waitUntil(this.exitTimeoutMs, async () => (await Promise.all(killed.map((target) => this.stateOf(target)))).every((state) => state === 'gone'));
    for (const target of killed) {
      const state = await this.stateOf(target);
      results.set(target, state === 'gone' ? { result: 'killed', detail: '' } : { result: 'survived', detail: `state ${state} ${this.exitTimeoutMs} ms after SIGKILL` });
    }
    return { stops: targets.map((holder) => ({ holder, ...(results.get(holder) ?? { result: 'failed', detail: 'not handled' }) })), frozenAtMs };
  }

  private async readUsers(): Promise<Map<number, string>> {
    const text = await unlessGone(() => readFile(this.passwdFile, 'utf8'));
    return text === null ? new Map() : parsePasswd(text);
  }

  private dir(pid: number, ...parts: string[]): string {
    return path.join(this.procRoot, String(pid), ...parts);
  }

  private async readStat(pid: number): Promise<ProcStat | null> {
    // latin1 keeps every byte of `comm` (which need not be UTF-8) one character each.
    const text = await unlessGone(() => readFile(this.dir(pid, 'stat'), 'latin1'));
    return text === null ? null : parseProcStat(text);
  }

  /** The process's state letter, or `gone` when it exited, is a zombie, or its pid names another process now. */
  private async stateOf(target: MountHolder): Promise<string> {
    const stat = await this.readStat(target.pid);
    if (stat === null || stat.startTime !== target.startTime || stat.state === 'Z' || stat.state === 'X') return 'gone';
    return stat.state;
  }

  private async isSame(target: MountHolder): Promise<boolean> {
    return (await this.stateOf(target)) !== 'gone';
  }

  /** `ok`, `gone` (ESRCH), or the error text. */
  private send(pid: number, signal: HolderSignal): string {
    try {
      this.signal(pid, signal);
      return 'ok';
    } catch (error) {
      if (errnoOf(error) === 'ESRCH') return 'gone';
      return `${signal}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private async waitUntil(timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
    const deadline = this.clock.nowMs() + timeoutMs;
    while (!(await done()) && this.clock.nowMs() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  private async readHolder(pid: number, mount: Mount, users: ReadonlyMap<number, string>): Promise<MountHolder | null> {
    const handles: MountHandle[] = [];
    const counts = new Map<MountHandleKind, number>();
    const add = (kind: MountHandleKind, bytes: Uint8Array | string): void => {
      const count = counts.get(kind) ?? 0;
      counts.set(kind, count + 1);
      if (count < maxHandlesPerKind) handles.push({ kind, path: typeof bytes === 'string' ? bytes : printableBytes(bytes) });
    };

    const fds = (await unlessGone(() => readdir(this.dir(pid, 'fd')))) ?? [];
    for (const fd of fds) {
      const target = await unlessGone(() => readlink(this.dir(pid, 'fd', fd), { encoding: 'buffer' }));
      // Pipes, sockets and anon inodes (`pipe:[…]`, `anon_inode:…`) live on no mount of ours.
      if (target === null || target[0] !== 0x2f) continue;
      const info = await unlessGone(() => readFile(this.dir(pid, 'fdinfo', fd), 'utf8'));
      const parsed = info === null ? null : parseFdinfo(info);
      if (parsed !== null && parsed.mntId === mount.id) add(isWriteAccess(parsed.flags) ? 'write-fd' : 'read-fd', new Uint8Array(target));
    }
    for (const kind of ['cwd', 'root'] as const) {
      const target = await unlessGone(() => readlink(this.dir(pid, kind), { encoding: 'buffer' }));
      if (target !== null && isAtOrBelow(new Uint8Array(target), mount.mountPoint.bytes)) add(kind, new Uint8Array(target));
    }
    const maps = await unlessGone(() => readFile(this.dir(pid, 'maps'), 'utf8'));
    for (const entry of maps === null ? [] : parseMaps(maps)) {
      if (entry.major === mount.major && entry.minor === mount.minor) add('map', entry.path);
    }
    if (handles.length === 0) return null;

    const stat = await this.readStat(pid);
    // Exited meanwhile, or a zombie: it holds nothing any more.
    if (stat === null || stat.state === 'Z' || stat.state === 'X') return null;
    const status = await unlessGone(() => readFile(this.dir(pid, 'status'), 'utf8'));
    const uid = status === null ? null : parseStatusUid(status);
    return {
      pid,
      startTime: stat.startTime,
      comm: printableBytes(new Uint8Array(Buffer.from(stat.comm, 'latin1'))),
      uid,
      user: uid === null ? null : (users.get(uid) ?? null),
      kernelThread: (stat.flags & pfKthread) !== 0,
      handles,
    };
  }
}
