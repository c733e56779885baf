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
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SysfsUsbBus } from '../../src/agent/platform/linux';
import { createPolicyBundle, generateSigningKeyPair, parsePrivateKey } from '../../src/agent/policy';
import { createPolicyUsbMatcher, decideUsbDevice, parseUsbDeviceFacts } from '../../src/agent/usb';
import { systemClock } from '../../src/shared/clock';
import { parsePolicyText } from '../../src/shared/policy';
import { startUmockdevTestbed, type UmockdevTestbed } from '../../test/helpers/umockdev';
import { percentile, round } from './stats';
import { captureOutput, createFilePoller, descendantsOf, elapsedMs, monotonicNs, sleep, stopProcessTree, waitUntil, type ProcessEntry } from './usb-watch';

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

/** One series of plugs: `plugs` measured, each after a pause of `settleMs` following the previous unplug. */
export interface HotplugPhase {
  readonly name: string;
  readonly plugs: number;
  readonly settleMs: number;
}

/** Figures of one phase of the agent hotplug part (ms unless named otherwise). */
export interface AgentHotplugFigures {
  readonly phase: string;
  /** Plugs measured (warm-up plugs excluded). */
  readonly plugs: number;
  readonly settleMs: number;
  /** Plug (driver) → `authorized` reads 0 (poller thread). */
  readonly plugToWrittenP50Ms: number;
  readonly plugToWrittenP99Ms: number;
  readonly plugToWrittenMaxMs: number;
  /** The agent's own latencyMs: its hotplug source got the event → write done (1 ms steps). */
  readonly agentEventToWrittenP50Ms: number;
  readonly agentEventToWrittenP99Ms: number;
  readonly agentEventToWrittenMaxMs: number;
  /**
   * umockdev's add (driver done_ns − t_ns): the device's files, its uevent, then the interface's.
   * The agent starts on the device's uevent while umockdev still adds the interface, so this
   * overlaps the agent's work: the share is an upper bound of umockdev's part.
   */
  readonly umockdevAddP50Ms: number;
  readonly umockdevAddP99Ms: number;
  /** Median over plugs of (umockdev add ÷ plug → written). */
  readonly umockdevShareMedian: number;
  /** Plug → the agent has the event (outside − inside, ±1 ms from the inside figure's steps). */
  readonly plugToAgentEventP50Ms: number;
  readonly plugToAgentEventP99Ms: number;
  /**
   * Decisions on the stick besides the one that wrote `authorized=0` (the second hotplug source
   * re-deciding, or a late `remove` of the previous plug having dropped the device's state).
   */
  readonly extraDecisions: number;
  /** Unplugs the agent did not audit as `usb.detached` (its state was already dropped). */
  readonly missedDetaches: number;
  readonly elapsedSeconds: number;
}

/** The whole agent hotplug part: one entry per phase, and what holds for all of them. */
export interface AgentHotplugReport {
  readonly phases: readonly AgentHotplugFigures[];
  readonly warmupPlugs: number;
  /** The first warm-up plug: a cold agent (nothing JIT-compiled on this path yet). */
  readonly coldFirstPlugMs: number;
  /** Mean period of the poller (read + sleep): the resolution of plugToWritten. */
  readonly pollPeriodMs: number;
  /** Half the tightest round trip used to align the driver's clock with ours. */
  readonly clockUncertaintyMs: number;
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

const describeRecord = (r: AuditEntry): string =>
  `#${r.seq} ${r.type} ${String(r.data.port)} ${String(r.data.trigger ?? r.data.source ?? '')} ${JSON.stringify(r.data.writes ?? '')}`;

/**
 * Runs the agent under a umockdev testbed and plugs the generic stick: `warmupPlugs` unmeasured
 * ones, then each phase in turn. A phase stops early when its budget is spent (it reports what it
 * has, with a line saying so). Every child is stopped and every temporary file removed,
 * whatever happens.
 */
export async function measureAgentHotplug(options: {
  readonly phases: readonly HotplugPhase[];
  readonly warmupPlugs: number;
  /** Time allowed per plug on top of its pause; a phase stops early once its total is spent. */
  readonly budgetPerPlugMs: number;
  readonly say: (line: string) => void;
  /** Checked before each plug: true stops the loop (Ctrl-C). */
  readonly shouldStop: () => boolean;
}): Promise<AgentHotplugReport> {
  const { say } = options;
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-usb-'));
  const poller = createFilePoller(pollIntervalMs);
  let bed: UmockdevTestbed | undefined;
  let agent: ChildProcess | undefined;
  let agentChildren: ProcessEntry[] = [];
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
        // The umockdev testbed has no block devices or network: media, channels and isolation would judge
        // the machine's real mounts against an empty sysfs (enforce mode). This rig is about USB only.
        'disabledControls: [media, channels, isolation, mfa]',
        'canaryProbes: false',
        '',
      ].join('\n'),
    );
    // The testbed's env (UMOCKDEV_DIR, LD_PRELOAD): the agent's udevadm child and libusb see its uevents.
    const child = spawn(process.execPath, ['dist/agent.js', '--config', configPath, '--lang', 'en'], {
      env: { ...process.env, ...testbed.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent = child;
    // Its stdout is the start summary; errors go to stderr (its log goes to logFile).
    const agentOutput = captureOutput(child, 2048, 'stderr');
    const audit = createAuditTail(path.join(stateDir, 'audit.jsonl'));
    const alive = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = existsSync(path.join(work, 'agent.log')) ? readFileSync(path.join(work, 'agent.log'), 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
        throw new Error(`bench: the agent exited (${child.exitCode ?? child.signalCode}); stderr: ${agentOutput() || '(empty)'}; last log lines: ${log || '(none)'}`);
      }
    };
    /** The first record at or after `from` that `test` accepts; its index. Fails with the latest records. */
    const waitRecord = async (what: string, from: number, test: (record: AuditEntry) => boolean, timeoutMs = stepTimeoutMs): Promise<number> => {
      try {
        return await waitUntil(
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
      } catch (error) {
        const latest = audit.records.slice(-8).map(describeRecord).join(' | ');
        throw new Error(`${error instanceof Error ? error.message : String(error)}; latest audit records: ${latest}`);
      }
    };
    // The root hub's decision comes after authorized_default=0 and after both hotplug sources started.
    await waitRecord('the agent to start (root hub decided)', 0, (r) => r.type === 'usb.allowed' && r.data.port === 'usb1' && r.data.trigger === 'present', 30_000);
    // Its udevadm child, noted now: if the agent dies on its own, the child outlives it.
    agentChildren = child.pid === undefined ? [] : descendantsOf(child.pid);
    say(`agent started in enforce mode (pid ${String(child.pid)}); clock alignment with the umockdev driver ±${round(clock.uncertaintyMs)} ms`);

    const authorizedFile = path.join(testbed.dir, stickSyspath, 'authorized');
    const isStick = (r: AuditEntry): boolean => r.data.port === stickPort;
    const wrote = (r: AuditEntry): boolean => Array.isArray(r.data.writes) && r.data.writes.includes(`${stickPort}/authorized=0`);
    let plugCount = 0;
    /** One plug and unplug; the sample, plus what else the agent audited about the stick meanwhile. */
    const plugOnce = async (): Promise<{ sample: Sample; extraDecisions: number; missedDetach: boolean }> => {
      plugCount += 1;
      const from = audit.records.length;
      const watching = poller.watch(authorizedFile, '0', stepTimeoutMs);
      watching.catch(() => undefined); // awaited below; this only keeps a failure during the plug from going unhandled
      const plug = await testbed.add(stickRecording);
      const seen = await watching;
      if (!seen.ok) {
        throw new Error(`bench: plug ${plugCount}: ${stickPort}/authorized still ${JSON.stringify(seen.last)} after ${stepTimeoutMs} ms; agent: ${agentOutput()}`);
      }
      // The decision that wrote authorized=0; the second source's decision writes nothing.
      const decided = await waitRecord(`the audit record of plug ${plugCount}`, from, (r) => isStick(r) && r.type === 'usb.blocked' && r.data.trigger === 'hotplug' && wrote(r));
      const record = audit.records[decided] as AuditEntry;
      const plugNs = BigInt(Math.round(plug.atMs * 1e6)) - clock.offsetNs;
      const sample = {
        outsideMs: elapsedMs(plugNs, seen.seenNs),
        insideMs: typeof record.data.latencyMs === 'number' ? record.data.latencyMs : Number.NaN,
        umockdevMs: plug.doneMs - plug.atMs,
      };
      await testbed.remove(stickSyspath);
      // Settled when the agent has audited the unplug, or (its state having been dropped by a late
      // remove from the other source) when the stick's directory is gone and nothing more comes.
      let missedDetach = false;
      try {
        await waitRecord(`the unplug of plug ${plugCount}`, decided + 1, (r) => isStick(r) && r.type === 'usb.detached', 1_000);
      } catch (error) {
        // Only the timeout is expected (counted and reported); an agent that died is not.
        if (!(error instanceof Error && error.message.startsWith('bench: timed out'))) throw error;
        missedDetach = true;
      }
      const extraDecisions = audit.records.slice(from).filter((r) => isStick(r) && /^usb\.(allowed|blocked|rejected)$/.test(r.type) && !wrote(r)).length;
      return { sample, extraDecisions, missedDetach };
    };

    let coldFirstPlugMs = Number.NaN;
    for (let i = 0; i < options.warmupPlugs && !options.shouldStop(); i += 1) {
      const { sample } = await plugOnce();
      if (i === 0) coldFirstPlugMs = sample.outsideMs;
    }
    const phases: AgentHotplugFigures[] = [];
    for (const phase of options.phases) {
      if (phase.plugs === 0) continue;
      if (options.shouldStop()) break;
      const startedNs = monotonicNs();
      const budgetMs = Math.max(10_000, phase.plugs * (phase.settleMs + options.budgetPerPlugMs));
      const deadlineNs = startedNs + BigInt(Math.round(budgetMs)) * 1_000_000n;
      const samples: Sample[] = [];
      let extraDecisions = 0;
      let missedDetaches = 0;
      while (samples.length < phase.plugs) {
        if (options.shouldStop()) {
          say(`agent hotplug (${phase.name}): interrupted after ${samples.length} measured plugs`);
          break;
        }
        if (monotonicNs() > deadlineNs) {
          say(`agent hotplug (${phase.name}): stopped after ${samples.length} measured plugs: its ${round(budgetMs / 1000, 0)} s budget is spent`);
          break;
        }
        if (phase.settleMs > 0) await sleep(phase.settleMs);
        const outcome = await plugOnce();
        samples.push(outcome.sample);
        extraDecisions += outcome.extraDecisions;
        if (outcome.missedDetach) missedDetaches += 1;
        if (samples.length % 100 === 0) {
          const sofar = summarise(samples, (s) => s.outsideMs);
          say(`agent hotplug (${phase.name}): ${samples.length}/${phase.plugs} plugs, plug → written so far p50 ${sofar.p50} ms, p99 ${sofar.p99} ms`);
        }
      }
      if (samples.length === 0) break;
      const outside = summarise(samples, (s) => s.outsideMs);
      const inside = summarise(samples, (s) => s.insideMs);
      const umockdev = summarise(samples, (s) => s.umockdevMs);
      const transport = summarise(samples, (s) => s.outsideMs - s.insideMs);
      phases.push({
        phase: phase.name,
        plugs: samples.length,
        settleMs: phase.settleMs,
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
        extraDecisions,
        missedDetaches,
        elapsedSeconds: round(elapsedMs(startedNs, monotonicNs()) / 1000, 1),
      });
    }
    if (phases.length === 0) throw new Error('bench: no hotplug was measured');
    return {
      phases,
      warmupPlugs: options.warmupPlugs,
      coldFirstPlugMs: round(coldFirstPlugMs),
      pollPeriodMs: round(poller.meanPeriodMs()),
      clockUncertaintyMs: round(clock.uncertaintyMs),
    };
  } finally {
    const problems: string[] = [];
    if (agent !== undefined) {
      const note = await stopProcessTree(agent, 'agent', 5_000, agentChildren).catch((error: unknown) => String(error));
      if (note !== undefined) problems.push(note);
    }
    await poller.close();
    await bed?.stop().catch((error: unknown) => problems.push(`umockdev testbed: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
    for (const problem of problems) say(`cleanup: ${problem}`);
  }
}

/** Where the agent's part of a plug goes, measured in this process on a testbed (ms). */
export interface EnforcerStepFigures {
  /** SysfsUsbBus.readDevice of the stick: its attributes, interfaces and its ancestors' (parent hash). */
  readonly readDeviceP50Ms: number;
  readonly readDeviceP99Ms: number;
  /** decideUsbDevice with the default policy's matcher. */
  readonly decideP50Ms: number;
  /** One `authorized` write. */
  readonly writeAuthorizedP50Ms: number;
  readonly writeAuthorizedP99Ms: number;
}

/**
 * The steps of one hotplug decision, one by one, with the agent's own adapters in this process:
 * read the stick (SysfsUsbBus on the testbed's sysfs root), decide (the default policy), write
 * `authorized`. `rounds` of each after a warm-up; nothing else runs on the testbed meanwhile.
 */
export async function measureEnforcerSteps(rounds: number): Promise<EnforcerStepFigures> {
  const bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev', stickRecording] });
  try {
    const bus = new SysfsUsbBus({ sysfsRoot: bed.root, parseFacts: parseUsbDeviceFacts });
    const parsed = parsePolicyText(readFileSync('policies/mynumber-zone.yaml', 'utf8'));
    if (!parsed.ok) throw new Error('bench: policies/mynumber-zone.yaml does not parse');
    const policy = { key: 'default', usb: parsed.policy.spec.usb };
    const matcherOf = createPolicyUsbMatcher({ policy: () => policy, clock: systemClock, utcOffsetMinutes: () => 540, random: Math.random, allowedDevices: () => [] });
    const time = async (run: () => Promise<unknown> | unknown): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < rounds + 20; i += 1) {
        const started = monotonicNs();
        await run();
        if (i >= 20) samples.push(elapsedMs(started, monotonicNs()));
      }
      return samples;
    };
    const read = await bus.readDevice(stickPort);
    if (read?.ok !== true) throw new Error(`bench: the stick could not be read from the testbed: ${JSON.stringify(read)}`);
    if (decideUsbDevice(read, matcherOf()).target !== 'block') throw new Error('bench: the default policy does not block the generic stick');
    const reads = await time(() => bus.readDevice(stickPort));
    const decisions = await time(() => decideUsbDevice(read, matcherOf()));
    const writes = await time(() => bus.setDeviceAuthorized(stickPort, false));
    return {
      readDeviceP50Ms: round(percentile(reads, 50)),
      readDeviceP99Ms: round(percentile(reads, 99)),
      decideP50Ms: round(percentile(decisions, 50), 4),
      writeAuthorizedP50Ms: round(percentile(writes, 50)),
      writeAuthorizedP99Ms: round(percentile(writes, 99)),
    };
  } finally {
    await bed.stop();
  }
}
