#!/usr/bin/env node
// Type-checks every runtime against its own tsconfig (STYLE.md §3: one tsconfig per runtime, so
// shared code cannot use node types and the renderer cannot use node or electron).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const projects = [
  'tsconfig.shared.json',
  'tsconfig.node.json',
  'tsconfig.main.json',
  'tsconfig.preload.json',
  'tsconfig.renderer.json',
  'tsconfig.test.json',
];
let failed = 0;
for (const project of projects) {
  if (!existsSync(project)) continue;
  const result = spawnSync('npx', ['--no-install', 'tsc', '-p', project], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`typecheck: ${project} failed\n`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
