import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AutomountRuleStore } from '../../media/ports';
import { readRegularFile } from './bounded-file';
import { writeFileAtomically } from './file-policy-state-store';

/** A rule file is a few KiB; anything larger is not ours. */
const maxRuleBytes = 1024 * 1024;

/**
 * The udisks2 polkit rule as a plain file (`/etc/polkit-1/rules.d/…` on a terminal, a file in the
 * state folder in development). Written atomically with mode 0644: polkitd runs as its own user
 * and must read it; it holds no secret.
 */
export function createAutomountRuleFile(location: string): AutomountRuleStore {
  return {
    location,
    async read() {
      try {
        return (await readRegularFile(location, { maxBytes: maxRuleBytes })).toString('utf8');
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause as NodeJS.ErrnoException | undefined;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || cause?.code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(text) {
      await mkdir(path.dirname(location), { recursive: true, mode: 0o755 });
      await writeFileAtomically(location, Buffer.from(text, 'utf8'), 0o644);
    },
    async remove() {
      try {
        await unlink(location);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
  };
}
