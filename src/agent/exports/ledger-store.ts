import { parseLedgerLine, serializeLedgerRecord } from './ledger-line';
import type { ExportRecord } from './model';
import type { LedgerFile, LedgerStore } from './ports';

/** The ledger's records and how many lines were not records (torn tail, edits). */
export interface LedgerRead {
  readonly records: ExportRecord[];
  readonly badLines: number;
}

/** Parses the whole ledger text. */
export function parseLedgerText(text: string): LedgerRead {
  const records: ExportRecord[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = parseLedgerLine(line);
    if (record === undefined) badLines += 1;
    else records.push(record);
  }
  return { records, badLines };
}

/**
 * LedgerStore over a JSONL {@link LedgerFile}. Appends that arrive while a write is in flight are
 * written together with one fsync (group commit), which keeps 1,000+ durable records/s; each
 * `append` still resolves only once its line is durable. The tamper-evident copy is the audit log
 * (`export.recorded` events); this file is the index the rescan and `mng exports log` read.
 */
export function createLedgerStore(file: LedgerFile): LedgerStore {
  let pending: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing = false;

  async function flush(): Promise<void> {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await file.append(batch.map((p) => p.line).join(''));
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    writing = false;
  }

  return {
    append(record) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ line: `${serializeLedgerRecord(record)}\n`, resolve, reject });
        if (!writing) void flush();
      });
    },
    async list() {
      const text = await file.read();
      return text === undefined ? [] : parseLedgerText(text).records;
    },
  };
}
