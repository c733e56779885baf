// Builds test entry points (the isolation CLI, the prober driver) into single files that run
// inside a network namespace.
import { build } from 'esbuild';
import path from 'node:path';
import { repoRoot } from './mng';

/** Bundles the isolation CLI; returns the path of the .mjs (next to node_modules so packages resolve). */
export function buildIsolationCli(): Promise<string> {
  return buildTestEntry('test/helpers/isolation-cli-entry.ts', 'mng-isolation.mjs');
}

/** Bundles a test entry point (repository-relative) to node_modules/.cache/mng-isolation-test/<name>. */
export async function buildTestEntry(entry: string, name: string): Promise<string> {
  const outfile = path.join(repoRoot, 'node_modules/.cache/mng-isolation-test', name);
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}
