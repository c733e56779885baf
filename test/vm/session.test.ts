// Sessions and logon on a real kernel with systemd-logind (issue #9; docs/testing.md): tokens
// imported with `mng mfa import-pskc`, the PAM stack `mng mfa pam install --write-pam --service
// login` writes (pam_oath wrapped in pam_faillock with the policy's figures), real logins through
// login(1) on a pseudo-terminal (password, then the one-time code), and seat0 sessions on a VT that
// the agent locks through logind and ends when MFA is not done by the deadline. Codes are computed
// on the host with oathtool, an independent TOTP implementation.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needTools } from '../helpers/system-tools';
import { createPolicyKit, createShareDir, guestNode, installAgent, installGuestEntry, lastAuditSeq, readAudit, waitForAudit } from './rig/agent';
import { startVm, type Vm } from './rig/machine';
import { vmImageOrSkip, vmReady } from './rig/vm-available';

const ready = vmReady() && needTools('oathtool');
/** Seconds a new session has to complete MFA before the agent ends it (agent.yaml of this machine). */
const loginDeadlineSeconds = 40;
const secrets: Record<string, Buffer> = { staff1: randomBytes(20), staff2: randomBytes(20) };
const passwords: Record<string, string> = { staff1: 'staff1-pass', staff2: 'staff2-pass' };

const nowStep = (): number => Math.floor(Date.now() / 1000 / 30);
function totp(user: string, step: number): string {
  const run = spawnSync('oathtool', ['--totp', '-d', '6', '-N', `@${step * 30}`, secrets[user]!.toString('hex')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`oathtool: ${run.stderr}`);
  return run.stdout.trim();
}

function pskc(): string {
  const keyPackage = (user: string): string => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>TestVendor</Manufacturer><SerialNo>SN-${user}</SerialNo><UserId>${user}</UserId></DeviceInfo>
    <Key Id="SN-${user}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><Suite>HMAC-SHA1</Suite><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>${secrets[user]!.toString('base64')}</PlainValue></Secret>
        <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${keyPackage('staff1')}${keyPackage('staff2')}\n</KeyContainer>\n`;
}

interface LoginResult {
  readonly result: 'ok' | 'refused' | 'timeout';
  readonly transcript: string;
  readonly output: string;
}

describe.skipIf(!ready)('logon and sessions on a real kernel (login(1), PAM, logind)', () => {
  let vm: Vm;
  let share: Awaited<ReturnType<typeof createShareDir>>;
  let unlockClient = '';
  const kit = createPolicyKit();
  /** The last step each user's code was used at: a code is never offered twice. */
  const spent: Record<string, number> = { staff1: 0, staff2: 0 };

  /** A step whose code has not been used yet, waiting for one if needed (window: one step). */
  const freshStep = async (user: string): Promise<number> => {
    while (nowStep() <= spent[user]!) await new Promise((resolve) => setTimeout(resolve, 1_000));
    const step = nowStep();
    spent[user] = step;
    return step;
  };
  const login = async (user: string, password: string, code: string, command = 'echo "$(id -un) $XDG_SESSION_ID"'): Promise<LoginResult> =>
    JSON.parse(await vm.guest.sh(`/usr/local/lib/mng-test/login-pty.py ${user} '${password}' '${code}' --command '${command}'`, { timeoutMs: 90_000 })) as LoginResult;
  /**
   * A login on a VT that logind registers as a graphical (x11) seat0 session, the kind the tray app
   * runs in (pam_systemd takes the type from XDG_SESSION_TYPE; no display server is needed).
   */
  const desktopLogin = async (user: string, vt: number): Promise<string> => {
    await vm.guest.sh(`openvt -c ${vt} -s -f -- env XDG_SESSION_TYPE=x11 login -p -f ${user}`);
    return vm.guest.waitFor(`${user}'s session on tty${vt}`, async () => {
      const line = (await vm.guest.sh('loginctl list-sessions --no-legend')).split('\n').find((entry) => entry.includes(` ${user} seat0 tty${vt}`));
      return line?.trim().split(/\s+/)[0];
    });
  };

  beforeAll(async () => {
    const image = vmImageOrSkip();
    share = await createShareDir('session');
    vm = await startVm({ image, name: 'session', shareDir: share.dir });
    unlockClient = await installGuestEntry(vm.guest, 'unlock-client');
    await installAgent(vm.guest, { deb: share.deb, kit, bundle: kit.bundle().bytes, config: `mode: enforce\nloginDeadlineSeconds: ${loginDeadlineSeconds}\n` });
    await vm.guest.writeFile('/root/tokens.pskc', pskc(), 0o600);
    const imported = await vm.guest.exec(['mng', '--json', 'mfa', 'import-pskc', '/root/tokens.pskc']);
    if (imported.status !== 0) throw new Error(`import-pskc: ${imported.stdout}${imported.stderr}`);
    // Everything sent over the bus about sessions from here on, to see logind act on the agent's lock.
    await vm.guest.spawn(['dbus-monitor', '--system', "type='signal',interface='org.freedesktop.login1.Session'"], '/run/session-signals.log');
  });

  afterAll(async () => {
    await vm?.stop();
    share?.remove();
  });

  it('mng mfa pam install puts pam_oath inside pam_faillock in /etc/pam.d/login, with the lockout figures of the policy in force', async () => {
    const installed = await vm.guest.exec(['mng', '--json', 'mfa', 'pam', 'install', '--write-pam', '--service', 'login']);
    expect(installed.status).toBe(0);
    const out = JSON.parse(installed.stdout) as { faillock: Record<string, unknown>; written: string[]; added: string[] };
    expect(out.faillock).toEqual({ deny: 5, unlockTimeSeconds: 0, failIntervalSeconds: 86_400, source: 'policy' });
    expect(out.added).toEqual(['staff1', 'staff2']);
    expect(out.written).toEqual(['/etc/pam.d/mynumber-guard-oath', '/etc/pam.d/login']);
    expect(await vm.guest.sh('grep -n "@include" /etc/pam.d/login')).toMatch(/@include common-auth\n\d+:@include mynumber-guard-oath\n/);
  });

  it('a real login: password, then the code: logged in with a logind session; the same code again is refused', async () => {
    const code = totp('staff1', await freshStep('staff1'));
    const first = await login('staff1', passwords.staff1!, code);
    expect(first.transcript).toMatch(/One-time password/);
    expect(first.result).toBe('ok');
    expect(first.output).toMatch(/^staff1 \d+$/);
    const replay = await login('staff1', passwords.staff1!, code);
    expect(replay.result).toBe('refused');
    const wrongPassword = await login('staff1', 'not-the-password', totp('staff1', await freshStep('staff1')));
    expect(wrongPassword.result).toBe('refused');
  });

  it('pam_faillock at the real login: five wrong codes lock the account, the right code is refused, mng mfa reset opens it', async () => {
    const wrong = (step: number): string => (totp('staff2', step) === '000000' ? '111111' : '000000');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await login('staff2', passwords.staff2!, wrong(nowStep()))).result).toBe('refused');
    }
    const tally = await vm.guest.sh('faillock --user staff2');
    expect(tally.split('\n').filter((line) => /\s[VI]\s*$/.test(line))).toHaveLength(5);
    const locked = await login('staff2', passwords.staff2!, totp('staff2', nowStep()));
    expect(locked.result).toBe('refused');
    // Stopped before pam_oath: no code was asked for.
    expect(locked.transcript).not.toMatch(/One-time password/);
    const reset = await vm.guest.exec(['mng', '--json', 'mfa', 'reset', 'staff2']);
    expect(reset.status).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ pamFaillock: 'reset' });
    const open = await login('staff2', passwords.staff2!, totp('staff2', await freshStep('staff2')));
    expect(open.result).toBe('ok');
  });

  it('a desktop session whose tray is killed is locked through logind at once, and ended when MFA is not done by the deadline', async () => {
    const seq = await lastAuditSeq(vm.guest);
    const session = await desktopLogin('staff1', 4);
    const facts = await vm.guest.sh(`loginctl show-session ${session} -p Type -p Active -p Seat`);
    for (const fact of ['Type=x11', 'Active=yes', 'Seat=seat0']) expect(facts).toContain(fact);
    await waitForAudit(vm.guest, 'session.locked at login', (record) => record.type === 'session.locked' && record.data.sessionId === session, { afterSeq: seq });
    // A stand-in tray connects and heartbeats, then dies (kill -9).
    const log = '/run/tray-standin.log';
    await vm.guest.spawn(['runuser', '-u', 'staff1', '--', guestNode, unlockClient, session, '-', '120'], log);
    await vm.guest.waitFor('the stand-in tray connected', async () => ((await vm.guest.readFile(log))?.toString('utf8').includes('"connected":true') === true ? true : undefined));
    // The bracket keeps pkill from matching the shell that runs it.
    await vm.guest.sh("pkill -9 -u staff1 -f '[u]nlock-client.mjs'");
    const missing = await waitForAudit(vm.guest, 'session.tray-missing', (record) => record.type === 'session.tray-missing' && record.data.sessionId === session, { afterSeq: seq });
    expect(missing.data).toMatchObject({ cause: 'disconnected' });
    await waitForAudit(vm.guest, 'session.os-lock-requested', (record) => record.type === 'session.os-lock-requested' && record.data.sessionId === session, { afterSeq: seq });
    // logind carried it out: the Lock signal of that session object went over the system bus.
    await vm.guest.waitFor('the Lock signal from logind', async () => {
      const text = (await vm.guest.readFile('/run/session-signals.log'))?.toString('utf8') ?? '';
      return new RegExp(`path=/org/freedesktop/login1/session/_3${session}; interface=org.freedesktop.login1.Session; member=Lock`).test(text) ? true : undefined;
    });
    const terminated = await waitForAudit(vm.guest, 'session.terminated', (record) => record.type === 'session.terminated' && record.data.sessionId === session, {
      afterSeq: seq,
      timeoutMs: (loginDeadlineSeconds + 60) * 1000,
    });
    expect(terminated).toMatchObject({ severity: 'alert', data: { why: 'login-deadline' } });
    // logind ended it: the session is gone and nothing runs on its terminal any more.
    await vm.guest.waitFor('the session gone', async () => ((await vm.guest.exec(['loginctl', 'show-session', session])).status !== 0 ? true : undefined));
    expect((await vm.guest.exec(['pgrep', '-t', 'tty4'])).stdout.trim()).toBe('');
  });

  it('the control: a session unlocked with the right code over the local socket (a tray heartbeating) is not ended at the deadline', async () => {
    const seq = await lastAuditSeq(vm.guest);
    const session = await desktopLogin('staff2', 5);
    const code = totp('staff2', await freshStep('staff2'));
    const log = '/run/unlock-client.log';
    const holdSeconds = loginDeadlineSeconds + 20;
    await vm.guest.spawn(['runuser', '-u', 'staff2', '--', guestNode, unlockClient, session, code, String(holdSeconds)], log);
    const first = await vm.guest.waitFor('the unlock answer', async () => (await vm.guest.readFile(log))?.toString('utf8').split('\n')[0] || undefined);
    if (!first.startsWith('{')) throw new Error(`the stand-in tray failed:\n${(await vm.guest.readFile(log))?.toString('utf8') ?? ''}`);
    const result = JSON.parse(first) as { connected: boolean; unlock: unknown };
    expect(result.connected).toBe(true);
    expect(result.unlock).toMatchObject({ ok: true, result: { code: 'unlocked' } });
    await waitForAudit(vm.guest, 'session.unlocked', (record) => record.type === 'session.unlocked' && record.data.sessionId === session, { afterSeq: seq });
    const last = await vm.guest.waitFor('the stand-in tray to finish', async () => (await vm.guest.readFile(log))?.toString('utf8').split('\n')[1] || undefined, { timeoutMs: (holdSeconds + 60) * 1000, intervalMs: 2_000 });
    expect((JSON.parse(last) as { beats: number }).beats).toBeGreaterThan(loginDeadlineSeconds / 2 - 5);
    expect((await vm.guest.exec(['loginctl', 'show-session', session, '-p', 'State'])).stdout).toMatch(/State=(active|online)/);
    expect((await readAudit(vm.guest)).filter((record) => record.seq > seq && record.type === 'session.terminated' && record.data.sessionId === session)).toEqual([]);
  });
});
