/**
 * Text the main process shows itself (tray tooltip, menu, window titles, about). Japanese first
 * (STYLE.md §6). The renderer has its own messages for the screens.
 */
import { msg, type Localized } from '../shared/i18n';
import type { TrayIconState } from './facade';

/** Tooltip per tray icon state. */
export const trayToolTips: Readonly<Record<TrayIconState, Localized>> = {
  locked: msg('mynumber-guard: ロック中（確認コードを入力してください）', 'mynumber-guard: locked (enter your code)'),
  unlocked: msg('mynumber-guard: 利用可能', 'mynumber-guard: unlocked'),
  violation: msg('mynumber-guard: 操作がブロックされました', 'mynumber-guard: an action was blocked'),
  'agent-unreachable': msg(
    'mynumber-guard: エージェントに接続できません（ロックは維持されます）',
    'mynumber-guard: cannot reach the agent (the lock stays)',
  ),
};

/** Tray menu labels. */
export const menuLabels = {
  status: msg('状態を表示', 'Show status'),
  lockNow: msg('今すぐロック', 'Lock now'),
  enroll: msg('トークンを登録', 'Enroll a token'),
  about: msg('mynumber-guard について', 'About mynumber-guard'),
} as const;

/** Window titles. */
export const windowTitles = {
  lock: msg('mynumber-guard ロック', 'mynumber-guard lock'),
  status: msg('mynumber-guard 状態', 'mynumber-guard status'),
  enrollment: msg('mynumber-guard トークン登録', 'mynumber-guard token enrollment'),
} as const;

/** The about panel. */
export function aboutText(version: string): { title: Localized; detail: Localized } {
  return {
    title: msg('mynumber-guard について', 'About mynumber-guard'),
    detail: msg(
      `mynumber-guard ${version}\nマイナンバー利用事務系端末の多要素認証・持ち出し制御`,
      `mynumber-guard ${version}\nMulti-factor unlock and export control for My Number zone terminals`,
    ),
  };
}
