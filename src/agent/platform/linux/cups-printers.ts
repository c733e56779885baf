// Print queues through the CUPS command-line clients (issue #4 item 3): `lpstat -p` (state of every
// printer and class) and `lpstat -a` (accepting jobs or not) to read, `cupsdisable -r` +
// `cupsreject -r` to stop a queue. Every command runs with LC_ALL=C so the text the pure parsers
// below read is CUPS's untranslated English, and with `-h <server>` / CUPS_SERVER when a server is
// given, so tests talk to their own cupsd and never to the machine's.
import { execFile } from 'node:child_process';
import type { ChannelStepResult, PrinterFacts, PrinterList, PrinterListFailure, PrinterState } from '../../channels/model';
import type { PrinterQueues } from '../../channels/ports';

/** Options of {@link CupsPrinterQueues}. */
export interface CupsPrinterQueuesOptions {
  /**
   * CUPS server: `host[:port]` or the path of a local socket (`/run/cups/cups.sock`). Passed as
   * `-h` and CUPS_SERVER. Default: the client's own choice (CUPS_SERVER, client.conf, the local
   * scheduler).
   */
  readonly server?: string;
  /** Executables; defaults are looked up on PATH. */
  readonly commands?: { readonly lpstat?: string; readonly cupsdisable?: string; readonly cupsreject?: string };
  /** How long one command may take (ms). Default 10,000. */
  readonly timeoutMs?: number;
}

/** One queue as `lpstat -p` shows it. */
export interface LpstatPrinterLine {
  readonly name: string;
  readonly state: PrinterState;
  /** The tab-indented lines after it (state message), joined by a newline; null when none. */
  readonly reason: string | null;
}

/** A parse of CUPS output: the values, or why the text was not what CUPS writes. */
export type LpstatParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly detail: string };

// lpstat.c (CUPS 2.4), C locale: "printer %s is idle.  enabled since %s", "printer %s is holding
// new jobs.  enabled since %s", "printer %s now printing %s-%d.  enabled since %s",
// "printer %s disabled since %s -". Queue names never contain spaces (lpadmin(8)).
const printerLine = /^printer (\S+) (.*)$/;
// "%s accepting requests since %s", "%s not accepting requests since %s -".
const acceptingLine = /^(\S+) (not )?accepting requests since/;

function stateOf(rest: string): PrinterState {
  if (rest.startsWith('is idle.') || rest.startsWith('is holding new jobs.')) return 'idle';
  if (rest.startsWith('now printing ')) return 'printing';
  if (rest.startsWith('disabled since ')) return 'disabled';
  return 'unknown';
}

/**
 * Parses `lpstat -p` (LC_ALL=C). Pure. Tab-indented lines belong to the queue above them (its
 * state message). A line that is neither a queue line nor indented means this is not the output
 * we know, and the whole parse fails: a queue we skipped would never be stopped.
 */
export function parseLpstatPrinters(text: string): LpstatParse<LpstatPrinterLine[]> {
  const queues: { name: string; state: PrinterState; reason: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('\t')) {
      const current = queues[queues.length - 1];
      if (current === undefined) return { ok: false, detail: `lpstat -p: indented line before any printer: ${JSON.stringify(line)}` };
      current.reason.push(line.slice(1));
      continue;
    }
    const match = printerLine.exec(line);
    if (match === null) return { ok: false, detail: `lpstat -p: unexpected line: ${JSON.stringify(line)}` };
    queues.push({ name: match[1] as string, state: stateOf(match[2] as string), reason: [] });
  }
  return { ok: true, value: queues.map((q) => ({ name: q.name, state: q.state, reason: q.reason.length === 0 ? null : q.reason.join('\n') })) };
}

/** Parses `lpstat -a` (LC_ALL=C) into queue name → accepting. Pure; fails like {@link parseLpstatPrinters}. */
export function parseLpstatAccepting(text: string): LpstatParse<Map<string, boolean>> {
  const accepting = new Map<string, boolean>();
  let seenQueue = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('\t')) {
      if (!seenQueue) return { ok: false, detail: `lpstat -a: indented line before any queue: ${JSON.stringify(line)}` };
      continue;
    }
    const match = acceptingLine.exec(line);
    if (match === null) return { ok: false, detail: `lpstat -a: unexpected line: ${JSON.stringify(line)}` };
    accepting.set(match[1] as string, match[2] === undefined);
    seenQueue = true;
  }
  return { ok: true, value: accepting };
}

/**
 * Joins the two listings into queue facts, in `lpstat -p` order, then queues only `lpstat -a`
 * knows (state unknown). Pure.
 */
export function combineLpstat(printers: readonly LpstatPrinterLine[], accepting: ReadonlyMap<string, boolean>): PrinterFacts[] {
  const facts: PrinterFacts[] = printers.map((p) => ({ name: p.name, state: p.state, accepting: accepting.get(p.name) ?? null, reason: p.reason }));
  const named = new Set(printers.map((p) => p.name));
  for (const [name, value] of accepting) if (!named.has(name)) facts.push({ name, state: 'unknown', accepting: value, reason: null });
  return facts;
}

/** What a failed CUPS client run means. `empty`: the server has no queues at all. Pure. */
export function classifyCupsFailure(stderr: string, spawnErrorCode: string | undefined): PrinterListFailure | 'empty' {
  if (spawnErrorCode === 'ENOENT') return 'tool-missing';
  if (/No destinations added/i.test(stderr)) return 'empty';
  if (/Scheduler is not running|Unable to connect|Connection refused|No such file or directory|Bad file descriptor/i.test(stderr)) return 'server-unreachable';
  return 'failed';
}

interface RunResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** `ENOENT` when the executable does not exist, the exit status otherwise. */
  readonly code: string | undefined;
  readonly detail: string;
}

/**
 * PrinterQueues with the CUPS clients. A missing client is `tool-missing` and an unreachable
 * scheduler `server-unreachable`, never an exception: the control then reports printers as
 * unknown (degraded).
 */
export class CupsPrinterQueues implements PrinterQueues {
  private readonly server: string | undefined;
  private readonly lpstat: string;
  private readonly cupsdisable: string;
  private readonly cupsreject: string;
  private readonly timeoutMs: number;

  constructor(options: CupsPrinterQueuesOptions = {}) {
    this.server = options.server;
    this.lpstat = options.commands?.lpstat ?? 'lpstat';
    this.cupsdisable = options.commands?.cupsdisable ?? 'cupsdisable';
    this.cupsreject = options.commands?.cupsreject ?? 'cupsreject';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private run(command: string, args: readonly string[]): Promise<RunResult> {
    const serverArgs = this.server === undefined ? [] : ['-h', this.server];
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
    if (this.server !== undefined) env.CUPS_SERVER = this.server;
    return new Promise((resolve) => {
      execFile(command, [...serverArgs, ...args], { env, timeout: this.timeoutMs, encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error === null) {
          resolve({ ok: true, stdout, stderr, code: undefined, detail: '' });
          return;
        }
        const code = (error as { code?: unknown }).code;
        const text = stderr.trim() || error.message;
        resolve({ ok: false, stdout, stderr, code: code === undefined ? undefined : String(code), detail: `${command} ${args.join(' ')}: ${text}` });
      });
    });
  }

  async list(): Promise<PrinterList> {
    const [printers, accepting] = await Promise.all([this.run(this.lpstat, ['-p']), this.run(this.lpstat, ['-a'])]);
    for (const result of [printers, accepting]) {
      if (result.ok) continue;
      const failure = classifyCupsFailure(result.stderr, result.code);
      if (failure === 'empty') continue;
      return { state: 'unknown', reason: failure, detail: result.detail };
    }
    const parsedPrinters = printers.ok ? parseLpstatPrinters(printers.stdout) : ({ ok: true, value: [] } as const);
    if (!parsedPrinters.ok) return { state: 'unknown', reason: 'failed', detail: parsedPrinters.detail };
    const parsedAccepting = accepting.ok ? parseLpstatAccepting(accepting.stdout) : ({ ok: true, value: new Map<string, boolean>() } as const);
    if (!parsedAccepting.ok) return { state: 'unknown', reason: 'failed', detail: parsedAccepting.detail };
    return { state: 'known', printers: combineLpstat(parsedPrinters.value, parsedAccepting.value) };
  }

  async disable(name: string, reason: string): Promise<ChannelStepResult> {
    // cupsdisable/cupsreject have no `--`: a name starting with `-` would be read as an option.
    // CUPS does not create such names, so one here is not a queue we can address safely.
    if (name.startsWith('-') || name === '') return { ok: false, detail: `queue name ${JSON.stringify(name)} cannot be passed to cupsdisable` };
    // Both steps always run: a queue that is stopped but still accepting keeps collecting jobs.
    const disabled = await this.run(this.cupsdisable, ['-r', reason, name]);
    const rejected = await this.run(this.cupsreject, ['-r', reason, name]);
    const failures = [disabled, rejected].filter((r) => !r.ok).map((r) => r.detail);
    return failures.length === 0 ? { ok: true } : { ok: false, detail: failures.join('; ') };
  }
}
