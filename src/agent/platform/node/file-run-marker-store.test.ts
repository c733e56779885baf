import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileRunMarkerStore, runMarkerFileName } from './file-run-marker-store';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-run-marker-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

describe('file run marker store', () => {
  it('absent before the first write; written 0600 in a 0700 state folder; gone after remove (twice is fine)', async () => {
    const dir = stateDir();
    const store = createFileRunMarkerStore({ stateDir: dir });
    expect(store.location).toBe(path.join(dir, runMarkerFileName));
    expect(await store.read()).toBeUndefined();
    await store.write('{"pid":1}\n');
    expect(await store.read()).toBe('{"pid":1}\n');
    expect(statSync(store.location).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await store.remove();
    await store.remove();
    expect(await store.read()).toBeUndefined();
  });

  it('something there that is not a readable file rejects (the runtime counts it as an unclean stop)', async () => {
    const dir = stateDir();
    mkdirSync(path.join(dir, runMarkerFileName), { recursive: true });
    await expect(createFileRunMarkerStore({ stateDir: dir }).read()).rejects.toThrow();
  });
});
