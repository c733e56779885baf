import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuditRecordReader, readAuditRecords, type AuditReadItem } from './read-audit';
import { serializeAuditRecord } from './record';

const encoder = new TextEncoder();
const good = serializeAuditRecord({
  v: 1,
  seq: 1,
  time: '2025-04-01T00:00:00.000Z',
  type: 'usb.blocked',
  severity: 'notice',
  host: 'pc-01',
  data: { device: 'USB メモリ' },
  prev: '0'.repeat(64),
});

describe('readAuditRecords', () => {
  it('yields records and damaged lines in file order, the unfinished last line as torn', () => {
    const items = [...readAuditRecords(encoder.encode(`${good}\nnot json\n${good.slice(0, 20)}`))];
    expect(items.map((item) => (item.kind === 'record' ? `record ${item.record.seq}` : `${item.line} ${item.fault}`))).toEqual([
      'record 1',
      '2 invalid-json',
      '3 torn-line',
    ]);
    expect(items[0]).toMatchObject({ kind: 'record', line: 1, record: { data: { device: 'USB メモリ' } } });
  });

  it('reads the same items however the bytes are chunked', () => {
    const bytes = encoder.encode(`${good}\n\n${good}x\n${good}`);
    const whole = [...readAuditRecords(bytes)];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (size) => {
        const items: AuditReadItem[] = [];
        const reader = createAuditRecordReader((item) => items.push(item));
        for (let at = 0; at < bytes.length; at += size) reader.push(bytes.slice(at, at + size));
        reader.finish();
        expect(items).toEqual(whole);
      }),
    );
  });
});
