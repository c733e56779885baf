import { msg, pick, type Lang, type Localized } from '../../../shared/i18n';
import type { RegistryChange } from './plan-registry-changes';
import type { WindowsUsbPlan } from './plan-windows-usb-policy';
import type { RegValue, UnrestorableRegValue } from './registry-model';

/**
 * The human-readable form of a Windows plan and of a list of registry changes (pure), for
 * `mng` output, the tray and audit details. Japanese or English, one line per item.
 */

const ACTION: Record<string, Localized> = {
  deny: msg('使用不可', 'denied'),
  'read-only': msg('読み取りのみ', 'read-only'),
  allow: msg('許可', 'allowed'),
};

function valueText(value: RegValue | UnrestorableRegValue | null, lang: Lang): string {
  if (value === null) return pick(msg('（なし）', '(absent)'), lang);
  if (value.type === 'unrestorable') return `${value.typeName} ${JSON.stringify(value.raw)}`;
  return `${value.type} ${value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ' ? JSON.stringify(value.data) : value.data}`;
}

/** The plan as text: decisions, every registry setting with its reason, then the notices. */
export function formatWindowsUsbPlan(plan: WindowsUsbPlan, lang: Lang): string {
  const t = (ja: string, en: string): string => pick(msg(ja, en), lang);
  const d = plan.decisions;
  const lines: string[] = [
    t(`Windows の USB・媒体制御（ポリシー ${plan.policyId} 版 ${plan.policyVersion}）`, `Windows USB and media controls (policy ${plan.policyId} version ${plan.policyVersion})`),
    `  ${t('リムーバブルディスク（USB メモリ・SD カード）', 'Removable disks (USB sticks, SD cards)')}: ${pick(ACTION[d.removableDisks] as Localized, lang)}`,
    `  CD/DVD: ${pick(ACTION[d.optical] as Localized, lang)}`,
    `  ${t('フロッピー・テープ', 'Floppy and tape')}: ${pick(ACTION[d.floppyAndTape] as Localized, lang)}`,
    `  ${t('ポータブルデバイス（WPD）', 'Portable devices (WPD)')}: ${pick(ACTION[d.portableDevices] as Localized, lang)}`,
    `  ${t('USBSTOR・UASPStor の Start', 'USBSTOR and UASPStor Start')}: ${d.storageDriverStart}${d.storageDriverStart === 4 ? t('（無効）', ' (disabled)') : t('（必要時に読み込み）', ' (on demand)')}`,
    `  ${t('インストールを拒否するセットアップクラス', 'Setup classes denied installation')}: ${
      d.deniedSetupClasses.length === 0 ? t('なし', 'none') : d.deniedSetupClasses.map((c) => `${c.name} ${c.guid}`).join(', ')
    }`,
    `  ${t('インストールを許可するインスタンス ID', 'Instance IDs allowed to install')}: ${
      d.allowedInstanceIds.length === 0 ? t('なし', 'none') : d.allowedInstanceIds.map((a) => `${a.instanceId} (${a.source})`).join(', ')
    }`,
    t('レジストリの設定:', 'Registry settings:'),
  ];
  for (const target of plan.targets) {
    const reason = 'reason' in target && target.reason !== undefined ? ` — ${pick(target.reason, lang)}` : '';
    switch (target.kind) {
      case 'value': {
        const condition = target.onlyIfKeyExists === true ? t('（キーがある場合のみ）', ' (only if the key exists)') : '';
        lines.push(`  ${target.key}\\${target.name} = ${valueText(target.value, lang)}${condition}${reason}`);
        break;
      }
      case 'list':
        lines.push(
          `  ${target.key} ${t('（一覧）', '(list)')} = ${
            target.entries.length === 0 ? t('（空）', '(empty)') : target.entries.map((entry, index) => `${index + 1}=${entry}`).join(' ')
          }${reason}`,
        );
        break;
      case 'absent-key':
        lines.push(`  ${target.key} ${t('（削除）', '(deleted)')}`);
        break;
    }
  }
  if (plan.notices.length > 0) {
    lines.push(t('注意:', 'Notes:'));
    for (const notice of plan.notices) lines.push(`  - ${pick(notice.message, lang)} [${notice.code}]`);
  }
  return lines.join('\n');
}

/** One line per change: `key\name: before → after`, or the deleted key. */
export function formatRegistryChanges(changes: readonly RegistryChange[], lang: Lang): string[] {
  return changes.map((change) => {
    switch (change.kind) {
      case 'set-value':
        return `${change.key}\\${change.name}: ${valueText(change.before, lang)} → ${valueText(change.after, lang)}`;
      case 'delete-value':
        return `${change.key}\\${change.name}: ${valueText(change.before, lang)} → ${valueText(null, lang)}`;
      case 'delete-key':
        return `${change.key}: ${pick(msg('キーを削除', 'key deleted'), lang)}`;
    }
  });
}
