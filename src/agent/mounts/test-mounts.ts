// Builders of mounts and block-device facts for the module's table tests (not used in production;
// exported for tests in other folders through index.ts).
import { escapeMountinfoField } from './mount-path';
import { parseMountinfo } from './mountinfo';
import type { BlockDeviceFacts, Mount } from './model';

/** A mount as parsed from one mountinfo line built from these parts (so the test data is kernel-shaped). */
export function makeMount(parts: { id?: number; dev?: string; mountPoint: string; fsType: string; source: string; options?: string }): Mount {
  const encode = (text: string): string => new TextDecoder().decode(escapeMountinfoField(new TextEncoder().encode(text)));
  const line = `${parts.id ?? 100} 1 ${parts.dev ?? '0:99'} / ${encode(parts.mountPoint)} ${parts.options ?? 'rw,relatime'} - ${parts.fsType} ${encode(parts.source)} rw\n`;
  const mount = parseMountinfo(line).mounts[0];
  if (mount === undefined) throw new Error(`makeMount: not a mountinfo line: ${line}`);
  return mount;
}

/** Block-device facts with an internal disk's defaults; override what the case is about. */
export function makeBlockFacts(name: string, overrides: Partial<BlockDeviceFacts> = {}): BlockDeviceFacts {
  return {
    name,
    major: 8,
    minor: 0,
    sysfsPath: `/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/${name}`,
    isPartition: false,
    diskName: name,
    removable: false,
    readOnly: false,
    sizeSectors: 131072,
    loopBackingFile: null,
    dmName: null,
    slaves: [],
    mmcType: null,
    usbSerial: null,
    ...overrides,
  };
}
