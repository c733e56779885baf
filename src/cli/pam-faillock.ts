import { execFile } from 'node:child_process';

/** What `faillock --user <user> --reset` did. */
export type PamFaillockReset = 'reset' | 'not-installed' | { readonly failed: string };

/**
 * Clears pam_faillock's count for `user` (the logon side of a lockout, `mng mfa pam install`):
 * `mng mfa reset` lifts the agent's lockout and this one together, so an administrator never
 * unlocks one door and leaves the other shut. No faillock binary: nothing to reset.
 */
export function resetPamFaillock(user: string, command = 'faillock'): Promise<PamFaillockReset> {
  return new Promise((resolve) => {
    execFile(command, ['--user', user, '--reset'], { timeout: 10_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error === null) resolve('reset');
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve('not-installed');
      else resolve({ failed: (stderr || error.message).trim() });
    });
  });
}
