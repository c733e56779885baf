// A policy for isolation tests and benchmarks: the default policy with its isolation section
// replaced, so the rest follows the schema as it evolves.
import { defaultPolicyText } from './policy-fixtures';

/** The default policy with its isolation section replaced (JSON is YAML flow style). */
export function isolationPolicyText(isolation: Record<string, unknown>): string {
  const base = defaultPolicyText();
  const start = base.indexOf('\n  isolation:\n');
  const end = base.indexOf('\n    checkIntervalSeconds:', start);
  const endOfLine = base.indexOf('\n', end + 1);
  if (start === -1 || end === -1) throw new Error('isolationPolicyText: no isolation section in the default policy');
  const body = Object.entries({ implements: ['test'], checkIntervalSeconds: 60, ...isolation })
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
    .join('\n');
  return `${base.slice(0, start)}\n  isolation:\n${body}${base.slice(endOfLine)}`;
}

