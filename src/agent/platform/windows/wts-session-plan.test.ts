// The Windows session plan, never run on Windows: the parser runs on written `query session`
// samples (test/fixtures/wts/README.md), the adapter on an injected command runner.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutcome, CommandRunner } from './command-runner';
import { createWtsSessions, parseQuerySession, planWtsList, planWtsLock, planWtsTerminate, unresolvedWindowsUid, wtsSessionFacts } from './wts-session-plan';

const fixtures = path.resolve(import.meta.dirname, '../../../../test/fixtures/wts');
const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');
const uids: Record<string, number> = { tanaka: 1001, suzuki: 1002, sato: 1003 };
const uidOf = (user: string): number | undefined => uids[user];

describe('parseQuerySession', () => {
  it('reads English output', () => {
    const rows = parseQuerySession(fixture('query-session-en.txt'));
    expect(rows.ok && rows.value).toEqual([
      { sessionName: 'services', user: null, id: 0, state: 'disconnected', stateText: 'Disc', current: false },
      { sessionName: 'console', user: 'tanaka', id: 1, state: 'active', stateText: 'Active', current: true },
      { sessionName: 'rdp-tcp#3', user: 'suzuki', id: 2, state: 'active', stateText: 'Active', current: false },
      { sessionName: null, user: 'sato', id: 3, state: 'disconnected', stateText: 'Disc', current: false },
      { sessionName: 'rdp-tcp', user: null, id: 65536, state: 'listen', stateText: 'Listen', current: false },
    ]);
  });

  it('reads Japanese output: localized header, user names with spaces or digits', () => {
    const rows = parseQuerySession(fixture('query-session-ja.txt'));
    expect(rows.ok && rows.value.map((r) => [r.sessionName, r.user, r.id, r.state])).toEqual([
      ['services', null, 0, 'disconnected'],
      ['console', 'yamada taro', 1, 'active'],
      [null, '12345', 4, 'disconnected'],
      ['31c5ce94259d4...', null, 5, 'listen'],
    ]);
  });

  it('fails on output without rows, and never throws (fuzz)', () => {
    expect(parseQuerySession(fixture('query-session-none.txt')).ok).toBe(false);
    expect(parseQuerySession('').ok).toBe(false);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const rows = parseQuerySession(text);
        if (rows.ok) for (const row of rows.value) expect(Number.isSafeInteger(row.id)).toBe(true);
      }),
    );
  });

  it('reads any generated row back (fuzz)', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9#-]{0,14}$/);
    fc.assert(
      fc.property(fc.boolean(), fc.option(word, { nil: null }), fc.option(word, { nil: null }), fc.integer({ min: 0, max: 70_000 }), fc.constantFrom('Active', 'Disc', 'Listen', 'Conn'), (current, name, user, id, state) => {
        const line = `${current ? '>' : ' '}${(name ?? '').padEnd(18)}${(user ?? '').padEnd(20)}${String(id).padStart(6)}  ${state}   \r\n`;
        const rows = parseQuerySession(line);
        expect(rows.ok && rows.value[0]).toMatchObject({ sessionName: name, user, id, stateText: state, current });
      }),
    );
  });
});

describe('wtsSessionFacts', () => {
  it('keeps user sessions only, disconnected = no desktop shown (locked)', () => {
    const rows = parseQuerySession(fixture('query-session-en.txt'));
    const facts = rows.ok ? rows.value.flatMap((r) => wtsSessionFacts(r, uidOf) ?? []) : [];
    expect(facts.map((f) => [f.id, f.uid, f.user, f.remote, f.osLocked, f.type])).toEqual([
      ['1', 1001, 'tanaka', false, false, 'windows'],
      ['2', 1002, 'suzuki', true, false, 'windows'],
      ['3', 1003, 'sato', false, true, 'windows'],
    ]);
    const stranger = wtsSessionFacts({ sessionName: 'console', user: 'guest', id: 7, state: 'active', stateText: 'Active', current: false }, uidOf);
    expect(stranger?.uid).toBe(unresolvedWindowsUid);
  });
});

describe('WTS command plan', () => {
  it('uses the System32 tools with the id as one argument', () => {
    expect(planWtsList('D:\\Win\\')).toEqual({ file: 'D:\\Win\\System32\\query.exe', args: ['session'] });
    expect(planWtsLock('2')).toEqual({ ok: true, value: { file: 'C:\\Windows\\System32\\tsdiscon.exe', args: ['2'] } });
    expect(planWtsTerminate('2')).toEqual({ ok: true, value: { file: 'C:\\Windows\\System32\\logoff.exe', args: ['2'] } });
    expect(planWtsLock('2 & shutdown /s').ok).toBe(false);
    expect(planWtsTerminate('c1').ok).toBe(false);
  });

  it('createWtsSessions lists, locks and ends through the runner', async () => {
    const calls: string[] = [];
    const answers: Record<string, CommandOutcome> = {
      'C:\\Windows\\System32\\query.exe session': { exitCode: 0, stdout: fixture('query-session-en.txt'), stderr: '', timedOut: false },
      'C:\\Windows\\System32\\tsdiscon.exe 2': { exitCode: 0, stdout: '', stderr: '', timedOut: false },
      'C:\\Windows\\System32\\logoff.exe 9': { exitCode: 1, stdout: '', stderr: 'Invalid session identifier 9\r\n', timedOut: false },
    };
    const run: CommandRunner = {
      run(file, args) {
        const line = [file, ...args].join(' ');
        calls.push(line);
        return Promise.resolve(answers[line] ?? { exitCode: 1, stdout: '', stderr: 'unexpected', timedOut: false });
      },
    };
    const wts = createWtsSessions({ run, uidOf });
    const listed = await wts.list();
    expect(listed.ok && listed.value.map((s) => s.id)).toEqual(['1', '2', '3']);
    expect(await wts.lock('2')).toEqual({ ok: true });
    expect(await wts.terminate('9')).toEqual({ ok: false, detail: 'Invalid session identifier 9' });
    expect(await wts.lock('-1')).toMatchObject({ ok: false });
    expect(calls).toEqual(['C:\\Windows\\System32\\query.exe session', 'C:\\Windows\\System32\\tsdiscon.exe 2', 'C:\\Windows\\System32\\logoff.exe 9']);
    const failing: CommandRunner = { run: () => Promise.reject(Object.assign(new Error('spawn query.exe ENOENT'), { code: 'ENOENT' })) };
    expect(await createWtsSessions({ run: failing, uidOf }).list()).toMatchObject({ ok: false, error: { reason: 'tool-missing' } });
  });
});
