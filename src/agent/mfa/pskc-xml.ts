import sax from 'sax';
import { err, ok, type Result } from '../../shared/result';
import { msg, type Localized } from '../../shared/i18n';

/**
 * A small, hardened XML reader for PSKC files (RFC 6030). PSKC files come from token vendors by
 * mail or on media: untrusted input. sax (strict, namespace-aware) does the tokenizing; this file
 * builds a tree and refuses everything a key container never needs:
 * - any DOCTYPE (and with it every ENTITY declaration): no XXE, no billion laughs. sax never
 *   expands declared entities anyway; refusing the DOCTYPE makes that independent of the library;
 * - more than `maxPskcBytes`, deeper than `maxDepth`, more than `maxElements` elements;
 * - bytes that are not UTF-8 (RFC 6030 §4 files are UTF-8), unbound namespace prefixes, and
 *   anything that is not well-formed.
 */

/** Largest PSKC file accepted, in bytes (1 MiB: a few thousand tokens). */
export const maxPskcBytes = 1024 * 1024;
const maxDepth = 32;
const maxElements = 200_000;

/** An element of the parsed document. Names are local names; `uri` is the namespace. */
export interface XmlElement {
  readonly local: string;
  readonly uri: string;
  /** Attributes by local name (namespace declarations left out). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element (text and CDATA). */
  readonly text: string;
}

/** Why a document was refused. `message` says what and what to do. */
export interface XmlProblem {
  readonly code: 'too-large' | 'not-utf8' | 'doctype-refused' | 'malformed' | 'too-deep' | 'too-many-elements';
  readonly message: Localized;
}

interface MutableElement {
  local: string;
  uri: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
}

// Thrown from inside sax callbacks to stop parsing; caught below and turned into a Result.
class Refusal {
  constructor(readonly problem: XmlProblem) {}
}

/**
 * Parses an XML document into a tree, or says why it is refused. Never throws for any input:
 * every failure of the tokenizer becomes `malformed`.
 */
export function parseSafeXml(input: Uint8Array | string): Result<XmlElement, XmlProblem> {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxPskcBytes) {
    return err({
      code: 'too-large',
      message: msg(
        `ファイルが大きすぎます（${size} バイト、上限 ${maxPskcBytes} バイト）。PSKC ファイルか確認し、大きい場合はトークンごとに分けてください`,
        `the file is too large (${size} bytes, limit ${maxPskcBytes}); check that it is a PSKC file, and split a large one into several`,
      ),
    });
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (_notUtf8) {
      return err({
        code: 'not-utf8',
        message: msg(
          'ファイルが UTF-8 ではありません。ベンダーから受け取ったままの PSKC ファイルを指定してください',
          'the file is not UTF-8; give the PSKC file exactly as received from the vendor',
        ),
      });
    }
  }
  // A byte order mark is allowed before the XML declaration.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  // Defence in depth: refuse before the tokenizer sees it. The ondoctype handler below also refuses.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) return err(doctypeRefused());

  // strictEntities: only the five XML entities (sax otherwise also knows HTML ones like &nbsp;).
  // unparsedEntities stays off: declared entities are never expanded.
  const options: sax.SAXOptions & { strictEntities: boolean } = { xmlns: true, trim: false, normalize: false, position: true, strictEntities: true };
  const parser = sax.parser(true, options);
  const root: { element: MutableElement | null } = { element: null };
  const stack: MutableElement[] = [];
  let elements = 0;
  let firstError: Error | null = null;

  parser.onerror = (error) => {
    firstError ??= error;
    // sax stays in the error state; the write below throws and we stop.
    throw error;
  };
  parser.ondoctype = () => {
    throw new Refusal(doctypeRefused());
  };
  parser.onopentag = (tag) => {
    const qualified = tag as sax.QualifiedTag;
    elements += 1;
    if (elements > maxElements) {
      throw new Refusal({
        code: 'too-many-elements',
        message: msg(`要素が多すぎます（上限 ${maxElements}）。PSKC ファイルか確認してください`, `too many elements (limit ${maxElements}); check that this is a PSKC file`),
      });
    }
    if (stack.length >= maxDepth) {
      throw new Refusal({
        code: 'too-deep',
        message: msg(`入れ子が深すぎます（上限 ${maxDepth} 段）。PSKC ファイルか確認してください`, `elements are nested too deeply (limit ${maxDepth}); check that this is a PSKC file`),
      });
    }
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(qualified.attributes)) {
      // Namespace declarations are not data.
      if (attribute.name === 'xmlns' || attribute.prefix === 'xmlns') continue;
      attributes[attribute.local] = attribute.value;
    }
    const element: MutableElement = { local: qualified.local, uri: qualified.uri, attributes, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent === undefined) root.element = element;
    else parent.children.push(element);
    stack.push(element);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  parser.ontext = (chunk) => {
    const current = stack[stack.length - 1];
    if (current !== undefined) current.text += chunk;
  };
  parser.oncdata = (chunk) => {
    const current = stack[stack.length - 1];
    if (current !== undefined) current.text += chunk;
  };

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof Refusal) return err(error.problem);
    const reason = (firstError ?? (error instanceof Error ? error : new Error(String(error)))).message.split('\n')[0] ?? '';
    return err(malformed(reason));
  }
  if (root.element === null) return err(malformed('no root element'));
  return ok(root.element);
}

function doctypeRefused(): XmlProblem {
  return {
    code: 'doctype-refused',
    message: msg(
      'DOCTYPE または ENTITY 宣言を含むファイルは読みません（外部実体・エンティティ展開攻撃の防止）。PSKC ファイルに DOCTYPE は不要です。ベンダーに確認してください',
      'files with a DOCTYPE or ENTITY declaration are refused (protection against external entities and entity expansion); PSKC files need none: ask the vendor',
    ),
  };
}

function malformed(reason: string): XmlProblem {
  return {
    code: 'malformed',
    message: msg(
      `XML として正しくありません（${reason}）。ファイルが壊れていないか、PSKC ファイルかを確認してください`,
      `the file is not well-formed XML (${reason}); check that it is an intact PSKC file`,
    ),
  };
}

/** The children of `element` with local name `local`. */
export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => child.local === local);
}

/** The first child of `element` with local name `local`, or null. */
export function childNamed(element: XmlElement | null | undefined, local: string): XmlElement | null {
  if (element === null || element === undefined) return null;
  return element.children.find((child) => child.local === local) ?? null;
}

/** Follows a path of local names from `element`; null when a step is missing. */
export function pathNamed(element: XmlElement | null, ...locals: string[]): XmlElement | null {
  let current = element;
  for (const local of locals) current = childNamed(current, local);
  return current;
}
