// Runs as an unprivileged local user against the agent's socket (test/e2e/ipc-socket.test.ts):
//   node ipc-client.mjs <socketPath> <tokenDir> <victimUid> <ownSessionId> <victimSessionId>
// Tries what a curious or hostile local user would try and prints one JSON object of outcomes.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { createAgentClient } from '../../src/main/agent-client';

const [socketPath = '', tokenDir = '', victimArg = '', ownSession = '', victimSession = ''] = process.argv.slice(2);
const victimUid = Number(victimArg);
const ownUid = process.getuid?.() ?? -1;

const errnoOf = (task: () => unknown): string => {
  try {
    task();
    return 'read';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
};

/** Sends raw lines on a fresh connection; returns every line received until the agent closes. */
function raw(lines: readonly string[]): Promise<{ frames: unknown[]; closedByAgent: boolean }> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ frames: parse(), closedByAgent: false });
    }, 3000);
    const parse = () => text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
    socket.on('connect', () => socket.write(lines.map((l) => `${l}\n`).join('')));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ frames: parse(), closedByAgent: true });
    });
  });
}

const hello = (uid: number, token: string) => JSON.stringify({ v: 1, id: 0, method: 'hello', params: { uid, token, client: 'test' } });
const request = (id: number, method: string, params: unknown) => JSON.stringify({ v: 1, id, method, params });

const ownTokenRead = errnoOf(() => readFileSync(path.join(tokenDir, String(ownUid)), 'utf8'));
const ownToken = ownTokenRead === 'read' ? readFileSync(path.join(tokenDir, String(ownUid)), 'utf8').trim() : '';
const forged = randomBytes(32).toString('hex');
const everything = [
  request(1, 'session.list', {}),
  request(2, 'session.unlock', { sessionId: victimSession, code: '123456' }),
  request(3, 'admin.mfa.emergency-code', { user: 'victim' }),
];

const results = {
  uid: ownUid,
  readOwnToken: ownTokenRead,
  readVictimToken: errnoOf(() => readFileSync(path.join(tokenDir, String(victimUid)), 'utf8')),
  readRootToken: errnoOf(() => readFileSync(path.join(tokenDir, '0'), 'utf8')),
  listTokenDir: errnoOf(() => readdirSync(tokenDir)),
  forgedAsVictim: await raw([hello(victimUid, forged), ...everything]),
  forgedAsRoot: await raw([hello(0, forged), ...everything]),
  forgedAsSelf: await raw([hello(ownUid, forged), ...everything]),
  ownTokenAsVictim: await raw([hello(victimUid, ownToken), ...everything]),
  noHello: await raw(everything),
  client: {} as Record<string, unknown>,
};

const client = createAgentClient({ socketPath, tokenDir, uid: ownUid, client: 'test' });
results.client.connected = await client.connect();
results.client.list = await client.call('session.list', {});
results.client.unlockVictim = await client.call('session.unlock', { sessionId: victimSession, code: '123456' });
results.client.lockVictim = await client.call('session.lock', { sessionId: victimSession });
results.client.heartbeatVictim = await client.call('session.heartbeat', { sessionId: victimSession, trayPid: 1 });
results.client.heartbeatOwn = await client.call('session.heartbeat', { sessionId: ownSession, trayPid: process.pid });
results.client.unlockOwnWrong = await client.call('session.unlock', { sessionId: ownSession, code: '000000' });
results.client.adminStatus = await client.call('admin.mfa.status', {});
results.client.adminReset = await client.call('admin.mfa.reset', { user: 'victim', enrollment: true });
results.client.adminEmergency = await client.call('admin.mfa.emergency-code', { user: 'victim' });
await client.close();

process.stdout.write(`${JSON.stringify(results)}\n`);
