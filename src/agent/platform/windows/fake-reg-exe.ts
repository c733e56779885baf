import type { CommandOutcome, CommandRunner } from './command-runner';
import { normalizeRegistryKey, parentRegistryKey } from './registry-model';

/**
 * A stand-in for reg.exe over an in-memory registry, for the adapter's tests (these machines run
 * Linux, so the real reg.exe cannot run here). It answers `query`, `add` and `delete` with the
 * exit codes and the output format reg.exe documents: a blank line, the key as
 * `HKEY_LOCAL_MACHINE\...`, value lines `    name    TYPE    data` (an empty value ends after its
 * type), a blank line, then each direct subkey as a full path. Errors go to stderr with exit 1.
 *
 * What it cannot prove: that Windows prints exactly this, in every language and code page. The
 * parser's own tests use hand-written samples; the adapter is written not to depend on error text.
 */

/** A value as reg.exe prints it: type name and data text (`REG_DWORD`, `0x4`). */
export interface FakeRegValue {
  readonly type: string;
  readonly data: string;
}

/** Initial registry content: key path → value name → value. Ancestors are created implicitly. */
export type FakeRegistryContent = Readonly<Record<string, Readonly<Record<string, FakeRegValue>>>>;

/** Options of `createFakeRegExe`. */
export interface FakeRegExeOptions {
  /** The program path the adapter must use; any other is refused (exit 9009, like cmd's "not found"). */
  readonly regExePath?: string;
  /** Commands (argument arrays) that fail with "Access is denied." and exit 1. */
  readonly denies?: (args: readonly string[]) => boolean;
  /** Commands that hang until the runner's time limit (reported as timed out). */
  readonly hangs?: (args: readonly string[]) => boolean;
  /** Print nothing at all for a key without values and subkeys (reg.exe's behaviour there is not documented). */
  readonly emptyKeyPrintsNothing?: boolean;
}

interface FakeKey {
  path: string;
  values: Map<string, { name: string; value: FakeRegValue }>;
}

/** The fake: a `CommandRunner`, the calls it saw, and the registry content for assertions. */
export interface FakeRegExe extends CommandRunner {
  /** Every call's arguments, in order. */
  readonly calls: string[][];
  /** The registry as plain data: normalized key → sorted `name=TYPE:data` strings. */
  dump(): Record<string, string[]>;
  /** Changes the registry behind the adapter's back (a GPO refresh, an administrator). */
  set(key: string, name: string, value: FakeRegValue): void;
}

const NOT_FOUND = 'ERROR: The system was unable to find the specified registry key or value.\r\n';
const DENIED = 'ERROR: Access is denied.\r\n';
const HIVES: Record<string, string> = { hklm: 'HKEY_LOCAL_MACHINE' };

function displayPath(key: string): string {
  const [root, ...rest] = key.split('\\');
  const long = HIVES[(root ?? '').toLowerCase()] ?? root ?? '';
  return [long, ...rest].join('\\');
}

/** Creates the fake with `content` (plus `HKLM`, `HKLM\SOFTWARE` and `HKLM\SYSTEM`). */
export function createFakeRegExe(content: FakeRegistryContent, options: FakeRegExeOptions = {}): FakeRegExe {
  const keys = new Map<string, FakeKey>();
  const ensureKey = (key: string): FakeKey => {
    const id = normalizeRegistryKey(key);
    const existing = keys.get(id);
    if (existing !== undefined) return existing;
    const parent = parentRegistryKey(key);
    if (parent !== undefined) ensureKey(parent);
    const created: FakeKey = { path: displayPath(key.replace(/\\+$/, '')), values: new Map() };
    keys.set(id, created);
    return created;
  };
  for (const root of ['HKLM\\SOFTWARE', 'HKLM\\SYSTEM']) ensureKey(root);
  for (const [key, values] of Object.entries(content)) {
    const entry = ensureKey(key);
    for (const [name, value] of Object.entries(values)) entry.values.set(name.toLowerCase(), { name, value });
  }

  const outcome = (exitCode: number | null, stdout = '', stderr = '', timedOut = false): CommandOutcome => ({ exitCode, stdout, stderr, timedOut });
  const childrenOf = (id: string): FakeKey[] =>
    [...keys.entries()].filter(([other]) => parentRegistryKey(other) === id).map(([, key]) => key).sort((a, b) => a.path.localeCompare(b.path));

  const query = (key: string): CommandOutcome => {
    const id = normalizeRegistryKey(key);
    const found = keys.get(id);
    if (found === undefined) return outcome(1, '', NOT_FOUND);
    const children = childrenOf(id);
    if (found.values.size === 0 && children.length === 0 && options.emptyKeyPrintsNothing === true) return outcome(0, '');
    const lines = ['', found.path];
    for (const { name, value } of found.values.values()) lines.push(value.data === '' ? `    ${name}    ${value.type}` : `    ${name}    ${value.type}    ${value.data}`);
    if (children.length > 0) {
      lines.push('');
      for (const child of children) lines.push(child.path);
    }
    lines.push('');
    return outcome(0, `${lines.join('\r\n')}\r\n`);
  };

  const printed = (type: string, data: string): FakeRegValue | undefined => {
    switch (type) {
      case 'REG_DWORD': {
        if (!/^(?:0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(data)) return undefined;
        const n = Number(data);
        return n > 0xffff_ffff ? undefined : { type, data: `0x${n.toString(16)}` };
      }
      case 'REG_QWORD':
        return /^(?:0|[1-9][0-9]*|0x[0-9a-fA-F]{1,16})$/.test(data) ? { type, data: `0x${BigInt(data).toString(16)}` } : undefined;
      case 'REG_BINARY':
        return /^(?:[0-9a-fA-F]{2})*$/.test(data) ? { type, data: data.toUpperCase() } : undefined;
      case 'REG_SZ':
      case 'REG_EXPAND_SZ':
        return { type, data };
      default:
        return undefined;
    }
  };

  const flag = (args: readonly string[], name: string): string | undefined => {
    const at = args.findIndex((arg) => arg.toLowerCase() === name);
    return at < 0 ? undefined : args[at + 1];
  };

  const fake: FakeRegExe = {
    calls: [],
    async run(file, args) {
      fake.calls.push([...args]);
      if (options.regExePath !== undefined && file !== options.regExePath) return outcome(9009, '', `'${file}' is not recognized\r\n`);
      if (options.hangs?.(args) === true) return outcome(null, '', '', true);
      if (options.denies?.(args) === true) return outcome(1, '', DENIED);
      if (args.at(-1) !== '/reg:64') return outcome(1, '', 'ERROR: this fake wants /reg:64 last\r\n');
      const [operation, key] = args;
      if (key === undefined) return outcome(1, '', 'ERROR: Invalid syntax.\r\n');
      switch (operation) {
        case 'query':
          return query(key);
        case 'add': {
          const name = flag(args, '/v');
          const type = flag(args, '/t');
          const data = flag(args, '/d');
          if (name === undefined || type === undefined || data === undefined || !args.includes('/f')) return outcome(1, '', 'ERROR: Invalid syntax.\r\n');
          const value = printed(type, data);
          if (value === undefined) return outcome(1, '', 'ERROR: Invalid value.\r\n');
          ensureKey(key).values.set(name.toLowerCase(), { name, value });
          return outcome(0, 'The operation completed successfully.\r\n');
        }
        case 'delete': {
          if (!args.includes('/f')) return outcome(1, '', 'ERROR: Invalid syntax.\r\n');
          const id = normalizeRegistryKey(key);
          const found = keys.get(id);
          if (found === undefined) return outcome(1, '', NOT_FOUND);
          const name = flag(args, '/v');
          if (name !== undefined) {
            if (!found.values.delete(name.toLowerCase())) return outcome(1, '', NOT_FOUND);
            return outcome(0, 'The operation completed successfully.\r\n');
          }
          for (const other of [...keys.keys()]) if (other === id || other.startsWith(`${id}\\`)) keys.delete(other);
          return outcome(0, 'The operation completed successfully.\r\n');
        }
        default:
          return outcome(1, '', 'ERROR: Invalid syntax.\r\n');
      }
    },
    dump() {
      const out: Record<string, string[]> = {};
      for (const [id, key] of [...keys.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        out[id] = [...key.values.values()].map(({ name, value }) => `${name}=${value.type}:${value.data}`).sort();
      }
      return out;
    },
    set(key, name, value) {
      ensureKey(key).values.set(name.toLowerCase(), { name, value });
    },
  };
  return fake;
}

/**
 * A freshly installed Windows as far as the USB policy is concerned: the policy keys absent, the
 * USB storage drivers present with `Start` 3, and a few unrelated policy subkeys.
 */
export const FRESH_WINDOWS_REGISTRY: FakeRegistryContent = {
  'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Appx': {},
  'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\BITS': {},
  'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DataCollection': { AllowTelemetry: { type: 'REG_DWORD', data: '0x1' } },
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR': {
    Start: { type: 'REG_DWORD', data: '0x3' },
    Type: { type: 'REG_DWORD', data: '0x1' },
    ImagePath: { type: 'REG_EXPAND_SZ', data: '\\SystemRoot\\System32\\drivers\\USBSTOR.SYS' },
  },
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\UASPStor': {
    Start: { type: 'REG_DWORD', data: '0x3' },
    ImagePath: { type: 'REG_EXPAND_SZ', data: '\\SystemRoot\\System32\\drivers\\uaspstor.sys' },
  },
};
