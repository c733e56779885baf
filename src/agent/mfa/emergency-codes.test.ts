import { describe, expect, it } from 'vitest';
import { decideRecordsAfterIssue, hashEmergencyCode, isEmergencyCodeActive, issueEmergencyCode, matchEmergencyCode, maxActiveEmergencyCodes } from './emergency-codes';

const t0 = Date.parse('2026-04-01T00:00:00.000Z');

describe('emergency codes', () => {
  it('issues 10 random digits shown as 12345-67890 and stores only a salted scrypt hash', async () => {
    const a = await issueEmergencyCode('taro', t0, 3600);
    const b = await issueEmergencyCode('taro', t0, 3600);
    expect(a.display).toMatch(/^\d{5}-\d{5}$/);
    expect(a.display).not.toBe(b.display);
    expect(a.record).toMatchObject({ user: 'taro', issuedAt: '2026-04-01T00:00:00.000Z', expiresAt: '2026-04-01T01:00:00.000Z', usedAt: null });
    expect(a.record.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(a.record.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(a.record)).not.toContain(a.display.replace('-', ''));
    expect(await hashEmergencyCode(a.display.replace('-', ''), a.record.salt)).toBe(a.record.hash);
  });

  it('a code works once, then reports already-used; a wrong code matches nothing', async () => {
    const issued = await issueEmergencyCode('taro', t0, 3600);
    const digits = issued.display.replace('-', '');
    const first = await matchEmergencyCode([issued.record], digits, t0 + 1000);
    expect(first.matched).toBe(true);
    if (!first.matched) return;
    expect(first.used.usedAt).toBe('2026-04-01T00:00:01.000Z');
    expect(await matchEmergencyCode(first.records, digits, t0 + 2000)).toEqual({ matched: false, reason: 'already-used' });
    const wrong = digits === '0000000000' ? '0000000001' : '0000000000';
    expect(await matchEmergencyCode([issued.record], wrong, t0)).toEqual({ matched: false, reason: 'no-match' });
  });

  it('expires after ttlSeconds', async () => {
    const issued = await issueEmergencyCode('taro', t0, 300);
    const digits = issued.display.replace('-', '');
    expect(isEmergencyCodeActive(issued.record, t0 + 299_999)).toBe(true);
    expect(await matchEmergencyCode([issued.record], digits, t0 + 300_000)).toEqual({ matched: false, reason: 'expired' });
    expect(await matchEmergencyCode([], digits, t0)).toEqual({ matched: false, reason: 'no-active-code' });
  });

  it('keeps at most the newest active codes when issuing', async () => {
    const records = [];
    for (let i = 0; i < maxActiveEmergencyCodes + 2; i += 1) records.push({ ...(await issueEmergencyCode('taro', t0 + i, 3600)).record, salt: i.toString(16).padStart(32, '0') });
    const expired = { ...records[0]!, expiresAt: new Date(t0).toISOString() };
    const kept = decideRecordsAfterIssue([expired, ...records.slice(1, -1)], records.at(-1)!, t0 + 10);
    expect(kept).toHaveLength(maxActiveEmergencyCodes);
    expect(kept.at(-1)).toBe(records.at(-1));
    expect(kept).not.toContain(expired);
  });
});
