// MountinfoMountTable on a fixture proc root with a scripted findmnt child: change detection,
// coalesced re-reads, a dying watcher restarted a bounded number of times, periodic fallback.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock';
import { ErrorCode, MngError } from '../../src/shared/errors';
import { parseMountinfo, type MountTableChange } from '../../src/agent/mounts';
import { findmntPollArgs, MountinfoMountTable } from '../../src/agent/platform/linux';
import type { MonitorChild, SpawnMonitorChild } from '../../src/agent/platform/linux/udevadm-usb-hotplug';
import { makeSysfsRoot } from '../helpers/sysfs-tree';

const base = '22 27 0:21 / /proc rw,relatime - proc proc rw\n';
const stickLine = '101 27 7:0 / /media/u/USB\\040STICK rw,relatime - ext4 /dev/loop0 rw\n';

interface FakeChild extends MonitorChild {
  emit(text: string): void;
  exit(code: number): void;
  killed: string[];
}

function fakeSpawner(): { spawn: SpawnMonitorChild; children: FakeChild[]; calls: string[][] } {
  const children: FakeChild[] = [];
  const calls: string[][] = [];
  const spawn: SpawnMonitorChild = (command, args) => {
    calls.push([command, ...args]);
    const stdout: ((chunk: string) => void)[] = [];
    const exits: ((code: number | null, signal: string | null) => void)[] = [];
    const child: FakeChild = {
      killed: [],
      onStdout: (listener) => stdout.push(listener),
      onStderr: () => undefined,
      onExit: (listener) => exits.push(listener),
      onError: () => undefined,
      kill(signal) {
        child.killed.push(signal);
        for (const listener of exits) listener(null, signal);
      },
      emit: (text) => {
        for (const listener of stdout) listener(text);
      },
      exit: (code) => {
        for (const listener of exits) listener(code, null);
      },
    };
    children.push(child);
    return child;
  };
  return { spawn, children, calls };
}

const waitFor = async (condition: () => boolean, timeoutMs = 3_000): Promise<void> => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

let procRoot: string;
let cleanup: () => void;
const writeTable = (text: string): void => writeFileSync(path.join(procRoot, 'self/mountinfo'), text);

beforeEach(() => {
  ({ root: procRoot, cleanup } = makeSysfsRoot('mng-proc-'));
  mkdirSync(path.join(procRoot, 'self'));
  writeTable(base);
});
afterEach(() => cleanup());

const table = (options: Partial<ConstructorParameters<typeof MountinfoMountTable>[0]> = {}): MountinfoMountTable =>
  new MountinfoMountTable({ parse: parseMountinfo, clock: systemClock, procRoot, setprivPath: null, periodicIntervalMs: 60_000, ...options });

describe('MountinfoMountTable', () => {
  it('reads and parses the table under the proc root', async () => {
    writeTable(base + stickLine + 'garbage\n');
    const read = await table().read();
    expect(read.mounts.map((mount) => mount.mountPoint.text)).toEqual(['/proc', '/media/u/USB STICK']);
    expect(read.problems).toMatchObject([{ line: 3, code: 'too-few-fields' }]);
  });

  it('fails with a stable code when there is no table', async () => {
    const error = await table({ procRoot: path.join(procRoot, 'nowhere') }).read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MngError);
    expect((error as MngError).code).toBe(ErrorCode.MountTableUnreadable);
  });

  it('re-reads on each findmnt line and reports added, changed and removed mounts', async () => {
    const { spawn, children, calls } = fakeSpawner();
    const changes: MountTableChange[] = [];
    const errors: Error[] = [];
    const watch = await table({ spawn }).watch((change) => changes.push(change), (error) => errors.push(error));
    expect(calls[0]).toEqual(['stdbuf', '-oL', 'findmnt', ...findmntPollArgs]);
    writeTable(base + stickLine);
    children[0]?.emit('mount /media/u/USB\\x20STICK\n');
    await waitFor(() => changes.length === 1);
    expect(changes[0]).toMatchObject({ trigger: 'findmnt', removed: [], changed: [] });
    expect(changes[0]?.added.map((mount) => mount.mountPoint.text)).toEqual(['/media/u/USB STICK']);
    writeTable(base + stickLine.replace('rw,relatime', 'ro,relatime'));
    children[0]?.emit('remount /media/u/USB\\x20STICK\n');
    await waitFor(() => changes.length === 2);
    expect(changes[1]?.changed.map((mount) => mount.options[0])).toEqual(['ro']);
    writeTable(base);
    children[0]?.emit('umount /media/u/USB\\x20STICK\n');
    await waitFor(() => changes.length === 3);
    expect(changes[2]?.removed.map((mount) => mount.id)).toEqual([101]);
    await watch.stop();
    expect(children[0]?.killed).toEqual(['SIGTERM']);
    expect(errors).toEqual([]);
  });

  it('coalesces a burst of events into few re-reads and reports nothing unchanged', async () => {
    const { spawn, children } = fakeSpawner();
    const changes: MountTableChange[] = [];
    const watch = await table({ spawn }).watch((change) => changes.push(change), () => undefined);
    writeTable(base + stickLine);
    for (let i = 0; i < 100; i += 1) children[0]?.emit('mount x\n');
    await waitFor(() => changes.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toHaveLength(1);
    await watch.stop();
  });

  it('restarts a dying watcher a bounded number of times, says so, and keeps the periodic re-read', async () => {
    const { spawn, children } = fakeSpawner();
    const changes: MountTableChange[] = [];
    const errors: Error[] = [];
    const watch = await table({ spawn, maxRestarts: 2, restartDelayMs: 5, periodicIntervalMs: 50 }).watch(
      (change) => changes.push(change),
      (error) => errors.push(error),
    );
    children[0]?.exit(1);
    await waitFor(() => children.length === 2);
    children[1]?.exit(1);
    await waitFor(() => children.length === 3);
    children[2]?.exit(1);
    await waitFor(() => errors.length === 4);
    expect(errors.every((error) => error instanceof MngError && error.code === ErrorCode.MountWatchFailed)).toBe(true);
    expect(errors[0]?.message).toContain('findmnt --poll exited (code 1)');
    expect(errors[3]?.message).toContain('giving up');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(children).toHaveLength(3);
    writeTable(base + stickLine);
    await waitFor(() => changes.length === 1);
    expect(changes[0]?.trigger).toBe('periodic');
    await watch.stop();
  });

  it('watches by periodic re-read alone when findmnt is switched off', async () => {
    const { spawn, children } = fakeSpawner();
    const changes: MountTableChange[] = [];
    const watch = await table({ spawn, findmntCommand: null, periodicIntervalMs: 20 }).watch((change) => changes.push(change), () => undefined);
    writeTable(base + stickLine);
    await waitFor(() => changes.length === 1);
    expect(children).toHaveLength(0);
    await watch.stop();
  });
});
