// `mng` with the isolation commands registered, for tests and benchmarks while src/cli/program.ts
// does not register them yet (the lead wires it). Bundled by buildIsolationCli() below.
import process from 'node:process';
import { CommanderError, type Command } from 'commander';
import { systemClock } from '../../src/shared/clock';
import { registerIsolationCommands } from '../../src/cli/commands/isolation';
import type { ExitCode } from '../../src/cli/context';
import { createProgram } from '../../src/cli/program';

const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  clock: systemClock,
};
let exitCode: ExitCode = 0;
const deps = { io, setExit: (code: ExitCode) => (exitCode = code) };
const program = createProgram(deps);
if (!program.commands.some((c) => c.name() === 'isolation')) registerIsolationCommands(program, deps);
const settle = (command: Command): void => {
  command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const sub of command.commands) settle(sub);
};
settle(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  exitCode = error.exitCode === 0 ? 0 : 2;
}
process.exitCode = exitCode;
