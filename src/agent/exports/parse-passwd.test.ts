import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLedgerLine, serializeLedgerRecord } from './ledger-line';
import type { ExportRecord } from './model';
import { parsePasswd } from './parse-passwd';

describe('parsePasswd', () => {
  it('maps uids to names, first entry wins, bad lines skipped', () => {
    const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\ntaro:x:1000:1000::/home/taro:/bin/bash\ndup:x:1000:1000::/:/bin/sh\nneg:x:-1:0::/:/bin/sh\n');
    expect([...users]).toEqual([
      [0, 'root'],
      [1000, 'taro'],
    ]);
  });
  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parsePasswd(text)));
  });
});

describe('ledger lines', () => {
  const record: ExportRecord = {
    path: '/media/taro/USB/報告書.xlsx',
    destinationId: 'usb',
    volume: { mountPoint: '/media/taro/USB', fsUuid: '1234-ABCD' },
    kind: 'file',
    sizeBytes: 4096,
    sha256: 'a'.repeat(64),
    user: 'taro',
    uid: 1000,
    mtimeMs: 1,
    time: '2026-11-26T00:00:00.000Z',
    action: 'record',
    outcome: 'recorded',
  };
  it('round-trips a record', () => {
    expect(parseLedgerLine(serializeLedgerRecord(record))).toEqual(record);
  });
  it('rejects torn or foreign lines', () => {
    expect(parseLedgerLine(serializeLedgerRecord(record).slice(0, 40))).toBeUndefined();
    expect(parseLedgerLine('{"path":1}')).toBeUndefined();
    fc.assert(fc.property(fc.string(), (text) => void parseLedgerLine(text)));
  });
});
