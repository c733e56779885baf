import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A path inside a policy document: object keys and array indices, e.g. `['spec', 'usb', 'rules', 3]`. */
export type PolicyPath = readonly (string | number)[];

/** A 1-based line and column in the policy text (0:0 when the position is unknown). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds where a path is written in the source. `target: 'value'` (default) gives the value's
 * start, or its key when the value is empty; `'key'` gives the key that introduces it (for unknown
 * fields, and for a mapping that lacks a required field). When the path goes further than the
 * document, the deepest part that exists is returned, so a finding always points somewhere real.
 */
export type PolicyLocator = (path: PolicyPath, target?: 'value' | 'key') => SourcePosition;

/** A locator for code that has no source text (e.g. a policy built in memory): always 0:0. */
export const noSourceLocator: PolicyLocator = () => ({ line: 0, column: 0 });

interface Ranged {
  readonly range?: readonly [number, number, number] | null;
}

/** Builds a locator over a parsed yaml document and the LineCounter used to parse it. */
export function createYamlLocator(doc: Document, lineCounter: LineCounter): PolicyLocator {
  const at = (node: Ranged | null | undefined): SourcePosition | undefined => {
    if (node === null || node === undefined || node.range === null || node.range === undefined) return undefined;
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { line, column: col };
  };
  // An empty value (`key:` with nothing after it) has a zero-length range on the line break; the
  // key is the useful place to point at.
  const isEmptyScalar = (node: unknown): boolean =>
    isScalar(node) && node.value === null && node.range !== undefined && node.range !== null && node.range[0] === node.range[1];

  return (path, target = 'value') => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let best: SourcePosition = at(doc.contents as Ranged | null) ?? { line: 1, column: 1 };
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (pair === undefined) return best;
        keyNode = pair.key as Node;
        node = pair.value;
        const keyPosition = at(keyNode as Ranged);
        best = (isEmptyScalar(node) ? undefined : at(node as Ranged | null)) ?? keyPosition ?? best;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) return best;
        keyNode = undefined;
        node = item;
        best = at(item as Ranged | null) ?? best;
      } else {
        return best;
      }
    }
    if (target === 'key' && keyNode !== undefined) return at(keyNode as Ranged) ?? best;
    return best;
  };
}
