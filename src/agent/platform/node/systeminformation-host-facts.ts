import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import si from 'systeminformation';
import type { HostFacts, ToolFact } from '../../posture/model';
import type { HostFactsReader } from '../../posture/ports';

/** System tools whose absence makes systeminformation return empty results silently (dev-environment §6). */
const toolsByControl: readonly { name: string; neededBy: string; platforms: readonly string[] }[] = [
  { name: 'lsusb', neededBy: 'usb', platforms: ['linux'] },
  { name: 'findmnt', neededBy: 'media', platforms: ['linux'] },
  { name: 'lsblk', neededBy: 'media', platforms: ['linux'] },
  { name: 'ip', neededBy: 'isolation', platforms: ['linux'] },
  { name: 'rfkill', neededBy: 'channels', platforms: ['linux'] },
  { name: 'lpstat', neededBy: 'channels', platforms: ['linux'] },
  { name: 'loginctl', neededBy: 'mfa', platforms: ['linux'] },
];

/**
 * HostFactsReader backed by systeminformation. systeminformation never throws for a missing
 * tool (it returns an empty result), so tool presence is checked here and reported separately.
 */
export function createSysteminformationHostFacts(options: { platform: string; pathEnv: string }): HostFactsReader {
  const { platform, pathEnv } = options;
  return {
    async readHostFacts(): Promise<HostFacts> {
      const [osInfo, uuid, interfaces, gateway] = await Promise.all([
        si.osInfo(),
        si.uuid(),
        si.networkInterfaces(),
        si.networkGatewayDefault(),
      ]);
      const list = Array.isArray(interfaces) ? interfaces : [interfaces];
      return {
        os: {
          platform: osInfo.platform || platform,
          distro: osInfo.distro,
          release: osInfo.release,
          kernel: osInfo.kernel,
          arch: osInfo.arch,
        },
        hostname: osInfo.hostname,
        machineId: uuid.os !== '' ? uuid.os : readMachineIdFile(),
        interfaces: list.map((entry) => ({
          name: entry.iface,
          addresses: [entry.ip4, entry.ip6].filter((address) => address !== ''),
          internal: entry.internal,
          up: entry.operstate === 'up' || entry.operstate === 'unknown',
        })),
        defaultGateway: gateway !== '' ? gateway : null,
        tools: toolsByControl
          .filter((tool) => tool.platforms.includes(platform))
          .map((tool): ToolFact => ({ name: tool.name, neededBy: tool.neededBy, present: isOnPath(tool.name, pathEnv) })),
      };
    },
  };
}

function readMachineIdFile(): string | null {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    return id === '' ? null : id;
  } catch {
    // No machine-id file: the fact is reported as unknown (null), which the summary shows.
    return null;
  }
}

function isOnPath(name: string, pathEnv: string): boolean {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // Not in this PATH entry; keep looking.
    }
  }
  return false;
}
