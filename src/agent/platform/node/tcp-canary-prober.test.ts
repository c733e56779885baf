// Real sockets on loopback only (the timeout and unreachable outcomes are exercised inside test
// network namespaces, with the parallelism bound: test/e2e/isolation-netns.test.ts).
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTcpCanaryProber } from './tcp-canary-prober';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('createTcpCanaryProber (loopback)', () => {
  let open: { server: Server; port: number };
  let closedPort: number;
  beforeAll(async () => {
    open = await listen();
    const closed = await listen();
    closedPort = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
  });
  afterAll(() => new Promise((resolve) => open.server.close(resolve)));

  it('connected: a listener answers', async () => {
    const result = await createTcpCanaryProber().probe('127.0.0.1', open.port, 1000);
    expect(result.outcome).toBe('connected');
    expect(result.detail).toBe(`connected to 127.0.0.1:${open.port}`);
    expect(result.elapsedMs).toBeLessThan(1000);
  });

  it('refused: nothing listens, the kernel answers with a reset', async () => {
    const result = await createTcpCanaryProber().probe('127.0.0.1', closedPort, 1000);
    expect(result).toMatchObject({ outcome: 'refused', detail: `127.0.0.1:${closedPort}: ECONNREFUSED` });
  });

  // localhost resolves from /etc/hosts: no DNS server is contacted.
  it('resolves a host name (localhost) before connecting', async () => {
    expect((await createTcpCanaryProber().probe('localhost', open.port, 1000)).outcome).toBe('connected');
  });
});
