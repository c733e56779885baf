export { createAgentRuntime, type AgentRuntime, type AgentRuntimeDeps, type PolicyLoadOutcome } from './agent-runtime';
export type { AgentStatusDocument, PolicyBundleSource, RunMarkerStore, ServiceManagerNotifier, StatusPublisher } from './ports';
export { absentServiceManager, createAgentLiveness, type AgentLiveness, type AgentLivenessDeps } from './liveness';
export { decideUncleanStop, parseRunMarker, runMarkerSchema, type RunMarker, type RunMarkerRead } from './run-marker';
