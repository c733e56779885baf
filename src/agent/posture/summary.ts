import { pick, type Lang } from '../../shared/i18n';
import type { ControlName, ControlState, ControlStatus, HostFacts } from './model';

/** What the agent reports about itself: printed at start, written to status.json, later sent to the collector. */
export interface AgentSummary {
  readonly agentVersion: string;
  readonly mode: 'monitor' | 'enforce';
  readonly generatedAt: string;
  readonly host: {
    readonly hostname: string;
    readonly os: string;
    readonly machineId: string | null;
  } | null;
  readonly policy: {
    readonly state: string;
    readonly id: string | null;
    readonly version: number | null;
    readonly keyId: string | null;
    readonly signature: 'verified' | 'none';
  };
  readonly controls: readonly ControlStatus[];
}

/** Builds the host part of the summary from the facts. */
export function describeHost(facts: HostFacts | undefined): AgentSummary['host'] {
  if (facts === undefined) return null;
  const { os } = facts;
  return {
    hostname: facts.hostname,
    os: `${os.distro} ${os.release} (${os.platform} ${os.kernel}, ${os.arch})`.replace(/\s+/g, ' ').trim(),
    machineId: facts.machineId,
  };
}

const controlLabels: Record<ControlName, { ja: string; en: string }> = {
  policy: { ja: 'ゾーンポリシー', en: 'Zone policy' },
  audit: { ja: '監査ログ', en: 'Audit log' },
  usb: { ja: 'USB 機器制御', en: 'USB devices' },
  media: { ja: '記録媒体・持ち出し', en: 'Media & exports' },
  channels: { ja: '無線・印刷・共有', en: 'Radio, print, shares' },
  isolation: { ja: '他領域との通信遮断', en: 'Zone isolation' },
  mfa: { ja: '多要素認証', en: 'Multi-factor auth' },
  reporting: { ja: '状態報告', en: 'Reporting' },
};

const stateLabels: Record<ControlState, { ja: string; en: string }> = {
  enforced: { ja: '強制中', en: 'enforced' },
  monitored: { ja: '監視のみ', en: 'monitored' },
  pending: { ja: '未実施', en: 'pending' },
  degraded: { ja: '要確認', en: 'degraded' },
  ok: { ja: '正常', en: 'ok' },
  failed: { ja: '異常', en: 'failed' },
};

/** Renders the summary for a terminal, in one language. */
export function formatSummary(summary: AgentSummary, lang: Lang): string {
  const ja = lang === 'ja';
  const lines: string[] = [];
  const modeText =
    summary.mode === 'monitor'
      ? ja
        ? '監視モード（観測と報告のみ、端末の設定は変更しません）'
        : 'monitor mode (observe and report, change nothing)'
      : ja
        ? '強制モード'
        : 'enforce mode';
  lines.push(`mynumber-guard agent ${summary.agentVersion} — ${modeText}`);
  const host = summary.host;
  lines.push(
    host === null
      ? ja
        ? '  端末:      情報を取得できません'
        : '  Host:       facts unavailable'
      : ja
        ? `  端末:      ${host.hostname} — ${host.os}\n  マシンID:  ${host.machineId ?? '不明'}`
        : `  Host:       ${host.hostname} — ${host.os}\n  Machine id: ${host.machineId ?? 'unknown'}`,
  );
  lines.push(ja ? '  制御:' : '  Controls:');
  const width = Math.max(...summary.controls.map((control) => displayWidth(pick(controlLabels[control.control], lang))));
  for (const control of summary.controls) {
    const label = pick(controlLabels[control.control], lang);
    const state = pick(stateLabels[control.state], lang);
    lines.push(`    ${label}${' '.repeat(width - displayWidth(label))}  [${state}] ${pick(control.summary, lang)}`);
    if (control.implements.length > 0) {
      lines.push(`    ${' '.repeat(width)}  ${ja ? '根拠' : 'implements'}: ${control.implements.join(' / ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Terminal columns of a string: East Asian wide characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    width += code >= 0x1100 && (code <= 0x115f || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6)) ? 2 : 1;
  }
  return width;
}
