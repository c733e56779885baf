// Public surface of the USB rule language (issue #3, item 1): parser, canonical printer and matcher
// for USBGuard-compatible rules, plus three extensions. Pure: no I/O, no clock, no randomness of
// its own; the policy linter and the agent both use it.
//
// Compatibility: `parseUsbRule(text, { extensions: false })` accepts exactly what
// usbguard-rule-parser 1.1.2 (Debian 12) accepts, reports errors at its byte column, and
// `printUsbRule` prints its OUTPUT byte for byte — except `rule-evaluated`, which USBGuard prints as
// `rule-applied` (a bug that changes the rule). test/conformance checks this against the real tool.
// Limits USBGuard lacks: 16 KiB per rule, 256 values per set, allowed-matches nested 4 deep.
// Leading white space and white space after the last attribute are errors, as in 1.1.2.
//
// Extensions ("beyond USBGuard"), accepted unless `extensions: false`, and refused by USBGuard's
// parser so a rule file using them never loads there with another meaning:
//   read-only id 0781:5583 serial "4C53…"         target read-only: the device is allowed and the
//                                                   media module mounts its storage read-only
//   allow id 1234:5678 interface-target { 03:*:* allow 0b:*:* allow 08:*:* block }
//                                                   the device is authorized; each interface takes
//                                                   the target of the first pattern matching it, an
//                                                   interface no pattern matches is blocked
//                                                   (allow and read-only rules only)
//   allow id 1234:5678 expires "2027-03-31T23:59:59+09:00"
//                                                   from that instant on the rule no longer matches
// The canonical form prints extensions after USBGuard's attributes, only when present.
// isUsbGuardCompatible(rule) tells whether a rule uses none.
//
// Matching semantics and the places where they differ from USBGuard on purpose: ./match-rule.ts.
export * from './model';
export { decodeRuleBytes, encodeRuleText } from './bytes';
export { isUsbGuardCompatible } from './compatibility';
export {
  compileUsbRules,
  createStaticUsbRuleContext,
  decideUsbInterfaces,
  evaluateUsbRules,
  interfaceMatches,
  localSecondOfDay,
  matchUsbRule,
  type UsbRuleContext,
  type UsbRuleDecision,
  type UsbRuleEvaluator,
  type UsbRuleHistory,
  type UsbRuleMatch,
} from './match-rule';
export {
  MAX_USB_RULE_BYTES,
  MAX_USB_RULE_FILE_LENGTH,
  MAX_USB_RULE_NESTING,
  MAX_USB_RULE_SET_SIZE,
  parseIsoDateTime,
  parseUsbRule,
  parseUsbRuleFile,
  parseUsbRuleLine,
  type UsbRuleFile,
} from './parse-rule';
export { printCondition, printDeviceId, printInterface, printString, printUsbRule } from './print-rule';
