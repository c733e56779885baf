// Packaging check of the tray app (issue #5 item 4, dev-environment.md §2.2): `electron-builder
// --linux dir` with electron-builder.yml and a stub electronDist (the Electron binary cannot be
// downloaded here, so a shell script stands in; it carries the fuse wire so the fuse flip runs for
// real). Runs offline. Asserts what the asar holds (the bundled main, preload and renderer; no
// sources, maps, node_modules or secrets) and that the fuses were flipped.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
// @electron/fuses: the sentinel, then the wire version (1), its length, one byte per fuse.
const fuseSentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const fuseNames = ['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar'];

/** A stub Electron distribution: an `electron` script with a fuse wire (all fuses on), version, LICENSE, locales. */
async function writeStubElectronDist(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'locales'), { recursive: true });
  const wire = Buffer.concat([Buffer.from(`# ${fuseSentinel}`), Buffer.from([1, 8]), Buffer.from('11111111'), Buffer.from('\n')]);
  const script = Buffer.from('#!/bin/sh\necho "stub electron: the real binary cannot be downloaded on this machine" >&2\nexit 1\n');
  await writeFile(path.join(dir, 'electron'), Buffer.concat([script, wire]));
  await chmod(path.join(dir, 'electron'), 0o755);
  await writeFile(path.join(dir, 'version'), '45.5.0');
  await writeFile(path.join(dir, 'LICENSE'), 'stub\n');
  for (const locale of ['ja', 'en-US', 'fr', 'de']) await writeFile(path.join(dir, 'locales', `${locale}.pak`), 'stub');
}

/** Files of an asar archive (Chromium Pickle header: sizes, then a JSON directory tree) and a reader. */
function readAsar(archive: Buffer): { files: string[]; read(file: string): Buffer } {
  const headerPickleSize = archive.readUInt32LE(4);
  const jsonLength = archive.readUInt32LE(12);
  const header = JSON.parse(archive.subarray(16, 16 + jsonLength).toString('utf8')) as AsarNode;
  const dataStart = 8 + headerPickleSize;
  const entries = new Map<string, { offset: string; size: number }>();
  const walk = (node: AsarNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const full = prefix === '' ? name : `${prefix}/${name}`;
      if (child.files !== undefined) walk(child, full);
      else entries.set(full, { offset: child.offset ?? '0', size: child.size ?? 0 });
    }
  };
  walk(header, '');
  return {
    files: [...entries.keys()].sort(),
    read(file) {
      const entry = entries.get(file);
      if (entry === undefined) throw new Error(`asar: no ${file}`);
      const start = dataStart + Number(entry.offset);
      return archive.subarray(start, start + entry.size);
    },
  };
}
interface AsarNode {
  files?: Record<string, AsarNode>;
  offset?: string;
  size?: number;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CI: process.env.CI ?? '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('electron-builder --linux dir with a stub Electron', () => {
  let work: string;
  let unpacked: string;
  let asar: ReturnType<typeof readAsar>;
  let builderOutput = '';

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'mng-electron-package-'));
    const stub = path.join(work, 'electron-dist');
    await writeStubElectronDist(stub);
    const result = await run(
      path.join(repoRoot, 'node_modules/.bin/electron-builder'),
      ['--linux', 'dir', '--publish', 'never', `-c.electronDist=${stub}`, '-c.electronVersion=45.5.0', `-c.directories.output=${path.join(work, 'out')}`],
      repoRoot,
    );
    builderOutput = result.output;
    expect(result.code, builderOutput).toBe(0);
    unpacked = path.join(work, 'out/linux-unpacked');
    asar = readAsar(await readFile(path.join(unpacked, 'resources/app.asar')));
  }, 120_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('packs exactly the bundled main, preload and renderer, and package.json', () => {
    expect(asar.files).toEqual([
      'dist/electron/main.js',
      'dist/electron/preload.js',
      'dist/electron/renderer/index.html',
      'dist/electron/renderer/renderer.css',
      'dist/electron/renderer/renderer.js',
      'package.json',
    ]);
  });

  it('carries the XDG autostart entry as a resource (the deb installs it to /etc/xdg/autostart)', async () => {
    const entry = await readFile(path.join(unpacked, 'resources/autostart/jp.mynumber-guard.tray.desktop'), 'utf8');
    expect(entry).toContain('Exec=/opt/mynumber-guard/mynumber-guard');
    expect(entry).toContain('X-GNOME-Autostart-enabled=true');
  });

  it('starts from dist/electron/main.js', () => {
    const manifest = JSON.parse(asar.read('package.json').toString('utf8')) as { main?: string; name?: string };
    expect(manifest.main).toBe('dist/electron/main.js');
    expect(manifest.name).toBe('mynumber-guard');
  });

  it('holds no sources, maps, node_modules or key material', () => {
    for (const file of asar.files) {
      expect(file).not.toMatch(/^src\/|\.ts$|\.map$|node_modules|\.pem$|\.key$|\.env|policies\//);
    }
    for (const file of asar.files) {
      expect(asar.read(file).toString('utf8')).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|otpauth:\/\/|sourceMappingURL/);
    }
  });

  it('needs nothing at run time but electron and node builtins (everything else is bundled)', () => {
    const main = asar.read('dist/electron/main.js').toString('utf8');
    const required = new Set([...main.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!));
    const builtins = new Set(builtinModules);
    const foreign = [...required].filter((name) => name !== 'electron' && !builtins.has(name.replace(/^node:/, '')));
    expect(foreign).toEqual([]);
    expect(required).toContain('electron');
    const preload = asar.read('dist/electron/preload.js').toString('utf8');
    // A sandboxed preload can require only `electron` (and a few polyfilled modules): it must be self-contained.
    expect([...preload.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1])).toEqual(['electron']);
  });

  it('flips the fuses: no RunAsNode, no NODE_OPTIONS, no inspect flags; asar integrity and asar-only on', async () => {
    const binary = await readFile(path.join(unpacked, 'mynumber-guard'));
    const at = binary.indexOf(fuseSentinel);
    expect(at).toBeGreaterThan(0);
    const wire = binary.subarray(at + fuseSentinel.length + 2, at + fuseSentinel.length + 2 + fuseNames.length).toString('latin1');
    expect(Object.fromEntries(fuseNames.map((name, index) => [name, wire[index]]))).toEqual({
      RunAsNode: '0',
      EnableCookieEncryption: '1',
      EnableNodeOptionsEnvironmentVariable: '0',
      EnableNodeCliInspectArguments: '0',
      EnableEmbeddedAsarIntegrityValidation: '1',
      OnlyLoadAppFromAsar: '1',
    });
  });

  it('keeps only the Japanese and English locales', async () => {
    expect((await readdir(path.join(unpacked, 'locales'))).sort()).toEqual(['en-US.pak', 'ja.pak']);
  });
});
