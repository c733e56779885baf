import { describe, expect, it } from 'vitest';
import type { MountDecision } from './decide-mount';
import fc from 'fast-check';
import { decideHolderStops, planMountEnforcement } from './plan-mount-enforcement';
import type { MountHolder } from './ports';
import { makeMount } from './test-mounts';

const decision = (action: MountDecision['action']): MountDecision => ({ action, reason: 'class-default', mountClass: 'usb-storage', approvedVolume: null });
const stick = (options = 'rw,relatime', mountPoint = '/media/u/USB STICK') => makeMount({ dev: '8:17', mountPoint, fsType: 'vfat', source: '/dev/sdb1', options });

describe('planMountEnforcement', () => {
  const busy = ['stop-holders', 'unmount', 'seal-mount-point'];
  const lastResort = ['detach-lazily', 'seal-mount-point'];
  it.each([
    ['allow', 'rw,relatime', { kind: 'none', why: 'allowed' }],
    ['read-only', 'rw,relatime', { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: busy, lastResort }],
    ['read-only', 'ro,nosuid,nodev,relatime', { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: busy, lastResort }],
    ['read-only', 'ro,nosuid,nodev,noexec,relatime', { kind: 'none', why: 'already-read-only' }],
    ['deny', 'ro,nosuid,nodev,noexec', { kind: 'apply', steps: ['unmount', 'seal-mount-point'], fallbackOnBusy: busy, lastResort }],
  ] as const)('%s on %s', (action, options, plan) => {
    expect(planMountEnforcement(stick(options), decision(action))).toEqual(plan);
  });

  it.each(['/', '/home', '/boot/efi', '/var'])('never touches %s', (mountPoint) => {
    expect(planMountEnforcement(stick('rw', mountPoint), decision('deny'))).toEqual({ kind: 'refused', why: 'protected-mount-point' });
    expect(planMountEnforcement(stick('rw', mountPoint), decision('allow')).kind).toBe('none');
  });
});

const holder = (pid: number, overrides: Partial<MountHolder> = {}): MountHolder => ({
  pid,
  startTime: 1000 + pid,
  comm: 'writer',
  uid: 1000,
  user: 'yamada',
  kernelThread: false,
  handles: [{ kind: 'write-fd', path: '/media/u/USB STICK/a.txt' }],
  ...overrides,
});

describe('decideHolderStops', () => {
  it.each([
    ['an ordinary writer is stopped', holder(4242), 'stop'],
    ['a reader with only its cwd there is stopped too', holder(4243, { handles: [{ kind: 'cwd', path: '/media/u/USB STICK' }] }), 'stop'],
    ['the agent itself is spared', holder(777), 'agent'],
    ['init is spared', holder(1), 'init'],
    ['an impossible pid 0 is spared (kill(0) signals a group)', holder(0), 'init'],
    ['a negative pid is spared (kill(-1) signals everything)', holder(-1), 'init'],
    ['a kernel thread is spared', holder(55, { kernelThread: true }), 'kernel-thread'],
  ] as const)('%s', (_name, input, expected) => {
    const result = decideHolderStops([input], 777);
    if (expected === 'stop') expect(result).toEqual({ stop: [input], spare: [] });
    else expect(result).toEqual({ stop: [], spare: [{ holder: input, why: expected }] });
  });

  it('never stops the agent, pid ≤ 1 or a kernel thread, and loses no holder (property)', () => {
    const arbitraryHolder = fc.record({ pid: fc.integer({ min: -5, max: 100 }), kernelThread: fc.boolean() }).map(({ pid, kernelThread }) => holder(pid, { kernelThread }));
    fc.assert(
      fc.property(fc.array(arbitraryHolder, { maxLength: 20 }), fc.integer({ min: 2, max: 100 }), (holders, agentPid) => {
        const { stop, spare } = decideHolderStops(holders, agentPid);
        expect(stop.length + spare.length).toBe(holders.length);
        for (const stopped of stop) {
          expect(stopped.pid).toBeGreaterThan(1);
          expect(stopped.pid).not.toBe(agentPid);
          expect(stopped.kernelThread).toBe(false);
        }
      }),
    );
  });
});
