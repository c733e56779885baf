/**
 * Every text of the tray app's screens, Japanese first (STYLE.md §6). Messages for failures say
 * what happened and what to do. Pure: no DOM.
 */
import { msg, type Lang, type Localized } from '../shared/i18n';
import type { LockReason, UnlockResultCode } from '../shared/protocol/agent-ipc';
import type { TrayView, UnlockReply } from '../shared/protocol/tray-bridge';

/** Fixed labels. */
export const labels = {
  lockTitle: msg('この端末はロックされています', 'This terminal is locked'),
  unlockedTitle: msg('ロックは解除されています', 'This terminal is unlocked'),
  user: msg('利用者', 'User'),
  reason: msg('ロックの理由', 'Reason'),
  codeLabel: msg('確認コード（6桁）', 'Code (6 digits)'),
  codePrompt: msg('トークンに表示されている確認コードを入力してください。', 'Enter the code shown on your token.'),
  unlockButton: msg('ロック解除', 'Unlock'),
  statusTitle: msg('mynumber-guard の状態', 'mynumber-guard status'),
  state: msg('状態', 'State'),
  agent: msg('エージェント', 'Agent'),
  unlockedUntil: msg('解除の有効期限', 'Unlocked until'),
  enrolled: msg('トークン', 'Token'),
  lockNow: msg('今すぐロック', 'Lock now'),
  enrollButton: msg('トークンを登録', 'Enroll a token'),
  langToggle: msg('English', '日本語'),
  enrollTitle: msg('トークンの登録', 'Token enrollment'),
  enrollIntro: msg(
    '認証アプリ（支給されたスマートフォンなど）で QR コードを読み取り、表示された確認コードを入力してください。QR コードはこの画面で一度だけ表示されます。ほかの人に見せないでください。',
    'Scan the QR code with your authenticator app (for example an issued phone) and enter the code it shows. The QR code is shown once, on this screen only. Do not show it to anyone.',
  ),
  enrollStart: msg('登録を始める', 'Start enrollment'),
  enrollConfirm: msg('登録を完了', 'Finish enrollment'),
  enrollCancel: msg('中止', 'Cancel'),
  enrollExpires: msg('QR コードの有効期限', 'QR code valid until'),
  qrAlt: msg('登録用 QR コード', 'Enrollment QR code'),
  back: msg('戻る', 'Back'),
  notificationsLabel: msg('お知らせ', 'Notifications'),
} as const;

/** Lock state words for the status view. */
export const stateWords: Readonly<Record<TrayView['state'], Localized>> = {
  locked: msg('ロック中', 'Locked'),
  unlocked: msg('利用可能', 'Unlocked'),
  unknown: msg('不明（ロックを維持しています）', 'Unknown (the lock stays)'),
};

/** Agent link words for the status view. */
export const agentWords: Readonly<Record<TrayView['agent'], Localized>> = {
  connected: msg('接続中', 'Connected'),
  unreachable: msg('接続できません', 'Unreachable'),
};

/** Why the session is locked, as the lock screen says it. */
export const reasonWords: Readonly<Record<LockReason, Localized>> = {
  login: msg('ログイン後の本人確認です', 'Verification after login'),
  resume: msg('スリープから復帰しました', 'The terminal resumed from sleep'),
  'screen-unlock': msg('画面ロックが解除されました', 'The screen was unlocked'),
  idle: msg('一定時間操作がありませんでした', 'The terminal was idle'),
  manual: msg('手動でロックしました', 'Locked by hand'),
  expired: msg('利用できる時間が終わりました', 'The unlocked period ended'),
  'tray-missing': msg('トレイアプリが応答しませんでした', 'The tray app did not answer'),
  'no-policy': msg('ポリシーが読み込まれていません', 'No policy is loaded'),
  admin: msg('管理者がロックしました', 'Locked by an administrator'),
};

/** Standing messages of the lock screen that do not come from an unlock attempt. */
export const standing = {
  agentUnreachable: msg(
    'エージェントに接続できません。この端末のロックは維持されます。しばらく待っても解決しない場合は、システム管理者に連絡してください。',
    'Cannot reach the agent. The terminal stays locked. If this does not clear up after a while, contact your system administrator.',
  ),
  notEnrolled: msg(
    'トークンが登録されていません。「トークンを登録」を選ぶか、システム管理者に登録を依頼してください。',
    'No token is enrolled. Choose "Enroll a token" or ask your system administrator to enroll one.',
  ),
  noSession: msg(
    'この画面のセッションがエージェントに見つかりません。いったんログアウトして、もう一度ログインしてください。',
    'The agent does not know this session. Log out and log in again.',
  ),
  retryReady: msg('もう一度入力できます。', 'You can try again now.'),
  bridgeFailed: msg('処理できませんでした。もう一度お試しください。', 'That did not work. Please try again.'),
} as const;

/** "m:ss" for a countdown; rounds up so it never shows 0:00 while still waiting. */
export function formatCountdown(remainingMs: number): string {
  const totalSeconds = Math.max(0, Math.ceil(remainingMs / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

/** The locked-out message with the time left (or the admin-reset variant). */
export function lockedOutMessage(remainingMs: number, adminResetRequired: boolean): Localized {
  if (adminResetRequired) {
    return msg(
      '入力の誤りが続いたため、ロックされました。システム管理者に解除を依頼してください。',
      'Too many wrong codes: the lock can now be lifted only by your system administrator.',
    );
  }
  const left = formatCountdown(remainingMs);
  return msg(
    `入力の誤りが続いたため、一時的に入力できません。あと ${left} で再び入力できます。`,
    `Too many wrong codes. You can try again in ${left}.`,
  );
}

/** Attempts left before a lockout, or null when unknown. */
export function attemptsLeft(view: TrayView): number | null {
  if (view.lockout === null) return null;
  return Math.max(0, view.lockout.maxFailures - view.lockout.failures);
}

/** What the lock screen says after an unlock attempt. Countdown text is handled separately. */
export function unlockReplyMessage(reply: UnlockReply): Localized {
  const code: UnlockResultCode | 'agent-unreachable' = reply.code;
  switch (code) {
    case 'unlocked':
      return msg('ロックを解除しました。', 'Unlocked.');
    case 'emergency-accepted':
      return msg(
        '緊急コードでロックを解除しました。この利用は記録され、システム管理者に通知されます。',
        'Unlocked with an emergency code. This use is recorded and reported to your system administrator.',
      );
    case 'wrong-code': {
      const left = attemptsLeft(reply.view);
      return left === null
        ? msg('確認コードが正しくありません。トークンの表示を確かめて、もう一度入力してください。', 'Wrong code. Check your token and enter the code again.')
        : msg(
            `確認コードが正しくありません。トークンの表示を確かめて、もう一度入力してください（あと ${left} 回）。`,
            `Wrong code. Check your token and enter the code again (${left} ${left === 1 ? 'attempt' : 'attempts'} left).`,
          );
    }
    case 'malformed':
      return msg(
        '確認コードの形式が正しくありません。トークンに表示された数字（6桁、機種によっては8桁）だけを入力してください。',
        'That is not a valid code. Enter only the digits shown on your token (6, or 8 on some tokens).',
      );
    case 'replayed':
      return msg(
        'この確認コードはすでに使われています。トークンに次の確認コードが表示されるまで待ってから入力してください。',
        'This code has already been used. Wait for your token to show the next code, then enter it.',
      );
    case 'locked-out':
      return lockedOutMessage(reply.view.lockout?.retryAfterMs ?? 0, reply.view.lockout?.adminResetRequired ?? false);
    case 'not-enrolled':
      return standing.notEnrolled;
    case 'no-session':
      return standing.noSession;
    case 'not-locked':
      return msg('この端末はすでにロック解除されています。', 'This terminal is already unlocked.');
    case 'agent-unreachable':
      return standing.agentUnreachable;
  }
}

/** What the enrollment screen says for a begin/confirm code. */
export function enrollmentMessage(code: string): Localized {
  switch (code) {
    case 'enrolled':
      return msg('登録が完了しました。次回から、このトークンの確認コードでロックを解除します。', 'Enrollment complete. From now on, unlock with the codes of this token.');
    case 'wrong-code':
      return msg(
        '確認コードが正しくありません。認証アプリに表示されている最新のコードを入力してください。',
        'Wrong code. Enter the latest code your authenticator app shows.',
      );
    case 'malformed':
      return msg('確認コードは数字6桁で入力してください。', 'Enter the 6-digit code.');
    case 'expired':
    case 'not-found':
      return msg('登録の有効期限が切れました。もう一度「登録を始める」を選んでください。', 'The enrollment expired. Choose "Start enrollment" again.');
    case 'forbidden':
      return msg(
        'この端末では、ご自身でトークンを登録できません。システム管理者に登録を依頼してください。',
        'You cannot enroll a token yourself on this terminal. Ask your system administrator.',
      );
    case 'agent-unreachable':
    case 'unreachable':
      return standing.agentUnreachable;
    case 'malformed-qr':
      return msg(
        'QR コードを表示できませんでした。システム管理者に連絡してください。',
        'The QR code could not be shown. Contact your system administrator.',
      );
    case 'rate-limited':
      return msg('操作が続いたため、少し待ってからもう一度お試しください。', 'Too many requests. Wait a moment and try again.');
    default:
      return standing.bridgeFailed;
  }
}

/** Formats an ISO time as local HH:MM (or the raw text when it does not parse). */
export function formatClock(iso: string | null, lang: Lang): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}
