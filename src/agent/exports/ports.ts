import type { Result } from '../../shared/result';
import type { ExportEntryKind, ExportRecord } from './model';

export type { ExportEntryKind } from './model';

/** A change seen in a watched folder. `path` is absolute and lies under the watched root. */
export interface FileEvent {
  readonly type: 'add' | 'change' | 'unlink';
  readonly path: string;
}

/**
 * Why a watcher reported trouble. `overflow`: events were lost (inotify IN_Q_OVERFLOW, watch limit
 * reached); the service answers with a rescan so nothing goes unrecorded.
 */
export interface FileEventSourceError {
  readonly kind: 'overflow' | 'other';
  readonly message: string;
}

/** A running watch of one folder. */
export interface FileWatch {
  /** Resolves once the initial scan of the folder is done and events flow. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** One entry found by a rescan (lstat values; links are not followed). */
export interface ScannedEntry {
  readonly path: string;
  readonly kind: ExportEntryKind;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

/**
 * Port: watches a destination folder recursively (Linux: inotify through chokidar, never polling,
 * never following symbolic links) and rescans it on demand.
 */
export interface FileEventSource {
  watch(root: string, onEvent: (event: FileEvent) => void, onError: (error: FileEventSourceError) => void): FileWatch;
  /** Every entry under `root` that is not a directory (recursive, links not followed). */
  scan(root: string): Promise<ScannedEntry[]>;
}

/** File facts taken from the open descriptor (fstat) and the path (lstat). */
export interface FileFacts {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly uid: number;
}

/**
 * One hash attempt. `stable: false` means the file was replaced, truncated, grown or touched while
 * it was read (fstat before ≠ fstat after, bytes read ≠ size, or the path now names another inode);
 * the hash is then of bytes that may not be the file's content and the caller re-hashes.
 */
export type FileHashResult =
  | { readonly state: 'hashed'; readonly kind: ExportEntryKind; readonly sha256: string; readonly facts: FileFacts; readonly stable: boolean }
  | { readonly state: 'vanished' }
  | { readonly state: 'unreadable'; readonly reason: string };

/**
 * Port: streamed SHA-256 of one entry under `root`. Never follows a symbolic link (a link is
 * hashed as its target string, kind `symlink`) and refuses a path whose parent resolves outside
 * `root` (a swapped directory link), reporting it as `unreadable` with reason `outside-root`.
 */
export interface FileHasher {
  hash(path: string, root: string): Promise<FileHashResult>;
}

/**
 * Port: the ledger file (JSONL). `append` writes the text in one append and makes it durable
 * (fsync) before resolving; `read` returns the whole text, `undefined` when there is no file yet.
 */
export interface LedgerFile {
  append(text: string): Promise<void>;
  read(): Promise<string | undefined>;
}

/** Port: the passwd database as text (`/etc/passwd`), `undefined` when it cannot be read. */
export interface PasswdSource {
  read(): Promise<string | undefined>;
}

/**
 * The queryable ledger (module code over a {@link LedgerFile}). Append-only; a record is durable when `append` resolves. `list`
 * returns every record in append order (used for the rescan comparison and `mng exports log`).
 */
export interface LedgerStore {
  append(record: ExportRecord): Promise<void>;
  list(): Promise<ExportRecord[]>;
}

/** Why quarantine or deletion failed (errno code or a short reason). */
export interface DisposeFailure {
  readonly reason: string;
}

/** Port: applies quarantine and delete decisions. Holds no policy. */
export interface FileDisposer {
  /** Moves the entry to the root-only quarantine folder under a fresh name; bytes are preserved. */
  quarantine(path: string): Promise<Result<{ readonly quarantinePath: string }, DisposeFailure>>;
  /** Removes the entry (a link is removed, never its target). A missing file counts as removed. */
  remove(path: string): Promise<Result<void, DisposeFailure>>;
}

/** uid → user name (module code over a {@link PasswdSource}). `undefined` when the uid has no entry. */
export interface UserDirectory {
  userName(uid: number): Promise<string | undefined>;
}
