import { z } from 'zod';
import type { Localized } from '../i18n';
import { isCidr, isHost, isIpAddress, isLoopbackHost, isNetworkShare, parseCollectorUrl } from './net';

/**
 * The Zone Policy document, version 1 (issue #2): what a terminal in one network zone may do
 * with USB devices, media, radio and network channels, how it proves it is isolated, how users
 * unlock it with a second factor, and where it reports. Every object is strict (an unknown field
 * is an error, because a misspelt control must never be silently ignored) and every number,
 * string and list is bounded.
 *
 * Each control section names the clauses it implements (`implements`), so an auditor can trace a
 * setting back to 芽室町情報セキュリティポリシー 第1章第6節(3)ア and the national guideline.
 */

/** The only `apiVersion` this schema reads. */
export const POLICY_API_VERSION = 'mynumber-guard/v1';
/** The only `kind` this schema reads. */
export const POLICY_KIND = 'ZonePolicy';

/**
 * Text for people about each documented field, in both languages. Filled when the schema is
 * built; read by the diagnostic catalogue (to explain a missing field) and mirrored into the JSON
 * Schema descriptions.
 */
export const policyFieldText = z.registry<Localized>();

/**
 * Named string formats checked by a regular expression or a predicate. The diagnostic catalogue
 * turns each into a sentence saying what the value should look like.
 */
export type PolicyFormat =
  | 'policy-id'
  | 'single-line'
  | 'multi-line'
  | 'filesystem-uuid'
  | 'cidr'
  | 'ip-address'
  | 'host'
  | 'collector-url'
  | 'collector-url-scheme'
  | 'network-share';

const patternFormats = new Map<string, PolicyFormat>();

/** The named format of a regular expression used by this schema, by its `/source/flags` text. */
export function formatOfPattern(pattern: string | undefined): PolicyFormat | undefined {
  return pattern === undefined ? undefined : patternFormats.get(pattern);
}

function namedPattern(format: PolicyFormat, pattern: RegExp): RegExp {
  patternFormats.set(String(pattern), format);
  return pattern;
}

/** Attaches ja/en text to a field: in the JSON Schema `description` and in `policyFieldText`. */
function described<T extends z.ZodType>(schema: T, ja: string, en: string): T {
  const withMeta = schema.meta({ description: `${ja}\n${en}` });
  policyFieldText.add(withMeta, { ja, en });
  return withMeta;
}

// Characters that never belong in a policy value: C0/C1 controls, DEL, Unicode line and paragraph
// separators, and bidirectional overrides (CVE-2021-42574 "Trojan Source": text that displays
// differently from what it contains must not reach a reviewer).
const FORBIDDEN = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const FORBIDDEN_IN_TEXT = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** One line of printable text without leading or trailing white space. */
export const SINGLE_LINE_PATTERN = namedPattern(
  'single-line',
  new RegExp(`^[^\\s${FORBIDDEN}](?:[^${FORBIDDEN}]*[^\\s${FORBIDDEN}])?$`),
);
/** Printable text; line feeds and tabs allowed. */
export const MULTI_LINE_PATTERN = namedPattern('multi-line', new RegExp(`^[^${FORBIDDEN_IN_TEXT}]*$`));
/** Policy identifiers: lowercase letters, digits and hyphens, 1..64, not starting with a hyphen. */
export const POLICY_ID_PATTERN = namedPattern('policy-id', /^[a-z0-9][a-z0-9-]{0,63}$/);
/** File-system identifiers as blkid and Windows print them: ext4/XFS UUIDs, FAT/exFAT `1A2B-3C4D`, NTFS 16 hex digits. */
export const FILESYSTEM_UUID_PATTERN = namedPattern('filesystem-uuid', /^[0-9A-Fa-f]+(?:-[0-9A-Fa-f]+)*$/);

function singleLine(min: number, max: number) {
  return z.string().min(min).max(max).regex(SINGLE_LINE_PATTERN);
}

function multiLine(min: number, max: number) {
  return z.string().min(min).max(max).regex(MULTI_LINE_PATTERN);
}

function formatted(maxLength: number, format: PolicyFormat, predicate: (value: string) => boolean) {
  return z.string().min(1).max(maxLength).refine(predicate, { params: { format } });
}

/** An ISO 8601 / RFC 3339 date-time that carries its offset (`Z` or `±hh:mm`). */
function dateTime(ja: string, en: string) {
  return described(z.iso.datetime({ offset: true }), ja, en);
}

function int(min: number, max: number) {
  return z.number().int().min(min).max(max);
}

/** Largest value of `metadata.version`: fits every signed 32-bit store. */
export const MAX_POLICY_VERSION = 2_147_483_647;

const clauseList = described(
  z.array(singleLine(1, 200)).min(1).max(16),
  'この制御が実装する条項（例: 「芽室町ISP 1-6-(3)-ア」）。1 件以上',
  'Clauses this control implements (e.g. "芽室町ISP 1-6-(3)-ア"); at least one',
);

const mediaAction = z.enum(['deny', 'read-only', 'allow']);
const blockOrAllow = z.enum(['block', 'allow']);

const metadataSchema = z.strictObject({
  id: described(
    z.string().regex(POLICY_ID_PATTERN),
    'ポリシーの識別子。英小文字・数字・ハイフン、1〜64 文字',
    'Policy identifier: lowercase letters, digits and hyphens, 1..64 characters',
  ),
  version: described(
    int(1, MAX_POLICY_VERSION),
    '版番号（正の整数）。同じ id では発行のたびに大きくする。端末は今より小さい版を拒否する（ロールバック防止）',
    'Version (positive integer); increase it on every release of the same id; terminals refuse a lower version (rollback protection)',
  ),
  issuer: described(singleLine(1, 200), '発行者（部署・担当者）', 'Issuer (department or person)'),
  notBefore: dateTime('有効期間の開始（タイムゾーン付き日時）', 'Start of validity (date-time with offset)'),
  notAfter: dateTime('有効期間の終了（タイムゾーン付き日時）。notBefore より後', 'End of validity (date-time with offset), after notBefore'),
  description: described(multiLine(1, 4000), '説明（任意）', 'Description (optional)').optional(),
  zone: described(
    z.enum(['myNumber', 'lgwan', 'internet']),
    'このポリシーを適用するネットワーク領域: myNumber（マイナンバー利用事務系）、lgwan（LGWAN接続系）、internet（インターネット接続系）',
    'Network zone this policy is for: myNumber (マイナンバー利用事務系), lgwan (LGWAN接続系), internet (インターネット接続系)',
  ),
});

const usbSchema = z.strictObject({
  implements: clauseList,
  defaultTarget: described(
    z.enum(['block', 'reject']),
    'どの規則にも一致しない USB 機器の扱い: block（接続したまま無効）または reject（論理的に切り離す）',
    'What happens to a USB device no rule matches: block (stays attached, unauthorized) or reject (logically removed)',
  ),
  rules: described(
    z.array(singleLine(1, 4096)).max(5000),
    'USBGuard 規則構文の規則（上から順に、最初に一致したものが適用される）。最大 5000 件',
    'Rules in USBGuard rule syntax, first match wins; at most 5000',
  ),
});

const approvedVolumeSchema = z.strictObject({
  name: described(singleLine(1, 200), '台帳上の名前（例: 管理番号）', 'Name in the device ledger (e.g. asset number)'),
  deviceSerial: described(singleLine(1, 256), 'USB 機器のシリアル番号', 'USB device serial number').optional(),
  filesystemUuid: described(
    z.string().min(4).max(36).regex(FILESYSTEM_UUID_PATTERN),
    'ファイルシステムの UUID（blkid の表示どおり）',
    'File-system UUID as blkid prints it',
  ).optional(),
  action: described(z.enum(['read-only', 'allow']), '許可の種類: read-only（読み取りのみ）または allow', 'Kind of approval: read-only or allow'),
  expires: dateTime('承認の期限（タイムゾーン付き日時）', 'Approval expiry (date-time with offset)'),
  reason: described(multiLine(1, 1000), '承認の理由（申請番号など）', 'Reason for the approval (e.g. request number)'),
});

const exportDestinationSchema = z.strictObject({
  path: described(singleLine(1, 1024), '監視する書き出し先の絶対パス', 'Absolute path of the watched destination'),
  action: described(
    z.enum(['record', 'quarantine', 'delete']),
    '書き出されたファイルの扱い: record（記録のみ）、quarantine（隔離）、delete（削除）',
    'What to do with a file written there: record, quarantine or delete',
  ),
});

const mediaSchema = z.strictObject({
  implements: clauseList,
  classes: described(
    z.strictObject({
      usbStorage: described(mediaAction, 'USB メモリ・外付けディスク', 'USB sticks and external disks'),
      sdCard: described(mediaAction, 'SD カード（省略時は usbStorage と同じ）', 'SD cards (omitted: same as usbStorage)').optional(),
      optical: described(mediaAction, 'CD/DVD/BD', 'CD/DVD/BD'),
      networkFilesystem: described(
        mediaAction,
        'ネットワークファイルシステム（SMB/NFS）。channels.networkShares.allow の共有は除く',
        'Network file systems (SMB/NFS), except the shares in channels.networkShares.allow',
      ),
      otherFuse: described(mediaAction, 'その他の FUSE ファイルシステム', 'Other FUSE file systems'),
    }),
    '媒体の種類ごとの既定: deny（使用不可）、read-only（読み取りのみ）、allow（許可）',
    'Default per media class: deny, read-only or allow',
  ),
  approvedVolumes: described(
    z.array(approvedVolumeSchema).max(1000),
    '台帳に登録され期限付きで承認された媒体（例外）',
    'Registered media approved until a date (exceptions)',
  ),
  exportDestinations: described(
    z.array(exportDestinationSchema).max(64),
    '書き出しを監視する場所',
    'Places where written files are watched',
  ),
  automount: described(blockOrAllow, '媒体の自動マウント', 'Automatic mounting of media'),
});

const channelsSchema = z.strictObject({
  implements: clauseList,
  bluetooth: described(blockOrAllow, 'Bluetooth', 'Bluetooth'),
  wifi: described(blockOrAllow, '無線 LAN', 'Wi-Fi'),
  printers: described(
    z.strictObject({
      allow: described(z.array(singleLine(1, 255)).max(256), '使用を許可するプリンタのキュー名', 'Printer queue names that may be used'),
    }),
    'プリンタ',
    'Printers',
  ),
  networkShares: described(
    z.strictObject({
      allow: described(
        z.array(formatted(1024, 'network-share', isNetworkShare)).max(256),
        '許可する共有: //サーバー/共有名（SMB）または サーバー:/パス（NFS）',
        'Allowed shares: //server/share (SMB) or server:/path (NFS)',
      ),
    }),
    'ネットワーク共有',
    'Network shares',
  ),
});

const canarySchema = z.strictObject({
  name: described(singleLine(1, 64), 'カナリアの名前', 'Canary name'),
  host: described(formatted(253, 'host', isHost), '到達できてはならない宛先（IP アドレスまたはホスト名）', 'Destination that must be unreachable (IP address or host name)'),
  port: described(int(1, 65535), 'TCP ポート番号', 'TCP port'),
  zone: described(z.enum(['lgwan', 'internet', 'other']), '宛先が属する領域', 'Zone the destination belongs to'),
});

const isolationSchema = z.strictObject({
  implements: clauseList,
  allowedCidrs: described(
    z.array(formatted(49, 'cidr', isCidr)).max(256),
    '通信を許す宛先のアドレス範囲（CIDR）。ここにない宛先はすべて遮断',
    'Destination ranges (CIDR) the terminal may reach; everything else is blocked',
  ),
  dnsServers: described(z.array(formatted(45, 'ip-address', isIpAddress)).max(16), '使用する DNS サーバー', 'DNS servers to use'),
  allowedInterfaces: described(
    z.array(singleLine(1, 256)).max(64),
    '使用を許すネットワークインターフェース名（省略時はすべて）',
    'Network interface names that may be used (omitted: all)',
  ).optional(),
  canaries: described(
    z.array(canarySchema).max(32),
    '到達できないことを定期的に確かめる他領域の宛先（分離の確認）',
    'Destinations in other zones that are probed and must stay unreachable (isolation check)',
  ),
  canaryTimeoutMs: described(int(100, 10_000), 'カナリアへの接続を待つ時間（ミリ秒）', 'How long to wait for a canary connection (ms)'),
  checkIntervalSeconds: described(int(10, 86_400), '分離確認の間隔（秒）', 'Interval between isolation checks (s)'),
});

const mfaSchema = z.strictObject({
  implements: clauseList,
  totp: described(
    z.strictObject({
      algorithm: described(z.enum(['SHA1', 'SHA256', 'SHA512']), 'TOTP のハッシュ関数（RFC 6238）', 'TOTP hash function (RFC 6238)'),
      digits: described(z.literal([6, 8]), 'コードの桁数', 'Number of digits in a code'),
      periodSeconds: described(int(15, 120), 'コードが変わる間隔（秒）', 'Time step (s)'),
      driftSteps: described(int(0, 2), '前後に許す時間ステップ数（RFC 6238 §5.2 は 1 を推奨）', 'Steps of clock drift accepted either side (RFC 6238 §5.2 recommends 1)'),
    }),
    'TOTP（時刻ベースのワンタイムパスワード）',
    'TOTP (time-based one-time password)',
  ),
  gracePeriodSeconds: described(
    int(0, 300),
    '画面ロック後もロック解除を保つ猶予（秒）。0 なら画面ロックで直ちに終了',
    'How long an unlock survives a screen lock (s); 0 ends it at once',
  ),
  idleLockSeconds: described(int(60, 14_400), '無操作でロックするまでの時間（秒）', 'Idle time before the terminal locks (s)'),
  unlockPeriodSeconds: described(int(300, 86_400), '1 回のロック解除が有効な時間（秒）', 'How long one unlock lasts (s)'),
  lockout: described(
    z.strictObject({
      maxFailures: described(int(1, 20), '連続失敗が何回でロックするか', 'Consecutive failures that trigger a lockout'),
      delaySeconds: described(
        z.array(int(1, 86_400)).max(16),
        'ロックのたびに待たせる時間（秒）。増加していくこと',
        'Wait imposed on each successive lockout (s), increasing',
      ),
      lockUntilAdminReset: described(
        z.boolean(),
        'delaySeconds を使い切った後は管理者が解除するまでロックする',
        'After the last delay, stay locked until an administrator resets it',
      ),
    }),
    '失敗時のロック（RFC 4226 §7.3）',
    'Lockout after failures (RFC 4226 §7.3)',
  ),
  emergencyCode: described(
    z.strictObject({
      enabled: described(z.boolean(), '管理者が発行する緊急解除コードを使えるか', 'Whether administrator-issued emergency codes are accepted'),
      ttlSeconds: described(int(300, 604_800), '緊急解除コードの有効期間（秒）', 'Lifetime of an emergency code (s)'),
    }),
    '緊急解除コード（トークン紛失時などの一回限りのコード）',
    'Emergency codes (single-use codes for a lost token)',
  ),
});

const reportingSchema = z.strictObject({
  implements: clauseList,
  collectorUrl: described(
    z
      .string()
      .min(1)
      .max(2048)
      .refine((value) => parseCollectorUrl(value) !== undefined, { params: { format: 'collector-url' } })
      .refine(
        (value) => {
          const url = parseCollectorUrl(value);
          return url === undefined || url.scheme === 'https' || isLoopbackHost(url.host);
        },
        { params: { format: 'collector-url-scheme' } },
      ),
    '集約サーバーの URL（https。http はループバックのみ）',
    'Collector URL (https; http only for loopback)',
  ),
  intervalSeconds: described(int(60, 86_400), '状態を報告する間隔（秒）', 'Reporting interval (s)'),
});

const specSchema = z.strictObject({
  usb: described(usbSchema, 'USB 機器の接続制御', 'USB device control'),
  media: described(mediaSchema, '記録媒体（情報持ち出し不可設定）', 'Storage media (no taking data out)'),
  channels: described(channelsSchema, 'その他の持ち出し経路（無線・印刷・共有）', 'Other channels out (radio, printing, shares)'),
  isolation: described(isolationSchema, '他の領域との通信の遮断と、その確認', 'Isolation from other zones, and its verification'),
  mfa: described(mfaSchema, '端末の多要素認証', 'Multi-factor authentication on the terminal'),
  reporting: described(reportingSchema, '集約サーバーへの状態報告（自己点検の材料）', 'Posture reporting to the collector (input to self-inspection)'),
});

/** The zod schema of a Zone Policy document. Parse untrusted input with `parsePolicyText`, not this directly. */
export const ZonePolicySchema = z.strictObject({
  apiVersion: described(z.literal(POLICY_API_VERSION), `文書の形式。常に ${POLICY_API_VERSION}`, `Document format; always ${POLICY_API_VERSION}`),
  kind: described(z.literal(POLICY_KIND), `文書の種類。常に ${POLICY_KIND}`, `Document kind; always ${POLICY_KIND}`),
  metadata: described(metadataSchema, '識別子・版・発行者・有効期間・領域', 'Identity, version, issuer, validity and zone'),
  spec: described(specSchema, '制御の設定', 'Control settings'),
});

/** A Zone Policy that passed the schema. Values are plain data (JSON-compatible). */
export type ZonePolicy = z.infer<typeof ZonePolicySchema>;
/** Zone a policy is for. */
export type PolicyZone = ZonePolicy['metadata']['zone'];
/** `spec.usb`. */
export type UsbPolicy = ZonePolicy['spec']['usb'];
/** `spec.media`. */
export type MediaPolicy = ZonePolicy['spec']['media'];
/** What a media class or approved volume allows: `deny | read-only | allow`. */
export type MediaAction = z.infer<typeof mediaAction>;
/** `spec.channels`. */
export type ChannelsPolicy = ZonePolicy['spec']['channels'];
/** `spec.isolation`. */
export type IsolationPolicy = ZonePolicy['spec']['isolation'];
/** One isolation canary. */
export type IsolationCanary = IsolationPolicy['canaries'][number];
/** `spec.mfa`. */
export type MfaPolicy = ZonePolicy['spec']['mfa'];
/** `spec.reporting`. */
export type ReportingPolicy = ZonePolicy['spec']['reporting'];

/**
 * The schema node for a path inside the document (object keys and array indices), with optional
 * wrappers removed; undefined when the path leaves the schema. Used to list a mapping's allowed
 * fields and to read a field's bounds and text for diagnostics.
 */
export function schemaAtPath(path: readonly PropertyKey[]): z.ZodType | undefined {
  let node: z.ZodType = ZonePolicySchema;
  for (const segment of path) {
    node = unwrapOptional(node);
    if (node instanceof z.ZodObject && typeof segment === 'string') {
      const shape = node.shape as Record<string, z.ZodType>;
      if (!Object.hasOwn(shape, segment)) return undefined;
      node = shape[segment] as z.ZodType;
    } else if (node instanceof z.ZodArray && typeof segment === 'number') {
      node = node.element as z.ZodType;
    } else {
      return undefined;
    }
  }
  return node;
}

/** Removes `.optional()` wrappers. */
export function unwrapOptional(schema: z.ZodType): z.ZodType {
  let node = schema;
  while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  return node;
}

/** The field names a mapping at `path` accepts, in schema order; empty when `path` is not a mapping. */
export function allowedFieldsAt(path: readonly PropertyKey[]): string[] {
  const node = schemaAtPath(path);
  const bare = node === undefined ? undefined : unwrapOptional(node);
  return bare instanceof z.ZodObject ? Object.keys(bare.shape as Record<string, unknown>) : [];
}

/** True when the field at `path` may be omitted. */
export function isOptionalField(path: readonly PropertyKey[]): boolean {
  return schemaAtPath(path) instanceof z.ZodOptional;
}

/** The ja/en text of the field at `path`, when the schema documents it. */
export function fieldTextAt(path: readonly PropertyKey[]): Localized | undefined {
  const node = schemaAtPath(path);
  if (node === undefined) return undefined;
  return policyFieldText.get(node) ?? policyFieldText.get(unwrapOptional(node));
}

/** The inclusive numeric bounds of the number field at `path`, when it has both. */
export function numberBoundsAt(path: readonly PropertyKey[]): { min: number; max: number } | undefined {
  const node = schemaAtPath(path);
  const bare = node === undefined ? undefined : unwrapOptional(node);
  if (!(bare instanceof z.ZodNumber)) return undefined;
  const { minValue, maxValue } = bare;
  if (minValue === null || maxValue === null || !Number.isFinite(minValue) || !Number.isFinite(maxValue)) return undefined;
  return { min: minValue, max: maxValue };
}
