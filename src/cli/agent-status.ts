import path from 'node:path';
import type { z } from 'zod';
import { ErrorCode, MngError } from '../shared/errors';
import { msg } from '../shared/i18n';
import { readRegularFile } from '../agent/platform/node';

/** The agent's status document is at most a few MiB (devices, mounts, recent actions). */
const maxStatusBytes = 16 * 1024 * 1024;

/**
 * Reads `<stateDir>/status.json` (written by the agent, root only) and parses it with `schema`
 * first (STYLE.md §7). Errors name the file and say to point --state-dir at the agent's folder.
 */
export async function readAgentStatusFile<T extends z.ZodType>(stateDir: string, schema: T): Promise<{ readonly file: string; readonly status: z.infer<T> }> {
  const file = path.join(stateDir, 'status.json');
  const bytes = await readRegularFile(file, { maxBytes: maxStatusBytes });
  const hint = msg('--state-dir にエージェントの状態フォルダを指定してください', 'point --state-dir at the agent state folder');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`${file} は JSON として読めません`, `${file} is not valid JSON`), { hint, cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new MngError(ErrorCode.InvalidArgument, msg(`${file} はエージェントの状態ファイルではありません`, `${file} is not an agent status file`), { hint });
  return { file, status: parsed.data };
}

/** Whether the process that wrote the status is still there (signal 0 checks without sending). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
