// `mng isolation check --state-dir`: the check runs against the policy the agent has in force (its
// last good bundle, verified again with the trusted keys). The policy here has no canaries, so the
// check reads this machine's interfaces and routes and contacts nobody.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createPolicyBundle } from '../../src/agent/policy';
import { repoRoot, runMng } from '../helpers/mng';
import { createSigner, defaultPolicyText } from '../helpers/policy-fixtures';
import { needTools } from '../helpers/system-tools';

describe.skipIf(!needTools('ip'))('mng isolation check --state-dir', () => {
  let dir: string;
  const signer = createSigner();
  const other = createSigner();

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-iso-state-'));
    writeFileSync(path.join(dir, 'it.pub.pem'), signer.publicKeyPem);
    writeFileSync(path.join(dir, 'other.pub.pem'), other.publicKeyPem);
    const document = parse(defaultPolicyText()) as { spec: { isolation: { canaries: unknown[] } } };
    document.spec.isolation.canaries = [];
    writeFileSync(path.join(dir, 'policy.bundle.json'), createPolicyBundle(Buffer.from(stringify(document)), signer.key));
    writeFileSync(
      path.join(dir, 'agent.yaml'),
      [
        'mode: monitor',
        `stateDir: ${path.join(dir, 'state')}`,
        `policyBundle: ${path.join(dir, 'policy.bundle.json')}`,
        `trustStore: ${path.join(dir, 'it.pub.pem')}`,
        `logFile: ${path.join(dir, 'agent.log')}`,
        'canaryProbes: false',
        'disabledControls: [usb, media, channels, isolation, mfa]',
        '',
      ].join('\n'),
    );
    const once = spawnSync(process.execPath, [path.join(repoRoot, 'dist/agent.js'), '--config', path.join(dir, 'agent.yaml'), '--once'], { encoding: 'utf8' });
    expect(once.status, once.stderr).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks against the policy in force (this machine is outside the template CIDRs: violations, exit 1)', () => {
    const result = runMng(['isolation', 'check', '--state-dir', path.join(dir, 'state'), '--trust', path.join(dir, 'it.pub.pem'), '--lang', 'en', '--json']);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { isolated: boolean; findings: { code: string }[] };
    expect(report.isolated).toBe(false);
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it('refuses a state whose bundle the given keys do not verify', () => {
    const result = runMng(['isolation', 'check', '--state-dir', path.join(dir, 'state'), '--trust', path.join(dir, 'other.pub.pem'), '--lang', 'en']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/policy-state\.json/);
  });

  it('says what is wrong with an empty state folder, or with both --policy and --state-dir', () => {
    const empty = runMng(['isolation', 'check', '--state-dir', path.join(dir, 'nothing-here'), '--lang', 'en']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/no policy in force/);
    const both = runMng(['isolation', 'check', '--state-dir', dir, '--policy', 'x.yaml', '--lang', 'en']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --policy and --state-dir/);
  });
});
