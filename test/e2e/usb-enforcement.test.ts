// The real agent (dist/agent.js) in enforce mode against a umockdev testbed: the USB
// scenario end to end. Verdicts are checked by reading back the sysfs attributes the agent wrote
// (under umockdev a write is only a file: the device does not vanish, dev-environment.md §3.3).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPolicyBundle, generateSigningKeyPair, parsePrivateKey } from '../../src/agent/policy';
import { repoRoot, runMng } from '../helpers/mng';
import { needTools } from '../helpers/system-tools';
import { startUmockdevTestbed, type UmockdevTestbed } from '../helpers/umockdev';

const agentBin = path.join(repoRoot, 'dist/agent.js');

/** The devices: recording, sysfs port, expected verdict as written to sysfs. */
const scenario = [
  { recording: 'hid-keyboard-no-serial.umockdev', port: '1-10', expect: 'authorized' },
  { recording: 'ccid-card-reader.umockdev', port: '1-4', expect: 'authorized' },
  { recording: 'usb-stick-generic.umockdev', port: '1-9', expect: 'blocked' },
  { recording: 'android-phone-mtp.umockdev', port: '1-7', expect: 'blocked' },
  { recording: 'usb-ethernet-cdc-ecm.umockdev', port: '1-8', expect: 'blocked' },
  { recording: 'badusb-stick-keyboard.umockdev', port: '1-5', expect: 'rejected' },
] as const;

interface Agent {
  readonly child: ChildProcessWithoutNullStreams;
  output(): string;
  exited(): Promise<number | null>;
}

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** udevadm processes that run against this testbed (found by UMOCKDEV_DIR in their environment). */
function udevadmProcessesOf(testbed: UmockdevTestbed): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.startsWith('udevadm\0monitor') && !cmdline.includes('\0udevadm\0monitor')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`UMOCKDEV_DIR=${testbed.dir}`)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked: not an orphan.
    }
  }
  return pids;
}

describe.skipIf(!needTools('umockdev-run', 'udevadm'))('USB enforcement under umockdev (real agent process)', () => {
  let dir: string;
  let bed: UmockdevTestbed | undefined;
  let agent: Agent | undefined;
  let configPath: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-usb-e2e-'));
    const pair = generateSigningKeyPair();
    const signer = parsePrivateKey(pair.privateKeyPem);
    if (!signer.ok) throw new Error('key');
    writeFileSync(path.join(dir, 'it.pub.pem'), pair.publicKeyPem);
    writeFileSync(path.join(dir, 'policy.bundle.json'), createPolicyBundle(readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml')), signer.value));
    configPath = path.join(dir, 'agent.yaml');
  });

  afterEach(async () => {
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.exited();
    }
    agent = undefined;
    await bed?.stop();
    bed = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function startBed(recordings: string[]): Promise<UmockdevTestbed> {
    const started = await startUmockdevTestbed({ recordings });
    // The testbed has no drivers_probe (a bus-level file); the kernel always has one.
    writeFileSync(path.join(started.root, 'bus/usb/drivers_probe'), '');
    return started;
  }

  function startAgent(testbed: UmockdevTestbed): Agent {
    writeFileSync(
      configPath,
      [
        'mode: enforce',
        `stateDir: ${path.join(dir, 'state')}`,
        `policyBundle: ${path.join(dir, 'policy.bundle.json')}`,
        `trustStore: ${path.join(dir, 'it.pub.pem')}`,
        `logFile: ${path.join(dir, 'agent.log')}`,
        `sysfsRoot: ${testbed.root}`,
        // The umockdev testbed has no block devices or network: media, channels and isolation would judge
        // the machine's real mounts against an empty sysfs (enforce mode). This rig is about USB only.
        'disabledControls: [media, channels, isolation, mfa]',
        'canaryProbes: false',
        '',
      ].join('\n'),
    );
    // The agent reads the testbed as a plain tree (sysfsRoot); its udevadm child and libusb see the
    // testbed's uevents through the preload, which they inherit.
    const child = spawn(process.execPath, [agentBin, '--config', configPath, '--lang', 'en'], { env: { ...process.env, ...testbed.env } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => stdout, exited: () => exit };
  }

  const attr = (testbed: UmockdevTestbed, port: string, name: string): string | undefined => {
    const file = path.join(testbed.root, 'bus/usb/devices', port, name);
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  };

  /** What the agent left in sysfs for a device. */
  const verdictOf = (testbed: UmockdevTestbed, port: string): string | undefined => {
    if (attr(testbed, port, 'remove') === '1') return 'rejected';
    const authorized = attr(testbed, port, 'authorized');
    return authorized === '0' ? 'blocked' : undefined;
  };

  const auditRecords = (): { type: string; data: Record<string, unknown> }[] => {
    const file = path.join(dir, 'state', 'audit.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });
  };

  const decisionFor = (port: string, trigger: string) =>
    auditRecords().find((record) => /^usb\.(allowed|blocked|rejected)$/.test(record.type) && record.data.port === port && record.data.trigger === trigger);

  it('decides the devices present at start: keyboard and card reader stay, stick, phone and adapter are blocked, BadUSB is rejected', async () => {
    bed = await startBed(['root-hub.umockdev', ...scenario.map((device) => device.recording)]);
    const testbed = bed;
    agent = startAgent(testbed);
    await waitUntil('a decision for every device', () => (scenario.every((device) => decisionFor(device.port, 'present')) ? true : undefined));

    expect(attr(testbed, 'usb1', 'authorized_default')).toBe('0');
    expect(attr(testbed, 'usb1', 'interface_authorized_default')).toBe('0');
    for (const device of scenario) {
      const verdict = verdictOf(testbed, device.port) ?? (attr(testbed, device.port, 'authorized') === '1' ? 'authorized' : 'unknown');
      expect([device.port, verdict]).toEqual([device.port, device.expect]);
    }
    // The allowed devices were left as they were: nothing written to them.
    expect(decisionFor('1-10', 'present')?.data).toMatchObject({ target: 'allow', writes: [] });
    expect(decisionFor('1-5', 'present')?.data).toMatchObject({ target: 'reject', basis: { kind: 'rule', index: 0 } });

    // `mng usb list` reads the agent's view: each device, its verdict and the rule that decided.
    await waitUntil('status with 7 devices', () => {
      const file = path.join(dir, 'state', 'status.json');
      if (!existsSync(file)) return undefined;
      const status = JSON.parse(readFileSync(file, 'utf8')) as { controls: { usb?: { devices: unknown[] } } };
      return (status.controls.usb?.devices.length ?? 0) >= 7 ? true : undefined;
    });
    const list = runMng(['usb', 'list', '--state-dir', path.join(dir, 'state'), '--lang', 'en']);
    expect(list.stderr).toBe('');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^1-5 +reject +090c:1000 .*\n +rule 1: reject with-interface all-of \{ 08:\*:\* 03:\*:\* \} label "badusb-storage-hid"$/m);
    expect(list.stdout).toMatch(/^1-9 +block +090c:1000 .*\n +default \(no rule matched\)\n +weak identity: serial-duplicated$/m);
    expect(list.stdout).toMatch(/^1-4 +allow +04e6:5116 .*\n +rule 4: .*label "smart-card-reader"$/m);

    // generate-policy writes rules that allow what is attached now; our own parser reads them back.
    const generated = runMng(['usb', 'generate-policy', '--state-dir', path.join(dir, 'state'), '--lang', 'en']);
    expect(generated.status).toBe(0);
    const rules = generated.stdout.split('\n').filter((line) => line.startsWith('allow '));
    expect(rules).toHaveLength(6);
    expect(rules).toContainEqual(expect.stringMatching(/^allow id 04e6:5116 serial "21120847238932" name "SCR3310 v2.0 USB SC Reader" hash "[A-Za-z0-9+/=]{44}" parent-hash "[A-Za-z0-9+/=]{44}" with-interface 0b:00:00 with-connect-type "hotplug"$/));
    expect(generated.stdout).toContain('warning: 1-9 has a weak identity (serial-duplicated)');
    for (const rule of rules) expect(runMng(['usb', 'rule', 'check', rule]).status).toBe(0);
  });

  it('gives hotplugged devices the same verdicts', async () => {
    bed = await startBed(['root-hub.umockdev']);
    const testbed = bed;
    agent = startAgent(testbed);
    await waitUntil('the agent closed the root hub', () => (attr(testbed, 'usb1', 'authorized_default') === '0' ? true : undefined));
    // Started: the present-device scan is over once the agent printed its summary.
    await waitUntil('the agent started', () => (/policy mynumber-zone-default version \d+ applied/.test(agent?.output() ?? '') ? true : undefined));
    for (const device of scenario) {
      await testbed.add(device.recording);
      const record = await waitUntil(`hotplug decision for ${device.port}`, () => decisionFor(device.port, 'hotplug'));
      const verdict = verdictOf(testbed, device.port) ?? (attr(testbed, device.port, 'authorized') === '1' ? 'authorized' : 'unknown');
      expect([device.port, verdict], JSON.stringify(auditRecords().filter((r) => r.data.port === device.port).map((r) => [r.type, r.data.basis, r.data.writes, r.data.trigger]))).toEqual([device.port, device.expect]);
      expect(typeof record.data.latencyMs).toBe('number');
    }
    // Both sources saw every plug; each device was still decided and audited once.
    for (const device of scenario) {
      const records = auditRecords().filter((record) => record.data.port === device.port && record.data.trigger === 'hotplug');
      expect(records.map((record) => `${device.port} ${record.type}`)).toHaveLength(1);
    }
  });

  it('keeps new devices blocked while the agent is dead, and re-applies the policy when it restarts', async () => {
    bed = await startBed(['root-hub.umockdev', 'hid-keyboard-no-serial.umockdev']);
    const testbed = bed;
    agent = startAgent(testbed);
    await waitUntil('present decisions', () => decisionFor('1-10', 'present'));
    agent.child.kill('SIGKILL');
    await agent.exited();
    // Its udevadm monitor dies with it (setpriv --pdeathsig): no orphan keeps running.
    await waitUntil('no udevadm left from the killed agent', () => (udevadmProcessesOf(testbed).length === 0 ? true : undefined), 5_000);
    // authorized_default survives the agent: a real kernel leaves devices attached now deauthorized.
    expect(attr(testbed, 'usb1', 'authorized_default')).toBe('0');

    // A stick plugged while the agent is dead. (umockdev does not emulate authorized_default, so
    // the recording says authorized=1: the restart must put it right.)
    await testbed.add('usb-stick-generic.umockdev');
    expect(attr(testbed, '1-9', 'authorized')).toBe('1');
    agent = startAgent(testbed);
    await waitUntil('the stick blocked after the restart', () => (attr(testbed, '1-9', 'authorized') === '0' ? true : undefined));
    expect(attr(testbed, 'usb1', 'authorized_default')).toBe('0');
    expect(attr(testbed, '1-10', 'authorized')).toBe('1');
  });
});
