import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditSeverities, type AuditRecord } from './model';
import { formatAuditTime, isAuditTime, parseAuditHead, parseAuditLine, serializeAuditHead, serializeAuditRecord } from './record';

const encoder = new TextEncoder();

describe('isAuditTime', () => {
  it.each([
    ['2025-04-01T09:30:00.000Z', true],
    ['2024-02-29T23:59:59.999Z', true],
    ['2000-02-29T00:00:00.000Z', true],
    ['1900-02-29T00:00:00.000Z', false],
    ['2025-02-29T00:00:00.000Z', false],
    ['2025-04-31T00:00:00.000Z', false],
    ['2025-13-01T00:00:00.000Z', false],
    ['2025-00-01T00:00:00.000Z', false],
    ['2025-04-01T24:00:00.000Z', false],
    ['2025-04-01T09:60:00.000Z', false],
    ['2025-04-01T09:30:00Z', false],
    ['2025-04-01T09:30:00.000+09:00', false],
    ['2025-04-01 09:30:00.000Z', false],
  ])('%s → %s', (value, expected) => {
    expect(isAuditTime(value)).toBe(expected);
  });

  it('agrees with a Date round trip on every time the writer can produce', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        const text = formatAuditTime(date.getTime());
        expect(text).toBe(date.toISOString());
        expect(isAuditTime(text as string)).toBe(true);
      }),
    );
  });
});

describe('parseAuditLine', () => {
  const record = fc.record<AuditRecord>({
    v: fc.constant(1 as const),
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    time: fc.date({ min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2100-01-01T00:00:00.000Z'), noInvalidDate: true }).map((date) => date.toISOString()),
    type: fc.constantFrom('usb.blocked', 'policy.applied', 'audit.tail-repaired', 'mfa.code-rejected'),
    severity: fc.constantFrom(...auditSeverities),
    host: fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/),
    data: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })).map((data) => JSON.parse(JSON.stringify(data)) as Record<string, unknown>),
    prev: fc.stringMatching(/^[0-9a-f]{64}$/),
  });

  it('reads back every record the serializer writes', () => {
    fc.assert(
      fc.property(record, (value) => {
        const parsed = parseAuditLine(encoder.encode(serializeAuditRecord(value)));
        expect(parsed).toEqual({ ok: true, record: value });
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(typeof parseAuditLine(bytes).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses unknown and missing fields, and says which', () => {
    const base = serializeAuditRecord({ v: 1, seq: 1, time: '2025-04-01T00:00:00.000Z', type: 'usb.blocked', severity: 'info', host: 'pc', data: {}, prev: '0'.repeat(64) });
    expect(parseAuditLine(encoder.encode(`${base.slice(0, -1)},"extra":1}`))).toMatchObject({ ok: false, fault: 'invalid-record', detail: { en: expect.stringContaining('extra') } });
    expect(parseAuditLine(encoder.encode(base.replace('"host":"pc",', '')))).toMatchObject({ ok: false, fault: 'invalid-record', detail: { en: expect.stringContaining('host') } });
  });
});

describe('parseAuditHead', () => {
  const hash = 'ab'.repeat(32);

  it('reads what the writer writes, and an anchor typed by hand', () => {
    expect(parseAuditHead(encoder.encode(serializeAuditHead({ seq: 7, hash, time: '2025-04-01T00:00:00.000Z' })))).toEqual({
      ok: true,
      value: { seq: 7, hash, time: '2025-04-01T00:00:00.000Z' },
    });
    expect(parseAuditHead(encoder.encode(` {"seq": 7, "hash": "${hash.toUpperCase()}", "host": "pc-01"}\n`))).toEqual({ ok: true, value: { seq: 7, hash } });
  });

  it.each([
    ['not JSON', 'seq=7'],
    ['an array', '[7]'],
    ['seq 0', `{"seq":0,"hash":"${hash}"}`],
    ['a string seq', `{"seq":"7","hash":"${hash}"}`],
    ['a short hash', `{"seq":7,"hash":"abc"}`],
    ['an unknown field', `{"seq":7,"hash":"${hash}","by":"me"}`],
    ['another version', `{"v":2,"seq":7,"hash":"${hash}"}`],
  ])('refuses %s', (_name, text) => {
    expect(parseAuditHead(encoder.encode(text)).ok).toBe(false);
  });
});
