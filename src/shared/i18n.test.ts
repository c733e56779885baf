import { describe, expect, it } from 'vitest';
import { decideLang, msg, pick } from './i18n';

describe('decideLang', () => {
  it.each([
    [undefined, undefined, 'ja'],
    [undefined, '', 'ja'],
    [undefined, 'C', 'ja'],
    [undefined, 'C.UTF-8', 'ja'],
    [undefined, 'POSIX', 'ja'],
    [undefined, 'ja_JP.UTF-8', 'ja'],
    [undefined, 'en_US.UTF-8', 'en'],
    [undefined, 'de_DE', 'en'],
    ['ja', 'en_US.UTF-8', 'ja'],
    ['en', 'ja_JP.UTF-8', 'en'],
    ['fr', 'ja_JP.UTF-8', 'ja'],
  ] as const)('explicit %s, locale %s → %s', (explicit, locale, expected) => {
    expect(decideLang(explicit, locale)).toBe(expected);
  });

  it('picks the text of a language', () => {
    const message = msg('拒否しました', 'refused');
    expect(pick(message, 'ja')).toBe('拒否しました');
    expect(pick(message, 'en')).toBe('refused');
  });
});
