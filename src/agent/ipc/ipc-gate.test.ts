import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { agentIpcVersion, agentMethods, maxFrameBytes, responseFrameSchema, eventFrameSchema, type ResponseFrame, type SessionState } from '../../shared/protocol/agent-ipc';
import type { AuditEventInput, AuditSink } from '../audit';
import { createFakeAgentIpc, createMemoryTokenIssuer, type FakeAgentIpcOptions } from './fake-agent-ipc';
import { createIpcGate } from './ipc-gate';
import { ipcFailure, type AgentIpcHandlers, type IpcLimits } from './model';

const alice = 1001;
const bob = 1002;
const sessions = [
  { sessionId: 'c1', uid: alice, user: 'alice' },
  { sessionId: 'c2', uid: bob, user: 'bob' },
];

/** Lets every pending promise of the gate run (no real I/O is involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Rig {
  readonly gate: ReturnType<typeof createIpcGate>;
  readonly tokens: ReturnType<typeof createMemoryTokenIssuer>;
  readonly fake: ReturnType<typeof createFakeAgentIpc>;
  readonly clock: ReturnType<typeof createFixedClock>;
  readonly audit: AuditEventInput[];
  readonly logged: string[];
}

async function rig(
  options: { limits?: Partial<IpcLimits>; overrides?: Partial<AgentIpcHandlers>; audit?: AuditSink; fake?: Partial<FakeAgentIpcOptions>; onConnectionClosed?: (c: { connectionId: number; uid: number }) => void } = {},
): Promise<Rig> {
  const clock = createFixedClock(Date.parse('2025-04-01T09:00:00Z'));
  const tokens = createMemoryTokenIssuer();
  await tokens.issue(alice);
  await tokens.issue(bob);
  await tokens.issue(0);
  const fake = createFakeAgentIpc({ sessions, clock, ...(options.overrides ? { overrides: options.overrides } : {}), ...options.fake });
  const audit: AuditEventInput[] = [];
  const logged: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_f, m) => logged.push(m), flush: () => undefined };
  const sink: AuditSink = options.audit ?? {
    append: async (event) => {
      audit.push(event);
      return { seq: audit.length, hash: '0'.repeat(64) };
    },
  };
  const gate = createIpcGate({
    handlers: fake.handlers,
    tokens,
    sessions: fake.directory,
    audit: sink,
    clock,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.onConnectionClosed ? { onConnectionClosed: options.onConnectionClosed } : {}),
    logger,
  });
  return { gate, tokens, fake, clock, audit, logged };
}

/** A client end of one connection: raw bytes in, parsed frames out. */
function connect(r: Rig) {
  const lines: string[] = [];
  let closed = false;
  const connection = r.gate.open({
    send: (line) => {
      expect(line.endsWith('\n')).toBe(true);
      lines.push(line);
    },
    close: () => {
      closed = true;
    },
  });
  const encoder = new TextEncoder();
  let nextId = 1;
  const client = {
    connection,
    lines,
    get closed() {
      return closed;
    },
    raw(text: string | Uint8Array) {
      connection.receive(typeof text === 'string' ? encoder.encode(text) : text);
    },
    frame(value: unknown) {
      client.raw(`${JSON.stringify(value)}\n`);
    },
    request(method: string, params: unknown = {}): number {
      const id = nextId++;
      client.frame({ v: agentIpcVersion, id, method, params });
      return id;
    },
    async hello(uid: number, token = r.tokens.tokenOf(uid)) {
      client.frame({ v: agentIpcVersion, id: 0, method: 'hello', params: { uid, token, client: 'test' } });
      await settle();
    },
    responses(): ResponseFrame[] {
      return lines.map((line) => JSON.parse(line) as unknown).filter((f) => typeof f === 'object' && f !== null && 'ok' in f).map((f) => responseFrameSchema.parse(f));
    },
    response(id: number | null): ResponseFrame {
      const found = client.responses().filter((f) => f.id === id);
      expect(found).toHaveLength(1);
      return found[0]!;
    },
    errorCode(id: number | null): string | undefined {
      const f = client.response(id);
      return f.ok ? undefined : f.error.code;
    },
    events() {
      return lines.map((line) => JSON.parse(line) as unknown).filter((f) => typeof f === 'object' && f !== null && 'event' in f).map((f) => eventFrameSchema.parse(f));
    },
  };
  return client;
}

async function call(r: Rig, uid: number, method: string, params: unknown = {}) {
  const c = connect(r);
  await c.hello(uid);
  const id = c.request(method, params);
  await settle();
  return { client: c, frame: c.response(id) };
}

describe('hello', () => {
  it('a correct token authenticates; the result says uid and admin', async () => {
    const r = await rig();
    const c = connect(r);
    expect(c.connection.authenticated).toBe(false);
    await c.hello(alice);
    expect(c.response(0)).toEqual({ v: 1, id: 0, ok: true, result: { uid: alice, admin: false } });
    expect(c.connection.authenticated).toBe(true);
    const root = connect(r);
    await root.hello(0);
    expect(root.response(0)).toMatchObject({ ok: true, result: { uid: 0, admin: true } });
  });

  it.each([
    ['another uid’s token', (r: Rig) => ({ uid: alice, token: r.tokens.tokenOf(bob) })],
    ['a made-up token', () => ({ uid: alice, token: 'f'.repeat(64) })],
    ['a uid without a token', () => ({ uid: 4242, token: 'f'.repeat(64) })],
  ])('%s → authentication-failed, audited without the token, connection closed', async (_name, params) => {
    const r = await rig();
    const c = connect(r);
    c.frame({ v: 1, id: 7, method: 'hello', params: { ...params(r), client: 'test' } });
    await settle();
    expect(c.errorCode(7)).toBe('authentication-failed');
    expect(c.closed).toBe(true);
    expect(r.audit).toEqual([{ type: 'ipc.authentication-failed', severity: 'warning', data: { connection: 1, claimedUid: params(r).uid, client: 'test' } }]);
    // A closed connection ignores everything after.
    c.request('session.list');
    await settle();
    expect(c.responses()).toHaveLength(1);
  });

  it.each([
    ['a request before hello', '{"v":1,"id":3,"method":"session.list","params":{}}\n', 3, 'not-authenticated'],
    ['malformed JSON', '{"v":1,"id":3,\n', null, 'bad-frame'],
    ['a hello missing its token', '{"v":1,"id":3,"method":"hello","params":{"uid":1001,"client":"test"}}\n', 3, 'bad-frame'],
    ['a hello of protocol version 2', '{"v":2,"id":3,"method":"hello","params":{}}\n', 3, 'unsupported-version'],
    ['a JSON array', '[1,2,3]\n', null, 'not-authenticated'],
  ])('%s → %s and the connection closes', async (_name, text, id, code) => {
    const r = await rig();
    const c = connect(r);
    c.raw(text);
    await settle();
    expect(c.errorCode(id)).toBe(code);
    expect(c.closed).toBe(true);
    expect(r.gate.stats().connections).toBe(0);
  });

  it('requests pipelined behind the hello are answered after it', async () => {
    const r = await rig();
    const c = connect(r);
    c.raw(`${JSON.stringify({ v: 1, id: 0, method: 'hello', params: { uid: alice, token: r.tokens.tokenOf(alice), client: 'test' } })}\n{"v":1,"id":1,"method":"session.list","params":{}}\n`);
    await settle();
    expect(c.response(1)).toMatchObject({ ok: true });
  });

  it('more frames than allowed before the hello is answered close the connection', async () => {
    const r = await rig({ limits: { maxFramesBeforeHello: 2 } });
    const c = connect(r);
    const hello = JSON.stringify({ v: 1, id: 0, method: 'hello', params: { uid: alice, token: r.tokens.tokenOf(alice), client: 'test' } });
    c.raw(`${hello}\n{}\n{}\n{}\n`);
    await settle();
    expect(c.errorCode(null)).toBe('not-authenticated');
    expect(c.closed).toBe(true);
  });

  it('connections per uid are limited', async () => {
    const r = await rig({ limits: { maxConnectionsPerUid: 2 } });
    const [a, b, c] = [connect(r), connect(r), connect(r)];
    await a.hello(alice);
    await b.hello(alice);
    await c.hello(alice);
    expect(c.response(0)).toEqual({ v: 1, id: 0, ok: false, error: { code: 'rate-limited', retryAfterMs: 1000 } });
    expect(c.closed).toBe(true);
    const other = connect(r);
    await other.hello(bob);
    expect(other.response(0).ok).toBe(true);
  });
});

describe('requests', () => {
  it('every error code of a request, with the connection kept open', async () => {
    const r = await rig();
    const c = connect(r);
    await c.hello(alice);
    c.raw('{"v":1,"id":\n');
    c.raw(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d, 0x0a]));
    c.frame({ v: 1, id: 11, method: 'session.list', params: {}, extra: true });
    c.frame({ v: 1, id: -1, method: 'session.list', params: {} });
    c.frame({ v: 2, id: 12, method: 'session.list', params: {} });
    c.frame({ v: 1, id: 13, method: 'session.delete', params: {} });
    c.frame({ v: 1, id: 14, method: '__proto__', params: {} });
    c.frame({ v: 1, id: 15, method: 'toString', params: {} });
    c.frame({ v: 1, id: 16, method: 'session.unlock', params: { sessionId: 'c1' } });
    c.frame({ v: 1, id: 17, method: 'session.unlock', params: { sessionId: '../etc', code: '123456' } });
    c.frame({ v: 1, id: 18, method: 'session.list', params: { all: true } });
    c.frame({ v: 1, id: 19, method: 'admin.mfa.status', params: {} });
    c.frame({ v: 1, id: 20, method: 'session.unlock', params: { sessionId: 'c2', code: '123456' } });
    c.frame({ v: 1, id: 21, method: 'session.lock', params: { sessionId: 'nope' } });
    c.frame({ v: 1, id: 22, method: 'session.list', params: {} });
    await settle();
    const codes = c.responses().slice(1).map((f) => [f.id, f.ok ? 'ok' : f.error.code]);
    expect(codes).toEqual([
      [null, 'bad-frame'],
      [null, 'bad-frame'],
      [11, 'bad-frame'],
      [null, 'bad-frame'],
      [12, 'unsupported-version'],
      [13, 'unknown-method'],
      [14, 'unknown-method'],
      [15, 'unknown-method'],
      [16, 'bad-params'],
      [17, 'bad-params'],
      [18, 'bad-params'],
      [19, 'forbidden'],
      [20, 'forbidden'],
      [21, 'forbidden'],
      [22, 'ok'],
    ]);
    expect(c.closed).toBe(false);
    // Refusals before the handler never reached it.
    expect(r.fake.attempts('bob')).toBe(0);
    expect(r.gate.stats().handlerCalls).toEqual({ 'session.list': 1 });
    expect(r.audit.map((e) => [e.type, e.data.reason])).toEqual([
      ['ipc.forbidden', 'admin-only'],
      ['ipc.forbidden', 'not-owner'],
      ['ipc.forbidden', 'unknown-session'],
    ]);
  });

  it('a user sees only their sessions; root sees all and gets not-found for an unknown session', async () => {
    const r = await rig();
    const mine = await call(r, alice, 'session.list');
    expect(mine.frame.ok && (mine.frame.result as { sessions: SessionState[] }).sessions.map((s) => s.sessionId)).toEqual(['c1']);
    const all = await call(r, 0, 'session.list');
    expect(all.frame.ok && (all.frame.result as { sessions: SessionState[] }).sessions.map((s) => s.sessionId)).toEqual(['c1', 'c2']);
    expect((await call(r, 0, 'session.lock', { sessionId: 'nope' })).frame).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect((await call(r, 0, 'session.lock', { sessionId: 'c2' })).frame).toMatchObject({ ok: true, result: { session: { sessionId: 'c2', state: 'locked' } } });
  });

  it('unlock of the own session: wrong, then right code', async () => {
    const r = await rig();
    const c = connect(r);
    await c.hello(alice);
    const wrong = c.request('session.unlock', { sessionId: 'c1', code: '000000' });
    const right = c.request('session.unlock', { sessionId: 'c1', code: '123 456' });
    await settle();
    expect(c.response(wrong)).toMatchObject({ ok: true, result: { code: 'wrong-code', session: { state: 'locked', lockout: { failures: 1 } } } });
    expect(c.response(right)).toMatchObject({ ok: true, result: { code: 'unlocked', session: { state: 'unlocked' } } });
  });

  it('admin methods work for root only', async () => {
    const r = await rig();
    for (const method of ['admin.mfa.status', 'admin.mfa.reset', 'admin.mfa.emergency-code'] as const) {
      const params = method === 'admin.mfa.status' ? {} : method === 'admin.mfa.reset' ? { user: 'alice', enrollment: false } : { user: 'alice' };
      expect((await call(r, alice, method, params)).frame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const root = await call(r, 0, method, params);
      expect(root.frame.ok).toBe(true);
      if (root.frame.ok) expect(agentMethods[method].result.safeParse(root.frame.result).success).toBe(true);
    }
  });
});

describe('the authorize() backstop and handler failures', () => {
  const cases: [string, Partial<AgentIpcHandlers>, string, unknown, string, string | undefined][] = [
    ['a handler that never calls authorize', { 'session.list': async () => ({ sessions: [] }) }, 'session.list', {}, 'forbidden', 'handler-did-not-authorize'],
    [
      'a handler whose own check denied but who answered anyway',
      {
        'session.heartbeat': async (_p, context) => {
          await context.authorizeSession('c2');
          return { intervalMs: 5000 };
        },
      },
      'session.heartbeat',
      { sessionId: 'c1', trayPid: 42 },
      'forbidden',
      'denied-by-handler',
    ],
    [
      'a handler that leaks another user’s session',
      {
        'session.list': async (_p, context) => {
          context.authorizeSelf();
          return { sessions: [fakeState('c2', 'bob')] };
        },
      },
      'session.list',
      {},
      'forbidden',
      'foreign-session-in-result',
    ],
    ['a handler that throws', { 'session.list': () => Promise.reject(new Error('disk on fire: seed=JBSWY3DP')) }, 'session.list', {}, 'internal', undefined],
    [
      'a handler whose result does not fit the schema',
      {
        'session.heartbeat': async (_p, context) => {
          context.authorizeSelf();
          return { intervalMs: 5 };
        },
      },
      'session.heartbeat',
      { sessionId: 'c1', trayPid: 42 },
      'internal',
      undefined,
    ],
    [
      'a handler that returns a failure value',
      {
        'session.lock': async (_p, context) => {
          context.authorizeSelf();
          return ipcFailure('not-found');
        },
      },
      'session.lock',
      { sessionId: 'c1' },
      'not-found',
      undefined,
    ],
    [
      'a result bigger than a frame',
      {
        'mfa.enrollment.begin': async (_p, context) => {
          context.authorizeSelf();
          return { enrollmentId: 'abcdefgh', qrSvg: 'x'.repeat(150_000), expiresAt: '2025-04-01T09:05:00Z' };
        },
      },
      'mfa.enrollment.begin',
      {},
      'internal',
      undefined,
    ],
  ];

  it.each(cases)('%s → %s', async (_name, overrides, method, params, code, reason) => {
    const r = await rig({ overrides });
    const { client, frame } = await call(r, alice, method, params);
    expect(frame).toMatchObject({ ok: false, error: { code } });
    expect(client.closed).toBe(false);
    const last = r.audit.at(-1);
    if (reason !== undefined) expect(last).toMatchObject({ type: 'ipc.forbidden', data: { reason } });
    if (code === 'internal') {
      expect(last?.severity).toBe('alert');
      // Never the message (it may carry input or secrets): only the error's class or code.
      expect(JSON.stringify(last)).not.toContain('JBSWY3DP');
    }
  });

  it('an audit sink that fails is reported to the logger; the gate keeps answering', async () => {
    const r = await rig({ audit: { append: () => Promise.reject(new Error('disk full')) } });
    const first = await call(r, alice, 'admin.mfa.status');
    expect(first.frame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await settle();
    expect(r.logged).toEqual(['ipc: audit record could not be written']);
    expect((await call(r, alice, 'session.list')).frame.ok).toBe(true);
  });
});

describe('framing', () => {
  it('a 1 MB line → frame-too-large after at most one frame of bytes; the rest is ignored', async () => {
    const r = await rig();
    const c = connect(r);
    await c.hello(alice);
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let fed = 0;
    while (!c.closed && fed < 64) {
      c.raw(chunk);
      fed += 1;
    }
    expect(fed).toBe(4);
    expect(c.errorCode(null)).toBe('frame-too-large');
    for (let i = 0; i < 60; i += 1) c.raw(chunk);
    c.raw('\n');
    await settle();
    expect(c.responses()).toHaveLength(2);
    expect(r.audit).toEqual([{ type: 'ipc.frame-too-large', severity: 'notice', data: { connection: 1, uid: alice, maxFrameBytes } }]);
  });

  it('a 1 MB line before hello is refused the same way', async () => {
    const r = await rig();
    const c = connect(r);
    c.raw(`{"v":1,"id":0,"method":"hello","params":{"uid":1001,"token":"${'a'.repeat(1024 * 1024)}"}}\n`);
    expect(c.errorCode(null)).toBe('frame-too-large');
    expect(c.closed).toBe(true);
  });

  it('a frame split into single bytes works', async () => {
    const r = await rig();
    const c = connect(r);
    const text = `${JSON.stringify({ v: 1, id: 0, method: 'hello', params: { uid: alice, token: r.tokens.tokenOf(alice), client: 'test' } })}\n`;
    for (const byte of new TextEncoder().encode(text)) c.raw(new Uint8Array([byte]));
    await settle();
    expect(c.response(0).ok).toBe(true);
  });
});

describe('rate limit and floods', () => {
  it('1,000 unlock attempts in one second: every id answered once, the lockout counts exactly what passed the gate', async () => {
    const r = await rig();
    const c = connect(r);
    await c.hello(alice);
    const ids: number[] = [];
    for (let i = 0; i < 1000; i += 1) {
      r.clock.advanceMs(1);
      ids.push(c.request('session.unlock', { sessionId: 'c1', code: '000000' }));
      await settle();
    }
    const frames = c.responses().filter((f) => f.id !== 0);
    expect(frames.map((f) => f.id).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(ids);
    const codes = frames.map((f) => (f.ok ? (f.result as { code: string }).code : f.error.code));
    const count = (code: string) => codes.filter((x) => x === code).length;
    // Token bucket 50/s burst 100: the bucket starts full (100) at the first request, then gains
    // 0.05 per ms over the 999 ms to the last one: 49 more whole tokens.
    expect(count('rate-limited')).toBe(851);
    expect(count('wrong-code')).toBe(5);
    expect(count('locked-out')).toBe(144);
    expect(r.fake.attempts('alice')).toBe(149);
    expect(r.fake.failures('alice')).toBe(5);
    for (const f of frames) if (!f.ok) expect(f.error.retryAfterMs).toBeGreaterThan(0);
    expect(c.closed).toBe(false);
  });

  it('without the rate limit, 1,000 attempts all reach the lockout counter', async () => {
    const r = await rig({ limits: { requestsPerSecond: 1e6, burst: 1e6, maxQueuedRequests: 2000 } });
    const c = connect(r);
    await c.hello(alice);
    for (let i = 0; i < 1000; i += 1) c.request('session.unlock', { sessionId: 'c1', code: '000000' });
    await settle();
    expect(r.fake.attempts('alice')).toBe(1000);
    expect(r.fake.failures('alice')).toBe(5);
    expect(r.gate.stats().responses).toMatchObject({ ok: 1001 });
    expect(r.gate.stats().handlerCalls).toEqual({ 'session.unlock': 1000 });
  });

  it('1,000 frames in one chunk: the queue bound answers the overflow at once; nothing is lost or doubled', async () => {
    const r = await rig();
    const c = connect(r);
    await c.hello(alice);
    const text = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ v: 1, id: i + 1, method: 'session.list', params: {} })).join('\n');
    c.raw(`${text}\n`);
    await settle();
    const frames = c.responses().filter((f) => f.id !== 0);
    expect(new Set(frames.map((f) => f.id)).size).toBe(1000);
    const ok = frames.filter((f) => f.ok).length;
    // 100 tokens; of those the queue (64) plus the one already running took 65.
    expect(ok).toBe(65);
    expect(r.gate.stats().handlerCalls['session.list']).toBe(65);
    expect(frames.filter((f) => !f.ok && f.error.code === 'rate-limited')).toHaveLength(935);
  });

  it('the rate limit is per uid: another user is not slowed down', async () => {
    const r = await rig({ limits: { burst: 3, requestsPerSecond: 1 } });
    const a = connect(r);
    await a.hello(alice);
    for (let i = 0; i < 5; i += 1) a.request('session.list');
    const b = connect(r);
    await b.hello(bob);
    const id = b.request('session.list');
    await settle();
    expect(a.responses().filter((f) => !f.ok)).toHaveLength(2);
    expect(b.response(id).ok).toBe(true);
  });

  it('audit records are rate limited; the next written record says how many were left out', async () => {
    const r = await rig({ limits: { auditEventsPerSecond: 1, requestsPerSecond: 1e6, burst: 1e6 } });
    const c = connect(r);
    await c.hello(alice);
    for (let i = 0; i < 10; i += 1) c.request('admin.mfa.status');
    await settle();
    expect(r.audit).toHaveLength(2);
    expect(r.gate.stats().auditSuppressed).toBe(8);
    r.clock.advanceMs(1000);
    c.request('admin.mfa.status');
    await settle();
    expect(r.audit.at(-1)?.data.suppressedBefore).toBe(8);
  });
});

describe('events', () => {
  it('session state goes to the owner’s and root’s subscribed connections only', async () => {
    const r = await rig();
    const [a, aQuiet, b, root] = [connect(r), connect(r), connect(r), connect(r)];
    await a.hello(alice);
    await aQuiet.hello(alice);
    await b.hello(bob);
    await root.hello(0);
    for (const c of [a, b, root]) c.request('events.subscribe');
    await settle();
    expect(a.response(1)).toMatchObject({ ok: true, result: { subscribed: true } });
    expect(r.gate.stats()).toMatchObject({ authenticated: 4, subscribed: 3 });

    expect(await r.gate.publishSessionState(fakeState('c1', 'alice'))).toBe(2);
    expect(a.events()).toEqual([{ v: 1, event: 'session.state', data: fakeState('c1', 'alice') }]);
    expect(root.events()).toHaveLength(1);
    expect(b.events()).toHaveLength(0);
    expect(aQuiet.events()).toHaveLength(0);

    // An unknown session is told to root only.
    expect(await r.gate.publishSessionState(fakeState('gone', 'carol'))).toBe(1);

    const notification = { id: 1, at: '2025-04-01T09:00:00Z', kind: 'usb-blocked' as const, title: { ja: 'USB をブロックしました', en: 'USB blocked' }, body: { ja: '許可されていない機器です', en: 'Device not allowed' } };
    expect(r.gate.publishNotification(bob, notification)).toBe(2);
    expect(b.events()).toEqual([{ v: 1, event: 'notification', data: notification }]);
    expect(a.events()).toHaveLength(1);

    // A state that does not fit the schema is not sent; it is audited.
    expect(await r.gate.publishSessionState({ ...fakeState('c1', 'alice'), sessionId: 'bad id!' })).toBe(0);
    expect(r.audit.at(-1)).toMatchObject({ type: 'ipc.bad-event' });

    a.connection.closed();
    expect(await r.gate.publishSessionState(fakeState('c1', 'alice'))).toBe(1);
    r.gate.closeAll();
    expect(root.closed).toBe(true);
    expect(r.gate.stats().connections).toBe(0);
  });
});

function fakeState(sessionId: string, user: string): SessionState {
  return {
    sessionId,
    user,
    state: 'locked',
    reason: 'idle',
    unlockedUntil: null,
    graceEndsAt: null,
    enrolled: true,
    lockout: { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false },
  };
}

describe('connection end', () => {
  it('tells the listener once when an authenticated connection ends, by either side, with the id handlers saw', async () => {
    const closed: { connectionId: number; uid: number }[] = [];
    const seen: number[] = [];
    const r = await rig({
      onConnectionClosed: (c) => closed.push(c),
      overrides: {
        'session.list': (_p, ctx) => {
          ctx.authorizeSelf();
          seen.push(ctx.connectionId);
          return Promise.resolve({ sessions: [] });
        },
      },
    });
    const a = connect(r);
    await a.hello(alice);
    a.request('session.list');
    await settle();
    a.connection.closed();
    a.connection.closed();
    const b = connect(r);
    await b.hello(bob);
    b.raw('{not json\n');
    await settle();
    // Never authenticated: not a tray that went away.
    const c = connect(r);
    c.connection.closed();
    r.gate.closeAll();
    expect(closed.map((x) => x.uid)).toEqual([alice, bob]);
    expect(closed[0]?.connectionId).toBe(seen[0]);
  });
});

