/**
 * What the policy module needs from the operating system. Adapters live under
 * src/agent/platform/node; the module itself never touches files.
 */

/**
 * Port: durable storage of the policy manager's state (accepted versions and the last good
 * bundle) as one opaque document. The manager encodes and decodes it (policy-state.ts), so the
 * adapter holds no policy and a fake is a variable.
 *
 * Contract: `write` replaces the whole document atomically and durably (after it resolves, a
 * crash leaves either the old or the new document, never a mix); `read` returns the last
 * document written, or `undefined` when none was ever written. Both reject on I/O failure.
 */
export interface PolicyStateStore {
  read(): Promise<Uint8Array | undefined>;
  write(document: Uint8Array): Promise<void>;
  /** Where the state lives, for messages (a path, or `memory`). */
  readonly location: string;
}

/** The text of one key file, as read by a platform adapter. */
export interface KeyFileText {
  /** Path of the file, used in messages. */
  readonly path: string;
  /** Base name of the file, e.g. `city-it.pub.pem`. */
  readonly name: string;
  readonly text: string;
}
