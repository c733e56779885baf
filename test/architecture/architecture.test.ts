// The import matrix of STYLE.md §3, checked on the real tree and on two fixtures: one where every
// file breaks a rule (proves the check fails on a forbidden import) and one where every edge is allowed.
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { cleanRoot, expectedViolations, forbiddenRoot, repoRoot } from './fixtures';
import {
  checkImportMatrix,
  classifyBareSpecifier,
  classifyPath,
  decideImport,
  findImports,
  formatViolation,
  type ImportTarget,
} from './import-rules';

const key = (v: { file: string; line: number; rule: string }): string => `${v.file}:${v.line} ${v.rule}`;

describe('import matrix on the real src/', () => {
  it('has no forbidden import', () => {
    const report = checkImportMatrix();
    expect(report.filesChecked).toBeGreaterThan(0);
    // One line per violation, file:line first, so the failure reads like a compiler error list.
    expect(report.violations.map(formatViolation).join('\n')).toBe('');
  });
});

describe('import matrix on the forbidden fixture', () => {
  const report = checkImportMatrix(forbiddenRoot);
  const found = new Set(report.violations.map(key));

  it.each(expectedViolations.map((v) => [key(v), v] as const))('reports %s', (_name, expected) => {
    expect(found).toContain(key(expected));
  });

  it('reports nothing else (the import targets themselves are clean)', () => {
    const expected = new Set(expectedViolations.map(key));
    expect(report.violations.filter((v) => !expected.has(key(v))).map(formatViolation)).toEqual([]);
  });

  it('cites STYLE.md in every message and names file, line and specifier', () => {
    for (const violation of report.violations) {
      expect(violation.message).toMatch(/STYLE\.md §[23]/);
      expect(formatViolation(violation)).toMatch(/^src\/\S+:\d+:/);
    }
    const multiLine = report.violations.find((v) => v.file === 'src/shared/multi-line.ts');
    expect(multiLine?.specifier).toBe('node:fs');
  });
});

describe('import matrix on the clean fixture', () => {
  it('reports nothing for allowed edges', () => {
    const report = checkImportMatrix(cleanRoot);
    expect(report.violations.map(formatViolation)).toEqual([]);
    // Guards against a vacuous pass (an empty walk or a parser that finds no imports).
    expect(report.filesChecked).toBeGreaterThanOrEqual(25);
    expect(report.importsChecked).toBeGreaterThanOrEqual(60);
  });
});

describe('findImports', () => {
  it('finds every kind of module reference, on the specifier line', () => {
    const text = [
      "import type { A } from './a';", // 1
      'import {', // 2
      '  b,', // 3
      "} from './b';", // 4
      "export * from './c';", // 5
      "export type { D } from './d';", // 6
      "import e = require('./e');", // 7
      "const f = await import('./f');", // 8
      "const g = require('./g');", // 9
      "type H = import('./h').H;", // 10
      'const i = await import(name);', // 11
      'const j = await import(`./j`);', // 12
      "import './k';", // 13
    ].join('\n');
    expect(findImports('x.ts', text).map((s) => [s.line, s.specifier, s.via])).toEqual([
      [1, './a', 'import-type'],
      [4, './b', 'import'],
      [5, './c', 'export'],
      [6, './d', 'export'],
      [7, './e', 'import-equals'],
      [8, './f', 'dynamic-import'],
      [9, './g', 'require'],
      [10, './h', 'type-query'],
      [11, undefined, 'dynamic-import'],
      [12, './j', 'dynamic-import'],
      [13, './k', 'import'],
    ]);
  });

  it('finds triple-slash references', () => {
    const text = '/// <reference types="node" />\n/// <reference path="./x.d.ts" />\n/// <reference lib="dom" />\n';
    expect(findImports('x.ts', text).map((s) => [s.specifier, s.via])).toEqual([
      ['node', 'reference-types'],
      ['./x.d.ts', 'reference-path'],
      ['dom', 'reference-lib'],
    ]);
  });

  it('ignores specifier-like strings that are not imports', () => {
    expect(findImports('x.ts', "const s = 'node:fs';\n// import x from 'electron'\n")).toEqual([]);
  });
});

describe('decideImport (the rule table)', () => {
  const node = (module: string): ImportTarget => ({ kind: 'node', module });
  const pkg = (name: string): ImportTarget => ({ kind: 'package', name });
  const src = (rel: string): ImportTarget => ({ kind: 'src', location: classifyPath(rel) });
  const rule = (fromRel: string, target: ImportTarget): string | undefined =>
    decideImport(classifyPath(fromRel), target)?.rule;

  const label = (target: ImportTarget): string => {
    switch (target.kind) {
      case 'node':
        return `node:${target.module}`;
      case 'package':
        return target.name;
      case 'src':
        return `src/${target.location.rel}`;
      case 'outside':
        return target.rel;
      case 'lib':
        return `lib ${target.name}`;
      case 'non-literal':
        return '(computed)';
    }
  };
  const cases: ReadonlyArray<readonly [string, ImportTarget, string | undefined]> = [
    // [importer, target, expected rule or undefined for allowed]
    ['agent/usb/x.ts', node('crypto'), undefined],
    ['agent/usb/x.ts', node('path'), undefined],
    ['agent/usb/x.ts', node('events'), undefined],
    ['agent/usb/x.ts', node('util'), undefined],
    ['agent/usb/x.ts', node('fs/promises'), 'agent-module/no-io-builtin'],
    ['agent/usb/x.ts', node('dgram'), 'agent-module/no-io-builtin'],
    ['agent/usb/x.ts', node('worker_threads'), 'agent-module/no-io-builtin'],
    ['agent/usb/x.ts', node('net'), 'agent-module/no-io-builtin'],
    ['agent/usb/x.ts', pkg('zod'), undefined],
    ['agent/usb/x.ts', src('agent/policy/evaluate.ts'), undefined],
    ['agent/usb/x.ts', src('agent/usb/sub/y.ts'), undefined],
    ['agent/usb/x.ts', src('agent/audit/index.ts'), undefined],
    ['agent/usb/x.ts', src('agent/audit/model.ts'), 'agent-module/module-internal'],
    ['agent/usb/x.ts', src('cli/program.ts'), 'agent-module/no-other-src'],
    ['agent/usb/x.test.ts', node('fs'), undefined],
    ['agent/usb/x.test.ts', pkg('fast-check'), undefined],
    ['agent/usb/x.test.ts', { kind: 'outside', rel: 'test/helpers/mng.ts' }, undefined],
    ['agent/usb/x.test.ts', src('agent/platform/node/index.ts'), 'agent-module/no-platform'],
    ['agent/usb/x.ts', { kind: 'outside', rel: 'test/helpers/mng.ts' }, 'agent-module/outside-src'],
    ['agent/platform/node/x.ts', src('agent/platform/linux/y.ts'), 'agent-platform/no-other-platform'],
    ['agent/platform/windows/x.ts', src('agent/platform/node/y.ts'), undefined],
    ['agent/platform/windows/x.ts', src('agent/audit/model.ts'), undefined],
    ['agent/platform/windows/x.ts', src('agent/usb/index.ts'), 'agent-platform/module-internal'],
    ['agent/platform/windows/x.ts', node('child_process'), undefined],
    ['agent/main.ts', src('agent/platform/linux/y.ts'), undefined],
    ['agent/main.ts', src('main/tray.ts'), 'agent-main/no-other-src'],
    ['main/x.ts', pkg('electron'), undefined],
    ['main/x.ts', src('preload/bridge.ts'), 'main/no-other-src'],
    ['preload/x.ts', src('shared/protocol/tray.ts'), undefined],
    ['preload/x.ts', src('shared/result.ts'), 'preload/shared-not-protocol'],
    ['renderer/x.ts', pkg('otplib'), 'renderer/no-node-package'],
    ['renderer/x.ts', { kind: 'lib', name: 'dom' }, undefined],
    ['shared/x.ts', { kind: 'lib', name: 'dom' }, 'shared/no-dom'],
    ['shared/x.ts', pkg('yaml'), undefined],
    ['shared/x.test.ts', pkg('vitest'), undefined],
    ['collector/x.ts', pkg('electron'), 'collector/no-electron'],
    ['cli/x.ts', src('agent/platform/node/index.ts'), undefined],
    ['cli/x.ts', src('agent/main.ts'), 'cli/agent-internal'],
    ['cli/x.ts', src('collector/index.ts'), undefined],
    ['cli/x.ts', src('main/x.ts'), 'cli/no-other-src'],
    ['cli/x.ts', { kind: 'non-literal' }, 'cli/non-literal-specifier'],
  ];
  for (const [fromRel, target, expected] of cases) {
    it(`src/${fromRel} → ${label(target)}: ${expected ?? 'allowed'}`, () => {
      expect(rule(fromRel, target)).toBe(expected);
    });
  }

  it('classifies bare specifiers', () => {
    expect(classifyBareSpecifier('node:test')).toEqual({ kind: 'node', module: 'test' });
    expect(classifyBareSpecifier('fs/promises')).toEqual({ kind: 'node', module: 'fs/promises' });
    expect(classifyBareSpecifier('@scope/pkg/sub')).toEqual({ kind: 'package', name: '@scope/pkg' });
    expect(classifyBareSpecifier('zod/v4')).toEqual({ kind: 'package', name: 'zod' });
  });

  it('places only the layout of STYLE.md §2', () => {
    expect(classifyPath('agent/main.ts').area).toBe('agent-main');
    expect(classifyPath('agent/usb/index.ts')).toEqual({
      rel: 'agent/usb/index.ts',
      area: 'agent-module',
      unit: 'usb',
      inUnit: 'index.ts',
    });
    expect(classifyPath('agent/platform/linux/a/b.ts')).toMatchObject({
      area: 'agent-platform',
      unit: 'linux',
      inUnit: 'a/b.ts',
    });
    expect(classifyPath('agent/platform/darwin/x.ts').area).toBe('unclassified');
    expect(classifyPath('agent/helpers.ts').area).toBe('unclassified');
    expect(classifyPath('index.ts').area).toBe('unclassified');
  });
});

describe('fixtures stay out of the typecheck and the lint', () => {
  it('tsconfig.test.json does not include test/fixtures/**', () => {
    const configPath = path.join(repoRoot, 'tsconfig.test.json');
    const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot);
    expect(parsed.fileNames.filter((f) => f.includes('/test/fixtures/'))).toEqual([]);
    expect(parsed.fileNames.some((f) => f.endsWith('/test/architecture/import-rules.ts'))).toBe(true);
  });
});
