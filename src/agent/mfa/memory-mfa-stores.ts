import type { EmergencyCodeRecord, TokenRecord, VerificationState } from './model';
import type { EmergencyCodeStore, SecretStore, VerificationStateStore } from './ports';

/**
 * In-memory MFA stores for tests and for wiring other modules' tests (IPC, sessions) without files.
 * They copy on the way in and out, like a real store, so a caller cannot change stored state by
 * mutating what it passed or got.
 */
export function createMemoryMfaStores(): { readonly secrets: SecretStore; readonly states: VerificationStateStore; readonly emergency: EmergencyCodeStore } {
  const tokens = new Map<string, TokenRecord>();
  const states = new Map<string, VerificationState>();
  const codes = new Map<string, EmergencyCodeRecord[]>();
  const copyToken = (record: TokenRecord): TokenRecord => ({ ...record, secret: new Uint8Array(record.secret) });
  return {
    secrets: {
      get: async (user) => {
        const record = tokens.get(user);
        return record === undefined ? null : copyToken(record);
      },
      put: async (record) => {
        tokens.set(record.user, copyToken(record));
      },
      remove: async (user) => tokens.delete(user),
      list: async () => [...tokens.keys()].sort(),
    },
    states: {
      get: async (user) => {
        const state = states.get(user);
        return state === undefined ? null : { ...state };
      },
      put: async (state) => {
        states.set(state.user, { ...state });
      },
      list: async () => [...states.keys()].sort(),
    },
    emergency: {
      list: async (user) => (codes.get(user) ?? []).map((record) => ({ ...record })),
      put: async (record) => {
        codes.set(record.user, [...(codes.get(record.user) ?? []), { ...record }]);
      },
      replaceAll: async (user, records) => {
        codes.set(
          user,
          records.map((record) => ({ ...record })),
        );
      },
    },
  };
}
