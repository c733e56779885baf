// Boots the real-kernel test machine (docs/testing.md): QEMU in software emulation (these machines
// have no working KVM), the host's Debian kernel booted directly, the cached disk with
// snapshot=on (every boot starts from the same state), an xHCI controller for USB devices, the
// rig's runner on a virtio-serial port, QMP on a Unix socket and the serial console in a log file.
// A folder of the host is shared read-only over 9p for packages and test files.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { connectGuest, type Guest } from './guest';
import type { VmImage } from './image';
import { vmCacheDir } from './image';
import { connectQmp, type QmpClient } from './qmp';

/** A USB device for QEMU's xHCI bus (or a hub's port), with a disk image for storage devices. */
export interface VmUsbDevice {
  /** QEMU device id, for unplugging. */
  readonly id: string;
  /** QEMU driver: usb-kbd, usb-mouse, usb-storage, usb-uas, usb-ccid, usb-mtp, usb-net, usb-serial, usb-audio, usb-hub… */
  readonly driver: string;
  /** Extra device properties (serial, port…), besides bus/drive/id. */
  readonly props?: Readonly<Record<string, string | number | boolean>>;
  /** Disk image behind a usb-storage / usb-uas device (raw). */
  readonly image?: string;
  /** The bus to attach to; default `xhci.0`. */
  readonly bus?: string;
}

export interface StartVmOptions {
  readonly image: VmImage;
  /** A name for logs and the run folder. */
  readonly name: string;
  /** Host folder shared read-only; mounted in the guest at /srv/host. */
  readonly shareDir: string;
  /** Devices present from power-on. */
  readonly devices?: readonly VmUsbDevice[];
  /** Extra kernel command line. */
  readonly append?: string;
  /** More QEMU arguments (backends devices need: -audiodev, -chardev…). */
  readonly extraArgs?: readonly string[];
  /** Guest memory (MiB); default 1536. */
  readonly memoryMiB?: number;
  /** How long to wait for the runner; default 240 s (software emulation). */
  readonly bootTimeoutMs?: number;
}

export interface Vm {
  readonly guest: Guest;
  readonly qmp: QmpClient;
  /** The serial console (kernel messages, unit output). */
  readonly consoleLog: string;
  /** Host ms from QEMU's start to the runner's first answer. */
  readonly bootMs: number;
  /** Plugs a USB device now (QMP blockdev-add for its image, then device_add). */
  plug(device: VmUsbDevice): Promise<void>;
  /** Unplugs a device (device_del, waits for DEVICE_DELETED, drops its image's block node). */
  unplug(id: string): Promise<void>;
  /** Unplugs every device plugged with `plug` and not unplugged yet (a test's clean-up). */
  unplugAll(): Promise<void>;
  /** Ends QEMU (the root disk is a snapshot: nothing to save) and removes the run folder. */
  stop(): Promise<void>;
}

/** QEMU's `-device` text for a device present at boot. */
function deviceArgs(device: VmUsbDevice): string[] {
  const props: string[] = [device.driver, `bus=${device.bus ?? 'xhci.0'}`, `id=${device.id}`];
  const args: string[] = [];
  if (device.image !== undefined) {
    args.push('-blockdev', `driver=raw,node-name=${device.id}-disk,file.driver=file,file.filename=${device.image}`);
    props.push(`drive=${device.id}-disk`);
  }
  for (const [key, value] of Object.entries(device.props ?? {})) props.push(`${key}=${String(value)}`);
  args.push('-device', props.join(','));
  return args;
}

/** The acceleration to ask for: TCG unless MNG_VM_ACCEL names another (KVM hangs on these hosts). */
function accelerator(): string {
  return process.env.MNG_VM_ACCEL ?? 'tcg';
}

export async function startVm(options: StartVmOptions): Promise<Vm> {
  mkdirSync(vmCacheDir, { recursive: true });
  // Unix socket paths are limited to 107 bytes: the run folder sits directly under .tmp/vm.
  const runDir = mkdtempSync(path.join(vmCacheDir, `run-${options.name}-`));
  const qmpSocket = path.join(runDir, 'qmp.sock');
  const runnerSocket = path.join(runDir, 'runner.sock');
  const consoleLog = path.join(runDir, 'console.log');
  const { kernel, disk } = options.image;
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0', 'quiet', 'loglevel=4', 'systemd.show_status=false', options.append ?? ''].join(' ').trim();
  const args = [
    '-accel', accelerator(),
    '-machine', 'q35',
    '-cpu', process.env.MNG_VM_CPU ?? 'max',
    '-smp', '2',
    '-m', String(options.memoryMiB ?? 1536),
    '-nographic',
    '-no-reboot',
    '-nic', 'none',
    '-kernel', kernel.vmlinuz,
    '-initrd', kernel.initrd,
    '-append', append,
    '-drive', `file=${disk},format=raw,if=virtio,snapshot=on`,
    '-virtfs', `local,path=${options.shareDir},mount_tag=mngshare,security_model=none,readonly=on`,
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=runner,path=${runnerSocket},server=on,wait=off`,
    '-device', 'virtserialport,chardev=runner,name=org.mynumber-guard.runner',
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    // 15 USB 2 ports (QEMU's most): room for devices on fixed ports, present and hot-plugged.
    '-device', 'qemu-xhci,id=xhci,p2=15,p3=4',
    ...(options.devices ?? []).flatMap(deviceArgs),
    // After the devices: a device in here without a port takes the first free one.
    ...(options.extraArgs ?? []),
  ];
  const started = Date.now();
  const consoleStream = createWriteStream(consoleLog);
  const qemu: ChildProcess = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  qemu.stdout?.pipe(consoleStream);
  qemu.stderr?.pipe(consoleStream);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    qemu.once('exit', () => {
      exited = true;
      resolve();
    });
    qemu.once('error', () => {
      exited = true;
      resolve();
    });
  });

  let qmp: QmpClient | undefined;
  let guest: Guest | undefined;
  const kill = async (): Promise<void> => {
    guest?.close();
    qmp?.close();
    if (!exited) qemu.kill('SIGKILL');
    await exitedPromise;
  };
  try {
    qmp = await connectQmp(qmpSocket);
    guest = await connectGuest(runnerSocket, { timeoutMs: options.bootTimeoutMs ?? 240_000, isAlive: () => !exited });
    await guest.sh('mountpoint -q /srv/host || mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=1048576 mngshare /srv/host');
  } catch (error) {
    await kill();
    throw new Error(`${String(error instanceof Error ? error.message : error)} (console: ${consoleLog})`);
  }
  const bootMs = Date.now() - started;
  const liveQmp = qmp;
  const liveGuest = guest;
  const plugged = new Map<string, VmUsbDevice>();

  const vm: Vm = {
    guest: liveGuest,
    qmp: liveQmp,
    consoleLog,
    bootMs,
    async plug(device) {
      const props: Record<string, unknown> = { driver: device.driver, bus: device.bus ?? 'xhci.0', id: device.id, ...device.props };
      if (device.image !== undefined) {
        await liveQmp.execute('blockdev-add', { driver: 'raw', 'node-name': `${device.id}-disk`, file: { driver: 'file', filename: device.image } });
        props.drive = `${device.id}-disk`;
      }
      await liveQmp.execute('device_add', props);
      plugged.set(device.id, device);
    },
    async unplug(id) {
      const since = Date.now();
      await liveQmp.execute('device_del', { id });
      await liveQmp.waitForEvent('DEVICE_DELETED', (data) => data.device === id, { timeoutMs: 30_000, sinceMs: since - 1 });
      const device = plugged.get(id) ?? options.devices?.find((candidate) => candidate.id === id);
      plugged.delete(id);
      if (device?.image !== undefined) await liveQmp.execute('blockdev-del', { 'node-name': `${id}-disk` });
    },
    async unplugAll() {
      for (const id of [...plugged.keys()].reverse()) await vm.unplug(id);
    },
    async stop() {
      if (!exited) {
        // Sticks the guest wrote are flushed first; the root disk is thrown away (snapshot=on).
        await liveGuest.exec(['sync'], { timeoutMs: 20_000 }).catch(() => undefined);
        qemu.kill('SIGTERM');
        const timer = setTimeout(() => qemu.kill('SIGKILL'), 10_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      liveGuest.close();
      liveQmp.close();
      consoleStream.end();
      if (process.env.MNG_VM_KEEP !== '1') rmSync(runDir, { recursive: true, force: true });
    },
  };
  return vm;
}
