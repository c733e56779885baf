// Hot-plug → verdict written on a real kernel, for `npm run bench -- usb`: the agent (installed
// from its deb, default policy) and Debian's usbguard-daemon (its real udev backend, the same rules)
// in one run of the test machine (test/vm, docs/testing.md). QMP plugs a keyboard (allowed by both)
// on one port again and again; the figure is the guest kernel's own: `udevadm monitor --kernel`
// stamps the device's `add` and then its interface's `bind` (usbhid bound: the keyboard works),
// which only happens once the daemon authorized it (authorized_default=0 keeps it deauthorized
// until then). usbguard-daemon authorizes the device and the kernel binds the interface within that
// write; the agent authorizes the device, then the interface, then probes it. Software
// emulation (no KVM here) slows both daemons; the ratio between them is the figure that carries.
import { readFileSync } from 'node:fs';
import { parsePolicyText } from '../../src/shared/policy';
import { createPolicyKit, createShareDir, installAgent, lastAuditSeq, readAudit } from '../../test/vm/rig/agent';
import { startVm, type Vm } from '../../test/vm/rig/machine';
import { ensureVmImage } from '../../test/vm/rig/image';
import { vmUnavailableReason } from '../../test/vm/rig/vm-available';
import { percentile, round } from './stats';

export interface RealKernelDaemonFigures {
  readonly plugs: number;
  readonly addToBoundP50Ms: number;
  readonly addToBoundP99Ms: number;
  readonly addToBoundMaxMs: number;
}

export type RealKernelFigures =
  | {
      readonly ok: true;
      readonly kernel: string;
      readonly accelerator: string;
      readonly bootSeconds: number;
      readonly agent: RealKernelDaemonFigures & {
        /** The agent's own view (audit `latencyMs`): its hotplug source got the event → authorized written. */
        readonly eventToWrittenP50Ms: number;
        readonly eventToWrittenP99Ms: number;
      };
      readonly usbguardDaemon: RealKernelDaemonFigures & { readonly version: string };
      /** agent p50 ÷ usbguard-daemon p50 (below 1: the agent is faster). */
      readonly ratioP50: number;
      readonly ratioP99: number;
      readonly elapsedSeconds: number;
    }
  | { readonly ok: false; readonly reason: string };

const monitorLog = '/run/bench-uevents.log';
const port = '3';
const warmupPlugs = 2;

/** `KERNEL[123.456789] add      /devices/…/usb1/1-3 (usb)` → seconds, action, path. */
function parseMonitorLine(line: string): { seconds: number; action: string; devpath: string } | undefined {
  const match = /^KERNEL\[(\d+\.\d+)\]\s+(\w+)\s+(\S+)\s+\(usb\)/.exec(line);
  return match === null ? undefined : { seconds: Number(match[1]), action: match[2] ?? '', devpath: match[3] ?? '' };
}

/** Plugs the keyboard `count` times; returns device add → its interface bound (ms), per plug. */
async function measurePlugs(vm: Vm, count: number, shouldStop: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  for (let plug = 0; plug < count && !shouldStop(); plug += 1) {
    const offset = (await vm.guest.readFile(monitorLog))?.length ?? 0;
    await vm.plug({ id: 'bench-kbd', driver: 'usb-kbd', props: { port } });
    const latency = await vm.guest.waitFor(
      `plug ${plug + 1}: the keyboard's interface`,
      async () => {
        const lines = ((await vm.guest.readFile(monitorLog)) ?? Buffer.alloc(0)).subarray(offset).toString('utf8').split('\n');
        const events = lines.map(parseMonitorLine).filter((event) => event !== undefined);
        const device = events.find((event) => event?.action === 'add' && event.devpath.endsWith(`/1-${port}`));
        const iface = events.find((event) => event?.action === 'bind' && event.devpath.endsWith(`/1-${port}/1-${port}:1.0`));
        return device !== undefined && iface !== undefined ? (iface.seconds - device.seconds) * 1000 : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    latencies.push(latency);
    await vm.unplug('bench-kbd');
  }
  return latencies;
}

function figuresOf(latencies: readonly number[]): RealKernelDaemonFigures {
  const measured = latencies.slice(warmupPlugs);
  return {
    plugs: measured.length,
    addToBoundP50Ms: round(percentile(measured, 50)),
    addToBoundP99Ms: round(percentile(measured, 99)),
    addToBoundMaxMs: round(Math.max(...measured)),
  };
}

/** Boots the machine, measures usbguard-daemon, then the agent; always stops the machine. */
export async function measureRealKernelHotplug(options: { plugs: number; say: (line: string) => void; shouldStop: () => boolean }): Promise<RealKernelFigures> {
  const reason = vmUnavailableReason();
  if (reason !== undefined) return { ok: false, reason };
  const started = Date.now();
  const image = ensureVmImage();
  const share = await createShareDir('bench-usb');
  const vm = await startVm({ image, name: 'bench-usb', shareDir: share.dir });
  try {
    const count = options.plugs + warmupPlugs;
    await vm.guest.spawn(['stdbuf', '-oL', 'udevadm', 'monitor', '--kernel', '--subsystem-match=usb'], monitorLog);
    const kernel = (await vm.guest.sh('uname -r')).trim();

    // usbguard-daemon: the default policy's rules, its udev backend, nothing authorized by default.
    const policy = parsePolicyText(readFileSync('policies/mynumber-zone.yaml', 'utf8'));
    if (!policy.ok) throw new Error('bench usb: the default policy does not parse');
    await vm.guest.writeFile('/etc/usbguard/rules.conf', `${policy.policy.spec.usb.rules.join('\n')}\n`, 0o600);
    await vm.guest.sh(
      "sed -i -e 's/^ImplicitPolicyTarget=.*/ImplicitPolicyTarget=block/' -e 's/^PresentDevicePolicy=.*/PresentDevicePolicy=apply-policy/' -e 's/^InsertedDevicePolicy=.*/InsertedDevicePolicy=apply-policy/' -e 's/^AuthorizedDefault=.*/AuthorizedDefault=none/' -e 's/^DeviceManagerBackend=.*/DeviceManagerBackend=uevent/' /etc/usbguard/usbguard-daemon.conf && systemctl start usbguard && systemctl is-active usbguard",
    );
    const version = (await vm.guest.sh("dpkg-query -W -f='${Version}' usbguard")).trim();
    options.say(`real kernel ${kernel} (QEMU, ${process.env.MNG_VM_ACCEL ?? 'tcg'}), booted in ${round(vm.bootMs / 1000, 1)} s: usbguard-daemon ${version}, ${count} plugs of a keyboard…`);
    const usbguard = figuresOf(await measurePlugs(vm, count, options.shouldStop));
    await vm.guest.sh('systemctl stop usbguard');

    const kit = createPolicyKit();
    await installAgent(vm.guest, { deb: share.deb, kit, bundle: kit.bundle().bytes });
    options.say(`real kernel: the agent (deb, default policy), ${count} plugs of a keyboard…`);
    const seq = await lastAuditSeq(vm.guest);
    const agent = figuresOf(await measurePlugs(vm, count, options.shouldStop));
    const inside = (await readAudit(vm.guest))
      .filter((record) => record.seq > seq && record.type === 'usb.allowed' && record.data.trigger === 'hotplug' && typeof record.data.latencyMs === 'number')
      .map((record) => record.data.latencyMs as number)
      .slice(warmupPlugs);
    return {
      ok: true,
      kernel,
      accelerator: process.env.MNG_VM_ACCEL ?? 'tcg',
      bootSeconds: round(vm.bootMs / 1000, 1),
      agent: { ...agent, eventToWrittenP50Ms: round(percentile(inside, 50)), eventToWrittenP99Ms: round(percentile(inside, 99)) },
      usbguardDaemon: { ...usbguard, version },
      ratioP50: round(agent.addToBoundP50Ms / usbguard.addToBoundP50Ms, 2),
      ratioP99: round(agent.addToBoundP99Ms / usbguard.addToBoundP99Ms, 2),
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    await vm.stop();
    share.remove();
  }
}
