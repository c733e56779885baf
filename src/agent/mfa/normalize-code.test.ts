import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanTypedCode, formatEmergencyCode, maxTypedCodeLength, normalizeCode, normalizeEmergencyCode } from './normalize-code';

const fullWidth = (digits: string): string => [...digits].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');

describe('normalizeCode', () => {
  it.each([
    ['123456', 6, '123456'],
    ['１２３４５６', 6, '123456'],
    ['123 456', 6, '123456'],
    [' 123456 ', 6, '123456'],
    ['123\u3000456', 6, '123456'],
    ['１２３　４５６', 6, '123456'],
    ['\t123456\t', 6, '123456'],
    ['123-456', 6, '123456'],
    ['１２３－４５６', 6, '123456'],
    ['123ー456', 6, '123456'],
    ['1234-5678', 8, '12345678'],
    ['12345678', 8, '12345678'],
  ])('accepts %j for %i digits', (input, digits, code) => {
    expect(normalizeCode(input, digits)).toEqual({ ok: true, code });
  });

  it.each([
    ['', 6],
    ['12345', 6],
    ['1234567', 6],
    ['12345678', 6],
    ['123456', 8],
    ['abcdef', 6],
    ['12345a', 6],
    ['１２３４５ａ', 6],
    ['12-3456', 6],
    ['1-2-3456', 6],
    ['123--456', 6],
    ['-123456', 6],
    ['123456-', 6],
    ['+123456', 6],
    ['123.456', 6],
    ['１２３４５６\n', 6],
    ['٣٣٣٣٣٣', 6],
    ['      ', 6],
    ['-', 6],
  ])('refuses %j for %i digits as malformed', (input, digits) => {
    expect(normalizeCode(input, digits)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a 1 MB string without scanning it', () => {
    const huge = '1'.repeat(1024 * 1024);
    const started = performance.now();
    expect(normalizeCode(huge, 6)).toEqual({ ok: false, reason: 'malformed' });
    expect(cleanTypedCode(huge)).toBeNull();
    expect(performance.now() - started).toBeLessThan(50);
    expect(cleanTypedCode('1'.repeat(maxTypedCodeLength + 1))).toBeNull();
  });

  it('property: any digits, in any mix of half and full width with spaces, normalize to the ASCII digits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 8),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.constantFrom('', ' ', '\u3000', '\t'), { minLength: 9, maxLength: 9 }),
        (digits, all, wide, spaces) => {
          const code = all.slice(0, digits);
          const typed = [...code].map((d, i) => `${spaces[i]}${wide[i] ? fullWidth(d) : d}`).join('') + spaces[8];
          expect(normalizeCode(typed, digits)).toEqual({ ok: true, code });
        },
      ),
    );
  });

  it('property: never throws and only ever returns ASCII digits of the asked length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.constantFrom(6, 8, 10), (input, digits) => {
        const result = normalizeCode(input, digits);
        if (result.ok) expect(result.code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
        else expect(result.reason).toBe('malformed');
      }),
    );
  });

  it('property: any input with a letter is malformed', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789 '), maxLength: 10 }), fc.constantFrom(...'aZｘあ漢.+_/'), fc.nat(10), (base, letter, at) => {
        const position = Math.min(at, base.length);
        expect(cleanTypedCode(base.slice(0, position) + letter + base.slice(position))).toBeNull();
      }),
    );
  });
});

describe('emergency codes', () => {
  it('normalizes the displayed form, with or without the hyphen, full width included', () => {
    expect(formatEmergencyCode('1234567890')).toBe('12345-67890');
    expect(normalizeEmergencyCode('12345-67890')).toEqual({ ok: true, code: '1234567890' });
    expect(normalizeEmergencyCode('１２３４５－６７８９０')).toEqual({ ok: true, code: '1234567890' });
    expect(normalizeEmergencyCode('1234567890')).toEqual({ ok: true, code: '1234567890' });
    expect(normalizeEmergencyCode('1234-567890')).toEqual({ ok: false, reason: 'malformed' });
  });
});
