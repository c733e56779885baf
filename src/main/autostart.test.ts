import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planWindowsRunKey, planXdgAutostart, quoteExecArgument, quoteWindowsArgument, renderDesktopEntry, writeXdgAutostart } from './autostart';

describe('XDG autostart entry', () => {
  it('goes to /etc/xdg/autostart for every user and to ~/.config/autostart for one', () => {
    expect(planXdgAutostart({ scope: 'system', execPath: '/opt/mynumber-guard/mynumber-guard' }).path).toBe(
      '/etc/xdg/autostart/jp.mynumber-guard.tray.desktop',
    );
    expect(planXdgAutostart({ scope: 'user', execPath: '/opt/m/m', homeDir: '/home/staff01' }).path).toBe(
      '/home/staff01/.config/autostart/jp.mynumber-guard.tray.desktop',
    );
    expect(planXdgAutostart({ scope: 'user', execPath: '/opt/m/m', homeDir: '/export/users/a', xdgConfigHome: '/srv/cfg' }).path).toBe(
      '/srv/cfg/autostart/jp.mynumber-guard.tray.desktop',
    );
    // XDG Base Directory: a relative XDG_CONFIG_HOME is ignored.
    expect(planXdgAutostart({ scope: 'user', execPath: '/opt/m/m', homeDir: '/export/users/a', xdgConfigHome: 'cfg' }).path).toBe(
      '/export/users/a/.config/autostart/jp.mynumber-guard.tray.desktop',
    );
    expect(() => planXdgAutostart({ scope: 'user', execPath: '/opt/m/m' })).toThrow(/home/);
  });

  it('writes a valid desktop entry with a quoted Exec line', () => {
    const entry = renderDesktopEntry('/opt/mynumber guard/mynumber-guard', ['--hidden', '100%']);
    expect(entry).toMatch(/^\[Desktop Entry\]\n/);
    expect(entry).toContain('Type=Application\n');
    expect(entry).toContain('Exec="/opt/mynumber guard/mynumber-guard" --hidden 100%%\n');
    expect(entry).toContain('Name[ja]=mynumber-guard\n');
    expect(entry).toContain('NoDisplay=true\n');
    expect(entry.endsWith('\n')).toBe(true);
  });

  it.each([
    ['plain', 'plain'],
    ['with space', '"with space"'],
    ['a"b', '"a\\\\"b"'],
    ['$HOME', '"\\\\$HOME"'],
    ['back\\slash', '"back\\\\\\\\slash"'],
    ['50%', '50%%'],
    ['', '""'],
  ])('quotes %j for Exec as %s', (input, expected) => {
    expect(quoteExecArgument(input)).toBe(expected);
  });

  it('refuses relative executables and line breaks', () => {
    expect(() => renderDesktopEntry('mynumber-guard')).toThrow(/absolute/);
    expect(() => quoteExecArgument('a\nExec=evil')).toThrow(/line break/);
  });

  it('writes the file atomically with mode 0644', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mng-autostart-'));
    try {
      const plan = planXdgAutostart({ scope: 'system', execPath: '/opt/m/m', systemRoot: dir });
      await writeXdgAutostart(plan);
      expect(await readFile(plan.path, 'utf8')).toBe(plan.content);
      expect((await stat(plan.path)).mode & 0o777).toBe(0o644);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Windows Run key plan', () => {
  it('uses HKLM for every user and HKCU for one, always with a quoted executable', () => {
    const system = planWindowsRunKey({ scope: 'system', exePath: 'C:\\Program Files\\mynumber-guard\\mynumber-guard.exe', args: ['--hidden'] });
    expect(system).toEqual({
      hive: 'HKLM',
      key: 'Software\\Microsoft\\Windows\\CurrentVersion\\Run',
      valueName: 'mynumber-guard',
      valueType: 'REG_SZ',
      data: '"C:\\Program Files\\mynumber-guard\\mynumber-guard.exe" --hidden',
      regArgs: [
        'add',
        'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
        '/v',
        'mynumber-guard',
        '/t',
        'REG_SZ',
        '/d',
        '"C:\\Program Files\\mynumber-guard\\mynumber-guard.exe" --hidden',
        '/f',
        '/reg:64',
      ],
    });
    const user = planWindowsRunKey({ scope: 'user', exePath: 'C:\\mng\\mng.exe' });
    expect(user.hive).toBe('HKCU');
    // CWE-428: even a path without spaces is quoted.
    expect(user.data).toBe('"C:\\mng\\mng.exe"');
  });

  it.each([
    ['simple', 'simple'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['', '""'],
  ])('quotes %j as CommandLineToArgvW reads it: %s', (input, expected) => {
    expect(quoteWindowsArgument(input)).toBe(expected);
  });

  it('refuses a relative executable', () => {
    expect(() => planWindowsRunKey({ scope: 'user', exePath: 'mng.exe' })).toThrow(/absolute/);
  });
});
