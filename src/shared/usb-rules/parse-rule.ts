import type { Localized } from '../i18n';
import { err, ok, type Result } from '../result';
import { decodeRuleBytes, encodeRuleText } from './bytes';
import { parseCDouble, strptime, type StrptimeResult } from './c-library';
import { attributeValueInvalid, messages, type ValueProblem } from './messages';
import {
  USB_SET_OPERATORS,
  type UsbDeviceIdPattern,
  type UsbInterfacePattern,
  type UsbInterfaceTarget,
  type UsbRule,
  type UsbRuleCondition,
  type UsbRuleError,
  type UsbRuleErrorCode,
  type UsbRuleLine,
  type UsbRuleParseOptions,
  type UsbRuleSet,
  type UsbRuleTarget,
  type UsbSetOperator,
} from './model';

/**
 * Parser of the USBGuard rule language, written to accept exactly what `usbguard-rule-parser`
 * 1.1.2 (Debian 12) accepts and to report errors at the same place. USBGuard's parser is a PEGTL
 * grammar (src/Library/RuleParser/Grammar.hpp) whose actions mutate one Rule object while the
 * parse goes on; this file mirrors that grammar function by function and keeps the same
 * side-effects, because several of its quirks are visible:
 *
 * - the whole line is `until<eof, must<sor<comment, rule>>>`: rules may follow each other without
 *   a space (`allowblock` is `block`), and their attributes add up in one rule;
 * - no white space before the target and none after the last attribute (1.1.2; upstream later
 *   allowed both: usb-and-media.md §2.4 #7) — we follow 1.1.2 so a rule that passes here loads in
 *   the USBGuard that Debian 12 ships;
 * - an attribute keyword is checked for duplicates as soon as it is read, even where the
 *   attribute then fails to parse; `label` is never checked (a 1.1.2 bug), so labels add up;
 * - string escapes pass the grammar (`\t`, `\101`) and are refused afterwards (only `\xHH`, `\"`,
 *   `\\`); condition arguments are kept raw and checked by the condition (strtod, strptime).
 *
 * Columns are bytes, as PEGTL counts them. Limits USBGuard does not have: a rule is at most
 * {@link MAX_USB_RULE_BYTES} bytes, a set at most {@link MAX_USB_RULE_SET_SIZE} values, and
 * `allowed-matches` nests at most {@link MAX_USB_RULE_NESTING} levels. Nothing recurses except
 * `allowed-matches`, so no input can exhaust the stack.
 */

/** Longest rule accepted, in UTF-8 bytes. USBGuard has no limit; ours keeps parsing cheap. */
export const MAX_USB_RULE_BYTES = 16_384;
/** Most values in one set (`{ … }`), and most pairs in `interface-target`. */
export const MAX_USB_RULE_SET_SIZE = 256;
/**
 * Deepest nesting of `allowed-matches` (each level parses a partial rule). A safety net: the
 * grammar cannot close an argument inside an argument, so real rules nest one level at most.
 */
export const MAX_USB_RULE_NESTING = 4;
/** Largest rule file `parseUsbRuleFile` reads, in UTF-16 code units of the text (4 Mi). */
export const MAX_USB_RULE_FILE_LENGTH = 4 * 1024 * 1024;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const HASH = 0x23;
const LPAREN = 0x28;
const RPAREN = 0x29;
const STAR = 0x2a;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const BANG = 0x21;
const DASH = 0x2d;

const isBlank = (c: number | undefined): boolean => c === SPACE || c === TAB;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHexDigit = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
const isAlpha = (c: number | undefined): boolean => c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));

/** grammar `escaped_single`: characters a backslash may precede (besides the boundary, digits and x). */
const ESCAPED_SINGLE = new Set([0x61, 0x62, 0x66, 0x6e, 0x72, 0x74, 0x76, BACKSLASH, 0x27, 0x30, LF]);

/** A `must` that failed or an action that threw: ends the whole parse, like PEGTL's parse_error. */
class ParseStop {
  constructor(
    readonly pos: number,
    readonly code: UsbRuleErrorCode,
    readonly message: Localized,
  ) {}
}

interface MutableSet<T> {
  operator: UsbSetOperator;
  values: T[];
}

type SetField = 'id' | 'serial' | 'name' | 'hash' | 'parentHash' | 'viaPort' | 'withInterface' | 'conditions' | 'withConnectType' | 'label';

type ValueKind = 'string' | 'id' | 'interface' | 'condition';

interface AttributeSpec {
  readonly keyword: string;
  readonly field: SetField;
  readonly kind: ValueKind;
  /** Checked for a second occurrence (USBGuard 1.1.2 never checks `label`). */
  readonly unique: boolean;
}

/** The attributes in the order of the grammar's `sor` (the order matters for which error wins). */
const ATTRIBUTES: readonly AttributeSpec[] = [
  { keyword: 'id', field: 'id', kind: 'id', unique: true },
  { keyword: 'name', field: 'name', kind: 'string', unique: true },
  { keyword: 'hash', field: 'hash', kind: 'string', unique: true },
  { keyword: 'parent-hash', field: 'parentHash', kind: 'string', unique: true },
  { keyword: 'serial', field: 'serial', kind: 'string', unique: true },
  { keyword: 'via-port', field: 'viaPort', kind: 'string', unique: true },
  { keyword: 'with-interface', field: 'withInterface', kind: 'interface', unique: true },
  { keyword: 'with-connect-type', field: 'withConnectType', kind: 'string', unique: true },
  { keyword: 'if', field: 'conditions', kind: 'condition', unique: true },
  { keyword: 'label', field: 'label', kind: 'string', unique: false },
];

const EXTENSION_ATTRIBUTES = ['interface-target', 'expires'] as const;
const TARGETS: readonly UsbRuleTarget[] = ['allow', 'block', 'reject', 'match', 'device'];
const EXTENSION_TARGET: UsbRuleTarget = 'read-only';

/** What USBGuard's Rule object holds while the parse goes on. */
interface Accumulator {
  target: UsbRuleTarget | 'empty' | undefined;
  readonly sets: {
    readonly id: MutableSet<UsbDeviceIdPattern>;
    readonly serial: MutableSet<string>;
    readonly name: MutableSet<string>;
    readonly hash: MutableSet<string>;
    readonly parentHash: MutableSet<string>;
    readonly viaPort: MutableSet<string>;
    readonly withInterface: MutableSet<UsbInterfacePattern>;
    readonly conditions: MutableSet<UsbRuleCondition>;
    readonly withConnectType: MutableSet<string>;
    readonly label: MutableSet<string>;
  };
  interfaceTargets: UsbInterfaceTarget[] | undefined;
  interfaceTargetsAt: number;
  expires: { text: string; epochMs: number } | undefined;
}

const emptySet = <T>(): MutableSet<T> => ({ operator: 'equals', values: [] });

function newAccumulator(): Accumulator {
  return {
    target: undefined,
    sets: {
      id: emptySet(),
      serial: emptySet(),
      name: emptySet(),
      hash: emptySet(),
      parentHash: emptySet(),
      viaPort: emptySet(),
      withInterface: emptySet(),
      conditions: emptySet(),
      withConnectType: emptySet(),
      label: emptySet(),
    },
    interfaceTargets: undefined,
    interfaceTargetsAt: 0,
    expires: undefined,
  };
}

/** Bytes as a string of char codes 0..255: what the C functions of USBGuard see. */
function byteString(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 1) out += String.fromCharCode(bytes[i] as number);
  return out;
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO 8601 date-time with offset whose fields are all in range, else undefined. */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  if (m[8] !== 'Z' && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

class RuleParser {
  readonly acc = newAccumulator();
  private readonly n: number;

  constructor(
    private readonly b: Uint8Array,
    private readonly extensions: boolean,
    private readonly depth: number,
  ) {
    this.n = b.length;
  }

  /** grammar `rule_grammar`: until<eof, must<sor<comment, rule>>>. */
  run(): void {
    let pos = 0;
    while (pos < this.n) {
      const afterComment = this.comment(pos);
      if (afterComment >= 0) {
        pos = afterComment;
        continue;
      }
      const afterRule = this.rule(pos);
      if (afterRule >= 0) {
        pos = afterRule;
        continue;
      }
      throw this.stopAtTopLevel(pos);
    }
  }

  private startsWith(pos: number, word: string): boolean {
    if (pos + word.length > this.n) return false;
    for (let i = 0; i < word.length; i += 1) if (this.b[pos + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  private skipBlanks(pos: number): number {
    let i = pos;
    while (isBlank(this.b[i])) i += 1;
    return i;
  }

  /** grammar `comment`: star<blank>, '#', then everything to the end (line breaks included). */
  private comment(pos: number): number {
    const i = this.skipBlanks(pos);
    if (this.b[i] !== HASH) return -1;
    if (this.acc.target === undefined) this.acc.target = 'empty';
    return this.n;
  }

  /** grammar `rule`: target, opt<blank+ device_id>, opt<blank+ list<attribute, blank+>>, opt<comment>. */
  private rule(pos: number): number {
    let target: UsbRuleTarget | undefined;
    for (const candidate of this.extensions ? [...TARGETS, EXTENSION_TARGET] : TARGETS) {
      if (this.startsWith(pos, candidate)) {
        target = candidate;
        break;
      }
    }
    if (target === undefined) return -1;
    this.acc.target = target;
    let q = pos + target.length;

    if (isBlank(this.b[q])) {
      const at = this.skipBlanks(q);
      const end = this.deviceIdValue(at);
      if (end >= 0) {
        const id = this.deviceIdAction(at, end);
        // Rule::setDeviceID → Attribute::set(): replaces a single value, refuses a set of several.
        const set = this.acc.sets.id;
        if (set.values.length > 1) throw new ParseStop(at, 'device-id-conflict', messages.deviceIdConflict());
        set.values[0] = id;
        q = end;
      }
    }

    if (isBlank(this.b[q])) {
      const end = this.attribute(this.skipBlanks(q));
      if (end >= 0) {
        q = end;
        while (isBlank(this.b[q])) {
          const next = this.attribute(this.skipBlanks(q));
          if (next < 0) break;
          q = next;
        }
      }
    }

    const afterComment = this.comment(q);
    return afterComment >= 0 ? afterComment : q;
  }

  /** grammar `rule_attributes`: the first attribute whose keyword and value parse at `pos`. */
  private attribute(pos: number): number {
    for (const spec of ATTRIBUTES) {
      if (!this.startsWith(pos, spec.keyword)) continue;
      // The duplicate check is an action on the keyword: it fires before the value is read.
      if (spec.unique && this.acc.sets[spec.field].values.length > 0) {
        throw new ParseStop(pos, 'attribute-duplicate', messages.attributeDuplicate(spec.keyword));
      }
      let q = pos + spec.keyword.length;
      if (!isBlank(this.b[q])) continue;
      q = this.skipBlanks(q);
      const afterSet = this.multiset(spec, q);
      if (afterSet >= 0) return afterSet;
      const afterValue = this.value(spec, q);
      if (afterValue >= 0) return afterValue;
    }
    if (this.extensions) {
      if (this.startsWith(pos, 'interface-target')) return this.interfaceTargetAttribute(pos);
      if (this.startsWith(pos, 'expires')) return this.expiresAttribute(pos);
    }
    return -1;
  }

  /** grammar `attribute_value_multiset`: opt<operator blank+> '{' blank* list<value, blank+> blank* '}'. */
  private multiset(spec: AttributeSpec, pos: number): number {
    let i = pos;
    for (const operator of USB_SET_OPERATORS) {
      if (!this.startsWith(i, operator)) continue;
      // The operator's action runs as soon as it is read, even if no blank or brace follows.
      this.acc.sets[spec.field].operator = operator;
      const after = i + operator.length;
      if (isBlank(this.b[after])) i = this.skipBlanks(after);
      break;
    }
    if (this.b[i] !== LBRACE) return -1;
    i = this.skipBlanks(i + 1);
    const first = this.value(spec, i);
    if (first < 0) return -1;
    i = first;
    while (isBlank(this.b[i])) {
      const next = this.value(spec, this.skipBlanks(i));
      if (next < 0) break;
      i = next;
    }
    i = this.skipBlanks(i);
    return this.b[i] === RBRACE ? i + 1 : -1;
  }

  /** One value of an attribute, with its action (check, then append). */
  private value(spec: AttributeSpec, pos: number): number {
    const set = this.acc.sets[spec.field] as MutableSet<unknown>;
    const append = (value: unknown): void => {
      if (set.values.length >= MAX_USB_RULE_SET_SIZE) throw new ParseStop(pos, 'set-too-large', messages.setTooLarge(MAX_USB_RULE_SET_SIZE));
      set.values.push(value);
    };
    switch (spec.kind) {
      case 'string': {
        const end = this.boundedString(pos, QUOTE, QUOTE);
        if (end < 0) return -1;
        append(this.unescape(pos, end));
        return end;
      }
      case 'id': {
        const end = this.deviceIdValue(pos);
        if (end < 0) return -1;
        append(this.deviceIdAction(pos, end));
        return end;
      }
      case 'interface': {
        const end = this.interfaceValue(pos);
        if (end < 0) return -1;
        append(this.interfaceAction(pos, end));
        return end;
      }
      case 'condition': {
        const end = this.conditionValue(pos);
        if (end < 0) return -1;
        append(this.conditionAction(pos, end));
        return end;
      }
    }
  }

  /**
   * grammar `bounded_string<open, close>`: if_must<open, until<close, character<close>>>. Once the
   * opening character is read, any failure ends the parse (a `must`), at the byte where it failed.
   */
  private boundedString(pos: number, open: number, close: number): number {
    if (this.b[pos] !== open) return -1;
    const inArgument = close === RPAREN;
    let i = pos + 1;
    for (;;) {
      const c = this.b[i];
      if (c === undefined || c === CR || c === LF) {
        const found = c === undefined ? 'end' : c === CR ? 'cr' : 'lf';
        throw inArgument
          ? new ParseStop(i, 'argument-unterminated', messages.argumentUnterminated(found))
          : new ParseStop(i, 'string-unterminated', messages.stringUnterminated(found));
      }
      if (c === close) return i + 1;
      if (c !== BACKSLASH) {
        i += 1;
        continue;
      }
      const e = this.b[i + 1];
      const code: UsbRuleErrorCode = inArgument ? 'argument-escape-invalid' : 'string-escape-invalid';
      const text = inArgument ? messages.argumentEscapeInvalid : messages.stringEscapeInvalid;
      if (e === 0x78) {
        // escaped_hexbyte: if_must<'x', rep<2, xdigit>> fails after the hex digits it did read.
        let k = i + 2;
        if (isHexDigit(this.b[k])) k += 1;
        if (!isHexDigit(this.b[k])) throw new ParseStop(k, code, text(true));
        i = k + 1;
      } else if (isDigit(e)) {
        // escaped_decbyte: a digit and up to two more.
        let k = i + 2;
        if (isDigit(this.b[k])) k += 1;
        if (isDigit(this.b[k])) k += 1;
        i = k;
      } else if (e !== undefined && (ESCAPED_SINGLE.has(e) || e === close)) {
        i += 2;
      } else {
        throw new ParseStop(i + 1, code, text(false));
      }
    }
  }

  /** Utility::unescapeString on a string value's bytes: only \" \\ and \xHH survive. */
  private unescape(pos: number, end: number): string {
    const out = new Uint8Array(end - pos);
    let n = 0;
    for (let i = pos + 1; i < end - 1; i += 1) {
      const c = this.b[i] as number;
      if (c !== BACKSLASH) {
        out[n++] = c;
        continue;
      }
      const e = this.b[i + 1];
      if (e === QUOTE || e === BACKSLASH) {
        out[n++] = e;
        i += 1;
      } else if (e === 0x78) {
        out[n++] = Number.parseInt(String.fromCharCode(this.b[i + 2] as number, this.b[i + 3] as number), 16);
        i += 3;
      } else {
        throw new ParseStop(pos, 'string-escape-unsupported', messages.stringEscapeUnsupported());
      }
    }
    return decodeRuleBytes(out, 0, n);
  }

  /** grammar `device_id_value`: (hex4 | '*') ':' (hex4 | '*'). */
  private deviceIdValue(pos: number): number {
    const part = (at: number): number => {
      if (this.b[at] === STAR) return at + 1;
      for (let k = 0; k < 4; k += 1) if (!isHexDigit(this.b[at + k])) return -1;
      return at + 4;
    };
    const vendorEnd = part(pos);
    if (vendorEnd < 0 || this.b[vendorEnd] !== COLON) return -1;
    return part(vendorEnd + 1);
  }

  /** USBDeviceID's check: a `*` vendor needs a `*` product. */
  private deviceIdAction(pos: number, end: number): UsbDeviceIdPattern {
    const text = byteString(this.b, pos, end);
    const [vendorId, productId] = text.split(':') as [string, string];
    if (vendorId === '*' && productId !== '*') throw new ParseStop(pos, 'device-id-invalid', messages.deviceIdInvalid(text));
    return { vendorId, productId };
  }

  /** grammar `interface_value`: hex2 ':' (hex2 | '*') ':' (hex2 | '*'). */
  private interfaceValue(pos: number): number {
    const part = (at: number, star: boolean): number => {
      if (star && this.b[at] === STAR) return at + 1;
      return isHexDigit(this.b[at]) && isHexDigit(this.b[at + 1]) ? at + 2 : -1;
    };
    let i = part(pos, false);
    if (i < 0 || this.b[i] !== COLON) return -1;
    i = part(i + 1, true);
    if (i < 0 || this.b[i] !== COLON) return -1;
    return part(i + 1, true);
  }

  /** USBInterfaceType's check: class, class+subclass or all three; `08:*:50` is refused. */
  private interfaceAction(pos: number, end: number): UsbInterfacePattern {
    const text = byteString(this.b, pos, end);
    const [classCode, subclassCode, protocolCode] = text.toLowerCase().split(':') as [string, string, string];
    if (subclassCode === '*' && protocolCode !== '*') throw new ParseStop(pos, 'interface-invalid', messages.interfaceInvalid(text));
    return { classCode, subclassCode, protocolCode };
  }

  /** grammar `condition`: opt<'!'> identifier opt<'(' argument ')'>. */
  private conditionValue(pos: number): number {
    let i = pos;
    if (this.b[i] === BANG) i += 1;
    if (!isAlpha(this.b[i]) && this.b[i] !== DASH) return -1;
    i += 1;
    while (isAlpha(this.b[i]) || isDigit(this.b[i]) || this.b[i] === DASH) i += 1;
    if (this.b[i] === LPAREN) i = this.boundedString(i, LPAREN, RPAREN);
    return i;
  }

  /** RuleCondition(string): splits the condition and lets the named condition check its argument. */
  private conditionAction(pos: number, end: number): UsbRuleCondition {
    const negated = this.b[pos] === BANG;
    const start = negated ? pos + 1 : pos;
    let paren = -1;
    for (let i = start; i < end; i += 1) {
      if (this.b[i] === LPAREN) {
        paren = i;
        break;
      }
    }
    let identifier: string;
    let parameterStart = end;
    let parameterEnd = end;
    if (paren < 0) {
      identifier = byteString(this.b, start, end);
    } else {
      // "two parentheses + at least one character"
      if (end - paren < 3) throw new ParseStop(pos, 'condition-argument-empty', messages.conditionArgumentEmpty());
      identifier = byteString(this.b, start, paren);
      parameterStart = paren + 1;
      parameterEnd = end - 1;
    }
    const parameter = decodeRuleBytes(this.b, parameterStart, parameterEnd);
    const raw = byteString(this.b, parameterStart, parameterEnd);
    switch (identifier) {
      case 'true':
      case 'false':
        return { kind: identifier, negated };
      case 'allowed-matches':
        return { kind: 'allowed-matches', negated, parameter, rule: this.nestedRule(pos, parameterStart, parameterEnd) };
      case 'localtime': {
        const { beginSecond, endSecond } = this.localtime(pos, raw, parameter);
        return { kind: 'localtime', negated, parameter, beginSecond, endSecond };
      }
      case 'random': {
        const probability = raw === '' ? 0.5 : parseCDouble(raw);
        if (probability === undefined) throw new ParseStop(pos, 'probability-invalid', messages.probabilityInvalid(parameter));
        return { kind: 'random', negated, parameter, probability };
      }
      case 'rule-applied':
      case 'rule-evaluated': {
        if (raw === '') return { kind: identifier, negated, parameter, withinSeconds: 0 };
        const read = strptime(raw, '%H:%M:%s') ?? strptime(raw, '%H:%M') ?? strptime(raw, '%s');
        if (read === undefined) throw new ParseStop(pos, 'duration-invalid', messages.durationInvalid(identifier, parameter));
        return { kind: identifier, negated, parameter, withinSeconds: read.seconds };
      }
      default:
        throw new ParseStop(pos, 'condition-unknown', messages.conditionUnknown(decodeRuleBytes(this.b, start, paren < 0 ? end : paren)));
    }
  }

  /** LocaltimeCondition: `begin[-end]`, each HH:MM[:SS]; begin after end is refused. */
  private localtime(pos: number, raw: string, parameter: string): { beginSecond: number; endSecond: number } {
    const dash = raw.indexOf('-');
    const beginText = dash < 0 ? raw : raw.slice(0, dash);
    const endText = dash < 0 ? '' : raw.slice(dash + 1);
    const read = (text: string): StrptimeResult => {
      const result = strptime(text, '%H:%M:%s') ?? strptime(text, '%H:%M');
      if (result === undefined) throw new ParseStop(pos, 'localtime-invalid', messages.localtimeInvalid(parameter));
      return result;
    };
    const begin = read(beginText);
    const end = endText === '' ? begin : read(endText);
    if (begin.usbguardSeconds > end.usbguardSeconds) throw new ParseStop(pos, 'localtime-range-inverted', messages.localtimeRangeInverted(parameter));
    return { beginSecond: begin.seconds, endSecond: end.seconds };
  }

  /** AllowedMatchesCondition: the argument, after "allow ", must parse as a rule of its own. */
  private nestedRule(pos: number, start: number, end: number): UsbRule {
    if (this.depth + 1 > MAX_USB_RULE_NESTING) throw new ParseStop(pos, 'nesting-too-deep', messages.nestingTooDeep(MAX_USB_RULE_NESTING));
    const prefix = encodeRuleText('allow ');
    const inner = new Uint8Array(prefix.length + end - start);
    inner.set(prefix, 0);
    inner.set(this.b.subarray(start, end), prefix.length);
    // Extensions make no sense inside a partial rule: it is parsed as plain USBGuard.
    const result = runParser(inner, false, this.depth + 1);
    if (!result.ok) {
      const { stop } = result;
      throw new ParseStop(pos, stop.code === 'nesting-too-deep' ? stop.code : 'allowed-matches-invalid', messages.allowedMatchesInvalid(stop.message, stop.pos + 1));
    }
    // "allow …" always sets a target, so the partial rule is never comment-only.
    return result.rule as UsbRule;
  }

  /** Extension: interface-target { CC:SS:PP allow|block … }. */
  private interfaceTargetAttribute(pos: number): number {
    if (this.acc.interfaceTargets !== undefined) throw new ParseStop(pos, 'attribute-duplicate', messages.attributeDuplicate('interface-target'));
    let i = pos + 'interface-target'.length;
    if (!isBlank(this.b[i])) return -1;
    i = this.skipBlanks(i);
    if (this.b[i] !== LBRACE) return -1;
    i = this.skipBlanks(i + 1);
    const pairs: UsbInterfaceTarget[] = [];
    for (;;) {
      const patternEnd = this.interfaceValue(i);
      if (patternEnd < 0) return -1;
      const pattern = this.interfaceAction(i, patternEnd);
      if (!isBlank(this.b[patternEnd])) return -1;
      const word = this.skipBlanks(patternEnd);
      const target = this.startsWith(word, 'allow') ? 'allow' : this.startsWith(word, 'block') ? 'block' : undefined;
      if (target === undefined) throw new ParseStop(word, 'interface-target-invalid', messages.interfaceTargetInvalid());
      if (pairs.length >= MAX_USB_RULE_SET_SIZE) throw new ParseStop(i, 'set-too-large', messages.setTooLarge(MAX_USB_RULE_SET_SIZE));
      pairs.push({ pattern, target });
      i = word + target.length;
      const next = this.skipBlanks(i);
      if (this.b[next] === RBRACE) {
        this.acc.interfaceTargets = pairs;
        this.acc.interfaceTargetsAt = pos;
        return next + 1;
      }
      if (next === i) return -1;
      i = next;
    }
  }

  /** Extension: expires "<ISO 8601 date-time with offset>". */
  private expiresAttribute(pos: number): number {
    if (this.acc.expires !== undefined) throw new ParseStop(pos, 'attribute-duplicate', messages.attributeDuplicate('expires'));
    const after = pos + 'expires'.length;
    if (!isBlank(this.b[after])) return -1;
    const at = this.skipBlanks(after);
    const end = this.boundedString(at, QUOTE, QUOTE);
    if (end < 0) return -1;
    const text = this.unescape(at, end);
    const epochMs = parseIsoDateTime(text);
    if (epochMs === undefined) throw new ParseStop(at, 'expires-invalid', messages.expiresInvalid(text));
    this.acc.expires = { text, epochMs };
    return end;
  }

  /** The error for text no rule or comment starts with: says what was found, in words. */
  private stopAtTopLevel(pos: number): ParseStop {
    const c = this.b[pos];
    if (c === CR || c === LF) return new ParseStop(pos, 'line-break', messages.lineBreak(c === CR));
    if (pos === 0) {
      if (isBlank(c)) return new ParseStop(0, 'leading-whitespace', messages.leadingWhitespace());
      const token = this.token(0);
      if (token === EXTENSION_TARGET) return new ParseStop(0, 'extension-not-usbguard', messages.extensionNotUsbguard(token));
      return new ParseStop(0, 'target-unknown', messages.targetUnknown(token));
    }
    if (!isBlank(c)) return new ParseStop(pos, 'unexpected-text', messages.unexpectedText(this.token(pos)));
    const at = this.skipBlanks(pos);
    const next = this.b[at];
    if (next === undefined) return new ParseStop(pos, 'trailing-whitespace', messages.trailingWhitespace());
    if (next === CR || next === LF) return new ParseStop(pos, 'line-break', messages.lineBreak(next === CR));
    const token = this.token(at);
    const keywords = [...ATTRIBUTES.map((a) => a.keyword), ...(this.extensions ? EXTENSION_ATTRIBUTES : [])];
    // The keyword the text starts with, when what follows it cannot continue a word ("id1234:5678").
    const keyword = keywords
      .filter((k) => token.startsWith(k) && !/^[A-Za-z-]/.test(token.slice(k.length)))
      .sort((a, b) => b.length - a.length)[0];
    if (keyword !== undefined) {
      const after = at + keyword.length;
      return new ParseStop(pos, 'attribute-value-invalid', attributeValueInvalid(keyword, this.valueProblem(after), this.token(this.skipBlanks(after))));
    }
    const word = /^[A-Za-z0-9-]*/.exec(token)?.[0] ?? '';
    if ((EXTENSION_ATTRIBUTES as readonly string[]).includes(word)) return new ParseStop(pos, 'extension-not-usbguard', messages.extensionNotUsbguard(word));
    if ((TARGETS as readonly string[]).includes(word) || word === EXTENSION_TARGET) return new ParseStop(pos, 'unexpected-text', messages.secondTarget(word));
    if (word !== '' && word === token && /^[a-z-]+$/.test(word)) return new ParseStop(pos, 'attribute-unknown', messages.attributeUnknown(word));
    return new ParseStop(pos, 'unexpected-text', messages.unexpectedText(token));
  }

  /** The shape of a value that failed after an attribute keyword, for a precise message. */
  private valueProblem(afterKeyword: number): ValueProblem {
    const c = this.b[afterKeyword];
    if (c === undefined) return 'missing';
    if (!isBlank(c)) return 'no-space';
    let i = this.skipBlanks(afterKeyword);
    if (this.b[i] === undefined) return 'missing';
    const operator = USB_SET_OPERATORS.find((op) => this.startsWith(i, op));
    if (operator !== undefined) {
      const after = this.skipBlanks(i + operator.length);
      if (this.b[after] !== LBRACE) return 'operator-needs-braces';
      i = after;
    }
    if (this.b[i] === LBRACE) return this.b[this.skipBlanks(i + 1)] === RBRACE ? 'empty-set' : 'unclosed-set';
    return 'bad-value';
  }

  /** The text from `pos` to the next blank or line break (as text, for messages). */
  private token(pos: number): string {
    let i = pos;
    while (i < this.n && !isBlank(this.b[i]) && this.b[i] !== CR && this.b[i] !== LF && i - pos < 64) i += 1;
    return decodeRuleBytes(this.b, pos, i);
  }
}

type RunResult = { ok: true; rule: UsbRule | undefined } | { ok: false; stop: ParseStop };

function freezeSet<T>(set: MutableSet<T>): UsbRuleSet<T> | undefined {
  return set.values.length === 0 ? undefined : { operator: set.operator, values: set.values };
}

/** Runs the parser on bytes: a rule, undefined for a comment-only line, or where it stopped. */
function runParser(bytes: Uint8Array, extensions: boolean, depth: number): RunResult {
  const parser = new RuleParser(bytes, extensions, depth);
  try {
    parser.run();
  } catch (error) {
    if (error instanceof ParseStop) return { ok: false, stop: error };
    throw error;
  }
  const { acc } = parser;
  // No iteration at all (empty text): USBGuard parses it, then cannot print the missing target.
  if (acc.target === undefined) return { ok: false, stop: new ParseStop(0, 'rule-empty', messages.ruleEmpty()) };
  if (acc.target === 'empty') return { ok: true, rule: undefined };
  if (acc.interfaceTargets !== undefined && acc.target !== 'allow' && acc.target !== 'read-only') {
    return { ok: false, stop: new ParseStop(acc.interfaceTargetsAt, 'interface-target-not-allowed', messages.interfaceTargetNotAllowed(acc.target)) };
  }
  const rule: { -readonly [K in keyof UsbRule]: UsbRule[K] } = { target: acc.target };
  for (const field of ['id', 'serial', 'name', 'hash', 'parentHash', 'viaPort', 'withInterface', 'conditions', 'withConnectType', 'label'] as const) {
    const set = freezeSet<unknown>(acc.sets[field]);
    if (set !== undefined) (rule as Record<string, unknown>)[field] = set;
  }
  if (acc.interfaceTargets !== undefined) rule.interfaceTargets = acc.interfaceTargets;
  if (acc.expires !== undefined) rule.expires = acc.expires;
  return { ok: true, rule };
}

/** Turns a stop position (byte offset) into line, UTF-16 column and byte column. */
function locate(bytes: Uint8Array, pos: number, lineOffset: number): { line: number; column: number; byteColumn: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < bytes.length; i += 1) {
    if (bytes[i] === LF) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line: line + lineOffset, column: decodeRuleBytes(bytes, lineStart, Math.min(pos, bytes.length)).length + 1, byteColumn: pos - lineStart + 1 };
}

function parseBytesOrText(text: string, options: UsbRuleParseOptions, lineOffset: number): Result<UsbRule | undefined, UsbRuleError> {
  const bytes = encodeRuleText(text);
  if (bytes.length > MAX_USB_RULE_BYTES) {
    return err({ line: 1 + lineOffset, column: 1, byteColumn: 1, code: 'rule-too-long', message: messages.ruleTooLong(bytes.length, MAX_USB_RULE_BYTES) });
  }
  const result = runParser(bytes, options.extensions ?? true, 0);
  if (result.ok) return ok(result.rule);
  const { stop } = result;
  return err({ ...locate(bytes, stop.pos, lineOffset), code: stop.code, message: stop.message });
}

/**
 * Parses one line of a rule file: a rule, or `undefined` when the line holds only a comment (as
 * USBGuard, which prints an empty rule for it). Never throws.
 */
export function parseUsbRuleLine(text: string, options: UsbRuleParseOptions = {}): Result<UsbRule | undefined, UsbRuleError> {
  return parseBytesOrText(text, options, 0);
}

/**
 * Parses one rule (a trailing `# comment` is allowed). A comment alone or empty text is an error
 * (`rule-empty`). Errors carry USBGuard's position (line 1, byte column) and a ja/en message.
 * Never throws, whatever the input.
 */
export function parseUsbRule(text: string, options: UsbRuleParseOptions = {}): Result<UsbRule, UsbRuleError> {
  const result = parseBytesOrText(text, options, 0);
  if (!result.ok) return result;
  if (result.value === undefined) return err({ line: 1, column: 1, byteColumn: 1, code: 'rule-empty', message: messages.commentOnly() });
  return ok(result.value);
}

/** The rules and errors of a rule file. */
export interface UsbRuleFile {
  /** Every rule in file order with its line number; comment and empty lines are left out. */
  readonly rules: readonly (UsbRuleLine & { readonly rule: UsbRule })[];
  /** Every bad line, in order, with its real line number. */
  readonly errors: readonly UsbRuleError[];
}

/**
 * Parses a rule file the way USBGuard reads rules.conf: one rule per line (LF line ends), empty
 * lines skipped, comment lines ignored. Unlike usbguard-rule-parser, it does not stop at the
 * first bad line and reports real line numbers. A line holding only white space is an error, as
 * in USBGuard 1.1.2. Never throws.
 */
export function parseUsbRuleFile(text: string, options: UsbRuleParseOptions = {}): UsbRuleFile {
  if (text.length > MAX_USB_RULE_FILE_LENGTH) {
    return {
      rules: [],
      errors: [
        {
          line: 0,
          column: 0,
          byteColumn: 0,
          code: 'rule-too-long',
          message: messages.ruleTooLong(text.length, MAX_USB_RULE_FILE_LENGTH),
        },
      ],
    };
  }
  const rules: (UsbRuleLine & { rule: UsbRule })[] = [];
  const errors: UsbRuleError[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    const result = parseBytesOrText(line, options, index);
    if (!result.ok) errors.push(result.error);
    else if (result.value !== undefined) rules.push({ line: index + 1, rule: result.value });
  });
  return { rules, errors };
}
