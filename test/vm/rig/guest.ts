// The host side of the rig's runner (test/vm/image/guest/runner.py): one JSON line per request
// over the virtio-serial port, answered by id. Commands run as root inside the guest; results
// come back as the guest saw them (exit status, stdout, stderr).
import net from 'node:net';

/** How one guest command ended. */
export interface GuestRun {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface GuestExecOptions {
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Default 120,000 ms: software emulation is slow. */
  readonly timeoutMs?: number;
}

export interface Guest {
  /** The guest's boot id (changes with every boot). */
  readonly bootId: string;
  /** Runs a command to completion. A non-zero exit is a result, not an error. */
  exec(argv: readonly string[], options?: GuestExecOptions): Promise<GuestRun>;
  /** Runs `sh -c script`; rejects with the command's output when it exits non-zero. */
  sh(script: string, options?: GuestExecOptions): Promise<string>;
  /** Starts a command in the background with its output appended to `log`; returns its pid. */
  spawn(argv: readonly string[], log: string, options?: { env?: Record<string, string>; cwd?: string }): Promise<number>;
  /** Reads a file; undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Writes a file atomically (parents created). */
  writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, options?: { timeoutMs?: number; intervalMs?: number }): Promise<T>;
  close(): void;
}

interface Answer {
  readonly id: number | null;
  readonly ok: boolean;
  readonly error?: string;
  readonly [key: string]: unknown;
}

/**
 * Connects to the runner's port (the chardev socket QEMU serves) and pings until the runner in the
 * guest answers, which is when the guest has booted far enough to be driven.
 */
export async function connectGuest(socketPath: string, options: { timeoutMs: number; isAlive: () => boolean }): Promise<Guest> {
  const deadline = Date.now() + options.timeoutMs;
  let socket: net.Socket | undefined;
  while (socket === undefined) {
    if (!options.isAlive()) throw new Error('guest: QEMU ended before the runner answered (see the console log)');
    try {
      socket = await new Promise<net.Socket>((resolve, reject) => {
        const attempt = net.connect(socketPath);
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`guest: cannot connect to ${socketPath}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const connected = socket;
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 1;
  let buffer = '';
  let closed = false;
  connected.setEncoding('utf8');
  connected.on('data', (chunk: string) => {
    buffer += chunk;
    let at = buffer.indexOf('\n');
    while (at >= 0) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      at = buffer.indexOf('\n');
      if (line === '') continue;
      let answer: Answer;
      try {
        answer = JSON.parse(line) as Answer;
      } catch {
        // Bytes from before the runner opened the port (or a half line at its start): not ours.
        continue;
      }
      if (typeof answer.id !== 'number') continue;
      const resolve = pending.get(answer.id);
      if (resolve === undefined) continue;
      pending.delete(answer.id);
      resolve(answer);
    }
  });
  connected.on('close', () => {
    closed = true;
    for (const resolve of pending.values()) resolve({ id: null, ok: false, error: 'the runner connection closed (the guest stopped)' });
    pending.clear();
  });
  connected.on('error', () => undefined);

  const request = (op: string, body: Record<string, unknown>, timeoutMs: number): Promise<Answer> => {
    if (closed) return Promise.reject(new Error('guest: the runner connection is closed'));
    const id = nextId;
    nextId += 1;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`guest: no answer to ${op} ${JSON.stringify(body.argv ?? body.path ?? '')} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        if (!answer.ok) reject(new Error(`guest: ${op} failed: ${answer.error ?? 'unknown error'}`));
        else resolve(answer);
      });
      connected.write(`${JSON.stringify({ id, op, ...body })}\n`);
    });
  };

  // The runner starts late in boot: ping every second until one is answered.
  let bootId: string | undefined;
  while (bootId === undefined) {
    if (Date.now() > deadline) throw new Error(`guest: the runner did not answer within ${options.timeoutMs} ms (see the console log)`);
    if (!options.isAlive()) throw new Error('guest: QEMU ended before the runner answered (see the console log)');
    try {
      const pong = await request('ping', {}, 1_000);
      bootId = String(pong.bootId);
    } catch {
      // Not up yet.
    }
  }

  const guest: Guest = {
    bootId,
    async exec(argv, execOptions = {}) {
      const timeoutMs = execOptions.timeoutMs ?? 120_000;
      const answer = await request(
        'exec',
        { argv, stdin: execOptions.stdin, env: execOptions.env, cwd: execOptions.cwd, timeoutMs },
        timeoutMs + 30_000,
      );
      return {
        status: answer.status as number | null,
        signal: answer.signal as string | null,
        stdout: String(answer.stdout),
        stderr: String(answer.stderr),
        timedOut: answer.timedOut === true,
      };
    },
    async sh(script, execOptions) {
      const run = await guest.exec(['sh', '-c', script], execOptions);
      if (run.status !== 0) {
        throw new Error(`guest: sh -c ${JSON.stringify(script)} → ${run.status ?? run.signal}${run.timedOut ? ' (timed out)' : ''}\n${run.stdout}${run.stderr}`);
      }
      return run.stdout;
    },
    async spawn(argv, log, spawnOptions = {}) {
      const answer = await request('spawn', { argv, log, env: spawnOptions.env, cwd: spawnOptions.cwd }, 30_000);
      return Number(answer.pid);
    },
    async readFile(path) {
      const answer = await request('read', { path }, 60_000);
      if (answer.missing === true) return undefined;
      return Buffer.from(String(answer.data), 'base64');
    },
    async writeFile(path, data, mode = 0o644) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
      await request('write', { path, data: bytes.toString('base64'), mode }, 60_000);
    },
    async waitFor(what, probe, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 60_000;
      const intervalMs = waitOptions.intervalMs ?? 250;
      const until = Date.now() + timeoutMs;
      let lastError: unknown;
      for (;;) {
        try {
          const value = await probe();
          if (value !== undefined) return value;
        } catch (error) {
          lastError = error;
        }
        if (Date.now() > until) {
          throw new Error(`guest: timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
    close() {
      connected.destroy();
    },
  };
  return guest;
}
