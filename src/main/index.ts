/**
 * Entry of the tray app's main process (dist/electron/main.js): the composition root. Reads the
 * environment once, connects to the agent, and starts the tray app on the Electron facade.
 */
import path from 'node:path';
import { decideLang } from '../shared/i18n';
import type { AgentConnection } from './agent-connection';
import { defaultAgentTokenDir } from './agent-client';
import { connectAgent } from './agent-link';
import { bootElectron } from './electron-facade';
import { startTrayApp, type TrayApp } from './tray-app';

/** Where the agent listens (Linux; agent-ipc.ts). */
const agentSocketPath = '/run/mynumber-guard/agent.sock';

function reportError(where: string, error: unknown): void {
  // The main process has no log sink of its own yet; stderr reaches the session journal.
  process.stderr.write(`mynumber-guard tray: ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}

let trayApp: TrayApp | null = null;
const agent: AgentConnection = connectAgent({
  socketPath: agentSocketPath,
  tokenDir: defaultAgentTokenDir,
  // No getuid (Windows): never claim uid 0; -1 fails the agent's hello schema, so the tray shows
  // "agent unreachable" until the named-pipe transport lands (issue #5 item 3, Windows port).
  uid: typeof process.getuid === 'function' ? process.getuid() : -1,
  reportError,
});

bootElectron({
  rendererDir: path.join(__dirname, 'renderer'),
  reportError,
  onQuit: () => trayApp?.stop(),
  onReady: (facade, version) => {
    trayApp = startTrayApp({
      facade,
      agent,
      preloadPath: path.join(__dirname, 'preload.js'),
      sessionId: process.env.XDG_SESSION_ID ?? null,
      trayPid: process.pid,
      lang: decideLang(undefined, process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG),
      version,
      nowMs: () => Date.now(),
      timers: { setTimeout: (callback, delayMs) => setTimeout(callback, delayMs), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
      reportError,
      onRefused: (channel, refusal) => reportError('ipc gate', `${channel} refused: ${refusal}`),
    });
  },
});
