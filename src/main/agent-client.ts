/**
 * The tray app's client of the agent's local IPC (issue #5 item 3; protocol in
 * src/shared/protocol/agent-ipc.ts). Node only, no electron: the main process wraps it.
 *
 * It reads the token the agent wrote for this uid (`<tokenDir>/<uid>`, readable only by that user),
 * says hello, then sends requests and matches responses by id. Everything that arrives is parsed
 * with the shared schemas; a call never throws for expected failures, it resolves to a code. When
 * the link drops it reconnects with a growing delay (the token is read again each time: the agent
 * issues a new one when it restarts) and subscribes to events again if anyone listens.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  agentIpcVersion,
  agentMethods,
  eventFrameSchema,
  helloResultSchema,
  maxFrameBytes,
  responseFrameSchema,
  type AgentMethod,
  type EventFrame,
  type IpcErrorCode,
  type MethodParams,
  type MethodResult,
  type ResponseFrame,
} from '../shared/protocol/agent-ipc';
import { createNdjsonDecoder } from '../shared/protocol/ndjson-frames';

/** Default folder of the per-user tokens (the agent's platform/node/file-token-issuer.ts). */
export const defaultAgentTokenDir = '/run/mynumber-guard/tokens';

/** Link state. `unreachable`: no connection right now (the client keeps trying until closed). */
export type AgentClientState = 'connecting' | 'connected' | 'unreachable' | 'closed';

/**
 * Outcome of one call: the parsed result, or a stable code. `unreachable` is the client's own (no
 * connection, a timeout, or the link dropped before the answer); `internal` also covers an answer
 * that does not fit the shared schema.
 */
export type AgentCallOutcome<M extends AgentMethod> =
  | { readonly ok: true; readonly result: MethodResult<M> }
  | { readonly ok: false; readonly code: IpcErrorCode | 'unreachable'; readonly retryAfterMs?: number };

/** Options of {@link createAgentClient}. Times in ms. */
export interface AgentClientOptions {
  readonly socketPath: string;
  /** Folder of the token files (default {@link defaultAgentTokenDir}). */
  readonly tokenDir?: string;
  /** The uid this process runs as (`process.getuid()`); the agent checks it against the token. */
  readonly uid: number;
  /** Opens the stream (tests); default `net.createConnection(socketPath)`. */
  readonly connect?: (socketPath: string) => net.Socket;
  /** Who is calling, for the agent's audit records (default `tray`). */
  readonly client?: 'tray' | 'mng' | 'test';
  /** How long a call (and the hello) may wait for its answer (default 5,000). */
  readonly callTimeoutMs?: number;
  /** Reconnect delay: starts at `initialMs`, doubles up to `maxMs` (defaults 200 and 10,000), ±20 % jitter. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Source of jitter in [0, 1) (tests); default Math.random. */
  readonly random?: () => number;
  /** Where unexpected errors go (a listener that threw); default ignored after reporting nothing. */
  readonly onError?: (error: unknown) => void;
}

/** The client. */
export interface AgentClient {
  readonly state: AgentClientState;
  /**
   * Starts connecting (and keeps reconnecting until close). Resolves after the first attempt:
   * true when connected. Calling it again while running does nothing but wait for that attempt.
   */
  connect(): Promise<boolean>;
  /** Calls one method. Params are checked with the method's schema before they are sent. */
  call<M extends AgentMethod>(method: M, params: MethodParams<M>, options?: { readonly timeoutMs?: number }): Promise<AgentCallOutcome<M>>;
  /** Every event pushed by the agent. The first listener makes the client subscribe (now and after each reconnect). */
  onEvent(listener: (event: EventFrame) => void): () => void;
  /** Every change of {@link state}. */
  onStateChange(listener: (state: AgentClientState) => void): () => void;
  /** Stops reconnecting, closes the link; pending calls resolve `unreachable`. */
  close(): Promise<void>;
}

interface Pending {
  readonly method: AgentMethod | 'hello';
  readonly resolve: (frame: ResponseFrame | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/** Largest token file read (bytes); a token is 64 hex digits and a newline. */
const maxTokenFileBytes = 256;

/** Reads `<tokenDir>/<uid>`: a regular file (no symlink), at most 256 bytes, trimmed. */
async function readTokenFile(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (_unreadable) {
    // No token (agent not running yet, or not ours to read): the caller reports `unreachable`.
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return undefined;
    const buffer = Buffer.alloc(maxTokenFileBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxTokenFileBytes, 0);
    const token = buffer.subarray(0, bytesRead).toString('utf8').trim();
    return token.length >= 16 && token.length <= 128 ? token : undefined;
  } finally {
    await handle.close();
  }
}

/** Creates a client; nothing happens until {@link AgentClient.connect}. */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const tokenFile = path.join(options.tokenDir ?? defaultAgentTokenDir, String(options.uid));
  const openSocket = options.connect ?? ((socketPath: string) => net.createConnection(socketPath));
  const callTimeoutMs = options.callTimeoutMs ?? 5000;
  const initialMs = options.backoff?.initialMs ?? 200;
  const maxMs = options.backoff?.maxMs ?? 10_000;
  const random = options.random ?? Math.random;
  const report = options.onError ?? (() => undefined);

  let state: AgentClientState = 'unreachable';
  let running = false;
  let socket: net.Socket | undefined;
  let nextId = 1;
  let delayMs = initialMs;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let firstAttempt: Promise<boolean> | undefined;
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: EventFrame) => void>();
  const stateListeners = new Set<(state: AgentClientState) => void>();

  const setState = (next: AgentClientState): void => {
    if (state === next) return;
    state = next;
    for (const listener of [...stateListeners]) {
      try {
        listener(next);
      } catch (error) {
        report(error);
      }
    }
  };

  const settleAll = (): void => {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      pending.delete(id);
      entry.resolve(undefined);
    }
  };

  const send = (value: unknown): boolean => {
    const line = JSON.stringify(value);
    if (Buffer.byteLength(line, 'utf8') + 1 > maxFrameBytes) return false;
    socket?.write(`${line}\n`);
    return true;
  };

  /** Sends a request and waits for its response frame (undefined: no answer in time or link lost). */
  const request = (id: number, method: AgentMethod | 'hello', params: unknown, timeoutMs: number): Promise<ResponseFrame | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      pending.set(id, { method, resolve, timer });
      send({ v: agentIpcVersion, id, method, params });
    });

  const onLine = (text: string): void => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // The agent only sends JSON; anything else means the link is not sane: start over.
      report(error);
      socket?.destroy();
      return;
    }
    if (typeof value === 'object' && value !== null && 'event' in value) {
      const event = eventFrameSchema.safeParse(value);
      if (!event.success) {
        report(new Error(`agent-client: event frame does not fit the schema`));
        return;
      }
      for (const listener of [...eventListeners]) {
        try {
          listener(event.data);
        } catch (error) {
          report(error);
        }
      }
      return;
    }
    const frame = responseFrameSchema.safeParse(value);
    if (!frame.success) {
      report(new Error('agent-client: response frame does not fit the schema'));
      return;
    }
    if (frame.data.id === null) return;
    const entry = pending.get(frame.data.id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    pending.delete(frame.data.id);
    entry.resolve(frame.data);
  };

  const scheduleReconnect = (): void => {
    if (!running || reconnectTimer !== undefined) return;
    const wait = Math.round(delayMs * (0.8 + 0.4 * random()));
    delayMs = Math.min(maxMs, delayMs * 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void attempt();
    }, wait);
    reconnectTimer.unref();
  };

  const subscribe = async (): Promise<void> => {
    const id = nextId++;
    const frame = await request(id, 'events.subscribe', {}, callTimeoutMs);
    if (frame === undefined || !frame.ok) report(new Error(`agent-client: events.subscribe failed (${frame === undefined ? 'no answer' : frame.error.code})`));
  };

  const attempt = async (): Promise<boolean> => {
    if (!running) return false;
    setState('connecting');
    const token = await readTokenFile(tokenFile);
    if (!running) return false;
    if (token === undefined) {
      setState('unreachable');
      scheduleReconnect();
      return false;
    }
    const current = openSocket(options.socketPath);
    socket = current;
    const decoder = createNdjsonDecoder(maxFrameBytes);
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    // Handlers first: a refused connect emits 'error' and 'close' in one go.
    const opened = new Promise<boolean>((resolve) => {
      current.once('connect', () => resolve(true));
      current.once('close', () => resolve(false));
    });
    current.on('error', () => {
      // 'close' follows and does the work; an error is an expected way for a link to end.
    });
    current.on('close', () => {
      if (socket !== current) return;
      socket = undefined;
      settleAll();
      if (running) {
        setState('unreachable');
        scheduleReconnect();
      }
    });
    current.on('data', (chunk: Buffer) => {
      const { frames, tooLarge } = decoder.push(chunk);
      for (const frame of frames) {
        let text: string;
        try {
          text = utf8.decode(frame);
        } catch (error) {
          report(error);
          current.destroy();
          return;
        }
        onLine(text);
      }
      if (tooLarge) {
        report(new Error('agent-client: frame from the agent is too large'));
        current.destroy();
      }
    });
    if (!(await opened) || !running || socket !== current) {
      current.destroy();
      return false;
    }
    const hello = await request(0, 'hello', { uid: options.uid, token, client: options.client ?? 'tray' }, callTimeoutMs);
    const accepted = hello !== undefined && hello.ok && helloResultSchema.safeParse(hello.result).success;
    if (!accepted) {
      // Wrong or stale token, or no answer: drop this link; 'close' schedules the next try.
      current.destroy();
      return false;
    }
    if (socket !== current || !running) return false;
    delayMs = initialMs;
    setState('connected');
    if (eventListeners.size > 0) await subscribe();
    return true;
  };

  return {
    get state() {
      return state;
    },
    connect() {
      if (state === 'closed') return Promise.resolve(false);
      if (running && firstAttempt !== undefined) return firstAttempt;
      running = true;
      firstAttempt = attempt();
      return firstAttempt;
    },
    async call(method, params, callOptions) {
      const spec = agentMethods[method];
      if (!spec.params.safeParse(params).success) return { ok: false, code: 'bad-params' };
      if (state !== 'connected' || socket === undefined) return { ok: false, code: 'unreachable' };
      const id = nextId++;
      const frame = await request(id, method, params, callOptions?.timeoutMs ?? callTimeoutMs);
      if (frame === undefined) return { ok: false, code: 'unreachable' };
      if (!frame.ok) return frame.error.retryAfterMs === undefined ? { ok: false, code: frame.error.code } : { ok: false, code: frame.error.code, retryAfterMs: frame.error.retryAfterMs };
      const result = spec.result.safeParse(frame.result);
      if (!result.success) {
        report(new Error(`agent-client: result of ${method} does not fit the schema`));
        return { ok: false, code: 'internal' };
      }
      return { ok: true, result: result.data as MethodResult<typeof method> };
    },
    onEvent(listener) {
      const first = eventListeners.size === 0;
      eventListeners.add(listener);
      if (first && state === 'connected') void subscribe();
      return () => {
        eventListeners.delete(listener);
      };
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    async close() {
      running = false;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const current = socket;
      socket = undefined;
      settleAll();
      setState('closed');
      if (current !== undefined && !current.destroyed) {
        await new Promise<void>((resolve) => {
          current.once('close', () => resolve());
          current.destroy();
        });
      }
    },
  };
}
