#!/usr/bin/env node
// Writes policies/schema.json, the JSON Schema of a Zone Policy, generated from the zod schema in
// src/shared/policy (so editors and the parser can never disagree about field names and ranges).
// `--check` writes nothing and exits 1 when the file is stale (for CI). The TypeScript is bundled
// in memory with esbuild and imported from a data: URL, so no build step or temp file is needed.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'policies/schema.json');

/** Renders the schema exactly as it is stored: two-space JSON and a final newline. */
export async function renderPolicySchema() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/shared/policy/json-schema.ts'],
    bundle: true,
    write: false,
    platform: 'neutral',
    format: 'esm',
    target: 'es2023',
    logLevel: 'error',
  });
  const code = result.outputFiles[0].text;
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return `${JSON.stringify(module.policyJsonSchema(), null, 2)}\n`;
}

async function main() {
  const rendered = await renderPolicySchema();
  const current = await readFile(target, 'utf8').catch((error) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const relative = path.relative(root, target);
  if (process.argv.includes('--check')) {
    if (current === rendered) return;
    process.stderr.write(`${relative} は古くなっています。npm run gen:schema を実行してください / ${relative} is stale: run npm run gen:schema\n`);
    process.exitCode = 1;
    return;
  }
  if (current === rendered) {
    process.stderr.write(`gen:schema: ${relative} is up to date\n`);
    return;
  }
  await writeFile(target, rendered);
  process.stderr.write(`gen:schema: wrote ${relative}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`gen:schema failed: ${error.message}\n`);
    process.exit(1);
  });
}
