export { createAgentRuntime, type AgentRuntime, type AgentRuntimeDeps, type PolicyLoadOutcome } from './agent-runtime';
export type { AgentStatusDocument, PolicyBundleSource, StatusPublisher } from './ports';
