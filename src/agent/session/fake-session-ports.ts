/**
 * In-memory SessionSource and SessionControl for tests of code that uses the ports. Like logind
 * seen through the ports: `lock` sets the session's LockedHint (unless `lockWorks` is false, as on
 * a desktop without a screen locker), `terminate` removes it; `world` may be edited between polls
 * to play a person unlocking the screen or logging out.
 */
import { err, ok } from '../../shared/result';
import type { OsSessionFacts } from './model';
import type { SessionControl, SessionControlOutcome, SessionHint, SessionSource } from './ports';

export interface FakeSessions extends SessionSource, SessionControl {
  world: { readable: boolean; sessions: OsSessionFacts[] };
  /** Commands carried out, in order (`lock 2`, `terminate 2`). */
  readonly commands: string[];
  /** False: lock commands succeed but the screen does not lock (no screen locker). */
  lockWorks: boolean;
  /** Sends a hint to the watcher, as the OS event stream would. */
  emit(hint: SessionHint): void;
}

/** A graphical user session on seat0, unlocked and not idle; override what a test needs. */
export function fakeSessionFacts(overrides: Partial<OsSessionFacts> = {}): OsSessionFacts {
  return {
    id: '2',
    uid: 1000,
    user: 'alice',
    seat: 'seat0',
    tty: 'tty2',
    sessionClass: 'user',
    type: 'wayland',
    remote: false,
    active: true,
    osState: 'active',
    osLocked: false,
    idleForMs: 0,
    leaderPid: 1234,
    ...overrides,
  };
}

/** Creates {@link FakeSessions} with these sessions. */
export function createFakeSessions(sessions: OsSessionFacts[]): FakeSessions {
  let listener: ((hint: SessionHint) => void) | undefined;
  const update = (id: string, change: Partial<OsSessionFacts>): boolean => {
    const i = fake.world.sessions.findIndex((s) => s.id === id);
    if (i < 0) return false;
    fake.world.sessions[i] = { ...(fake.world.sessions[i] as OsSessionFacts), ...change };
    return true;
  };
  const fake: FakeSessions = {
    world: { readable: true, sessions: sessions.map((s) => ({ ...s })) },
    commands: [],
    lockWorks: true,
    list() {
      if (!fake.world.readable) {
        return Promise.resolve(err({ reason: 'no-service' as const, detail: 'Failed to connect to bus: Host is down', text: { ja: 'logind に接続できません', en: 'cannot reach logind' } }));
      }
      return Promise.resolve(ok(fake.world.sessions.map((s) => ({ ...s }))));
    },
    watch(next) {
      listener = next;
      return () => {
        listener = undefined;
      };
    },
    lock(id): Promise<SessionControlOutcome> {
      fake.commands.push(`lock ${id}`);
      const found = fake.lockWorks ? update(id, { osLocked: true }) : fake.world.sessions.some((s) => s.id === id);
      return Promise.resolve(found ? { ok: true } : { ok: false, detail: `Failed to issue method call: No session '${id}' known` });
    },
    terminate(id): Promise<SessionControlOutcome> {
      fake.commands.push(`terminate ${id}`);
      const before = fake.world.sessions.length;
      fake.world.sessions = fake.world.sessions.filter((s) => s.id !== id);
      return Promise.resolve(fake.world.sessions.length < before ? { ok: true } : { ok: false, detail: `Failed to issue method call: No session '${id}' known` });
    },
    emit(hint) {
      listener?.(hint);
    },
  };
  return fake;
}
