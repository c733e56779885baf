import { msg, type Localized } from '../../shared/i18n';
import type { ZonePolicy } from '../../shared/policy';
import type { ControlName, ControlStatus, HostFacts } from './model';

/** The policy facts the control summary needs (from the policy manager's status). */
export interface PolicyView {
  readonly state: 'none' | 'active' | 'expired' | 'not-yet-valid';
  readonly policy: ZonePolicy | undefined;
  readonly id?: string;
  readonly version?: number;
  readonly keyId?: string;
  readonly notAfter?: string;
  readonly lastRejection?: { readonly code: string; readonly message: Localized };
}

/** The audit log facts the control summary needs. */
export interface AuditView {
  readonly path: string;
  readonly lastSeq: number;
  /** The verdict on the stored log when the agent opened it. */
  readonly integrity: 'ok' | 'problems-found';
}

/** Where each later control lands; reported so nobody mistakes a stated control for an enforced one. */
const pendingNotes: Partial<Record<ControlName, Localized>> = {
  usb: msg('この版では未実施: issue #3', 'not carried out by this build yet: issue #3'),
  media: msg('この版では未実施: issue #4', 'not carried out by this build yet: issue #4'),
  channels: msg('この版では未実施: issue #4', 'not carried out by this build yet: issue #4'),
  isolation: msg('この版では未実施: issue #4', 'not carried out by this build yet: issue #4'),
  mfa: msg('この版では未実施: issue #5', 'not carried out by this build yet: issue #5'),
  reporting: msg('この版では未実施: 集約サーバーは未作成', 'not carried out by this build yet: no collector yet'),
};

/**
 * Decides what to say about each control: what the policy states, what the agent does about it in
 * this build, and what was observed. Pure: facts in, statuses out. A control this build does not
 * enforce is `pending`, never `enforced`.
 */
export function decideControlStatuses(input: {
  readonly policy: PolicyView;
  readonly audit: AuditView;
  readonly facts: HostFacts | undefined;
  readonly mode: 'monitor' | 'enforce';
}): ControlStatus[] {
  const { policy: view, audit, facts } = input;
  const spec = view.policy?.spec;
  const statuses: ControlStatus[] = [decidePolicyStatus(view), decideAuditStatus(audit)];
  const missingTools = (control: string): string[] =>
    (facts?.tools ?? []).filter((tool) => tool.neededBy === control && !tool.present).map((tool) => tool.name);
  const pending = (control: ControlName, implementsList: readonly string[] | undefined, stated: Localized): ControlStatus => {
    const missing = missingTools(control);
    const toolNote =
      missing.length === 0 ? msg('', '') : msg(`。必要なツールがありません: ${missing.join(', ')}`, `; missing tools: ${missing.join(', ')}`);
    return {
      control,
      state: 'pending',
      summary: msg(
        `${stated.ja}（${pendingNotes[control]?.ja ?? ''}）${toolNote.ja}`,
        `${stated.en} (${pendingNotes[control]?.en ?? ''})${toolNote.en}`,
      ),
      implements: implementsList ?? [],
    };
  };
  if (spec === undefined) {
    for (const control of ['usb', 'media', 'channels', 'isolation', 'mfa', 'reporting'] as const) {
      statuses.push(pending(control, [], msg('ポリシーなし: 既定で拒否', 'no policy: default deny')));
    }
    return statuses;
  }
  statuses.push(
    pending(
      'usb',
      spec.usb.implements,
      msg(
        `既定 ${spec.usb.defaultTarget}、許可規則 ${spec.usb.rules.length} 件`,
        `default ${spec.usb.defaultTarget}, ${spec.usb.rules.length} rule(s)`,
      ),
    ),
  );
  const classes = Object.entries(spec.media.classes)
    .map(([name, action]) => `${name}=${String(action)}`)
    .join(', ');
  statuses.push(
    pending(
      'media',
      spec.media.implements,
      msg(
        `${classes}、承認済み媒体 ${spec.media.approvedVolumes.length} 件`,
        `${classes}, ${spec.media.approvedVolumes.length} approved volume(s)`,
      ),
    ),
  );
  statuses.push(
    pending(
      'channels',
      spec.channels.implements,
      msg(
        `Bluetooth ${spec.channels.bluetooth}、Wi-Fi ${spec.channels.wifi}、許可プリンター ${spec.channels.printers.allow.length} 件`,
        `Bluetooth ${spec.channels.bluetooth}, Wi-Fi ${spec.channels.wifi}, ${spec.channels.printers.allow.length} allowed printer(s)`,
      ),
    ),
  );
  const nics = (facts?.interfaces ?? [])
    .filter((nic) => !nic.internal)
    .map((nic) => `${nic.name} ${nic.addresses.join(' ')}`.trim())
    .join('; ');
  const observed =
    facts === undefined
      ? msg('端末情報を取得できません', 'host facts unavailable')
      : msg(
          `観測: ${nics || 'インターフェースなし'}、既定ゲートウェイ ${facts.defaultGateway ?? 'なし'}`,
          `observed: ${nics || 'no interfaces'}, default gateway ${facts.defaultGateway ?? 'none'}`,
        );
  statuses.push(
    pending(
      'isolation',
      spec.isolation.implements,
      msg(
        `許可 ${spec.isolation.allowedCidrs.join(', ')}、カナリア ${spec.isolation.canaries.length} 件。${observed.ja}`,
        `allowed ${spec.isolation.allowedCidrs.join(', ')}, ${spec.isolation.canaries.length} canary endpoint(s); ${observed.en}`,
      ),
    ),
  );
  const totp = spec.mfa.totp;
  statuses.push(
    pending(
      'mfa',
      spec.mfa.implements,
      msg(
        `TOTP ${totp.algorithm}/${totp.digits} 桁/${totp.periodSeconds} 秒、${spec.mfa.lockout.maxFailures} 回失敗でロック`,
        `TOTP ${totp.algorithm}/${totp.digits} digits/${totp.periodSeconds} s, lockout after ${spec.mfa.lockout.maxFailures} failures`,
      ),
    ),
  );
  statuses.push(
    pending(
      'reporting',
      spec.reporting.implements,
      msg(
        `報告先 ${spec.reporting.collectorUrl}、${spec.reporting.intervalSeconds} 秒ごと`,
        `collector ${spec.reporting.collectorUrl}, every ${spec.reporting.intervalSeconds} s`,
      ),
    ),
  );
  return statuses;
}

function decidePolicyStatus(view: PolicyView): ControlStatus {
  const implementsList = view.policy === undefined ? [] : ['芽室町ISP 1-6-(7)'];
  const rejection =
    view.lastRejection === undefined
      ? msg('', '')
      : msg(
          `。直近の拒否: ${view.lastRejection.code}（${view.lastRejection.message.ja}）`,
          `; last refused: ${view.lastRejection.code} (${view.lastRejection.message.en})`,
        );
  if (view.state === 'none') {
    return {
      control: 'policy',
      state: 'failed',
      summary: msg(
        `適用中のポリシーなし: すべて既定で拒否${rejection.ja}`,
        `no policy in force: everything is denied by default${rejection.en}`,
      ),
      implements: implementsList,
    };
  }
  const window =
    view.state === 'active'
      ? msg('有効期間内', 'within its validity window')
      : view.state === 'expired'
        ? msg('有効期限切れ（新しいポリシーが届くまで適用を継続）', 'expired (stays in force until a new policy arrives)')
        : msg('有効期間前（適用を継続）', 'not yet valid (kept in force)');
  return {
    control: 'policy',
    state: view.state === 'active' ? 'ok' : 'degraded',
    summary: msg(
      `${view.id ?? ''} 版 ${view.version ?? ''}、署名検証済み（鍵 ${view.keyId ?? ''}）、${window.ja}、期限 ${view.notAfter ?? ''}${rejection.ja}`,
      `${view.id ?? ''} version ${view.version ?? ''}, signature verified (key ${view.keyId ?? ''}), ${window.en}, valid until ${view.notAfter ?? ''}${rejection.en}`,
    ),
    implements: implementsList,
  };
}

function decideAuditStatus(audit: AuditView): ControlStatus {
  return {
    control: 'audit',
    state: audit.integrity === 'ok' ? 'ok' : 'degraded',
    summary:
      audit.integrity === 'ok'
        ? msg(`${audit.path}（${audit.lastSeq} 件、ハッシュチェーン正常）`, `${audit.path} (${audit.lastSeq} records, hash chain intact)`)
        : msg(
            `${audit.path}（${audit.lastSeq} 件、開始時に改ざん・破損を検出: mng audit verify で確認してください）`,
            `${audit.path} (${audit.lastSeq} records; tampering or damage found at start: run mng audit verify)`,
          ),
    implements: ['芽室町ISP 1-6-(7)', '芽室町ISP 1-7'],
  };
}
