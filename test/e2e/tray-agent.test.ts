// The tray renderer end to end against the REAL agent (issue #5 tests): the built renderer in
// Debian Chromium (playwright-core), the test bridge in place of the preload (tray-harness.ts), the
// real main-process logic (startTrayApp) on a fake Electron facade, the real agent client over the
// agent's real Unix socket with the per-user token file, and the real agent process
// (dist/agent.js, enforce mode, the `mfa` control, MFA files encrypted on disk, audit log, status
// file). The only stand-in is logind: it cannot run on these machines (no systemd as PID 1), so the
// agent reads its sessions from a scripted `loginctl` first on its PATH (fake-loginctl.ts) and its
// lock/terminate commands land in that script's log.
//
// The sessions belong to the test process's uid (root), so the root client acts on its own
// session. Japanese screenshots go to test-artifacts/tray-agent/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogindSessions } from '../../src/agent/platform/linux';
import { createAgentClient, type AgentClient } from '../../src/main/agent-client';
import { adaptAgentClient } from '../../src/main/agent-link';
import { startMfaAgentRig, waitFor, type MfaAgentRig } from '../helpers/mfa-agent-rig';
import { needTools } from '../helpers/system-tools';
import { createMainProcessBackend, installTestBridge, launchChromium, rendererDir, serveRenderer, type MainProcessBackend } from '../helpers/tray-harness';

const artifacts = path.resolve('test-artifacts/tray-agent');
const fontPath = '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf';

function prerequisites(): boolean {
  const reasons: string[] = [];
  if (process.getuid?.() !== 0) reasons.push('the agent runs as root (token folder owned by root, secrets 0600)');
  if (!existsSync(fontPath)) reasons.push('fonts-ipafont-gothic is not installed (Japanese would render as tofu) — apt-get install -y --no-install-recommends fonts-ipafont-gothic');
  if (reasons.length > 0) {
    if (process.env.CI === 'true') throw new Error(`CI=true: ${reasons.join('; ')}`);
    process.stderr.write(`skipping: ${reasons.join('; ')}\n`);
    return false;
  }
  return true;
}

const ready = needTools('chromium', 'date') && prerequisites();
const mainSession = '2';
const tamperSession = '3';

describe.skipIf(!ready)('tray renderer in Chromium → main-process logic → real agent on a real socket', () => {
  let rig: MfaAgentRig;
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  let client: AgentClient;
  let backend: MainProcessBackend;
  let page: Page;
  const pageErrors: string[] = [];
  // The tray of the second session: started, then killed after its first heartbeat (tamper).
  let tamperClient: AgentClient;
  let tamperStoppedAtMs = 0;

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  const submitCode = async (code: string): Promise<void> => {
    await page.fill('#code-input', code);
    await page.click('#unlock-button');
  };
  const audit = (type: string, sessionId?: string) => rig.audit().filter((r) => r.type === type && (sessionId === undefined || r.data.sessionId === sessionId));

  beforeAll(async () => {
    expect(existsSync(path.join(rendererDir, 'renderer.js'))).toBe(true);
    await mkdir(artifacts, { recursive: true });
    rig = await startMfaAgentRig({
      mode: 'enforce',
      disabledControls: ['usb', 'media', 'channels', 'isolation'],
      sessions: [
        { id: mainSession, uid: 0, user: 'root', type: 'x11', tty: 'tty2' },
        { id: tamperSession, uid: 0, user: 'root', type: 'wayland', tty: 'tty3' },
      ],
      enroll: ['root'],
      // Short lockout so the countdown is seen and runs out within the test.
      lockout: { maxFailures: 3, delaySeconds: [5], lockUntilAdminReset: false },
      prefix: 'mng-tray-agent-',
    });

    // The tamper session's tray first: it sends one heartbeat, then its connection closes (killed).
    tamperClient = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: 0, client: 'test' });
    expect(await tamperClient.connect()).toBe(true);
    const tamperTray = createMainProcessBackend(adaptAgentClient(tamperClient), 'lock', 'ja', { sessionId: tamperSession });
    await waitFor('the tamper tray to take its session', () => (tamperTray.app.view.user === 'root' ? true : undefined));
    // refresh() sends the first heartbeat right after taking the session; let it land, then "kill" the tray.
    await new Promise((resolve) => setTimeout(resolve, 300));
    tamperTray.app.stop();
    await tamperClient.close();
    tamperStoppedAtMs = Date.now();

    server = await serveRenderer();
    browser = await launchChromium();
    client = createAgentClient({ socketPath: rig.socketPath, tokenDir: rig.tokenDir, uid: 0, client: 'test' });
    expect(await client.connect()).toBe(true);
    backend = createMainProcessBackend(adaptAgentClient(client), 'lock', 'ja', { sessionId: mainSession });
    page = await browser.newPage({ viewport: { width: 1024, height: 720 }, locale: 'ja-JP' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await installTestBridge(page, backend);
    await page.goto(server.url('lock'));
    await page.waitForSelector('main#app');
  }, 60_000);

  afterAll(async () => {
    backend?.app.stop();
    await page?.close();
    await browser?.close();
    await server?.close();
    await client?.close();
    await tamperClient?.close();
    await rig?.close();
  });

  it('the scripted loginctl answers the way the logind adapter parses it (contract check of the stand-in)', async () => {
    const logind = createLogindSessions({ loginctl: path.join(rig.loginctl.binDir, 'loginctl') });
    const listed = await logind.list();
    expect(listed.ok).toBe(true);
    if (!listed.ok) return;
    expect(listed.value.map((s) => [s.id, s.uid, s.user, s.type, s.sessionClass, s.active, s.osState, s.osLocked, s.idleForMs, s.tty])).toEqual([
      [mainSession, 0, 'root', 'x11', 'user', true, 'active', false, 0, 'tty2'],
      [tamperSession, 0, 'root', 'wayland', 'user', true, 'active', false, 0, 'tty3'],
    ]);
    expect(await logind.lock('99')).toEqual({ ok: false, detail: "Could not lock session: No session '99' known" });
  });

  it('locked at login: the lock screen in Japanese with the agent’s reason and user', async () => {
    await expect.poll(() => page.textContent('#lock-title')).toBe('この端末はロックされています');
    await expect.poll(() => page.textContent('#lock-reason')).toBe('ロックの理由: ログイン後の本人確認です');
    expect(await page.textContent('#lock-user')).toBe('利用者: root');
    // The enrollment made before start is seen: no "not enrolled" line, input enabled.
    await expect.poll(() => page.isVisible('#lock-standing')).toBe(false);
    expect(await page.isDisabled('#code-input')).toBe(false);
    expect(backend.window().visible).toBe(true);
    expect(backend.app.tray.icon).toBe('locked');
    await shot('lock-login-ja');
  });

  it('wrong code → the Japanese message with the attempts left, counted and audited by the agent', async () => {
    await submitCode(rig.wrongCode('root'));
    await expect.poll(() => page.textContent('#lock-message')).toContain('確認コードが正しくありません');
    expect(await page.textContent('#lock-message')).toContain('あと 2 回');
    expect(await page.inputValue('#code-input')).toBe('');
    const attempts = audit('mfa.attempt');
    expect(attempts.at(-1)?.data).toMatchObject({ user: 'root', result: 'wrong-code', failures: 1 });
    expect(JSON.stringify(attempts)).not.toMatch(/"code"/);
    await shot('lock-wrong-code-ja');
  });

  it('right code → unlocked view; the agent’s audit log and status file show the unlock', async () => {
    await submitCode(rig.codeAt('root'));
    await expect.poll(() => page.isVisible('#unlocked-panel')).toBe(true);
    expect(await page.textContent('#lock-title')).toBe('ロックは解除されています');
    expect(await page.textContent('#unlocked-panel')).toBe('ロックを解除しました。');
    expect(backend.window().visible).toBe(false);
    expect(backend.app.tray.icon).toBe('unlocked');
    await shot('lock-unlocked-ja');

    const accepted = audit('mfa.attempt').at(-1)?.data;
    expect(accepted).toMatchObject({ user: 'root', result: 'unlocked' });
    // The code was made for "now"; a step boundary between making and checking it makes it one step old.
    expect([0, -1]).toContain(accepted?.delta);
    // Session records are written from the agent's action queue, after the reply: wait for them.
    await expect.poll(() => audit('session.unlocked', mainSession).at(-1)?.data).toMatchObject({ from: 'login', unlockPeriodSeconds: 28_800 });
    // The status file is written on start, reload and posture refresh: SIGHUP makes it current.
    const status = await rig.republishStatus();
    expect(status.controls.mfa?.sessionSource).toBe('ok');
    expect(status.controls.mfa?.sessions.find((s) => s.sessionId === mainSession)).toMatchObject({ state: 'unlocked', reason: null });
    expect(status.summary.controls.find((c) => c.control === 'mfa')?.state).toBe('enforced');
  });

  it('lock now (tray menu) → the lock screen is back, and the agent asked logind to lock the OS session', async () => {
    backend.facade.trays[0]?.click('lock-now');
    await expect.poll(() => page.isVisible('#lock-panel')).toBe(true);
    await expect.poll(() => page.textContent('#lock-reason')).toBe('ロックの理由: 手動でロックしました');
    expect(backend.window().visible).toBe(true);
    await expect.poll(() => rig.loginctl.calls().filter((c) => c.verb === 'lock-session' && c.sessionId === mainSession).length).toBe(1);
    await expect.poll(() => audit('session.os-lock-requested', mainSession).at(-1)?.data).toMatchObject({ why: 'manual' });
    await shot('lock-manual-ja');
  });

  it('wrong codes until the lockout → a live countdown that decreases; input disabled until it runs out', async () => {
    for (let n = 0; n < 3; n += 1) {
      await submitCode(rig.wrongCode('root', Date.now(), n));
      if (n < 2) await expect.poll(() => page.textContent('#lock-message')).toContain(`あと ${2 - n} 回`);
    }
    await expect.poll(() => page.isVisible('#lock-countdown')).toBe(true);
    const seconds = async (): Promise<number> => {
      const text = (await page.textContent('#lock-countdown')) ?? '';
      const match = /あと (\d+):(\d{2}) で再び入力できます/.exec(text);
      if (match === null) throw new Error(`no countdown in: ${text}`);
      return Number(match[1]) * 60 + Number(match[2]);
    };
    const first = await seconds();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(5);
    expect(await page.isDisabled('#code-input')).toBe(true);
    await shot('lock-locked-out-ja');
    expect(audit('mfa.locked-out').at(-1)?.data).toMatchObject({ user: 'root', failures: 3, lockoutNumber: 1, adminResetRequired: false });
    await page.waitForTimeout(1_600);
    const second = await seconds();
    expect(second).toBeLessThan(first);
    // The agent's delay ends; the screen offers the input again.
    await expect.poll(() => page.isDisabled('#code-input'), { timeout: 8_000 }).toBe(false);
    expect(await page.textContent('#lock-message')).toContain('もう一度入力できます');
  });

  it('tamper: the other session’s tray was killed (its connection closed) → locked `tray-missing` at once, OS lock via logind', async () => {
    // The agent sees the tray's connection close and does not wait for the 15 s heartbeat grace.
    const missing = await waitFor('session.tray-missing for the tamper session', () => audit('session.tray-missing', tamperSession)[0], 5_000);
    expect(missing.severity).toBe('alert');
    expect(missing.data).toMatchObject({ cause: 'disconnected', everSeen: true, state: 'locked' });
    expect(Number(missing.data.silentForMs)).toBeLessThan(15_000);
    // The lock command runs in the agent's action queue after that record; its own record follows it.
    await expect.poll(() => rig.loginctl.calls().some((c) => c.verb === 'lock-session' && c.sessionId === tamperSession)).toBe(true);
    await expect.poll(() => audit('session.os-lock-requested', tamperSession).map((r) => r.data.why)).toContain('tray-missing');
    const lockedWithinMs = Date.parse(String(audit('session.os-lock-requested', tamperSession)[0]?.time)) - tamperStoppedAtMs;
    expect(lockedWithinMs).toBeLessThan(5_000);
    // The session whose tray keeps beating is not touched.
    expect(audit('session.tray-missing', mainSession)).toEqual([]);
    expect(rig.loginctl.calls().filter((c) => c.verb === 'terminate-session')).toEqual([]);
  }, 40_000);

  it('agent killed → "agent unreachable" in Japanese, the lock stays, the input is disabled', async () => {
    await rig.kill();
    await expect.poll(() => page.textContent('#lock-standing')).toContain('エージェントに接続できません');
    expect(await page.isVisible('#lock-panel')).toBe(true);
    expect(await page.isDisabled('#code-input')).toBe(true);
    expect(backend.window().visible).toBe(true);
    expect(backend.app.tray.icon).toBe('agent-unreachable');
    await shot('lock-agent-unreachable-ja');
    // No script error and no CSP violation in the page for the whole run.
    expect(pageErrors).toEqual([]);
  });
});
