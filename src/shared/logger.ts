/**
 * Port: structured logging. Messages are English and for operators' tools; fields carry the
 * facts. Never log secrets (TOTP seeds, keys, codes).
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** Flushes buffered lines; call before exit. */
  flush(): void;
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: () => undefined,
};
