import { describe, expect, it } from 'vitest';
import { parseAgentConfigText, resolveAgentConfig, type AgentDefaults } from './agent-config';

const defaults: AgentDefaults = {
  mode: 'enforce',
  stateDir: '/var/lib/mynumber-guard',
  policyBundle: '/etc/mynumber-guard/policy.bundle.json',
  trustStore: '/etc/mynumber-guard/trust.d',
  logLevel: 'info',
  logFile: 'stderr',
  postureIntervalSeconds: 300,
  sysfsRoot: '/sys',
  disabledControls: [],
  canaryProbes: true,
  automountRulePath: '/etc/polkit-1/rules.d/10-mynumber-guard-media.rules',
  socketPath: '/run/mynumber-guard/agent.sock',
  tokenDir: '/run/mynumber-guard/tokens',
  mfaKeyFile: '/etc/mynumber-guard/mfa.key',
  trayEnrollment: false,
  loginDeadlineSeconds: 300,
  pamOathUsersfile: '/etc/mynumber-guard/users.oath',
};

describe('parseAgentConfigText', () => {
  it('accepts a complete file', () => {
    const result = parseAgentConfigText('mode: monitor\nstateDir: /srv/mng\nlogLevel: debug\n', 'agent.yaml');
    expect(result).toEqual({ ok: true, value: { mode: 'monitor', stateDir: '/srv/mng', logLevel: 'debug' } });
  });

  it('accepts an empty file as all defaults', () => {
    expect(parseAgentConfigText('', 'agent.yaml')).toEqual({ ok: true, value: {} });
  });

  it.each([
    ['unknown field', 'mode: monitor\nmodee: enforce\n', /modee/, /不明な項目 modee/],
    ['wrong enum', 'mode: observe\n', /setting mode/, /設定項目 mode/],
    ['duplicate key', 'mode: monitor\nmode: enforce\n', /not valid YAML/, /YAML が正しくありません/],
    ['out of range', 'postureIntervalSeconds: 1\n', /postureIntervalSeconds/, /postureIntervalSeconds/],
    ['not a mapping', '- a\n- b\n', /setting \(root\)/, /設定項目 \(root\)/],
    ['unknown control', 'disabledControls: [media, printer]\n', /setting disabledControls\.1/, /設定項目 disabledControls\.1/],
    ['canaryProbes not a boolean', 'canaryProbes: "no"\n', /setting canaryProbes/, /設定項目 canaryProbes/],
  ])('rejects %s with a message naming the file and field', (_name, text, en, ja) => {
    const result = parseAgentConfigText(text, '/etc/mynumber-guard/agent.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.en).toMatch(/^\/etc\/mynumber-guard\/agent\.yaml: /);
    expect(result.error.en).toMatch(en);
    expect(result.error.ja).toMatch(ja);
  });
});

describe('resolveAgentConfig', () => {
  it('lets flags win over the file and the file over the defaults', () => {
    const config = resolveAgentConfig(defaults, { mode: 'monitor', logLevel: 'warn' }, { logLevel: 'debug' }, false);
    expect(config.mode).toBe('monitor');
    expect(config.logLevel).toBe('debug');
    expect(config.policyBundle).toBe(defaults.policyBundle);
  });

  it('puts the audit log under the state folder unless it is set', () => {
    expect(resolveAgentConfig(defaults, undefined, { stateDir: '/tmp/s' }, false).auditLog).toBe('/tmp/s/audit.jsonl');
    expect(resolveAgentConfig(defaults, { auditLog: '/log/a.jsonl' }, { stateDir: '/tmp/s' }, false).auditLog).toBe(
      '/log/a.jsonl',
    );
  });

  it('switches controls off and canary probes per file or flag, without duplicates', () => {
    const config = resolveAgentConfig(defaults, { disabledControls: ['media', 'media', 'isolation'], canaryProbes: false }, {}, false);
    expect(config.disabledControls).toEqual(['media', 'isolation']);
    expect(config.canaryProbes).toBe(false);
    expect(resolveAgentConfig(defaults, { canaryProbes: false }, { canaryProbes: true }, false).canaryProbes).toBe(true);
    expect(resolveAgentConfig(defaults, undefined, {}, false)).toMatchObject({ disabledControls: [], canaryProbes: true, automountRulePath: defaults.automountRulePath });
  });
});
