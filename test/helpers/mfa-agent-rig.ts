// The real agent (dist/agent.js) as a child process with the `mfa` control running, for the tray
// end-to-end test (test/e2e/tray-agent.test.ts) and `npm run bench -- mfa`: a signed policy bundle
// made from the default policy, a configuration with every path in a temporary folder, TOTP
// tokens enrolled beforehand through the same file store the agent reads, and the OS sessions from
// the scripted loginctl (fake-loginctl.ts) — the only stand-in: logind cannot run here (no systemd
// as PID 1). Socket, tokens, MFA files, audit log and status file are the agent's own.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSync } from 'otplib';
import type { SwitchableControl } from '../../src/agent/config';
import { nodeCryptoPlugin, type TokenRecord } from '../../src/agent/mfa';
import { createFileSecretStore } from '../../src/agent/platform/node';
import { createPolicyBundle } from '../../src/agent/policy';
import { createFakeLoginctl, type FakeLoginctl, type FakeLogindSession } from './fake-loginctl';
import { repoRoot } from './mng';
import { createSigner, defaultPolicyText } from './policy-fixtures';

export const agentBin = path.join(repoRoot, 'dist/agent.js');

/** `spec.mfa.lockout` of the signed policy (schema: maxFailures 1–20, delaySeconds 1–86,400 each). */
export interface RigLockout {
  readonly maxFailures: number;
  readonly delaySeconds: readonly number[];
  readonly lockUntilAdminReset: boolean;
}

/** Options of {@link startMfaAgentRig}. */
export interface MfaAgentRigOptions {
  readonly mode: 'monitor' | 'enforce';
  readonly disabledControls: readonly SwitchableControl[];
  readonly sessions: readonly FakeLogindSession[];
  /** Users to enroll a fresh 20-byte SHA1/6-digit/30 s token for before the agent starts. */
  readonly enroll?: readonly string[];
  /** Default: the default policy's lockout. */
  readonly lockout?: RigLockout;
  /** Agent setting; default 0 (never terminate a session: the test decides how long it runs). */
  readonly loginDeadlineSeconds?: number;
  /** Temp folder prefix. */
  readonly prefix?: string;
}

/** One audit record as the tests read it. */
export interface RigAuditRecord {
  readonly seq: number;
  /** ISO 8601 (the audit record's `time`). */
  readonly time: string;
  readonly type: string;
  readonly severity: string;
  readonly data: Record<string, unknown>;
}

/** The running rig. */
export interface MfaAgentRig {
  readonly dir: string;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly tokenDir: string;
  readonly auditPath: string;
  readonly statusPath: string;
  readonly loginctl: FakeLoginctl;
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** The agent's stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** The TOTP code of `user`'s token at `atMs` (default now), or at `step` when given. */
  codeAt(user: string, atMs?: number): string;
  codeAtStep(user: string, step: number): string;
  /** A 6-digit code that is valid at none of the steps around `atMs` (±2). */
  wrongCode(user: string, atMs?: number, salt?: number): string;
  /** Every audit record so far. */
  audit(): RigAuditRecord[];
  /** The status file (summary and each control's details), or undefined before the first write. */
  status(): RigStatus | undefined;
  /** SIGHUP: the agent re-reads its bundle and publishes its status; resolves when status.json changed. */
  republishStatus(timeoutMs?: number): Promise<RigStatus>;
  /** VmRSS of the agent process (KiB), from /proc/<pid>/status. */
  rssKiB(): number;
  /** SIGKILL: the agent is gone at once (the socket file stays, nobody listens). */
  kill(): Promise<void>;
  /** Stops the agent (SIGTERM, SIGKILL after 5 s) and removes the folder. */
  close(): Promise<void>;
}

/** The parts of status.json the tests read. */
export interface RigStatus {
  readonly pid: number;
  readonly summary: { readonly policy: { readonly id: string; readonly version: number } | null; readonly controls: readonly { readonly control: string; readonly state: string }[] };
  readonly controls: Record<string, unknown> & {
    readonly mfa?: { readonly sessions: readonly { readonly sessionId: string; readonly state: string; readonly reason: string | null }[]; readonly sessionSource: string };
  };
}

/** The default policy with its `spec.mfa.lockout` replaced. Throws if the default policy's layout changed. */
export function policyWithLockout(lockout: RigLockout | undefined): string {
  const text = defaultPolicyText();
  if (lockout === undefined) return text;
  const block = /^(\s+lockout:\n\s+maxFailures: )\d+(\n\s+delaySeconds: )\[[^\]\n]*\](\n\s+lockUntilAdminReset: )(?:true|false)$/m;
  if (!block.test(text)) throw new Error('mfa-agent-rig: the default policy has no spec.mfa.lockout block in the expected layout');
  return text.replace(block, `$1${lockout.maxFailures}$2[${lockout.delaySeconds.join(', ')}]$3${String(lockout.lockUntilAdminReset)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` returns a value other than undefined (polling every 20 ms). */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Starts the agent and resolves once its socket listens and root's token is issued. */
export async function startMfaAgentRig(options: MfaAgentRigOptions): Promise<MfaAgentRig> {
  const dir = mkdtempSync(path.join(tmpdir(), options.prefix ?? 'mng-mfa-rig-'));
  const stateDir = path.join(dir, 'state');
  const socketPath = path.join(dir, 'run', 'agent.sock');
  const tokenDir = path.join(dir, 'run', 'tokens');
  const keyFile = path.join(dir, 'keys', 'mfa.key');
  const bundlePath = path.join(dir, 'policy.bundle.json');
  const auditPath = path.join(stateDir, 'audit.jsonl');
  const statusPath = path.join(stateDir, 'status.json');
  const loginctl = createFakeLoginctl(path.join(dir, 'logind'), options.sessions);

  const signer = createSigner();
  writeFileSync(path.join(dir, 'it.pub.pem'), signer.publicKeyPem);
  writeFileSync(bundlePath, createPolicyBundle(Buffer.from(policyWithLockout(options.lockout)), signer.key));
  const configPath = path.join(dir, 'agent.yaml');
  writeFileSync(
    configPath,
    [
      `mode: ${options.mode}`,
      `stateDir: ${stateDir}`,
      `policyBundle: ${bundlePath}`,
      `trustStore: ${path.join(dir, 'it.pub.pem')}`,
      `logFile: ${path.join(dir, 'agent.log')}`,
      // Never contact the default policy's canaries from a test rig.
      'canaryProbes: false',
      `disabledControls: [${options.disabledControls.join(', ')}]`,
      `automountRulePath: ${path.join(dir, 'polkit', 'media.rules')}`,
      `socketPath: ${socketPath}`,
      `tokenDir: ${tokenDir}`,
      `mfaKeyFile: ${keyFile}`,
      `pamOathUsersfile: ${path.join(dir, 'users.oath')}`,
      `loginDeadlineSeconds: ${options.loginDeadlineSeconds ?? 0}`,
      '',
    ].join('\n'),
  );

  // Enrollment as `mng mfa enroll` leaves it: the token record in the agent's secret store layout
  // (<stateDir>/mfa/secrets, main.ts), encrypted under the key file the agent is configured with.
  const secrets = new Map<string, Uint8Array>();
  const store = createFileSecretStore({ dir: path.join(stateDir, 'mfa', 'secrets'), keyFile });
  for (const user of options.enroll ?? []) {
    const secret = new Uint8Array(randomBytes(20));
    const record: TokenRecord = { user, secret, algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 0, source: 'enrolled', serial: null, createdAt: new Date().toISOString() };
    await store.put(record);
    secrets.set(user, secret);
  }

  const child = spawn(process.execPath, [agentBin, '--config', configPath], {
    env: { ...process.env, PATH: loginctl.pathEnv(), LANG: 'ja_JP.UTF-8' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stopChild = async (): Promise<void> => {
    if (gone()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const secretOf = (user: string): Uint8Array => {
    const secret = secrets.get(user);
    if (secret === undefined) throw new Error(`mfa-agent-rig: no token enrolled for ${user}`);
    return secret;
  };
  const codeAtStep = (user: string, step: number): string => generateSync({ secret: secretOf(user), epoch: step * 30, crypto: nodeCryptoPlugin });
  const readStatus = (): RigStatus | undefined => {
    if (!existsSync(statusPath)) return undefined;
    try {
      return JSON.parse(readFileSync(statusPath, 'utf8')) as RigStatus;
    } catch (_halfWritten) {
      // Written atomically (rename), so this is not expected; the next poll reads it again.
      return undefined;
    }
  };

  const rig: MfaAgentRig = {
    dir,
    stateDir,
    socketPath,
    tokenDir,
    auditPath,
    statusPath,
    loginctl,
    pid: child.pid ?? -1,
    child,
    output: () => ({ stdout, stderr }),
    codeAt: (user, atMs = Date.now()) => codeAtStep(user, Math.floor(atMs / 30_000)),
    codeAtStep,
    wrongCode(user, atMs = Date.now(), salt = 0) {
      const step = Math.floor(atMs / 30_000);
      const valid = new Set([-2, -1, 0, 1, 2].map((delta) => codeAtStep(user, step + delta)));
      for (let n = salt; ; n += 1) {
        const candidate = String((123_457 * (n + 1)) % 1_000_000).padStart(6, '0');
        if (!valid.has(candidate)) return candidate;
      }
    },
    audit() {
      if (!existsSync(auditPath)) return [];
      return readFileSync(auditPath, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as RigAuditRecord);
    },
    status: readStatus,
    async republishStatus(timeoutMs = 10_000) {
      const before = existsSync(statusPath) ? statSync(statusPath).mtimeMs : 0;
      child.kill('SIGHUP');
      await waitFor('status.json rewritten after SIGHUP', () => (existsSync(statusPath) && statSync(statusPath).mtimeMs !== before ? true : undefined), timeoutMs);
      return waitFor('a readable status.json', readStatus, timeoutMs);
    },
    rssKiB() {
      const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match === null) throw new Error('mfa-agent-rig: no VmRSS line');
      return Number(match[1]);
    },
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await waitFor(
      'the agent socket and root token',
      () => {
        if (gone()) throw new Error(`the agent exited (${String(child.exitCode ?? child.signalCode)})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        return existsSync(socketPath) && existsSync(path.join(tokenDir, '0')) && /適用しました/.test(stdout) ? true : undefined;
      },
      20_000,
    );
  } catch (error) {
    await rig.close();
    throw error;
  }
  return rig;
}
