/**
 * The channels module's vocabulary (issue #4 item 3 "Other channels"): radios the kernel can switch
 * off (rfkill) and printer queues (CUPS), as read from the OS, and the outcome of a change. Network
 * shares are the mounts module's business. Municipal policy: the My Number zone (マイナンバー利用事務系)
 * may not reach other zones, and information may leave it only by approved routes.
 */

/**
 * One radio switch as the kernel reports it (Linux: `/sys/class/rfkill/rfkill<index>`,
 * Documentation/ABI/stable/sysfs-class-rfkill).
 */
export interface RadioFacts {
  /**
   * The kernel's rfkill index. Indices grow monotonically and are never reused during one boot, so
   * the index identifies one radio for drift detection; a re-plugged dongle gets a new one.
   */
  readonly index: number;
  /**
   * rfkill type as the kernel spells it: `wlan`, `bluetooth`, `ultrawideband`, `wimax`, `wwan`,
   * `gps`, `fm`, `nfc` (any other text is kept as read and decided as `other`).
   */
  readonly type: string;
  /** The driver's name for the switch (`phy0`, `hci0`, `tpacpi_bluetooth_sw`). */
  readonly name: string;
  /** Soft block (software switch, writable): true = blocked. null when it could not be read. */
  readonly soft: boolean | null;
  /** Hard block (physical switch or firmware, read-only): true = blocked. null when unreadable. */
  readonly hard: boolean | null;
}

/**
 * What the OS said about its radios.
 * - `present`: the switch class exists; `radios` may be empty.
 * - `absent`: the OS has no radio switch class (Linux: no `/sys/class/rfkill`, i.e. no wireless
 *   driver registered one): there is no radio to control.
 * - `unreadable`: the class exists but could not be listed; nothing is known (fail closed).
 */
export type RadioList =
  | { readonly state: 'present'; readonly radios: readonly RadioFacts[] }
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly detail: string };

/** A queue's scheduler state (IPP printer-state): `disabled` = stopped, jobs are held. */
export type PrinterState = 'idle' | 'printing' | 'disabled' | 'unknown';

/** One print queue (CUPS printer or class). */
export interface PrinterFacts {
  /** Queue name. CUPS compares queue names without regard to ASCII case. */
  readonly name: string;
  readonly state: PrinterState;
  /** Whether the queue accepts new jobs; null when the OS did not say. */
  readonly accepting: boolean | null;
  /** The state message (e.g. the reason given when it was disabled), or null. */
  readonly reason: string | null;
}

/**
 * Why the queues are not known.
 * - `tool-missing`: the print system's tools are not installed (no CUPS client).
 * - `server-unreachable`: the print server (cupsd) does not answer.
 * - `failed`: anything else (unexpected output, timeout).
 */
export type PrinterListFailure = 'tool-missing' | 'server-unreachable' | 'failed';

/** What the OS said about its print queues. */
export type PrinterList =
  | { readonly state: 'known'; readonly printers: readonly PrinterFacts[] }
  | { readonly state: 'unknown'; readonly reason: PrinterListFailure; readonly detail: string };

/** How one change to the OS ended. Expected failures are values, not exceptions. */
export type ChannelStepResult = { readonly ok: true } | { readonly ok: false; readonly detail: string };
