import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PasswdSource } from '../../exports/ports';

/** PasswdSource reading `<root>/etc/passwd` (root injectable so tests use a fixture tree). */
export function createPasswdFileSource(root = '/'): PasswdSource {
  return {
    async read() {
      try {
        return await readFile(path.join(root, 'etc/passwd'), 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') return undefined;
        throw error;
      }
    },
  };
}
