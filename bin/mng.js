#!/usr/bin/env node
// Launcher for the `mng` command: runs the bundle that `npm ci` (prepare) builds into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/mng.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write(
    'mng: dist/mng.js が見つかりません / dist/mng.js is missing: run `npm run build` in the mynumber-guard folder.\n',
  );
  process.exit(2);
}
await import(bundle.href);
