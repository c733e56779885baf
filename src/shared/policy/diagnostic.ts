import type { Localized } from '../i18n';

/**
 * One finding about a policy document or bundle: where it is, what is wrong, in both languages.
 * `line` and `column` are 1-based and point into the YAML text (0 when the finding is about the
 * whole file, e.g. its size or its signature).
 */
export interface PolicyDiagnostic {
  /** Stable identifier of the kind of finding, e.g. `yaml-duplicate-key`, `unknown-field`. */
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly line: number;
  readonly column: number;
  /**
   * Dotted path of the field concerned, e.g. `spec.mfa.totp.digits`, list items as `[n]`
   * (0-based: `spec.usb.rules[3]`); '' for the whole document.
   */
  readonly path: string;
  readonly message: Localized;
}
