/**
 * The local IPC protocol between the agent (server, root) and its local clients: the tray app's
 * main process (one per logged-in user) and `mng` run by root. Issue #5 item 3.
 *
 * Transport: a Unix stream socket on Linux (`/run/mynumber-guard/agent.sock`), a named pipe on
 * Windows. Framing: one JSON object per line (UTF-8, `\n`), at most {@link maxFrameBytes} per frame;
 * a longer line closes the connection with `frame-too-large`.
 *
 * Authentication: the first frame is `hello` with the caller's uid and the token the agent wrote
 * for that uid (`/run/mynumber-guard/tokens/<uid>`, mode 0400, owned by that uid: only that user —
 * and root — can read it). Every later request is authorized by section × privilege: a user may
 * act only on their own sessions; `admin` methods need uid 0.
 *
 * Every frame is parsed with these schemas at the gate (STYLE.md §1.4); code behind the gate sees
 * typed values only. Errors never cross as exceptions: a response carries a stable code and the UI
 * words it (ja first).
 */
import { z } from 'zod';

/** Protocol version; a client with another version gets `unsupported-version`. */
export const agentIpcVersion = 1;

/** Largest frame either side accepts (bytes, including the newline). */
export const maxFrameBytes = 64 * 1024;

/** Who may call a method. `user`: any authenticated local user, on their own sessions; `admin`: uid 0 only. */
export type Privilege = 'user' | 'admin';

/** Unlock and enrollment outcomes the UI words (stable codes). */
export const unlockResultCodes = [
  'unlocked',
  'emergency-accepted',
  'wrong-code',
  'malformed',
  'replayed',
  'locked-out',
  'not-enrolled',
  'no-session',
  'not-locked',
] as const;
export type UnlockResultCode = (typeof unlockResultCodes)[number];

/** Error codes of a failed request (the request itself, not an unlock verdict). */
export const ipcErrorCodes = [
  'bad-frame',
  'frame-too-large',
  'unsupported-version',
  'not-authenticated',
  'authentication-failed',
  'forbidden',
  'unknown-method',
  'bad-params',
  'rate-limited',
  'not-found',
  'internal',
] as const;
export type IpcErrorCode = (typeof ipcErrorCodes)[number];

/** Why a session is locked (what the lock screen says). */
export const lockReasons = ['login', 'resume', 'screen-unlock', 'idle', 'manual', 'expired', 'tray-missing', 'no-policy', 'admin'] as const;
export type LockReason = (typeof lockReasons)[number];

const sessionId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const isoTime = z.string().min(1).max(40);

/** The lockout counter as the UI shows it. */
export const lockoutViewSchema = z.strictObject({
  failures: z.number().int().min(0),
  maxFailures: z.number().int().min(1),
  /** ms until the next attempt is accepted; 0 = now. */
  retryAfterMs: z.number().int().min(0),
  /** True when only an administrator can lift the lockout. */
  adminResetRequired: z.boolean(),
});
export type LockoutView = z.infer<typeof lockoutViewSchema>;

/** One OS session's MFA state, as the tray sees it (no secrets, ever). */
export const sessionStateSchema = z.strictObject({
  sessionId,
  user: z.string().min(1).max(256),
  state: z.enum(['locked', 'unlocked']),
  reason: z.enum(lockReasons).nullable(),
  /** When the current unlock ends (ISO 8601); null while locked. */
  unlockedUntil: isoTime.nullable(),
  /** When the agent enforces the lock at the OS level if the code is still missing (ISO); null: no deadline. */
  graceEndsAt: isoTime.nullable(),
  enrolled: z.boolean(),
  lockout: lockoutViewSchema,
});
export type SessionState = z.infer<typeof sessionStateSchema>;

/** Something the user should be told about (a blocked device, a denied medium, a quarantined file). */
export const notificationSchema = z.strictObject({
  id: z.number().int().min(0),
  at: isoTime,
  kind: z.enum(['usb-blocked', 'media-denied', 'media-read-only', 'export-quarantined', 'export-deleted', 'radio-blocked', 'printer-disabled', 'isolation-violation', 'tamper']),
  title: z.strictObject({ ja: z.string().max(200), en: z.string().max(200) }),
  body: z.strictObject({ ja: z.string().max(1000), en: z.string().max(1000) }),
});
export type Notification = z.infer<typeof notificationSchema>;

/** A TOTP code as typed: digits, maybe full-width, maybe with spaces; normalized and checked by the agent. */
const typedCode = z.string().max(64);

/** Methods: params schema, result schema and privilege. */
export const agentMethods = {
  /** The caller's sessions and their states. */
  'session.list': { privilege: 'user', params: z.strictObject({}), result: z.strictObject({ sessions: z.array(sessionStateSchema) }) },
  /** Submit a code for one of the caller's sessions. */
  'session.unlock': {
    privilege: 'user',
    params: z.strictObject({ sessionId, code: typedCode }),
    result: z.strictObject({ code: z.enum(unlockResultCodes), session: sessionStateSchema.nullable() }),
  },
  /** Lock one of the caller's sessions now (tray menu "lock now"). */
  'session.lock': { privilege: 'user', params: z.strictObject({ sessionId }), result: z.strictObject({ session: sessionStateSchema }) },
  /** The tray app is alive in this session (every few seconds); missing heartbeats lock the session (tamper). */
  'session.heartbeat': { privilege: 'user', params: z.strictObject({ sessionId, trayPid: z.number().int().min(1) }), result: z.strictObject({ intervalMs: z.number().int().min(100) }) },
  /** Subscribe this connection to `session.state` and `notification` events for the caller's sessions. */
  'events.subscribe': { privilege: 'user', params: z.strictObject({}), result: z.strictObject({ subscribed: z.literal(true) }) },
  /** Start enrollment for the caller: the QR code (SVG) is shown once; enrollment completes only with a correct code. */
  'mfa.enrollment.begin': {
    privilege: 'user',
    params: z.strictObject({}),
    result: z.strictObject({ enrollmentId: z.string().min(8).max(64), qrSvg: z.string().max(200_000), expiresAt: isoTime }),
  },
  'mfa.enrollment.confirm': {
    privilege: 'user',
    params: z.strictObject({ enrollmentId: z.string().min(8).max(64), code: typedCode }),
    result: z.strictObject({ code: z.enum(['enrolled', 'wrong-code', 'malformed', 'expired', 'not-found']) }),
  },
  /** Administrator: every enrolled user's state. */
  'admin.mfa.status': {
    privilege: 'admin',
    params: z.strictObject({}),
    result: z.strictObject({ users: z.array(z.strictObject({ user: z.string(), enrolled: z.boolean(), source: z.string().nullable(), lockout: lockoutViewSchema })) }),
  },
  /** Administrator: clear a user's lockout (and optionally the enrollment). */
  'admin.mfa.reset': { privilege: 'admin', params: z.strictObject({ user: z.string().min(1).max(256), enrollment: z.boolean() }), result: z.strictObject({ done: z.literal(true) }) },
  /** Administrator: issue a single-use emergency code for a user (returned once; stored only as a hash). */
  'admin.mfa.emergency-code': {
    privilege: 'admin',
    params: z.strictObject({ user: z.string().min(1).max(256) }),
    result: z.strictObject({ code: z.string().min(8).max(32), expiresAt: isoTime }),
  },
} as const satisfies Record<string, { privilege: Privilege; params: z.ZodType; result: z.ZodType }>;

export type AgentMethod = keyof typeof agentMethods;
export type MethodParams<M extends AgentMethod> = z.infer<(typeof agentMethods)[M]['params']>;
export type MethodResult<M extends AgentMethod> = z.infer<(typeof agentMethods)[M]['result']>;

/** First frame of every connection. */
export const helloFrameSchema = z.strictObject({
  v: z.number().int(),
  id: z.number().int().min(0),
  method: z.literal('hello'),
  params: z.strictObject({ uid: z.number().int().min(0), token: z.string().min(16).max(128), client: z.enum(['tray', 'mng', 'test']) }),
});

/**
 * `result` of a successful hello (additive, issue #5 item 3): the uid the connection now acts as
 * and whether it may call `admin` methods (uid 0).
 */
export const helloResultSchema = z.strictObject({ uid: z.number().int().min(0), admin: z.boolean() });
export type HelloResult = z.infer<typeof helloResultSchema>;

/** A request after hello. `params` is parsed with the method's own schema once the method is known. */
export const requestFrameSchema = z.strictObject({
  v: z.number().int(),
  id: z.number().int().min(0),
  method: z.string().min(1).max(64),
  params: z.unknown(),
});
export type RequestFrame = z.infer<typeof requestFrameSchema>;

export const responseFrameSchema = z.union([
  z.strictObject({ v: z.number().int(), id: z.number().int().min(0), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    v: z.number().int(),
    id: z.number().int().min(0).nullable(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.enum(ipcErrorCodes), retryAfterMs: z.number().int().min(0).optional() }),
  }),
]);
export type ResponseFrame = z.infer<typeof responseFrameSchema>;

/** Pushed to subscribed connections. */
export const eventFrameSchema = z.union([
  z.strictObject({ v: z.number().int(), event: z.literal('session.state'), data: sessionStateSchema }),
  z.strictObject({ v: z.number().int(), event: z.literal('notification'), data: notificationSchema }),
]);
export type EventFrame = z.infer<typeof eventFrameSchema>;
