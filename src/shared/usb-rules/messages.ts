import { msg, type Localized } from '../i18n';

/**
 * The ja/en texts of rule errors: what is wrong, and what to write instead. The parser decides
 * where; these functions only word it.
 */

/** Largest piece of rule text quoted in a message. */
const MAX_SHOWN = 40;

/** Quotes rule text for a message: cut at 40 characters, control characters made visible. */
export function shown(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  // Control characters and lone surrogates (bytes that were not UTF-8) must not reach a terminal raw.
  const visible = cut.replace(/[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `“${visible}”`;
}

const ATTRIBUTE_LIST = 'id, serial, name, hash, parent-hash, via-port, with-interface, with-connect-type, if, label';

/** The value each attribute takes, for "expected …" messages. */
export function expectedValue(keyword: string): Localized {
  switch (keyword) {
    case 'id':
      return msg(
        'VVVV:PPPP（16 進 4 桁のベンダー ID と製品 ID。1050:* や *:* のように * も使えます）',
        'VVVV:PPPP (4 hex digit vendor and product ids; * is allowed, as in 1050:* or *:*)',
      );
    case 'with-interface':
      return msg(
        'CC:SS:PP（16 進 2 桁のクラス・サブクラス・プロトコル。08:06:50、03:*:* のようにサブクラス以降は * も使えます）',
        'CC:SS:PP (2 hex digit class, subclass, protocol; subclass and protocol may be *, as in 08:06:50 or 03:*:*)',
      );
    case 'if':
      return msg(
        '条件（true、false、localtime(…)、allowed-matches(…)、rule-applied、rule-evaluated、random。否定は !）',
        'a condition (true, false, localtime(…), allowed-matches(…), rule-applied, rule-evaluated, random; ! negates)',
      );
    case 'interface-target':
      return msg(
        '{ CC:SS:PP allow CC:SS:PP block … }（インターフェースの種類と allow または block の組）',
        '{ CC:SS:PP allow CC:SS:PP block … } (pairs of an interface type and allow or block)',
      );
    case 'expires':
      return msg('"2027-03-31T23:59:59+09:00" のような時差付きの日時（ISO 8601）', 'a date-time with offset in ISO 8601, like "2027-03-31T23:59:59+09:00"');
    default:
      return msg('"…" で囲んだ文字列', 'a string in double quotes "…"');
  }
}

/** Why an attribute's value did not parse: the common shapes get their own sentence. */
export type ValueProblem = 'missing' | 'no-space' | 'operator-needs-braces' | 'empty-set' | 'unclosed-set' | 'bad-value';

export function attributeValueInvalid(keyword: string, problem: ValueProblem, found: string): Localized {
  const expected = expectedValue(keyword);
  switch (problem) {
    case 'missing':
      return msg(`${keyword} の値がありません。${keyword} の後に空白を置き、${expected.ja}を書いてください`, `${keyword} has no value; write a space and ${expected.en} after it`);
    case 'no-space':
      return msg(`${keyword} と値の間に空白がありません。空白で区切ってください`, `no space between ${keyword} and its value; separate them with a space`);
    case 'operator-needs-braces':
      return msg(
        `集合演算子の後には { … } で囲んだ値の集合が必要です（${keyword} one-of { … } のように書きます）`,
        `a set operator must be followed by a set of values in braces, as in ${keyword} one-of { … }`,
      );
    case 'empty-set':
      return msg(`${keyword} の { } が空です。値を 1 つ以上書くか、この属性を消してください`, `the set { } of ${keyword} is empty; list at least one value or remove the attribute`);
    case 'unclosed-set':
      return msg(
        `${keyword} の値の集合が正しく閉じられていません。値を空白で区切り、最後を } で閉じてください（値は ${expected.ja}）`,
        `the set of values of ${keyword} is not closed properly; separate the values with spaces and close it with } (values are ${expected.en})`,
      );
    default:
      return msg(`${keyword} の値 ${shown(found)} を読めません。${expected.ja}を書いてください`, `cannot read the value ${shown(found)} of ${keyword}; write ${expected.en}`);
  }
}

export const messages = {
  ruleEmpty: (): Localized => msg('規則がありません。allow、block、reject のどれかで始まる規則を書いてください', 'no rule; write a rule that starts with allow, block or reject'),
  commentOnly: (): Localized => msg('コメントだけで規則がありません', 'only a comment, no rule'),
  ruleTooLong: (bytes: number, max: number): Localized =>
    msg(`規則が長すぎます（${bytes} バイト、上限 ${max} バイト）。複数の規則に分けてください`, `the rule is too long (${bytes} bytes, at most ${max}); split it into several rules`),
  leadingWhitespace: (): Localized =>
    msg(
      '規則が空白で始まっています。USBGuard 1.1.2 はこれを受け付けません。行頭の空白を消してください',
      'the rule starts with white space, which USBGuard 1.1.2 refuses; remove the leading white space',
    ),
  targetUnknown: (found: string): Localized =>
    msg(
      `規則は allow、block、reject のどれかで始めてください（${shown(found)} で始まっています）`,
      `a rule starts with allow, block or reject, not ${shown(found)}`,
    ),
  trailingWhitespace: (): Localized =>
    msg('規則の末尾に空白があります。USBGuard 1.1.2 はこれを受け付けません。末尾の空白を消してください', 'white space at the end of the rule, which USBGuard 1.1.2 refuses; remove it'),
  lineBreak: (cr: boolean): Localized =>
    cr
      ? msg(
          '規則の中に改行文字 CR があります。ファイルの改行を LF にしてください（CRLF は USBGuard が読めません）',
          'a carriage return (CR) inside the rule; save the file with LF line endings (USBGuard cannot read CRLF)',
        )
      : msg('規則の中に改行があります。1 つの規則は 1 行に書いてください', 'a line break inside the rule; write each rule on one line'),
  unexpectedText: (found: string): Localized =>
    msg(
      `${shown(found)} をここに書くことはできません。属性と値は空白で区切り、規則の対象（allow など）は先頭に 1 つだけ書いてください`,
      `${shown(found)} cannot stand here; separate attributes and values with spaces, and write one target (allow, …) at the start only`,
    ),
  secondTarget: (target: string): Localized =>
    msg(
      `規則の対象 ${target} は規則の先頭に 1 つだけ書けます。ここには属性（id、serial など）を書いてください`,
      `the target ${target} can only start a rule, once; an attribute (id, serial, …) must stand here`,
    ),
  attributeUnknown: (found: string): Localized =>
    msg(`${shown(found)} という属性はありません。使える属性: ${ATTRIBUTE_LIST}`, `there is no attribute ${shown(found)}; the attributes are ${ATTRIBUTE_LIST}`),
  attributeDuplicate: (keyword: string): Localized =>
    msg(
      `${keyword} が 2 回書かれています。1 つの規則に同じ属性は 1 回だけです。値を { … } にまとめてください`,
      `${keyword} appears twice; an attribute may appear once per rule; put the values into one set { … }`,
    ),
  extensionNotUsbguard: (keyword: string): Localized =>
    msg(
      `${keyword} は mynumber-guard の拡張で、USBGuard の規則では使えません`,
      `${keyword} is a mynumber-guard extension and is not part of the USBGuard rule language`,
    ),
  stringUnterminated: (found: 'end' | 'cr' | 'lf'): Localized =>
    found === 'end'
      ? msg('文字列が " で閉じられていません', 'the string is not closed with "')
      : msg('文字列の途中に改行があります。改行は文字列に含められません（必要なら \\x0a と書きます）', 'a line break inside the string; strings cannot contain one (write \\x0a if you must)'),
  stringEscapeInvalid: (hex: boolean): Localized =>
    hex
      ? msg('\\x の後には 16 進数 2 桁が必要です（例: \\x41）', '\\x must be followed by two hex digits (e.g. \\x41)')
      : msg('\\ の後に使えない文字があります。使えるのは \\xHH、\\"、\\\\ だけです', 'invalid character after \\; only \\xHH, \\" and \\\\ are allowed'),
  stringEscapeUnsupported: (): Localized =>
    msg(
      '文字列に USBGuard が受け付けないエスケープがあります（\\t、\\n、\\\' や \\101 など）。使えるのは \\xHH、\\"、\\\\ だけです（タブは \\x09）',
      'the string holds an escape USBGuard refuses (such as \\t, \\n, \\\' or \\101); only \\xHH, \\" and \\\\ are allowed (a tab is \\x09)',
    ),
  argumentUnterminated: (found: 'end' | 'cr' | 'lf'): Localized =>
    found === 'end'
      ? msg('条件の引数が ) で閉じられていません', 'the condition argument is not closed with )')
      : msg('条件の引数の途中に改行があります', 'a line break inside the condition argument'),
  argumentEscapeInvalid: (hex: boolean): Localized =>
    hex
      ? msg('\\x の後には 16 進数 2 桁が必要です（例: \\x41）', '\\x must be followed by two hex digits (e.g. \\x41)')
      : msg('条件の引数の中で \\ の後に使えない文字があります（" は \\ なしで書きます）', 'invalid character after \\ in a condition argument (write " without a backslash)'),
  deviceIdInvalid: (found: string): Localized =>
    msg(
      `${shown(found)} は機器 ID として使えません。ベンダー ID が * なら製品 ID も * にしてください（*:0407 は不可、*:* と 1050:* は可）`,
      `${shown(found)} is not a usable device id: when the vendor id is *, the product id must be * too (*:0407 is invalid; *:* and 1050:* are fine)`,
    ),
  deviceIdConflict: (): Localized =>
    msg(
      '機器 ID が複数の値の集合のあとで、もう一度単独で指定されています。機器 ID は 1 か所にまとめてください',
      'a single device id follows a set of device ids; give the device ids in one place',
    ),
  interfaceInvalid: (found: string): Localized =>
    msg(
      `${shown(found)} はインターフェースの種類として使えません。サブクラスが * ならプロトコルも * にしてください（08:*:50 は不可、08:*:* は可）`,
      `${shown(found)} is not a usable interface type: when the subclass is *, the protocol must be * too (08:*:50 is invalid, 08:*:* is fine)`,
    ),
  conditionUnknown: (identifier: string): Localized =>
    msg(
      `${shown(identifier)} という条件はありません。使える条件: true、false、localtime、allowed-matches、rule-applied、rule-evaluated、random（大文字と小文字は区別されます）`,
      `there is no condition ${shown(identifier)}; the conditions are true, false, localtime, allowed-matches, rule-applied, rule-evaluated, random (case matters)`,
    ),
  conditionArgumentEmpty: (): Localized =>
    msg('条件の引数 ( ) が空です。引数を書くか、( ) を消してください', 'the condition argument ( ) is empty; write an argument or remove the parentheses'),
  localtimeInvalid: (found: string): Localized =>
    msg(
      `localtime の時刻 ${shown(found)} を読めません。HH:MM[:SS] または HH:MM[:SS]-HH:MM[:SS] の形で、時は 0〜23、分は 0〜59 で書いてください`,
      `cannot read the time ${shown(found)} of localtime; write HH:MM[:SS] or HH:MM[:SS]-HH:MM[:SS] with hours 0-23 and minutes 0-59`,
    ),
  localtimeRangeInverted: (found: string): Localized =>
    msg(
      `localtime の範囲 ${shown(found)} は終わりが始まりより前です（USBGuard 1.1.2 の読み方、秒は UTC の通算秒として読まれます）。日付をまたぐ範囲は 2 つの規則に分けてください`,
      `the localtime range ${shown(found)} ends before it begins (as USBGuard 1.1.2 reads it, with seconds read as epoch seconds in UTC); split a range over midnight into two rules`,
    ),
  durationInvalid: (keyword: string, found: string): Localized =>
    msg(
      `${keyword} の期間 ${shown(found)} を読めません。HH:MM、HH:MM:SS または秒数で書いてください`,
      `cannot read the duration ${shown(found)} of ${keyword}; write HH:MM, HH:MM:SS or a number of seconds`,
    ),
  probabilityInvalid: (found: string): Localized =>
    msg(`random の確率 ${shown(found)} を読めません。0 から 1 の数で書いてください（例: random(0.25)）`, `cannot read the probability ${shown(found)} of random; write a number from 0 to 1 (e.g. random(0.25))`),
  allowedMatchesInvalid: (inner: Localized, byteColumn: number): Localized =>
    msg(
      `allowed-matches の中の規則が正しくありません（"allow " を前に付けた規則の ${byteColumn} バイト目: ${inner.ja}）`,
      `the partial rule in allowed-matches is invalid (at byte ${byteColumn} of the rule with "allow " in front: ${inner.en})`,
    ),
  setTooLarge: (max: number): Localized =>
    msg(`値の集合が大きすぎます（上限 ${max} 個）。規則を分けてください`, `the set has too many values (at most ${max}); split the rule`),
  nestingTooDeep: (max: number): Localized =>
    msg(`allowed-matches の入れ子が深すぎます（上限 ${max} 段）`, `allowed-matches is nested too deeply (at most ${max} levels)`),
  expiresInvalid: (found: string): Localized =>
    msg(
      `expires の日時 ${shown(found)} を読めません。"2027-03-31T23:59:59+09:00" のように時差付きの ISO 8601 で書いてください`,
      `cannot read the expiry ${shown(found)}; write an ISO 8601 date-time with offset, like "2027-03-31T23:59:59+09:00"`,
    ),
  interfaceTargetInvalid: (): Localized =>
    msg(
      'interface-target の中のインターフェースの種類の後には allow か block を書いてください',
      'each interface type in interface-target must be followed by allow or block',
    ),
  interfaceTargetNotAllowed: (target: string): Localized =>
    msg(
      `interface-target は allow または read-only の規則でだけ使えます（この規則は ${target}）`,
      `interface-target can only be used in allow or read-only rules (this rule is ${target})`,
    ),
};
