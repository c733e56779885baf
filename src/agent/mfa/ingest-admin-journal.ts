/**
 * Brings `mng`'s MFA administration into the hash-chained audit log (issue #5: every enrollment,
 * reset and emergency code is audited). `mng` cannot write the audit log (the agent is its only
 * writer), so it appends JSON lines to a journal; the agent copies each complete line once, as an
 * audit event of the same type with `source: 'mng'`, and remembers how far it read. A journal that
 * shrank was cut or replaced: that is reported (alert) and reading starts again from the top.
 */
import { z } from 'zod';
import type { AuditSink } from '../audit';
import type { AdminJournalSource } from './ports';

const journalLineSchema = z.object({
  time: z.string().max(40),
  type: z.string().regex(/^mfa\.[a-z-]{1,40}$/),
  severity: z.enum(['info', 'notice', 'warning', 'alert']),
  host: z.string().max(256),
  source: z.literal('mng'),
  data: z.record(z.string(), z.unknown()),
});

/** Copies new complete lines; returns how many were copied. Never throws for bad lines (they are reported). */
export async function ingestAdminJournal(deps: { readonly journal: AdminJournalSource; readonly audit: AuditSink }): Promise<number> {
  let offset = await deps.journal.loadOffset();
  let copied = 0;
  for (;;) {
    const chunk = await deps.journal.readFrom(offset);
    if (chunk === null) return copied;
    if (chunk.sizeBytes < offset) {
      await deps.audit.append({ type: 'mfa.admin-journal-truncated', severity: 'alert', data: { expectedAtLeast: offset, sizeBytes: chunk.sizeBytes } });
      offset = 0;
      await deps.journal.saveOffset(0);
      continue;
    }
    const text = Buffer.from(chunk.bytes).toString('utf8');
    const end = text.lastIndexOf('\n');
    // Only complete lines: `mng` may be writing the next one right now.
    if (end < 0) return copied;
    const complete = text.slice(0, end + 1);
    for (const line of complete.split('\n')) {
      if (line.trim() === '') continue;
      let parsed: z.infer<typeof journalLineSchema> | undefined;
      try {
        const result = journalLineSchema.safeParse(JSON.parse(line));
        parsed = result.success ? result.data : undefined;
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined) {
        await deps.audit.append({ type: 'mfa.admin-journal-bad-line', severity: 'warning', data: { atOffset: offset, excerpt: line.slice(0, 120) } });
        continue;
      }
      await deps.audit.append({ type: parsed.type, severity: parsed.severity, data: { ...parsed.data, source: 'mng', at: parsed.time, host: parsed.host } });
      copied += 1;
    }
    offset += Buffer.byteLength(complete, 'utf8');
    await deps.journal.saveOffset(offset);
    if (offset >= chunk.sizeBytes) return copied;
  }
}
