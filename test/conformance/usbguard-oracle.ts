// Runs Debian's usbguard-rule-parser (USBGuard 1.1.2) on one rule per process and reads its
// verdict, and compares it with mynumber-guard's parser. dev-environment.md §7.1 describes the
// tool; usb-and-media.md §2.4 the quirks. TZ=UTC because USBGuard reads the seconds of
// localtime(…) as epoch seconds in local time (a glibc %s quirk), which would make acceptance
// depend on the machine's zone.
import { spawn } from 'node:child_process';
import { encodeRuleText } from '../../src/shared/usb-rules/bytes';
import { parseUsbRuleLine, printUsbRule, type UsbRule, type UsbRuleErrorCode } from '../../src/shared/usb-rules';

/** What the oracle said about one rule. */
export type OracleVerdict =
  | { readonly kind: 'accepted'; readonly output: Buffer }
  | { readonly kind: 'exception'; readonly message: string }
  | { readonly kind: 'rejected'; readonly line: number; readonly column: number; readonly message: string }
  | { readonly kind: 'unexpected'; readonly status: number | null; readonly stdout: string; readonly stderr: string };

/** Runs the oracle on one rule. */
export function runOracle(rule: string): Promise<OracleVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn('usbguard-rule-parser', ['--', rule], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errOut.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(errOut).toString('latin1');
      resolve(readVerdict(rule, status, stdout, stderr));
    });
  });
}

function readVerdict(rule: string, status: number | null, stdout: Buffer, stderr: string): OracleVerdict {
  const input = Buffer.concat([Buffer.from('INPUT: '), Buffer.from(encodeRuleText(rule)), Buffer.from('\n')]);
  const unexpected: OracleVerdict = { kind: 'unexpected', status, stdout: stdout.toString('latin1'), stderr };
  if (!stdout.subarray(0, input.length).equals(input)) return unexpected;
  const rest = stdout.subarray(input.length);
  const outputPrefix = Buffer.from('OUTPUT: ');
  if (status === 0) {
    if (!rest.subarray(0, outputPrefix.length).equals(outputPrefix) || rest[rest.length - 1] !== 0x0a) return unexpected;
    return { kind: 'accepted', output: rest.subarray(outputPrefix.length, rest.length - 1) };
  }
  if (status !== 1) return unexpected;
  // A rule that parses but cannot be printed: "OUTPUT: " on stdout, the exception on stderr.
  const exception = /^! EXCEPTION: (.*)\n$/s.exec(stderr);
  if (exception !== null && rest.toString('latin1') === 'OUTPUT: ') return { kind: 'exception', message: exception[1] as string };
  const where = /\^-- <argv>:(\d+):(\d+): (.*)\n$/s.exec(stderr);
  if (where === null || rest.length !== 0) return unexpected;
  return { kind: 'rejected', line: Number(where[1]), column: Number(where[2]), message: where[3] as string };
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()));
  return results;
}

/** Codes for the "parse error matching sor<comment, rule>" failure: nothing could continue there. */
const TOP_LEVEL_CODES: readonly UsbRuleErrorCode[] = [
  'leading-whitespace',
  'target-unknown',
  'trailing-whitespace',
  'line-break',
  'unexpected-text',
  'attribute-unknown',
  'attribute-value-invalid',
  'extension-not-usbguard',
];

/** The error codes of ours that correspond to one oracle message. */
export function codesForOracleMessage(message: string): readonly UsbRuleErrorCode[] {
  if (message.startsWith('parse error matching tao::pegtl::sor<usbguard::RuleParser::comment, usbguard::RuleParser::rule>')) return TOP_LEVEL_CODES;
  if (message.startsWith('parse error matching tao::pegtl::rep<2, tao::pegtl::ascii::xdigit>') || message.includes('escaped_hexbyte')) {
    return ['string-escape-invalid', 'argument-escape-invalid'];
  }
  // PEGTL spells the quote character as '\"' in the demangled type name.
  if (/^parse error matching tao::pegtl::until<tao::pegtl::ascii::one<'\\?"'>/.test(message)) return ['string-unterminated'];
  if (message.startsWith("parse error matching tao::pegtl::until<tao::pegtl::ascii::one<')'>")) return ['argument-unterminated'];
  if (/^(id|name|hash|parent-hash|serial|via-port|with-interface|with-connect-type) attribute already defined$/.test(message) || message === 'conditions already defined') {
    return ['attribute-duplicate'];
  }
  const exact: Record<string, readonly UsbRuleErrorCode[]> = {
    'Unknown escape sequence': ['string-escape-unsupported'],
    'Invalid USB device id format': ['device-id-invalid'],
    'BUG: Setting single value for a multivalued attribute': ['device-id-conflict'],
    'Invalid type_string': ['interface-invalid'],
    'Unknown rule condition': ['condition-unknown'],
    'Invalid condition string. Invalid parameter.': ['condition-argument-empty'],
    'usbguard::Exception': ['localtime-invalid', 'localtime-range-inverted'],
    'Invalid time string. Expecing either HH:MM or HH:MM:SS format.': ['duration-invalid'],
    'Invalid time string. Expecing either HH:MM, HH:MM:SS or SS format.': ['duration-invalid'],
    stod: ['probability-invalid'],
    RuleParserError: ['allowed-matches-invalid'],
  };
  return exact[message] ?? [];
}

/** The rule as usbguard-rule-parser prints it: with its rule-evaluated → rule-applied bug (§2.4 #6). */
export function printLikeOracle(rule: UsbRule): string {
  if (rule.conditions === undefined) return printUsbRule(rule);
  const values = rule.conditions.values.map((c) => (c.kind === 'rule-evaluated' ? { ...c, kind: 'rule-applied' as const } : c));
  return printUsbRule({ ...rule, conditions: { operator: rule.conditions.operator, values } });
}

/** Compares our verdict on a rule with the oracle's; a description of the difference, or undefined. */
export function compareWithOracle(rule: string, oracle: OracleVerdict): string | undefined {
  const ours = parseUsbRuleLine(rule, { extensions: false });
  const oursText = ours.ok
    ? `accepted: ${ours.value === undefined ? '(comment only)' : JSON.stringify(printLikeOracle(ours.value))}`
    : `rejected at ${ours.error.line}:${ours.error.byteColumn} [${ours.error.code}] ${ours.error.message.en}`;
  const describe = (problem: string): string =>
    `${problem}\n  rule:   ${JSON.stringify(rule)}\n  oracle: ${JSON.stringify(oracle)}\n  ours:   ${oursText}`;
  switch (oracle.kind) {
    case 'unexpected':
      return describe('the oracle answered in an unexpected way');
    case 'accepted': {
      if (!ours.ok) return describe('the oracle accepts, we reject');
      const printed = ours.value === undefined ? '' : printLikeOracle(ours.value);
      return Buffer.from(encodeRuleText(printed)).equals(oracle.output) ? undefined : describe('different canonical output');
    }
    case 'exception':
      if (oracle.message !== 'Invalid rule target string') return describe('unknown oracle exception');
      return !ours.ok && ours.error.code === 'rule-empty' ? undefined : describe('the oracle finds no target, we do not say rule-empty');
    case 'rejected': {
      if (ours.ok) return describe('the oracle rejects, we accept');
      if (ours.error.byteColumn !== oracle.column) return describe('different error column');
      const codes = codesForOracleMessage(oracle.message);
      return codes.includes(ours.error.code) ? undefined : describe(`error code does not fit the oracle's message (expected one of ${codes.join(', ') || 'none known'})`);
    }
  }
}
