import { msg } from '../../shared/i18n';
import type { AgentControl, ControlName } from './model';

/**
 * A control switched off by the agent configuration (`disabledControls`): it does nothing and says
 * so. Reported as `degraded`, never as enforced, so the posture report shows the gap.
 */
export function createDisabledControl(name: ControlName, implementsClauses: () => readonly string[]): AgentControl {
  const none = (): Promise<void> => Promise.resolve();
  return {
    name,
    start: none,
    policyChanged: none,
    refresh: none,
    stop: none,
    status: () => ({
      control: name,
      state: 'degraded',
      summary: msg('エージェントの設定（disabledControls）で停止されています', 'switched off by the agent configuration (disabledControls)'),
      implements: implementsClauses(),
    }),
    details: () => ({ disabled: true }),
  };
}
