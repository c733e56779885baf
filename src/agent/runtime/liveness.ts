import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AuditSink } from '../audit';
import type { RunMarkerStore, ServiceManagerNotifier } from './ports';
import { decideUncleanStop, parseRunMarker, type RunMarker, type RunMarkerRead } from './run-marker';

/** A service manager that does not listen (the agent run by hand, tests). */
export const absentServiceManager: ServiceManagerNotifier = {
  watchdogIntervalMs: undefined,
  ready: () => Promise.resolve(),
  watchdog: () => Promise.resolve(),
  stopping: () => Promise.resolve(),
};

export interface AgentLivenessDeps {
  readonly serviceManager: ServiceManagerNotifier;
  readonly marker: RunMarkerStore;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pid: number;
  readonly bootId: string | null;
  /**
   * Runs a task on the agent's work queue (the one policy reloads and posture refreshes use).
   * Watchdog pings go through it: a queue stuck behind a hung task sends none, and the service
   * manager restarts the agent.
   */
  readonly enqueue: (task: () => Promise<unknown>) => void;
  /** How often the marker's `aliveAt` is refreshed (ms): the precision of the outage window. */
  readonly heartbeatIntervalMs: number;
}

/** The agent's liveness towards the service manager and towards its own next start. */
export interface AgentLiveness {
  /** Audits an unclean stop of the previous run (if the marker says so) and writes the new marker. */
  begin(): Promise<void>;
  /** Tells the service manager start-up is done and starts the watchdog and heartbeat timers. */
  ready(status: string): Promise<void>;
  /** Stops the timers and tells the service manager a clean stop began. */
  stopping(): Promise<void>;
  /** The stop completed cleanly: removes the marker, so the next start finds none. */
  end(): Promise<void>;
}

export function createAgentLiveness(deps: AgentLivenessDeps): AgentLiveness {
  const { serviceManager, marker, clock, logger } = deps;
  let startedAt = new Date(clock.nowMs()).toISOString();
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => Promise<unknown>): void => {
    const timer = setInterval(() => deps.enqueue(task), ms);
    timer.unref();
    timers.push(timer);
  };
  const current = (): RunMarker => ({
    format: 'mynumber-guard.run-marker/v1',
    pid: deps.pid,
    bootId: deps.bootId,
    startedAt,
    aliveAt: new Date(clock.nowMs()).toISOString(),
  });
  const write = (value: RunMarker): Promise<void> => marker.write(`${JSON.stringify(value)}\n`);
  const read = async (): Promise<RunMarkerRead> => {
    try {
      const text = await marker.read();
      return text === undefined ? { kind: 'absent' } : parseRunMarker(text);
    } catch (error) {
      // Something is there but cannot be read: the previous run did not end cleanly either.
      return { kind: 'corrupt', detail: error instanceof Error ? error.message : String(error) };
    }
  };
  const heartbeat = async (): Promise<void> => {
    try {
      await write(current());
    } catch (error) {
      // A missed heartbeat only widens the outage window the next start reports.
      logger.warn({ err: String(error), marker: marker.location }, 'run marker heartbeat failed');
    }
  };

  return {
    async begin() {
      startedAt = new Date(clock.nowMs()).toISOString();
      const found = await read();
      const record = decideUncleanStop(found, { nowMs: clock.nowMs(), bootId: deps.bootId, pid: deps.pid });
      if (record !== undefined) {
        logger.warn({ marker: marker.location, data: record.data }, 'the previous run of the agent did not stop cleanly');
        await deps.audit.append(record);
      }
      try {
        await write(current());
      } catch (error) {
        // Never a reason not to start: the controls run; the next start just cannot tell how this
        // run ended. Said loudly, once.
        logger.error({ err: String(error), marker: marker.location }, 'cannot write the run marker');
        await deps.audit.append({ type: 'agent.run-marker-failed', severity: 'alert', data: { location: marker.location, error: error instanceof Error ? error.message : String(error) } });
      }
    },
    async ready(status) {
      await serviceManager.ready(status);
      every(deps.heartbeatIntervalMs, heartbeat);
      const watchdogMs = serviceManager.watchdogIntervalMs;
      // Three pings per watchdog period: one late timer under load never costs a restart.
      if (watchdogMs !== undefined) every(Math.max(100, Math.floor(watchdogMs / 3)), () => serviceManager.watchdog());
    },
    async stopping() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await serviceManager.stopping();
    },
    async end() {
      await marker.remove();
    },
  };
}
