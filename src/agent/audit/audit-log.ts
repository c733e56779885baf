// The audit log writer: an AuditSink over an AuditFile port. Opening verifies what is stored and
// repairs a torn tail without losing a byte; appends are chained, written in call order, grouped
// into one write + fsync when they arrive together, and durable before their promise resolves.
// docs/audit.md explains the format and every decision here.
import type { Clock } from '../../shared/clock';
import { ErrorCode, MngError, isMngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import {
  auditEventTypes,
  auditFormatVersion,
  auditSeverities,
  type AuditEventInput,
  type AuditHead,
  type AuditRecord,
  type AuditRecordRef,
  type AuditSeverity,
  type AuditSink,
} from './model';
import type { AuditFile } from './ports';
import { formatAuditTime, isAuditEventType, isAuditHostName, parseAuditHead, serializeAuditHead, serializeAuditRecord, sha256Hex } from './record';
import { createAuditVerifier, type AuditProblem, type AuditVerifyResult } from './verify-audit';

/** What {@link createAuditLog} needs. */
export interface AuditLogDeps {
  readonly file: AuditFile;
  readonly clock: Clock;
  /** Host name written into every record. */
  readonly host: string;
  /**
   * Receives failures that do not fail an append: the head file could not be replaced (the record
   * itself is durable; the head only lags, which the verifier tolerates).
   */
  readonly reportError: (error: MngError) => void;
  /** Largest record line in bytes; larger events are refused. Default 64 KiB. */
  readonly maxRecordBytes?: number;
  /** Most records written with one write + fsync. Default 256. */
  readonly maxBatchRecords?: number;
  /** Chunk size for reading the log when it is opened. Default 1 MiB. */
  readonly readChunkBytes?: number;
}

/** What happened to an unfinished last line found when the log was opened. */
export interface AuditTailRepair {
  /**
   * `newline-added`: the bytes were a whole record continuing the chain, only the newline was
   * missing; `moved-aside`: the bytes were copied to `sideFile` and cut off the log.
   */
  readonly action: 'newline-added' | 'moved-aside';
  readonly line: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly sideFile?: string;
}

/** What opening the log found and did. */
export interface AuditOpenReport {
  readonly created: boolean;
  /** The verdict on the stored log before anything was appended. */
  readonly verify: AuditVerifyResult;
  /** State of `<log>.head` at open. */
  readonly head: 'matched' | 'absent' | 'missing' | 'invalid' | 'unreadable' | 'mismatch';
  readonly tailRepair?: AuditTailRepair;
  /** Records the log appended about itself while opening (tail repaired, chain broken, head invalid). */
  readonly appended: readonly AuditRecordRef[];
}

/** The open audit log. */
export interface AuditLog extends AuditSink {
  readonly opened: AuditOpenReport;
  /** The last durable record; seq 0 and the genesis hash for an empty log. */
  last(): AuditRecordRef;
  /** Resolves when every append requested so far is settled. */
  flush(): Promise<void>;
  /** Waits for pending appends, then closes the file; later appends are refused. */
  close(): Promise<void>;
}

interface QueuedEvent {
  readonly type: string;
  readonly severity: AuditSeverity;
  readonly data: Readonly<Record<string, unknown>>;
  readonly time: string;
  resolve(ref: AuditRecordRef): void;
  reject(error: MngError): void;
}

const encoder = new TextEncoder();
// Bytes of a record besides type, host and data: keys, seq, time, severity, prev (generous).
const recordOverheadBytes = 240;
// Problems listed in one `audit.chain-broken-detected` record; the rest are counted.
const maxListedIssues = 100;

/**
 * Opens (or creates) the audit log, verifies what is stored, repairs a torn tail, records what it
 * found, and returns the sink. Resolves once those records are durable.
 * @throws MngError when the log cannot be opened or read (AuditWriteFailed, NotRegularFile, …).
 */
export async function createAuditLog(deps: AuditLogDeps): Promise<AuditLog> {
  const { file, host } = deps;
  if (!isAuditHostName(host)) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`ホスト名 ${JSON.stringify(host)} は監査ログに書けません`, `host name ${JSON.stringify(host)} cannot be written to the audit log`), {
      hint: msg('英数字・「.」「_」「-」からなるホスト名を渡してください', 'pass a host name of letters, digits, ".", "_" and "-"'),
    });
  }

  const { sizeBytes, created } = await file.open();
  try {
    return await continueLog(deps, sizeBytes, created);
  } catch (error) {
    // Nothing may keep the file open after a failed start; the next start tries again.
    await file.close();
    throw error;
  }
}

async function continueLog(deps: AuditLogDeps, sizeBytes: number, created: boolean): Promise<AuditLog> {
  const { file, clock, host, reportError } = deps;
  const maxRecordBytes = deps.maxRecordBytes ?? 64 * 1024;
  const maxBatchRecords = Math.max(1, deps.maxBatchRecords ?? 256);
  const readChunkBytes = Math.max(4096, deps.readChunkBytes ?? 1024 * 1024);

  // --- read the head, verify the stored log in chunks --------------------------------------------
  const headRead = await file.readHead();
  let head: AuditHead | undefined;
  let headEvent: AuditEventInput | undefined;
  let headState: AuditOpenReport['head'] = 'absent';
  if (headRead.state === 'present') {
    const parsed = parseAuditHead(headRead.bytes);
    if (parsed.ok) {
      head = parsed.value;
    } else {
      headState = 'invalid';
      headEvent = {
        type: auditEventTypes.headInvalid,
        severity: 'alert',
        data: { state: 'invalid', detail: parsed.error, bytes: headRead.bytes.length, sha256: sha256Hex(headRead.bytes) },
      };
    }
  } else if (headRead.state === 'unreadable') {
    headState = 'unreadable';
    headEvent = { type: auditEventTypes.headInvalid, severity: 'alert', data: { state: 'unreadable', detail: headRead.reason } };
  } else if (sizeBytes > 0) {
    // Deleting the head is how one would hide a cut-off end; a crash between the first append and
    // the first head write is the only innocent cause, hence warning, not alert.
    headState = 'missing';
    headEvent = { type: auditEventTypes.headInvalid, severity: 'warning', data: { state: 'missing' } };
  }

  const verifier = createAuditVerifier(head === undefined ? {} : { head });
  for (let offset = 0; offset < sizeBytes; ) {
    const chunk = await file.read(offset, Math.min(readChunkBytes, sizeBytes - offset));
    if (chunk.length === 0) break;
    verifier.push(chunk);
    offset += chunk.length;
  }
  const { result: verify, tail } = verifier.finish();
  if (head !== undefined) headState = verify.head?.state === 'matched' ? 'matched' : 'mismatch';

  // --- repair a torn tail: never drop bytes ------------------------------------------------------
  let lastHash = tail.lastLineHash;
  let maxSeq = tail.maxSeq;
  let tailRepair: AuditTailRepair | undefined;
  if (tail.torn !== undefined) {
    const tornLine = tail.completeLines + 1;
    if (tail.torn.continuesChain && tail.torn.seq !== undefined) {
      await file.append(encoder.encode('\n'));
      lastHash = tail.torn.sha256;
      maxSeq = Math.max(maxSeq, tail.torn.seq);
      tailRepair = { action: 'newline-added', line: tornLine, bytes: tail.torn.length, sha256: tail.torn.sha256 };
    } else {
      const stamp = (formatAuditTime(clock.nowMs()) ?? 'unknown-time').replace(/[-:.]/g, '');
      const sideFile = await file.moveTailAside(tail.torn.offset, `.torn-${maxSeq + 1}-${stamp}`);
      tailRepair = { action: 'moved-aside', line: tornLine, bytes: tail.torn.length, sha256: tail.torn.sha256, sideFile };
    }
  }

  // --- where the chain continues ----------------------------------------------------------------
  // A seq is never reused: when the head names a later record than the file holds (records were
  // cut off the end), the next record takes the seq after the head's and the gap stays visible.
  let nextSeq = maxSeq + 1;
  let gap: { afterSeq: number; nextSeq: number } | undefined;
  if (head !== undefined && head.seq >= nextSeq) {
    gap = { afterSeq: maxSeq, nextSeq: head.seq + 1 };
    nextSeq = head.seq + 1;
  }
  if (!Number.isSafeInteger(nextSeq + 1_000_000)) {
    throw new MngError(ErrorCode.AuditCorrupt, msg(`監査ログ ${file.path} の seq が上限に達しています`, `the seq of the audit log ${file.path} is at its limit`), {
      hint: msg('ログと .head ファイルを退避して新しいログを始めてください（docs/audit.md）', 'move the log and its .head file aside and start a new log (docs/audit.md)'),
    });
  }
  let lastSeq = nextSeq - 1;

  // --- the sink ---------------------------------------------------------------------------------
  const queue: QueuedEvent[] = [];
  let pumping = false;
  let failure: MngError | undefined;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    let batch: QueuedEvent[] = [];
    try {
      while (queue.length > 0 && failure === undefined) {
        batch = queue.splice(0, maxBatchRecords);
        const texts: string[] = [];
        const refs: AuditRecordRef[] = [];
        let seq = lastSeq;
        let prev = lastHash;
        for (const event of batch) {
          seq += 1;
          const record: AuditRecord = { v: auditFormatVersion, seq, time: event.time, type: event.type, severity: event.severity, host, data: event.data, prev };
          const text = serializeAuditRecord(record);
          prev = sha256Hex(text);
          texts.push(text);
          refs.push({ seq, hash: prev });
        }
        try {
          await file.append(encoder.encode(`${texts.join('\n')}\n`));
        } catch (error) {
          // What reached the disk is unknown now (a partial line?): stop appending. Reopening the
          // log repairs the tail and continues the chain (fail closed, STYLE.md §1.3).
          failure = asWriteFailure(file.path, error);
          for (const event of batch) event.reject(failure);
          break;
        }
        lastSeq = seq;
        lastHash = prev;
        await writeHead({ seq, hash: prev });
        batch.forEach((event, index) => event.resolve(refs[index] as AuditRecordRef));
        batch = [];
      }
    } catch (error) {
      // Only a bug gets here; the events must still settle, and nothing more is appended.
      failure = new MngError(ErrorCode.Internal, msg(`監査ログ ${file.path} の書き込み処理で内部エラー`, `internal error while writing the audit log ${file.path}`), { cause: error });
      for (const event of batch) event.reject(failure);
    } finally {
      if (failure !== undefined) {
        for (const event of queue.splice(0)) event.reject(failure);
      }
      pumping = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const writeHead = async (ref: AuditRecordRef): Promise<void> => {
    const time = formatAuditTime(clock.nowMs());
    try {
      await file.writeHead(encoder.encode(serializeAuditHead(time === undefined ? ref : { ...ref, time })));
    } catch (error) {
      reportError(
        isMngError(error)
          ? error
          : new MngError(ErrorCode.AuditWriteFailed, msg(`監査ログのヘッド ${file.path}.head を書けません`, `cannot write the audit log head ${file.path}.head`), {
              hint: msg('空き容量と権限を確認してください', 'check free space and permissions'),
              cause: error,
            }),
      );
    }
  };

  const enqueue = (event: AuditEventInput): Promise<AuditRecordRef> => {
    if (closed) {
      return Promise.reject(
        new MngError(ErrorCode.AuditWriteFailed, msg(`監査ログ ${file.path} は閉じられています`, `the audit log ${file.path} is closed`), {
          hint: msg('エージェントの終了処理中の記録です。エージェントのログを確認してください', 'this event came while the agent was stopping; check the agent log'),
        }),
      );
    }
    if (failure !== undefined) return Promise.reject(failure);
    const checked = checkEvent(event, host, maxRecordBytes);
    if (!checked.ok) return Promise.reject(checked.error);
    const time = formatAuditTime(clock.nowMs());
    if (time === undefined) {
      return Promise.reject(new MngError(ErrorCode.Internal, msg('時計が表せない時刻を返しました', 'the clock returned a time that cannot be written')));
    }
    return new Promise<AuditRecordRef>((resolve, reject) => {
      queue.push({ type: event.type, severity: event.severity, data: checked.data, time, resolve, reject });
      void pump();
    });
  };

  const flush = (): Promise<void> =>
    !pumping && queue.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));

  // --- record what opening found ----------------------------------------------------------------
  const openEvents: AuditEventInput[] = [];
  const unacknowledged: AuditProblem[] = verify.ok ? [] : verify.problems.filter((problem) => problem.acknowledged === undefined && problem.reason !== 'torn-line');
  if (unacknowledged.length > 0 || gap !== undefined) {
    // First when there is a gap: this record then stands right after it and acknowledges it.
    const first = unacknowledged[0];
    openEvents.push({
      type: auditEventTypes.chainBroken,
      severity: 'alert',
      data: {
        ...(first === undefined ? {} : { firstBad: { line: first.line, seq: first.seq ?? null, reason: first.reason, message: first.message } }),
        problemCount: unacknowledged.length,
        issues: unacknowledged.slice(0, maxListedIssues).map((problem) => ({
          line: problem.line,
          seq: problem.seq ?? null,
          reason: problem.reason,
          hash: problem.lineHash ?? null,
        })),
        ...(head === undefined ? {} : { head: { seq: head.seq, hash: head.hash } }),
        ...(gap === undefined ? {} : { gap }),
      },
    });
  }
  if (tailRepair !== undefined) {
    openEvents.push({
      type: auditEventTypes.tailRepaired,
      severity: 'warning',
      data: {
        action: tailRepair.action,
        line: tailRepair.line,
        bytes: tailRepair.bytes,
        sha256: tailRepair.sha256,
        ...(tailRepair.sideFile === undefined ? {} : { sideFile: tailRepair.sideFile }),
      },
    });
  }
  if (headEvent !== undefined) openEvents.push(headEvent);
  const appended = await Promise.all(openEvents.map((event) => enqueue(event)));
  // A head that lags (crash between the append and the head write) or is gone is renewed now.
  if (appended.length === 0 && lastSeq > 0 && !(head?.seq === lastSeq && head.hash === lastHash)) {
    await writeHead({ seq: lastSeq, hash: lastHash });
  }

  const opened: AuditOpenReport = {
    created,
    verify,
    head: headState,
    ...(tailRepair === undefined ? {} : { tailRepair }),
    appended,
  };

  return {
    opened,
    append: enqueue,
    last: () => ({ seq: lastSeq, hash: lastHash }),
    flush,
    async close() {
      closed = true;
      await flush();
      await file.close();
    },
  };
}

type CheckedEvent = { readonly ok: true; readonly data: Readonly<Record<string, unknown>> } | { readonly ok: false; readonly error: MngError };

// Checks an event and takes a JSON copy of its data now, so a caller changing the object after
// the call cannot change what is written.
function checkEvent(event: AuditEventInput, host: string, maxRecordBytes: number): CheckedEvent {
  const refuse = (ja: string, en: string, cause?: unknown): CheckedEvent => ({
    ok: false,
    error: new MngError(ErrorCode.InvalidArgument, msg(`監査イベントを書けません: ${ja}`, `cannot write the audit event: ${en}`), {
      hint: msg('呼び出し側の不具合です。報告してください', 'this is a bug in the caller; please report it'),
      ...(cause === undefined ? {} : { cause }),
    }),
  });
  if (typeof event.type !== 'string' || !isAuditEventType(event.type)) {
    return refuse(`種別 ${JSON.stringify(event.type)} が「usb.blocked」の形ではありません`, `type ${JSON.stringify(event.type)} is not like "usb.blocked"`);
  }
  if (!auditSeverities.includes(event.severity)) {
    return refuse(`重要度 ${JSON.stringify(event.severity)} は使えません`, `severity ${JSON.stringify(event.severity)} is not allowed`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(event.data);
  } catch (error) {
    return refuse(`data を JSON にできません（${event.type}）`, `data cannot be turned into JSON (${event.type})`, error);
  }
  if (json === undefined || !json.startsWith('{')) return refuse(`data が JSON オブジェクトではありません（${event.type}）`, `data is not a JSON object (${event.type})`);
  const bytes = encoder.encode(json).length + event.type.length + host.length + recordOverheadBytes;
  if (bytes > maxRecordBytes) {
    return refuse(`記録が大きすぎます（約 ${bytes} バイト、上限 ${maxRecordBytes}）: ${event.type}`, `the record is too large (about ${bytes} bytes, limit ${maxRecordBytes}): ${event.type}`);
  }
  return { ok: true, data: JSON.parse(json) as Record<string, unknown> };
}

function asWriteFailure(path: string, error: unknown): MngError {
  if (isMngError(error)) return error;
  return new MngError(ErrorCode.AuditWriteFailed, msg(`監査ログ ${path} に書き込めません`, `cannot write to the audit log ${path}`), {
    hint: msg('空き容量と権限を確認し、エージェントを再起動してください', 'check free space and permissions, then restart the agent'),
    cause: error,
  });
}
