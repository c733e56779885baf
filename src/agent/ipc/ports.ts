/**
 * What the IPC gate needs from the OS and from the rest of the agent. Adapters:
 * platform/node/file-token-issuer.ts (TokenIssuer), platform/node/unix-socket-ipc-server.ts
 * (feeds IpcConnectionAcceptor), the session module (SessionDirectory, wired in agent/main.ts).
 */

/**
 * Port: per-user connection tokens. `issue(uid)` makes a fresh token and stores it where only that
 * user (and root) can read it (`<tokenDir>/<uid>`, mode 0400, owned by uid, in a root-owned 0711
 * folder); the gate asks `verify` on every hello. Tokens prove "this process runs as uid or root"
 * because nobody else can read the file: they stand in for peer credentials, which node cannot read.
 */
export interface TokenIssuer {
  /** Creates or replaces the token of `uid` (the old one stops working). */
  issue(uid: number): Promise<void>;
  /** True when `token` is the current token of `uid`. Constant time in the token's content. */
  verify(uid: number, token: string): Promise<boolean>;
  /** Forgets and deletes the token of `uid` (the user logged out). Idempotent. */
  revoke(uid: number): Promise<void>;
}

/** Port: who owns an OS session (answered by the session module, from logind / WTS). */
export interface SessionDirectory {
  /** The uid of the session's user, or null when no such session exists. */
  ownerOf(sessionId: string): Promise<number | null>;
}

/** One connection's way back to the client, implemented by the socket / pipe adapter. */
export interface IpcTransport {
  /** Queues one encoded frame (ends with `\n`). Silently dropped after close. */
  send(line: string): void;
  /** Ends the connection once queued frames are written; later input is ignored. */
  close(): void;
}

/** The gate's side of one connection: the adapter pushes bytes in and reports the end. */
export interface IpcConnection {
  /** Bytes as they arrived; any split is fine. */
  receive(chunk: Uint8Array): void;
  /** The peer went away (or the adapter dropped it). Idempotent. */
  closed(): void;
  /** True after a successful hello; the adapter uses a short deadline before that. */
  readonly authenticated: boolean;
}

/** What a socket / pipe adapter hands each accepted connection to (the IPC gate). */
export interface IpcConnectionAcceptor {
  open(transport: IpcTransport): IpcConnection;
}

/** Port: a listening local endpoint (Unix socket, named pipe). */
export interface IpcServer {
  /** Where clients connect (socket path or pipe name), for messages and status. */
  readonly location: string;
  listen(): Promise<void>;
  /** Stops accepting, closes every connection, removes the socket file. */
  close(): Promise<void>;
  /** Connections open right now. */
  readonly connectionCount: number;
}
