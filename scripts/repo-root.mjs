// The repository's root folder, found by walking up from a file to the package.json named
// mynumber-guard. Works from the source tree and from a bundle (bench, scratch scripts under
// .tmp/), where a fixed number of `..` from import.meta.url would land elsewhere.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** @param {string} fromUrl import.meta.url of the caller */
export function findRepoRoot(fromUrl) {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if (JSON.parse(readFileSync(candidate, 'utf8')).name === 'mynumber-guard') return dir;
      } catch {
        // Not ours; keep climbing.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`findRepoRoot: no mynumber-guard package.json above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}
