import { describe, expect, it } from 'vitest';
import type { MountDecision } from './decide-mount';
import { planMountEnforcement } from './plan-mount-enforcement';
import { makeMount } from './test-mounts';

const decision = (action: MountDecision['action']): MountDecision => ({ action, reason: 'class-default', mountClass: 'usb-storage', approvedVolume: null });
const stick = (options = 'rw,relatime', mountPoint = '/media/u/USB STICK') => makeMount({ dev: '8:17', mountPoint, fsType: 'vfat', source: '/dev/sdb1', options });

describe('planMountEnforcement', () => {
  it.each([
    ['allow', 'rw,relatime', { kind: 'none', why: 'allowed' }],
    ['read-only', 'rw,relatime', { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: ['unmount', 'seal-mount-point'] }],
    ['read-only', 'ro,nosuid,nodev,relatime', { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: ['unmount', 'seal-mount-point'] }],
    ['read-only', 'ro,nosuid,nodev,noexec,relatime', { kind: 'none', why: 'already-read-only' }],
    ['deny', 'ro,nosuid,nodev,noexec', { kind: 'apply', steps: ['unmount', 'seal-mount-point'], fallbackOnBusy: [] }],
  ] as const)('%s on %s', (action, options, plan) => {
    expect(planMountEnforcement(stick(options), decision(action))).toEqual(plan);
  });

  it.each(['/', '/home', '/boot/efi', '/var'])('never touches %s', (mountPoint) => {
    expect(planMountEnforcement(stick('rw', mountPoint), decision('deny'))).toEqual({ kind: 'refused', why: 'protected-mount-point' });
    expect(planMountEnforcement(stick('rw', mountPoint), decision('allow')).kind).toBe('none');
  });
});
