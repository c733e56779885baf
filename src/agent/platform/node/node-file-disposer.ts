import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, readlink, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { err, ok } from '../../../shared/result';
import type { FileDisposer } from '../../exports/ports';
import { ensurePrivateDirectory } from './file-policy-state-store';

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}

/**
 * FileDisposer on node:fs. Quarantine moves the entry into `quarantineDir` (created 0700, on the
 * internal disk) under a fresh `<time>-<uuid>` name, so names never collide and a 255-byte
 * original name cannot overflow NAME_MAX; the original path is in the ledger record. The move is
 * link + unlink on the same file system (never overwrites, unlike rename) and copy (O_EXCL) +
 * unlink across file systems (EXDEV: a USB medium to the internal disk).
 */
export function createNodeFileDisposer(quarantineDir: string, nowMs: () => number = Date.now): FileDisposer {
  let prepared: Promise<void> | undefined;
  return {
    async quarantine(file) {
      try {
        prepared ??= ensurePrivateDirectory(quarantineDir);
        await prepared;
        const target = path.join(quarantineDir, `${new Date(nowMs()).toISOString().replace(/[:.]/g, '-')}-${randomUUID()}`);
        const stats = await lstat(file);
        if (stats.isSymbolicLink()) {
          await symlink(await readlink(file, { encoding: 'buffer' }), Buffer.from(target));
        } else {
          try {
            await link(file, target);
          } catch (error) {
            if (errnoOf(error) !== 'EXDEV' && errnoOf(error) !== 'EPERM') throw error;
            await copyFile(file, target, constants.COPYFILE_EXCL);
            // The copy must be durable before the original goes: the quarantine keeps the only bytes.
            const copy = await open(target, 'r');
            try {
              await copy.sync();
            } finally {
              await copy.close();
            }
          }
        }
        await unlink(file);
        return ok({ quarantinePath: target });
      } catch (error) {
        return err({ reason: errnoOf(error) });
      }
    },
    async remove(file) {
      try {
        await unlink(file);
        return ok(undefined);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return ok(undefined);
        return err({ reason: errnoOf(error) });
      }
    },
  };
}
