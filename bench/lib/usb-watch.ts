// Shared pieces of `npm run bench -- usb`: seeing from outside when a sysfs attribute changes, a
// monotonic clock, bounded waits, and stopping the processes the benchmark started.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** Nanoseconds on this process's monotonic clock (CLOCK_MONOTONIC, shared by all its threads). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds between two monotonic readings. */
export function elapsedMs(fromNs: bigint, toNs: bigint): number {
  return Number(toNs - fromNs) / 1e6;
}

/** What the poller saw. */
export type PollOutcome =
  | { readonly ok: true; readonly seenNs: bigint; readonly reads: number }
  | { readonly ok: false; readonly reads: number; readonly last: string | undefined };

/**
 * Watches one file at a time for a value, from a worker thread that reads it every `intervalMs`
 * (sleeping in Atomics.wait between reads, so the waiting costs little CPU and the main thread's
 * event loop plays no part in the timing). `seenNs` is taken right after the read that first
 * returned the value: the change happened at most one poll period (plus one read) earlier.
 * inotify cannot be used: the watched directory is created by the plug itself, after the moment
 * measured from, and a file's mtime has only the kernel tick's granularity.
 */
export interface FilePoller {
  /** Starts watching `file` until its trimmed content equals `want`, or `timeoutMs` passes. */
  watch(file: string, want: string, timeoutMs: number): Promise<PollOutcome>;
  /** The poll period measured over every watch so far, in ms (read + sleep). */
  meanPeriodMs(): number;
  close(): Promise<void>;
}

// CommonJS, run with `eval: true`: one job at a time, answered by one message.
const pollerSource = `
const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const sleeper = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', (job) => {
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(job.timeoutMs * 1e6));
  let reads = 0;
  let last;
  for (;;) {
    let text;
    try { text = readFileSync(job.file, 'latin1'); } catch { text = undefined; }
    const at = process.hrtime.bigint();
    reads += 1;
    if (text !== undefined) {
      last = text;
      if (text.trim() === job.want) {
        parentPort.postMessage({ id: job.id, ok: true, seenNs: at.toString(), reads, spentNs: (at - started).toString() });
        return;
      }
    }
    if (at > deadline) {
      parentPort.postMessage({ id: job.id, ok: false, reads, last, spentNs: (at - started).toString() });
      return;
    }
    Atomics.wait(sleeper, 0, 0, job.intervalMs);
  }
});
`;

interface PollerAnswer {
  readonly id: number;
  readonly ok: boolean;
  readonly seenNs?: string;
  readonly reads: number;
  readonly last?: string;
  readonly spentNs: string;
}

/** Starts the poller thread. `intervalMs` is the sleep between reads. */
export function createFilePoller(intervalMs: number): FilePoller {
  const worker = new Worker(pollerSource, { eval: true });
  worker.unref();
  let nextId = 1;
  let pending: { id: number; resolve: (outcome: PollOutcome) => void; reject: (error: Error) => void } | undefined;
  let totalReads = 0;
  let totalSpentNs = 0n;
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure = error;
    pending?.reject(error);
    pending = undefined;
  };
  worker.on('error', (error) => fail(new Error(`bench: the file poller thread failed: ${error.message}`)));
  worker.on('exit', (code) => fail(new Error(`bench: the file poller thread exited (code ${code})`)));
  worker.on('message', (answer: PollerAnswer) => {
    if (pending === undefined || answer.id !== pending.id) return;
    const { resolve } = pending;
    pending = undefined;
    totalReads += answer.reads;
    totalSpentNs += BigInt(answer.spentNs);
    resolve(answer.ok ? { ok: true, seenNs: BigInt(answer.seenNs ?? '0'), reads: answer.reads } : { ok: false, reads: answer.reads, last: answer.last });
  });
  return {
    watch(file, want, timeoutMs) {
      if (failure !== undefined) return Promise.reject(failure);
      if (pending !== undefined) return Promise.reject(new Error('bench: the file poller watches one file at a time'));
      const id = nextId++;
      return new Promise<PollOutcome>((resolve, reject) => {
        pending = { id, resolve, reject };
        worker.postMessage({ id, file, want, timeoutMs, intervalMs });
      });
    },
    meanPeriodMs: () => (totalReads === 0 ? Number.NaN : Number(totalSpentNs) / 1e6 / totalReads),
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `stepMs` until it returns a value; fails after `timeoutMs` with `what`. */
export async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs: number, stepMs = 2): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/**
 * Keeps the last `limit` characters a child wrote on `streams`, for error messages. A stream not
 * kept is still drained, so a chatty child never blocks on a full pipe.
 */
export function captureOutput(child: ChildProcess, limit = 4096, streams: 'stderr' | 'both' = 'both'): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  };
  if (streams === 'both') child.stdout?.on('data', keep);
  else child.stdout?.resume();
  child.stderr?.on('data', keep);
  return () => text.trim();
}

function exitedWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** A process as /proc showed it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** proc(5) field 22, clock ticks since boot: tells a pid from a later process reusing it. */
  readonly startTime: string;
  readonly zombie: boolean;
}

/** Every process in /proc. */
function listProcesses(): Map<number, ProcessEntry> {
  const processes = new Map<number, ProcessEntry>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // ended since the readdir
    }
    // proc(5): "pid (comm) state ppid pgrp … starttime(22) …"; comm may contain spaces and ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    processes.set(pid, { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '', zombie: fields[0] === 'Z' || fields[0] === 'X' });
  }
  return processes;
}

/** The descendants of `pid` (children, their children, …) as they are now. */
export function descendantsOf(pid: number): ProcessEntry[] {
  const processes = [...listProcesses().values()];
  const found: ProcessEntry[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop() as number;
    for (const entry of processes) {
      if (entry.ppid === parent && !entry.zombie) {
        found.push(entry);
        parents.push(entry.pid);
      }
    }
  }
  return found;
}

/** True while the process recorded in `entry` (same pid, same start time) still runs. */
function stillRunning(entry: ProcessEntry): boolean {
  const now = listProcesses().get(entry.pid);
  return now !== undefined && now.startTime === entry.startTime && !now.zombie;
}

/**
 * Stops a child and everything it started: notes its descendants first (they lose the link to it
 * once it is gone; pass any noted earlier as `noted`), sends SIGTERM to the child, SIGKILL after `graceMs`, then SIGKILL to any noted
 * descendant still running (the agent's udevadm after a crash). Processes are signalled only by
 * the pids noted here. Resolves to a note when force was needed.
 */
export async function stopProcessTree(child: ChildProcess, name: string, graceMs: number, noted: readonly ProcessEntry[] = []): Promise<string | undefined> {
  const pid = child.pid;
  if (pid === undefined) return undefined;
  // `noted`: descendants seen earlier, for a child that died on its own and orphaned them.
  const now = descendantsOf(pid);
  const descendants = [...now, ...noted.filter((entry) => !now.some((current) => current.pid === entry.pid))];
  const notes: string[] = [];
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await exitedWithin(child, graceMs))) {
      notes.push(`${name} (pid ${pid}) ignored SIGTERM for ${graceMs} ms: killed`);
      child.kill('SIGKILL');
      if (!(await exitedWithin(child, 2_000))) throw new Error(`bench: ${name} (pid ${pid}) survived SIGKILL`);
    }
  }
  const deadline = Date.now() + 2_000;
  for (;;) {
    const left = descendants.filter(stillRunning);
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new Error(`bench: processes ${left.map((entry) => entry.pid).join(', ')} started by ${name} survived SIGKILL`);
    for (const entry of left) {
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // ESRCH: it ended meanwhile
      }
    }
    if (!notes.some((note) => note.includes('left behind'))) notes.push(`${name}: ${left.length} process(es) it started were left behind and killed`);
    await sleep(20);
  }
  return notes.length === 0 ? undefined : notes.join('; ');
}
