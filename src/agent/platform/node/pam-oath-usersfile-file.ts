import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import { readRegularFile } from './bounded-file';

/** Largest usersfile read: one line per user is ~100 bytes. */
const maxUsersfileBytes = 4 * 1024 * 1024;
/** Read-modify-write rounds before giving up when pam_oath keeps rewriting the file. */
const maxUpdateAttempts = 5;

/** Options of {@link createPamOathUsersfileFile}. */
export interface PamOathUsersfileFileOptions {
  /** The usersfile, e.g. /etc/mynumber-guard/users.oath. */
  readonly location: string;
  /** Owner the file and its folder must have (default 0, root; tests pass their own uid). */
  readonly ownerUid?: number;
}

/** What changed in one {@link PamOathUsersfileFile.update}. */
export interface PamOathUsersfileUpdate {
  readonly written: boolean;
  /** Rounds needed because pam_oath replaced the file meanwhile (1 normally). */
  readonly attempts: number;
}

/** The pam_oath usersfile on disk (Linux; pam_oath runs in root's PAM stacks). */
export interface PamOathUsersfileFile {
  readonly location: string;
  /** The file's text, or null when it does not exist yet. */
  read(): Promise<string | null>;
  /**
   * Read-modify-write: `change` gets the current text (null: no file) and returns the new text, or
   * null to leave the file alone. The new file is written 0600 beside the old one and renamed over
   * it; if pam_oath replaced the file in between (it records a login the same way), the round is
   * redone with the new text, so its replay state is not lost.
   */
  update(change: (current: string | null) => string | null): Promise<PamOathUsersfileUpdate>;
}

/**
 * The usersfile adapter. Fails closed with a clear error when the folder or file could be changed
 * by anyone but the owner (root): whoever can write there can add their own token for any user.
 * The folder is created 0700 when missing; the file is always written 0600 (mfa.md §5.3).
 *
 * Limitation: pam_oath serializes its own writers with an fcntl lock on `<file>.lock`, which
 * Node cannot take; the compare-before-rename below narrows the race to the rename itself.
 */
export function createPamOathUsersfileFile(options: PamOathUsersfileFileOptions): PamOathUsersfileFile {
  const location = path.resolve(options.location);
  const dir = path.dirname(location);
  const ownerUid = options.ownerUid ?? 0;

  async function checkFolder(create: boolean): Promise<boolean> {
    let stats: Stats;
    try {
      stats = await lstat(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(error);
      if (!create) return false;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      stats = await lstat(dir);
    }
    if (!stats.isDirectory() || stats.uid !== ownerUid || (stats.mode & 0o022) !== 0) {
      throw new MngError(
        ErrorCode.NotRegularFile,
        msg(
          `pam_oath の利用者ファイルのフォルダ ${dir} は、所有者（uid ${ownerUid}）以外も変更できるか、フォルダではありません`,
          `the folder of the pam_oath usersfile, ${dir}, can be changed by others than its owner (uid ${ownerUid}), or is not a folder`,
        ),
        { hint: msg(`chown ${ownerUid} ${dir} と chmod go-w ${dir} で直してください`, `fix it with chown ${ownerUid} ${dir} and chmod go-w ${dir}`) },
      );
    }
    return true;
  }

  async function statFile(): Promise<Stats | null> {
    try {
      const stats = await lstat(location);
      if (!stats.isFile() || stats.uid !== ownerUid) {
        throw new MngError(
          ErrorCode.NotRegularFile,
          msg(
            `pam_oath の利用者ファイル ${location} が通常のファイルでないか、所有者が uid ${ownerUid} ではありません`,
            `the pam_oath usersfile ${location} is not a regular file or not owned by uid ${ownerUid}`,
          ),
          { hint: msg('ファイルを確認し、不審なら削除して mng mfa pam sync で作り直してください', 'inspect it; if in doubt remove it and recreate it with mng mfa pam sync') },
        );
      }
      return stats;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error instanceof MngError ? error : unreadable(error);
    }
  }

  async function readText(): Promise<{ text: string | null; stats: Stats | null }> {
    const stats = await statFile();
    if (stats === null) return { text: null, stats };
    const bytes = await readRegularFile(location, { maxBytes: maxUsersfileBytes });
    return { text: bytes.toString('utf8'), stats };
  }

  return {
    location,
    async read() {
      if (!(await checkFolder(false))) return null;
      return (await readText()).text;
    },
    async update(change) {
      await checkFolder(true);
      for (let attempt = 1; attempt <= maxUpdateAttempts; attempt += 1) {
        const before = await readText();
        const next = change(before.text);
        if (next === null || next === before.text) return { written: false, attempts: attempt };
        const temp = path.join(dir, `.${path.basename(location)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
        const handle = await open(temp, 'wx', 0o600);
        let renamed = false;
        try {
          try {
            await handle.writeFile(next, 'utf8');
            await handle.chmod(0o600);
            await handle.sync();
          } finally {
            await handle.close();
          }
          // pam_oath rewrites the file by rename after a login: if it did since we read, redo the round.
          if (!sameFile(before.stats, await statFile())) continue;
          await rename(temp, location);
          renamed = true;
          await syncFolder(dir);
          return { written: true, attempts: attempt };
        } finally {
          if (!renamed) await unlink(temp).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') throw error;
          });
        }
      }
      throw new MngError(
        ErrorCode.FileUnreadable,
        msg(`pam_oath の利用者ファイル ${location} が書き換え続けられているため更新できません`, `the pam_oath usersfile ${location} keeps changing, so it could not be updated`),
        { hint: msg('少し待ってからもう一度実行してください', 'wait a moment and run it again') },
      );
    },
  };

  function unreadable(error: unknown): MngError {
    return new MngError(
      ErrorCode.FileUnreadable,
      msg(`pam_oath の利用者ファイル ${location} を読めません: ${(error as Error).message}`, `cannot read the pam_oath usersfile ${location}: ${(error as Error).message}`),
      { hint: msg('root で実行しているか、パスが正しいか確認してください', 'check that you run as root and that the path is right'), cause: error },
    );
  }
}

function sameFile(a: Stats | null, b: Stats | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
