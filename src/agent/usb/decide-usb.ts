import type { UsbRule } from '../../shared/usb-rules';
import type { UsbDevice, UsbDeviceReadFailure, UsbTarget } from './model';
import type { UsbDeviceRead } from './ports';

/**
 * What the decision needs from the rule language: the first rule that matches a device, with
 * conditions (`if …`, expiry) already evaluated. Built from the policy in force by the caller.
 */
export interface UsbRuleMatcher {
  firstMatch(device: UsbDevice):
    | { readonly index: number; readonly rule: UsbRule; readonly text: string; readonly unevaluable?: { readonly en: string } }
    | undefined;
  /** Target when no rule matches (the policy's `defaultTarget`). */
  readonly defaultTarget: 'block' | 'reject';
}

/** Why a device got its target. */
export type UsbDecisionBasis =
  | { readonly kind: 'rule'; readonly index: number; readonly text: string }
  | { readonly kind: 'default' }
  | { readonly kind: 'root-hub' }
  | { readonly kind: 'read-failure'; readonly code: string; readonly detail: string }
  | { readonly kind: 'evaluation-error'; readonly detail: string };

/** The authorization one interface should have (by sysfs interface name, e.g. `1-3:1.0`). */
export interface UsbInterfacePlan {
  readonly name: string;
  /** `cc:ss:pp` of the interface (first alternate setting), for messages. */
  readonly type: string;
  readonly authorized: boolean;
}

/** The verdict on one device, and how to carry it out. */
export interface UsbDecision {
  readonly port: string;
  readonly target: UsbTarget;
  /** `read-only` rule: the device is allowed, its storage must be mounted read-only (media module). */
  readonly readOnly: boolean;
  /** For `allow`: the authorization of each interface of the active configuration. */
  readonly interfaces: readonly UsbInterfacePlan[];
  readonly basis: UsbDecisionBasis;
}

/** `cc:ss:pp` of an interface. */
export function formatInterfaceCode(iface: { readonly classCode: string; readonly subclassCode: string; readonly protocolCode: string }): string {
  return `${iface.classCode}:${iface.subclassCode}:${iface.protocolCode}`;
}

function matchesPattern(code: string, pattern: string): boolean {
  return pattern === '*' || pattern === code;
}

/**
 * The interfaces of the configuration the kernel uses (the active one, else the first), one entry
 * per interface name: a decision about `1-3:1.0` must hold for every alternate setting of it, so
 * an interface is allowed only when every one of its alternate settings is allowed.
 */
function planInterfaces(device: UsbDevice, targetOf: (iface: UsbDevice['interfaces'][number]) => boolean): UsbInterfacePlan[] {
  const configuration = device.configurationValue ?? device.interfaces[0]?.configurationValue;
  const byName = new Map<string, { type: string; authorized: boolean }>();
  for (const iface of device.interfaces) {
    if (iface.configurationValue !== configuration) continue;
    const allowed = targetOf(iface);
    const seen = byName.get(iface.name);
    if (seen === undefined) byName.set(iface.name, { type: formatInterfaceCode(iface), authorized: allowed });
    else if (!allowed) seen.authorized = false;
  }
  return [...byName].map(([name, plan]) => ({ name, type: plan.type, authorized: plan.authorized }));
}

function failure(port: string, target: UsbTarget, basis: UsbDecisionBasis): UsbDecision {
  return { port, target, readOnly: false, interfaces: [], basis };
}

/** The decision for a device that could not be read: reject (fail closed, USBGuard does the same). */
export function decideUnreadableDevice(readFailure: UsbDeviceReadFailure): UsbDecision {
  return failure(readFailure.port, 'reject', { kind: 'read-failure', code: readFailure.code, detail: readFailure.detail });
}

/**
 * Decides one device (pure). Root hubs are never touched (they carry `authorized_default`). A
 * device that could not be read, or whose evaluation throws, is rejected: fail closed. Otherwise
 * the first matching rule decides, else the policy's default target. An allowed device gets an
 * interface plan: every interface, or with the `interface-target` extension only those whose
 * first matching pattern says allow.
 */
export function decideUsbDevice(read: UsbDeviceRead, matcher: UsbRuleMatcher): UsbDecision {
  if (!read.ok) return decideUnreadableDevice(read.failure);
  const device = read.device;
  if (device.isRootHub) return { port: device.port, target: 'allow', readOnly: false, interfaces: [], basis: { kind: 'root-hub' } };
  let match: ReturnType<UsbRuleMatcher['firstMatch']>;
  try {
    match = matcher.firstMatch(device);
  } catch (error) {
    return failure(device.port, 'reject', { kind: 'evaluation-error', detail: error instanceof Error ? error.message : String(error) });
  }
  if (match === undefined) return failure(device.port, matcher.defaultTarget, { kind: 'default' });
  if (match.unevaluable !== undefined) {
    return failure(device.port, 'reject', { kind: 'evaluation-error', detail: `rule ${match.index + 1}: ${match.unevaluable.en}` });
  }
  const basis: UsbDecisionBasis = { kind: 'rule', index: match.index, text: match.text };
  const { rule } = match;
  if (rule.target === 'block' || rule.target === 'reject') return failure(device.port, rule.target, basis);
  if (rule.target !== 'allow' && rule.target !== 'read-only') {
    // `match` / `device` are parser-internal targets: they never allow anything here.
    return failure(device.port, 'reject', { kind: 'evaluation-error', detail: `rule ${match.index + 1} has target ${rule.target}, which decides nothing` });
  }
  const interfaceTargets = rule.interfaceTargets;
  const interfaces =
    interfaceTargets === undefined
      ? planInterfaces(device, () => true)
      : planInterfaces(device, (iface) => {
          const first = interfaceTargets.find(
            (entry) =>
              matchesPattern(iface.classCode, entry.pattern.classCode) &&
              matchesPattern(iface.subclassCode, entry.pattern.subclassCode) &&
              matchesPattern(iface.protocolCode, entry.pattern.protocolCode),
          );
          return first?.target === 'allow';
        });
  return { port: device.port, target: 'allow', readOnly: rule.target === 'read-only', interfaces, basis };
}
