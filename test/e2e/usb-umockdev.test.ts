// Smoke test of SysfsUsbBus on a real umockdev testbed (dev-environment.md §3): the recordings in
// test/fixtures/umockdev are loaded by `umockdev-run`, and the adapter, bundled into a small program
// (test/helpers/usb-bus-probe.ts), reads `$UMOCKDEV_DIR/sys` with LD_PRELOAD unset — under the
// preload Node's readdir and stat fail. A write it makes must then be visible through the preloaded
// /sys, which is what other programs (and the enforcement tests) see.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeUsbDeviceHash, type UsbBusCapabilities, type UsbDevice, type UsbDeviceRead } from '../../src/agent/usb';
import { hex } from '../helpers/sysfs-tree';
import { repoRoot } from '../helpers/mng';
import { needTools } from '../helpers/system-tools';

const recordings = path.join(repoRoot, 'test/fixtures/umockdev');
// root-hub.umockdev is shared with the enforcement tests; the two devices are this suite's own.
const fixtures = ['root-hub.umockdev', 'usb-stick.umockdev', 'hid-keyboard.umockdev'].map((name) => path.join(recordings, name));

interface ProbeOutput {
  readonly capabilities: UsbBusCapabilities;
  readonly devices: UsbDeviceRead[];
  readonly blocked: UsbDeviceRead;
}

describe.skipIf(!needTools('umockdev-run'))('SysfsUsbBus on a umockdev testbed', () => {
  let workDir = '';
  let probe: ProbeOutput;
  let authorizedSeenThroughPreload = '';

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'mng-umockdev-'));
    const bundle = path.join(workDir, 'usb-bus-probe.mjs');
    await build({
      entryPoints: [path.join(repoRoot, 'test/helpers/usb-bus-probe.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    });
    // $0 is the bundle. The adapter runs without the preload; `cat` runs with it, through /sys.
    const script = 'LD_PRELOAD= "$NODE" "$0" "$UMOCKDEV_DIR/sys" 1-2 && cat /sys/bus/usb/devices/1-2/authorized';
    const result = spawnSync('umockdev-run', [...fixtures.flatMap((file) => ['-d', file]), '--', 'sh', '-c', script, bundle], {
      env: { ...process.env, NODE: process.execPath },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`umockdev-run failed (${result.status}): ${result.stderr}`);
    const [json = '', authorized = ''] = result.stdout.split('\n');
    probe = JSON.parse(json) as ProbeOutput;
    authorizedSeenThroughPreload = authorized;
  });

  afterAll(() => {
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  const device = (port: string): UsbDevice => {
    const read = probe.devices.find((entry) => entry.ok && entry.device.port === port);
    if (read === undefined || !read.ok) throw new Error(`${port} not read: ${JSON.stringify(probe.devices)}`);
    return read.device;
  };

  it('reads the root hub, the stick and the keyboard, root hub first', () => {
    expect(probe.devices.map((read) => (read.ok ? read.device.port : read.failure))).toEqual(['usb1', '1-2', '1-3']);
  });

  it('computes the USBGuard hashes of the recorded devices', () => {
    expect(device('usb1')).toMatchObject({
      hash: 'jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=',
      parentHash: 'rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=',
      interfaces: [expect.objectContaining({ name: '1-0:1.0', classCode: '09' })],
    });
    const stickDescriptors = hex('1201000200000040341278560001010203010902200001010080320904000002080650000705810200020007050202000200');
    expect(device('1-2')).toMatchObject({
      vendorId: '1234',
      productId: '5678',
      name: 'Demo Stick',
      serial: 'DEMO0001',
      connectType: 'hotplug',
      configurationValue: 1,
      hash: computeUsbDeviceHash({ name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: 'DEMO0001', descriptors: stickDescriptors }),
      parentHash: device('usb1').hash,
      interfaces: [{ name: '1-2:1.0', configurationValue: 1, interfaceNumber: 0, alternateSetting: 0, classCode: '08', subclassCode: '06', protocolCode: '50', authorized: true }],
    });
    expect(device('1-3').interfaces.map((entry) => `${entry.classCode}:${entry.subclassCode}:${entry.protocolCode}`)).toEqual(['03:01:01']);
  });

  it('sees what the testbed offers: authorization, but no drivers_probe (umockdev does not create bus files)', () => {
    // umockdev has no /sys/module: usbcore's parameter is not there to set.
    expect(probe.capabilities).toEqual({ present: true, deviceAuthorization: true, authorizedDefault: true, interfaceAuthorization: false, newBusAuthorizedDefault: false });
  });

  it('writes authorized in the testbed, visible through the preloaded /sys', () => {
    expect(probe.blocked).toMatchObject({ ok: true, device: { port: '1-2', authorized: false } });
    expect(authorizedSeenThroughPreload).toBe('0');
  });
});
