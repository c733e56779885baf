// Radio switches through the kernel's rfkill class in sysfs (Documentation/ABI/stable/
// sysfs-class-rfkill): `<sysfsRoot>/class/rfkill/rfkill<N>/{index,type,name,soft,hard}`, and a
// soft block by writing `1` to `soft` (needs CAP_NET_ADMIN). The root is injected: `/sys` in
// production, a fixture tree in tests. The adapter holds no policy.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChannelStepResult, RadioFacts, RadioList } from '../../channels/model';
import type { RadioSwitches } from '../../channels/ports';

/** Options of {@link SysfsRfkillRadios}. */
export interface SysfsRfkillRadiosOptions {
  /** Where sysfs is mounted: `/sys`, or a fixture tree. */
  readonly sysfsRoot: string;
}

// A sysfs text attribute is at most one page; more means this is not sysfs.
const maxAttributeBytes = 4096;
const switchDir = /^rfkill(0|[1-9][0-9]{0,9})$/;

/** The text attributes of one `rfkill<N>` directory, null where absent or unreadable. */
export interface RfkillAttributes {
  readonly index: string | null;
  readonly type: string | null;
  readonly name: string | null;
  readonly soft: string | null;
  readonly hard: string | null;
}

/**
 * Turns the attributes of `rfkill<dirIndex>` into facts. Pure. The directory name is the
 * authority for the index (it is what `softBlock` writes to); an `index` file that disagrees, or a
 * missing `type`, makes the switch unreadable (null). A soft/hard value other than `0`/`1` is null
 * (unknown), which the decision treats as not blocked.
 */
export function parseRfkillAttributes(dirIndex: number, attributes: RfkillAttributes): RadioFacts | null {
  if (attributes.index !== null && attributes.index !== String(dirIndex)) return null;
  if (attributes.type === null || attributes.type === '') return null;
  const flag = (text: string | null): boolean | null => (text === '1' ? true : text === '0' ? false : null);
  return { index: dirIndex, type: attributes.type, name: attributes.name ?? '', soft: flag(attributes.soft), hard: flag(attributes.hard) };
}

async function readAttribute(file: string): Promise<string | null> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > maxAttributeBytes) return null;
    return bytes.toString('utf8').replace(/\n$/, '').trim();
  } catch (_error) {
    // Absent or unreadable: "not known" here; the parser decides what that means.
    return null;
  }
}

const errorCode = (error: unknown): string | undefined => (error as { code?: unknown } | null)?.code as string | undefined;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * RadioSwitches on sysfs. `list()` is `absent` when `<root>/class/rfkill` does not exist (no
 * wireless driver registered a switch, or rfkill is not built), `unreadable` when it cannot be
 * listed or a switch directory cannot be parsed (fail closed: the caller cannot tell what is on).
 */
export class SysfsRfkillRadios implements RadioSwitches {
  private readonly classDir: string;

  constructor(options: SysfsRfkillRadiosOptions) {
    this.classDir = path.join(options.sysfsRoot, 'class/rfkill');
  }

  async list(): Promise<RadioList> {
    let names: string[];
    try {
      names = await readdir(this.classDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { state: 'absent' };
      return { state: 'unreadable', detail: `${this.classDir}: ${errorText(error)}` };
    }
    const radios: RadioFacts[] = [];
    const indices = names.flatMap((name) => {
      const match = switchDir.exec(name);
      return match === null ? [] : [Number(match[1])];
    });
    for (const index of indices.sort((a, b) => a - b)) {
      const dir = path.join(this.classDir, `rfkill${index}`);
      const [indexText, type, name, soft, hard] = await Promise.all(['index', 'type', 'name', 'soft', 'hard'].map((attribute) => readAttribute(path.join(dir, attribute))));
      const radio = parseRfkillAttributes(index, { index: indexText ?? null, type: type ?? null, name: name ?? null, soft: soft ?? null, hard: hard ?? null });
      // A switch that vanished between readdir and read (a dongle pulled) has no `type` any more:
      // it no longer exists, unlike one that is there and unreadable.
      if (radio === null) {
        if (type === null && indexText === null) continue;
        return { state: 'unreadable', detail: `${dir}: unexpected attributes (index=${String(indexText)}, type=${String(type)})` };
      }
      radios.push(radio);
    }
    return { state: 'present', radios };
  }

  async softBlock(index: number): Promise<ChannelStepResult> {
    if (!Number.isSafeInteger(index) || index < 0) return { ok: false, detail: `invalid rfkill index ${index}` };
    const file = path.join(this.classDir, `rfkill${index}`, 'soft');
    try {
      // The ABI reads `0`/`1`; no trailing newline needed, and the flag avoids creating a file.
      await writeFile(file, '1', { flag: 'r+' });
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: `${file}: ${errorText(error)}` };
    }
  }
}
