import { msg } from '../../shared/i18n';
import type { AgentControl, ControlStatus } from '../posture';
import { formatInterfaceCode } from './decide-usb';
import type { UsbBusCapabilities } from './ports';
import type { UsbEnforcer } from './usb-service';

/**
 * The USB control as the agent runtime drives it: starts the enforcer, re-decides every device
 * when the policy changes, rescans periodically, and reports its state.
 */
export function createUsbControl(deps: {
  readonly enforcer: UsbEnforcer;
  readonly mode: 'monitor' | 'enforce';
  /** `implements` of the policy's usb section ([] when no policy is in force). */
  readonly implementsClauses: () => readonly string[];
  /** True when no policy is in force and the built-in safety rules decide. */
  readonly usingFallbackRules: () => boolean;
}): AgentControl {
  let capabilities: UsbBusCapabilities | undefined;
  let startError: string | undefined;
  return {
    name: 'usb',
    async start() {
      try {
        capabilities = (await deps.enforcer.start()).capabilities;
      } catch (error) {
        startError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async policyChanged() {
      await deps.enforcer.rescan('policy-changed');
    },
    async refresh() {
      await deps.enforcer.rescan('rescan');
    },
    status(): ControlStatus {
      const implementsClauses = deps.implementsClauses();
      if (startError !== undefined || capabilities === undefined) {
        return {
          control: 'usb',
          state: 'failed',
          summary: msg(`USB 制御を開始できません: ${startError ?? '未開始'}`, `USB control could not start: ${startError ?? 'not started'}`),
          implements: implementsClauses,
        };
      }
      if (!capabilities.present) {
        return {
          control: 'usb',
          state: 'degraded',
          summary: msg('USB サブシステムがありません（制御する機器なし）', 'no USB subsystem on this machine (nothing to control)'),
          implements: implementsClauses,
        };
      }
      const devices = deps.enforcer.snapshot().filter((entry) => entry.decision.basis.kind !== 'root-hub');
      const count = (target: string): number => devices.filter((entry) => entry.decision.target === target).length;
      const fallback = deps.usingFallbackRules() ? msg('。ポリシーなし: 内蔵の安全規則（ハブ・キーボード・マウス・IC カードリーダーのみ許可）', '; no policy: built-in safety rules (hubs, keyboards, mice, card readers only)') : msg('', '');
      const missing =
        deps.mode === 'enforce' && !capabilities.interfaceAuthorization
          ? msg('。インターフェース単位の制御は使えません（カーネルが未対応）', '; per-interface control unavailable (kernel)')
          : msg('', '');
      return {
        control: 'usb',
        state: deps.mode === 'enforce' ? 'enforced' : 'monitored',
        summary: msg(
          `機器 ${devices.length} 台: 許可 ${count('allow')}、ブロック ${count('block')}、拒否 ${count('reject')}${deps.mode === 'enforce' ? '（新しい機器は既定で無効: authorized_default=0）' : '（監視のみ: 書き込みなし）'}${fallback.ja}${missing.ja}`,
          `${devices.length} device(s): ${count('allow')} allowed, ${count('block')} blocked, ${count('reject')} rejected${deps.mode === 'enforce' ? ' (new devices start deauthorized: authorized_default=0)' : ' (monitor only: nothing written)'}${fallback.en}${missing.en}`,
        ),
        implements: implementsClauses,
      };
    },
    details() {
      return {
        capabilities: capabilities ?? null,
        fallbackRules: deps.usingFallbackRules(),
        devices: deps.enforcer.snapshot().map(({ decision, device, atMs }) => ({
          port: decision.port,
          target: decision.target,
          readOnly: decision.readOnly,
          basis: decision.basis,
          interfacesPlan: decision.interfaces,
          decidedAt: new Date(atMs).toISOString(),
          device:
            device === undefined
              ? null
              : {
                  id: `${device.vendorId}:${device.productId}`,
                  name: device.name,
                  manufacturer: device.manufacturer,
                  serial: device.serial,
                  hash: device.hash,
                  parentHash: device.parentHash,
                  connectType: device.connectType,
                  isRootHub: device.isRootHub,
                  authorized: device.authorized,
                  interfaces: device.interfaces.map(formatInterfaceCode),
                  weakIdentity: device.weakIdentity,
                },
        })),
      };
    },
    async stop() {
      await deps.enforcer.stop();
    },
  };
}
