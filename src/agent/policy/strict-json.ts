import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';

/**
 * A strict RFC 8259 JSON parser for bundle files.
 *
 * Why not `JSON.parse`: it silently keeps the last of duplicate keys (two readers of the same
 * bundle could then disagree on what it says), its error messages do not always carry a position,
 * and they are English only. This parser rejects duplicate keys, a byte order mark and nesting
 * deeper than `maxDepth`, reports every error with a 1-based line and column in both languages,
 * and records where each value starts so later checks can point at the offending field.
 * Objects are built without a prototype, so a key such as `__proto__` is just a key.
 */

/** A JSON value as this parser returns it. Objects have a null prototype. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where something is in the text: `offset` counts UTF-16 code units from 0; line and column from 1. */
export interface TextPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A parsed document and the start position of every value, keyed by its JSON Pointer (RFC 6901). */
export interface ParsedJson {
  readonly value: JsonValue;
  /** Start of the value at `pointer` ('' for the root, `/signatures/0/sig`), if it exists. */
  positionOf(pointer: string): TextPosition | undefined;
}

/** Why the text is not acceptable JSON, and where. */
export interface JsonSyntaxError {
  readonly position: TextPosition;
  readonly message: Localized;
}

/** Default bound on nesting: a bundle needs 3 levels; deep nesting only serves to exhaust the stack. */
export const defaultMaxJsonDepth = 32;

/** Escapes one path segment for a JSON Pointer (RFC 6901 §3). */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

class JsonSyntaxFailure {
  constructor(
    readonly offset: number,
    readonly message: Localized,
  ) {}
}

const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses `text` strictly. Never throws for any input string. */
export function parseStrictJson(
  text: string,
  options: { maxDepth?: number } = {},
): Result<ParsedJson, JsonSyntaxError> {
  const maxDepth = options.maxDepth ?? defaultMaxJsonDepth;
  const positions = new Map<string, number>();
  let index = 0;

  const fail = (offset: number, message: Localized): never => {
    throw new JsonSyntaxFailure(offset, message);
  };

  const describeAt = (offset: number): Localized => {
    if (offset >= text.length) return msg('ファイルの終わり', 'the end of the file');
    const code = text.codePointAt(offset) ?? 0;
    const shown = code < 0x20 || code === 0x7f || code === 0xfeff ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${String.fromCodePoint(code)}'`;
    return msg(`文字 ${shown}`, `character ${shown}`);
  };

  const unexpected = (expected: Localized): never => {
    const found = describeAt(index);
    return fail(index, msg(`${expected.ja}が必要ですが、${found.ja}があります`, `expected ${expected.en}, found ${found.en}`));
  };

  const skipWhitespace = (): void => {
    while (index < text.length) {
      const c = text.charCodeAt(index);
      // RFC 8259 §2: only space, tab, line feed and carriage return are whitespace.
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) index += 1;
      else break;
    }
  };

  const parseString = (): string => {
    const start = index;
    index += 1; // opening quote
    let result = '';
    let chunkStart = index;
    for (;;) {
      if (index >= text.length) fail(start, msg('文字列が閉じられていません（" がありません）', 'unterminated string (missing ")'));
      const c = text.charCodeAt(index);
      if (c === 0x22) {
        result += text.slice(chunkStart, index);
        index += 1;
        return result;
      }
      if (c < 0x20) {
        fail(index, msg(`文字列の中に制御文字 ${describeAt(index).ja} があります（\\n などでエスケープが必要です）`, `control ${describeAt(index).en} inside a string (it must be escaped, e.g. \\n)`));
      }
      if (c === 0x5c) {
        result += text.slice(chunkStart, index);
        const escape = text[index + 1];
        switch (escape) {
          case '"':
            result += '"';
            break;
          case '\\':
            result += '\\';
            break;
          case '/':
            result += '/';
            break;
          case 'b':
            result += '\b';
            break;
          case 'f':
            result += '\f';
            break;
          case 'n':
            result += '\n';
            break;
          case 'r':
            result += '\r';
            break;
          case 't':
            result += '\t';
            break;
          case 'u': {
            const hex = text.slice(index + 2, index + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              fail(index, msg('\\u の後には 16 進数 4 桁が必要です', '\\u must be followed by four hexadecimal digits'));
            }
            result += String.fromCharCode(parseInt(hex, 16));
            index += 4;
            break;
          }
          default:
            fail(index, msg('文字列の中のエスケープ（\\）が正しくありません', 'invalid escape sequence (\\) inside a string'));
        }
        index += 2;
        chunkStart = index;
        continue;
      }
      index += 1;
    }
  };

  const parseValue = (pointer: string, depth: number): JsonValue => {
    skipWhitespace();
    positions.set(pointer, index);
    const c = text[index];
    if (c === '{') return parseObject(pointer, depth + 1);
    if (c === '[') return parseArray(pointer, depth + 1);
    if (c === '"') return parseString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      numberPattern.lastIndex = index;
      const match = numberPattern.exec(text);
      if (match === null) return unexpected(msg('数値', 'a number'));
      index += match[0].length;
      return Number(match[0]);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, index)) {
        index += word.length;
        return value;
      }
    }
    return unexpected(msg('値（オブジェクト、配列、文字列、数値、true、false、null）', 'a value (object, array, string, number, true, false or null)'));
  };

  const checkDepth = (depth: number): void => {
    if (depth > maxDepth) fail(index, msg(`入れ子が深すぎます（最大 ${maxDepth} 段）`, `nesting is too deep (at most ${maxDepth} levels)`));
  };

  const parseObject = (pointer: string, depth: number): JsonValue => {
    checkDepth(depth);
    index += 1; // {
    const result = Object.create(null) as { [key: string]: JsonValue };
    skipWhitespace();
    if (text[index] === '}') {
      index += 1;
      return result;
    }
    for (;;) {
      skipWhitespace();
      if (text[index] !== '"') unexpected(msg('項目名（"..." で囲んだ文字列）', 'a field name (a "quoted" string)'));
      const keyOffset = index;
      const key = parseString();
      if (Object.prototype.hasOwnProperty.call(result, key)) {
        fail(keyOffset, msg(`項目 ${JSON.stringify(key)} が 2 回あります`, `field ${JSON.stringify(key)} appears twice`));
      }
      skipWhitespace();
      if (text[index] !== ':') unexpected(msg("':'", "':'"));
      index += 1;
      result[key] = parseValue(`${pointer}/${escapePointerSegment(key)}`, depth);
      skipWhitespace();
      if (text[index] === ',') {
        index += 1;
        continue;
      }
      if (text[index] === '}') {
        index += 1;
        return result;
      }
      unexpected(msg("',' か '}'", "',' or '}'"));
    }
  };

  const parseArray = (pointer: string, depth: number): JsonValue => {
    checkDepth(depth);
    index += 1; // [
    const result: JsonValue[] = [];
    skipWhitespace();
    if (text[index] === ']') {
      index += 1;
      return result;
    }
    for (;;) {
      result.push(parseValue(`${pointer}/${result.length}`, depth));
      skipWhitespace();
      if (text[index] === ',') {
        index += 1;
        continue;
      }
      if (text[index] === ']') {
        index += 1;
        return result;
      }
      unexpected(msg("',' か ']'", "',' or ']'"));
    }
  };

  try {
    if (text.charCodeAt(0) === 0xfeff) {
      fail(0, msg('先頭に BOM（U+FEFF）があります。エディタで保存し直されたファイルのようです', 'the file starts with a byte order mark (U+FEFF); it looks re-saved by an editor'));
    }
    const value = parseValue('', 0);
    skipWhitespace();
    if (index < text.length) unexpected(msg('ファイルの終わり', 'the end of the file'));
    const offsets = positions;
    return ok({
      value,
      positionOf: (pointer) => {
        const offset = offsets.get(pointer);
        return offset === undefined ? undefined : positionAt(text, offset);
      },
    });
  } catch (error) {
    if (error instanceof JsonSyntaxFailure) return err({ position: positionAt(text, error.offset), message: error.message });
    throw error;
  }
}

/** Converts an offset into a 1-based line and column (columns count UTF-16 code units). */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i += 1) {
    if (text.charCodeAt(i) === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}
