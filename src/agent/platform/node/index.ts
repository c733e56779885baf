// Public node adapters (usable on every OS the agent runs on). The composition root and the
// `mng` CLI import them from here.
export { readRegularFile, readRegularFileSync, type ReadRegularFileOptions } from './bounded-file';
export { createFilePolicyStateStore, ensurePrivateDirectory, maxPolicyStateBytes, policyStateFileName, writeFileAtomically } from './file-policy-state-store';
export { maxKeyFileBytes, readPemKeyFiles } from './pem-key-files';
export { auditHeadPath, createNodeAuditFile, maxAuditHeadBytes, openRegularFileChunks, readAuditHeadFile, type RegularFileChunks } from './node-audit-file';
export { createPinoLogger } from './pino-logger';
export { createSysteminformationHostFacts } from './systeminformation-host-facts';
export { createNodeUsbHotplug, formatUsbPortName, type LibusbDeviceLike, type NodeUsbHotplugOptions, type UsbHotplugEmitter } from './node-usb-hotplug';
export { createChokidarFileEventSource } from './chokidar-file-event-source';
export { createNodeFileHasher, hashChunkBytes } from './node-file-hasher';
export { createJsonlLedgerFile, exportLedgerFileName } from './jsonl-ledger-file';
export { createNodeFileDisposer } from './node-file-disposer';
export { createPasswdFileSource } from './passwd-file-source';
export { createIpNetworkFacts, readDnsServers, readSysfsInterface, type IpNetworkFactsOptions } from './ip-network-facts';
export { classifyInterface, parseIpAddrJson, parseIpRouteJson, parseResolvConf, type IpLink, type SysfsInterfaceFacts } from './parse-network-facts';
export { createTcpCanaryProber, type TcpCanaryProberOptions } from './tcp-canary-prober';
export { createAutomountRuleFile } from './automount-rule-file';
export { createFileSecretStore, secretFileSuffix, secretKeyBytes, type FileSecretStoreOptions } from './file-secret-store';
export { createFileEmergencyCodeStore, createFileVerificationStateStore, emergencyFileSuffix, stateFileSuffix, type FileMfaStoreOptions } from './file-mfa-state-stores';
export { createFileTokenIssuer, defaultTokenDir, tokenBytes, type FileTokenIssuerOptions } from './file-token-issuer';
export { createUnixSocketIpcServer, defaultAgentSocketPath, type UnixSocketIpcServerOptions } from './unix-socket-ipc-server';
export { createPamOathUsersfileFile, type PamOathUsersfileFile, type PamOathUsersfileFileOptions, type PamOathUsersfileUpdate } from './pam-oath-usersfile-file';
export { createFileAdminJournal } from './file-admin-journal';
export { createFileRunMarkerStore, runMarkerFileName } from './file-run-marker-store';
