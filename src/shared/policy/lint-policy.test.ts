import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, lintPolicy, parsePolicyText, type PolicyDiagnostic, type ZonePolicy } from './index';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultPolicy = readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8');

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, nth = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < nth; i += 1) {
    index = text.indexOf(needle, index + 1);
    if (index === -1) throw new Error(`needle ${JSON.stringify(needle)} (#${nth}) not found`);
  }
  const before = text.slice(0, index);
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') };
}

/** Replaces the one occurrence of `from`; fails when it is missing or ambiguous. */
function edit(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  if (first === -1 || text.indexOf(from, first + 1) !== -1) throw new Error(`edit target ${JSON.stringify(from)} must occur exactly once`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

interface LintCase {
  readonly name: string;
  /** Edits applied in order to the default policy: [from, to]. */
  readonly edits: readonly (readonly [string, string])[];
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /** Where the finding must point: the nth occurrence of this text in the edited policy. */
  readonly at: string;
  readonly nth?: number;
  readonly path: string;
}

const HUB_RULE = `      - 'allow with-interface match-all { 09:00:* } label "usb-hub"'\n`;
const VOLUME = (fields: string) => `    approvedVolumes:\n      - name: 総務-USB-001\n${fields}        action: read-only\n        reason: 申請 R8-0042\n`;

const cases: LintCase[] = [
  {
    name: 'notAfter before notBefore',
    edits: [['notAfter: 2027-03-31T23:59:59+09:00', 'notAfter: 2026-03-31T23:59:59+09:00']],
    code: 'validity-inverted',
    severity: 'error',
    at: '2026-03-31T23:59:59+09:00',
    path: 'metadata.notAfter',
  },
  {
    name: 'notAfter equal to notBefore (same instant, other offset)',
    edits: [['notAfter: 2027-03-31T23:59:59+09:00', 'notAfter: 2026-03-31T15:00:00Z']],
    code: 'validity-inverted',
    severity: 'error',
    at: '2026-03-31T15:00:00Z',
    path: 'metadata.notAfter',
  },
  {
    name: 'validity longer than 400 days',
    edits: [['notAfter: 2027-03-31T23:59:59+09:00', 'notAfter: 2028-03-31T23:59:59+09:00']],
    code: 'validity-long',
    severity: 'warning',
    at: '2028-03-31T23:59:59+09:00',
    path: 'metadata.notAfter',
  },
  {
    name: 'duplicate USB rule differing only in spacing',
    edits: [[HUB_RULE, `${HUB_RULE}      - 'allow  with-interface match-all { 09:00:* }   label "usb-hub"'\n`]],
    code: 'usb-rule-duplicate',
    severity: 'error',
    at: `'allow  with-interface`,
    path: 'spec.usb.rules[2]',
  },
  {
    name: 'duplicate CIDR written two ways (IPv6)',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 2001:db8::/32\n      - 2001:0db8:0:0::/32\n']],
    code: 'cidr-duplicate',
    severity: 'error',
    at: '2001:0db8:0:0::/32',
    path: 'spec.isolation.allowedCidrs[2]',
  },
  {
    name: 'CIDR inside another one',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 10.20.5.0/24\n']],
    code: 'cidr-overlap',
    severity: 'error',
    at: '10.20.5.0/24',
    path: 'spec.isolation.allowedCidrs[1]',
  },
  {
    name: 'CIDR wider than an earlier one',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 10.0.0.0/8\n']],
    code: 'cidr-overlap',
    severity: 'error',
    at: '10.0.0.0/8',
    path: 'spec.isolation.allowedCidrs[1]',
  },
  {
    name: 'CIDR with host bits set',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 172.16.3.4/16\n']],
    code: 'cidr-host-bits',
    severity: 'error',
    at: '172.16.3.4/16',
    path: 'spec.isolation.allowedCidrs[1]',
  },
  {
    name: 'canary inside the allowed ranges',
    edits: [['host: 198.51.100.20', 'host: 10.20.9.9']],
    code: 'canary-reachable',
    severity: 'error',
    at: '10.20.9.9',
    path: 'spec.isolation.canaries[0].host',
  },
  {
    name: 'duplicate canary name',
    edits: [['name: internet-web', 'name: lgwan-gateway']],
    code: 'duplicate-entry',
    severity: 'error',
    at: 'lgwan-gateway',
    nth: 2,
    path: 'spec.isolation.canaries[1].name',
  },
  {
    name: 'approved volume expired before the policy starts',
    edits: [['    approvedVolumes: []\n', VOLUME('        deviceSerial: "0401396ca1b2"\n        expires: 2026-03-31T00:00:00+09:00\n')]],
    code: 'approved-volume-expired',
    severity: 'error',
    at: '2026-03-31T00:00:00+09:00',
    path: 'spec.media.approvedVolumes[0].expires',
  },
  {
    name: 'approved volume without serial or UUID',
    edits: [['    approvedVolumes: []\n', VOLUME('        expires: 2026-09-30T00:00:00+09:00\n')]],
    code: 'approved-volume-unidentified',
    severity: 'error',
    at: '総務-USB-001',
    path: 'spec.media.approvedVolumes[0].name',
  },
  {
    name: 'lockout delays not increasing',
    edits: [['delaySeconds: [30, 120, 600, 1800]', 'delaySeconds: [30, 120, 120, 1800]']],
    code: 'lockout-delays-not-increasing',
    severity: 'error',
    at: '120, 1800]',
    path: 'spec.mfa.lockout.delaySeconds[2]',
  },
  {
    name: 'lockout that never locks',
    edits: [
      ['delaySeconds: [30, 120, 600, 1800]', 'delaySeconds: []'],
      ['lockUntilAdminReset: true', 'lockUntilAdminReset: false'],
    ],
    code: 'lockout-ineffective',
    severity: 'error',
    at: 'lockout:',
    path: 'spec.mfa.lockout',
  },
  {
    name: 'relative export destination',
    edits: [['- path: /mnt', '- path: mnt']],
    code: 'export-path-not-absolute',
    severity: 'error',
    at: 'mnt\n',
    path: 'spec.media.exportDestinations[2].path',
  },
  {
    name: 'export destination with ..',
    edits: [['- path: /mnt', '- path: /media/../etc']],
    code: 'export-path-not-normalized',
    severity: 'error',
    at: '/media/../etc',
    path: 'spec.media.exportDestinations[2].path',
  },
  {
    name: 'duplicate export destination (trailing slash)',
    edits: [['- path: /mnt', '- path: /media/']],
    code: 'duplicate-entry',
    severity: 'error',
    at: '/media/',
    path: 'spec.media.exportDestinations[2].path',
  },
  {
    name: 'USB storage allowed in the My Number zone',
    edits: [['usbStorage: deny', 'usbStorage: allow']],
    code: 'mynumber-media-allowed',
    severity: 'warning',
    at: 'allow\n      sdCard',
    path: 'spec.media.classes.usbStorage',
  },
  {
    name: 'automount in the My Number zone',
    edits: [['automount: block', 'automount: allow']],
    code: 'mynumber-automount-allowed',
    severity: 'warning',
    at: 'allow\n\n  # その他',
    path: 'spec.media.automount',
  },
  {
    name: 'Bluetooth in the My Number zone',
    edits: [['bluetooth: block', 'bluetooth: allow']],
    code: 'mynumber-wireless-allowed',
    severity: 'warning',
    at: 'allow\n    wifi',
    path: 'spec.channels.bluetooth',
  },
  {
    name: 'Wi-Fi in the My Number zone',
    edits: [['wifi: block', 'wifi: allow']],
    code: 'mynumber-wireless-allowed',
    severity: 'warning',
    at: 'allow\n    printers',
    path: 'spec.channels.wifi',
  },
  {
    name: 'duplicate printer',
    edits: [['    printers:\n      allow: []', '    printers:\n      allow: [総務-01, 総務-01]']],
    code: 'duplicate-entry',
    severity: 'error',
    at: '総務-01]',
    path: 'spec.channels.printers.allow[1]',
  },
  {
    name: 'duplicate share (case differs)',
    edits: [['    networkShares:\n      allow: []', "    networkShares:\n      allow: ['//FS01/docs', '//fs01/docs']"]],
    code: 'duplicate-entry',
    severity: 'error',
    at: "'//fs01/docs'",
    path: 'spec.channels.networkShares.allow[1]',
  },
  {
    name: 'duplicate clause in implements',
    edits: [['  channels:\n    implements:\n      - 芽室町ISP 1-6-(3)-ア\n', '  channels:\n    implements:\n      - 芽室町ISP 1-6-(3)-ア\n      - 芽室町ISP 1-6-(3)-ア\n']],
    code: 'duplicate-entry',
    severity: 'error',
    at: '芽室町ISP 1-6-(3)-ア\n    bluetooth',
    path: 'spec.channels.implements[1]',
  },
  {
    name: 'allow-all range in the My Number zone',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - ::/0\n']],
    code: 'mynumber-isolation-open',
    severity: 'error',
    at: '::/0',
    path: 'spec.isolation.allowedCidrs[1]',
  },
  {
    name: 'very wide range in the My Number zone',
    edits: [['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 2000::/16\n']],
    code: 'isolation-cidr-broad',
    severity: 'warning',
    at: '2000::/16',
    path: 'spec.isolation.allowedCidrs[1]',
  },
  {
    name: 'no canaries in the My Number zone',
    edits: [[defaultPolicy.slice(defaultPolicy.indexOf('    canaries:\n'), defaultPolicy.indexOf('    canaryTimeoutMs')), '    canaries: []\n']],
    code: 'isolation-no-canaries',
    severity: 'warning',
    at: 'canaries: []',
    path: 'spec.isolation.canaries',
  },
  {
    name: 'slow isolation checks in the My Number zone',
    edits: [['checkIntervalSeconds: 300', 'checkIntervalSeconds: 7200']],
    code: 'isolation-check-infrequent',
    severity: 'warning',
    at: '7200',
    path: 'spec.isolation.checkIntervalSeconds',
  },
  {
    name: 'DNS server outside the allowed ranges',
    edits: [['- 10.20.0.53', '- 10.99.0.53']],
    code: 'dns-server-unreachable',
    severity: 'warning',
    at: '10.99.0.53',
    path: 'spec.isolation.dnsServers[0]',
  },
  {
    name: 'collector outside the allowed ranges',
    edits: [['https://collector.mynumber.example/api/v1', 'https://10.99.0.10/api/v1']],
    code: 'collector-unreachable',
    severity: 'warning',
    at: 'https://10.99.0.10/api/v1',
    path: 'spec.reporting.collectorUrl',
  },
  {
    name: 'http collector on loopback',
    edits: [['https://collector.mynumber.example/api/v1', 'http://[::1]:8080/']],
    code: 'collector-http',
    severity: 'warning',
    at: 'http://[::1]:8080/',
    path: 'spec.reporting.collectorUrl',
  },
  {
    name: 'two steps of TOTP drift',
    edits: [['driftSteps: 1', 'driftSteps: 2']],
    code: 'mfa-drift-wide',
    severity: 'warning',
    at: '2\n    # 画面',
    path: 'spec.mfa.totp.driftSteps',
  },
  {
    name: 'lenient lockout',
    edits: [['maxFailures: 5', 'maxFailures: 15']],
    code: 'mfa-lockout-lenient',
    severity: 'warning',
    at: '15',
    path: 'spec.mfa.lockout.maxFailures',
  },
  {
    name: 'unlock longer than a working day',
    edits: [['unlockPeriodSeconds: 28800', 'unlockPeriodSeconds: 50000']],
    code: 'mfa-unlock-long',
    severity: 'warning',
    at: '50000',
    path: 'spec.mfa.unlockPeriodSeconds',
  },
  {
    name: 'late idle lock',
    edits: [['idleLockSeconds: 600', 'idleLockSeconds: 3600']],
    code: 'mfa-idle-lock-long',
    severity: 'warning',
    at: '3600\n',
    path: 'spec.mfa.idleLockSeconds',
  },
  {
    name: 'long grace after screen lock',
    edits: [['gracePeriodSeconds: 0', 'gracePeriodSeconds: 120']],
    code: 'mfa-grace-long',
    severity: 'warning',
    at: '120\n',
    path: 'spec.mfa.gracePeriodSeconds',
  },
  {
    name: 'long-lived emergency codes',
    edits: [['ttlSeconds: 3600', 'ttlSeconds: 172800']],
    code: 'mfa-emergency-code-long',
    severity: 'warning',
    at: '172800',
    path: 'spec.mfa.emergencyCode.ttlSeconds',
  },
];

function apply(edits: LintCase['edits']): string {
  return edits.reduce((text, [from, to]) => edit(text, from, to), defaultPolicy);
}

function expectBilingual(d: PolicyDiagnostic): void {
  expect(d.message.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  expect(d.message.en.trim()).not.toBe('');
  expect(formatDiagnostic(d, 'ja', 'p.yaml')).toContain(d.severity === 'error' ? ': エラー: ' : ': 警告: ');
  expect(formatDiagnostic(d, 'en', 'p.yaml')).toContain(`: ${d.severity}: `);
}

describe('lint: each finding has its code, severity and place', () => {
  it.each(cases)('$name → $code', (c) => {
    const text = apply(c.edits);
    const result = parsePolicyText(text);
    const diagnostics = result.ok ? result.warnings : result.diagnostics;
    const hit = diagnostics.find((d) => d.code === c.code);
    expect(hit, `found ${diagnostics.map((d) => d.code).join(', ') || 'nothing'}`).toBeDefined();
    if (hit === undefined) return;
    expect(hit.severity).toBe(c.severity);
    expect(hit.path).toBe(c.path);
    expect({ line: hit.line, column: hit.column }).toEqual(positionOf(text, c.at, c.nth));
    // A policy with a lint error is refused; with only warnings it is accepted.
    expect(result.ok).toBe(c.severity === 'warning' && !diagnostics.some((d) => d.severity === 'error'));
    for (const d of diagnostics) expectBilingual(d);
  });

  it('does not apply My Number zone advice to other zones', () => {
    const text = apply([
      ['zone: myNumber', 'zone: lgwan'],
      ['usbStorage: deny', 'usbStorage: allow'],
      ['bluetooth: block', 'bluetooth: allow'],
      ['automount: block', 'automount: allow'],
      ['checkIntervalSeconds: 300', 'checkIntervalSeconds: 7200'],
    ]);
    const result = parsePolicyText(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.warnings).toEqual([]);
  });

  it('names the other entry and its line when reporting an overlap', () => {
    const text = apply([['      - 10.20.0.0/16\n', '      - 10.20.0.0/16\n      - 10.20.5.0/24\n']]);
    const result = parsePolicyText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const line = positionOf(text, '10.20.0.0/16').line;
    expect(result.diagnostics[0]?.message.ja).toContain(`[0]（${line} 行目）の 10.20.0.0/16`);
    expect(result.diagnostics[0]?.message.en).toContain(`(line ${line})`);
  });
});

describe('lintPolicy without source text', () => {
  it('reports at 0:0 when no locator is given', () => {
    const parsed = parsePolicyText(defaultPolicy);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const policy: ZonePolicy = structuredClone(parsed.policy);
    policy.spec.channels.wifi = 'allow';
    const findings = lintPolicy(policy);
    expect(findings.map((d) => [d.code, d.line, d.column, d.path])).toEqual([['mynumber-wireless-allowed', 0, 0, 'spec.channels.wifi']]);
  });
});
