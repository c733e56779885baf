// Mount appears → decision applied (issue #4 item 1) on real loop mounts: an ext4 image on a loop
// device that a sysfs fixture classifies as a USB removable disk, mounted `count` times under
// /media; the real mount control (createMountEnforcer with MountinfoMountTable on
// `findmnt --poll`, SysfsBlockFacts on the fixture, BlkidVolumeIdentity, MountCommandControl)
// denies each one: unmounted, then sealed. The clock starts when mount(8) has returned (a `date`
// run right after it in the same shell, CLOCK_REALTIME in ns) and stops when the enforcer appends
// its `media.deny` audit event, which it does after the unmount and the seal are done.
// Only this bench's mount point is shown to the enforcer (as test/e2e/mount-loop.test.ts does):
// no other mount of the machine can be acted on, and the holder adapter may never signal.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditEventInput } from '../../src/agent/audit';
import { createMountEnforcer, parseMountinfo, type MountControl, type MountEnforcer, type MountinfoRead, type MountTable } from '../../src/agent/mounts';
import { BlkidVolumeIdentity, MountCommandControl, MountinfoMountTable, ProcMountHolders, SysfsBlockFacts } from '../../src/agent/platform/linux';
import { systemClock } from '../../src/shared/clock';
import { usbBusPath, writeBlockTree } from '../../test/helpers/block-sysfs-tree';
import { releaseMountPoint, runCommand } from '../../test/helpers/loop-media';
import { makeSysfsRoot } from '../../test/helpers/sysfs-tree';
import { percentile, round } from './stats';

/** The mount control's figures. Times in ms. */
export interface MountFigures {
  readonly mounts: number;
  /** Mounts whose deny was applied (unmounted and sealed). */
  readonly denied: number;
  /** mount(8) returned → `media.deny` appended (unmount + seal done). */
  readonly mountToDecisionP50Ms: number;
  readonly mountToDecisionP99Ms: number;
  readonly mountToDecisionMaxMs: number;
  /** The same from the moment mount(8) was started (an upper bound that includes mount itself). */
  readonly mountStartToDecisionP99Ms: number;
  /** How long mount(8) itself took, p50. */
  readonly mountCommandP50Ms: number;
  /**
   * Where the time goes, p50/p99 each: `detect` mount(8) returned → the table change reached the
   * enforcer (findmnt --poll + mountinfo re-read); `unmount` and `seal` the two control steps
   * (each a umount/mount child process); `rest` classification, decision and audit.
   */
  readonly breakdownMs: Readonly<Record<'detect' | 'unmount' | 'seal' | 'rest', { readonly p50: number; readonly p99: number }>>;
  /** Audit events other than media.deny for our mount point (enforcement failed, vanished …). */
  readonly otherOutcomes: readonly string[];
}

/** Epoch ms with sub-ms resolution, comparable to `date +%s%N`. */
const nowEpochMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs mount(8), then `date` in the same shell; resolves with the epoch ms printed right after mount returned. */
function mountAndStamp(device: string, mountPoint: string): Promise<{ startedMs: number; returnedMs: number }> {
  const startedMs = nowEpochMs();
  const child = spawn('sh', ['-c', 'mount -- "$1" "$2" || exit $?; date +%s%N', 'sh', device, mountPoint], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const ns = out.trim();
      if (code !== 0 || !/^[0-9]{19}$/.test(ns)) {
        reject(new Error(`mount ${device} ${mountPoint} failed (exit ${String(code)}): ${err.trim()}`));
        return;
      }
      // 19 digits of ns: split before converting so no precision is lost in a double.
      resolve({ startedMs, returnedMs: Number(ns.slice(0, 13)) + Number(ns.slice(13)) / 1e6 });
    });
  });
}

const mountedHere = (mountPoint: string): number =>
  parseMountinfo(new Uint8Array(readFileSync('/proc/self/mountinfo'))).mounts.filter((mount) => mount.mountPoint.text === mountPoint).length;

/**
 * Mounts the bench medium `count` times and measures each deny. `shouldStop` is checked between
 * mounts (Ctrl-C). Everything made here (image, loop device, mount point, seals, sysfs fixture) is
 * removed before it returns or throws.
 */
export async function measureMountDecisions(count: number, say: (line: string) => void, shouldStop: () => boolean = () => false): Promise<MountFigures> {
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-media-'));
  const mediaDir = `/media/mngbench-${randomBytes(4).toString('hex')}`;
  const mountPoint = path.join(mediaDir, 'USBSTICK');
  let loop: string | undefined;
  let sysfs: { root: string; cleanup(): void } | undefined;
  let enforcer: MountEnforcer | undefined;
  try {
    mkdirSync(mountPoint, { recursive: true });
    const image = path.join(work, 'usb.img');
    runCommand('truncate', ['-s', '16M', image]);
    runCommand('mkfs.ext4', ['-q', '-L', 'USBSTICK', image]);
    loop = runCommand('losetup', ['--find', '--show', image]);
    const device = loop;
    const name = path.basename(device);
    const dev = readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim();
    sysfs = makeSysfsRoot('mng-bench-sysfs-');
    // The fixture puts the real loop device (same major:minor) under USB port 1-3, removable.
    writeBlockTree(sysfs.root, [{ name, busPath: usbBusPath('1-3'), dev, removable: true, usbSerial: 'MNGBENCH01' }]);

    // Only our mount point, as in test/e2e/mount-loop.test.ts.
    const real = new MountinfoMountTable({ parse: parseMountinfo, clock: systemClock, periodicIntervalMs: 60_000 });
    const ours = (read: MountinfoRead): MountinfoRead => ({ mounts: read.mounts.filter((mount) => mount.mountPoint.text === mountPoint), problems: [] });
    const table: MountTable = {
      read: async () => ours(await real.read()),
      watch: (onChange, onError) =>
        real.watch((change) => {
          const keep = (mounts: typeof change.added) => mounts.filter((mount) => mount.mountPoint.text === mountPoint);
          const added = keep(change.added);
          if (added.length > 0) seenMs ??= nowEpochMs();
          onChange({ ...change, table: ours(change.table), added, removed: keep(change.removed), changed: keep(change.changed) });
        }, onError),
    };
    let waiter: ((event: AuditEventInput, atMs: number) => void) | undefined;
    // Timestamps of this round's steps, for the breakdown (epoch ms).
    let seenMs: number | undefined;
    let unmountMs: number | undefined;
    let sealMs: number | undefined;
    const control = new MountCommandControl();
    const timedControl: MountControl = {
      remountReadOnly: (point) => control.remountReadOnly(point),
      detachLazily: (point) => control.detachLazily(point),
      unmount: async (point) => {
        const t0 = nowEpochMs();
        const result = await control.unmount(point);
        unmountMs = nowEpochMs() - t0;
        return result;
      },
      sealMountPoint: async (point) => {
        const t0 = nowEpochMs();
        const result = await control.sealMountPoint(point);
        sealMs = nowEpochMs() - t0;
        return result;
      },
    };
    const otherOutcomes: string[] = [];
    enforcer = createMountEnforcer({
      table,
      blockFacts: new SysfsBlockFacts({ sysfsRoot: sysfs.root }),
      identity: new BlkidVolumeIdentity(),
      control: timedControl,
      // The bench medium has no holders; were anything to hold it, it is reported, never signalled.
      holders: new ProcMountHolders({
        signal: () => {
          throw Object.assign(new Error('the media bench never signals a process'), { code: 'EPERM' });
        },
      }),
      audit: {
        append: (event) => {
          const atMs = nowEpochMs();
          if (event.type.startsWith('media.') && event.data.mountPoint === mountPoint) {
            if (event.type !== 'media.deny') otherOutcomes.push(event.type);
            waiter?.(event, atMs);
          }
          return Promise.resolve({ seq: 0, hash: '0'.repeat(64) });
        },
      },
      clock: systemClock,
      policy: {
        current: () => ({
          media: { implements: [], classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' }, approvedVolumes: [], exportDestinations: [], automount: 'block' },
          allowedShares: [],
        }),
      },
    });
    await enforcer.start();
    // findmnt's first look at the table (the watch's own catch-up re-read covers the gap too).
    await sleep(300);

    const fromReturn: number[] = [];
    const fromStart: number[] = [];
    const mountCommand: number[] = [];
    let denied = 0;
    const phases = { detect: [] as number[], unmount: [] as number[], seal: [] as number[], rest: [] as number[] };
    for (let i = 0; i < count && !shouldStop(); i += 1) {
      seenMs = undefined;
      unmountMs = undefined;
      sealMs = undefined;
      const decided = new Promise<{ event: AuditEventInput; atMs: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mount ${i + 1}: no decision for ${mountPoint} within 5 s`)), 5_000);
        waiter = (event, atMs) => {
          clearTimeout(timer);
          resolve({ event, atMs });
        };
      });
      const stamp = await mountAndStamp(device, mountPoint);
      const { event, atMs } = await decided;
      waiter = undefined;
      const outcome = (event.data.outcome as { state?: string } | undefined)?.state;
      if (event.type !== 'media.deny' || outcome !== 'applied') throw new Error(`mount ${i + 1}: ${event.type} (${String(outcome)}), expected media.deny applied`);
      denied += 1;
      fromReturn.push(atMs - stamp.returnedMs);
      fromStart.push(atMs - stamp.startedMs);
      mountCommand.push(stamp.returnedMs - stamp.startedMs);
      if (seenMs !== undefined && unmountMs !== undefined && sealMs !== undefined) {
        const detect = Math.max(0, seenMs - stamp.returnedMs);
        phases.detect.push(detect);
        phases.unmount.push(unmountMs);
        phases.seal.push(sealMs);
        phases.rest.push(atMs - stamp.returnedMs - detect - unmountMs - sealMs);
      }
      // Now only the seal (tmpfs) is there: lift it for the next round, and let findmnt see it go.
      if (mountedHere(mountPoint) !== 1) throw new Error(`mount ${i + 1}: expected only the seal at ${mountPoint}`);
      runCommand('umount', [mountPoint]);
      await sleep(60);
    }
    const figures: MountFigures = {
      mounts: fromReturn.length,
      denied,
      mountToDecisionP50Ms: round(percentile(fromReturn, 50), 2),
      mountToDecisionP99Ms: round(percentile(fromReturn, 99), 2),
      mountToDecisionMaxMs: round(fromReturn.length === 0 ? Number.NaN : Math.max(...fromReturn), 2),
      mountStartToDecisionP99Ms: round(percentile(fromStart, 99), 2),
      mountCommandP50Ms: round(percentile(mountCommand, 50), 2),
      breakdownMs: {
        detect: { p50: round(percentile(phases.detect, 50), 2), p99: round(percentile(phases.detect, 99), 2) },
        unmount: { p50: round(percentile(phases.unmount, 50), 2), p99: round(percentile(phases.unmount, 99), 2) },
        seal: { p50: round(percentile(phases.seal, 50), 2), p99: round(percentile(phases.seal, 99), 2) },
        rest: { p50: round(percentile(phases.rest, 50), 2), p99: round(percentile(phases.rest, 99), 2) },
      },
      otherOutcomes,
    };
    const b = figures.breakdownMs;
    say(
      `mount appears → deny applied (unmounted + sealed): p50 ${figures.mountToDecisionP50Ms} ms, p99 ${figures.mountToDecisionP99Ms} ms, max ${figures.mountToDecisionMaxMs} ms over ${figures.mounts} loop mounts (from mount(8) start: p99 ${figures.mountStartToDecisionP99Ms} ms; mount(8) itself p50 ${figures.mountCommandP50Ms} ms)\n  p50/p99 by step: detect ${b.detect.p50}/${b.detect.p99} ms, unmount ${b.unmount.p50}/${b.unmount.p99} ms, seal ${b.seal.p50}/${b.seal.p99} ms, rest ${b.rest.p50}/${b.rest.p99} ms`,
    );
    return figures;
  } finally {
    // Each step on its own: one failing must not leave the others undone.
    const steps: (() => unknown)[] = [
      () => enforcer?.stop(),
      () => releaseMountPoint(mountPoint, loop),
      () => rmSync(mediaDir, { recursive: true, force: true }),
      () => rmSync(work, { recursive: true, force: true }),
      () => sysfs?.cleanup(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        say(`clean-up step failed: ${String(error)}`);
      }
    }
  }
}
