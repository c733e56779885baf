import { parseDocument } from 'yaml';
import { z } from 'zod';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';

/** monitor: observe, decide and report, change nothing. enforce: apply every decision. */
export const agentModes = ['monitor', 'enforce'] as const;
export type AgentMode = (typeof agentModes)[number];

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Controls that a configuration may switch off. A switched-off control is reported as `degraded`
 * (never as enforced) in the summary and the posture report, and named in `agent.started`. For
 * test rigs and staged roll-outs; a managed terminal runs them all.
 */
export const switchableControls = ['usb', 'media', 'channels', 'isolation', 'mfa'] as const;
export type SwitchableControl = (typeof switchableControls)[number];

/** The agent configuration file (`/etc/mynumber-guard/agent.yaml`), every field optional. */
export const agentConfigFileSchema = z
  .object({
    mode: z.enum(agentModes).optional(),
    stateDir: z.string().min(1).max(4096).optional(),
    auditLog: z.string().min(1).max(4096).optional(),
    policyBundle: z.string().min(1).max(4096).optional(),
    trustStore: z.string().min(1).max(4096).optional(),
    logLevel: z.enum(logLevels).optional(),
    logFile: z.string().min(1).max(4096).optional(),
    postureIntervalSeconds: z.number().int().min(10).max(86_400).optional(),
    sysfsRoot: z.string().min(1).max(4096).optional(),
    disabledControls: z.array(z.enum(switchableControls)).max(switchableControls.length).optional(),
    canaryProbes: z.boolean().optional(),
    automountRulePath: z.string().min(1).max(4096).optional(),
    socketPath: z.string().min(1).max(107).optional(),
    tokenDir: z.string().min(1).max(4096).optional(),
    mfaKeyFile: z.string().min(1).max(4096).optional(),
    trayEnrollment: z.boolean().optional(),
    loginDeadlineSeconds: z.number().int().min(0).max(86_400).optional(),
    pamOathUsersfile: z.string().min(1).max(4096).optional(),
  })
  .strict();

export type AgentConfigFile = z.infer<typeof agentConfigFileSchema>;

/** Fully resolved configuration the composition root runs with. Paths are absolute. */
export interface AgentConfig {
  readonly mode: AgentMode;
  readonly stateDir: string;
  readonly auditLog: string;
  readonly policyBundle: string;
  readonly trustStore: string;
  readonly logLevel: LogLevel;
  /** Where JSON logs go; 'stderr' for the service manager's journal. */
  readonly logFile: string;
  readonly postureIntervalSeconds: number;
  /** Root of sysfs (`/sys`); another root only for tests and fixture trees (umockdev's testbed). */
  readonly sysfsRoot: string;
  /** Controls switched off by configuration (reported as degraded). */
  readonly disabledControls: readonly SwitchableControl[];
  /**
   * Whether the isolation check connects to the policy's canaries. Off in development: the default
   * policy's canaries are template addresses that may be real hosts on a developer's network.
   */
  readonly canaryProbes: boolean;
  /** Where the udisks2 polkit rule is kept (`/etc/polkit-1/rules.d/10-mynumber-guard-media.rules`). */
  readonly automountRulePath: string;
  /** The local socket the tray apps and `mng` connect to (a Unix socket path: at most 107 bytes). */
  readonly socketPath: string;
  /** Per-user IPC tokens (`<tokenDir>/<uid>`, readable by that user only). */
  readonly tokenDir: string;
  /** The key that encrypts TOTP secrets at rest, kept apart from the state folder. */
  readonly mfaKeyFile: string;
  /** Whether users may enroll their own token from the tray (first-use trust; off on managed terminals). */
  readonly trayEnrollment: boolean;
  /** A session that has not completed MFA this long after login is ended (s); 0 = never. */
  readonly loginDeadlineSeconds: number;
  /** The pam_oath usersfile whose replay state the agent shares (`mng mfa pam install`); absent = nothing shared. */
  readonly pamOathUsersfile: string;
  /** True when no configuration was given and the development defaults apply (see README). */
  readonly development: boolean;
}

/**
 * Parses the configuration file text. Errors name the field and the line, in both languages.
 */
export function parseAgentConfigText(text: string, source: string): Result<AgentConfigFile, Localized> {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    return err(
      msg(
        `${source}: 設定ファイルの YAML が正しくありません: ${yamlError.message}`,
        `${source}: the configuration file is not valid YAML: ${yamlError.message}`,
      ),
    );
  }
  const parsed = agentConfigFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
    const detail =
      issue?.code === 'unrecognized_keys'
        ? msg(`不明な項目 ${issue.keys.join(', ')}`, `unknown field ${issue.keys.join(', ')}`)
        : msg(`値が正しくありません（${issue?.message ?? ''}）`, `invalid value (${issue?.message ?? ''})`);
    return err(
      msg(
        `${source}: 設定項目 ${field}: ${detail.ja}。docs/agent.md の設定項目を確認してください`,
        `${source}: setting ${field}: ${detail.en}. See the settings in docs/agent.md`,
      ),
    );
  }
  return ok(parsed.data);
}

/** Values that come from flags; they win over the file. */
export type AgentFlags = Partial<Omit<AgentConfig, 'development'>>;

/** Installation or development defaults. The audit log and log file default to the state folder. */
export type AgentDefaults = Omit<AgentConfig, 'development' | 'auditLog' | 'logFile'> & { readonly logFile?: string };

/** Merges defaults, the file and flags: flags win over the file, the file over the defaults. */
export function resolveAgentConfig(
  defaults: AgentDefaults,
  file: AgentConfigFile | undefined,
  flags: AgentFlags,
  development: boolean,
): AgentConfig {
  const stateDir = flags.stateDir ?? file?.stateDir ?? defaults.stateDir;
  return {
    mode: flags.mode ?? file?.mode ?? defaults.mode,
    stateDir,
    auditLog: flags.auditLog ?? file?.auditLog ?? `${stateDir}/audit.jsonl`,
    policyBundle: flags.policyBundle ?? file?.policyBundle ?? defaults.policyBundle,
    trustStore: flags.trustStore ?? file?.trustStore ?? defaults.trustStore,
    logLevel: flags.logLevel ?? file?.logLevel ?? defaults.logLevel,
    logFile: flags.logFile ?? file?.logFile ?? defaults.logFile ?? `${stateDir}/agent.log`,
    postureIntervalSeconds: flags.postureIntervalSeconds ?? file?.postureIntervalSeconds ?? defaults.postureIntervalSeconds,
    sysfsRoot: flags.sysfsRoot ?? file?.sysfsRoot ?? defaults.sysfsRoot,
    disabledControls: [...new Set(flags.disabledControls ?? file?.disabledControls ?? defaults.disabledControls)],
    canaryProbes: flags.canaryProbes ?? file?.canaryProbes ?? defaults.canaryProbes,
    automountRulePath: flags.automountRulePath ?? file?.automountRulePath ?? defaults.automountRulePath,
    socketPath: flags.socketPath ?? file?.socketPath ?? defaults.socketPath,
    tokenDir: flags.tokenDir ?? file?.tokenDir ?? defaults.tokenDir,
    mfaKeyFile: flags.mfaKeyFile ?? file?.mfaKeyFile ?? defaults.mfaKeyFile,
    trayEnrollment: flags.trayEnrollment ?? file?.trayEnrollment ?? defaults.trayEnrollment,
    loginDeadlineSeconds: flags.loginDeadlineSeconds ?? file?.loginDeadlineSeconds ?? defaults.loginDeadlineSeconds,
    pamOathUsersfile: flags.pamOathUsersfile ?? file?.pamOathUsersfile ?? defaults.pamOathUsersfile,
    development,
  };
}
