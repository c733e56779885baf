// A real agent IPC endpoint for tests: the IPC gate with fake handlers (src/agent/ipc), the file
// token issuer and the Unix socket server (src/agent/platform/node), in a fresh temporary folder.
// Used by src/main/agent-client.test.ts and test/e2e/ipc-socket.test.ts.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/shared/clock';
import type { AuditEventInput } from '../../src/agent/audit';
import { createFakeAgentIpc, createIpcGate, type FakeAgentIpc, type FakeSession, type IpcGate, type IpcLimits, type IpcServer, type TokenIssuer } from '../../src/agent/ipc';
import { createFileTokenIssuer, createUnixSocketIpcServer, type UnixSocketIpcServerOptions } from '../../src/agent/platform/node';

export interface IpcAgentRig {
  /** Temporary folder (0711): socket `agent.sock`, tokens in `tokens/`. */
  readonly dir: string;
  readonly socketPath: string;
  readonly tokenDir: string;
  readonly gate: IpcGate;
  readonly fake: FakeAgentIpc;
  readonly tokens: TokenIssuer;
  readonly audit: AuditEventInput[];
  /** The socket server; `restart` makes a new one on the same path with the same gate. */
  server: IpcServer;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the endpoint and issues tokens for `uids` (root's too). */
export async function startIpcAgent(options: {
  sessions: readonly FakeSession[];
  uids: readonly number[];
  limits?: Partial<IpcLimits>;
  server?: Partial<Omit<UnixSocketIpcServerOptions, 'path' | 'acceptor'>>;
}): Promise<IpcAgentRig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-ipc-'));
  // Like /run/mynumber-guard: root's, others may traverse but not list or write.
  chmodSync(dir, 0o711);
  const socketPath = path.join(dir, 'agent.sock');
  const tokenDir = path.join(dir, 'tokens');
  const audit: AuditEventInput[] = [];
  const fake = createFakeAgentIpc({ sessions: options.sessions, clock: systemClock });
  const tokens = createFileTokenIssuer({ dir: tokenDir });
  for (const uid of new Set([0, ...options.uids])) await tokens.issue(uid);
  const gate = createIpcGate({
    handlers: fake.handlers,
    tokens,
    sessions: fake.directory,
    clock: systemClock,
    audit: {
      append: async (event) => {
        audit.push(event);
        return { seq: audit.length, hash: '0'.repeat(64) };
      },
    },
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const makeServer = () => createUnixSocketIpcServer({ ...options.server, path: socketPath, acceptor: gate });
  const rig: IpcAgentRig = {
    dir,
    socketPath,
    tokenDir,
    gate,
    fake,
    tokens,
    audit,
    server: makeServer(),
    async restart() {
      await rig.server.close();
      rig.server = makeServer();
      await rig.server.listen();
    },
    async close() {
      await rig.server.close();
      gate.closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await rig.server.listen();
  return rig;
}
