import type { Clock } from '../../shared/clock';
import type { AuditSink } from '../audit';
import { decideDisposeFailure, decideExport, maxHashAttempts, type ExportPlan, type HashSummary } from './decide-export';
import { exportRecordedEventType, exportRescanEventType, isExcludedFromDestination, isWithinDestination, type ExportDestination, type ExportRecord } from './model';
import type { FileDisposer, FileEventSource, FileEventSourceError, FileHasher, FileHashResult, FileWatch, LedgerStore, UserDirectory } from './ports';

/** Dependencies of the export ledger service (STYLE.md §4: everything injected). */
export interface ExportLedgerDeps {
  readonly destinations: readonly ExportDestination[];
  readonly events: FileEventSource;
  readonly hasher: FileHasher;
  readonly store: LedgerStore;
  readonly disposer: FileDisposer;
  readonly users: UserDirectory;
  readonly audit: AuditSink;
  readonly clock: Clock;
  /**
   * The sink for unexpected failures (ledger or audit not writable, a folder that cannot be
   * scanned): the record is not durable and the agent must report it (STYLE.md §5).
   */
  readonly reportFault: (error: unknown) => void;
  /**
   * Quiet time after the last add/change event of a path before it is hashed (ms). Stands in for
   * "file closed": chokidar's awaitWriteFinish polls and adds ≥ its threshold to every record.
   */
  readonly settleMs?: number;
  /**
   * Files hashed at once (default 32). Each hash is a chain of ~8 libuv thread-pool operations
   * (realpath, lstat, open, fstat, read, fstat, lstat, close) queued behind chokidar's own lstats
   * during a burst; more chains in flight keep the pool busy with ours (bench/exports.ts: 16 → 64
   * took a 10,000-file burst from ~1,600 to ~1,800+ files/s on 2 cores under load). Large files
   * hold up to 1 MiB each while streamed.
   */
  readonly concurrency?: number;
  /**
   * Records hashed but not yet durable (ledger + audit) before hashing waits for the commits
   * (back-pressure, so a slow disk cannot grow memory without bound). Default 4096.
   */
  readonly maxUncommitted?: number;
  /**
   * Interval of the safety rescan (ms; 0 = off). libuv drops inotify's IN_Q_OVERFLOW without
   * telling chokidar, so lost events are not always reported; the rescan finds what they hid.
   */
  readonly rescanIntervalMs?: number;
  /** Called with each record once it is durable (tests, metrics). */
  readonly onRecord?: (record: ExportRecord) => void;
}

/** The running ledger. */
export interface ExportLedger {
  /** Starts the watches, then rescans each destination against the ledger (files written while we were down). */
  start(): Promise<void>;
  /** Stops the watches, drops what is waiting to settle or queued, and waits for hashing and commits in flight. */
  stop(): Promise<void>;
  /** Resolves when nothing is waiting to settle, queued, being hashed or waiting to be durable. */
  idle(): Promise<void>;
  /** Compares a destination's files against the ledger and queues what is not recorded. */
  rescan(destinationId: string): Promise<number>;
}

interface Known {
  readonly sizeBytes?: number;
  readonly mtimeMs?: number;
  readonly sha256?: string;
}

/**
 * Creates the export ledger (issue #4 item 2): every file written under a destination is hashed
 * once it settles and recorded; the destination's action may quarantine or delete it. The queue is
 * unbounded in paths but bounded in concurrent hashing, so a burst of 10,000 files is recorded in
 * full; lost watcher events trigger a rescan of the folder against the ledger. Hashing and
 * committing are pipelined: a hashed record is handed to the ledger store and then the audit log
 * (each one write + fsync per batch) while the next files are hashed; a record counts (onRecord,
 * idle) only once both are durable, and at most `maxUncommitted` wait for that.
 */
export function createExportLedger(deps: ExportLedgerDeps): ExportLedger {
  const settleMs = deps.settleMs ?? 50;
  const concurrency = Math.max(1, deps.concurrency ?? 32);
  const watches: FileWatch[] = [];
  /** Last recorded state per path: a settled path whose bytes did not change is not recorded twice. */
  const known = new Map<string, Known>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const queued = new Set<string>();
  const queue: { path: string; destination: ExportDestination }[] = [];
  let queueHead = 0;
  const running = new Set<string>();
  /** Paths that got events while being hashed: hashed again afterwards. */
  const dirty = new Map<string, ExportDestination>();
  /** Paths we quarantined or deleted ourselves: their unlink event is ours, not the user's. */
  const disposing = new Set<string>();
  let active = 0;
  /** Records handed to the ledger and the audit log and not yet durable in both. */
  let committing = 0;
  const maxUncommitted = Math.max(1, deps.maxUncommitted ?? 4096);
  let idleWaiters: (() => void)[] = [];
  let stopped = false;
  let rescanTimer: ReturnType<typeof setInterval> | undefined;
  const rescanIntervalMs = deps.rescanIntervalMs ?? 60_000;

  function isIdle(): boolean {
    return timers.size === 0 && queue.length - queueHead === 0 && active === 0 && committing === 0;
  }

  function notifyIdle(): void {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function schedule(path: string, destination: ExportDestination): void {
    const previous = timers.get(path);
    if (previous !== undefined) clearTimeout(previous);
    timers.set(
      path,
      setTimeout(() => {
        timers.delete(path);
        enqueue(path, destination);
      }, settleMs),
    );
  }

  function enqueue(path: string, destination: ExportDestination): void {
    if (running.has(path)) {
      dirty.set(path, destination);
      return;
    }
    if (queued.has(path)) return;
    queued.add(path);
    queue.push({ path, destination });
    pump();
  }

  function pump(): void {
    while (active < concurrency && queueHead < queue.length) {
      const job = queue[queueHead];
      queueHead += 1;
      if (job === undefined) break;
      // Compact the array now and then so a long-running agent does not keep every path ever seen.
      if (queueHead > 4096 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      queued.delete(job.path);
      running.add(job.path);
      active += 1;
      void processPath(job.path, job.destination)
        .catch((error: unknown) => deps.reportFault(error))
        .finally(() => {
        active -= 1;
        running.delete(job.path);
        const again = dirty.get(job.path);
        if (again !== undefined) {
          dirty.delete(job.path);
          enqueue(job.path, again);
        }
        pump();
        notifyIdle();
      });
    }
    notifyIdle();
  }

  async function hashUntilStable(path: string, root: string): Promise<{ result: FileHashResult; previousSha256?: string; changed: boolean }> {
    let first: string | undefined;
    let changed = false;
    let result: FileHashResult = { state: 'vanished' };
    for (let attempt = 0; attempt < maxHashAttempts; attempt += 1) {
      result = await deps.hasher.hash(path, root);
      if (result.state !== 'hashed' || result.stable) break;
      changed = true;
      first ??= result.sha256;
    }
    if (!changed) return { result, changed };
    return first === undefined ? { result, changed } : { result, previousSha256: first, changed };
  }

  async function processPath(path: string, destination: ExportDestination): Promise<void> {
    const { result, previousSha256, changed } = await hashUntilStable(path, destination.path);
    const last = known.get(path);
    if (result.state === 'hashed' && !changed && last !== undefined && last.sha256 === result.sha256 && last.sizeBytes === result.facts.sizeBytes && last.mtimeMs === result.facts.mtimeMs) {
      return; // an event without new bytes (chmod, a second close): already recorded
    }
    const summary: HashSummary =
      result.state === 'hashed' ? { state: 'hashed', changedWhileHashed: changed } : result.state === 'vanished' ? { state: 'vanished' } : { state: 'unreadable', reason: result.reason };
    let plan = decideExport(destination.action, summary);
    let quarantinePath: string | undefined;
    let reason = result.state === 'unreadable' ? result.reason : undefined;
    if (plan.dispose !== 'none') {
      disposing.add(path);
      const applied = plan.dispose === 'quarantine' ? await deps.disposer.quarantine(path) : await deps.disposer.remove(path);
      if (applied.ok) {
        if (applied.value !== undefined) quarantinePath = applied.value.quarantinePath;
      } else {
        disposing.delete(path);
        plan = decideDisposeFailure(plan);
        reason = applied.error.reason;
      }
    }
    const user = result.state === 'hashed' ? ((await deps.users.userName(result.facts.uid)) ?? `uid:${result.facts.uid}`) : undefined;
    const record: ExportRecord = {
      path,
      destinationId: destination.id,
      volume: destination.volume,
      kind: result.state === 'hashed' ? result.kind : 'file',
      ...(result.state === 'hashed'
        ? { sizeBytes: result.facts.sizeBytes, sha256: result.sha256, mtimeMs: result.facts.mtimeMs, uid: result.facts.uid, user }
        : {}),
      ...(previousSha256 !== undefined ? { previousSha256 } : {}),
      time: new Date(deps.clock.nowMs()).toISOString(),
      action: destination.action,
      outcome: plan.outcome,
      ...(quarantinePath !== undefined ? { quarantinePath } : {}),
      ...(reason !== undefined ? { reason } : {}),
    };
    known.set(path, result.state === 'hashed' ? { sizeBytes: result.facts.sizeBytes, mtimeMs: result.facts.mtimeMs, sha256: result.sha256 } : {});
    if (plan.dispose !== 'none' && plan.outcome !== 'action-failed') known.delete(path);
    const committed = commit(record, plan.severity);
    // The hashing slot is freed before the record is durable: the fsyncs of the ledger and the
    // audit log then batch every record hashed meanwhile (group commit) instead of holding
    // `concurrency` slots idle for two fsyncs each, which capped a burst at ~concurrency / 10 ms.
    if (committing > maxUncommitted) await committed;
  }

  /**
   * Makes one record durable: the audit event first (the authority, model.ts), then the ledger
   * line (the index the rescan trusts; both fsynced, both group-committed in call order), then
   * `onRecord`. A crash between the two leaves the file out of the index, so the rescan records
   * it again: a duplicate audit event, never a missing one. Records of one path are
   * committed in the order they were made, since a path is hashed again only after this call.
   * Never rejects: a record that could not be made durable goes to `reportFault`.
   */
  function commit(record: ExportRecord, severity: ExportPlan['severity']): Promise<void> {
    committing += 1;
    return deps.audit
      .append({ type: exportRecordedEventType, severity, data: { ...record } })
      .then(() => deps.store.append(record))
      .then(() => deps.onRecord?.(record))
      .catch((error: unknown) => deps.reportFault(error))
      .finally(() => {
        committing -= 1;
        notifyIdle();
      });
  }

  function onEvent(destination: ExportDestination, type: 'add' | 'change' | 'unlink', path: string): void {
    if (stopped || !isWithinDestination(destination, path) || isExcludedFromDestination(destination, path)) return;
    if (type === 'unlink') {
      if (disposing.delete(path)) return;
      // A file deleted before it settled is still hashed (and found vanished): it was written.
      const timer = timers.get(path);
      if (timer !== undefined) {
        clearTimeout(timer);
        timers.delete(path);
        enqueue(path, destination);
      }
      return;
    }
    schedule(path, destination);
  }

  async function rescan(destinationId: string): Promise<number> {
    const destination = deps.destinations.find((d) => d.id === destinationId);
    if (destination === undefined) return 0;
    const entries = await deps.events.scan(destination.path);
    let queuedCount = 0;
    for (const entry of entries) {
      if (!isWithinDestination(destination, entry.path) || isExcludedFromDestination(destination, entry.path)) continue;
      const last = known.get(entry.path);
      if (last !== undefined && last.sizeBytes === entry.sizeBytes && last.mtimeMs === entry.mtimeMs) continue;
      if (timers.has(entry.path) || queued.has(entry.path) || running.has(entry.path)) continue;
      enqueue(entry.path, destination);
      queuedCount += 1;
    }
    return queuedCount;
  }

  function onError(destination: ExportDestination, error: FileEventSourceError): void {
    if (stopped) return;
    // Events may be lost (IN_Q_OVERFLOW): rescan after the burst so nothing written goes unrecorded.
    void deps.audit
      .append({ type: exportRescanEventType, severity: 'warning', data: { destinationId: destination.id, kind: error.kind, message: error.message } })
      .then(() => new Promise((resolve) => setTimeout(resolve, settleMs)))
      .then(() => rescan(destination.id))
      .catch((failure: unknown) => deps.reportFault(failure));
  }

  return {
    async start() {
      for (const record of await deps.store.list()) {
        if (record.outcome === 'quarantined' || record.outcome === 'deleted') {
          known.delete(record.path);
        } else {
          known.set(record.path, { sizeBytes: record.sizeBytes, mtimeMs: record.mtimeMs, sha256: record.sha256 });
        }
      }
      for (const destination of deps.destinations) {
        const watch = deps.events.watch(
          destination.path,
          (event) => onEvent(destination, event.type, event.path),
          (error) => onError(destination, error),
        );
        watches.push(watch);
        await watch.ready;
        await rescan(destination.id);
      }
      if (rescanIntervalMs > 0) {
        rescanTimer = setInterval(() => {
          for (const destination of deps.destinations) void rescan(destination.id).catch((error: unknown) => deps.reportFault(error));
        }, rescanIntervalMs);
      }
    },
    async stop() {
      stopped = true;
      if (rescanTimer !== undefined) clearInterval(rescanTimer);
      await Promise.all(watches.map((w) => w.close()));
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      queue.splice(0, queue.length);
      queueHead = 0;
      queued.clear();
      await this.idle();
    },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    rescan,
  };
}
