/**
 * The IPC gate's vocabulary: limits, the per-call authorization context and the handler interface
 * the composition root implements from the MFA and session modules.
 */
import type { AgentMethod, IpcErrorCode, MethodParams, MethodResult } from '../../shared/protocol/agent-ipc';
import { maxFrameBytes } from '../../shared/protocol/agent-ipc';

/** Limits of the gate. All per uid unless said otherwise. */
export interface IpcLimits {
  /** Largest frame accepted (bytes, newline included). Protocol default 64 KiB. */
  readonly maxFrameBytes: number;
  /**
   * Token bucket per uid, shared by all of that uid's connections: refill rate (requests per
   * second) and capacity. Every frame after hello takes one token, also malformed ones.
   */
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** Requests waiting for their handler on one connection; more are refused with `rate-limited`. */
  readonly maxQueuedRequests: number;
  /** Frames a client may send before its hello is answered; more close the connection. */
  readonly maxFramesBeforeHello: number;
  /** Authenticated connections per uid; the next hello gets `rate-limited` and is closed. */
  readonly maxConnectionsPerUid: number;
  /** Audit records the gate writes per second (all connections), burst twice that; the rest are counted. */
  readonly auditEventsPerSecond: number;
}

/**
 * Defaults. The request limit is generous on purpose: a tray app sends a heartbeat every few
 * seconds and a code now and then. It protects the agent's CPU and audit log, not the TOTP: the
 * MFA module's lockout counts every unlock attempt that passes the gate, and a rate-limited
 * attempt never reached it (it is neither a failure nor a success).
 */
export const defaultIpcLimits: IpcLimits = {
  maxFrameBytes,
  requestsPerSecond: 50,
  burst: 100,
  maxQueuedRequests: 64,
  maxFramesBeforeHello: 8,
  maxConnectionsPerUid: 16,
  auditEventsPerSecond: 20,
};

/**
 * What a handler gets besides its parsed params. A handler MUST call one of the `authorize…`
 * functions before it acts: the gate refuses (`forbidden`) the result of a call that granted
 * nothing, and of a call where any authorization was denied, whatever the handler returned
 * (STYLE.md §7, Fleet's backstop). The gate also checks session ownership and the admin privilege
 * itself before calling the handler, so a handler's check is the second line, not the only one.
 */
export interface IpcCallContext {
  /** Identifies the connection while it is open (the same number is given to `onConnectionClosed`). */
  readonly connectionId: number;
  /** The authenticated OS user of the connection. */
  readonly uid: number;
  /** True for uid 0 (may call `admin` methods and act on every session). */
  readonly admin: boolean;
  readonly method: AgentMethod;
  /**
   * Grants a call that acts only on the caller's own data (their session list, their enrollment).
   * The handler must then scope what it reads and writes to `uid`; the gate refuses a result that
   * carries another user's session.
   */
  authorizeSelf(): void;
  /** Grants when `sessionId` exists and belongs to the caller (root: any existing session). */
  authorizeSession(sessionId: string): Promise<boolean>;
  /** Grants for uid 0 only. */
  authorizeAdmin(): boolean;
}

const failureTag: unique symbol = Symbol('mng.ipc-failure');

/** A handler's way to answer with an error code instead of a result. */
export interface IpcFailure {
  readonly [failureTag]: true;
  readonly code: Extract<IpcErrorCode, 'not-found' | 'forbidden' | 'bad-params'>;
}

/** Makes an {@link IpcFailure}; e.g. `return ipcFailure('not-found')`. */
export function ipcFailure(code: IpcFailure['code']): IpcFailure {
  return { [failureTag]: true, code };
}

/** True for values made by {@link ipcFailure}. */
export function isIpcFailure(value: unknown): value is IpcFailure {
  return typeof value === 'object' && value !== null && (value as Partial<IpcFailure>)[failureTag] === true;
}

/** Methods the gate answers itself: `events.subscribe` only touches the gate's broadcaster. */
export type GateMethod = 'events.subscribe';

/** Methods a handler implements. */
export type HandledMethod = Exclude<AgentMethod, GateMethod>;

/** One handler: gets parsed params, returns the typed result or an {@link IpcFailure}. May throw (→ `internal`). */
export type AgentIpcHandler<M extends HandledMethod> = (params: MethodParams<M>, context: IpcCallContext) => Promise<MethodResult<M> | IpcFailure>;

/** One function per method of agentMethods (except those the gate answers itself). */
export type AgentIpcHandlers = { readonly [M in HandledMethod]: AgentIpcHandler<M> };

/** Counters of the gate, for status output and for tests that count exactly. */
export interface IpcGateStats {
  /** Connections open right now (authenticated or not). */
  readonly connections: number;
  /** Authenticated connections right now. */
  readonly authenticated: number;
  /** Subscribed connections right now. */
  readonly subscribed: number;
  /** Responses sent since start: `ok` plus one entry per error code. */
  readonly responses: Readonly<Record<'ok' | IpcErrorCode, number>>;
  /** Handler invocations since start, per method. */
  readonly handlerCalls: Readonly<Record<string, number>>;
  /** Event frames written since start. */
  readonly eventsSent: number;
  /** Audit records not written because of the audit rate limit. */
  readonly auditSuppressed: number;
}
