// `mng usb rule check` end to end: the real built CLI in a child process. Expected outputs come
// from the corpus, whose expectations usb-rule-parser.test.ts checks against usbguard-rule-parser.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMng } from '../helpers/mng';
import { readCorpus } from './usb-rule-corpus';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-usb-rule-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const mng = (args: string[]) => runMng(args, { cwd: work });

describe('mng usb rule check <rule>', () => {
  it('prints the canonical rule and exits 0', () => {
    const run = mng(['usb', 'rule', 'check', 'allow  label "x" id  ABCD:EF01  name "日" #c']);
    expect([run.status, run.stdout, run.stderr]).toEqual([0, 'allow id ABCD:EF01 name "\\xe6\\x97\\xa5" label "x"\n', '']);
  });

  it('prints <line>:<col>: <message> on stderr and exits 1', () => {
    const run = mng(['usb', 'rule', 'check', 'allow with-interface 08:*:50']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^1:22: “08:\*:50” はインターフェースの種類として使えません。.*\n$/);
    const english = mng(['--lang', 'en', 'usb', 'rule', 'check', 'allow with-interface 08:*:50']);
    expect(english.stderr).toMatch(/^1:22: “08:\*:50” is not a usable interface type/);
  });

  it('counts columns in characters, not bytes', () => {
    const run = mng(['--lang', 'en', 'usb', 'rule', 'check', 'allow name "日本語" id 1:2']);
    expect(run.stderr).toMatch(/^1:17: /);
  });

  it('--json gives the canonical rule or the errors with codes', () => {
    const good = mng(['--json', 'usb', 'rule', 'check', 'read-only id 0781:5583 expires "2027-03-31T23:59:59+09:00"']);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ ok: true, line: 1, rule: 'read-only id 0781:5583 expires "2027-03-31T23:59:59+09:00"', usbguardCompatible: false });
    const bad = mng(['--json', 'usb', 'rule', 'check', 'allow if TRUE']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, errors: [{ line: 1, column: 10, byteColumn: 10, code: 'condition-unknown' }] });
  });

  it('--usbguard refuses the extensions', () => {
    const run = mng(['--lang', 'en', 'usb', 'rule', 'check', '--usbguard', 'allow expires "2027-03-31T23:59:59Z"']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^1:6: expires is a mynumber-guard extension/);
  });

  it('a comment-only rule is valid and prints nothing', () => {
    expect(mng(['usb', 'rule', 'check', '# nothing'])).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('exits 2 without a rule, with a rule and --file, and for an unreadable file', () => {
    expect(mng(['usb', 'rule', 'check']).status).toBe(2);
    expect(mng(['usb', 'rule', 'check', 'allow', '--file', 'x.conf']).status).toBe(2);
    expect(mng(['usb', 'rule', 'check', '--file', 'missing.conf']).status).toBe(2);
  });
});

describe('mng usb rule check --file', () => {
  it('prints the canonical form of every rule of the good corpus, in order', () => {
    const cases = readCorpus('good.rules').filter((c) => c.rule !== '');
    writeFileSync(path.join(work, 'good.conf'), cases.map((c) => c.rule).join('\n'));
    const run = mng(['usb', 'rule', 'check', '--file', 'good.conf']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const expected = cases.map((c) => c.output).filter((o) => o !== '');
    expect(run.stdout).toBe(`${expected.join('\n')}\n`);
  });

  it('lists every bad line of the bad corpus with its real line number, and exits 1', () => {
    // The empty rule is a skipped empty line in a file.
    const cases = readCorpus('bad.rules').filter((c) => c.rule !== '');
    writeFileSync(path.join(work, 'bad.conf'), ['# header', ...cases.map((c) => c.rule)].join('\n'));
    const run = mng(['--json', 'usb', 'rule', 'check', '--usbguard', '--file', 'bad.conf']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; errors: { line: number; byteColumn: number; code: string }[] };
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.line, e.byteColumn, e.code])).toEqual(cases.map((c, i) => [i + 2, c.error?.byteColumn, c.error?.code]));
    expect(run.stderr.split('\n').filter((l) => l !== '')).toHaveLength(cases.length);
    expect(run.stderr).toMatch(/^bad\.conf:2:1: /);
  });
});
