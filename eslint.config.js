// Lint configuration. Besides typescript-eslint's recommended rules it encodes the import matrix of
// STYLE.md §3 as per-folder `@typescript-eslint/no-restricted-imports` patterns (type-only imports
// included). The same table lives in test/architecture/import-rules.ts, which resolves paths and is
// the authority; test/architecture/eslint-rules.test.ts lints every forbidden fixture with this file
// so the two encodings cannot drift. Why two: docs/adr/0001-import-matrix.md.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const style = 'STYLE.md §3';
const ext = '{ts,tsx,mts,cts}';
// Deepest directory level below src/ that gets import rules. Patterns on relative specifiers depend on
// how far a file sits below src/ (`../` from src/shared/x.ts reaches src/), so every depth gets its own
// block. The architecture test has no such limit.
const maxDepth = 10;

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (names) => names.map(escape).join('|');
/** Regex source for exactly `n` leading `../` segments. */
const up = (n) => {
  if (n < 1) throw new Error(`eslint.config.js: up(${n}) has no meaning`);
  return `(?:\\.\\./){${n}}`;
};
// Optional source extension in a specifier (`./index`, `./index.ts`, `./index.js`).
const optExt = '(?:\\.[cm]?[jt]sx?)?';

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));
const nodeBuiltin = `^(?:node:|(?:${anyOf(nodeBuiltins)})(?:/|$))`;
// Keep these lists in step with test/architecture/import-rules.ts (the fixture test checks it).
const agentForbiddenBuiltins = [
  'fs',
  'net',
  'child_process',
  'os',
  'dgram',
  'worker_threads',
  'cluster',
  'http',
  'https',
  'http2',
  'tls',
  'dns',
  'process',
  'inspector',
  'readline',
  'repl',
  'tty',
  'vm',
  'v8',
  'module',
  'sqlite',
  'wasi',
];
const osPackages = ['systeminformation', 'usb', 'chokidar', 'better-sqlite3'];
const nodeOnlyPackages = [...osPackages, 'pino', 'commander', 'otplib'];
const testPackages = ['vitest', 'fast-check'];
const platforms = ['linux', 'windows', 'node'];

/** A `no-restricted-imports` pattern whose message cites the style guide. */
const pattern = (regex, message) => ({ regex, message: `${message} (${style}).` });
/** Regex: a bare specifier that is neither a node builtin nor one of `allowed`. */
const packageOtherThan = (allowed) =>
  `^(?![./])(?!node:)(?!(?:${anyOf(nodeBuiltins)})(?:/|$))(?!(?:${anyOf(allowed)})(?:/|$))`;
/** Regex: climbs `depth` levels to src/ and lands outside the `allowed` areas (or outside src/). */
const otherSrc = (depth, allowed, test) => {
  // Tests next to code may import test/helpers/** (one level above src/).
  const helpers = test ? '|\\.\\./test/helpers/' : '';
  return `^${up(depth)}(?!${allowed.map((area) => `${escape(area)}(?:/|$)`).join('|')}${helpers})`;
};

const rows = {
  shared: (d, test) => [
    ...(test ? [] : [pattern(nodeBuiltin, 'src/shared runs in every process and may not import node builtins')]),
    pattern(
      packageOtherThan(test ? ['zod', 'yaml', ...testPackages] : ['zod', 'yaml']),
      'src/shared may import only zod and yaml among packages',
    ),
    pattern(otherSrc(d, ['shared'], test), 'src/shared may not import other src areas or files outside src'),
  ],
  agentModule: (d, test) => [
    ...(test
      ? []
      : [
          pattern(
            `^(?:node:)?(?:${anyOf(agentForbiddenBuiltins)})(?:/|$)`,
            'agent modules reach files, network, processes and the OS only through a port implemented under src/agent/platform',
          ),
        ]),
    pattern('^electron(?:/|$)', 'the agent never imports electron'),
    pattern(`^(?:${anyOf(osPackages)})(?:/|$)`, 'this package reaches the OS; wrap it in an adapter under src/agent/platform'),
    pattern(otherSrc(d, ['shared', 'agent'], test), 'the agent may not import main, renderer, preload, collector, cli or files outside src'),
    pattern(`^${up(d - 1)}platform(?:/|$)`, 'agent modules depend on ports, never on adapters in src/agent/platform'),
    pattern(`^${up(d - 1)}main${optExt}$`, 'nothing imports the composition root src/agent/main.ts'),
    // Another module only through its index.ts (`../audit` or `../audit/index`); agent/policy whole.
    // Reaching your own module through src/agent (`../usb/x` from usb/) also matches: write `./x`.
    pattern(
      `^${up(d - 1)}(?!policy/|platform/)[^./][^/]*/(?!index${optExt}$).+`,
      "import another agent module only through its index.ts",
    ),
  ],
  platform: (name) => (d, test) => [
    pattern('^electron(?:/|$)', 'the agent never imports electron'),
    pattern(otherSrc(d, ['shared', 'agent'], test), 'the agent may not import main, renderer, preload, collector, cli or files outside src'),
    pattern(`^${up(d - 1)}main${optExt}$`, 'nothing imports the composition root src/agent/main.ts'),
    pattern(
      `^${up(d - 1)}(?!platform/)[^./][^/]*/(?!(?:ports|model)${optExt}$).+`,
      "adapters import an agent module's ports.ts or model.ts only",
    ),
    pattern(
      `^${up(d - 1)}(?!platform$|main${optExt}$)[^./][^/]*$`,
      "adapters import an agent module's ports.ts or model.ts only, not its index",
    ),
    pattern(
      `^(?:${up(d - 2)}|${up(d - 1)}platform/)(?!${escape(name)}(?:/|$)|node(?:/|$))[^./]`,
      `src/agent/platform/${name} may import src/agent/platform/node but no other platform`,
    ),
  ],
  agentMain: (d, test) => [
    pattern('^electron(?:/|$)', 'the agent never imports electron'),
    pattern(otherSrc(d, ['shared', 'agent'], test), 'the agent may not import main, renderer, preload, collector, cli or files outside src'),
  ],
  main: (d, test) => [
    pattern(
      otherSrc(d, ['shared', 'main'], test),
      'the Electron main process talks to the agent over the socket with the shared protocol; ' +
        'it may not import agent, renderer, preload, collector, cli or files outside src',
    ),
  ],
  preload: (d, test) => [
    ...(test ? [] : [pattern(nodeBuiltin, 'the sandboxed preload may not import node builtins')]),
    pattern(
      packageOtherThan(test ? ['electron', ...testPackages] : ['electron']),
      'the preload may import only electron among packages',
    ),
    pattern(otherSrc(d, ['shared', 'preload'], test), 'the preload may not import other src areas or files outside src'),
    pattern(`^${up(d)}shared(?:$|/(?!protocol/))`, 'the preload may import only src/shared/protocol/** from shared'),
  ],
  renderer: (d, test) => [
    ...(test ? [] : [pattern(nodeBuiltin, 'the renderer is UI only and may not import node builtins')]),
    pattern('^electron(?:/|$)', 'the renderer talks to the bridge on its global, never to electron'),
    pattern(`^(?:${anyOf(nodeOnlyPackages)})(?:/|$)`, 'this package needs node or holds secrets and never runs in the renderer'),
    pattern(otherSrc(d, ['shared', 'renderer'], test), 'the renderer may not import main, agent, preload, collector, cli or files outside src'),
  ],
  collector: (d, test) => [
    pattern('^electron(?:/|$)', 'the collector never imports electron'),
    pattern(otherSrc(d, ['shared', 'collector'], test), 'the collector may not import agent, main, renderer, preload, cli or files outside src'),
  ],
  cli: (d, test) => [
    pattern('^electron(?:/|$)', 'the cli never imports electron'),
    pattern(
      otherSrc(d, ['shared', 'cli', 'agent', 'collector'], test),
      'the cli may not import renderer, main, preload or files outside src',
    ),
    pattern(
      `^${up(d)}agent/(?!platform/)[^/]+/(?!index${optExt}$).+`,
      'the cli uses agent modules only through their index.ts',
    ),
    pattern(
      `^${up(d)}agent/platform/(?!node(?:/index${optExt})?$)`,
      'the cli may use only src/agent/platform/node/index.ts among adapters',
    ),
    pattern(`^${up(d)}agent(?:/main${optExt})?$`, 'nothing imports the composition root src/agent/main.ts'),
    pattern(`^${up(d)}collector/(?!index${optExt}$).+`, 'the cli uses the collector only through src/collector/index.ts'),
  ],
};

/**
 * One config block per directory depth (and test / non-test) below `base`, the folder of an area at
 * depth `baseDepth` below src/. `row(d, test)` returns the patterns for a file whose directory is `d`
 * levels below src/.
 */
function importBlocks(name, base, baseDepth, row, ignores = []) {
  const blocks = [];
  for (let d = baseDepth; d <= maxDepth; d += 1) {
    const dir = `${base}/${'*/'.repeat(d - baseDepth)}`;
    for (const test of [false, true]) {
      blocks.push({
        name: `mng/import-matrix/${name}/depth-${d}${test ? '/test' : ''}`,
        files: [test ? `${dir}*.test.${ext}` : `${dir}*.${ext}`],
        ignores: test ? ignores : [...ignores, `**/*.test.${ext}`],
        rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: row(d, test) }] },
      });
    }
  }
  return blocks;
}

// Computed specifiers escape both the lint patterns and the architecture test.
const syntaxRules = [
  {
    selector:
      "ImportExpression:not([source.type='Literal']):not([source.type='TemplateLiteral'][source.expressions.length=0])",
    message: `A computed import() specifier escapes the import matrix; use a string literal (${style}).`,
  },
];
const layoutRule = {
  selector: 'Program',
  message:
    'This file is outside the layout of STYLE.md §2 (shared, agent/<module>, agent/platform/{linux,windows,node}, ' +
    'agent/main.ts, main, preload, renderer, collector, cli), so no import rule applies to it.',
};
const testProperties = ['it', 'test', 'describe'].flatMap((object) =>
  ['skip', 'only', 'todo'].map((property) => ({
    object,
    property,
    message: 'No skipped, focused or placeholder tests; use skipIf with a clear reason for a missing system tool (conventions).',
  })),
);
const platformProperty = {
  object: 'process',
  property: 'platform',
  message: 'Only the composition root src/agent/main.ts reads process.platform (STYLE.md §2); inject the platform.',
};
const areas = ['shared', 'main', 'preload', 'renderer', 'collector', 'cli'];

export default defineConfig(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'test/fixtures/**', 'test-artifacts/**', '.tmp/**'] },
  tseslint.configs.recommended,
  {
    name: 'mng/base',
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // STYLE.md §5: never `catch {}`.
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'smart'],
      // Correctness rules from eslint:recommended (the @eslint/js package is not installed).
      'no-cond-assign': 'error',
      'no-debugger': 'error',
      'no-dupe-else-if': 'error',
      'no-self-compare': 'error',
      'no-unsafe-finally': 'error',
    },
  },
  {
    // Type-aware rules: about 9 s for the whole repo on 2 cores today (plain lint about 2.5 s); if the
    // repo outgrows ~60 s, drop this block rather than the import rules. One program per runtime
    // tsconfig, so a file is checked with the types its runtime has (the first project listing it wins).
    // Only .ts: no runtime tsconfig lists .tsx/.mts files.
    name: 'mng/type-aware',
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parserOptions: {
        project: [
          './tsconfig.shared.json',
          './tsconfig.node.json',
          './tsconfig.main.json',
          './tsconfig.preload.json',
          './tsconfig.renderer.json',
          './tsconfig.test.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Verdict unions (allow | block | reject) must be handled case by case.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    name: 'mng/src',
    files: [`src/**/*.${ext}`],
    rules: {
      'no-restricted-syntax': ['error', ...syntaxRules],
      // Processes write through their injected writers (CliIo, pino, the audit sink), not console.
      'no-console': 'error',
    },
  },
  {
    name: 'mng/tests',
    files: [`**/*.test.${ext}`, `test/**/*.${ext}`],
    rules: {
      'no-console': 'off',
      'no-restricted-properties': ['error', ...testProperties],
    },
  },

  // The import matrix, area by area (STYLE.md §3).
  ...importBlocks('shared', 'src/shared', 1, rows.shared),
  ...importBlocks('agent-module', 'src/agent/*', 2, rows.agentModule, ['src/agent/platform/**']),
  ...platforms.flatMap((name) =>
    importBlocks(`agent-platform-${name}`, `src/agent/platform/${name}`, 3, rows.platform(name)),
  ),
  {
    name: 'mng/import-matrix/agent-main',
    files: [`src/agent/main.${ext}`, `src/agent/main.test.${ext}`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: rows.agentMain(1, false) }] },
  },
  {
    name: 'mng/import-matrix/agent-main/test',
    files: [`src/agent/main.test.${ext}`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: rows.agentMain(1, true) }] },
  },
  ...importBlocks('main', 'src/main', 1, rows.main),
  ...importBlocks('preload', 'src/preload', 1, rows.preload),
  ...importBlocks('renderer', 'src/renderer', 1, rows.renderer),
  ...importBlocks('collector', 'src/collector', 1, rows.collector),
  ...importBlocks('cli', 'src/cli', 1, rows.cli),

  // Files the table cannot place would escape every rule: default deny (STYLE.md §1.3).
  {
    name: 'mng/layout/src-root',
    files: [`src/**/*.${ext}`],
    ignores: [...areas.map((area) => `src/${area}/**`), 'src/agent/**'],
    rules: { 'no-restricted-syntax': ['error', ...syntaxRules, layoutRule] },
  },
  {
    name: 'mng/layout/agent',
    files: [`src/agent/*.${ext}`, `src/agent/platform/*.${ext}`, `src/agent/platform/*/**/*.${ext}`],
    ignores: [
      `src/agent/main.${ext}`,
      `src/agent/main.test.${ext}`,
      ...platforms.map((name) => `src/agent/platform/${name}/**`),
    ],
    rules: { 'no-restricted-syntax': ['error', ...syntaxRules, layoutRule] },
  },

  // Runtime globals that the typecheck of each runtime also rejects; linted so the message says why.
  {
    name: 'mng/renderer-globals',
    files: [`src/renderer/**/*.${ext}`],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['process', 'require', 'Buffer', 'global', '__dirname', '__filename', 'module', 'exports', 'setImmediate'].map(
          (name) => ({ name, message: `The renderer has no node: '${name}' does not exist there (${style}).` }),
        ),
      ],
    },
  },
  {
    name: 'mng/preload-globals',
    files: [`src/preload/**/*.${ext}`],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['require', 'Buffer', 'global', '__dirname', '__filename', 'module', 'exports'].map((name) => ({
          name,
          message: `The sandboxed preload has no node: '${name}' is not available there (${style}).`,
        })),
      ],
    },
  },
  {
    name: 'mng/agent-platform-property',
    files: [`src/agent/**/*.${ext}`],
    ignores: [`src/agent/main.${ext}`, `**/*.test.${ext}`],
    rules: { 'no-restricted-properties': ['error', platformProperty] },
  },
);
