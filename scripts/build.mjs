#!/usr/bin/env node
// Bundles the Node entry points (agent, mng CLI) into dist/ with esbuild, and the tray app into
// dist/electron/ (scripts/build-electron.mjs). Runs on `npm ci`
// (prepare), before `npm start`, and from the test global setup, so dist/ is never stale.
// Dependencies stay external: they are loaded from node_modules at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildElectron } from './build-electron.mjs';
import { findRepoRoot } from './repo-root.mjs';

const root = findRepoRoot(import.meta.url);

/** Entry points: source file → output name under dist/. */
export const entryPoints = {
  agent: 'src/agent/main.ts',
  mng: 'src/cli/main.ts',
};

export async function buildAll({ quiet = false } = {}) {
  const started = Date.now();
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: quiet ? 'error' : 'warning',
    banner: { js: '#!/usr/bin/env node' },
  });
  await buildElectron({ quiet: true });
  if (!quiet) process.stderr.write(`build: dist/ in ${Date.now() - started} ms\n`);
}

// Run as a command, not when imported (nor when bundled into another file, where import.meta.url is that file).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && import.meta.url.endsWith('/build.mjs')) {
  buildAll().catch((error) => {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  });
}
