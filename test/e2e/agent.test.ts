// The real agent bundle (dist/agent.js) as a process: it enforces the last good policy when a bad
// bundle arrives, audits the refusal, and stops cleanly. Checked through its status file, its
// stdout and its audit log, which `mng audit verify` must still accept.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPolicyBundle, generateSigningKeyPair, parsePrivateKey } from '../../src/agent/policy';
import { repoRoot, runMng } from '../helpers/mng';

const agentBin = path.join(repoRoot, 'dist/agent.js');
const defaultPolicy = readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8');

function policyWithVersion(version: number): Buffer {
  const text = defaultPolicy.replace(/^(\s+version:\s*)\d+/m, `$1${version}`);
  expect(text).toContain(`version: ${version}`);
  return Buffer.from(text);
}

interface AgentProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited(): Promise<number | null>;
}

function startAgent(args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [agentBin, ...args], {
    env: { ...process.env, LANG: 'ja_JP.UTF-8', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stdout,
    waitFor: async (pattern, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = stdout.match(pattern);
        if (match) return match[0];
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`agent output never matched ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    },
    exited: () => exit,
  };
}

function auditTypes(auditPath: string): string[] {
  return readFileSync(auditPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { type: string }).type);
}

describe('agent process', () => {
  let dir: string;
  let running: AgentProcess | undefined;
  let signer: ReturnType<typeof parsePrivateKey>;
  let bundlePath: string;
  let configPath: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-agent-'));
    const pair = generateSigningKeyPair();
    signer = parsePrivateKey(pair.privateKeyPem);
    writeFileSync(path.join(dir, 'it.pub.pem'), pair.publicKeyPem);
    bundlePath = path.join(dir, 'policy.bundle.json');
    configPath = path.join(dir, 'agent.yaml');
    writeFileSync(
      configPath,
      [
        'mode: monitor',
        `stateDir: ${path.join(dir, 'state')}`,
        `policyBundle: ${bundlePath}`,
        `trustStore: ${path.join(dir, 'it.pub.pem')}`,
        `logFile: ${path.join(dir, 'agent.log')}`,
        // Network tests only contact loopback and their own namespaces: never the policy's canaries.
        'canaryProbes: false',
        `automountRulePath: ${path.join(dir, 'polkit', 'media.rules')}`,
        `socketPath: ${path.join(dir, 'run', 'agent.sock')}`,
        `tokenDir: ${path.join(dir, 'run', 'tokens')}`,
        `mfaKeyFile: ${path.join(dir, 'keys', 'mfa.key')}`,
        '',
      ].join('\n'),
    );
  });

  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited();
    }
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function sign(payload: Buffer): Buffer {
    if (!signer.ok) throw new Error('test key did not parse');
    return Buffer.from(createPolicyBundle(payload, signer.value));
  }

  it('keeps the last good policy when a tampered bundle arrives, audits it, and stops cleanly on SIGINT', async () => {
    const good = sign(policyWithVersion(3));
    writeFileSync(bundlePath, good);
    running = startAgent(['--config', configPath]);
    await running.waitFor(/ポリシー mynumber-zone-default 版 3 を適用しました/);
    expect(running.output()).toContain('監視モード');
    expect(running.output()).toMatch(/マシンID:\s+\S+/);

    // One byte of the signed payload changed: base64 of the payload no longer matches the signature.
    const tampered = Buffer.from(good);
    const payloadAt = tampered.indexOf('"payload"') + 20;
    tampered[payloadAt] = tampered[payloadAt] === 0x41 ? 0x42 : 0x41;
    writeFileSync(bundlePath, tampered);
    running.child.kill('SIGHUP');
    await running.waitFor(/ポリシーバンドルを拒否しました（[a-z-]+）/);

    const status = JSON.parse(readFileSync(path.join(dir, 'state', 'status.json'), 'utf8')) as {
      summary: { policy: { id: string; version: number; signature: string } };
      lastRejection: { code: string } | null;
    };
    expect(status.summary.policy).toMatchObject({ id: 'mynumber-zone-default', version: 3, signature: 'verified' });
    expect(status.lastRejection?.code).toBe('bad-signature');

    // A lower version, validly signed, is a rollback: refused too, version 3 stays.
    writeFileSync(bundlePath, sign(policyWithVersion(2)));
    running.child.kill('SIGHUP');
    await running.waitFor(/拒否しました（rollback）/);

    running.child.kill('SIGINT');
    expect(await running.exited()).toBe(0);
    expect(running.output()).toContain('停止しました（SIGINT）');

    const auditPath = path.join(dir, 'state', 'audit.jsonl');
    const types = auditTypes(auditPath);
    expect(types[0]).toBe('agent.started');
    expect(types.filter((type) => type === 'policy.applied')).toHaveLength(1);
    expect(types.filter((type) => type === 'policy.rejected')).toHaveLength(2);
    expect(types.at(-1)).toBe('agent.stopped');
    const verify = runMng(['audit', 'verify', auditPath]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });

  it('applies a newer version dropped into place while it runs (no signal), and restores it after a restart', async () => {
    writeFileSync(bundlePath, sign(policyWithVersion(1)));
    running = startAgent(['--config', configPath]);
    await running.waitFor(/版 1 を適用しました/);
    // Written in place, as IT's deployment tool would: the agent notices the file change itself.
    writeFileSync(bundlePath, sign(policyWithVersion(2)));
    await running.waitFor(/版 2 を適用しました/);
    expect(running.output().match(/版 2 を適用しました/g)).toHaveLength(1);
    running.child.kill('SIGTERM');
    expect(await running.exited()).toBe(0);

    // After a restart with the old bundle back in place, the persisted rollback record refuses it
    // and the last good version 2 is enforced from the state folder.
    writeFileSync(bundlePath, sign(policyWithVersion(1)));
    const once = spawnSync(process.execPath, [agentBin, '--config', configPath, '--once', '--lang', 'en'], { encoding: 'utf8' });
    expect(once.status).toBe(0);
    expect(once.stdout).toMatch(/policy bundle refused \(rollback\)/);
    expect(once.stdout).toMatch(/mynumber-zone-default version 2, signature verified/);
  });

  it('starts with no policy in force (default deny) when the first bundle is bad, and says so', () => {
    writeFileSync(bundlePath, 'not a bundle');
    const once = spawnSync(process.execPath, [agentBin, '--config', configPath, '--once', '--lang', 'en'], { encoding: 'utf8' });
    expect(once.status).toBe(1);
    expect(once.stdout).toMatch(/no policy in force: everything is denied by default/);
    expect(once.stdout).toMatch(/policy bundle refused \(bundle-malformed\)/);
  });

  it('refuses to start without a configuration unless --dev is given', () => {
    const result = spawnSync(process.execPath, [agentBin, '--config', path.join(dir, 'missing.yaml')], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'en_US.UTF-8' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/missing\.yaml/);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('names the bad setting of a configuration file', () => {
    writeFileSync(configPath, 'mode: observe\n');
    const result = spawnSync(process.execPath, [agentBin, '--config', configPath], { encoding: 'utf8', env: { ...process.env, LANG: 'ja_JP.UTF-8' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${configPath}: 設定項目 mode`);
  });

  it('rejects an unknown flag with a clear line', () => {
    const result = spawnSync(process.execPath, [agentBin, '--moode', 'x'], { encoding: 'utf8', env: { ...process.env, LANG: 'en_US.UTF-8' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/bad arguments: .*--moode.*see --help/);
  });

  it('runs the quick start (--dev) with development defaults outside the repository', () => {
    const result = spawnSync(process.execPath, [agentBin, '--dev', '--once'], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'ja_JP.UTF-8', XDG_STATE_HOME: dir },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`開発用の既定設定で起動しています（状態: ${path.join(dir, 'mynumber-guard-dev')}）`);
    expect(result.stdout).toMatch(/ゾーンポリシー\s+\[正常\] mynumber-zone-default 版 2、署名検証済み/);
    expect(result.stdout).toMatch(/USB 機器制御\s+\[(要確認|監視のみ)\]/);
    // A second start reuses the key and bundle: the same policy, unchanged.
    const again = spawnSync(process.execPath, [agentBin, '--dev', '--once'], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'ja_JP.UTF-8', XDG_STATE_HOME: dir },
    });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('ポリシー mynumber-zone-default 版 2 は変更なし');
  });
});
