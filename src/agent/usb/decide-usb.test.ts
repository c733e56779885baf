import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { parsePolicyText } from '../../shared/policy';
import { decideUsbDevice, type UsbRuleMatcher } from './decide-usb';
import { createPolicyUsbMatcher, type UsbPolicySource } from './policy-matcher';
import { makeUsbDevice, testDevices } from './usb-test-devices';

const parsed = parsePolicyText(readFileSync(new URL('../../../policies/mynumber-zone.yaml', import.meta.url), 'utf8'));
if (!parsed.ok) throw new Error('the default policy must parse');
const defaultPolicy: UsbPolicySource = { key: 'default', usb: parsed.policy.spec.usb };

function matcherFor(source: UsbPolicySource | undefined): UsbRuleMatcher {
  return createPolicyUsbMatcher({
    policy: () => source,
    clock: createFixedClock(Date.parse('2026-11-26T10:00:00+09:00')),
    utcOffsetMinutes: () => 540,
    random: () => 0.5,
    allowedDevices: () => [],
  })();
}

function rulesPolicy(rules: string[], defaultTarget: 'block' | 'reject' = 'block'): UsbPolicySource {
  return { key: rules.join('\n'), usb: { ...defaultPolicy.usb, rules, defaultTarget } };
}

describe('decideUsbDevice with the default My Number zone policy (and the no-policy fallback)', () => {
  it.each([
    ['keyboard', 'allow', 'hid-keyboard-mouse', testDevices.keyboard()],
    ['card reader', 'allow', 'smart-card-reader', testDevices.cardReader()],
    ['hub', 'allow', 'usb-hub', testDevices.hub()],
    ['BadUSB stick + keyboard', 'reject', 'badusb-storage-hid', testDevices.badUsb()],
    ['stick', 'block', undefined, testDevices.stick()],
    ['phone (MTP)', 'block', undefined, testDevices.phoneMtp()],
    ['phone (PTP)', 'block', undefined, testDevices.phonePtp()],
    ['USB Ethernet', 'block', undefined, testDevices.ethernet()],
  ] as const)('%s → %s', (_name, target, label, device) => {
    for (const source of [defaultPolicy, undefined]) {
      const decision = decideUsbDevice({ ok: true, device }, matcherFor(source));
      expect(decision.target).toBe(target);
      if (label === undefined) expect(decision.basis).toEqual({ kind: 'default' });
      else expect(decision.basis.kind === 'rule' && decision.basis.text).toContain(`label "${label}"`);
    }
  });

  it('allows every interface of an allowed device', () => {
    const decision = decideUsbDevice({ ok: true, device: testDevices.keyboard() }, matcherFor(defaultPolicy));
    expect(decision.interfaces).toEqual([
      { name: '1-4:1.0', type: '03:01:01', authorized: true },
      { name: '1-4:1.1', type: '03:00:00', authorized: true },
    ]);
  });

  it('never touches a root hub', () => {
    const decision = decideUsbDevice({ ok: true, device: testDevices.rootHub() }, matcherFor(rulesPolicy([], 'reject')));
    expect(decision).toMatchObject({ target: 'allow', basis: { kind: 'root-hub' }, interfaces: [] });
  });

  it('lock-out safety: any device made only of boot HID, hub or CCID interfaces stays allowed', () => {
    const code = (cls: string, subclasses: string[]) =>
      fc.tuple(fc.constantFrom(...subclasses), fc.integer({ min: 0, max: 255 })).map(([sub, proto]) => `${cls}:${sub}:${proto.toString(16).padStart(2, '0')}`);
    const onlyOneKind = fc.oneof(
      fc.array(code('03', ['00', '01']), { minLength: 1, maxLength: 6 }),
      fc.array(code('09', ['00']), { minLength: 1, maxLength: 2 }),
      fc.array(code('0b', ['00']), { minLength: 1, maxLength: 3 }),
    );
    fc.assert(
      fc.property(onlyOneKind, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (interfaces, vendor, product) => {
        const hex4 = (value: number) => value.toString(16).padStart(4, '0');
        const device = makeUsbDevice({ port: '1-1', id: `${hex4(vendor)}:${hex4(product)}`, interfaces });
        for (const source of [defaultPolicy, undefined]) {
          expect(decideUsbDevice({ ok: true, device }, matcherFor(source)).target).toBe('allow');
        }
      }),
    );
  });
});

describe('decideUsbDevice: fail closed', () => {
  it('rejects a device that could not be read', () => {
    const decision = decideUsbDevice({ ok: false, failure: { port: '1-3', code: 'descriptors-truncated', detail: 'descriptors end inside the device descriptor' } }, matcherFor(defaultPolicy));
    expect(decision).toMatchObject({ port: '1-3', target: 'reject', basis: { kind: 'read-failure', code: 'descriptors-truncated' } });
  });

  it('rejects when the matcher throws', () => {
    const broken: UsbRuleMatcher = {
      defaultTarget: 'block',
      firstMatch: () => {
        throw new Error('boom');
      },
    };
    expect(decideUsbDevice({ ok: true, device: testDevices.keyboard() }, broken)).toMatchObject({ target: 'reject', basis: { kind: 'evaluation-error', detail: 'boom' } });
  });

  it('rejects on a rule that cannot be evaluated (if match-all)', () => {
    const decision = decideUsbDevice({ ok: true, device: testDevices.keyboard() }, matcherFor(rulesPolicy(['allow if match-all { true }'])));
    expect(decision.target).toBe('reject');
    expect(decision.basis.kind).toBe('evaluation-error');
  });

  it('rejects everything when a rule of the policy does not parse (cannot happen to a verified policy)', () => {
    const decision = decideUsbDevice({ ok: true, device: testDevices.keyboard() }, matcherFor(rulesPolicy(['allow id 12345:1'])));
    expect(decision).toMatchObject({ target: 'reject', basis: { kind: 'evaluation-error' } });
  });

  it('uses the default target when no rule matches', () => {
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcherFor(rulesPolicy([], 'reject'))).target).toBe('reject');
  });
});

describe('decideUsbDevice: rule history conditions', () => {
  it('rule-applied: a rule that allows once a minute refuses a second stick within the minute', () => {
    const matcher = matcherFor(rulesPolicy(['allow id 0781:5567 if !rule-applied(60)']));
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcher).target).toBe('allow');
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcher).target).toBe('block');
  });
});

describe('decideUsbDevice: extensions', () => {
  it('per-interface targets: the HID interface of a composite is allowed, its storage stays blocked', () => {
    const policy = rulesPolicy(['allow id 1234:abcd interface-target { 03:*:* allow 08:*:* block }']);
    const decision = decideUsbDevice({ ok: true, device: testDevices.badUsb() }, matcherFor(policy));
    expect(decision.target).toBe('allow');
    expect(decision.interfaces).toEqual([
      { name: '1-6:1.0', type: '08:06:50', authorized: false },
      { name: '1-6:1.1', type: '03:01:01', authorized: true },
    ]);
  });

  it('an interface no pattern names is blocked', () => {
    const policy = rulesPolicy(['allow id 0b95:1790 interface-target { 02:*:* allow }']);
    const decision = decideUsbDevice({ ok: true, device: testDevices.ethernet() }, matcherFor(policy));
    expect(decision.interfaces.map((plan) => plan.authorized)).toEqual([true, false]);
  });

  it('read-only allows the device and marks it for read-only mounts', () => {
    const policy = rulesPolicy([`read-only id 0781:5567 serial "SN-1-3"`]);
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcherFor(policy))).toMatchObject({ target: 'allow', readOnly: true });
  });

  it('an expired rule no longer matches', () => {
    const expired = rulesPolicy([`allow id 0781:5567 expires "2026-11-01T00:00:00+09:00"`]);
    const valid = rulesPolicy([`allow id 0781:5567 expires "2027-03-31T23:59:59+09:00"`]);
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcherFor(expired)).target).toBe('block');
    expect(decideUsbDevice({ ok: true, device: testDevices.stick() }, matcherFor(valid)).target).toBe('allow');
  });
});
