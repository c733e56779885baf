// The real-kernel suite's setup (docs/testing.md): dist/ fresh (the agent's deb is made from it)
// and the test machine's disk built or taken from .tmp/vm/, once for every file.
import { buildAll } from '../../scripts/build.mjs';
import { ensureVmImage } from './rig/image';
import { vmUnavailableReason } from './rig/vm-available';

export default async function setup(): Promise<void> {
  await buildAll({ quiet: true });
  const reason = vmUnavailableReason();
  if (reason !== undefined) {
    if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
    return;
  }
  const started = Date.now();
  const image = ensureVmImage();
  if (image.buildMs.rootfs + image.buildMs.image > 0) {
    process.stderr.write(`vm: image built in ${Math.round((Date.now() - started) / 1000)} s (rootfs ${Math.round(image.buildMs.rootfs / 1000)} s, disk ${Math.round(image.buildMs.image / 1000)} s)\n`);
  }
}
