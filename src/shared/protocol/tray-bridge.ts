/**
 * The bridge between the tray app's renderer (UI only) and its main process (issue #5 item 4).
 * The preload exposes exactly these named methods on `window.mngTray` (never raw ipcRenderer);
 * main registers one handler per channel through its single gate, which checks the sender frame
 * and parses the input with these schemas. The renderer never sees a secret: it sends a typed
 * code and gets the agent's verdict code back.
 */
import { z } from 'zod';
import { lockoutViewSchema, notificationSchema, unlockResultCodes } from './agent-ipc';

/** The global the preload defines in the renderer. */
export const trayBridgeGlobal = 'mngTray';

/** What the lock / status screens show. */
export const trayViewSchema = z.strictObject({
  /** `unreachable`: the agent does not answer (the lock stays, the screen says so). */
  agent: z.enum(['connected', 'unreachable']),
  state: z.enum(['locked', 'unlocked', 'unknown']),
  reason: z.string().max(40).nullable(),
  user: z.string().max(256).nullable(),
  unlockedUntil: z.string().max(40).nullable(),
  graceEndsAt: z.string().max(40).nullable(),
  enrolled: z.boolean(),
  lockout: lockoutViewSchema.nullable(),
  lang: z.enum(['ja', 'en']),
});
export type TrayView = z.infer<typeof trayViewSchema>;

/** Result of a code submitted from the lock screen. `agent-unreachable` is the main process's own. */
export const unlockReplySchema = z.strictObject({
  code: z.enum([...unlockResultCodes, 'agent-unreachable']),
  view: trayViewSchema,
});
export type UnlockReply = z.infer<typeof unlockReplySchema>;

/** Invoke channels (renderer → main → reply) with their input schemas. */
export const trayChannels = {
  'tray:view': z.strictObject({}),
  'tray:unlock': z.strictObject({ code: z.string().max(64) }),
  'tray:lock-now': z.strictObject({}),
  'tray:enrollment-begin': z.strictObject({}),
  'tray:enrollment-confirm': z.strictObject({ enrollmentId: z.string().min(8).max(64), code: z.string().max(64) }),
  'tray:set-lang': z.strictObject({ lang: z.enum(['ja', 'en']) }),
} as const;
export type TrayChannel = keyof typeof trayChannels;

/** Push channels (main → renderer). */
export const trayPushChannels = { view: 'tray:view-changed', notification: 'tray:notification' } as const;

/** The API the preload exposes on `window.mngTray`. The test bridge in the renderer harness implements the same. */
export interface TrayBridge {
  view(): Promise<TrayView>;
  unlock(code: string): Promise<UnlockReply>;
  lockNow(): Promise<TrayView>;
  beginEnrollment(): Promise<{ readonly ok: true; readonly enrollmentId: string; readonly qrSvg: string; readonly expiresAt: string } | { readonly ok: false; readonly code: string }>;
  confirmEnrollment(enrollmentId: string, code: string): Promise<{ readonly code: string }>;
  setLang(lang: 'ja' | 'en'): Promise<TrayView>;
  /** Calls back on every view change; returns an unsubscribe function. */
  onView(listener: (view: TrayView) => void): () => void;
  onNotification(listener: (notification: z.infer<typeof notificationSchema>) => void): () => void;
}
