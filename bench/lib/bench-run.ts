/**
 * What every multi-step bench shares: a whole-number argument reader, `say`, the load average
 * around each step, a Ctrl-C that stops after the current step (twice: at once), root and tool
 * checks, and `attempt`, which runs one step, keeps its error and carries on so clean-up and the
 * final JSON line always happen.
 */
import { loadavg } from 'node:os';
import { hasTool } from '../../test/helpers/system-tools';
import { round } from './stats';

export interface BenchRun {
  say(line: string): void;
  /** The argument at `index` as a whole number in [min, max], or `fallback`; anything else exits 2 with the usage. */
  count(index: number, name: string, fallback: number, min: number, max: number): number;
  /** Exits 2 unless root. */
  requireRoot(why: string): void;
  /** Exits 2 naming the missing tools. */
  requireTools(tools: readonly string[], hint?: string): void;
  /** Runs a step; an error is recorded, the run goes on. Skipped after Ctrl-C. */
  attempt<T>(label: string, run: () => Promise<T>): Promise<T | undefined>;
  readonly interrupted: () => boolean;
  readonly errors: string[];
  /** Load averages: `before` and after each step. */
  readonly loadAverage: Record<string, number[]>;
  /** The current load average, rounded. */
  load(): number[];
}

/** Starts a bench run called `name`; `usage` is printed with argument errors. */
export function startBenchRun(name: string, usage: string): BenchRun {
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const load = (): number[] => loadavg().map((value) => round(value, 2));
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('interrupted: stopping after the current step and cleaning up (again to leave at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const errors: string[] = [];
  const loadAverage: Record<string, number[]> = {};
  return {
    say,
    load,
    interrupted: () => interrupted,
    errors,
    loadAverage,
    count(index, argName, fallback, min, max) {
      const text = process.argv[index];
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        process.stderr.write(`bench ${name}: ${argName} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})\nusage: ${usage}\n`);
        process.exit(2);
      }
      return value;
    },
    requireRoot(why) {
      if (process.getuid?.() !== 0) {
        process.stderr.write(`bench ${name}: needs root (${why})\n`);
        process.exit(2);
      }
    },
    requireTools(tools, hint) {
      const missing = tools.filter((tool) => !hasTool(tool));
      if (missing.length > 0) {
        process.stderr.write(`bench ${name}: missing tools: ${missing.join(', ')}${hint === undefined ? '' : ` (${hint})`}\n`);
        process.exit(2);
      }
    },
    async attempt(label, run) {
      if (interrupted) return undefined;
      try {
        return await run();
      } catch (error) {
        errors.push(`${label}: ${String(error)}`);
        say(`${label} failed: ${String(error)}`);
        return undefined;
      } finally {
        loadAverage[label] = load();
        say(`  (load average after ${label}: ${loadAverage[label]?.join(' ')})`);
      }
    },
  };
}
