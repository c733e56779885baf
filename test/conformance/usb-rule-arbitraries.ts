// fast-check arbitraries for USB rule text: valid rules in every shape the language has, the
// same rules with one mutation (near-valid), and token soup (broken). Used by the differential
// test against usbguard-rule-parser and by the property tests. Only printable text and tabs:
// a rule travels to the oracle as one argv string, which cannot hold NUL.
import fc from 'fast-check';

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
/** `value` in about one case out of `oneIn`, else undefined. */
const sometimes = <T>(value: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });

const HEX = '0123456789abcdefABCDEF';
const hexDigits = (n: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...HEX), minLength: n, maxLength: n });

/** One or more blanks; mostly a single space, as people write. */
const blanks: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 3 }) },
);

const deviceId: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(hexDigits(4), hexDigits(4)).map(([v, p]) => `${v}:${p}`) },
  { weight: 2, arbitrary: hexDigits(4).map((v) => `${v}:*`) },
  { weight: 1, arbitrary: fc.constant('*:*') },
  { weight: 1, arbitrary: hexDigits(4).map((p) => `*:${p}`) },
);

const interfaceType: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(hexDigits(2), hexDigits(2), hexDigits(2)).map(([c, s, p]) => `${c}:${s}:${p}`) },
  { weight: 3, arbitrary: fc.tuple(hexDigits(2), hexDigits(2)).map(([c, s]) => `${c}:${s}:*`) },
  { weight: 3, arbitrary: hexDigits(2).map((c) => `${c}:*:*`) },
  { weight: 1, arbitrary: fc.tuple(hexDigits(2), hexDigits(2)).map(([c, p]) => `${c}:*:${p}`) },
);

/** Characters of string values: plain text, the escapes USBGuard takes, some it refuses, non-ASCII. */
const stringPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.:/+=@'.split('')), minLength: 1, maxLength: 6 }) },
  { weight: 2, arbitrary: pick('\\"', '\\\\') },
  { weight: 2, arbitrary: hexDigits(2).map((h) => `\\x${h}`) },
  { weight: 2, arbitrary: pick('日本語', 'é', 'Ω', '\t', '🔑', '#', '{', '}', '(', ')', "'") },
  { weight: 1, arbitrary: pick('\\t', '\\n', "\\'", '\\0', '\\101', '\\a', '\\q', '\\x4', '\\xg0', '\\') },
);
const stringValue: fc.Arbitrary<string> = fc
  .array(stringPiece, { maxLength: 4 })
  .map((pieces) => `"${pieces.join('')}"`);

const hashValue: fc.Arbitrary<string> = fc.oneof(
  fc.constant('"jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o="'),
  fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789+/='.split('')), minLength: 1, maxLength: 44 }).map((s) => `"${s}"`),
);

const connectType: fc.Arbitrary<string> = fc.oneof(pick('"hotplug"', '"hardwired"', '"not used"', '"unknown"', '""'), stringValue);

const timeOfDay: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 99 }))
      .map(([h, m, s]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`),
  },
  { weight: 1, arbitrary: pick('1:2', ' 1: 2', '7:05x', '10:00:', '24:00', '12', 'noon', '', '00:000', '23:59:99999999999999999999', '09:00:\t1') },
);
const localtimeArgument: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: timeOfDay },
  { weight: 4, arbitrary: fc.tuple(timeOfDay, timeOfDay).map(([a, b]) => `${a}-${b}`) },
  { weight: 1, arbitrary: timeOfDay.map((a) => `${a}-`) },
  { weight: 1, arbitrary: timeOfDay.map((a) => `-${a}`) },
);

const probability: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((p) => String(p)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100 }).map((n) => `0.${n}`) },
  {
    weight: 2,
    arbitrary: pick('.5', '5.', '.', '-1', '2', 'nan', '-nan', 'inf', 'INFINITY', 'in', '1e400', '1e-400', '1e-310', '0e-999', '0x1p-2', '0x', '0x.p1', ' 0.5x', '\t1', '1,5', 'abc', '+.5e', '1e+', '0x1p-1074', '0x1.8p-1074', '2.2250738585072014e-308', '2.225073858507201e-308', '1.7976931348623159e308'),
  },
);

const duration: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 100000 }).map(String),
  timeOfDay,
  pick(' 30', 'a', '1h', '99999999999999999999', '18446744073709551615', '67768036191676799', '67768036191676800'),
);

/** A partial rule for allowed-matches: attributes without conditions (they cannot nest usefully). */
const partialRule: fc.Arbitrary<string> = fc.oneof(
  deviceId.map((id) => `id ${id}`),
  interfaceType.map((i) => `with-interface ${i}`),
  fc.tuple(deviceId, stringValue).map(([id, s]) => `id ${id} serial ${s}`),
  fc.constant('if true'),
  fc.constant('#x'),
  pick('via-port "1-2"', 'name "Keyboard"', 'id 1234:56', 'with-interface 08:*:50', 'if allowed-matches', 'label "a" label "b"'),
);

const condition: fc.Arbitrary<string> = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      { weight: 2, arbitrary: pick('true', 'false') },
      { weight: 1, arbitrary: pick('true(x)', 'false(1)', 'true()') },
      { weight: 4, arbitrary: localtimeArgument.map((a) => `localtime(${a})`) },
      { weight: 1, arbitrary: fc.constant('localtime') },
      { weight: 3, arbitrary: probability.map((p) => `random(${p})`) },
      { weight: 1, arbitrary: fc.constant('random') },
      { weight: 3, arbitrary: fc.tuple(pick('rule-applied', 'rule-evaluated'), duration).map(([k, d]) => `${k}(${d})`) },
      { weight: 1, arbitrary: pick('rule-applied', 'rule-evaluated') },
      { weight: 3, arbitrary: partialRule.map((r) => `allowed-matches(${r})`) },
      { weight: 1, arbitrary: pick('TRUE', 'foo', '-', 'Random(0.5)', 'allowed-matches()', 'localtime(\\))', 'random(0.5\\x41)') },
    ),
  )
  .map(([negated, c]) => `${negated ? '!' : ''}${c}`);

const operators = pick('all-of', 'one-of', 'none-of', 'equals', 'equals-ordered', 'match-all');

/** `keyword value` or `keyword [op] { v … }`. */
function attribute(keyword: string, value: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(blanks, value).map(([b, v]) => `${keyword}${b}${v}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(sometimes(operators, 2), fc.array(fc.tuple(blanks, value), { minLength: 1, maxLength: 4 }), blanks, fc.boolean())
        .map(([op, values, b, tight]) => {
          const inner = values.map(([sep, v]) => `${tight ? sep.trimStart() || ' ' : sep}${v}`).join('');
          return `${keyword}${b}${op === undefined ? '' : `${op}${b}`}{${tight ? inner.trimStart() : inner}${tight ? '' : ' '}}`;
        }),
    },
  );
}

const attributeKinds: readonly (readonly [string, fc.Arbitrary<string>])[] = [
  ['id', deviceId],
  ['name', stringValue],
  ['serial', stringValue],
  ['hash', hashValue],
  ['parent-hash', hashValue],
  ['via-port', stringValue],
  ['with-interface', interfaceType],
  ['with-connect-type', connectType],
  ['if', condition],
  ['label', stringValue],
];

/** Distinct attributes in random order, and now and then one repeated (USBGuard refuses it, but adds up labels). */
const attributes: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.shuffledSubarray([...attributeKinds], { maxLength: 5 }),
    sometimes(fc.constantFrom(...attributeKinds), 10),
  )
  .chain(([kinds, repeated]) => {
    const all = repeated === undefined ? kinds : [...kinds, repeated];
    return all.length === 0 ? fc.constant([]) : fc.tuple(...all.map(([keyword, value]) => attribute(keyword, value)));
  });

const target = fc.oneof({ weight: 10, arbitrary: pick('allow', 'block', 'reject') }, { weight: 1, arbitrary: pick('match', 'device') });

/** A rule in USBGuard syntax, mostly valid: the value generators include some refused values. */
export const usbGuardRule: fc.Arbitrary<string> = fc
  .tuple(
    target,
    sometimes(fc.tuple(blanks, deviceId), 5),
    attributes.chain((list) => fc.tuple(...list.map((a) => blanks.map((b) => [b, a] as const)))),
    sometimes(fc.tuple(fc.oneof(blanks, fc.constant('')), pick('#', '# comment', '#allow id 1:2')), 6),
  )
  .map(([t, id, attributes, comment]) => {
    let rule = t;
    if (id !== undefined) rule += `${id[0]}${id[1]}`;
    for (const [b, a] of attributes as (readonly [string, string])[]) rule += `${b}${a}`;
    if (comment !== undefined) rule += `${comment[0]}${comment[1]}`;
    return rule;
  });

/** Characters a single-character mutation inserts or substitutes: the language's own punctuation. */
const mutationChar = pick(' ', '\t', '{', '}', '"', '\\', ':', '*', '#', '(', ')', '!', '-', 'x', '0', 'f', 'a', 'Z', '日');

/** A valid-looking rule with one mutation: delete, insert, replace, swap or duplicate. */
export const nearValidRule: fc.Arbitrary<string> = fc
  .tuple(usbGuardRule, fc.nat(), fc.nat(), mutationChar, pick('delete', 'insert', 'replace', 'swap', 'duplicate', 'leading', 'trailing'))
  .map(([rule, a, b, c, kind]) => {
    const chars = [...rule];
    const i = chars.length === 0 ? 0 : a % chars.length;
    switch (kind) {
      case 'delete':
        chars.splice(i, 1);
        break;
      case 'insert':
        chars.splice(i, 0, c);
        break;
      case 'replace':
        chars[i] = c;
        break;
      case 'swap':
        if (i + 1 < chars.length) [chars[i], chars[i + 1]] = [chars[i + 1] as string, chars[i] as string];
        break;
      case 'duplicate': {
        const j = chars.length === 0 ? 0 : b % chars.length;
        const [from, to] = i < j ? [i, j] : [j, i];
        chars.splice(to, 0, ...chars.slice(from, Math.min(to, from + 12)));
        break;
      }
      case 'leading':
        chars.unshift(c === '\t' ? '\t' : ' ');
        break;
      case 'trailing':
        chars.push(' ');
        break;
    }
    return chars.join('');
  });

const tokens = pick(
  'allow', 'block', 'reject', 'match', 'device', 'read-only', 'id', 'name', 'serial', 'hash', 'parent-hash', 'via-port', 'with-interface',
  'with-connect-type', 'if', 'label', 'all-of', 'one-of', 'none-of', 'equals', 'equals-ordered', 'match-all', '{', '}', '"x"', '"',
  '1234:5678', '*:*', '08:06:50', '03:*:*', 'true', '!false', 'random(0.5)', 'localtime(09:00-17:00)', '#', ' ', '\t', '(', ')', '\\',
  'allowed-matches(id 1:2)', 'expires', 'interface-target',
);

/** Token soup: rule words and punctuation in random order (mostly rejected). */
export const brokenRule: fc.Arbitrary<string> = fc.array(fc.tuple(tokens, fc.oneof(blanks, fc.constant(''))), { maxLength: 8 }).map((parts) => parts.map(([t, b]) => `${t}${b}`).join(''));
