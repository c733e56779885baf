import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditEventInput, AuditSink } from '../audit';
import { describeEnforcementOutcome, describeHolderReport } from './describe-mounts';
import { createMountEnforcer, type HolderReport, type MountPolicySource } from './mount-service';
import type { BlockDeviceFacts, Mount, MountinfoRead, VolumeIdentity } from './model';
import type { HolderStop, MountControl, MountHolder, MountHolders, MountStepResult, MountTable, MountTableChange } from './ports';
import { makeBlockFacts, makeMount } from './test-mounts';

const usbStick = makeBlockFacts('sdb1', { major: 8, minor: 17, sysfsPath: '/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host6/block/sdb/sdb1', removable: true, usbSerial: 'SER1' });
const root = makeMount({ id: 1, dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' });
const proc = makeMount({ id: 2, mountPoint: '/proc', fsType: 'proc', source: 'proc' });
const stick = makeMount({ id: 3, dev: '8:17', mountPoint: '/media/u/USB STICK', fsType: 'vfat', source: '/dev/sdb1' });
const internal = makeBlockFacts('vda1', { major: 254, minor: 1 });

const policy = (overrides: Partial<MediaPolicy> = {}): MediaPolicy => ({
  implements: [],
  classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [],
  exportDestinations: [],
  automount: 'block',
  ...overrides,
});

const writer = (pid: number, overrides: Partial<MountHolder> = {}): MountHolder => ({
  pid,
  startTime: 5000 + pid,
  comm: 'writer',
  uid: 1000,
  user: 'yamada',
  kernelThread: false,
  handles: [{ kind: 'write-fd', path: '/media/u/USB STICK/log.txt' }],
  ...overrides,
});
const agentPid = 777;

function rig(options: {
  mounts: Mount[];
  media?: MediaPolicy | null;
  results?: Partial<Record<keyof MountControl, MountStepResult[]>>;
  identity?: VolumeIdentity;
  /** What each findHolders call returns, in order (then []); an Error rejects. */
  holderScans?: (MountHolder[] | Error)[];
  /** Result per pid of terminate (default killed). */
  stopResults?: Record<number, HolderStop['result']>;
  /** Mounts a re-read of the table returns after the first read (default: the same). */
  tableAfterFirstRead?: Mount[];
  enforce?: boolean;
}) {
  let table: MountinfoRead = { mounts: options.mounts, problems: [] };
  let reads = 0;
  let onChange: ((change: MountTableChange) => void) | undefined;
  const calls: string[] = [];
  const events: AuditEventInput[] = [];
  const results = options.results ?? {};
  const step = (name: keyof MountControl) => async (point: Uint8Array): Promise<MountStepResult> => {
    calls.push(`${name} ${Buffer.from(point).toString()}`);
    return results[name]?.shift() ?? { ok: true };
  };
  const scans = [...(options.holderScans ?? [])];
  const holders: MountHolders = {
    agentPid,
    findHolders: async (mount) => {
      calls.push(`findHolders ${mount.id}`);
      const next = scans.shift() ?? [];
      if (next instanceof Error) throw next;
      return next;
    },
    terminate: async (targets) => {
      calls.push(`terminate ${targets.map((target) => target.pid).join(',')}`);
      return { stops: targets.map((holder) => ({ holder, result: options.stopResults?.[holder.pid] ?? 'killed', detail: '' })), frozenAtMs: 0 };
    },
  };
  const mountTable: MountTable = {
    read: async () => {
      reads += 1;
      if (reads > 1 && options.tableAfterFirstRead !== undefined) return { mounts: options.tableAfterFirstRead, problems: [] };
      return table;
    },
    watch: async (listener) => {
      onChange = listener;
      return { stop: async () => undefined };
    },
  };
  const audit: AuditSink = {
    append: async (event) => {
      events.push(event);
      return { seq: events.length, hash: '0'.repeat(64) };
    },
  };
  const source: MountPolicySource = { current: () => (options.media === null ? null : { media: options.media ?? policy(), allowedShares: [] }) };
  const enforcer = createMountEnforcer({
    table: mountTable,
    blockFacts: { listBlockDevices: async (): Promise<BlockDeviceFacts[]> => [internal, usbStick] },
    identity: { readIdentity: async () => options.identity ?? { state: 'known', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234' } },
    control: { remountReadOnly: step('remountReadOnly'), unmount: step('unmount'), detachLazily: step('detachLazily'), sealMountPoint: step('sealMountPoint') },
    holders,
    audit,
    clock: createFixedClock(Date.parse('2026-06-01T00:00:00Z')),
    policy: source,
    enforce: options.enforce ?? true,
  });
  return {
    enforcer,
    calls,
    events,
    change(mounts: Mount[], added: Mount[]) {
      table = { mounts, problems: [] };
      onChange?.({ table, added, removed: [], changed: [], trigger: 'findmnt', atMs: 0 });
    },
  };
}

describe('createMountEnforcer', () => {
  it('denies a USB stick: unmounts, seals, audits; leaves internal mounts alone', async () => {
    const { enforcer, calls, events } = rig({ mounts: [root, proc, stick] });
    const states = await enforcer.evaluateAll();
    expect(calls).toEqual(['unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(states.map((state) => state.decision.action)).toEqual(['allow', 'allow', 'deny']);
    expect(events).toMatchObject([{ type: 'media.deny', severity: 'notice', data: { mountClass: 'usb-storage', usbPort: '1-3', outcome: { state: 'applied', fellBack: false, holders: [] } } }]);
  });

  const readOnly = policy({ classes: { usbStorage: 'read-only', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' } });
  const busy: MountStepResult = { ok: false, busy: true, detail: 'umount: target is busy' };

  it('read-only with a busy writer: the writer is stopped and killed, then the medium is unmounted for real and sealed', async () => {
    const { enforcer, calls, events } = rig({ mounts: [stick], media: readOnly, results: { remountReadOnly: [busy] }, holderScans: [[writer(4242)]] });
    const [state] = await enforcer.evaluateAll();
    expect(calls).toEqual([
      'remountReadOnly /media/u/USB STICK',
      'findHolders 3',
      'terminate 4242',
      'findHolders 3',
      'unmount /media/u/USB STICK',
      'sealMountPoint /media/u/USB STICK',
    ]);
    expect(state?.outcome).toMatchObject({ state: 'applied', steps: ['stop-holders', 'unmount', 'seal-mount-point'], fellBack: true, holders: [{ pid: 4242, result: 'killed' }] });
    expect(events.map((event) => [event.type, event.severity])).toEqual([
      ['media.process-killed', 'alert'],
      ['media.read-only', 'notice'],
    ]);
    expect(events[0]?.data).toMatchObject({ pid: 4242, startTime: 9242, comm: 'writer', uid: 1000, user: 'yamada', mountId: 3, mountPoint: '/media/u/USB STICK', source: '/dev/sdb1', action: 'read-only', result: 'killed' });
    expect(events[0]?.data.handles).toEqual([{ kind: 'write-fd', path: '/media/u/USB STICK/log.txt' }]);
  });

  it('deny with a busy writer: same fallback, never a lazy detach', async () => {
    const { enforcer, calls, events } = rig({ mounts: [stick], results: { unmount: [busy] }, holderScans: [[writer(4242), writer(4250, { handles: [{ kind: 'cwd', path: '/media/u/USB STICK' }] })]] });
    const [state] = await enforcer.evaluateAll();
    expect(calls).toEqual([
      'unmount /media/u/USB STICK',
      'findHolders 3',
      'terminate 4242,4250',
      'findHolders 3',
      'unmount /media/u/USB STICK',
      'sealMountPoint /media/u/USB STICK',
    ]);
    expect(calls).not.toContain('detachLazily /media/u/USB STICK');
    expect(state?.outcome).toMatchObject({ state: 'applied', fellBack: true });
    expect(events.filter((event) => event.type === 'media.process-killed').map((event) => event.data.pid)).toEqual([4242, 4250]);
  });

  it('a holder that appears while the first ones are killed is found by the next scan', async () => {
    const { enforcer, calls } = rig({ mounts: [stick], results: { unmount: [busy] }, holderScans: [[writer(10)], [writer(10), writer(11)], []] });
    await enforcer.evaluateAll();
    expect(calls.filter((call) => call.startsWith('terminate'))).toEqual(['terminate 10', 'terminate 11']);
  });

  it('the agent holding the mount is spared; the unmount stays busy, the last resort runs and the result is an alert', async () => {
    const { enforcer, calls, events } = rig({ mounts: [stick], results: { unmount: [busy, busy] }, holderScans: [[writer(agentPid)], [writer(agentPid)]] });
    const [state] = await enforcer.evaluateAll();
    expect(calls.filter((call) => call.startsWith('terminate'))).toEqual([]);
    expect(calls.slice(-2)).toEqual(['detachLazily /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(state?.outcome).toMatchObject({ state: 'failed', step: 'unmount', lastResort: ['detach-lazily', 'seal-mount-point'], holders: [{ pid: agentPid, result: 'spared', why: 'agent' }] });
    expect(events.map((event) => [event.type, event.severity])).toEqual([
      ['media.holder-not-stopped', 'alert'],
      ['media.enforcement-failed', 'alert'],
    ]);
  });

  it('a writer that survives SIGKILL is reported, and the failure is an alert', async () => {
    const { enforcer, events } = rig({ mounts: [stick], results: { unmount: [busy, busy] }, holderScans: [[writer(4242)]], stopResults: { 4242: 'survived' } });
    const [state] = await enforcer.evaluateAll();
    expect(state?.outcome).toMatchObject({ state: 'failed', holders: [{ pid: 4242, result: 'survived' }] });
    expect(events.map((event) => event.type)).toEqual(['media.holder-not-stopped', 'media.enforcement-failed']);
  });

  it('a process table that cannot be read: the plain unmount still decides, and the problem is in the detail', async () => {
    const { enforcer } = rig({ mounts: [stick], results: { unmount: [busy, busy] }, holderScans: [new Error('EACCES /proc')] });
    const [state] = await enforcer.evaluateAll();
    expect(state?.outcome).toMatchObject({ state: 'failed', step: 'unmount', detail: expect.stringContaining('EACCES /proc') });
  });

  it('a holder that was already gone is not audited as killed', async () => {
    const { enforcer, events } = rig({ mounts: [stick], results: { unmount: [busy] }, holderScans: [[writer(4242)]], stopResults: { 4242: 'gone' } });
    const [state] = await enforcer.evaluateAll();
    expect(state?.outcome).toMatchObject({ state: 'applied', holders: [{ pid: 4242, result: 'gone' }] });
    expect(events.map((event) => event.type)).toEqual(['media.deny']);
  });

  it('monitor mode changes nothing and stops nobody, even when busy', async () => {
    const { enforcer, calls, events } = rig({ mounts: [stick], media: readOnly, results: { remountReadOnly: [busy] }, holderScans: [[writer(4242)]], enforce: false });
    const [state] = await enforcer.evaluateAll();
    expect(calls).toEqual([]);
    expect(state?.outcome).toEqual({ state: 'not-needed' });
    expect(events.map((event) => event.type)).toEqual(['media.read-only']);
  });

  it('an approved volume is allowed and nothing is changed', async () => {
    const { enforcer, calls, events } = rig({
      mounts: [stick],
      media: policy({ approvedVolumes: [{ name: 'USB-001', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234', action: 'allow', expires: '2027-01-01T00:00:00Z', reason: 'r' }] }),
    });
    const [state] = await enforcer.evaluateAll();
    expect(state?.decision).toMatchObject({ action: 'allow', approvedVolume: 'USB-001' });
    expect(calls).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'media.allow', severity: 'info' });
  });

  it('without a policy every medium is denied', async () => {
    const { enforcer } = rig({ mounts: [stick], media: null });
    expect((await enforcer.evaluateAll())[0]?.decision.action).toBe('deny');
  });

  it('a failed step on a mount that is still there is audited as an alert, not thrown', async () => {
    const { enforcer, events } = rig({ mounts: [stick], results: { unmount: [{ ok: false, busy: false, detail: 'umount: permission denied' }] } });
    const [state] = await enforcer.evaluateAll();
    expect(state?.outcome).toEqual({ state: 'failed', step: 'unmount', detail: 'umount: permission denied', lastResort: [], holders: [] });
    expect(events[0]).toMatchObject({ type: 'media.enforcement-failed', severity: 'alert' });
  });

  it('read-only that the file system refuses (not busy) falls back to deny: never left writable', async () => {
    const { enforcer, calls, events } = rig({ mounts: [stick], media: readOnly, results: { remountReadOnly: [{ ok: false, busy: false, detail: 'mount: cannot remount read-only' }] } });
    const [state] = await enforcer.evaluateAll();
    expect(calls).toEqual(['remountReadOnly /media/u/USB STICK', 'findHolders 3', 'unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(state?.outcome).toMatchObject({ state: 'applied', fellBack: true, steps: ['stop-holders', 'unmount', 'seal-mount-point'] });
    expect(events[0]).toMatchObject({ type: 'media.read-only', data: { outcome: { state: 'applied', fellBack: true } } });
  });

  it.each([
    ['deny', policy(), 'unmount', 'unmount'],
    ['read-only', readOnly, 'remountReadOnly', 'remount-read-only'],
  ] as const)('%s on a mount that vanished before enforcement: recorded as vanished, no crash, never allowed', async (action, media, method, step) => {
    const { enforcer, events, calls } = rig({
      mounts: [stick],
      media,
      results: { [method]: [{ ok: false, busy: false, detail: 'not mounted' }] },
      tableAfterFirstRead: [],
    });
    const [state] = await enforcer.evaluateAll();
    expect(state?.decision.action).toBe(action);
    expect(state?.outcome).toEqual({ state: 'vanished', step, detail: 'not mounted', holders: [] });
    expect(calls).not.toContain('sealMountPoint /media/u/USB STICK');
    expect(events).toMatchObject([{ type: 'media.enforcement-vanished', severity: 'warning', data: { action, outcome: { state: 'vanished' } } }]);
    expect(events.some((event) => event.type === 'media.allow')).toBe(false);
  });

  it('a mount replaced by another at the same path (new id) also counts as vanished', async () => {
    const replaced = makeMount({ id: 9, dev: '8:17', mountPoint: '/media/u/USB STICK', fsType: 'vfat', source: '/dev/sdb1' });
    const { enforcer } = rig({ mounts: [stick], results: { unmount: [{ ok: false, busy: false, detail: 'x' }] }, tableAfterFirstRead: [replaced] });
    expect((await enforcer.evaluateAll())[0]?.outcome.state).toBe('vanished');
  });

  it('follows the table: a new mount is judged, old ones are not judged again', async () => {
    const { enforcer, calls, events, change } = rig({ mounts: [root, proc] });
    await enforcer.start();
    expect(events).toEqual([]);
    change([root, proc, stick], [stick]);
    await expect.poll(() => calls).toEqual(['unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(events).toHaveLength(1);
    expect(enforcer.states().map((state) => state.mount.id)).toEqual([1, 2, 3]);
    await enforcer.stop();
  });

  it('words every outcome in Japanese and English (describe-mounts)', async () => {
    const killedRun = rig({ mounts: [stick], results: { unmount: [busy] }, holderScans: [[writer(4242)]] });
    const [killed] = await killedRun.enforcer.evaluateAll();
    const applied = describeEnforcementOutcome(killed!.outcome);
    expect(applied.ja).toContain('使用中のプロセスを停止・強制終了');
    expect(applied.en).toContain('it was in use, so it was denied instead: stop and kill the processes using it, then unmount');
    const report = (killed!.outcome as { holders: readonly HolderReport[] }).holders[0]!;
    expect(describeHolderReport(report)).toEqual({ ja: 'PID 4242 (writer, yamada): 書き込み用に開いたファイル。強制終了しました', en: 'PID 4242 (writer, yamada): file open for writing; killed' });

    const sparedRun = rig({ mounts: [stick], results: { unmount: [busy, busy] }, holderScans: [[writer(agentPid)]] });
    const [spared] = await sparedRun.enforcer.evaluateAll();
    expect(describeEnforcementOutcome(spared!.outcome).en).toContain('as a last resort: lazy unmount (detach only), then seal the mount point');
    expect(describeHolderReport((spared!.outcome as { holders: readonly HolderReport[] }).holders[0]!).ja).toContain('本エージェント自身');

    const vanishedRun = rig({ mounts: [stick], results: { unmount: [{ ok: false, busy: false, detail: 'not mounted' }] }, tableAfterFirstRead: [] });
    const [vanished] = await vanishedRun.enforcer.evaluateAll();
    expect(describeEnforcementOutcome(vanished!.outcome)).toEqual({
      ja: '適用する前にマウントがなくなっていました（「アンマウント」の時点）。判定は変わりません',
      en: 'the mount was gone before it could be enforced (at "unmount"); the decision stands',
    });
  });
});
