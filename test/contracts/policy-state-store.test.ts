// Contract of the PolicyStateStore port (src/agent/policy/ports.ts), run against the file adapter
// and the in-memory fake, so the fake used by the policy manager tests cannot drift.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryPolicyStateStore } from '../../src/agent/policy/memory-policy-state-store';
import type { PolicyStateStore } from '../../src/agent/policy/ports';
import { createFilePolicyStateStore, policyStateFileName } from '../../src/agent/platform/node';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function freshDir(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mng-state-'));
  roots.push(root);
  return path.join(root, 'state', 'nested');
}

const adapters: [string, () => PolicyStateStore][] = [
  ['file', () => createFilePolicyStateStore({ stateDir: freshDir() })],
  ['memory', () => createMemoryPolicyStateStore()],
];

describe.each(adapters)('PolicyStateStore contract: %s', (_name, create) => {
  it('reads undefined before the first write', async () => {
    expect(await create().read()).toBeUndefined();
  });

  it('reads back exactly the last document written', async () => {
    const store = create();
    await store.write(new Uint8Array([1, 2, 3]));
    await store.write(new Uint8Array([4, 5]));
    expect(await store.read()).toEqual(new Uint8Array([4, 5]));
  });

  it('is not affected by later changes to the written or read buffer', async () => {
    const store = create();
    const buffer = new Uint8Array([7, 7]);
    await store.write(buffer);
    buffer[0] = 0;
    const read = await store.read();
    expect(read).toEqual(new Uint8Array([7, 7]));
    if (read) read[1] = 0;
    expect(await store.read()).toEqual(new Uint8Array([7, 7]));
  });

  it('names its location', () => {
    expect(create().location).not.toBe('');
  });
});

describe('file policy state store', () => {
  it('creates the folder 0700 and the file 0600, leaves no temporary file', async () => {
    const dir = freshDir();
    const store = createFilePolicyStateStore({ stateDir: dir });
    await store.write(new TextEncoder().encode('{}'));
    await store.write(new TextEncoder().encode('{"a":1}'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, policyStateFileName)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([policyStateFileName]);
    expect(store.location).toBe(path.join(dir, policyStateFileName));
  });

  it('ignores a temporary file left behind by a crash', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `.${policyStateFileName}.123.abc.tmp`), 'half written');
    const store = createFilePolicyStateStore({ stateDir: dir });
    expect(await store.read()).toBeUndefined();
    await store.write(new Uint8Array([1]));
    expect(await store.read()).toEqual(new Uint8Array([1]));
  });

  it('refuses a state path that is a directory with a clear error', async () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, policyStateFileName), { recursive: true });
    await expect(createFilePolicyStateStore({ stateDir: dir }).read()).rejects.toMatchObject({ code: 'MNG_E_NOT_REGULAR_FILE' });
  });
});
