// eslint.config.js encodes the import matrix (STYLE.md §3) as no-restricted-imports patterns. These
// tests lint snippets and the architecture fixtures through ESLint's Node API with the real config,
// so a pattern that stops firing, or fires on an allowed edge, fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { cleanRoot, expectedViolations, forbiddenRoot, repoRoot } from './fixtures';
import { listSourceFiles } from './import-rules';

// Snippets are linted under paths that do not exist, which type-aware parsing cannot handle; the
// import rules need no types.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfigFile: path.join(repoRoot, 'eslint.config.js'),
  overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config,
});

const matrixRules = new Set([
  '@typescript-eslint/no-restricted-imports',
  '@typescript-eslint/no-require-imports',
  'no-restricted-syntax',
  'no-restricted-globals',
  'no-restricted-properties',
]);

/** Lints `code` as if it lived at `rel` (relative to the repo root); returns the matrix-related messages. */
async function lintAs(rel: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, rel) });
  expect(result?.messages.filter((m) => m.fatal)).toEqual([]);
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && matrixRules.has(m.ruleId));
}

describe('eslint.config.js import matrix', () => {
  it('flags node:fs in src/shared, citing STYLE.md §3', async () => {
    const messages = await lintAs('src/shared/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ruleId: '@typescript-eslint/no-restricted-imports', line: 1 });
    expect(messages[0]?.message).toContain('STYLE.md §3');
  });

  it('flags electron in src/renderer, type-only imports included', async () => {
    const value = await lintAs('src/renderer/x.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;\n");
    expect(value.map((m) => m.ruleId)).toEqual(['@typescript-eslint/no-restricted-imports']);
    const typeOnly = await lintAs('src/renderer/x.ts', "import type { IpcRenderer } from 'electron';\nexport type I = IpcRenderer;\n");
    expect(typeOnly.map((m) => m.ruleId)).toEqual(['@typescript-eslint/no-restricted-imports']);
  });

  it('applies the folder row at any depth', async () => {
    const deep = await lintAs('src/shared/a/b/c/x.ts', "import { usb } from '../../../../agent/usb';\nexport const u = usb;\n");
    expect(deep.map((m) => m.ruleId)).toEqual(['@typescript-eslint/no-restricted-imports']);
    // The same climb from one level higher stays inside src/shared.
    const inside = await lintAs('src/shared/a/b/c/x.ts', "import { u } from '../../../agent/usb';\nexport const v = u;\n");
    expect(inside).toEqual([]);
  });

  it('lets tests next to code use node, vitest and test/helpers', async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { it } from 'vitest';",
      "import { runMng } from '../../test/helpers/mng';",
      'it(\'x\', () => void [readFileSync, runMng]);',
    ].join('\n');
    expect(await lintAs('src/shared/x.test.ts', code)).toEqual([]);
    expect(await lintAs('src/shared/x.ts', code)).toHaveLength(3);
  });

  it('forbids node globals in the renderer and skipped tests everywhere', async () => {
    const globals = await lintAs('src/renderer/x.ts', 'export const p = process.env;\nexport const b = Buffer.from("");\n');
    expect(globals.map((m) => m.ruleId)).toEqual(['no-restricted-globals', 'no-restricted-globals']);
    const skipped = await lintAs('test/x.test.ts', "import { it } from 'vitest';\nit.skip('x', () => {});\n");
    expect(skipped.map((m) => m.ruleId)).toEqual(['no-restricted-properties']);
  });

  describe('agrees with the architecture test on the forbidden fixture', () => {
    it.each(expectedViolations.filter((v) => v.eslint !== null).map((v) => [v.file, v] as const))(
      'flags %s',
      async (file, expected) => {
        const code = readFileSync(path.join(forbiddenRoot, '..', file), 'utf8');
        const messages = await lintAs(file, code);
        expect(messages.map((m) => m.ruleId)).toContain(expected.eslint);
      },
    );
  });

  it('agrees with the architecture test on the clean fixture', async () => {
    const files = listSourceFiles(cleanRoot);
    expect(files.length).toBeGreaterThan(0);
    const flagged: string[] = [];
    for (const file of files) {
      const rel = path.relative(path.dirname(cleanRoot), file);
      for (const m of await lintAs(rel, readFileSync(file, 'utf8'))) flagged.push(`${rel}:${m.line} ${m.message}`);
    }
    expect(flagged).toEqual([]);
  });

  it('ignores the fixtures when the whole repo is linted', async () => {
    expect(await eslint.isPathIgnored(path.join(forbiddenRoot, 'shared/uses-fs.ts'))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(cleanRoot, 'agent/main.ts'))).toBe(true);
  });
});
