/**
 * The status window: lock state, user, how long the unlock lasts, the agent link, and the actions
 * "lock now" and "enroll a token".
 */
import type { TrayView } from '../shared/protocol/tray-bridge';
import { el, setShown } from './dom';
import { agentWords, formatClock, labels, stateWords } from './messages';
import type { Screen, UiContext } from './ui-context';

/** Creates the status view. */
export function createStatusView(ctx: UiContext): Screen {
  const { doc } = ctx;
  const title = el(doc, 'h1', { id: 'status-title' });
  const rows = {
    state: el(doc, 'dd', { id: 'status-state' }),
    user: el(doc, 'dd', { id: 'status-user' }),
    unlockedUntil: el(doc, 'dd', { id: 'status-until' }),
    agent: el(doc, 'dd', { id: 'status-agent' }),
  };
  const terms = { state: el(doc, 'dt'), user: el(doc, 'dt'), unlockedUntil: el(doc, 'dt'), agent: el(doc, 'dt') };
  const list = el(doc, 'dl', { className: 'status' }, [
    terms.state,
    rows.state,
    terms.user,
    rows.user,
    terms.unlockedUntil,
    rows.unlockedUntil,
    terms.agent,
    rows.agent,
  ]);
  const lockNow = el(doc, 'button', { id: 'status-lock-now', attrs: { type: 'button' } });
  const enroll = el(doc, 'button', { id: 'status-enroll', className: 'secondary', attrs: { type: 'button' } });
  const root = el(doc, 'section', { id: 'status-view', className: 'screen', attrs: { 'aria-labelledby': 'status-title' } }, [
    title,
    list,
    lockNow,
    enroll,
  ]);

  lockNow.addEventListener('click', () => {
    lockNow.disabled = true;
    ctx.bridge.lockNow().then(ctx.setView, () => undefined).finally(() => ctx.setView(ctx.view()));
  });
  enroll.addEventListener('click', () => ctx.show('enrollment'));

  const draw = (view: TrayView): void => {
    title.textContent = ctx.t(labels.statusTitle);
    terms.state.textContent = ctx.t(labels.state);
    terms.user.textContent = ctx.t(labels.user);
    terms.unlockedUntil.textContent = ctx.t(labels.unlockedUntil);
    terms.agent.textContent = ctx.t(labels.agent);
    rows.state.textContent = ctx.t(stateWords[view.state]);
    rows.state.dataset.state = view.state;
    rows.user.textContent = view.user ?? '—';
    rows.unlockedUntil.textContent = formatClock(view.unlockedUntil, view.lang);
    rows.agent.textContent = ctx.t(agentWords[view.agent]);
    lockNow.textContent = ctx.t(labels.lockNow);
    lockNow.disabled = !(view.agent === 'connected' && view.state === 'unlocked');
    enroll.textContent = ctx.t(labels.enrollButton);
    setShown(enroll, view.agent === 'connected' && !view.enrolled);
  };

  return { root, update: draw };
}
