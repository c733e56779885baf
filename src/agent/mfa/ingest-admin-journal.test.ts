import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../audit';
import { ingestAdminJournal } from './ingest-admin-journal';
import type { AdminJournalSource } from './ports';

function memoryJournal(initial = '') {
  let text = initial;
  let offset = 0;
  const journal: AdminJournalSource = {
    readFrom: (from) => Promise.resolve(text === '' && from === 0 ? null : { bytes: new Uint8Array(Buffer.from(text).subarray(from)), sizeBytes: Buffer.byteLength(text) }),
    loadOffset: () => Promise.resolve(offset),
    saveOffset: (value) => {
      offset = value;
      return Promise.resolve();
    },
  };
  return { journal, append: (more: string) => (text += more), replace: (next: string) => (text = next), offset: () => offset };
}

const line = (type: string, data: Record<string, unknown> = { user: 'taro' }) =>
  `${JSON.stringify({ time: '2026-11-26T10:00:00.000Z', type, severity: 'notice', host: 'pc-01', source: 'mng', data })}\n`;

describe('ingestAdminJournal', () => {
  it('copies each complete line once, as the same event type with source mng', async () => {
    const events: AuditEventInput[] = [];
    const audit = { append: (e: AuditEventInput) => (events.push(e), Promise.resolve({ seq: events.length, hash: '' })) };
    const j = memoryJournal(line('mfa.reset') + line('mfa.emergency-issued'));
    expect(await ingestAdminJournal({ journal: j.journal, audit })).toBe(2);
    expect(await ingestAdminJournal({ journal: j.journal, audit })).toBe(0);
    j.append(line('mfa.enrolled'));
    // A line being written (no newline yet) waits for the next round.
    j.append('{"time":"2026-11-26T10:00:01');
    expect(await ingestAdminJournal({ journal: j.journal, audit })).toBe(1);
    expect(events.map((e) => [e.type, e.data.source, e.data.user])).toEqual([
      ['mfa.reset', 'mng', 'taro'],
      ['mfa.emergency-issued', 'mng', 'taro'],
      ['mfa.enrolled', 'mng', 'taro'],
    ]);
  });

  it('reports bad lines and a journal that shrank, and never copies a foreign event type', async () => {
    const events: AuditEventInput[] = [];
    const audit = { append: (e: AuditEventInput) => (events.push(e), Promise.resolve({ seq: events.length, hash: '' })) };
    const j = memoryJournal(line('mfa.reset') + 'not json\n' + line('policy.applied'));
    expect(await ingestAdminJournal({ journal: j.journal, audit })).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['mfa.reset', 'mfa.admin-journal-bad-line', 'mfa.admin-journal-bad-line']);
    j.replace(line('mfa.enrolled'));
    await ingestAdminJournal({ journal: j.journal, audit });
    expect(events.slice(3).map((e) => [e.type, e.severity])).toEqual([
      ['mfa.admin-journal-truncated', 'alert'],
      ['mfa.enrolled', 'notice'],
    ]);
  });
});
