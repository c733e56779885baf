// Public surface of the session lock module (issue #5 item 2 "Lock enforcement"): the model, the
// ports the platform adapters implement, the pure state machine and the service.
export * from './model';
export type { SessionControl, SessionControlOutcome, SessionHint, SessionSource, SessionSourceFailure } from './ports';
export { decideSession } from './decide-session';
export { describeSessionState, unknownMfaView, type MfaUserView } from './session-state';
export { createSessionService, type SessionRequestFailure, type SessionService, type SessionServiceDeps } from './session-service';
