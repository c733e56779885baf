import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { ChannelsPolicy } from '../../shared/policy/schema';
import type { AuditSink } from '../audit';
import { createChannelsControl } from './channels-control';
import { createChannelsEnforcer, type ChannelsEnforcer } from './channels-service';
import { createFakePrinters, createFakeRadios } from './fake-channel-ports';

const policy: ChannelsPolicy = { implements: ['1-6-(2)', '1-6-(3)-ア'], bluetooth: 'block', wifi: 'block', printers: { allow: ['Q1'] }, networkShares: { allow: [] } };
const audit: AuditSink = { append: () => Promise.resolve({ seq: 1, hash: 'h' }) };

// `null` = no policy in force (undefined would pick the default parameter).
function setup(mode: 'monitor' | 'enforce', given: ChannelsPolicy | null = policy) {
  const current = given ?? undefined;
  const radios = createFakeRadios([
    { index: 0, type: 'wlan', name: 'phy0', soft: false, hard: false },
    { index: 1, type: 'bluetooth', name: 'hci0', soft: false, hard: true },
    { index: 2, type: 'gps', name: 'gps0', soft: false, hard: false },
  ]);
  const printers = createFakePrinters([
    { name: 'Q1', state: 'idle', accepting: true, reason: null },
    { name: 'Q2', state: 'idle', accepting: true, reason: null },
  ]);
  const enforcer = createChannelsEnforcer({ radios, printers, audit, clock: createFixedClock(Date.UTC(2025, 3, 1, 9, 30)), mode, policy: () => current });
  const control = createChannelsControl({ enforcer, mode, implementsClauses: () => current?.implements ?? [] });
  return { radios, printers, control };
}

describe('createChannelsControl', () => {
  it('is named channels and reports degraded before the first pass', () => {
    const { control } = setup('enforce');
    expect(control.name).toBe('channels');
    expect(control.status()).toMatchObject({ control: 'channels', state: 'degraded', implements: policy.implements });
    expect(control.details()).toEqual({ checkedAt: null, radios: [], printers: [] });
  });

  it('enforce: summary in Japanese first, details for status.json', async () => {
    const { control } = setup('enforce');
    await control.start();
    const status = control.status();
    expect(status.state).toBe('enforced');
    expect(status.summary.ja).toBe('無線 3 台: ブロック 2（Wi-Fi 1・Bluetooth 1）、報告のみ 1。プリンタ 2 台: 許可 1、停止 1');
    expect(status.summary.en).toBe('3 radio(s): 2 blocked (Wi-Fi 1・Bluetooth 1), 1 report-only; 2 printer queue(s): 1 allowed, 1 stopped');
    const details = control.details() as { checkedAt: string; radios: unknown[]; printers: unknown[] };
    expect(details.checkedAt).toBe('2025-04-01T09:30:00.000Z');
    expect(details.radios[1]).toEqual({ index: 1, type: 'bluetooth', kind: 'bluetooth', name: 'hci0', soft: false, hard: true, blocked: true, decision: 'block', basis: 'policy', outcome: 'applied', detail: null });
    expect(details.printers).toEqual([
      { name: 'Q1', state: 'idle', accepting: true, reason: null, decision: 'allow', basis: 'allowlist', outcome: 'unchanged', detail: null },
      { name: 'Q2', state: 'idle', accepting: true, reason: null, decision: 'block', basis: 'not-in-allowlist', outcome: 'applied', detail: null },
    ]);
    // The facts are those read before the write; the next refresh shows the result.
    await control.refresh();
    expect((control.details() as { printers: { state: string; accepting: boolean }[] }).printers[1]).toMatchObject({ state: 'disabled', accepting: false });
  });

  it('monitor: says nothing was written and counts what is still open', async () => {
    const { control, radios } = setup('monitor');
    await control.start();
    expect(radios.writes).toEqual([]);
    expect(control.status()).toMatchObject({ state: 'monitored' });
    expect(control.status().summary.ja).toBe('無線 3 台: ブロック 1（Bluetooth 1）、未ブロック 1、報告のみ 1。プリンタ 2 台: 許可 1、停止 0、未停止 1（監視のみ: 書き込みなし）');
  });

  it('no policy: says the fail-closed rules apply', async () => {
    const { control } = setup('enforce', null);
    await control.start();
    expect(control.status().implements).toEqual([]);
    expect(control.status().summary.ja).toContain('ポリシーなし: 無線をすべてブロックし、すべてのプリンタを停止します');
  });

  it('degraded when the printers are unknown or a write failed', async () => {
    const { control, printers, radios } = setup('enforce');
    printers.world.state = 'unknown';
    await control.start();
    expect(control.status()).toMatchObject({ state: 'degraded' });
    expect(control.status().summary.ja).toContain('プリンタ不明（CUPS のコマンドがありません）');
    printers.world.state = 'known';
    await control.refresh();
    expect(control.status().state).toBe('enforced');
    radios.world.radios[0] = { index: 0, type: 'wlan', name: 'phy0', soft: false, hard: false };
    radios.failWrite = () => 'EPERM';
    await control.policyChanged();
    expect(control.status()).toMatchObject({ state: 'degraded' });
    expect(control.status().summary.en).toContain('1 failed');
  });

  it('failed when the first pass threw (audit sink broken)', async () => {
    const broken: ChannelsEnforcer = { run: () => Promise.reject(new Error('audit log closed')), snapshot: () => undefined };
    const control = createChannelsControl({ enforcer: broken, mode: 'enforce', implementsClauses: () => [] });
    await expect(control.start()).rejects.toThrow('audit log closed');
    expect(control.status()).toMatchObject({ state: 'failed', summary: { ja: '無線・プリンタ制御を開始できません: audit log closed' } });
    await control.stop();
  });
});
