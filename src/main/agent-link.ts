/**
 * Connects the tray app to the agent: the socket client of src/main/agent-client.ts (NDJSON over
 * the local socket, hello with uid and token, reconnect with backoff), seen through the tray app's
 * own port (agent-connection.ts).
 */
import type { AgentConnection, AgentLinkState } from './agent-connection';
import { createAgentClient, type AgentClient, type AgentClientState } from './agent-client';

/** Where and as whom to connect. */
export interface AgentLinkOptions {
  readonly socketPath: string;
  readonly tokenDir: string;
  readonly uid: number;
  readonly reportError: (where: string, error: unknown) => void;
}

/** The client's link state as the tray app sees it: anything but connected or connecting is "no agent". */
export function toLinkState(state: AgentClientState): AgentLinkState {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'connecting':
      return 'connecting';
    case 'unreachable':
    case 'closed':
      return 'disconnected';
  }
}

/** Wraps an agent client as the tray app's connection. */
export function adaptAgentClient(client: AgentClient): AgentConnection {
  return {
    get state() {
      return toLinkState(client.state);
    },
    call: (method, params) => client.call(method, params),
    onEvent: (listener) => client.onEvent(listener),
    onStateChange: (listener) => client.onStateChange((state) => listener(toLinkState(state))),
  };
}

/** Creates the client, starts connecting (it keeps retrying on its own), and returns the connection. */
export function connectAgent(options: AgentLinkOptions): AgentConnection {
  const client = createAgentClient({
    socketPath: options.socketPath,
    tokenDir: options.tokenDir,
    uid: options.uid,
    client: 'tray',
    onError: (error) => options.reportError('agent-client', error),
  });
  client.connect().catch((error: unknown) => options.reportError('agent-connect', error));
  return adaptAgentClient(client);
}
