// Volume identity for approved-media matching (issue #4 item 1): the file-system UUID from a
// low-level `blkid -p` probe of the device (no cache, so a stick just inserted is read as it is),
// and the device serial from sysfs (the USB device's `serial`, already in the block facts).
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { BlockDeviceFacts, VolumeIdentity } from '../../mounts/model';
import type { VolumeIdentitySource } from '../../mounts/ports';

/** Options of {@link BlkidVolumeIdentity}. */
export interface BlkidVolumeIdentityOptions {
  /** Where device nodes are: `/dev`. */
  readonly devRoot?: string;
  /** `blkid` executable. Default `blkid`. */
  readonly command?: string;
  /** How long blkid may take (ms). Default 5,000. */
  readonly timeoutMs?: number;
}

/** Parses `blkid -o export` output (`KEY=value` lines) into a map. Pure. */
export function parseBlkidExport(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match !== null) values.set(match[1] as string, match[2] as string);
  }
  return values;
}

/**
 * VolumeIdentitySource with `blkid -p -o export <devRoot>/<name>`. Exit status 2 means blkid
 * found no file system signature: a known identity without UUID. Any other failure (tool missing,
 * device gone, timeout) is `unknown`, which the decision denies.
 */
export class BlkidVolumeIdentity implements VolumeIdentitySource {
  private readonly devRoot: string;
  private readonly command: string;
  private readonly timeoutMs: number;

  constructor(options: BlkidVolumeIdentityOptions = {}) {
    this.devRoot = options.devRoot ?? '/dev';
    this.command = options.command ?? 'blkid';
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  readIdentity(device: BlockDeviceFacts): Promise<VolumeIdentity> {
    const node = path.join(this.devRoot, device.name);
    return new Promise((resolve) => {
      execFile(this.command, ['-p', '-o', 'export', node], { timeout: this.timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
        const status = (error as { code?: unknown } | null)?.code;
        if (error !== null && status !== 2) {
          resolve({ state: 'unknown', detail: `blkid ${node}: ${stderr.trim() || error.message}` });
          return;
        }
        const values = parseBlkidExport(stdout);
        resolve({ state: 'known', deviceSerial: device.usbSerial, filesystemUuid: values.get('UUID') ?? null });
      });
    });
  }
}
