#!/usr/bin/env node
// `npm run bench -- <name> [args]`: bundles bench/<name>.ts with esbuild and runs it with node.
// A benchmark prints what it likes, and as its LAST line one JSON object of figures.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(path.join(root, 'bench'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => file.slice(0, -3))
  .sort();
if (!name || !available.includes(name)) {
  process.stderr.write(
    `bench: name a benchmark: npm run bench -- <name>\navailable: ${available.join(', ') || '(none)'}\n`,
  );
  process.exit(2);
}
const outDir = path.join(root, '.tmp', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, `${name}.mjs`);
await build({
  absWorkingDir: root,
  entryPoints: [path.join('bench', `${name}.ts`)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  logLevel: 'error',
});
if (!existsSync(outfile)) process.exit(2);
const result = spawnSync(process.execPath, ['--expose-gc', outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
