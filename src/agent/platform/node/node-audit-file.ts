// The audit log's file mechanics on node:fs (the AuditFile port), and the bounded, non-blocking
// reader `mng audit` uses to read a log it does not own. Decisions live in src/agent/audit.
import { constants, type Stats } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MngError, isMngError } from '../../../shared/errors';
import { msg, type Localized } from '../../../shared/i18n';
import type { AuditFile, AuditHeadRead } from '../../audit/ports';
import { describeFileError, describeFileKind, notRegularFileError, readRegularFile, type FileErrorHints } from './bounded-file';

/** What to do when a path given for an audit log is not one, or cannot be read. */
const auditFileHints: FileErrorHints = {
  notRegular: msg('監査ログのファイル（audit.jsonl）のパスを指定してください', 'give the path of the audit log file (audit.jsonl)'),
  permission: msg('root で実行してください（sudo mng audit …）', 'run it as root (sudo mng audit …)'),
};

// Flags that do not exist on Windows count as 0 there.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_CLOEXEC = (constants as Record<string, number | undefined>).O_CLOEXEC ?? 0;
const copyChunkBytes = 1024 * 1024;
/** Largest head file read, in bytes; a head is one short JSON line. */
export const maxAuditHeadBytes = 4096;

/** The head file of a log: `<log>.head`. */
export function auditHeadPath(logPath: string): string {
  return `${logPath}.head`;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function writeFailure(what: Localized, file: string, error: unknown): MngError {
  if (isMngError(error)) return error;
  const code = errnoOf(error);
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? msg('ディスクの空きを作ってからエージェントを再起動してください', 'free disk space, then restart the agent')
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? msg('エージェントを root（サービス）として実行し、フォルダの権限を確認してください', 'run the agent as root (the service) and check the folder permissions')
        : code === 'ELOOP'
          ? msg('監査ログやその隣のファイルがシンボリックリンクになっています。改ざんの可能性があるので調べてください', 'the audit log or a file next to it is a symbolic link; this may be tampering, investigate it')
          : code === 'ENOENT'
            ? msg('監査ログのフォルダがありません。インストールを確認してください', 'the audit log folder does not exist; check the installation')
            : msg('ディスクの状態とエージェントのログを確認してください', 'check the disk and the agent log');
  return new MngError(ErrorCode.AuditWriteFailed, msg(`${what.ja}: ${file}（${code ?? String(error)}）`, `${what.en}: ${file} (${code ?? String(error)})`), { hint, cause: error });
}


async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}

/**
 * The AuditFile port on the local file system. The log is opened O_APPEND (each write lands at the
 * end, whatever anyone else did to the offset), O_NOFOLLOW (a symbolic link planted in place of the
 * log is refused rather than followed: the agent runs as root) and created 0600. Appends are
 * fsynced (fdatasync: data and size) before they resolve; a newly created log's directory is fsynced
 * so the file's name survives a crash too.
 *
 * The head is replaced by temp file (O_EXCL, never through a planted link) + fsync + rename. The
 * directory is not fsynced after that rename: if a crash loses it, the old head stays, which only
 * lags behind the log; the verifier accepts a lagging head (docs/audit.md §2).
 */
export function createNodeAuditFile(logPath: string): AuditFile {
  const directory = path.dirname(logPath);
  const headPath = auditHeadPath(logPath);
  let handle: FileHandle | undefined;

  const opened = (): FileHandle => {
    if (handle === undefined) throw new MngError(ErrorCode.Internal, msg(`監査ログ ${logPath} が開かれていません`, `the audit log ${logPath} is not open`));
    return handle;
  };

  return {
    path: logPath,

    async open() {
      let created = false;
      let fileHandle: FileHandle;
      const appendFlags = constants.O_RDWR | constants.O_APPEND | O_NOFOLLOW | O_CLOEXEC;
      try {
        fileHandle = await open(logPath, appendFlags | constants.O_CREAT | constants.O_EXCL, 0o600);
        created = true;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw writeFailure(msg('監査ログを作成できません', 'cannot create the audit log'), logPath, error);
        try {
          // O_NONBLOCK: a FIFO planted in place of the log must not block the agent's start.
          fileHandle = await open(logPath, appendFlags | O_NONBLOCK);
        } catch (reopenError) {
          throw writeFailure(msg('監査ログを開けません', 'cannot open the audit log'), logPath, reopenError);
        }
      }
      try {
        const stats = await fileHandle.stat();
        const kind = describeFileKind(stats);
        if (kind !== undefined) {
          throw new MngError(ErrorCode.NotRegularFile, msg(`監査ログ ${logPath} が${kind.ja}です`, `the audit log ${logPath} is ${kind.en}`), {
            hint: msg('通常のファイルではないものが置かれています。改ざんの可能性があるので調べてください', 'something other than a regular file is in its place; this may be tampering, investigate it'),
          });
        }
        if (created) await syncDirectory(directory);
        handle = fileHandle;
        return { sizeBytes: stats.size, created };
      } catch (error) {
        await fileHandle.close();
        throw writeFailure(msg('監査ログを開けません', 'cannot open the audit log'), logPath, error);
      }
    },

    async read(position, length) {
      const buffer = new Uint8Array(length);
      let filled = 0;
      try {
        while (filled < length) {
          const { bytesRead } = await opened().read(buffer, filled, length - filled, position + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
      } catch (error) {
        throw writeFailure(msg('監査ログを読めません', 'cannot read the audit log'), logPath, error);
      }
      return buffer.subarray(0, filled);
    },

    async append(bytes) {
      try {
        await writeAll(opened(), bytes);
        await opened().datasync();
      } catch (error) {
        throw writeFailure(msg('監査ログに書き込めません', 'cannot write to the audit log'), logPath, error);
      }
    },

    async moveTailAside(fromOffset, suffix) {
      const log = opened();
      let sidePath = `${logPath}${suffix}`;
      try {
        let side: FileHandle | undefined;
        for (let attempt = 1; side === undefined; attempt += 1) {
          try {
            side = await open(sidePath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
          } catch (error) {
            // Never overwrite an earlier side file: it may be the only copy of those bytes.
            if (errnoOf(error) !== 'EEXIST' || attempt >= 100) throw error;
            sidePath = `${logPath}${suffix}-${attempt}`;
          }
        }
        try {
          const { size } = await log.stat();
          for (let position = fromOffset; position < size; ) {
            const buffer = new Uint8Array(Math.min(copyChunkBytes, size - position));
            const { bytesRead } = await log.read(buffer, 0, buffer.length, position);
            if (bytesRead === 0) break;
            await writeAll(side, buffer.subarray(0, bytesRead));
            position += bytesRead;
          }
          await side.sync();
        } finally {
          await side.close();
        }
        await syncDirectory(directory);
        // Only now, with the copy on disk, are the bytes cut off the log.
        await log.truncate(fromOffset);
        await log.sync();
        return sidePath;
      } catch (error) {
        throw writeFailure(msg('監査ログの途切れた末尾を退避できません', 'cannot move the torn end of the audit log aside'), sidePath, error);
      }
    },

    async readHead(): Promise<AuditHeadRead> {
      try {
        return { state: 'present', bytes: new Uint8Array(await readRegularFile(headPath, { maxBytes: maxAuditHeadBytes })) };
      } catch (error) {
        if (isMngError(error)) {
          if (errnoOf(error.cause) === 'ENOENT') return { state: 'missing' };
          return { state: 'unreadable', reason: error.text };
        }
        throw error;
      }
    },

    async writeHead(bytes) {
      const temp = `${headPath}.tmp`;
      try {
        await unlink(temp).catch((error: unknown) => {
          if (errnoOf(error) !== 'ENOENT') throw error;
        });
        const out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
        try {
          await writeAll(out, bytes);
          await out.datasync();
        } finally {
          await out.close();
        }
        await rename(temp, headPath);
      } catch (error) {
        throw writeFailure(msg('監査ログのヘッドを書けません', 'cannot write the audit log head'), headPath, error);
      }
    },

    async close() {
      const current = handle;
      handle = undefined;
      await current?.close();
    },
  };
}

/** A regular file opened for reading in chunks. */
export interface RegularFileChunks {
  readonly sizeBytes: number;
  /** Reads up to `length` bytes at `position` into a new buffer; fewer only at the end. */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens a file someone named (an audit log to verify or show) for reading in chunks, without
 * letting the path decide how we behave: O_NONBLOCK so a FIFO or device never blocks the open, the
 * opened descriptor is fstat'ed (no race between stat and open), anything but a regular file is
 * refused. Reads stop at the size seen at open, so a growing log is read as it was.
 * @throws MngError FileUnreadable (missing, permission, …) or NotRegularFile, with a hint.
 */
export async function openRegularFileChunks(file: string): Promise<RegularFileChunks> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  } catch (error) {
    throw describeFileError(file, error, auditFileHints);
  }
  let stats: Stats;
  try {
    stats = await handle.stat();
  } catch (error) {
    await handle.close();
    throw describeFileError(file, error, auditFileHints);
  }
  const kind = describeFileKind(stats);
  if (kind !== undefined) {
    await handle.close();
    throw notRegularFileError(file, kind, auditFileHints);
  }
  const sizeBytes = stats.size;
  return {
    sizeBytes,
    async read(position, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, sizeBytes - position)));
      let filled = 0;
      try {
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
      } catch (error) {
        throw describeFileError(file, error, auditFileHints);
      }
      return buffer.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}

/**
 * Reads a head anchor file (`<log>.head`, or one copied from the collector): at most a few KiB,
 * regular files only. `missing` when there is no such file.
 */
export async function readAuditHeadFile(file: string): Promise<AuditHeadRead> {
  try {
    return { state: 'present', bytes: new Uint8Array(await readRegularFile(file, { maxBytes: maxAuditHeadBytes })) };
  } catch (error) {
    if (isMngError(error)) {
      if (errnoOf(error.cause) === 'ENOENT') return { state: 'missing' };
      return { state: 'unreadable', reason: error.hint === undefined ? error.text : msg(`${error.text.ja}（${error.hint.ja}）`, `${error.text.en} (${error.hint.en})`) };
    }
    throw error;
  }
}

