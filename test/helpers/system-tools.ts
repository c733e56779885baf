// A test that needs a system tool skips with a clear reason locally, and fails under CI=true
// (STYLE.md §8): CI installs every tool in .ci/run, so a missing one there is a defect.
import { spawnSync } from 'node:child_process';

/** True when `name` runs from PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns true when every tool is present. Under CI=true a missing tool throws, so the suite fails
 * instead of silently skipping. Use as `describe.skipIf(!needTools('mkfifo'))(…)`.
 */
export function needTools(...names: string[]): boolean {
  const missing = names.filter((name) => !hasTool(name));
  if (missing.length === 0) return true;
  const reason = `missing system tool(s): ${missing.join(', ')} — install them (see .ci/run)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return false;
}
