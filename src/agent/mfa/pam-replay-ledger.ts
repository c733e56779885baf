/**
 * The agent's side of replay sharing with pam_oath (issue #5 item 2: "replay state is shared with
 * the agent's own check"). Before a code is checked the agent reads the step pam_oath last
 * accepted for the user's token; after the agent accepts a code it writes that step into the
 * user's usersfile line, so pam_oath refuses the same code (and every earlier one) at logon.
 */
import type { SharedReplayLedger } from './mfa-service';
import type { TokenRecord } from './model';
import { parsePamOathUsersfile, readPamOathAcceptedStep, renderPamOathUsersfile, writeAgentAcceptedStep } from './pam-oath-usersfile';
import type { PamOathUsersfileAccess } from './ports';

/** Creates the ledger over the usersfile. `utcOffsetMinutes`: pam_oath writes local time. */
export function createPamOathReplayLedger(deps: { readonly file: PamOathUsersfileAccess; readonly utcOffsetMinutes: () => number; readonly windowSteps: number }): SharedReplayLedger {
  const options = () => ({ utcOffsetMinutes: deps.utcOffsetMinutes(), windowSteps: deps.windowSteps });
  return {
    async lastAcceptedStep(user: string, token: TokenRecord) {
      const text = await deps.file.read();
      if (text === null) return null;
      const entry = parsePamOathUsersfile(text).entries.find((candidate) => candidate.user === user);
      if (entry === undefined) return null;
      return readPamOathAcceptedStep(entry, token, options())?.step ?? null;
    },
    async recordAcceptedStep(user: string, token: TokenRecord, step: number) {
      await deps.file.update((current) => {
        if (current === null) return null;
        const parsed = parsePamOathUsersfile(current);
        let changed = false;
        const entries = parsed.entries.map((entry) => {
          if (entry.user !== user) return entry;
          const next = writeAgentAcceptedStep(entry, token, step, options());
          changed ||= next !== entry;
          return next;
        });
        // Lines pam_oath could not read (comments, foreign lines) are kept only when nothing changes.
        return changed && parsed.ignored.length === 0 ? renderPamOathUsersfile(entries) : null;
      });
    },
  };
}
