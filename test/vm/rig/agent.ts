// The agent inside the test machine, installed the way a terminal gets it: the deb from
// scripts/package-agent.mjs (files, systemd unit, conffile, maintainer scripts), the IT signing
// key in /etc/mynumber-guard/trust.d and a signed bundle at /etc/mynumber-guard/policy.bundle.json.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { createPolicyBundle } from '../../../src/agent/policy';
import type { ZonePolicy } from '../../../src/shared/policy/schema';
import { packageAgent } from '../../../scripts/package-agent.mjs';
import { repoRoot } from '../../helpers/mng';
import { createSigner, defaultPolicyText } from '../../helpers/policy-fixtures';
import type { Guest } from './guest';
import { vmCacheDir } from './image';

export const agentUnit = 'mynumber-guard-agent.service';
export const agentStateDir = '/var/lib/mynumber-guard';
export const agentAuditLog = `${agentStateDir}/audit.jsonl`;
export const agentBundlePath = '/etc/mynumber-guard/policy.bundle.json';
export const agentTrustDir = '/etc/mynumber-guard/trust.d';
export const agentConfigPath = '/etc/mynumber-guard/agent.yaml';
/** Where the guest sees the share folder (machine.ts mounts it). */
export const guestShare = '/srv/host';

let packaged: Promise<string> | undefined;

/** Builds the agent's deb once per test process (dist/ is built by the global setup). */
export function agentPackage(): Promise<string> {
  packaged ??= packageAgent({ outDir: path.join(vmCacheDir, 'deb'), build: false, compression: 'gzip' });
  return packaged;
}

/** A machine's share folder on the host (mounted read-only at /srv/host in the guest). */
export interface ShareDir {
  readonly dir: string;
  /** The agent's deb as the guest sees it. */
  readonly deb: string;
  remove(): void;
}

/** A fresh share folder for one machine holding the agent's deb; returns it and the deb's guest path. */
export async function createShareDir(name: string): Promise<ShareDir> {
  const deb = await agentPackage();
  mkdirSync(vmCacheDir, { recursive: true });
  const dir = mkdtempSync(path.join(vmCacheDir, `share-${name}-`));
  // Staff users in the guest run programs from it (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  copyFileSync(deb, path.join(dir, path.basename(deb)));
  return { dir, deb: `${guestShare}/${path.basename(deb)}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
/** The policy document as a test may change it before signing. */
export type PolicyDocument = Mutable<ZonePolicy>;

/** IT's signing key for one machine, and bundles of the default policy changed per test. */
export interface PolicyKit {
  readonly publicKeyPem: string;
  /** Signs the default policy after `change`, with the next version and a validity around now. */
  bundle(change?: (policy: PolicyDocument) => void): { bytes: Buffer; version: number };
}

export function createPolicyKit(): PolicyKit {
  const signer = createSigner();
  let version = 100;
  return {
    publicKeyPem: signer.publicKeyPem,
    bundle(change) {
      version += 1;
      const document = parse(defaultPolicyText()) as PolicyDocument;
      const day = 86_400_000;
      document.metadata.id = 'mynumber-zone-vm';
      document.metadata.version = version;
      document.metadata.notBefore = new Date(Date.now() - day).toISOString();
      document.metadata.notAfter = new Date(Date.now() + 30 * day).toISOString();
      // No network in the machine: the canaries are unreachable anyway, and the check stays quick.
      document.spec.isolation.canaries = [];
      change?.(document);
      return { bytes: Buffer.from(createPolicyBundle(Buffer.from(stringify(document)), signer.key)), version };
    },
  };
}

/** Puts the trust key and a bundle in place, then installs the deb (its postinst starts the unit). */
export async function installAgent(guest: Guest, options: { deb: string; kit: PolicyKit; bundle: Buffer; config?: string }): Promise<string> {
  await guest.writeFile(`${agentTrustDir}/vm-it.pub.pem`, options.kit.publicKeyPem, 0o644);
  await guest.writeFile(agentBundlePath, options.bundle, 0o644);
  if (options.config !== undefined) await guest.writeFile(agentConfigPath, options.config, 0o644);
  // The conffile is ours when we wrote one: keep it (dpkg would ask otherwise).
  const installed = await guest.exec(['dpkg', '--force-confold', '-i', options.deb], { timeoutMs: 300_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (installed.status !== 0) throw new Error(`dpkg -i failed (${installed.status}):\n${installed.stdout}${installed.stderr}`);
  await waitForActive(guest);
  return `${installed.stdout}${installed.stderr}`;
}

/** Waits until the unit is active (Type=notify: READY=1 received) and returns its main pid. */
export async function waitForActive(guest: Guest, options: { notPid?: number; timeoutMs?: number } = {}): Promise<number> {
  return guest.waitFor(
    `${agentUnit} active${options.notPid === undefined ? '' : ` with a main pid other than ${options.notPid}`}`,
    async () => {
      const props = await unitProperties(guest, ['ActiveState', 'MainPID']);
      const pid = Number(props.MainPID);
      if (props.ActiveState !== 'active' || pid <= 0 || pid === options.notPid) return undefined;
      return pid;
    },
    { timeoutMs: options.timeoutMs ?? 180_000, intervalMs: 500 },
  );
}

/** `systemctl show -p …` as a map. */
export async function unitProperties(guest: Guest, names: readonly string[], unit = agentUnit): Promise<Record<string, string>> {
  const out = await guest.sh(`systemctl show ${unit} ${names.map((name) => `-p ${name}`).join(' ')}`);
  const props: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) props[line.slice(0, at)] = line.slice(at + 1);
  }
  return props;
}

/** One audit record as the agent wrote it. */
export interface VmAuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly severity: string;
  readonly data: Record<string, unknown>;
}

/** The agent's audit log, parsed. */
export async function readAudit(guest: Guest): Promise<VmAuditRecord[]> {
  const bytes = await guest.readFile(agentAuditLog);
  if (bytes === undefined) return [];
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VmAuditRecord);
}

/** Waits for an audit record after `afterSeq` that `match` accepts. */
export async function waitForAudit(guest: Guest, what: string, match: (record: VmAuditRecord) => boolean, options: { afterSeq?: number; timeoutMs?: number } = {}): Promise<VmAuditRecord> {
  return guest.waitFor(
    `audit record: ${what}`,
    async () => (await readAudit(guest)).find((record) => record.seq > (options.afterSeq ?? 0) && match(record)),
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 500 },
  );
}

/** The last sequence number in the audit log (0 when empty). */
export async function lastAuditSeq(guest: Guest): Promise<number> {
  return (await readAudit(guest)).at(-1)?.seq ?? 0;
}

/** The agent's published status document. */
export async function readStatus(guest: Guest): Promise<Record<string, unknown> | undefined> {
  const bytes = await guest.readFile(`${agentStateDir}/status.json`);
  return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
}

/**
 * Bundles a program from test/vm/guest-entries (dependencies included) and writes it into the
 * guest's own disk, to run there on the agent's Node: `/usr/lib/mynumber-guard/bin/node <path>`.
 * Not through the share: the agent denies that 9p mount (a network file system) once it runs.
 */
export async function installGuestEntry(guest: Guest, name: string): Promise<string> {
  const built = await build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join('test', 'vm', 'guest-entries', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    write: false,
    logLevel: 'error',
  });
  const target = `/usr/local/lib/mng-test/${name}.mjs`;
  await guest.writeFile(target, built.outputFiles[0]?.contents ?? new Uint8Array(), 0o755);
  return target;
}

/** The agent's bundled Node in the guest. */
export const guestNode = '/usr/lib/mynumber-guard/bin/node';
