import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import type { Logger } from '../../../shared/logger';
import { silentLogger } from '../../../shared/logger';
import type { IpcConnectionAcceptor, IpcServer } from '../../ipc/ports';

/** Default socket of the agent on Linux (agent-ipc.ts). */
export const defaultAgentSocketPath = '/run/mynumber-guard/agent.sock';

/** Options of {@link createUnixSocketIpcServer}. Times in ms, sizes in bytes. */
export interface UnixSocketIpcServerOptions {
  readonly path: string;
  /** The IPC gate. */
  readonly acceptor: IpcConnectionAcceptor;
  /** Open connections at most; more are closed at once by node (default 128). */
  readonly maxConnections?: number;
  /** A connection must be authenticated this long after it opened (absolute, default 5,000). */
  readonly authTimeoutMs?: number;
  /** An authenticated connection with no traffic either way for this long is closed (default 10 min). */
  readonly idleTimeoutMs?: number;
  /** A client that reads so slowly that this much output waits for it is dropped (default 1 MiB). */
  readonly maxWriteBufferBytes?: number;
  /** After the gate closed a connection, wait this long for the client to go before destroying it (default 1,000). */
  readonly closeGraceMs?: number;
  readonly logger?: Logger;
}

/**
 * The agent's Unix stream socket. The socket file is mode 0666: every local user may connect, and
 * the gate decides what they may do (hello with a token only that uid can read). Its folder must
 * belong to the agent and be writable by nobody else, so no one can swap the socket.
 *
 * A leftover socket file from an earlier run is removed only if it is a socket and nothing answers
 * on it; a live agent or anything that is not a socket is left alone and listen() fails.
 */
export function createUnixSocketIpcServer(options: UnixSocketIpcServerOptions): IpcServer {
  const socketPath = options.path;
  const maxConnections = options.maxConnections ?? 128;
  const authTimeoutMs = options.authTimeoutMs ?? 5000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const maxWriteBufferBytes = options.maxWriteBufferBytes ?? 1024 * 1024;
  const closeGraceMs = options.closeGraceMs ?? 1000;
  const logger = options.logger ?? silentLogger;
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;

  const fail = (what: string, whatEn: string, hint: readonly [string, string], cause?: unknown): MngError =>
    new MngError(ErrorCode.IpcListenFailed, msg(`エージェントのソケット ${socketPath}: ${what}`, `agent socket ${socketPath}: ${whatEn}`), { hint: msg(hint[0], hint[1]), ...(cause === undefined ? {} : { cause }) });

  const checkFolder = async (): Promise<void> => {
    const folder = path.dirname(socketPath);
    await mkdir(folder, { recursive: true, mode: 0o755 });
    const stat = await lstat(folder);
    const me = process.getuid?.() ?? 0;
    // Anyone who can write the folder could replace the socket with their own.
    if (!stat.isDirectory() || stat.uid !== me || (stat.mode & 0o022) !== 0) {
      throw fail(`フォルダ ${folder} がエージェント以外から書き込めます (または所有者が違います)`, `folder ${folder} is writable by others (or not owned by the agent)`, [
        'フォルダを root 所有・0755 にしてください',
        'make the folder owned by root with mode 0755',
      ]);
    }
  };

  /** True when something accepts connections on the path (an agent already runs). */
  const answers = (): Promise<boolean> =>
    new Promise((resolve) => {
      const probe = net.createConnection(socketPath);
      const done = (result: boolean): void => {
        probe.destroy();
        resolve(result);
      };
      probe.setTimeout(500, () => done(true));
      probe.once('connect', () => done(true));
      probe.once('error', () => done(false));
    });

  const removeStale = async (): Promise<void> => {
    let stat;
    try {
      stat = await lstat(socketPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (!stat.isSocket()) {
      throw fail('ソケットではないファイルがあります。削除しません', 'something that is not a socket is there; it is not removed', ['内容を確認して手で削除してください', 'check what it is and remove it by hand']);
    }
    if (await answers()) {
      throw fail('別のエージェントが応答しています', 'another agent answers on it', ['動いているエージェントを止めてから起動してください', 'stop the running agent first']);
    }
    await unlink(socketPath);
  };

  const accept = (socket: net.Socket): void => {
    sockets.add(socket);
    let closing = false;
    const connection = options.acceptor.open({
      send: (line) => {
        if (socket.destroyed || closing) return;
        if (socket.writableLength > maxWriteBufferBytes) {
          logger.warn({ bufferedBytes: socket.writableLength }, 'ipc: client reads too slowly, dropped');
          socket.destroy();
          return;
        }
        socket.write(line);
      },
      close: () => {
        if (closing) return;
        closing = true;
        // Half-close: the client still reads what was sent (e.g. frame-too-large); input after
        // this point is read and dropped until the client goes or the grace time ends.
        socket.end();
        setTimeout(() => socket.destroy(), closeGraceMs).unref();
      },
    });
    const authDeadline = setTimeout(() => {
      if (!connection.authenticated) socket.destroy();
    }, authTimeoutMs);
    authDeadline.unref();
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (!closing) connection.receive(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A client vanishing mid-write (EPIPE, ECONNRESET) is normal; 'close' follows.
      logger.debug({ code: error.code }, 'ipc: connection error');
    });
    socket.on('close', () => {
      clearTimeout(authDeadline);
      sockets.delete(socket);
      connection.closed();
    });
  };

  return {
    location: socketPath,
    get connectionCount() {
      return sockets.size;
    },
    async listen() {
      if (server !== undefined) return;
      try {
        await checkFolder();
        await removeStale();
        const created = net.createServer({ allowHalfOpen: false }, accept);
        created.maxConnections = maxConnections;
        await new Promise<void>((resolve, reject) => {
          created.once('error', reject);
          created.listen(socketPath, () => {
            created.off('error', reject);
            resolve();
          });
        });
        created.on('error', (error) => logger.error({ err: String(error) }, 'ipc: server error'));
        server = created;
        // Every local user may connect; the gate authenticates (STYLE.md §7).
        await chmod(socketPath, 0o666);
      } catch (error) {
        if (error instanceof MngError) throw error;
        throw fail(`待ち受けできません: ${(error as Error).message}`, `cannot listen: ${(error as Error).message}`, ['エージェントが root で動いているか確認してください', 'check that the agent runs as root'], error);
      }
    },
    async close() {
      const current = server;
      server = undefined;
      if (current === undefined) return;
      const stopped = new Promise<void>((resolve) => current.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
      // Remove the socket file only if it is still a socket (it is ours: the folder is ours).
      // Gone already (node or someone removed it): nothing to do.
      const stat = await lstat(socketPath).catch(() => undefined);
      if (stat?.isSocket()) await unlink(socketPath);
    },
  };
}
