#!/usr/bin/env node
// `npm run package:agent`: the agent's Debian package, mynumber-guard-agent_<version>_<arch>.deb,
// built offline with dpkg-deb (no fpm, no network). What it installs (docs/agent.md "Installing"):
//   /usr/lib/mynumber-guard/            agent.js, mng.js, their production node_modules
//   /usr/lib/mynumber-guard/bin/node    the Node.js runtime the build ran on (Debian 12's nodejs is
//                                       18, too old): the agent runs on the runtime it was tested with
//   /usr/bin/mng                        the CLI
//   /lib/systemd/system/mynumber-guard-agent.service
//   /etc/mynumber-guard/agent.yaml      (conffile) and an empty trust.d/ for IT's signing keys
// Maintainer scripts: packaging/linux/agent/{postinst,prerm,postrm}. The tray app is packaged
// separately by electron-builder (electron-builder.yml).
//
// Usage: node scripts/package-agent.mjs [--out <dir>] [--no-build] [--compression gzip|xz|none]
// Prints the path of the package on its last line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildAll } from './build.mjs';
import { findRepoRoot } from './repo-root.mjs';

const root = findRepoRoot(import.meta.url);
const packaging = path.join(root, 'packaging', 'linux', 'agent');
export const agentPackageName = 'mynumber-guard-agent';
/** Where the agent lives on an installed terminal. */
export const installPrefix = '/usr/lib/mynumber-guard';

/** Debian's name for the architecture Node runs on. */
function debianArch() {
  const map = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf' };
  const arch = map[process.arch];
  if (arch === undefined) throw new Error(`package-agent: no Debian architecture for ${process.arch}`);
  return arch;
}

/** The packages the agent needs at run time: package-lock entries not marked dev (npm's own closure). */
function productionPackages() {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true)
    .map(([key]) => key);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`package-agent: ${command} ${args.join(' ')} failed (${result.status ?? result.error?.message}): ${result.stderr ?? ''}`);
  return result.stdout;
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) out.push(...listFiles(full, base));
    else if (stat.isFile()) out.push(path.relative(base, full));
  }
  return out;
}

function directorySizeKiB(dir) {
  let bytes = 0;
  for (const file of listFiles(dir)) bytes += statSync(path.join(dir, file)).size;
  return Math.ceil(bytes / 1024);
}

/** Builds the package; returns its path. */
export async function packageAgent({ outDir = path.join(root, 'out', 'deb'), build = true, compression = 'gzip' } = {}) {
  if (build) await buildAll({ quiet: true });
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const arch = debianArch();
  const staging = path.join(root, '.tmp', `deb-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const lib = path.join(staging, installPrefix.slice(1));
    mkdirSync(path.join(lib, 'bin'), { recursive: true });
    for (const name of ['agent.js', 'mng.js']) {
      const from = path.join(root, 'dist', name);
      if (!existsSync(from)) throw new Error(`package-agent: ${from} is missing (npm run build)`);
      copyFileSync(from, path.join(lib, name));
    }
    // The bundles are ES modules; their dependencies resolve from the node_modules beside them.
    writeFileSync(path.join(lib, 'package.json'), `${JSON.stringify({ name: agentPackageName, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`);
    for (const key of productionPackages()) {
      const from = path.join(root, key);
      if (!existsSync(from)) continue;
      cpSync(from, path.join(lib, key), {
        recursive: true,
        // Native prebuilds for other systems have no place on a Linux terminal.
        filter: (source) => {
          const relative = path.relative(from, source);
          const [first, second] = relative.split(path.sep);
          return !(first === 'prebuilds' && second !== undefined && !second.startsWith(`linux-${process.arch}`));
        },
      });
    }
    copyFileSync(process.execPath, path.join(lib, 'bin', 'node'));
    chmodSync(path.join(lib, 'bin', 'node'), 0o755);
    copyFileSync(path.join(packaging, 'mng'), path.join(lib, 'bin', 'mng'));
    chmodSync(path.join(lib, 'bin', 'mng'), 0o755);
    mkdirSync(path.join(staging, 'usr', 'bin'), { recursive: true });
    symlinkSync(`../lib/mynumber-guard/bin/mng`, path.join(staging, 'usr', 'bin', 'mng'));

    const unitDir = path.join(staging, 'lib', 'systemd', 'system');
    mkdirSync(unitDir, { recursive: true });
    copyFileSync(path.join(packaging, 'mynumber-guard-agent.service'), path.join(unitDir, 'mynumber-guard-agent.service'));
    const etc = path.join(staging, 'etc', 'mynumber-guard');
    mkdirSync(path.join(etc, 'trust.d'), { recursive: true });
    copyFileSync(path.join(packaging, 'agent.yaml'), path.join(etc, 'agent.yaml'));
    chmodSync(path.join(etc, 'agent.yaml'), 0o644);

    const doc = path.join(staging, 'usr', 'share', 'doc', agentPackageName);
    mkdirSync(doc, { recursive: true });
    writeFileSync(
      path.join(doc, 'copyright'),
      [
        'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
        `Upstream-Name: mynumber-guard`,
        '',
        'Files: *',
        'License: Apache-2.0',
        '',
        `Files: ${installPrefix}/bin/node`,
        `Comment: the Node.js ${process.version} runtime, bundled unchanged`,
        'License: Expat (Node.js) and the licenses of its bundled components',
        '',
        `Files: ${installPrefix}/node_modules/*`,
        'Comment: each package carries its license file in its folder',
        '',
      ].join('\n'),
    );

    const debian = path.join(staging, 'DEBIAN');
    mkdirSync(debian, { recursive: true });
    for (const script of ['postinst', 'prerm', 'postrm']) {
      copyFileSync(path.join(packaging, script), path.join(debian, script));
      chmodSync(path.join(debian, script), 0o755);
    }
    writeFileSync(path.join(debian, 'conffiles'), '/etc/mynumber-guard/agent.yaml\n');
    const md5 = listFiles(staging)
      .filter((file) => !file.startsWith('DEBIAN/') && !file.startsWith('etc/'))
      .map((file) => `${createHash('md5').update(readFileSync(path.join(staging, file))).digest('hex')}  ${file}`);
    writeFileSync(path.join(debian, 'md5sums'), `${md5.join('\n')}\n`);
    writeFileSync(
      path.join(debian, 'control'),
      [
        `Package: ${agentPackageName}`,
        `Version: ${pkg.version}`,
        `Architecture: ${arch}`,
        'Maintainer: mynumber-guard contributors <mynumber-guard@users.noreply.github.com>',
        `Installed-Size: ${directorySizeKiB(staging)}`,
        'Depends: systemd, libudev1, util-linux, mount, iproute2, procps, init-system-helpers',
        'Recommends: udisks2, polkitd, cups-client, libpam-oath',
        'Section: admin',
        'Priority: optional',
        'Homepage: https://github.com/mynumber-guard/mynumber-guard',
        'Description: endpoint control for My Number zone terminals (agent)',
        ' The privileged agent of mynumber-guard: USB device control, removable media and',
        ' export ledger, radios and printers, zone isolation check, TOTP multi-factor',
        ' unlock, and a hash-chained audit log, from one signed zone policy.',
        '',
      ].join('\n'),
    );
    mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, `${agentPackageName}_${pkg.version}_${arch}.deb`);
    const level = compression === 'none' ? [] : ['-z6'];
    run('dpkg-deb', ['--root-owner-group', `-Z${compression}`, ...level, '--build', staging, out]);
    return out;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// Run as a command, not when imported (nor when bundled into another file, where import.meta.url is that file).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && import.meta.url.endsWith('/package-agent.mjs')) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'no-build': { type: 'boolean' }, compression: { type: 'string' } },
  });
  const compression = values.compression ?? 'gzip';
  if (!['gzip', 'xz', 'none'].includes(compression)) {
    process.stderr.write(`package-agent: --compression must be gzip, xz or none (got ${compression})\n`);
    process.exit(2);
  }
  packageAgent({ outDir: values.out === undefined ? undefined : path.resolve(values.out), build: values['no-build'] !== true, compression })
    .then((out) => process.stdout.write(`${out}\n`))
    .catch((error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    });
}
