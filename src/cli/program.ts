import { Command, CommanderError } from 'commander';
import { productVersion } from '../shared/version';
import { ExitCode, type CliIo } from './context';
import { registerPolicyCommands } from './commands/policy';
import { registerAuditCommands } from './commands/audit';
import { registerUsbCommands } from './commands/usb';
import { registerUsbDeviceCommands } from './commands/usb-devices';
import { registerIsolationCommands } from './commands/isolation';
import { registerExportsCommands } from './commands/exports';
import { registerMediaCommands } from './commands/media';
import { registerMfaCommands } from './commands/mfa';
import { registerMfaPamCommands } from './commands/mfa-pam';
import { registerMfaPskcCommands } from './commands/mfa-pskc';

/** What every command group receives to register itself. */
export interface CommandDeps {
  readonly io: CliIo;
  readonly setExit: (code: ExitCode) => void;
}

/** Builds the `mng` command tree. */
export function createProgram(deps: CommandDeps): Command {
  const program = new Command('mng')
    .description('mynumber-guard 管理コマンド / administration command')
    .option('--json', 'machine-readable JSON output on stdout')
    .option('--lang <lang>', 'message language: ja (default) or en')
    .option('--debug', 'print stack traces of errors')
    .version(productVersion, '--version', 'print the version')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => deps.io.stdout(text),
      writeErr: (text) => deps.io.stderr(text),
    })
    .exitOverride();
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 check failed, 2 error (usage, input), 3 internal error. See docs/cli.md.',
  );
  registerPolicyCommands(program, deps);
  registerAuditCommands(program, deps);
  registerUsbCommands(program, deps);
  // After any other `usb` registration: it adds its subcommands to an existing `mng usb`.
  registerUsbDeviceCommands(program, deps);
  registerIsolationCommands(program, deps);
  registerExportsCommands(program, deps);
  registerMediaCommands(program, deps);
  registerMfaCommands(program, deps);
  registerMfaPskcCommands(program, deps);
  registerMfaPamCommands(program, deps);
  for (const command of program.commands) applyCommonSettings(command, deps);
  return program;
}

function applyCommonSettings(command: Command, deps: CommandDeps): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => deps.io.stdout(text),
    writeErr: (text) => deps.io.stderr(text),
  });
  for (const sub of command.commands) applyCommonSettings(sub, deps);
}

/** Runs `mng` with the given arguments (without the node and script paths); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  const program = createProgram({ io, setExit: (code) => (exitCode = code) });
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.Error;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    throw error;
  }
  return exitCode;
}
