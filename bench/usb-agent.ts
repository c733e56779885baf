// Hotplug → verdict written, for `npm run bench -- usb`: the real agent bundle (dist/agent.js) in
// enforce mode against a umockdev testbed, as test/e2e/usb-enforcement.test.ts runs it. The generic
// stick (usb-stick-generic.umockdev, port 1-9) is plugged and unplugged over and over; the policy
// (policies/mynumber-zone.yaml, freshly signed) blocks it, so every plug ends in `authorized=0`.
//
// Two figures per plug, measured independently:
// - plug → written (outside): from the driver's plug moment (time.time_ns just before umockdev
//   creates the device) to the moment a poller thread in this process first reads `0` from the
//   device's `authorized` file. Includes umockdev creating the files and sending the uevent,
//   udevadm, the agent's event loop, its sysfs reads, the decision and the write.
// - event → written (inside): the agent's own `latencyMs` in the audit record: from the moment its
//   hotplug source received the event to the end of the write (Date.now, so 1 ms steps).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPolicyBundle, generateSigningKeyPair, parsePrivateKey } from '../src/agent/policy';
import { startUmockdevTestbed, type UmockdevTestbed } from '../test/helpers/umockdev';
import { percentile, round } from './stats';
import { captureOutput, createFilePoller, elapsedMs, monotonicNs, stopProcessTree, waitUntil } from './usb-watch';

const stickRecording = 'usb-stick-generic.umockdev';
const stickPort = '1-9';
const stickSyspath = '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-9';
const rootHubSyspath = '/sys/devices/pci0000:00/0000:00:14.0/usb1';
/** Sleep between two reads of the poller thread. */
export const pollIntervalMs = 0.2;
const stepTimeoutMs = 5_000;

/** One audit record, as far as the benchmark reads it. */
interface AuditEntry {
  readonly seq: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Reads the records appended to an audit log since the last call (the log only grows). */
function createAuditTail(file: string): { readonly records: AuditEntry[]; poll(): void } {
  const records: AuditEntry[] = [];
  let offset = 0;
  let partial = '';
  return {
    records,
    poll() {
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // not created yet
        throw error;
      }
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return;
        const bytes = Buffer.alloc(size - offset);
        const read = readSync(fd, bytes, 0, bytes.length, offset);
        offset += read;
        partial += bytes.subarray(0, read).toString('utf8');
      } finally {
        closeSync(fd);
      }
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') records.push(JSON.parse(line) as AuditEntry);
    },
  };
}

/**
 * The offset between the driver's clock (Python time.time_ns, CLOCK_REALTIME) and this process's
 * monotonic clock, from the tightest of `rounds` request/answer round trips: the driver's reading
 * lies inside the round trip, so the error is at most half of it.
 */
async function calibrateDriverClock(bed: UmockdevTestbed, rounds: number): Promise<{ offsetNs: bigint; uncertaintyMs: number }> {
  let best: { offsetNs: bigint; spanNs: bigint } | undefined;
  for (let i = 0; i < rounds; i += 1) {
    const before = monotonicNs();
    // A `change` to the root hub, before the agent runs: nobody listens yet.
    const timing = await bed.uevent(rootHubSyspath, 'change');
    const after = monotonicNs();
    const driverNs = BigInt(Math.round(timing.atMs * 1e6));
    const span = after - before;
    if (best === undefined || span < best.spanNs) best = { offsetNs: driverNs - (before + after) / 2n, spanNs: span };
  }
  if (best === undefined) throw new Error('bench: clock calibration needs at least one round');
  return { offsetNs: best.offsetNs, uncertaintyMs: Number(best.spanNs) / 2e6 };
}

/** Figures of the agent hotplug part (ms unless named otherwise). */
export interface AgentHotplugFigures {
  /** Plugs measured (warm-up plugs excluded). */
  readonly plugs: number;
  readonly warmupPlugs: number;
  /** Plug (driver) → `authorized` reads 0 (poller thread). */
  readonly plugToWrittenP50Ms: number;
  readonly plugToWrittenP99Ms: number;
  readonly plugToWrittenMaxMs: number;
  /** The agent's own latencyMs: its hotplug source got the event → write done (1 ms steps). */
  readonly agentEventToWrittenP50Ms: number;
  readonly agentEventToWrittenP99Ms: number;
  readonly agentEventToWrittenMaxMs: number;
  /** umockdev's own part: add_from_string, files and uevents (driver done_ns − t_ns). */
  readonly umockdevAddP50Ms: number;
  readonly umockdevAddP99Ms: number;
  /** Median over plugs of (umockdev add ÷ plug → written). */
  readonly umockdevShareMedian: number;
  /** Plug → the agent has the event (outside − inside), per plug. */
  readonly plugToAgentEventP50Ms: number;
  readonly plugToAgentEventP99Ms: number;
  /** The first warm-up plug: a cold agent (nothing JIT-compiled on this path yet). */
  readonly coldFirstPlugMs: number;
  /** Mean period of the poller (read + sleep): the resolution of plugToWritten. */
  readonly pollPeriodMs: number;
  /** Half the tightest round trip used to align the driver's clock with ours. */
  readonly clockUncertaintyMs: number;
  /** Plugs whose decision record did not carry the `authorized=0` write (someone else wrote first). */
  readonly anomalies: number;
  readonly elapsedSeconds: number;
}

interface Sample {
  readonly outsideMs: number;
  readonly insideMs: number;
  readonly umockdevMs: number;
}

function summarise(samples: readonly Sample[], pick: (sample: Sample) => number): { p50: number; p99: number; max: number } {
  const values = samples.map(pick);
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

/**
 * Runs the agent under a umockdev testbed and measures `plugs` hotplugs of the generic stick after
 * `warmupPlugs` unmeasured ones. Stops measuring at `deadlineMs` (reports what it has, with a note).
 * Every child is stopped and every temporary file removed, whatever happens.
 */
export async function measureAgentHotplug(options: {
  readonly plugs: number;
  readonly warmupPlugs: number;
  readonly deadlineMs: number;
  readonly say: (line: string) => void;
}): Promise<AgentHotplugFigures> {
  const { say } = options;
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-usb-'));
  const poller = createFilePoller(pollIntervalMs);
  let bed: UmockdevTestbed | undefined;
  let agent: ChildProcess | undefined;
  const startedNs = monotonicNs();
  try {
    bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev'] });
    const testbed = bed;
    // The kernel always has bus/usb/drivers_probe; umockdev does not create bus-level files.
    writeFileSync(path.join(testbed.root, 'bus/usb/drivers_probe'), '');
    const clock = await calibrateDriverClock(testbed, 40);

    const pair = generateSigningKeyPair();
    const signer = parsePrivateKey(pair.privateKeyPem);
    if (!signer.ok) throw new Error(`bench: the generated signing key does not parse: ${signer.error.message.en}`);
    writeFileSync(path.join(work, 'bench.pub.pem'), pair.publicKeyPem);
    writeFileSync(path.join(work, 'policy.bundle.json'), createPolicyBundle(readFileSync('policies/mynumber-zone.yaml'), signer.value));
    const stateDir = path.join(work, 'state');
    const configPath = path.join(work, 'agent.yaml');
    writeFileSync(
      configPath,
      [
        'mode: enforce',
        `stateDir: ${stateDir}`,
        `policyBundle: ${path.join(work, 'policy.bundle.json')}`,
        `trustStore: ${path.join(work, 'bench.pub.pem')}`,
        `logFile: ${path.join(work, 'agent.log')}`,
        `sysfsRoot: ${testbed.root}`,
        '',
      ].join('\n'),
    );
    // The testbed's env (UMOCKDEV_DIR, LD_PRELOAD): the agent's udevadm child and libusb see its uevents.
    const child = spawn(process.execPath, ['dist/agent.js', '--config', configPath, '--lang', 'en'], {
      env: { ...process.env, ...testbed.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent = child;
    const agentOutput = captureOutput(child);
    const audit = createAuditTail(path.join(stateDir, 'audit.jsonl'));
    const alive = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`bench: the agent exited (${child.exitCode ?? child.signalCode}): ${agentOutput()}`);
      }
    };
    /** The first record at or after `from` that `test` accepts; its index. */
    const waitRecord = (what: string, from: number, test: (record: AuditEntry) => boolean, timeoutMs = stepTimeoutMs): Promise<number> =>
      waitUntil(
        what,
        () => {
          alive();
          audit.poll();
          for (let i = from; i < audit.records.length; i += 1) if (test(audit.records[i] as AuditEntry)) return i;
          return undefined;
        },
        timeoutMs,
        1,
      );
    // The root hub's decision comes after authorized_default=0 and after both hotplug sources started.
    await waitRecord('the agent to start (root hub decided)', 0, (r) => r.type === 'usb.allowed' && r.data.port === 'usb1' && r.data.trigger === 'present', 30_000);
    say(`agent started in enforce mode (pid ${String(child.pid)}); clock alignment with the umockdev driver ±${round(clock.uncertaintyMs)} ms`);

    const samples: Sample[] = [];
    let coldFirstPlugMs = Number.NaN;
    let anomalies = 0;
    const authorizedFile = path.join(testbed.dir, stickSyspath, 'authorized');
    const total = options.warmupPlugs + options.plugs;
    const deadlineNs = monotonicNs() + BigInt(options.deadlineMs) * 1_000_000n;
    for (let i = 0; i < total; i += 1) {
      if (monotonicNs() > deadlineNs) {
        say(`agent hotplug: stopped after ${samples.length} measured plugs: the ${options.deadlineMs / 1000} s budget is spent`);
        break;
      }
      const from = audit.records.length;
      const watching = poller.watch(authorizedFile, '0', stepTimeoutMs);
      const plug = await testbed.add(stickRecording);
      const seen = await watching;
      if (!seen.ok) {
        throw new Error(`bench: plug ${i + 1}: ${stickPort}/authorized still ${JSON.stringify(seen.last)} after ${stepTimeoutMs} ms; agent: ${agentOutput()}`);
      }
      const decided = await waitRecord(`the audit record of plug ${i + 1}`, from, (r) => r.type === 'usb.blocked' && r.data.port === stickPort && r.data.trigger === 'hotplug');
      const record = audit.records[decided] as AuditEntry;
      const writes = Array.isArray(record.data.writes) ? record.data.writes : [];
      if (!writes.includes(`${stickPort}/authorized=0`)) anomalies += 1;
      const plugNs = BigInt(Math.round(plug.atMs * 1e6)) - clock.offsetNs;
      const sample = {
        outsideMs: elapsedMs(plugNs, seen.seenNs),
        insideMs: typeof record.data.latencyMs === 'number' ? record.data.latencyMs : Number.NaN,
        umockdevMs: plug.doneMs - plug.atMs,
      };
      if (i === 0) coldFirstPlugMs = sample.outsideMs;
      if (i >= options.warmupPlugs) samples.push(sample);

      const unplugFrom = audit.records.length;
      await testbed.remove(stickSyspath);
      await waitRecord(`the unplug of plug ${i + 1}`, unplugFrom, (r) => r.type === 'usb.detached' && r.data.port === stickPort);
      if (samples.length > 0 && samples.length % 100 === 0 && i >= options.warmupPlugs) {
        const sofar = summarise(samples, (s) => s.outsideMs);
        say(`agent hotplug: ${samples.length}/${options.plugs} plugs, plug → written so far p50 ${sofar.p50} ms, p99 ${sofar.p99} ms`);
      }
    }
    if (samples.length === 0) throw new Error('bench: no hotplug was measured');
    const outside = summarise(samples, (s) => s.outsideMs);
    const inside = summarise(samples, (s) => s.insideMs);
    const umockdev = summarise(samples, (s) => s.umockdevMs);
    const transport = summarise(samples, (s) => s.outsideMs - s.insideMs);
    return {
      plugs: samples.length,
      warmupPlugs: options.warmupPlugs,
      plugToWrittenP50Ms: outside.p50,
      plugToWrittenP99Ms: outside.p99,
      plugToWrittenMaxMs: outside.max,
      agentEventToWrittenP50Ms: inside.p50,
      agentEventToWrittenP99Ms: inside.p99,
      agentEventToWrittenMaxMs: inside.max,
      umockdevAddP50Ms: umockdev.p50,
      umockdevAddP99Ms: umockdev.p99,
      umockdevShareMedian: round(percentile(samples.map((s) => s.umockdevMs / s.outsideMs), 50)),
      plugToAgentEventP50Ms: transport.p50,
      plugToAgentEventP99Ms: transport.p99,
      coldFirstPlugMs: round(coldFirstPlugMs),
      pollPeriodMs: round(poller.meanPeriodMs()),
      clockUncertaintyMs: round(clock.uncertaintyMs),
      anomalies,
      elapsedSeconds: round(elapsedMs(startedNs, monotonicNs()) / 1000, 1),
    };
  } finally {
    const problems: string[] = [];
    if (agent !== undefined) {
      const note = await stopProcessTree(agent, 'agent', 5_000).catch((error: unknown) => String(error));
      if (note !== undefined) problems.push(note);
    }
    await poller.close();
    await bed?.stop().catch((error: unknown) => problems.push(`umockdev testbed: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
    for (const problem of problems) say(`cleanup: ${problem}`);
  }
}
