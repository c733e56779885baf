// Reads records for display (`mng audit show`). Reading is not verifying: damaged lines are
// reported as such and skipped, the chain is not checked (that is verify-audit.ts).
import { msg, type Localized } from '../../shared/i18n';
import { createAuditLineSplitter, type AuditLineBytes } from './audit-lines';
import { sha256Hex, parseAuditLine, type AuditLineFault } from './record';
import type { AuditRecord } from './model';

/** One line of the log: a record, or a line that is not one. */
export type AuditReadItem =
  | { readonly kind: 'record'; readonly line: number; readonly hash: string; readonly record: AuditRecord }
  | {
      readonly kind: 'damaged';
      readonly line: number;
      readonly hash: string;
      readonly fault: AuditLineFault | 'torn-line';
      readonly detail: Localized;
    };

const defaultMaxLineBytes = 1024 * 1024;

function toItem(line: AuditLineBytes): AuditReadItem {
  if (!line.complete) {
    return { kind: 'damaged', line: line.line, hash: line.hash, fault: 'torn-line', detail: msg('改行のない最後の行です', 'last line without a newline') };
  }
  if (line.bytes === undefined) {
    return {
      kind: 'damaged',
      line: line.line,
      hash: line.hash,
      fault: 'invalid-record',
      detail: msg(`行が長すぎます（${line.length} バイト）`, `the line is too long (${line.length} bytes)`),
    };
  }
  const parsed = parseAuditLine(line.bytes);
  return parsed.ok
    ? { kind: 'record', line: line.line, hash: line.hash, record: parsed.record }
    : { kind: 'damaged', line: line.line, hash: line.hash, fault: parsed.fault, detail: parsed.detail };
}

/**
 * Yields every line of a log held in memory, in file order: parsed records and damaged lines.
 * Never throws.
 */
export function* readAuditRecords(bytes: Uint8Array, maxLineBytes = defaultMaxLineBytes): Generator<AuditReadItem> {
  let start = 0;
  let lineNumber = 0;
  while (start < bytes.length) {
    const found = bytes.indexOf(0x0a, start);
    const end = found === -1 ? bytes.length : found;
    const segment = bytes.subarray(start, end);
    lineNumber += 1;
    yield toItem({
      line: lineNumber,
      offset: start,
      length: segment.length,
      bytes: segment.length > maxLineBytes ? undefined : segment,
      hash: sha256Hex(segment),
      complete: found !== -1,
    });
    start = end + 1;
  }
}

/** Streaming form of {@link readAuditRecords}: push chunks, items arrive through `onItem`. */
export function createAuditRecordReader(
  onItem: (item: AuditReadItem) => void,
  maxLineBytes = defaultMaxLineBytes,
): { push(chunk: Uint8Array): void; finish(): void } {
  const splitter = createAuditLineSplitter(maxLineBytes, (line) => onItem(toItem(line)));
  return { push: (chunk) => splitter.push(chunk), finish: () => splitter.finish() };
}
