// Removable media on a real kernel (issue #9; docs/testing.md): real FAT and exFAT sticks (images
// made with mkfs.vfat / mkfs.exfat on the host, plugged through QMP as usb-storage with a serial),
// mounted the way a desktop does it — udisks2, asked by a staff user from inside an active logind
// session on seat0, with the agent's polkit rule loaded by the real polkitd — then denied,
// remounted read-only or allowed by the agent, and files written to the allowed FAT stick (8.3,
// long and Japanese names) recorded in the export ledger with their SHA-256. Run by
// test/vm/desktop.test.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { agentBundlePath, agentStateDir, lastAuditSeq, waitForAudit, type PolicyDocument } from '../rig/agent';
import type { VmContext } from '../rig/context';
import type { TokenKit } from '../rig/tokens';
import { startStandInTray, vtLogin } from './session';

const polkitRule = '/etc/polkit-1/rules.d/10-mynumber-guard-media.rules';

interface Stick {
  readonly id: string;
  readonly serial: string;
  readonly label: string;
  readonly fs: 'vfat' | 'exfat';
}

const denied: Stick = { id: 'denied', serial: 'DENYFAT1', label: 'DENIED', fs: 'vfat' };
const approved: Stick = { id: 'approved', serial: 'APPROVEFAT1', label: 'APPROVED', fs: 'vfat' };
const readOnly: Stick = { id: 'readonly', serial: 'APPROVEEX1', label: 'EXREADONLY', fs: 'exfat' };
const sticks = [denied, approved, readOnly];

// Files a clerk might write: an 8.3 name, a long name with spaces, a Japanese name.
const files: readonly { name: string; content: string }[] = [
  { name: 'README.TXT', content: 'short name\n' },
  { name: 'Long File Name With Spaces.txt', content: 'long name '.repeat(400) },
  { name: '住民票の写し 2026年度.csv', content: '氏名,住所\n山田太郎,芽室町\n' },
];

/** The sticks' images (mkfs.vfat / mkfs.exfat), made in the share folder before boot. */
export function prepareMediaShare(dir: string): void {
  for (const stick of sticks) {
    const file = path.join(dir, `${stick.id}.img`);
    writeFileSync(file, '');
    const mkfs = stick.fs === 'vfat' ? `mkfs.vfat -n ${stick.label}` : `mkfs.exfat -L ${stick.label}`;
    const made = spawnSync('sh', ['-c', `truncate -s 64M '${file}' && ${mkfs} '${file}'`], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mkfs for ${stick.id}: ${made.stderr}`);
  }
}

/**
 * The media part of this machine's policy: the USB layer lets the three sticks through, so the
 * decision is the media control's; `open` allows USB media and automount (the control).
 */
export function mediaPolicy(open: boolean): (policy: PolicyDocument) => void {
  const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
  return (policy) => {
    policy.spec.usb.rules.splice(1, 0, ...sticks.map((stick) => `allow id 46f4:0001 serial "${stick.serial}" with-interface 08:06:50 label "${stick.id}"`));
    policy.spec.media.classes.usbStorage = open ? 'allow' : 'deny';
    policy.spec.media.automount = open ? 'allow' : 'block';
    policy.spec.media.approvedVolumes = [
      { name: 'IT-0042', deviceSerial: approved.serial, action: 'allow', expires, reason: '申請 2026-118（試験）' },
      { name: 'IT-0043', deviceSerial: readOnly.serial, action: 'read-only', expires, reason: '申請 2026-119（試験）' },
    ];
  };
}

export function mediaChecks(ctx: VmContext, options: { readonly tokens: TokenKit; readonly unlockClient: () => string }): void {
  let sessionId = '';
  /** Runs a command as staff1 inside their logind session (its cgroup), as a desktop would. */
  const inSession = (command: string): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    ctx
      .vm()
      .guest.exec([
        'sh',
        '-c',
        `echo $$ > /sys/fs/cgroup/user.slice/user-1001.slice/session-${sessionId}.scope/cgroup.procs && exec runuser -u staff1 -- sh -c "$0"`,
        command,
      ]);
  const blockDevice = (stick: Stick): Promise<string> =>
    ctx.vm().guest.waitFor(`the disk of ${stick.serial}`, async () => {
      const name = (await ctx.vm().guest.sh(`lsblk -dn -o NAME,SERIAL | awk '$2 == "${stick.serial}" { print $1 }'`)).trim();
      return name === '' ? undefined : `/dev/${name}`;
    });
  const mountsOf = async (device: string): Promise<string[]> =>
    (await ctx.vm().guest.sh('cat /proc/self/mountinfo')).split('\n').filter((line) => line.split(' - ')[1]?.split(' ')[1] === device);

  it('a staff login on the active VT, unlocked with the code; the three sticks plugged', async () => {
    // tty3: logind keeps tty6 for its reserved getty (ReserveVT=6), and the session checks use tty4 and tty5.
    sessionId = await vtLogin(ctx, 'staff1', 3, 'tty');
    const unlocked = await startStandInTray(ctx, options.unlockClient(), 'staff1', sessionId, options.tokens.code('staff1', await options.tokens.freshStep('staff1')), 0, '/run/tray-media.log');
    expect(unlocked).toMatchObject({ unlock: { ok: true, result: { code: 'unlocked' } } });
    for (const stick of sticks) await ctx.vm().plug({ id: stick.id, driver: 'usb-storage', image: path.join(ctx.share().dir, `${stick.id}.img`), props: { serial: stick.serial } });
    for (const stick of sticks) await blockDevice(stick);
  });

  it('the agent wrote the polkit rule for the policy; the session is active and local', async () => {
    const rule = (await ctx.vm().guest.readFile(polkitRule))?.toString('utf8') ?? '';
    expect(rule).toContain('polkit.addRule');
    expect(rule).toContain(approved.serial);
    // What the agent keeps in place is what `mng media polkit show` renders for the same bundle.
    const shown = await ctx.vm().guest.exec(['mng', 'media', 'polkit', 'show', '--policy', agentBundlePath, '--trust', '/etc/mynumber-guard/trust.d']);
    expect(shown.status).toBe(0);
    expect(shown.stdout.trim()).toBe(rule.trim());
    const session = await ctx.vm().guest.sh(`loginctl show-session ${sessionId} -p Active -p Remote -p Seat`);
    expect(session).toContain('Active=yes');
    expect(session).toContain('Remote=no');
  });

  it('a stick the policy does not approve: udisks2 refuses the staff user (the rule), and a root mount is undone by the agent', async () => {
    const device = await blockDevice(denied);
    const attempt = await inSession(`udisksctl mount --no-user-interaction -b ${device}`);
    expect(attempt.status).not.toBe(0);
    expect(attempt.stderr).toMatch(/NotAuthorized/);
    expect(await mountsOf(device)).toEqual([]);

    // Root goes around polkit (udisks lets uid 0 through): the agent's own control takes over.
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.sh(`mkdir -p /media/rootmount && mount -t vfat ${device} /media/rootmount`);
    const record = await waitForAudit(ctx.vm().guest, 'media.deny', (entry) => entry.type === 'media.deny' && entry.data.mountPoint === '/media/rootmount', { afterSeq: seq });
    expect(record.data).toMatchObject({ mountClass: 'usb-storage', outcome: { state: 'applied' } });
    await ctx.vm().guest.waitFor('the FAT mount gone', async () => ((await mountsOf(device)).length === 0 ? true : undefined));
    // The mount point is sealed: nothing written there lands anywhere.
    const write = await ctx.vm().guest.exec(['sh', '-c', 'echo x > /media/rootmount/leak.txt']);
    expect(write.status).not.toBe(0);
  });

  it('an approved FAT stick: the staff user mounts it, and each file written is in the export ledger with its SHA-256', async () => {
    const device = await blockDevice(approved);
    const seq = await lastAuditSeq(ctx.vm().guest);
    const mounted = await inSession(`udisksctl mount --no-user-interaction -b ${device}`);
    expect(mounted.status).toBe(0);
    const mountPoint = /at (\/\S+)/.exec(mounted.stdout)?.[1] ?? '';
    expect(mountPoint).toBe(`/media/staff1/${approved.label}`);
    const allow = await waitForAudit(ctx.vm().guest, 'media.allow', (entry) => entry.type === 'media.allow' && entry.data.mountPoint === mountPoint, { afterSeq: seq });
    expect(allow.data).toMatchObject({ mountClass: 'usb-storage' });
    expect((await mountsOf(device))[0]).toMatch(/ - vfat /);

    for (const file of files) {
      await ctx.vm().guest.writeFile(`/run/mng-test-${createHash('sha1').update(file.name).digest('hex')}`, file.content);
      const copied = await inSession(`cp /run/mng-test-${createHash('sha1').update(file.name).digest('hex')} '${mountPoint}/${file.name}'`);
      expect({ file: file.name, status: copied.status, stderr: copied.stderr }).toEqual({ file: file.name, status: 0, stderr: '' });
    }
    for (const file of files) {
      const sha256 = createHash('sha256').update(file.content).digest('hex');
      const record = await waitForAudit(ctx.vm().guest, `ledger record of ${file.name}`, (entry) => entry.type === 'export.recorded' && entry.data.path === `${mountPoint}/${file.name}` && entry.data.sha256 === sha256, { afterSeq: seq });
      expect(record.data).toMatchObject({ user: 'staff1', outcome: 'recorded', sizeBytes: Buffer.byteLength(file.content) });
    }
    const log = await ctx.vm().guest.exec(['mng', '--json', 'exports', 'log', '--state-dir', agentStateDir]);
    expect(log.status).toBe(0);
    const recorded = (JSON.parse(log.stdout) as { records: { path: string; sha256?: string }[] }).records.filter((entry) => entry.path.startsWith(mountPoint));
    expect(recorded.map((entry) => path.basename(entry.path)).sort()).toEqual(files.map((file) => file.name).sort());

    // The names are on the FAT itself: fsck.fat lists the directory (long names from the VFAT entries).
    const unmounted = await inSession(`udisksctl unmount --no-user-interaction -b ${device}`);
    expect(unmounted.status).toBe(0);
    const listing = await ctx.vm().guest.exec(['fsck.fat', '-n', '-l', device]);
    expect(listing.status).toBe(0);
    for (const file of files) expect(listing.stdout).toContain(`/${file.name}`);
  });

  it('an exFAT stick approved read-only: mounted by the staff user, remounted read-only by the agent; writes fail', async () => {
    const device = await blockDevice(readOnly);
    const seq = await lastAuditSeq(ctx.vm().guest);
    const mounted = await inSession(`udisksctl mount --no-user-interaction -b ${device}`);
    expect(mounted.status).toBe(0);
    const mountPoint = /at (\/\S+)/.exec(mounted.stdout)?.[1] ?? '';
    const record = await waitForAudit(ctx.vm().guest, 'media.read-only', (entry) => entry.type === 'media.read-only' && entry.data.mountPoint === mountPoint, { afterSeq: seq });
    expect(record.data).toMatchObject({ outcome: { state: 'applied' } });
    const mountinfo = (await mountsOf(device))[0] ?? '';
    expect(mountinfo).toMatch(/ - exfat /);
    expect(mountinfo.split(' ')[5]?.split(',')).toContain('ro');
    const write = await inSession(`echo x > '${mountPoint}/new.txt'`);
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it('the control: with a policy that allows USB media and automount, the same staff user mounts the denied stick', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.writeFile(agentBundlePath, ctx.kit.bundle(mediaPolicy(true)).bytes, 0o644);
    await waitForAudit(ctx.vm().guest, 'the open policy applied', (entry) => entry.type === 'policy.applied', { afterSeq: seq });
    // The rewritten rule denies nothing: no automount block, no class denied.
    await ctx.vm().guest.waitFor('the polkit rule rewritten', async () => ((await ctx.vm().guest.readFile(polkitRule))?.toString('utf8').includes('"usb":false') === true ? true : undefined), { timeoutMs: 30_000 });
    const device = await blockDevice(denied);
    const mounted = await inSession(`udisksctl mount --no-user-interaction -b ${device}`);
    expect({ status: mounted.status, stderr: mounted.stderr }).toEqual({ status: 0, stderr: '' });
    expect((await mountsOf(device)).length).toBe(1);
  });
}
