import { describe, expect, it } from 'vitest';
import { emptyPolicyState, findAccepted, parsePolicyState, recordAccepted, serializePolicyState, type PolicyState } from './policy-state';

const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const encoder = new TextEncoder();

describe('policy state document', () => {
  const state: PolicyState = recordAccepted(
    recordAccepted(emptyPolicyState, { id: 'zone-b', version: 2, payloadSha256: hashB, acceptedAtMs: 5 }, { bundle: new Uint8Array([1]), source: 'x', appliedAtMs: 5 }),
    { id: 'zone-a', version: 7, payloadSha256: hashA, acceptedAtMs: 9 },
    { bundle: new Uint8Array([0, 255, 3]), source: '/etc/mng/zone.bundle.json', appliedAtMs: 9 },
  );

  it('round-trips', () => {
    const parsed = parsePolicyState(serializePolicyState(state));
    expect(parsed).toEqual({ ok: true, value: state });
    expect(state.accepted.map((r) => r.id)).toEqual(['zone-a', 'zone-b']);
  });

  it('keeps the first acceptance time when the same version is accepted again', () => {
    const again = recordAccepted(state, { id: 'zone-a', version: 7, payloadSha256: hashA, acceptedAtMs: 99 }, { bundle: new Uint8Array([2]), source: 'y', appliedAtMs: 99 });
    expect(findAccepted(again, 'zone-a')?.acceptedAtMs).toBe(9);
    expect(again.lastGood?.source).toBe('y');
    const higher = recordAccepted(state, { id: 'zone-a', version: 8, payloadSha256: hashB, acceptedAtMs: 100 }, { bundle: new Uint8Array([2]), source: 'y', appliedAtMs: 100 });
    expect(findAccepted(higher, 'zone-a')).toMatchObject({ version: 8, payloadSha256: hashB });
  });

  it.each([
    ['not JSON', 'nope', 'not readable JSON'],
    ['another format', '{"format":"x","accepted":[],"lastGood":null}', 'format'],
    ['an unknown field', '{"format":"mynumber-guard.policy-state/v1","accepted":[],"lastGood":null,"x":1}', 'invalid'],
    [
      'a negative version',
      '{"format":"mynumber-guard.policy-state/v1","accepted":[{"id":"a","version":-1,"payloadSha256":"' + hashA + '","acceptedAtMs":0}],"lastGood":null}',
      'accepted.0.version',
    ],
    [
      'a duplicated id',
      '{"format":"mynumber-guard.policy-state/v1","accepted":[{"id":"a","version":1,"payloadSha256":"' + hashA + '","acceptedAtMs":0},{"id":"a","version":2,"payloadSha256":"' + hashA + '","acceptedAtMs":0}],"lastGood":null}',
      'twice',
    ],
  ])('refuses %s with a message', (_name, text, fragment) => {
    const parsed = parsePolicyState(encoder.encode(text));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.en).toContain(fragment);
      expect(parsed.error.ja).not.toBe('');
    }
  });
});
