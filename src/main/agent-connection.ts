/**
 * What the tray app needs from its connection to the agent (the port; STYLE.md §4). The real one
 * is src/main/agent-client.ts (createAgentClient: NDJSON over the local socket, hello with uid and
 * token); index.ts adapts it to this interface. Tests use a fake.
 */
import type { AgentMethod, EventFrame, IpcErrorCode, MethodParams, MethodResult } from '../shared/protocol/agent-ipc';

/** Link state of the connection. */
export type AgentLinkState = 'connecting' | 'connected' | 'disconnected';

/**
 * Outcome of one call: the method's parsed result, or a stable code. `unreachable` is the
 * client's own: no connection, a timeout, or the socket closed before the answer.
 */
export type AgentCallOutcome<M extends AgentMethod> =
  | { readonly ok: true; readonly result: MethodResult<M> }
  | { readonly ok: false; readonly code: IpcErrorCode | 'unreachable'; readonly retryAfterMs?: number };

/** The tray app's view of the agent. */
export interface AgentConnection {
  readonly state: AgentLinkState;
  /** Calls one method; never throws for expected failures (they come back as codes). */
  call<M extends AgentMethod>(method: M, params: MethodParams<M>): Promise<AgentCallOutcome<M>>;
  /** Every event frame pushed by the agent (after `events.subscribe`). Returns an unsubscribe function. */
  onEvent(listener: (event: EventFrame) => void): () => void;
  /** Every change of {@link state}. Returns an unsubscribe function. */
  onStateChange(listener: (state: AgentLinkState) => void): () => void;
}
