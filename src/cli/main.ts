// Entry point of the `mng` command (bundled to dist/mng.js, started by bin/mng.js).
import process from 'node:process';
import { systemClock } from '../shared/clock';
import { runCli } from './program';

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  clock: systemClock,
});
process.exitCode = exitCode;
