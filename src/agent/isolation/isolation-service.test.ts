import { describe, expect, it } from 'vitest';
import type { AuditEventInput, AuditSink } from '../audit';
import { createFixedClock } from '../../shared/clock';
import type { IsolationPolicy } from '../../shared/policy/schema';
import { createIsolationControl } from './isolation-control';
import { createIsolationMonitor, type IsolationTimers } from './isolation-service';
import type { NetworkFacts, ProbeResult } from './model';
import type { CanaryProber, NetworkChangeSource, NetworkFactsReader } from './ports';

const policy: IsolationPolicy = {
  implements: ['1-6-(3)-ア'],
  allowedCidrs: ['10.20.0.0/16'],
  dnsServers: ['10.20.0.53'],
  canaries: [{ name: 'lgwan-gw', host: '198.51.100.20', port: 443, zone: 'lgwan' }],
  canaryTimeoutMs: 500,
  checkIntervalSeconds: 60,
};
const cleanFacts: NetworkFacts = {
  interfaces: [{ name: 'eth0', kind: 'ethernet', up: true, addresses: [{ family: 4, address: '10.20.1.5', prefixLength: 24 }] }],
  routes: [{ destination: '10.20.1.0/24', family: 4, interface: 'eth0', type: 'unicast', table: 'main' }],
  dnsServers: ['10.20.0.53'],
  dnsSource: '/etc/resolv.conf',
};

function setup() {
  const events: AuditEventInput[] = [];
  const audit: AuditSink = { append: (event) => (events.push(event), Promise.resolve({ seq: events.length, hash: 'h' })) };
  const world: { facts: NetworkFacts | Error; outcome: ProbeResult['outcome'] } = { facts: cleanFacts, outcome: 'timeout' };
  const facts: NetworkFactsReader = { read: () => (world.facts instanceof Error ? Promise.reject(world.facts) : Promise.resolve(world.facts)) };
  const prober: CanaryProber = { probe: () => Promise.resolve({ outcome: world.outcome, elapsedMs: 500, detail: 'd' }) };
  const pending: { run: () => void; delayMs: number; handle: number }[] = [];
  let nextHandle = 0;
  const timers: IsolationTimers = {
    setTimeout: (run, delayMs) => {
      nextHandle += 1;
      pending.push({ run, delayMs, handle: nextHandle });
      return nextHandle;
    },
    clearTimeout: (handle) => {
      const i = pending.findIndex((p) => p.handle === handle);
      if (i !== -1) pending.splice(i, 1);
    },
  };
  let onChange: () => void = () => undefined;
  const changes: NetworkChangeSource = {
    start: (handlers) => ((onChange = handlers.onChange), Promise.resolve()),
    stop: () => Promise.resolve(),
  };
  const fire = async (delayMs: number): Promise<void> => {
    const i = pending.findIndex((p) => p.delayMs === delayMs);
    if (i === -1) throw new Error(`no timer of ${delayMs} ms pending`);
    const [timer] = pending.splice(i, 1);
    timer?.run();
    await new Promise((resolve) => setImmediate(resolve));
  };
  let current: IsolationPolicy | undefined = policy;
  const monitor = createIsolationMonitor({ facts, prober, changes, audit, clock: createFixedClock(0), monotonicMs: () => 0, policy: () => current, timers, changeSettleMs: 200 });
  const control = createIsolationControl({ monitor, implementsClauses: () => current?.implements ?? [], hasPolicy: () => current !== undefined });
  return { events, world, monitor, control, pending, fire, change: () => onChange(), setPolicy: (p: IsolationPolicy | undefined) => (current = p) };
}

describe('isolation monitor and control', () => {
  it('checks at start, records the result once, and schedules the periodic check', async () => {
    const t = setup();
    await t.control.start();
    expect(t.events.map((e) => [e.type, e.severity, e.data.isolated])).toEqual([['isolation.checked', 'info', true]]);
    expect(t.pending.map((p) => p.delayMs)).toEqual([60_000]);
    expect(t.control.status()).toMatchObject({ control: 'isolation', state: 'monitored', implements: ['1-6-(3)-ア'] });
    // Same result again: no new audit event.
    await t.fire(60_000);
    expect(t.events).toHaveLength(1);
  });

  it('on a network change, re-checks after the burst settles; a new violation is an alert once', async () => {
    const t = setup();
    await t.control.start();
    t.world.outcome = 'connected';
    t.change();
    t.change();
    expect(t.pending.filter((p) => p.delayMs === 200)).toHaveLength(1);
    await t.fire(200);
    expect(t.events.slice(1).map((e) => [e.type, e.severity, e.data.subject ?? e.data.isolated])).toEqual([
      ['isolation.checked', 'warning', false],
      ['isolation.violation', 'alert', 'canary:lgwan-gw'],
    ]);
    expect(t.control.status()).toMatchObject({ state: 'degraded' });
    expect(t.control.status().summary.en).toContain('canary:lgwan-gw');
    await t.control.refresh();
    expect(t.events).toHaveLength(3);
    t.world.outcome = 'timeout';
    await t.control.refresh();
    expect(t.events.slice(3).map((e) => [e.type, e.data.isolated])).toEqual([['isolation.checked', true]]);
    await t.control.stop();
    expect(t.pending).toEqual([]);
  });

  it('fails closed when the facts cannot be read: alert, and not isolated', async () => {
    const t = setup();
    t.world.facts = new Error('ip: not found');
    await t.control.start();
    expect(t.events.map((e) => [e.type, e.severity])).toEqual([['isolation.check-failed', 'alert']]);
    expect(t.control.status()).toMatchObject({ state: 'degraded' });
    expect(t.control.status().summary.en).toContain('treated as not isolated');
  });

  it('without a policy checks nothing and says so', async () => {
    const t = setup();
    t.setPolicy(undefined);
    await t.control.start();
    expect(t.events).toEqual([]);
    expect(t.pending).toEqual([]);
    expect(t.control.status()).toMatchObject({ state: 'degraded', implements: [] });
    t.setPolicy(policy);
    await t.control.policyChanged();
    expect(t.events.map((e) => e.type)).toEqual(['isolation.checked']);
    expect(t.control.details()).toMatchObject({ isolated: true, canaries: [{ name: 'lgwan-gw', outcome: 'timeout' }] });
  });
});
