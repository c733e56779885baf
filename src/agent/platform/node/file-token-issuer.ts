import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { TokenIssuer } from '../../ipc/ports';

/** Default folder of the per-user tokens on Linux (tmpfs: tokens never outlive a boot). */
export const defaultTokenDir = '/run/mynumber-guard/tokens';

/** Bytes of randomness in a token (written as 64 hex digits). */
export const tokenBytes = 32;

/** Options of {@link createFileTokenIssuer}. */
export interface FileTokenIssuerOptions {
  /** Folder of the token files; created 0711 and owned by the agent (root). */
  readonly dir: string;
  /** Source of randomness (tests); default node:crypto randomBytes. */
  readonly random?: (bytes: number) => Uint8Array;
}

/**
 * TokenIssuer on the file system: `issue(uid)` writes 32 random bytes as hex to `<dir>/<uid>`,
 * mode 0400, owned by uid (group root), replacing any older file atomically. The folder is 0711
 * and root's: a user can open their own file by name but cannot list the folder or read anyone
 * else's file; root reads all. So a client that presents uid X's token runs as X or as root.
 *
 * The agent keeps the tokens it issued in memory and verifies against those (a file planted by
 * someone else would not count; an agent restart issues new tokens). Comparison is of SHA-256
 * digests with timingSafeEqual, so its time does not depend on where the strings differ.
 */
export function createFileTokenIssuer(options: FileTokenIssuerOptions): TokenIssuer & { readonly dir: string } {
  const { dir } = options;
  const random = options.random ?? ((n: number) => randomBytes(n));
  const issued = new Map<number, Buffer>();
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  const fileOf = (uid: number): string => {
    if (!Number.isSafeInteger(uid) || uid < 0) throw new MngError(ErrorCode.InvalidArgument, msg(`uid ${uid} は使えません`, `uid ${uid} is not valid`));
    return path.join(dir, String(uid));
  };

  const ensureDirectory = async (): Promise<void> => {
    await mkdir(dir, { recursive: true, mode: 0o711 });
    const stat = await lstat(dir);
    if (!stat.isDirectory()) {
      throw new MngError(ErrorCode.IpcTokenWriteFailed, msg(`トークンのフォルダ ${dir} がフォルダではありません`, `the token folder ${dir} is not a directory`), {
        hint: msg('このパスにあるものを削除してエージェントを再起動してください', 'remove what is at this path and restart the agent'),
      });
    }
    const me = process.getuid?.() ?? 0;
    if (stat.uid !== me) {
      throw new MngError(ErrorCode.IpcTokenWriteFailed, msg(`トークンのフォルダ ${dir} の所有者が uid ${stat.uid} です (エージェントは uid ${me})`, `the token folder ${dir} is owned by uid ${stat.uid}, not the agent (uid ${me})`), {
        hint: msg('フォルダを削除してエージェントを再起動してください', 'remove the folder and restart the agent'),
      });
    }
    // Exactly 0711, whatever the umask or an earlier run left: users may traverse, not list.
    await chmod(dir, 0o711);
  };

  return {
    dir,
    async issue(uid) {
      const file = fileOf(uid);
      const token = Buffer.from(random(tokenBytes)).toString('hex');
      const temp = path.join(dir, `.${uid}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await ensureDirectory();
        // O_EXCL | O_NOFOLLOW: never write through something planted at the temporary name.
        const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
        try {
          await handle.writeFile(`${token}\n`);
          await handle.chmod(0o400);
          // Owner = the user, group = root: only that user (and root) can read it.
          await handle.chown(uid, 0);
        } finally {
          await handle.close();
        }
        await rename(temp, file);
      } catch (error) {
        // Best effort: the temporary file may not exist; the original error is what matters.
        await unlink(temp).catch(() => undefined);
        if (error instanceof MngError) throw error;
        throw new MngError(ErrorCode.IpcTokenWriteFailed, msg(`uid ${uid} の接続トークンを ${file} に書けません: ${(error as Error).message}`, `cannot write the connection token of uid ${uid} to ${file}: ${(error as Error).message}`), {
          hint: msg('エージェントが root で動いているか、/run に空きがあるか確認してください', 'check that the agent runs as root and that /run has space'),
          cause: error,
        });
      }
      issued.set(uid, digest(token));
    },
    async verify(uid, token) {
      const expected = issued.get(uid);
      // Same work whether or not a token was issued for uid.
      const same = timingSafeEqual(expected ?? digest(''), digest(token));
      return expected !== undefined && same;
    },
    async revoke(uid) {
      issued.delete(uid);
      await unlink(fileOf(uid)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },
  };
}
