import { z } from 'zod';
import type { AuditEventInput } from '../audit';

/**
 * The run marker: a small file in the state folder that says "an agent is running". Written at
 * start, refreshed by a heartbeat while the agent lives, removed at a clean stop. Found at the
 * next start, it means the previous run ended without stopping (kill -9, a crash, power loss, a
 * watchdog restart): `agent.unclean-stop` is audited as an alert, with the outage window bounded
 * by the last heartbeat (docs/agent.md).
 */
export interface RunMarker {
  readonly format: 'mynumber-guard.run-marker/v1';
  readonly pid: number;
  /** The kernel's boot id (`/proc/sys/kernel/random/boot_id`) when the run began; null if unknown. */
  readonly bootId: string | null;
  /** ISO-8601 UTC. */
  readonly startedAt: string;
  /** Last time the running agent proved alive (its heartbeat), ISO-8601 UTC. */
  readonly aliveAt: string;
}

export const runMarkerSchema = z
  .object({
    format: z.literal('mynumber-guard.run-marker/v1'),
    pid: z.number().int().min(1).max(2 ** 31),
    bootId: z.string().max(64).nullable(),
    startedAt: z.iso.datetime(),
    aliveAt: z.iso.datetime(),
  })
  .strict();

/** What the marker store found at start: nothing (clean), a marker, or a file that is not one. */
export type RunMarkerRead = { readonly kind: 'absent' } | { readonly kind: 'found'; readonly marker: RunMarker } | { readonly kind: 'corrupt'; readonly detail: string };

/** Parses the marker file's text; `corrupt` for anything else. Pure. */
export function parseRunMarker(text: string): RunMarkerRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'corrupt', detail: `not JSON: ${(error as Error).message}` };
  }
  const parsed = runMarkerSchema.safeParse(value);
  if (!parsed.success) return { kind: 'corrupt', detail: parsed.error.issues[0]?.message ?? 'invalid' };
  return { kind: 'found', marker: parsed.data };
}

/**
 * Decides what the marker found at start says about the previous run (pure). Absent: it stopped
 * cleanly (or this is the first run). Found or corrupt: it did not, and the audit record says
 * when it was last seen alive, how long the terminal ran without the agent at most, and whether
 * the machine rebooted in between (a power loss or a reset, as opposed to the agent dying).
 */
export function decideUncleanStop(found: RunMarkerRead, context: { nowMs: number; bootId: string | null; pid: number }): AuditEventInput | undefined {
  if (found.kind === 'absent') return undefined;
  if (found.kind === 'corrupt') {
    return {
      type: 'agent.unclean-stop',
      severity: 'alert',
      data: { detectedAt: new Date(context.nowMs).toISOString(), pid: context.pid, marker: 'corrupt', detail: found.detail },
    };
  }
  const { marker } = found;
  const aliveMs = Date.parse(marker.aliveAt);
  const sameBoot = marker.bootId === null || context.bootId === null ? null : marker.bootId === context.bootId;
  return {
    type: 'agent.unclean-stop',
    severity: 'alert',
    data: {
      detectedAt: new Date(context.nowMs).toISOString(),
      pid: context.pid,
      previousPid: marker.pid,
      previousStartedAt: marker.startedAt,
      // The previous agent died somewhere between its last heartbeat and now: the outage window.
      lastAliveAt: marker.aliveAt,
      outageMaxMs: Math.max(0, context.nowMs - aliveMs),
      sameBoot,
    },
  };
}
