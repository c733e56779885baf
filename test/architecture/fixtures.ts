// What the architecture fixtures must produce. Shared by architecture.test.ts (the checker) and
// eslint-rules.test.ts (the lint patterns), so both encodings of STYLE.md §3 answer to one list.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const repoRoot = path.resolve(here, '../..');

/** A tree where every file under src/, apart from plain import targets, breaks one rule. */
export const forbiddenRoot = path.resolve(repoRoot, 'test/fixtures/architecture/forbidden/src');

/** A tree where every import is allowed. */
export const cleanRoot = path.resolve(repoRoot, 'test/fixtures/architecture/clean/src');

/** How ESLint must react to a forbidden fixture file, or `null` when only the checker can see it. */
export type EslintExpectation =
  | '@typescript-eslint/no-restricted-imports'
  | '@typescript-eslint/no-require-imports'
  | 'no-restricted-syntax'
  | null;

/** One expected violation: file relative to the fixture root's parent, line, rule id of the checker. */
export interface ExpectedViolation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly eslint: EslintExpectation;
}

const imports = '@typescript-eslint/no-restricted-imports';

/** Every forbidden edge of the fixture, one per file. */
export const expectedViolations: readonly ExpectedViolation[] = [
  { file: 'src/shared/uses-fs.ts', line: 1, rule: 'shared/no-node', eslint: imports },
  { file: 'src/shared/uses-bare-fs.ts', line: 1, rule: 'shared/no-node', eslint: imports },
  { file: 'src/shared/uses-agent.ts', line: 1, rule: 'shared/no-other-src', eslint: imports },
  { file: 'src/shared/uses-package.ts', line: 1, rule: 'shared/package-not-allowed', eslint: imports },
  // The checker points at the specifier line; ESLint reports the statement.
  { file: 'src/shared/multi-line.ts', line: 6, rule: 'shared/no-node', eslint: imports },
  { file: 'src/shared/type-only.ts', line: 1, rule: 'shared/no-node', eslint: imports },
  { file: 'src/shared/type-query.ts', line: 1, rule: 'shared/package-not-allowed', eslint: null },
  { file: 'src/shared/references-node.ts', line: 1, rule: 'shared/no-node', eslint: null },
  { file: 'src/shared/uses-agent.test.ts', line: 2, rule: 'shared/no-other-src', eslint: imports },
  { file: 'src/agent/usb/reads-fs.ts', line: 1, rule: 'agent-module/no-io-builtin', eslint: imports },
  { file: 'src/agent/usb/uses-os.ts', line: 1, rule: 'agent-module/no-io-builtin', eslint: imports },
  { file: 'src/agent/usb/uses-linux.ts', line: 1, rule: 'agent-module/no-platform', eslint: imports },
  { file: 'src/agent/usb/audit-internal.ts', line: 1, rule: 'agent-module/module-internal', eslint: imports },
  { file: 'src/agent/usb/dynamic.ts', line: 2, rule: 'agent-module/no-platform', eslint: null },
  { file: 'src/agent/usb/uses-electron.ts', line: 1, rule: 'agent-module/no-electron', eslint: imports },
  { file: 'src/agent/usb/uses-usb-package.ts', line: 1, rule: 'agent-module/no-os-package', eslint: imports },
  {
    file: 'src/agent/usb/requires-child-process.ts',
    line: 1,
    rule: 'agent-module/no-io-builtin',
    eslint: '@typescript-eslint/no-require-imports',
  },
  { file: 'src/agent/audit/uses-main.ts', line: 1, rule: 'agent-module/no-composition-root', eslint: imports },
  { file: 'src/agent/main.ts', line: 2, rule: 'agent-main/non-literal-specifier', eslint: 'no-restricted-syntax' },
  { file: 'src/agent/loose-file.ts', line: 1, rule: 'layout/unclassified-file', eslint: 'no-restricted-syntax' },
  {
    file: 'src/agent/platform/darwin/io-kit-usb-bus.ts',
    line: 1,
    rule: 'layout/unclassified-file',
    eslint: 'no-restricted-syntax',
  },
  { file: 'src/stray.ts', line: 1, rule: 'layout/unclassified-file', eslint: 'no-restricted-syntax' },
  {
    file: 'src/agent/platform/linux/uses-windows.ts',
    line: 1,
    rule: 'agent-platform/no-other-platform',
    eslint: imports,
  },
  {
    file: 'src/agent/platform/linux/uses-usb-service.ts',
    line: 1,
    rule: 'agent-platform/module-internal',
    eslint: imports,
  },
  { file: 'src/agent/platform/linux/uses-electron.ts', line: 1, rule: 'agent-platform/no-electron', eslint: imports },
  { file: 'src/renderer/uses-electron.ts', line: 1, rule: 'renderer/no-electron', eslint: imports },
  { file: 'src/renderer/uses-path.ts', line: 1, rule: 'renderer/no-node', eslint: imports },
  { file: 'src/renderer/uses-pino.ts', line: 1, rule: 'renderer/no-node-package', eslint: imports },
  { file: 'src/renderer/reexports-main.ts', line: 1, rule: 'renderer/no-other-src', eslint: imports },
  { file: 'src/preload/uses-fs.ts', line: 1, rule: 'preload/no-node', eslint: imports },
  { file: 'src/preload/uses-i18n.ts', line: 1, rule: 'preload/shared-not-protocol', eslint: imports },
  { file: 'src/preload/uses-zod.ts', line: 1, rule: 'preload/package-not-allowed', eslint: imports },
  { file: 'src/main/uses-agent.ts', line: 1, rule: 'main/no-other-src', eslint: imports },
  { file: 'src/main/imports-equals-agent.ts', line: 1, rule: 'main/no-other-src', eslint: imports },
  { file: 'src/main/uses-renderer.ts', line: 1, rule: 'main/no-other-src', eslint: imports },
  { file: 'src/collector/uses-agent.ts', line: 1, rule: 'collector/no-other-src', eslint: imports },
  { file: 'src/cli/uses-renderer.ts', line: 1, rule: 'cli/no-other-src', eslint: imports },
  { file: 'src/cli/uses-agent-internal.ts', line: 1, rule: 'cli/agent-internal', eslint: imports },
  { file: 'src/cli/uses-linux.ts', line: 1, rule: 'cli/agent-internal', eslint: imports },
  { file: 'src/cli/uses-collector-store.ts', line: 1, rule: 'cli/collector-internal', eslint: imports },
  { file: 'src/cli/uses-test-helper.ts', line: 1, rule: 'cli/outside-src', eslint: imports },
];
