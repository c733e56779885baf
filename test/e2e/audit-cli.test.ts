// `mng audit …` end to end: a log written by the real writer, checked by the real built CLI.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditRecordRef } from '../../src/agent/audit';
import { createNodeAuditFile } from '../../src/agent/platform/node';
import { createFixedClock } from '../../src/shared/clock';
import { runMng, type MngRun } from '../helpers/mng';
import { needTools } from '../helpers/system-tools';

let work: string;
let last: AuditRecordRef;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-audit-cli-'));
  const clock = createFixedClock(Date.UTC(2025, 3, 1, 0, 0, 0));
  const log = await createAuditLog({ file: createNodeAuditFile(path.join(work, 'audit.jsonl')), clock, host: 'pc-01', reportError: () => undefined });
  for (let i = 0; i < 5; i += 1) {
    last = await log.append({ type: i === 2 ? 'policy.applied' : 'usb.blocked', severity: i === 4 ? 'alert' : 'notice', data: { i } });
    clock.advanceMs(60_000);
  }
  await log.close();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function mng(args: string[], lang: 'ja' | 'en' = 'ja'): MngRun {
  return runMng(args, { cwd: work, env: { LANG: lang === 'ja' ? 'ja_JP.UTF-8' : 'en_US.UTF-8' }, timeoutMs: 10_000 });
}

/** Copies the good log (and its head) into a case folder, applying `edit` to its lines. */
function variant(name: string, edit: (lines: string[]) => string[] = (lines) => lines, withHead = true): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  const lines = readFileSync(path.join(work, 'audit.jsonl'), 'utf8').split('\n').slice(0, -1);
  writeFileSync(path.join(dir, 'audit.jsonl'), edit(lines).map((line) => `${line}\n`).join(''));
  if (withHead) copyFileSync(path.join(work, 'audit.jsonl.head'), path.join(dir, 'audit.jsonl.head'));
  return dir;
}

describe('mng audit verify', () => {
  it('exits 0 on an intact log and says how far it checked, with the head found next to it', () => {
    const ja = mng(['audit', 'verify', 'audit.jsonl']);
    expect(ja.status).toBe(0);
    expect(ja.stdout).toContain(`OK: 記録 5 件、最後の seq 5、最後のハッシュ ${last.hash}`);
    expect(ja.stdout).toContain('audit.jsonl.head（seq 5）と一致しました');
    const en = mng(['--lang', 'en', 'audit', 'verify', '--file', 'audit.jsonl']);
    expect(en.status).toBe(0);
    expect(en.stdout).toContain(`OK: 5 records, last seq 5, last hash ${last.hash}`);
  });

  it('prints the result object with --json', () => {
    const run = mng(['audit', 'verify', 'audit.jsonl', '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, records: 5, lastSeq: 5, lastHash: last.hash, head: { state: 'matched' } });
  });

  it('exits 1 and names the record when one byte was edited', () => {
    const dir = variant('edited', (lines) => lines.map((line, i) => (i === 2 ? line.replace('"i":2', '"i":3') : line)));
    const run = runMng(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: { LANG: 'en_US.UTF-8' } });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^NG: audit\.jsonl:3 \(seq 3\): changed after it was written.*\[edited\]$/m);
    expect(run.stdout).toContain('The 2 records up to line 2 verified correctly.');
  });

  it('exits 1 when the last record was deleted and the head shows it; not without the head', () => {
    const dir = variant('cut', (lines) => lines.slice(0, 4));
    const run = runMng(['audit', 'verify', 'audit.jsonl'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^NG: audit\.jsonl:5 \(seq 5\): ファイルが途中で終わっています.*\[truncated\]$/m);
    const blind = runMng(['audit', 'verify', 'audit.jsonl', '--no-head'], { cwd: dir });
    expect(blind.status).toBe(0);
    expect(blind.stdout).toContain('--no-head');
  });

  it('checks against a head given with --head (the collector\'s copy)', () => {
    const dir = variant('anchored', (lines) => lines.slice(0, 4), false);
    writeFileSync(path.join(dir, 'anchor.json'), JSON.stringify({ seq: last.seq, hash: last.hash }));
    const run = runMng(['audit', 'verify', 'audit.jsonl', '--head', 'anchor.json', '--json'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, firstBad: { line: 5, reason: 'truncated' } });
    const noHead = runMng(['audit', 'verify', 'audit.jsonl'], { cwd: dir });
    expect(noHead.status).toBe(0);
    expect(noHead.stdout).toContain('末尾の記録の削除は検出できません');
  });

  it('exits 1 when the head next to the log is damaged', () => {
    const dir = variant('bad-head');
    writeFileSync(path.join(dir, 'audit.jsonl.head'), 'not json');
    const run = runMng(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: { LANG: 'en_US.UTF-8' } });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^OK: 5 records/m);
    expect(run.stdout).toMatch(/^NG: the head .*audit\.jsonl\.head is damaged/m);
  });

  it('exits 2 with one clear line when the file is missing, a directory, or the --head file is missing', () => {
    const missing = mng(['audit', 'verify', 'nope.jsonl']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('監査ログ nope.jsonl がありません');

    const started = Date.now();
    const directory = mng(['--lang', 'en', 'audit', 'verify', work]);
    expect(directory.status).toBe(2);
    expect(directory.stderr).toMatch(/is a directory, not a regular file.*give the path of the audit log file/);
    expect(Date.now() - started).toBeLessThan(8000);

    const head = mng(['audit', 'verify', 'audit.jsonl', '--head', 'missing.head']);
    expect(head.status).toBe(2);
    expect(head.stderr).toContain('missing.head');
  });

  it('exits 1 naming a torn last line (looked at twice, in case the agent was writing it)', () => {
    const dir = variant('torn');
    const file = path.join(dir, 'audit.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, -30));
    const run = runMng(['audit', 'verify', 'audit.jsonl', '--no-head', '--lang', 'en'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^NG: audit\.jsonl:5 \(seq 5\): the last line is cut off.*\[torn-line\]$/m);
  });

  it('exits 2 for both an argument and a different --file', () => {
    const run = mng(['audit', 'verify', 'a.jsonl', '--file', 'b.jsonl']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--file');
  });
});

describe.skipIf(!needTools('mkfifo'))('mng audit verify on a FIFO', () => {
  it('exits 2 quickly instead of waiting for a writer', () => {
    const fifo = path.join(work, 'audit-fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    const run = mng(['--lang', 'en', 'audit', 'verify', fifo]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/named pipe \(FIFO\), not a regular file/);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

describe('mng audit show', () => {
  it('prints records, filtered by type, time and severity', () => {
    const all = mng(['audit', 'show', 'audit.jsonl']);
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(5);
    expect(all.stdout).toMatch(/^1\t2025-04-01T00:00:00\.000Z\tnotice\tusb\.blocked\tpc-01\t\{"i":0\}$/m);

    const usb = JSON.parse(mng(['audit', 'show', 'audit.jsonl', '--type', 'usb', '--json']).stdout) as Array<{ seq: number }>;
    expect(usb.map((record) => record.seq)).toEqual([1, 2, 4, 5]);
    const since = JSON.parse(mng(['audit', 'show', 'audit.jsonl', '--since', '2025-04-01T09:03:00+09:00', '--json']).stdout) as Array<{ seq: number }>;
    expect(since.map((record) => record.seq)).toEqual([4, 5]);
    const alerts = JSON.parse(mng(['audit', 'show', 'audit.jsonl', '--severity', 'alert', '--json']).stdout) as Array<{ seq: number }>;
    expect(alerts.map((record) => record.seq)).toEqual([5]);
    const tail = JSON.parse(mng(['audit', 'show', 'audit.jsonl', '--tail', '2', '--json']).stdout) as Array<{ seq: number }>;
    expect(tail.map((record) => record.seq)).toEqual([4, 5]);
  });

  it('refuses a bad --since with exit 2', () => {
    const run = mng(['audit', 'show', 'audit.jsonl', '--since', 'yesterday']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--since');
  });
});
