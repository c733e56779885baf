// Verifies the hash chain of an audit log and names the first record that is not as the agent
// wrote it, with what kind of tampering it looks like (docs/audit.md §3). Pure apart from hashing;
// streaming, so a log of any size is checked in bounded memory; never throws on any input.
import { msg, type Localized } from '../../shared/i18n';
import { createAuditLineSplitter, type AuditLineBytes } from './audit-lines';
import { auditEventTypes, auditGenesisHash, type AuditRecord, type AuditRecordRef, type AuditSeverity } from './model';
import { parseAuditLine, type AuditLineFault } from './record';

/**
 * What kind of damage a problem looks like. Stable codes (shown in `--json`, matched by tests and
 * by the collector); the wording for people is in {@link AuditProblem.message}.
 * - `torn-line`: the last line has no newline (crash while writing, or the file was cut mid-line).
 * - `invalid-json`, `invalid-record`: the line is not a record (damaged, altered, or foreign).
 * - `unsupported-version`: a record of a newer format than this verifier knows.
 * - `edited`: a record was changed after it was written.
 * - `deleted`: records are missing between two lines (or at the start).
 * - `inserted`: a line that is not part of the written chain was added.
 * - `reordered`: records are in another order than written.
 * - `duplicated`: an exact copy of another record.
 * - `truncated`: the file ends before the record the head anchor names.
 * - `seq-gap`: seq jumps although the hash chain links: the agent continued after it found
 *   records missing at the end (it never reuses a seq); the missing records are the damage.
 */
export type AuditTamperReason =
  | 'torn-line'
  | AuditLineFault
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'duplicated'
  | 'truncated'
  | 'seq-gap';

/** One place where the log is not as written. */
export interface AuditProblem {
  /** 1-based line of the record to blame; for `truncated` the line after the last one. */
  readonly line: number;
  /** seq of that record (for a damaged line, the seq it seems to carry), when known. */
  readonly seq?: number;
  readonly reason: AuditTamperReason;
  readonly message: Localized;
  /** SHA-256 of the blamed line; absent for `truncated`. Identifies the finding across runs. */
  readonly lineHash?: string;
  /** Set when an `audit.chain-broken-detected` record of the agent already reports this problem. */
  readonly acknowledged?: { readonly line: number; readonly seq: number; readonly time: string };
}

/** Something odd that is not tampering. */
export interface AuditVerifyWarning {
  readonly line: number;
  readonly seq: number;
  /** `time-went-back`: a record's time is before the previous record's (clock stepped back). */
  readonly kind: 'time-went-back';
  readonly message: Localized;
}

/** How the log relates to the head anchor it was checked against. */
export interface AuditHeadCheck {
  readonly seq: number;
  readonly hash: string;
  /**
   * `matched`: the record with the head's seq is in the log with the head's hash (records after it
   * are allowed: the head lags by one after a crash, and an older anchor from the collector is a
   * valid check of the prefix it covers). Otherwise the problem list says what is wrong.
   */
  readonly state: 'matched' | 'mismatch' | 'missing';
  /** Line of the record with the head's seq, when present. */
  readonly line?: number;
  /** Records after the anchored one. */
  readonly recordsAfter?: number;
}

/** A record the agent wrote about the log itself (tail repaired, chain broken, head invalid). */
export interface AuditIntegrityEvent {
  readonly line: number;
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly severity: AuditSeverity;
}

interface AuditVerifyCommon {
  /** Valid records in the file. */
  readonly records: number;
  /** seq of the last valid record (0 for an empty log). */
  readonly lastSeq: number;
  /** Hash of the last complete line (the genesis hash for an empty log): where the chain continues. */
  readonly lastHash: string;
  readonly head?: AuditHeadCheck;
  /** At most 100; `warningCount` has the total. */
  readonly warnings: readonly AuditVerifyWarning[];
  readonly warningCount: number;
  /** At most 100 integrity events recorded by the agent itself; worth a look during an audit. */
  readonly integrityEvents: readonly AuditIntegrityEvent[];
}

/** The verdict on a log: intact, or the first bad record and what it looks like. */
export type AuditVerifyResult =
  | (AuditVerifyCommon & { readonly ok: true })
  | (AuditVerifyCommon & {
      readonly ok: false;
      /** The first problem in file order. */
      readonly firstBad: AuditProblem;
      /** Records before the first bad line, all verified. */
      readonly recordsOk: number;
      /** Problems in file order, at most {@link maxReportedProblems}. */
      readonly problems: readonly AuditProblem[];
      /** All problems found (one per blamed line). */
      readonly problemCount: number;
    });

/** Where the log ends, for the writer that continues it. */
export interface AuditTailState {
  /** Byte offset just after the last newline. */
  readonly completeBytes: number;
  /** Lines that end with a newline. */
  readonly completeLines: number;
  /** Hash of the last complete line, or the genesis hash. The next record's `prev`. */
  readonly lastLineHash: string;
  /** Highest seq of any valid record (0 if none). */
  readonly maxSeq: number;
  /** The unfinished last line, if the stream did not end with a newline. */
  readonly torn?: {
    readonly offset: number;
    readonly length: number;
    readonly sha256: string;
    /** seq of the record the bytes hold, when they parse as one. */
    readonly seq?: number;
    /** The bytes parse as a record that continues the chain: only its newline is missing. */
    readonly continuesChain: boolean;
  };
}

/** The verdict plus the tail state. */
export interface AuditVerifyReport {
  readonly result: AuditVerifyResult;
  readonly tail: AuditTailState;
}

/** Feeds a log in chunks. */
export interface AuditVerifier {
  /** Next bytes of the log. Do not reuse the buffer afterwards (views into it are kept). */
  push(chunk: Uint8Array): void;
  /** Ends the log and returns the verdict. Call once. */
  finish(): AuditVerifyReport;
}

/** Options of {@link createAuditVerifier}. */
export interface AuditVerifierOptions {
  /** The head anchor the log must contain (from `<log>.head` or the collector). */
  readonly head?: AuditRecordRef;
  /** Lines longer than this (bytes) are not parsed and count as invalid records. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** Lines looked at before and after a break to tell what kind of tampering it is. Default 64. */
  readonly contextLines?: number;
}

/** Most problems kept in a result. */
export const maxReportedProblems = 1000;
const maxListed = 100;

// What the classifier knows of one line: its hash and, for a valid record, the record.
interface LineInfo {
  readonly line: number;
  readonly hash: string;
  readonly complete: boolean;
  readonly record?: AuditRecord;
  readonly fault?: { readonly fault: AuditLineFault; readonly detail: Localized; readonly seqHint?: number };
}

// Line 0: the virtual record before the first one.
const genesis: LineInfo = {
  line: 0,
  hash: auditGenesisHash,
  complete: true,
  record: { v: 1, seq: 0, time: '', type: 'audit.genesis', severity: 'info', host: 'genesis', data: {}, prev: auditGenesisHash },
};

/** Verifies a whole log held in memory. Never throws. */
export function verifyAuditLog(bytes: Uint8Array, head?: AuditRecordRef): AuditVerifyResult {
  const verifier = createAuditVerifier(head === undefined ? {} : { head });
  verifier.push(bytes);
  return verifier.finish().result;
}

/** Creates a streaming verifier. */
export function createAuditVerifier(options: AuditVerifierOptions = {}): AuditVerifier {
  const head = options.head;
  const maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
  const context = Math.max(2, options.contextLines ?? 64);

  const window = new Map<number, LineInfo>();
  const pending: number[] = [];
  const problems = new Map<number, AuditProblem>();
  let problemCount = 0;
  const warnings: AuditVerifyWarning[] = [];
  let warningCount = 0;
  const integrityEvents: AuditIntegrityEvent[] = [];
  const acks = new Map<string, { line: number; seq: number; time: string }>();

  let lines = 0;
  let completeLines = 0;
  let completeBytes = 0;
  let records = 0;
  let maxSeq = 0;
  let lastValid: LineInfo | undefined;
  let lastLineHash = auditGenesisHash;
  let tornLine: (LineInfo & { offset: number; length: number }) | undefined;
  let headLine: LineInfo | undefined;
  let recordsThroughHeadLine = 0;
  let firstLineBeyondHead: LineInfo | undefined;
  let finished: AuditVerifyReport | undefined;

  const get = (line: number): LineInfo | undefined => (line === 0 ? genesis : window.get(line));

  const addProblem = (problem: AuditProblem): void => {
    if (problems.has(problem.line)) return;
    problemCount += 1;
    if (problems.size < maxReportedProblems) problems.set(problem.line, problem);
  };

  const onLine = (raw: AuditLineBytes): void => {
    lines += 1;
    let info: LineInfo;
    if (raw.bytes === undefined) {
      info = {
        line: raw.line,
        hash: raw.hash,
        complete: raw.complete,
        fault: { fault: 'invalid-record', detail: msg(`行が長すぎます（${raw.length} バイト）`, `the line is too long (${raw.length} bytes)`) },
      };
    } else {
      const parsed = parseAuditLine(raw.bytes);
      info = parsed.ok
        ? { line: raw.line, hash: raw.hash, complete: raw.complete, record: parsed.record }
        : {
            line: raw.line,
            hash: raw.hash,
            complete: raw.complete,
            fault: parsed.seqHint === undefined ? { fault: parsed.fault, detail: parsed.detail } : { fault: parsed.fault, detail: parsed.detail, seqHint: parsed.seqHint },
          };
    }
    if (!raw.complete) {
      tornLine = { ...info, offset: raw.offset, length: raw.length };
      // Not a record (its end is missing), even when the bytes so far parse as one.
      const seqHint = info.record?.seq ?? info.fault?.seqHint;
      window.set(info.line, {
        line: info.line,
        hash: info.hash,
        complete: false,
        fault: { fault: 'invalid-json', detail: msg('改行がありません', 'no newline'), ...(seqHint === undefined ? {} : { seqHint }) },
      });
      pending.push(info.line);
      return;
    }
    completeLines += 1;
    completeBytes = raw.offset + raw.length + 1;
    lastLineHash = raw.hash;
    window.set(info.line, info);
    if (!isLinked(get(info.line - 1), info)) pending.push(info.line);
    if (info.record !== undefined) noteRecord(info, info.record);
    while (pending.length > 0 && (pending[0] as number) <= info.line - context) classify(pending.shift() as number);
    window.delete(info.line - 2 * context - 2);
  };

  const noteRecord = (info: LineInfo, record: AuditRecord): void => {
    records += 1;
    if (record.seq > maxSeq) maxSeq = record.seq;
    if (lastValid?.record !== undefined && record.time < lastValid.record.time) {
      warningCount += 1;
      if (warnings.length < maxListed) {
        warnings.push({
          line: info.line,
          seq: record.seq,
          kind: 'time-went-back',
          message: msg(
            `時刻 ${record.time} が前の記録（${lastValid.line}行目）の ${lastValid.record.time} より前です。時計が戻された可能性があります（改ざんの証拠ではありません）`,
            `time ${record.time} is before ${lastValid.record.time} of the previous record (line ${lastValid.line}): the clock was probably set back (not evidence of tampering)`,
          ),
        });
      }
    }
    lastValid = info;
    if (head !== undefined) {
      if (record.seq === head.seq && headLine === undefined) {
        headLine = info;
        recordsThroughHeadLine = records;
      }
      if (record.seq > head.seq && firstLineBeyondHead === undefined) firstLineBeyondHead = info;
    }
    if (record.type.startsWith('audit.') && Object.values<string>(auditEventTypes).includes(record.type)) {
      if (integrityEvents.length < maxListed) {
        integrityEvents.push({ line: info.line, seq: record.seq, time: record.time, type: record.type, severity: record.severity });
      }
      if (record.type === auditEventTypes.chainBroken) noteAcknowledgements(info.line, record);
    }
  };

  // An `audit.chain-broken-detected` record lists the problems it reports (line, seq, hash of the
  // blamed line), and `gap` when the record itself is the first one after records lost at the end.
  const noteAcknowledgements = (line: number, record: AuditRecord): void => {
    const by = { line, seq: record.seq, time: record.time };
    const issues = record.data.issues;
    if (Array.isArray(issues)) {
      for (const issue of issues.slice(0, maxListed) as unknown[]) {
        if (typeof issue !== 'object' || issue === null) continue;
        const { line: issueLine, seq, hash } = issue as Record<string, unknown>;
        if (typeof issueLine !== 'number') continue;
        acks.set(ackKey(issueLine, typeof seq === 'number' ? seq : undefined, typeof hash === 'string' ? hash : undefined), by);
      }
    }
    const gap = record.data.gap;
    if (typeof gap === 'object' && gap !== null && (gap as Record<string, unknown>).nextSeq === record.seq) {
      acks.set(`gap:${line}:${record.seq}`, by);
    }
  };

  const findLineWithHash = (hash: string, exclude: readonly number[]): LineInfo | undefined => {
    for (const info of window.values()) {
      if (info.complete && info.hash === hash && !exclude.includes(info.line)) return info;
    }
    return undefined;
  };
  const isReferenced = (target: LineInfo): boolean => {
    for (const info of window.values()) {
      if (info.line !== target.line && info.record?.prev === target.hash) return true;
    }
    return false;
  };
  const hasSeqIn = (from: number, to: number, exclude: number): boolean => {
    for (const info of window.values()) {
      if (info.line !== exclude && info.record !== undefined && info.record.seq >= from && info.record.seq <= to) return true;
    }
    return false;
  };
  const headSays = (info: LineInfo | undefined): 'match' | 'differs' | undefined => {
    if (head === undefined || info?.record === undefined || info.record.seq !== head.seq) return undefined;
    return info.hash === head.hash ? 'match' : 'differs';
  };

  const classify = (lineNumber: number): void => {
    const y = get(lineNumber);
    const x = get(lineNumber - 1);
    if (y === undefined || x === undefined) return;
    const problem = classifyBreak(x, y, get(lineNumber + 1), get(lineNumber - 2));
    if (problem !== undefined) addProblem(problem);
  };

  // The link x → y is broken; decide which line to blame and why. Ordered from the most specific
  // evidence to the least; docs/audit.md §3 lists the cases.
  const classifyBreak = (x: LineInfo, y: LineInfo, z: LineInfo | undefined, w: LineInfo | undefined): AuditProblem | undefined => {
    if (!y.complete) return problemAt(y, 'torn-line', texts.torn());
    // A damaged line was blamed when its own link was checked; the break after it is its echo.
    if (x.record === undefined) return undefined;
    const zLinksTo = (info: LineInfo): boolean =>
      z?.record !== undefined && z.record.prev === info.hash && (info.record === undefined || z.record.seq === info.record.seq + 1);
    if (y.record === undefined) {
      const fault = y.fault ?? { fault: 'invalid-json' as const, detail: msg('読めません', 'unreadable') };
      if (zLinksTo(x)) return problemAt(y, 'inserted', texts.insertedLine(fault.detail, x.line, (z as LineInfo).line));
      return problemAt(y, fault.fault, texts.fault(fault.fault, fault.detail));
    }
    const yr = y.record;
    const copy = findLineWithHash(y.hash, [y.line]);
    if (copy !== undefined) return problemAt(y, 'duplicated', texts.duplicated(copy.line));
    if (yr.prev === x.hash) {
      // The hash links, the seq does not follow: either the seq field was edited, or the writer
      // continued after records lost at the end and left the gap on purpose (z or the head vouch).
      // With nothing after it, the alert that declares this very gap vouches for itself.
      const declared = z === undefined && declaresGap(yr, (x.record as AuditRecord).seq);
      const vouched = headSays(y) ?? (zLinksTo(y) || declared ? 'match' : 'differs');
      return vouched === 'match'
        ? problemAt(y, 'seq-gap', texts.seqGap((x.record as AuditRecord).seq, yr.seq))
        : problemAt(y, 'edited', texts.editedSeq((x.record as AuditRecord).seq, yr.seq));
    }
    const predecessor = yr.prev === auditGenesisHash ? undefined : findLineWithHash(yr.prev, [x.line, y.line]);
    if (predecessor !== undefined) {
      if (w !== undefined && predecessor.line === w.line) {
        // y skips x: x does not belong between w and y.
        const fork = x.record.prev === yr.prev;
        if (fork) {
          const xGenuine = headSays(x) === 'match' || zLinksTo(x);
          return xGenuine ? problemAt(y, 'inserted', texts.insertedFork(x.line)) : problemAt(x, 'inserted', texts.insertedFork(y.line));
        }
        return isReferenced(x) ? problemAt(x, 'reordered', texts.reorderedHere()) : problemAt(x, 'inserted', texts.insertedRecord(w.line, y.line));
      }
      return problemAt(y, 'reordered', texts.reorderedAfter(predecessor.line));
    }
    if (zLinksTo(x)) return problemAt(y, 'inserted', texts.insertedRecord(x.line, (z as LineInfo).line));
    const xs = x.record.seq;
    if (yr.seq === xs + 1) {
      if (x === genesis) return problemAt(y, 'edited', texts.editedFirst());
      const byHead = headSays(y);
      if (byHead !== undefined) return byHead === 'match' ? problemAt(x, 'edited', texts.editedBefore(y.line)) : problemAt(y, 'edited', texts.editedHead());
      if (z?.record !== undefined && zLinksTo(y)) return problemAt(x, 'edited', texts.editedBefore(y.line));
      if (z?.record !== undefined && z.record.seq === yr.seq + 1) return problemAt(y, 'edited', texts.editedBetween());
      return problemAt(x, 'edited', z === undefined ? texts.editedBeforeLast(y.line) : texts.editedBefore(y.line));
    }
    if (yr.seq > xs + 1) {
      if (hasSeqIn(xs + 1, yr.seq - 1, y.line)) return problemAt(y, 'reordered', texts.reorderedMissing(xs + 1, yr.seq - 1));
      return problemAt(y, 'deleted', texts.deleted(xs + 1, yr.seq - 1, x.line));
    }
    if (hasSeqIn(yr.seq, yr.seq, y.line)) return problemAt(y, 'inserted', texts.insertedSameSeq(yr.seq));
    return problemAt(y, 'reordered', texts.reorderedBack(xs));
  };

  const problemAt = (info: LineInfo, reason: AuditTamperReason, message: Localized): AuditProblem => {
    const seq = info.record?.seq ?? info.fault?.seqHint;
    return { line: info.line, ...(seq === undefined ? {} : { seq }), reason, message, lineHash: info.hash };
  };

  const checkHead = (): AuditHeadCheck | undefined => {
    if (head === undefined) return undefined;
    if (headLine !== undefined) {
      if (headLine.hash === head.hash) {
        return { seq: head.seq, hash: head.hash, state: 'matched', line: headLine.line, recordsAfter: records - recordsThroughHeadLine };
      }
      addProblem(problemAt(headLine, 'edited', texts.editedHead()));
      return { seq: head.seq, hash: head.hash, state: 'mismatch', line: headLine.line };
    }
    if (firstLineBeyondHead !== undefined) {
      addProblem(problemAt(firstLineBeyondHead, 'deleted', texts.headRecordMissing(head.seq)));
    } else {
      const last = lastValid?.record?.seq ?? 0;
      addProblem({ line: lines + 1, seq: last + 1, reason: 'truncated', message: texts.truncated(head.seq, last) });
    }
    return { seq: head.seq, hash: head.hash, state: 'missing' };
  };
  const isLinked = (x: LineInfo | undefined, y: LineInfo): boolean => {
    if (x === undefined || y.record === undefined) return false;
    if (x.record === undefined) return y.record.prev === x.hash;
    return y.record.prev === x.hash && y.record.seq === x.record.seq + 1;
  };

  const splitter = createAuditLineSplitter(maxLineBytes, onLine);

  return {
    push(chunk) {
      if (finished !== undefined) return;
      splitter.push(chunk);
    },
    finish() {
      if (finished !== undefined) return finished;
      splitter.finish();
      while (pending.length > 0) classify(pending.shift() as number);
      const headCheck = checkHead();
      const ordered = [...problems.values()]
        .sort((a, b) => a.line - b.line)
        .map((problem) => acknowledge(problem));
      const common: AuditVerifyCommon = {
        records,
        lastSeq: lastValid?.record?.seq ?? 0,
        lastHash: lastLineHash,
        ...(headCheck === undefined ? {} : { head: headCheck }),
        warnings,
        warningCount,
        integrityEvents,
      };
      const result: AuditVerifyResult =
        ordered.length === 0
          ? { ok: true, ...common }
          : {
              ok: false,
              ...common,
              firstBad: ordered[0] as AuditProblem,
              recordsOk: recordsBefore((ordered[0] as AuditProblem).line),
              problems: ordered,
              problemCount,
            };
      const torn = tornLine;
      finished = {
        result,
        tail: {
          completeBytes,
          completeLines,
          lastLineHash,
          maxSeq,
          ...(torn === undefined
            ? {}
            : {
                torn: {
                  offset: torn.offset,
                  length: torn.length,
                  sha256: torn.hash,
                  ...(torn.record === undefined ? {} : { seq: torn.record.seq }),
                  continuesChain: isLinked(get(torn.line - 1), torn),
                },
              }),
        },
      };
      return finished;
    },
  };

  function acknowledge(problem: AuditProblem): AuditProblem {
    const by =
      acks.get(ackKey(problem.line, problem.seq, problem.lineHash)) ??
      (problem.reason === 'seq-gap' || problem.reason === 'deleted' ? acks.get(`gap:${problem.line}:${problem.seq ?? ''}`) : undefined);
    return by === undefined ? problem : { ...problem, acknowledged: by };
  }

  // Every line before the first bad one is a verified record (that is what "first" means), except
  // that a torn or damaged line is never counted.
  function recordsBefore(line: number): number {
    return Math.max(0, Math.min(line - 1, records));
  }
}

// True when `record` is the writer's alert that stands first after records lost at the end.
function declaresGap(record: AuditRecord, previousSeq: number): boolean {
  if (record.type !== auditEventTypes.chainBroken) return false;
  const gap = record.data.gap;
  if (typeof gap !== 'object' || gap === null) return false;
  const { afterSeq, nextSeq } = gap as Record<string, unknown>;
  return afterSeq === previousSeq && nextSeq === record.seq;
}

/** The key by which an agent alert acknowledges a problem: where, which record, which bytes. */
export function ackKey(line: number, seq: number | undefined, lineHash: string | undefined): string {
  return `${line}:${seq ?? ''}:${lineHash ?? ''}`;
}

const texts = {
  torn: () =>
    msg(
      '最後の行が途中で切れています（改行がありません）。書き込み中にエージェントが停止したか、ファイルの末尾が切り取られています',
      'the last line is cut off (no newline): the agent stopped while writing it, or the end of the file was cut off',
    ),
  fault: (fault: AuditLineFault, detail: Localized) =>
    fault === 'unsupported-version'
      ? msg(`この mng より新しい形式の記録です（${detail.ja}）。mng を更新して検証してください`, `a record of a newer format than this mng knows (${detail.en}); update mng and verify again`)
      : msg(`監査記録として読めません（${detail.ja}）。壊れているか、書き込み後に変更されています`, `not a readable audit record (${detail.en}): it is damaged or was changed after it was written`),
  insertedLine: (detail: Localized, before: number, after: number) =>
    msg(
      `記録ではない行が挿入されています（${detail.ja}）。${before}行目と${after}行目は直接つながっています`,
      `a line that is not a record was inserted (${detail.en}); lines ${before} and ${after} link to each other directly`,
    ),
  insertedRecord: (before: number, after: number) =>
    msg(
      `エージェントが書いた連鎖に含まれない記録が挿入されています。${before}行目と${after}行目は直接つながっています`,
      `a record that is not part of the chain the agent wrote was inserted; lines ${before} and ${after} link to each other directly`,
    ),
  insertedFork: (other: number) =>
    msg(
      `${other}行目と同じ位置を名乗る記録が挿入されています（同じ seq、同じ prev）`,
      `a record was inserted that claims the same place as line ${other} (same seq, same prev)`,
    ),
  insertedSameSeq: (seq: number) =>
    msg(`seq ${seq} の記録がすでにあります。この行は後から挿入されています`, `there is already a record with seq ${seq}: this line was inserted`),
  duplicated: (original: number) => msg(`${original}行目の記録の複製です`, `a copy of the record on line ${original}`),
  seqGap: (from: number, to: number) =>
    msg(
      `seq が ${from} から ${to} に飛んでいます。ハッシュはつながっているので、エージェントが末尾の記録の欠落を見つけた後に書き続けた箇所です。欠落した記録が失われています`,
      `seq jumps from ${from} to ${to} while the hash chain links: the agent continued here after it found records missing at the end; those records are lost`,
    ),
  editedSeq: (previous: number, seq: number) =>
    msg(
      `seq ${seq} が前の記録の seq ${previous} の次になっていません。prev は一致するので、この記録の seq が書き換えられています`,
      `seq ${seq} does not follow seq ${previous} of the previous record although prev matches: this record's seq was changed`,
    ),
  editedFirst: () =>
    msg(
      '最初の記録の prev が 0 が 64 個ではありません。書き換えられているか、別のログの続きです',
      'the first record\'s prev is not 64 zeros: it was changed, or the file continues another log',
    ),
  editedBefore: (next: number) =>
    msg(
      `書き込み後に変更されています。次の記録（${next}行目）が持つこの記録のハッシュと一致しません`,
      `changed after it was written: it does not match the hash the next record (line ${next}) holds for it`,
    ),
  editedBeforeLast: (next: number) =>
    msg(
      `書き込み後に変更されています。次の最後の記録（${next}行目）が持つハッシュと一致しません（最後の記録の prev が変更された可能性もあります。ヘッドと照合すると区別できます）`,
      `changed after it was written: it does not match the hash the last record (line ${next}) holds for it (or that record's prev was changed; checking against the head tells which)`,
    ),
  editedBetween: () =>
    msg(
      '書き込み後に変更されています（差し替えられています）。前の記録とも次の記録ともハッシュがつながりません',
      'changed after it was written (replaced): its hash links neither to the previous nor to the next record',
    ),
  editedHead: () =>
    msg(
      '書き込み後に変更されています。ヘッド（最後に書いた記録の控え）のハッシュと一致しません',
      'changed after it was written: it does not match the hash in the head anchor (the copy of the last written record)',
    ),
  deleted: (from: number, to: number, after: number) =>
    from === to
      ? msg(`この行の前（${after}行目の後）にあった記録 seq ${from} が削除されています`, `the record seq ${from} that came before this line (after line ${after}) was deleted`)
      : msg(
          `この行の前（${after}行目の後）にあった記録 seq ${from}〜${to}（${to - from + 1} 件）が削除されています`,
          `${to - from + 1} records seq ${from}–${to} that came before this line (after line ${after}) were deleted`,
        ),
  headRecordMissing: (seq: number) =>
    msg(`ヘッドが指す記録 seq ${seq} がありません。この行より前で記録が削除されています`, `the record seq ${seq} that the head names is missing: records before this line were deleted`),
  truncated: (headSeq: number, last: number) =>
    msg(
      `ファイルが途中で終わっています。ヘッドは seq ${headSeq} まであると記録していますが、最後の記録は seq ${last} です（末尾の ${headSeq - last} 件が削除されています）`,
      `the file ends early: the head records seq ${headSeq}, but the last record is seq ${last} (${headSeq - last} records at the end were removed)`,
    ),
  reorderedAfter: (predecessor: number) =>
    msg(`記録の順序が入れ替えられています。この記録の直前に書かれた記録は ${predecessor}行目にあります`, `records were reordered: the record written just before this one is on line ${predecessor}`),
  reorderedHere: () =>
    msg('記録の順序が入れ替えられています。この記録は本来の位置にありません', 'records were reordered: this record is not where it was written'),
  reorderedMissing: (from: number, to: number) =>
    msg(
      `記録の順序が入れ替えられています。seq ${from}〜${to} の記録がこの行より後ろにあります`,
      `records were reordered: records seq ${from}–${to} come after this line`,
    ),
  reorderedBack: (previous: number) =>
    msg(`記録の順序が入れ替えられています。seq が前の記録（seq ${previous}）より小さくなっています`, `records were reordered: seq goes back below that of the previous record (seq ${previous})`),
} as const;
