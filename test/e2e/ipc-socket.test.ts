// The agent's IPC over a real Unix socket with real OS users (issue #5 item 3, "other local users
// get nothing"): the test creates two local users, runs a client process as one of them
// (runuser), and checks what it can read and call. Root is the test process itself.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../src/main/agent-client';
import { repoRoot } from '../helpers/mng';
import { startIpcAgent, type IpcAgentRig } from '../helpers/ipc-agent';
import { needTools } from '../helpers/system-tools';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  const reason = 'the IPC socket e2e test creates local users and needs root';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
}

describe.skipIf(!isRoot || !needTools('useradd', 'userdel', 'runuser'))('agent IPC over a Unix socket, another local user', () => {
  const suffix = randomBytes(3).toString('hex');
  const users = { attacker: `mngipca${suffix}`, victim: `mngipcv${suffix}` };
  const created: string[] = [];
  const uid: Record<keyof typeof users, number> = { attacker: -1, victim: -1 };
  let rig: IpcAgentRig;
  let script: string;

  beforeAll(async () => {
    for (const [role, name] of Object.entries(users) as [keyof typeof users, string][]) {
      const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
      if (add.status !== 0) throw new Error(`useradd ${name}: ${add.stderr}`);
      created.push(name);
      uid[role] = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    }
    rig = await startIpcAgent({
      sessions: [
        { sessionId: 'att-1', uid: uid.attacker, user: users.attacker },
        { sessionId: 'vic-1', uid: uid.victim, user: users.victim },
      ],
      uids: [uid.attacker, uid.victim],
    });
    script = path.join(rig.dir, 'ipc-client.mjs');
    // One self-contained file the other user can run (it cannot read the repository's node_modules paths we pick).
    await build({ absWorkingDir: repoRoot, entryPoints: ['test/helpers/ipc-client-entry.ts'], outfile: script, bundle: true, platform: 'node', format: 'esm', target: 'node20.19', logLevel: 'error' });
    chmodSync(script, 0o644);
  });

  afterAll(async () => {
    await rig?.close();
    for (const name of created) spawnSync('userdel', [name]);
  });

  it('token folder and files: 0711 root, 0400 per user', () => {
    const folder = lstatSync(rig.tokenDir);
    expect([folder.mode & 0o7777, folder.uid]).toEqual([0o711, 0]);
    const file = lstatSync(path.join(rig.tokenDir, String(uid.attacker)));
    expect([file.mode & 0o7777, file.uid]).toEqual([0o400, uid.attacker]);
    expect(lstatSync(rig.socketPath).mode & 0o777).toBe(0o666);
  });

  it('the other user reads only their own token, is refused everything with a forged one, and acts only on their own session', async () => {
    const { stdout } = await run('runuser', ['-u', users.attacker, '--', process.execPath, script, rig.socketPath, rig.tokenDir, String(uid.victim), 'att-1', 'vic-1'], { timeout: 30_000 });
    const r = JSON.parse(stdout) as Record<string, unknown> & { client: Record<string, unknown> };
    expect(r.uid).toBe(uid.attacker);
    expect(r.readOwnToken).toBe('read');
    expect(r.readVictimToken).toBe('EACCES');
    expect(r.readRootToken).toBe('EACCES');
    expect(r.listTokenDir).toBe('EACCES');

    // A forged token (or its own token under another uid): one error, then the agent hangs up.
    for (const key of ['forgedAsVictim', 'forgedAsRoot', 'forgedAsSelf', 'ownTokenAsVictim']) {
      expect(r[key], key).toEqual({ frames: [{ v: 1, id: 0, ok: false, error: { code: 'authentication-failed' } }], closedByAgent: true });
    }
    expect(r.noHello).toEqual({ frames: [{ v: 1, id: 1, ok: false, error: { code: 'not-authenticated' } }], closedByAgent: true });

    const c = r.client;
    expect(c.connected).toBe(true);
    expect(c.list).toMatchObject({ ok: true, result: { sessions: [{ sessionId: 'att-1', user: users.attacker }] } });
    expect((c.list as { result: { sessions: unknown[] } }).result.sessions).toHaveLength(1);
    for (const key of ['unlockVictim', 'lockVictim', 'heartbeatVictim', 'adminStatus', 'adminReset', 'adminEmergency']) {
      expect(c[key], key).toEqual({ ok: false, code: 'forbidden' });
    }
    expect(c.heartbeatOwn).toEqual({ ok: true, result: { intervalMs: 5000 } });
    expect(c.unlockOwnWrong).toMatchObject({ ok: true, result: { code: 'wrong-code' } });

    // Nothing reached the victim's session; every refusal is on record.
    expect(rig.fake.attempts(users.victim)).toBe(0);
    expect(rig.fake.state('vic-1')?.state).toBe('locked');
    expect(rig.audit.filter((e) => e.type === 'ipc.authentication-failed')).toHaveLength(4);
    expect(rig.audit.filter((e) => e.type === 'ipc.forbidden').map((e) => e.data.reason).sort()).toEqual(['admin-only', 'admin-only', 'admin-only', 'not-owner', 'not-owner', 'not-owner']);
  });

  it('root connects with its token and sees and may do everything', async () => {
    const client = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: 0, client: 'mng' });
    expect(await client.connect()).toBe(true);
    const list = await client.call('session.list', {});
    expect(list.ok && list.result.sessions.map((s) => s.sessionId)).toEqual(['att-1', 'vic-1']);
    expect((await client.call('admin.mfa.status', {})).ok).toBe(true);
    expect((await client.call('session.lock', { sessionId: 'vic-1' })).ok).toBe(true);
    await client.close();
  });

  it('1,000 requests a second over the socket: every one answered, no crash, counts add up', async () => {
    const client = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: uid.attacker, client: 'test' });
    await client.connect();
    const before = rig.gate.stats();
    const outcomes = [];
    const started = Date.now();
    // 20 bursts of 50, one every 50 ms: 1,000 in about a second.
    for (let burst = 0; burst < 20; burst += 1) {
      const batch = Promise.all(Array.from({ length: 50 }, () => client.call('session.unlock', { sessionId: 'att-1', code: '000000' })));
      await new Promise((resolve) => setTimeout(resolve, 50));
      outcomes.push(...(await batch));
    }
    const after = rig.gate.stats();
    const codes = outcomes.map((o) => (o.ok ? o.result.code : o.code));
    const count = (code: string) => codes.filter((c) => c === code).length;
    expect(outcomes).toHaveLength(1000);
    expect(count('unreachable')).toBe(0);
    // What passed the gate reached the lockout counter, exactly; the rest was rate-limited.
    const passed = (after.handlerCalls['session.unlock'] ?? 0) - (before.handlerCalls['session.unlock'] ?? 0);
    expect(count('wrong-code') + count('locked-out')).toBe(passed);
    expect(count('rate-limited')).toBe(1000 - passed);
    // Burst 100 plus 50/s, less what the earlier tests of this user spent.
    expect(passed).toBeGreaterThan(50);
    expect(passed).toBeLessThanOrEqual(160);
    expect(rig.fake.failures(users.attacker)).toBe(5);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The agent still answers.
    expect((await client.call('session.list', {})).ok).toBe(true);
    await client.close();
  });

  it('a 1 MB message from the other user → frame-too-large and the connection closes', async () => {
    const code = `
      const net = require('node:net');
      const s = net.createConnection(${JSON.stringify(rig.socketPath)});
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('error', () => {});
      s.on('close', () => { process.stdout.write(got); });
      s.on('connect', () => s.write('x'.repeat(1024 * 1024) + '\\n'));
    `;
    const { stdout } = await run('runuser', ['-u', users.attacker, '--', process.execPath, '-e', code], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ v: 1, id: null, ok: false, error: { code: 'frame-too-large' } });
  });
});
