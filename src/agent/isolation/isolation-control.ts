import { msg } from '../../shared/i18n';
import type { AgentControl, ControlStatus } from '../posture';
import type { IsolationMonitor } from './isolation-service';

/**
 * The isolation check as the agent runtime drives it: starts the monitor, checks again when the
 * policy changes and on every refresh, and reports the last result. The check only observes;
 * separation itself is the network's job (firewall, router), so the state is `monitored`.
 */
export function createIsolationControl(deps: {
  readonly monitor: IsolationMonitor;
  /** `implements` of the policy's isolation section ([] when no policy is in force). */
  readonly implementsClauses: () => readonly string[];
  /** True when a policy is in force (without one there is nothing to check against). */
  readonly hasPolicy: () => boolean;
  /** False when the configuration turned canary probes off (development): the summary says so. */
  readonly canaryProbes?: boolean;
}): AgentControl {
  let startError: string | undefined;
  return {
    name: 'isolation',
    async start() {
      try {
        await deps.monitor.start();
      } catch (error) {
        startError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async policyChanged() {
      await deps.monitor.check('policy-changed');
    },
    async refresh() {
      await deps.monitor.check('refresh');
    },
    status(): ControlStatus {
      const implementsClauses = deps.implementsClauses();
      const base = { control: 'isolation' as const, implements: implementsClauses };
      if (startError !== undefined) return { ...base, state: 'failed', summary: msg(`分離確認を開始できません: ${startError}`, `isolation check could not start: ${startError}`) };
      if (!deps.hasPolicy()) return { ...base, state: 'degraded', summary: msg('ポリシーがないため分離を確認していません', 'no policy in force: isolation is not checked') };
      const s = deps.monitor.state();
      if (s.lastError !== undefined) return { ...base, state: 'degraded', summary: { ja: `分離を確認できません（未分離とみなします）: ${s.lastError.ja}`, en: `isolation cannot be checked (treated as not isolated): ${s.lastError.en}` } };
      if (s.lastCheck === undefined) return { ...base, state: 'degraded', summary: msg('分離確認はまだ実行されていません', 'no isolation check has run yet') };
      const violations = s.lastCheck.report.findings.filter((f) => f.severity === 'violation');
      const warnings = s.lastCheck.report.findings.length - violations.length;
      const watch = s.changeSourceError === undefined ? msg('', '') : msg(`。ネットワーク変更の検知が停止（定期確認のみ）: ${s.changeSourceError}`, `; network change detection stopped (periodic checks only): ${s.changeSourceError}`);
      const canaries = s.lastCheck.probes.length;
      const probesOff = deps.canaryProbes === false ? msg('。カナリアへの接続確認は設定で停止中', '; canary probes are switched off by configuration') : msg('', '');
      if (s.lastCheck.report.isolated) {
        return {
          ...base,
          state: 'monitored',
          summary: msg(
            `分離を確認しました（カナリア ${canaries} 件、警告 ${warnings} 件）${probesOff.ja}${watch.ja}`,
            `isolated (${canaries} canary(ies), ${warnings} warning(s))${probesOff.en}${watch.en}`,
          ),
        };
      }
      return {
        ...base,
        state: 'degraded',
        summary: msg(
          `分離されていません: 違反 ${violations.length} 件（${violations.map((f) => f.subject).join(', ')}）${probesOff.ja}${watch.ja}`,
          `NOT isolated: ${violations.length} violation(s) (${violations.map((f) => f.subject).join(', ')})${probesOff.en}${watch.en}`,
        ),
      };
    },
    details() {
      const s = deps.monitor.state();
      return {
        checkedAt: s.lastCheckedAtMs === undefined ? null : new Date(s.lastCheckedAtMs).toISOString(),
        trigger: s.lastTrigger ?? null,
        error: s.lastError ?? null,
        changeSourceError: s.changeSourceError ?? null,
        isolated: s.lastCheck?.report.isolated ?? null,
        canaryProbes: deps.canaryProbes !== false,
        elapsedMs: s.lastCheck === undefined ? null : Math.round(s.lastCheck.elapsedMs),
        findings: s.lastCheck?.report.findings ?? [],
        canaries: s.lastCheck?.probes.map((p) => ({ name: p.name, host: p.host, port: p.port, zone: p.zone, ...p.result, elapsedMs: Math.round(p.result.elapsedMs) })) ?? [],
        interfaces: s.lastCheck?.facts.interfaces ?? [],
        routes: s.lastCheck?.facts.routes ?? [],
        dnsServers: s.lastCheck?.facts.dnsServers ?? [],
      };
    },
    async stop() {
      await deps.monitor.stop();
    },
  };
}
