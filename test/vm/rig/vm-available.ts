// Whether this machine can run the real-kernel suite: root (debootstrap, mkfs -d, loop-free image
// building), QEMU, debootstrap, mkinitramfs, dpkg-deb and a Debian kernel in /boot. Locally a
// missing piece skips the suite with the reason; under CI=true it fails it (.ci/run installs all).
import { hasTool } from '../../helpers/system-tools';
import { ensureVmImage, findVmKernel, type VmImage } from './image';

const tools = ['qemu-system-x86_64', 'debootstrap', 'mkinitramfs', 'mkfs.ext4', 'dpkg-deb'];

/** Why the suite cannot run here, or undefined when it can. */
export function vmUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the real-kernel suite needs root (debootstrap, image building)';
  const missing = tools.filter((tool) => !hasTool(tool));
  if (missing.length > 0) return `missing system tool(s): ${missing.join(', ')} (apt-get install qemu-system-x86 debootstrap initramfs-tools e2fsprogs dpkg; see .ci/run)`;
  if (findVmKernel() === undefined) return 'no Debian kernel in /boot with an initrd and modules (apt-get install linux-image-amd64)';
  return undefined;
}

/** True when the suite can run; under CI=true a missing piece throws instead of skipping. */
export function vmReady(): boolean {
  const reason = vmUnavailableReason();
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping the real-kernel suite: ${reason}\n`);
  return false;
}

/** The cached image (built by the global setup; built here if a file runs alone). */
export function vmImageOrSkip(): VmImage {
  return ensureVmImage();
}
