import { msg, type Localized } from '../../../shared/i18n';
import { err, ok, type Result } from '../../../shared/result';
import { normalizeRegistryKey, parentRegistryKey, registryKeyName, type RegEntry, type RegValue, type UnrestorableRegValue } from './registry-model';

/**
 * Parser of `reg.exe query <key>` output (pure; tested on hand-written samples of the documented
 * format and fuzzed). The format, as reg.exe prints it:
 *
 * ```
 * (blank line)
 * HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions
 *     DenyDeviceClasses    REG_DWORD    0x1
 *     DenyDeviceClassesRetroactive    REG_DWORD    0x0
 * (blank line)
 * HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceClasses
 * ```
 *
 * The queried key comes first with its values (four spaces, name, four spaces, type, four spaces,
 * data; an empty value ends after its type), then each direct subkey as a full path. Numbers are
 * printed in `0x` hex, binary data as hex digits, REG_MULTI_SZ items joined by a literal `\0`.
 * Error text goes to stderr in the user's language, so nothing here reads it: absence is decided
 * from the parent's subkey list instead (reg-exe-usb-policy.ts).
 *
 * Anything the parser does not recognise is an error, never skipped: a snapshot that silently
 * missed a value would make the revert plan lose it.
 */

/** One key line of the output and the value lines under it. */
export interface RegQueryBlock {
  /** The key path as printed (`HKEY_LOCAL_MACHINE\...`). */
  readonly key: string;
  readonly entries: readonly RegEntry[];
}

/** Why an output could not be read; `line` is 1-based (0 for the whole text). */
export interface RegQueryParseError {
  readonly line: number;
  readonly message: Localized;
}

/** What `reg.exe query <key>` says about `key`: its values and the full paths of its direct subkeys. */
export interface RegKeyListing {
  readonly values: readonly RegEntry[];
  readonly subkeys: readonly string[];
}

/** Largest output accepted (characters). The keys read here hold a few dozen values. */
export const MAX_REG_QUERY_OUTPUT_CHARS = 1024 * 1024;

const ROOT_LINE = /^(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG)(?:\\.*)?$/;
// Name, then the type token between runs of exactly four spaces; data after a third run. The name
// match is lazy, so the first type token after it ends the name.
const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/;
const KNOWN_TYPES = new Set([
  'REG_SZ',
  'REG_EXPAND_SZ',
  'REG_DWORD',
  'REG_QWORD',
  'REG_BINARY',
  'REG_MULTI_SZ',
  'REG_NONE',
  'REG_DWORD_BIG_ENDIAN',
  'REG_LINK',
  'REG_RESOURCE_LIST',
  'REG_FULL_RESOURCE_DESCRIPTOR',
  'REG_RESOURCE_REQUIREMENTS_LIST',
]);

function problem(line: number, ja: string, en: string): { ok: false; error: RegQueryParseError } {
  return err({ line, message: msg(ja, en) });
}

/** Reads a value's data text into a canonical `RegValue`, or says why it cannot. */
function parseData(type: string, data: string): Result<RegValue | UnrestorableRegValue, Localized> {
  // U+FFFD means the bytes were not in the code page the output was decoded with: the text is not
  // the value, so it cannot be restored.
  if (data.includes('\uFFFD')) return ok({ type: 'unrestorable', typeName: type, raw: data });
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return ok({ type, data });
    case 'REG_DWORD': {
      if (!/^0x[0-9a-fA-F]{1,8}$/.test(data)) return err(msg(`REG_DWORD の値「${data}」を読めません`, `cannot read REG_DWORD data "${data}"`));
      return ok({ type, data: String(Number.parseInt(data.slice(2), 16)) });
    }
    case 'REG_QWORD': {
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(data)) return err(msg(`REG_QWORD の値「${data}」を読めません`, `cannot read REG_QWORD data "${data}"`));
      return ok({ type, data: `0x${BigInt(data).toString(16)}` });
    }
    case 'REG_BINARY': {
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(data)) return err(msg(`REG_BINARY の値「${data}」を読めません`, `cannot read REG_BINARY data "${data}"`));
      return ok({ type, data: data.toUpperCase() });
    }
    default:
      return ok({ type: 'unrestorable', typeName: type, raw: data });
  }
}

/**
 * Parses the whole stdout of one `reg.exe query` run into key blocks, in output order. Never
 * throws; blank lines are ignored; line endings may be CRLF or LF.
 */
export function parseRegQueryOutput(text: string): Result<RegQueryBlock[], RegQueryParseError> {
  if (text.length > MAX_REG_QUERY_OUTPUT_CHARS) {
    return problem(0, `reg.exe の出力が大きすぎます（${text.length} 文字）`, `reg.exe output is too large (${text.length} characters)`);
  }
  const blocks: { key: string; entries: RegEntry[] }[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const lineNumber = index + 1;
    if (line.trim() === '') continue;
    if (ROOT_LINE.test(line)) {
      blocks.push({ key: line, entries: [] });
      continue;
    }
    const value = VALUE_LINE.exec(line);
    if (value === null) {
      return problem(lineNumber, `reg.exe の出力に読めない行があります: ${JSON.stringify(line)}`, `unexpected line in reg.exe output: ${JSON.stringify(line)}`);
    }
    const current = blocks.at(-1);
    if (current === undefined) {
      return problem(lineNumber, 'キーの行より前に値の行があります', 'a value line comes before any key line');
    }
    const name = value[1] as string;
    const type = value[2] as string;
    const data = value[3];
    if (!KNOWN_TYPES.has(type)) {
      return problem(lineNumber, `未知の値の種類 ${type} です`, `unknown value type ${type}`);
    }
    const parsed = parseData(type, data ?? '');
    if (!parsed.ok) return err({ line: lineNumber, message: parsed.error });
    if (current.entries.some((entry) => entry.name.toLowerCase() === name.toLowerCase())) {
      return problem(lineNumber, `値 ${name} が 2 回出てきます`, `value ${name} appears twice`);
    }
    current.entries.push({ name, value: parsed.value });
  }
  return ok(blocks);
}

/**
 * Reads the listing of `key` from the output of `reg.exe query <key>`: the first block must be
 * `key` itself and every further block a direct subkey without values. An output with no key line
 * at all yields `undefined` (the caller confirms from the parent that the key exists and is empty).
 */
export function readKeyListing(text: string, key: string): Result<RegKeyListing | undefined, RegQueryParseError> {
  const parsed = parseRegQueryOutput(text);
  if (!parsed.ok) return parsed;
  const [first, ...rest] = parsed.value;
  if (first === undefined) return ok(undefined);
  if (normalizeRegistryKey(first.key) !== normalizeRegistryKey(key)) {
    return problem(0, `reg.exe が別のキー ${first.key} を表示しました（求めたのは ${key}）`, `reg.exe printed key ${first.key}, not the queried ${key}`);
  }
  const subkeys: string[] = [];
  for (const block of rest) {
    const parent = parentRegistryKey(block.key);
    if (block.entries.length > 0 || parent === undefined || normalizeRegistryKey(parent) !== normalizeRegistryKey(key)) {
      return problem(0, `reg.exe の出力に ${key} の直下ではないキー ${block.key} があります`, `reg.exe output lists ${block.key}, which is not a direct subkey of ${key}`);
    }
    subkeys.push(registryKeyName(block.key));
  }
  return ok({ values: first.entries, subkeys });
}
