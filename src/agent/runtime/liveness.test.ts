import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { silentLogger } from '../../shared/logger';
import type { AuditEventInput } from '../audit';
import { createAgentLiveness } from './liveness';
import type { RunMarkerStore, ServiceManagerNotifier } from './ports';

function memoryMarker(initial?: string): RunMarkerStore & { text: string | undefined; writes: number } {
  const store = {
    location: '/state/agent.run',
    text: initial,
    writes: 0,
    read: () => Promise.resolve(store.text),
    write: (text: string) => {
      store.text = text;
      store.writes += 1;
      return Promise.resolve();
    },
    remove: () => {
      store.text = undefined;
      return Promise.resolve();
    },
  };
  return store;
}

function recordingManager(watchdogIntervalMs: number | undefined): ServiceManagerNotifier & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    watchdogIntervalMs,
    ready: (status) => {
      sent.push(`READY ${status}`);
      return Promise.resolve();
    },
    watchdog: () => {
      sent.push('WATCHDOG');
      return Promise.resolve();
    },
    stopping: () => {
      sent.push('STOPPING');
      return Promise.resolve();
    },
  };
}

function rig(options: { marker?: string; watchdogMs?: number; queueStuck?: () => boolean } = {}) {
  const clock = createFixedClock(Date.parse('2026-12-07T09:00:00Z'));
  const audit: AuditEventInput[] = [];
  const marker = memoryMarker(options.marker);
  const manager = recordingManager(options.watchdogMs);
  const liveness = createAgentLiveness({
    serviceManager: manager,
    marker,
    audit: { append: (event) => Promise.resolve(void audit.push(event)).then(() => ({ seq: audit.length, hash: '' })) },
    clock,
    logger: silentLogger,
    pid: 4242,
    bootId: 'b0000000-0000-0000-0000-000000000001',
    // A stuck queue runs nothing: the pings it would carry never happen.
    enqueue: (task) => {
      if (options.queueStuck?.() !== true) void task();
    },
    heartbeatIntervalMs: 30_000,
  });
  return { clock, audit, marker, manager, liveness };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('agent liveness', () => {
  it('a clean history: no audit record, a fresh marker; a clean stop removes it', async () => {
    const { audit, marker, liveness } = rig();
    await liveness.begin();
    expect(audit).toEqual([]);
    expect(JSON.parse(marker.text ?? '')).toMatchObject({ pid: 4242, startedAt: '2026-12-07T09:00:00.000Z' });
    await liveness.stopping();
    await liveness.end();
    expect(marker.text).toBeUndefined();
  });

  it('a marker left by a killed agent: agent.unclean-stop is audited, then replaced by ours', async () => {
    const left = JSON.stringify({ format: 'mynumber-guard.run-marker/v1', pid: 17, bootId: 'b0000000-0000-0000-0000-000000000001', startedAt: '2026-12-07T08:00:00.000Z', aliveAt: '2026-12-07T08:59:40.000Z' });
    const { audit, marker, liveness } = rig({ marker: left });
    await liveness.begin();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ type: 'agent.unclean-stop', severity: 'alert', data: { previousPid: 17, pid: 4242, outageMaxMs: 20_000, sameBoot: true } });
    expect(JSON.parse(marker.text ?? '')).toMatchObject({ pid: 4242 });
  });

  it('a marker that cannot be written is an alert, never a reason not to start', async () => {
    const { audit, marker, liveness, manager } = rig();
    marker.write = () => Promise.reject(new Error('EROFS: read-only file system'));
    await liveness.begin();
    await liveness.ready('ok');
    expect(audit).toEqual([{ type: 'agent.run-marker-failed', severity: 'alert', data: { location: '/state/agent.run', error: 'EROFS: read-only file system' } }]);
    expect(manager.sent).toEqual(['READY ok']);
    await liveness.stopping();
  });

  it('ready: READY=1 with the status, then a WATCHDOG=1 every third of the period and a heartbeat every 30 s', async () => {
    vi.useFakeTimers();
    const { clock, marker, manager, liveness } = rig({ watchdogMs: 30_000 });
    await liveness.begin();
    await liveness.ready('enforce; usb=enforced');
    expect(manager.sent).toEqual(['READY enforce; usb=enforced']);
    const writesAfterBegin = marker.writes;
    clock.advanceMs(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(manager.sent.filter((sent) => sent === 'WATCHDOG')).toHaveLength(3);
    expect(marker.writes).toBe(writesAfterBegin + 1);
    expect(JSON.parse(marker.text ?? '')).toMatchObject({ aliveAt: '2026-12-07T09:00:30.000Z' });
    await liveness.stopping();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(manager.sent.filter((sent) => sent === 'WATCHDOG')).toHaveLength(3);
    expect(manager.sent.at(-1)).toBe('STOPPING');
  });

  it('a stuck work queue sends no WATCHDOG=1 (so systemd restarts the agent)', async () => {
    vi.useFakeTimers();
    let stuck = false;
    const { manager, liveness } = rig({ watchdogMs: 30_000, queueStuck: () => stuck });
    await liveness.begin();
    await liveness.ready('ok');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(manager.sent.filter((sent) => sent === 'WATCHDOG')).toHaveLength(1);
    stuck = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(manager.sent.filter((sent) => sent === 'WATCHDOG')).toHaveLength(1);
  });

  it('without a watchdog period there are no pings, and the heartbeat still runs', async () => {
    vi.useFakeTimers();
    const { marker, manager, liveness } = rig();
    await liveness.begin();
    await liveness.ready('ok');
    const writes = marker.writes;
    await vi.advanceTimersByTimeAsync(90_000);
    expect(manager.sent).toEqual(['READY ok']);
    expect(marker.writes).toBe(writes + 3);
  });
});
