// Splits a byte stream into lines and hashes each line as it goes, so a log of any size is
// verified in bounded memory: a line's bytes are kept only up to `maxLineBytes`, its hash always.
import { createHash, hash, type Hash } from 'node:crypto';

/** One line of the log as it arrived. */
export interface AuditLineBytes {
  /** 1-based line number. */
  readonly line: number;
  /** Byte offset of the line's first byte in the stream. */
  readonly offset: number;
  /** Length in bytes, without the newline. */
  readonly length: number;
  /** The line's bytes; `undefined` when longer than `maxLineBytes` (then it is never parsed). */
  readonly bytes: Uint8Array | undefined;
  /** SHA-256 (hex) of the line's bytes, without the newline: the record's hash. */
  readonly hash: string;
  /** False for the last line when the stream does not end with a newline. */
  readonly complete: boolean;
}

/** Receives chunks; calls `onLine` for every finished line. */
export interface AuditLineSplitter {
  /** Feeds the next chunk. The splitter keeps views into it: do not reuse the buffer afterwards. */
  push(chunk: Uint8Array): void;
  /** Ends the stream: an unfinished last line is emitted with `complete: false`. */
  finish(): void;
  /** Bytes received so far. */
  readonly totalBytes: number;
}

const newline = 0x0a;

/** Creates a line splitter. `maxLineBytes` bounds the memory one line can take. */
export function createAuditLineSplitter(maxLineBytes: number, onLine: (line: AuditLineBytes) => void): AuditLineSplitter {
  let lineNumber = 0;
  let totalBytes = 0;
  let lineStart = 0;
  // State of a line that spans chunks.
  let hasher: Hash | undefined;
  let parts: Uint8Array[] = [];
  let length = 0;
  let tooLong = false;

  const emitSpanning = (complete: boolean): void => {
    const hash = (hasher ?? createHash('sha256')).digest('hex');
    let bytes: Uint8Array | undefined;
    if (!tooLong) {
      bytes = new Uint8Array(length);
      let at = 0;
      for (const part of parts) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    lineNumber += 1;
    onLine({ line: lineNumber, offset: lineStart, length, bytes, hash, complete });
    lineStart += length + (complete ? 1 : 0);
    hasher = undefined;
    parts = [];
    length = 0;
    tooLong = false;
  };

  return {
    get totalBytes() {
      return totalBytes;
    },
    push(chunk) {
      let position = 0;
      while (position < chunk.length) {
        const found = chunk.indexOf(newline, position);
        const end = found === -1 ? chunk.length : found;
        const segment = chunk.subarray(position, end);
        if (found !== -1 && hasher === undefined) {
          // The whole line is inside this chunk: no copy.
          lineNumber += 1;
          onLine({
            line: lineNumber,
            offset: lineStart,
            length: segment.length,
            bytes: segment.length > maxLineBytes ? undefined : segment,
            hash: hash('sha256', segment, 'hex'),
            complete: true,
          });
          lineStart += segment.length + 1;
        } else {
          hasher ??= createHash('sha256');
          hasher.update(segment);
          length += segment.length;
          if (!tooLong) {
            if (length > maxLineBytes) {
              tooLong = true;
              parts = [];
            } else {
              parts.push(segment);
            }
          }
          if (found !== -1) emitSpanning(true);
        }
        position = end + 1;
      }
      totalBytes += chunk.length;
    },
    finish() {
      if (hasher !== undefined) emitSpanning(false);
    },
  };
}
