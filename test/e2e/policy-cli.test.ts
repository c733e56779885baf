// `mng policy …` end to end: the real built CLI in a child process, real files, real keys.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMng, type MngRun } from '../helpers/mng';
import { policyText, windowAround } from '../helpers/policy-fixtures';
import { needTools } from '../helpers/system-tools';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-policy-e2e-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function mng(args: string[], env: Record<string, string> = {}): MngRun {
  return runMng(args, { cwd: work, env });
}

function json(run: MngRun): Record<string, unknown> {
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function flipPayloadByte(bundleFile: string, outFile: string): void {
  const doc = JSON.parse(readFileSync(bundleFile, 'utf8')) as { payload: string };
  const raw = Buffer.from(doc.payload, 'base64');
  raw[42] = (raw[42] ?? 0) ^ 0x01;
  doc.payload = raw.toString('base64');
  writeFileSync(outFile, JSON.stringify(doc, null, 2));
}

describe('mng policy: keygen → sign → verify → tamper', () => {
  beforeAll(() => {
    // The default policy, with a validity window around the real clock (the CLI uses real time).
    writeFileSync(path.join(work, 'zone.yaml'), policyText({ version: 4, ...windowAround(Date.now()) }));
  });

  it('keygen writes a 0600 private key and a 0644 public key, and never overwrites', () => {
    const run = mng(['policy', 'keygen', '--out', 'keys', '--name', 'city-it']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/署名鍵を作りました（鍵 ID [0-9a-f]{32}）/);
    expect(statSync(path.join(work, 'keys/city-it.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(work, 'keys/city-it.pub.pem')).mode & 0o777).toBe(0o644);

    const again = mng(['policy', 'keygen', '--out', 'keys', '--name', 'city-it']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('すでにあります');
    expect(again.stderr).toContain('[MNG_E_INVALID_ARGUMENT]');
  });

  it('sign writes <policy>.bundle.json next to the policy', () => {
    const run = mng(['policy', 'sign', 'zone.yaml', '--key', 'keys/city-it.key.pem']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('署名しました');
    const bundle = JSON.parse(readFileSync(path.join(work, 'zone.bundle.json'), 'utf8')) as { format: string; payload: string };
    expect(bundle.format).toBe('mynumber-guard.policy-bundle/v1');
    expect(Buffer.from(bundle.payload, 'base64').toString('utf8')).toBe(readFileSync(path.join(work, 'zone.yaml'), 'utf8'));
  });

  it('verify exits 0 and prints id, version, issuer, validity, key and payload hash', () => {
    const run = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('検証に成功しました: zone.bundle.json');
    expect(run.stdout).toContain('版 4');
    expect(run.stdout).toContain('発行者');
    expect(run.stdout).toContain('有効期間');
    expect(run.stdout).toContain('署名鍵: city-it');
    expect(run.stdout).toMatch(/payload SHA-256: [0-9a-f]{64}/);
  });

  it('verify --json prints one JSON document', () => {
    const run = mng(['--json', 'policy', 'verify', 'zone.bundle.json', '--trust', 'keys/city-it.pub.pem']);
    expect(run.status).toBe(0);
    expect(json(run)).toMatchObject({ ok: true, version: 4, keyLabel: 'city-it', unknownKeyIds: [] });
  });

  it('one flipped byte: verify exits 1 with one clear line saying what, where and what to do', () => {
    flipPayloadByte(path.join(work, 'zone.bundle.json'), path.join(work, 'tampered.json'));
    const run = mng(['policy', 'verify', 'tampered.json', '--trust', 'keys']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mng: tampered\.json: 署名 1（鍵 city-it、[0-9a-f]{32}）が内容と一致しません。.*受け取り直してください \[bad-signature\]$/);

    const en = mng(['--lang', 'en', '--json', 'policy', 'verify', 'tampered.json', '--trust', 'keys']);
    expect(en.status).toBe(1);
    expect(json(en)).toMatchObject({ ok: false, rejection: { code: 'bad-signature' } });
    expect(en.stderr).toContain('does not match the content');
  });

  it('--at and --min-version: expired, not yet valid, rollback', () => {
    const later = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys', '--at', '2099-01-01T00:00:00+09:00']);
    expect(later.status).toBe(1);
    expect(later.stderr).toContain('[expired]');
    const earlier = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys', '--at', '2000-01-01T00:00:00Z']);
    expect(earlier.stderr).toContain('[not-yet-valid]');
    const min = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys', '--min-version', '5']);
    expect(min.status).toBe(1);
    expect(min.stderr).toContain('[rollback]');
    const badAt = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys', '--at', 'yesterday']);
    expect(badAt.status).toBe(2);
    expect(badAt.stderr).toContain('--at');
  });

  it('a key outside the trust store, or an empty trust store, is refused with exit 1', () => {
    mkdirSync(path.join(work, 'other'));
    expect(mng(['policy', 'keygen', '--out', 'other', '--name', 'other']).status).toBe(0);
    const unknown = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'other']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('[unknown-key]');
    mkdirSync(path.join(work, 'empty'));
    const empty = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'empty']);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('[no-trusted-keys]');
  });

  it('a private key given as trust store: exit 2 naming the file', () => {
    const run = mng(['policy', 'verify', 'zone.bundle.json', '--trust', 'keys/city-it.key.pem']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('keys/city-it.key.pem');
    expect(run.stderr).toContain('[MNG_E_KEY_INVALID]');
  });

  it('co-signing adds a second signature that verifies on its own', () => {
    expect(mng(['policy', 'sign', 'zone.bundle.json', '--key', 'other/other.key.pem', '--out', 'cosigned.json']).status).toBe(0);
    const run = mng(['--json', 'policy', 'verify', 'cosigned.json', '--trust', 'other']);
    expect(run.status).toBe(0);
    expect(json(run)).toMatchObject({ keyLabel: 'other', unknownKeyIds: [expect.stringMatching(/^[0-9a-f]{32}$/)] });
  });

  it('show prints the payload and warns that nothing was verified', () => {
    const run = mng(['policy', 'show', 'zone.bundle.json']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(path.join(work, 'zone.yaml'), 'utf8'));
    expect(run.stderr).toContain('署名は検証していません');
  });
});

describe('mng policy: input that is not a bundle', () => {
  it('a directory: exit 2', () => {
    const run = mng(['policy', 'verify', '.', '--trust', '.']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('[MNG_E_NOT_REGULAR_FILE]');
  });

  it.skipIf(!needTools('mkfifo'))('a FIFO: exit 2 at once, no hang', () => {
    const fifo = path.join(work, 'pipe.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    const run = runMng(['policy', 'lint', 'pipe.json'], { cwd: work, timeoutMs: 5000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('FIFO');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a 50 MB file: refused as too large without reading it (exit 1)', () => {
    const big = path.join(work, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 50 * 1024 * 1024);
    const run = mng(['policy', 'verify', 'big.json', '--trust', 'keys']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('[too-large]');
  });

  it('malformed JSON: the position is reported', () => {
    writeFileSync(path.join(work, 'bad.json'), '{\n  "format": "mynumber-guard.policy-bundle/v1",\n  "payload" "x"\n}\n');
    const run = mng(['--lang', 'en', 'policy', 'lint', 'bad.json']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("bad.json:3:13: error: the bundle is not valid JSON (line 3, column 13): expected ':'");
  });
});

describe('mng policy lint and sign on a broken policy', () => {
  beforeAll(() => {
    writeFileSync(path.join(work, 'broken.yaml'), 'apiVersion: mynumber-guard/v1\nkind: ZonePolicy\nmetadata:\n  id: x\n   bad: [\n');
  });

  it('lint prints file:line:col diagnostics and exits 1', () => {
    const run = mng(['policy', 'lint', 'broken.yaml']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^broken\.yaml:\d+:\d+: エラー: .+ \[[a-z-]+\]$/m);
    expect(run.stdout).toMatch(/broken\.yaml: エラー \d+ 件、警告 \d+ 件/);
  });

  it('lint --json parses as JSON', () => {
    const run = mng(['--json', 'policy', 'lint', 'broken.yaml']);
    expect(run.status).toBe(1);
    const out = json(run);
    expect(out).toMatchObject({ ok: false, kind: 'policy' });
    expect((out.diagnostics as unknown[]).length).toBeGreaterThan(0);
  });

  it('lint of the default policy exits 0', () => {
    const run = mng(['policy', 'lint', 'zone.yaml']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('問題は見つかりませんでした');
  });

  it('lint of a bundle lints its payload', () => {
    const run = mng(['--json', 'policy', 'lint', 'zone.bundle.json']);
    expect(run.status).toBe(0);
    expect(json(run)).toMatchObject({ ok: true, kind: 'bundle', errors: 0 });
  });

  it('sign refuses a policy with errors (exit 1) and writes nothing', () => {
    const run = mng(['policy', 'sign', 'broken.yaml', '--key', 'keys/city-it.key.pem']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^broken\.yaml:\d+:\d+: エラー: /m);
    expect(run.stderr).toContain('署名しません');
    expect(() => statSync(path.join(work, 'broken.bundle.json'))).toThrow();
  });
});
