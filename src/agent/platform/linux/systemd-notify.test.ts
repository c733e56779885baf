import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/logger';
import { repoRoot } from '../../../../test/helpers/mng';
import { needTools } from '../../../../test/helpers/system-tools';
import { createSystemdNotifier, decideWatchdogIntervalMs } from './systemd-notify';

describe('decideWatchdogIntervalMs', () => {
  it.each([
    [{ WATCHDOG_USEC: '30000000' }, 30_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '77' }, 30_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '78' }, undefined],
    [{ WATCHDOG_USEC: '0' }, undefined],
    [{ WATCHDOG_USEC: '-5' }, undefined],
    [{ WATCHDOG_USEC: '30s' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, expected) => {
    expect(decideWatchdogIntervalMs(env, 77)).toBe(expected);
  });
});

describe('createSystemdNotifier', () => {
  it('without NOTIFY_SOCKET (run by hand) there is no notifier', () => {
    expect(createSystemdNotifier({ env: {}, pid: 1, logger: silentLogger })).toBeUndefined();
  });

  it('sends the protocol fields through the runner', async () => {
    const calls: string[][] = [];
    const notifier = createSystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000' },
      pid: 9,
      logger: silentLogger,
      run: (args) => {
        calls.push([...args]);
        return Promise.resolve({ exitCode: 0, stderr: '' });
      },
    });
    expect(notifier?.watchdogIntervalMs).toBe(20_000);
    await notifier?.ready('enforce;\nusb=enforced');
    await notifier?.watchdog();
    await notifier?.stopping();
    expect(calls).toEqual([['READY=1', 'STATUS=enforce; usb=enforced'], ['WATCHDOG=1'], ['STOPPING=1']]);
  });

  // The real systemd-notify against a real datagram socket: the message arrives with the agent's
  // own pid as sender (systemd-notify names its parent), which is what NotifyAccess=main needs.
  describe.skipIf(!needTools('systemd-notify'))('with the real systemd-notify', () => {
    it('delivers READY=1, STATUS and WATCHDOG=1 as this process, and waits for the barrier', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mng-notify-'));
      const socketPath = path.join(dir, 'notify');
      const receiver = spawn('/usr/bin/python3', [path.join(repoRoot, 'test/helpers/notify_socket_receiver.py'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const lines = createInterface({ input: receiver.stdout })[Symbol.asyncIterator]();
        expect((await lines.next()).value).toBe('ready');
        const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: socketPath }, pid: process.pid, logger: silentLogger });
        await notifier?.ready('enforce; usb=enforced');
        await notifier?.watchdog();
        const messages: { text: string; pid: number }[] = [];
        while (messages.filter((message) => !message.text.startsWith('BARRIER')).length < 2) {
          messages.push(JSON.parse(String((await lines.next()).value)) as { text: string; pid: number });
        }
        const fields = messages.filter((message) => !message.text.startsWith('BARRIER'));
        expect(fields.map((message) => message.text.split('\n').sort())).toEqual([['READY=1', 'STATUS=enforce; usb=enforced'], ['WATCHDOG=1']]);
        for (const message of fields) expect(message.pid).toBe(process.pid);
        expect(messages.some((message) => message.text === 'BARRIER=1')).toBe(true);
      } finally {
        receiver.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
