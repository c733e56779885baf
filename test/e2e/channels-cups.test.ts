// The channels control against a real CUPS scheduler (issue #4 item 3): a private cupsd started by
// the test as root in a temp dir (own ServerRoot, cache, state, spool and logs; listening only on a
// unix socket in that dir; no browsing, no network), three raw queues printing to /dev/null, and
// CupsPrinterQueues + the enforcer with a policy that allows only Q1. Every client command names
// the private socket with -h, so the machine's own CUPS (if any) is never contacted.
// Radios: SysfsRfkillRadios on an empty fixture root (this kernel has no rfkill devices).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventInput, AuditSink } from '../../src/agent/audit';
import { createChannelsControl, createChannelsEnforcer, defaultPrinterDisableReason } from '../../src/agent/channels';
import { CupsPrinterQueues, SysfsRfkillRadios } from '../../src/agent/platform/linux';
import { systemClock } from '../../src/shared/clock';
import type { ChannelsPolicy } from '../../src/shared/policy/schema';
import { needTools } from '../helpers/system-tools';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  if (process.env.CI === 'true') throw new Error('CI=true: the CUPS test needs root to run its own cupsd (CI runs as root)');
  process.stderr.write('skipping: the CUPS test needs root to run its own cupsd\n');
}
const ready = isRoot && needTools('cupsd', 'lpadmin', 'lpstat', 'cupsdisable', 'cupsreject', 'cupsenable', 'cupsaccept');

const policy: ChannelsPolicy = { implements: ['1-6-(2)'], bluetooth: 'block', wifi: 'block', printers: { allow: ['Q1'] }, networkShares: { allow: [] } };

describe.skipIf(!ready)('channels control with a private cupsd', () => {
  let dir: string;
  let socket: string;
  let cupsd: ChildProcess | undefined;
  let cupsdExit: Promise<void> | undefined;

  /** Runs a CUPS client against the private scheduler only (C locale, -h socket). */
  const client = (command: string, ...args: string[]) => {
    const result = spawnSync(command, ['-h', socket, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C', CUPS_SERVER: socket }, timeout: 10_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** `lpstat -p` / `-a` line of one queue, read independently of the adapter's parser. */
  const line = (flag: '-p' | '-a', queue: string): string => client('lpstat', flag, queue).stdout.split('\n')[0] ?? '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-cupsd-'));
    socket = path.join(dir, 'cups.sock');
    for (const sub of ['root', 'cache', 'state', 'spool', 'log']) mkdirSync(path.join(dir, sub));
    writeFileSync(
      path.join(dir, 'cupsd.conf'),
      [
        `Listen ${socket}`,
        'Browsing No',
        'BrowseLocalProtocols none',
        'DefaultShared No',
        'WebInterface No',
        'DefaultAuthType None',
        'LogLevel warn',
        '<Location />',
        '  Order allow,deny',
        '  Allow all',
        '</Location>',
        '<Location /admin>',
        '  Order allow,deny',
        '  Allow all',
        '</Location>',
        '<Policy default>',
        '  <Limit All>',
        '    Order deny,allow',
        '  </Limit>',
        '</Policy>',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'cups-files.conf'),
      [
        `ServerRoot ${path.join(dir, 'root')}`,
        `CacheDir ${path.join(dir, 'cache')}`,
        `StateDir ${path.join(dir, 'state')}`,
        `RequestRoot ${path.join(dir, 'spool')}`,
        `TempDir ${path.join(dir, 'spool')}`,
        `AccessLog ${path.join(dir, 'log/access_log')}`,
        `ErrorLog ${path.join(dir, 'log/error_log')}`,
        `PageLog ${path.join(dir, 'log/page_log')}`,
        'LogFileGroup root',
        'SystemGroup root',
        // file: device URIs (file:///dev/null) are refused unless allowed.
        'FileDevice Yes',
        '',
      ].join('\n'),
    );
    const child = spawn('cupsd', ['-f', '-c', path.join(dir, 'cupsd.conf'), '-s', path.join(dir, 'cups-files.conf')], { stdio: 'ignore' });
    cupsd = child;
    cupsdExit = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(existsSync(socket) && client('lpstat', '-r').stdout.includes('scheduler is running'))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`private cupsd did not start (exit ${String(child.exitCode)}); see ${dir}/log/error_log`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    if (cupsd !== undefined && cupsd.exitCode === null) {
      cupsd.kill('SIGTERM');
      await cupsdExit;
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('a scheduler without queues: known, none', async () => {
    expect(await new CupsPrinterQueues({ server: socket }).list()).toEqual({ state: 'known', printers: [] });
  });

  it('stops the queues not in the allowlist (disabled and rejecting), leaves Q1 alone, catches a re-enable', async () => {
    for (const queue of ['Q1', 'Q2', 'Q3']) {
      const added = client('lpadmin', '-p', queue, '-E', '-v', 'file:///dev/null');
      expect(added.stderr).toBe('');
      expect(added.status).toBe(0);
    }
    const printers = new CupsPrinterQueues({ server: socket });
    expect(await printers.list()).toEqual({
      state: 'known',
      printers: ['Q1', 'Q2', 'Q3'].map((name) => ({ name, state: 'idle', accepting: true, reason: null })),
    });

    const events: AuditEventInput[] = [];
    const audit: AuditSink = { append: (event) => (events.push(event), Promise.resolve({ seq: events.length, hash: 'h' })) };
    const radios = new SysfsRfkillRadios({ sysfsRoot: path.join(dir, 'no-sysfs') });
    const enforcer = createChannelsEnforcer({ radios, printers, audit, clock: systemClock, mode: 'enforce', policy: () => policy });
    const control = createChannelsControl({ enforcer, mode: 'enforce', implementsClauses: () => policy.implements });
    await control.start();

    for (const queue of ['Q2', 'Q3']) {
      expect(line('-p', queue)).toMatch(new RegExp(`^printer ${queue} disabled since `));
      expect(line('-a', queue)).toMatch(new RegExp(`^${queue} not accepting requests since `));
      expect(client('lpstat', '-p', queue).stdout).toContain(`\t${defaultPrinterDisableReason}`);
    }
    expect(line('-p', 'Q1')).toMatch(/^printer Q1 is idle\.  enabled since /);
    expect(line('-a', 'Q1')).toMatch(/^Q1 accepting requests since /);
    expect(events.map((e) => [e.type, e.data.queue])).toEqual([
      ['channel.printer-disabled', 'Q2'],
      ['channel.printer-disabled', 'Q3'],
    ]);
    expect(control.status()).toMatchObject({ control: 'channels', state: 'enforced' });
    expect(control.status().summary.ja).toContain('プリンタ 3 台: 許可 1、停止 2');

    // Somebody turns Q3 back on: the next refresh stops it again and raises an alert.
    expect(client('cupsenable', 'Q3').status).toBe(0);
    expect(client('cupsaccept', 'Q3').status).toBe(0);
    expect(line('-p', 'Q3')).toMatch(/^printer Q3 is idle\./);
    await control.refresh();
    expect(line('-p', 'Q3')).toMatch(/^printer Q3 disabled since /);
    expect(line('-a', 'Q3')).toMatch(/^Q3 not accepting requests since /);
    expect(events.slice(2).map((e) => [e.type, e.severity, e.data.queue, e.data.corrected])).toEqual([['channel.printer-enable-detected', 'alert', 'Q3', true]]);
    expect(line('-p', 'Q1')).toMatch(/^printer Q1 is idle\./);

    const details = control.details() as { printers: { name: string; state: string; accepting: boolean; decision: string }[] };
    expect(details.printers.map((p) => [p.name, p.state, p.accepting, p.decision])).toEqual([
      ['Q1', 'idle', true, 'allow'],
      ['Q2', 'disabled', false, 'block'],
      ['Q3', 'idle', true, 'block'],
    ]);
  });

  it('monitor mode writes nothing to a new queue, and reports it', async () => {
    expect(client('lpadmin', '-p', 'Q4', '-E', '-v', 'file:///dev/null').status).toBe(0);
    const events: AuditEventInput[] = [];
    const audit: AuditSink = { append: (event) => (events.push(event), Promise.resolve({ seq: events.length, hash: 'h' })) };
    const enforcer = createChannelsEnforcer({
      radios: new SysfsRfkillRadios({ sysfsRoot: path.join(dir, 'no-sysfs') }),
      printers: new CupsPrinterQueues({ server: socket }),
      audit,
      clock: systemClock,
      mode: 'monitor',
      policy: () => policy,
    });
    await enforcer.run('start');
    expect(line('-p', 'Q4')).toMatch(/^printer Q4 is idle\./);
    expect(line('-a', 'Q4')).toMatch(/^Q4 accepting requests since /);
    expect(events.map((e) => [e.type, e.data.queue])).toEqual([['channel.printer-not-disabled', 'Q4']]);
  });
});
