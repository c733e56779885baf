// Composition root of the agent: the only file that reads process.platform and picks adapters.
// Everything else under src/agent decides (pure) or adapts (platform/*); this file wires them,
// owns signals and timers, and prints the summary. docs/agent.md describes flags and settings.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../shared/clock';
import { productVersion } from '../shared/version';
import { ErrorCode, MngError, isMngError } from '../shared/errors';
import { decideLang, msg, pick, type Lang } from '../shared/i18n';
import type { Logger } from '../shared/logger';
import { createAuditLog } from './audit';
import {
  agentModes,
  logLevels,
  parseAgentConfigText,
  resolveAgentConfig,
  switchableControls,
  type AgentConfig,
  type AgentDefaults,
  type AgentFlags,
  type SwitchableControl,
} from './config';
import { createChannelsControl, createChannelsEnforcer } from './channels';
import { createExportLedger, createLedgerStore, createPasswdUserDirectory } from './exports';
import { createIsolationControl, createIsolationMonitor } from './isolation';
import { createMediaControl, type MediaControl } from './media';
import { createMfaService, createPamOathReplayLedger, defaultPamOathUsersfile, defaultPamOathWindowSteps, ingestAdminJournal } from './mfa';
import { createIpcGate } from './ipc';
import { createNotifier, exportNotice, mediaNotice, usbBlockedNotice, type Notifier } from './notify';
import { createSessionService } from './session';
import { createMfaViewCache, createUnlockControl, createUnlockHandlers, monitorOnlySessionControl, type UnlockControl } from './unlock';
import { createMountEnforcer, parseMountinfo, udisksPolkitRulePath } from './mounts';
import {
  createPolicyBundle,
  createPolicyManager,
  createTrustStore,
  generateSigningKeyPair,
  parsePolicyBundle,
  parsePrivateKey,
} from './policy';
import { createDisabledControl, formatSummary, type AgentControl, type ControlName } from './posture';
import { createPolicyUsbMatcher, createUsbControl, createUsbEnforcer, parseUsbDeviceFacts, type UsbHotplugSource } from './usb';
import {
  BlkidVolumeIdentity,
  CupsPrinterQueues,
  createLogindSessions,
  MountCommandControl,
  MountinfoMountTable,
  ProcMountHolders,
  SysfsBlockFacts,
  SysfsRfkillRadios,
  SysfsUsbBus,
  createIpMonitorNetworkChanges,
  createSystemdNotifier,
  createUdevadmUsbHotplug,
  readBootId,
} from './platform/linux';
import { absentServiceManager, createAgentLiveness, createAgentRuntime, type AgentLiveness, type AgentRuntime, type PolicyLoadOutcome } from './runtime';
import {
  createAutomountRuleFile,
  createFileAdminJournal,
  createFileEmergencyCodeStore,
  createFileRunMarkerStore,
  createFileSecretStore,
  createFileTokenIssuer,
  createFileVerificationStateStore,
  createPamOathUsersfileFile,
  createUnixSocketIpcServer,
  defaultAgentSocketPath,
  defaultTokenDir,
  createChokidarFileEventSource,
  createFilePolicyStateStore,
  createIpNetworkFacts,
  createJsonlLedgerFile,
  createNodeAuditFile,
  createNodeFileDisposer,
  createNodeFileHasher,
  createPasswdFileSource,
  createTcpCanaryProber,
  createNodeUsbHotplug,
  createPinoLogger,
  createSysteminformationHostFacts,
  ensurePrivateDirectory,
  readPemKeyFiles,
  readRegularFile,
  writeFileAtomically,
} from './platform/node';

const agentVersion = productVersion;
const maxBundleFileBytes = 4 * 1024 * 1024;
/** How often the run marker's `aliveAt` is refreshed: the precision of an unclean stop's outage window. */
const runMarkerHeartbeatMs = 30_000;
const productionConfigPath = '/etc/mynumber-guard/agent.yaml';

/** Installation defaults: a root service with its files under /etc and /var/lib. */
const productionDefaults: AgentDefaults = {
  mode: 'enforce',
  stateDir: '/var/lib/mynumber-guard',
  policyBundle: '/etc/mynumber-guard/policy.bundle.json',
  trustStore: '/etc/mynumber-guard/trust.d',
  logLevel: 'info',
  logFile: 'stderr',
  postureIntervalSeconds: 60,
  sysfsRoot: '/sys',
  disabledControls: [],
  canaryProbes: true,
  automountRulePath: udisksPolkitRulePath,
  socketPath: defaultAgentSocketPath,
  tokenDir: defaultTokenDir,
  mfaKeyFile: '/etc/mynumber-guard/mfa.key',
  trayEnrollment: false,
  loginDeadlineSeconds: 300,
  pamOathUsersfile: defaultPamOathUsersfile,
};

const usage = `mynumber-guard agent ${agentVersion}

Usage: node dist/agent.js [--config <file> | --dev] [options]

  --config <file>        configuration file (default ${productionConfigPath})
  --dev                  development defaults: monitor mode, state in ~/.local/state/mynumber-guard-dev,
                         the default policy signed with a development key made on first run
  --mode <mode>          monitor | enforce
  --state-dir <dir>      state folder (policy state, audit log, status)
  --policy <file>        signed policy bundle to enforce
  --trust <dir|file>     trusted policy signing keys (*.pub.pem)
  --audit-log <file>     audit log (default <state-dir>/audit.jsonl)
  --log-level <level>    debug | info | warn | error
  --log-file <file>      JSON log destination, or 'stderr'
  --sysfs-root <dir>     sysfs root (default /sys; tests point it at a fixture or umockdev testbed)
  --disable <controls>   switch controls off, comma-separated: ${switchableControls.join(', ')}
                         (reported as degraded; for test rigs and staged roll-outs)
  --canary-probes <on|off>  connect to the policy's canaries in the isolation check
                         (default on; off with --dev)
  --once                 print the summary and exit (exit 1 when no policy is in force)
  --json                 print the summary as JSON
  --lang <ja|en>         language of the summary (default: from LANG, Japanese first)
  --version, --help

Signals: SIGHUP reloads the policy bundle; SIGINT / SIGTERM stop the agent cleanly.`;

interface StartOptions {
  readonly config: AgentConfig;
  readonly once: boolean;
  readonly json: boolean;
  readonly lang: Lang;
}

async function main(argv: readonly string[]): Promise<number> {
  const lang = decideLang(argValue(argv, '--lang'), process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG);
  let options: StartOptions | 'exit';
  try {
    options = await readStartOptions(argv, lang);
  } catch (error) {
    printError(error, lang);
    return 2;
  }
  if (options === 'exit') return 0;
  return run(options);
}

function argValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

function printError(error: unknown, lang: Lang): void {
  if (isMngError(error)) {
    const hint = error.hint === undefined ? '' : ` (${pick(error.hint, lang)})`;
    process.stderr.write(`mynumber-guard agent: ${pick(error.text, lang)}${hint} [${error.code}]\n`);
  } else {
    process.stderr.write(`mynumber-guard agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}

function invalidFlag(en: string, ja: string): MngError {
  return new MngError(ErrorCode.InvalidArgument, msg(ja, en), { hint: msg('--help で使い方を確認してください', 'see --help') });
}

async function readStartOptions(argv: readonly string[], lang: Lang): Promise<StartOptions | 'exit'> {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    values = parseFlags(argv).values;
  } catch (error) {
    throw invalidFlag(`bad arguments: ${(error as Error).message}`, `引数が正しくありません: ${(error as Error).message}`);
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 'exit';
  }
  if (values.version === true) {
    process.stdout.write(`${agentVersion}\n`);
    return 'exit';
  }
  const flags: Record<string, unknown> = {};
  if (values.mode !== undefined) {
    if (!(agentModes as readonly string[]).includes(values.mode)) throw invalidFlag(`--mode must be monitor or enforce (got ${values.mode})`, `--mode は monitor か enforce です（指定値: ${values.mode}）`);
    flags.mode = values.mode;
  }
  if (values['log-level'] !== undefined) {
    if (!(logLevels as readonly string[]).includes(values['log-level'])) throw invalidFlag(`--log-level must be one of ${logLevels.join(', ')}`, `--log-level は ${logLevels.join(', ')} のいずれかです`);
    flags.logLevel = values['log-level'];
  }
  for (const [flag, key] of [
    ['state-dir', 'stateDir'],
    ['policy', 'policyBundle'],
    ['trust', 'trustStore'],
    ['audit-log', 'auditLog'],
    ['sysfs-root', 'sysfsRoot'],
  ] as const) {
    const value = values[flag];
    if (value !== undefined) flags[key] = path.resolve(value);
  }
  if (values.disable !== undefined) {
    const names = values.disable.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = names.filter((name) => !(switchableControls as readonly string[]).includes(name));
    if (unknown.length > 0) {
      throw invalidFlag(
        `--disable: unknown control ${unknown.join(', ')} (one of ${switchableControls.join(', ')})`,
        `--disable: 不明な制御 ${unknown.join(', ')}（${switchableControls.join(', ')} のいずれか）`,
      );
    }
    flags.disabledControls = names as SwitchableControl[];
  }
  if (values['canary-probes'] !== undefined) {
    if (values['canary-probes'] !== 'on' && values['canary-probes'] !== 'off') throw invalidFlag('--canary-probes must be on or off', '--canary-probes は on か off です');
    flags.canaryProbes = values['canary-probes'] === 'on';
  }
  if (values['log-file'] !== undefined) flags.logFile = values['log-file'] === 'stderr' ? 'stderr' : path.resolve(values['log-file']);

  const dev = values.dev === true;
  if (dev && values.config !== undefined) throw invalidFlag('--dev and --config exclude each other', '--dev と --config は同時に指定できません');
  let config: AgentConfig;
  if (dev) {
    config = resolveAgentConfig(developmentDefaults(), undefined, flags as AgentFlags, true);
  } else {
    const configPath = path.resolve(values.config ?? productionConfigPath);
    if (values.config === undefined && !existsSync(configPath)) {
      throw new MngError(
        ErrorCode.ConfigInvalid,
        msg(`設定ファイル ${configPath} がありません`, `no configuration file at ${configPath}`),
        {
          hint: msg(
            '導入済みの端末では設定ファイルを配置してください。開発・試用には --dev（npm start）を使います',
            'install one on a managed terminal; for development and trials use --dev (npm start)',
          ),
        },
      );
    }
    const text = (await readRegularFile(configPath, { maxBytes: 256 * 1024 })).toString('utf8');
    const parsed = parseAgentConfigText(text, configPath);
    if (!parsed.ok) throw new MngError(ErrorCode.ConfigInvalid, parsed.error);
    config = resolveAgentConfig(productionDefaults, parsed.value, flags as AgentFlags, false);
  }
  return { config, once: values.once === true, json: values.json === true, lang };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      dev: { type: 'boolean' },
      mode: { type: 'string' },
      'state-dir': { type: 'string' },
      policy: { type: 'string' },
      trust: { type: 'string' },
      'audit-log': { type: 'string' },
      'log-level': { type: 'string' },
      'log-file': { type: 'string' },
      'sysfs-root': { type: 'string' },
      disable: { type: 'string' },
      'canary-probes': { type: 'string' },
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

/** Development defaults: everything in the user's state folder, never in the repository. */
function developmentDefaults(): AgentDefaults {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  const stateDir = path.join(base, 'mynumber-guard-dev');
  return {
    mode: 'monitor',
    stateDir,
    policyBundle: path.join(stateDir, 'mynumber-zone.bundle.json'),
    trustStore: path.join(stateDir, 'dev-keys', 'dev.pub.pem'),
    logLevel: 'info',
    logFile: path.join(stateDir, 'agent.log'),
    postureIntervalSeconds: 60,
    sysfsRoot: '/sys',
    disabledControls: [],
    // The default policy's canaries are template addresses that may be real hosts on a developer's
    // network: never connect to them unless asked (--canary-probes on).
    canaryProbes: false,
    automountRulePath: path.join(stateDir, 'polkit', '10-mynumber-guard-media.rules'),
    socketPath: path.join(stateDir, 'run', 'agent.sock'),
    tokenDir: path.join(stateDir, 'run', 'tokens'),
    mfaKeyFile: path.join(stateDir, 'dev-keys', 'mfa.key'),
    // A developer enrolls their own phone from the tray; a managed terminal leaves this to IT.
    trayEnrollment: true,
    loginDeadlineSeconds: 0,
    pamOathUsersfile: path.join(stateDir, 'users.oath'),
  };
}

/** The repository's policies/ folder, found from this file (dist/agent.js or src/agent/main.ts). */
function findDefaultPolicy(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = path.join(dir, 'policies', 'mynumber-zone.yaml');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new MngError(
    ErrorCode.FileUnreadable,
    msg('既定ポリシー policies/mynumber-zone.yaml が見つかりません', 'the default policy policies/mynumber-zone.yaml was not found'),
    { hint: msg('リポジトリから起動してください（npm start）', 'start the agent from the repository (npm start)') },
  );
}

/**
 * Development only: makes a signing key on first run and signs the default policy with it, so
 * the agent runs the same verification path as on a managed terminal. Re-signs when the policy
 * text changed; a changed text with the same version is then refused as version reuse, as in
 * production (raise the version).
 */
async function prepareDevelopmentPolicy(config: AgentConfig, logger: Logger): Promise<void> {
  await ensurePrivateDirectory(config.stateDir);
  const keyDir = path.dirname(config.trustStore);
  await ensurePrivateDirectory(keyDir);
  const privatePath = path.join(keyDir, 'dev.key.pem');
  if (!existsSync(privatePath) || !existsSync(config.trustStore)) {
    const pair = generateSigningKeyPair();
    await writeFileAtomically(privatePath, Buffer.from(pair.privateKeyPem), 0o600);
    await writeFileAtomically(config.trustStore, Buffer.from(pair.publicKeyPem), 0o644);
    logger.info({ keyId: pair.keyId, keyDir }, 'development signing key created');
  }
  const signer = parsePrivateKey((await readRegularFile(privatePath, { maxBytes: 16 * 1024 })).toString('utf8'));
  if (!signer.ok) throw new MngError(ErrorCode.KeyInvalid, signer.error.message);
  const policyText = await readFile(findDefaultPolicy());
  if (existsSync(config.policyBundle)) {
    const existing = parsePolicyBundle(await readRegularFile(config.policyBundle, { maxBytes: maxBundleFileBytes }));
    if (existing.ok && Buffer.from(existing.value.payload).equals(policyText)) return;
  }
  await mkdir(path.dirname(config.policyBundle), { recursive: true });
  await writeFile(config.policyBundle, createPolicyBundle(policyText, signer.value), { mode: 0o600 });
  logger.info({ bundle: config.policyBundle }, 'development policy bundle signed');
}

function describeLoad(outcome: PolicyLoadOutcome, lang: Lang): string {
  const ja = lang === 'ja';
  switch (outcome.kind) {
    case 'applied':
      return ja ? `ポリシー ${outcome.id} 版 ${outcome.version} を適用しました` : `policy ${outcome.id} version ${outcome.version} applied`;
    case 'unchanged':
      return ja ? `ポリシー ${outcome.id} 版 ${outcome.version} は変更なし` : `policy ${outcome.id} version ${outcome.version} unchanged`;
    case 'rejected':
      return ja
        ? `ポリシーバンドルを拒否しました（${outcome.code}）: ${outcome.message.ja}。適用中のポリシーを維持します`
        : `policy bundle refused (${outcome.code}): ${outcome.message.en}. The policy in force stays`;
    case 'unreadable':
      return ja ? `ポリシーバンドルを読めません: ${outcome.message.ja}` : `policy bundle unreadable: ${outcome.message.en}`;
    case 'skipped':
      return '';
  }
}

async function run(options: StartOptions): Promise<number> {
  const { config, lang } = options;
  const logger = createPinoLogger({ level: config.logLevel, destination: config.logFile });
  let runtime: AgentRuntime | undefined;
  let closeAudit: (() => Promise<void>) | undefined;
  try {
    if (config.development) await prepareDevelopmentPolicy(config, logger);
    await ensurePrivateDirectory(config.stateDir);
    const clock = systemClock;
    const audit = await createAuditLog({
      file: createNodeAuditFile(config.auditLog),
      clock,
      host: os.hostname(),
      reportError: (error) => logger.error({ code: error.code, err: error.text.en }, 'audit log side failure'),
    });
    closeAudit = () => audit.close();
    const trustFiles = await readPemKeyFiles(config.trustStore);
    const trust = createTrustStore(trustFiles);
    if (!trust.ok) throw new MngError(ErrorCode.KeyInvalid, trust.error.message);
    const policy = createPolicyManager({
      trust: trust.value,
      state: createFilePolicyStateStore({ stateDir: config.stateDir }),
      audit,
      clock,
    });
    const statusPath = path.join(config.stateDir, 'status.json');
    const controls: AgentControl[] = [];
    let publishSoon: () => void = () => undefined;
    const spec = () => policy.current()?.policy.spec;
    // Staff are told when something is blocked: notices go to every session's tray (issue #5).
    let unlock: UnlockControl | undefined;
    const notifier: Notifier = createNotifier({ clock, publish: (notification) => unlock?.notify(notification) });
    const disabled = new Set<ControlName>(config.disabledControls);
    const add = (name: ControlName, implementsClauses: () => readonly string[], make: () => AgentControl): void => {
      controls.push(disabled.has(name) ? createDisabledControl(name, implementsClauses) : make());
    };
    if (process.platform === 'linux') {
      // Linux: sysfs authorization (USBGuard's mechanism). Windows renders the policy to registry
      // plans (platform/windows), which cannot run on these machines; other systems: pending.
      const currentUsbPolicy = () => {
        const active = policy.current();
        return active === undefined ? undefined : { key: active.payloadSha256, usb: active.policy.spec.usb };
      };
      add('usb', () => spec()?.usb.implements ?? [], () => {
        const hotplugSources: UsbHotplugSource[] = [createUdevadmUsbHotplug({ clock }), createNodeUsbHotplug({ clock })];
        const enforcer = createUsbEnforcer({
          bus: new SysfsUsbBus({ sysfsRoot: config.sysfsRoot, parseFacts: parseUsbDeviceFacts }),
          hotplugSources,
          matcher: createPolicyUsbMatcher({
            policy: currentUsbPolicy,
            clock,
            utcOffsetMinutes: () => -new Date(clock.nowMs()).getTimezoneOffset(),
            random: Math.random,
            allowedDevices: () =>
              enforcer.snapshot().flatMap((state) => (state.decision.target === 'allow' && state.device !== undefined ? [state.device] : [])),
          }),
          audit,
          clock,
          logger,
          mode: config.mode,
          onDecision: (event) => {
            publishSoon();
            // New devices only: a rescan or a policy change re-deciding what is plugged in is not news.
            if (event.trigger === 'hotplug' && event.mode === 'enforce' && event.decision.target !== 'allow') {
              notifier.notify(usbBlockedNotice(event.device, event.decision.port, event.decision.target));
            }
          },
        });
        return createUsbControl({
          enforcer,
          mode: config.mode,
          implementsClauses: () => currentUsbPolicy()?.usb.implements ?? [],
          usingFallbackRules: () => currentUsbPolicy() === undefined,
        });
      });
      add('media', () => spec()?.media.implements ?? [], () => {
        const mounts = createMountEnforcer({
          table: new MountinfoMountTable({ parse: parseMountinfo, clock }),
          blockFacts: new SysfsBlockFacts({ sysfsRoot: config.sysfsRoot }),
          identity: new BlkidVolumeIdentity(),
          control: new MountCommandControl(),
          // A busy medium: its holders are frozen and killed so nothing more reaches it (docs/media.md §3).
          holders: new ProcMountHolders({ clock }),
          audit,
          clock,
          policy: {
            current: () => {
              const current = spec();
              return current === undefined ? null : { media: current.media, allowedShares: current.channels.networkShares.allow };
            },
          },
          enforce: config.mode === 'enforce',
          onEvaluated: (states) => {
            // Called only once start() runs, when `media` exists.
            media.mountsEvaluated(states);
            publishSoon();
          },
        });
        const ledgerStore = createLedgerStore(createJsonlLedgerFile(config.stateDir));
        const users = createPasswdUserDirectory(createPasswdFileSource(), clock);
        const quarantineDir = path.join(config.stateDir, 'quarantine');
        const media: MediaControl = createMediaControl({
          mounts,
          createLedger: (destinations) =>
            createExportLedger({
              destinations,
              events: createChokidarFileEventSource(),
              hasher: createNodeFileHasher(),
              store: ledgerStore,
              disposer: createNodeFileDisposer(quarantineDir),
              users,
              audit,
              clock,
              onRecord: (record) => {
                if (record.outcome === 'quarantined' || record.outcome === 'deleted') notifier.notify(exportNotice(record.path, record.outcome));
              },
              reportFault: (error) => {
                logger.error({ err: isMngError(error) ? error.text.en : String(error) }, 'export ledger fault');
                void audit.append({ type: 'export.fault', severity: 'alert', data: { detail: isMngError(error) ? error.text.en : String(error) } }).catch(() => undefined);
              },
            }),
          automountRule: createAutomountRuleFile(config.automountRulePath),
          policy: () => {
            const current = spec();
            return current === undefined ? null : { media: current.media, implements: current.media.implements };
          },
          mode: config.mode,
          audit,
          clock,
          onAction: (action) => {
            if (config.mode === 'enforce' && action.outcome.state === 'applied' && (action.action === 'deny' || action.action === 'read-only')) {
              notifier.notify(mediaNotice(action.mountPoint, action.action));
            }
          },
        });
        return media;
      });
      add('channels', () => spec()?.channels.implements ?? [], () =>
        createChannelsControl({
          enforcer: createChannelsEnforcer({
            radios: new SysfsRfkillRadios({ sysfsRoot: config.sysfsRoot }),
            // The scheduler CUPS itself would use (CUPS_SERVER, client.conf, the local socket).
            printers: new CupsPrinterQueues(),
            audit,
            clock,
            mode: config.mode,
            policy: () => spec()?.channels,
          }),
          mode: config.mode,
          implementsClauses: () => spec()?.channels.implements ?? [],
        }),
      );
      add('isolation', () => spec()?.isolation.implements ?? [], () =>
        createIsolationControl({
          monitor: createIsolationMonitor({
            facts: createIpNetworkFacts({ sysfsRoot: config.sysfsRoot }),
            prober: createTcpCanaryProber({ maxParallel: 16 }),
            changes: createIpMonitorNetworkChanges(),
            audit,
            clock,
            monotonicMs: () => performance.now(),
            policy: () => {
              const isolation = spec()?.isolation;
              if (isolation === undefined) return undefined;
              return config.canaryProbes ? isolation : { ...isolation, canaries: [] };
            },
          }),
          implementsClauses: () => spec()?.isolation.implements ?? [],
          hasPolicy: () => spec() !== undefined,
          canaryProbes: config.canaryProbes,
        }),
      );
      add('mfa', () => spec()?.mfa.implements ?? [], () => {
        const mfaDir = path.join(config.stateDir, 'mfa');
        const mfa = createMfaService({
          secrets: createFileSecretStore({ dir: path.join(mfaDir, 'secrets'), keyFile: config.mfaKeyFile }),
          states: createFileVerificationStateStore({ dir: path.join(mfaDir, 'state') }),
          emergency: createFileEmergencyCodeStore({ dir: path.join(mfaDir, 'emergency') }),
          audit,
          clock,
          policy: () => spec()?.mfa,
          hostName: os.hostname(),
          // pam_oath at logon checks the same tokens: a code used at one is spent at the other.
          sharedReplay: createPamOathReplayLedger({
            file: createPamOathUsersfileFile({ location: config.pamOathUsersfile, ownerUid: process.getuid?.() ?? 0 }),
            utcOffsetMinutes: () => -new Date(clock.nowMs()).getTimezoneOffset(),
            windowSteps: defaultPamOathWindowSteps,
          }),
        });
        const views = createMfaViewCache({ mfa, maxFailures: () => spec()?.mfa.lockout.maxFailures ?? 5 });
        const logind = createLogindSessions();
        const reportError = (error: unknown): void => logger.error({ err: isMngError(error) ? error.text.en : String(error) }, 'mfa control fault');
        const sessions = createSessionService({
          sessions: logind,
          // Monitor mode never locks or ends an OS session; it audits what it would have done.
          control: config.mode === 'enforce' ? logind : monitorOnlySessionControl(audit),
          audit,
          clock,
          monotonicMs: () => performance.now(),
          policy: () => spec()?.mfa,
          mfaView: (user) => views.view(user),
          onState: (state) => unlock?.sessionStateChanged(state),
          onError: reportError,
          settings: { loginDeadlineSeconds: config.loginDeadlineSeconds },
        });
        const tokens = createFileTokenIssuer({ dir: config.tokenDir });
        const users = createPasswdUserDirectory(createPasswdFileSource(), clock);
        const handlers = createUnlockHandlers({
          mfa,
          sessions,
          userName: (uid) => users.userName(uid),
          trayEnrollment: config.trayEnrollment,
          viewChanged: async (user) => {
            await views.refresh(user);
            for (const state of sessions.list()) if (state.user === user) await gate.publishSessionState(state);
          },
        });
        const gate = createIpcGate({
          handlers,
          // A tray killed or crashed: its session is locked at the OS level now, not after the heartbeat grace.
          onConnectionClosed: ({ connectionId }) => handlers.connectionClosed(connectionId),
          tokens,
          sessions: { ownerOf: (sessionId) => Promise.resolve(sessions.owner(sessionId) ?? null) },
          audit,
          clock,
          logger,
        });
        const control = createUnlockControl({
          sessions,
          gate,
          server: createUnixSocketIpcServer({ path: config.socketPath, acceptor: gate, logger }),
          tokens,
          mode: config.mode,
          implementsClauses: () => spec()?.mfa.implements ?? [],
          hasPolicy: () => spec() !== undefined,
          refreshView: (user) => views.refresh(user),
          reportError,
          selfUid: process.getuid?.() ?? 0,
          // `mng mfa …` writes its administration here (it cannot write the audit log): bring it in.
          ingestAdminJournal: () => ingestAdminJournal({ journal: createFileAdminJournal(path.join(mfaDir, 'admin-events.jsonl')), audit }),
        });
        unlock = control;
        return control;
      });
    } else {
      for (const name of config.disabledControls) controls.push(createDisabledControl(name, () => []));
    }
    runtime = createAgentRuntime({
      agentVersion,
      mode: config.mode,
      pid: process.pid,
      policy,
      bundle: { location: config.policyBundle, read: () => readRegularFile(config.policyBundle, { maxBytes: maxBundleFileBytes }) },
      audit,
      auditPath: config.auditLog,
      auditIntegrity: audit.opened.verify.ok ? 'ok' : 'problems-found',
      hostFacts: createSysteminformationHostFacts({ platform: process.platform, pathEnv: process.env.PATH ?? '' }),
      status: { publish: (document) => writeFileAtomically(statusPath, Buffer.from(`${JSON.stringify(document, null, 2)}\n`), 0o600) },
      logger,
      clock,
      controls,
      disabledControls: config.disabledControls,
    });
    // Decisions arrive in bursts (a hub with devices, a rescan): publish the status once per burst.
    let publishTimer: NodeJS.Timeout | undefined;
    publishSoon = () => {
      if (publishTimer !== undefined) return;
      publishTimer = setTimeout(() => {
        publishTimer = undefined;
        void runtime?.publishStatus().catch((error: unknown) => logger.warn({ err: String(error) }, 'status publish failed'));
      }, 50);
      publishTimer.unref();
    };
    const started = await runtime.start();
    logger.info({ mode: config.mode, stateDir: config.stateDir, development: config.development }, 'agent started');
    if (options.json) process.stdout.write(`${JSON.stringify(started.summary, null, 2)}\n`);
    else {
      if (config.development) {
        process.stdout.write(
          lang === 'ja'
            ? `開発用の既定設定で起動しています（状態: ${config.stateDir}）\n`
            : `running with development defaults (state: ${config.stateDir})\n`,
        );
      }
      process.stdout.write(formatSummary(started.summary, lang));
      process.stdout.write(`  ${describeLoad(started.load, lang)}\n`);
    }
    if (options.once) {
      await runtime.stop('once');
      await audit.close();
      logger.flush();
      return policy.current() === undefined ? 1 : 0;
    }
    const bootId = process.platform === 'linux' ? await readBootId() : null;
    const makeLiveness = (enqueue: (task: () => Promise<unknown>) => void): AgentLiveness =>
      createAgentLiveness({
        // systemd's notify protocol when it started us (READY, WATCHDOG); nothing when run by hand.
        serviceManager: (process.platform === 'linux' ? createSystemdNotifier({ env: process.env, pid: process.pid, logger }) : undefined) ?? absentServiceManager,
        marker: createFileRunMarkerStore({ stateDir: config.stateDir }),
        audit,
        clock,
        logger,
        pid: process.pid,
        bootId,
        enqueue,
        heartbeatIntervalMs: runMarkerHeartbeatMs,
      });
    // What `systemctl status` shows beside the unit: the mode and each control's state.
    const readyStatus = `${config.mode}; policy ${started.summary.policy.id ?? '-'} v${started.summary.policy.version ?? '-'}; ${started.summary.controls.map((control) => `${control.control}=${control.state}`).join(' ')}`;
    return await serve(runtime, config, options, logger, () => audit.close(), makeLiveness, readyStatus);
  } catch (error) {
    printError(error, lang);
    logger.error({ code: isMngError(error) ? error.code : 'unexpected', err: isMngError(error) ? error.text.en : String(error) }, 'agent failed');
    if (runtime !== undefined) await runtime.stop('error').catch(() => undefined);
    if (closeAudit !== undefined) await closeAudit().catch(() => undefined);
    logger.flush();
    return isMngError(error) ? 2 : 3;
  }
}

/** Runs until SIGINT or SIGTERM: reloads on SIGHUP and on changes of the bundle file, refreshes posture. */
function serve(
  runtime: AgentRuntime,
  config: AgentConfig,
  options: StartOptions,
  logger: Logger,
  closeAudit: () => Promise<void>,
  makeLiveness: (enqueue: (task: () => Promise<unknown>) => void) => AgentLiveness,
  readyStatus: string,
): Promise<number> {
  const { lang } = options;
  return new Promise((resolve) => {
    let queue: Promise<unknown> = Promise.resolve();
    let stopping = false;
    const enqueue = (task: () => Promise<unknown>): void => {
      queue = queue.then(task).catch((error: unknown) => {
        logger.error({ err: isMngError(error) ? error.text.en : String(error) }, 'agent task failed');
      });
    };
    const reload = (trigger: string): void =>
      enqueue(async () => {
        const outcome = await runtime.reloadPolicy(trigger);
        if (!options.json && outcome.kind !== 'skipped') process.stdout.write(`${describeLoad(outcome, lang)}\n`);
      });

    let debounce: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    try {
      const bundleName = path.basename(config.policyBundle);
      watcher = watch(path.dirname(config.policyBundle), { persistent: false }, (_event, name) => {
        if (name !== bundleName) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => reload('file-changed'), 200);
      });
      watcher.on('error', (error) => logger.warn({ err: String(error) }, 'policy folder watch failed; SIGHUP still reloads'));
    } catch (error) {
      logger.warn({ err: String(error) }, 'cannot watch the policy folder; SIGHUP still reloads');
    }
    // A bundle replaced between the start-up read and the watch would be missed: look once more now
    // (identical bytes are skipped without a second audit record).
    reload('file-changed');
    // An unclean stop of the previous run is audited, then the service manager hears we are ready
    // and, while the queue keeps moving, alive (a hung agent is restarted by its watchdog).
    const liveness = makeLiveness(enqueue);
    enqueue(async () => {
      await liveness.begin();
      await liveness.ready(readyStatus);
    });
    const posture = setInterval(() => enqueue(() => runtime.refreshPosture()), config.postureIntervalSeconds * 1000);

    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(posture);
      clearTimeout(debounce);
      watcher?.close();
      enqueue(async () => {
        await liveness.stopping();
        await runtime.stop(signal);
        await closeAudit();
        await liveness.end();
        logger.info({ signal }, 'agent stopped');
        logger.flush();
        if (!options.json) process.stdout.write(lang === 'ja' ? `停止しました（${signal}）\n` : `stopped (${signal})\n`);
        resolve(0);
      });
    };
    process.on('SIGHUP', () => reload('SIGHUP'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

process.exitCode = await main(process.argv.slice(2));
