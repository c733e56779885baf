// The agent's side of systemd's notify protocol (sd_notify(3)): READY=1 once every control has
// started, WATCHDOG=1 while the work queue moves, STOPPING=1 at a clean stop. Node has no Unix
// datagram sockets, so each message goes through `systemd-notify`, which sends it on behalf of its
// parent (the agent: root may name another pid in SCM_CREDENTIALS, systemd 252 notify.c) and
// waits until systemd has processed it (the barrier), so NotifyAccess=main holds.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../shared/logger';
import type { ServiceManagerNotifier } from '../../runtime/ports';

/** Runs `systemd-notify args`; resolves with its exit code (null when it could not run). */
export type NotifyRunner = (args: readonly string[]) => Promise<{ readonly exitCode: number | null; readonly stderr: string }>;

export interface SystemdNotifierOptions {
  /** The agent's environment: NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly pid: number;
  readonly logger: Logger;
  /** Default: `systemd-notify` from PATH, 10 s limit. */
  readonly run?: NotifyRunner;
}

/**
 * The watchdog period systemd asks for, in ms, or undefined when it does not watch this process
 * (WATCHDOG_USEC absent or not a number, or WATCHDOG_PID names another process). Pure.
 */
export function decideWatchdogIntervalMs(env: Readonly<Record<string, string | undefined>>, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[1-9][0-9]{0,15}$/.test(usec)) return undefined;
  const watchedPid = env.WATCHDOG_PID;
  if (watchedPid !== undefined && watchedPid !== '' && watchedPid !== String(pid)) return undefined;
  return Math.floor(Number(usec) / 1000);
}

/** `systemd-notify` from PATH with only the variables it needs, 10 s limit. */
function createSystemdNotifyRunner(env: Readonly<Record<string, string | undefined>>): NotifyRunner {
  const childEnv = { PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NOTIFY_SOCKET: env.NOTIFY_SOCKET };
  return (args) =>
    new Promise((resolve) => {
      execFile('systemd-notify', [...args], { env: childEnv, timeout: 10_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error === null) resolve({ exitCode: 0, stderr });
        else resolve({ exitCode: typeof error.code === 'number' ? error.code : null, stderr: stderr || error.message });
      });
    });
}

/** systemd's notifier for this process, or undefined when systemd did not start it (no NOTIFY_SOCKET). */
export function createSystemdNotifier(options: SystemdNotifierOptions): ServiceManagerNotifier | undefined {
  if (options.env.NOTIFY_SOCKET === undefined || options.env.NOTIFY_SOCKET === '') return undefined;
  const run = options.run ?? createSystemdNotifyRunner(options.env);
  const send = async (fields: readonly string[]): Promise<void> => {
    const outcome = await run(fields);
    // A lost READY fails the start (systemd restarts us); a lost ping is caught by the next one.
    if (outcome.exitCode !== 0) options.logger.warn({ fields, exitCode: outcome.exitCode, stderr: outcome.stderr.trim() }, 'systemd-notify failed');
  };
  return {
    watchdogIntervalMs: decideWatchdogIntervalMs(options.env, options.pid),
    ready: (status) => send(['READY=1', `STATUS=${status.replace(/[\r\n]+/g, ' ')}`]),
    watchdog: () => send(['WATCHDOG=1']),
    stopping: () => send(['STOPPING=1']),
  };
}

/** The kernel's boot id (changes at every boot), or null where there is none. */
export async function readBootId(procRoot = '/proc'): Promise<string | null> {
  try {
    const text = (await readFile(path.join(procRoot, 'sys/kernel/random/boot_id'), 'utf8')).trim();
    return /^[0-9a-f-]{36}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}
