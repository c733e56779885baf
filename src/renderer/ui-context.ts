/**
 * What every screen of the renderer shares: the bridge, the document, the current view, and a
 * way to switch screens.
 */
import type { Localized } from '../shared/i18n';
import type { TrayBridge, TrayView } from '../shared/protocol/tray-bridge';

/** The screens of the renderer (from the URL hash of the window). */
export type ScreenName = 'lock' | 'status' | 'enrollment';

/** One screen: a root element and how it follows the view. */
export interface Screen {
  readonly root: HTMLElement;
  update(view: TrayView): void;
  /** Called when the screen is left (drop anything sensitive it holds). */
  leave?(): void;
}

/** Shared by the screens. */
export interface UiContext {
  readonly bridge: TrayBridge;
  readonly doc: Document;
  /** The latest view (a placeholder "unknown" view until the first one arrives). */
  view(): TrayView;
  /** Takes a view returned by a bridge call and re-renders every screen. */
  setView(view: TrayView): void;
  show(screen: ScreenName): void;
  /** Text of a message in the current language. */
  t(message: Localized): string;
  /** Monotonic milliseconds (performance.now in the page). */
  nowMs(): number;
}

/** The view shown before the bridge answered: nothing known, so the lock screen. */
export function initialView(lang: 'ja' | 'en'): TrayView {
  return {
    agent: 'connected',
    state: 'unknown',
    reason: null,
    user: null,
    unlockedUntil: null,
    graceEndsAt: null,
    enrolled: true,
    lockout: null,
    lang,
  };
}
