/**
 * The lock screen: who is locked and why, the code input (numeric keyboard, one-time-code
 * autofill), and clear Japanese messages for every outcome, including a live countdown while
 * locked out. The typed code is cleared from the input as soon as it is sent.
 */
import type { Localized } from '../shared/i18n';
import type { LockReason } from '../shared/protocol/agent-ipc';
import type { TrayView } from '../shared/protocol/tray-bridge';
import { el, setShown } from './dom';
import { labels, lockedOutMessage, reasonWords, standing, unlockReplyMessage } from './messages';
import type { Screen, UiContext } from './ui-context';

/** How often the countdown redraws (ms). */
const countdownTickMs = 250;

/** Creates the lock screen. */
export function createLockScreen(ctx: UiContext): Screen {
  const { doc } = ctx;
  const title = el(doc, 'h1', { id: 'lock-title' });
  const userLine = el(doc, 'p', { id: 'lock-user', className: 'meta' });
  const reasonLine = el(doc, 'p', { id: 'lock-reason', className: 'meta' });
  const prompt = el(doc, 'p', { id: 'lock-prompt' });
  const codeLabel = el(doc, 'label', { attrs: { for: 'code-input' } });
  const input = el(doc, 'input', {
    id: 'code-input',
    attrs: { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '64', spellcheck: 'false', autocapitalize: 'off' },
  });
  const button = el(doc, 'button', { id: 'unlock-button', attrs: { type: 'submit' } });
  const form = el(doc, 'form', { id: 'unlock-form', attrs: { novalidate: '' } }, [codeLabel, input, button]);
  const standingLine = el(doc, 'p', { id: 'lock-standing', className: 'standing', attrs: { role: 'status' } });
  const message = el(doc, 'p', { id: 'lock-message', className: 'message', attrs: { role: 'alert', 'aria-live': 'assertive' } });
  const countdown = el(doc, 'p', { id: 'lock-countdown', className: 'countdown', attrs: { 'aria-live': 'polite' } });
  const enrollButton = el(doc, 'button', { id: 'lock-enroll-button', className: 'secondary', attrs: { type: 'button' } });
  const lockedPanel = el(doc, 'div', { id: 'lock-panel' }, [userLine, reasonLine, prompt, form, standingLine, message, countdown, enrollButton]);
  const unlockedPanel = el(doc, 'div', { id: 'unlocked-panel' });
  const root = el(doc, 'section', { id: 'lock-screen', className: 'screen lock', attrs: { 'aria-labelledby': 'lock-title' } }, [
    title,
    lockedPanel,
    unlockedPanel,
  ]);

  let reply: Localized | null = null;
  let busy = false;
  /** Monotonic deadline of the lockout (ms), or null. */
  let lockoutDeadline: number | null = null;
  let adminReset = false;
  let ticker: ReturnType<typeof setInterval> | null = null;
  let lastLockout: string | null = null;
  let lastState: TrayView['state'] | null = null;

  const remainingMs = (): number => (lockoutDeadline === null ? 0 : Math.max(0, lockoutDeadline - ctx.nowMs()));

  const stopTicker = (): void => {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  };

  const drawCountdown = (): void => {
    const waiting = adminReset || remainingMs() > 0;
    countdown.textContent = waiting ? ctx.t(lockedOutMessage(remainingMs(), adminReset)) : '';
    setShown(countdown, waiting);
  };

  const tick = (): void => {
    drawCountdown();
    if (!adminReset && lockoutDeadline !== null && remainingMs() === 0) {
      lockoutDeadline = null;
      stopTicker();
      reply = standing.retryReady;
      draw(ctx.view());
      // Ask for the current state: the agent may count differently after the wait.
      ctx.bridge.view().then(ctx.setView, () => undefined);
    }
  };

  const takeLockout = (view: TrayView): void => {
    const lockout = view.lockout;
    const key = lockout === null ? null : JSON.stringify(lockout);
    // Only a changed lockout restarts the countdown; the same view pushed twice must not extend it.
    if (key === lastLockout) return;
    lastLockout = key;
    adminReset = lockout?.adminResetRequired ?? false;
    lockoutDeadline = lockout !== null && lockout.retryAfterMs > 0 ? ctx.nowMs() + lockout.retryAfterMs : null;
    if ((lockoutDeadline !== null || adminReset) && ticker === null) ticker = setInterval(tick, countdownTickMs);
    if (lockoutDeadline === null && !adminReset) stopTicker();
  };

  // A reason this build does not know (a newer agent) is shown as the agent sent it.
  const reasonText = (reason: string): string =>
    Object.hasOwn(reasonWords, reason) ? ctx.t(reasonWords[reason as LockReason]) : reason;

  const draw = (view: TrayView): void => {
    const unlocked = view.state === 'unlocked';
    title.textContent = ctx.t(unlocked ? labels.unlockedTitle : labels.lockTitle);
    setShown(lockedPanel, !unlocked);
    setShown(unlockedPanel, unlocked);
    unlockedPanel.textContent = unlocked && reply !== null ? ctx.t(reply) : '';
    userLine.textContent = view.user === null ? '' : `${ctx.t(labels.user)}: ${view.user}`;
    reasonLine.textContent = view.reason === null ? '' : `${ctx.t(labels.reason)}: ${reasonText(view.reason)}`;
    prompt.textContent = ctx.t(labels.codePrompt);
    codeLabel.textContent = ctx.t(labels.codeLabel);
    button.textContent = ctx.t(labels.unlockButton);
    enrollButton.textContent = ctx.t(labels.enrollButton);

    let standingText: Localized | null = null;
    if (view.agent === 'unreachable') standingText = standing.agentUnreachable;
    else if (view.state === 'unknown' && view.user === null && view.lockout === null) standingText = null;
    else if (view.state === 'unknown') standingText = standing.noSession;
    else if (!view.enrolled) standingText = standing.notEnrolled;
    standingLine.textContent = standingText === null ? '' : ctx.t(standingText);
    setShown(standingLine, standingText !== null);
    setShown(enrollButton, view.agent === 'connected' && view.state === 'locked' && !view.enrolled);

    message.textContent = reply === null || unlocked ? '' : ctx.t(reply);
    drawCountdown();
    const blocked = busy || view.agent === 'unreachable' || adminReset || remainingMs() > 0;
    input.disabled = blocked;
    button.disabled = blocked;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const code = input.value;
    // The code is sent once and not kept: clear the field before the answer comes.
    input.value = '';
    busy = true;
    draw(ctx.view());
    ctx.bridge
      .unlock(code)
      .then((answer) => {
        busy = false;
        // The countdown says "locked out" itself, with the time left.
        reply = answer.code === 'locked-out' ? null : unlockReplyMessage(answer);
        lastLockout = null;
        ctx.setView(answer.view);
      })
      .catch(() => {
        busy = false;
        reply = standing.bridgeFailed;
        draw(ctx.view());
      })
      .finally(() => {
        if (!input.disabled) input.focus();
      });
  });
  enrollButton.addEventListener('click', () => ctx.show('enrollment'));

  return {
    root,
    update(view) {
      // A new lock starts with a clean screen (no "unlocked" or old error text).
      if (view.state !== 'unlocked' && lastState === 'unlocked') reply = null;
      lastState = view.state;
      takeLockout(view);
      draw(view);
      if (!input.disabled && root.isConnected && !root.hidden && doc.activeElement !== input) input.focus();
    },
    leave() {
      input.value = '';
    },
  };
}
