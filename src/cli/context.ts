import type { Command } from 'commander';
import type { Clock } from '../shared/clock';
import { decideLang, pick, type Lang, type Localized } from '../shared/i18n';
import { isMngError } from '../shared/errors';

/**
 * Exit codes of every `mng` command (docs/cli.md):
 * 0 success; 1 the thing checked failed the check (invalid, tampered, violating);
 * 2 the command could not do its job (bad usage, unreadable file, bad argument);
 * 3 internal error (a bug: please report it with --debug output).
 */
export const ExitCode = { Ok: 0, CheckFailed: 1, Error: 2, Internal: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What a command may touch of its process: injected so commands run in-process in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly clock: Clock;
}

/** Per-invocation context handed to every command action. */
export interface CliContext {
  readonly io: CliIo;
  readonly lang: Lang;
  readonly json: boolean;
  readonly debug: boolean;
  /** Picks the current language of a message. */
  t(message: Localized): string;
  /** Prints a value: JSON on stdout with --json, else the human text (already localized). */
  print(value: unknown, human: string): void;
}

interface GlobalOptions {
  json?: boolean;
  lang?: string;
  debug?: boolean;
}

/** Builds the context from the global options of the command being run. */
export function createContext(command: Command, io: CliIo): CliContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const lang = decideLang(options.lang, io.env.LC_ALL || io.env.LC_MESSAGES || io.env.LANG);
  const json = options.json === true;
  return {
    io,
    lang,
    json,
    debug: options.debug === true,
    t: (message) => pick(message, lang),
    print: (value, human) => {
      if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
      else if (human !== '') io.stdout(human.endsWith('\n') ? human : `${human}\n`);
    },
  };
}

/**
 * Wraps a command action: builds the context, runs it, turns every thrown error into one clear
 * line on stderr (a stack trace only with --debug) and records the exit code.
 */
export function defineAction<A extends unknown[]>(
  io: CliIo,
  setExit: (code: ExitCode) => void,
  action: (ctx: CliContext, ...args: A) => Promise<ExitCode> | ExitCode,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const ctx = createContext(command, io);
    try {
      setExit(await action(ctx, ...(args.slice(0, -1) as A)));
    } catch (error) {
      setExit(reportError(ctx, error));
    }
  };
}

/** Prints one line for an error and returns the exit code it maps to. */
export function reportError(ctx: CliContext, error: unknown): ExitCode {
  if (isMngError(error)) {
    const hint = error.hint === undefined ? '' : ` (${ctx.t(error.hint)})`;
    ctx.io.stderr(`mng: ${ctx.t(error.text)}${hint} [${error.code}]\n`);
    if (ctx.json) {
      ctx.io.stdout(
        `${JSON.stringify({ ok: false, error: { code: error.code, message: error.text, hint: error.hint ?? null } }, null, 2)}\n`,
      );
    }
    if (ctx.debug && error.stack) ctx.io.stderr(`${error.stack}\n`);
    return error.code === 'MNG_E_INTERNAL' ? ExitCode.Internal : ExitCode.Error;
  }
  const text = error instanceof Error ? error.message : String(error);
  ctx.io.stderr(
    ctx.lang === 'en'
      ? `mng: internal error: ${text} (run again with --debug and report it) [MNG_E_INTERNAL]\n`
      : `mng: 内部エラー: ${text}（--debug を付けて再実行し、報告してください） [MNG_E_INTERNAL]\n`,
  );
  if (ctx.debug && error instanceof Error && error.stack) ctx.io.stderr(`${error.stack}\n`);
  return ExitCode.Internal;
}
