import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { msg, type Localized } from '../i18n';
import type { PolicyDiagnostic } from './diagnostic';
import { lintPolicy } from './lint-policy';
import { createYamlLocator, type PolicyLocator, type PolicyPath, type SourcePosition } from './locate';
import {
  anchorMessage,
  aliasMessage,
  describeYamlError,
  describeZodIssue,
  directiveMessage,
  formatPath,
  keyNotStringMessage,
  mergeKeyMessage,
  missingFieldMessage,
  numberFormatMessage,
  tagMessage,
  unknownFieldMessage,
} from './messages';
import { ZonePolicySchema, type ZonePolicy } from './schema';

/**
 * The outcome of reading a policy text. `ok: true` means the document is well-formed, matches the
 * schema and has no lint errors; it may still carry warnings. `ok: false` carries at least one
 * error (and any warnings found on the way), sorted by position.
 */
export type PolicyParseResult =
  | { ok: true; policy: ZonePolicy; warnings: PolicyDiagnostic[] }
  | { ok: false; diagnostics: PolicyDiagnostic[] };

/** Largest policy text accepted, in UTF-8 bytes (1 MiB). The file reader caps bytes before this. */
export const MAX_POLICY_TEXT_BYTES = 1024 * 1024;
/** Most diagnostics returned for one text; the rest are summarised in one final diagnostic. */
export const MAX_DIAGNOSTICS = 100;
/**
 * Most YAML syntax errors returned: after the first few, a parser mostly reports the same mistake
 * again from a confused state.
 */
export const MAX_YAML_DIAGNOSTICS = 20;
/** Deepest nesting of mappings and lists accepted. A v1 policy needs 5; 32 leaves room without inviting stack exhaustion. */
export const MAX_NESTING_DEPTH = 32;

const WHOLE_FILE: SourcePosition = { line: 0, column: 0 };

function diagnostic(
  code: string,
  position: SourcePosition,
  path: PolicyPath | readonly PropertyKey[],
  message: Localized,
  severity: 'error' | 'warning' = 'error',
): PolicyDiagnostic {
  return { code, severity, line: position.line, column: position.column, path: formatPath(path), message };
}

/**
 * Reads a Zone Policy from YAML text. Pure: no I/O, no clock, never throws on any input.
 *
 * Steps, each stopping at its own errors so the first report is the one to fix:
 * 1. size (≤ 1 MiB) and text sanity (no NUL, no invalid UTF-8, no control or bidi characters);
 * 2. YAML 1.2 core schema parse: one document, unique keys, no anchors, aliases, merge keys,
 *    tags or directives, string keys only, decimal numbers only;
 * 3. the schema (strict: unknown fields are errors), each issue located at its YAML node;
 * 4. semantic lint (`lintPolicy`), whose warnings are returned with a valid policy.
 */
export function parsePolicyText(text: string): PolicyParseResult {
  const early = checkText(text);
  if (early !== undefined) return { ok: false, diagnostics: [early] };

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // YAML 1.2 core schema: `no`, `on`, `y` stay strings, `0777` is decimal, no timestamps and no
    // merge keys (all YAML 1.1 behaviours). Set explicitly so a library default can never change it.
    version: '1.2',
    schema: 'core',
    merge: false,
    strict: true,
  });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    return { ok: false, diagnostics: finish(unique(yamlProblems.map((e) => yamlDiagnostic(e, text, position))), MAX_YAML_DIAGNOSTICS) };
  }

  const directive = findDirective(doc, text, position);
  if (directive !== undefined) return { ok: false, diagnostics: [directive] };

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          'policy-empty',
          WHOLE_FILE,
          [],
          msg(
            'ポリシーが空です。apiVersion、kind、metadata、spec を持つマッピングを書いてください',
            'the policy is empty; write a mapping with apiVersion, kind, metadata and spec',
          ),
        ),
      ],
    };
  }

  const locate = createYamlLocator(doc, lineCounter);
  const structural: PolicyDiagnostic[] = [];
  checkNodes(doc.contents, [], 0, structural, text, position);
  if (structural.length > 0) return { ok: false, diagnostics: finish(structural) };

  if (!isMap(doc.contents)) {
    const what = isSeq(doc.contents) ? msg('リスト', 'a list') : msg('単一の値', 'a single value');
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          'policy-not-mapping',
          locate([]),
          [],
          msg(
            `ポリシーの最上位は apiVersion、kind、metadata、spec を持つマッピングでなければなりませんが、${what.ja}です`,
            `the top level of a policy must be a mapping with apiVersion, kind, metadata and spec, but it is ${what.en}`,
          ),
        ),
      ],
    };
  }

  const data: unknown = doc.toJS({ maxAliasCount: 0 });
  const parsed = ZonePolicySchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, diagnostics: finish(unique(parsed.error.issues.flatMap((issue) => issueDiagnostics(issue, data, locate)))) };
  }

  const findings = lintPolicy(parsed.data, locate, text);
  if (findings.some((d) => d.severity === 'error')) return { ok: false, diagnostics: finish(findings) };
  return { ok: true, policy: parsed.data, warnings: finish(findings) };
}

/** One diagnostic for the first thing that makes the text unreadable as a policy, if any. */
function checkText(text: string): PolicyDiagnostic | undefined {
  const bytes = utf8Length(text);
  if (bytes > MAX_POLICY_TEXT_BYTES) {
    return diagnostic(
      'policy-too-large',
      WHOLE_FILE,
      [],
      msg(
        `ポリシーが大きすぎます（${bytes} バイト。上限は ${MAX_POLICY_TEXT_BYTES} バイト = 1 MiB）。規則や承認済み媒体を整理してください`,
        `the policy is too large (${bytes} bytes; the limit is ${MAX_POLICY_TEXT_BYTES} bytes = 1 MiB); trim rules or approved volumes`,
      ),
    );
  }
  // Binary data (NUL, invalid UTF-8, broken surrogates) wins over stray control characters: random
  // bytes contain both, and "this is not a text file" is the one message that helps.
  let line = 1;
  let lineStart = 0;
  let binaryCount = 0;
  let firstBinary: (SourcePosition & { kind: 'nul' | 'replacement' | 'surrogate' }) | undefined;
  let firstControl: (SourcePosition & { kind: 'control' | 'bidi' | 'cr'; unit: number }) | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit === 0x0a) {
      line += 1;
      lineStart = i + 1;
      continue;
    }
    let kind: 'nul' | 'replacement' | 'surrogate' | 'control' | 'bidi' | 'cr' | undefined;
    if (unit === 0) kind = 'nul';
    else if (unit === 0xfffd) kind = 'replacement';
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
      else kind = 'surrogate';
    } else if (unit >= 0xdc00 && unit <= 0xdfff) kind = 'surrogate';
    // YAML 1.2 §5.1 printable set, minus what we refuse on top: C0 except TAB/LF/CR, DEL, C1
    // except NEL, U+FFFE/U+FFFF; plus bidi overrides (Trojan Source), which can hide text in comments.
    else if (unit === 0x0d) {
      // A CR not followed by LF: classic Mac line ends, which the YAML parser would read as one line.
      if (text.charCodeAt(i + 1) !== 0x0a) kind = 'cr';
    } else if ((unit < 0x20 && unit !== 0x09) || (unit >= 0x7f && unit <= 0x9f && unit !== 0x85) || unit >= 0xfffe) {
      kind = 'control';
    } else if ((unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069)) kind = 'bidi';
    if (kind === undefined) continue;
    const where = { line, column: i - lineStart + 1 };
    if (kind === 'control' || kind === 'bidi' || kind === 'cr') {
      firstControl ??= { ...where, kind, unit };
      continue;
    }
    binaryCount += 1;
    firstBinary ??= { ...where, kind };
  }
  if (firstBinary !== undefined) {
    const count = binaryCount > 1 ? msg(`（全 ${binaryCount} か所）`, ` (${binaryCount} places)`) : msg('', '');
    const what =
      firstBinary.kind === 'nul'
        ? msg('NUL 文字', 'a NUL character')
        : firstBinary.kind === 'replacement'
          ? msg('UTF-8 として読めないバイト（置換文字 U+FFFD）', 'bytes that are not valid UTF-8 (replacement character U+FFFD)')
          : msg('対になっていないサロゲート', 'an unpaired surrogate');
    return diagnostic(
      'policy-binary',
      firstBinary,
      [],
      msg(
        `テキストではないデータ（${what.ja}）が含まれています${count.ja}。ポリシーは UTF-8 の YAML テキストです。バイナリファイルや Shift_JIS などで保存したファイルを指定していないか確認してください`,
        `the file contains data that is not text (${what.en})${count.en}; a policy is UTF-8 YAML text: check that this is not a binary file or a file saved as Shift_JIS or another encoding`,
      ),
    );
  }
  if (firstControl === undefined) return undefined;
  const codePoint = `U+${firstControl.unit.toString(16).toUpperCase().padStart(4, '0')}`;
  if (firstControl.kind === 'cr') {
    return diagnostic(
      'policy-line-ending',
      firstControl,
      [],
      msg(
        '改行が CR だけで書かれています。LF（または CRLF）の改行で保存し直してください',
        'lines end with a bare CR; save the file with LF (or CRLF) line endings',
      ),
    );
  }
  return diagnostic(
    'policy-control-character',
    firstControl,
    [],
    firstControl.kind === 'bidi'
      ? msg(
          `文字の表示方向を変える制御文字 ${codePoint} が含まれています。見た目と中身が食い違うおそれがあるため、ポリシーでは使えません`,
          `the bidirectional control character ${codePoint} is not allowed in a policy: it can make text display differently from what it says`,
        )
      : msg(
          `制御文字 ${codePoint} が含まれています。ポリシーには印字できる文字だけを書いてください`,
          `the control character ${codePoint} is not allowed; a policy may contain printable characters only`,
        ),
  );
}

/** UTF-8 length of a JS string (a lone surrogate counts as the 3-byte replacement a writer would emit). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function yamlDiagnostic(error: YAMLError, text: string, position: (offset: number) => SourcePosition): PolicyDiagnostic {
  const [start, end] = error.pos;
  // For a duplicate key yaml marks only its first character; take the whole key from the source.
  const rest = text.slice(start, start + 200);
  const keyMatch = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^:\n]*)/.exec(rest);
  const excerpt =
    error.code === 'DUPLICATE_KEY' && keyMatch !== null
      ? keyMatch[0].trim().replace(/^(["'])(.*)\1$/, '$2')
      : text.slice(start, Math.min(end, start + 200));
  const detail = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+.*$/, '');
  const { code, message } = describeYamlError(error.code, detail, excerpt);
  // yaml reports an unclosed quote where the text ends; the opening quote is where to look.
  const quote = /^Missing closing (["'])quote/.exec(detail)?.[1];
  return diagnostic(code, position(quote === undefined ? start : openingQuote(text, start, quote)), [], message);
}

/** Offset of the quote that opened an unclosed quoted scalar ending at `end`. */
function openingQuote(text: string, end: number, quote: string): number {
  for (let i = Math.min(end, text.length) - 1; i >= 0; i -= 1) {
    if (text[i] !== quote) continue;
    if (quote === '"') {
      let backslashes = 0;
      while (text[i - 1 - backslashes] === '\\') backslashes += 1;
      if (backslashes % 2 === 0) return i;
    } else if (text[i - 1] === "'") {
      i -= 1; // '' is an escaped quote inside a single-quoted scalar
    } else {
      return i;
    }
  }
  return end;
}

/** `%YAML` and `%TAG` directives could change how the rest of the text is read; refuse them. */
function findDirective(doc: Document, text: string, position: (offset: number) => SourcePosition): PolicyDiagnostic | undefined {
  const tags = Object.keys(doc.directives?.tags ?? {});
  const hasTagDirective = tags.some((handle) => handle !== '!!') || doc.directives?.tags['!!'] !== 'tag:yaml.org,2002:';
  if (doc.directives?.yaml.explicit !== true && !hasTagDirective) return undefined;
  const match = /^%/m.exec(text);
  return diagnostic('yaml-directive', match === null ? { line: 1, column: 1 } : position(match.index), [], directiveMessage());
}

interface RangedNode {
  readonly range?: readonly [number, number, number] | null;
}

/**
 * Walks the node tree for constructs the policy format refuses. Reports at the node, and stops
 * descending below `MAX_NESTING_DEPTH` so a hostile document cannot exhaust the stack later.
 */
function checkNodes(
  node: unknown,
  path: PropertyKey[],
  depth: number,
  out: PolicyDiagnostic[],
  text: string,
  position: (offset: number) => SourcePosition,
): void {
  if (out.length > MAX_DIAGNOSTICS) return;
  const where = (n: unknown): SourcePosition => {
    const range = (n as RangedNode | null)?.range;
    return range === undefined || range === null ? WHOLE_FILE : position(range[0]);
  };
  if (isAlias(node)) {
    out.push(diagnostic('yaml-alias', where(node), path, aliasMessage()));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const props = node as { anchor?: string; tag?: string };
  // A node's range starts at its content; point at the `&anchor` / `!tag` written before it instead.
  const before = (sigil: string): SourcePosition => {
    const range = (node as RangedNode).range;
    if (range === undefined || range === null) return WHOLE_FILE;
    let at = text.lastIndexOf(sigil, range[0]);
    if (at === -1) return position(range[0]);
    while (at > 0 && !/[\s,[{]/.test(text[at - 1] as string)) at -= 1;
    return position(at);
  };
  if (props.anchor !== undefined) out.push(diagnostic('yaml-anchor', before(`&${props.anchor}`), path, anchorMessage()));
  if (props.tag !== undefined) out.push(diagnostic('yaml-tag', before('!'), path, tagMessage()));
  if (depth > MAX_NESTING_DEPTH) {
    out.push(
      diagnostic(
        'yaml-too-deep',
        where(node),
        path,
        msg(
          `入れ子が深すぎます（${MAX_NESTING_DEPTH} 段まで）。ポリシーの構造を見直してください`,
          `nesting is too deep (at most ${MAX_NESTING_DEPTH} levels); check the structure of the policy`,
        ),
      ),
    );
    return;
  }
  if (isScalar(node)) {
    if (typeof node.value === 'number' && (node.format === 'HEX' || node.format === 'OCT')) {
      out.push(diagnostic('yaml-number-format', where(node), path, numberFormatMessage(path, node.source ?? String(node.value))));
    }
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') {
        out.push(diagnostic('yaml-key-not-string', where(key ?? pair.value), path, keyNotStringMessage()));
        checkNodes(key, path, depth + 1, out, text, position);
        continue;
      }
      if (key.value === '<<' && key.type === 'PLAIN') {
        out.push(diagnostic('yaml-merge-key', where(key), path, mergeKeyMessage()));
        continue;
      }
      checkNodes(key, [...path, key.value], depth + 1, out, text, position);
      checkNodes(pair.value, [...path, key.value], depth + 1, out, text, position);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, index) => checkNodes(item, [...path, index], depth + 1, out, text, position));
  }
}

/** Turns one zod issue into diagnostics located at the YAML node of its path. */
function issueDiagnostics(issue: z.core.$ZodIssue, data: unknown, locate: PolicyLocator): PolicyDiagnostic[] {
  const path = issue.path.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      diagnostic('unknown-field', locate([...path, key], 'key'), [...path, key], unknownFieldMessage(path, key)),
    );
  }
  const last = path[path.length - 1];
  // zod reports an absent field as an issue whose input is undefined; YAML cannot express undefined,
  // so check the parsed data: the parent is a mapping that lacks the key.
  if (typeof last === 'string' && issue.input === undefined) {
    const parentPath = path.slice(0, -1);
    const parent = valueAt(data, parentPath);
    if (parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !Object.hasOwn(parent, last)) {
      return [diagnostic('missing-field', locate(parentPath, 'key'), path, missingFieldMessage(parentPath, last))];
    }
  }
  const { code, message } = describeZodIssue(issue);
  return [diagnostic(code, locate(path), path, message)];
}

function valueAt(data: unknown, path: PolicyPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/**
 * Keeps one diagnostic per place: a value failing two checks (too long and malformed) is reported
 * once, by its first check; unknown fields are keyed by their own path, so they are all kept.
 */
function unique(diagnostics: readonly PolicyDiagnostic[]): PolicyDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = d.path === '' ? `${d.line}:${d.column}:${d.code}` : d.path;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Sorts by position and caps the count, summarising the rest in one final diagnostic. */
function finish(diagnostics: readonly PolicyDiagnostic[], limit = MAX_DIAGNOSTICS): PolicyDiagnostic[] {
  const sorted = [...diagnostics].sort(compareDiagnostics);
  if (sorted.length <= limit) return sorted;
  const rest = sorted.length - limit;
  return [
    ...sorted.slice(0, limit),
    diagnostic(
      'too-many-diagnostics',
      WHOLE_FILE,
      [],
      msg(`ほかに ${rest} 件の問題があります。上の問題を直してからもう一度確認してください`, `${rest} more problems not shown; fix the ones above and check again`),
      sorted.slice(limit).some((d) => d.severity === 'error') ? 'error' : 'warning',
    ),
  ];
}

/** Orders diagnostics by line, then column, errors before warnings at the same place. */
export function compareDiagnostics(a: PolicyDiagnostic, b: PolicyDiagnostic): number {
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1;
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}
