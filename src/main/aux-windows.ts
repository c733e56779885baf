/**
 * The ordinary windows of the tray app: the status window and the enrollment window (one of each
 * at most; opening again focuses it). Both come from the secure window factory.
 */
import type { ElectronFacade, Rect, WindowHandle } from './facade';
import { createSecureWindow, loadWindowScreen } from './window-factory';

/** Kinds of ordinary window. */
export type AuxWindowKind = 'status' | 'enrollment';

/** The ordinary windows. */
export interface AuxWindows {
  open(kind: AuxWindowKind): void;
  owns(windowId: number): boolean;
  broadcast(channel: string, payload: unknown): void;
  /** Closes one kind (e.g. the enrollment window once enrollment is done). */
  close(kind: AuxWindowKind): void;
  destroyAll(): void;
}

/** Centre a `width`×`height` window on the primary display. Pure. */
export function centreOnPrimary(displays: readonly { primary: boolean; bounds: Rect }[], width: number, height: number): Rect {
  const primary = displays.find((display) => display.primary) ?? displays[0];
  if (primary === undefined) return { x: 0, y: 0, width, height };
  return {
    x: Math.round(primary.bounds.x + (primary.bounds.width - width) / 2),
    y: Math.round(primary.bounds.y + (primary.bounds.height - height) / 2),
    width,
    height,
  };
}

/** Creates the ordinary-window holder. */
export function createAuxWindows(options: {
  readonly facade: ElectronFacade;
  readonly preloadPath: string;
  readonly title: (kind: AuxWindowKind) => string;
  readonly onLoadError: (error: unknown) => void;
}): AuxWindows {
  const open = new Map<AuxWindowKind, WindowHandle>();
  return {
    open(kind) {
      const existing = open.get(kind);
      if (existing !== undefined && !existing.isDestroyed()) {
        existing.show();
        existing.focus();
        return;
      }
      const size = kind === 'status' ? { width: 480, height: 560 } : { width: 520, height: 720 };
      const bounds = centreOnPrimary(options.facade.screen.getAllDisplays(), size.width, size.height);
      const window = createSecureWindow(options.facade, { kind, bounds, title: options.title(kind) }, options.preloadPath);
      window.onCloseRequest(() => true);
      window.onClosed(() => {
        if (open.get(kind) === window) open.delete(kind);
      });
      open.set(kind, window);
      loadWindowScreen(window, kind)
        .then(() => {
          if (!window.isDestroyed()) window.show();
        })
        .catch(options.onLoadError);
    },
    owns(windowId) {
      for (const window of open.values()) if (window.id === windowId) return true;
      return false;
    },
    broadcast(channel, payload) {
      for (const window of open.values()) if (!window.isDestroyed()) window.send(channel, payload);
    },
    close(kind) {
      const window = open.get(kind);
      open.delete(kind);
      if (window !== undefined && !window.isDestroyed()) window.destroy();
    },
    destroyAll() {
      for (const window of open.values()) window.destroy();
      open.clear();
    },
  };
}
