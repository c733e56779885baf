import type { Clock } from '../../shared/clock';
import { isMngError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { AuditSeverity, AuditSink } from '../audit';
import { decideUsbDevice, formatInterfaceCode, type UsbDecision, type UsbRuleMatcher } from './decide-usb';
import type { UsbDevice } from './model';
import type { UsbBus, UsbBusCapabilities, UsbDeviceRead, UsbHotplugEvent, UsbHotplugSource } from './ports';

/** What triggered a decision; in every audit record. */
export type UsbTrigger = 'present' | 'hotplug' | 'rescan' | 'policy-changed';

/** What the service publishes after each decision (the tray app subscribes later, issue #5). */
export interface UsbDecisionEvent {
  readonly decision: UsbDecision;
  readonly device: UsbDevice | undefined;
  readonly trigger: UsbTrigger;
  readonly mode: 'monitor' | 'enforce';
  /** Writes done to carry the decision out (none in monitor mode or when the state already held). */
  readonly writes: readonly string[];
  /** Hotplug event → decision written, in ms (hotplug only). */
  readonly latencyMs: number | undefined;
  /** True when carrying the decision out failed; the device was then blocked if possible. */
  readonly applyFailed: boolean;
}

/** Dependencies of the USB enforcer; wired by the composition root. */
export interface UsbEnforcerDeps {
  readonly bus: UsbBus;
  readonly hotplugSources: readonly UsbHotplugSource[];
  /** The rules of the policy in force (or the built-in safety rules when none is). */
  readonly matcher: () => UsbRuleMatcher;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly mode: 'monitor' | 'enforce';
  readonly onDecision?: (event: UsbDecisionEvent) => void;
  /** Waits `ms`; injected so tests run without real delays. Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the service found at start. */
export interface UsbStartReport {
  readonly capabilities: UsbBusCapabilities;
  readonly rootHubs: readonly string[];
  readonly decisions: readonly UsbDecision[];
}

/** One device's last known verdict, for `mng usb list` and posture. */
export interface UsbDeviceState {
  readonly decision: UsbDecision;
  readonly device: UsbDevice | undefined;
  readonly atMs: number;
}

/** The running USB control. */
export interface UsbEnforcer {
  start(): Promise<UsbStartReport>;
  /** Reads every device again and corrects any drift from the decisions (periodic safety net). */
  rescan(trigger?: UsbTrigger): Promise<readonly UsbDecision[]>;
  /** The last verdict per present device. */
  snapshot(): readonly UsbDeviceState[];
  stop(): Promise<void>;
}

/** How long an allowed device's interfaces may take to appear after it is authorized: 50 × 10 ms. */
const interfaceWaitAttempts = 50;
const interfaceWaitStepMs = 10;

/** A hotplugged device that reads incomplete is read again: 5 × 20 ms. */
const readRetryAttempts = 5;
const readRetryStepMs = 20;

const severityOf: Record<UsbDecision['target'], AuditSeverity> = { allow: 'info', block: 'notice', reject: 'warning' };

function describeDevice(device: UsbDevice | undefined): Record<string, unknown> {
  if (device === undefined) return {};
  return {
    id: `${device.vendorId}:${device.productId}`,
    name: device.name,
    serial: device.serial,
    hash: device.hash,
    interfaces: [...new Set(device.interfaces.map(formatInterfaceCode))],
    connectType: device.connectType,
    ...(device.weakIdentity.length === 0 ? {} : { weakIdentity: device.weakIdentity }),
  };
}

/**
 * Creates the USB enforcer (the shell around `decideUsbDevice`). In enforce mode it sets the
 * default of buses the kernel creates later and every root hub's `authorized_default` to 0 (and
 * `interface_authorized_default` to 0) before anything else, so devices attached later stay
 * blocked even if the agent dies (a root hub that appears later gets the same); then it decides every
 * present device and every hotplugged one. Work for one port is serialized; writes are skipped
 * when the state already holds, so duplicate events (udev and libusb) cost one read. In monitor
 * mode it decides and audits, and writes nothing.
 */
export function createUsbEnforcer(deps: UsbEnforcerDeps): UsbEnforcer {
  const { bus, audit, clock, logger, mode } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const states = new Map<string, UsbDeviceState>();
  const queues = new Map<string, Promise<unknown>>();
  let capabilities: UsbBusCapabilities | undefined;
  let stopped = false;
  const startedSources: UsbHotplugSource[] = [];

  /** Runs `task` after earlier work on the same port. */
  const onPort = <T>(port: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(port) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    queues.set(port, settled);
    void settled.then(() => {
      if (queues.get(port) === settled) queues.delete(port);
    });
    return run;
  };

  /** Carries out a decision; returns the writes done. Throws when a write fails. */
  const apply = async (decision: UsbDecision, device: UsbDevice | undefined): Promise<string[]> => {
    const writes: string[] = [];
    if (decision.basis.kind === 'root-hub') return writes;
    if (decision.target === 'reject') {
      await bus.removeDevice(decision.port);
      writes.push(`${decision.port}/remove=1`);
      return writes;
    }
    if (decision.target === 'block') {
      if (device?.authorized !== false) {
        await bus.setDeviceAuthorized(decision.port, false);
        writes.push(`${decision.port}/authorized=0`);
      }
      return writes;
    }
    let current = device;
    if (current?.authorized !== true) {
      await bus.setDeviceAuthorized(decision.port, true);
      writes.push(`${decision.port}/authorized=1`);
    }
    // The kernel creates the interfaces (deauthorized: interface_authorized_default=0) once the
    // device is configured, and a device's `add` event comes before its interfaces' events: wait,
    // bounded, until every planned interface exists. One still missing is left to the rescan.
    const missing = (state: UsbDevice | undefined): boolean =>
      decision.interfaces.some((plan) => (state?.interfaces ?? []).every((iface) => iface.name !== plan.name || iface.authorized === null));
    for (let attempt = 0; missing(current) && attempt < interfaceWaitAttempts; attempt += 1) {
      await sleep(interfaceWaitStepMs);
      const reread = await bus.readDevice(decision.port);
      if (reread === undefined) return writes; // unplugged meanwhile
      if (reread.ok) current = reread.device;
    }
    const interfaceState = new Map<string, boolean>();
    for (const iface of current?.interfaces ?? []) {
      if (iface.authorized !== null && !interfaceState.has(iface.name)) interfaceState.set(iface.name, iface.authorized);
    }
    // Deauthorize first, then authorize and probe: a driver must never see a blocked interface.
    for (const plan of decision.interfaces) {
      if (!plan.authorized && interfaceState.get(plan.name) !== false && interfaceState.has(plan.name)) {
        await bus.setInterfaceAuthorized(plan.name, false);
        writes.push(`${plan.name}/authorized=0`);
      }
    }
    for (const plan of decision.interfaces) {
      if (plan.authorized && interfaceState.get(plan.name) !== true && interfaceState.has(plan.name)) {
        await bus.setInterfaceAuthorized(plan.name, true);
        await bus.probeInterface(plan.name);
        writes.push(`${plan.name}/authorized=1`, `drivers_probe=${plan.name}`);
      }
    }
    return writes;
  };

  /**
   * A root hub that appears while the agent runs (a dock's controller, a Thunderbolt bridge, a
   * loaded host driver): its devices must start deauthorized like everyone else's. usbcore's
   * parameter (set at start) already made the kernel create it with authorized_default=0; writing
   * both defaults here makes sure, also on kernels without the parameter. Returns the writes done.
   */
  const secureRootHub = async (port: string): Promise<string[]> => {
    const writes: string[] = [];
    if (capabilities?.authorizedDefault === true) {
      await bus.setAuthorizedDefault(port, 0);
      writes.push(`${port}/authorized_default=0`);
    }
    if (capabilities?.interfaceAuthorization === true) {
      await bus.setInterfaceAuthorizedDefault(port, false);
      writes.push(`${port}/interface_authorized_default=0`);
    }
    return writes;
  };

  /** Decides and (in enforce mode) applies; audits every decision that is new or changed something. */
  const handle = async (read: UsbDeviceRead, trigger: UsbTrigger, eventAtMs?: number): Promise<UsbDecision> => {
    let decision: UsbDecision;
    try {
      decision = decideUsbDevice(read, deps.matcher());
    } catch (error) {
      // decideUsbDevice catches matcher errors itself; this is the last line of fail closed.
      decision = { port: read.ok ? read.device.port : read.failure.port, target: 'reject', readOnly: false, interfaces: [], basis: { kind: 'evaluation-error', detail: String(error) } };
    }
    const device = read.ok ? read.device : undefined;
    const previous = states.get(decision.port);
    let writes: string[] = [];
    let applyFailed = false;
    let applyError: string | undefined;
    // A rejected device is logically removed; a second event for the same plug (udev and libusb
    // both report it) must not remove it again: the kernel has already disconnected the port.
    const alreadyRejected =
      trigger === 'hotplug' && decision.target === 'reject' && previous?.decision.target === 'reject' && previous.device?.hash === device?.hash;
    if (mode === 'enforce' && !alreadyRejected) {
      try {
        writes =
          decision.basis.kind === 'root-hub' && trigger === 'hotplug' && previous === undefined ? await secureRootHub(decision.port) : await apply(decision, device);
      } catch (error) {
        applyFailed = true;
        applyError = isMngError(error) ? error.text.en : String(error);
        // Fail closed: whatever went wrong, try to leave the device deauthorized.
        if (decision.target !== 'block' && decision.basis.kind !== 'root-hub') {
          try {
            await bus.setDeviceAuthorized(decision.port, false);
            writes.push(`${decision.port}/authorized=0 (fallback)`);
          } catch (fallbackError) {
            logger.error({ port: decision.port, err: String(fallbackError) }, 'usb fallback block failed');
          }
        }
      }
    }
    const atMs = clock.nowMs();
    const latencyMs = eventAtMs === undefined ? undefined : atMs - eventAtMs;
    states.set(decision.port, { decision, device, atMs });
    const sameAsBefore =
      previous !== undefined &&
      previous.decision.target === decision.target &&
      previous.device?.hash === device?.hash &&
      JSON.stringify(previous.decision.basis) === JSON.stringify(decision.basis);
    if (!sameAsBefore || writes.length > 0 || applyFailed) {
      const drift = trigger === 'rescan' && sameAsBefore && writes.length > 0;
      await audit.append({
        type: applyFailed ? 'usb.apply-failed' : drift ? 'usb.drift-corrected' : `usb.${decision.target === 'allow' ? 'allowed' : decision.target === 'block' ? 'blocked' : 'rejected'}`,
        severity: applyFailed || drift ? 'alert' : decision.readOnly ? 'notice' : severityOf[decision.target],
        data: {
          port: decision.port,
          ...describeDevice(device),
          target: decision.target,
          ...(decision.readOnly ? { readOnly: true } : {}),
          basis: decision.basis,
          interfaces: decision.interfaces,
          old: { authorized: device?.authorized ?? null },
          // What the device is left with: what was written, or (monitor mode, nothing to write) as it was.
          new: {
            authorized:
              mode === 'monitor' || writes.length === 0
                ? (device?.authorized ?? null)
                : writes.some((write) => write.endsWith('/remove=1'))
                  ? 'removed'
                  : !writes.some((write) => write.startsWith(`${decision.port}/authorized=0`)),
          },
          mode,
          trigger,
          writes,
          ...(applyError === undefined ? {} : { error: applyError }),
          ...(latencyMs === undefined ? {} : { latencyMs }),
        },
      });
      deps.onDecision?.({ decision, device, trigger, mode, writes, latencyMs, applyFailed });
    }
    return decision;
  };

  /**
   * A device whose attributes are still being created reads as incomplete for a moment: read it
   * again, bounded, before the failure decides (reject). Meanwhile the device stays as the kernel
   * attached it: deauthorized (authorized_default=0).
   */
  const settle = async (port: string, first: UsbDeviceRead | undefined): Promise<UsbDeviceRead | undefined> => {
    let read = first;
    for (let attempt = 0; read?.ok === false && attempt < readRetryAttempts; attempt += 1) {
      await sleep(readRetryStepMs);
      read = await bus.readDevice(port);
    }
    return read;
  };

  const onHotplug = (event: UsbHotplugEvent): void => {
    if (stopped) return;
    void onPort(event.port, async () => {
      if (event.action === 'remove') {
        const known = states.get(event.port);
        states.delete(event.port);
        if (known !== undefined) {
          await audit.append({ type: 'usb.detached', severity: 'info', data: { port: event.port, ...describeDevice(known.device), source: event.source } });
        }
        return;
      }
      const read = await settle(event.port, await bus.readDevice(event.port));
      if (read === undefined) return; // gone again before we looked: the remove event follows
      await handle(read, 'hotplug', event.atMs);
    }).catch((error: unknown) => logger.error({ port: event.port, err: String(error) }, 'usb hotplug handling failed'));
  };

  const decideAll = async (trigger: UsbTrigger): Promise<UsbDecision[]> => {
    const reads = await bus.listDevices();
    const present = new Set(reads.map((read) => (read.ok ? read.device.port : read.failure.port)));
    for (const port of [...states.keys()]) if (!present.has(port)) states.delete(port);
    const decisions = await Promise.all(
      reads.map((first) => {
        const port = first.ok ? first.device.port : first.failure.port;
        return onPort(port, async () => {
          const read = first.ok ? first : await settle(port, first);
          return read === undefined ? undefined : handle(read, trigger);
        });
      }),
    );
    return decisions.filter((decision): decision is UsbDecision => decision !== undefined);
  };

  return {
    async start() {
      capabilities = await bus.capabilities();
      const rootHubs: string[] = [];
      if (!capabilities.present) {
        await audit.append({ type: 'usb.bus-absent', severity: 'notice', data: { mode, message: 'no USB subsystem on this machine: nothing to control' } });
        return { capabilities, rootHubs, decisions: [] };
      }
      const reads = await bus.listDevices();
      for (const read of reads) if (read.ok && read.device.isRootHub) rootHubs.push(read.device.port);
      if (mode === 'enforce') {
        // First the default of buses created later, then the buses there are: no gap between them.
        let newBuses: 0 | null = null;
        if (capabilities.newBusAuthorizedDefault) {
          try {
            await bus.setNewBusAuthorizedDefault(0);
            newBuses = 0;
          } catch (error) {
            await audit.append({ type: 'usb.authorized-default-failed', severity: 'alert', data: { newBuses: true, error: isMngError(error) ? error.text.en : String(error) } });
          }
        }
        for (const hub of rootHubs) {
          try {
            if (capabilities.authorizedDefault) await bus.setAuthorizedDefault(hub, 0);
            if (capabilities.interfaceAuthorization) await bus.setInterfaceAuthorizedDefault(hub, false);
          } catch (error) {
            await audit.append({
              type: 'usb.authorized-default-failed',
              severity: 'alert',
              data: { rootHub: hub, error: isMngError(error) ? error.text.en : String(error) },
            });
          }
        }
        await audit.append({
          type: 'usb.authorized-default-set',
          severity: 'notice',
          data: { rootHubs, authorizedDefault: 0, interfaceAuthorizedDefault: capabilities.interfaceAuthorization ? 0 : null, newBuses },
        });
      }
      for (const [index, source] of deps.hotplugSources.entries()) {
        try {
          await source.start(onHotplug, (error) => logger.warn({ source: index, err: error.message }, 'usb hotplug source error'));
          startedSources.push(source);
        } catch (error) {
          // One source down is survivable (the other, and the periodic rescan, still see devices);
          // it is an alert because hotplug decisions may then wait for the rescan.
          await audit.append({
            type: 'usb.hotplug-source-failed',
            severity: 'alert',
            data: { source: index, error: isMngError(error) ? error.text.en : String(error) },
          });
        }
      }
      // Decide present devices after the sources run, so nothing attached in between is missed.
      const decisions = await decideAll('present');
      return { capabilities, rootHubs, decisions };
    },
    async rescan(trigger = 'rescan') {
      if (capabilities?.present !== true || stopped) return [];
      return decideAll(trigger);
    },
    snapshot() {
      return [...states.values()].sort((a, b) => a.decision.port.localeCompare(b.decision.port));
    },
    async stop() {
      stopped = true;
      for (const source of startedSources) await source.stop();
      await Promise.all([...queues.values()]);
    },
  };
}
