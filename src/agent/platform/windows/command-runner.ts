import { execFile } from 'node:child_process';

/**
 * Port of the Windows adapters: run one program with arguments, no shell, and report how it
 * ended. Injected so the adapters' tests never start reg.exe (they use a fake registry); the real
 * one is `createExecFileCommandRunner`.
 */
export interface CommandRunner {
  /**
   * Runs `file` with `args` exactly as given (no shell, no globbing, no variable expansion) and
   * resolves when it ends. A non-zero exit is an outcome, not an error. Rejects only when the
   * program cannot be started or its output exceeds the runner's limit (broken infrastructure).
   */
  run(file: string, args: readonly string[], options?: { readonly timeoutMs?: number }): Promise<CommandOutcome>;
}

/** How a command ended. */
export interface CommandOutcome {
  /** Exit code; null when the process was killed (timeout or signal). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the runner killed it after `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Options of `createExecFileCommandRunner`. */
export interface ExecFileCommandRunnerOptions {
  /** Default time limit per command (ms). reg.exe answers in tens of ms; 30 s means it hangs. */
  readonly timeoutMs?: number;
  /** Largest stdout or stderr accepted (bytes). */
  readonly maxOutputBytes?: number;
}

/** Default time limit of one command (ms). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Default cap on stdout/stderr of one command (bytes). */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * A `CommandRunner` on `child_process.execFile` with `shell: false`: arguments reach the program
 * as separate argv entries (on Windows, Node quotes each one for the C runtime's parser), so a
 * serial number or key path can never become a second command. Output is decoded as UTF-8;
 * reg.exe writes in the console code page, so non-ASCII data arrives as U+FFFD, which the parser
 * treats as "cannot be restored" (reg-query-output.ts). The process gets no window on Windows.
 */
export function createExecFileCommandRunner(options: ExecFileCommandRunnerOptions = {}): CommandRunner {
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const maxBuffer = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return {
    run(file, args, runOptions = {}) {
      const timeoutMs = runOptions.timeoutMs ?? defaultTimeoutMs;
      return new Promise<CommandOutcome>((resolve, reject) => {
        execFile(
          file,
          [...args],
          { shell: false, windowsHide: true, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer, encoding: 'utf8' },
          (error, stdout, stderr) => {
            if (error === null) {
              resolve({ exitCode: 0, stdout, stderr, timedOut: false });
              return;
            }
            const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null; code?: unknown };
            if (typeof failure.code === 'number') {
              resolve({ exitCode: failure.code, stdout, stderr, timedOut: false });
              return;
            }
            // ENOENT, EACCES, ERR_CHILD_PROCESS_STDIO_MAXBUFFER: the program could not run as asked.
            if (typeof failure.code === 'string') {
              reject(error);
              return;
            }
            // Killed: by the runner after timeoutMs (`killed`), or by someone else's signal.
            resolve({ exitCode: null, stdout, stderr, timedOut: failure.killed === true });
          },
        );
      });
    },
  };
}
