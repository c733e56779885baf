import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import { parsePolicyText } from '../../shared/policy';
import type { AuditEventInput, AuditSink } from '../audit';
import { createFakeUsbBus, type FakeUsbBusOptions } from './fake-usb-bus';
import { createPolicyUsbMatcher } from './policy-matcher';
import type { UsbHotplugEvent, UsbHotplugSource } from './ports';
import { createUsbEnforcer, type UsbDecisionEvent } from './usb-service';
import { makeUsbDevice, testDevices } from './usb-test-devices';

const parsed = parsePolicyText(readFileSync(new URL('../../../policies/mynumber-zone.yaml', import.meta.url), 'utf8'));
if (!parsed.ok) throw new Error('the default policy must parse');
const usbPolicy = parsed.policy.spec.usb;

function memoryAudit(): AuditSink & { events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return {
    events,
    append: async (event) => {
      events.push(event);
      return { seq: events.length, hash: `h${events.length}` };
    },
  };
}

/** A hotplug source the test fires by hand. */
function manualSource(): UsbHotplugSource & { fire(event: Omit<UsbHotplugEvent, 'source' | 'atMs'>, atMs?: number): void } {
  let listener: ((event: UsbHotplugEvent) => void) | undefined;
  return {
    start: async (onEvent) => {
      listener = onEvent;
    },
    stop: async () => {
      listener = undefined;
    },
    fire: (event, atMs = 0) => listener?.({ ...event, source: 'test', atMs }),
  };
}

function setup(options: FakeUsbBusOptions & { mode?: 'monitor' | 'enforce'; sources?: UsbHotplugSource[] } = {}) {
  const bus = createFakeUsbBus(options);
  const audit = memoryAudit();
  const clock = createFixedClock(Date.parse('2026-11-26T10:00:00+09:00'));
  const published: UsbDecisionEvent[] = [];
  const enforcer = createUsbEnforcer({
    bus,
    hotplugSources: options.sources ?? [],
    matcher: createPolicyUsbMatcher({ policy: () => ({ key: 'p1', usb: usbPolicy }), clock, utcOffsetMinutes: () => 540, random: () => 0.5, allowedDevices: () => [] }),
    audit,
    clock,
    logger: silentLogger,
    mode: options.mode ?? 'enforce',
    onDecision: (event) => published.push(event),
  });
  return { bus, audit, clock, enforcer, published };
}

const present = () =>
  [testDevices.rootHub(), testDevices.keyboard(), testDevices.cardReader(), testDevices.stick(), testDevices.badUsb(), testDevices.phoneMtp(), testDevices.ethernet()].map(
    (device) => ({ ok: true as const, device }),
  );

describe('UsbEnforcer in enforce mode', () => {
  it('closes buses created later and the root hubs first, then blocks, rejects and leaves allowed devices as they are', async () => {
    const { bus, enforcer, audit } = setup({ devices: present() });
    const report = await enforcer.start();
    expect(report.rootHubs).toEqual(['usb1']);
    expect(bus.writes.slice(0, 3)).toEqual([
      { path: 'module/usbcore/parameters/authorized_default', value: '0' },
      { path: 'bus/usb/devices/usb1/authorized_default', value: '0' },
      { path: 'bus/usb/devices/usb1/interface_authorized_default', value: '0' },
    ]);
    const deviceWrites = bus.writes.slice(3).map((write) => `${write.path}=${write.value}`);
    expect(deviceWrites.sort()).toEqual(
      ['bus/usb/devices/1-3/authorized=0', 'bus/usb/devices/1-6/remove=1', 'bus/usb/devices/1-7/authorized=0', 'bus/usb/devices/1-9/authorized=0'].sort(),
    );
    const byPort = Object.fromEntries(enforcer.snapshot().map((state) => [state.decision.port, state.decision.target]));
    expect(byPort).toEqual({ usb1: 'allow', '1-3': 'block', '1-4': 'allow', '1-5': 'allow', '1-6': 'reject', '1-7': 'block', '1-9': 'block' });
    const types = audit.events.map((event) => event.type);
    expect(types[0]).toBe('usb.authorized-default-set');
    expect(types.filter((type) => type === 'usb.blocked')).toHaveLength(3);
    expect(types.filter((type) => type === 'usb.rejected')).toHaveLength(1);
    const rejected = audit.events.find((event) => event.type === 'usb.rejected');
    expect(rejected?.data).toMatchObject({ port: '1-6', id: '1234:abcd', target: 'reject', basis: { kind: 'rule', index: 0 }, writes: ['1-6/remove=1'], old: { authorized: true }, new: { authorized: 'removed' }, trigger: 'present', mode: 'enforce' });
    expect(audit.events.find((event) => event.type === 'usb.blocked' && event.data.port === '1-3')?.data).toMatchObject({ old: { authorized: true }, new: { authorized: false } });
  });

  it('a root hub that appears later (a dock, a host driver loaded) is closed at once, and audited', async () => {
    const source = manualSource();
    const { bus, enforcer, audit } = setup({ devices: [{ ok: true, device: testDevices.rootHub() }], sources: [source] });
    await enforcer.start();
    expect(audit.events.find((event) => event.type === 'usb.authorized-default-set')?.data).toMatchObject({ rootHubs: ['usb1'], newBuses: 0 });
    const writesBefore = bus.writes.length;
    const dock = makeUsbDevice({ port: 'usb3', id: '1d6b:0002', interfaces: ['09:00:00'], isRootHub: true });
    bus.plug({ ok: true, device: dock });
    source.fire({ action: 'add', port: 'usb3' });
    source.fire({ action: 'add', port: 'usb3' });
    await enforcer.stop();
    expect(bus.writes.slice(writesBefore)).toEqual([
      { path: 'bus/usb/devices/usb3/authorized_default', value: '0' },
      { path: 'bus/usb/devices/usb3/interface_authorized_default', value: '0' },
    ]);
    expect(audit.events.at(-1)).toMatchObject({ type: 'usb.allowed', data: { port: 'usb3', basis: { kind: 'root-hub' }, trigger: 'hotplug', writes: ['usb3/authorized_default=0', 'usb3/interface_authorized_default=0'] } });
  });

  it('without usbcore\'s parameter the root hubs are still closed, and the gap is in the record', async () => {
    const { bus, enforcer, audit } = setup({ devices: present(), capabilities: { newBusAuthorizedDefault: false } });
    await enforcer.start();
    expect(bus.writes[0]).toEqual({ path: 'bus/usb/devices/usb1/authorized_default', value: '0' });
    expect(audit.events.find((event) => event.type === 'usb.authorized-default-set')?.data).toMatchObject({ newBuses: null });
  });

  it('authorizes a device the policy allows that starts deauthorized, then its interfaces, then probes drivers', async () => {
    const keyboard = makeUsbDevice({ port: '1-4', id: '046d:c31c', interfaces: ['03:01:01'], authorized: false, interfacesAuthorized: false });
    const { bus, enforcer } = setup({ devices: [{ ok: true, device: keyboard }] });
    await enforcer.start();
    expect(bus.writes.map((write) => `${write.path}=${write.value}`)).toEqual([
      'module/usbcore/parameters/authorized_default=0',
      'bus/usb/devices/1-4/authorized=1',
      'bus/usb/devices/1-4:1.0/authorized=1',
      'bus/usb/drivers_probe=1-4:1.0',
    ]);
  });

  it('decides hotplugged devices, once even when two sources report the same plug', async () => {
    const udev = manualSource();
    const libusb = manualSource();
    const { bus, enforcer, audit, clock, published } = setup({ devices: [{ ok: true, device: testDevices.rootHub() }], sources: [udev, libusb] });
    await enforcer.start();
    const pluggedAt = clock.nowMs();
    bus.plug({ ok: true, device: testDevices.stick() });
    clock.advanceMs(3);
    udev.fire({ action: 'add', port: '1-3' }, pluggedAt);
    libusb.fire({ action: 'add', port: '1-3' }, pluggedAt);
    await enforcer.stop();
    expect(bus.writes.filter((write) => write.path === 'bus/usb/devices/1-3/authorized')).toEqual([{ path: 'bus/usb/devices/1-3/authorized', value: '0' }]);
    expect(audit.events.filter((event) => event.type === 'usb.blocked')).toHaveLength(1);
    const forStick = published.filter((event) => event.decision.port === '1-3');
    expect(forStick).toHaveLength(1);
    expect(forStick[0]).toMatchObject({ trigger: 'hotplug', latencyMs: 3, writes: ['1-3/authorized=0'] });
  });

  it('audits an unplug of a known device', async () => {
    const source = manualSource();
    const { bus, enforcer, audit } = setup({ devices: present(), sources: [source] });
    await enforcer.start();
    bus.unplug('1-4');
    source.fire({ action: 'remove', port: '1-4' });
    await enforcer.stop();
    expect(audit.events.at(-1)).toMatchObject({ type: 'usb.detached', data: { port: '1-4', id: '046d:c31c' } });
    expect(enforcer.snapshot().map((state) => state.decision.port)).not.toContain('1-4');
  });

  it('corrects drift on rescan: a blocked device authorized behind its back is blocked again, with an alert', async () => {
    const { bus, enforcer, audit } = setup({ devices: present() });
    await enforcer.start();
    bus.plug({ ok: true, device: testDevices.stick() }); // someone wrote 1 to authorized
    await enforcer.rescan();
    const drift = audit.events.filter((event) => event.type === 'usb.drift-corrected');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ severity: 'alert', data: { port: '1-3', writes: ['1-3/authorized=0'] } });
    // A second rescan with nothing changed writes and audits nothing.
    const before = [bus.writes.length, audit.events.length];
    await enforcer.rescan();
    expect([bus.writes.length, audit.events.length]).toEqual(before);
  });

  it('fails closed when a write fails: falls back to deauthorizing, and raises an alert', async () => {
    const { bus, enforcer, audit } = setup({
      devices: [{ ok: true, device: testDevices.rootHub() }, { ok: true, device: testDevices.badUsb() }],
      failWrite: (write) => (write.path.endsWith('/remove') ? 'EIO' : undefined),
    });
    await enforcer.start();
    expect(bus.writes.at(-1)).toEqual({ path: 'bus/usb/devices/1-6/authorized', value: '0' });
    const failed = audit.events.find((event) => event.type === 'usb.apply-failed');
    expect(failed).toMatchObject({ severity: 'alert', data: { port: '1-6', target: 'reject', writes: ['1-6/authorized=0 (fallback)'] } });
    expect(String(failed?.data.error)).toContain('EIO');
  });

  it('rejects a device that cannot be read', async () => {
    const { bus, enforcer, audit } = setup({
      devices: [{ ok: true, device: testDevices.rootHub() }, { ok: false, failure: { port: '1-3', code: 'descriptors-truncated', detail: 'ends after 7 bytes' } }],
    });
    await enforcer.start();
    expect(bus.writes.at(-1)).toEqual({ path: 'bus/usb/devices/1-3/remove', value: '1' });
    expect(audit.events.at(-1)).toMatchObject({ type: 'usb.rejected', data: { basis: { kind: 'read-failure', code: 'descriptors-truncated' } } });
  });

  it('keeps going when a hotplug source cannot start, and says so', async () => {
    const broken: UsbHotplugSource = {
      start: async () => {
        throw new Error('udevadm: not found');
      },
      stop: async () => undefined,
    };
    const { enforcer, audit } = setup({ devices: present(), sources: [broken] });
    await enforcer.start();
    expect(audit.events.find((event) => event.type === 'usb.hotplug-source-failed')).toMatchObject({ severity: 'alert' });
    expect(enforcer.snapshot()).toHaveLength(7);
  });

  it('does nothing but say so when the machine has no USB bus', async () => {
    const { bus, enforcer, audit } = setup({ devices: [], capabilities: { present: false } });
    const report = await enforcer.start();
    expect(report.capabilities.present).toBe(false);
    expect(bus.writes).toEqual([]);
    expect(audit.events.map((event) => event.type)).toEqual(['usb.bus-absent']);
  });
});

describe('UsbEnforcer in monitor mode', () => {
  it('decides and audits every device, and writes nothing', async () => {
    const source = manualSource();
    const { bus, enforcer, audit } = setup({ devices: present(), mode: 'monitor', sources: [source] });
    await enforcer.start();
    bus.plug({ ok: true, device: testDevices.phonePtp() });
    source.fire({ action: 'add', port: '1-8' });
    await enforcer.stop();
    expect(bus.writes).toEqual([]);
    const decisions = audit.events.filter((event) => event.type.startsWith('usb.') && event.type !== 'usb.detached');
    expect(decisions.map((event) => [event.data.port, event.type])).toEqual(
      expect.arrayContaining([
        ['1-3', 'usb.blocked'],
        ['1-6', 'usb.rejected'],
        ['1-8', 'usb.blocked'],
      ]),
    );
    for (const event of decisions) expect(event.data).toMatchObject({ mode: 'monitor', writes: [] });
  });
});
