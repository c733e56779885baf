import { describe, expect, it } from 'vitest';
import { approvedUsbDevicesFromRules } from './approvals-from-usb-rules';

const codes = (rules: string[]) => approvedUsbDevicesFromRules(rules).notices.map((n) => n.code);

describe('approvedUsbDevicesFromRules', () => {
  it('turns an exact id + serial allow rule into an approval, with its expiry', () => {
    const { devices, notices } = approvedUsbDevicesFromRules([
      'allow id 0781:5567 serial "4C5300012304" label "USB-0001"',
      'read-only id 04e8:6860 serial "R58M12345" expires "2026-12-31T23:59:59+09:00"',
    ]);
    expect(devices).toEqual([
      { vendorId: '0781', productId: '5567', serial: '4C5300012304', source: 'spec.usb.rules[0] allow id 0781:5567 serial "4C5300012304" label "USB-0001"' },
      {
        vendorId: '04e8',
        productId: '6860',
        serial: 'R58M12345',
        source: 'spec.usb.rules[1] read-only id 04e8:6860 serial "R58M12345" expires "2026-12-31T23:59:59+09:00"',
        expiresAtMs: Date.parse('2026-12-31T23:59:59+09:00'),
      },
    ]);
    expect(notices).toEqual([]);
  });

  it('passes over rules that are not exact identities, quietly (the default policy has only such rules)', () => {
    const rules = [
      'allow with-interface match-all { 09:00:* } label "usb-hub"',
      'allow with-interface match-all { 03:00:* 03:01:* } label "hid-keyboard-mouse"',
      'allow with-interface match-all { 0b:00:* } label "smart-card-reader"',
      'allow id 0781:* serial "X"',
      'allow id 0781:5567',
      'allow id 0781:5567 serial ""',
      'allow id one-of { 0781:5567 0781:5568 } serial "X"',
      'block id 0781:5567 serial "X"',
      'this is not a rule',
    ];
    expect(approvedUsbDevicesFromRules(rules)).toEqual({ devices: [], notices: [] });
  });

  it.each([
    ['name', 'allow id 0781:5567 serial "X" name "Cruzer"'],
    ['hash', 'allow id 0781:5567 serial "X" hash "abc="'],
    ['with-interface', 'allow id 0781:5567 serial "X" with-interface equals { 08:06:50 }'],
    ['via-port', 'allow id 0781:5567 serial "X" via-port "1-2"'],
    ['if', 'allow id 0781:5567 serial "X" if localtime(08:00-17:00)'],
    ['interface-target', 'allow id 0781:5567 serial "X" interface-target { 03:*:* allow }'],
  ])('does not widen a rule that also restricts by %s', (attribute, rule) => {
    const { devices, notices } = approvedUsbDevicesFromRules([rule]);
    expect(devices).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.code).toBe('windows.rule-not-rendered');
    expect(notices[0]?.message.en).toContain(attribute);
  });

  it('skips an allow that an earlier block or reject rule may shadow (first match wins)', () => {
    // A rule that does not parse (trailing space, refused by USBGuard 1.1.2) shadows nothing; the policy loader refuses it anyway.
    expect(codes(['block id 0781:* ', 'allow id 0781:5567 serial "X"'])).toEqual([]);
    expect(codes(['block id 0781:*', 'allow id 0781:5567 serial "X"'])).toEqual(['windows.rule-not-rendered']);
    expect(codes(['reject with-interface one-of { 08:*:* }', 'allow id 0781:5567 serial "X"'])).toEqual(['windows.rule-not-rendered']);
    expect(codes(['block id 0781:5567 serial "Y"', 'allow id 0781:5567 serial "X"'])).toEqual([]);
    expect(approvedUsbDevicesFromRules(['block id 1234:5678', 'allow id 0781:5567 serial "X"']).devices).toHaveLength(1);
    // The default policy's BadUSB rule needs two interface classes: it cannot match the single-function
    // device an AllowInstanceIDs entry affects, so it shadows nothing. With one class it would.
    expect(codes(['reject with-interface all-of { 08:*:* 03:*:* }', 'allow id 0781:5567 serial "X"'])).toEqual([]);
    expect(codes(['reject with-interface equals { 08:06:50 03:01:01 }', 'allow id 0781:5567 serial "X"'])).toEqual([]);
    expect(codes(['reject with-interface all-of { 08:06:50 08:*:* }', 'allow id 0781:5567 serial "X"'])).toEqual(['windows.rule-not-rendered']);
    expect(codes(['reject with-interface one-of { 08:*:* 03:*:* }', 'allow id 0781:5567 serial "X"'])).toEqual(['windows.rule-not-rendered']);
    // A later block does not shadow an earlier allow.
    expect(approvedUsbDevicesFromRules(['allow id 0781:5567 serial "X"', 'block id 0781:*']).devices).toHaveLength(1);
  });
});
