// `npm run bench -- mfa`, figure (c): the agent's resident memory when idle with every control
// running. A second agent process (dist/agent.js) in monitor mode with nothing switched off (usb,
// media, channels, isolation, mfa), canary probes off, every path in a temporary folder, one OS
// session from the scripted loginctl (test/helpers/fake-loginctl.ts; logind cannot run here).
// After start it is left alone for `idleSeconds`; VmRSS is read from /proc/<pid>/status once a
// second, and the last reading is the figure (the maximum is reported too).
import { round } from './stats';
import { startMfaAgentRig } from '../../test/helpers/mfa-agent-rig';

/** Figures of (c). */
export interface IdleRssFigures {
  readonly idleSeconds: number;
  readonly rssMiB: number;
  readonly maxRssMiB: number;
  /** Each control's state in the status the agent published (running, degraded for a missing OS feature, …). */
  readonly controls: Record<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the all-controls agent, waits `idleSeconds`, reads its RSS, stops it. */
export async function measureIdleRss(idleSeconds: number, say: (line: string) => void): Promise<IdleRssFigures> {
  const rig = await startMfaAgentRig({
    mode: 'monitor',
    disabledControls: [],
    sessions: [{ id: '2', uid: 0, user: 'root', type: 'x11', tty: 'tty2' }],
    enroll: ['root'],
    prefix: 'mng-bench-rss-',
  });
  try {
    const readings: number[] = [];
    for (let second = 0; second < idleSeconds; second += 1) {
      await sleep(1_000);
      if (rig.child.exitCode !== null) throw new Error(`the agent exited during the idle wait\n${rig.output().stderr}`);
      readings.push(rig.rssKiB());
    }
    const status = await rig.republishStatus();
    const controls = Object.fromEntries(status.summary.controls.map((control) => [control.control, control.state]));
    const last = readings.at(-1) ?? rig.rssKiB();
    say(`  idle RSS after ${idleSeconds} s: ${round(last / 1024, 1)} MiB (max ${round(Math.max(...readings) / 1024, 1)} MiB); controls: ${JSON.stringify(controls)}`);
    return { idleSeconds, rssMiB: round(last / 1024, 1), maxRssMiB: round(Math.max(...readings) / 1024, 1), controls };
  } finally {
    await rig.close();
  }
}
