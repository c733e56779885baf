/**
 * The gate of the agent's local IPC (STYLE.md §1.4: one gate per trust boundary; issue #5 item 3).
 * Everything a local client sends passes here, in this order, before any handler runs:
 *
 *  1. framing: NDJSON, at most `maxFrameBytes` per line (a longer line: `frame-too-large`, close);
 *  2. the first frame must be a `hello` with the caller's uid and token (TokenIssuer, constant time);
 *     anything else closes the connection (`not-authenticated`, `authentication-failed`, audited);
 *  3. per request: JSON (`bad-frame`), token bucket per uid (`rate-limited`), envelope schema
 *     (`bad-frame`), protocol version (`unsupported-version`), method (`unknown-method`), the
 *     method's params schema (`bad-params`), privilege (`admin` needs uid 0 → `forbidden`), and
 *     ownership of the session named in the params (SessionDirectory → `forbidden`);
 *  4. the handler runs with an {@link IpcCallContext}; unless it called an `authorize…` function
 *     that granted (and none that denied), its result is refused with `forbidden` (Fleet's backstop);
 *  5. the result is parsed with the method's result schema (`internal` if it does not fit) and,
 *     for a non-root caller, may not carry another user's session.
 *
 * Nothing throws across the boundary: a handler exception becomes `internal` and an audit record.
 * Requests of one connection run one at a time in arrival order; errors found in steps 1–3 are
 * answered at once, so responses may overtake queued ones (clients match them by `id`).
 */
import type { Clock } from '../../shared/clock';
import { isMngError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { silentLogger } from '../../shared/logger';
import {
  agentIpcVersion,
  agentMethods,
  eventFrameSchema,
  helloFrameSchema,
  ipcErrorCodes,
  requestFrameSchema,
  type AgentMethod,
  type EventFrame,
  type HelloResult,
  type IpcErrorCode,
  type Notification,
  type ResponseFrame,
  type SessionState,
} from '../../shared/protocol/agent-ipc';
import { createNdjsonDecoder, type NdjsonDecoder } from '../../shared/protocol/ndjson-frames';
import type { AuditEventInput, AuditSink } from '../audit';
import { defaultIpcLimits, isIpcFailure, type AgentIpcHandlers, type HandledMethod, type IpcCallContext, type IpcGateStats, type IpcLimits } from './model';
import type { IpcConnection, IpcConnectionAcceptor, IpcTransport, SessionDirectory, TokenIssuer } from './ports';
import { createTokenBuckets } from './token-bucket';

/** What the gate needs. */
export interface IpcGateDeps {
  readonly handlers: AgentIpcHandlers;
  readonly tokens: TokenIssuer;
  readonly sessions: SessionDirectory;
  readonly audit: AuditSink;
  readonly clock: Clock;
  /** Overrides of {@link defaultIpcLimits}. */
  readonly limits?: Partial<IpcLimits>;
  /** Where audit-write failures are reported (the gate never throws them). */
  readonly logger?: Logger;
  /**
   * Called once when an authenticated connection ends (closed by either side). The tray's
   * connection ending means the tray app is gone: the session lock reacts at once, not after the
   * heartbeat grace.
   */
  readonly onConnectionClosed?: (connection: { readonly connectionId: number; readonly uid: number }) => void;
}

/** The gate: accepts connections from a socket / pipe adapter and pushes events to subscribers. */
export interface IpcGate extends IpcConnectionAcceptor {
  /**
   * Sends a `session.state` event to the subscribed connections of the session's owner and of root.
   * Resolves to the number of connections it was written to (0 when the state does not fit the schema).
   */
  publishSessionState(state: SessionState): Promise<number>;
  /** Sends a `notification` event to the subscribed connections of `uid` and of root; returns the count. */
  publishNotification(uid: number, notification: Notification): number;
  stats(): IpcGateStats;
  /** Closes every connection (agent shutdown). */
  closeAll(): void;
}

type Phase = 'hello' | 'authenticating' | 'ready' | 'closed';

interface QueuedRequest {
  readonly id: number;
  readonly method: AgentMethod;
  readonly params: unknown;
}

interface ConnectionState {
  readonly id: number;
  readonly transport: IpcTransport;
  readonly decoder: NdjsonDecoder;
  phase: Phase;
  uid: number;
  readonly beforeHello: (string | undefined)[];
  readonly queue: QueuedRequest[];
  running: boolean;
  subscribed: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request id when the frame has a usable one, else null (the error then carries `id: null`). */
const idOf = (value: unknown): number | null => {
  if (!isRecord(value)) return null;
  const id = value.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
};

const parseJson = (text: string | undefined): { ok: true; value: unknown } | { ok: false } => {
  if (text === undefined) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (_notJson) {
    // Malformed input is an expected outcome at the gate: answered with `bad-frame`.
    return { ok: false };
  }
};

/** Session ids a result talks about; a non-root caller may see only their own. */
function sessionIdsInResult(method: AgentMethod, result: unknown): string[] {
  if (!isRecord(result)) return [];
  switch (method) {
    case 'session.list':
      return Array.isArray(result.sessions) ? result.sessions.map((s) => (isRecord(s) ? String(s.sessionId) : '')) : [];
    case 'session.unlock':
    case 'session.lock':
      return isRecord(result.session) ? [String(result.session.sessionId)] : [];
    default:
      return [];
  }
}

/** Creates the gate. One gate serves every connection of the agent. */
export function createIpcGate(deps: IpcGateDeps): IpcGate {
  const limits: IpcLimits = { ...defaultIpcLimits, ...deps.limits };
  const logger = deps.logger ?? silentLogger;
  const requestBuckets = createTokenBuckets<number>({ ratePerSecond: limits.requestsPerSecond, burst: limits.burst, clock: deps.clock });
  const auditBuckets = createTokenBuckets<'audit'>({ ratePerSecond: limits.auditEventsPerSecond, burst: limits.auditEventsPerSecond * 2, clock: deps.clock });
  const connections = new Set<ConnectionState>();
  let nextConnectionId = 1;

  const responses = Object.fromEntries(['ok', ...ipcErrorCodes].map((code) => [code, 0])) as Record<'ok' | IpcErrorCode, number>;
  const handlerCalls: Record<string, number> = {};
  let eventsSent = 0;
  let auditSuppressed = 0;
  let suppressedSinceLastRecord = 0;

  /** Writes an audit record unless the audit rate limit is spent; never throws, never blocks a reply. */
  const audit = (event: AuditEventInput): void => {
    if (!auditBuckets.take('audit').ok) {
      auditSuppressed += 1;
      suppressedSinceLastRecord += 1;
      return;
    }
    const data = suppressedSinceLastRecord > 0 ? { ...event.data, suppressedBefore: suppressedSinceLastRecord } : event.data;
    suppressedSinceLastRecord = 0;
    deps.audit.append({ ...event, data }).catch((error: unknown) => {
      logger.error({ type: event.type, err: String(error) }, 'ipc: audit record could not be written');
    });
  };

  const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

  const write = (conn: ConnectionState, frame: ResponseFrame | EventFrame): boolean => {
    if (conn.phase === 'closed') return false;
    const line = JSON.stringify(frame);
    if (byteLength(line) + 1 > limits.maxFrameBytes) return false;
    conn.transport.send(`${line}\n`);
    return true;
  };

  const respondError = (conn: ConnectionState, id: number | null, code: IpcErrorCode, retryAfterMs?: number): void => {
    const error = retryAfterMs === undefined ? { code } : { code, retryAfterMs };
    if (write(conn, { v: agentIpcVersion, id, ok: false, error })) responses[code] += 1;
  };

  const respondOk = (conn: ConnectionState, id: number, method: string, result: unknown): void => {
    if (conn.phase === 'closed') return;
    if (write(conn, { v: agentIpcVersion, id, ok: true, result })) {
      responses.ok += 1;
      return;
    }
    // The result does not fit in a frame: a bug of the handler (e.g. an oversized QR code).
    audit({ type: 'ipc.response-too-large', severity: 'alert', data: { connection: conn.id, uid: conn.uid, method, maxFrameBytes: limits.maxFrameBytes } });
    respondError(conn, id, 'internal');
  };

  const ended = (conn: ConnectionState, wasAuthenticated: boolean): void => {
    if (!wasAuthenticated || deps.onConnectionClosed === undefined) return;
    try {
      deps.onConnectionClosed({ connectionId: conn.id, uid: conn.uid });
    } catch (error) {
      logger.error({ err: String(error) }, 'ipc: connection-closed listener failed');
    }
  };

  const close = (conn: ConnectionState): void => {
    if (conn.phase === 'closed') return;
    const wasAuthenticated = conn.phase === 'ready';
    conn.phase = 'closed';
    conn.queue.length = 0;
    conn.beforeHello.length = 0;
    connections.delete(conn);
    conn.transport.close();
    ended(conn, wasAuthenticated);
  };

  const refuse = (conn: ConnectionState, id: number | null, method: string, reason: string, severity: 'warning' | 'alert' = 'warning', extra: Record<string, unknown> = {}): void => {
    audit({ type: 'ipc.forbidden', severity, data: { connection: conn.id, uid: conn.uid, method, reason, ...extra } });
    respondError(conn, id, 'forbidden');
  };

  // ---- step 2: hello ------------------------------------------------------------------------

  const authenticate = async (conn: ConnectionState, text: string | undefined): Promise<void> => {
    const parsed = parseJson(text);
    if (!parsed.ok) {
      respondError(conn, null, 'bad-frame');
      close(conn);
      return;
    }
    const id = idOf(parsed.value);
    if (!isRecord(parsed.value) || parsed.value.method !== 'hello') {
      respondError(conn, id, 'not-authenticated');
      close(conn);
      return;
    }
    if (typeof parsed.value.v === 'number' && parsed.value.v !== agentIpcVersion) {
      respondError(conn, id, 'unsupported-version');
      close(conn);
      return;
    }
    const hello = helloFrameSchema.safeParse(parsed.value);
    if (!hello.success) {
      respondError(conn, id, 'bad-frame');
      close(conn);
      return;
    }
    const { uid, token, client } = hello.data.params;
    let verified: boolean;
    try {
      verified = await deps.tokens.verify(uid, token);
    } catch (error) {
      audit({ type: 'ipc.token-check-failed', severity: 'alert', data: { connection: conn.id, claimedUid: uid, error: describeError(error) } });
      respondError(conn, hello.data.id, 'internal');
      close(conn);
      return;
    }
    if (conn.phase === 'closed') return;
    if (!verified) {
      // The claimed uid is not proven; it is recorded as a claim, and the token never.
      audit({ type: 'ipc.authentication-failed', severity: 'warning', data: { connection: conn.id, claimedUid: uid, client } });
      respondError(conn, hello.data.id, 'authentication-failed');
      close(conn);
      return;
    }
    const open = [...connections].filter((other) => other.phase === 'ready' && other.uid === uid).length;
    if (open >= limits.maxConnectionsPerUid) {
      audit({ type: 'ipc.too-many-connections', severity: 'notice', data: { connection: conn.id, uid, open } });
      respondError(conn, hello.data.id, 'rate-limited', 1000);
      close(conn);
      return;
    }
    conn.uid = uid;
    conn.phase = 'ready';
    const result: HelloResult = { uid, admin: uid === 0 };
    respondOk(conn, hello.data.id, 'hello', result);
    const waiting = conn.beforeHello.splice(0);
    for (const frame of waiting) {
      if (conn.phase !== 'ready') break;
      admit(conn, frame);
    }
  };

  // ---- step 3: checks answered at once --------------------------------------------------------

  const admit = (conn: ConnectionState, text: string | undefined): void => {
    const parsed = parseJson(text);
    const id = parsed.ok ? idOf(parsed.value) : null;
    // Every frame costs a token, malformed ones too: they cost parsing and maybe an audit record.
    const take = requestBuckets.take(conn.uid);
    if (!take.ok) {
      respondError(conn, id, 'rate-limited', take.retryAfterMs);
      return;
    }
    if (!parsed.ok) {
      respondError(conn, null, 'bad-frame');
      return;
    }
    const frame = requestFrameSchema.safeParse(parsed.value);
    if (!frame.success) {
      respondError(conn, id, 'bad-frame');
      return;
    }
    const { v, method } = frame.data;
    if (v !== agentIpcVersion) {
      respondError(conn, frame.data.id, 'unsupported-version');
      return;
    }
    if (!Object.hasOwn(agentMethods, method)) {
      respondError(conn, frame.data.id, 'unknown-method');
      return;
    }
    const known = method as AgentMethod;
    const spec = agentMethods[known];
    const params = spec.params.safeParse(frame.data.params);
    if (!params.success) {
      respondError(conn, frame.data.id, 'bad-params');
      return;
    }
    if (spec.privilege === 'admin' && conn.uid !== 0) {
      refuse(conn, frame.data.id, known, 'admin-only');
      return;
    }
    if (conn.queue.length >= limits.maxQueuedRequests) {
      respondError(conn, frame.data.id, 'rate-limited', Math.ceil(1000 / limits.requestsPerSecond));
      return;
    }
    conn.queue.push({ id: frame.data.id, method: known, params: params.data });
    void pump(conn);
  };

  // ---- steps 4 and 5: the handler, one request at a time per connection -----------------------

  const pump = async (conn: ConnectionState): Promise<void> => {
    if (conn.running) return;
    conn.running = true;
    try {
      for (let next = conn.queue.shift(); next !== undefined && conn.phase === 'ready'; next = conn.queue.shift()) {
        await dispatch(conn, next);
      }
    } finally {
      conn.running = false;
    }
  };

  const ownerOf = async (conn: ConnectionState, request: QueuedRequest, sessionId: string): Promise<{ ok: true; owner: number | null } | { ok: false }> => {
    try {
      return { ok: true, owner: await deps.sessions.ownerOf(sessionId) };
    } catch (error) {
      audit({ type: 'ipc.handler-failed', severity: 'alert', data: { connection: conn.id, uid: conn.uid, method: request.method, step: 'session-owner', error: describeError(error) } });
      respondError(conn, request.id, 'internal');
      return { ok: false };
    }
  };

  const dispatch = async (conn: ConnectionState, request: QueuedRequest): Promise<void> => {
    const { id, method, params } = request;
    if (method === 'events.subscribe') {
      conn.subscribed = true;
      respondOk(conn, id, method, agentMethods[method].result.parse({ subscribed: true }));
      return;
    }
    // The gate's own ownership check, before the handler sees the request.
    const named = isRecord(params) && typeof params.sessionId === 'string' ? params.sessionId : undefined;
    if (named !== undefined) {
      const found = await ownerOf(conn, request, named);
      if (!found.ok) return;
      if (found.owner === null && conn.uid === 0) {
        respondError(conn, id, 'not-found');
        return;
      }
      // A user learns nothing about sessions that are not theirs, not even whether they exist.
      if (found.owner !== conn.uid && conn.uid !== 0) {
        refuse(conn, id, method, found.owner === null ? 'unknown-session' : 'not-owner', 'warning', { sessionId: named });
        return;
      }
    }

    let granted = false;
    let denied = false;
    const context: IpcCallContext = {
      connectionId: conn.id,
      uid: conn.uid,
      admin: conn.uid === 0,
      method,
      authorizeSelf: () => {
        granted = true;
      },
      authorizeSession: async (sessionId) => {
        let owner: number | null;
        try {
          owner = await deps.sessions.ownerOf(sessionId);
        } catch (_directoryFailed) {
          // Fail closed: an unanswerable ownership question is a denial.
          denied = true;
          return false;
        }
        const ok = owner !== null && (owner === conn.uid || conn.uid === 0);
        if (ok) granted = true;
        else denied = true;
        return ok;
      },
      authorizeAdmin: () => {
        const ok = conn.uid === 0;
        if (ok) granted = true;
        else denied = true;
        return ok;
      },
    };

    handlerCalls[method] = (handlerCalls[method] ?? 0) + 1;
    let outcome: unknown;
    try {
      // The params were parsed with this method's own schema in admit(); the map keeps them paired.
      const handler = deps.handlers[method as HandledMethod] as (p: unknown, c: IpcCallContext) => Promise<unknown>;
      outcome = await handler(params, context);
    } catch (error) {
      if (conn.phase !== 'ready') return;
      audit({ type: 'ipc.handler-failed', severity: 'alert', data: { connection: conn.id, uid: conn.uid, method, error: describeError(error) } });
      respondError(conn, id, 'internal');
      return;
    }
    if (conn.phase !== 'ready') return;
    if (denied) {
      refuse(conn, id, method, 'denied-by-handler');
      return;
    }
    if (!granted) {
      // A handler that never called authorize…() is a bug; its result is not sent (STYLE.md §7).
      refuse(conn, id, method, 'handler-did-not-authorize', 'alert');
      return;
    }
    if (isIpcFailure(outcome)) {
      respondError(conn, id, outcome.code);
      return;
    }
    const result = agentMethods[method].result.safeParse(outcome);
    if (!result.success) {
      audit({ type: 'ipc.bad-result', severity: 'alert', data: { connection: conn.id, uid: conn.uid, method, issues: result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.code}`) } });
      respondError(conn, id, 'internal');
      return;
    }
    if (conn.uid !== 0) {
      for (const sessionId of sessionIdsInResult(method, result.data)) {
        const found = await ownerOf(conn, request, sessionId);
        if (!found.ok) return;
        if (found.owner !== conn.uid) {
          refuse(conn, id, method, 'foreign-session-in-result', 'alert', { sessionId });
          return;
        }
      }
    }
    respondOk(conn, id, method, result.data);
  };

  // ---- connections ----------------------------------------------------------------------------

  const onFrame = (conn: ConnectionState, bytes: Uint8Array): void => {
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch (_notUtf8) {
      // Invalid UTF-8 is answered like malformed JSON.
      text = undefined;
    }
    switch (conn.phase) {
      case 'hello':
        conn.phase = 'authenticating';
        void authenticate(conn, text);
        return;
      case 'authenticating':
        if (conn.beforeHello.length >= limits.maxFramesBeforeHello) {
          respondError(conn, null, 'not-authenticated');
          close(conn);
          return;
        }
        conn.beforeHello.push(text);
        return;
      case 'ready':
        admit(conn, text);
        return;
      case 'closed':
        return;
    }
  };

  return {
    open(transport) {
      const conn: ConnectionState = {
        id: nextConnectionId++,
        transport,
        decoder: createNdjsonDecoder(limits.maxFrameBytes),
        phase: 'hello',
        uid: -1,
        beforeHello: [],
        queue: [],
        running: false,
        subscribed: false,
      };
      connections.add(conn);
      const connection: IpcConnection = {
        get authenticated() {
          return conn.phase === 'ready';
        },
        receive(chunk) {
          if (isClosed(conn)) return;
          const { frames, tooLarge } = conn.decoder.push(chunk);
          for (const frame of frames) {
            // onFrame may close the connection (a bad hello); the rest of the chunk is then dropped.
            if (isClosed(conn)) return;
            onFrame(conn, frame);
          }
          if (tooLarge && !isClosed(conn)) {
            audit({ type: 'ipc.frame-too-large', severity: 'notice', data: { connection: conn.id, uid: conn.phase === 'ready' ? conn.uid : null, maxFrameBytes: limits.maxFrameBytes } });
            respondError(conn, null, 'frame-too-large');
            close(conn);
          }
        },
        closed() {
          if (conn.phase === 'closed') return;
          const wasAuthenticated = conn.phase === 'ready';
          conn.phase = 'closed';
          conn.queue.length = 0;
          conn.beforeHello.length = 0;
          connections.delete(conn);
          ended(conn, wasAuthenticated);
        },
      };
      return connection;
    },

    async publishSessionState(state) {
      const frame = eventFrameSchema.safeParse({ v: agentIpcVersion, event: 'session.state', data: state });
      if (!frame.success) {
        audit({ type: 'ipc.bad-event', severity: 'alert', data: { event: 'session.state' } });
        return 0;
      }
      let owner: number | null;
      try {
        owner = await deps.sessions.ownerOf(state.sessionId);
      } catch (error) {
        // Unknown owner: only root hears about it.
        logger.warn({ sessionId: state.sessionId, err: String(error) }, 'ipc: session owner unknown for an event');
        owner = null;
      }
      return broadcast(frame.data, (uid) => uid === 0 || uid === owner);
    },

    publishNotification(uid, notification) {
      const frame = eventFrameSchema.safeParse({ v: agentIpcVersion, event: 'notification', data: notification });
      if (!frame.success) {
        audit({ type: 'ipc.bad-event', severity: 'alert', data: { event: 'notification' } });
        return 0;
      }
      return broadcast(frame.data, (other) => other === 0 || other === uid);
    },

    stats() {
      const all = [...connections];
      return {
        connections: all.length,
        authenticated: all.filter((c) => c.phase === 'ready').length,
        subscribed: all.filter((c) => c.phase === 'ready' && c.subscribed).length,
        responses: { ...responses },
        handlerCalls: { ...handlerCalls },
        eventsSent,
        auditSuppressed,
      };
    },

    closeAll() {
      for (const conn of [...connections]) close(conn);
    },
  };

  function broadcast(frame: EventFrame, mayHear: (uid: number) => boolean): number {
    let sent = 0;
    for (const conn of connections) {
      if (conn.phase !== 'ready' || !conn.subscribed || !mayHear(conn.uid)) continue;
      if (write(conn, frame)) sent += 1;
    }
    eventsSent += sent;
    return sent;
  }
}

/** Reads the phase without the narrowing of earlier checks (callbacks may have closed the connection). */
function isClosed(conn: { readonly phase: Phase }): boolean {
  return conn.phase === 'closed';
}

/** What an audit record says about an unexpected error: its stable code or class, never a message that might hold input. */
function describeError(error: unknown): string {
  if (isMngError(error)) return error.code;
  return error instanceof Error ? error.name : typeof error;
}
