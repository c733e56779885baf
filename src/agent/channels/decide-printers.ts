/**
 * Pure decision for print queues (issue #4 item 3): only queues named in
 * `spec.channels.printers.allow` may be used; every other queue is stopped and refuses jobs.
 * Fail closed: without a policy every queue is stopped.
 */
import type { ChannelsPolicy } from '../../shared/policy/schema';
import type { PrinterFacts } from './model';

/** `allow`: left as it is (the agent never enables a queue). `block`: stopped and rejecting. */
export type PrinterTarget = 'allow' | 'block';

/** Why a queue got its target. */
export type PrinterBasis = 'allowlist' | 'not-in-allowlist' | 'no-policy';

/** The decision for one queue. */
export interface PrinterDecision {
  readonly name: string;
  readonly target: PrinterTarget;
  readonly basis: PrinterBasis;
  /**
   * Whether the queue is shut: disabled AND not accepting jobs. false when either is open, null
   * when the OS did not tell enough to say.
   */
  readonly stopped: boolean | null;
  /** What to do: `disable` (stop + reject) whenever the target is block and the queue is not shut. */
  readonly action: 'none' | 'disable';
  /** The queue was seen shut under a block target before, and is open now (someone re-enabled it). */
  readonly drift: boolean;
}

/**
 * The key a queue name is compared by. CUPS looks queues up without regard to ASCII case
 * (`Office` and `office` are the same queue), so the allowlist matches the same way; otherwise an
 * allowlisted `office` would leave the queue `Office` stopped.
 */
export function queueKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** True when `name` is in `allow` (ASCII case-insensitive, as CUPS compares queue names). */
export function isQueueAllowed(name: string, allow: readonly string[]): boolean {
  const key = queueKey(name);
  return allow.some((entry) => queueKey(entry) === key);
}

/** Shut = disabled and refusing jobs; see {@link PrinterDecision.stopped}. */
export function isQueueStopped(printer: Pick<PrinterFacts, 'state' | 'accepting'>): boolean | null {
  if (printer.state === 'disabled' && printer.accepting === false) return true;
  if (printer.state === 'idle' || printer.state === 'printing' || printer.accepting === true) return false;
  return null;
}

/** Decides one queue. `policy` undefined = no policy in force (every queue is stopped). */
export function decidePrinter(printer: PrinterFacts, policy: Pick<ChannelsPolicy, 'printers'> | undefined, wasStopped: boolean): PrinterDecision {
  let target: PrinterTarget;
  let basis: PrinterBasis;
  if (policy === undefined) {
    target = 'block';
    basis = 'no-policy';
  } else if (isQueueAllowed(printer.name, policy.printers.allow)) {
    target = 'allow';
    basis = 'allowlist';
  } else {
    target = 'block';
    basis = 'not-in-allowlist';
  }
  const stopped = isQueueStopped(printer);
  return {
    name: printer.name,
    target,
    basis,
    stopped,
    action: target === 'block' && stopped !== true ? 'disable' : 'none',
    drift: target === 'block' && wasStopped && stopped !== true,
  };
}

/**
 * Decides every queue. `stoppedBefore` holds the {@link queueKey}s of queues seen shut under a
 * block target in earlier passes (for drift).
 */
export function decidePrinters(printers: readonly PrinterFacts[], policy: Pick<ChannelsPolicy, 'printers'> | undefined, stoppedBefore: ReadonlySet<string>): PrinterDecision[] {
  return printers.map((printer) => decidePrinter(printer, policy, stoppedBefore.has(queueKey(printer.name))));
}
