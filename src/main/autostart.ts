/**
 * Start at login for every user (issue #5 item 4). Linux: an XDG autostart entry (Desktop Entry
 * Specification 1.5; XDG Autostart Specification 0.5), system-wide in /etc/xdg/autostart or per user
 * in $XDG_CONFIG_HOME/autostart. Windows: a value under the Run key, as a plan (pure and tested; the
 * registry cannot be reached here). Plans are pure; {@link writeXdgAutostart} is the thin writer.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** File name of the autostart entry. */
export const autostartFileName = 'jp.mynumber-guard.tray.desktop';

/** Where the entry goes: every user (installer, root) or the current user. */
export type AutostartScope = 'system' | 'user';

/** A file to write. */
export interface AutostartFilePlan {
  readonly path: string;
  readonly content: string;
  /** Octal file mode. */
  readonly mode: number;
}

/**
 * Quotes one argument for the Exec key (Desktop Entry Specification, "The Exec key"): arguments
 * with reserved characters go in double quotes, inside which `"`, `` ` ``, `$` and `\` are
 * backslash-escaped; `%` is doubled because field codes start with it. Then the string-value
 * escape of the .desktop format doubles every backslash once more.
 */
export function quoteExecArgument(argument: string): string {
  if (/[\n\r\t]/.test(argument)) throw new RangeError('autostart: an Exec argument cannot contain a line break or tab');
  const percent = argument.replace(/%/g, '%%');
  const needsQuotes = percent === '' || /[ "'\\><~|&;$*?#()`=]/.test(percent);
  const quoted = needsQuotes ? `"${percent.replace(/(["`$\\])/g, '\\$1')}"` : percent;
  return quoted.replace(/\\/g, '\\\\');
}

/** Text of the .desktop entry. `execPath` is absolute; `args` are passed as given. */
export function renderDesktopEntry(execPath: string, args: readonly string[] = []): string {
  if (!path.posix.isAbsolute(execPath)) throw new RangeError(`autostart: the executable path must be absolute: ${execPath}`);
  const exec = [execPath, ...args].map(quoteExecArgument).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    'Name=mynumber-guard',
    'Name[ja]=mynumber-guard',
    'Comment=Multi-factor unlock and export control for My Number zone terminals',
    'Comment[ja]=マイナンバー利用事務系端末の多要素認証・持ち出し制御',
    `Exec=${exec}`,
    'Terminal=false',
    'NoDisplay=true',
    'X-GNOME-Autostart-enabled=true',
    // Start early in the session: the agent locks a session whose tray app does not report.
    'X-GNOME-Autostart-Phase=Applications',
    'X-KDE-autostart-phase=1',
    '',
  ].join('\n');
}

/** Inputs of {@link planXdgAutostart}. */
export interface XdgAutostartInput {
  readonly scope: AutostartScope;
  readonly execPath: string;
  readonly args?: readonly string[];
  /** $HOME of the user (scope `user`). */
  readonly homeDir?: string;
  /** $XDG_CONFIG_HOME when set and absolute (scope `user`); else ~/.config. */
  readonly xdgConfigHome?: string;
  /** Root for the system directory (tests and package staging); default `/`. */
  readonly systemRoot?: string;
}

/** Where and what to write for an XDG autostart entry. */
export function planXdgAutostart(input: XdgAutostartInput): AutostartFilePlan {
  const content = renderDesktopEntry(input.execPath, input.args ?? []);
  if (input.scope === 'system') {
    return { path: path.posix.join(input.systemRoot ?? '/', 'etc/xdg/autostart', autostartFileName), content, mode: 0o644 };
  }
  // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const configHome =
    input.xdgConfigHome !== undefined && path.posix.isAbsolute(input.xdgConfigHome)
      ? input.xdgConfigHome
      : input.homeDir !== undefined && path.posix.isAbsolute(input.homeDir)
        ? path.posix.join(input.homeDir, '.config')
        : null;
  if (configHome === null) throw new RangeError('autostart: the user scope needs an absolute home directory or XDG_CONFIG_HOME');
  return { path: path.posix.join(configHome, 'autostart', autostartFileName), content, mode: 0o644 };
}

/** Writes a plan atomically (temp file + rename), creating the directory. */
export async function writeXdgAutostart(plan: AutostartFilePlan): Promise<void> {
  await mkdir(path.dirname(plan.path), { recursive: true, mode: 0o755 });
  const temp = `${plan.path}.${process.pid}.tmp`;
  await writeFile(temp, plan.content, { mode: plan.mode });
  await rename(temp, plan.path);
}

/** A Windows Run-key value to set. */
export interface WindowsRunKeyPlan {
  readonly hive: 'HKLM' | 'HKCU';
  readonly key: string;
  readonly valueName: string;
  readonly valueType: 'REG_SZ';
  readonly data: string;
  /** `reg.exe` arguments that apply the plan (each one argv element; no shell). */
  readonly regArgs: readonly string[];
}

/** The Run key every user's logon reads (HKLM) or the current user's (HKCU). */
export const windowsRunKey = 'Software\\Microsoft\\Windows\\CurrentVersion\\Run';

/**
 * Quotes one argument the way CommandLineToArgvW reads it back (backslashes before a quote are
 * doubled, quotes escaped), so a path with spaces stays one argument.
 */
export function quoteWindowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  let result = '"';
  let backslashes = 0;
  for (const char of argument) {
    if (char === '\\') {
      backslashes += 1;
      continue;
    }
    if (char === '"') result += '\\'.repeat(backslashes * 2 + 1) + '"';
    else result += '\\'.repeat(backslashes) + char;
    backslashes = 0;
  }
  return `${result}${'\\'.repeat(backslashes * 2)}"`;
}

/**
 * The Run-key value for the tray app. `system` (installer, administrator) uses HKLM so it starts
 * for every user; `user` uses HKCU. The 64-bit registry view is asked for explicitly so a 32-bit
 * installer does not land in WOW6432Node.
 */
export function planWindowsRunKey(input: { scope: AutostartScope; exePath: string; args?: readonly string[] }): WindowsRunKeyPlan {
  if (!/^[A-Za-z]:\\/.test(input.exePath)) throw new RangeError(`autostart: the executable path must be an absolute Windows path: ${input.exePath}`);
  const hive = input.scope === 'system' ? 'HKLM' : 'HKCU';
  const data = [input.exePath, ...(input.args ?? [])].map(quoteWindowsArgument).join(' ');
  // Always quote the executable, even without spaces: an unquoted path is a classic hijack (CWE-428).
  const quotedData = data.startsWith('"') ? data : `"${input.exePath}"${data.slice(input.exePath.length)}`;
  const valueName = 'mynumber-guard';
  return {
    hive,
    key: windowsRunKey,
    valueName,
    valueType: 'REG_SZ',
    data: quotedData,
    regArgs: ['add', `${hive}\\${windowsRunKey}`, '/v', valueName, '/t', 'REG_SZ', '/d', quotedData, '/f', '/reg:64'],
  };
}
