import { describe, expect, it } from 'vitest';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditEventInput, AuditSink } from '../audit';
import type { ExportDestination, ExportLedger } from '../exports';
import { makeMount, renderUdisksPolkitRule, type MountEnforcer, type MountState } from '../mounts';
import { createMediaControl, type MediaPolicyView } from './media-control';
import type { AutomountRuleStore } from './ports';

const policyMedia: MediaPolicy = {
  implements: ['芽室町ISP 1-6-(3)-ア'],
  classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [],
  exportDestinations: [{ path: '/media', action: 'quarantine' }],
  automount: 'block',
};

function rig(options: { mode?: 'monitor' | 'enforce'; policy?: MediaPolicyView | null; installed?: string | null; writeFails?: boolean } = {}) {
  const audit: AuditEventInput[] = [];
  const sink: AuditSink = {
    append(event) {
      audit.push(event);
      return Promise.resolve({ seq: audit.length, hash: '0'.repeat(64) });
    },
  };
  let states: MountState[] = [];
  const calls: string[] = [];
  const mounts: MountEnforcer = {
    evaluateAll: () => {
      calls.push('evaluateAll');
      return Promise.resolve(states);
    },
    start: () => {
      calls.push('start');
      return Promise.resolve();
    },
    stop: () => {
      calls.push('stop');
      return Promise.resolve();
    },
    states: () => states,
  };
  const ledgers: { destinations: readonly ExportDestination[]; started: boolean; stopped: boolean }[] = [];
  let installed = options.installed === undefined ? null : options.installed;
  const rule: AutomountRuleStore = {
    location: '/etc/polkit-1/rules.d/10-mynumber-guard-media.rules',
    read: () => Promise.resolve(installed),
    write: (text) => {
      if (options.writeFails === true) return Promise.reject(new Error('EROFS: read-only file system'));
      installed = text;
      return Promise.resolve();
    },
    remove: () => Promise.resolve(installed !== null),
  };
  let policy: MediaPolicyView | null = options.policy === undefined ? { media: policyMedia, implements: policyMedia.implements } : options.policy;
  const control = createMediaControl({
    mounts,
    createLedger: (destinations): ExportLedger => {
      const entry = { destinations, started: false, stopped: false };
      ledgers.push(entry);
      return {
        start: () => {
          entry.started = true;
          return Promise.resolve();
        },
        stop: () => {
          entry.stopped = true;
          return Promise.resolve();
        },
        idle: () => Promise.resolve(),
        rescan: () => Promise.resolve(0),
      };
    },
    automountRule: rule,
    policy: () => policy,
    mode: options.mode ?? 'enforce',
    audit: sink,
    clock: { nowMs: () => Date.parse('2026-11-26T00:00:00Z') },
  });
  return {
    control,
    audit,
    ledgers,
    calls,
    installed: () => installed,
    setStates: (next: MountState[]) => {
      states = next;
    },
    setPolicy: (next: MediaPolicyView | null) => {
      policy = next;
    },
  };
}

const allowedStick = (): MountState => ({
  mount: makeMount({ mountPoint: '/media/taro/STICK', fsType: 'vfat', source: '/dev/sdb1' }),
  classification: { mountClass: 'usb-storage', basis: 'usb-device', resolved: true, usbPort: '1-3', device: null },
  decision: { action: 'allow', reason: 'approved-volume', mountClass: 'usb-storage', approvedVolume: 'IT-001' },
  plan: { kind: 'none', why: 'allowed' },
  outcome: { state: 'not-needed' },
});

describe('media control', () => {
  it('starts the mounts, writes the automount rule and watches the policy destinations', async () => {
    const r = rig();
    await r.control.start();
    expect(r.calls).toEqual(['start']);
    expect(r.installed()).toBe(renderUdisksPolkitRule(policyMedia, Date.parse('2026-11-26T00:00:00Z')));
    expect(r.ledgers).toHaveLength(1);
    expect(r.ledgers[0]?.started).toBe(true);
    expect(r.ledgers[0]?.destinations.map((d) => [d.path, d.action])).toEqual([['/media', 'quarantine']]);
    expect(r.audit.map((e) => e.type)).toEqual(['media.automount-rule-written', 'export.destinations']);
    expect(r.control.status()).toMatchObject({ control: 'media', state: 'enforced', implements: ['芽室町ISP 1-6-(3)-ア'] });
  });

  it('a new allowed medium gets a new ledger that watches it; the old ledger is stopped', async () => {
    const r = rig();
    await r.control.start();
    r.setStates([allowedStick()]);
    r.control.mountsEvaluated();
    r.control.mountsEvaluated(); // coalesced
    await r.control.settled();
    expect(r.ledgers).toHaveLength(2);
    expect(r.ledgers[0]?.stopped).toBe(true);
    expect(r.ledgers[1]?.destinations.map((d) => d.path)).toEqual(['/media', '/media/taro/STICK']);
    // Same mounts again: same set, same ledger.
    r.control.mountsEvaluated();
    await r.control.settled();
    expect(r.ledgers).toHaveLength(2);
  });

  it('monitor mode leaves a missing rule alone and never quarantines', async () => {
    const r = rig({ mode: 'monitor' });
    await r.control.start();
    expect(r.installed()).toBeNull();
    expect(r.ledgers[0]?.destinations.map((d) => d.action)).toEqual(['record']);
    expect(r.control.details()).toMatchObject({ automountRule: { state: 'missing', note: 'monitor-mode' } });
    expect(r.control.status().state).toBe('monitored');
  });

  it('a rule that cannot be written is an alert and makes the control degraded', async () => {
    const r = rig({ writeFails: true });
    await r.control.start();
    expect(r.audit.find((e) => e.type === 'media.automount-rule-failed')?.severity).toBe('alert');
    const status = r.control.status();
    expect(status.state).toBe('degraded');
    expect(status.summary.en).toContain('EROFS');
  });

  it('without a policy the fail-closed rule is installed and nothing is watched', async () => {
    const r = rig({ policy: null });
    await r.control.start();
    expect(r.installed()).toContain('org.freedesktop.udisks2.filesystem-mount');
    expect(r.ledgers[0]?.destinations).toEqual([]);
    expect(r.control.status().summary.en).toContain('no policy');
  });

  it('a policy change re-evaluates the mounts and re-plans', async () => {
    const r = rig();
    await r.control.start();
    r.setPolicy({ media: { ...policyMedia, exportDestinations: [{ path: '/srv/out', action: 'delete' }] }, implements: [] });
    await r.control.policyChanged();
    expect(r.calls).toContain('evaluateAll');
    expect(r.ledgers.at(-1)?.destinations.map((d) => [d.path, d.action])).toEqual([['/srv/out', 'delete']]);
  });

  it('a failed enforcement is named in the summary', async () => {
    const r = rig();
    await r.control.start();
    r.setStates([{ ...allowedStick(), decision: { action: 'deny', reason: 'class-default', mountClass: 'usb-storage', approvedVolume: null }, outcome: { state: 'failed', step: 'unmount', detail: 'EPERM', lastResort: [], holders: [] } }]);
    const status = r.control.status();
    expect(status.state).toBe('degraded');
    expect(status.summary.ja).toContain('/media/taro/STICK');
  });

  it('keeps each enforcement once in the recent actions, even when the enforcer hands the same state back', async () => {
    const r = rig();
    await r.control.start();
    const denied: MountState = { ...allowedStick(), decision: { action: 'deny', reason: 'class-default', mountClass: 'usb-storage', approvedVolume: null }, outcome: { state: 'applied', steps: ['unmount', 'seal-mount-point'], fellBack: false, holders: [] } };
    r.control.mountsEvaluated([denied]);
    r.control.mountsEvaluated([denied]);
    r.control.mountsEvaluated([allowedStick()]);
    await r.control.settled();
    const details = r.control.details() as { recentActions: { mountPoint: string; action: string }[] };
    expect(details.recentActions.map((a) => [a.mountPoint, a.action])).toEqual([['/media/taro/STICK', 'deny']]);
  });
});
