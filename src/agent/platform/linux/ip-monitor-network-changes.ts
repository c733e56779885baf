// Network change source for the isolation check (issue #4 item 4): `ip monitor link address route`
// prints one line per netlink event; every line means "look again". The monitor dying is reported
// through onError; the isolation service keeps its periodic check as the safety net.
import { spawn, type ChildProcess } from 'node:child_process';
import type { NetworkChangeSource } from '../../isolation/ports';

/** Options of {@link createIpMonitorNetworkChanges}. */
export interface IpMonitorNetworkChangesOptions {
  /** The `ip` command (default `ip` from PATH). */
  readonly ipCommand?: string;
  /** Extra arguments before `monitor`, e.g. `['-n', 'ns1']` in tests. */
  readonly ipArgs?: readonly string[];
}

/** Creates the `ip monitor` change source. `start` resolves once the monitor process is running. */
export function createIpMonitorNetworkChanges(options: IpMonitorNetworkChangesOptions = {}): NetworkChangeSource {
  let child: ChildProcess | undefined;
  let stopping = false;
  return {
    start(handlers) {
      stopping = false;
      return new Promise<void>((resolve, reject) => {
        const proc = spawn(options.ipCommand ?? 'ip', [...(options.ipArgs ?? []), 'monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = proc;
        let started = false;
        let stderr = '';
        let buffered = '';
        proc.once('spawn', () => {
          started = true;
          resolve();
        });
        proc.once('error', (error) => {
          if (!started) reject(error);
          else if (!stopping) handlers.onError(error);
        });
        proc.stderr?.setEncoding('utf8');
        proc.stderr?.on('data', (chunk: string) => {
          // Keep the end only: the message that matters is the last one before exit.
          stderr = (stderr + chunk).slice(-2000);
        });
        proc.stdout?.setEncoding('utf8');
        proc.stdout?.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          if (lines.some((line) => line.trim() !== '')) handlers.onChange();
        });
        proc.once('exit', (code, signal) => {
          child = undefined;
          if (started && !stopping) handlers.onError(new Error(`ip monitor exited (${signal ?? `code ${String(code)}`}): ${stderr.trim()}`));
        });
      });
    },
    async stop() {
      stopping = true;
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    },
  };
}
