// Public surface of the channels module (issue #4 item 3 "Other channels": radios and printers;
// network shares are the mounts module's): the model, the ports adapters implement, the pure
// decisions, the enforcer service and the agent control.
export * from './model';
export type { PrinterQueues, RadioSwitches } from './ports';

export {
  decideRadio,
  decideRadios,
  fallbackRadioRules,
  isRadioBlocked,
  radioKindOf,
  type RadioBasis,
  type RadioDecision,
  type RadioKind,
  type RadioRules,
  type RadioTarget,
} from './decide-radios';
export {
  decidePrinter,
  decidePrinters,
  isQueueAllowed,
  isQueueStopped,
  queueKey,
  type PrinterBasis,
  type PrinterDecision,
  type PrinterTarget,
} from './decide-printers';
export {
  createChannelsEnforcer,
  defaultPrinterDisableReason,
  type ChannelOutcome,
  type ChannelsEnforcer,
  type ChannelsEnforcerDeps,
  type ChannelsSnapshot,
  type ChannelsTrigger,
  type PrinterEntry,
  type RadioEntry,
} from './channels-service';
export { createChannelsControl } from './channels-control';
