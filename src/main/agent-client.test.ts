import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventFrame, SessionState } from '../shared/protocol/agent-ipc';
import { startIpcAgent, type IpcAgentRig } from '../../test/helpers/ipc-agent';
import { createAgentClient, type AgentClient, type AgentClientState } from './agent-client';

const alice = 1001;
const bob = 1002;
const sessions = [
  { sessionId: 'c1', uid: alice, user: 'alice' },
  { sessionId: 'c2', uid: bob, user: 'bob' },
];

/** Resolves when `predicate` holds (polled), or fails after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The agent's token files are chowned to each uid, which needs root (as the agent runs).
const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  const reason = 'agent-client tests start a real agent endpoint, whose token files need root (chown)';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
}

describe.skipIf(!isRoot)('createAgentClient against the real gate on a real socket', () => {
  let rig: IpcAgentRig;
  const clients: AgentClient[] = [];
  const client = (uid: number, extra: Partial<Parameters<typeof createAgentClient>[0]> = {}): AgentClient => {
    const made = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid, client: 'test', backoff: { initialMs: 20, maxMs: 100 }, ...extra });
    clients.push(made);
    return made;
  };

  beforeEach(async () => {
    rig = await startIpcAgent({ sessions, uids: [alice, bob] });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await rig.close();
  });

  it('connects with its token; calls are typed and parsed; a user sees only their sessions', async () => {
    const c = client(alice);
    const states: AgentClientState[] = [];
    c.onStateChange((s) => states.push(s));
    expect(await c.connect()).toBe(true);
    expect(c.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    const list = await c.call('session.list', {});
    expect(list.ok && list.result.sessions.map((s) => s.sessionId)).toEqual(['c1']);
    expect(await c.call('session.unlock', { sessionId: 'c2', code: '123456' })).toEqual({ ok: false, code: 'forbidden' });
    expect(await c.call('admin.mfa.status', {})).toEqual({ ok: false, code: 'forbidden' });
    const unlocked = await c.call('session.unlock', { sessionId: 'c1', code: '123456' });
    expect(unlocked.ok && unlocked.result.code).toBe('unlocked');
  });

  it('root sees every session and may call admin methods', async () => {
    const c = client(0);
    expect(await c.connect()).toBe(true);
    const list = await c.call('session.list', {});
    expect(list.ok && list.result.sessions.map((s) => s.sessionId)).toEqual(['c1', 'c2']);
    expect((await c.call('admin.mfa.status', {})).ok).toBe(true);
  });

  it('params are checked before sending; calls while unreachable answer at once', async () => {
    const c = client(alice);
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'unreachable' });
    await c.connect();
    // @ts-expect-error: the type already forbids it; the runtime check stops it too.
    expect(await c.call('session.unlock', { sessionId: 'c1' })).toEqual({ ok: false, code: 'bad-params' });
  });

  it('events: the first listener subscribes; the owner hears its session, the other user does not', async () => {
    const a = client(alice);
    const b = client(bob);
    await a.connect();
    await b.connect();
    const heardA: EventFrame[] = [];
    const heardB: EventFrame[] = [];
    a.onEvent((e) => heardA.push(e));
    b.onEvent((e) => heardB.push(e));
    await until(() => rig.gate.stats().subscribed === 2);
    expect(await rig.gate.publishSessionState(state('c1', 'alice'))).toBe(1);
    await until(() => heardA.length === 1);
    expect(heardA[0]).toEqual({ v: 1, event: 'session.state', data: state('c1', 'alice') });
    expect(heardB).toEqual([]);
  });

  it('reconnects after the agent restarts (new token), subscribes again, pending calls end unreachable', async () => {
    const c = client(alice);
    const heard: EventFrame[] = [];
    c.onEvent((e) => heard.push(e));
    await c.connect();
    await until(() => rig.gate.stats().subscribed === 1);

    await rig.server.close();
    await until(() => c.state === 'unreachable' || c.state === 'connecting');
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'unreachable' });

    // A restarted agent issues new tokens; the client reads the file again on each attempt.
    await rig.tokens.issue(alice);
    await rig.restart();
    await until(() => c.state === 'connected');
    await until(() => rig.gate.stats().subscribed === 1);
    await rig.gate.publishSessionState(state('c1', 'alice'));
    await until(() => heard.length === 1);
  });

  it('a wrong token keeps it unreachable (the agent audits each try); a fresh one lets it in', async () => {
    writeFileSync(path.join(rig.tokenDir, String(alice)), `${'0'.repeat(64)}\n`);
    const c = client(alice);
    expect(await c.connect()).toBe(false);
    expect(c.state).not.toBe('connected');
    await until(() => rig.audit.filter((e) => e.type === 'ipc.authentication-failed').length >= 2);
    await rig.tokens.issue(alice);
    await until(() => c.state === 'connected');
  });

  it('no token file: unreachable, retrying', async () => {
    const c = client(4242);
    expect(await c.connect()).toBe(false);
    expect(['unreachable', 'connecting']).toContain(c.state);
  });

  it('passes rate-limited through with retryAfterMs', async () => {
    await rig.close();
    rig = await startIpcAgent({ sessions, uids: [alice], limits: { burst: 2, requestsPerSecond: 1 } });
    const c = client(alice);
    await c.connect();
    const outcomes = await Promise.all([1, 2, 3].map(() => c.call('session.list', {})));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(2);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false, code: 'rate-limited', retryAfterMs: expect.any(Number) as number });
  });

  it('close() stops reconnecting and ends pending calls', async () => {
    const c = client(alice);
    await c.connect();
    await c.close();
    expect(c.state).toBe('closed');
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'unreachable' });
    expect(await c.connect()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(rig.gate.stats().connections).toBe(0);
  });
});

describe.skipIf(!isRoot)('createAgentClient against a misbehaving agent', () => {
  /** A raw server that answers hello, then `reply(request)` for each request. */
  async function rawAgent(dir: string, reply: (request: { id: number; method: string }) => string | undefined) {
    const socketPath = path.join(dir, 'raw.sock');
    const server = net.createServer((socket) => {
      let buffered = '';
      // The client drops links on purpose here (ECONNRESET is the expected end).
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        let at;
        while ((at = buffered.indexOf('\n')) >= 0) {
          const request = JSON.parse(buffered.slice(0, at)) as { id: number; method: string };
          buffered = buffered.slice(at + 1);
          const line = request.method === 'hello' ? JSON.stringify({ v: 1, id: request.id, ok: true, result: { uid: alice, admin: false } }) : reply(request);
          if (line !== undefined) socket.write(`${line}\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return { socketPath, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  let rig: IpcAgentRig;
  beforeEach(async () => {
    rig = await startIpcAgent({ sessions, uids: [alice] });
  });
  afterEach(() => rig.close());

  it('a result that does not fit the schema → internal; no answer → unreachable after the timeout', async () => {
    const raw = await rawAgent(rig.dir, (request) => (request.id === 1 ? JSON.stringify({ v: 1, id: 1, ok: true, result: { sessions: [{ sessionId: 'x' }] } }) : undefined));
    const errors: unknown[] = [];
    const c = createAgentClient({ socketPath: raw.socketPath, tokenDir: rig.tokenDir, uid: alice, callTimeoutMs: 200, onError: (e) => errors.push(e) });
    expect(await c.connect()).toBe(true);
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'internal' });
    expect(errors).toHaveLength(1);
    const started = Date.now();
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'unreachable' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await c.close();
    await raw.close();
  });

  it('an oversized frame from the agent drops the link', async () => {
    const raw = await rawAgent(rig.dir, (request) => JSON.stringify({ v: 1, id: request.id, ok: true, result: { pad: 'x'.repeat(100_000) } }));
    const c = createAgentClient({ socketPath: raw.socketPath, tokenDir: rig.tokenDir, uid: alice, backoff: { initialMs: 5000, maxMs: 5000 } });
    await c.connect();
    expect(await c.call('session.list', {})).toEqual({ ok: false, code: 'unreachable' });
    expect(c.state).toBe('unreachable');
    await c.close();
    await raw.close();
  });
});

function state(sessionId: string, user: string): SessionState {
  return {
    sessionId,
    user,
    state: 'locked',
    reason: 'manual',
    unlockedUntil: null,
    graceEndsAt: null,
    enrolled: true,
    lockout: { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false },
  };
}
