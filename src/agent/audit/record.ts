// The byte form of audit records and of the head anchor: one serializer shared by the writer and
// the verifier, and strict parsers that never throw (docs/audit.md §1).
import { hash } from 'node:crypto';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import { auditFormatVersion, auditSeverities, type AuditHead, type AuditRecord, type AuditSeverity } from './model';

/** SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  // One-shot crypto.hash: about twice as fast as createHash for short lines.
  return hash('sha256', bytes, 'hex');
}

/**
 * The one byte form of a record: `JSON.stringify` of the fields in the fixed order
 * v, seq, time, type, severity, host, data, prev. The line in the file is this text plus `\n`.
 */
export function serializeAuditRecord(record: AuditRecord): string {
  return JSON.stringify({
    v: record.v,
    seq: record.seq,
    time: record.time,
    type: record.type,
    severity: record.severity,
    host: record.host,
    data: record.data,
    prev: record.prev,
  });
}

const timePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const eventTypePattern = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
const hashPattern = /^[0-9a-f]{64}$/;
// Host names as the OS reports them; control characters and separators would garble `mng audit show`.
const hostPattern = /^[\p{L}\p{N}._-]{1,253}$/u;
/** Longest event type, in characters. */
export const maxAuditEventTypeLength = 128;

/** Formats milliseconds since the epoch as the record's `time`; `undefined` for a time it cannot show. */
export function formatAuditTime(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return undefined;
  const text = date.toISOString();
  return timePattern.test(text) ? text : undefined;
}

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True for an ISO-8601 UTC time with milliseconds that names a real instant (`…T09:30:00.000Z`). */
export function isAuditTime(value: string): boolean {
  if (!timePattern.test(value)) return false;
  // Field checks instead of a Date round trip: this runs for every record the verifier reads.
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const lastDay = month === 2 && leap ? 29 : (daysInMonth[month - 1] ?? 0);
  return (
    month >= 1 &&
    day >= 1 &&
    day <= lastDay &&
    Number(value.slice(11, 13)) < 24 &&
    Number(value.slice(14, 16)) < 60 &&
    Number(value.slice(17, 19)) < 60
  );
}

/** True for a dotted event type in lowercase kebab segments: `usb.blocked`, `audit.tail-repaired`. */
export function isAuditEventType(value: string): boolean {
  return value.length <= maxAuditEventTypeLength && eventTypePattern.test(value);
}

/** True for a host name the log accepts (letters, digits, `.`, `_`, `-`; 1–253 characters). */
export function isAuditHostName(value: string): boolean {
  return hostPattern.test(value);
}

/** True for a lowercase SHA-256 hex string. */
export function isSha256Hex(value: string): boolean {
  return hashPattern.test(value);
}

/** Why one line is not a record. */
export type AuditLineFault = 'invalid-json' | 'invalid-record' | 'unsupported-version';

/** What parsing one line found. `seqHint` is the `seq` the damaged line seems to carry, if any. */
export type AuditLineParse =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly fault: AuditLineFault; readonly detail: Localized; readonly seqHint?: number };

const recordKeys: readonly string[] = ['v', 'seq', 'time', 'type', 'severity', 'host', 'data', 'prev'];
// ignoreBOM keeps a byte order mark as a character, so a BOM someone added is a fault, not invisible.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seqHintOf(text: string): number | undefined {
  const match = /"seq":(\d{1,15})[,}]/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function invalid(fault: AuditLineFault, detail: Localized, text?: string): AuditLineParse {
  const seqHint = text === undefined ? undefined : seqHintOf(text);
  return seqHint === undefined ? { ok: false, fault, detail } : { ok: false, fault, detail, seqHint };
}

/**
 * Parses one line (without its newline) as a record of format version 1. Strict: exactly the eight
 * fields with their types, and the line must be byte for byte what {@link serializeAuditRecord}
 * writes for those values (no other key order, spacing, escapes or duplicate keys), so what is
 * shown is exactly what was hashed. Never throws.
 */
export function parseAuditLine(bytes: Uint8Array): AuditLineParse {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (_error) {
    // TextDecoder with fatal: true throws only for invalid UTF-8.
    return invalid('invalid-json', msg('UTF-8 として読めないバイトがあります', 'it has bytes that are not valid UTF-8'));
  }
  if (text.length === 0) return invalid('invalid-json', msg('空行です', 'the line is empty'));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (_error) {
    return invalid('invalid-json', msg('JSON の構文が正しくありません', 'the JSON syntax is broken'), text);
  }
  if (!isPlainObject(raw)) return invalid('invalid-record', msg('JSON オブジェクトではありません', 'it is not a JSON object'), text);
  if (typeof raw.v === 'number' && Number.isInteger(raw.v) && raw.v > auditFormatVersion) {
    return invalid('unsupported-version', msg(`形式バージョン ${raw.v} です`, `it has format version ${raw.v}`), text);
  }
  const fieldFault = checkRecordFields(raw);
  if (fieldFault !== undefined) return invalid('invalid-record', fieldFault, text);
  const record = raw as unknown as AuditRecord;
  let canonical: string;
  try {
    canonical = serializeAuditRecord(record);
  } catch (_error) {
    // JSON.stringify recurses: a line of thousands of nested objects overflows the stack.
    return invalid('invalid-record', msg('data の入れ子が深すぎます', 'data is nested too deeply'), text);
  }
  if (canonical !== text) {
    return invalid(
      'invalid-record',
      msg(
        'エージェントが書く形（項目の順序・空白・エスケープ）と違います',
        'it is not in the form the agent writes (field order, spacing or escapes differ)',
      ),
      text,
    );
  }
  return { ok: true, record };
}

function checkRecordFields(raw: Record<string, unknown>): Localized | undefined {
  for (const key of Object.keys(raw)) {
    if (!recordKeys.includes(key)) return msg(`未知の項目 ${JSON.stringify(key)} があります`, `it has an unknown field ${JSON.stringify(key)}`);
  }
  for (const key of recordKeys) {
    if (!Object.hasOwn(raw, key)) return msg(`項目 ${key} がありません`, `the field ${key} is missing`);
  }
  if (raw.v !== auditFormatVersion) return msg('v が 1 ではありません', 'v is not 1');
  if (typeof raw.seq !== 'number' || !Number.isSafeInteger(raw.seq) || raw.seq < 1) {
    return msg('seq が正の整数ではありません', 'seq is not a positive integer');
  }
  if (typeof raw.time !== 'string' || !isAuditTime(raw.time)) {
    return msg('time がミリ秒付きの UTC 時刻（ISO-8601）ではありません', 'time is not an ISO-8601 UTC time with milliseconds');
  }
  if (typeof raw.type !== 'string' || !isAuditEventType(raw.type)) {
    return msg('type が「usb.blocked」のような種別名ではありません', 'type is not an event type like "usb.blocked"');
  }
  if (typeof raw.severity !== 'string' || !auditSeverities.includes(raw.severity as AuditSeverity)) {
    return msg('severity が info・notice・warning・alert のどれでもありません', 'severity is not one of info, notice, warning, alert');
  }
  if (typeof raw.host !== 'string' || !isAuditHostName(raw.host)) return msg('host がホスト名ではありません', 'host is not a host name');
  if (!isPlainObject(raw.data)) return msg('data が JSON オブジェクトではありません', 'data is not a JSON object');
  if (typeof raw.prev !== 'string' || !isSha256Hex(raw.prev)) {
    return msg('prev が SHA-256（16 進 64 文字）ではありません', 'prev is not a SHA-256 (64 hex digits)');
  }
  return undefined;
}

/** The head file's text: one JSON line `{"v":1,"seq":…,"hash":"…","time":"…"}` and a newline. */
export function serializeAuditHead(head: AuditHead): string {
  return `${JSON.stringify(head.time === undefined ? { v: auditFormatVersion, seq: head.seq, hash: head.hash } : { v: auditFormatVersion, seq: head.seq, hash: head.hash, time: head.time })}\n`;
}

const headKeys: readonly string[] = ['v', 'seq', 'hash', 'time', 'host'];
const utf8Lenient = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a head anchor: the `<log>.head` file, or an anchor an auditor copied from the collector.
 * Accepts `{"seq":N,"hash":"<64 hex>"}` with optional `v` (1), `time` and `host`; surrounding
 * whitespace and upper-case hex are tolerated, anything else is refused. Never throws.
 */
export function parseAuditHead(bytes: Uint8Array): Result<AuditHead, Localized> {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8Lenient.decode(bytes));
  } catch (_error) {
    return err(msg('JSON として読めません', 'it is not valid JSON'));
  }
  if (!isPlainObject(raw)) return err(msg('JSON オブジェクトではありません', 'it is not a JSON object'));
  for (const key of Object.keys(raw)) {
    if (!headKeys.includes(key)) return err(msg(`未知の項目 ${JSON.stringify(key)} があります`, `it has an unknown field ${JSON.stringify(key)}`));
  }
  if (raw.v !== undefined && raw.v !== auditFormatVersion) return err(msg('v が 1 ではありません', 'v is not 1'));
  if (typeof raw.seq !== 'number' || !Number.isSafeInteger(raw.seq) || raw.seq < 1) {
    return err(msg('seq が正の整数ではありません', 'seq is not a positive integer'));
  }
  if (typeof raw.hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(raw.hash)) {
    return err(msg('hash が SHA-256（16 進 64 文字）ではありません', 'hash is not a SHA-256 (64 hex digits)'));
  }
  if (raw.time !== undefined && typeof raw.time !== 'string') return err(msg('time が文字列ではありません', 'time is not a string'));
  if (raw.host !== undefined && typeof raw.host !== 'string') return err(msg('host が文字列ではありません', 'host is not a string'));
  const head: AuditHead = { seq: raw.seq, hash: raw.hash.toLowerCase() };
  return ok(typeof raw.time === 'string' ? { ...head, time: raw.time } : head);
}
