import { describe, expect, it } from 'vitest';
import { unlockResultCodes } from '../shared/protocol/agent-ipc';
import type { TrayView, UnlockReply } from '../shared/protocol/tray-bridge';
import { enrollmentMessage, formatCountdown, lockedOutMessage, unlockReplyMessage } from './messages';

const view: TrayView = {
  agent: 'connected',
  state: 'locked',
  reason: 'login',
  user: 'staff01',
  unlockedUntil: null,
  graceEndsAt: null,
  enrolled: true,
  lockout: { failures: 2, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false },
  lang: 'ja',
};

describe('renderer messages', () => {
  it.each([
    [0, '0:00'],
    [1, '0:01'],
    [999, '0:01'],
    [1000, '0:01'],
    [59_001, '1:00'],
    [65_000, '1:05'],
    [3_600_000, '1:00:00'],
    [-5, '0:00'],
  ])('formats %i ms as %s (rounding up)', (ms, text) => {
    expect(formatCountdown(ms)).toBe(text);
  });

  it('words every unlock code in both languages, Japanese first and distinct', () => {
    const codes: UnlockReply['code'][] = [...unlockResultCodes, 'agent-unreachable'];
    const texts = codes.map((code) => unlockReplyMessage({ code, view }));
    for (const text of texts) {
      expect(text.ja).toMatch(/[ぁ-んァ-ン一-龯]/);
      expect(text.en).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(new Set(texts.map((text) => text.ja)).size).toBe(codes.length);
  });

  it('says how many attempts are left after a wrong code', () => {
    expect(unlockReplyMessage({ code: 'wrong-code', view }).ja).toContain('あと 3 回');
    expect(unlockReplyMessage({ code: 'wrong-code', view: { ...view, lockout: null } }).ja).not.toContain('あと');
  });

  it('says when the lockout ends, or that an administrator must lift it', () => {
    expect(lockedOutMessage(65_000, false).ja).toContain('あと 1:05 で再び入力できます');
    expect(lockedOutMessage(0, true).ja).toContain('システム管理者に解除を依頼してください');
  });

  it('words enrollment codes, with a generic text for unknown ones', () => {
    expect(enrollmentMessage('enrolled').ja).toContain('登録が完了しました');
    expect(enrollmentMessage('expired').ja).toContain('有効期限が切れました');
    expect(enrollmentMessage('something-new').ja).toBe('処理できませんでした。もう一度お試しください。');
  });
});
