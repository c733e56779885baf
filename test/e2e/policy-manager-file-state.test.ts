// The policy manager over the real file state store: what a restart of the agent does.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/shared/clock';
import type { AuditEventInput } from '../../src/agent/audit/model';
import { createPolicyBundle, createPolicyManager } from '../../src/agent/policy';
import { createFilePolicyStateStore, policyStateFileName } from '../../src/agent/platform/node';
import { createSigner, policyText, testNowMs, testWindow, trustOf } from '../helpers/policy-fixtures';

const root = mkdtempSync(path.join(tmpdir(), 'mng-manager-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const signer = createSigner();
const trust = trustOf(signer);
const encoder = new TextEncoder();
const bundleOf = (version: number) => createPolicyBundle(encoder.encode(policyText({ version, ...testWindow })), signer.key);

function boot(stateDir: string) {
  const events: AuditEventInput[] = [];
  const manager = createPolicyManager({
    trust,
    state: createFilePolicyStateStore({ stateDir }),
    audit: { append: async (event) => (events.push(event), { seq: events.length, hash: '0'.repeat(64) }) },
    clock: createFixedClock(testNowMs),
  });
  return { manager, events };
}

describe('policy manager with the file state store', () => {
  it('restores the last good policy after a restart and refuses a rollback across it', async () => {
    const stateDir = path.join(root, 'a');
    const first = boot(stateDir);
    await first.manager.restoreLastGood();
    expect((await first.manager.loadFromBytes(bundleOf(3), 'zone.bundle.json')).ok).toBe(true);
    expect(statSync(path.join(stateDir, policyStateFileName)).mode & 0o777).toBe(0o600);

    const second = boot(stateDir);
    const status = await second.manager.restoreLastGood();
    expect(status.state).toBe('active');
    expect(second.manager.current()?.version).toBe(3);
    const rollback = await second.manager.loadFromBytes(bundleOf(2), 'old.bundle.json');
    expect(!rollback.ok && rollback.error.code).toBe('rollback');
    expect(second.events.map((e) => e.type)).toEqual(['policy.restored', 'policy.rejected']);
  });

  it('a damaged state file: alert, no policy in force, recovers on the next good bundle', async () => {
    const stateDir = path.join(root, 'b');
    await boot(stateDir).manager.loadFromBytes(bundleOf(1), 'zone.bundle.json');
    writeFileSync(path.join(stateDir, policyStateFileName), '{"format":');
    const restarted = boot(stateDir);
    const status = await restarted.manager.restoreLastGood();
    expect(status.state).toBe('none');
    expect(status.findings.map((f) => f.code)).toEqual(['policy-missing', 'policy-state-unreadable']);
    expect((await restarted.manager.loadFromBytes(bundleOf(1), 'zone.bundle.json')).ok).toBe(true);
    expect((await boot(stateDir).manager.restoreLastGood()).state).toBe('active');
  });
});
