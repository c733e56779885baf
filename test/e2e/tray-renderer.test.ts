// The tray app's renderer end to end in Debian Chromium (issue #5 tests): the built renderer, the
// real main-process logic behind a test bridge (tray-harness.ts), and an agent behind that. Today
// the agent is the in-memory fake (src/main/fake-agent-connection.ts); the harness takes any
// AgentConnection, so the same scenarios run against the real agent on a real socket.
// Japanese screenshots go to test-artifacts/tray/. The lock trigger → lock screen visible time is
// measured and printed (one JSON line, `tray-renderer lock-visible`).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeAgentConnection, type FakeAgentConnection, type FakeAgentOptions } from '../../src/main/fake-agent-connection';
import type { AppScreen } from '../../src/main/app-protocol';
import { needTools } from '../helpers/system-tools';
import { createMainProcessBackend, installTestBridge, launchChromium, rendererDir, serveRenderer, type MainProcessBackend } from '../helpers/tray-harness';

const artifacts = path.resolve('test-artifacts/tray');
const fontPath = '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf';

function haveFont(): boolean {
  if (existsSync(fontPath)) return true;
  const reason = 'fonts-ipafont-gothic is not installed (Japanese would render as tofu) — apt-get install -y --no-install-recommends fonts-ipafont-gothic';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return false;
}

const ready = needTools('chromium') && haveFont();

describe.skipIf(!ready)('tray renderer in Chromium (test bridge → main-process logic → fake agent)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;

  beforeAll(async () => {
    expect(existsSync(path.join(rendererDir, 'renderer.js'))).toBe(true);
    await mkdir(artifacts, { recursive: true });
    server = await serveRenderer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  interface Opened {
    page: Page;
    agent: FakeAgentConnection;
    backend: MainProcessBackend;
    pageErrors: string[];
  }

  async function open(options: Partial<FakeAgentOptions> = {}, screen: AppScreen = 'lock'): Promise<Opened> {
    const agent = createFakeAgentConnection({ nowMs: () => Date.now(), validCodes: ['246810', '135790'], ...options });
    const backend = createMainProcessBackend(agent, screen);
    const page = await browser.newPage({ viewport: { width: 1024, height: 720 }, locale: 'ja-JP' });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await installTestBridge(page, backend);
    await page.goto(server.url(screen));
    await page.waitForSelector('main#app');
    return { page, agent, backend, pageErrors };
  }

  async function close(opened: Opened, options: { cspBlocksExpected?: boolean } = {}): Promise<void> {
    opened.backend.app.stop();
    await opened.page.close();
    // No CSP violation, no script error: the renderer runs under the strict policy as shipped.
    // (A hostile input may be blocked by the CSP too; then only "blocked" reports are allowed.)
    const errors = options.cspBlocksExpected
      ? opened.pageErrors.filter((text) => !/violates the following Content Security Policy directive.*The action has been blocked/.test(text))
      : opened.pageErrors;
    expect(errors).toEqual([]);
  }

  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  async function submitCode(page: Page, code: string): Promise<void> {
    await page.fill('#code-input', code);
    await page.click('#unlock-button');
  }

  it('shows the lock screen in Japanese with a numeric code input', async () => {
    const opened = await open();
    const { page } = opened;
    await expect.poll(() => page.textContent('#lock-title')).toBe('この端末はロックされています');
    expect(await page.textContent('#lock-user')).toBe('利用者: staff01');
    expect(await page.textContent('#lock-reason')).toBe('ロックの理由: ログイン後の本人確認です');
    expect(await page.getAttribute('#code-input', 'inputmode')).toBe('numeric');
    expect(await page.getAttribute('#code-input', 'autocomplete')).toBe('one-time-code');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
    await shot(page, 'lock-screen-ja');
    await close(opened);
  });

  it('wrong code → a Japanese message with the attempts left; the field is cleared', async () => {
    const opened = await open({ maxFailures: 5 });
    const { page } = opened;
    await submitCode(page, '000000');
    await expect.poll(() => page.textContent('#lock-message')).toContain('確認コードが正しくありません');
    expect(await page.textContent('#lock-message')).toContain('あと 4 回');
    expect(await page.inputValue('#code-input')).toBe('');
    await shot(page, 'lock-wrong-code-ja');
    await submitCode(page, '12ab');
    await expect.poll(() => page.textContent('#lock-message')).toContain('確認コードの形式が正しくありません');
    await close(opened);
  });

  it('right code (full-width digits from an IME) → unlocked view; the same code again → replayed', async () => {
    const opened = await open();
    const { page, agent } = opened;
    await submitCode(page, '２４６８１０');
    await expect.poll(() => page.isVisible('#unlocked-panel')).toBe(true);
    expect(await page.textContent('#lock-title')).toBe('ロックは解除されています');
    expect(await page.textContent('#unlocked-panel')).toBe('ロックを解除しました。');
    expect(opened.backend.window().visible).toBe(false);
    await shot(page, 'lock-unlocked-ja');
    agent.lock('idle');
    await expect.poll(() => page.isVisible('#lock-panel')).toBe(true);
    expect(await page.textContent('#lock-reason')).toBe('ロックの理由: 一定時間操作がありませんでした');
    await submitCode(page, '246810');
    await expect.poll(() => page.textContent('#lock-message')).toContain('この確認コードはすでに使われています');
    await close(opened);
  });

  it('lockout → a live countdown of the time left, input disabled meanwhile', async () => {
    const opened = await open({ maxFailures: 2, lockoutMs: 65_000 });
    const { page } = opened;
    await submitCode(page, '000000');
    await expect.poll(() => page.textContent('#lock-message')).toContain('あと 1 回');
    await submitCode(page, '000001');
    await expect.poll(() => page.isVisible('#lock-countdown')).toBe(true);
    const seconds = async (): Promise<number> => {
      const text = (await page.textContent('#lock-countdown')) ?? '';
      const match = /あと (\d+):(\d{2}) で再び入力できます/.exec(text);
      if (match === null) throw new Error(`no countdown in: ${text}`);
      return Number(match[1]) * 60 + Number(match[2]);
    };
    const first = await seconds();
    expect(first).toBeGreaterThan(60);
    expect(first).toBeLessThanOrEqual(65);
    expect(await page.isDisabled('#code-input')).toBe(true);
    await shot(page, 'lock-locked-out-ja');
    await page.waitForTimeout(2_100);
    const second = await seconds();
    expect(second).toBeLessThan(first);
    expect(first - second).toBeLessThanOrEqual(3);
    await close(opened);
  });

  it('agent unreachable → says so, keeps the lock, and recovers when the agent is back', async () => {
    const opened = await open();
    const { page, agent } = opened;
    agent.setLinkState('disconnected');
    await expect.poll(() => page.textContent('#lock-standing')).toContain('エージェントに接続できません');
    expect(await page.isDisabled('#code-input')).toBe(true);
    expect(await page.isVisible('#lock-panel')).toBe(true);
    await shot(page, 'lock-agent-unreachable-ja');
    agent.setLinkState('connected');
    await expect.poll(() => page.isDisabled('#code-input')).toBe(false);
    expect(await page.isVisible('#lock-standing')).toBe(false);
    await close(opened);
  });

  it('not enrolled → says so and offers enrollment; the QR is shown once and cleared after use', async () => {
    const secretUri = 'otpauth://totp/mynumber-guard:staff01?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=mynumber-guard';
    const qrSvg = await QRCode.toString(secretUri, { type: 'svg', errorCorrectionLevel: 'M' });
    const qrPath = /d="([^"]{40})/.exec(qrSvg)?.[1];
    expect(qrPath).toBeDefined();
    const opened = await open({ enrolled: false, qrSvg });
    const { page } = opened;
    await expect.poll(() => page.textContent('#lock-standing')).toContain('トークンが登録されていません');
    await shot(page, 'lock-not-enrolled-ja');
    await page.click('#lock-enroll-button');
    await page.click('#enroll-start');
    await expect.poll(() => page.locator('#enroll-qr svg path').count()).toBeGreaterThan(0);
    expect(await page.content()).toContain(qrPath);
    await shot(page, 'enrollment-qr-ja');
    await page.fill('#enroll-code', '999999');
    await page.click('#enroll-confirm');
    await expect.poll(() => page.textContent('#enroll-message')).toContain('確認コードが正しくありません');
    expect(await page.locator('#enroll-qr svg').count()).toBe(1);
    await page.fill('#enroll-code', '135790');
    await page.click('#enroll-confirm');
    await expect.poll(() => page.textContent('#enroll-message')).toContain('登録が完了しました');
    expect(await page.locator('#enroll-qr').evaluate((node) => node.childNodes.length)).toBe(0);
    expect(await page.content()).not.toContain(qrPath);
    await shot(page, 'enrollment-done-ja');
    await close(opened);
  });

  it('the QR is cleared on cancel as well', async () => {
    const opened = await open({ enrolled: false }, 'enrollment');
    const { page } = opened;
    await page.click('#enroll-start');
    await expect.poll(() => page.locator('#enroll-qr svg').count()).toBe(1);
    await page.click('#enroll-cancel');
    expect(await page.locator('#enroll-qr').evaluate((node) => node.childNodes.length)).toBe(0);
    expect(await page.isVisible('#enroll-start')).toBe(true);
    await close(opened);
  });

  it('a hostile QR SVG loses scripts, foreignObject, links, handlers and styles', async () => {
    const hostile = [
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="window.__pwned=1">',
      '<script>window.__pwned=2</script>',
      '<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="window.__pwned=3"/></div></foreignObject>',
      '<a href="javascript:window.__pwned=4"><rect width="5" height="5"/></a>',
      '<use xlink:href="#p"/><image href="https://example.org/x.png"/>',
      '<style>rect{fill:red}</style>',
      '<path id="p" d="M0 0h4v4H0z" fill="url(#g)" style="fill:red" onclick="window.__pwned=5"/>',
      '<rect x="5" y="5" width="5" height="5" fill="#000000"/>',
      '</svg>',
    ].join('');
    const opened = await open({ enrolled: false, qrSvg: hostile }, 'enrollment');
    const { page } = opened;
    await page.click('#enroll-start');
    await expect.poll(() => page.locator('#enroll-qr svg').count()).toBe(1);
    const inserted = await page.locator('#enroll-qr').innerHTML();
    expect(inserted).not.toMatch(/script|foreignObject|<a|href|<use|<image|<style|onload|onclick|onerror|url\(|style=/i);
    expect(inserted).toContain('<rect x="5" y="5" width="5" height="5" fill="#000000"></rect>');
    expect(inserted).toContain('<path d="M0 0h4v4H0z"></path>');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // Parsing the hostile text already meets the CSP (handlers and style attributes are refused
    // there too): defence in depth, the sanitizer never copies them anyway.
    await close(opened, { cspBlocksExpected: true });
  });

  it('shows a notification when a device is blocked', async () => {
    const opened = await open();
    const { page, agent, backend } = opened;
    agent.notify({
      id: 7,
      at: new Date().toISOString(),
      kind: 'usb-blocked',
      title: { ja: 'USB 機器をブロックしました', en: 'USB device blocked' },
      body: { ja: '許可されていない USB メモリ（Demo Stick）が接続されました。', en: 'A USB stick that is not allowed (Demo Stick) was connected.' },
    });
    await expect.poll(() => page.textContent('#notifications')).toContain('USB 機器をブロックしました');
    expect(backend.facade.notifications).toEqual([{ title: 'USB 機器をブロックしました', body: '許可されていない USB メモリ（Demo Stick）が接続されました。' }]);
    expect(backend.app.tray.icon).toBe('violation');
    await shot(page, 'lock-notification-ja');
    await close(opened);
  });

  it('the status view shows the state and locks on "lock now"; English is available', async () => {
    const opened = await open({}, 'status');
    const { page, backend } = opened;
    await expect.poll(() => page.textContent('#status-state')).toBe('ロック中');
    expect(await page.isDisabled('#status-lock-now')).toBe(true);
    const unlock = (await backend.invoke('tray:unlock', { code: '246810' })) as { ok: boolean };
    expect(unlock.ok).toBe(true);
    await expect.poll(() => page.textContent('#status-state')).toBe('利用可能');
    await shot(page, 'status-unlocked-ja');
    await page.click('#lang-toggle');
    await expect.poll(() => page.textContent('#status-state')).toBe('Unlocked');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await shot(page, 'status-unlocked-en');
    await page.click('#status-lock-now');
    await expect.poll(() => page.textContent('#status-state')).toBe('Locked');
    await close(opened);
  });

  it('lock trigger → lock screen visible: measured (the bench reports it; the budget is 300 ms)', async () => {
    const opened = await open();
    const { page, agent, backend } = opened;
    const samples: number[] = [];
    const rounds = 20;
    for (let round = 0; round < rounds; round += 1) {
      const code = String(100_000 + round);
      agent.addValidCode(code);
      const reply = (await backend.invoke('tray:unlock', { code })) as { ok: boolean; value: { code: string } };
      expect(reply.value.code).toBe('unlocked');
      await page.waitForFunction(() => document.querySelector('main')?.dataset.state === 'unlocked', undefined, { polling: 'raf' });
      const started = performance.now();
      agent.lock('idle');
      await page.waitForFunction(
        () => document.querySelector('main')?.dataset.state === 'locked' && !(document.querySelector('#lock-panel') as HTMLElement).hidden,
        undefined,
        { polling: 'raf' },
      );
      samples.push(performance.now() - started);
      // The main-process side of the same trigger: the lock window is shown synchronously.
      expect(backend.window().visible).toBe(true);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const at = (q: number): number => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1));
    const figures = { bench: 'tray-renderer lock-visible', rounds, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: at(1) };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    // A behaviour check, not a benchmark: a lock that does not show within seconds is broken.
    expect(figures.maxMs).toBeLessThan(2_000);
    await close(opened);
  });
});
