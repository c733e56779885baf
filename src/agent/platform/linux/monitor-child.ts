// A long-running monitor child (udevadm monitor, findmnt --poll) as the Linux watchers use it:
// the part of a child process they need, injectable so restarts and output handling are testable.
import { spawn } from 'node:child_process';

/** The part of a child process a watcher uses. */
export interface MonitorChild {
  onStdout(listener: (chunk: string) => void): void;
  onStderr(listener: (chunk: string) => void): void;
  /** Called once when the process has ended (code, or the signal that ended it). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Called when the process could not be started (ENOENT) or signalled. */
  onError(listener: (error: Error) => void): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Starts `command args` with `env`. */
export type SpawnMonitorChild = (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => MonitorChild;

/** Runs `callback` after `delayMs`; returns a function that cancels it. */
export type ScheduleTimer = (callback: () => void, delayMs: number) => () => void;

/**
 * Spawns a monitor child with stdin closed and stdout decoded as `stdoutEncoding` (`latin1` keeps
 * every byte of paths that are not UTF-8; `utf8` for text output).
 */
export function createSpawnMonitorChild(stdoutEncoding: 'utf8' | 'latin1'): SpawnMonitorChild {
  return (command, args, env) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding(stdoutEncoding);
    child.stderr.setEncoding('utf8');
    return {
      onStdout: (listener) => child.stdout.on('data', listener),
      onStderr: (listener) => child.stderr.on('data', listener),
      onExit: (listener) => child.once('exit', listener),
      onError: (listener) => child.on('error', listener),
      kill: (signal) => {
        child.kill(signal);
      },
    };
  };
}

/** The real timer. */
export const scheduleWithTimeout: ScheduleTimer = (callback, delayMs) => {
  const handle = setTimeout(callback, delayMs);
  return () => clearTimeout(handle);
};
