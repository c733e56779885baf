import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { isAuditEventType, type AuditEventInput, type AuditSink } from '../audit';
import { createSigner, policyText, testNowMs, testWindow, trustOf } from '../../../test/helpers/policy-fixtures';
import { createMemoryPolicyStateStore } from './memory-policy-state-store';
import { createPolicyManager } from './policy-manager';
import { parsePolicyState, serializePolicyState } from './policy-state';
import { createPolicyBundle } from './sign-bundle';
import type { TrustStore } from './keys';
import type { PolicyStateStore } from './ports';

const encoder = new TextEncoder();

/** In-memory audit sink: records every event in order; refuses what the real log refuses. */
function createMemoryAudit(): AuditSink & { events: AuditEventInput[]; types(): string[] } {
  const events: AuditEventInput[] = [];
  return {
    events,
    types: () => events.map((e) => e.type),
    append: async (event) => {
      if (!isAuditEventType(event.type)) throw new Error(`bad audit event type ${event.type}`);
      events.push(event);
      return { seq: events.length, hash: String(events.length).padStart(64, '0') };
    },
  };
}

const signer = createSigner();
const trust = trustOf(signer);

function bundleOf(version: number, overrides: Parameters<typeof policyText>[0] = {}): Uint8Array {
  return createPolicyBundle(encoder.encode(policyText({ version, ...testWindow, ...overrides })), signer.key);
}

function setup(options: { store?: PolicyStateStore; trust?: TrustStore; nowMs?: number } = {}) {
  const store = options.store ?? createMemoryPolicyStateStore();
  const audit = createMemoryAudit();
  const clock = createFixedClock(options.nowMs ?? testNowMs);
  const manager = createPolicyManager({ trust: options.trust ?? trust, state: store, audit, clock });
  return { store, audit, clock, manager };
}

function tamper(bytes: Uint8Array): Uint8Array {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as { payload: string };
  const raw = Buffer.from(doc.payload, 'base64');
  raw[100] = (raw[100] ?? 0) ^ 1;
  doc.payload = raw.toString('base64');
  return encoder.encode(JSON.stringify(doc));
}

describe('policy manager', () => {
  it('applies a good bundle, persists it, audits policy.applied', async () => {
    const { manager, audit, store } = setup();
    const result = await manager.loadFromBytes(bundleOf(3), '/etc/mng/zone.bundle.json');
    expect(result.ok).toBe(true);
    expect(manager.current()).toMatchObject({ version: 3, keyId: signer.keyId, source: '/etc/mng/zone.bundle.json', appliedAtMs: testNowMs });
    expect(manager.status().state).toBe('active');
    expect(manager.status().findings).toEqual([]);
    expect(audit.events.at(-1)).toMatchObject({ type: 'policy.applied', severity: 'notice', data: { version: 3, keyId: signer.keyId } });
    const saved = await store.read();
    const state = saved && parsePolicyState(saved);
    expect(state && state.ok && state.value.accepted).toEqual([
      expect.objectContaining({ id: manager.current()?.id, version: 3, payloadSha256: manager.current()?.payloadSha256 }),
    ]);
  });

  it('refuses a tampered bundle: current() unchanged, policy.rejected audited, rejection returned', async () => {
    const { manager, audit } = setup();
    const good = bundleOf(3);
    await manager.loadFromBytes(good, 'a');
    const before = manager.current();
    const result = await manager.loadFromBytes(tamper(bundleOf(4)), 'b');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('bad-signature');
    expect(manager.current()).toBe(before);
    expect(audit.events.at(-1)).toEqual({
      type: 'policy.rejected',
      severity: 'warning',
      data: expect.objectContaining({ source: 'b', code: 'bad-signature', keyId: signer.keyId, message: expect.stringContaining('does not match') }),
    });
    expect(manager.status().lastRejection).toMatchObject({ code: 'bad-signature', source: 'b', atMs: testNowMs });
  });

  it('refuses a lower version (rollback) and the same version with other content (version-reuse)', async () => {
    const { manager, audit } = setup();
    await manager.loadFromBytes(bundleOf(5), 'a');
    const lower = await manager.loadFromBytes(bundleOf(4), 'b');
    expect(!lower.ok && lower.error.code).toBe('rollback');
    expect(audit.events.at(-1)?.data).toMatchObject({ code: 'rollback', version: 4, lastAcceptedVersion: 5 });
    const reuse = await manager.loadFromBytes(bundleOf(5, { issuer: 'someone else' }), 'c');
    expect(!reuse.ok && reuse.error.code).toBe('version-reuse');
    expect(manager.current()?.version).toBe(5);
  });

  it('treats the same bundle again as unchanged (no new apply time, no write)', async () => {
    const store = createMemoryPolicyStateStore();
    const { manager, audit, clock } = setup({ store });
    const bytes = bundleOf(2);
    await manager.loadFromBytes(bytes, 'a');
    clock.advanceMs(1000);
    const result = await manager.loadFromBytes(bytes, 'a');
    expect(result.ok && result.value.appliedAtMs).toBe(testNowMs);
    expect(store.writes).toBe(1);
    expect(audit.types().at(-1)).toBe('policy.unchanged');
  });

  it('restores the last good policy after a restart, and keeps refusing rollback across it', async () => {
    const store = createMemoryPolicyStateStore();
    const first = setup({ store });
    await first.manager.loadFromBytes(bundleOf(7), '/etc/mng/zone.bundle.json');

    const second = setup({ store });
    expect(second.manager.current()).toBeUndefined();
    const status = await second.manager.restoreLastGood();
    expect(status.state).toBe('active');
    expect(status.active).toMatchObject({ version: 7, source: '/etc/mng/zone.bundle.json', appliedAtMs: testNowMs });
    expect(second.manager.current()?.payloadSha256).toBe(first.manager.current()?.payloadSha256);
    expect(second.audit.events.at(-1)).toMatchObject({ type: 'policy.restored', severity: 'info', data: { state: 'active', version: 7 } });

    const rollback = await second.manager.loadFromBytes(bundleOf(6), 'old');
    expect(!rollback.ok && rollback.error.code).toBe('rollback');
    expect(second.manager.current()?.version).toBe(7);
  });

  it('keeps enforcing an expired last-good policy, with a policy-expired finding', async () => {
    const store = createMemoryPolicyStateStore();
    await setup({ store }).manager.loadFromBytes(bundleOf(2), 'a');
    const later = setup({ store, nowMs: Date.parse(testWindow.notAfter) + 1 });
    const status = await later.manager.restoreLastGood();
    expect(status.state).toBe('expired');
    expect(later.manager.current()?.version).toBe(2);
    expect(status.findings.map((f) => f.code)).toEqual(['policy-expired']);
    expect(status.findings[0]?.message.en).toContain('stays in force');
    expect(later.audit.events.at(-1)).toMatchObject({ type: 'policy.restored', severity: 'warning', data: { state: 'expired' } });
    // A new expired bundle is still refused: only the last good one is kept past its end.
    const fresh = await later.manager.loadFromBytes(bundleOf(3), 'b');
    expect(!fresh.ok && fresh.error.code).toBe('expired');
    expect(later.manager.current()?.version).toBe(2);
  });

  it('reports expiry at run time too, without a restart', async () => {
    const { manager, clock } = setup();
    await manager.loadFromBytes(bundleOf(2), 'a');
    clock.setMs(Date.parse(testWindow.notAfter));
    expect(manager.status().state).toBe('expired');
    expect(manager.current()?.version).toBe(2);
  });

  it('drops a last-good bundle whose key left the trust store (fail closed), with an alert', async () => {
    const store = createMemoryPolicyStateStore();
    await setup({ store }).manager.loadFromBytes(bundleOf(2), 'a');
    const other = createSigner();
    const restarted = setup({ store, trust: trustOf(other) });
    const status = await restarted.manager.restoreLastGood();
    expect(status.state).toBe('none');
    expect(restarted.manager.current()).toBeUndefined();
    expect(status.findings.map((f) => f.code)).toEqual(['policy-missing', 'last-good-rejected']);
    expect(restarted.audit.events.at(-1)).toMatchObject({ type: 'policy.restore-failed', severity: 'alert', data: { code: 'unknown-key' } });
  });

  it('drops a last-good bundle older than its own rollback record (state mixed up)', async () => {
    const store = createMemoryPolicyStateStore();
    const first = setup({ store });
    await first.manager.loadFromBytes(bundleOf(2), 'a');
    const bytes = await store.read();
    const parsed = bytes && parsePolicyState(bytes);
    if (!parsed || !parsed.ok) throw new Error('state');
    const record = parsed.value.accepted[0];
    if (!record) throw new Error('record');
    await store.write(serializePolicyState({ ...parsed.value, accepted: [{ ...record, version: 9 }] }));
    const restarted = setup({ store });
    const status = await restarted.manager.restoreLastGood();
    expect(status.state).toBe('none');
    expect(restarted.audit.events.at(-1)?.data).toMatchObject({ code: 'rollback' });
  });

  it('starts with no policy when nothing was ever applied (default deny finding)', async () => {
    const { manager, audit } = setup();
    const status = await manager.restoreLastGood();
    expect(status.state).toBe('none');
    expect(status.findings[0]).toMatchObject({ code: 'policy-missing', severity: 'alert' });
    expect(audit.types()).toEqual(['policy.missing']);
  });

  it('survives an unreadable state file: alert, start empty, rewrite on the next apply', async () => {
    const store = createMemoryPolicyStateStore(encoder.encode('{ not json'));
    const { manager, audit } = setup({ store });
    const status = await manager.restoreLastGood();
    expect(status.findings.map((f) => f.code)).toContain('policy-state-unreadable');
    expect(audit.types()).toEqual(['policy.state-unreadable', 'policy.missing']);
    expect((await manager.loadFromBytes(bundleOf(1), 'a')).ok).toBe(true);
    expect(manager.status().findings).toEqual([]);
    const saved = await store.read();
    expect(saved && parsePolicyState(saved).ok).toBe(true);
  });

  it('does not apply a policy whose state could not be saved', async () => {
    const store = createMemoryPolicyStateStore();
    const failing: PolicyStateStore = { location: 'broken', read: store.read, write: async () => Promise.reject(new Error('disk full')) };
    const { manager } = setup({ store: failing });
    await expect(manager.loadFromBytes(bundleOf(1), 'a')).rejects.toThrow('disk full');
    expect(manager.current()).toBeUndefined();
    // The queue keeps working after a failure.
    expect((await manager.loadFromBytes(tamper(bundleOf(1)), 'b')).ok).toBe(false);
  });

  it('serializes concurrent loads: two versions at once end with the higher one and one rejection at most', async () => {
    const { manager } = setup();
    const [a, b] = await Promise.all([manager.loadFromBytes(bundleOf(8), 'a'), manager.loadFromBytes(bundleOf(7), 'b')]);
    expect(a.ok).toBe(true);
    expect(!b.ok && b.error.code).toBe('rollback');
    expect(manager.current()?.version).toBe(8);
  });
});
