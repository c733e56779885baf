import { describe, expect, it } from 'vitest';
import { buildOtpauthUri, createEnrollmentSecret, createPendingEnrollments, encodeBase32, enrollmentTtlMs, renderEnrollmentQr } from './enrollment';

const params = { algorithm: 'SHA1', digits: 6, periodSeconds: 30 } as const;

describe('enrollment', () => {
  it('creates 20-byte random secrets', () => {
    const a = createEnrollmentSecret();
    expect(a).toHaveLength(20);
    expect(Buffer.from(a).equals(Buffer.from(createEnrollmentSecret()))).toBe(false);
  });

  it('builds an otpauth URI with issuer mynumber-guard and label user@host; non-defaults only', () => {
    const secret = new TextEncoder().encode('12345678901234567890');
    const uri = buildOtpauthUri({ user: 'taro', hostName: 'pc-01', secret, params });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(decodeURIComponent(url.pathname)).toBe('/mynumber-guard:taro@pc-01');
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(url.searchParams.get('issuer')).toBe('mynumber-guard');
    expect(encodeBase32(secret)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const eight = new URL(buildOtpauthUri({ user: '山田', hostName: 'pc-01', secret, params: { algorithm: 'SHA256', digits: 8, periodSeconds: 60 } }));
    expect(eight.searchParams.get('algorithm')).toBe('SHA256');
    expect(eight.searchParams.get('digits')).toBe('8');
    expect(eight.searchParams.get('period')).toBe('60');
    expect(decodeURIComponent(eight.pathname)).toContain('山田@pc-01');
  });

  it('renders the QR code as SVG and as terminal text', async () => {
    const qr = await renderEnrollmentQr('otpauth://totp/mynumber-guard:taro%40pc?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=mynumber-guard');
    expect(qr.svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(qr.svg.length).toBeLessThan(200_000);
    expect(qr.terminal.split('\n').length).toBeGreaterThan(10);
  });

  it('pending enrollments expire after 10 minutes and a new one replaces the old for the same user', () => {
    const pending = createPendingEnrollments();
    const first = pending.add('taro', createEnrollmentSecret(), params, 0);
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(pending.find(first.id, enrollmentTtlMs - 1)).toMatchObject({ found: true });
    expect(pending.find(first.id, enrollmentTtlMs)).toEqual({ found: false, reason: 'expired' });
    expect(pending.find(first.id, 0)).toEqual({ found: false, reason: 'not-found' });
    const a = pending.add('taro', createEnrollmentSecret(), params, 0);
    const b = pending.add('taro', createEnrollmentSecret(), params, 0);
    expect(pending.find(a.id, 0)).toEqual({ found: false, reason: 'not-found' });
    expect(pending.find(b.id, 0)).toMatchObject({ found: true });
    pending.removeUser('taro');
    expect(pending.find(b.id, 0)).toEqual({ found: false, reason: 'not-found' });
  });
});
