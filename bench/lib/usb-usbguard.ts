// Debian's usbguard-daemon (USBGuard 1.1.2) side by side with the agent, for `npm run bench -- usb`.
// Its `DeviceManagerBackend=umockdev` (usbguard-daemon.conf(5)) owns a testbed inside the daemon and
// plugs devices from umockdev files that appear in $USBGUARD_UMOCKDEV_DEVICEDIR (inotify IN_CREATE;
// IN_DELETE unplugs: src/Library/UMockdevDeviceManager.cpp). So the plug moment here is the link(2)
// that makes a complete recording appear in that folder, and the verdict moment is the same as for
// the agent: the poller thread first reads `0` from the device's `authorized` file in the daemon's
// testbed (which lives under the TMPDIR we give it).
//
// What differs from the agent's run, and why:
// - The daemon parses the recording and runs umockdev's add itself, so its figure includes what
//   the agent's run counts as umockdev's share (plus inotify and the file parse).
// - The backend never forgets a sysfs path it has seen (its map entry survives the unplug), so a
//   recording re-added at the same path is skipped. Each plug therefore uses its own port
//   (1-1, 1-2, …) and device number; everything else is usb-stick-generic.umockdev unchanged.
// - Its device tree needs the parent of the root hub, so the controller (a PCI device) is added.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePolicyText } from '../../src/shared/policy';
import { umockdevPreload, umockdevRecording } from '../../test/helpers/umockdev';
import { percentile, round } from './stats';
import { captureOutput, createFilePoller, elapsedMs, monotonicNs, stopProcessTree, waitUntil } from './usb-watch';

const daemonBinary = '/usr/sbin/usbguard-daemon';
const rootHubDir = 'sys/devices/pci0000:00/0000:00:14.0/usb1';
const stepTimeoutMs = 5_000;
/** Ports 1-1 … 1-255: the backend keeps every path it saw, so a port is used once. */
export const maxUsbguardPlugs = 255;

/** The PCI controller the root hub hangs from (USBGuard's backend skips a USB device without a known parent). */
const controllerBlock = ['P: /devices/pci0000:00/0000:00:14.0', 'E: DRIVER=xhci_hcd', 'E: PCI_CLASS=C0330', 'E: SUBSYSTEM=pci', 'A: class=0x0c0330\\n', 'A: vendor=0x8086\\n', 'A: device=0xa36d\\n', ''].join(
  '\n',
);

/** Figures of the usbguard-daemon part, or why it could not run. */
export type UsbguardFigures =
  | {
      readonly ok: true;
      readonly version: string;
      readonly plugs: number;
      readonly warmupPlugs: number;
      readonly plugToWrittenP50Ms: number;
      readonly plugToWrittenP99Ms: number;
      readonly plugToWrittenMaxMs: number;
      readonly coldFirstPlugMs: number;
      /** Plugged sticks the daemon's audit file records as blocked (should be every plug, warm-up included). */
      readonly auditedBlocks: number;
      readonly elapsedSeconds: number;
    }
  | { readonly ok: false; readonly reason: string };

/** usb-stick-generic.umockdev moved to port 1-`port` with device number `devnum`. */
function stickAt(port: number, devnum: number): string {
  const text = readFileSync(umockdevRecording('usb-stick-generic.umockdev'), 'utf8');
  const number = String(devnum).padStart(3, '0');
  return text
    .replaceAll('/1-9', `/1-${port}`)
    .replaceAll('1-9:1.0', `1-${port}:1.0`)
    .replace(/^A: devpath=9\\n$/m, `A: devpath=${port}\\n`)
    .replace(/^N: bus\/usb\/001\/\d+$/m, `N: bus/usb/001/${number}`)
    .replace(/^E: DEVNAME=\/dev\/bus\/usb\/001\/\d+$/m, `E: DEVNAME=/dev/bus/usb/001/${number}`)
    .replace(/^E: DEVNUM=\d+$/m, `E: DEVNUM=${number}`)
    .replace(/^A: devnum=\d+\\n$/m, `A: devnum=${devnum}\\n`);
}

function daemonVersion(): string | undefined {
  // usbguard-daemon has no --version; the package says which one runs.
  const query = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'usbguard'], { encoding: 'utf8', timeout: 10_000 });
  return query.status === 0 && query.stdout.trim() !== '' ? query.stdout.trim() : undefined;
}

/**
 * Runs usbguard-daemon with its umockdev backend and the default policy's rules (ImplicitPolicyTarget
 * block, as `defaultTarget: block`), plugs the generic stick `warmupPlugs + plugs` times (each on its
 * own port) and measures plug → `authorized` 0. Returns `{ ok: false, reason }` when the daemon
 * is missing or cannot run here. The daemon is always stopped and its files removed.
 */
export async function measureUsbguardDaemon(options: {
  readonly plugs: number;
  readonly warmupPlugs: number;
  readonly deadlineMs: number;
  readonly say: (line: string) => void;
  /** Checked before each plug: true stops the loop (Ctrl-C). */
  readonly shouldStop: () => boolean;
}): Promise<UsbguardFigures> {
  const { say } = options;
  if (!existsSync(daemonBinary)) {
    return { ok: false, reason: `${daemonBinary} is not installed (apt-get install -y --no-install-recommends usbguard)` };
  }
  const version = daemonVersion() ?? 'unknown';
  const total = Math.min(options.warmupPlugs + options.plugs, maxUsbguardPlugs);
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-usbguard-'));
  const poller = createFilePoller(0.2);
  let daemon: ChildProcess | undefined;
  const startedNs = monotonicNs();
  try {
    const devicesDir = path.join(work, 'devices');
    const stageDir = path.join(work, 'stage');
    const daemonTmp = path.join(work, 'tmp');
    for (const dir of [devicesDir, stageDir, daemonTmp]) mkdirSync(dir);
    writeFileSync(path.join(devicesDir, '00-controller.umockdev'), `${controllerBlock}\n${readFileSync(umockdevRecording('root-hub.umockdev'), 'utf8')}`);
    for (let i = 0; i < total; i += 1) writeFileSync(path.join(stageDir, `stick-${i + 1}.umockdev`), stickAt(i + 1, i + 20));

    const policy = parsePolicyText(readFileSync('policies/mynumber-zone.yaml', 'utf8'));
    if (!policy.ok) throw new Error(`bench: policies/mynumber-zone.yaml does not parse: ${policy.diagnostics[0]?.message.en ?? ''}`);
    const rulesFile = path.join(work, 'rules.conf');
    writeFileSync(rulesFile, `${policy.policy.spec.usb.rules.join('\n')}\n`);
    const configFile = path.join(work, 'usbguard-daemon.conf');
    writeFileSync(
      configFile,
      [
        `RuleFile=${rulesFile}`,
        `ImplicitPolicyTarget=${policy.policy.spec.usb.defaultTarget}`,
        'PresentDevicePolicy=apply-policy',
        'PresentControllerPolicy=keep',
        'InsertedDevicePolicy=apply-policy',
        'AuthorizedDefault=none',
        'RestoreControllerDeviceState=false',
        'DeviceManagerBackend=umockdev',
        'IPCAllowedUsers=root',
        'AuditBackend=FileAudit',
        `AuditFilePath=${path.join(work, 'usbguard-audit.log')}`,
        '',
      ].join('\n'),
    );
    // The daemon refuses rule and configuration files that others can read.
    chmodSync(rulesFile, 0o600);
    chmodSync(configFile, 0o600);

    // -k: log to the console (kept for error messages). No IPC option exists: the daemon opens its
    // usual libqb socket, which is free as long as no system usbguard runs.
    const child = spawn(daemonBinary, ['-k', '-c', configFile], {
      env: { ...process.env, LD_PRELOAD: umockdevPreload, USBGUARD_UMOCKDEV_DEVICEDIR: devicesDir, TMPDIR: daemonTmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon = child;
    const output = captureOutput(child, 8192);
    const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
    let failure: Error | undefined;
    void spawnFailure.then((error) => (failure = error));

    // Ready when the daemon has its testbed and has closed the root hub (AuthorizedDefault=none).
    let testbedDir: string | undefined;
    try {
      testbedDir = await waitUntil(
        'usbguard-daemon to set authorized_default=0 on its umockdev root hub',
        () => {
          if (failure !== undefined) throw failure;
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`usbguard-daemon exited (${child.exitCode ?? child.signalCode})`);
          const found = readdirSync(daemonTmp).find((name) => name.startsWith('umockdev.'));
          if (found === undefined) return undefined;
          const file = path.join(daemonTmp, found, rootHubDir, 'authorized_default');
          return existsSync(file) && readFileSync(file, 'utf8').trim() === '0' ? path.join(daemonTmp, found) : undefined;
        },
        15_000,
        5,
      );
    } catch (error) {
      const tail = output().split('\n').slice(-6).join(' | ');
      return { ok: false, reason: `${error instanceof Error ? error.message : String(error)}${tail === '' ? '' : `; its output: ${tail}`}` };
    }
    say(`usbguard-daemon ${version} running with DeviceManagerBackend=umockdev (pid ${String(child.pid)})`);

    const samples: number[] = [];
    let coldFirstPlugMs = Number.NaN;
    const deadlineNs = monotonicNs() + BigInt(options.deadlineMs) * 1_000_000n;
    for (let i = 0; i < total; i += 1) {
      if (options.shouldStop()) {
        say(`usbguard-daemon: interrupted after ${samples.length} measured plugs`);
        break;
      }
      if (monotonicNs() > deadlineNs) {
        say(`usbguard-daemon: stopped after ${samples.length} measured plugs: the ${options.deadlineMs / 1000} s budget is spent`);
        break;
      }
      const name = `stick-${i + 1}.umockdev`;
      const deviceDir = path.join(testbedDir, rootHubDir, `1-${i + 1}`);
      const watching = poller.watch(path.join(deviceDir, 'authorized'), '0', stepTimeoutMs);
      watching.catch(() => undefined); // awaited below; this only keeps a failure during the plug from going unhandled
      const plugNs = monotonicNs();
      linkSync(path.join(stageDir, name), path.join(devicesDir, name));
      const seen = await watching;
      if (!seen.ok) {
        throw new Error(`bench: usbguard plug ${i + 1}: 1-${i + 1}/authorized still ${JSON.stringify(seen.last)} after ${stepTimeoutMs} ms; daemon: ${output().slice(-1000)}`);
      }
      const latencyMs = elapsedMs(plugNs, seen.seenNs);
      if (i === 0) coldFirstPlugMs = latencyMs;
      if (i >= options.warmupPlugs) samples.push(latencyMs);
      unlinkSync(path.join(devicesDir, name));
      await waitUntil(`usbguard-daemon to unplug 1-${i + 1}`, () => (existsSync(deviceDir) ? undefined : true), stepTimeoutMs, 1);
      if (samples.length > 0 && samples.length % 50 === 0 && i >= options.warmupPlugs) {
        say(`usbguard-daemon: ${samples.length}/${total - options.warmupPlugs} plugs, p50 so far ${round(percentile(samples, 50))} ms`);
      }
    }
    if (samples.length === 0) return { ok: false, reason: 'no plug was measured within the time budget' };
    const auditText = existsSync(path.join(work, 'usbguard-audit.log')) ? readFileSync(path.join(work, 'usbguard-audit.log'), 'utf8') : '';
    const blockedPorts = new Set<string>();
    for (const line of auditText.split('\n')) {
      const port = /target\.new='block'.*id 090c:1000 .*via-port "(1-\d+)"/.exec(line)?.[1];
      if (port !== undefined) blockedPorts.add(port);
    }
    return {
      ok: true,
      version,
      plugs: samples.length,
      warmupPlugs: Math.min(options.warmupPlugs, total),
      plugToWrittenP50Ms: round(percentile(samples, 50)),
      plugToWrittenP99Ms: round(percentile(samples, 99)),
      plugToWrittenMaxMs: round(Math.max(...samples)),
      coldFirstPlugMs: round(coldFirstPlugMs),
      auditedBlocks: blockedPorts.size,
      elapsedSeconds: round(elapsedMs(startedNs, monotonicNs()) / 1000, 1),
    };
  } finally {
    if (daemon !== undefined) {
      const note = await stopProcessTree(daemon, 'usbguard-daemon', 5_000).catch((error: unknown) => String(error));
      if (note !== undefined) say(`cleanup: ${note}`);
    }
    await poller.close();
    rmSync(work, { recursive: true, force: true });
  }
}
