// `npm run bench -- mfa`, figures (a) and (b): the tray renderer in Debian Chromium driven through
// the renderer harness (test/helpers/tray-harness.ts) with the real main-process logic and the real
// agent client, against the real agent (test/helpers/mfa-agent-rig.ts; logind is the scripted
// loginctl, the only stand-in). The same rig as test/e2e/tray-agent.test.ts.
//
// (a) code submitted → decision shown: timed inside the page, from just before the submit button is
//     clicked to (dom) the mutation that re-enables the input or shows the unlocked panel, and
//     (frame) the next animation frame after it, i.e. when the decision is on screen. The path
//     includes the harness's bridge (playwright's exposeFunction: a CDP round trip each way, more
//     than Electron's IPC would cost), the main-process gate, the socket, the agent's verification
//     with its state write and audit record, and the render.
// (b) lock trigger → lock panel visible: an administrator's `session.lock` from a second root
//     client of the agent, timed from just before the call (node) to the first animation frame after
//     the lock panel appears (page), both on the epoch clock `performance.timeOrigin + now()`.
import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { createAgentClient, type AgentClient } from '../../src/main/agent-client';
import { adaptAgentClient } from '../../src/main/agent-link';
import type { MfaAgentRig } from '../../test/helpers/mfa-agent-rig';
import { createMainProcessBackend, installTestBridge, launchChromium, serveRenderer, type MainProcessBackend } from '../../test/helpers/tray-harness';
import { percentile, round } from './stats';

/** The lock screen of one session, opened in Chromium, plus an administrator's client. */
export interface TrayUi {
  readonly page: Page;
  readonly backend: MainProcessBackend;
  /** A second root connection: the administrator (`mng`) side. */
  readonly admin: AgentClient;
  readonly sessionId: string;
  /** Script errors and CSP reports of the page. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits in the page (per animation frame) until `state` is shown; throws after `timeoutMs`. */
async function waitForState(page: Page, state: 'locked' | 'unlocked', timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(
    (wanted) => {
      const main = document.querySelector('main');
      const panel = document.querySelector(wanted === 'locked' ? '#lock-panel' : '#unlocked-panel') as HTMLElement | null;
      return main?.dataset.state === wanted && panel !== null && !panel.hidden;
    },
    state,
    { polling: 'raf', timeout: timeoutMs },
  );
}

/** Opens the lock screen of `sessionId` against the rig's agent. */
export async function openTrayUi(rig: MfaAgentRig, sessionId: string): Promise<TrayUi> {
  const server = await serveRenderer();
  let browser: Browser | undefined;
  const clients: AgentClient[] = [];
  try {
    browser = await launchChromium();
    const trayClient = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: 0, client: 'test' });
    clients.push(trayClient);
    if (!(await trayClient.connect())) throw new Error('the tray client could not connect to the agent');
    const admin = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: 0, client: 'mng' });
    clients.push(admin);
    if (!(await admin.connect())) throw new Error('the administrator client could not connect to the agent');
    const backend = createMainProcessBackend(adaptAgentClient(trayClient), 'lock', 'ja', { sessionId });
    const page = await browser.newPage({ viewport: { width: 1024, height: 720 }, locale: 'ja-JP' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await installTestBridge(page, backend);
    await page.goto(server.url('lock'));
    await page.waitForSelector('main#app');
    await waitForState(page, 'locked');
    // The view carries the enrollment once the agent has read it: the input is enabled then.
    await page.waitForFunction(() => !(document.querySelector('#code-input') as HTMLInputElement).disabled && (document.querySelector('#lock-standing') as HTMLElement).hidden, undefined, {
      timeout: 10_000,
    });
    const openedBrowser = browser;
    return {
      page,
      backend,
      admin,
      sessionId,
      pageErrors,
      async close() {
        backend.app.stop();
        await page.close();
        await openedBrowser.close();
        await server.close();
        for (const client of clients) await client.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    for (const client of clients) await client.close();
    throw error;
  }
}

/** One timed submission. */
interface Submission {
  readonly domMs: number;
  readonly frameMs: number;
  /** What the screen showed: `unlocked`, `message` (the input came back with a reply), `countdown`, or `timeout`. */
  readonly shown: 'unlocked' | 'message' | 'countdown' | 'timeout';
  readonly message: string;
}

/** Types `code`, clicks the button, and times the answer on screen (all inside the page). */
function submitTimed(page: Page, code: string): Promise<Submission> {
  return page.evaluate(
    (typed) =>
      new Promise<Submission>((resolve) => {
        const input = document.querySelector('#code-input') as HTMLInputElement;
        const button = document.querySelector('#unlock-button') as HTMLButtonElement;
        const main = document.querySelector('main') as HTMLElement;
        const unlocked = document.querySelector('#unlocked-panel') as HTMLElement;
        const countdown = document.querySelector('#lock-countdown') as HTMLElement;
        const message = document.querySelector('#lock-message') as HTMLElement;
        let started = 0;
        let settled = false;
        const shownNow = (): Submission['shown'] | null => {
          if (main.dataset.state === 'unlocked' && !unlocked.hidden) return 'unlocked';
          if (!countdown.hidden) return 'countdown';
          // The submit handler disables the input synchronously (busy); the reply re-enables it.
          if (!input.disabled) return 'message';
          return null;
        };
        const finish = (shown: Submission['shown']): void => {
          if (settled) return;
          settled = true;
          observer.disconnect();
          clearTimeout(timer);
          const domMs = performance.now() - started;
          requestAnimationFrame(() => resolve({ domMs, frameMs: performance.now() - started, shown, message: message.textContent ?? '' }));
        };
        const observer = new MutationObserver(() => {
          const shown = shownNow();
          if (shown !== null) finish(shown);
        });
        const timer = setTimeout(() => finish('timeout'), 10_000);
        input.value = typed;
        started = performance.now();
        button.click();
        if (!input.disabled) {
          // Not sent (a previous answer still pending): report it instead of timing nothing.
          finish('timeout');
          return;
        }
        observer.observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
      }),
    code,
  );
}

/** Figures of (a). */
export interface UnlockDecisionFigures {
  readonly submissions: number;
  readonly wrongCodes: number;
  readonly validCodes: number;
  readonly outcomes: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly domP50Ms: number;
  readonly domP99Ms: number;
  readonly validP50Ms: number | null;
  /** The five slowest (frame) samples with their index in the run: where the tail comes from. */
  readonly slowest: readonly { readonly index: number; readonly ms: number; readonly shown: string }[];
  readonly adminResets: number;
  readonly elapsedMs: number;
}

/**
 * (a): `submissions` codes through the lock screen. Wrong codes, with the failure counter reset by
 * the administrator every `resetEvery` failures (the policy's maxFailures is at most 20), and up to
 * `validCodes` right ones spread over the run: the codes of steps now−1, now and now+1 (one step of
 * drift each way), so several valid codes are accepted without waiting for the clock. After each
 * valid code the administrator locks the session again. `gapMs` between submissions keeps the
 * caller under the gate's 50 requests/s per uid.
 */
export async function measureUnlockDecisions(
  ui: TrayUi,
  rig: MfaAgentRig,
  options: { readonly submissions: number; readonly validCodes: number; readonly resetEvery: number; readonly gapMs: number; readonly user: string },
  say: (line: string) => void,
  stopped: () => boolean,
): Promise<UnlockDecisionFigures> {
  const { page, admin } = ui;
  const all: Submission[] = [];
  const valid: Submission[] = [];
  const validAt = new Set(Array.from({ length: options.validCodes }, (_, i) => Math.floor(((i + 1) * options.submissions) / (options.validCodes + 1))));
  let failuresSinceReset = 0;
  let resets = 0;
  let lastValidStep: number | null = null;
  const started = performance.now();
  for (let i = 0; i < options.submissions && !stopped(); i += 1) {
    let code: string | undefined;
    if (validAt.has(i)) {
      const current = Math.floor(Date.now() / 30_000);
      const step = Math.max(current - 1, (lastValidStep ?? current - 2) + 1);
      if (step <= current + 1) {
        code = rig.codeAtStep(options.user, step);
        lastValidStep = step;
      }
    }
    const isValid = code !== undefined;
    const submission = await submitTimed(page, code ?? rig.wrongCode(options.user, Date.now(), i));
    all.push(submission);
    if (isValid) {
      valid.push(submission);
      if (submission.shown !== 'unlocked') say(`  a valid code was not accepted: ${submission.shown} ${submission.message}`);
      failuresSinceReset = 0;
      const locked = await admin.call('session.lock', { sessionId: ui.sessionId });
      if (!locked.ok) throw new Error(`session.lock failed: ${locked.code}`);
      await waitForState(page, 'locked');
    } else if (++failuresSinceReset >= options.resetEvery) {
      const reset = await admin.call('admin.mfa.reset', { user: options.user, enrollment: false });
      if (!reset.ok) throw new Error(`admin.mfa.reset failed: ${reset.code}`);
      failuresSinceReset = 0;
      resets += 1;
    }
    if ((i + 1) % 25 === 0) say(`  ${i + 1}/${options.submissions} submitted`);
    await sleep(options.gapMs);
  }
  const outcomes: Record<string, number> = {};
  for (const s of all) outcomes[s.shown] = (outcomes[s.shown] ?? 0) + 1;
  const frame = all.map((s) => s.frameMs);
  const dom = all.map((s) => s.domMs);
  return {
    submissions: all.length,
    wrongCodes: all.length - valid.length,
    validCodes: valid.length,
    outcomes,
    p50Ms: round(percentile(frame, 50), 1),
    p99Ms: round(percentile(frame, 99), 1),
    maxMs: round(Math.max(...frame), 1),
    domP50Ms: round(percentile(dom, 50), 1),
    domP99Ms: round(percentile(dom, 99), 1),
    validP50Ms: valid.length === 0 ? null : round(percentile(valid.map((s) => s.frameMs), 50), 1),
    slowest: all
      .map((s, index) => ({ index, ms: round(s.frameMs, 1), shown: s.shown }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5),
    adminResets: resets,
    elapsedMs: Math.round(performance.now() - started),
  };
}

declare global {
  interface Window {
    __mngLockSeen?: Promise<number>;
  }
}

/** Figures of (b). */
export interface LockVisibleFigures {
  readonly rounds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The main process showed the (fake) lock window: measured in node, from the trigger. */
  readonly windowShownP50Ms: number;
}

/**
 * (b): `rounds` times: unlock with a single-use emergency code the administrator issues (so no
 * TOTP step is spent and rounds need not wait for the clock), then the administrator locks the
 * session and the time until the lock panel is on screen is taken.
 */
export async function measureLockVisible(ui: TrayUi, options: { readonly rounds: number; readonly user: string }, say: (line: string) => void, stopped: () => boolean): Promise<LockVisibleFigures> {
  const { page, admin, backend } = ui;
  const samples: number[] = [];
  const windowShown: number[] = [];
  // tray-app shows the lock windows synchronously before it pushes the view to them: the first
  // push that finds the window visible marks the moment the main process put it up.
  let shownAt: number | undefined;
  let watching = false;
  const shownAtNow = (): number | undefined => shownAt;
  backend.facade.onSend((target) => {
    if (watching && shownAt === undefined && target.visible) shownAt = performance.timeOrigin + performance.now();
  });
  for (let round = 0; round < options.rounds && !stopped(); round += 1) {
    const issued = await admin.call('admin.mfa.emergency-code', { user: options.user });
    if (!issued.ok) throw new Error(`admin.mfa.emergency-code failed: ${issued.code}`);
    const reply = (await backend.invoke('tray:unlock', { code: issued.result.code })) as { ok: boolean; value?: { code: string } };
    if (reply.value?.code !== 'emergency-accepted') throw new Error(`the emergency code was not accepted: ${JSON.stringify(reply)}`);
    await waitForState(page, 'unlocked');
    await page.evaluate(() => {
      window.__mngLockSeen = new Promise<number>((resolve) => {
        const main = document.querySelector('main') as HTMLElement;
        const panel = document.querySelector('#lock-panel') as HTMLElement;
        const observer = new MutationObserver(() => {
          if (main.dataset.state === 'locked' && !panel.hidden) {
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
          }
        });
        observer.observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
      });
    });
    shownAt = undefined;
    watching = true;
    const triggeredAt = performance.timeOrigin + performance.now();
    const locked = await admin.call('session.lock', { sessionId: ui.sessionId });
    if (!locked.ok) throw new Error(`session.lock failed: ${locked.code}`);
    const seenAt = await page.evaluate(() => window.__mngLockSeen as Promise<number>);
    watching = false;
    samples.push(seenAt - triggeredAt);
    const shown = shownAtNow();
    if (shown !== undefined) windowShown.push(shown - triggeredAt);
    if ((round + 1) % 10 === 0) say(`  ${round + 1}/${options.rounds} locks`);
  }
  return {
    rounds: samples.length,
    p50Ms: round(percentile(samples, 50), 1),
    p99Ms: round(percentile(samples, 99), 1),
    maxMs: round(Math.max(...samples), 1),
    windowShownP50Ms: round(percentile(windowShown, 50), 1),
  };
}
