// Public surface of the usb module: the device model, the ports adapters implement, the pure
// reading of devices (descriptors, identity, strings) and the in-memory bus for tests.
export * from './model';
export * from './ports';
export {
  formatInterfaceType,
  formatUsbCode,
  parseUsbDescriptors,
  UsbDescriptorType,
  type DescriptorProblem,
  type DescriptorProblemCode,
  type ParsedConfiguration,
  type ParsedDescriptors,
  type ParsedDeviceDescriptor,
  type ParsedInterface,
} from './parse-descriptors';
export { parseUsbDeviceFacts, sysfsParentPath, type UsbFactsFailureCode } from './parse-device-facts';
export {
  computeUsbDeviceHash,
  decideWeakIdentities,
  descriptorsForHash,
  hashUsbSysfsPath,
  type UsbHashInput,
  type WeakIdentityInput,
} from './usb-identity';
export { decodeUsbString, encodeUsbString, escapeUsbString, isPrintableUsbString, trimUsbAttribute } from './usb-string';
export { createFakeUsbBus, type FakeUsbBus, type FakeUsbBusOptions, type FakeUsbWrite } from './fake-usb-bus';
export {
  decideUnreadableDevice,
  decideUsbDevice,
  formatInterfaceCode,
  type UsbDecision,
  type UsbDecisionBasis,
  type UsbInterfacePlan,
  type UsbRuleMatcher,
} from './decide-usb';
export { createPolicyUsbMatcher, fallbackUsbRules, type UsbPolicySource } from './policy-matcher';
export { createUsbEnforcer, type UsbDecisionEvent, type UsbDeviceState, type UsbEnforcer, type UsbEnforcerDeps, type UsbStartReport, type UsbTrigger } from './usb-service';
export { createUsbControl } from './usb-control';
export { makeUsbDevice, testDevices } from './usb-test-devices';
