import type { Localized } from '../../shared/i18n';

/** What reading the head file found. */
export type AuditHeadRead =
  | { readonly state: 'missing' }
  | { readonly state: 'present'; readonly bytes: Uint8Array }
  | { readonly state: 'unreadable'; readonly reason: Localized };

/**
 * What the audit log needs from the file system. One `AuditFile` stands for one log file and the
 * files that live next to it (`<log>.head`, `<log>.torn-…`). The adapter does the mechanics
 * (O_APPEND, fsync, atomic rename); every decision about what to write stays in audit-log.ts.
 */
export interface AuditFile {
  /** Path of the log, for messages and for naming the side files. */
  readonly path: string;

  /**
   * Opens the log for reading and appending, creating it (mode 0600) when missing; a new file's
   * directory is fsynced so the file itself survives a crash. Refuses anything but a regular file.
   * @returns the current size in bytes and whether the file was created now.
   * @throws MngError AuditWriteFailed / NotRegularFile when the log cannot be opened.
   */
  open(): Promise<{ readonly sizeBytes: number; readonly created: boolean }>;

  /** Reads up to `length` bytes at byte `position`; fewer only at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;

  /** Appends all `bytes` at the end of the log and makes them durable (fsync) before resolving. */
  append(bytes: Uint8Array): Promise<void>;

  /**
   * Moves the bytes from `fromOffset` to the end of the log into a new side file named
   * `<log><suffix>` (never overwriting an existing file), makes that file durable, then cuts the
   * log at `fromOffset` and makes the cut durable. Nothing is removed before its copy is on disk.
   * @returns the path of the side file.
   */
  moveTailAside(fromOffset: number, suffix: string): Promise<string>;

  /**
   * Reads `<log>.head` (at most a few KiB). A head that is missing, or is not a regular file, or
   * cannot be read, is reported as such rather than thrown: the log treats it as a finding.
   */
  readHead(): Promise<AuditHeadRead>;

  /** Replaces `<log>.head` atomically: temp file, fsync, rename. */
  writeHead(bytes: Uint8Array): Promise<void>;

  /** Closes the log. */
  close(): Promise<void>;
}
