import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { productVersion } from '../../src/shared/version';
import { repoRoot, runMng } from '../helpers/mng';

it('mng --version prints the product version, which matches package.json', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  expect(productVersion).toBe(pkg.version);
  const run = runMng(['--version']);
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe(pkg.version);
});
