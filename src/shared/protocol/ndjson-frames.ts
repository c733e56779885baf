/**
 * NDJSON framing of the agent IPC (agent-ipc.ts): one frame per line ending in `\n`, at most
 * `maxFrameBytes` bytes including the newline. Both ends use this decoder, so they agree on what
 * "too large" means. It works on bytes (no text decoding here: src/shared has no TextDecoder);
 * the caller decodes each frame as UTF-8.
 *
 * The decoder never holds more than `maxFrameBytes` bytes: a line that cannot fit is reported as
 * soon as that is known, without waiting for its end, and the decoder stops (the connection is to
 * be closed).
 */

/** What one {@link NdjsonDecoder.push} found. */
export interface NdjsonPushResult {
  /**
   * Complete frames, newline removed, in order; empty lines are skipped. A frame may be a view into
   * the pushed chunk: read it before the next push.
   */
  readonly frames: readonly Uint8Array[];
  /** True once a line longer than the limit was seen; later pushes return nothing. */
  readonly tooLarge: boolean;
}

/** Splits a byte stream into frames. Not thread-safe; one per connection. */
export interface NdjsonDecoder {
  push(chunk: Uint8Array): NdjsonPushResult;
  /** Bytes of the unfinished line held so far (always < maxFrameBytes). */
  readonly pendingBytes: number;
}

const newline = 0x0a;

/** Creates a decoder that accepts frames of at most `maxFrameBytes` bytes including the newline. */
export function createNdjsonDecoder(maxFrameBytes: number): NdjsonDecoder {
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 2) throw new RangeError(`maxFrameBytes must be an integer ≥ 2, got ${maxFrameBytes}`);
  // Content of a frame may be at most maxFrameBytes - 1 bytes (the newline counts).
  const maxContent = maxFrameBytes - 1;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let failed = false;

  const join = (tail: Uint8Array): Uint8Array => {
    if (pendingLength === 0) return tail;
    const out = new Uint8Array(pendingLength + tail.length);
    let at = 0;
    for (const part of pending) {
      out.set(part, at);
      at += part.length;
    }
    out.set(tail, at);
    pending = [];
    pendingLength = 0;
    return out;
  };

  return {
    get pendingBytes() {
      return pendingLength;
    },
    push(chunk) {
      if (failed) return { frames: [], tooLarge: true };
      const frames: Uint8Array[] = [];
      let start = 0;
      for (;;) {
        const at = chunk.indexOf(newline, start);
        if (at < 0) break;
        if (pendingLength + (at - start) > maxContent) {
          failed = true;
          pending = [];
          pendingLength = 0;
          return { frames, tooLarge: true };
        }
        const frame = join(chunk.subarray(start, at));
        if (frame.length > 0) frames.push(frame);
        start = at + 1;
      }
      const rest = chunk.length - start;
      if (rest > 0) {
        // A line that already has maxContent + 1 bytes without a newline can never fit.
        if (pendingLength + rest > maxContent) {
          failed = true;
          pending = [];
          pendingLength = 0;
          return { frames, tooLarge: true };
        }
        // Copy: the caller may reuse the chunk's memory.
        pending.push(chunk.slice(start));
        pendingLength += rest;
      }
      return { frames, tooLarge: false };
    },
  };
}
