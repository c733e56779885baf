import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, open, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { FileHasher, FileHashResult } from '../../exports/ports';

/** Read size per chunk: large reads keep the hash at the speed of `sha256sum` (bench/exports.ts). */
export const hashChunkBytes = 1024 * 1024;
/** Below this size a file is read with plain reads instead of a stream. */
const smallFileBytes = 64 * 1024;

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}

/**
 * True when `file`'s parent directory resolves inside `root`. The root's own resolution is cached
 * (a destination is a mount point or configured folder: mount control owns swaps of it); the
 * parent is resolved for every file, since a directory inside the medium can be swapped for a link.
 */
async function isInside(realRoots: Map<string, string>, root: string, file: string): Promise<boolean> {
  let realRoot = realRoots.get(root);
  if (realRoot === undefined) {
    realRoot = await realpath(root);
    realRoots.set(root, realRoot);
  }
  const realParent = await realpath(path.dirname(file));
  return realParent === realRoot || realParent.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}

/**
 * FileHasher on node:fs and node:crypto. Opens with O_NOFOLLOW (a link swapped in is recorded as
 * a link, never read through), checks that the parent directory resolves inside the watched root
 * (a swapped directory link), and compares fstat before and after reading plus the path's inode
 * after, so a file replaced, truncated or rewritten while hashed reports `stable: false`.
 */
export function createNodeFileHasher(): FileHasher {
  const realRoots = new Map<string, string>();
  return {
    async hash(file, root): Promise<FileHashResult> {
      try {
        if (!(await isInside(realRoots, root, file))) return { state: 'unreadable', reason: 'outside-root' };
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return { state: 'vanished' };
        return { state: 'unreadable', reason: errnoOf(error) };
      }
      let first;
      try {
        first = await lstat(file);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return { state: 'vanished' };
        return { state: 'unreadable', reason: errnoOf(error) };
      }
      if (first.isSymbolicLink()) return hashLink(file);
      if (!first.isFile()) {
        // FIFOs and device nodes are never opened (opening may block or have side effects).
        const facts = { sizeBytes: first.size, mtimeMs: first.mtimeMs, uid: first.uid };
        return { state: 'hashed', kind: 'other', sha256: createHash('sha256').digest('hex'), facts, stable: true };
      }
      let handle;
      try {
        handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT') return { state: 'vanished' };
        if (code === 'ELOOP') return hashLink(file);
        return { state: 'unreadable', reason: code };
      }
      try {
        const before = await handle.stat();
        if (!before.isFile() || before.ino !== first.ino) return { state: 'hashed', kind: 'file', sha256: createHash('sha256').digest('hex'), facts: { sizeBytes: before.size, mtimeMs: before.mtimeMs, uid: before.uid }, stable: false };
        const hash = createHash('sha256');
        let bytesRead = 0;
        if (before.size < smallFileBytes) {
          // Small files (the common export): a buffer of exactly size + 1 bytes, so one read
          // normally returns the whole file and its short count already says "end of file"; the
          // extra byte is how growth shows. Sized per file, not a fixed 64 KiB, which would make
          // a burst of 10,000 small files allocate 640 MiB of garbage (bench/exports.ts profile).
          const buffer = Buffer.allocUnsafe(before.size + 1);
          while (bytesRead < buffer.length) {
            const { bytesRead: n } = await handle.read(buffer, bytesRead, buffer.length - bytesRead, bytesRead);
            if (n === 0) break;
            bytesRead += n;
            // A short read that reached the size fstat gave is the end of the file; the after-checks
            // below still catch a writer that appends right now.
            if (bytesRead === before.size) break;
          }
          hash.update(buffer.subarray(0, bytesRead));
        } else {
          const stream = createReadStream('', { fd: handle.fd, autoClose: false, start: 0, highWaterMark: hashChunkBytes });
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            bytesRead += chunk.length;
            hash.update(chunk);
          }
        }
        const after = await handle.stat();
        let pathIno: number | undefined;
        try {
          pathIno = (await lstat(file)).ino;
        } catch (error) {
          if (errnoOf(error) !== 'ENOENT') throw error;
        }
        const stable =
          before.size === after.size &&
          before.mtimeMs === after.mtimeMs &&
          before.ctimeMs === after.ctimeMs &&
          bytesRead === after.size &&
          (pathIno === undefined || pathIno === before.ino);
        return { state: 'hashed', kind: 'file', sha256: hash.digest('hex'), facts: { sizeBytes: bytesRead, mtimeMs: after.mtimeMs, uid: after.uid }, stable };
      } catch (error) {
        return { state: 'unreadable', reason: errnoOf(error) };
      } finally {
        await handle.close();
      }
    },
  };
}

/** A symbolic link is recorded as itself: SHA-256 of its target string, the link's own lstat. */
async function hashLink(file: string): Promise<FileHashResult> {
  try {
    const stats = await lstat(file);
    if (!stats.isSymbolicLink()) return { state: 'unreadable', reason: 'ELOOP' };
    const target = await readlink(file, { encoding: 'buffer' });
    const after = await lstat(file);
    const stable = after.ino === stats.ino && after.ctimeMs === stats.ctimeMs;
    return {
      state: 'hashed',
      kind: 'symlink',
      sha256: createHash('sha256').update(target).digest('hex'),
      facts: { sizeBytes: stats.size, mtimeMs: stats.mtimeMs, uid: stats.uid },
      stable,
    };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return { state: 'vanished' };
    return { state: 'unreadable', reason: errnoOf(error) };
  }
}
