/**
 * The export ledger's vocabulary (issue #4 item 2): every file written to a watched export
 * destination becomes one ledger record, and the destination's policy action decides whether the
 * file stays (record), is moved to a root-only folder (quarantine) or is removed (delete).
 *
 * Where records go (decision): each record is written twice. The audit log gets an
 * `export.recorded` event (hash-chained, fsynced: the tamper-evident copy that reaches the
 * collector); `<stateDir>/exports.jsonl` gets the same record as one JSON line (fsynced, group
 * commit): the index the rescan compares against and `mng exports log` lists, without reading and
 * filtering the whole audit log. If the two disagree the audit log is the authority.
 *
 * "File closed" without awaitWriteFinish: a path is hashed once no add/change event came for
 * `settleMs` (50 ms); the hasher compares fstat before/after and the path's inode, and a file that
 * changed while hashed is hashed again (at most 3 times), keeping the first hash as
 * `previousSha256`.
 */

/** Policy action per destination (`spec.media.exportDestinations[].action`). */
export type ExportAction = 'record' | 'quarantine' | 'delete';

/** Identity of the volume a destination lives on, as the caller (mount control) knows it. */
export interface VolumeIdentity {
  /** Device serial of the backing medium, when known. */
  readonly serial?: string;
  /** File system UUID, when known. */
  readonly fsUuid?: string;
  /** Mount point of the volume. */
  readonly mountPoint: string;
}

/** One watched destination. `path` is absolute; `id` is stable across restarts (e.g. the policy path). */
export interface ExportDestination {
  readonly id: string;
  readonly path: string;
  readonly action: ExportAction;
  readonly volume: VolumeIdentity;
  /**
   * Absolute folders inside `path` that belong to another destination (an approved stick mounted
   * below `/media`): files there are left to that destination, so each file is recorded once,
   * with the action meant for where it lies.
   */
  readonly excludes?: readonly string[];
}

/** True when `path` lies in one of the destination's excluded folders. */
/**
 * True when `path` is the destination's folder or below it. An event for any other path is never
 * acted on: a watcher of a folder that does not exist yet watches its parent, and chokidar 5 then
 * reports siblings there (seen on the real-kernel test machine: `/run/shm` for `/run/media`), which
 * a `quarantine` destination would otherwise move away.
 */
export function isWithinDestination(destination: ExportDestination, path: string): boolean {
  const root = destination.path.endsWith('/') && destination.path.length > 1 ? destination.path.slice(0, -1) : destination.path;
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}

export function isExcludedFromDestination(destination: ExportDestination, path: string): boolean {
  return (destination.excludes ?? []).some((folder) => path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`));
}

/**
 * What happened to a file:
 * - `recorded`: hashed and left in place;
 * - `quarantined`: hashed and moved to the root-only quarantine folder (bytes preserved);
 * - `deleted`: hashed and removed;
 * - `vanished-before-hash`: gone before it could be hashed (recorded with what is known);
 * - `changed-while-hashed`: the file changed during hashing; it was re-hashed (both hashes kept);
 * - `unhashable`: exists but could not be read (EACCES, EIO…), recorded with the reason;
 * - `action-failed`: quarantine/delete was decided but failed; the file is still there (alert).
 */
export type ExportOutcome = 'recorded' | 'quarantined' | 'deleted' | 'vanished-before-hash' | 'changed-while-hashed' | 'unhashable' | 'action-failed';

/** What kind of directory entry was recorded. Symbolic links are recorded as links, never followed. */
export type ExportEntryKind = 'file' | 'symlink' | 'other';

/** One ledger record (also the `data` of the `export.recorded` audit event). */
export interface ExportRecord {
  /** Absolute path of the file as it was written. */
  readonly path: string;
  readonly destinationId: string;
  readonly volume: VolumeIdentity;
  readonly kind: ExportEntryKind;
  /** Size in bytes from the stat used for the hash; undefined when unknown (vanished). */
  readonly sizeBytes?: number;
  /** SHA-256 (hex) of the bytes read; for a symlink, of its target string. */
  readonly sha256?: string;
  /** A previous hash when the file changed while it was hashed (outcome `changed-while-hashed`). */
  readonly previousSha256?: string;
  /** Owner: user name from the passwd database, or `uid:<n>` when unknown. */
  readonly user?: string;
  readonly uid?: number;
  /** File modification time (ms since epoch) at hashing. */
  readonly mtimeMs?: number;
  /** When the record was made (ISO-8601 UTC, from the injected clock). */
  readonly time: string;
  readonly action: ExportAction;
  readonly outcome: ExportOutcome;
  /** Where a quarantined file now is. */
  readonly quarantinePath?: string;
  /** errno-like reason when hashing or the action failed. */
  readonly reason?: string;
}

/** Audit event type of a ledger record. */
export const exportRecordedEventType = 'export.recorded';
/** Audit event type when the watcher lost events and a rescan ran. */
export const exportRescanEventType = 'export.rescan';
