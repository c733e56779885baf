// The agent's Debian package (scripts/package-agent.mjs), built and taken apart on this machine:
// control data, conffiles and maintainer scripts, the files a terminal gets, and the packaged
// runtime running the packaged agent and mng from an extracted tree (so no dependency is missing
// from the package). Installing it and the unit's life under systemd: test/vm (docs/testing.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageAgent } from '../../scripts/package-agent.mjs';
import { needTools } from '../helpers/system-tools';

const ready = needTools('dpkg-deb');

describe.skipIf(!ready)('the agent deb', () => {
  let work: string;
  let deb: string;
  let root: string;
  const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mng-agent-deb-'));
    deb = (await packageAgent({ outDir: work, build: false, compression: 'gzip' })) as string;
    root = path.join(work, 'root');
    expect(run('dpkg-deb', ['-x', deb, root]).status).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('has the control data, the conffile and the maintainer scripts', () => {
    const info = run('dpkg-deb', ['--info', deb]).stdout;
    expect(info).toMatch(/Package: mynumber-guard-agent\n/);
    expect(info).toMatch(/Depends: systemd, /);
    for (const script of ['postinst', 'prerm', 'postrm', 'conffiles', 'md5sums']) expect(info).toContain(` ${script}`);
    expect(run('dpkg-deb', ['--ctrl-tarfile', deb]).status).toBe(0);
    const conffiles = run('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./conffiles`]).stdout;
    expect(conffiles).toBe('/etc/mynumber-guard/agent.yaml\n');
  });

  it('installs the unit, the config, an empty trust store, the runtime and mng; native prebuilds for this system only', () => {
    const files = run('dpkg-deb', ['--contents', deb]).stdout;
    for (const entry of [
      './lib/systemd/system/mynumber-guard-agent.service',
      './etc/mynumber-guard/agent.yaml',
      './etc/mynumber-guard/trust.d/',
      './usr/lib/mynumber-guard/agent.js',
      './usr/lib/mynumber-guard/mng.js',
      './usr/lib/mynumber-guard/bin/node',
      './usr/bin/mng -> ../lib/mynumber-guard/bin/mng',
    ]) {
      expect(files).toContain(entry);
    }
    expect(files).not.toMatch(/node_modules\/(vitest|typescript|electron|esbuild)\//);
    expect(files).not.toMatch(/usb\/prebuilds\/(win32|darwin|android)/);
    const unit = readFileSync(path.join(root, 'lib/systemd/system/mynumber-guard-agent.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/lib/mynumber-guard/bin/node /usr/lib/mynumber-guard/agent.js --config /etc/mynumber-guard/agent.yaml');
  });

  it('the packaged runtime runs the packaged agent and mng with the packaged dependencies only', () => {
    const node = path.join(root, 'usr/lib/mynumber-guard/bin/node');
    const env = { PATH: '/usr/bin:/bin', NODE_PATH: '' };
    const version = spawnSync(node, [path.join(root, 'usr/lib/mynumber-guard/agent.js'), '--version'], { encoding: 'utf8', env, cwd: work });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const check = spawnSync(node, [path.join(root, 'usr/lib/mynumber-guard/mng.js'), '--json', 'usb', 'rule', 'check', 'allow with-interface 03:01:01'], { encoding: 'utf8', env, cwd: work });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
