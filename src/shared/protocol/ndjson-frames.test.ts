import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNdjsonDecoder } from './ndjson-frames';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (frame: Uint8Array): string => new TextDecoder().decode(frame);

/** Pushes `chunks` and collects frames as text (copied before the next push, as documented). */
function decodeAll(max: number, chunks: readonly Uint8Array[]): { frames: string[]; tooLarge: boolean; maxPending: number } {
  const decoder = createNdjsonDecoder(max);
  const frames: string[] = [];
  let tooLarge = false;
  let maxPending = 0;
  for (const chunk of chunks) {
    const result = decoder.push(chunk);
    frames.push(...result.frames.map(text));
    tooLarge ||= result.tooLarge;
    maxPending = Math.max(maxPending, decoder.pendingBytes);
  }
  return { frames, tooLarge, maxPending };
}

/** Cuts `data` at the given (sorted, deduplicated) offsets. */
function cut(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, data.length]) {
    parts.push(data.slice(previous, point));
    previous = point;
  }
  return parts;
}

describe('createNdjsonDecoder', () => {
  it('splits lines, skips empty ones, keeps an unfinished line for the next chunk', () => {
    const decoder = createNdjsonDecoder(64);
    expect(decoder.push(bytes('{"a":1}\n\n{"b"')).frames.map(text)).toEqual(['{"a":1}']);
    expect(decoder.pendingBytes).toBe(4);
    expect(decoder.push(bytes(':2}\n')).frames.map(text)).toEqual(['{"b":2}']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('the limit counts the newline: max-1 content bytes pass, max do not', () => {
    expect(decodeAll(8, [bytes('1234567\n')])).toMatchObject({ frames: ['1234567'], tooLarge: false });
    expect(decodeAll(8, [bytes('12345678\n')])).toMatchObject({ frames: [], tooLarge: true });
    // Known too large before the newline arrives.
    expect(decodeAll(8, [bytes('1234'), bytes('5678')])).toMatchObject({ frames: [], tooLarge: true });
  });

  it('a 1 MB line is refused after at most max bytes are held, and the decoder stays stopped', () => {
    const decoder = createNdjsonDecoder(64 * 1024);
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let tooLarge = false;
    let pushes = 0;
    while (!tooLarge && pushes < 64) {
      tooLarge = decoder.push(chunk).tooLarge;
      pushes += 1;
      expect(decoder.pendingBytes).toBeLessThan(64 * 1024);
    }
    expect(tooLarge).toBe(true);
    expect(pushes).toBe(4);
    expect(decoder.push(bytes('{"ok":true}\n'))).toEqual({ frames: [], tooLarge: true });
  });

  it('frames before an oversized line in the same chunk are still delivered', () => {
    expect(decodeAll(8, [bytes('ab\ncd\n0123456789\nef\n')])).toEqual({ frames: ['ab', 'cd'], tooLarge: true, maxPending: 0 });
  });

  it('property: any split of any frames yields the same frames; pending never reaches the limit', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '日', '{', '"', ' ', '\r'), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, offsets) => {
        const max = 64;
        const data = bytes(lines.map((l) => `${l}\n`).join(''));
        const result = decodeAll(max, cut(data, offsets));
        const expected = lines.filter((l) => l.length > 0);
        const fits = lines.every((l) => bytes(l).length + 1 <= max);
        if (fits) {
          expect(result.frames).toEqual(expected);
          expect(result.tooLarge).toBe(false);
        } else {
          expect(result.tooLarge).toBe(true);
          // Whatever came out is a prefix of the real frames.
          expect(expected.slice(0, result.frames.length)).toEqual(result.frames);
        }
        expect(result.maxPending).toBeLessThan(max);
      }),
    );
  });

  it('rejects a limit that cannot hold a frame', () => {
    expect(() => createNdjsonDecoder(1)).toThrow(RangeError);
  });
});
