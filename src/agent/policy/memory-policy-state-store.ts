import type { PolicyStateStore } from './ports';

/**
 * PolicyStateStore in memory: for tests and for a dry run that must not touch the disk. Kept
 * honest by the contract suite test/contracts/policy-state-store.test.ts, which runs against it
 * and the file adapter alike. Copies on the way in and out, as the file store does.
 */
export function createMemoryPolicyStateStore(initial?: Uint8Array): PolicyStateStore & { writes: number } {
  let document = initial === undefined ? undefined : new Uint8Array(initial);
  const store = {
    location: 'memory',
    writes: 0,
    read: async () => (document === undefined ? undefined : new Uint8Array(document)),
    write: async (next: Uint8Array) => {
      document = new Uint8Array(next);
      store.writes += 1;
    },
  };
  return store;
}
