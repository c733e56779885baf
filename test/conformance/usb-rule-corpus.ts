// Reader of the hand-written rule corpus in test/fixtures/usb-rules/*.rules. Each case is a
// "## why" line, the rule on the next line exactly as given (split on LF only, so a CR stays in
// the rule), then expectations: "=> canonical" (accepted; "=>" alone: comment-only line) and/or
// "!! line:byte-column code" (refused, in USBGuard mode).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/usb-rules');

export interface CorpusCase {
  readonly file: string;
  /** 1-based line of the rule in the corpus file. */
  readonly line: number;
  readonly why: string;
  readonly rule: string;
  /** Expected canonical form when accepted ('' for a comment-only line). */
  readonly output?: string;
  /** Expected refusal in USBGuard mode. */
  readonly error?: { readonly line: number; readonly byteColumn: number; readonly code: string };
}

/** Reads one corpus file. Throws on a malformed file: the corpus is part of the test. */
export function readCorpus(file: string): CorpusCase[] {
  const lines = readFileSync(path.join(corpusDir, file), 'utf8').split('\n');
  const cases: CorpusCase[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const header = lines[i] as string;
    if (!header.startsWith('## ')) continue;
    if (i + 1 >= lines.length) throw new Error(`${file}:${i + 1}: case without a rule line`);
    const rule = lines[i + 1] as string;
    let output: string | undefined;
    let error: CorpusCase['error'];
    let j = i + 2;
    for (; j < lines.length; j += 1) {
      const expectation = lines[j] as string;
      if (expectation === '=>' || expectation.startsWith('=> ')) {
        output = expectation.slice(3);
      } else if (expectation.startsWith('!! ')) {
        const m = /^!! (\d+):(\d+) ([a-z-]+)$/.exec(expectation);
        if (m === null) throw new Error(`${file}:${j + 1}: malformed expectation ${JSON.stringify(expectation)}`);
        error = { line: Number(m[1]), byteColumn: Number(m[2]), code: m[3] as string };
      } else {
        break;
      }
    }
    if (output === undefined && error === undefined) throw new Error(`${file}:${i + 2}: case without an expectation`);
    cases.push({ file, line: i + 2, why: header.slice(3), rule, ...(output === undefined ? {} : { output }), ...(error === undefined ? {} : { error }) });
    i = j - 1;
  }
  return cases;
}
