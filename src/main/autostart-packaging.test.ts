// The autostart entry the deb package installs (packaging/linux/autostart) is exactly what
// src/main/autostart.ts renders for the installed executable: the two cannot drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { autostartFileName, renderDesktopEntry } from './autostart';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

describe('packaged autostart entry', () => {
  it('equals the rendered entry for /opt/mynumber-guard/mynumber-guard', () => {
    const packaged = readFileSync(path.join(repoRoot, 'packaging', 'linux', 'autostart', autostartFileName), 'utf8');
    expect(packaged).toBe(renderDesktopEntry('/opt/mynumber-guard/mynumber-guard'));
  });

  it('the deb scripts install and remove that file under /etc/xdg/autostart', () => {
    const install = readFileSync(path.join(repoRoot, 'packaging', 'linux', 'after-install.sh'), 'utf8');
    const remove = readFileSync(path.join(repoRoot, 'packaging', 'linux', 'after-remove.sh'), 'utf8');
    expect(install).toContain(`/opt/mynumber-guard/resources/autostart/${autostartFileName} /etc/xdg/autostart/${autostartFileName}`);
    expect(remove).toContain(`/etc/xdg/autostart/${autostartFileName}`);
  });
});
