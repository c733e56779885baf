import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LedgerFile } from '../../exports/ports';
import { ensurePrivateDirectory } from './file-policy-state-store';

/** File name of the export ledger inside the agent's state directory. */
export const exportLedgerFileName = 'exports.jsonl';

/**
 * LedgerFile as `<stateDir>/exports.jsonl` (0600 in a 0700 folder): each append is one O_APPEND
 * write followed by fsync.
 */
export function createJsonlLedgerFile(stateDir: string): LedgerFile & { readonly path: string } {
  const file = path.join(stateDir, exportLedgerFileName);
  let prepared: Promise<void> | undefined;
  return {
    path: file,
    async append(text) {
      prepared ??= ensurePrivateDirectory(stateDir);
      await prepared;
      const handle = await open(file, 'a', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async read() {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}
