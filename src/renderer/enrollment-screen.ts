/**
 * The enrollment screen: asks the agent for a one-time QR code, shows it (sanitized, see
 * svg-sanitizer.ts), and completes enrollment with a correct code. The QR is the secret in picture
 * form, so it is removed from the page and every reference to it dropped as soon as it is no
 * longer needed: on success, on cancel, when it expires, when the screen is left or hidden.
 * (JavaScript strings cannot be wiped; dropping every reference is what the page can do.)
 */
import type { TrayView } from '../shared/protocol/tray-bridge';
import { el, setShown } from './dom';
import { enrollmentMessage, formatClock, labels } from './messages';
import { sanitizeSvg } from './svg-sanitizer';
import type { Screen, UiContext } from './ui-context';

/** Creates the enrollment screen. `back` is shown when the screen was opened from another one. */
export function createEnrollmentScreen(ctx: UiContext, back: (() => void) | null): Screen {
  const { doc } = ctx;
  const title = el(doc, 'h1', { id: 'enroll-title' });
  const intro = el(doc, 'p', { id: 'enroll-intro' });
  const start = el(doc, 'button', { id: 'enroll-start', attrs: { type: 'button' } });
  const qr = el(doc, 'div', { id: 'enroll-qr', className: 'qr', attrs: { role: 'img' } });
  const expires = el(doc, 'p', { id: 'enroll-expires', className: 'meta' });
  const codeLabel = el(doc, 'label', { attrs: { for: 'enroll-code' } });
  const input = el(doc, 'input', {
    id: 'enroll-code',
    attrs: { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '64', spellcheck: 'false' },
  });
  const confirm = el(doc, 'button', { id: 'enroll-confirm', attrs: { type: 'submit' } });
  const cancel = el(doc, 'button', { id: 'enroll-cancel', className: 'secondary', attrs: { type: 'button' } });
  const form = el(doc, 'form', { id: 'enroll-form', attrs: { novalidate: '' } }, [codeLabel, input, confirm, cancel]);
  const message = el(doc, 'p', { id: 'enroll-message', className: 'message', attrs: { role: 'alert', 'aria-live': 'assertive' } });
  const backButton = el(doc, 'button', { id: 'enroll-back', className: 'secondary', attrs: { type: 'button' } });
  const root = el(doc, 'section', { id: 'enrollment-screen', className: 'screen', attrs: { 'aria-labelledby': 'enroll-title' } }, [
    title,
    intro,
    start,
    qr,
    expires,
    form,
    message,
    backButton,
  ]);

  let enrollmentId: string | null = null;
  let expiresAt: string | null = null;
  let expiryTimer: ReturnType<typeof setTimeout> | null = null;
  let lastMessage: string | null = null;
  let busy = false;

  /** Removes the QR from the page and forgets the enrollment. */
  const clearQr = (): void => {
    qr.replaceChildren();
    enrollmentId = null;
    expiresAt = null;
    input.value = '';
    if (expiryTimer !== null) clearTimeout(expiryTimer);
    expiryTimer = null;
  };

  const draw = (view: TrayView): void => {
    const active = enrollmentId !== null;
    title.textContent = ctx.t(labels.enrollTitle);
    intro.textContent = ctx.t(labels.enrollIntro);
    start.textContent = ctx.t(labels.enrollStart);
    codeLabel.textContent = ctx.t(labels.codeLabel);
    confirm.textContent = ctx.t(labels.enrollConfirm);
    cancel.textContent = ctx.t(labels.enrollCancel);
    backButton.textContent = ctx.t(labels.back);
    qr.setAttribute('aria-label', ctx.t(labels.qrAlt));
    expires.textContent = active ? `${ctx.t(labels.enrollExpires)}: ${formatClock(expiresAt, view.lang)}` : '';
    message.textContent = lastMessage === null ? '' : ctx.t(enrollmentMessage(lastMessage));
    setShown(start, !active);
    start.disabled = busy || view.agent === 'unreachable';
    setShown(qr, active);
    setShown(expires, active);
    setShown(form, active);
    confirm.disabled = busy;
    setShown(backButton, back !== null && !active);
  };

  start.addEventListener('click', () => {
    if (busy) return;
    busy = true;
    lastMessage = null;
    draw(ctx.view());
    ctx.bridge
      .beginEnrollment()
      .then((answer) => {
        busy = false;
        if (!answer.ok) {
          lastMessage = answer.code;
          return;
        }
        const svg = sanitizeSvg(answer.qrSvg, doc);
        if (svg === null) {
          lastMessage = 'malformed-qr';
          return;
        }
        enrollmentId = answer.enrollmentId;
        expiresAt = answer.expiresAt;
        qr.replaceChildren(svg);
        const untilMs = Date.parse(answer.expiresAt) - Date.now();
        if (Number.isFinite(untilMs)) {
          expiryTimer = setTimeout(() => {
            clearQr();
            lastMessage = 'expired';
            draw(ctx.view());
          }, Math.max(0, untilMs));
        }
      })
      .catch(() => {
        busy = false;
        lastMessage = 'bridge-failed';
      })
      .finally(() => {
        draw(ctx.view());
        if (enrollmentId !== null) input.focus();
      });
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy || enrollmentId === null) return;
    const code = input.value;
    input.value = '';
    busy = true;
    draw(ctx.view());
    ctx.bridge
      .confirmEnrollment(enrollmentId, code)
      .then((answer) => {
        busy = false;
        lastMessage = answer.code;
        // Done, or the enrollment is gone: the QR has no further use.
        if (answer.code !== 'wrong-code' && answer.code !== 'malformed') clearQr();
      })
      .catch(() => {
        busy = false;
        lastMessage = 'bridge-failed';
      })
      .finally(() => draw(ctx.view()));
  });

  cancel.addEventListener('click', () => {
    clearQr();
    lastMessage = null;
    draw(ctx.view());
  });
  backButton.addEventListener('click', () => back?.());
  // A hidden page (window hidden, minimised, screen locked) must not keep the QR around.
  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState === 'hidden' && enrollmentId !== null) {
      clearQr();
      draw(ctx.view());
    }
  });

  return {
    root,
    update: draw,
    leave() {
      clearQr();
      lastMessage = null;
    },
  };
}
