/**
 * What the channels control needs from the operating system. Adapters live under
 * src/agent/platform/linux (SysfsRfkillRadios, CupsPrinterQueues); the module itself never touches
 * files or processes. Adapters hold no policy: they read facts and carry out one change each.
 */
import type { ChannelStepResult, PrinterList, RadioList } from './model';

/** Port: the radio switches (Linux rfkill). Never rejects for an expected failure. */
export interface RadioSwitches {
  /** Lists every radio switch with its soft and hard block state. */
  list(): Promise<RadioList>;
  /** Turns the soft block on for the radio with this index (Linux: writes `1` to `soft`). */
  softBlock(index: number): Promise<ChannelStepResult>;
}

/** Port: the print queues (CUPS). Never rejects for an expected failure. */
export interface PrinterQueues {
  /** Lists every queue with its state and whether it accepts jobs. */
  list(): Promise<PrinterList>;
  /**
   * Stops the queue and makes it refuse new jobs (CUPS: `cupsdisable` + `cupsreject`), recording
   * `reason` as the queue's state message so users and administrators see why. Jobs already queued
   * are held, not cancelled (they stay as evidence for the administrator).
   */
  disable(name: string, reason: string): Promise<ChannelStepResult>;
}
