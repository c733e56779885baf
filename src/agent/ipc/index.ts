// Public surface of the ipc module: the gate of the agent's local socket / pipe (issue #5 item 3),
// its ports (adapters in platform/node and platform/windows) and in-memory stand-ins for tests.
export * from './model';
export * from './ports';
export { createIpcGate, type IpcGate, type IpcGateDeps } from './ipc-gate';
export { createTokenBuckets, type TakeOutcome, type TokenBuckets } from './token-bucket';
export {
  createFakeAgentIpc,
  createMemoryTokenIssuer,
  tokensEqual,
  type FakeAgentIpc,
  type FakeAgentIpcOptions,
  type FakeSession,
  type MemoryTokenIssuer,
} from './fake-agent-ipc';
