import pino from 'pino';
import type { Logger } from '../../../shared/logger';

/**
 * Structured JSON logs (one object per line) with pino. `destination` is a file path, created
 * with its folder, or 'stderr' for the service manager's journal. Writes are synchronous so the
 * last lines before a crash or exit are not lost.
 */
export function createPinoLogger(options: { level: string; destination: string; name?: string }): Logger {
  const stream =
    options.destination === 'stderr'
      ? pino.destination({ fd: 2, sync: true })
      : pino.destination({ dest: options.destination, mkdir: true, sync: true });
  const base = pino(
    {
      level: options.level,
      name: options.name ?? 'mynumber-guard-agent',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['secret', '*.secret', 'seed', '*.seed', 'privateKey', '*.privateKey', 'code', '*.code'], censor: '[redacted]' },
    },
    stream,
  );
  return {
    debug: (fields, message) => base.debug(fields, message),
    info: (fields, message) => base.info(fields, message),
    warn: (fields, message) => base.warn(fields, message),
    error: (fields, message) => base.error(fields, message),
    flush: () => stream.flushSync(),
  };
}
