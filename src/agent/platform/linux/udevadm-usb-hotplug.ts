// USB hotplug events from a child `udevadm monitor` (usb-and-media.md §1: one of the three Linux
// hotplug sources). The child prints one block of KEY=VALUE lines per uevent; the parser below is
// pure and runs on captured samples in the tests. Under umockdev the child needs the testbed's
// UMOCKDEV_DIR and LD_PRELOAD, which is why its environment is injectable.
import { existsSync } from 'node:fs';
import type { Clock } from '../../../shared/clock';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { UsbHotplugEvent, UsbHotplugSource } from '../../usb/ports';
import { createSpawnMonitorChild, scheduleWithTimeout, type MonitorChild, type ScheduleTimer, type SpawnMonitorChild } from './monitor-child';

/** One uevent as `udevadm monitor --property` prints it. */
export interface UdevadmMonitorBlock {
  /** `KERNEL`: the kernel's uevent; `UDEV`: the same event after udev's rules ran. */
  readonly origin: 'KERNEL' | 'UDEV';
  readonly action: string;
  /** Device path below /sys, e.g. `/devices/pci0000:00/0000:00:14.0/usb1/1-3`. */
  readonly devpath: string;
  readonly subsystem: string;
  /** Kernel event sequence number; the KERNEL and UDEV copies of one event share it. */
  readonly seqnum: string | undefined;
  /** Every KEY=VALUE line (a Map: keys come from the kernel and may be anything). */
  readonly properties: ReadonlyMap<string, string>;
}

// `KERNEL[2282.168083] add      /devices/…/usb1/1-3 (usb)`; UDEV is padded to the same width.
const headerPattern = /^(KERNEL|UDEV)\s*\[[0-9.]+\]\s+(\S+)\s+(\/\S*)\s+\(([^()\s]*)\)$/;
const propertyPattern = /^([A-Za-z0-9_.]+)=(.*)$/;
// sysfs names of USB devices: root hubs `usbN`, others `<bus>-<port>[.<port>…]` (at most 7 tiers).
const usbPortPattern = /^(?:usb[1-9][0-9]{0,2}|[1-9][0-9]{0,2}-[1-9][0-9]{0,2}(?:\.[1-9][0-9]{0,2}){0,6})$/;

/**
 * Parses one block of `udevadm monitor --property` output (the lines between two blank lines).
 * Returns undefined for anything that is not an event, such as the banner udevadm prints first.
 * Property lines win over the header, as they are the uevent itself; lines that are not
 * KEY=VALUE are ignored. Never throws.
 */
export function parseUdevadmMonitorBlock(text: string): UdevadmMonitorBlock | undefined {
  const lines = text.split('\n').filter((line) => line !== '');
  const header = headerPattern.exec(lines[0]?.trimEnd() ?? '');
  if (header === null) return undefined;
  const origin = header[1] === 'KERNEL' ? 'KERNEL' : 'UDEV';
  const properties = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const property = propertyPattern.exec(line);
    if (property !== null) properties.set(property[1] as string, property[2] as string);
  }
  return {
    origin,
    action: properties.get('ACTION') ?? header[2] ?? '',
    devpath: properties.get('DEVPATH') ?? header[3] ?? '',
    subsystem: properties.get('SUBSYSTEM') ?? header[4] ?? '',
    seqnum: properties.get('SEQNUM'),
    properties,
  };
}

/** What a monitor block means for the USB service. */
export type UdevadmBlockMeaning =
  | { readonly kind: 'event'; readonly event: UsbHotplugEvent }
  /** Not about a USB device (an interface, another subsystem, an action we do not follow). */
  | { readonly kind: 'ignored' }
  /** A USB device event whose device name is not a USB port name: reported, not followed. */
  | { readonly kind: 'invalid'; readonly reason: string };

const followedActions: ReadonlySet<string> = new Set(['add', 'remove', 'change']);

/**
 * Turns a parsed block into a hotplug event: only `DEVTYPE=usb_device` (interfaces follow their
 * device), only add/remove/change, port = last component of DEVPATH. `atMs` is when the block
 * arrived. Pure.
 */
export function parseUsbHotplugEvent(block: UdevadmMonitorBlock, atMs: number): UdevadmBlockMeaning {
  if (block.subsystem !== 'usb' || block.properties.get('DEVTYPE') !== 'usb_device' || !followedActions.has(block.action)) {
    return { kind: 'ignored' };
  }
  const port = block.devpath.slice(block.devpath.lastIndexOf('/') + 1);
  if (!usbPortPattern.test(port)) {
    return { kind: 'invalid', reason: `DEVPATH ${JSON.stringify(block.devpath)} does not end in a USB port name` };
  }
  return { kind: 'event', event: { action: block.action as UsbHotplugEvent['action'], port, source: 'udev', atMs } };
}

/**
 * Drops the second copy of each event: with `--kernel --udev` every uevent arrives twice, once
 * from the kernel and once from udevd after its rules (the order differs between a real system
 * and umockdev). The first copy is taken because it is the earlier one. Copies are matched by
 * action, devpath and SEQNUM; an unmatched copy (no udevd running) is forgotten after `capacity`
 * further events, so memory stays bounded.
 */
export function createUdevadmDeduplicator(capacity = 1024): (block: UdevadmMonitorBlock) => boolean {
  const firstOrigin = new Map<string, UdevadmMonitorBlock['origin']>();
  return (block) => {
    const key = `${block.action}\u0000${block.devpath}\u0000${block.seqnum ?? ''}`;
    const seen = firstOrigin.get(key);
    if (seen !== undefined && seen !== block.origin) {
      firstOrigin.delete(key);
      return false;
    }
    // Same origin twice can only happen without SEQNUM: a genuine repeat, so it counts.
    firstOrigin.delete(key);
    firstOrigin.set(key, block.origin);
    if (firstOrigin.size > capacity) {
      const oldest = firstOrigin.keys().next();
      if (oldest.done !== true) firstOrigin.delete(oldest.value);
    }
    return true;
  };
}

export type { MonitorChild, ScheduleTimer, SpawnMonitorChild } from './monitor-child';

export interface UdevadmUsbHotplugOptions {
  readonly clock: Clock;
  /** Environment of the child. Default: this process's. Tests add UMOCKDEV_DIR and LD_PRELOAD. */
  readonly env?: NodeJS.ProcessEnv;
  /** The udevadm executable. Default `udevadm` from PATH. */
  readonly command?: string;
  readonly spawn?: SpawnMonitorChild;
  readonly schedule?: ScheduleTimer;
  /** How long start() waits for udevadm's banner (its sockets are bound by then). Default 5,000 ms. */
  readonly startTimeoutMs?: number;
  /** First restart delay after the child died; doubles per failure up to `restartMaxDelayMs`. Default 100 ms. */
  readonly restartInitialDelayMs?: number;
  /** Default 10,000 ms. */
  readonly restartMaxDelayMs?: number;
  /** A child that ran this long before dying resets the delay to the initial one. Default 60,000 ms. */
  readonly restartStableMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 2,000 ms. */
  readonly stopTimeoutMs?: number;
  /**
   * util-linux `setpriv` to start udevadm with `--pdeathsig KILL`, so the monitor dies with the
   * agent even when the agent is killed (SIGKILL, OOM) and cannot stop it. Default
   * `/usr/bin/setpriv` when it exists; `null` starts udevadm directly.
   */
  readonly setprivPath?: string | null;
}

/** The arguments `udevadm` runs with: both event copies, properties, USB only. */
export const udevadmMonitorArgs: readonly string[] = ['monitor', '--kernel', '--udev', '--property', '--subsystem-match=usb'];

// A block longer than this without a blank line is not udevadm output we understand.
const maxPendingChars = 1024 * 1024;
const maxStderrChars = 2048;

const spawnNodeChild: SpawnMonitorChild = createSpawnMonitorChild('utf8');


function hotplugError(ja: string, en: string, cause?: unknown): MngError {
  return new MngError(ErrorCode.UsbHotplugFailed, msg(ja, en), {
    hint: msg(
      'udev パッケージ（udevadm）が入っているか確認してください。それまでの間も定期再走査で USB 機器は判定されます。',
      'check that the udev package (udevadm) is installed; until then the periodic rescan still judges USB devices.',
    ),
    cause,
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * UsbHotplugSource backed by `udevadm monitor --kernel --udev --property --subsystem-match=usb`.
 * udevadm flushes stdout after every event (measured: no `stdbuf` needed). start() resolves once
 * udevadm has printed its banner, i.e. its netlink sockets are bound, so no later event is lost;
 * it rejects (AGENT_E_USB_HOTPLUG_FAILED) when udevadm cannot start. Once started, a child that
 * dies is reported through onError and restarted with a doubling delay (100 ms … 10 s); events
 * in the gap are caught by the service's periodic rescan.
 */
export function createUdevadmUsbHotplug(options: UdevadmUsbHotplugOptions): UsbHotplugSource {
  const { clock } = options;
  const command = options.command ?? 'udevadm';
  const setpriv = options.setprivPath === undefined ? (existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null) : options.setprivPath;
  // With setpriv, the kernel sends SIGKILL to udevadm when its parent (this agent) dies.
  const [executable, executableArgs] =
    setpriv === null ? [command, udevadmMonitorArgs] : [setpriv, ['--pdeathsig', 'KILL', '--', command, ...udevadmMonitorArgs]];
  const spawnChild = options.spawn ?? spawnNodeChild;
  const schedule = options.schedule ?? scheduleWithTimeout;
  const startTimeoutMs = options.startTimeoutMs ?? 5_000;
  const initialDelayMs = options.restartInitialDelayMs ?? 100;
  const maxDelayMs = options.restartMaxDelayMs ?? 10_000;
  const stableMs = options.restartStableMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 2_000;

  let running = false;
  let child: { process: MonitorChild; exited: Promise<void> } | undefined;
  let cancelRestart: (() => void) | undefined;
  let nextDelayMs = initialDelayMs;

  /**
   * Spawns one child. The promise resolves on udevadm's banner and rejects when the child ends,
   * fails to spawn or stays silent before that. A child that ends after its banner is reported
   * through onError and restarted here.
   */
  function launch(onEvent: (event: UsbHotplugEvent) => void, onError: (error: Error) => void): Promise<void> {
    const startedAtMs = clock.nowMs();
    const isDuplicate = createUdevadmDeduplicator();
    let phase: 'starting' | 'ready' | 'failed' = 'starting';
    let finished = false;
    let pending = '';
    let stderrTail = '';
    let spawnFailure: Error | undefined;
    let settle: (error?: Error) => void = () => undefined;
    const readiness = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });

    let spawned: MonitorChild;
    try {
      spawned = spawnChild(executable, executableArgs, options.env ?? process.env);
    } catch (error) {
      return Promise.reject(hotplugError(`${command} を起動できません: ${String(error)}`, `cannot start ${command}: ${String(error)}`, error));
    }
    const current = { process: spawned, exited };
    child = current;

    const fail = (error: Error): void => {
      // Before the banner: the start (or restart) fails as a whole; whoever awaits it reports.
      phase = 'failed';
      cancelStartTimeout();
      settle(error);
      spawned.kill('SIGKILL');
    };
    const cancelStartTimeout = schedule(() => {
      if (phase === 'starting') {
        fail(hotplugError(`udevadm monitor が ${startTimeoutMs} ms 以内に起動しませんでした`, `udevadm monitor printed no banner within ${startTimeoutMs} ms`));
      }
    }, startTimeoutMs);

    /** Runs once per child, whether it exited or never started. */
    const finish = (how: string): void => {
      if (finished) return;
      finished = true;
      cancelStartTimeout();
      markExited();
      if (child === current) child = undefined;
      const detail = stderrTail.trim() === '' ? '' : `: ${stderrTail.trim()}`;
      const error = hotplugError(`udevadm monitor が終了しました（${how}）${detail}`, `udevadm monitor exited (${how})${detail}`, spawnFailure);
      if (phase === 'starting') {
        fail(error);
        return;
      }
      if (phase !== 'ready' || !running) return;
      onError(error);
      if (clock.nowMs() - startedAtMs >= stableMs) nextDelayMs = initialDelayMs;
      scheduleRestart(onEvent, onError);
    };

    const deliver = (event: UsbHotplugEvent): void => {
      try {
        onEvent(event);
      } catch (error) {
        // A failing consumer must not stop the stream; it is reported like any other fault.
        onError(asError(error));
      }
    };

    const handleBlock = (text: string, atMs: number): void => {
      const block = parseUdevadmMonitorBlock(text);
      if (block === undefined) {
        if (phase === 'starting' && text.startsWith('monitor will print')) {
          phase = 'ready';
          cancelStartTimeout();
          settle();
        }
        return;
      }
      const meaning = parseUsbHotplugEvent(block, atMs);
      if (meaning.kind === 'ignored') return;
      if (meaning.kind === 'invalid') {
        onError(hotplugError(`udevadm monitor: USB ポート名として読めない機器イベントです（${block.devpath}）`, `udevadm monitor: ${meaning.reason}`));
        return;
      }
      if (isDuplicate(block)) deliver(meaning.event);
    };

    spawned.onStdout((chunk) => {
      const atMs = clock.nowMs();
      pending += chunk;
      let end = pending.indexOf('\n\n');
      while (end !== -1) {
        handleBlock(pending.slice(0, end + 1), atMs);
        pending = pending.slice(end + 2);
        end = pending.indexOf('\n\n');
      }
      if (pending.length > maxPendingChars) {
        pending = '';
        onError(
          hotplugError(
            `udevadm monitor の出力に区切りがありません（${maxPendingChars} 文字超）。破棄しました`,
            `udevadm monitor printed over ${maxPendingChars} characters without a blank line; discarded`,
          ),
        );
      }
    });
    spawned.onStderr((chunk) => {
      stderrTail = (stderrTail + chunk).slice(-maxStderrChars);
    });
    spawned.onError((error) => {
      spawnFailure = error;
      // A process that never started (ENOENT, EACCES) may never report an exit.
      if (phase === 'starting') finish(error.message);
      else onError(hotplugError(`udevadm monitor の操作に失敗しました: ${error.message}`, `udevadm monitor: ${error.message}`, error));
    });
    spawned.onExit((code, signal) => {
      finish(signal !== null ? `signal ${signal}` : `code ${String(code)}`);
    });
    return readiness;
  }

  /** True when `exited` settles within `timeoutMs`. */
  async function exitsWithin(exited: Promise<void>, timeoutMs: number): Promise<boolean> {
    let cancel: () => void = () => undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = schedule(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([exited.then(() => true), timedOut]);
    cancel();
    return result;
  }

  function scheduleRestart(onEvent: (event: UsbHotplugEvent) => void, onError: (error: Error) => void): void {
    const delayMs = nextDelayMs;
    nextDelayMs = Math.min(nextDelayMs * 2, maxDelayMs);
    cancelRestart = schedule(() => {
      cancelRestart = undefined;
      if (!running) return;
      launch(onEvent, onError).catch((error: unknown) => {
        if (!running) return;
        onError(asError(error));
        scheduleRestart(onEvent, onError);
      });
    }, delayMs);
  }

  return {
    async start(onEvent, onError) {
      if (running) throw new MngError(ErrorCode.Internal, msg('udevadm の監視はすでに開始しています', 'the udevadm hotplug source is already started'));
      running = true;
      nextDelayMs = initialDelayMs;
      try {
        await launch(onEvent, onError);
      } catch (error) {
        running = false;
        throw error;
      }
    },
    async stop() {
      running = false;
      cancelRestart?.();
      cancelRestart = undefined;
      const current = child;
      if (current === undefined) return;
      current.process.kill('SIGTERM');
      if (await exitsWithin(current.exited, stopTimeoutMs)) return;
      current.process.kill('SIGKILL');
      if (await exitsWithin(current.exited, stopTimeoutMs)) return;
      throw hotplugError(
        `udevadm monitor が SIGKILL 後 ${stopTimeoutMs} ms 以内に終了しませんでした`,
        `udevadm monitor did not exit within ${stopTimeoutMs} ms of SIGKILL`,
      );
    },
  };
}
