// Public Windows adapters. Only the composition root (src/agent/main.ts) imports them, after it
// has read process.platform; nothing here runs on import.
export { approvedUsbDevicesFromRules } from './approvals-from-usb-rules';
export { createExecFileCommandRunner, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES, type CommandOutcome, type CommandRunner, type ExecFileCommandRunnerOptions } from './command-runner';
export { formatRegistryChanges, formatWindowsUsbPlan } from './describe-windows-usb-plan';
export {
  combineRevertPlans,
  parseRevertPlan,
  planRegistryChanges,
  REVERT_PLAN_FORMAT,
  type RegistryChange,
  type RegistryChangePlan,
  type RegistryChangeProblem,
  type SkippedTarget,
  type WindowsRevertPlan,
} from './plan-registry-changes';
export {
  findWeakeningSettings,
  planWindowsUsbPolicy,
  usbInstanceIdOf,
  type WindowsApprovedUsbDevice,
  type WindowsDeviceAccess,
  type WindowsPlanNotice,
  type WindowsUsbDecisions,
  type WindowsUsbPlan,
  type WindowsUsbPolicyInput,
} from './plan-windows-usb-policy';
export {
  createRegExeUsbPolicy,
  formatPreparedCommands,
  readRegistrySnapshot,
  regExePathFor,
  type CommandResult,
  type PreparedWindowsChange,
  type RegExeUsbPolicyDeps,
  type WindowsApplyReport,
  type WindowsDriftReport,
  type WindowsRegistryFailure,
  type WindowsUsbPolicy,
} from './reg-exe-usb-policy';
export { commandArray, formatCommandLine, type RegCommand, type RegistryTarget, type RegValue } from './registry-model';
export { NEVER_DENIED_SETUP_CLASSES } from './windows-usb-classes';
export { createWtsSessions, parseQuerySession, planWtsList, planWtsLock, planWtsTerminate, unresolvedWindowsUid, wtsSessionFacts, type WindowsUidResolver, type WtsCommand, type WtsSessionRow, type WtsSessionsOptions, type WtsState } from './wts-session-plan';
export { agentPipeName, agentPipeSddl, parseSddlDacl, planNamedPipeIpc, planTokenFileSddl, windowsUidOfSid, type NamedPipeIpcPlan, type SddlAce } from './named-pipe-ipc-plan';
