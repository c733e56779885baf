// The import matrix of STYLE.md §3 as a pure rule table, plus a checker that walks a source tree,
// finds every module reference with the TypeScript parser and reports the forbidden ones.
// docs/adr/0001-import-matrix.md explains the choices; eslint.config.js encodes the same table as
// no-restricted-imports patterns, and test/architecture/architecture.test.ts keeps the two in step.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The real source tree of the repository. */
export const defaultSourceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Where a file sits, which decides what it may import (STYLE.md §1.1: the path tells the powers). */
export type Area =
  | 'shared'
  | 'agent-module'
  | 'agent-platform'
  | 'agent-main'
  | 'main'
  | 'preload'
  | 'renderer'
  | 'collector'
  | 'cli';

/** A file inside the checked root, classified by its path. */
export interface SrcLocation {
  /** Path relative to the checked root, posix separators: `agent/usb/ports.ts`. */
  readonly rel: string;
  /** `unclassified` for files outside the layout of STYLE.md §2 (they get a layout violation). */
  readonly area: Area | 'unclassified';
  /** Module folder (`usb`) for agent-module, platform folder (`linux`) for agent-platform. */
  readonly unit?: string;
  /** Path inside the unit folder (`ports.ts`, `sub/x.ts`), for agent-module and agent-platform. */
  readonly inUnit?: string;
}

/** What one module reference points at. */
export type ImportTarget =
  /** A node builtin; `module` has no `node:` prefix (`fs/promises`); `*` for `reference types="node"`. */
  | { readonly kind: 'node'; readonly module: string }
  /** An npm package by name (`zod`, `@scope/pkg`, `electron`). */
  | { readonly kind: 'package'; readonly name: string }
  /** A file inside the checked root. */
  | { readonly kind: 'src'; readonly location: SrcLocation }
  /** A file outside the checked root; `rel` is relative to the root's parent (`test/helpers/mng.ts`). */
  | { readonly kind: 'outside'; readonly rel: string }
  /** `/// <reference lib="…" />`. */
  | { readonly kind: 'lib'; readonly name: string }
  /** A dynamic `import()` or `require()` whose argument is not a string literal: cannot be checked. */
  | { readonly kind: 'non-literal' };

/** Why an edge is forbidden. `rule` is a stable id: `<importer area>/<edge>`. */
export interface Denial {
  readonly rule: string;
  readonly message: string;
}

/** One forbidden import found by {@link checkImportMatrix}. */
export interface Violation {
  /** Importing file, relative to the root's parent, posix separators: `src/shared/x.ts`. */
  readonly file: string;
  /** 1-based line of the module specifier (for a multi-line import, the line holding `from '…'`). */
  readonly line: number;
  /** The specifier as written; empty for a file-level layout violation. */
  readonly specifier: string;
  readonly rule: string;
  readonly message: string;
}

/** Result of walking one tree; the counts let callers tell "clean" from "found nothing to check". */
export interface ImportCheckReport {
  readonly filesChecked: number;
  readonly importsChecked: number;
  readonly violations: readonly Violation[];
}

/** How a module reference was written; type-only references count like value ones. */
export type ImportVia =
  | 'import'
  | 'import-type'
  | 'export'
  | 'dynamic-import'
  | 'require'
  | 'import-equals'
  | 'type-query'
  | 'reference-types'
  | 'reference-path'
  | 'reference-lib';

/** One module reference in a source file. */
export interface ImportSite {
  /** The specifier text; undefined for a non-literal dynamic import or require. */
  readonly specifier: string | undefined;
  /** 1-based line of the specifier. */
  readonly line: number;
  readonly via: ImportVia;
}

// Node builtins an agent module must not touch: file, network, process and OS access goes through a
// port implemented under src/agent/platform (STYLE.md §3, conventions "agent modules may not import
// node:fs, node:net, node:child_process, node:os"). Pure helpers (crypto, path, events, util, buffer,
// url, string_decoder, assert, stream, timers) stay allowed. Subpaths count: fs/promises is fs.
/** Node builtins forbidden in agent modules (matched on the first path segment, with or without `node:`). */
export const agentModuleForbiddenBuiltins: readonly string[] = [
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

/** The platform adapter folders of STYLE.md §2 (src/agent/platform/<name>). */
export const platforms: readonly string[] = ['linux', 'windows', 'node'];

/** Packages that reach the OS: only platform adapters, agent/main.ts, collector and cli may use them. */
export const osPackages: readonly string[] = ['systeminformation', 'usb', 'chokidar', 'better-sqlite3'];

/**
 * Packages that need node (or hold secrets, which never reach the UI: STYLE.md §7), so the renderer
 * and preload may not import them even though they are not builtins.
 */
export const nodeOnlyPackages: readonly string[] = [...osPackages, 'pino', 'commander', 'otplib'];

/** The only packages src/shared may import (STYLE.md §3: pure libraries). */
export const sharedPackages: readonly string[] = ['zod', 'yaml'];

/** Packages a *.test.ts file next to code may import on top of its folder's rules. */
export const testPackages: readonly string[] = ['vitest', 'fast-check'];

const builtinSet = new Set(builtinModules);
const sourceExtensions = ['.ts', '.tsx', '.mts', '.cts'];
const testFilePattern = /\.test\.(?:ts|tsx|mts|cts)$/;
const style = 'STYLE.md §3';

/** Classifies a path relative to the source root (`agent/usb/ports.ts`). Pure. */
export function classifyPath(rel: string): SrcLocation {
  const segments = rel.split('/');
  const [top, second] = segments;
  switch (top) {
    case 'shared':
    case 'main':
    case 'preload':
    case 'renderer':
    case 'collector':
    case 'cli':
      return segments.length >= 2 ? { rel, area: top } : { rel, area: 'unclassified' };
    case 'agent': {
      if (second === undefined) return { rel, area: 'unclassified' };
      if (segments.length === 2) {
        // Only the composition root (and its test) sits directly in src/agent.
        const isMain = /^main(?:\.test)?\.(?:ts|mts)$/.test(second);
        return { rel, area: isMain ? 'agent-main' : 'unclassified' };
      }
      if (second === 'platform') {
        const platform = segments[2];
        // Only the platforms of STYLE.md §2; adding one changes the table and needs an ADR.
        if (segments.length < 4 || platform === undefined || !platforms.includes(platform)) {
          return { rel, area: 'unclassified' };
        }
        return { rel, area: 'agent-platform', unit: platform, inUnit: segments.slice(3).join('/') };
      }
      return { rel, area: 'agent-module', unit: second, inUnit: segments.slice(2).join('/') };
    }
    default:
      return { rel, area: 'unclassified' };
  }
}

/** The package name of a bare specifier: `@scope/pkg/sub` → `@scope/pkg`, `zod/v4` → `zod`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Classifies a bare (non-relative) specifier as a node builtin or a package. Pure. */
export function classifyBareSpecifier(specifier: string): ImportTarget {
  if (specifier.startsWith('node:')) return { kind: 'node', module: specifier.slice('node:'.length) };
  if (!specifier.startsWith('@') && (builtinSet.has(specifier) || builtinSet.has(packageName(specifier)))) {
    return { kind: 'node', module: specifier };
  }
  return { kind: 'package', name: packageName(specifier) };
}

const firstSegment = (module: string): string => module.split('/')[0] ?? module;
const isEntry = (inUnit: string | undefined): boolean => inUnit !== undefined && /^index\.(?:ts|tsx|mts)$/.test(inUnit);
const isPortOrModel = (inUnit: string | undefined): boolean =>
  inUnit !== undefined && /^(?:ports|model)\.(?:ts|mts)$/.test(inUnit);

function describeTarget(target: ImportTarget): string {
  switch (target.kind) {
    case 'node':
      return target.module === '*' ? 'node types' : `node builtin '${target.module}'`;
    case 'package':
      return `package '${target.name}'`;
    case 'src':
      return `src/${target.location.rel}`;
    case 'outside':
      return target.rel;
    case 'lib':
      return `lib '${target.name}'`;
    case 'non-literal':
      return 'a computed specifier';
  }
}

/** Builds the denial of one row: `edge` becomes the rule id `<area>/<edge>`, `why` the message. */
type Deny = (edge: string, why: string) => Denial;
type AreaCheck = (target: ImportTarget, from: SrcLocation, no: Deny) => Denial | undefined;

/** One row of the matrix: what the area may import, and the check that enforces it. */
export interface AreaRule {
  /** The row of STYLE.md §3 in words, quoted in every message. */
  readonly summary: string;
  /** Returns why an edge is forbidden, or undefined when it is allowed. Pure. */
  readonly check: (target: ImportTarget, from: SrcLocation) => Denial | undefined;
}

// Edges that every row treats the same way: computed specifiers cannot be checked, files outside the
// source tree are not part of any runtime, DOM libs belong to the renderer and preload only.
function commonCheck(area: Area, target: ImportTarget, no: Deny): Denial | undefined {
  if (target.kind === 'non-literal') {
    return no(
      'non-literal-specifier',
      'a computed import()/require() specifier escapes the import matrix; use a string literal',
    );
  }
  if (target.kind === 'outside') {
    return no('outside-src', `code in src/ may not import ${target.rel}, which is outside the source tree`);
  }
  if (target.kind === 'lib' && /^dom/i.test(target.name) && area !== 'renderer' && area !== 'preload') {
    return no('no-dom', `${area} code may not reference the DOM lib`);
  }
  if (target.kind === 'src' && target.location.area === 'unclassified') {
    return no('no-other-src', `src/${target.location.rel} is outside the layout of STYLE.md §2`);
  }
  return undefined;
}

function row(area: Area, summary: string, check: AreaCheck): AreaRule {
  const no: Deny = (edge, why) => ({ rule: `${area}/${edge}`, message: `${why} (${style}: ${summary})` });
  return {
    summary,
    check: (target, from) => commonCheck(area, target, no) ?? check(target, from, no),
  };
}

/**
 * The import matrix of STYLE.md §3, one row per area. Each check sees only the classified target and
 * importer, so the table is testable without a file system. Rules apply to type-only imports too:
 * a forbidden type import is still coupling.
 */
export const importRules: Readonly<Record<Area, AreaRule>> = {
  shared: row(
    'shared',
    'shared imports shared and pure libraries (zod, yaml); never node:*, electron, DOM or any other src/*',
    (t, _from, no) => {
      if (t.kind === 'node') {
        return no('no-node', `shared code runs in every process and may not use ${describeTarget(t)}`);
      }
      if (t.kind === 'package' && !sharedPackages.includes(t.name)) {
        const allowed = sharedPackages.join(', ');
        return no('package-not-allowed', `shared code may import only ${allowed} among packages, not '${t.name}'`);
      }
      if (t.kind === 'src' && t.location.area !== 'shared') {
        return no('no-other-src', `shared code may not import ${describeTarget(t)}`);
      }
      return undefined;
    },
  ),

  'agent-module': row(
    'agent-module',
    "agent/<module> imports shared, agent/policy and other modules' index.ts; " +
      'never node:fs/net/child_process/os, platform/*, electron',
    (t, from, no) => {
      if (t.kind === 'node' && (t.module === '*' || agentModuleForbiddenBuiltins.includes(firstSegment(t.module)))) {
        return no(
          'no-io-builtin',
          `agent modules reach the OS only through a port implemented under src/agent/platform, not ${describeTarget(t)}`,
        );
      }
      if (t.kind === 'package' && t.name === 'electron') return no('no-electron', 'the agent never imports electron');
      if (t.kind === 'package' && osPackages.includes(t.name)) {
        return no('no-os-package', `${describeTarget(t)} reaches the OS; wrap it in an adapter under src/agent/platform`);
      }
      if (t.kind !== 'src') return undefined;
      const to = t.location;
      switch (to.area) {
        case 'shared':
          return undefined;
        case 'agent-module':
          if (to.unit === from.unit || to.unit === 'policy' || isEntry(to.inUnit)) return undefined;
          return no(
            'module-internal',
            `import another module only through its index.ts: src/agent/${to.unit}/index.ts, not ${describeTarget(t)}`,
          );
        case 'agent-platform':
          return no('no-platform', `agent modules depend on ports, never on adapters: ${describeTarget(t)}`);
        case 'agent-main':
          return no('no-composition-root', 'nothing imports the composition root src/agent/main.ts');
        default:
          return no('no-other-src', `the agent may not import ${describeTarget(t)}`);
      }
    },
  ),

  'agent-platform': row(
    'agent-platform',
    "agent/platform/<os> imports shared, modules' ports.ts/model.ts, platform/node, node:*; " +
      'never the other platform, never electron',
    (t, from, no) => {
      if (t.kind === 'package' && t.name === 'electron') return no('no-electron', 'the agent never imports electron');
      if (t.kind !== 'src') return undefined;
      const to = t.location;
      switch (to.area) {
        case 'shared':
          return undefined;
        case 'agent-platform':
          if (to.unit === from.unit || to.unit === 'node') return undefined;
          return no(
            'no-other-platform',
            `src/agent/platform/${from.unit} may not import src/agent/platform/${to.unit} (${describeTarget(t)})`,
          );
        case 'agent-module':
          if (isPortOrModel(to.inUnit)) return undefined;
          return no(
            'module-internal',
            `adapters implement ports: import src/agent/${to.unit}/ports.ts or model.ts, not ${describeTarget(t)}`,
          );
        case 'agent-main':
          return no('no-composition-root', 'nothing imports the composition root src/agent/main.ts');
        default:
          return no('no-other-src', `the agent may not import ${describeTarget(t)}`);
      }
    },
  ),

  'agent-main': row(
    'agent-main',
    'agent/main.ts imports anything under agent and shared, node:*; never main, renderer, preload, collector, cli',
    (t, _from, no) => {
      if (t.kind === 'package' && t.name === 'electron') return no('no-electron', 'the agent never imports electron');
      if (t.kind !== 'src') return undefined;
      const area = t.location.area;
      if (area === 'shared' || area === 'agent-module' || area === 'agent-platform' || area === 'agent-main') {
        return undefined;
      }
      return no('no-other-src', `the agent may not import ${describeTarget(t)}`);
    },
  ),

  main: row(
    'main',
    'main imports shared, electron, node:*; never agent (it talks to the agent over the socket with the ' +
      'shared protocol), renderer, preload, collector, cli',
    (t, _from, no) => {
      if (t.kind !== 'src') return undefined;
      if (t.location.area === 'shared' || t.location.area === 'main') return undefined;
      return no('no-other-src', `the Electron main process may not import ${describeTarget(t)}`);
    },
  ),

  preload: row(
    'preload',
    'preload imports shared protocol constants and types and electron; nothing else',
    (t, _from, no) => {
      if (t.kind === 'node') return no('no-node', `the sandboxed preload may not use ${describeTarget(t)}`);
      if (t.kind === 'package' && t.name !== 'electron') {
        return no('package-not-allowed', `the preload may import only electron among packages, not '${t.name}'`);
      }
      if (t.kind !== 'src') return undefined;
      const to = t.location;
      if (to.area === 'preload') return undefined;
      if (to.area === 'shared') {
        if (to.rel.startsWith('shared/protocol/')) return undefined;
        return no('shared-not-protocol', `the preload may import only src/shared/protocol/**, not ${describeTarget(t)}`);
      }
      return no('no-other-src', `the preload may not import ${describeTarget(t)}`);
    },
  ),

  renderer: row(
    'renderer',
    'renderer imports shared and renderer; never electron, node:*, main, agent, preload, collector, cli',
    (t, _from, no) => {
      if (t.kind === 'node') return no('no-node', `the renderer is UI only and may not use ${describeTarget(t)}`);
      if (t.kind === 'package' && t.name === 'electron') {
        return no('no-electron', 'the renderer talks to the bridge on its global, never to electron');
      }
      if (t.kind === 'package' && nodeOnlyPackages.includes(t.name)) {
        return no('no-node-package', `${describeTarget(t)} needs node or holds secrets and never runs in the renderer`);
      }
      if (t.kind !== 'src') return undefined;
      if (t.location.area === 'shared' || t.location.area === 'renderer') return undefined;
      return no('no-other-src', `the renderer may not import ${describeTarget(t)}`);
    },
  ),

  collector: row(
    'collector',
    'collector imports shared, its own deps, node:*; never agent, main, renderer, preload, cli',
    (t, _from, no) => {
      if (t.kind === 'package' && t.name === 'electron') return no('no-electron', 'the collector never imports electron');
      if (t.kind !== 'src') return undefined;
      if (t.location.area === 'shared' || t.location.area === 'collector') return undefined;
      return no('no-other-src', `the collector may not import ${describeTarget(t)}`);
    },
  ),

  cli: row(
    'cli',
    'cli imports shared, agent and collector public entry points (index.ts), node:*, its own deps; ' +
      'never renderer, main, preload',
    (t, _from, no) => {
      if (t.kind === 'package' && t.name === 'electron') return no('no-electron', 'the cli never imports electron');
      if (t.kind !== 'src') return undefined;
      const to = t.location;
      switch (to.area) {
        case 'shared':
        case 'cli':
          return undefined;
        case 'agent-module':
          if (isEntry(to.inUnit)) return undefined;
          return no(
            'agent-internal',
            `the cli uses agent modules through their index.ts: src/agent/${to.unit}/index.ts, not ${describeTarget(t)}`,
          );
        case 'agent-platform':
          if (to.unit === 'node' && isEntry(to.inUnit)) return undefined;
          return no(
            'agent-internal',
            `the cli may use only src/agent/platform/node/index.ts among adapters, not ${describeTarget(t)}`,
          );
        case 'agent-main':
          return no('agent-internal', 'nothing imports the composition root src/agent/main.ts');
        case 'collector':
          if (/^collector\/index\.(?:ts|mts)$/.test(to.rel)) return undefined;
          return no(
            'collector-internal',
            `the cli uses the collector through src/collector/index.ts, not ${describeTarget(t)}`,
          );
        default:
          return no('no-other-src', `the cli may not import ${describeTarget(t)}`);
      }
    },
  ),
};

/** True for a test file next to code (`x.test.ts`), which gets the test exceptions of {@link decideImport}. */
export function isTestFile(rel: string): boolean {
  return testFilePattern.test(rel);
}

/**
 * Decides one edge of the import graph. Test files next to code follow their folder's row, except
 * that they may also import vitest, fast-check, node:* and test/helpers/**. Pure.
 */
export function decideImport(from: SrcLocation, target: ImportTarget): Denial | undefined {
  if (from.area === 'unclassified') return undefined; // reported once per file by the checker
  if (isTestFile(from.rel)) {
    if (target.kind === 'node') return undefined;
    if (target.kind === 'package' && testPackages.includes(target.name)) return undefined;
    if (target.kind === 'outside' && target.rel.startsWith('test/helpers/')) return undefined;
  }
  return importRules[from.area].check(target, from);
}

function lineOf(sourceFile: ts.SourceFile, position: number): number {
  return sourceFile.getLineAndCharacterOfPosition(position).line + 1;
}

function literalText(node: ts.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;
}

function scriptKindOf(fileName: string): ts.ScriptKind {
  return fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

/**
 * Finds every module reference in one source text: import/export-from declarations (type-only too),
 * `import x = require()`, dynamic `import()`, `require()`, `import('…')` types and triple-slash
 * references. Uses the TypeScript parser, so multi-line and odd formatting cannot hide an import. Pure.
 */
export function findImports(fileName: string, text: string): ImportSite[] {
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKindOf(fileName));
  const sites: ImportSite[] = [];
  const add = (specifierNode: ts.Node, via: ImportVia): void => {
    const line = lineOf(sourceFile, specifierNode.getStart(sourceFile));
    sites.push({ specifier: literalText(specifierNode), line, via });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const typeOnly = node.importClause?.isTypeOnly === true;
      add(node.moduleSpecifier, typeOnly ? 'import-type' : 'import');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      add(node.moduleSpecifier, 'export');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import-equals');
    } else if (ts.isCallExpression(node)) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire) {
        const [argument] = node.arguments;
        add(argument ?? node, isDynamicImport ? 'dynamic-import' : 'require');
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'type-query');
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);

  for (const ref of sourceFile.typeReferenceDirectives) {
    sites.push({ specifier: ref.fileName, line: lineOf(sourceFile, ref.pos), via: 'reference-types' });
  }
  for (const ref of sourceFile.referencedFiles) {
    sites.push({ specifier: ref.fileName, line: lineOf(sourceFile, ref.pos), via: 'reference-path' });
  }
  for (const ref of sourceFile.libReferenceDirectives) {
    sites.push({ specifier: ref.fileName, line: lineOf(sourceFile, ref.pos), via: 'reference-lib' });
  }
  return sites.sort((a, b) => a.line - b.line);
}

const isFile = (candidate: string): boolean => existsSync(candidate) && statSync(candidate).isFile();

/**
 * Resolves a relative specifier the way `moduleResolution: bundler` does for our extensionless
 * imports: the path itself, then `.ts`/`.tsx`/`.mts`/`.d.ts`, then `/index.ts`. A `.js` suffix maps
 * to `.ts`. When nothing exists (the typecheck reports that), returns the `.ts` guess so the edge is
 * still classified.
 */
export function resolveRelative(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(?:js|jsx|mjs|cjs)$/, '');
  const candidates = [
    base,
    ...['.ts', '.tsx', '.mts', '.d.ts'].map((ext) => stem + ext),
    ...['index.ts', 'index.tsx', 'index.mts'].map((name) => path.join(base, name)),
  ];
  return candidates.find(isFile) ?? `${stem}.ts`;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** Classifies what an import site points at, resolving relative paths against the tree. */
export function classifyImport(root: string, fromFile: string, site: ImportSite): ImportTarget {
  const specifier = site.specifier;
  if (specifier === undefined) return { kind: 'non-literal' };
  if (site.via === 'reference-lib') return { kind: 'lib', name: specifier };
  if (site.via === 'reference-types') {
    return specifier === 'node' ? { kind: 'node', module: '*' } : { kind: 'package', name: packageName(specifier) };
  }
  const isPath = site.via === 'reference-path' || specifier.startsWith('.') || path.isAbsolute(specifier);
  if (!isPath) return classifyBareSpecifier(specifier);
  const resolved = resolveRelative(fromFile, specifier);
  const rel = toPosix(path.relative(root, resolved));
  if (rel.startsWith('../') || rel === '..' || path.isAbsolute(rel)) {
    return { kind: 'outside', rel: toPosix(path.relative(path.dirname(root), resolved)) };
  }
  return { kind: 'src', location: classifyPath(rel) };
}

/** Every TypeScript source file under `root`, sorted, as absolute paths. */
export function listSourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(full);
      } else if (entry.isFile() && sourceExtensions.some((ext) => entry.name.endsWith(ext))) {
        files.push(full);
      }
    }
  };
  walk(root);
  return files.sort();
}

/** Checks one file's text against the matrix. `file` is absolute and inside `root`. */
export function checkFile(
  root: string,
  file: string,
  text: string,
): { importsChecked: number; violations: Violation[] } {
  const rel = toPosix(path.relative(root, file));
  const shown = toPosix(path.relative(path.dirname(root), file));
  const from = classifyPath(rel);
  if (from.area === 'unclassified') {
    // Default deny (STYLE.md §1.3): a file the table cannot place would escape every rule.
    return {
      importsChecked: 0,
      violations: [
        {
          file: shown,
          line: 1,
          specifier: '',
          rule: 'layout/unclassified-file',
          message:
            `src/${rel} is outside the layout of STYLE.md §2 (shared, agent/<module>, ` +
            `agent/platform/{${platforms.join(',')}}, agent/main.ts, main, preload, renderer, collector, cli), ` +
            'so no import rule applies to it',
        },
      ],
    };
  }
  const sites = findImports(file, text);
  const violations: Violation[] = [];
  for (const site of sites) {
    const denial = decideImport(from, classifyImport(root, file, site));
    if (denial !== undefined) {
      const specifier = site.specifier ?? '';
      violations.push({ file: shown, line: site.line, specifier, rule: denial.rule, message: denial.message });
    }
  }
  return { importsChecked: sites.length, violations };
}

/**
 * Walks `root` (default: the repository's src/) and reports every import that breaks the matrix of
 * STYLE.md §3. Files are read from disk; the decisions themselves are the pure functions above.
 */
export function checkImportMatrix(root: string = defaultSourceRoot): ImportCheckReport {
  const files = listSourceFiles(root);
  let importsChecked = 0;
  const violations: Violation[] = [];
  for (const file of files) {
    const result = checkFile(root, file, readFileSync(file, 'utf8'));
    importsChecked += result.importsChecked;
    violations.push(...result.violations);
  }
  return { filesChecked: files.length, importsChecked, violations };
}

/** One violation as one line: `src/shared/x.ts:3: 'node:fs' [shared/no-node] message`. */
export function formatViolation(violation: Violation): string {
  const spec = violation.specifier === '' ? '' : ` '${violation.specifier}'`;
  return `${violation.file}:${violation.line}:${spec} [${violation.rule}] ${violation.message}`;
}
