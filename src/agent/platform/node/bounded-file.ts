import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg, type Localized } from '../../../shared/i18n';

/**
 * Reads files that come from outside (policy bundles, keys, state) without letting the file decide
 * how long or how much we read. The file is opened with O_NONBLOCK, so a FIFO or a device never
 * blocks the open; the opened descriptor is fstat'ed (no race between a stat of the path and the
 * open); anything but a regular file is refused; the size is checked before reading, and reading
 * stops at `maxBytes + 1` in case the file grows meanwhile.
 */

/** Options of `readRegularFile`. */
export interface ReadRegularFileOptions {
  /** Largest accepted size in bytes; a larger file is refused with `FileTooLarge` before it is read. */
  readonly maxBytes: number;
}

// O_NONBLOCK does not exist on Windows, where FIFOs are not files anyway.
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const chunkBytes = 64 * 1024;

/** What a non-regular file is, for messages; `undefined` for a regular file. */
export function describeFileKind(stats: Stats): Localized | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return msg('フォルダ', 'a directory');
  if (stats.isFIFO()) return msg('名前付きパイプ（FIFO）', 'a named pipe (FIFO)');
  if (stats.isSocket()) return msg('ソケット', 'a socket');
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return msg('デバイスファイル', 'a device file');
  return msg('通常のファイル以外のもの', 'not a regular file');
}

/** Hints a caller can put in place of the generic ones, e.g. naming the file it expects. */
export interface FileErrorHints {
  /** What to do when the path is not a regular file. Default: give the path of a file. */
  readonly notRegular?: Localized;
  /** What to do when permission is denied. Default: run as a user allowed to read it. */
  readonly permission?: Localized;
}

/** The error for a path that is a directory, FIFO, socket or device. */
export function notRegularFileError(path: string, kind: Localized, hints: FileErrorHints = {}): MngError {
  return new MngError(
    ErrorCode.NotRegularFile,
    msg(`${path} は${kind.ja}です。通常のファイルではないので読みません`, `${path} is ${kind.en}, not a regular file; it is not read`),
    { hint: hints.notRegular ?? msg('ファイルのパスを指定してください', 'give the path of a file') },
  );
}

function tooLarge(path: string, sizeBytes: number, maxBytes: number): MngError {
  return new MngError(
    ErrorCode.FileTooLarge,
    msg(`${path} が大きすぎます（${sizeBytes} バイト、上限 ${maxBytes} バイト）`, `${path} is too large (${sizeBytes} bytes, limit ${maxBytes})`),
    { hint: msg('正しいファイルを指定しているか確認してください', 'check that this is the right file') },
  );
}

/**
 * Maps an error of open/stat/read on `path` to one clear MngError (what, where, what to do);
 * returns errors that are not about the file unchanged.
 */
export function describeFileError(path: string, error: unknown, hints: FileErrorHints = {}): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const unreadable = (ja: string, en: string, hint: Localized): MngError =>
    new MngError(ErrorCode.FileUnreadable, msg(`${path} を読めません: ${ja}`, `cannot read ${path}: ${en}`), { hint, cause: error });
  const checkPath = msg('パスを確認してください', 'check the path');
  switch (code) {
    case 'ENOENT':
      return unreadable('ファイルがありません', 'no such file', checkPath);
    case 'ENOTDIR':
      return unreadable('パスの途中にフォルダではないものがあります', 'a component of the path is not a directory', checkPath);
    case 'EACCES':
    case 'EPERM':
      return unreadable(
        '読み取りの権限がありません',
        'permission denied',
        hints.permission ??
          msg('権限のある利用者（root など）で実行するか、ファイルの権限を確認してください', 'run as a user allowed to read it (e.g. root) or check its permissions'),
      );
    case 'ELOOP':
      return unreadable('シンボリックリンクが循環しています', 'too many levels of symbolic links', msg('リンク先を確認してください', 'check where the link points'));
    case 'ENAMETOOLONG':
      return unreadable('パスが長すぎます', 'the path is too long', checkPath);
    case 'EISDIR':
      return notRegularFileError(path, msg('フォルダ', 'a directory'), hints);
    case 'ENXIO':
    case 'ENODEV':
      // Opening a Unix socket, or a FIFO/device without a peer, ends here.
      return notRegularFileError(path, msg('ソケットかデバイスファイル', 'a socket or device file'), hints);
    case 'EIO':
      return unreadable('入出力エラー', 'I/O error', msg('ディスクや媒体の状態を確認してください', 'check the disk or medium'));
    default:
      return error;
  }
}

function checkStats(path: string, stats: Stats, maxBytes: number): void {
  const kind = describeFileKind(stats);
  if (kind !== undefined) throw notRegularFileError(path, kind);
  if (stats.size > maxBytes) throw tooLarge(path, stats.size, maxBytes);
}

function assertMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`readRegularFile: maxBytes must be a non-negative integer, got ${maxBytes}`);
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes.
 * @throws MngError NotRegularFile (directory, FIFO, socket, device), FileTooLarge, FileUnreadable
 *   (missing, permission, symlink loop, I/O). Other errors are infrastructure failures, rethrown.
 */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Buffer> {
  const { maxBytes } = options;
  assertMaxBytes(maxBytes);
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    throw describeFileError(path, error);
  }
  try {
    checkStats(path, await handle.stat(), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, total, maxBytes);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    throw describeFileError(path, error);
  } finally {
    await handle.close();
  }
}

/** Synchronous `readRegularFile`, for start-up code and CLI paths that are synchronous anyway. */
export function readRegularFileSync(path: string, options: ReadRegularFileOptions): Buffer {
  const { maxBytes } = options;
  assertMaxBytes(maxBytes);
  let fd: number;
  try {
    fd = openSync(path, openFlags);
  } catch (error) {
    throw describeFileError(path, error);
  }
  try {
    checkStats(path, fstatSync(fd), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes + 1 - total));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, total, maxBytes);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    throw describeFileError(path, error);
  } finally {
    closeSync(fd);
  }
}
