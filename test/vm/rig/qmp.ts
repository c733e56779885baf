// A QMP client (the QEMU Machine Protocol: JSON over the monitor's Unix socket), the rig's hands
// outside the guest: plugs and unplugs USB devices the way a person would at the machine's ports.
// https://www.qemu.org/docs/master/interop/qmp-spec.html — greeting, `qmp_capabilities`, then
// `{"execute": …, "id": …}` commands answered by `{"return": …}` or `{"error": …}`, with
// asynchronous `{"event": …}` messages in between.
import net from 'node:net';

/** One asynchronous QMP event (DEVICE_DELETED, SHUTDOWN…), with the host time it arrived. */
export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly receivedAtMs: number;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly command: string;
}

export interface QmpClient {
  /** Runs one command; rejects with QEMU's error class and description. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** Waits for an event (also one that arrived since `sinceMs`), bounded by `timeoutMs`. */
  waitForEvent(name: string, match: (data: Record<string, unknown>) => boolean, options: { timeoutMs: number; sinceMs?: number }): Promise<QmpEvent>;
  close(): void;
}

/** Connects to a QMP socket (retrying while QEMU creates it) and leaves capabilities negotiation done. */
export async function connectQmp(socketPath: string, timeoutMs = 30_000): Promise<QmpClient> {
  const deadline = Date.now() + timeoutMs;
  let socket: net.Socket | undefined;
  while (socket === undefined) {
    try {
      socket = await new Promise<net.Socket>((resolve, reject) => {
        const attempt = net.connect(socketPath);
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`QMP: cannot connect to ${socketPath}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const connected = socket;
  const pending = new Map<number, Pending>();
  const events: QmpEvent[] = [];
  const waiters = new Set<() => void>();
  let nextId = 1;
  let buffer = '';
  let greeted: (() => void) | undefined;
  const greeting = new Promise<void>((resolve) => {
    greeted = resolve;
  });
  let closedError: Error | undefined;

  connected.setEncoding('utf8');
  connected.on('data', (chunk: string) => {
    buffer += chunk;
    let at = buffer.indexOf('\n');
    while (at >= 0) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      at = buffer.indexOf('\n');
      if (line === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      if ('QMP' in message) {
        greeted?.();
        continue;
      }
      if (typeof message.event === 'string') {
        events.push({ event: message.event, data: (message.data as Record<string, unknown> | undefined) ?? {}, receivedAtMs: Date.now() });
        for (const wake of waiters) wake();
        continue;
      }
      const id = message.id as number | undefined;
      const waiting = id === undefined ? undefined : pending.get(id);
      if (waiting === undefined) continue;
      pending.delete(id as number);
      if ('error' in message) {
        const error = message.error as { class?: string; desc?: string };
        waiting.reject(new Error(`QMP ${waiting.command}: ${error.class ?? 'Error'}: ${error.desc ?? ''}`));
      } else waiting.resolve(message.return);
    }
  });
  connected.on('close', () => {
    closedError = new Error('QMP: the connection closed (QEMU stopped)');
    for (const waiting of pending.values()) waiting.reject(closedError);
    pending.clear();
    for (const wake of waiters) wake();
  });
  connected.on('error', () => undefined);

  const execute = <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    if (closedError !== undefined) return Promise.reject(closedError);
    const id = nextId;
    nextId += 1;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, command });
      connected.write(`${JSON.stringify({ execute: command, ...(args === undefined ? {} : { arguments: args }), id })}\n`);
    });
  };

  await Promise.race([
    greeting,
    new Promise((_, reject) => setTimeout(() => reject(new Error('QMP: no greeting within 10 s')), 10_000).unref()),
  ]);
  await execute('qmp_capabilities');

  return {
    execute,
    waitForEvent(name, match, options) {
      const since = options.sinceMs ?? 0;
      const find = (): QmpEvent | undefined => events.find((event) => event.event === name && event.receivedAtMs >= since && match(event.data));
      return new Promise<QmpEvent>((resolve, reject) => {
        const check = (): void => {
          const found = find();
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (closedError !== undefined) {
            done();
            reject(closedError);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`QMP: no ${name} event within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      connected.destroy();
    },
  };
}
