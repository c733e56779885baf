import { describe, expect, it } from 'vitest';
import type { AgentClient, AgentClientState } from './agent-client';
import { adaptAgentClient, toLinkState } from './agent-link';

describe('agent link', () => {
  it.each([
    ['connected', 'connected'],
    ['connecting', 'connecting'],
    ['unreachable', 'disconnected'],
    ['closed', 'disconnected'],
  ] as const)('maps client state %s to %s', (client, link) => {
    expect(toLinkState(client)).toBe(link);
  });

  it('forwards calls, events and state changes', async () => {
    let state: AgentClientState = 'unreachable';
    const stateListeners: ((s: AgentClientState) => void)[] = [];
    const client: AgentClient = {
      get state() {
        return state;
      },
      connect: async () => true,
      call: async (method) => (method === 'events.subscribe' ? { ok: true, result: { subscribed: true } } : { ok: false, code: 'unreachable' }) as never,
      onEvent: () => () => undefined,
      onStateChange: (listener) => {
        stateListeners.push(listener);
        return () => undefined;
      },
      close: async () => undefined,
    };
    const link = adaptAgentClient(client);
    expect(link.state).toBe('disconnected');
    const seen: string[] = [];
    link.onStateChange((s) => seen.push(s));
    state = 'connected';
    for (const listener of stateListeners) listener('connected');
    expect(link.state).toBe('connected');
    expect(seen).toEqual(['connected']);
    await expect(link.call('events.subscribe', {})).resolves.toEqual({ ok: true, result: { subscribed: true } });
  });
});
