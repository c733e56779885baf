import type { AgentSummary } from '../posture';

/** Port: where the signed policy bundle comes from (a file on Linux and Windows alike). */
export interface PolicyBundleSource {
  /** Path or URL, for messages and audit records. */
  readonly location: string;
  /** Reads the whole bundle. Rejects with an MngError (missing, not a regular file, too large…). */
  read(): Promise<Uint8Array>;
}

/** Port: publishes the agent's state for local readers (`mng agent status`, later the tray app). */
export interface StatusPublisher {
  publish(status: AgentStatusDocument): Promise<void>;
}

/** The document the agent publishes after every change. */
export interface AgentStatusDocument {
  readonly format: 'mynumber-guard.agent-status/v1';
  readonly pid: number;
  readonly startedAt: string;
  readonly summary: AgentSummary;
  /** Details of each control module that runs (e.g. `usb`: devices and verdicts). */
  readonly controls: Readonly<Record<string, unknown>>;
  readonly policyFindings: readonly { readonly code: string; readonly severity: string; readonly message: { ja: string; en: string } }[];
  readonly lastRejection: { readonly code: string; readonly message: { ja: string; en: string }; readonly source: string; readonly at: string } | null;
}
