import { encodeRuleText } from './bytes';
import type { UsbDeviceIdPattern, UsbInterfacePattern, UsbRule, UsbRuleCondition, UsbRuleSet } from './model';

/**
 * The canonical form of a rule: byte for byte what `usbguard-rule-parser` 1.1.2 prints as OUTPUT
 * (Rule::toString), except that `rule-evaluated` stays `rule-evaluated` (USBGuard prints it as
 * `rule-applied`, which changes the rule's meaning: usb-and-media.md §2.4 #6). Extensions are
 * printed after USBGuard's attributes, and only when present.
 *
 * USBGuard's form: attributes in the fixed order id, serial, name, hash, parent-hash, via-port,
 * with-interface, if, with-connect-type, label; one space between items; a set as
 * `[operator ]{ v1 v2 }`, the operator left out when it is `equals`, and a one-value `equals` set as
 * the bare value; interface classes in lowercase hex, device ids as written; strings in double
 * quotes with `"` and `\` escaped and every byte outside printable ASCII as `\xHH`; condition
 * arguments as written.
 */
export function printUsbRule(rule: UsbRule): string {
  const parts: string[] = [rule.target];
  const add = <T>(keyword: string, set: UsbRuleSet<T> | undefined, format: (value: T) => string): void => {
    if (set === undefined || set.values.length === 0) return;
    parts.push(`${keyword} ${printSet(set, format)}`);
  };
  add('id', rule.id, printDeviceId);
  add('serial', rule.serial, printString);
  add('name', rule.name, printString);
  add('hash', rule.hash, printString);
  add('parent-hash', rule.parentHash, printString);
  add('via-port', rule.viaPort, printString);
  add('with-interface', rule.withInterface, printInterface);
  add('if', rule.conditions, printCondition);
  add('with-connect-type', rule.withConnectType, printString);
  add('label', rule.label, printString);
  if (rule.interfaceTargets !== undefined && rule.interfaceTargets.length > 0) {
    const pairs = rule.interfaceTargets.map((entry) => `${printInterface(entry.pattern)} ${entry.target}`);
    parts.push(`interface-target { ${pairs.join(' ')} }`);
  }
  if (rule.expires !== undefined) parts.push(`expires ${printString(rule.expires.text)}`);
  return parts.join(' ');
}

/** Attribute::toRuleString: bare value, or `[operator ]{ … }` for several values or another operator. */
function printSet<T>(set: UsbRuleSet<T>, format: (value: T) => string): string {
  const values = set.values.map(format);
  if (set.values.length === 1 && set.operator === 'equals') return values[0] as string;
  const operator = set.operator === 'equals' ? '' : `${set.operator} `;
  return `${operator}{ ${values.join(' ')} }`;
}

/** `VVVV:PPPP` as written (USBGuard keeps the case of device ids). */
export function printDeviceId(id: UsbDeviceIdPattern): string {
  return `${id.vendorId}:${id.productId}`;
}

/** `cc:ss:pp` in lowercase hex (USBGuard prints interface types from numbers). */
export function printInterface(pattern: UsbInterfacePattern): string {
  return `${pattern.classCode}:${pattern.subclassCode}:${pattern.protocolCode}`.toLowerCase();
}

/** Utility::quoteEscapeString: `"…"` with `\"`, `\\`, and `\xHH` for bytes outside 0x20..0x7e. */
export function printString(text: string): string {
  let out = '"';
  for (const byte of encodeRuleText(text)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** `[!]identifier[(argument)]`; `true` and `false` never print an argument. */
export function printCondition(condition: UsbRuleCondition): string {
  const head = `${condition.negated ? '!' : ''}${condition.kind}`;
  if (!('parameter' in condition) || condition.parameter === '') return head;
  return `${head}(${condition.parameter})`;
}
