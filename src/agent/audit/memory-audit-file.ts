// An AuditFile in memory, for tests of the writer and of modules that need a real chain without a
// disk. test/contracts/audit-file.contract.test.ts runs the same suite against it and against the
// node adapter, so it cannot drift from what it stands in for. It can be told to fail, to test
// what the writer does when the disk does.
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import type { AuditFile, AuditHeadRead } from './ports';

/** The fake plus the handles a test needs. */
export interface MemoryAuditFile extends AuditFile {
  /** The log's bytes now. */
  bytes(): Uint8Array;
  /** Replaces the log's bytes (an attacker or a crash at work); the file then exists. */
  setBytes(bytes: Uint8Array): void;
  /** The head file's bytes, `undefined` when there is none. */
  headBytes(): Uint8Array | undefined;
  /** Replaces or (with `undefined`) deletes the head file. */
  setHeadBytes(bytes: Uint8Array | undefined): void;
  /** Side files by path. */
  readonly sideFiles: ReadonlyMap<string, Uint8Array>;
  /** Makes the next call of `operation` fail; for `append`, `writtenBytes` of it land first. */
  failNext(operation: 'append' | 'writeHead' | 'read', writtenBytes?: number): void;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Creates an in-memory AuditFile. Without `initial` the log does not exist until opened. */
export function createMemoryAuditFile(options: { path?: string; initial?: Uint8Array; head?: Uint8Array } = {}): MemoryAuditFile {
  const logPath = options.path ?? '/memory/audit.jsonl';
  let log: Uint8Array | undefined = options.initial === undefined ? undefined : options.initial.slice();
  let head: Uint8Array | undefined = options.head?.slice();
  let isOpen = false;
  const sideFiles = new Map<string, Uint8Array>();
  const failures = new Map<string, number>();

  const injected = (operation: string): number | undefined => {
    const written = failures.get(operation);
    if (written !== undefined) failures.delete(operation);
    return written;
  };
  const failure = (operation: string): MngError =>
    new MngError(ErrorCode.AuditWriteFailed, msg(`${operation} に失敗しました（テスト）`, `${operation} failed (test)`), {
      hint: msg('テストで注入した失敗です', 'a failure injected by a test'),
    });
  const current = (): Uint8Array => {
    if (!isOpen || log === undefined) throw new MngError(ErrorCode.Internal, msg(`${logPath} が開かれていません`, `${logPath} is not open`));
    return log;
  };

  return {
    path: logPath,
    async open() {
      const created = log === undefined;
      log ??= new Uint8Array(0);
      isOpen = true;
      return { sizeBytes: log.length, created };
    },
    async read(position, length) {
      if (injected('read') !== undefined) throw failure('read');
      const bytes = current();
      return bytes.slice(Math.min(position, bytes.length), Math.min(position + length, bytes.length));
    },
    async append(bytes) {
      const written = injected('append');
      if (written !== undefined) {
        log = concat(current(), bytes.subarray(0, Math.min(written, bytes.length)));
        throw failure('append');
      }
      log = concat(current(), bytes);
    },
    async moveTailAside(fromOffset, suffix) {
      const bytes = current();
      let sidePath = `${logPath}${suffix}`;
      for (let attempt = 1; sideFiles.has(sidePath); attempt += 1) sidePath = `${logPath}${suffix}-${attempt}`;
      sideFiles.set(sidePath, bytes.slice(fromOffset));
      log = bytes.slice(0, fromOffset);
      return sidePath;
    },
    async readHead(): Promise<AuditHeadRead> {
      return head === undefined ? { state: 'missing' } : { state: 'present', bytes: head.slice() };
    },
    async writeHead(bytes) {
      if (injected('writeHead') !== undefined) throw failure('writeHead');
      head = bytes.slice();
    },
    async close() {
      isOpen = false;
    },
    bytes: () => (log ?? new Uint8Array(0)).slice(),
    setBytes: (bytes) => {
      log = bytes.slice();
    },
    headBytes: () => head?.slice(),
    setHeadBytes: (bytes) => {
      head = bytes?.slice();
    },
    sideFiles,
    failNext: (operation, writtenBytes = 0) => {
      failures.set(operation, writtenBytes);
    },
  };
}
