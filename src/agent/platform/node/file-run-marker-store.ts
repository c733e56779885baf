import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, type MngError } from '../../../shared/errors';
import type { RunMarkerStore } from '../../runtime/ports';
import { readRegularFile } from './bounded-file';
import { ensurePrivateDirectory, writeFileAtomically } from './file-policy-state-store';

/** Name of the run marker inside the state folder. */
export const runMarkerFileName = 'agent.run';

/** The run marker as a file in the state folder (0600, written atomically and durably). */
export function createFileRunMarkerStore(options: { stateDir: string }): RunMarkerStore {
  const file = path.join(options.stateDir, runMarkerFileName);
  return {
    location: file,
    async read() {
      try {
        return (await readRegularFile(file, { maxBytes: 4096 })).toString('utf8');
      } catch (error) {
        const cause = (error as MngError).cause as NodeJS.ErrnoException | undefined;
        if ((error as MngError).code === ErrorCode.FileUnreadable && cause?.code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(text) {
      await ensurePrivateDirectory(options.stateDir);
      await writeFileAtomically(file, Buffer.from(text), 0o600);
    },
    async remove() {
      await unlink(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },
  };
}
