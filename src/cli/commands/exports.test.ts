import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeLedgerRecord, type ExportRecord } from '../../agent/exports';
import { systemClock } from '../../shared/clock';
import type { ExitCode } from '../context';
import { registerExportsCommands } from './exports';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function record(time: string, name: string): ExportRecord {
  return {
    path: `/media/taro/USB/${name}`,
    destinationId: 'usb',
    volume: { mountPoint: '/media/taro/USB' },
    kind: 'file',
    sizeBytes: 3,
    sha256: 'b'.repeat(64),
    user: 'taro',
    uid: 1000,
    mtimeMs: 0,
    time,
    action: 'record',
    outcome: 'recorded',
  };
}

async function run(args: string[]): Promise<{ stdout: string; stderr: string; exit: ExitCode | undefined }> {
  let stdout = '';
  let stderr = '';
  let exit: ExitCode | undefined;
  const program = new Command('mng').option('--json').option('--lang <lang>').option('--debug').exitOverride();
  registerExportsCommands(program, {
    io: { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd: '/', clock: systemClock },
    setExit: (code) => (exit = code),
  });
  await program.parseAsync(['node', 'mng', ...args]);
  return { stdout, stderr, exit };
}

describe('mng exports log', () => {
  it('lists the ledger, filters by --since, prints JSON and reports torn lines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mng-exports-cli-'));
    dirs.push(dir);
    await mkdir(dir, { recursive: true });
    const lines = [serializeLedgerRecord(record('2026-11-01T00:00:00.000Z', 'old.txt')), serializeLedgerRecord(record('2026-11-26T01:00:00.000Z', 'new\nline.txt')), '{"torn'];
    await writeFile(path.join(dir, 'exports.jsonl'), `${lines.join('\n')}\n`);

    const all = await run(['--lang', 'en', 'exports', 'log', '--state-dir', dir]);
    expect(all.exit).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(2);
    expect(all.stdout).toContain('"/media/taro/USB/new\\nline.txt"');
    expect(all.stderr).toContain('1 line(s)');

    const since = await run(['--json', 'exports', 'log', '--state-dir', dir, '--since', '2026-11-20']);
    const parsed = JSON.parse(since.stdout) as { records: ExportRecord[]; badLines: number };
    expect(parsed.records.map((r) => r.path)).toEqual(['/media/taro/USB/new\nline.txt']);
    expect(parsed.badLines).toBe(1);
  });

  it('a bad --since is one error line and exit 2; a missing ledger is empty', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mng-exports-cli-'));
    dirs.push(dir);
    const bad = await run(['exports', 'log', '--state-dir', dir, '--since', 'yesterday']);
    expect(bad.exit).toBe(2);
    expect(bad.stderr).toContain('--since yesterday');
    const empty = await run(['--lang', 'en', 'exports', 'log', '--state-dir', path.join(dir, 'none')]);
    expect(empty.exit).toBe(0);
    expect(empty.stdout).toContain('no records');
  });
});
