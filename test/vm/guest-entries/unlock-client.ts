// Runs inside the test machine as a staff user, on the agent's own bundled Node, the way the tray
// app reaches the agent (src/main/agent-client.ts over the local socket with the user's token):
//   node unlock-client.mjs <sessionId> <code|-> <holdSeconds>
// Heartbeats as a tray does, sends the unlock (not with `-`) and prints one JSON line of results;
// then keeps heartbeating every 2 s for <holdSeconds> (a tray that stays), and prints a last line.
import process from 'node:process';
import { createAgentClient } from '../../../src/main/agent-client';

const [sessionId = '', code = '', holdText = '0'] = process.argv.slice(2);
const client = createAgentClient({ socketPath: '/run/mynumber-guard/agent.sock', tokenDir: '/run/mynumber-guard/tokens', uid: process.getuid?.() ?? -1, client: 'test' });
const connected = await client.connect();
const heartbeat = await client.call('session.heartbeat', { sessionId, trayPid: process.pid });
const unlock = code === '-' ? null : await client.call('session.unlock', { sessionId, code });
process.stdout.write(`${JSON.stringify({ connected, heartbeat, unlock })}\n`);
const until = Date.now() + Number(holdText) * 1000;
let beats = 0;
while (Date.now() < until) {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const beat = await client.call('session.heartbeat', { sessionId, trayPid: process.pid });
  if (beat.ok) beats += 1;
}
process.stdout.write(`${JSON.stringify({ beats, list: await client.call('session.list', {}) })}\n`);
await client.close();
