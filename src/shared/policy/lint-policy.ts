import { msg, type Localized } from '../i18n';
import { parseUsbRule, printUsbRule, type UsbRule } from '../usb-rules';
import type { PolicyDiagnostic } from './diagnostic';
import { noSourceLocator, type PolicyLocator, type PolicyPath, type SourcePosition } from './locate';
import { formatPath, quote } from './messages';
import {
  cidrContains,
  cidrOverlaps,
  formatIpAddress,
  hasDotSegments,
  isAbsoluteLocalPath,
  isLoopbackHost,
  parseCidr,
  parseCollectorUrl,
  parseIpAddress,
  type CidrBlock,
} from './net';
import type { ZonePolicy } from './schema';

/**
 * Semantic checks on a policy that already matches the schema: things each field cannot know on
 * its own (dates that contradict each other, address ranges that overlap, a canary the policy
 * itself makes reachable) and settings that are legal but weak for the zone.
 *
 * Errors make the policy unusable (`parsePolicyText` returns `ok: false`); warnings are advice
 * shown to the author and by `mng policy lint`. The thresholds below are the project's reading of
 * RFC 4226/6238 and of the national guideline; each names its reason.
 */

/** A policy valid longer than this (days) draws a warning: one fiscal year plus a margin. */
export const LONG_VALIDITY_DAYS = 400;
/** Lockouts that allow more failures than this draw a warning (RFC 4226 §7.3 throttling). */
export const LENIENT_MAX_FAILURES = 10;
/** Unlocks lasting longer than this (seconds, 12 h) draw a warning: more than a working day. */
export const LONG_UNLOCK_SECONDS = 43_200;
/** Idle locks later than this (seconds, 30 min) draw a warning (guideline: session time-outs). */
export const LONG_IDLE_LOCK_SECONDS = 1_800;
/** A screen-lock grace longer than this (seconds) draws a warning: an unlock should end with the session lock. */
export const LONG_GRACE_SECONDS = 60;
/** Emergency codes living longer than this (seconds, 1 day) draw a warning: they must be short-lived. */
export const LONG_EMERGENCY_CODE_SECONDS = 86_400;
/** Isolation checks less often than this (seconds, 1 h) draw a warning in the My Number zone. */
export const SLOW_ISOLATION_CHECK_SECONDS = 3_600;

const DAY_MS = 86_400_000;

/** Milliseconds since the epoch of a schema-valid date-time (which always carries its offset). */
export function instantOf(dateTime: string): number {
  return Date.parse(dateTime);
}

/**
 * Lints a schema-valid policy. `locate` maps a path to its place in the source; without it every
 * finding is at 0:0. `source` is the YAML text `locate` refers to: with it, an error inside a USB
 * rule points at its exact column in the file. Returns errors and warnings in document order of
 * the checks (the parser sorts).
 */
export function lintPolicy(policy: ZonePolicy, locate: PolicyLocator = noSourceLocator, source?: string): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const report = (
    severity: 'error' | 'warning',
    code: string,
    path: PolicyPath,
    message: Localized,
    target: 'value' | 'key' | SourcePosition = 'value',
  ): void => {
    const { line, column } = typeof target === 'object' ? target : locate(path, target);
    out.push({ code, severity, line, column, path: formatPath(path), message });
  };
  /**
   * "(line N)" after a reference to another entry, when its line is known and differs from
   * `from`'s. The Japanese form is a single space when there is no line, so the particle that
   * follows is spaced after an ASCII index (「[0] の」) and not after 「（12 行目）」.
   */
  const lineOf = (path: PolicyPath, from?: PolicyPath): Localized => {
    const { line } = locate(path);
    if (line === 0 || (from !== undefined && locate(from).line === line)) return msg(' ', '');
    return msg(`（${line} 行目）`, ` (line ${line})`);
  };
  const ctx: LintContext = { policy, report, lineOf, locate, source };

  lintMetadata(ctx);
  lintImplements(ctx);
  lintUsb(ctx);
  lintMedia(ctx);
  lintChannels(ctx);
  lintIsolation(ctx);
  lintMfa(ctx);
  lintReporting(ctx);
  return out;
}

interface LintContext {
  readonly policy: ZonePolicy;
  /** `target`: the value (default) or key at `path`, or an exact position in the source. */
  report(severity: 'error' | 'warning', code: string, path: PolicyPath, message: Localized, target?: 'value' | 'key' | SourcePosition): void;
  lineOf(path: PolicyPath, from?: PolicyPath): Localized;
  readonly locate: PolicyLocator;
  readonly source: string | undefined;
}

const isMyNumberZone = (policy: ZonePolicy): boolean => policy.metadata.zone === 'myNumber';

/** Reports every entry equal (after `normalize`) to an earlier one. */
function reportDuplicates(
  ctx: LintContext,
  listPath: PolicyPath,
  values: readonly string[],
  { normalize = (v: string) => v, code = 'duplicate-entry', field }: { normalize?: (value: string) => string; code?: string; field?: string } = {},
): void {
  const first = new Map<string, number>();
  values.forEach((value, index) => {
    const key = normalize(value);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, index);
      return;
    }
    const where = formatPath(listPath);
    const other = ctx.lineOf([...listPath, earlier], [...listPath, index]);
    ctx.report(
      'error',
      code,
      field === undefined ? [...listPath, index] : [...listPath, index, field],
      msg(
        `${where}[${index}] の ${quote(value)} は ${where}[${earlier}]${other.ja}と重複しています。どちらか一方を消してください`,
        `${where}[${index}] ${quote(value)} duplicates ${where}[${earlier}]${other.en}; remove one of them`,
      ),
    );
  });
}

function lintMetadata(ctx: LintContext): void {
  const { notBefore, notAfter } = ctx.policy.metadata;
  const start = instantOf(notBefore);
  const end = instantOf(notAfter);
  if (start >= end) {
    ctx.report(
      'error',
      'validity-inverted',
      ['metadata', 'notAfter'],
      msg(
        `有効期間の終わり metadata.notAfter（${notAfter}）が始まり metadata.notBefore（${notBefore}）より後になっていません。このポリシーが有効な時刻がありません`,
        `metadata.notAfter (${notAfter}) is not after metadata.notBefore (${notBefore}): the policy would never be valid`,
      ),
    );
    return;
  }
  const days = Math.floor((end - start) / DAY_MS);
  if (days > LONG_VALIDITY_DAYS) {
    ctx.report(
      'warning',
      'validity-long',
      ['metadata', 'notAfter'],
      msg(
        `有効期間が ${days} 日あります（目安は ${LONG_VALIDITY_DAYS} 日以内）。長く有効なポリシーは見直しが遅れ、漏えいした古い版も長く通用します。年度ごとに発行し直してください`,
        `the policy is valid for ${days} days (aim for at most ${LONG_VALIDITY_DAYS}); long-lived policies go unreviewed and leaked old versions stay usable; reissue it every fiscal year`,
      ),
    );
  }
}

function lintImplements(ctx: LintContext): void {
  for (const section of ['usb', 'media', 'channels', 'isolation', 'mfa', 'reporting'] as const) {
    reportDuplicates(ctx, ['spec', section, 'implements'], ctx.policy.spec[section].implements);
  }
}

function lintUsb(ctx: LintContext): void {
  const rules = ctx.policy.spec.usb.rules;
  const parsed: (UsbRule | undefined)[] = rules.map((text, index) => {
    const path: PolicyPath = ['spec', 'usb', 'rules', index];
    const result = parseUsbRule(text);
    if (result.ok) {
      lintUsbRule(ctx, path, result.value);
      return result.value;
    }
    const { error } = result;
    const start = ctx.locate(path);
    const exact = ctx.source === undefined ? undefined : yamlPositionInRule(ctx.source, start, text, error.column);
    ctx.report(
      'error',
      'usb-rule-invalid',
      path,
      msg(
        `spec.usb.rules[${index}] の USB 規則の ${error.column} 文字目: ${error.message.ja}`,
        `USB rule spec.usb.rules[${index}], column ${error.column}: ${error.message.en}`,
      ),
      exact ?? start,
    );
    return undefined;
  });
  // Rules that print the same canonical form are the same rule (spacing, attribute order, an
  // equals set of one value…); a rule that does not parse is compared by its words.
  const canonical = new Map<string, string>();
  rules.forEach((text, index) => {
    const rule = parsed[index];
    canonical.set(text, rule === undefined ? text.trim().split(/\s+/).join(' ') : printUsbRule(rule));
  });
  reportDuplicates(ctx, ['spec', 'usb', 'rules'], rules, {
    normalize: (text) => canonical.get(text) ?? text,
    code: 'usb-rule-duplicate',
  });
}

/** Checks on a rule that parses but cannot work as written in a policy. */
function lintUsbRule(ctx: LintContext, path: PolicyPath, rule: UsbRule): void {
  const where = `spec.usb.rules[${String(path[path.length - 1])}]`;
  if (rule.target === 'match' || rule.target === 'device') {
    ctx.report(
      'error',
      'usb-rule-target-internal',
      path,
      msg(
        `${where} の対象 ${rule.target} は USBGuard 内部用で、機器を許可も遮断もしません。allow、block、reject、read-only のどれかにしてください`,
        `${where}: the target ${rule.target} is internal to USBGuard and neither allows nor blocks a device; use allow, block, reject or read-only`,
      ),
    );
  }
  if (rule.conditions?.operator === 'match-all') {
    ctx.report(
      'error',
      'usb-rule-unevaluable',
      path,
      msg(
        `${where} の if match-all { … } は評価できません（USBGuard も評価時に失敗し、機器は拒否されます）。one-of、all-of または none-of を使ってください`,
        `${where}: if match-all { … } cannot be evaluated (USBGuard fails on it too, and the device is rejected); use one-of, all-of or none-of`,
      ),
    );
  }
  const uppercase = rule.id?.values.find((id) => /[A-F]/.test(id.vendorId) || /[A-F]/.test(id.productId));
  if (uppercase !== undefined) {
    const lower = `${uppercase.vendorId}:${uppercase.productId}`.toLowerCase();
    ctx.report(
      'warning',
      'usb-rule-id-uppercase',
      path,
      msg(
        `${where} の機器 ID ${uppercase.vendorId}:${uppercase.productId} に大文字があります。機器 ID は大文字と小文字を区別して比べられ、カーネルは小文字で報告するため、この ID は一致しません。${lower} と書いてください`,
        `${where}: the device id ${uppercase.vendorId}:${uppercase.productId} has uppercase letters; ids compare case-sensitively and the kernel reports lowercase, so it never matches; write ${lower}`,
      ),
    );
  }
}

/**
 * Where column `ruleColumn` (1-based, UTF-16) of the rule `rule` is in the YAML text, given where
 * its scalar starts. Plain, single-quoted and double-quoted scalars on one line are mapped
 * exactly; anything else (folded lines, unusual escapes) gives undefined, and the caller points at
 * the start of the value.
 */
export function yamlPositionInRule(source: string, start: SourcePosition, rule: string, ruleColumn: number): SourcePosition | undefined {
  if (start.line < 1 || start.column < 1) return undefined;
  let lineStart = 0;
  for (let line = 1; line < start.line; line += 1) {
    const next = source.indexOf('\n', lineStart);
    if (next < 0) return undefined;
    lineStart = next + 1;
  }
  const lineEnd = source.indexOf('\n', lineStart) < 0 ? source.length : source.indexOf('\n', lineStart);
  const offset = lineStart + start.column - 1;
  // rawAt[k]: where the k-th code unit of the decoded rule is in the source (k = length: its end).
  const rawAt: number[] = [];
  let decoded = '';
  const quote = source[offset];
  if (quote === "'" || quote === '"') {
    let i = offset + 1;
    for (;;) {
      if (i >= lineEnd) return undefined;
      const c = source[i] as string;
      if (quote === "'" && c === "'") {
        if (source[i + 1] !== "'") break;
        rawAt.push(i);
        decoded += "'";
        i += 2;
        continue;
      }
      if (quote === '"' && c === '"') break;
      if (quote === '"' && c === '\\') {
        const escaped = yamlEscape(source, i);
        if (escaped === undefined) return undefined;
        for (let k = 0; k < escaped.text.length; k += 1) rawAt.push(i);
        decoded += escaped.text;
        i += escaped.length;
        continue;
      }
      rawAt.push(i);
      decoded += c;
      i += 1;
    }
    rawAt.push(i);
  } else {
    if (source.slice(offset, offset + rule.length) !== rule) return undefined;
    for (let k = 0; k <= rule.length; k += 1) rawAt.push(offset + k);
    decoded = rule;
  }
  if (decoded !== rule) return undefined;
  const at = rawAt[Math.min(ruleColumn - 1, rule.length)];
  return at === undefined ? undefined : { line: start.line, column: at - lineStart + 1 };
}

/** One YAML double-quoted escape at `i` (the backslash): its text and source length. */
function yamlEscape(source: string, i: number): { text: string; length: number } | undefined {
  const c = source[i + 1];
  const simple: Record<string, string> = {
    '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
    ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
  };
  if (c === undefined) return undefined;
  if (simple[c] !== undefined) return { text: simple[c] as string, length: 2 };
  const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (digits === 0) return undefined;
  const hex = source.slice(i + 2, i + 2 + digits);
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) return undefined;
  const codePoint = Number.parseInt(hex, 16);
  if (codePoint > 0x10ffff) return undefined;
  return { text: String.fromCodePoint(codePoint), length: 2 + digits };
}

function lintMedia(ctx: LintContext): void {
  const { media } = ctx.policy.spec;
  if (isMyNumberZone(ctx.policy)) {
    const classes = media.classes;
    for (const name of ['usbStorage', 'sdCard', 'optical', 'networkFilesystem', 'otherFuse'] as const) {
      if (classes[name] !== 'allow') continue;
      ctx.report(
        'warning',
        'mynumber-media-allowed',
        ['spec', 'media', 'classes', name],
        msg(
          `マイナンバー利用事務系のポリシーで spec.media.classes.${name} が allow です。芽室町ISP 1-6-(3)-ア は端末からの情報持ち出し不可設定を求めています。deny（必要なら read-only）にし、例外は approvedVolumes に期限付きで登録してください`,
          `spec.media.classes.${name} is allow in a My Number zone policy; 芽室町ISP 1-6-(3)-ア requires that data cannot be taken out of the terminal; use deny (or read-only) and list exceptions in approvedVolumes with an expiry`,
        ),
      );
    }
    if (media.automount === 'allow') {
      ctx.report(
        'warning',
        'mynumber-automount-allowed',
        ['spec', 'media', 'automount'],
        msg(
          'マイナンバー利用事務系のポリシーで spec.media.automount が allow です。媒体は判定の前に自動でマウントされないよう block にしてください',
          'spec.media.automount is allow in a My Number zone policy; set it to block so media are not mounted before they are checked',
        ),
      );
    }
  }

  const notBefore = instantOf(ctx.policy.metadata.notBefore);
  media.approvedVolumes.forEach((volume, index) => {
    const path: PolicyPath = ['spec', 'media', 'approvedVolumes', index];
    if (volume.deviceSerial === undefined && volume.filesystemUuid === undefined) {
      ctx.report(
        'error',
        'approved-volume-unidentified',
        [...path, 'name'],
        msg(
          `承認済み媒体 ${quote(volume.name)} に deviceSerial も filesystemUuid もありません。名前だけではどの媒体か決められないため、少なくとも一方を書いてください`,
          `approved volume ${quote(volume.name)} has neither deviceSerial nor filesystemUuid; a name alone cannot identify a medium, so give at least one`,
        ),
      );
    }
    if (instantOf(volume.expires) <= notBefore) {
      ctx.report(
        'error',
        'approved-volume-expired',
        [...path, 'expires'],
        msg(
          `承認済み媒体 ${quote(volume.name)} の期限（${volume.expires}）は、このポリシーの有効期間の始まり（${ctx.policy.metadata.notBefore}）より前に切れています。期限を直すか、この項目を消してください`,
          `approved volume ${quote(volume.name)} expires (${volume.expires}) before this policy becomes valid (${ctx.policy.metadata.notBefore}); fix the expiry or remove the entry`,
        ),
      );
    }
  });
  const identities = media.approvedVolumes.map((v) => `${v.deviceSerial ?? ''}\u0000${v.filesystemUuid?.toLowerCase() ?? ''}`);
  const firstIdentity = new Map<string, number>();
  identities.forEach((identity, index) => {
    const earlier = firstIdentity.get(identity);
    if (earlier === undefined) {
      firstIdentity.set(identity, index);
      return;
    }
    const other = ctx.lineOf(['spec', 'media', 'approvedVolumes', earlier], ['spec', 'media', 'approvedVolumes', index]);
    ctx.report(
      'error',
      'duplicate-entry',
      ['spec', 'media', 'approvedVolumes', index],
      msg(
        `spec.media.approvedVolumes[${index}] は [${earlier}]${other.ja}と同じ媒体（同じ deviceSerial と filesystemUuid）です。1 つにまとめてください`,
        `spec.media.approvedVolumes[${index}] names the same medium (same deviceSerial and filesystemUuid) as [${earlier}]${other.en}; merge them`,
      ),
    );
  });

  media.exportDestinations.forEach((destination, index) => {
    const path: PolicyPath = ['spec', 'media', 'exportDestinations', index, 'path'];
    if (!isAbsoluteLocalPath(destination.path)) {
      ctx.report(
        'error',
        'export-path-not-absolute',
        path,
        msg(
          `書き出し先 ${quote(destination.path)} が絶対パスではありません。/media のように / から、または C:\\ のようにドライブ名から書いてください`,
          `export destination ${quote(destination.path)} is not an absolute path; start it with / (e.g. /media) or a drive (e.g. C:\\)`,
        ),
      );
    } else if (hasDotSegments(destination.path)) {
      ctx.report(
        'error',
        'export-path-not-normalized',
        path,
        msg(
          `書き出し先 ${quote(destination.path)} に . または .. が含まれています。解決後のパスをそのまま書いてください`,
          `export destination ${quote(destination.path)} contains . or .. segments; write the resolved path`,
        ),
      );
    }
  });
  reportDuplicates(
    ctx,
    ['spec', 'media', 'exportDestinations'],
    media.exportDestinations.map((d) => d.path),
    { normalize: (p) => p.replace(/[\\/]+$/, ''), field: 'path' },
  );
}

function lintChannels(ctx: LintContext): void {
  const { channels } = ctx.policy.spec;
  if (isMyNumberZone(ctx.policy)) {
    for (const radio of ['bluetooth', 'wifi'] as const) {
      if (channels[radio] !== 'allow') continue;
      // The Japanese name carries its own spacing: 「ポリシーで無線 LAN」 but 「ポリシーで Bluetooth」.
      const name = radio === 'wifi' ? msg('無線 LAN', 'Wi-Fi') : msg(' Bluetooth', 'Bluetooth');
      ctx.report(
        'warning',
        'mynumber-wireless-allowed',
        ['spec', 'channels', radio],
        msg(
          `マイナンバー利用事務系のポリシーで${name.ja}（spec.channels.${radio}）が allow です。無線は他の領域との通信や情報持ち出しの経路になるため block にしてください`,
          `${name.en} (spec.channels.${radio}) is allow in a My Number zone policy; radio links are a path to other zones and out of the terminal, so set it to block`,
        ),
      );
    }
  }
  reportDuplicates(ctx, ['spec', 'channels', 'printers', 'allow'], channels.printers.allow);
  reportDuplicates(ctx, ['spec', 'channels', 'networkShares', 'allow'], channels.networkShares.allow, { normalize: normalizeShare });
}

/** SMB names are case-insensitive throughout; for NFS only the server name is (export paths are not). */
function normalizeShare(share: string): string {
  if (share.startsWith('//')) return share.toLowerCase();
  const colon = share.startsWith('[') ? share.indexOf(']:') + 1 : share.indexOf(':');
  return share.slice(0, colon).toLowerCase() + share.slice(colon);
}

/** One spelling per address (`2001:0db8::1` and `2001:db8::1` are the same server). */
function normalizeIp(text: string): string {
  const address = parseIpAddress(text);
  return address === undefined ? text : formatIpAddress(address);
}

function lintIsolation(ctx: LintContext): void {
  const { isolation } = ctx.policy.spec;
  const base: PolicyPath = ['spec', 'isolation'];
  const blocks: { block: CidrBlock; index: number }[] = [];
  isolation.allowedCidrs.forEach((text, index) => {
    const block = parseCidr(text);
    if (block === undefined) return;
    const path: PolicyPath = [...base, 'allowedCidrs', index];
    if (block.hostBitsSet) {
      ctx.report(
        'error',
        'cidr-host-bits',
        path,
        msg(
          `${text} はアドレス範囲の途中から始まっています（/${block.prefixLength} より下のビットが 0 ではありません）。${block.text} のつもりなら、そう書いてください`,
          `${text} has host bits set below /${block.prefixLength}; if you mean ${block.text}, write that`,
        ),
      );
    }
    for (const earlier of blocks) {
      if (!cidrOverlaps(block, earlier.block)) continue;
      const other = ctx.lineOf([...base, 'allowedCidrs', earlier.index], path);
      const otherText = isolation.allowedCidrs[earlier.index] as string;
      if (block.prefixLength === earlier.block.prefixLength) {
        ctx.report(
          'error',
          'cidr-duplicate',
          path,
          msg(
            `spec.isolation.allowedCidrs[${index}] の ${text} は [${earlier.index}]${other.ja}の ${otherText} と同じ範囲です。一方を消してください`,
            `spec.isolation.allowedCidrs[${index}] ${text} is the same range as [${earlier.index}] ${otherText}${other.en}; remove one`,
          ),
        );
      } else {
        const [inner, outer] = block.prefixLength > earlier.block.prefixLength ? [text, otherText] : [otherText, text];
        ctx.report(
          'error',
          'cidr-overlap',
          path,
          msg(
            `spec.isolation.allowedCidrs[${index}] の ${text} と [${earlier.index}]${other.ja}の ${otherText} が重なっています（${inner} は ${outer} に含まれます）。意図した範囲だけを 1 回ずつ書いてください`,
            `spec.isolation.allowedCidrs[${index}] ${text} overlaps [${earlier.index}] ${otherText}${other.en}: ${inner} lies inside ${outer}; list each intended range once`,
          ),
        );
      }
      break;
    }
    blocks.push({ block, index });
    if (isMyNumberZone(ctx.policy)) {
      if (block.prefixLength === 0) {
        ctx.report(
          'error',
          'mynumber-isolation-open',
          path,
          msg(
            `マイナンバー利用事務系のポリシーで ${text} はすべての宛先を許してしまいます。芽室町ISP 1-6-(3)-ア は他の領域との通信をできないようにすることを求めています。業務に必要な範囲だけを書いてください`,
            `${text} allows every destination in a My Number zone policy; 芽室町ISP 1-6-(3)-ア requires that the zone cannot talk to other zones; list only the ranges the work needs`,
          ),
        );
      } else if (block.prefixLength < (block.family === 4 ? 8 : 32)) {
        ctx.report(
          'warning',
          'isolation-cidr-broad',
          path,
          msg(
            `${text} は非常に広い範囲です（/${block.prefixLength}）。他の領域の宛先を含んでいないか確認し、業務に必要な範囲に絞ってください`,
            `${text} is a very wide range (/${block.prefixLength}); check that it holds no destination in another zone and narrow it to what the work needs`,
          ),
        );
      }
    }
  });

  const allowedBy = (host: string): { text: string } | undefined => {
    const address = parseIpAddress(host);
    if (address === undefined) return undefined;
    const hit = blocks.find(({ block }) => cidrContains(block, address));
    return hit === undefined ? undefined : { text: isolation.allowedCidrs[hit.index] as string };
  };
  const reachable = (host: string): boolean | undefined =>
    parseIpAddress(host) === undefined ? undefined : allowedBy(host) !== undefined;

  isolation.canaries.forEach((canary, index) => {
    const hit = allowedBy(canary.host);
    if (hit === undefined) return;
    ctx.report(
      'error',
      'canary-reachable',
      [...base, 'canaries', index, 'host'],
      msg(
        `カナリア ${quote(canary.name)} の宛先 ${canary.host} は allowedCidrs の ${hit.text} に含まれるため、このポリシー自身が通信を許しています。到達できないはずの他領域の宛先を選ぶか、allowedCidrs を見直してください`,
        `canary ${quote(canary.name)} at ${canary.host} lies inside the allowed range ${hit.text}, so this policy itself lets it through; pick a destination in another zone, or fix allowedCidrs`,
      ),
    );
  });
  reportDuplicates(ctx, [...base, 'canaries'], isolation.canaries.map((c) => c.name), { field: 'name' });
  if (isMyNumberZone(ctx.policy)) {
    if (isolation.canaries.length === 0) {
      ctx.report(
        'warning',
        'isolation-no-canaries',
        [...base, 'canaries'],
        msg(
          'spec.isolation.canaries が空です。分離が保たれているかを端末で確かめられません。LGWAN 接続系とインターネット接続系の宛先を 1 つずつ以上書いてください',
          'spec.isolation.canaries is empty, so the terminal cannot verify its isolation; list at least one destination in the LGWAN zone and one on the internet',
        ),
        'key',
      );
    }
    if (isolation.checkIntervalSeconds > SLOW_ISOLATION_CHECK_SECONDS) {
      ctx.report(
        'warning',
        'isolation-check-infrequent',
        [...base, 'checkIntervalSeconds'],
        msg(
          `分離の確認が ${isolation.checkIntervalSeconds} 秒に 1 回です。経路の変化に気づくのが遅れるため、${SLOW_ISOLATION_CHECK_SECONDS} 秒以下にしてください`,
          `isolation is checked only every ${isolation.checkIntervalSeconds} s; a changed route would go unnoticed for long, so use ${SLOW_ISOLATION_CHECK_SECONDS} s or less`,
        ),
      );
    }
  }

  isolation.dnsServers.forEach((server, index) => {
    if (reachable(server) !== false) return;
    ctx.report(
      'warning',
      'dns-server-unreachable',
      [...base, 'dnsServers', index],
      msg(
        `DNS サーバー ${server} は allowedCidrs のどの範囲にも含まれないため、端末から届きません。allowedCidrs に加えるか、DNS サーバーを見直してください`,
        `DNS server ${server} is outside every allowed range, so the terminal cannot reach it; add it to allowedCidrs or change the DNS server`,
      ),
    );
  });
  reportDuplicates(ctx, [...base, 'dnsServers'], isolation.dnsServers, { normalize: normalizeIp });
  if (isolation.allowedInterfaces !== undefined) {
    reportDuplicates(ctx, [...base, 'allowedInterfaces'], isolation.allowedInterfaces);
  }

  const collector = parseCollectorUrl(ctx.policy.spec.reporting.collectorUrl);
  if (collector !== undefined && !isLoopbackHost(collector.host) && reachable(collector.host) === false) {
    ctx.report(
      'warning',
      'collector-unreachable',
      ['spec', 'reporting', 'collectorUrl'],
      msg(
        `集約サーバー ${collector.host} は spec.isolation.allowedCidrs のどの範囲にも含まれないため、端末から報告を送れません`,
        `the collector ${collector.host} is outside every range in spec.isolation.allowedCidrs, so the terminal cannot report to it`,
      ),
    );
  }
}

function lintMfa(ctx: LintContext): void {
  const { mfa } = ctx.policy.spec;
  const base: PolicyPath = ['spec', 'mfa'];
  const { delaySeconds, lockUntilAdminReset, maxFailures } = mfa.lockout;
  delaySeconds.forEach((delay, index) => {
    if (index === 0) return;
    const previous = delaySeconds[index - 1] as number;
    if (delay > previous) return;
    ctx.report(
      'error',
      'lockout-delays-not-increasing',
      [...base, 'lockout', 'delaySeconds', index],
      msg(
        `spec.mfa.lockout.delaySeconds は増えていかなければなりませんが、[${index}] の ${delay} 秒が直前の ${previous} 秒以下です`,
        `spec.mfa.lockout.delaySeconds must increase, but [${index}] (${delay} s) is not more than the one before (${previous} s)`,
      ),
    );
  });
  if (delaySeconds.length === 0 && !lockUntilAdminReset) {
    ctx.report(
      'error',
      'lockout-ineffective',
      [...base, 'lockout'],
      msg(
        'spec.mfa.lockout に待ち時間（delaySeconds）がなく、lockUntilAdminReset も false のため、失敗しても何も起きず何度でも試せます（RFC 4226 §7.3 違反）。delaySeconds を書くか lockUntilAdminReset を true にしてください',
        'spec.mfa.lockout has no delaySeconds and lockUntilAdminReset is false, so failures cost nothing and codes can be guessed without limit (RFC 4226 §7.3); add delaySeconds or set lockUntilAdminReset to true',
      ),
      'key',
    );
  }
  if (maxFailures > LENIENT_MAX_FAILURES) {
    ctx.report(
      'warning',
      'mfa-lockout-lenient',
      [...base, 'lockout', 'maxFailures'],
      msg(
        `${maxFailures} 回続けて失敗するまでロックしません。推測の機会を減らすため ${LENIENT_MAX_FAILURES} 回以下（推奨 5 回）にしてください`,
        `the lockout allows ${maxFailures} consecutive failures; use ${LENIENT_MAX_FAILURES} or fewer (5 recommended) to limit guessing`,
      ),
    );
  }
  if (mfa.totp.driftSteps > 1) {
    ctx.report(
      'warning',
      'mfa-drift-wide',
      [...base, 'totp', 'driftSteps'],
      msg(
        `spec.mfa.totp.driftSteps が ${mfa.totp.driftSteps} です。RFC 6238 §5.2 は前後 1 ステップまでを勧めています。端末の時刻は庁内の NTP で合わせ、1 にしてください`,
        `spec.mfa.totp.driftSteps is ${mfa.totp.driftSteps}; RFC 6238 §5.2 recommends at most one step; keep terminal clocks on the internal NTP source and use 1`,
      ),
    );
  }
  if (mfa.unlockPeriodSeconds > LONG_UNLOCK_SECONDS) {
    ctx.report(
      'warning',
      'mfa-unlock-long',
      [...base, 'unlockPeriodSeconds'],
      msg(
        `1 回のロック解除が ${mfa.unlockPeriodSeconds} 秒（${(mfa.unlockPeriodSeconds / 3600).toFixed(1)} 時間）続きます。勤務時間を超えないよう ${LONG_UNLOCK_SECONDS} 秒以下にしてください`,
        `one unlock lasts ${mfa.unlockPeriodSeconds} s (${(mfa.unlockPeriodSeconds / 3600).toFixed(1)} h); keep it within a working day, ${LONG_UNLOCK_SECONDS} s or less`,
      ),
    );
  }
  if (mfa.idleLockSeconds > LONG_IDLE_LOCK_SECONDS) {
    ctx.report(
      'warning',
      'mfa-idle-lock-long',
      [...base, 'idleLockSeconds'],
      msg(
        `無操作のまま ${mfa.idleLockSeconds} 秒たつまでロックしません。離席中に使われないよう ${LONG_IDLE_LOCK_SECONDS} 秒以下にしてください`,
        `the terminal stays unlocked for ${mfa.idleLockSeconds} s without input; use ${LONG_IDLE_LOCK_SECONDS} s or less so an unattended terminal locks`,
      ),
    );
  }
  if (mfa.gracePeriodSeconds > LONG_GRACE_SECONDS) {
    ctx.report(
      'warning',
      'mfa-grace-long',
      [...base, 'gracePeriodSeconds'],
      msg(
        `画面ロック後も ${mfa.gracePeriodSeconds} 秒間はロック解除が続きます。画面ロックで解除が終わるよう ${LONG_GRACE_SECONDS} 秒以下（推奨 0）にしてください`,
        `an unlock survives a screen lock for ${mfa.gracePeriodSeconds} s; use ${LONG_GRACE_SECONDS} s or less (0 recommended) so a screen lock ends it`,
      ),
    );
  }
  if (mfa.emergencyCode.enabled && mfa.emergencyCode.ttlSeconds > LONG_EMERGENCY_CODE_SECONDS) {
    ctx.report(
      'warning',
      'mfa-emergency-code-long',
      [...base, 'emergencyCode', 'ttlSeconds'],
      msg(
        `緊急解除コードが ${mfa.emergencyCode.ttlSeconds} 秒間有効です。緊急解除コードは短い期限の使い捨てにするため ${LONG_EMERGENCY_CODE_SECONDS} 秒以下にしてください`,
        `emergency codes stay valid for ${mfa.emergencyCode.ttlSeconds} s; they should be short-lived and single-use, so use ${LONG_EMERGENCY_CODE_SECONDS} s or less`,
      ),
    );
  }
}

function lintReporting(ctx: LintContext): void {
  const url = parseCollectorUrl(ctx.policy.spec.reporting.collectorUrl);
  if (url?.scheme === 'http') {
    ctx.report(
      'warning',
      'collector-http',
      ['spec', 'reporting', 'collectorUrl'],
      msg(
        '集約サーバーへの報告が暗号化されない http です（ループバック宛てなので許していますが、試験用の設定です）。本番では https にしてください',
        'reports go to the collector over unencrypted http (allowed because it is loopback, which is a test setup); use https in production',
      ),
    );
  }
}
