/**
 * UI and operator text is Japanese first, English available (STYLE.md §6). Every message that a
 * person reads is carried as both languages; the presenter (CLI, tray, collector UI) picks one.
 */
export type Lang = 'ja' | 'en';

/** A message in both languages. `ja` is the primary text. */
export interface Localized {
  readonly ja: string;
  readonly en: string;
}

/** Builds a localized message. */
export function msg(ja: string, en: string): Localized {
  return { ja, en };
}

/** Picks the text of one language. */
export function pick(message: Localized, lang: Lang): string {
  return lang === 'en' ? message.en : message.ja;
}

/**
 * Chooses the language from an explicit option or a POSIX locale string (LC_ALL, LC_MESSAGES,
 * LANG). Japanese unless the locale clearly asks for something else: the product's users are
 * Japanese municipal staff.
 */
export function decideLang(explicit: string | undefined, locale: string | undefined): Lang {
  if (explicit === 'ja' || explicit === 'en') return explicit;
  // An unset, C or POSIX locale is no choice at all: keep the product's primary language.
  if (locale === undefined || locale === '' || locale === 'POSIX' || /^C(\.|$)/.test(locale)) return 'ja';
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}
