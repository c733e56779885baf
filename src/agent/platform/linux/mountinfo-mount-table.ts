// The mount table from /proc/self/mountinfo (proc(5)), watched with `findmnt --poll` as a change
// trigger plus a periodic re-read (issue #4 item 1). Node has no poll(2) on mountinfo, so the
// child does the waiting; its output only says "something changed" and the table is re-read from
// mountinfo each time, so nothing is parsed twice and escapes are handled in one place (the
// injected pure parser). findmnt must run under `stdbuf -oL`: without it its output is
// block-buffered and nothing arrives (usb-and-media.md §7, measured).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../../shared/clock';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg } from '../../../shared/i18n';
import { diffMounts, type Mount, type MountinfoRead } from '../../mounts/model';
import type { MountinfoParser, MountTable, MountTableChange, MountWatch } from '../../mounts/ports';
import { createSpawnMonitorChild, scheduleWithTimeout, type MonitorChild, type ScheduleTimer, type SpawnMonitorChild } from './monitor-child';

/** Options of {@link MountinfoMountTable}. */
export interface MountinfoMountTableOptions {
  /** The mounts module's `parseMountinfo`. */
  readonly parse: MountinfoParser;
  readonly clock: Clock;
  /** Where proc is mounted; the table is `<procRoot>/self/mountinfo`. Default `/proc`. */
  readonly procRoot?: string;
  /** Re-read this often whatever the watcher says (ms). Default 5,000. */
  readonly periodicIntervalMs?: number;
  /** `findmnt` executable; null watches by periodic re-read only. Default `findmnt`. */
  readonly findmntCommand?: string | null;
  /** `stdbuf` executable. Default `stdbuf`. */
  readonly stdbufCommand?: string;
  /** `setpriv` to give findmnt `--pdeathsig KILL` (dies with the agent); null: none. Default `/usr/bin/setpriv` if present. */
  readonly setprivPath?: string | null;
  /** Restarts of a dead watcher in a row before giving up on it (the periodic re-read goes on). Default 5. */
  readonly maxRestarts?: number;
  /** First restart delay, doubling per restart (ms). Default 200. */
  readonly restartDelayMs?: number;
  /** A watcher that ran this long resets the restart count (ms). Default 60,000. */
  readonly restartStableMs?: number;
  /** How long stop() waits for the child after SIGTERM, then after SIGKILL (ms). Default 2,000. */
  readonly stopTimeoutMs?: number;
  readonly spawn?: SpawnMonitorChild;
  readonly schedule?: ScheduleTimer;
}

/** The arguments findmnt runs with (one line per event, raw output; the content is not used). */
export const findmntPollArgs: readonly string[] = ['--poll', '--noheadings', '--raw', '--output', 'ACTION,TARGET'];

const spawnNodeChild: SpawnMonitorChild = createSpawnMonitorChild('latin1');


function watchError(ja: string, en: string, cause?: unknown): MngError {
  return new MngError(ErrorCode.MountWatchFailed, msg(ja, en), {
    hint: msg(
      'util-linux（findmnt）と coreutils（stdbuf）が入っているか確認してください。その間も定期的な再読込でマウントは判定されます。',
      'check that util-linux (findmnt) and coreutils (stdbuf) are installed; meanwhile the periodic re-read still judges mounts.',
    ),
    cause,
  });
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/**
 * MountTable on Linux. `read()` parses `<procRoot>/self/mountinfo`. `watch()` takes that table
 * as its baseline, then re-reads it on every line from `stdbuf -oL findmnt --poll` and every
 * `periodicIntervalMs`, reporting differences. Re-reads are serialized and coalesced: events that
 * arrive during a re-read cause exactly one more. A findmnt that dies is reported through onError
 * and restarted with a doubling delay, at most `maxRestarts` times in a row; after that onError
 * says the watcher is given up and only the periodic re-read remains (still bounded latency).
 * One extra re-read right after the child starts closes the gap before findmnt's first poll.
 */
export class MountinfoMountTable implements MountTable {
  private readonly options: MountinfoMountTableOptions;
  private readonly file: string;

  constructor(options: MountinfoMountTableOptions) {
    this.options = options;
    this.file = path.join(options.procRoot ?? '/proc', 'self/mountinfo');
  }

  async read(): Promise<MountinfoRead> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      throw new MngError(ErrorCode.MountTableUnreadable, msg(`マウント表を読めません: ${this.file}`, `cannot read the mount table: ${this.file}`), {
        hint: msg('proc ファイルシステムがマウントされているか確認してください', 'check that the proc file system is mounted'),
        cause: error,
      });
    }
    return this.options.parse(new Uint8Array(bytes));
  }

  async watch(onChange: (change: MountTableChange) => void, onError: (error: Error) => void): Promise<MountWatch> {
    const { clock } = this.options;
    const schedule = this.options.schedule ?? scheduleWithTimeout;
    const spawnChild = this.options.spawn ?? spawnNodeChild;
    const periodicMs = this.options.periodicIntervalMs ?? 5_000;
    const maxRestarts = this.options.maxRestarts ?? 5;
    const firstDelayMs = this.options.restartDelayMs ?? 200;
    const stableMs = this.options.restartStableMs ?? 60_000;
    const stopTimeoutMs = this.options.stopTimeoutMs ?? 2_000;
    const findmnt = this.options.findmntCommand === undefined ? 'findmnt' : this.options.findmntCommand;
    const stdbuf = this.options.stdbufCommand ?? 'stdbuf';
    const setpriv = this.options.setprivPath === undefined ? (existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null) : this.options.setprivPath;

    let running = true;
    let previous: readonly Mount[] = (await this.read()).mounts;
    let busy = false;
    let again: MountTableChange['trigger'] | null = null;
    let restarts = 0;
    let child: { process: MonitorChild; exited: Promise<void> } | undefined;
    const cancels = new Set<() => void>();

    const later = (callback: () => void, delayMs: number): void => {
      const cancel = schedule(() => {
        cancels.delete(cancel);
        callback();
      }, delayMs);
      cancels.add(cancel);
    };

    const rescan = (trigger: MountTableChange['trigger']): void => {
      if (!running) return;
      if (busy) {
        again = again ?? trigger;
        return;
      }
      busy = true;
      this.read()
        .then((table) => {
          if (!running) return;
          const { added, removed, changed } = diffMounts(previous, table.mounts);
          previous = table.mounts;
          if (added.length + removed.length + changed.length === 0) return;
          try {
            onChange({ table, added, removed, changed, trigger, atMs: clock.nowMs() });
          } catch (error) {
            // A failing consumer must not stop the watch; it is reported like any other fault.
            onError(asError(error));
          }
        })
        .catch((error: unknown) => {
          if (running) onError(asError(error));
        })
        .finally(() => {
          busy = false;
          const next = again;
          again = null;
          if (next !== null) rescan(next);
        });
    };

    const periodic = (): void => {
      later(() => {
        rescan('periodic');
        if (running) periodic();
      }, periodicMs);
    };

    const launch = (): void => {
      if (findmnt === null || !running) return;
      const args = ['-oL', findmnt, ...findmntPollArgs];
      const [executable, executableArgs] = setpriv === null ? [stdbuf, args] : [setpriv, ['--pdeathsig', 'KILL', '--', stdbuf, ...args]];
      const startedAtMs = clock.nowMs();
      let stderrTail = '';
      let finished = false;
      let markExited: () => void = () => undefined;
      const exited = new Promise<void>((resolve) => {
        markExited = resolve;
      });
      let spawned: MonitorChild;
      try {
        spawned = spawnChild(executable, executableArgs, process.env);
      } catch (error) {
        onError(watchError(`findmnt を起動できません: ${String(error)}`, `cannot start findmnt: ${String(error)}`, error));
        restartLater();
        return;
      }
      const current = { process: spawned, exited };
      child = current;
      const finish = (how: string, cause?: Error): void => {
        if (finished) return;
        finished = true;
        markExited();
        if (child === current) child = undefined;
        if (!running) return;
        const detail = stderrTail.trim() === '' ? '' : `: ${stderrTail.trim()}`;
        onError(watchError(`findmnt --poll が終了しました（${how}）${detail}`, `findmnt --poll exited (${how})${detail}`, cause));
        if (clock.nowMs() - startedAtMs >= stableMs) restarts = 0;
        restartLater();
      };
      spawned.onStdout(() => rescan('findmnt'));
      spawned.onStderr((chunk) => {
        stderrTail = (stderrTail + chunk).slice(-2048);
      });
      spawned.onError((error) => finish(error.message, error));
      spawned.onExit((code, signal) => finish(signal !== null ? `signal ${signal}` : `code ${String(code)}`));
      // findmnt reads the table once before it starts polling: a change in between is caught here.
      later(() => rescan('findmnt'), 250);
    };

    function restartLater(): void {
      if (!running) return;
      if (restarts >= maxRestarts) {
        onError(
          watchError(
            `findmnt --poll を ${maxRestarts} 回再起動しても止まるため監視をやめます。${periodicMs} ms ごとの再読込だけで判定します`,
            `findmnt --poll kept dying after ${maxRestarts} restarts; giving up on it, mounts are judged by the re-read every ${periodicMs} ms only`,
          ),
        );
        return;
      }
      const delayMs = firstDelayMs * 2 ** restarts;
      restarts += 1;
      later(launch, delayMs);
    }

    launch();
    periodic();

    return {
      stop: async () => {
        running = false;
        for (const cancel of cancels) cancel();
        cancels.clear();
        const current = child;
        if (current === undefined) return;
        const exitsWithin = async (timeoutMs: number): Promise<boolean> => {
          let cancel: () => void = () => undefined;
          const timedOut = new Promise<boolean>((resolve) => {
            cancel = schedule(() => resolve(false), timeoutMs);
          });
          const result = await Promise.race([current.exited.then(() => true), timedOut]);
          cancel();
          return result;
        };
        current.process.kill('SIGTERM');
        if (await exitsWithin(stopTimeoutMs)) return;
        current.process.kill('SIGKILL');
        if (await exitsWithin(stopTimeoutMs)) return;
        throw watchError(`findmnt が SIGKILL 後 ${stopTimeoutMs} ms 以内に終了しませんでした`, `findmnt did not exit within ${stopTimeoutMs} ms of SIGKILL`);
      },
    };
  }
}
