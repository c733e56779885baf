// `mng mfa …` cannot write the hash-chained audit log (the agent is its only writer): it journals
// its administration, and the real agent copies each journal line into the audit log once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyBundle } from '../../src/agent/policy';
import { repoRoot, runMng } from '../helpers/mng';
import { createSigner, defaultPolicyText } from '../helpers/policy-fixtures';

describe('mng MFA administration reaches the audit log through the agent', () => {
  let dir: string;
  const signer = createSigner();

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-mfa-journal-'));
    writeFileSync(path.join(dir, 'it.pub.pem'), signer.publicKeyPem);
    writeFileSync(path.join(dir, 'policy.bundle.json'), createPolicyBundle(Buffer.from(defaultPolicyText()), signer.key));
    writeFileSync(
      path.join(dir, 'agent.yaml'),
      [
        'mode: monitor',
        `stateDir: ${path.join(dir, 'state')}`,
        `policyBundle: ${path.join(dir, 'policy.bundle.json')}`,
        `trustStore: ${path.join(dir, 'it.pub.pem')}`,
        `logFile: ${path.join(dir, 'agent.log')}`,
        `socketPath: ${path.join(dir, 'run', 'agent.sock')}`,
        `tokenDir: ${path.join(dir, 'run', 'tokens')}`,
        `mfaKeyFile: ${path.join(dir, 'keys', 'mfa.key')}`,
        `pamOathUsersfile: ${path.join(dir, 'users.oath')}`,
        'canaryProbes: false',
        'disabledControls: [usb, media, channels, isolation]',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const agentOnce = () => spawnSync(process.execPath, [path.join(repoRoot, 'dist/agent.js'), '--config', path.join(dir, 'agent.yaml'), '--once'], { encoding: 'utf8' });
  const auditTypes = () =>
    readFileSync(path.join(dir, 'state', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { source?: string; user?: string } });

  it('copies a reset done by mng once, even over two agent runs', () => {
    expect(agentOnce().status).toBe(0);
    const reset = runMng(['mfa', 'reset', 'taro', '--state-dir', path.join(dir, 'state'), '--key-file', path.join(dir, 'keys', 'mfa.key'), '--lang', 'en']);
    expect(reset.status, reset.stderr).toBe(0);
    expect(agentOnce().status).toBe(0);
    expect(agentOnce().status).toBe(0);
    const resets = auditTypes().filter((e) => e.type === 'mfa.reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]?.data).toMatchObject({ source: 'mng', user: 'taro' });
    // And the audit log still verifies.
    const verify = runMng(['audit', 'verify', path.join(dir, 'state', 'audit.jsonl'), '--lang', 'en']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });
});
