import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, MngError } from '../../../shared/errors';
import type { UsbHotplugEvent } from '../../usb/ports';
import { repoRoot } from '../../../../test/helpers/mng';
import {
  createUdevadmDeduplicator,
  createUdevadmUsbHotplug,
  parseUdevadmMonitorBlock,
  parseUsbHotplugEvent,
  udevadmMonitorArgs,
  type MonitorChild,
  type UdevadmMonitorBlock,
} from './udevadm-usb-hotplug';

// Captured from `udevadm monitor --kernel --udev --property --subsystem-match=usb` (systemd 252)
// while the umockdev driver plugged usb-hub.umockdev, then android-phone-ptp.umockdev behind it,
// sent `change` to the phone and unplugged the hub.
const capturedUmockdev = readFileSync(path.join(repoRoot, 'test/fixtures/umockdev/udevadm-monitor-hub-ptp.txt'), 'utf8');

// Shaped like a real host (not captured here: the development machines have no USB subsystem): the
// kernel copy first, the udev copy later with udev's own properties, values with spaces and `=`.
const realHostShaped = `KERNEL[81234.567890] add      /devices/pci0000:00/0000:00:14.0/usb1/1-3 (usb)
ACTION=add
DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-3
SUBSYSTEM=usb
DEVNAME=/dev/bus/usb/001/004
DEVTYPE=usb_device
PRODUCT=781/5567/100
TYPE=0/0/0
BUSNUM=001
DEVNUM=004
SEQNUM=4711
MAJOR=189
MINOR=3

UDEV  [81234.601234] add      /devices/pci0000:00/0000:00:14.0/usb1/1-3 (usb)
ACTION=add
DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-3
SUBSYSTEM=usb
DEVNAME=/dev/bus/usb/001/004
DEVTYPE=usb_device
PRODUCT=781/5567/100
TYPE=0/0/0
BUSNUM=001
DEVNUM=004
SEQNUM=4711
USEC_INITIALIZED=81234567901
ID_VENDOR=SanDisk
ID_MODEL_FROM_DATABASE=Cruzer Blade (a=b)
ID_SERIAL=SanDisk_Cruzer_Blade_4C530001231219117332
TAGS=:uaccess:
CURRENT_TAGS=:uaccess:
MAJOR=189
MINOR=3

`;

/** Splits monitor output into blocks the way the source does (blank-line separated). */
function blocksOf(text: string): string[] {
  return text
    .split('\n\n')
    .map((block) => (block === '' ? block : `${block}\n`))
    .filter((block) => block.trim() !== '');
}

function parsedBlocks(text: string): UdevadmMonitorBlock[] {
  return blocksOf(text).flatMap((block) => {
    const parsed = parseUdevadmMonitorBlock(block);
    return parsed === undefined ? [] : [parsed];
  });
}

describe('parseUdevadmMonitorBlock', () => {
  it('reads every event of the captured umockdev session and skips the banner', () => {
    const blocks = blocksOf(capturedUmockdev);
    expect(parseUdevadmMonitorBlock(blocks[0] as string)).toBeUndefined();
    const parsed = parsedBlocks(capturedUmockdev);
    expect(parsed).toHaveLength(18);
    expect(parsed.map((block) => `${block.origin} ${block.action} ${path.basename(block.devpath)}`).slice(0, 4)).toEqual([
      'UDEV add 1-6',
      'KERNEL add 1-6',
      'UDEV add 1-6:1.0',
      'KERNEL add 1-6:1.0',
    ]);
    const first = parsed[0] as UdevadmMonitorBlock;
    expect(first.subsystem).toBe('usb');
    expect(first.seqnum).toBe('3');
    expect(first.properties.get('DEVTYPE')).toBe('usb_device');
    expect(first.properties.get('PRODUCT')).toBe('5e3/608/8537');
  });

  it('keeps values with spaces and = and takes ACTION/DEVPATH from the properties', () => {
    const [kernel, udev] = parsedBlocks(realHostShaped);
    expect(kernel).toMatchObject({ origin: 'KERNEL', action: 'add', devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-3', seqnum: '4711' });
    expect(udev?.origin).toBe('UDEV');
    expect(udev?.properties.get('ID_MODEL_FROM_DATABASE')).toBe('Cruzer Blade (a=b)');
    expect(udev?.properties.get('TAGS')).toBe(':uaccess:');
  });

  it('falls back to the header when properties are missing and keeps odd keys out of the prototype', () => {
    const parsed = parseUdevadmMonitorBlock('KERNEL[1.5] remove   /devices/x/usb2/2-1 (usb)\n__proto__=polluted\nnot a property\n');
    expect(parsed).toMatchObject({ origin: 'KERNEL', action: 'remove', devpath: '/devices/x/usb2/2-1', subsystem: 'usb', seqnum: undefined });
    expect(parsed?.properties.get('__proto__')).toBe('polluted');
    expect(parsed?.properties.size).toBe(1);
  });

  it.each([
    ['', 'empty'],
    ['monitor will print the received events for:\nUDEV - the event which udev sends out after rule processing\n', 'banner'],
    ['ACTION=add\nDEVPATH=/devices/x\n', 'no header'],
    ['KERNEL add /devices/x (usb)\n', 'header without timestamp'],
    ['SOMETHING[1.0] add /devices/x (usb)\n', 'unknown origin'],
    ['KERNEL[1.0] add devices/x (usb)\n', 'devpath not absolute'],
  ])('returns undefined for %j (%s)', (text) => {
    expect(parseUdevadmMonitorBlock(text)).toBeUndefined();
  });

  it('never throws, whatever the text (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        parseUdevadmMonitorBlock(text);
        parseUdevadmMonitorBlock(`KERNEL[1.0] add /devices/a (usb)\n${text}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back every generated block (property)', () => {
    const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/).filter((name) => !['ACTION', 'DEVPATH', 'SUBSYSTEM', 'SEQNUM'].includes(name));
    const value = fc.string({ maxLength: 40 }).filter((text) => !text.includes('\n'));
    fc.assert(
      fc.property(
        fc.constantFrom('KERNEL' as const, 'UDEV' as const),
        fc.constantFrom('add', 'remove', 'change', 'bind', 'unbind'),
        fc.array(fc.stringMatching(/^[a-z0-9:.-]{1,12}$/), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.dictionary(key, value, { maxKeys: 8 }),
        (origin, action, parts, seqnum, extra) => {
          const devpath = `/devices/${parts.join('/')}`;
          const lines = [`${origin === 'KERNEL' ? 'KERNEL' : 'UDEV  '}[123.456] ${action.padEnd(8)} ${devpath} (usb)`, `ACTION=${action}`, `DEVPATH=${devpath}`, 'SUBSYSTEM=usb', `SEQNUM=${seqnum}`];
          for (const [name, text] of Object.entries(extra)) lines.push(`${name}=${text}`);
          const parsed = parseUdevadmMonitorBlock(`${lines.join('\n')}\n`);
          expect(parsed).toMatchObject({ origin, action, devpath, subsystem: 'usb', seqnum: String(seqnum) });
          for (const [name, text] of Object.entries(extra)) expect(parsed?.properties.get(name)).toBe(text);
        },
      ),
    );
  });
});

describe('parseUsbHotplugEvent', () => {
  const block = (action: string, devpath: string, devtype: string, subsystem = 'usb'): UdevadmMonitorBlock => ({
    origin: 'KERNEL',
    action,
    devpath,
    subsystem,
    seqnum: '1',
    properties: new Map([['DEVTYPE', devtype]]),
  });

  it.each([
    ['add', '/devices/pci0000:00/0000:00:14.0/usb1/1-3', '1-3'],
    ['remove', '/devices/pci0000:00/0000:00:14.0/usb1/1-6/1-6.2', '1-6.2'],
    ['change', '/devices/pci0000:00/0000:00:14.0/usb1', 'usb1'],
    ['add', '/devices/pci0000:00/0000:00:14.0/usb3/3-1/3-1.4/3-1.4.1/3-1.4.1.2', '3-1.4.1.2'],
  ])('%s of %s is an event for port %s', (action, devpath, port) => {
    expect(parseUsbHotplugEvent(block(action, devpath, 'usb_device'), 42)).toEqual({ kind: 'event', event: { action, port, source: 'udev', atMs: 42 } });
  });

  it.each([
    [block('add', '/devices/x/usb1/1-3/1-3:1.0', 'usb_interface'), 'an interface'],
    [block('bind', '/devices/x/usb1/1-3', 'usb_device'), 'a bind'],
    [block('unbind', '/devices/x/usb1/1-3', 'usb_device'), 'an unbind'],
    [block('add', '/devices/x/usb1/1-3', 'usb_device', 'block'), 'another subsystem'],
    [block('add', '/devices/x/usb1/1-3', ''), 'no DEVTYPE'],
  ])('ignores %s (%s)', (input) => {
    expect(parseUsbHotplugEvent(input, 0)).toEqual({ kind: 'ignored' });
  });

  it.each(['/devices/x/usb1/1-0:1.0', '/devices/x/usb0', '/devices/x/1-0', '/devices/x/1-3.0', '/devices/x/weird name', '/devices/x/1-1.1.1.1.1.1.1.1'])(
    'reports a usb_device whose DEVPATH %s does not end in a port name',
    (devpath) => {
      expect(parseUsbHotplugEvent(block('add', devpath, 'usb_device'), 0).kind).toBe('invalid');
    },
  );

  it('turns the captured session into one add, change and remove per device after de-duplication', () => {
    const isNew = createUdevadmDeduplicator();
    const events = parsedBlocks(capturedUmockdev).flatMap((parsed) => {
      const meaning = parseUsbHotplugEvent(parsed, 0);
      return meaning.kind === 'event' && isNew(parsed) ? [`${meaning.event.action} ${meaning.event.port}`] : [];
    });
    expect(events).toEqual(['add 1-6', 'add 1-6.2', 'change 1-6.2', 'remove 1-6.2', 'remove 1-6']);
  });
});

describe('createUdevadmDeduplicator', () => {
  const copy = (origin: 'KERNEL' | 'UDEV', seqnum: string | undefined, action = 'add', devpath = '/devices/x/usb1/1-3'): UdevadmMonitorBlock => ({
    origin,
    action,
    devpath,
    subsystem: 'usb',
    seqnum,
    properties: new Map(),
  });

  it('takes the first copy in either order', () => {
    const isNew = createUdevadmDeduplicator();
    expect([isNew(copy('KERNEL', '1')), isNew(copy('UDEV', '1')), isNew(copy('UDEV', '2')), isNew(copy('KERNEL', '2'))]).toEqual([true, false, true, false]);
  });

  it('lets every event through when udevd is not running (kernel copies only)', () => {
    const isNew = createUdevadmDeduplicator();
    expect(['1', '2', '3'].map((seqnum) => isNew(copy('KERNEL', seqnum)))).toEqual([true, true, true]);
  });

  it('treats a repeat from the same origin without SEQNUM as a new event', () => {
    const isNew = createUdevadmDeduplicator();
    expect([isNew(copy('KERNEL', undefined)), isNew(copy('KERNEL', undefined)), isNew(copy('UDEV', undefined))]).toEqual([true, true, false]);
  });

  it('forgets unmatched copies beyond its capacity', () => {
    const isNew = createUdevadmDeduplicator(2);
    isNew(copy('KERNEL', '1'));
    isNew(copy('KERNEL', '2'));
    isNew(copy('KERNEL', '3'));
    // The udev copy of event 1 comes too late to be matched; 3 is still remembered.
    expect(isNew(copy('UDEV', '1'))).toBe(true);
    expect(isNew(copy('UDEV', '3'))).toBe(false);
  });
});

// A hand-driven clock and timer queue: restarts and timeouts run when the test says so.
function createManualTime() {
  let nowMs = 1_000_000;
  let nextId = 0;
  const timers = new Map<number, { atMs: number; callback: () => void }>();
  return {
    clock: { nowMs: () => nowMs },
    schedule: (callback: () => void, delayMs: number) => {
      const id = nextId++;
      timers.set(id, { atMs: nowMs + delayMs, callback });
      return () => {
        timers.delete(id);
      };
    },
    pendingDelaysMs: () => [...timers.values()].map((timer) => timer.atMs - nowMs).sort((a, b) => a - b),
    advanceMs(deltaMs: number) {
      const until = nowMs + deltaMs;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.atMs <= until).sort((a, b) => a[1].atMs - b[1].atMs)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        nowMs = due[1].atMs;
        due[1].callback();
      }
      nowMs = until;
    },
  };
}

interface FakeChild extends MonitorChild {
  readonly kills: string[];
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number | null, signal?: string | null): void;
  fail(error: Error): void;
}

function createFakeSpawn(options: { exitOnSignal?: boolean } = {}) {
  const children: FakeChild[] = [];
  const calls: { command: string; args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
  const spawn = (command: string, args: readonly string[], env: NodeJS.ProcessEnv): MonitorChild => {
    calls.push({ command, args, env });
    let onStdout: (chunk: string) => void = () => undefined;
    let onStderr: (chunk: string) => void = () => undefined;
    let onExit: (code: number | null, signal: string | null) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    let exited = false;
    const child: FakeChild = {
      kills: [],
      onStdout: (listener) => (onStdout = listener),
      onStderr: (listener) => (onStderr = listener),
      onExit: (listener) => (onExit = listener),
      onError: (listener) => (onError = listener),
      kill(signal) {
        child.kills.push(signal);
        if (options.exitOnSignal !== false && !exited) queueMicrotask(() => child.exit(null, signal));
      },
      stdout: (text) => onStdout(text),
      stderr: (text) => onStderr(text),
      exit(code, signal = null) {
        if (exited) return;
        exited = true;
        onExit(code, signal);
      },
      fail: (error) => onError(error),
    };
    children.push(child);
    return child;
  };
  return { spawn, children, calls };
}

const banner = 'monitor will print the received events for:\nUDEV - the event which udev sends out after rule processing\nKERNEL - the kernel uevent\n\n';
const deviceEvent = (origin: string, action: string, port: string, seqnum: number, devtype = 'usb_device') =>
  `${origin}[1.0] ${action} /devices/pci0000:00/0000:00:14.0/usb1/${port} (usb)\nACTION=${action}\nDEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/${port}\nSUBSYSTEM=usb\nSEQNUM=${seqnum}\nDEVTYPE=${devtype}\n\n`;

/** Lets every pending promise callback run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function errorCodeOf(error: unknown): string | undefined {
  return error instanceof MngError ? error.code : undefined;
}

describe('createUdevadmUsbHotplug (fake child)', () => {
  function setUp(extra: { exitOnSignal?: boolean } = {}) {
    const time = createManualTime();
    const fake = createFakeSpawn(extra);
    const events: UsbHotplugEvent[] = [];
    const errors: Error[] = [];
    const source = createUdevadmUsbHotplug({ clock: time.clock, spawn: fake.spawn, schedule: time.schedule, env: { UMOCKDEV_DIR: '/tmp/x' }, setprivPath: null });
    const start = () =>
      source.start(
        (event) => events.push(event),
        (error) => errors.push(error),
      );
    return { time, fake, events, errors, source, start };
  }

  it('runs udevadm monitor with the injected env and resolves on the banner, even split across chunks', async () => {
    const { fake, start, source } = setUp();
    let started = false;
    const starting = start().then(() => (started = true));
    expect(fake.calls).toEqual([{ command: 'udevadm', args: udevadmMonitorArgs, env: { UMOCKDEV_DIR: '/tmp/x' } }]);
    expect(udevadmMonitorArgs).toEqual(['monitor', '--kernel', '--udev', '--property', '--subsystem-match=usb']);
    fake.children[0]?.stdout(banner.slice(0, 30));
    await Promise.resolve();
    expect(started).toBe(false);
    fake.children[0]?.stdout(banner.slice(30));
    await starting;
    expect(started).toBe(true);
    await source.stop();
  });

  it('starts udevadm under setpriv --pdeathsig KILL, so it dies with a killed agent', async () => {
    const time = createManualTime();
    const fake = createFakeSpawn();
    const source = createUdevadmUsbHotplug({ clock: time.clock, spawn: fake.spawn, schedule: time.schedule, setprivPath: '/usr/bin/setpriv' });
    const started = source.start(() => undefined, () => undefined);
    fake.children[0]?.stdout(banner);
    await started;
    expect(fake.calls.map((call) => [call.command, ...call.args])).toEqual([['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', 'udevadm', ...udevadmMonitorArgs]]);
    await source.stop();
  });

  it('emits one event per device event, de-duplicated, with the clock time of arrival', async () => {
    const { fake, start, events, errors, time, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    time.advanceMs(5);
    const child = fake.children[0] as FakeChild;
    // The interface event and the udev copies produce nothing; chunks split mid-block.
    const text = deviceEvent('UDEV  ', 'add', '1-3', 7) + deviceEvent('KERNEL', 'add', '1-3', 7) + deviceEvent('KERNEL', 'add', '1-3/1-3:1.0', 8, 'usb_interface') + deviceEvent('KERNEL', 'change', '1-3', 9);
    child.stdout(text.slice(0, 100));
    child.stdout(text.slice(100));
    expect(events).toEqual([
      { action: 'add', port: '1-3', source: 'udev', atMs: 1_000_005 },
      { action: 'change', port: '1-3', source: 'udev', atMs: 1_000_005 },
    ]);
    expect(errors).toEqual([]);
    await source.stop();
  });

  it('reports a consumer that throws and keeps delivering', async () => {
    const { fake, time, source } = setUp();
    const errors: Error[] = [];
    let calls = 0;
    const starting = source.start(
      () => {
        calls += 1;
        throw new Error('consumer bug');
      },
      (error) => errors.push(error),
    );
    fake.children[0]?.stdout(banner);
    await starting;
    fake.children[0]?.stdout(deviceEvent('KERNEL', 'add', '1-3', 1) + deviceEvent('KERNEL', 'remove', '1-3', 2));
    expect(calls).toBe(2);
    expect(errors.map((error) => error.message)).toEqual(['consumer bug', 'consumer bug']);
    time.advanceMs(1);
    await source.stop();
  });

  it('reports a device event whose DEVPATH is not a port name', async () => {
    const { fake, start, events, errors, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    fake.children[0]?.stdout(deviceEvent('KERNEL', 'add', 'not-a-port', 1));
    expect(events).toEqual([]);
    expect(errors.map(errorCodeOf)).toEqual([ErrorCode.UsbHotplugFailed]);
    await source.stop();
  });

  it('rejects start() when udevadm cannot be spawned (ENOENT) and does not restart', async () => {
    const { fake, start, time } = setUp();
    const starting = start();
    fake.children[0]?.fail(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' }));
    const error = await starting.catch((e: unknown) => e);
    expect(errorCodeOf(error)).toBe(ErrorCode.UsbHotplugFailed);
    expect((error as MngError).text.en).toContain('ENOENT');
    expect((error as MngError).text.ja).toContain('udevadm');
    time.advanceMs(60_000);
    expect(fake.calls).toHaveLength(1);
  });

  it('rejects start() and kills the child when no banner comes within the start timeout', async () => {
    const { fake, start, time } = setUp();
    const starting = start();
    time.advanceMs(5_000);
    const error = await starting.catch((e: unknown) => e);
    expect(errorCodeOf(error)).toBe(ErrorCode.UsbHotplugFailed);
    expect((error as MngError).text.en).toContain('no banner within 5000 ms');
    expect(fake.children[0]?.kills).toEqual(['SIGKILL']);
  });

  it('rejects start() when udevadm exits before its banner, with its stderr', async () => {
    const { fake, start } = setUp();
    const starting = start();
    fake.children[0]?.stderr('Failed to create monitor: Permission denied\n');
    fake.children[0]?.exit(1);
    const error = await starting.catch((e: unknown) => e);
    expect((error as MngError).text.en).toBe('udevadm monitor exited (code 1): Failed to create monitor: Permission denied');
  });

  it('restarts a dying child with a doubling, bounded delay, reporting each death, and resets after a stable run', async () => {
    const { fake, start, errors, time, events, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;

    const delays: number[] = [];
    for (let round = 0; round < 9; round += 1) {
      fake.children.at(-1)?.exit(null, 'SIGSEGV');
      delays.push(time.pendingDelaysMs()[0] ?? -1);
      time.advanceMs(time.pendingDelaysMs()[0] ?? 0);
      fake.children.at(-1)?.stdout(banner);
      await flush();
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    expect(errors).toHaveLength(9);
    expect(errors.every((error) => errorCodeOf(error) === ErrorCode.UsbHotplugFailed)).toBe(true);
    expect(errors[0]?.message).toContain('exited (signal SIGSEGV)');

    // The restarted child delivers events.
    fake.children.at(-1)?.stdout(deviceEvent('KERNEL', 'add', '1-2', 1));
    expect(events.map((event) => event.port)).toEqual(['1-2']);

    // A child that ran for the stable time resets the delay.
    time.advanceMs(60_000);
    fake.children.at(-1)?.exit(1);
    expect(time.pendingDelaysMs()[0]).toBe(100);
    await source.stop();
    time.advanceMs(1_000);
    expect(fake.calls).toHaveLength(10);
  });

  it('retries a restart that fails before the banner', async () => {
    const { fake, start, errors, time, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    fake.children[0]?.exit(1);
    time.advanceMs(100);
    expect(fake.children).toHaveLength(2);
    fake.children[1]?.fail(new Error('spawn udevadm EAGAIN'));
    await flush();
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('exited (code 1)'), expect.stringContaining('EAGAIN')]);
    expect(time.pendingDelaysMs()).toEqual([200]);
    time.advanceMs(200);
    expect(fake.children).toHaveLength(3);
    fake.children[2]?.stdout(banner);
    await source.stop();
  });

  it('stop() sends SIGTERM, escalates to SIGKILL after the timeout, and never restarts', async () => {
    const { fake, start, time, source, errors } = setUp({ exitOnSignal: false });
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    const child = fake.children[0] as FakeChild;
    const stopping = source.stop();
    expect(child.kills).toEqual(['SIGTERM']);
    await flush();
    time.advanceMs(2_000);
    await flush();
    expect(child.kills).toEqual(['SIGTERM', 'SIGKILL']);
    child.exit(null, 'SIGKILL');
    await stopping;
    time.advanceMs(60_000);
    expect(fake.calls).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('refuses a second start()', async () => {
    const { fake, start, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    await expect(start()).rejects.toBeInstanceOf(MngError);
    await source.stop();
  });

  it('discards output that never reaches a blank line, with an error', async () => {
    const { fake, start, errors, events, source } = setUp();
    const starting = start();
    fake.children[0]?.stdout(banner);
    await starting;
    fake.children[0]?.stdout('x'.repeat(1024 * 1024 + 1));
    expect(errors.map(errorCodeOf)).toEqual([ErrorCode.UsbHotplugFailed]);
    fake.children[0]?.stdout(`\n\n${deviceEvent('KERNEL', 'add', '1-1', 1)}`);
    expect(events.map((event) => event.port)).toEqual(['1-1']);
    await source.stop();
  });
});
