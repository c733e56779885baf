// Sessions and logon on a real kernel with systemd-logind (issue #9; docs/testing.md): the PAM
// stack `mng mfa pam install --write-pam --service login` writes (pam_oath wrapped in pam_faillock
// with the policy's figures), real logins through login(1) on a pseudo-terminal (password, then the
// one-time code), and desktop (x11) sessions on seat0 that the agent locks through logind when
// their tray dies and ends when MFA is not done by the deadline. Run by test/vm/desktop.test.ts.
import { expect, it } from 'vitest';
import { guestNode, lastAuditSeq, readAudit, waitForAudit } from '../rig/agent';
import type { VmContext } from '../rig/context';
import { nowStep, type TokenKit } from '../rig/tokens';

export const staffPasswords: Readonly<Record<string, string>> = { staff1: 'staff1-pass', staff2: 'staff2-pass' };

export interface SessionChecksOptions {
  readonly tokens: TokenKit;
  /** The agent's loginDeadlineSeconds on this machine. */
  readonly loginDeadlineSeconds: number;
  /** The stand-in tray in the guest (test/vm/guest-entries/unlock-client.ts). */
  readonly unlockClient: () => string;
  /** Where dbus-monitor writes the login1.Session signals. */
  readonly signalLog: string;
}

interface LoginResult {
  readonly result: 'ok' | 'refused' | 'timeout';
  readonly transcript: string;
  readonly output: string;
}

/**
 * A login on a VT that logind registers as a session of `type` on seat0. `x11`: the kind the tray
 * app runs in (pam_systemd takes the type from XDG_SESSION_TYPE; no display server is needed).
 */
export async function vtLogin(ctx: VmContext, user: string, vt: number, type: 'tty' | 'x11'): Promise<string> {
  const guest = ctx.vm().guest;
  await guest.sh(type === 'x11' ? `openvt -c ${vt} -s -f -- env XDG_SESSION_TYPE=x11 login -p -f ${user}` : `openvt -c ${vt} -s -f -- login -f ${user}`);
  return guest.waitFor(`${user}'s session on tty${vt}`, async () => {
    const line = (await guest.sh('loginctl list-sessions --no-legend')).split('\n').find((entry) => entry.includes(` ${user} seat0 tty${vt}`));
    return line?.trim().split(/\s+/)[0];
  });
}

/** Starts the stand-in tray as `user` for `session` (unlocking with `code`, or `-`), heartbeating for `holdSeconds`. */
export async function startStandInTray(ctx: VmContext, client: string, user: string, session: string, code: string, holdSeconds: number, log: string): Promise<Record<string, unknown>> {
  const guest = ctx.vm().guest;
  await guest.spawn(['runuser', '-u', user, '--', guestNode, client, session, code, String(holdSeconds)], log);
  const first = await guest.waitFor(`the stand-in tray of ${user}`, async () => (await guest.readFile(log))?.toString('utf8').split('\n')[0] || undefined);
  if (!first.startsWith('{')) throw new Error(`the stand-in tray failed:\n${(await guest.readFile(log))?.toString('utf8') ?? ''}`);
  return JSON.parse(first) as Record<string, unknown>;
}

export function sessionChecks(ctx: VmContext, options: SessionChecksOptions): void {
  const { tokens, loginDeadlineSeconds } = options;
  const login = async (user: string, password: string, code: string, command = 'echo "$(id -un) $XDG_SESSION_ID"'): Promise<LoginResult> =>
    JSON.parse(await ctx.vm().guest.sh(`/usr/local/lib/mng-test/login-pty.py ${user} '${password}' '${code}' --command '${command}'`, { timeoutMs: 90_000 })) as LoginResult;

  it('mng mfa pam install puts pam_oath inside pam_faillock in /etc/pam.d/login, with the lockout figures of the policy in force', async () => {
    const installed = await ctx.vm().guest.exec(['mng', '--json', 'mfa', 'pam', 'install', '--write-pam', '--service', 'login']);
    expect(installed.status).toBe(0);
    const out = JSON.parse(installed.stdout) as { faillock: Record<string, unknown>; written: string[]; added: string[] };
    expect(out.faillock).toEqual({ deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400, source: 'policy' });
    expect(out.added).toEqual(['staff1', 'staff2']);
    expect(out.written).toEqual(['/etc/pam.d/mynumber-guard-oath', '/etc/pam.d/login']);
    expect(await ctx.vm().guest.sh('grep -n "@include" /etc/pam.d/login')).toMatch(/@include common-auth\n\d+:@include mynumber-guard-oath\n/);
  });

  it('a real login: password, then the code: logged in with a logind session; the same code again is refused', async () => {
    const code = tokens.code('staff1', await tokens.freshStep('staff1'));
    const first = await login('staff1', staffPasswords.staff1!, code);
    expect(first.transcript).toMatch(/One-time password/);
    expect(first.result).toBe('ok');
    expect(first.output).toMatch(/^staff1 \d+$/);
    const replay = await login('staff1', staffPasswords.staff1!, code);
    expect(replay.result).toBe('refused');
    const wrongPassword = await login('staff1', 'not-the-password', tokens.code('staff1', await tokens.freshStep('staff1')));
    expect(wrongPassword.result).toBe('refused');
  });

  it('pam_faillock at the real login: five wrong codes lock the account, the right code is refused, mng mfa reset opens it', async () => {
    const wrong = (step: number): string => (tokens.code('staff2', step) === '000000' ? '111111' : '000000');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await login('staff2', staffPasswords.staff2!, wrong(nowStep()))).result).toBe('refused');
    }
    const tally = await ctx.vm().guest.sh('faillock --user staff2');
    expect(tally.split('\n').filter((line) => /\s[VI]\s*$/.test(line))).toHaveLength(5);
    const locked = await login('staff2', staffPasswords.staff2!, tokens.code('staff2', nowStep()));
    expect(locked.result).toBe('refused');
    // Stopped before pam_oath: no code was asked for.
    expect(locked.transcript).not.toMatch(/One-time password/);
    const reset = await ctx.vm().guest.exec(['mng', '--json', 'mfa', 'reset', 'staff2']);
    expect(reset.status).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ pamFaillock: 'reset' });
    const open = await login('staff2', staffPasswords.staff2!, tokens.code('staff2', await tokens.freshStep('staff2')));
    expect(open.result).toBe('ok');
  });

  it('desktop sessions: one whose tray dies is locked through logind at once and ended at the deadline; one unlocked with the right code (tray alive) stays', async () => {
    const guest = ctx.vm().guest;
    const seq = await lastAuditSeq(guest);
    const left = await vtLogin(ctx, 'staff1', 4, 'x11');
    const kept = await vtLogin(ctx, 'staff2', 5, 'x11');
    const facts = await guest.sh(`loginctl show-session ${left} -p Type -p Active -p Seat`);
    for (const fact of ['Type=x11', 'Seat=seat0']) expect(facts).toContain(fact);
    await waitForAudit(guest, 'session.locked at login', (record) => record.type === 'session.locked' && record.data.sessionId === left, { afterSeq: seq });

    // staff2: a stand-in tray unlocks with the right code and keeps heartbeating past the deadline.
    const holdSeconds = loginDeadlineSeconds + 20;
    const unlocked = await startStandInTray(ctx, options.unlockClient(), 'staff2', kept, tokens.code('staff2', await tokens.freshStep('staff2')), holdSeconds, '/run/tray-staff2.log');
    expect(unlocked).toMatchObject({ connected: true, unlock: { ok: true, result: { code: 'unlocked' } } });
    await waitForAudit(guest, 'session.unlocked', (record) => record.type === 'session.unlocked' && record.data.sessionId === kept, { afterSeq: seq });

    // staff1: a stand-in tray connects and heartbeats, then dies (kill -9).
    expect(await startStandInTray(ctx, options.unlockClient(), 'staff1', left, '-', 120, '/run/tray-staff1.log')).toMatchObject({ connected: true });
    // The bracket keeps pkill from matching the shell that runs it.
    await guest.sh("pkill -9 -u staff1 -f '[u]nlock-client.mjs'");
    const missing = await waitForAudit(guest, 'session.tray-missing', (record) => record.type === 'session.tray-missing' && record.data.sessionId === left, { afterSeq: seq });
    expect(missing.data).toMatchObject({ cause: 'disconnected' });
    await waitForAudit(guest, 'session.os-lock-requested', (record) => record.type === 'session.os-lock-requested' && record.data.sessionId === left, { afterSeq: seq });
    // logind carried it out: the Lock signal of that session object went over the system bus.
    await guest.waitFor('the Lock signal from logind', async () => {
      const text = (await guest.readFile(options.signalLog))?.toString('utf8') ?? '';
      return new RegExp(`path=/org/freedesktop/login1/session/_3${left}; interface=org.freedesktop.login1.Session; member=Lock`).test(text) ? true : undefined;
    });
    const terminated = await waitForAudit(guest, 'session.terminated', (record) => record.type === 'session.terminated' && record.data.sessionId === left, {
      afterSeq: seq,
      timeoutMs: (loginDeadlineSeconds + 60) * 1000,
    });
    expect(terminated).toMatchObject({ severity: 'alert', data: { why: 'login-deadline' } });
    // logind ended it: the session is gone and nothing runs on its terminal any more.
    await guest.waitFor('the session gone', async () => ((await guest.exec(['loginctl', 'show-session', left])).status !== 0 ? true : undefined));
    expect((await guest.exec(['pgrep', '-t', 'tty4'])).stdout.trim()).toBe('');

    // The control: the unlocked session outlived its deadline, its tray beating all along.
    const last = await guest.waitFor('the stand-in tray of staff2 to finish', async () => (await guest.readFile('/run/tray-staff2.log'))?.toString('utf8').split('\n')[1] || undefined, {
      timeoutMs: (holdSeconds + 60) * 1000,
      intervalMs: 2_000,
    });
    expect((JSON.parse(last) as { beats: number }).beats).toBeGreaterThan(loginDeadlineSeconds / 2 - 5);
    expect((await guest.exec(['loginctl', 'show-session', kept, '-p', 'State'])).stdout).toMatch(/State=(active|online)/);
    expect((await readAudit(guest)).filter((record) => record.seq > seq && record.type === 'session.terminated' && record.data.sessionId === kept)).toEqual([]);
  });
}
