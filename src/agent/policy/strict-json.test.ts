import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson, positionAt } from './strict-json';

/** Deep copy through JSON, so null-prototype objects compare equal to JSON.parse output. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('parseStrictJson', () => {
  it.each([
    ['{"a":}', 1, 6, 'expected a value'],
    ['{"a":1,}', 1, 8, 'expected a field name'],
    ['{\n  "a": 1\n  "b": 2}', 3, 3, "expected ',' or '}'"],
    ['', 1, 1, 'the end of the file'],
    ['{"a":"x', 1, 6, 'unterminated string'],
    ['{"a":1,"a":2}', 1, 8, 'field "a" appears twice'],
    ['\uFEFF{}', 1, 1, 'byte order mark'],
    ['{"a":"\u0001"}', 1, 7, 'control character U+0001'],
    ['{"a":01}', 1, 7, "expected ',' or '}'"],
    ['[1,2', 1, 5, "expected ',' or ']'"],
    ['{"a":"\\x"}', 1, 7, 'invalid escape'],
    ['{"a":"\\u12"}', 1, 7, 'four hexadecimal digits'],
    ['{} x', 1, 4, 'the end of the file'],
    ['{"a": tru}', 1, 7, 'expected a value'],
  ])('rejects %j at %i:%i with a clear message', (text, line, column, fragment) => {
    const result = parseStrictJson(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.position.line).toBe(line);
    expect(result.error.position.column).toBe(column);
    expect(result.error.message.en).toContain(fragment);
    expect(result.error.message.ja).not.toBe('');
  });

  it('limits nesting depth', () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const result = parseStrictJson(deep);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message.en).toContain('nesting is too deep');
    expect(parseStrictJson(deep, { maxDepth: 64 }).ok).toBe(true);
  });

  it('keeps __proto__ as an ordinary key', () => {
    const result = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.value.value as object)).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('records the position of every value by JSON pointer', () => {
    const result = parseStrictJson('{\n  "a": [1, {"b~/c": "x"}]\n}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.positionOf('')).toMatchObject({ line: 1, column: 1 });
    expect(result.value.positionOf('/a')).toMatchObject({ line: 2, column: 8 });
    expect(result.value.positionOf('/a/1/b~0~1c')).toMatchObject({ line: 2, column: 21 });
    expect(result.value.positionOf('/nope')).toBeUndefined();
  });

  it('agrees with JSON.parse on every JSON document (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const result = parseStrictJson(text);
        expect(result.ok).toBe(true);
        if (result.ok) expect(plain(result.value.value)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('keeps negative zero, as JSON.parse does', () => {
    const result = parseStrictJson('-0');
    expect(result.ok && Object.is(result.value.value, -0)).toBe(true);
  });

  it('never throws, and accepts only what JSON.parse accepts (property)', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z\\.eE+-]{0,40}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish), (text) => {
        const result = parseStrictJson(text);
        let native: { ok: true; value: unknown } | { ok: false };
        try {
          native = { ok: true, value: JSON.parse(text) as unknown };
        } catch {
          native = { ok: false };
        }
        if (result.ok) {
          expect(native.ok).toBe(true);
          // Both sides through JSON text, so -0 and 0 compare alike (JSON.stringify(-0) is "0").
          if (native.ok) expect(plain(result.value.value)).toEqual(plain(native.value));
        } else if (native.ok) {
          // Only stricter on duplicate keys, depth and the BOM.
          expect(result.error.message.en).toMatch(/appears twice|nesting|byte order mark/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('positionAt', () => {
  it('counts lines and columns from 1', () => {
    expect(positionAt('ab\ncd', 0)).toEqual({ offset: 0, line: 1, column: 1 });
    expect(positionAt('ab\ncd', 4)).toEqual({ offset: 4, line: 2, column: 2 });
  });
});
