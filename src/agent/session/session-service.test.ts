import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { SessionState } from '../../shared/protocol/agent-ipc';
import { sessionStateSchema } from '../../shared/protocol/agent-ipc';
import type { AuditEventInput, AuditSink } from '../audit';
import { createFakeSessions, fakeSessionFacts, type FakeSessions } from './fake-session-ports';
import { createSessionService, type SessionService } from './session-service';
import { unknownMfaView } from './session-state';

const mfaPolicy: MfaPolicy = {
  implements: [],
  totp: { algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 1 },
  gracePeriodSeconds: 0,
  idleLockSeconds: 600,
  unlockPeriodSeconds: 28_800,
  lockout: { maxFailures: 5, delaySeconds: [30], lockUntilAdminReset: true },
  emergencyCode: { enabled: true, ttlSeconds: 3600 },
};

interface Harness {
  service: SessionService;
  fake: FakeSessions;
  audit: AuditEventInput[];
  published: SessionState[];
  /** Moves both clocks (as while awake) and polls. */
  advance(ms: number): Promise<void>;
  setPolicy(policy: MfaPolicy | undefined): void;
  clock: ReturnType<typeof createFixedClock>;
  mono: { ms: number };
}

function harness(sessions = [fakeSessionFacts()]): Harness {
  const fake = createFakeSessions(sessions);
  const audit: AuditEventInput[] = [];
  const sink: AuditSink = {
    append(event) {
      audit.push(event);
      return Promise.resolve({ seq: audit.length, hash: '0'.repeat(64) });
    },
  };
  const clock = createFixedClock(Date.parse('2026-04-01T09:00:00.000Z'));
  const mono = { ms: 1_000 };
  let policy: MfaPolicy | undefined = mfaPolicy;
  const published: SessionState[] = [];
  const service = createSessionService({
    sessions: fake,
    control: fake,
    audit: sink,
    clock,
    monotonicMs: () => mono.ms,
    policy: () => policy,
    mfaView: () => ({ ...unknownMfaView(5), enrolled: true }),
    onState: (state) => published.push(sessionStateSchema.parse(state)),
    // Tests poll by hand.
    every: () => () => undefined,
  });
  return {
    service,
    fake,
    audit,
    published,
    clock,
    mono,
    setPolicy: (next) => {
      policy = next;
    },
    async advance(ms) {
      clock.advanceMs(ms);
      mono.ms += ms;
      await service.refresh();
      await service.whenIdle();
    },
  };
}

const types = (audit: AuditEventInput[]): string[] => audit.map((e) => e.type);

describe('createSessionService', () => {
  it('locks every session at start, publishes the state and knows who owns it', async () => {
    const h = harness([fakeSessionFacts(), fakeSessionFacts({ id: 'c3', uid: 1001, user: 'bob' }), fakeSessionFacts({ id: 'c1', uid: 113, user: 'Debian-gdm', sessionClass: 'greeter' })]);
    await h.service.start();
    await h.service.whenIdle();
    expect(h.service.list().map((s) => [s.sessionId, s.state, s.reason])).toEqual([
      ['2', 'locked', 'login'],
      ['c3', 'locked', 'login'],
    ]);
    expect(h.service.list(1001).map((s) => s.sessionId)).toEqual(['c3']);
    expect(h.service.owner('c3')).toBe(1001);
    expect(h.service.owner('c1')).toBeUndefined(); // the greeter is not subject to MFA
    // Found at start: no deadline (an agent restart must not end sessions).
    expect(h.service.state('2')?.graceEndsAt).toBeNull();
    expect(h.published.map((s) => s.sessionId)).toEqual(['2', 'c3']);
    expect(types(h.audit)).toEqual(['session.appeared', 'session.locked', 'session.appeared', 'session.locked']);
  });

  it('a new login gets the deadline; a code unlocks for the policy period; the period ends it', async () => {
    const h = harness([]);
    await h.service.start();
    h.fake.world.sessions.push(fakeSessionFacts());
    await h.advance(1_000);
    expect(h.service.state('2')).toMatchObject({ state: 'locked', reason: 'login', graceEndsAt: '2026-04-01T09:05:01.000Z' });
    expect(h.service.heartbeat('2', 777)).toEqual({ ok: true, value: { intervalMs: 5_000 } });
    const granted = h.service.grantUnlock('2');
    expect(granted).toMatchObject({ ok: true, value: { state: 'unlocked', unlockedUntil: '2026-04-01T17:00:01.000Z', graceEndsAt: null } });
    for (let i = 0; i < 5; i += 1) {
      h.service.heartbeat('2', 777);
      await h.advance(5_000);
    }
    expect(h.service.state('2')?.state).toBe('unlocked');
    // Jump to the end of the period with the tray alive.
    h.service.heartbeat('2', 777);
    h.mono.ms += 28_800_000 - 25_000 - 1;
    h.clock.advanceMs(28_800_000 - 25_000 - 1);
    h.service.heartbeat('2', 777);
    expect(h.service.state('2')?.state).toBe('unlocked');
    await h.advance(1);
    expect(h.service.state('2')).toMatchObject({ state: 'locked', reason: 'expired' });
    expect(h.published.at(-1)).toMatchObject({ state: 'locked', reason: 'expired' });
  });

  it('tray killed: locked, tamper alert, OS lock; an OS unlock behind our back is undone and audited', async () => {
    const h = harness();
    await h.service.start();
    h.service.heartbeat('2', 4242);
    h.service.grantUnlock('2');
    await h.advance(15_001);
    expect(h.service.state('2')).toMatchObject({ state: 'locked', reason: 'tray-missing' });
    expect(h.fake.commands).toEqual(['lock 2']);
    expect(h.audit).toContainEqual(expect.objectContaining({ type: 'session.tray-missing', severity: 'alert' }));
    await h.advance(1_000);
    expect(h.fake.world.sessions[0]?.osLocked).toBe(true);
    // Someone unlocks the screen (the person at the OS lock screen, or `loginctl unlock-session`).
    h.fake.world.sessions[0] = fakeSessionFacts({ osLocked: false });
    await h.advance(1_000);
    expect(h.fake.commands).toEqual(['lock 2', 'lock 2']);
    expect(h.audit).toContainEqual(expect.objectContaining({ type: 'session.os-unlocked-while-locked', severity: 'alert' }));
    expect(h.fake.world.sessions[0]?.osLocked).toBe(true);
  });

  it('terminates a session that does not complete MFA within the login deadline, then forgets it', async () => {
    const h = harness([]);
    await h.service.start();
    h.fake.world.sessions.push(fakeSessionFacts());
    await h.advance(1_000);
    for (let t = 0; t < 300_000; t += 5_000) {
      h.service.heartbeat('2', 10);
      await h.advance(5_000);
    }
    expect(h.fake.commands).toEqual(['terminate 2']);
    expect(h.audit).toContainEqual(expect.objectContaining({ type: 'session.terminated', severity: 'alert', data: expect.objectContaining({ why: 'login-deadline' }) }));
    await h.advance(1_000);
    expect(h.service.state('2')).toBeUndefined();
    expect(types(h.audit)).toContain('session.ended');
  });

  it('a PrepareForSleep hint and a clock gap both lock every session (resume)', async () => {
    const h = harness([fakeSessionFacts(), fakeSessionFacts({ id: '3' })]);
    await h.service.start();
    for (const id of ['2', '3']) {
      h.service.heartbeat(id, 9);
      h.service.grantUnlock(id);
    }
    h.fake.emit({ kind: 'sleep', phase: 'suspending' });
    await h.service.whenIdle();
    expect(h.service.list().map((s) => s.reason)).toEqual(['resume', 'resume']);
    expect(h.fake.commands).toEqual(['lock 2', 'lock 3']);

    const g = harness();
    await g.service.start();
    g.service.heartbeat('2', 9);
    g.service.grantUnlock('2');
    // Suspended for an hour: wall time moves, CLOCK_MONOTONIC does not.
    g.clock.advanceMs(3_600_000);
    await g.service.refresh();
    await g.service.whenIdle();
    expect(g.service.state('2')).toMatchObject({ state: 'locked', reason: 'resume' });
    expect(g.audit).toContainEqual(expect.objectContaining({ type: 'session.locked', data: expect.objectContaining({ detectedBy: 'clock-gap' }) }));
  });

  it('no policy: locked no-policy and a code is refused', async () => {
    const h = harness();
    h.setPolicy(undefined);
    await h.service.start();
    expect(h.service.state('2')?.reason).toBe('no-policy');
    expect(h.service.grantUnlock('2')).toEqual({ ok: false, error: 'no-policy' });
    expect(h.service.grantUnlock('99')).toEqual({ ok: false, error: 'no-session' });
    expect(h.service.lockNow('99', 'manual')).toEqual({ ok: false, error: 'no-session' });
    expect(h.service.heartbeat('99', 1)).toEqual({ ok: false, error: 'no-session' });
  });

  it('lockNow locks and asks the OS; a failing OS command is audited', async () => {
    const h = harness();
    await h.service.start();
    h.service.heartbeat('2', 9);
    h.service.grantUnlock('2');
    h.fake.world.sessions = [];
    const locked = h.service.lockNow('2', 'manual');
    expect(locked).toMatchObject({ ok: true, value: { state: 'locked', reason: 'manual' } });
    await h.service.whenIdle();
    expect(h.audit).toContainEqual(expect.objectContaining({ type: 'session.control-failed', data: expect.objectContaining({ action: 'lock-os-session', why: 'manual' }) }));
  });

  it('reports an unreadable session list once, keeps the timers running, and reports recovery', async () => {
    const h = harness();
    await h.service.start();
    h.service.heartbeat('2', 9);
    h.service.grantUnlock('2');
    h.fake.world.readable = false;
    await h.advance(1_000);
    await h.advance(1_000);
    expect(types(h.audit).filter((t) => t === 'session.source-failed')).toHaveLength(1);
    expect(h.service.healthy()).toBe(false);
    await h.advance(20_000);
    // The tray check still ran without a list.
    expect(h.service.state('2')?.reason).toBe('tray-missing');
    h.fake.world.readable = true;
    await h.advance(1_000);
    expect(h.service.healthy()).toBe(true);
    expect(types(h.audit)).toContain('session.source-recovered');
  });

  it('an unlock request signal on a locked session is audited', async () => {
    const h = harness();
    await h.service.start();
    h.fake.emit({ kind: 'unlock-requested', sessionId: '2' });
    h.fake.emit({ kind: 'watch-failed', detail: 'dbus-monitor exited (code 1)' });
    await h.service.whenIdle();
    expect(types(h.audit)).toEqual(expect.arrayContaining(['session.unlock-signal', 'session.watch-failed']));
  });
});
