import { msg } from '../../../shared/i18n';
import { parseUsbRule, type UsbRule } from '../../../shared/usb-rules';
import type { WindowsApprovedUsbDevice, WindowsPlanNotice } from './plan-windows-usb-policy';

/**
 * Which rules of `spec.usb.rules` become Windows approvals (AllowInstanceIDs), pure.
 *
 * Windows can allow the installation of one exact device instance, `USB\VID_v&PID_p\<serial>`,
 * and nothing finer. A rule becomes an approval only when that instance says everything the rule
 * says, so the allow is never wider on Windows than on Linux:
 * - target `allow` or `read-only` (the access layer stays class-wide, so read-only is not widened);
 * - `id` is one exact `VVVV:PPPP` (no `*`) and `serial` one non-empty string;
 * - nothing else restricts the match: no `name`, `hash`, `parent-hash`, `via-port`,
 *   `with-interface`, `with-connect-type`, `if` or `interface-target` (`label` does not match,
 *   `expires` is carried over as the approval's end);
 * - no earlier `block` or `reject` rule could match the same device (first match wins on Linux);
 *   a rule that needs interfaces of two classes cannot match a device whose instance the entry names.
 *
 * Rules that pin an exact id and serial but fail another condition are reported in a notice, so
 * the administrator sees why an approved device does not install on Windows. Other rules (the
 * default policy's hub, HID and card-reader rules) are not approvals and are passed over quietly:
 * Windows never blocks those classes anyway.
 */
export function approvedUsbDevicesFromRules(ruleTexts: readonly string[]): { devices: WindowsApprovedUsbDevice[]; notices: WindowsPlanNotice[] } {
  const devices: WindowsApprovedUsbDevice[] = [];
  const notices: WindowsPlanNotice[] = [];
  const earlier: UsbRule[] = [];
  ruleTexts.forEach((text, index) => {
    const parsed = parseUsbRule(text);
    // The policy loader refuses a policy with a bad rule; one that slips through is no approval.
    if (!parsed.ok) return;
    const rule = parsed.value;
    const identity = exactIdentity(rule);
    if (identity !== undefined && (rule.target === 'allow' || rule.target === 'read-only')) {
      const extra = restrictingAttributes(rule);
      const shadowed = earlier.some((other) => (other.target === 'block' || other.target === 'reject') && couldMatch(other, identity));
      const where = `spec.usb.rules[${index}]`;
      if (extra.length > 0) {
        notices.push({
          code: 'windows.rule-not-rendered',
          message: msg(
            `${where} は Windows では許可しません: ${extra.join('・')} は Windows のインスタンス ID では表せず、許可が広がるためです`,
            `${where} is not allowed on Windows: ${extra.join(', ')} cannot be expressed by a Windows instance ID, and dropping it would widen the allow`,
          ),
        });
      } else if (shadowed) {
        notices.push({
          code: 'windows.rule-not-rendered',
          message: msg(
            `${where} は Windows では許可しません: 先にある block/reject の規則が同じ機器に一致しうるためです`,
            `${where} is not allowed on Windows: an earlier block/reject rule may match the same device`,
          ),
        });
      } else {
        devices.push({
          ...identity,
          source: `${where} ${text}`,
          ...(rule.expires === undefined ? {} : { expiresAtMs: rule.expires.epochMs }),
        });
      }
    }
    earlier.push(rule);
  });
  return { devices, notices };
}

function exactIdentity(rule: UsbRule): { vendorId: string; productId: string; serial: string } | undefined {
  const id = rule.id;
  const serial = rule.serial;
  if (id === undefined || serial === undefined) return undefined;
  if (id.operator !== 'equals' || id.values.length !== 1 || serial.operator !== 'equals' || serial.values.length !== 1) return undefined;
  const [pattern] = id.values;
  const [text] = serial.values;
  if (pattern === undefined || text === undefined || text === '' || pattern.vendorId === '*' || pattern.productId === '*') return undefined;
  return { vendorId: pattern.vendorId, productId: pattern.productId, serial: text };
}

function restrictingAttributes(rule: UsbRule): string[] {
  const present: [boolean, string][] = [
    [rule.name !== undefined, 'name'],
    [rule.hash !== undefined, 'hash'],
    [rule.parentHash !== undefined, 'parent-hash'],
    [rule.viaPort !== undefined, 'via-port'],
    [rule.withInterface !== undefined, 'with-interface'],
    [rule.withConnectType !== undefined, 'with-connect-type'],
    [rule.conditions !== undefined, 'if'],
    [rule.interfaceTargets !== undefined, 'interface-target'],
  ];
  return present.filter(([is]) => is).map(([, name]) => name);
}

/**
 * True when `rule` needs at least two interfaces of different classes (`all-of` / `equals` with two
 * class codes, like the default policy's `reject with-interface all-of { 08:*:* 03:*:* }`). Such a
 * rule cannot match a single-function device, and a single-function device is the only kind an
 * AllowInstanceIDs entry `USB\VID_…\<serial>` changes anything for: for a composite device that
 * node is the parent in the USB class, which is never denied, and its functions have other IDs.
 */
function needsSeveralInterfaceClasses(rule: UsbRule): boolean {
  const set = rule.withInterface;
  if (set === undefined || set.operator === 'one-of' || set.operator === 'none-of' || set.operator === 'match-all') return false;
  return new Set(set.values.map((pattern) => pattern.classCode)).size >= 2;
}

/** True unless `rule` certainly excludes the device on Windows (other attributes: assume they may match). */
function couldMatch(rule: UsbRule, device: { vendorId: string; productId: string; serial: string }): boolean {
  if (needsSeveralInterfaceClasses(rule)) return false;
  const idMatches =
    rule.id === undefined ||
    rule.id.operator === 'none-of' ||
    rule.id.values.some(
      (p) => (p.vendorId === '*' || p.vendorId.toLowerCase() === device.vendorId.toLowerCase()) && (p.productId === '*' || p.productId.toLowerCase() === device.productId.toLowerCase()),
    );
  const serialMatches = rule.serial === undefined || rule.serial.operator === 'none-of' || rule.serial.values.includes(device.serial);
  return idMatches && serialMatches;
}
