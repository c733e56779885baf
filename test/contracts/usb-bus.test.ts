// Contract of the UsbBus port (src/agent/usb/ports.ts), run against SysfsUsbBus on a fixture tree
// and against the in-memory fake holding the same devices, so the fake that the enforcer's tests use
// cannot drift from the adapter. Both start from one description (test/helpers/sysfs-tree.ts): the
// tree is written to a temp dir for the adapter, and turned into the same raw facts for the fake.
import { afterAll, describe, expect, it } from 'vitest';
import { SysfsUsbBus } from '../../src/agent/platform/linux';
import { createFakeUsbBus, parseUsbDeviceFacts, type UsbBus, type UsbDeviceRead } from '../../src/agent/usb';
import { ErrorCode, isMngError } from '../../src/shared/errors';
import {
  compositeSpec,
  keyboardSpec,
  makeSysfsRoot,
  readSysfsText,
  rootHubSpec,
  specFacts,
  stickSpec,
  writeSysfsTree,
  type SysfsDeviceSpec,
} from '../helpers/sysfs-tree';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

const hub: SysfsDeviceSpec = { port: '1-1', vendorId: '1234', productId: '4b0b', name: 'Demo Hub', serial: 'HUB1', deviceClass: '09', interfaces: ['09:00:00'] };
const devices: readonly SysfsDeviceSpec[] = [
  stickSpec('1-3'),
  rootHubSpec(1),
  keyboardSpec('1-1.2'),
  hub,
  compositeSpec('1-4'),
  stickSpec('1-5', { attributes: { idVendor: null } }),
  rootHubSpec(2, { productId: '0003', bcdUsb: 0x0300, descriptors: undefined }),
];

interface Subject {
  readonly bus: UsbBus;
  /** The last value written to a file below the sysfs root, or undefined if none was. */
  lastWrite(relativePath: string): string | undefined;
}

const subjects: [string, (specs: readonly SysfsDeviceSpec[]) => Subject][] = [
  [
    'SysfsUsbBus on a fixture tree',
    (specs) => {
      const { root, cleanup } = makeSysfsRoot('mng-usb-contract-');
      cleanups.push(cleanup);
      writeSysfsTree(root, specs);
      const initial = new Map<string, string>();
      const lastWrite = (relativePath: string): string | undefined => {
        const text = readSysfsText(root, relativePath);
        if (!initial.has(relativePath)) return text;
        return text === initial.get(relativePath) ? undefined : text;
      };
      // Remember what the tree held before, so "nothing written" is visible as an unchanged file.
      for (const file of ['bus/usb/drivers_probe', 'module/usbcore/parameters/authorized_default']) initial.set(file, readSysfsText(root, file));
      return { bus: new SysfsUsbBus({ sysfsRoot: root, parseFacts: parseUsbDeviceFacts }), lastWrite };
    },
  ],
  [
    'in-memory fake',
    (specs) => {
      const bus = createFakeUsbBus({ devices: parseUsbDeviceFacts(specFacts(specs)) });
      return { bus, lastWrite: (relativePath) => bus.writes.findLast((write) => write.path === relativePath)?.value };
    },
  ],
];

const portOf = (read: UsbDeviceRead): string => (read.ok ? read.device.port : read.failure.port);

async function expectMngError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isMngError(error) && error.code).toBe(code);
}

describe.each(subjects)('UsbBus contract: %s', (_name, create) => {
  it('reports every capability of a kernel with per-interface authorization', async () => {
    const { bus } = create(devices);
    expect(await bus.capabilities()).toEqual({ present: true, deviceAuthorization: true, interfaceAuthorization: true, authorizedDefault: true, newBusAuthorizedDefault: true });
  });

  it('writes the default of buses created later (usbcore authorized_default)', async () => {
    const { bus, lastWrite } = create(devices);
    await bus.setNewBusAuthorizedDefault(0);
    expect(lastWrite('module/usbcore/parameters/authorized_default')).toBe('0');
  });

  it('lists devices, root hubs first and parents before children', async () => {
    const { bus } = create(devices);
    const reads = await bus.listDevices();
    expect(reads.map(portOf)).toEqual(['usb1', 'usb2', '1-1', '1-3', '1-4', '1-5', '1-1.2']);
    expect(reads.map((read) => read.ok)).toEqual([true, true, true, true, true, false, true]);
  });

  it('lists the same model for each device as it reads alone', async () => {
    const { bus } = create(devices);
    for (const read of await bus.listDevices()) {
      expect(await bus.readDevice(portOf(read))).toEqual(read);
    }
  });

  it('reads a device with its identity, interfaces and parent hash', async () => {
    const { bus } = create(devices);
    const keyboard = await bus.readDevice('1-1.2');
    const parent = await bus.readDevice('1-1');
    expect(keyboard?.ok && parent?.ok).toBe(true);
    if (keyboard?.ok && parent?.ok) {
      expect(keyboard.device).toMatchObject({ vendorId: '1234', productId: 'abcd', name: 'Demo Keyboard', serial: '', weakIdentity: ['serial-empty'] });
      expect(keyboard.device.interfaces.map((entry) => entry.name)).toEqual(['1-1.2:1.0']);
      expect(keyboard.device.parentHash).toBe(parent.device.hash);
    }
  });

  it('reports a device it cannot identify as a failure, not as a device', async () => {
    const { bus } = create(devices);
    expect(await bus.readDevice('1-5')).toEqual({ ok: false, failure: { port: '1-5', code: 'attribute-missing', detail: 'idVendor is missing' } });
  });

  it('answers undefined for a device that is not there or a name that is no device', async () => {
    const { bus } = create(devices);
    expect(await bus.readDevice('1-9')).toBeUndefined();
    expect(await bus.readDevice('1-3:1.0')).toBeUndefined();
    expect(await bus.readDevice('../../etc')).toBeUndefined();
  });

  it('writes device authorization, and the next read shows it', async () => {
    const { bus, lastWrite } = create(devices);
    await bus.setDeviceAuthorized('1-3', false);
    expect(lastWrite('bus/usb/devices/1-3/authorized')).toBe('0');
    const read = await bus.readDevice('1-3');
    expect(read?.ok && read.device.authorized).toBe(false);
    await bus.setDeviceAuthorized('1-3', true);
    expect(lastWrite('bus/usb/devices/1-3/authorized')).toBe('1');
  });

  it('writes interface authorization, and the next read shows it', async () => {
    const { bus, lastWrite } = create(devices);
    await bus.setInterfaceAuthorized('1-4:1.0', false);
    expect(lastWrite('bus/usb/devices/1-4:1.0/authorized')).toBe('0');
    const read = await bus.readDevice('1-4');
    expect(read?.ok && read.device.interfaces.map((entry) => entry.authorized)).toEqual([false, true]);
  });

  it('writes the root hub defaults', async () => {
    const { bus, lastWrite } = create(devices);
    await bus.setAuthorizedDefault('usb1', 0);
    expect(lastWrite('bus/usb/devices/usb1/authorized_default')).toBe('0');
    await bus.setAuthorizedDefault('usb2', 2);
    expect(lastWrite('bus/usb/devices/usb2/authorized_default')).toBe('2');
    await bus.setInterfaceAuthorizedDefault('usb1', false);
    expect(lastWrite('bus/usb/devices/usb1/interface_authorized_default')).toBe('0');
  });

  it('probes an interface through drivers_probe and removes a device through remove', async () => {
    const { bus, lastWrite } = create(devices);
    expect(lastWrite('bus/usb/drivers_probe')).toBeUndefined();
    await bus.probeInterface('1-4:1.1');
    expect(lastWrite('bus/usb/drivers_probe')).toBe('1-4:1.1');
    await bus.removeDevice('1-3');
    expect(lastWrite('bus/usb/devices/1-3/remove')).toBe('1');
  });

  it('fails a write to a device or interface that is not there with AGENT_E_USB_APPLY_FAILED', async () => {
    const { bus } = create(devices);
    await expectMngError(bus.setDeviceAuthorized('1-9', true), ErrorCode.UsbApplyFailed);
    await expectMngError(bus.removeDevice('1-9'), ErrorCode.UsbApplyFailed);
    await expectMngError(bus.setInterfaceAuthorized('1-3:2.0', true), ErrorCode.UsbApplyFailed);
    await expectMngError(bus.setAuthorizedDefault('usb7', 0), ErrorCode.UsbApplyFailed);
  });

  it('refuses names that are not sysfs USB names before touching a file', async () => {
    const { bus } = create(devices);
    await expectMngError(bus.setDeviceAuthorized('../../../etc', true), ErrorCode.InvalidArgument);
    await expectMngError(bus.setDeviceAuthorized('1-3:1.0', true), ErrorCode.InvalidArgument);
    await expectMngError(bus.setInterfaceAuthorized('1-3', true), ErrorCode.InvalidArgument);
    await expectMngError(bus.probeInterface('1-3:1.0/../../x'), ErrorCode.InvalidArgument);
    await expectMngError(bus.setAuthorizedDefault('1-3', 0), ErrorCode.InvalidArgument);
    await expectMngError(bus.setInterfaceAuthorizedDefault('usb1/..', true), ErrorCode.InvalidArgument);
    await expectMngError(bus.removeDevice(''), ErrorCode.InvalidArgument);
  });
});
