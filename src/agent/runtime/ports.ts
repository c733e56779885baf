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

/**
 * Port: the service manager that started the agent (systemd's notify protocol on Linux; nothing
 * when run by hand). `watchdogIntervalMs` is how often it wants to hear that the agent is alive,
 * or undefined when it does not watch.
 */
export interface ServiceManagerNotifier {
  readonly watchdogIntervalMs: number | undefined;
  /** Start-up is complete: every control has started (systemd `READY=1`). */
  ready(status: string): Promise<void>;
  /** The agent is alive and its work queue moves (systemd `WATCHDOG=1`). */
  watchdog(): Promise<void>;
  /** A clean stop has begun (systemd `STOPPING=1`). */
  stopping(): Promise<void>;
}

/** Port: the run marker file in the state folder (docs/agent.md, unclean stops). */
export interface RunMarkerStore {
  readonly location: string;
  /** The file's text, or undefined when there is none. Rejects when it exists but cannot be read. */
  read(): Promise<string | undefined>;
  /** Replaces the file (atomically). */
  write(text: string): Promise<void>;
  /** Removes it; no error when it is already gone. */
  remove(): Promise<void>;
}
