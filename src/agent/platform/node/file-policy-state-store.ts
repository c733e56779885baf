import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { PolicyStateStore } from '../../policy/ports';
import { readRegularFile } from './bounded-file';

/** Name of the state document inside the state directory. */
export const policyStateFileName = 'policy-state.json';
/**
 * Largest state document read, in bytes. It holds one bundle (≤ 2 MiB, base64 in JSON ≈ 2.7 MiB)
 * and a version per policy id.
 */
export const maxPolicyStateBytes = 4 * 1024 * 1024;

/**
 * PolicyStateStore on the local file system: one file `policy-state.json` in `stateDir`.
 * The directory is created 0700 and the file written 0600 (root only: it holds the rollback
 * counters). A write goes to a temporary file in the same directory, is fsynced, renamed over the
 * old file, and the directory is fsynced, so a crash leaves the old or the new document whole.
 * One file (not state + bundle side by side) means there is no moment where the two disagree.
 */
export function createFilePolicyStateStore(options: { stateDir: string }): PolicyStateStore {
  const { stateDir } = options;
  const file = path.join(stateDir, policyStateFileName);
  return {
    location: file,
    read: async () => {
      try {
        return new Uint8Array(await readRegularFile(file, { maxBytes: maxPolicyStateBytes }));
      } catch (error) {
        // No state yet is the normal first start, not a failure.
        if ((error as MngError).code === ErrorCode.FileUnreadable && ((error as MngError).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
          return undefined;
        }
        throw error;
      }
    },
    write: async (document) => {
      try {
        await ensurePrivateDirectory(stateDir);
        await writeFileAtomically(file, document);
      } catch (error) {
        if (error instanceof MngError) throw error;
        throw new MngError(
          ErrorCode.FileUnreadable,
          msg(`ポリシーの状態を ${file} に保存できません: ${(error as Error).message}`, `cannot save the policy state to ${file}: ${(error as Error).message}`),
          { hint: msg('状態フォルダの空き容量と権限を確認してください', 'check free space and permissions of the state folder'), cause: error },
        );
      }
    },
  };
}

/**
 * Replaces `file` with `bytes` atomically and durably: temp file (0600, O_EXCL) in the same
 * directory → write → fsync → rename → fsync of the directory.
 */
export async function writeFileAtomically(file: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  let closed = false;
  let renamed = false;
  try {
    await handle.writeFile(bytes);
    // The umask may have narrowed the mode; make it exactly what was asked.
    await handle.chmod(mode);
    await handle.sync();
    closed = true;
    await handle.close();
    await rename(temp, file);
    renamed = true;
    await syncDirectory(dir);
  } finally {
    if (!closed) await handle.close();
    if (!renamed) {
      await unlink(temp).catch((unlinkError: NodeJS.ErrnoException) => {
        if (unlinkError.code !== 'ENOENT') throw unlinkError;
      });
    }
  }
}

/** fsyncs a directory so a rename in it survives a crash. Windows cannot open directories: skipped there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Windows answers EISDIR/EPERM for opening a directory; there the rename is durable by NTFS journaling.
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES') return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes sure `dir` exists with mode 0700 (creating parents as needed). */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
