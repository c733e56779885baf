import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { watch } from 'chokidar';
import type { ExportEntryKind, FileEventSource, ScannedEntry } from '../../exports/ports';

/**
 * FileEventSource on chokidar 5 (inotify on Linux through fs.watch). Never polls
 * (reference/usb-and-media.md §7: polling on FUSE is slow and misses changes), never follows
 * links, and `awaitWriteFinish` is off: it polls stat and adds its threshold to every record; the
 * ledger service debounces per path instead. libuv drops inotify's IN_Q_OVERFLOW silently, so
 * lost events are only visible as watcher errors (ENOSPC, EMFILE); the service rescans on those
 * and periodically.
 *
 * Cost (profiled with bench/exports.ts, issue #4 item 2): chokidar answers every inotify event in
 * a directory by re-reading the whole directory and lstat-ing every entry (readdirp with stats is
 * forced internally; re-reads run back to back while events keep coming), then lstats and
 * fs.watches each new file. During a 10,000-file burst into one folder that is ~45 % of the
 * ledger's CPU (re-reads ~30 %, per-file watch ~13 %); no chokidar option turns it off (depth,
 * alwaysStat, atomic, awaitWriteFinish change nothing here), so the ledger keeps its own share
 * small instead. `alwaysStat` stays off: the hasher must lstat at hash time anyway (a path can be
 * swapped for a link or a device node after the event), so event stats would only add a stat.
 */
export function createChokidarFileEventSource(): FileEventSource {
  return {
    watch(root, onEvent, onError) {
      const watcher = watch(root, {
        persistent: true,
        ignoreInitial: true,
        followSymlinks: false,
        usePolling: false,
        awaitWriteFinish: false,
        atomic: false,
        alwaysStat: false,
        ignorePermissionErrors: false,
      });
      // chokidar reports paths as given: absolute for an absolute root, so resolve only otherwise.
      const absolute = (file: string): string => (path.isAbsolute(file) ? file : path.resolve(root, file));
      // A root that does not exist yet is watched through its parent, and chokidar 5 then reports
      // siblings in that parent (a symlink next to it, e.g. /run/shm for /run/media): only the root
      // and what is below it is passed on.
      const top = path.resolve(root);
      const forward = (type: 'add' | 'change' | 'unlink', file: string): void => {
        const full = absolute(file);
        if (full === top || full.startsWith(top === '/' ? '/' : `${top}/`)) onEvent({ type, path: full });
      };
      watcher.on('add', (file) => forward('add', file));
      watcher.on('change', (file) => forward('change', file));
      watcher.on('unlink', (file) => forward('unlink', file));
      watcher.on('error', (error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        const overflow = code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE';
        onError({ kind: overflow ? 'overflow' : 'other', message: `${code ?? 'error'}: ${(error as Error).message}` });
      });
      const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      return { ready, close: () => watcher.close() };
    },
    scan: scanTree,
  };
}

function kindOf(stats: { isFile(): boolean; isSymbolicLink(): boolean }): ExportEntryKind {
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Recursive lstat walk; links are listed, never entered. Entries that vanish mid-walk are skipped. */
async function scanTree(root: string): Promise<ScannedEntry[]> {
  const found: ScannedEntry[] = [];
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed during the walk
      throw error;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      try {
        const stats = await lstat(full);
        if (stats.isDirectory()) pending.push(full);
        else found.push({ path: full, kind: kindOf(stats), sizeBytes: stats.size, mtimeMs: stats.mtimeMs });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  return found;
}
