import type { UsbRule } from './model';

/**
 * True when the rule uses no mynumber-guard extension (`read-only`, `interface-target`,
 * `expires`), i.e. its canonical form means the same to USBGuard. Every extension is written so
 * that USBGuard's parser refuses it: a rule file with extensions fails to load in USBGuard instead
 * of being read with a different meaning.
 */
export function isUsbGuardCompatible(rule: UsbRule): boolean {
  return rule.target !== 'read-only' && rule.interfaceTargets === undefined && rule.expires === undefined;
}
