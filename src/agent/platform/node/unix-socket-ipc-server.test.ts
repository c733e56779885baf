import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import type { IpcConnectionAcceptor } from '../../ipc/ports';
import { createUnixSocketIpcServer } from './unix-socket-ipc-server';

/** An acceptor that echoes each chunk back as one line, authenticates on `auth`, closes on `bye`. */
function echoAcceptor(): IpcConnectionAcceptor & { opened: number; closed: number } {
  const acceptor = {
    opened: 0,
    closed: 0,
    open(transport: Parameters<IpcConnectionAcceptor['open']>[0]) {
      acceptor.opened += 1;
      let authenticated = false;
      return {
        get authenticated() {
          return authenticated;
        },
        receive(chunk: Uint8Array) {
          const text = Buffer.from(chunk).toString('utf8');
          if (text.includes('auth')) authenticated = true;
          transport.send(`${text.trim()}\n`);
          if (text.includes('bye')) transport.close();
        },
        closed() {
          acceptor.closed += 1;
        },
      };
    },
  };
  return acceptor;
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(predicate()).toBe(true);
}

/** Connects and collects what the server sends until it closes. */
function talk(socketPath: string, ...writes: string[]): Promise<{ received: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let received = '';
    socket.on('connect', () => {
      for (const text of writes) socket.write(text);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ received, error: error.code ?? 'error' }));
    socket.on('close', () => resolve({ received }));
  });
}

describe('createUnixSocketIpcServer', () => {
  let dir: string;
  let socketPath: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mng-sock-'));
    socketPath = path.join(dir, 'agent.sock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('listens with mode 0666, feeds bytes to the acceptor, half-closes on request, removes the socket on close', async () => {
    const acceptor = echoAcceptor();
    const server = createUnixSocketIpcServer({ path: socketPath, acceptor });
    await server.listen();
    expect(lstatSync(socketPath).mode & 0o777).toBe(0o666);
    const reply = await talk(socketPath, 'auth bye');
    expect(reply).toEqual({ received: 'auth bye\n' });
    await until(() => acceptor.closed === 1);
    expect(acceptor.opened).toBe(1);
    expect(server.connectionCount).toBe(0);
    await server.close();
    expect(() => lstatSync(socketPath)).toThrow();
  });

  it('a stale socket (nothing answers) is replaced; a live one or a non-socket is left alone', async () => {
    // A socket file whose server died without cleaning up (SIGKILL: libuv's unlink never runs).
    spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    const server = createUnixSocketIpcServer({ path: socketPath, acceptor: echoAcceptor() });
    await server.listen();

    const second = createUnixSocketIpcServer({ path: socketPath, acceptor: echoAcceptor() });
    await expect(second.listen()).rejects.toMatchObject({ code: ErrorCode.IpcListenFailed, message: expect.stringContaining('another agent answers') as string });
    await server.close();

    writeFileSync(socketPath, 'not a socket');
    await expect(createUnixSocketIpcServer({ path: socketPath, acceptor: echoAcceptor() }).listen()).rejects.toMatchObject({ code: ErrorCode.IpcListenFailed });
    expect(lstatSync(socketPath).isFile()).toBe(true);
  });

  it('refuses a folder others can write', async () => {
    chmodSync(dir, 0o777);
    await expect(createUnixSocketIpcServer({ path: socketPath, acceptor: echoAcceptor() }).listen()).rejects.toMatchObject({ code: ErrorCode.IpcListenFailed });
  });

  it('drops a connection that does not authenticate in time, and one idle too long', async () => {
    const server = createUnixSocketIpcServer({ path: socketPath, acceptor: echoAcceptor(), authTimeoutMs: 100, idleTimeoutMs: 150 });
    await server.listen();
    const started = Date.now();
    expect(await talk(socketPath, 'hello?')).toEqual({ received: 'hello?\n' });
    expect(Date.now() - started).toBeLessThan(2000);
    const idle = Date.now();
    expect(await talk(socketPath, 'auth')).toEqual({ received: 'auth\n' });
    expect(Date.now() - idle).toBeGreaterThanOrEqual(140);
    await server.close();
  });

  it('limits open connections', async () => {
    const acceptor = echoAcceptor();
    const server = createUnixSocketIpcServer({ path: socketPath, acceptor, maxConnections: 1, authTimeoutMs: 10_000 });
    await server.listen();
    const first = net.createConnection(socketPath);
    await new Promise((resolve) => first.once('connect', resolve));
    const second = await talk(socketPath, 'auth');
    expect(second.received).toBe('');
    expect(acceptor.opened).toBe(1);
    first.destroy();
    await server.close();
  });
});
