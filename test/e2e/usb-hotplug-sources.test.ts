// Both hotplug sources against a umockdev testbed: for each recording, plug it into a testbed
// that has only the root hub, send `change`, unplug it, and check that every source reports
// exactly that, with the right port name. udevadm runs as the agent runs it (a child with the
// testbed's env); node-usb runs in a child Node process started with the preload, because
// libusb lives inside the process that loads usb@2.
//
// The latency from the driver's plug moment to each source's event is logged, not asserted
// (STYLE.md §8: benchmarks report figures, tests assert behaviour).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUdevadmUsbHotplug } from '../../src/agent/platform/linux/udevadm-usb-hotplug';
import type { UsbHotplugEvent, UsbHotplugSource } from '../../src/agent/usb/ports';
import { repoRoot } from '../helpers/mng';
import { needTools } from '../helpers/system-tools';
import { startUmockdevTestbed, type UmockdevTestbed } from '../helpers/umockdev';

const haveTools = needTools('umockdev-run', 'umockdev-wrapper', 'udevadm');

// Sub-millisecond wall clock: latencies are compared with the driver's time.time_ns.
const preciseClock = { nowMs: () => performance.timeOrigin + performance.now() };
const waitTimeoutMs = 5_000;

/** Each recording with the port it must be reported on (see test/fixtures/umockdev/README.md). */
const cases: readonly { recording: string; port: string; present?: readonly string[] }[] = [
  { recording: 'usb-stick-generic.umockdev', port: '1-9' },
  { recording: 'hid-keyboard-no-serial.umockdev', port: '1-10' },
  { recording: 'ccid-card-reader.umockdev', port: '1-4' },
  { recording: 'badusb-stick-keyboard.umockdev', port: '1-5' },
  { recording: 'android-phone-mtp.umockdev', port: '1-7' },
  { recording: 'android-phone-ptp.umockdev', port: '1-6.2', present: ['usb-hub.umockdev'] },
  { recording: 'usb-ethernet-cdc-ecm.umockdev', port: '1-8' },
  { recording: 'usb-hub.umockdev', port: '1-6' },
];

/** Events and errors of one source, with bounded waits. */
class Collector {
  readonly events: UsbHotplugEvent[] = [];
  readonly errors: string[] = [];
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(readonly name: string) {}

  push(event: UsbHotplugEvent): void {
    this.events.push(event);
    this.wake();
  }

  fail(message: string): void {
    this.errors.push(message);
    this.wake();
  }

  async waitFor(what: string, test: (events: readonly UsbHotplugEvent[]) => boolean): Promise<UsbHotplugEvent[]> {
    if (!test(this.events)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${this.name}: no ${what} within ${waitTimeoutMs} ms; got ${JSON.stringify(this.events)}; errors ${JSON.stringify(this.errors)}`));
        }, waitTimeoutMs);
        this.waiters.push({
          test: () => test(this.events),
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.events;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.test()) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
}

const has = (action: string, port: string) => (events: readonly UsbHotplugEvent[]) => events.some((event) => event.action === action && event.port === port);

/** The node-usb source in a child Node process that sees the testbed through the preload. */
async function startNodeUsbChild(bundle: string, bed: UmockdevTestbed, collector: Collector): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bundle], { env: { ...process.env, ...bed.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let ready: () => void = () => undefined;
  let stopped = false;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { type: string; event?: UsbHotplugEvent; message?: string };
    if (message.type === 'ready') ready();
    else if (message.type === 'event' && message.event !== undefined) collector.push(message.event);
    else if (message.type === 'error') collector.fail(message.message ?? line);
    else if (message.type === 'stopped') stopped = true;
  });
  const stop = async (): Promise<void> => {
    child.stdin.end();
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000))]);
    if (code === 'timeout') {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`node-usb child did not exit after stdin closed (usb@2 still holding the event loop?); stderr: ${stderr}`);
    }
    expect({ code, stopped }).toEqual({ code: 0, stopped: true });
  };
  const outcome = await Promise.race([
    readyPromise.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), waitTimeoutMs)),
  ]);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`node-usb child did not start (${outcome}); errors ${JSON.stringify(collector.errors)}; stderr: ${stderr}`);
  }
  return { stop };
}

// addMs counts from just before umockdev creates the device's files (the plug moment), so it
// includes umockdev's own work (umockdevAddMs); removeMs and changeMs count from the uevent alone.
const latencies: { recording: string; source: string; addMs: number; umockdevAddMs: number; changeMs: number | undefined; removeMs: number }[] = [];

describe.skipIf(!haveTools)('USB hotplug sources under umockdev', () => {
  const bundleDir = path.join(repoRoot, 'dist', 'test');
  const bundle = path.join(bundleDir, `node-usb-hotplug-child.${process.pid}.mjs`);
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    mkdirSync(bundleDir, { recursive: true });
    // Dependencies stay external so usb@2 loads from node_modules with its native binding.
    await build({
      absWorkingDir: repoRoot,
      entryPoints: [path.join(repoRoot, 'test/helpers/node-usb-hotplug-child.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      packages: 'external',
      logLevel: 'error',
    });
  });

  afterEach(async () => {
    // Reverse order: sources before the testbed they listen to.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(() => {
    rmSync(bundle, { force: true });
    const ms = (value: number | undefined) => (value === undefined ? '      -' : value.toFixed(2).padStart(7));
    const lines = latencies.map(
      (row) =>
        `  ${row.recording.padEnd(32)} ${row.source.padEnd(8)} add ${ms(row.addMs)} ms (umockdev add ${ms(row.umockdevAddMs)} ms)   change ${ms(row.changeMs)} ms   remove ${ms(row.removeMs)} ms`,
    );
    const median = (source: string, key: 'addMs' | 'removeMs') => {
      const values = latencies.filter((row) => row.source === source).map((row) => row[key]).sort((a, b) => a - b);
      return values.length === 0 ? Number.NaN : (values[Math.floor((values.length - 1) / 2)] as number);
    };
    process.stdout.write(
      `hotplug latency, driver plug moment → source event:\n${lines.join('\n')}\n` +
        `  median add: udev ${median('udev', 'addMs').toFixed(2)} ms, node-usb ${median('node-usb', 'addMs').toFixed(2)} ms; ` +
        `median remove: udev ${median('udev', 'removeMs').toFixed(2)} ms, node-usb ${median('node-usb', 'removeMs').toFixed(2)} ms\n`,
    );
  });

  async function startEverything(present: readonly string[]) {
    const bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev', ...present] });
    cleanups.push(() => bed.stop());
    const udev = new Collector('udevadm');
    const udevSource: UsbHotplugSource = createUdevadmUsbHotplug({ clock: preciseClock, env: { ...process.env, ...bed.env } });
    await udevSource.start(
      (event) => udev.push(event),
      (error) => udev.fail(error.message),
    );
    cleanups.push(() => udevSource.stop());
    const nodeUsb = new Collector('node-usb');
    const child = await startNodeUsbChild(bundle, bed, nodeUsb);
    cleanups.push(() => child.stop());
    return { bed, udev, nodeUsb };
  }

  it.each(cases)('$recording: add, change and remove are reported once each, on port $port', async ({ recording, port, present = [] }) => {
    const { bed, udev, nodeUsb } = await startEverything(present);

    const plugged = await bed.add(recording);
    const deviceSyspath = plugged.syspaths[0] as string;
    expect(path.basename(deviceSyspath)).toBe(port);
    const [udevAdd, nodeAdd] = await Promise.all([udev.waitFor(`add ${port}`, has('add', port)), nodeUsb.waitFor(`add ${port}`, has('add', port))]).then(([a, b]) => [a[0], b[0]]);

    // libusb has no change event; udev must report it, after the add.
    const changed = await bed.change(deviceSyspath);
    const udevChange = (await udev.waitFor(`change ${port}`, has('change', port))).find((event) => event.action === 'change') as UsbHotplugEvent;

    const unplugged = await bed.remove(deviceSyspath);
    expect(unplugged.syspaths.at(-1)).toBe(deviceSyspath);
    const [udevEvents, nodeEvents] = await Promise.all([udev.waitFor(`remove ${port}`, has('remove', port)), nodeUsb.waitFor(`remove ${port}`, has('remove', port))]);

    // Streams are ordered, so a duplicate of any event would sit before the remove: exact lists.
    expect(udevEvents.map((event) => `${event.action} ${event.port} ${event.source}`)).toEqual([`add ${port} udev`, `change ${port} udev`, `remove ${port} udev`]);
    expect(nodeEvents.map((event) => `${event.action} ${event.port} ${event.source}`)).toEqual([`add ${port} node-usb`, `remove ${port} node-usb`]);
    expect(udev.errors).toEqual([]);
    expect(nodeUsb.errors).toEqual([]);

    const removeOf = (events: readonly UsbHotplugEvent[]) => events.find((event) => event.action === 'remove') as UsbHotplugEvent;
    latencies.push(
      {
        recording,
        source: 'udev',
        addMs: (udevAdd as UsbHotplugEvent).atMs - plugged.atMs,
        umockdevAddMs: plugged.doneMs - plugged.atMs,
        changeMs: udevChange.atMs - changed.atMs,
        removeMs: removeOf(udevEvents).atMs - unplugged.atMs,
      },
      {
        recording,
        source: 'node-usb',
        addMs: (nodeAdd as UsbHotplugEvent).atMs - plugged.atMs,
        umockdevAddMs: plugged.doneMs - plugged.atMs,
        changeMs: undefined,
        removeMs: removeOf(nodeEvents).atMs - unplugged.atMs,
      },
    );
  });

  it('the root hub carries authorized_default and the testbed root is a plain sysfs tree', async () => {
    const { bed } = await startEverything([]);
    const usb1 = '/sys/devices/pci0000:00/0000:00:14.0/usb1';
    expect(await bed.readAttr(usb1, 'authorized_default')).toBe('1\n');
    expect(await bed.readAttr(usb1, 'interface_authorized_default')).toBe('1\n');
    const plugged = await bed.add('ccid-card-reader.umockdev');
    expect(await bed.readAttr(plugged.syspaths[0] as string, 'port/connect_type')).toBe('hotplug\n');
    expect(bed.root).toBe(path.join(bed.dir, 'sys'));
  });
});
