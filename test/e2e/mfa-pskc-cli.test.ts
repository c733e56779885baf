// `mng mfa import-pskc` and `mng mfa pam sync` through the real built CLI, on the RFC 6030 fixtures
// and temporary stores (no root needed: the usersfile owner is the test's own uid).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runMng, type MngRun } from '../helpers/mng';

const fixtures = path.join(repoRoot, 'test/fixtures/pskc');
let work: string;
let storeArgs: string[];

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-pskc-cli-'));
  storeArgs = ['--state-dir', path.join(work, 'state'), '--key-file', path.join(work, 'keys', 'mfa.key')];
  writeFileSync(path.join(work, 'qwerty.txt'), 'qwerty\n');
  writeFileSync(path.join(work, 'wrong.txt'), 'Qwerty\n');
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function mng(args: string[], lang = 'ja_JP.UTF-8'): MngRun {
  return runMng(args, { cwd: work, env: { LANG: lang } });
}

describe('mng mfa import-pskc', () => {
  it('imports the RFC 6030 Figure 7 vector (TOTP variant) with a passphrase file', () => {
    const run = mng(['--json', 'mfa', 'import-pskc', path.join(fixtures, 'figure7-totp.xml'), '--passphrase-file', 'qwerty.txt', ...storeArgs]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, imported: [{ user: 'hanako', serial: '987654321', keyId: '123456', algorithm: 'SHA1', digits: 6, periodSeconds: 30 }], skipped: [] });
    const journal = readFileSync(path.join(work, 'state', 'mfa', 'admin-events.jsonl'), 'utf8');
    expect(journal).toContain('"type":"mfa.pskc-imported"');
    // The journal never holds the secret (ASCII 12345678901234567890, base64 MTIz…).
    expect(journal).not.toContain('12345678901234567890');
    expect(journal).not.toContain('MTIzNDU2');
  });

  it('a wrong passphrase: exit 1, one clear line, nothing imported', () => {
    const run = mng(['mfa', 'import-pskc', path.join(fixtures, 'figure7-totp.xml'), '--passphrase-file', 'wrong.txt', '--replace', ...storeArgs]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('パスフレーズが違います');
    expect(run.stderr).toContain('何も登録していません');
  });

  it('the pre-shared key of Figure 6, messages in English with --lang en', () => {
    const run = mng(['--lang', 'en', 'mfa', 'import-pskc', path.join(fixtures, 'figure6-totp.xml'), '--psk-hex', '12345678901234567890123456789012', ...storeArgs]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('imported 1 token(s):');
    expect(run.stdout).toContain('taro: serial 987654321, SHA1, 8 digits, 30 s');
  });

  it('HOTP (Figure 3 as published) is refused, naming the key package', () => {
    const run = mng(['mfa', 'import-pskc', path.join(fixtures, 'rfc6030-figure3.xml'), '--user', 'jsmith', ...storeArgs]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('KeyPackage 1（Id 12345678、シリアル 987654321）');
    expect(run.stderr).toContain('TOTP');
  });

  it('a DOCTYPE is refused before parsing', () => {
    writeFileSync(path.join(work, 'xxe.xml'), '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&e;</KeyContainer>');
    const run = mng(['mfa', 'import-pskc', 'xxe.xml', ...storeArgs]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DOCTYPE');
  });

  it('bad arguments exit 2', () => {
    expect(mng(['mfa', 'import-pskc', path.join(fixtures, 'figure6-totp.xml'), '--psk-hex', 'abcd', ...storeArgs]).status).toBe(2);
    expect(mng(['mfa', 'import-pskc', path.join(fixtures, 'figure6-totp.xml'), '--user-map', 'nonsense', ...storeArgs]).status).toBe(2);
    const again = mng(['mfa', 'import-pskc', path.join(fixtures, 'figure6-totp.xml'), '--psk-hex', '12345678901234567890123456789012', ...storeArgs]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('taro');
  });
});

describe('mng mfa pam sync', () => {
  it('writes the usersfile; a SHA-256 token is left out with a warning and exit 1', () => {
    const sha256 = readFileSync(path.join(fixtures, 'figure3-totp.xml'), 'utf8').replace('<Suite>HMAC-SHA1</Suite>', '<Suite>HMAC-SHA256</Suite>');
    writeFileSync(path.join(work, 'sha256.xml'), sha256);
    expect(mng(['mfa', 'import-pskc', 'sha256.xml', '--user', 'jiro', ...storeArgs]).status).toBe(0);

    const usersfile = path.join(work, 'etc', 'users.oath');
    const uid = String(process.getuid?.() ?? 0);
    const run = mng(['--json', 'mfa', 'pam', 'sync', '--usersfile', usersfile, '--owner-uid', uid, ...storeArgs]);
    expect(run.status).toBe(1);
    const out = JSON.parse(run.stdout) as { added: string[]; skipped: { user: string; reason: { en: string } }[] };
    expect(out.added).toEqual(['hanako', 'taro']);
    expect(out.skipped.map((item) => item.user)).toEqual(['jiro']);
    expect(out.skipped[0]!.reason.en).toContain('HMAC-SHA1');
    const text = readFileSync(usersfile, 'utf8');
    expect(text).toContain(`HOTP/T30/6\thanako\t-\t${Buffer.from('12345678901234567890').toString('hex')}\n`);
    expect(text).toContain(`HOTP/T30/8\ttaro\t-\t`);
    expect(text).not.toContain('jiro');

    const human = mng(['mfa', 'pam', 'sync', '--usersfile', usersfile, '--owner-uid', uid, ...storeArgs]);
    expect(human.stdout).toContain('は最新です');
    expect(human.stdout).toContain('警告: jiro はログオン時に確認できません');
  });

  it('refuses a usersfile whose folder others can write', () => {
    const run = mng(['mfa', 'pam', 'sync', '--usersfile', '/tmp/users.oath', '--owner-uid', String(process.getuid?.() ?? 0), ...storeArgs]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('/tmp');
  });
});
