import type { Clock } from '../../shared/clock';
import { parsePasswd } from './parse-passwd';
import type { PasswdSource, UserDirectory } from './ports';

/** How long after a read a miss waits before the passwd text is read again (a user added while we run). */
const rereadAfterMs = 60_000;

/** UserDirectory over a passwd source, cached; an unreadable source gives no names (records keep `uid:<n>`). */
export function createPasswdUserDirectory(source: PasswdSource, clock: Clock): UserDirectory {
  let users: Map<number, string> | undefined;
  let readAtMs = 0;
  async function load(): Promise<Map<number, string>> {
    users = parsePasswd((await source.read()) ?? '');
    readAtMs = clock.nowMs();
    return users;
  }
  return {
    async userName(uid) {
      const known = users ?? (await load());
      const name = known.get(uid);
      if (name !== undefined || clock.nowMs() - readAtMs < rereadAfterMs) return name;
      return (await load()).get(uid);
    },
  };
}
