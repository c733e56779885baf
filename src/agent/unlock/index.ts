// Public surface of the unlock module (issue #5): the IPC handlers that join the MFA core and the
// session lock, the view cache the session lock reads, and the `mfa` agent control.
export { createMfaViewCache, createUnlockHandlers, unlockMethods, type UnlockHandlerDeps, type UnlockHandlers } from './unlock-handlers';
export { createUnlockControl, monitorOnlySessionControl, type UnlockControl, type UnlockControlDeps } from './unlock-control';
