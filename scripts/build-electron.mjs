#!/usr/bin/env node
// Bundles the tray app (issue #5 item 4) into dist/electron/, the folder electron-builder.yml packs
// (files: dist/electron/**, main: dist/electron/main.js):
//   main.js      Electron main process (CJS; `electron` external, every other dependency bundled,
//                so the asar needs no node_modules)
//   preload.js   sandboxed preload (CJS; a sandboxed preload may require only `electron`)
//   renderer/    index.html, renderer.js (IIFE), renderer.css, served through the app protocol
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { findRepoRoot } from './repo-root.mjs';

const root = findRepoRoot(import.meta.url);
/** Output folder, relative to the repository root. */
export const electronOutDir = 'dist/electron';

export async function buildElectron({ quiet = false } = {}) {
  const started = Date.now();
  const out = path.join(root, electronOutDir);
  await rm(out, { recursive: true, force: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    logLevel: quiet ? 'error' : 'warning',
    sourcemap: false,
    legalComments: 'none',
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: { main: 'src/main/index.ts' },
      outdir: out,
      platform: 'node',
      format: 'cjs',
      // Electron 45 ships Node 22; the main process code uses nothing newer than Node 20.19.
      target: 'node20.19',
      external: ['electron'],
    }),
    build({
      ...common,
      entryPoints: { preload: 'src/preload/index.ts' },
      outdir: out,
      platform: 'browser',
      format: 'cjs',
      target: 'chrome120',
      external: ['electron'],
    }),
    build({
      ...common,
      entryPoints: { renderer: 'src/renderer/main.ts' },
      outdir: path.join(out, 'renderer'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
    }),
  ]);
  await mkdir(path.join(out, 'renderer'), { recursive: true });
  for (const file of ['index.html', 'renderer.css']) {
    await copyFile(path.join(root, 'src/renderer', file), path.join(out, 'renderer', file));
  }
  if (!quiet) process.stderr.write(`build: ${electronOutDir}/ in ${Date.now() - started} ms\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildElectron().catch((error) => {
    process.stderr.write(`build-electron failed: ${error.message}\n`);
    process.exit(1);
  });
}
