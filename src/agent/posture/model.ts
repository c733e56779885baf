import type { Localized } from '../../shared/i18n';

/** Facts about the terminal, read by a platform adapter. `null` means the fact could not be read. */
export interface HostFacts {
  readonly os: {
    readonly platform: string;
    readonly distro: string;
    readonly release: string;
    readonly kernel: string;
    readonly arch: string;
  };
  readonly hostname: string;
  /** Stable machine identifier (Linux /etc/machine-id, Windows MachineGuid). */
  readonly machineId: string | null;
  readonly interfaces: readonly NetworkInterfaceFact[];
  readonly defaultGateway: string | null;
  /** System tools the controls rely on, and whether they were found. */
  readonly tools: readonly ToolFact[];
}

export interface NetworkInterfaceFact {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly internal: boolean;
  readonly up: boolean;
}

export interface ToolFact {
  readonly name: string;
  /** Which control needs it, e.g. `usb`, `media`. */
  readonly neededBy: string;
  readonly present: boolean;
}

/** The controls the agent reports on; each maps to clauses of the municipal policy. */
export const controlNames = ['policy', 'audit', 'usb', 'media', 'channels', 'isolation', 'mfa', 'reporting'] as const;
export type ControlName = (typeof controlNames)[number];

/**
 * enforced: applied by the agent. monitored: decided and reported, nothing changed (monitor mode).
 * pending: the policy states it, but this build of the agent does not carry it out yet.
 * degraded: the agent could not evaluate it (missing tool, unreadable fact): fail closed applies.
 */
export type ControlState = 'enforced' | 'monitored' | 'pending' | 'degraded' | 'ok' | 'failed';

export interface ControlStatus {
  readonly control: ControlName;
  readonly state: ControlState;
  readonly summary: Localized;
  /** Clauses from the policy's `implements`, empty for controls the policy does not name. */
  readonly implements: readonly string[];
}

/**
 * A control module as the runtime drives it (USB, media, isolation, MFA…): started after the
 * policy is restored, told when the policy changes, asked for its state for the summary and the
 * status document.
 */
export interface AgentControl {
  readonly name: ControlName;
  start(): Promise<void>;
  /** The policy in force changed (applied, or none any more): decide everything again. */
  policyChanged(): Promise<void>;
  /** Periodic safety net: re-read the world and correct drift. */
  refresh(): Promise<void>;
  /** The control's line in the summary. `implements` comes from the policy section. */
  status(): ControlStatus;
  /** JSON-serializable details for status.json (devices, decisions…). No secrets. */
  details(): unknown;
  stop(): Promise<void>;
}
