// Public surface of the mounts module (issue #4 item 1): the mount model, the ports adapters
// implement, the pure mountinfo parser, classification, decision and the words for `mng media list`.
export * from './model';
export * from './ports';
export { displayPathText, escapeMountinfoField, makeMountPath, mountPathFromText, unescapeMountinfoField } from './mount-path';
export { parseMountinfo } from './mountinfo';
export {
  decideMountClass,
  findContainingMount,
  findMountDevice,
  indexBlockDevices,
  isFuseType,
  networkFsTypes,
  opticalFsTypes,
  pseudoFsTypes,
  usbPortOfSysfsPath,
  type BlockFactsIndex,
  type MountClassBasis,
  type MountClassification,
} from './decide-mount-class';
export { approvalMatches, classDefaultAction, decideMount, type MountDecision, type MountDecisionInput, type MountDecisionReason } from './decide-mount';
export {
  describeEnforcementOutcome,
  describeHolderReport,
  describeMountReason,
  holderResultText,
  mountEnforcementStepText,
  describeMounts,
  formatMountRows,
  mediaActionText,
  mountClassBasisText,
  mountClassText,
  type DescribedMount,
  type MountRow,
} from './describe-mounts';
export { makeBlockFacts, makeMount } from './test-mounts';
export {
  decideHolderStops,
  isReadOnlyMount,
  planMountEnforcement,
  protectedMountPoints,
  readOnlyOptions,
  type HolderSpareReason,
  type HolderStopDecision,
  type MountEnforcementPlan,
  type MountEnforcementStep,
} from './plan-mount-enforcement';
export {
  createMountEnforcer,
  failClosedMediaPolicy,
  type HolderReport,
  type MountEnforcementOutcome,
  type MountEnforcer,
  type MountEnforcerDeps,
  type MountPolicySource,
  type MountState,
} from './mount-service';
export { renderUdisksPolkitRule, udisksMountActions, udisksPolkitRulePath } from './udisks-polkit-rule';
