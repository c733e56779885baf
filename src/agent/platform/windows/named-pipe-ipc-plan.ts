/**
 * The agent's IPC endpoint on Windows, as a plan (issue #5 item 3). NOT RUN in this repository's
 * CI: there is no Windows host. The plan is pure data, unit-tested; the Windows adapter that
 * creates the pipe from it feeds the bytes of each connection to the same IpcConnectionAcceptor
 * (the gate) as the Unix socket adapter does, so authentication and authorization are identical.
 *
 * Why an adapter of its own: node's `net.Server.listen('\\\\.\\pipe\\…')` creates the pipe with the
 * default security descriptor (Everyone may read, only the creator write) and without
 * FILE_FLAG_FIRST_PIPE_INSTANCE, so another process could create an instance of the same name
 * first (pipe squatting). CreateNamedPipeW with the flags and descriptor below is required; that
 * needs a native helper (to be chosen in an ADR when the Windows agent is built).
 *
 * Identity: the hello `uid` on Windows is the account's RID (last sub-authority of its SID), as the
 * WTS session plan resolves it; uid 0 stands for the agent's administrators (token readable by
 * SYSTEM and BUILTIN\Administrators only). Tokens live in `%ProgramData%\mynumber-guard\tokens\<uid>`,
 * each file with a protected DACL granting read to that user's SID only.
 */
import { maxFrameBytes } from '../../../shared/protocol/agent-ipc';

/** The pipe's name. */
export const agentPipeName = '\\\\.\\pipe\\mynumber-guard';

/**
 * Access mask a client gets on the pipe: FILE_GENERIC_READ (0x120089) | FILE_WRITE_DATA (0x2).
 * Deliberately without FILE_APPEND_DATA (0x4), which on a pipe is FILE_CREATE_PIPE_INSTANCE: a user
 * holding it could create a rogue instance of the agent's pipe.
 */
export const pipeClientAccessMask = 0x0012008b;

/** FILE_CREATE_PIPE_INSTANCE (= FILE_APPEND_DATA). */
export const fileCreatePipeInstance = 0x4;

/**
 * DACL of the pipe (SDDL): protected (no inherited ACEs); network logons denied everything;
 * SYSTEM and Administrators full control; interactive users (console and remote desktop) read and
 * write data only. Who may do what after connecting is the gate's business (token + authorize).
 */
export const agentPipeSddl = `D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x${pipeClientAccessMask.toString(16).padStart(8, '0')};;;IU)`;

/** DACL of the token folder: SYSTEM and Administrators only; users open their file by name (bypass traverse checking). */
export const tokenFolderSddl = 'D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)';

/** What CreateNamedPipeW gets, and where tokens go. */
export interface NamedPipeIpcPlan {
  readonly pipeName: string;
  /** dwOpenMode flags. FILE_FLAG_FIRST_PIPE_INSTANCE makes creation fail if someone squats the name. */
  readonly openMode: readonly string[];
  /** dwPipeMode flags. PIPE_REJECT_REMOTE_CLIENTS: local clients only. */
  readonly pipeMode: readonly string[];
  readonly maxInstances: number;
  /** Buffer sizes (bytes): one frame each way. */
  readonly inBufferBytes: number;
  readonly outBufferBytes: number;
  /** SECURITY_ATTRIBUTES.lpSecurityDescriptor, as SDDL. */
  readonly sddl: string;
  readonly tokenDir: string;
  readonly tokenFolderSddl: string;
}

/** Builds the plan. `programData` is `%ProgramData%` (default `C:\ProgramData`). */
export function planNamedPipeIpc(options: { maxInstances?: number; programData?: string } = {}): NamedPipeIpcPlan {
  const maxInstances = options.maxInstances ?? 128;
  // PIPE_UNLIMITED_INSTANCES is 255; the gate limits connections per uid on top.
  if (!Number.isInteger(maxInstances) || maxInstances < 1 || maxInstances > 254) throw new RangeError(`maxInstances must be 1…254, got ${maxInstances}`);
  const programData = (options.programData ?? 'C:\\ProgramData').replace(/\\+$/, '');
  return {
    pipeName: agentPipeName,
    openMode: ['PIPE_ACCESS_DUPLEX', 'FILE_FLAG_OVERLAPPED', 'FILE_FLAG_FIRST_PIPE_INSTANCE'],
    pipeMode: ['PIPE_TYPE_BYTE', 'PIPE_READMODE_BYTE', 'PIPE_WAIT', 'PIPE_REJECT_REMOTE_CLIENTS'],
    maxInstances,
    inBufferBytes: maxFrameBytes,
    outBufferBytes: maxFrameBytes,
    sddl: agentPipeSddl,
    tokenDir: `${programData}\\mynumber-guard\\tokens`,
    tokenFolderSddl,
  };
}

const sidPattern = /^S-1-5-21-\d{1,10}-\d{1,10}-\d{1,10}-\d{1,10}$/;

/**
 * DACL of one user's token file: protected; read (FR) for that user's SID, full control for SYSTEM
 * and Administrators. `sid` must be a domain or local account SID (`S-1-5-21-…-RID`).
 */
export function planTokenFileSddl(sid: string): string {
  if (!sidPattern.test(sid)) throw new RangeError(`not an account SID: ${sid}`);
  return `D:P(A;;FR;;;${sid})(A;;FA;;;SY)(A;;FA;;;BA)`;
}

/** The hello uid of a Windows account: the RID of its SID. */
export function windowsUidOfSid(sid: string): number {
  if (!sidPattern.test(sid)) throw new RangeError(`not an account SID: ${sid}`);
  const rid = Number(sid.slice(sid.lastIndexOf('-') + 1));
  if (!Number.isSafeInteger(rid) || rid > 0xffff_ffff) throw new RangeError(`RID out of range: ${sid}`);
  return rid;
}

/** One ACE of a DACL in SDDL, as far as the plan's tests need it. */
export interface SddlAce {
  readonly type: 'A' | 'D';
  readonly flags: string;
  /** Rights as written: `GA`, `FR`, or a hex mask. */
  readonly rights: string;
  readonly sid: string;
}

/** Parses `D:P(…)(…)`; returns undefined for anything else. */
export function parseSddlDacl(sddl: string): { readonly protected: boolean; readonly aces: readonly SddlAce[] } | undefined {
  const match = /^D:(P?)((?:\([^()]*\))+)$/.exec(sddl);
  if (match === null) return undefined;
  const aces: SddlAce[] = [];
  for (const part of (match[2] ?? '').slice(1, -1).split(')(')) {
    const [type, flags, rights, , , sid] = part.split(';');
    if ((type !== 'A' && type !== 'D') || flags === undefined || rights === undefined || sid === undefined) return undefined;
    aces.push({ type, flags, rights, sid });
  }
  return { protected: match[1] === 'P', aces };
}
