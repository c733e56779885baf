export { decideControlStatuses, type AuditView, type PolicyView } from './decide-controls';
export { controlNames, type AgentControl, type ControlName, type ControlState, type ControlStatus, type HostFacts, type NetworkInterfaceFact, type ToolFact } from './model';
export type { HostFactsReader } from './ports';
export { describeHost, formatSummary, type AgentSummary } from './summary';
export { createDisabledControl } from './disabled-control';
