// A tiny program that reads a sysfs tree with SysfsUsbBus and prints what it saw as one JSON line:
// bundled by test/e2e/usb-umockdev.test.ts and run inside `umockdev-run` with LD_PRELOAD unset, so
// the adapter reads the live testbed directory ($UMOCKDEV_DIR/sys) with plain fs calls.
//   node usb-bus-probe.mjs <sysfsRoot> [<port to deauthorize>]
import { SysfsUsbBus } from '../../src/agent/platform/linux';
import { parseUsbDeviceFacts } from '../../src/agent/usb';

const [sysfsRoot, blockPort] = process.argv.slice(2);
if (sysfsRoot === undefined) throw new Error('usage: usb-bus-probe <sysfsRoot> [<port>]');
const bus = new SysfsUsbBus({ sysfsRoot, parseFacts: parseUsbDeviceFacts });
const capabilities = await bus.capabilities();
const devices = await bus.listDevices();
let blocked: unknown;
if (blockPort !== undefined) {
  await bus.setDeviceAuthorized(blockPort, false);
  blocked = await bus.readDevice(blockPort);
}
process.stdout.write(`${JSON.stringify({ capabilities, devices, blocked })}\n`);
