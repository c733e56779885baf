// `mng isolation check` run inside network namespaces made by the test (issue #4 item 4): the
// terminal namespace T, a router R and another zone L with a canary listener. Nothing outside
// these namespaces is contacted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIsolationCli, buildTestEntry } from '../helpers/isolation-cli';
import { createIsolationLab, ip } from '../helpers/netns';
import { isolationPolicyText } from '../helpers/isolation-policy';
import { createPolicyBundle } from '../../src/agent/policy';
import { createSigner, policyText, windowAround } from '../helpers/policy-fixtures';
import { needTools } from '../helpers/system-tools';

const canaries = [
  { name: 'lgwan-portal', host: '10.77.2.2', port: 8443, zone: 'lgwan' },
  { name: 'lgwan-closed', host: '10.77.2.2', port: 8444, zone: 'lgwan' },
  { name: 'internet-drop', host: '10.77.3.3', port: 443, zone: 'internet' },
];

describe.skipIf(!needTools('ip'))('mng isolation check in network namespaces', () => {
  let cli: string;
  let dir: string;
  let policyFile: string;
  let lab: ReturnType<typeof createIsolationLab>;

  beforeAll(async () => {
    cli = await buildIsolationCli();
    dir = mkdtempSync(path.join(tmpdir(), 'mng-iso-'));
    policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(policyFile, isolationPolicyText({ allowedCidrs: ['10.77.1.0/24'], dnsServers: ['10.77.1.53'], allowedInterfaces: ['t0'], canaries, canaryTimeoutMs: 300 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    lab = createIsolationLab();
    await lab.listen(lab.listener, '10.77.2.2', 8443);
  });
  afterEach(() => lab.destroy());

  const check = (...extra: string[]) => {
    const result = spawnSync('ip', ['netns', 'exec', lab.terminal, process.execPath, cli, '--lang', 'en', 'isolation', 'check', '--policy', policyFile, ...extra], { encoding: 'utf8', timeout: 20_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const violations = (stdout: string): string[] => stdout.split('\n').filter((line) => line.startsWith('violation: '));

  it('only the allowed subnet: isolated, exit 0, every canary unreachable', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^isolated \(3 canary\(ies\), \d+ ms\)$/m);
    const json = JSON.parse(check('--json').stdout) as { isolated: boolean; canaries: { name: string; outcome: string }[]; interfaces: { name: string; kind: string }[] };
    expect(json.isolated).toBe(true);
    expect(json.canaries.map((c) => [c.name, c.outcome])).toEqual([
      ['lgwan-portal', 'unreachable'],
      ['lgwan-closed', 'unreachable'],
      ['internet-drop', 'unreachable'],
    ]);
    expect(json.interfaces.map((i) => [i.name, i.kind])).toEqual([
      ['lo', 'loopback'],
      ['t0', 'virtual'],
    ]);
  });

  it('an extra route to a foreign subnet: exit 1 naming the route', () => {
    ip('-n', lab.terminal, 'route', 'add', '10.77.9.0/24', 'via', '10.77.1.1');
    const run = check();
    expect(run.status).toBe(1);
    expect(violations(run.stdout)).toEqual(['violation: route:10.77.9.0/24: route outside the allowed ranges (10.77.1.0/24): 10.77.9.0/24 via 10.77.1.1 dev t0']);
  });

  it('a second interface: exit 1 naming it', () => {
    lab.link({ ns: lab.terminal, ifname: 't1', cidr: '10.77.8.2/24' }, { ns: lab.router, ifname: 'r3', cidr: '10.77.8.1/24' });
    const run = check();
    expect(run.status).toBe(1);
    const lines = violations(run.stdout);
    expect(lines[0]).toBe('violation: interface:t1: interface t1 (virtual interface, up) is not allowed; allowed: t0');
    expect(lines).toContain('violation: address:t1:10.77.8.2: address 10.77.8.2/24 on t1 is outside the allowed ranges (10.77.1.0/24)');
    expect(lines).toContain('violation: route:10.77.8.0/24: route outside the allowed ranges (10.77.1.0/24): 10.77.8.0/24 dev t1');
  });

  it('a reachable canary listener in another zone: exit 1 naming the canary; a reset counts, a drop does not', () => {
    // The default route goes through the zone router (inside the allowed range: no finding), but
    // the router forwards to zone L: only the canaries can tell.
    ip('-n', lab.terminal, 'route', 'add', 'default', 'via', '10.77.1.1');
    const run = check();
    expect(run.status).toBe(1);
    const lines = violations(run.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^violation: canary:lgwan-portal: canary lgwan-portal \(10\.77\.2\.2:8443, lgwan\) in another zone accepted a connection \(\d+ ms\)$/);
    expect(lines[1]).toMatch(/^violation: canary:lgwan-closed: canary lgwan-closed \(10\.77\.2\.2:8444, lgwan\) in another zone answered with a reset/);
    const json = JSON.parse(check('--json', '--timeout-ms', '250').stdout) as { canaries: { name: string; outcome: string; elapsedMs: number }[] };
    const drop = json.canaries.find((c) => c.name === 'internet-drop');
    expect(drop?.outcome).toBe('timeout');
    expect(drop?.elapsedMs).toBeGreaterThanOrEqual(240);
    expect(drop?.elapsedMs).toBeLessThan(1000);
  });

  it('a DNS server outside the policy: exit 1 naming it', () => {
    writeFileSync(`/etc/netns/${lab.terminal}/resolv.conf`, 'nameserver 10.77.1.99\n');
    const run = check();
    expect(run.status).toBe(1);
    expect(violations(run.stdout)).toEqual(['violation: dns:10.77.1.99: DNS server 10.77.1.99 (/etc/resolv.conf) is not in the policy; allowed: 10.77.1.53']);
  });

  it('a signed bundle verified with --trust: exit 0; with the wrong key: exit 2', () => {
    const signer = createSigner();
    const other = createSigner();
    const text = policyText(windowAround(Date.now()), isolationPolicyText({ allowedCidrs: ['10.77.1.0/24'], dnsServers: ['10.77.1.53'], canaries, canaryTimeoutMs: 300 }));
    const bundle = path.join(dir, 'signed.bundle.json');
    writeFileSync(bundle, createPolicyBundle(new TextEncoder().encode(text), signer.key));
    writeFileSync(path.join(dir, 'good.pub.pem'), signer.publicKeyPem);
    writeFileSync(path.join(dir, 'other.pub.pem'), other.publicKeyPem);
    const run = (trust: string) => spawnSync('ip', ['netns', 'exec', lab.terminal, process.execPath, cli, '--lang', 'en', 'isolation', 'check', '--policy', bundle, '--trust', trust], { encoding: 'utf8' });
    const verified = run(path.join(dir, 'good.pub.pem'));
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    const refused = run(path.join(dir, 'other.pub.pem'));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^mng: .*signed\.bundle\.json: .*\[MNG_E_SIGNATURE_INVALID\]\n$/);
  });

  it('a bundle without --trust, or an invalid policy: exit 2 with one line', () => {
    const run = (file: string) => spawnSync('ip', ['netns', 'exec', lab.terminal, process.execPath, cli, '--lang', 'en', 'isolation', 'check', '--policy', file], { encoding: 'utf8' });
    const bundle = path.join(dir, 'p.bundle.json');
    writeFileSync(bundle, '{"format":"x"}');
    const refused = run(bundle);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^mng: .*is a bundle: give --trust <public keys> to verify it \[MNG_E_INVALID_ARGUMENT\]\n$/);
    const invalid = path.join(dir, 'invalid.yaml');
    writeFileSync(invalid, isolationPolicyText({ allowedCidrs: ['10.77.1.0/33'], dnsServers: [], canaries: [], canaryTimeoutMs: 300 }));
    const rejected = run(invalid);
    expect(rejected.status).toBe(2);
    expect(rejected.stdout).toBe('');
    expect(rejected.stderr).toMatch(/is not a valid policy \(see mng policy lint\) \[MNG_E_POLICY_INVALID\]\n$/);
  });

  it('the prober keeps at most maxParallel connects in flight (blackholed canaries time out in waves)', async () => {
    ip('-n', lab.terminal, 'route', 'add', 'default', 'via', '10.77.1.1');
    const driver = await buildTestEntry('test/helpers/prober-entry.ts', 'prober.mjs');
    const targets = [1, 2, 3, 4, 5, 6].map((n) => `10.77.3.${n}:443`);
    const run = (maxParallel: number) => {
      const result = spawnSync('ip', ['netns', 'exec', lab.terminal, process.execPath, driver, String(maxParallel), '200', ...targets], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      return JSON.parse(result.stdout) as { wallMs: number; results: { outcome: string; elapsedMs: number }[] };
    };
    const serial = run(2);
    expect(serial.results.map((r) => r.outcome)).toEqual(Array<string>(6).fill('timeout'));
    // Three waves of two: each probe's own deadline starts when it runs.
    expect(serial.wallMs).toBeGreaterThanOrEqual(590);
    const parallel = run(6);
    expect(parallel.results.every((r) => r.outcome === 'timeout' && r.elapsedMs >= 195)).toBe(true);
    // One wave instead of three: compared with the serial run, not with a clock budget.
    expect(parallel.wallMs).toBeLessThan(serial.wallMs * 0.6);
  });
});
