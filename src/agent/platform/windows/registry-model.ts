import type { Localized } from '../../../shared/i18n';

/**
 * The registry vocabulary of the Windows adapters: values, the state we want (targets), what we
 * found (snapshots) and the reg.exe invocations that move one to the other. Pure data and pure
 * helpers; nothing here touches Windows.
 *
 * Key paths are written the way reg.exe accepts them (`HKLM\SOFTWARE\...`). The registry compares
 * key and value names without regard to case, so every comparison here does too
 * (`normalizeRegistryKey`, `sameRegistryName`); value data is compared exactly.
 */

/** Value types whose data reg.exe prints and accepts back unchanged, so a revert can restore them exactly. */
export type RestorableRegType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_DWORD' | 'REG_QWORD' | 'REG_BINARY';

/**
 * A registry value as `reg.exe add /t <type> /d <data>` takes it. `data` is canonical so equal
 * values compare equal as strings: REG_DWORD in decimal without leading zeros (`"4"`), REG_QWORD
 * as lowercase `0x` hex without leading zeros (`"0x1f"`), REG_BINARY as uppercase hex
 * (`"0A1B"`), strings as they are. Plain JSON, so a revert plan can be stored and read back.
 */
export interface RegValue {
  readonly type: RestorableRegType;
  readonly data: string;
}

/** A value read from the registry whose type cannot be restored exactly (REG_MULTI_SZ, REG_NONE, …). */
export interface UnrestorableRegValue {
  readonly type: 'unrestorable';
  /** The type name reg.exe printed, e.g. `REG_MULTI_SZ`. */
  readonly typeName: string;
  /** The data text as printed. */
  readonly raw: string;
}

/** One value of a key as read back: its name as printed and its value. */
export interface RegEntry {
  readonly name: string;
  readonly value: RegValue | UnrestorableRegValue;
}

/** A REG_DWORD value. `data` must be an integer in 0..2^32-1. */
export function regDword(data: number): RegValue {
  if (!Number.isInteger(data) || data < 0 || data > 0xffff_ffff) throw new RangeError(`regDword: ${data} is not a DWORD`);
  return { type: 'REG_DWORD', data: String(data) };
}

/** A REG_SZ value. */
export function regSz(data: string): RegValue {
  return { type: 'REG_SZ', data };
}

/** True when two values have the same type and the same canonical data. */
export function sameRegValue(a: RegValue | null, b: RegValue | null): boolean {
  if (a === null || b === null) return a === b;
  return a.type === b.type && a.data === b.data;
}

/**
 * The state the adapter brings the registry to, one item at a time.
 * - `value`: the value `name` of `key` holds `value`, or is absent when `value` is null. With
 *   `onlyIfKeyExists`, nothing is written when the key does not exist (service keys: writing
 *   `Start` under a missing `Services\X` would create a broken service entry).
 * - `list`: the key holds exactly the REG_SZ values `"1"`..`"n"` = `entries`, in order, and no
 *   other named value (the list format of the Device Installation policies, reference §5.3).
 * - `absent-key`: the key does not exist (used by revert plans for keys the apply created).
 */
export type RegistryTarget =
  | {
      readonly kind: 'value';
      readonly key: string;
      readonly name: string;
      readonly value: RegValue | null;
      readonly onlyIfKeyExists?: boolean;
      /** Why the policy wants this, for people (plans, audit). */
      readonly reason?: Localized;
    }
  | { readonly kind: 'list'; readonly key: string; readonly entries: readonly string[]; readonly reason?: Localized }
  | { readonly kind: 'absent-key'; readonly key: string };

/** What was found for one key: its values, or that it is missing and from which ancestor down. */
export type RegistryKeyState =
  | { readonly exists: true; readonly key: string; readonly values: readonly RegEntry[]; readonly subkeys: readonly string[] }
  | {
      readonly exists: false;
      readonly key: string;
      /** The highest missing key on the path to `key` (`key` itself or an ancestor): what a revert deletes. */
      readonly missingFrom: string;
    };

/** Key states by `normalizeRegistryKey(key)`. */
export type RegistrySnapshot = ReadonlyMap<string, RegistryKeyState>;

/**
 * One reg.exe invocation: a program and its arguments, never a shell line (no quoting, no
 * metacharacters; the runner passes `args` as they are). `program` is always `reg.exe`; the
 * adapter runs it from an absolute path (System32), never from PATH.
 */
export interface RegCommand {
  readonly program: 'reg.exe';
  readonly args: readonly string[];
}

// Every command names the 64-bit registry view, so a 32-bit process (or a 32-bit reg.exe picked by
// WOW64 file redirection) cannot write to HKLM\SOFTWARE\WOW6432Node instead of the policy keys.
const VIEW = '/reg:64';

/** `reg.exe query <key> /reg:64`: the key's values and the names of its direct subkeys. */
export function regQuery(key: string): RegCommand {
  return { program: 'reg.exe', args: ['query', key, VIEW] };
}

/** `reg.exe add <key> /v <name> /t <type> /d <data> /f /reg:64`: creates missing keys on the way. */
export function regAdd(key: string, name: string, value: RegValue): RegCommand {
  return { program: 'reg.exe', args: ['add', key, '/v', name, '/t', value.type, '/d', value.data, '/f', VIEW] };
}

/** `reg.exe delete <key> /v <name> /f /reg:64`. */
export function regDeleteValue(key: string, name: string): RegCommand {
  return { program: 'reg.exe', args: ['delete', key, '/v', name, '/f', VIEW] };
}

/** `reg.exe delete <key> /f /reg:64`: the key with all its values and subkeys. */
export function regDeleteKey(key: string): RegCommand {
  return { program: 'reg.exe', args: ['delete', key, '/f', VIEW] };
}

/** The command as one array, program first: what tests pin and what the runner receives. */
export function commandArray(command: RegCommand): string[] {
  return [command.program, ...command.args];
}

/**
 * The command as a person would type it in cmd.exe, for plans and audit records. Arguments with
 * spaces or quotes are quoted; the adapter never runs this text (it passes the array).
 */
export function formatCommandLine(command: RegCommand): string {
  return commandArray(command)
    .map((arg) => (arg === '' || /[\s"&|<>^]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg))
    .join(' ');
}

const ROOT_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['HKEY_LOCAL_MACHINE', 'HKLM'],
  ['HKEY_CURRENT_USER', 'HKCU'],
  ['HKEY_CLASSES_ROOT', 'HKCR'],
  ['HKEY_USERS', 'HKU'],
  ['HKEY_CURRENT_CONFIG', 'HKCC'],
];

/**
 * A key path in one comparable form: short root name (reg.exe prints `HKEY_LOCAL_MACHINE`, we
 * write `HKLM`), no trailing backslash, lowercase (the registry ignores case).
 */
export function normalizeRegistryKey(key: string): string {
  let text = key.replace(/\\+$/, '');
  for (const [long, short] of ROOT_ALIASES) {
    if (text.toUpperCase() === long || text.toUpperCase().startsWith(`${long}\\`)) {
      text = short + text.slice(long.length);
      break;
    }
  }
  return text.toLowerCase();
}

/** True when two key paths name the same key. */
export function sameRegistryKey(a: string, b: string): boolean {
  return normalizeRegistryKey(a) === normalizeRegistryKey(b);
}

/** True when two value names are the same value (the registry ignores case). */
export function sameRegistryName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The parent of a key (`HKLM\A\B` → `HKLM\A`); undefined for a root (`HKLM`). */
export function parentRegistryKey(key: string): string | undefined {
  const trimmed = key.replace(/\\+$/, '');
  const at = trimmed.lastIndexOf('\\');
  return at <= 0 ? undefined : trimmed.slice(0, at);
}

/** The last component of a key path (`HKLM\A\B` → `B`). */
export function registryKeyName(key: string): string {
  const trimmed = key.replace(/\\+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('\\') + 1);
}

/** True when `key` is `ancestor` or lies below it. */
export function isRegistryKeyWithin(key: string, ancestor: string): boolean {
  const k = normalizeRegistryKey(key);
  const a = normalizeRegistryKey(ancestor);
  return k === a || k.startsWith(`${a}\\`);
}

/** Number of path components (`HKLM\SOFTWARE` → 2). */
export function registryKeyDepth(key: string): number {
  return key.replace(/\\+$/, '').split('\\').length;
}
