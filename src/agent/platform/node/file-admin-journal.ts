import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminJournalSource } from '../../mfa/ports';
import { writeFileAtomically } from './file-policy-state-store';

/** Read at most this much per call: a journal is small, and a huge one must not stall the agent. */
const maxChunkBytes = 1024 * 1024;

/** The `mng` admin journal and the agent's read offset (`<file>.offset`, 0600), both in the MFA folder. */
export function createFileAdminJournal(file: string): AdminJournalSource {
  const offsetFile = path.join(path.dirname(file), `${path.basename(file)}.offset`);
  return {
    async readFrom(offset) {
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      try {
        const { size } = await handle.stat();
        if (size <= offset) return { bytes: new Uint8Array(), sizeBytes: size };
        const length = Math.min(maxChunkBytes, size - offset);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return { bytes: new Uint8Array(buffer.subarray(0, bytesRead)), sizeBytes: size };
      } finally {
        await handle.close();
      }
    },
    async loadOffset() {
      try {
        const value = Number((await readFile(offsetFile, 'utf8')).trim());
        return Number.isSafeInteger(value) && value >= 0 ? value : 0;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
    },
    async saveOffset(offset) {
      await writeFileAtomically(offsetFile, Buffer.from(`${offset}\n`), 0o600);
    },
  };
}
