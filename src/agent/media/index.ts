// Public surface of the media module (issue #4): the agent control that joins the mount control,
// the export ledger and the automount rule, and the pure destination planner.
export type { AutomountRuleStore } from './ports';
export { destinationsSignature, planExportDestinations, type DestinationPlanInput, type PlannedDestination } from './plan-destinations';
export { createMediaControl, type AutomountRuleState, type MediaControl, type MediaControlDeps, type MediaPolicyView, type RecentMediaAction } from './media-control';
