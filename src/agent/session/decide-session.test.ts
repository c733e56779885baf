import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSession } from './decide-session';
import { fakeSessionFacts } from './fake-session-ports';
import { defaultSessionSettings, type OsSessionFacts, type SessionAction, type SessionContext, type SessionEvent, type SessionPolicy, type SessionRecord, type SessionSettings } from './model';

const policy: SessionPolicy = { gracePeriodSeconds: 0, idleLockSeconds: 600, unlockPeriodSeconds: 28_800 };
const settings: SessionSettings = defaultSessionSettings;

interface Run {
  record: SessionRecord | undefined;
  actions: SessionAction[];
  changed: boolean[];
}

/** Plays events at monotonic times (ms) against one session and collects what came out. */
function play(steps: readonly (readonly [number, SessionEvent])[], options: { policy?: SessionPolicy | undefined; settings?: SessionSettings } = {}): Run {
  const run: Run = { record: undefined, actions: [], changed: [] };
  const usedPolicy = 'policy' in options ? options.policy : policy;
  for (const [nowMs, event] of steps) {
    const context: SessionContext = { nowMs, policy: usedPolicy, settings: options.settings ?? settings };
    const decision = decideSession(run.record, event, context);
    run.record = decision.record;
    run.actions.push(...decision.actions);
    run.changed.push(decision.changed);
  }
  return run;
}

const appeared = (facts: OsSessionFacts = fakeSessionFacts(), atStart = false): SessionEvent => ({ kind: 'appeared', facts, atStart });
const observed = (change: Partial<OsSessionFacts>): SessionEvent => ({ kind: 'observed', facts: fakeSessionFacts(change) });
const grant: SessionEvent = { kind: 'unlock-granted' };
const tick: SessionEvent = { kind: 'tick' };
const beat = (trayPid = 4242): SessionEvent => ({ kind: 'heartbeat', trayPid });

const auditTypes = (run: Run): string[] => run.actions.flatMap((a) => (a.kind === 'audit' ? [a.event.type] : []));
const commands = (run: Run): string[] => run.actions.flatMap((a) => (a.kind === 'audit' ? [] : [`${a.kind}:${a.why}`]));

describe('decideSession: when a session is locked', () => {
  // Each row: events after an unlocked start (login at 0, tray at 1 s, code at 2 s); expected state.
  const unlockedStart: (readonly [number, SessionEvent])[] = [
    [0, appeared()],
    [1_000, beat()],
    [2_000, grant],
  ];
  const rows: { name: string; then: (readonly [number, SessionEvent])[]; reason: string; os: string[] }[] = [
    { name: 'after resume from sleep', then: [[3_000, { kind: 'sleep', phase: 'resumed', detectedBy: 'logind' }]], reason: 'resume', os: ['lock-os-session:suspend'] },
    { name: 'before suspend', then: [[3_000, { kind: 'sleep', phase: 'suspending', detectedBy: 'logind' }]], reason: 'resume', os: ['lock-os-session:suspend'] },
    { name: 'when the OS screen locks (grace 0)', then: [[3_000, observed({ osLocked: true })]], reason: 'screen-unlock', os: [] },
    { name: 'after the idle timeout', then: [[3_000, observed({ idleForMs: 600_000 })]], reason: 'idle', os: ['lock-os-session:idle'] },
    { name: 'on "lock now"', then: [[3_000, { kind: 'lock-requested', reason: 'manual' }]], reason: 'manual', os: ['lock-os-session:manual'] },
    { name: 'by an administrator', then: [[3_000, { kind: 'lock-requested', reason: 'admin' }]], reason: 'admin', os: ['lock-os-session:admin'] },
    { name: 'when the unlock period ends', then: [[2_000 + 28_800_000, beat()]], reason: 'expired', os: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const before = play(unlockedStart);
      expect(before.record?.state).toBe('unlocked');
      const run = play([...unlockedStart, ...row.then]);
      expect(run.record?.state).toBe('locked');
      expect(run.record?.reason).toBe(row.reason);
      expect(run.record?.unlockedUntilMs).toBeNull();
      expect(commands(run)).toEqual(row.os);
      expect(run.changed.at(-1)).toBe(true);
      expect(auditTypes(run)).toContain('session.locked');
    });
  }

  it('at login, with a deadline, and stays locked without a code', () => {
    const run = play([[0, appeared()], [1_000, beat()], [10_000, observed({})]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'login', deadline: { atMs: 300_000, cause: 'login' }, verified: false });
    expect(auditTypes(run)).toEqual(['session.appeared', 'session.locked']);
  });

  it('a session found when the agent starts is locked but gets no deadline', () => {
    const run = play([[0, appeared(fakeSessionFacts(), true)], [1_000, beat()], [400_000, beat()]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'login', deadline: null });
    expect(commands(run)).toEqual([]);
  });

  it('after an OS screen unlock the code is asked again (reason screen-unlock), without re-locking the OS', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [3_000, observed({ osLocked: true })], [4_000, beat()], [5_000, observed({ osLocked: false })]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'screen-unlock', osLock: 'none' });
    expect(commands(run)).toEqual([]);
  });

  it('an unlock survives a screen lock shorter than gracePeriodSeconds', () => {
    const grace: SessionPolicy = { ...policy, gracePeriodSeconds: 60 };
    const short = play([[0, appeared()], [500, beat()], [1_000, grant], [2_000, observed({ osLocked: true })], [30_000, beat()], [40_000, observed({ osLocked: false })]], { policy: grace });
    expect(short.record?.state).toBe('unlocked');
    expect(auditTypes(short)).toContain('session.unlock-survived-screen-lock');
    const long = play([[0, appeared()], [500, beat()], [1_000, grant], [2_000, observed({ osLocked: true })], [10_000, beat()], [62_000, beat()], [63_000, observed({ osLocked: false })]], { policy: grace });
    expect(long.record).toMatchObject({ state: 'locked', reason: 'screen-unlock' });
  });

  it('idle below the policy limit does not lock', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [3_000, observed({ idleForMs: 599_999 })]]);
    expect(run.record?.state).toBe('unlocked');
  });

  it('no policy: locked no-policy, and a code cannot unlock', () => {
    const run = play([[0, appeared()], [1_000, beat()]], { policy: undefined });
    expect(run.record).toMatchObject({ state: 'locked', reason: 'no-policy' });
    const decision = decideSession(run.record, grant, { nowMs: 2_000, policy: undefined, settings });
    expect(decision.refused).toBe('no-policy');
    expect(decision.record?.state).toBe('locked');
  });

  it('an unlocked session whose policy disappears locks no-policy', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant]]);
    const decision = decideSession(run.record, tick, { nowMs: 3_000, policy: undefined, settings });
    expect(decision.record).toMatchObject({ state: 'locked', reason: 'no-policy' });
  });
});

describe('decideSession: unlock', () => {
  it('lasts exactly unlockPeriodSeconds on the monotonic clock', () => {
    const start: (readonly [number, SessionEvent])[] = [[0, appeared()], [1_000, beat()], [2_000, grant]];
    const run = play(start);
    expect(run.record).toMatchObject({ state: 'unlocked', reason: null, unlockedUntilMs: 2_000 + 28_800_000, deadline: null, verified: true });
    // Keep the tray alive through the period so only the period decides.
    const beats: (readonly [number, SessionEvent])[] = [];
    for (let t = 5_000; t < 28_802_000; t += 5_000) beats.push([t, beat()]);
    const justBefore = play([...start, ...beats.filter(([t]) => t < 28_801_999), [28_801_999, tick]]);
    expect(justBefore.record?.state).toBe('unlocked');
    const atEnd = play([...start, ...beats.filter(([t]) => t < 28_802_000), [28_802_000, tick]]);
    expect(atEnd.record).toMatchObject({ state: 'locked', reason: 'expired' });
  });
});

describe('decideSession: the tray app is the lock window', () => {
  it('no heartbeat within the grace → locked tray-missing, tamper alert, OS lock enforced', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [10_000, beat()], [25_001, tick]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'tray-missing', osLock: 'enforced', deadline: { atMs: 25_001 + 300_000, cause: 'tray-missing' } });
    const tamper = run.actions.find((a) => a.kind === 'audit' && a.event.type === 'session.tray-missing');
    expect(tamper).toMatchObject({ event: { severity: 'alert', data: { everSeen: true, trayPid: 4242, silentForMs: 15_001 } } });
    expect(commands(run)).toEqual(['lock-os-session:tray-missing']);
  });

  it("the tray's connection closing locks at once (no grace), with the OS lock enforced", () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [3_000, { kind: 'tray-disconnected', trayPid: 4242 }]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'tray-missing', osLock: 'enforced' });
    expect(run.actions).toContainEqual(expect.objectContaining({ kind: 'audit', event: expect.objectContaining({ type: 'session.tray-missing', data: expect.objectContaining({ cause: 'disconnected' }) }) }));
    expect(commands(run)).toEqual(['lock-os-session:tray-missing']);
  });

  it("an old tray's connection closing after a new tray took over changes nothing", () => {
    const run = play([[0, appeared()], [1_000, beat(4242)], [2_000, grant], [3_000, beat(5151)], [4_000, { kind: 'tray-disconnected', trayPid: 4242 }]]);
    expect(run.record).toMatchObject({ state: 'unlocked' });
    expect(run.record?.tray.missing).toBe(false);
  });

  it('a heartbeat exactly at the grace limit keeps the session', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [16_000, tick]]);
    expect(run.record?.state).toBe('unlocked');
  });

  it('a tray that never starts after login is missing after trayStartGraceMs', () => {
    const early = play([[0, appeared()], [60_000, tick]]);
    expect(early.record?.tray.missing).toBe(false);
    const late = play([[0, appeared()], [60_001, tick]]);
    expect(late.record).toMatchObject({ reason: 'tray-missing', osLock: 'enforced', deadline: { cause: 'login' } });
    expect(late.actions).toContainEqual(expect.objectContaining({ kind: 'audit', event: expect.objectContaining({ type: 'session.tray-missing', data: expect.objectContaining({ everSeen: false }) }) }));
  });

  it('a session without a graphical type expects no tray', () => {
    const run = play([[0, appeared(fakeSessionFacts({ type: 'tty', seat: null, tty: 'pts/0', remote: true }))], [200_000, tick]]);
    expect(run.record?.tray.missing).toBe(false);
    expect(commands(run)).toEqual([]);
  });

  it('while enforced, an OS unlock behind our back is undone and audited', () => {
    const run = play([
      [0, appeared()],
      [1_000, beat()],
      [2_000, grant],
      [20_000, tick], // tray missing → lock-os-session
      [21_000, observed({ osLocked: true })],
      [30_000, observed({ osLocked: false })], // someone unlocked the OS screen
    ]);
    expect(run.record).toMatchObject({ state: 'locked', osLock: 'enforced', lastLockRequestMs: 30_000 });
    expect(commands(run)).toEqual(['lock-os-session:tray-missing', 'lock-os-session:os-unlocked-while-locked']);
    expect(run.actions).toContainEqual(expect.objectContaining({ kind: 'audit', event: expect.objectContaining({ type: 'session.os-unlocked-while-locked', severity: 'alert' }) }));
  });

  it('an OS lock that does not take effect is asked again every relockRetryMs and reported once', () => {
    const run = play([[0, appeared()], [1_000, beat()], [20_000, tick], [21_000, observed({})], [24_999, observed({})], [25_000, observed({})], [30_000, observed({})]]);
    expect(commands(run)).toEqual(['lock-os-session:tray-missing', 'lock-os-session:retry', 'lock-os-session:retry']);
    expect(auditTypes(run).filter((t) => t === 'session.os-lock-ineffective')).toHaveLength(1);
  });

  it('the tray coming back hands over to its lock window; the code is still needed', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [20_000, tick], [21_000, observed({ osLocked: true })], [22_000, beat(5555)], [23_000, observed({ osLocked: false })], [24_000, tick]]);
    expect(run.record).toMatchObject({ state: 'locked', reason: 'tray-missing', osLock: 'none', deadline: null, tray: { missing: false, pid: 5555 } });
    expect(auditTypes(run)).toEqual(expect.arrayContaining(['session.tray-returned', 'session.tray-restarted']));
    expect(commands(run)).toEqual(['lock-os-session:tray-missing']);
  });
});

describe('decideSession: terminate', () => {
  it('a session without MFA at the login deadline is terminated once', () => {
    const run = play([[0, appeared()], [1_000, beat()], [299_999, beat()], [300_000, beat()], [301_000, beat()]]);
    expect(commands(run)).toEqual(['terminate-session:login-deadline']);
    expect(run.record?.terminateRequested).toBe(true);
    expect(run.actions).toContainEqual(expect.objectContaining({ kind: 'audit', event: expect.objectContaining({ type: 'session.terminated', severity: 'alert' }) }));
  });

  it('a code before the deadline cancels it', () => {
    const run = play([[0, appeared()], [1_000, beat()], [200_000, grant], [300_000, beat()], [400_000, { kind: 'lock-requested', reason: 'manual' }], [900_000, tick]]);
    expect(commands(run)).not.toContain('terminate-session:login-deadline');
  });

  it('loginDeadlineSeconds 0 never terminates', () => {
    const run = play([[0, appeared()], [1_000, beat()], [10_000_000, beat()]], { settings: { ...settings, loginDeadlineSeconds: 0 } });
    expect(commands(run)).toEqual([]);
    expect(run.record?.deadline).toBeNull();
  });

  it('no policy: the deadline waits (an administrator must be able to log in)', () => {
    const run = play([[0, appeared()], [1_000, beat()], [400_000, beat()]], { policy: undefined });
    expect(commands(run)).toEqual([]);
  });

  it('a tray missing for the deadline terminates a verified session', () => {
    const run = play([[0, appeared()], [1_000, beat()], [2_000, grant], [20_000, tick], [21_000, observed({ osLocked: true })], [320_000, observed({ osLocked: true })]]);
    expect(commands(run)).toEqual(['lock-os-session:tray-missing', 'terminate-session:tray-missing-deadline']);
  });
});

describe('decideSession: properties over event sequences', () => {
  const eventArb: fc.Arbitrary<SessionEvent> = fc.oneof(
    fc.constant<SessionEvent>({ kind: 'tick' }),
    fc.constant<SessionEvent>({ kind: 'unlock-granted' }),
    fc.record({ kind: fc.constant('heartbeat' as const), trayPid: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ kind: fc.constant('lock-requested' as const), reason: fc.constantFrom('manual' as const, 'admin' as const) }),
    fc.record({ kind: fc.constant('sleep' as const), phase: fc.constantFrom('suspending' as const, 'resumed' as const), detectedBy: fc.constant('logind' as const) }),
    fc.record({
      kind: fc.constant('observed' as const),
      facts: fc.record({ osLocked: fc.option(fc.boolean(), { nil: null }), idleForMs: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }) }).map((f) => fakeSessionFacts(f)),
    }),
  );
  const stepsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 400_000 }), eventArb, fc.boolean()), { maxLength: 60 });
  const policyArb = fc.option(
    fc.record({ gracePeriodSeconds: fc.integer({ min: 0, max: 300 }), idleLockSeconds: fc.integer({ min: 60, max: 14_400 }), unlockPeriodSeconds: fc.integer({ min: 300, max: 86_400 }) }),
    { nil: undefined },
  );

  it('holds its invariants for any sequence', () => {
    fc.assert(
      fc.property(stepsArb, policyArb, fc.boolean(), (steps, pol, atStart) => {
        let now = 0;
        let record = decideSession(undefined, { kind: 'appeared', facts: fakeSessionFacts(), atStart }, { nowMs: now, policy: pol, settings }).record;
        let lastGrantAt: number | undefined;
        let lockedSinceGrant = true;
        let terminates = 0;
        let grants = 0;
        let lastOsLockAt: number | undefined;
        for (const [delta, event, policyPresent] of steps) {
          now += delta;
          const usedPolicy = policyPresent ? pol : undefined;
          const input = record === undefined ? undefined : (Object.freeze(structuredClone(record)) as SessionRecord);
          const decision = decideSession(input, event, { nowMs: now, policy: usedPolicy, settings });
          // Pure: the input record is left as it was.
          expect(input).toEqual(record);
          record = decision.record;
          if (record === undefined) return;
          if (event.kind === 'unlock-granted' && usedPolicy !== undefined) {
            lastGrantAt = now;
            lockedSinceGrant = false;
            grants += 1;
          }
          if (record.state === 'locked') lockedSinceGrant = true;
          for (const action of decision.actions) {
            if (action.kind === 'terminate-session') terminates += 1;
            if (action.kind === 'lock-os-session' && action.why === 'retry') {
              if (lastOsLockAt !== undefined) expect(now - lastOsLockAt).toBeGreaterThanOrEqual(settings.relockRetryMs);
            }
            if (action.kind === 'lock-os-session') lastOsLockAt = now;
          }
          if (record.state === 'unlocked') {
            // Unlocked only by a grant under a policy, only within its period, never without a policy.
            expect(usedPolicy).toBeDefined();
            expect(lastGrantAt).toBeDefined();
            expect(lockedSinceGrant).toBe(false);
            expect(record.reason).toBeNull();
            expect(record.unlockedUntilMs).not.toBeNull();
            expect(now).toBeLessThan(record.unlockedUntilMs as number);
            expect(record.deadline).toBeNull();
            if (event.kind === 'sleep' || event.kind === 'lock-requested') throw new Error('unlocked after a locking event');
          } else {
            expect(record.reason).not.toBeNull();
            expect(record.unlockedUntilMs).toBeNull();
          }
          // A graphical session whose tray has been silent past the grace is never left unlocked.
          const silentSince = record.tray.lastSeenMs ?? record.appearedAtMs;
          const limit = record.tray.lastSeenMs === null ? settings.trayStartGraceMs : settings.trayGraceMs;
          if (now - silentSince > limit) expect(record.tray.missing || record.state === 'unlocked').toBe(true);
          if (record.tray.missing && record.state === 'locked') expect(record.osLock).toBe('enforced');
        }
        // Terminated once per deadline; only a new deadline after a code can terminate again.
        expect(terminates).toBeLessThanOrEqual(1 + grants);
      }),
      { numRuns: 500 },
    );
  });

  it('never unlocks without unlock-granted', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        let now = 0;
        let record = decideSession(undefined, { kind: 'appeared', facts: fakeSessionFacts(), atStart: false }, { nowMs: now, policy, settings }).record;
        for (const [delta, event] of steps) {
          if (event.kind === 'unlock-granted') continue;
          now += delta;
          record = decideSession(record, event, { nowMs: now, policy, settings }).record;
          expect(record?.state).toBe('locked');
        }
      }),
      { numRuns: 300 },
    );
  });
});
