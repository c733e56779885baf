import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRadio, decideRadios, isRadioBlocked, radioKindOf, type RadioRules } from './decide-radios';
import type { RadioFacts } from './model';

const radio = (type: string, soft: boolean | null = false, hard: boolean | null = false, index = 0): RadioFacts => ({ index, type, name: `${type}${index}`, soft, hard });

describe('radioKindOf', () => {
  it.each([
    ['wlan', 'wifi'],
    ['bluetooth', 'bluetooth'],
    ['wwan', 'wwan'],
    ['wimax', 'wimax'],
    ['ultrawideband', 'uwb'],
    ['nfc', 'nfc'],
    ['gps', 'gps'],
    ['fm', 'fm'],
    ['all', 'other'],
    ['WLAN', 'other'],
    ['__proto__', 'other'],
    ['constructor', 'other'],
  ])('%s → %s', (type, kind) => {
    expect(radioKindOf(type)).toBe(kind);
  });
});

describe('decideRadio', () => {
  const both = (wifi: 'block' | 'allow', bluetooth: 'block' | 'allow'): RadioRules => ({ wifi, bluetooth });

  // type, rules, expected target, basis
  it.each([
    ['wlan', undefined, 'block', 'no-policy'],
    ['bluetooth', undefined, 'block', 'no-policy'],
    ['wwan', undefined, 'block', 'no-policy'],
    ['wimax', undefined, 'block', 'no-policy'],
    ['nfc', undefined, 'report', 'not-controlled'],
    ['gps', undefined, 'report', 'not-controlled'],
    ['fm', undefined, 'report', 'not-controlled'],
    ['ultrawideband', undefined, 'report', 'not-controlled'],
    ['wlan', both('allow', 'block'), 'allow', 'policy'],
    ['bluetooth', both('allow', 'block'), 'block', 'policy'],
    ['wwan', both('allow', 'block'), 'report', 'follows-wifi'],
    ['wlan', both('block', 'allow'), 'block', 'policy'],
    ['bluetooth', both('block', 'allow'), 'allow', 'policy'],
    ['wwan', both('block', 'allow'), 'block', 'follows-wifi'],
  ] as const)('%s under %o → %s (%s)', (type, rules, target, basis) => {
    const decision = decideRadio(radio(type), rules, false);
    expect([decision.target, decision.basis]).toEqual([target, basis]);
    expect(decision.action).toBe(target === 'block' ? 'soft-block' : 'none');
  });

  it('counts a hard-blocked radio as blocked, and still adds the soft block (the switch can be flipped back)', () => {
    const decision = decideRadio(radio('wlan', false, true), undefined, false);
    expect(decision.blocked).toBe(true);
    expect(decision.action).toBe('soft-block');
    expect(decision.drift).toBe(false);
  });

  it('writes nothing for a radio already soft-blocked', () => {
    expect(decideRadio(radio('bluetooth', true, false), undefined, true)).toMatchObject({ blocked: true, action: 'none', drift: false });
  });

  it('reports drift when a radio seen blocked is unblocked again', () => {
    expect(decideRadio(radio('wlan', false, false), both('block', 'block'), true)).toMatchObject({ blocked: false, action: 'soft-block', drift: true });
    // Unknown state after being blocked is drift too (fail closed).
    expect(decideRadio(radio('wlan', null, false), both('block', 'block'), true)).toMatchObject({ blocked: null, action: 'soft-block', drift: true });
  });

  it('never reports drift for an allowed radio', () => {
    expect(decideRadio(radio('wlan', false, false), both('allow', 'allow'), true)).toMatchObject({ target: 'allow', drift: false, action: 'none' });
  });

  it('decideRadios keeps order and looks drift up by index', () => {
    const decisions = decideRadios([radio('wlan', false, false, 3), radio('bluetooth', false, false, 7)], undefined, new Set([7]));
    expect(decisions.map((d) => [d.index, d.drift])).toEqual([
      [3, false],
      [7, true],
    ]);
  });
});

describe('decideRadio properties', () => {
  const flag = fc.constantFrom(true, false, null);
  const arbRadio = fc.record({
    index: fc.nat(1000),
    type: fc.oneof(fc.constantFrom('wlan', 'bluetooth', 'wwan', 'wimax', 'ultrawideband', 'nfc', 'gps', 'fm', 'all'), fc.string()),
    name: fc.string(),
    soft: flag,
    hard: flag,
  });
  const arbRules = fc.option(fc.record({ wifi: fc.constantFrom('block' as const, 'allow' as const), bluetooth: fc.constantFrom('block' as const, 'allow' as const) }), { nil: undefined });

  it('writes only to reach a block, and only when the soft block is not already on', () => {
    fc.assert(
      fc.property(arbRadio, arbRules, fc.boolean(), (r, rules, was) => {
        const d = decideRadio(r, rules, was);
        expect(d.action === 'soft-block').toBe(d.target === 'block' && r.soft !== true);
        if (d.drift) expect(d.target === 'block' && was && d.blocked !== true).toBe(true);
        expect(d.blocked).toBe(isRadioBlocked(r));
      }),
    );
  });

  it('without a policy nothing is allowed, and every Wi-Fi, Bluetooth and WWAN radio is blocked', () => {
    fc.assert(
      fc.property(arbRadio, (r) => {
        const d = decideRadio(r, undefined, false);
        expect(d.target).not.toBe('allow');
        if (['wifi', 'bluetooth', 'wwan'].includes(d.kind)) expect(d.target).toBe('block');
      }),
    );
  });

  it('a policy that blocks is never weaker than the policy that allows', () => {
    fc.assert(
      fc.property(arbRadio, (r) => {
        const strict = decideRadio(r, { wifi: 'block', bluetooth: 'block' }, false);
        const loose = decideRadio(r, { wifi: 'allow', bluetooth: 'allow' }, false);
        if (loose.target === 'block') expect(strict.target).toBe('block');
      }),
    );
  });
});
