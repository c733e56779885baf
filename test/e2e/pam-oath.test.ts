// Linux logon with pam_oath (issue #5 item 2), end to end and for real: tokens imported with
// `mng mfa import-pskc`, the usersfile written by `mng mfa pam install`, real PAM services under
// /etc/pam.d, real OS users, and pamtester driving libpam. Needs root.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileVerificationStateStore } from '../../src/agent/platform/node';
import { parsePamOathUsersfile } from '../../src/agent/mfa';
import { runMng, type MngRun } from '../helpers/mng';
import { needTools } from '../helpers/system-tools';

function needRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  const reason = 'the pam_oath test creates OS users and /etc/pam.d services: run it as root';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return false;
}

const runnable = needTools('pamtester', 'oathtool', 'useradd', 'userdel', 'chpasswd') && needRoot() && hasPamOath();

function hasPamOath(): boolean {
  const found = spawnSync('sh', ['-c', 'ls /lib/*/security/pam_oath.so /usr/lib/*/security/pam_oath.so 2>/dev/null'], { encoding: 'utf8' }).stdout.trim() !== '';
  if (found) return true;
  const reason = 'pam_oath.so is missing: apt-get install -y --no-install-recommends libpam-oath (see .ci/run)';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return false;
}

// Time zone of the whole test (mng and pam_oath): pam_oath records local time, and the agent's
// step sharing must read and write it the same way.
const env = { TZ: 'Asia/Tokyo', LANG: 'C.UTF-8' };
const suffix = randomBytes(3).toString('hex');
const otpUser = `mngpam${suffix}a`;
const pwUser = `mngpam${suffix}b`;
const password = `Pw-${randomBytes(6).toString('hex')}`;
const otpService = `mng-test-oath-${suffix}`;
const pwService = `mng-test-oath-pw-${suffix}`;
const secrets = { [otpUser]: randomBytes(20), [pwUser]: randomBytes(20) };

let work: string;
let usersfile: string;
let storeArgs: string[];
let pamLine: string;
let includeFile: string;

function mng(args: string[]): MngRun {
  return runMng(args, { cwd: work, env });
}

function oathtool(user: string, step: number): string {
  const run = spawnSync('oathtool', ['--totp', '-d', '6', '-N', `@${step * 30}`, secrets[user]!.toString('hex')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`oathtool failed: ${run.stderr}`);
  return run.stdout.trim();
}

/** `pamtester <service> <user> authenticate` with the answers on stdin (one per prompt); true on success. */
function pamtester(service: string, user: string, answers: string[]): boolean {
  const run = spawnSync('pamtester', [service, user, 'authenticate'], { input: `${answers.join('\n')}\n`, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  // EPIPE: PAM refused before asking anything (e.g. a user pam_oath does not know) and pamtester
  // exited without reading the answers; its exit status still tells the result.
  if (run.error && (run.error as NodeJS.ErrnoException).code !== 'EPIPE') throw run.error;
  if (run.status === null) throw new Error(`pamtester did not finish: ${run.signal ?? 'no status'}`);
  return run.status === 0;
}

const nowStep = (): number => Math.floor(Date.now() / 1000 / 30);

/** Waits until at least `seconds` of the current 30 s step remain, so a sequence of codes stays in one step. */
async function awaitFreshStep(seconds: number): Promise<number> {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 200));
  return nowStep();
}

function pskcFile(): string {
  const keyPackage = (user: string, serial: string): string => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>TestVendor</Manufacturer><SerialNo>${serial}</SerialNo><UserId>${user}</UserId></DeviceInfo>
    <Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><Suite>HMAC-SHA1</Suite><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>${secrets[user]!.toString('base64')}</PlainValue></Secret>
        <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${keyPackage(otpUser, 'SN-A')}${keyPackage(pwUser, 'SN-B')}
</KeyContainer>
`;
}

/** The step of the last OTP pam_oath recorded for `user` (found with oathtool around the recorded time). */
function readPamStep(user: string): number {
  const entry = parsePamOathUsersfile(readFileSync(usersfile, 'utf8')).entries.find((item) => item.user === user);
  if (entry?.lastOtp == null) throw new Error(`pam_oath recorded no OTP for ${user}`);
  const now = nowStep();
  for (let step = now + 2; step >= now - 4; step -= 1) if (oathtool(user, step) === entry.lastOtp) return step;
  throw new Error(`the last OTP of ${user} matches no recent step`);
}

function run(command: string, args: string[], input?: string): void {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

describe.skipIf(!runnable)('pam_oath with the usersfile mng writes (pamtester, real PAM)', () => {
  beforeAll(() => {
    work = mkdtempSync('/tmp/mng-pam-oath-');
    usersfile = path.join(work, 'etc', 'users.oath');
    storeArgs = ['--state-dir', path.join(work, 'state'), '--key-file', path.join(work, 'keys', 'mfa.key')];
    // pam_oath looks the user up (pam_modutil_getpwnam): the users must exist; no home needed.
    for (const user of [otpUser, pwUser]) run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    run('chpasswd', [], `${pwUser}:${password}\n`);
    writeFileSync(path.join(work, 'tokens.pskc'), pskcFile());
  });

  afterAll(() => {
    for (const service of [otpService, pwService]) rmSync(path.join('/etc/pam.d', service), { force: true });
    for (const user of [otpUser, pwUser]) spawnSync('userdel', [user]);
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('mng mfa import-pskc stores both tokens', () => {
    const result = mng(['--json', 'mfa', 'import-pskc', 'tokens.pskc', ...storeArgs]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { imported: { user: string; serial: string }[] };
    expect(out.imported.map((item) => [item.user, item.serial])).toEqual([
      [otpUser, 'SN-A'],
      [pwUser, 'SN-B'],
    ]);
    const again = mng(['mfa', 'import-pskc', 'tokens.pskc', ...storeArgs]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('--replace');
  });

  it('mng mfa pam install writes a 0600 usersfile and prints the PAM line', () => {
    const result = mng(['--json', 'mfa', 'pam', 'install', '--usersfile', usersfile, ...storeArgs]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { line: string; added: string[]; written: string[] };
    pamLine = out.line;
    expect(pamLine).toBe(`auth requisite pam_oath.so usersfile=${usersfile} window=1 digits=6`);
    expect(out.added).toEqual([otpUser, pwUser].sort());
    expect(out.written).toEqual([]);
    expect(statSync(usersfile).mode & 0o777).toBe(0o600);
    expect(statSync(usersfile).uid).toBe(0);
    expect(statSync(path.dirname(usersfile)).mode & 0o022).toBe(0);
    const entries = parsePamOathUsersfile(readFileSync(usersfile, 'utf8')).entries;
    expect(entries.map((entry) => [entry.type, entry.user, entry.password, entry.secretHex])).toEqual(
      [otpUser, pwUser].sort().map((user) => ['HOTP/T30/6', user, '-', secrets[user]!.toString('hex')]),
    );
    writeFileSync(path.join('/etc/pam.d', otpService), `${pamLine}\n`);
    // Password + TOTP: Debian's password stack first, then the line mng printed.
    writeFileSync(path.join('/etc/pam.d', pwService), `@include common-auth\n${pamLine}\n`);
  });

  it('the right code logs in once; the same code again is refused (replay)', async () => {
    const step = await awaitFreshStep(12);
    // The previous step's code (window=1 accepts it), so a later test can still use the current one.
    const code = oathtool(otpUser, step - 1);
    expect(pamtester(otpService, otpUser, [code])).toBe(true);
    expect(pamtester(otpService, otpUser, [code])).toBe(false);
    // A wrong code (any other six digits) is refused too.
    expect(pamtester(otpService, otpUser, [code === '000000' ? '111111' : '000000'])).toBe(false);
  });

  it('sync moves the agent past the step pam_oath accepted, and a step the agent accepted is refused by PAM', async () => {
    const states = createFileVerificationStateStore({ dir: path.join(work, 'state', 'mfa', 'state') });
    const pamStep = readPamStep(otpUser);

    // PAM → agent: pam_oath accepted a code in the previous test.
    const first = mng(['--json', 'mfa', 'pam', 'sync', '--usersfile', usersfile, ...storeArgs]);
    expect(first.status).toBe(0);
    expect((JSON.parse(first.stdout) as { sharedToAgent: string[] }).sharedToAgent).toEqual([otpUser]);
    expect((await states.get(otpUser))?.lastAcceptedStep).toBe(pamStep);

    // Agent → PAM: the agent accepted the current code (as mfa-service records it).
    const step = await awaitFreshStep(12);
    expect(step).toBeGreaterThan(pamStep);
    await states.put({ ...(await states.get(otpUser))!, lastAcceptedStep: step });
    const second = mng(['--json', 'mfa', 'pam', 'sync', '--usersfile', usersfile, ...storeArgs]);
    expect(second.status).toBe(0);
    expect((JSON.parse(second.stdout) as { sharedToPam: string[] }).sharedToPam).toEqual([otpUser]);
    expect(readPamStep(otpUser)).toBe(step);

    // That code, and the one before it, are now refused at logon; the next one still works.
    expect(pamtester(otpService, otpUser, [oathtool(otpUser, step)])).toBe(false);
    expect(pamtester(otpService, otpUser, [oathtool(otpUser, step - 1)])).toBe(false);
    expect(pamtester(otpService, otpUser, [oathtool(otpUser, step + 1)])).toBe(true);
  });

  it('password + TOTP: the OS password (pam_unix) and then the code', async () => {
    const step = await awaitFreshStep(15);
    const code = oathtool(pwUser, step);
    expect(pamtester(pwService, pwUser, ['wrong-password', code])).toBe(false);
    expect(pamtester(pwService, pwUser, [password, code === '123456' ? '654321' : '123456'])).toBe(false);
    expect(pamtester(pwService, pwUser, [password, code])).toBe(true);
    expect(pamtester(pwService, pwUser, [password, code])).toBe(false);
  }, 60_000);

  it('a reset token is removed from the usersfile, so PAM refuses that user', () => {
    expect(mng(['mfa', 'reset', pwUser, '--enrollment', ...storeArgs]).status).toBe(0);
    const result = mng(['--json', 'mfa', 'pam', 'sync', '--usersfile', usersfile, ...storeArgs]);
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { removed: string[] }).removed).toEqual([pwUser]);
    expect(parsePamOathUsersfile(readFileSync(usersfile, 'utf8')).entries.map((entry) => entry.user)).toEqual([otpUser]);
    expect(pamtester(otpService, pwUser, [oathtool(pwUser, nowStep())])).toBe(false);
  });

  it('--write-pam writes the include file and adds it after @include common-auth, once', () => {
    const pamDir = path.join(work, 'pam.d');
    mkdirSync(pamDir);
    writeFileSync(path.join(pamDir, 'login'), 'auth requisite pam_nologin.so\n@include common-auth\nauth optional pam_group.so\n@include common-account\n', { mode: 0o644 });
    const args = ['--json', 'mfa', 'pam', 'install', '--usersfile', usersfile, '--write-pam', '--service', 'login', '--pam-dir', pamDir, ...storeArgs];
    const first = mng(args);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect((JSON.parse(first.stdout) as { written: string[] }).written).toEqual([path.join(pamDir, 'mynumber-guard-oath'), path.join(pamDir, 'login')]);
    const stack = (JSON.parse(first.stdout) as { stack: string[] }).stack;
    expect(stack).toEqual([
      expect.stringMatching(/^auth requisite pam_faillock\.so preauth deny=5 unlock_time=0 /),
      `auth [success=1 default=ignore] ${pamLine.replace('auth requisite ', '')}`,
      expect.stringMatching(/^auth \[default=die\] pam_faillock\.so authfail deny=5 /),
      'auth optional pam_faillock.so authsucc',
    ]);
    expect(readFileSync(path.join(pamDir, 'mynumber-guard-oath'), 'utf8')).toContain(`\n${stack.join('\n')}\n`);
    expect(statSync(path.join(pamDir, 'mynumber-guard-oath')).mode & 0o777).toBe(0o644);
    expect(readFileSync(path.join(pamDir, 'login'), 'utf8')).toBe(
      'auth requisite pam_nologin.so\n@include common-auth\n@include mynumber-guard-oath\nauth optional pam_group.so\n@include common-account\n',
    );
    expect(statSync(path.join(pamDir, 'login')).mode & 0o777).toBe(0o644);
    const second = mng(args);
    expect(second.status).toBe(0);
    expect((JSON.parse(second.stdout) as { written: string[] }).written).toEqual([path.join(pamDir, 'mynumber-guard-oath')]);

    includeFile = path.join(pamDir, 'mynumber-guard-oath');

    writeFileSync(path.join(pamDir, 'odd'), 'auth required pam_unix.so\n');
    const refused = mng(['mfa', 'pam', 'install', '--usersfile', usersfile, '--write-pam', '--service', 'odd', '--pam-dir', pamDir, ...storeArgs]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('@include mynumber-guard-oath');
    expect(readFileSync(path.join(pamDir, 'odd'), 'utf8')).toBe('auth required pam_unix.so\n');
  });

  it('the written stack limits attempts (pam_faillock): five wrong codes lock, the right one is refused, mng mfa reset opens it', async () => {
    writeFileSync(path.join('/etc/pam.d', otpService), readFileSync(includeFile, 'utf8'));
    spawnSync('faillock', ['--user', otpUser, '--reset']);
    const wrong = (step: number): string => (oathtool(otpUser, step) === '000000' ? '111111' : '000000');
    for (let attempt = 0; attempt < 5; attempt += 1) expect(pamtester(otpService, otpUser, [wrong(nowStep())])).toBe(false);
    expect(spawnSync('faillock', ['--user', otpUser], { encoding: 'utf8' }).stdout.split('\n').filter((line) => /\bV$|\bI$/.test(line.trim()))).toHaveLength(5);
    // Locked: the right code no longer helps (and, stopped before pam_oath, is not spent).
    expect(pamtester(otpService, otpUser, [oathtool(otpUser, nowStep())])).toBe(false);
    const reset = mng(['--json', 'mfa', 'reset', otpUser, ...storeArgs]);
    expect(reset.status).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ pamFaillock: 'reset' });
    // A code pam_oath has not seen yet (earlier tests spent the recent steps; window=1).
    const step = readPamStep(otpUser) + 1;
    while (nowStep() + 1 < step) await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pamtester(otpService, otpUser, [oathtool(otpUser, step)])).toBe(true);
  }, 90_000);
});
