import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Mount, MountPath } from '../../mounts/model';
import type { MountHolder } from '../../mounts/ports';
import {
  isAtOrBelow,
  isWriteAccess,
  parseFdinfo,
  parseMaps,
  parsePasswd,
  parseProcStat,
  parseStatusUid,
  printableBytes,
  ProcMountHolders,
  type HolderSignal,
} from './proc-mount-holders';

/** A stat line as the kernel writes it (52 fields); `comm` goes in parentheses as it is. */
const statLine = (pid: number, comm: string, state = 'S', startTime = 1000 + pid, flags = 4194560): string =>
  `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1 ${flags} 120 0 0 0 3 1 0 0 20 0 1 0 ${startTime} 8794112 900 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;

describe('parseProcStat', () => {
  it('reads pid, comm, state, flags and start time', () => {
    expect(parseProcStat(statLine(4242, 'writer'))).toEqual({ pid: 4242, comm: 'writer', state: 'S', flags: 4194560, startTime: 5242 });
  });

  it('counts fields from the last parenthesis: a comm with ") R 1 (" cannot shift them', () => {
    expect(parseProcStat(statLine(7, 'a) R 1 (b', 'T', 99))).toMatchObject({ comm: 'a) R 1 (b', state: 'T', startTime: 99 });
  });

  it.each(['', 'garbage', '12 (x', '12 (x) S 1', 'x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21'])('rejects %j', (text) => {
    expect(parseProcStat(text)).toBeNull();
  });

  it('round-trips any comm of up to 15 bytes and never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.integer({ min: 1, max: 4194304 }), fc.nat(), (comm, pid, startTime) => {
        expect(parseProcStat(statLine(pid, comm, 'R', startTime))).toEqual({ pid, comm, state: 'R', flags: 4194560, startTime });
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => void parseProcStat(text)));
  });
});

describe('parseFdinfo and isWriteAccess', () => {
  it('reads the octal flags and the mount id (kernel 6.x layout)', () => {
    const info = parseFdinfo('pos:\t36\nflags:\t0100001\nmnt_id:\t43\nino:\t12\n');
    expect(info).toEqual({ flags: 0o100001, mntId: 43 });
    expect(isWriteAccess(info?.flags ?? 0)).toBe(true);
  });

  it.each([
    [0o100000, false],
    [0o100001, true],
    [0o100002, true],
    [0o2100002, true],
    [0o3, false],
  ])('flags %o → write %s', (flags, write) => {
    expect(isWriteAccess(flags)).toBe(write);
  });

  it('returns null without mnt_id or flags, and never throws (property)', () => {
    expect(parseFdinfo('pos:\t0\nflags:\t02\n')).toBeNull();
    expect(parseFdinfo('mnt_id:\t3\n')).toBeNull();
    fc.assert(fc.property(fc.string(), (text) => void parseFdinfo(text)));
  });
});

describe('parseMaps, parseStatusUid, parsePasswd, isAtOrBelow, printableBytes', () => {
  it('keeps file-backed mappings with their device in hex', () => {
    const text = [
      '55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1835042                    /usr/bin/cat',
      '7f00c0000000-7f00c0001000 rw-s 00000000 07:00 12                         /media/u/USB STICK/db.sqlite',
      '7ffd4c3c6000-7ffd4c3e7000 rw-p 00000000 00:00 0                          [stack]',
      'not a maps line',
    ].join('\n');
    expect(parseMaps(text)).toEqual([
      { major: 254, minor: 1, inode: 1835042, sharedWritable: false, path: '/usr/bin/cat' },
      { major: 7, minor: 0, inode: 12, sharedWritable: true, path: '/media/u/USB STICK/db.sqlite' },
    ]);
    fc.assert(fc.property(fc.string(), (line) => void parseMaps(line)));
  });

  it('reads the real uid and passwd names', () => {
    expect(parseStatusUid('Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\n')).toBe(1000);
    expect(parseStatusUid('Name:\tx\n')).toBeNull();
    expect(parsePasswd('root:x:0:0:root:/root:/bin/bash\nyamada:x:1000:1000:山田:/home/yamada:/bin/bash\nbroken\nyamada2:x:1000:1000::/:/bin/sh\n')).toEqual(
      new Map([
        [0, 'root'],
        [1000, 'yamada'],
      ]),
    );
  });

  it.each([
    ['/media/u/STICK', '/media/u/STICK', true],
    ['/media/u/STICK/dir/a', '/media/u/STICK', true],
    ['/media/u/STICK2', '/media/u/STICK', false],
    ['/media/u', '/media/u/STICK', false],
    ['/anything', '/', false],
  ])('%s at or below %s: %s', (target, point, expected) => {
    expect(isAtOrBelow(Buffer.from(target), Buffer.from(point))).toBe(expected);
  });

  it('prints control bytes and bytes that are not UTF-8 escaped', () => {
    expect(printableBytes(Buffer.concat([Buffer.from('/media/山田\n'), Buffer.from([0xff])]))).toBe('/media/山田\\n\\xff');
  });
});

describe('ProcMountHolders on a fixture proc tree', () => {
  let root: string;
  let signals: string[];
  const text = (value: string): MountPath => ({ bytes: new Uint8Array(Buffer.from(value)), text: value, display: value });
  const stick: Mount = {
    id: 43,
    parentId: 1,
    major: 7,
    minor: 0,
    root: text('/'),
    mountPoint: text('/media/u/USB STICK'),
    options: ['rw', 'relatime'],
    optionalFields: [],
    fsType: 'ext4',
    source: text('/dev/loop0'),
    superOptions: ['rw'],
  };
  const point = '/media/u/USB STICK';

  const writeProcess = (
    pid: number,
    spec: { comm?: string; state?: string; startTime?: number; flags?: number; uid?: number; fds?: Record<string, { target: string; info?: string }>; cwd?: string; maps?: string },
  ): void => {
    const dir = path.join(root, String(pid));
    mkdirSync(path.join(dir, 'fd'), { recursive: true });
    mkdirSync(path.join(dir, 'fdinfo'), { recursive: true });
    writeFileSync(path.join(dir, 'stat'), statLine(pid, spec.comm ?? 'proc', spec.state ?? 'S', spec.startTime ?? 1000 + pid, spec.flags ?? 4194560));
    writeFileSync(path.join(dir, 'status'), `Name:\t${spec.comm ?? 'proc'}\nUid:\t${spec.uid ?? 1000}\t${spec.uid ?? 1000}\t0\t0\n`);
    for (const [fd, { target, info }] of Object.entries(spec.fds ?? {})) {
      symlinkSync(target, path.join(dir, 'fd', fd));
      if (info !== undefined) writeFileSync(path.join(dir, 'fdinfo', fd), info);
    }
    symlinkSync(spec.cwd ?? '/home/u', path.join(dir, 'cwd'));
    symlinkSync('/', path.join(dir, 'root'));
    writeFileSync(path.join(dir, 'maps'), spec.maps ?? '');
  };
  const setState = (pid: number, state: string, startTime = 1000 + pid): void => {
    writeFileSync(path.join(root, String(pid), 'stat'), statLine(pid, 'proc', state, startTime));
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'mng-proc-'));
    signals = [];
    writeFileSync(path.join(root, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nyamada:x:1000:1000::/home/yamada:/bin/bash\n');
    writeFileSync(path.join(root, 'uptime'), '1.0 1.0\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A fake kill(2): STOP → state T, CONT → S, KILL → zombie (or nothing, for a process stuck in D). */
  const kernel =
    (stuck: readonly number[] = []) =>
    (pid: number, signal: HolderSignal): void => {
      signals.push(`${signal} ${pid}`);
      if (signal === 'SIGSTOP') setState(pid, 'T');
      if (signal === 'SIGCONT') setState(pid, 'S');
      if (signal === 'SIGKILL' && !stuck.includes(pid)) setState(pid, 'Z');
    };
  const adapter = (stuck: readonly number[] = []) =>
    new ProcMountHolders({ procRoot: root, passwdFile: path.join(root, 'passwd'), agentPid: 777, signal: kernel(stuck), stopTimeoutMs: 100, exitTimeoutMs: 100, pollMs: 1 });

  it('finds holders by fdinfo mnt_id, cwd below the mount point and mappings of its device; nothing else', async () => {
    const fdinfo = (flags: string, mntId: number) => `pos:\t0\nflags:\t${flags}\nmnt_id:\t${mntId}\nino:\t12\n`;
    writeProcess(100, { comm: 'writer', fds: { '3': { target: `${point}/log.txt`, info: fdinfo('0100001', 43) }, '4': { target: 'pipe:[123]' } } });
    writeProcess(101, { comm: 'reader', uid: 0, fds: { '5': { target: `${point}/a.pdf`, info: fdinfo('0100000', 43) } } });
    // Same path text, other mount (the id decides, not the path).
    writeProcess(102, { comm: 'other', fds: { '3': { target: `${point}/log.txt`, info: fdinfo('0100002', 44) } } });
    writeProcess(103, { comm: 'shell', uid: 4321, cwd: `${point}/dir` });
    writeProcess(104, { comm: 'sibling', cwd: `${point}2` });
    writeProcess(105, { comm: 'mapper', maps: '7f00c0000000-7f00c0001000 rw-s 00000000 07:00 12 /media/u/USB STICK/db\n7f00-7f01 r--p 00000000 fe:01 99 /usr/lib/x.so\n' });
    writeProcess(2, { comm: 'kthreadd', flags: 0x00208040 });
    writeProcess(106, { comm: 'zombie', state: 'Z', fds: { '3': { target: `${point}/z`, info: fdinfo('01', 43) } } });
    mkdirSync(path.join(root, 'self'), { recursive: true });

    const holders = await adapter().findHolders(stick);
    expect(holders).toEqual([
      { pid: 100, startTime: 1100, comm: 'writer', uid: 1000, user: 'yamada', kernelThread: false, handles: [{ kind: 'write-fd', path: `${point}/log.txt` }] },
      { pid: 101, startTime: 1101, comm: 'reader', uid: 0, user: 'root', kernelThread: false, handles: [{ kind: 'read-fd', path: `${point}/a.pdf` }] },
      { pid: 103, startTime: 1103, comm: 'shell', uid: 4321, user: null, kernelThread: false, handles: [{ kind: 'cwd', path: `${point}/dir` }] },
      { pid: 105, startTime: 1105, comm: 'mapper', uid: 1000, user: 'yamada', kernelThread: false, handles: [{ kind: 'map', path: `${point}/db` }] },
    ]);
  });

  it('marks kernel threads (PF_KTHREAD) so they are never signalled', async () => {
    writeProcess(2, { comm: 'kworker', flags: 0x00208040, cwd: point });
    expect((await adapter().findHolders(stick))[0]?.kernelThread).toBe(true);
  });

  it('rejects when the proc root cannot be listed at all', async () => {
    await expect(new ProcMountHolders({ procRoot: path.join(root, 'missing') }).findHolders(stick)).rejects.toThrow();
  });

  const holder = (pid: number, startTime = 1000 + pid): MountHolder => ({ pid, startTime, comm: 'proc', uid: 1000, user: 'yamada', kernelThread: false, handles: [] });

  it('stops every target before killing any, then waits for them to exit', async () => {
    writeProcess(100, {});
    writeProcess(101, {});
    const termination = await adapter().terminate([holder(100), holder(101)]);
    expect(signals).toEqual(['SIGSTOP 100', 'SIGSTOP 101', 'SIGKILL 100', 'SIGKILL 101']);
    expect(termination.stops.map((stop) => stop.result)).toEqual(['killed', 'killed']);
    expect(termination.frozenAtMs).toBeGreaterThan(0);
  });

  it('a pid that now names another process (start time differs) or has exited is not signalled', async () => {
    writeProcess(100, { startTime: 9999 });
    const termination = await adapter().terminate([holder(100), holder(200)]);
    expect(signals).toEqual([]);
    expect(termination.stops.map((stop) => stop.result)).toEqual(['gone', 'gone']);
  });

  it('a pid reused between the check and SIGSTOP is continued again, not killed', async () => {
    writeProcess(100, {});
    const reuse = (pid: number, signal: HolderSignal): void => {
      signals.push(`${signal} ${pid}`);
      // The old process exits and a new one takes its pid just as it is stopped.
      if (signal === 'SIGSTOP') setState(pid, 'T', 5555);
    };
    const termination = await new ProcMountHolders({ procRoot: root, agentPid: 777, signal: reuse, stopTimeoutMs: 50, exitTimeoutMs: 50, pollMs: 1 }).terminate([holder(100)]);
    expect(signals).toEqual(['SIGSTOP 100', 'SIGCONT 100']);
    expect(termination.stops[0]?.result).toBe('gone');
  });

  it('a process stuck after SIGKILL is reported as survived; ESRCH means gone; EPERM is failed', async () => {
    writeProcess(100, {});
    writeProcess(101, {});
    writeProcess(102, {});
    const signal = (pid: number, name: HolderSignal): void => {
      if (pid === 101) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
      if (pid === 102) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      kernel([100])(pid, name);
    };
    const termination = await new ProcMountHolders({ procRoot: root, agentPid: 777, signal, stopTimeoutMs: 50, exitTimeoutMs: 50, pollMs: 1 }).terminate([holder(100), holder(101), holder(102)]);
    expect(termination.stops.map((stop) => [stop.result, stop.detail])).toEqual([
      ['survived', 'state T 50 ms after SIGKILL'],
      ['gone', ''],
      ['failed', 'SIGSTOP: kill EPERM'],
    ]);
  });

  it('refuses pid 1, pid ≤ 0 and its own pid even if asked', async () => {
    writeProcess(1, {});
    writeProcess(777, {});
    const termination = await adapter().terminate([holder(1), holder(0), holder(-1), holder(777)]);
    expect(signals).toEqual([]);
    expect(termination.stops.every((stop) => stop.result === 'failed')).toBe(true);
  });
});
