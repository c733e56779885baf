import type { Clock } from '../../shared/clock';
import type { ChannelsPolicy } from '../../shared/policy/schema';
import type { AuditSeverity, AuditSink } from '../audit';
import { decidePrinters, queueKey, type PrinterDecision } from './decide-printers';
import { decideRadios, type RadioDecision } from './decide-radios';
import type { PrinterFacts, PrinterListFailure, RadioFacts } from './model';
import type { PrinterQueues, RadioSwitches } from './ports';

/** Why a pass ran; in every audit record. */
export type ChannelsTrigger = 'start' | 'policy-changed' | 'refresh';

/**
 * How a decision was carried out in this pass.
 * - `unchanged`: nothing to write (already as decided, or allowed / report-only).
 * - `applied`: written (enforce mode).
 * - `would-apply`: a write was due but monitor mode writes nothing.
 * - `failed`: the write failed.
 */
export type ChannelOutcome = 'unchanged' | 'applied' | 'would-apply' | 'failed';

/** One radio as last seen, with its decision and what was done. */
export interface RadioEntry {
  readonly radio: RadioFacts;
  readonly decision: RadioDecision;
  readonly outcome: ChannelOutcome;
  /** The failure text when `outcome` is `failed`. */
  readonly detail: string | null;
}

/** One queue as last seen, with its decision and what was done. */
export interface PrinterEntry {
  readonly printer: PrinterFacts;
  readonly decision: PrinterDecision;
  readonly outcome: ChannelOutcome;
  readonly detail: string | null;
}

/** What one pass saw, decided and did. */
export interface ChannelsSnapshot {
  readonly atMs: number;
  readonly trigger: ChannelsTrigger;
  readonly mode: 'monitor' | 'enforce';
  /** True when no policy was in force and the built-in fail-closed rules decided. */
  readonly fallback: boolean;
  readonly radios: {
    /** See {@link RadioList}: `absent` = no radio switch class on this machine. */
    readonly state: 'present' | 'absent' | 'unreadable';
    readonly detail: string | null;
    readonly entries: readonly RadioEntry[];
  };
  readonly printers: {
    readonly state: 'known' | 'unknown';
    readonly reason: PrinterListFailure | null;
    readonly detail: string | null;
    readonly entries: readonly PrinterEntry[];
  };
}

/** Dependencies of {@link createChannelsEnforcer}; wired by the composition root. */
export interface ChannelsEnforcerDeps {
  readonly radios: RadioSwitches;
  readonly printers: PrinterQueues;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly mode: 'monitor' | 'enforce';
  /** `spec.channels` of the policy in force, or undefined when there is none (fail closed). */
  readonly policy: () => ChannelsPolicy | undefined;
  /** State message set on queues the agent stops. Default {@link defaultPrinterDisableReason}. */
  readonly printerDisableReason?: string;
}

/** The running channels control. */
export interface ChannelsEnforcer {
  /** Reads radios and queues, decides, applies (enforce mode) and audits. One pass at a time. */
  run(trigger: ChannelsTrigger): Promise<ChannelsSnapshot>;
  /** The last pass, or undefined before the first. */
  snapshot(): ChannelsSnapshot | undefined;
}

/** Shown by CUPS (print dialogs, `lpstat -p`) on a queue the agent stopped. */
export const defaultPrinterDisableReason = 'mynumber-guard: ポリシーで許可されていないプリンタです / printer not allowed by policy';

/**
 * Creates the channels enforcer (issue #4 item 3). Each pass reads the radio switches and the
 * print queues, decides with {@link decideRadios} / {@link decidePrinters}, and in enforce mode
 * soft-blocks radios and stops queues; monitor mode writes nothing. Audit events:
 * - `channel.radio-blocked` (notice), `channel.printer-disabled` (notice): a write was made.
 * - `channel.radio-unblock-detected`, `channel.printer-enable-detected` (alert): something the
 *   agent had seen blocked is open again (drift); corrected in enforce mode (`corrected`).
 * - `channel.radio-not-blocked`, `channel.printer-not-disabled` (warning, monitor mode): a radio or
 *   queue the policy blocks is open; once until it changes.
 * - `channel.failed`: a write failed (alert) or the state could not be read (warning); once per
 *   distinct failure until it clears.
 */
export function createChannelsEnforcer(deps: ChannelsEnforcerDeps): ChannelsEnforcer {
  const reason = deps.printerDisableReason ?? defaultPrinterDisableReason;
  // Radios / queues seen blocked under a block target: the base for drift detection.
  let blockedRadios = new Set<number>();
  let stoppedQueues = new Set<string>();
  // Monitor-mode findings and failures already audited, so periodic passes do not repeat them.
  let reported = new Set<string>();
  let last: ChannelsSnapshot | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const audit = (type: string, severity: AuditSeverity, data: Record<string, unknown>): Promise<unknown> => deps.audit.append({ type, severity, data });

  const pass = async (trigger: ChannelsTrigger): Promise<ChannelsSnapshot> => {
    const policy = deps.policy();
    const fallback = policy === undefined;
    const base = { trigger, mode: deps.mode, fallback };
    const seen = new Set<string>();
    const once = async (key: string, write: () => Promise<unknown>): Promise<void> => {
      seen.add(key);
      if (reported.has(key)) return;
      await write();
    };

    // Radios.
    const radioList = await deps.radios.list();
    const radioEntries: RadioEntry[] = [];
    const nextBlocked = new Set<number>();
    if (radioList.state === 'unreadable') {
      await once(`read:radios:${radioList.detail}`, () => audit('channel.failed', 'warning', { ...base, subject: 'radios', step: 'read', detail: radioList.detail }));
      // Nothing is known: keep what was seen blocked, so drift is still caught once readable again.
      for (const index of blockedRadios) nextBlocked.add(index);
    } else if (radioList.state === 'present') {
      for (const decision of decideRadios(radioList.radios, policy, blockedRadios)) {
        const radio = radioList.radios.find((r) => r.index === decision.index) as RadioFacts;
        const subject = { index: radio.index, type: radio.type, kind: decision.kind, name: radio.name, soft: radio.soft, hard: radio.hard, basis: decision.basis };
        let outcome: ChannelOutcome = 'unchanged';
        let detail: string | null = null;
        if (decision.action === 'soft-block') {
          if (deps.mode === 'enforce') {
            const result = await deps.radios.softBlock(radio.index);
            outcome = result.ok ? 'applied' : 'failed';
            detail = result.ok ? null : result.detail;
          } else {
            outcome = 'would-apply';
          }
        }
        if (decision.drift) {
          await audit('channel.radio-unblock-detected', 'alert', { ...base, ...subject, corrected: outcome === 'applied' });
          // The alert stands for the monitor-mode finding too: no second warning on the next pass.
          seen.add(`open:radio:${radio.index}`);
        } else if (outcome === 'applied') {
          await audit('channel.radio-blocked', 'notice', { ...base, ...subject });
        } else if (outcome === 'would-apply' && decision.blocked !== true) {
          await once(`open:radio:${radio.index}`, () => audit('channel.radio-not-blocked', 'warning', { ...base, ...subject }));
        }
        if (outcome === 'failed') {
          await once(`apply:radio:${radio.index}:${detail}`, () => audit('channel.failed', 'alert', { ...base, ...subject, step: 'soft-block', detail }));
        }
        if (decision.target === 'block' && (outcome === 'applied' || decision.blocked === true)) nextBlocked.add(radio.index);
        radioEntries.push({ radio, decision, outcome, detail });
      }
    }
    blockedRadios = nextBlocked;

    // Printers.
    const printerList = await deps.printers.list();
    const printerEntries: PrinterEntry[] = [];
    const nextStopped = new Set<string>();
    if (printerList.state === 'unknown') {
      await once(`read:printers:${printerList.reason}:${printerList.detail}`, () =>
        audit('channel.failed', 'warning', { ...base, subject: 'printers', step: 'read', reason: printerList.reason, detail: printerList.detail }),
      );
      for (const key of stoppedQueues) nextStopped.add(key);
    } else {
      for (const decision of decidePrinters(printerList.printers, policy, stoppedQueues)) {
        const printer = printerList.printers.find((p) => p.name === decision.name) as PrinterFacts;
        const key = queueKey(printer.name);
        const subject = { queue: printer.name, state: printer.state, accepting: printer.accepting, basis: decision.basis };
        let outcome: ChannelOutcome = 'unchanged';
        let detail: string | null = null;
        if (decision.action === 'disable') {
          if (deps.mode === 'enforce') {
            const result = await deps.printers.disable(printer.name, reason);
            outcome = result.ok ? 'applied' : 'failed';
            detail = result.ok ? null : result.detail;
          } else {
            outcome = 'would-apply';
          }
        }
        if (decision.drift) {
          await audit('channel.printer-enable-detected', 'alert', { ...base, ...subject, corrected: outcome === 'applied' });
          seen.add(`open:printer:${key}`);
        } else if (outcome === 'applied') {
          await audit('channel.printer-disabled', 'notice', { ...base, ...subject });
        } else if (outcome === 'would-apply') {
          await once(`open:printer:${key}`, () => audit('channel.printer-not-disabled', 'warning', { ...base, ...subject }));
        }
        if (outcome === 'failed') {
          await once(`apply:printer:${key}:${detail}`, () => audit('channel.failed', 'alert', { ...base, ...subject, step: 'disable', detail }));
        }
        if (decision.target === 'block' && (outcome === 'applied' || decision.stopped === true)) nextStopped.add(key);
        printerEntries.push({ printer, decision, outcome, detail });
      }
    }
    stoppedQueues = nextStopped;
    reported = seen;

    last = {
      atMs: deps.clock.nowMs(),
      trigger,
      mode: deps.mode,
      fallback,
      radios: {
        state: radioList.state,
        detail: radioList.state === 'unreadable' ? radioList.detail : null,
        entries: radioEntries,
      },
      printers:
        printerList.state === 'known'
          ? { state: 'known', reason: null, detail: null, entries: printerEntries }
          : { state: 'unknown', reason: printerList.reason, detail: printerList.detail, entries: [] },
    };
    return last;
  };

  return {
    run(trigger) {
      // One pass at a time, in call order: two passes interleaving their writes and drift sets
      // would report drift that is not there.
      const next = queue.then(() => pass(trigger));
      queue = next.catch(() => undefined);
      return next;
    },
    snapshot: () => last,
  };
}
