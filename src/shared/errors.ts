import type { Localized } from './i18n';

/**
 * Stable error codes for exceptions: bugs and broken infrastructure (STYLE.md §5). Expected
 * outcomes use `Result` instead. Codes are part of the protocol: never rename one, add new ones.
 */
export const ErrorCode = {
  InvalidArgument: 'MNG_E_INVALID_ARGUMENT',
  FileUnreadable: 'MNG_E_FILE_UNREADABLE',
  FileTooLarge: 'MNG_E_FILE_TOO_LARGE',
  NotRegularFile: 'MNG_E_NOT_REGULAR_FILE',
  PolicyInvalid: 'MNG_E_POLICY_INVALID',
  BundleInvalid: 'MNG_E_BUNDLE_INVALID',
  SignatureInvalid: 'MNG_E_SIGNATURE_INVALID',
  KeyInvalid: 'MNG_E_KEY_INVALID',
  AuditWriteFailed: 'AGENT_E_AUDIT_WRITE_FAILED',
  AuditCorrupt: 'AGENT_E_AUDIT_CORRUPT',
  ConfigInvalid: 'AGENT_E_CONFIG_INVALID',
  UsbApplyFailed: 'AGENT_E_USB_APPLY_FAILED',
  UsbHotplugFailed: 'AGENT_E_USB_HOTPLUG_FAILED',
  MountWatchFailed: 'AGENT_E_MOUNT_WATCH_FAILED',
  MountTableUnreadable: 'AGENT_E_MOUNT_TABLE_UNREADABLE',
  MfaStoreCorrupt: 'AGENT_E_MFA_STORE_CORRUPT',
  IpcListenFailed: 'AGENT_E_IPC_LISTEN_FAILED',
  IpcTokenWriteFailed: 'AGENT_E_IPC_TOKEN_WRITE_FAILED',
  Internal: 'MNG_E_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An exception with a stable code and a message for people in both languages. `hint` says what to
 * do about it. Thrown only inside a process; across a process boundary the code is sent instead.
 */
export class MngError extends Error {
  readonly code: ErrorCode;
  readonly text: Localized;
  readonly hint: Localized | undefined;

  constructor(code: ErrorCode, text: Localized, options: { hint?: Localized; cause?: unknown } = {}) {
    super(`${code}: ${text.en}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MngError';
    this.code = code;
    this.text = text;
    this.hint = options.hint;
  }
}

/** True when `value` is an `MngError`. */
export function isMngError(value: unknown): value is MngError {
  return value instanceof MngError;
}
