// A umockdev testbed whose devices a test can plug and unplug while the code under test listens
// (dev-environment.md §3.4). The testbed lives in a Python process (test/helpers/umockdev_driver.py)
// steered over stdin/stdout, one JSON line per command. Usage:
//
//   const bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev'] });
//   try {
//     const plugged = await bed.add('ccid-card-reader.umockdev'); // emits `add` uevents
//     await bed.remove(plugged.syspaths[0]);                       // `remove` uevents, then gone
//   } finally {
//     await bed.stop();
//   }
//
// Code that reads sysfs gets `bed.root` (the testbed's /sys). A child process that must see the
// testbed through the preload itself (udevadm, usb@2) gets `bed.env` in its environment.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './mng';

/** Where the hand-written recordings live (see its README.md). */
export const umockdevFixturesDir = path.join(repoRoot, 'test/fixtures/umockdev');
export const umockdevDriverPath = path.join(repoRoot, 'test/helpers/umockdev_driver.py');
/** Debian's python3 has `gi`; the pyenv python3 first on PATH does not (dev-environment.md §1). */
export const systemPython = '/usr/bin/python3';
/** The preload umockdev-wrapper uses; children need it to see the testbed. */
export const umockdevPreload = 'libumockdev-preload.so.0';

/** When the driver did something, from its wall clock (time.time_ns, same clock as Date.now). */
export interface UmockdevTiming {
  /** Just before the operation: the moment a latency is measured from (ms since the epoch). */
  readonly atMs: number;
  /** After the operation and all its uevents (ms since the epoch). */
  readonly doneMs: number;
}

export interface UmockdevChange extends UmockdevTiming {
  /** The devices added or removed, as /sys/devices/… paths; for add in file order (device first). */
  readonly syspaths: readonly string[];
}

export interface UmockdevTestbed {
  /** The testbed directory (UMOCKDEV_DIR). */
  readonly dir: string;
  /** The testbed's sysfs root (`${dir}/sys`), for adapters that take a sysfs root. */
  readonly root: string;
  /** Environment entries for a child that must see the testbed through the preload. */
  readonly env: Readonly<{ UMOCKDEV_DIR: string; LD_PRELOAD: string }>;
  /** Plugs a recording (a name in test/fixtures/umockdev or a path): `add` uevents per block. */
  add(recording: string): Promise<UmockdevChange>;
  /** Plugs devices given as umockdev blocks. */
  addText(blocks: string): Promise<UmockdevChange>;
  /** Unplugs a device: `remove` uevents for its interfaces and children, then the device. */
  remove(syspath: string): Promise<UmockdevChange>;
  /** Sends a `change` uevent for one device. */
  change(syspath: string): Promise<UmockdevTiming>;
  /** Sends any uevent action for one device. */
  uevent(syspath: string, action: string): Promise<UmockdevTiming>;
  /** Reads an attribute as text (`authorized`, `port/connect_type`), newline included. */
  readAttr(syspath: string, attr: string): Promise<string>;
  /** Ends the driver and deletes the testbed. Idempotent; never leaves the process behind. */
  stop(): Promise<void>;
}

export interface StartUmockdevTestbedOptions {
  /** Recordings present from the start (names in test/fixtures/umockdev or paths). */
  readonly recordings?: readonly string[];
  /** How long to wait for the driver's ready line. Default 10,000 ms. */
  readonly startTimeoutMs?: number;
  /** How long to wait for each answer. Default 10,000 ms. */
  readonly commandTimeoutMs?: number;
}

interface DriverAnswer {
  readonly ok: boolean;
  readonly id?: number | null;
  readonly error?: string;
  readonly event?: string;
  readonly dir?: string;
  readonly syspaths?: string[];
  readonly value?: string;
  readonly t_ns?: number;
  readonly done_ns?: number;
}

/** Resolves a recording name against test/fixtures/umockdev; paths are kept. */
export function umockdevRecording(recording: string): string {
  return recording.includes('/') ? path.resolve(recording) : path.join(umockdevFixturesDir, recording);
}

// Drivers still running in this process are ended if the process exits without stop() (a test
// that crashed or timed out): SIGTERM, so the driver still deletes its testbed. The driver also
// gets SIGTERM when its parent dies (PR_SET_PDEATHSIG), which covers a killed test process.
const liveDrivers = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const driver of liveDrivers) driver.kill('SIGTERM');
  });
}

const stderrLimitChars = 4096;
const nsPerMs = 1e6;

/**
 * Starts a umockdev testbed with `recordings` loaded, run by the Python driver under
 * `umockdev-wrapper`. Every wait is bounded and fails with the driver's stderr in the message.
 */
export async function startUmockdevTestbed(options: StartUmockdevTestbedOptions = {}): Promise<UmockdevTestbed> {
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
  const recordings = (options.recordings ?? []).map(umockdevRecording);

  const driver = spawn('umockdev-wrapper', [systemPython, umockdevDriverPath, ...recordings], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  installExitHook();
  liveDrivers.add(driver);
  let stderr = '';
  driver.stderr.setEncoding('utf8');
  driver.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrLimitChars);
  });
  const describeExit = (): string => {
    const how = driver.signalCode !== null ? `signal ${driver.signalCode}` : `code ${String(driver.exitCode)}`;
    return `umockdev driver exited (${how})${stderr.trim() === '' ? '' : `; stderr: ${stderr.trim()}`}`;
  };

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    driver.once('close', () => {
      exited = true;
      liveDrivers.delete(driver);
      resolve();
    });
  });

  // Answers arrive in request order; each waiter takes the next line.
  const waiters: { resolve: (answer: DriverAnswer) => void; reject: (error: Error) => void }[] = [];
  let spawnError: Error | undefined;
  driver.on('error', (error) => {
    spawnError = error;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`umockdev driver: ${error.message} (is umockdev installed? see .ci/run)`));
  });
  driver.once('close', () => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(describeExit()));
  });
  driver.stdin.on('error', (error) => {
    // EPIPE after the driver died: the pending waiter fails with the exit description instead.
    stderr = `${stderr}\n(stdin: ${error.message})`.slice(-stderrLimitChars);
  });
  const lines = createInterface({ input: driver.stdout });
  lines.on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter === undefined) return;
    try {
      waiter.resolve(JSON.parse(line) as DriverAnswer);
    } catch {
      // Not our protocol: the driver wrote something else to stdout.
      waiter.reject(new Error(`umockdev driver wrote a line that is not JSON: ${line.slice(0, 200)}`));
    }
  });

  const nextAnswer = (what: string, timeoutMs: number): Promise<DriverAnswer> =>
    new Promise<DriverAnswer>((resolve, reject) => {
      if (spawnError !== undefined) return reject(new Error(`umockdev driver: ${spawnError.message}`));
      if (exited) return reject(new Error(describeExit()));
      const timer = setTimeout(() => {
        const index = waiters.indexOf(waiter);
        if (index !== -1) waiters.splice(index, 1);
        reject(new Error(`umockdev driver did not answer ${what} within ${timeoutMs} ms${stderr.trim() === '' ? '' : `; stderr: ${stderr.trim()}`}`));
      }, timeoutMs);
      const waiter = {
        resolve: (answer: DriverAnswer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.push(waiter);
    });

  let stopped: Promise<void> | undefined;
  let dir = '';
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (!exited) {
        if (driver.stdin.writable) driver.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
        if (!(await settlesWithin(exitPromise, 3_000))) {
          driver.kill('SIGTERM');
          if (!(await settlesWithin(exitPromise, 2_000))) {
            driver.kill('SIGKILL');
            if (!(await settlesWithin(exitPromise, 2_000))) throw new Error(`umockdev driver (pid ${String(driver.pid)}) did not exit after SIGKILL`);
          }
        }
      }
      // The driver deletes its testbed on the way out; after a crash (SIGABRT from umockdev) this
      // does it. Only a directory that looks like one umockdev made is touched.
      if (dir !== '' && /^umockdev\.[A-Za-z0-9]+$/.test(path.basename(dir)) && [os.tmpdir(), '/tmp'].includes(path.dirname(dir)) && existsSync(dir)) {
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };

  let ready: DriverAnswer;
  try {
    ready = await nextAnswer('its start', startTimeoutMs);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  if (!ready.ok || ready.event !== 'ready' || typeof ready.dir !== 'string') {
    await stop().catch(() => undefined);
    throw new Error(`umockdev driver did not start: ${ready.error ?? JSON.stringify(ready)}${stderr.trim() === '' ? '' : `; stderr: ${stderr.trim()}`}`);
  }
  dir = ready.dir;

  let nextId = 1;
  const request = async (command: Record<string, unknown>): Promise<DriverAnswer> => {
    if (stopped !== undefined) throw new Error(`umockdev testbed is stopped (${String(command.cmd)})`);
    const id = nextId++;
    const what = `${String(command.cmd)} ${JSON.stringify(command.file ?? command.syspath ?? '')}`;
    const answer = nextAnswer(what, commandTimeoutMs);
    driver.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    const result = await answer;
    if (result.id !== id) throw new Error(`umockdev driver answered request ${String(result.id)} while ${id} (${what}) was pending`);
    if (!result.ok) throw new Error(`umockdev driver: ${what}: ${result.error ?? 'failed'}`);
    return result;
  };
  const timing = (answer: DriverAnswer): UmockdevTiming => ({
    atMs: (answer.t_ns ?? Number.NaN) / nsPerMs,
    doneMs: (answer.done_ns ?? answer.t_ns ?? Number.NaN) / nsPerMs,
  });
  const change = (answer: DriverAnswer): UmockdevChange => ({ ...timing(answer), syspaths: answer.syspaths ?? [] });

  return {
    dir,
    root: path.join(dir, 'sys'),
    env: { UMOCKDEV_DIR: dir, LD_PRELOAD: umockdevPreload },
    add: async (recording) => change(await request({ cmd: 'add', file: umockdevRecording(recording) })),
    addText: async (blocks) => change(await request({ cmd: 'add', text: blocks })),
    remove: async (syspath) => change(await request({ cmd: 'remove', syspath })),
    change: async (syspath) => timing(await request({ cmd: 'uevent', syspath, action: 'change' })),
    uevent: async (syspath, action) => timing(await request({ cmd: 'uevent', syspath, action })),
    readAttr: async (syspath, attr) => (await request({ cmd: 'read', syspath, attr })).value ?? '',
    stop,
  };
}

async function settlesWithin(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
