// A zone terminal on a real kernel (issue #9; docs/testing.md), one boot for all of it: USB
// devices QEMU emulates are present at power-on, the kernel's own decisions are read back before
// the agent exists (the controls), then the agent's deb is installed the way a terminal gets it,
// and USB control (test/vm/checks/usb.ts) and the service's life under systemd
// (test/vm/checks/service.ts) are checked in that order.
import { afterAll, beforeAll, describe } from 'vitest';
import { usbBootDevices, usbChecks, usbControlChecks, usbExtraArgs, usbPolicy, prepareUsbShare } from './checks/usb';
import { serviceControlChecks, serviceInstallChecks, serviceLifecycleChecks } from './checks/service';
import { createPolicyKit, createShareDir } from './rig/agent';
import { createVmContext } from './rig/context';
import { startVm, type Vm } from './rig/machine';
import { vmImageOrSkip, vmReady } from './rig/vm-available';

const ready = vmReady();

describe.skipIf(!ready)('a zone terminal on a real kernel: USB control and the service', () => {
  const ctx = createVmContext(createPolicyKit());
  let vm: Vm | undefined;
  let removeShare: (() => void) | undefined;

  beforeAll(async () => {
    const image = vmImageOrSkip();
    const share = await createShareDir('terminal');
    removeShare = () => share.remove();
    prepareUsbShare(share.dir);
    vm = await startVm({ image, name: 'terminal', shareDir: share.dir, devices: usbBootDevices(share.dir), extraArgs: usbExtraArgs(share.dir) });
    ctx.set(vm, share);
  });

  afterAll(async () => {
    await vm?.stop();
    removeShare?.();
  });

  describe('before the agent (the controls)', () => {
    serviceControlChecks(ctx);
    usbControlChecks(ctx);
  });
  describe('installing the deb', () => {
    serviceInstallChecks(ctx, () => ctx.kit.bundle(usbPolicy).bytes);
  });
  describe('USB control', () => {
    usbChecks(ctx);
  });
  describe('the service under systemd', () => {
    serviceLifecycleChecks(ctx);
  });
});
