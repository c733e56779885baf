// Runs the real `mng` command (bin/mng.js → dist/mng.js, built by the global setup) as a child
// process, the way an operator runs it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findRepoRoot } from '../../scripts/repo-root.mjs';

export const repoRoot = findRepoRoot(import.meta.url);
const mngBin = path.join(repoRoot, 'bin/mng.js');

export interface MngRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mng <args>` and returns its exit status and output. `lang` defaults to Japanese. */
export function runMng(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number } = {},
): MngRun {
  const result = spawnSync(process.execPath, [mngBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LANG: 'ja_JP.UTF-8', ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
