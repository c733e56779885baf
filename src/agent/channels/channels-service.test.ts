import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { ChannelsPolicy } from '../../shared/policy/schema';
import type { AuditEventInput, AuditSink } from '../audit';
import { createChannelsEnforcer, defaultPrinterDisableReason } from './channels-service';
import { createFakePrinters, createFakeRadios } from './fake-channel-ports';
import type { PrinterFacts, RadioFacts } from './model';

const policyOf = (over: Partial<ChannelsPolicy> = {}): ChannelsPolicy => ({
  implements: ['1-6-(2)'],
  bluetooth: 'block',
  wifi: 'block',
  printers: { allow: ['Q1'] },
  networkShares: { allow: [] },
  ...over,
});
const radio = (index: number, type: string, soft = false, hard = false): RadioFacts => ({ index, type, name: `${type}${index}`, soft, hard });
const queue = (name: string, state: PrinterFacts['state'] = 'idle', accepting: boolean | null = true): PrinterFacts => ({ name, state, accepting, reason: null });

function setup(options: { mode?: 'monitor' | 'enforce'; policy?: ChannelsPolicy | undefined; radios?: RadioFacts[]; printers?: PrinterFacts[] } = {}) {
  const events: AuditEventInput[] = [];
  const audit: AuditSink = { append: (event) => (events.push(event), Promise.resolve({ seq: events.length, hash: 'h' })) };
  const radios = createFakeRadios(options.radios ?? [radio(0, 'wlan'), radio(1, 'bluetooth'), radio(2, 'nfc')]);
  const printers = createFakePrinters(options.printers ?? [queue('Q1'), queue('Q2'), queue('Q3')]);
  const state = { policy: 'policy' in options ? options.policy : policyOf() };
  const enforcer = createChannelsEnforcer({ radios, printers, audit, clock: createFixedClock(1_700_000_000_000), mode: options.mode ?? 'enforce', policy: () => state.policy });
  const types = () => events.map((e) => e.type);
  return { events, radios, printers, state, enforcer, types };
}

describe('createChannelsEnforcer, enforce mode', () => {
  it('blocks the radios and stops the queues the policy does not allow, and audits each change', async () => {
    const t = setup();
    const snapshot = await t.enforcer.run('start');
    expect(t.radios.writes).toEqual([0, 1]);
    expect(t.printers.writes).toEqual([
      { name: 'Q2', reason: defaultPrinterDisableReason },
      { name: 'Q3', reason: defaultPrinterDisableReason },
    ]);
    expect(t.types()).toEqual(['channel.radio-blocked', 'channel.radio-blocked', 'channel.printer-disabled', 'channel.printer-disabled']);
    expect(t.events[0]).toMatchObject({ severity: 'notice', data: { trigger: 'start', mode: 'enforce', index: 0, type: 'wlan', kind: 'wifi', basis: 'policy', fallback: false } });
    expect(t.events[2]).toMatchObject({ severity: 'notice', data: { queue: 'Q2', basis: 'not-in-allowlist' } });
    expect(snapshot.radios.entries.map((e) => [e.radio.index, e.decision.target, e.outcome])).toEqual([
      [0, 'block', 'applied'],
      [1, 'block', 'applied'],
      [2, 'report', 'unchanged'],
    ]);
    expect(snapshot.printers.entries.map((e) => [e.printer.name, e.decision.target, e.outcome])).toEqual([
      ['Q1', 'allow', 'unchanged'],
      ['Q2', 'block', 'applied'],
      ['Q3', 'block', 'applied'],
    ]);
    expect(t.enforcer.snapshot()).toBe(snapshot);
  });

  it('writes and audits nothing on a pass that finds everything as decided', async () => {
    const t = setup();
    await t.enforcer.run('start');
    const before = t.events.length;
    const snapshot = await t.enforcer.run('refresh');
    expect(t.events.length).toBe(before);
    expect(t.radios.writes).toEqual([0, 1]);
    expect(snapshot.radios.entries.every((e) => e.outcome === 'unchanged')).toBe(true);
  });

  it('detects a radio unblocked again, blocks it again, and raises an alert', async () => {
    const t = setup();
    await t.enforcer.run('start');
    t.radios.world.radios[0] = radio(0, 'wlan', false, false);
    await t.enforcer.run('refresh');
    expect(t.radios.writes).toEqual([0, 1, 0]);
    const drift = t.events.filter((e) => e.type === 'channel.radio-unblock-detected');
    expect(drift).toEqual([expect.objectContaining({ severity: 'alert', data: expect.objectContaining({ index: 0, corrected: true, trigger: 'refresh' }) })]);
  });

  it('detects a queue enabled again, stops it again, and raises an alert', async () => {
    const t = setup();
    await t.enforcer.run('start');
    t.printers.world.printers[2] = queue('Q3', 'idle', true);
    await t.enforcer.run('refresh');
    expect(t.printers.writes.map((w) => w.name)).toEqual(['Q2', 'Q3', 'Q3']);
    expect(t.events.filter((e) => e.type === 'channel.printer-enable-detected')).toEqual([
      expect.objectContaining({ severity: 'alert', data: expect.objectContaining({ queue: 'Q3', corrected: true }) }),
    ]);
  });

  it('fails closed without a policy: both radios blocked (and WWAN), every queue stopped', async () => {
    const t = setup({ policy: undefined, radios: [radio(0, 'wlan'), radio(1, 'bluetooth'), radio(4, 'wwan')] });
    const snapshot = await t.enforcer.run('start');
    expect(snapshot.fallback).toBe(true);
    expect(t.radios.writes).toEqual([0, 1, 4]);
    expect(t.printers.writes.map((w) => w.name)).toEqual(['Q1', 'Q2', 'Q3']);
    expect(t.events.every((e) => e.data.fallback === true)).toBe(true);
  });

  it('leaves allowed radios and allowed queues alone and never unblocks', async () => {
    const t = setup({ policy: policyOf({ wifi: 'allow', bluetooth: 'allow', printers: { allow: ['q1', 'Q2', 'Q3'] } }), radios: [radio(0, 'wlan', true), radio(1, 'bluetooth'), radio(2, 'wwan')] });
    const snapshot = await t.enforcer.run('start');
    expect(t.radios.writes).toEqual([]);
    expect(t.printers.writes).toEqual([]);
    expect(t.events).toEqual([]);
    expect(snapshot.radios.entries.map((e) => e.decision.target)).toEqual(['allow', 'allow', 'report']);
  });

  it('adds the soft block to a hard-blocked radio without treating it as a finding', async () => {
    const t = setup({ radios: [radio(0, 'wlan', false, true)] });
    await t.enforcer.run('start');
    expect(t.radios.writes).toEqual([0]);
    expect(t.types().filter((x) => x.startsWith('channel.radio'))).toEqual(['channel.radio-blocked']);
  });

  it('audits a failed write once per distinct failure, and again after it cleared and came back', async () => {
    const t = setup({ printers: [queue('Q1')] });
    t.radios.failWrite = (index) => (index === 1 ? 'EPERM' : undefined);
    const first = await t.enforcer.run('start');
    expect(first.radios.entries[1]).toMatchObject({ outcome: 'failed', detail: 'EPERM' });
    await t.enforcer.run('refresh');
    const failures = () => t.events.filter((e) => e.type === 'channel.failed');
    expect(failures()).toEqual([expect.objectContaining({ severity: 'alert', data: expect.objectContaining({ index: 1, step: 'soft-block', detail: 'EPERM' }) })]);
    t.radios.failWrite = undefined;
    await t.enforcer.run('refresh');
    t.radios.world.radios[1] = radio(1, 'bluetooth');
    t.radios.failWrite = () => 'EPERM';
    await t.enforcer.run('refresh');
    expect(failures()).toHaveLength(2);
  });

  it('reports unreadable radios and unknown printers once, and keeps drift memory across them', async () => {
    const t = setup();
    await t.enforcer.run('start');
    t.radios.world.state = 'unreadable';
    t.printers.world.state = 'unknown';
    const blind = await t.enforcer.run('refresh');
    await t.enforcer.run('refresh');
    expect(blind.radios).toMatchObject({ state: 'unreadable', detail: 'EACCES', entries: [] });
    expect(blind.printers).toMatchObject({ state: 'unknown', reason: 'tool-missing', entries: [] });
    expect(t.events.filter((e) => e.type === 'channel.failed').map((e) => [e.severity, e.data.subject])).toEqual([
      ['warning', 'radios'],
      ['warning', 'printers'],
    ]);
    t.radios.world.state = 'present';
    t.radios.world.radios[1] = radio(1, 'bluetooth');
    await t.enforcer.run('refresh');
    expect(t.types()).toContain('channel.radio-unblock-detected');
  });

  it('reports an absent radio class as such, without a failure', async () => {
    const t = setup();
    t.radios.world.state = 'absent';
    const snapshot = await t.enforcer.run('start');
    expect(snapshot.radios).toEqual({ state: 'absent', detail: null, entries: [] });
    expect(t.types()).not.toContain('channel.failed');
  });

  it('runs passes one at a time in call order', async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.enforcer.run('start'), t.enforcer.run('refresh')]);
    expect([a.trigger, b.trigger]).toEqual(['start', 'refresh']);
    // The second pass saw the first one's writes: nothing written twice.
    expect(t.radios.writes).toEqual([0, 1]);
    expect(b.radios.entries.every((e) => e.outcome === 'unchanged')).toBe(true);
  });

  it('decides again with the new policy on policy-changed', async () => {
    const t = setup({ printers: [queue('Q1'), queue('Q2')] });
    await t.enforcer.run('start');
    t.state.policy = policyOf({ printers: { allow: [] } });
    await t.enforcer.run('policy-changed');
    expect(t.printers.writes.map((w) => w.name)).toEqual(['Q2', 'Q1']);
  });
});

describe('createChannelsEnforcer, monitor mode', () => {
  it('writes nothing, and reports each open radio and queue once', async () => {
    const t = setup({ mode: 'monitor' });
    const snapshot = await t.enforcer.run('start');
    await t.enforcer.run('refresh');
    expect(t.radios.writes).toEqual([]);
    expect(t.printers.writes).toEqual([]);
    expect(t.types()).toEqual(['channel.radio-not-blocked', 'channel.radio-not-blocked', 'channel.printer-not-disabled', 'channel.printer-not-disabled']);
    expect(t.events.every((e) => e.severity === 'warning' && e.data.mode === 'monitor')).toBe(true);
    expect(snapshot.radios.entries.map((e) => e.outcome)).toEqual(['would-apply', 'would-apply', 'unchanged']);
  });

  it('raises the drift alert (not corrected) when a blocked radio is unblocked, without a second warning later', async () => {
    const t = setup({ mode: 'monitor', radios: [radio(0, 'wlan', true)], printers: [] });
    await t.enforcer.run('start');
    expect(t.events).toEqual([]);
    t.radios.world.radios[0] = radio(0, 'wlan', false);
    await t.enforcer.run('refresh');
    await t.enforcer.run('refresh');
    expect(t.events).toEqual([expect.objectContaining({ type: 'channel.radio-unblock-detected', severity: 'alert', data: expect.objectContaining({ corrected: false }) })]);
    expect(t.radios.writes).toEqual([]);
  });
});
