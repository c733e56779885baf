import { pick, type Lang } from '../i18n';
import type { PolicyDiagnostic } from './diagnostic';

/**
 * One line for a person, in the style compilers use so editors can jump to it:
 * `source:line:col: エラー: message [code]` (ja) or `source:line:col: error: message [code]` (en).
 * A finding about the whole file (line 0) prints as `source: error: message [code]`.
 */
export function formatDiagnostic(d: PolicyDiagnostic, lang: Lang, source: string): string {
  const severity = lang === 'en' ? d.severity : d.severity === 'error' ? 'エラー' : '警告';
  const where = d.line > 0 ? `${source}:${d.line}:${d.column}` : source;
  return `${where}: ${severity}: ${pick(d.message, lang)} [${d.code}]`;
}
