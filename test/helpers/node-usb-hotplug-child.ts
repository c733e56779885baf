// Runs the node-usb hotplug source in a process of its own. usb@2 (libusb) lives inside the Node
// process, and only a process started with the umockdev preload sees a testbed, so the test spawns
// this file (bundled by esbuild, see buildNodeUsbHotplugChild) with the testbed's env.
//
// stdout, one JSON object per line: {"type":"ready"} once start() resolved, then
// {"type":"event","event":UsbHotplugEvent} and {"type":"error","message":…}, finally
// {"type":"stopped"}. Closing stdin stops the source; the process then exits by itself, which also
// proves that stop() releases usb@2's hold on the event loop.
import { createNodeUsbHotplug } from '../../src/agent/platform/node/node-usb-hotplug';

// Sub-millisecond wall clock, so latencies measured against the driver's time.time_ns are not
// rounded to whole milliseconds (Date.now()).
const clock = { nowMs: () => performance.timeOrigin + performance.now() };

function write(payload: unknown): void {
  process.stdout.write(`${JSON.stringify(payload)}\n`);
}

const source = createNodeUsbHotplug({ clock });
try {
  await source.start(
    (event) => write({ type: 'event', event }),
    (error) => write({ type: 'error', message: error.message }),
  );
} catch (error) {
  write({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
if (process.exitCode !== 1) {
  write({ type: 'ready' });
  process.stdin.resume();
  process.stdin.once('end', () => {
    void source.stop().then(() => {
      write({ type: 'stopped' });
      process.stdin.pause();
    });
  });
}
