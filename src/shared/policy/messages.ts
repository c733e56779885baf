import type { z } from 'zod';
import { msg, type Localized } from '../i18n';
import { allowedFieldsAt, fieldTextAt, formatOfPattern, numberBoundsAt, type PolicyFormat } from './schema';

/**
 * The ja/en message catalogue for policy diagnostics: one sentence per kind of problem, saying
 * which field, what it must be, and what was found. Zod's and yaml's English texts are never
 * shown as such; yaml's wording only appears as a detail in parentheses for syntax errors whose
 * cause it describes best.
 */

/** A policy path as zod and yaml report it: object keys and array indices. */
export type IssuePath = readonly PropertyKey[];

/** Renders a path as people read it: `spec.usb.rules[3]`; `(ルート)` / `(root)` for the document. */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * The subject of a sentence. In Japanese an ASCII path is followed by a space before the particle
 * (「spec.mfa に」) while a Japanese phrase is not (「ポリシーの最上位に」), so the space is part of `ja`.
 */
function pathText(path: IssuePath): Localized {
  const text = formatPath(path);
  return text === '' ? msg('ポリシーの最上位', 'the top level of the policy') : msg(`${text} `, text);
}

const MAX_SHOWN = 60;

/**
 * Quotes a string for a message, cut at 60 characters. Only control characters are escaped, so a
 * Windows path reads as written (`"C:\\Users"` would confuse the person fixing it).
 */
export function quote(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  const escaped = shown.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/** Describes a found value: `"abc"` for a string, `7` for a number, a type word otherwise. */
export function showValue(value: unknown): Localized {
  if (value === null || value === undefined) return msg('空', 'empty');
  if (typeof value === 'string') return msg(`文字列 ${quote(value)}`, `the string ${quote(value)}`);
  if (typeof value === 'number' || typeof value === 'boolean') return msg(String(value), String(value));
  if (Array.isArray(value)) return msg(`${value.length} 項目のリスト`, `a list of ${value.length}`);
  if (typeof value === 'object') return msg('マッピング', 'a mapping');
  return msg(typeof value, typeof value);
}

/** A type expected by the schema, as a noun phrase. */
function expectedType(expected: string): Localized {
  switch (expected) {
    case 'string':
      return msg('文字列', 'a string');
    case 'number':
      return msg('数値', 'a number');
    case 'int':
      return msg('整数', 'an integer');
    case 'boolean':
      return msg('真偽値（true または false）', 'a boolean (true or false)');
    case 'array':
      return msg('リスト（「- 」で始まる項目の並び）', 'a list (items starting with "- ")');
    case 'object':
      return msg('マッピング（「キー: 値」の並び）', 'a mapping ("key: value" lines)');
    default:
      return msg(expected, expected);
  }
}

/**
 * Unit word for a number field, from the field name's unit suffix (STYLE.md §6: units in names).
 * The Japanese form always starts with a space and the caller adds none: 「120 秒以下」「65535 以下」.
 */
function unitOf(path: IssuePath): Localized {
  const last = path[path.length - 1];
  const leaf = typeof last === 'number' ? path[path.length - 2] : last;
  const name = typeof leaf === 'string' ? leaf : '';
  if (name.endsWith('Seconds')) return msg(' 秒', ' seconds');
  if (name.endsWith('Ms')) return msg(' ミリ秒', ' ms');
  return msg(' ', '');
}

/** Edit distance, for "did you mean" suggestions on misspelt names. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/** The candidate closest to `input` when it is probably a misspelling of it (case, a typo or two). */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const folded = input.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const distance = candidate.toLowerCase().replace(/[-_\s]/g, '') === folded ? 0 : editDistance(input, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(input.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** The allowed values as a phrase; the Japanese form ends ready for 「でなければ」/「を」. */
function listValues(values: readonly unknown[]): Localized {
  const shown = values.map((v) => String(v));
  if (shown.length === 1) return msg(`${shown[0]} `, shown[0] as string);
  if (shown.length === 2) return msg(`${shown[0]} または ${shown[1]} `, `${shown[0]} or ${shown[1]}`);
  return msg(`${shown.join('、')} のいずれか`, `one of ${shown.join(', ')}`);
}

function didYouMean(suggestion: string | undefined): Localized {
  return suggestion === undefined
    ? msg('', '')
    : msg(`もしかして ${suggestion} ですか？ `, `did you mean ${suggestion}? `);
}

/** The first phrase of a field description, short enough to follow a field name. */
function shortLabel(text: string, separators: readonly string[]): string {
  let end = text.length;
  for (const separator of separators) {
    const at = text.indexOf(separator);
    if (at > 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

/** Message for a required field that is absent. */
export function missingFieldMessage(parent: IssuePath, key: string): Localized {
  const field = fieldTextAt([...parent, key]);
  const about =
    field === undefined
      ? msg(' ', '')
      : msg(`「${shortLabel(field.ja, ['。', ': '])}」`, ` ("${shortLabel(field.en, ['; ', ': '])}")`);
  const where = parent.length === 0 ? msg('ポリシー', 'the policy') : pathText(parent);
  return msg(
    `${where.ja}に必須の項目 ${key}${about.ja}がありません。追加してください`,
    `${where.en} is missing the required field ${key}${about.en}; add it`,
  );
}

/** Message for a field the schema does not know, with a suggestion and the allowed names. */
export function unknownFieldMessage(parent: IssuePath, key: string): Localized {
  const allowed = allowedFieldsAt(parent);
  const where = pathText(parent);
  const hint = didYouMean(suggest(key, allowed));
  const list = allowed.join(', ');
  return msg(
    `${where.ja}に未知の項目 ${quote(key)} があります。${hint.ja}書ける項目: ${list}`,
    `unknown field ${quote(key)} in ${where.en}; ${hint.en}allowed fields: ${list}`,
  );
}

/** Message for a value of the wrong type; `null` means the value was left empty. */
export function invalidTypeMessage(path: IssuePath, expected: string, input: unknown, inputGiven: boolean): Localized {
  const where = pathText(path);
  const want = expectedType(expected);
  if (!inputGiven || input === null) {
    return msg(`${where.ja}の値が空です。${want.ja}を書いてください`, `${where.en} is empty; write ${want.en}`);
  }
  if (expected === 'int' && typeof input === 'number') {
    return msg(
      `${where.ja}は整数でなければなりません（値: ${input}）`,
      `${where.en} must be a whole number (got ${input})`,
    );
  }
  const got = showValue(input);
  let hint = msg('', '');
  if ((expected === 'number' || expected === 'int') && typeof input === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(input.trim())) {
    hint = msg('。数値は引用符で囲まずに書いてください', '; write numbers without quotes');
  } else if (expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n|true|false)$/i.test(input)) {
    hint = msg('。true または false を引用符なしで書いてください', '; write true or false without quotes');
  } else if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    hint = msg('。文字列として扱うには引用符で囲んでください', '; put it in quotes to make it a string');
  }
  return msg(
    `${where.ja}は${want.ja}でなければなりません（値: ${got.ja}）${hint.ja}`,
    `${where.en} must be ${want.en} (got ${got.en})${hint.en}`,
  );
}

/** Message for a value outside an enumeration or different from a constant. */
export function invalidValueMessage(path: IssuePath, values: readonly unknown[], input: unknown, inputGiven: boolean): Localized {
  const where = pathText(path);
  const want = listValues(values);
  if (!inputGiven || input === null) {
    return msg(`${where.ja}の値が空です。${want.ja}を書いてください`, `${where.en} is empty; write ${want.en}`);
  }
  const got = showValue(input);
  const strings = values.filter((v): v is string => typeof v === 'string');
  const numbersOnly = values.length > 0 && values.every((v) => typeof v === 'number');
  let hintText = msg('', '');
  if (numbersOnly && typeof input === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(input.trim())) {
    hintText = msg('。数値は引用符で囲まずに書いてください', '; write numbers without quotes');
  } else if (typeof input === 'string') {
    const hint = didYouMean(suggest(input, strings));
    if (hint.ja !== '') hintText = msg(`。${hint.ja.trim()}`, `; ${hint.en.trim()}`);
  }
  return msg(
    `${where.ja}は ${want.ja}でなければなりません（値: ${got.ja}）${hintText.ja}`,
    `${where.en} must be ${want.en} (got ${got.en})${hintText.en}`,
  );
}

/** Message for a number, string or list outside its bounds. */
export function sizeMessage(
  path: IssuePath,
  bound: 'min' | 'max',
  origin: string,
  limit: number,
  inclusive: boolean,
  input: unknown,
): Localized {
  const where = pathText(path);
  if (origin === 'string') {
    const length = typeof input === 'string' ? input.length : undefined;
    const got = length === undefined ? msg('', '') : msg(`（${length} 文字）`, ` (got ${length})`);
    if (bound === 'min' && limit <= 1) return msg(`${where.ja}が空です。値を書いてください`, `${where.en} must not be empty`);
    return bound === 'min'
      ? msg(`${where.ja}は ${limit} 文字以上でなければなりません${got.ja}`, `${where.en} must be at least ${limit} characters long${got.en}`)
      : msg(`${where.ja}は ${limit} 文字以内でなければなりません${got.ja}`, `${where.en} must be at most ${limit} characters long${got.en}`);
  }
  if (origin === 'array') {
    const count = Array.isArray(input) ? input.length : undefined;
    const got = count === undefined ? msg('', '') : msg(`（${count} 項目あります）`, ` (got ${count})`);
    if (bound === 'min' && limit <= 1) {
      return msg(`${where.ja}には 1 つ以上の項目が必要です`, `${where.en} must list at least one entry`);
    }
    return bound === 'min'
      ? msg(`${where.ja}には ${limit} 項目以上が必要です${got.ja}`, `${where.en} must list at least ${limit} entries${got.en}`)
      : msg(`${where.ja}の項目は ${limit} 個までです${got.ja}`, `${where.en} may list at most ${limit} entries${got.en}`);
  }
  const unit = unitOf(path);
  const got = typeof input === 'number' ? msg(`（値: ${input}）`, ` (got ${input})`) : msg('', '');
  const range = numberBoundsAt(path);
  if (range !== undefined && inclusive) {
    return msg(
      `${where.ja}は ${range.min}〜${range.max}${unit.ja}の範囲でなければなりません${got.ja}`,
      `${where.en} must be between ${range.min} and ${range.max}${unit.en}${got.en}`,
    );
  }
  if (bound === 'min') {
    return inclusive
      ? msg(`${where.ja}は ${limit}${unit.ja}以上でなければなりません${got.ja}`, `${where.en} must be at least ${limit}${unit.en}${got.en}`)
      : msg(`${where.ja}は ${limit}${unit.ja}より大きくなければなりません${got.ja}`, `${where.en} must be greater than ${limit}${unit.en}${got.en}`);
  }
  return inclusive
    ? msg(`${where.ja}は ${limit}${unit.ja}以下でなければなりません${got.ja}`, `${where.en} must be at most ${limit}${unit.en}${got.en}`)
    : msg(`${where.ja}は ${limit}${unit.ja}未満でなければなりません${got.ja}`, `${where.en} must be less than ${limit}${unit.en}${got.en}`);
}

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Says why a string is not acceptable single-line or multi-line text, and what to do. */
function textProblem(value: string, singleLine: boolean): { problem: Localized; fix: Localized } {
  const bidi = /[\u202a-\u202e\u2066-\u2069]/.exec(value);
  if (bidi !== null) {
    return {
      problem: msg(`文字の表示方向を変える制御文字 ${codePoint(bidi[0])} を含んでいます`, `contains the bidirectional control character ${codePoint(bidi[0])}`),
      fix: msg('見た目と中身が食い違うおそれがあるため、取り除いてください', 'remove it: it can make the text display differently from what it says'),
    };
  }
  if (singleLine && /[\n\r\u2028\u2029]/.test(value)) {
    return { problem: msg('改行を含んでいます', 'contains a line break'), fix: msg('1 行で書いてください', 'write it on one line') };
  }
  const control = singleLine ? /[\u0000-\u001f\u007f-\u009f]/.exec(value) : /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(value);
  if (control !== null) {
    return {
      problem: msg(`制御文字 ${codePoint(control[0])} を含んでいます`, `contains the control character ${codePoint(control[0])}`),
      fix: msg('印字できる文字だけで書いてください', 'use printable characters only'),
    };
  }
  if (singleLine && /^\s|\s$/.test(value)) {
    return { problem: msg('先頭か末尾に空白があります', 'starts or ends with white space'), fix: msg('空白を取り除いてください', 'remove the white space') };
  }
  return { problem: msg('使えない文字を含んでいます', 'contains characters that are not allowed'), fix: msg('取り除いてください', 'remove them') };
}

/** Explains what a value of a named format looks like. */
function formatMessage(path: IssuePath, format: PolicyFormat | 'datetime' | undefined, input: unknown): Localized {
  const where = pathText(path);
  const value = typeof input === 'string' ? input : '';
  const got = typeof input === 'string' ? msg(`（値: ${quote(input)}）`, ` (got ${quote(input)})`) : msg('', '');
  switch (format) {
    case 'datetime': {
      let why = msg('', '');
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) why = msg('時刻とタイムゾーンがありません。', 'the time and the offset are missing; ');
      else if (/^\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}/.test(value)) why = msg('日付と時刻の間は大文字の T で区切ってください。', 'separate date and time with a capital T; ');
      else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) why = msg('タイムゾーン（+09:00 や Z）がありません。', 'the offset (+09:00 or Z) is missing; ');
      else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) why = msg('その日付または時刻は存在しません。', 'that date or time does not exist; ');
      return msg(
        `${where.ja}はタイムゾーン付きの ISO 8601 日時でなければなりません${got.ja}。${why.ja}例: 2026-04-01T00:00:00+09:00`,
        `${where.en} must be an ISO 8601 date-time with an offset${got.en}; ${why.en}for example 2026-04-01T00:00:00+09:00`,
      );
    }
    case 'policy-id':
      return msg(
        `${where.ja}は英小文字・数字・ハイフンだけの 1〜64 文字で、ハイフン以外で始まらなければなりません${got.ja}。例: mynumber-zone`,
        `${where.en} must be 1 to 64 lowercase letters, digits and hyphens, not starting with a hyphen${got.en}, e.g. mynumber-zone`,
      );
    case 'single-line':
    case 'multi-line': {
      const { problem, fix } = textProblem(value, format === 'single-line');
      return msg(`${where.ja}は${problem.ja}${got.ja}。${fix.ja}`, `${where.en} ${problem.en}${got.en}; ${fix.en}`);
    }
    case 'filesystem-uuid':
      return msg(
        `${where.ja}は blkid が表示するファイルシステム UUID（16 進数とハイフン。例: 2f5a8c3e-9b1d-4c6e-8f00-1a2b3c4d5e6f、1A2B-3C4D）でなければなりません${got.ja}`,
        `${where.en} must be a file-system UUID as blkid prints it (hex digits and hyphens, e.g. 2f5a8c3e-9b1d-4c6e-8f00-1a2b3c4d5e6f or 1A2B-3C4D)${got.en}`,
      );
    case 'cidr':
      return msg(
        `${where.ja}は CIDR 表記のアドレス範囲でなければなりません${got.ja}。例: 10.20.0.0/16、2001:db8::/32（先頭に 0 を付けた数は使えません）`,
        `${where.en} must be an address range in CIDR notation${got.en}, e.g. 10.20.0.0/16 or 2001:db8::/32 (no leading zeros)`,
      );
    case 'ip-address':
      return msg(
        `${where.ja}は IP アドレスでなければなりません${got.ja}。例: 10.20.0.53、2001:db8::53`,
        `${where.en} must be an IP address${got.en}, e.g. 10.20.0.53 or 2001:db8::53`,
      );
    case 'host':
      return msg(
        `${where.ja}は IP アドレスまたはホスト名でなければなりません${got.ja}。例: 192.0.2.10、lgwan-gw.example.jp`,
        `${where.en} must be an IP address or a host name${got.en}, e.g. 192.0.2.10 or lgwan-gw.example.jp`,
      );
    case 'collector-url':
      return msg(
        `${where.ja}は https://ホスト[:ポート]/パス の形の URL でなければなりません（ユーザー名・パスワードや # 以降は書けません）${got.ja}`,
        `${where.en} must be a URL of the form https://host[:port]/path, without user name, password or #fragment${got.en}`,
      );
    case 'collector-url-scheme':
      return msg(
        `${where.ja}は https:// で始めてください。http:// はループバック（localhost、127.0.0.1、::1）宛てのときだけ使えます${got.ja}`,
        `${where.en} must start with https://; http:// is only allowed for loopback (localhost, 127.0.0.1, ::1)${got.en}`,
      );
    case 'network-share':
      if (value.startsWith('\\\\')) {
        return msg(
          `${where.ja}は //サーバー/共有名 の形で、区切りはスラッシュ（/）で書いてください${got.ja}。例: \\\\fs01\\共有 は //fs01/共有`,
          `${where.en} must use forward slashes, as //server/share${got.en}; for example \\\\fs01\\share becomes //fs01/share`,
        );
      }
      return msg(
        `${where.ja}は //サーバー/共有名（SMB）または サーバー:/パス（NFS）の形でなければなりません${got.ja}`,
        `${where.en} must look like //server/share (SMB) or server:/path (NFS)${got.en}`,
      );
    default:
      return msg(`${where.ja}の形式が正しくありません${got.ja}`, `${where.en} is not in the expected format${got.en}`);
  }
}

/** The diagnostic code and message of one zod issue (not for `unrecognized_keys`, which names several keys). */
export function describeZodIssue(issue: z.core.$ZodIssue): { code: string; message: Localized } {
  const path = issue.path;
  const inputGiven = issue.input !== undefined;
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      return { code: 'invalid-type', message: invalidTypeMessage(path, issue.expected, input, inputGiven) };
    case 'invalid_value':
      return { code: 'invalid-value', message: invalidValueMessage(path, issue.values, input, inputGiven) };
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? 'min' : 'max';
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const code = issue.origin === 'string' ? 'invalid-length' : issue.origin === 'array' ? 'invalid-count' : 'out-of-range';
      return { code, message: sizeMessage(path, bound, issue.origin, limit, issue.inclusive !== false, input) };
    }
    case 'invalid_format': {
      const format = issue.format === 'regex' ? formatOfPattern(issue.pattern) : issue.format === 'datetime' ? 'datetime' : undefined;
      return { code: 'invalid-format', message: formatMessage(path, format, input) };
    }
    case 'custom': {
      const format = (issue.params as { format?: PolicyFormat } | undefined)?.format;
      return { code: 'invalid-format', message: formatMessage(path, format, input) };
    }
    case 'not_multiple_of':
      return {
        code: 'out-of-range',
        message: msg(
          `${pathText(path).ja}は ${issue.divisor} の倍数でなければなりません（値: ${showValue(input).ja}）`,
          `${pathText(path).en} must be a multiple of ${issue.divisor} (got ${showValue(input).en})`,
        ),
      };
    default:
      // invalid_union, invalid_key, invalid_element: the schema uses no unions, records, maps or
      // sets, so these mean the schema changed without this catalogue; still say where.
      return {
        code: 'invalid-value',
        message: msg(`${pathText(path).ja}の値が正しくありません（${issue.code}）`, `${pathText(path).en} has an invalid value (${issue.code})`),
      };
  }
}

/** yaml's error codes, as yaml 2.x reports them. */
export type YamlErrorCode =
  | 'ALIAS_PROPS'
  | 'BAD_ALIAS'
  | 'BAD_DIRECTIVE'
  | 'BAD_DQ_ESCAPE'
  | 'BAD_INDENT'
  | 'BAD_PROP_ORDER'
  | 'BAD_SCALAR_START'
  | 'BLOCK_AS_IMPLICIT_KEY'
  | 'BLOCK_IN_FLOW'
  | 'DUPLICATE_KEY'
  | 'IMPOSSIBLE'
  | 'KEY_OVER_1024_CHARS'
  | 'MISSING_CHAR'
  | 'MULTILINE_IMPLICIT_KEY'
  | 'MULTIPLE_ANCHORS'
  | 'MULTIPLE_DOCS'
  | 'MULTIPLE_TAGS'
  | 'NON_STRING_KEY'
  | 'RESOURCE_EXHAUSTION'
  | 'TAB_AS_INDENT'
  | 'TAG_RESOLVE_FAILED'
  | 'UNEXPECTED_TOKEN'
  | 'BAD_COLLECTION_TYPE';

/**
 * The diagnostic code and message for a yaml parse error or warning. `detail` is yaml's own
 * English sentence, shown in parentheses where it narrows the cause down; `excerpt` is the
 * source text at the error (for a duplicate key, the key).
 */
export function describeYamlError(yamlCode: string, detail: string, excerpt: string): { code: string; message: Localized } {
  const said = msg(`（パーサーの報告: ${detail}）`, ` (parser: ${detail})`);
  switch (yamlCode as YamlErrorCode) {
    case 'DUPLICATE_KEY':
      return {
        code: 'yaml-duplicate-key',
        message: msg(
          `キー ${quote(excerpt)} が同じマッピングの中に 2 回以上あります。どちらか 1 つにしてください（後の値で黙って上書きはしません）`,
          `the key ${quote(excerpt)} appears more than once in the same mapping; keep only one (the later value does not silently win)`,
        ),
      };
    case 'MULTIPLE_DOCS':
      return {
        code: 'yaml-multiple-documents',
        message: msg(
          '1 つのファイルに複数の YAML 文書（--- で区切られたもの）があります。ポリシーは 1 ファイルに 1 文書です',
          'the file holds more than one YAML document (separated by ---); a policy file holds exactly one',
        ),
      };
    case 'TAB_AS_INDENT':
      return {
        code: 'yaml-syntax',
        message: msg('字下げにタブ文字は使えません。空白で字下げしてください', 'tabs cannot be used for indentation; indent with spaces'),
      };
    case 'BAD_INDENT':
      if (/end with a [\]}]/.test(detail)) {
        const close = detail.includes('end with a ]') ? ']' : '}';
        const open = close === ']' ? '[' : '{';
        return {
          code: 'yaml-syntax',
          message: msg(
            `${open} で始めた${close === ']' ? 'リスト' : 'マッピング'}が ${close} で閉じられていないか、続きの行の字下げが足りません`,
            `a ${close === ']' ? 'list' : 'mapping'} opened with ${open} is not closed with ${close}, or its continuation lines are not indented enough`,
          ),
        };
      }
      return {
        code: 'yaml-syntax',
        message: msg(`字下げが揃っていません${said.ja}`, `the indentation is inconsistent${said.en}`),
      };
    case 'MISSING_CHAR': {
      const quoteChar = /^Missing closing (["'])quote/.exec(detail)?.[1];
      if (quoteChar !== undefined) {
        return {
          code: 'yaml-syntax',
          message: msg(
            `ここで始まった引用符（${quoteChar}）が閉じられていません。文字列の終わりに ${quoteChar} を書いてください`,
            `the quote (${quoteChar}) opened here is never closed; add ${quoteChar} at the end of the string`,
          ),
        };
      }
      return { code: 'yaml-syntax', message: msg(`必要な記号が足りません${said.ja}`, `a required character is missing${said.en}`) };
    }
    case 'UNEXPECTED_TOKEN':
      return {
        code: 'yaml-syntax',
        message: msg(`ここに置けない記号または文字があります${said.ja}`, `unexpected character or token here${said.en}`),
      };
    case 'BAD_SCALAR_START':
      return {
        code: 'yaml-syntax',
        message: msg(
          `値をこの記号で始めることはできません。値全体を引用符で囲んでください${said.ja}`,
          `a value cannot start with this character; put the whole value in quotes${said.en}`,
        ),
      };
    case 'BAD_DQ_ESCAPE':
      return {
        code: 'yaml-syntax',
        message: msg(
          `ダブルクォート文字列の中のエスケープ（\\ の後の文字）が正しくありません。\\ 自体は \\\\ と書くか、シングルクォートを使ってください`,
          'invalid escape sequence in a double-quoted string; write a backslash as \\\\ or use single quotes',
        ),
      };
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'KEY_OVER_1024_CHARS':
      return {
        code: 'yaml-syntax',
        message: msg(
          `キーが正しく書かれていません（キーは 1 行・1024 文字以内。引用符やコロンの閉じ忘れがないか確認してください）${said.ja}`,
          `malformed key (a key fits on one line within 1024 characters; check for an unclosed quote or a missing colon)${said.en}`,
        ),
      };
    case 'BLOCK_IN_FLOW':
      return {
        code: 'yaml-syntax',
        message: msg(`[ ] や { } の中では改行した字下げ形式は使えません${said.ja}`, `block style cannot be used inside [ ] or { }${said.en}`),
      };
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return { code: 'yaml-alias', message: aliasMessage() };
    case 'RESOURCE_EXHAUSTION':
      return {
        code: 'yaml-too-deep',
        message: msg('入れ子が深すぎて解析できません。ポリシーの構造を見直してください', 'nesting is too deep to parse; check the structure of the policy'),
      };
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_COLLECTION_TYPE':
    case 'MULTIPLE_TAGS':
      return { code: 'yaml-tag', message: tagMessage() };
    case 'BAD_DIRECTIVE':
      return { code: 'yaml-directive', message: directiveMessage() };
    case 'NON_STRING_KEY':
      return { code: 'yaml-key-not-string', message: keyNotStringMessage() };
    default:
      return { code: 'yaml-syntax', message: msg(`YAML の構文が正しくありません${said.ja}`, `invalid YAML syntax${said.en}`) };
  }
}

/** Anchors (`&name`) are refused: together with aliases they allow "billion laughs" documents. */
export function anchorMessage(): Localized {
  return msg(
    'アンカー（&名前）は使えません。ポリシーでは値を共有せず、それぞれの場所に書いてください',
    'anchors (&name) are not allowed; write each value out where it is used',
  );
}

/** Aliases (`*name`) are refused for the same reason as anchors. */
export function aliasMessage(): Localized {
  return msg(
    'エイリアス（*名前）は使えません。参照先の値をそのまま書いてください',
    'aliases (*name) are not allowed; write the referenced value out in full',
  );
}

/** `<<` merge keys are refused: the document must say every value where it applies. */
export function mergeKeyMessage(): Localized {
  return msg(
    'マージキー（<<）は使えません。必要な項目をそれぞれ書いてください',
    'merge keys (<<) are not allowed; write each field out',
  );
}

/** Explicit tags are refused: the schema decides every type. */
export function tagMessage(): Localized {
  return msg(
    'タグ（! で始まる型指定）は使えません。文字列にしたい値は引用符で囲んでください',
    'tags (type annotations starting with !) are not allowed; quote a value to make it a string',
  );
}

/** `%YAML` / `%TAG` directives are refused: they could change how the rest is read. */
export function directiveMessage(): Localized {
  return msg(
    'ディレクティブ（% で始まる行）は使えません。ポリシーは YAML 1.2 として読みます',
    'directives (lines starting with %) are not allowed; policies are always read as YAML 1.2',
  );
}

/** Keys must be plain strings. */
export function keyNotStringMessage(): Localized {
  return msg(
    'キーは文字列でなければなりません（数値・真偽値・null・リスト・マッピングはキーにできません）',
    'keys must be strings (numbers, booleans, null, lists and mappings cannot be keys)',
  );
}

/** Hex and octal numbers are refused: decimal only, so a value reads the same to everyone. */
export function numberFormatMessage(path: IssuePath, source: string): Localized {
  const where = pathText(path);
  return msg(
    `${where.ja}の数値 ${source} は 10 進数で書いてください（16 進・8 進は使えません）`,
    `${where.en}: write the number ${source} in decimal (hex and octal are not allowed)`,
  );
}
