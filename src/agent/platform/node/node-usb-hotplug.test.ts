import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../shared/clock';
import { ErrorCode, MngError } from '../../../shared/errors';
import type { UsbHotplugEvent } from '../../usb/ports';
import { createNodeUsbHotplug, formatUsbPortName, type LibusbDeviceLike, type UsbHotplugEmitter } from './node-usb-hotplug';

describe('formatUsbPortName', () => {
  it.each([
    [1, undefined, 'usb1'],
    [2, [], 'usb2'],
    [1, [3], '1-3'],
    [1, [3, 2], '1-3.2'],
    [3, [1, 4, 1, 2], '3-1.4.1.2'],
    [12, [255, 1, 1, 1, 1, 1, 7], '12-255.1.1.1.1.1.7'],
  ])('bus %d, ports %j → %s', (bus, ports, name) => {
    expect(formatUsbPortName(bus, ports)).toBe(name);
  });

  it.each([
    [0, [1], 'bus 0'],
    [1000, [1], 'bus above 999'],
    [1.5, [1], 'fractional bus'],
    [Number.NaN, [1], 'NaN bus'],
    [1, [0], 'port 0'],
    [1, [256], 'port above 255'],
    [1, [1, -1], 'negative port'],
    [1, [1, 1, 1, 1, 1, 1, 1, 1], 'deeper than 7 tiers'],
  ])('no name for bus %d, ports %j (%s)', (bus, ports) => {
    expect(formatUsbPortName(bus, ports)).toBeUndefined();
  });

  it('gives names that read back to the same bus and ports (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 7 }), (bus, ports) => {
        const name = formatUsbPortName(bus, ports);
        const match = /^([0-9]+)-([0-9.]+)$/.exec(name ?? '');
        expect(match).not.toBeNull();
        expect(Number(match?.[1])).toBe(bus);
        expect(match?.[2]?.split('.').map(Number)).toEqual(ports);
      }),
    );
  });
});

class FakeUsb extends EventEmitter implements UsbHotplugEmitter {
  attach(device: LibusbDeviceLike): void {
    this.emit('attach', device);
  }
  detach(device: LibusbDeviceLike): void {
    this.emit('detach', device);
  }
}

describe('createNodeUsbHotplug (fake usb@2)', () => {
  function setUp() {
    const usb = new FakeUsb();
    const clock = createFixedClock(5_000);
    const events: UsbHotplugEvent[] = [];
    const errors: Error[] = [];
    const source = createNodeUsbHotplug({ clock, loadUsb: () => Promise.resolve(usb) });
    const start = () =>
      source.start(
        (event) => events.push(event),
        (error) => errors.push(error),
      );
    return { usb, clock, events, errors, source, start };
  }

  it('maps attach/detach to add/remove with the sysfs port name and the clock time', async () => {
    const { usb, clock, events, errors, start, source } = setUp();
    await start();
    usb.attach({ busNumber: 1, deviceAddress: 9, portNumbers: [6, 2] });
    clock.advanceMs(7);
    usb.detach({ busNumber: 1, deviceAddress: 9, portNumbers: [6, 2] });
    usb.attach({ busNumber: 2, deviceAddress: 1, portNumbers: undefined });
    expect(events).toEqual([
      { action: 'add', port: '1-6.2', source: 'node-usb', atMs: 5_000 },
      { action: 'remove', port: '1-6.2', source: 'node-usb', atMs: 5_007 },
      { action: 'add', port: 'usb2', source: 'node-usb', atMs: 5_007 },
    ]);
    expect(errors).toEqual([]);
    await source.stop();
  });

  it('reports a device without a usable port path instead of guessing', async () => {
    const { usb, events, errors, start, source } = setUp();
    await start();
    usb.attach({ busNumber: 0, deviceAddress: 1, portNumbers: [1] });
    expect(events).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(MngError);
    expect((errors[0] as MngError).code).toBe(ErrorCode.UsbHotplugFailed);
    await source.stop();
  });

  it('reports a consumer that throws instead of letting it escape into usb@2', async () => {
    const usb = new FakeUsb();
    const errors: Error[] = [];
    const source = createNodeUsbHotplug({ clock: createFixedClock(0), loadUsb: () => Promise.resolve(usb) });
    await source.start(
      () => {
        throw new Error('consumer bug');
      },
      (error) => errors.push(error),
    );
    expect(() => usb.attach({ busNumber: 1, deviceAddress: 2, portNumbers: [1] })).not.toThrow();
    expect(errors.map((error) => error.message)).toEqual(['consumer bug']);
    await source.stop();
  });

  it('stop() removes both listeners (so usb@2 releases libusb hotplug) and is idempotent', async () => {
    const { usb, events, start, source } = setUp();
    await start();
    expect(usb.listenerCount('attach') + usb.listenerCount('detach')).toBe(2);
    await source.stop();
    await source.stop();
    expect(usb.listenerCount('attach') + usb.listenerCount('detach')).toBe(0);
    usb.attach({ busNumber: 1, deviceAddress: 2, portNumbers: [1] });
    expect(events).toEqual([]);
  });

  it('rejects start() with AGENT_E_USB_HOTPLUG_FAILED when the module cannot load', async () => {
    const source = createNodeUsbHotplug({ clock: createFixedClock(0), loadUsb: () => Promise.reject(new Error('No native build was found')) });
    const error = await source.start(() => undefined, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MngError);
    expect((error as MngError).code).toBe(ErrorCode.UsbHotplugFailed);
    expect((error as MngError).text.en).toContain('No native build was found');
    expect((error as MngError).text.ja).toContain('usb@2');
  });

  it('rejects start() when subscribing throws, leaving no listener behind', async () => {
    const usb = new FakeUsb();
    usb.on('newListener', (event: string) => {
      if (event === 'detach') throw new Error('LIBUSB_ERROR_NOT_SUPPORTED');
    });
    const source = createNodeUsbHotplug({ clock: createFixedClock(0), loadUsb: () => Promise.resolve(usb) });
    const error = await source.start(() => undefined, () => undefined).catch((e: unknown) => e);
    expect((error as MngError).code).toBe(ErrorCode.UsbHotplugFailed);
    expect(usb.listenerCount('attach') + usb.listenerCount('detach')).toBe(0);
  });

  it('refuses a second start()', async () => {
    const { start, source } = setUp();
    await start();
    await expect(start()).rejects.toBeInstanceOf(MngError);
    await source.stop();
  });
});

describe('createNodeUsbHotplug (real usb@2 on this host)', () => {
  // dev-environment.md §2.1: the development machines have no /sys/bus/usb. usb@2 must load,
  // subscribe and unsubscribe there without crashing (usb@3 crashes the process here).
  it('starts and stops without a crash, and stop() lets the event loop go', async () => {
    const source = createNodeUsbHotplug({ clock: createFixedClock(0) });
    const errors: Error[] = [];
    await source.start(() => undefined, (error) => errors.push(error));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await source.stop();
    expect(errors).toEqual([]);
    const { usb } = await import('usb');
    expect(usb.listenerCount('attach') + usb.listenerCount('detach')).toBe(0);
  });
});
