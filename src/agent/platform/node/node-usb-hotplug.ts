// USB hotplug events from node-usb (usb@2, libusb). usb@3 has no `attach` event and crashes on a
// kernel without /sys/bus/usb (dev-environment.md §2.1), so this adapter is written for usb@2's
// API. The module is loaded on start(), not at import: it is native code, and an agent on a host
// where it cannot load still runs with the udevadm source and the periodic rescan.
import type { Clock } from '../../../shared/clock';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { UsbHotplugEvent, UsbHotplugSource } from '../../usb/ports';

/** What this adapter reads from a libusb device (usb@2 `Device`). */
export interface LibusbDeviceLike {
  readonly busNumber: number;
  readonly deviceAddress: number;
  /** Port path from the root hub; usb@2 gives `undefined` (not `[]`) for a root hub. */
  readonly portNumbers?: readonly number[] | undefined;
}

/** The part of usb@2's `usb` object this adapter uses. */
export interface UsbHotplugEmitter {
  on(event: 'attach' | 'detach', listener: (device: LibusbDeviceLike) => void): void;
  off(event: 'attach' | 'detach', listener: (device: LibusbDeviceLike) => void): void;
}

export interface NodeUsbHotplugOptions {
  readonly clock: Clock;
  /** Loads the emitter; tests pass a fake. Default: `(await import('usb')).usb`. */
  readonly loadUsb?: () => Promise<UsbHotplugEmitter>;
}

// USB 2.0 §11.2: hub ports are numbered from 1; hubs nest at most 5 deep below the root (7 tiers),
// 255 ports is the hub descriptor's limit, and Linux numbers buses from 1.
const maxPortDepth = 7;

/**
 * The sysfs name of a libusb device: `usbN` for a root hub (no port path), else
 * `<bus>-<port>[.<port>…]` (`1-3`, `1-3.2`), as in /sys/bus/usb/devices. Undefined when the
 * numbers cannot be a USB port path. Pure.
 */
export function formatUsbPortName(busNumber: number, portNumbers: readonly number[] | undefined): string | undefined {
  if (!Number.isInteger(busNumber) || busNumber < 1 || busNumber > 999) return undefined;
  if (portNumbers === undefined || portNumbers.length === 0) return `usb${busNumber}`;
  if (portNumbers.length > maxPortDepth) return undefined;
  if (!portNumbers.every((port) => Number.isInteger(port) && port >= 1 && port <= 255)) return undefined;
  return `${busNumber}-${portNumbers.join('.')}`;
}

async function loadNodeUsb(): Promise<UsbHotplugEmitter> {
  const module = await import('usb');
  return module.usb;
}

function hotplugError(ja: string, en: string, cause?: unknown): MngError {
  return new MngError(ErrorCode.UsbHotplugFailed, msg(ja, en), {
    hint: msg(
      'npm ci で usb@2 を入れ直してください。それまでの間も udevadm の監視と定期再走査で USB 機器は判定されます。',
      'reinstall usb@2 with npm ci; until then the udevadm source and the periodic rescan still judge USB devices.',
    ),
    cause,
  });
}

/**
 * UsbHotplugSource backed by usb@2's `attach`/`detach` (libusb hotplug over udev). Emits `add`
 * and `remove` with the device's sysfs port name; libusb has no `change`. On a host without a
 * USB subsystem it starts and stays silent (measured). start() rejects with
 * AGENT_E_USB_HOTPLUG_FAILED when the native module cannot load or libusb refuses hotplug.
 */
export function createNodeUsbHotplug(options: NodeUsbHotplugOptions): UsbHotplugSource {
  const { clock } = options;
  const loadUsb = options.loadUsb ?? loadNodeUsb;
  let subscription: { emitter: UsbHotplugEmitter; onAttach: (device: LibusbDeviceLike) => void; onDetach: (device: LibusbDeviceLike) => void } | undefined;

  return {
    async start(onEvent, onError) {
      if (subscription !== undefined) {
        throw new MngError(ErrorCode.Internal, msg('node-usb の監視はすでに開始しています', 'the node-usb hotplug source is already started'));
      }
      let emitter: UsbHotplugEmitter;
      try {
        emitter = await loadUsb();
      } catch (error) {
        throw hotplugError(`node-usb（usb@2）を読み込めません: ${String(error)}`, `cannot load node-usb (usb@2): ${String(error)}`, error);
      }
      const forward = (action: UsbHotplugEvent['action'], device: LibusbDeviceLike): void => {
        const atMs = clock.nowMs();
        try {
          const port = formatUsbPortName(device.busNumber, device.portNumbers);
          if (port === undefined) {
            onError(
              hotplugError(
                `node-usb: USB ポート名にできない機器です（バス ${String(device.busNumber)}、ポート ${JSON.stringify(device.portNumbers)}）`,
                `node-usb: no USB port name for bus ${String(device.busNumber)}, ports ${JSON.stringify(device.portNumbers)}`,
              ),
            );
            return;
          }
          onEvent({ action, port, source: 'node-usb', atMs });
        } catch (error) {
          // Thrown inside usb@2's emit it would become an uncaught exception; report it instead.
          onError(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const onAttach = (device: LibusbDeviceLike): void => forward('add', device);
      const onDetach = (device: LibusbDeviceLike): void => forward('remove', device);
      try {
        // The first listener makes usb@2 enable libusb hotplug (or its polling fallback).
        emitter.on('attach', onAttach);
        emitter.on('detach', onDetach);
      } catch (error) {
        emitter.off('attach', onAttach);
        emitter.off('detach', onDetach);
        throw hotplugError(`node-usb の機器監視を開始できません: ${String(error)}`, `node-usb cannot start hotplug events: ${String(error)}`, error);
      }
      subscription = { emitter, onAttach, onDetach };
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      if (current === undefined) return;
      // The last listener gone, usb@2 disables hotplug and no longer holds the event loop open.
      current.emitter.off('attach', current.onAttach);
      current.emitter.off('detach', current.onDetach);
    },
  };
}
