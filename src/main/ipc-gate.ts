/**
 * The one gate between the renderer and the main process (STYLE.md §1.4, Electron security
 * checklist #17): every ipcMain handler is registered here. Before a handler runs, the gate checks
 * that the message comes from the top frame of one of our windows showing a page of our app
 * protocol, and parses the input with the channel's schema from the shared tray bridge contract.
 * Handlers behind the gate see typed values only. Nothing is thrown back to the renderer: the reply
 * is an envelope with a stable code.
 */
import type { z } from 'zod';
import { trayChannels, type TrayChannel } from '../shared/protocol/tray-bridge';
import { isAppUrl } from './app-protocol';
import type { IpcMainPort, IpcSender } from './facade';

/** Why the gate refused a message. */
export type GateRefusal = 'forbidden-sender' | 'bad-input' | 'internal';

/**
 * What travels back to the renderer for every invoke. The preload unwraps it (the renderer sees
 * the value, or a rejected promise carrying the refusal code).
 */
export type GateReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: GateRefusal };

/** Parsed input of a channel. */
export type ChannelInput<C extends TrayChannel> = z.infer<(typeof trayChannels)[C]>;

/** One handler per channel; every channel must have one. */
export type TrayHandlers = { readonly [C in TrayChannel]: (input: ChannelInput<C>, sender: TrustedSender) => Promise<unknown> };

/** A sender the gate accepted. */
export interface TrustedSender {
  readonly windowId: number;
}

/** What the gate needs. */
export interface IpcGateOptions {
  readonly ipc: IpcMainPort;
  /** True when the BrowserWindow id belongs to a window this app created. */
  readonly isOwnWindow: (windowId: number) => boolean;
  /** Told about every refusal (logged by the caller; never shown with input contents). */
  readonly onRefused?: (channel: TrayChannel, refusal: GateRefusal) => void;
  /** Told about a handler that threw: a bug, reported once, answered with `internal`. */
  readonly onHandlerError: (channel: TrayChannel, error: unknown) => void;
}

/** Decides whether a sender may talk to us at all. Pure. */
export function decideSender(sender: IpcSender, isOwnWindow: (windowId: number) => boolean): TrustedSender | null {
  if (sender.frameUrl === null || !sender.isMainFrame) return null;
  if (!isAppUrl(sender.frameUrl)) return null;
  if (sender.windowId === null || !isOwnWindow(sender.windowId)) return null;
  return { windowId: sender.windowId };
}

/** Registers every channel of the tray bridge through the gate. Returns a function that removes them. */
export function registerIpcGate(options: IpcGateOptions, handlers: TrayHandlers): () => void {
  const channels = Object.keys(trayChannels) as TrayChannel[];
  for (const channel of channels) {
    options.ipc.handle(channel, (sender, input) => passGate(options, handlers, channel, sender, input));
  }
  return () => {
    for (const channel of channels) options.ipc.removeHandler(channel);
  };
}

async function passGate<C extends TrayChannel>(
  options: IpcGateOptions,
  handlers: TrayHandlers,
  channel: C,
  sender: IpcSender,
  input: unknown,
): Promise<GateReply> {
  const trusted = decideSender(sender, options.isOwnWindow);
  if (trusted === null) return refuse(options, channel, 'forbidden-sender');
  const parsed = trayChannels[channel].safeParse(input);
  if (!parsed.success) return refuse(options, channel, 'bad-input');
  const handler = handlers[channel] as (input: ChannelInput<C>, sender: TrustedSender) => Promise<unknown>;
  try {
    return { ok: true, value: await handler(parsed.data as ChannelInput<C>, trusted) };
  } catch (error) {
    options.onHandlerError(channel, error);
    return { ok: false, code: 'internal' };
  }
}

function refuse(options: IpcGateOptions, channel: TrayChannel, code: GateRefusal): GateReply {
  options.onRefused?.(channel, code);
  return { ok: false, code };
}
