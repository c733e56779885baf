import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { generateSync } from 'otplib';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCryptoPlugin } from '../../agent/mfa';
import { systemClock } from '../../shared/clock';
import type { ExitCode } from '../context';
import { openMfaStores } from '../mfa-stores';
import { repoRoot, runMng } from '../../../test/helpers/mng';
import { registerMfaCommands } from './mfa';
import type { PamFaillockReset } from '../pam-faillock';

const policyFile = path.join(repoRoot, 'policies/mynumber-zone.yaml');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function root(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-mfa-cli-'));
  dirs.push(dir);
  return dir;
}

interface Run {
  stdout: string;
  stderr: string;
  exit: ExitCode | undefined;
}

const faillockResets: string[] = [];
let faillockAnswer: PamFaillockReset = 'reset';

async function run(args: string[], lines: (out: () => string) => AsyncIterable<string> = async function* () {}): Promise<Run> {
  const result: Run = { stdout: '', stderr: '', exit: undefined };
  const program = new Command('mng').option('--json').option('--lang <lang>').option('--debug').exitOverride();
  registerMfaCommands(
    program,
    {
      io: { stdout: (t) => (result.stdout += t), stderr: (t) => (result.stderr += t), env: {}, cwd: '/', clock: systemClock },
      setExit: (code) => (result.exit = code),
    },
    { readLines: () => lines(() => result.stdout), hostName: () => 'pc-01', resetFaillock: (user) => {
        faillockResets.push(user);
        return Promise.resolve(faillockAnswer);
      },
    },
  );
  await program.parseAsync(['node', 'mng', '--lang', 'en', ...args]);
  return result;
}

function storeArgs(dir: string): string[] {
  return ['--state-dir', path.join(dir, 'var'), '--key-file', path.join(dir, 'etc/mfa.key'), '--policy', policyFile];
}

function codeFromUri(output: string): string {
  const uri = /otpauth:\/\/\S+/.exec(output)?.[0];
  if (uri === undefined) throw new Error('no URI printed');
  return generateSync({ secret: new URL(uri).searchParams.get('secret')!, epoch: Math.floor(Date.now() / 1000), crypto: nodeCryptoPlugin });
}

describe('mng mfa', () => {
  it('enroll prints the QR and URI once, stores the token only after a correct code, then status shows it', async () => {
    const dir = root();
    const enrolled = await run(['mfa', 'enroll', 'taro', ...storeArgs(dir)], async function* (out) {
      yield '12';
      yield '000000' === codeFromUri(out()) ? '000001' : '000000';
      yield codeFromUri(out());
    });
    expect(enrolled.exit).toBe(0);
    expect(enrolled.stdout).toMatch(/otpauth:\/\/totp\/mynumber-guard:taro%40pc-01\?secret=[A-Z2-7]{32}/);
    expect(enrolled.stdout).toContain('taro is enrolled');
    expect(enrolled.stderr).toContain('the code is 6 digits');
    expect(enrolled.stderr).toContain('wrong code');
    expect(statMode(path.join(dir, 'etc/mfa.key'))).toBe(0o600);
    const stores = openMfaStores({ stateDir: path.join(dir, 'var'), keyFile: path.join(dir, 'etc/mfa.key') });
    expect((await stores.secrets.get('taro'))?.secret).toHaveLength(20);
    const journal = readFileSync(path.join(dir, 'var/mfa/admin-events.jsonl'), 'utf8');
    expect(journal).toContain('"mfa.enrolled"');
    expect(journal).not.toMatch(/secret=|otpauth/);

    const status = await run(['--json', 'mfa', 'status', ...storeArgs(dir)]);
    expect(status.exit).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ users: [{ user: 'taro', enrolled: true, source: 'enrolled', lockout: { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false } }] });

    const again = await run(['mfa', 'enroll', 'taro', ...storeArgs(dir)]);
    expect(again.exit).toBe(2);
    expect(again.stderr).toContain('already enrolled');
  });

  it('enroll without a correct code stores nothing and exits 1; --json prints the URI', async () => {
    const dir = root();
    const failed = await run(['--json', 'mfa', 'enroll', 'hanako', ...storeArgs(dir)], async function* () {
      yield '000000';
    });
    expect(failed.exit).toBe(1);
    expect(JSON.parse(failed.stdout.split('\n')[0]!)).toMatchObject({ user: 'hanako', uri: expect.stringMatching(/^otpauth:/) });
    expect(existsSync(path.join(dir, 'var/mfa/secrets'))).toBe(false);
  });

  it('emergency-code issues a code once; reset clears a lockout and --enrollment removes the token', async () => {
    const dir = root();
    const issued = await run(['--json', 'mfa', 'emergency-code', 'taro', ...storeArgs(dir)]);
    expect(issued.exit).toBe(0);
    const { code, expiresAt } = JSON.parse(issued.stdout) as { code: string; expiresAt: string };
    expect(code).toMatch(/^\d{5}-\d{5}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(readFileSync(path.join(dir, 'var/mfa/emergency', `${Buffer.from('taro').toString('hex')}.emergency.json`), 'utf8')).not.toContain(code.replace('-', ''));

    const stores = openMfaStores({ stateDir: path.join(dir, 'var'), keyFile: path.join(dir, 'etc/mfa.key') });
    await stores.states.put({ user: 'taro', lastAcceptedStep: 1, failures: 25, lockedUntilMs: 0, adminResetRequired: true });
    const locked = await run(['mfa', 'status', ...storeArgs(dir)]);
    expect(locked.stdout).toContain('admin reset required');
    const reset = await run(['mfa', 'reset', 'taro', '--state-dir', path.join(dir, 'var'), '--key-file', path.join(dir, 'etc/mfa.key')]);
    expect(reset.exit).toBe(0);
    expect(await stores.states.get('taro')).toMatchObject({ failures: 0, adminResetRequired: false, lastAcceptedStep: 1 });
    expect(reset.stdout).toContain('cleared the lockout of taro');
    // The logon side (pam_faillock) is cleared with it.
    expect(faillockResets.at(-1)).toBe('taro');
    expect(reset.stdout).toContain('pam_faillock');
    faillockAnswer = { failed: 'faillock: Error resetting records' };
    const half = await run(['--json', 'mfa', 'reset', 'taro', '--state-dir', path.join(dir, 'var'), '--key-file', path.join(dir, 'etc/mfa.key')]);
    faillockAnswer = 'reset';
    expect(half.exit).toBe(1);
    expect(JSON.parse(half.stdout)).toMatchObject({ user: 'taro', reset: true, pamFaillock: 'failed' });
  });

  it('refuses a bad user name and a missing policy with one clear line', async () => {
    const dir = root();
    const bad = await run(['mfa', 'reset', 'a\nb', '--state-dir', path.join(dir, 'var')]);
    expect(bad.exit).toBe(2);
    expect(bad.stderr).toMatch(/^mng: user name .* cannot be used/);
    const missing = await run(['mfa', 'status', '--state-dir', path.join(dir, 'var'), '--policy', path.join(dir, 'none.yaml')]);
    expect(missing.exit).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('works from the built mng binary (status, emergency-code)', () => {
    const dir = root();
    const args = storeArgs(dir);
    const status = runMng(['--lang', 'en', 'mfa', 'status', ...args]);
    expect(status.stderr).toBe('');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('no users are enrolled');
    const issued = runMng(['--json', 'mfa', 'emergency-code', 'taro', ...args]);
    expect(issued.status).toBe(0);
    expect(JSON.parse(issued.stdout).code).toMatch(/^\d{5}-\d{5}$/);
  });
});

function statMode(file: string): number {
  return statSync(file).mode & 0o777;
}
