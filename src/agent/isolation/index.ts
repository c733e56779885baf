// Public surface of the isolation module (issue #4 item 4): the model, the ports adapters
// implement, the pure parsers of OS output, the decision, the check runner, the monitor service
// and the agent control.
export * from './model';
export type { CanaryProber, NetworkChangeSource, NetworkFactsReader } from './ports';

export { decideIsolation, type IsolationRules } from './decide-isolation';
export { runIsolationCheck, type IsolationCheck } from './run-isolation-check';
export {
  createIsolationMonitor,
  type IsolationMonitor,
  type IsolationMonitorDeps,
  type IsolationState,
  type IsolationTimers,
  type IsolationTrigger,
} from './isolation-service';
export { createIsolationControl } from './isolation-control';
