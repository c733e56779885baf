// Tests of the logind adapter. It was never run against a live logind (no systemd as PID 1 on the
// development machines): parsers run on test/fixtures/logind (see its README for each file's
// origin), the command plan on an injected runner, and the event path on a real dbus-monitor
// watching a private dbus-daemon when one can be started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionHint } from '../../session/ports';
import {
  classifyLoginctlFailure,
  createDbusMonitorReader,
  createLogindSessions,
  decodeBusLabel,
  encodeBusLabel,
  loginctlShowArgs,
  parseLoginctlList,
  parseLoginctlShow,
  parseLogindSignal,
  sessionFactsFromProperties,
  type LoginctlOutcome,
} from './logind-sessions';
import type { MonitorChild } from './monitor-child';

const fixtures = path.resolve(import.meta.dirname, '../../../../test/fixtures/logind');
const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');

describe('loginctl parsers (systemd 252 text)', () => {
  it('reads the session ids of list-sessions --no-legend', () => {
    expect(parseLoginctlList(fixture('list-sessions-no-legend.txt'))).toEqual(['c1', '2', '3', '5', 'c5']);
    expect(parseLoginctlList('')).toEqual([]);
  });

  it('reads show-session blocks into session facts', () => {
    const blocks = parseLoginctlShow(fixture('show-session.txt'));
    expect(blocks).toHaveLength(5);
    const facts = blocks.map((block) => sessionFactsFromProperties(block, 6_000_000_000n));
    expect(facts.every((f) => f.ok)).toBe(true);
    const [greeter, alice, carol, bob, cron] = facts.map((f) => (f.ok ? f.value : undefined));
    expect(greeter).toMatchObject({ id: 'c1', sessionClass: 'greeter', user: 'Debian-gdm', uid: 113 });
    expect(alice).toEqual({
      id: '2',
      uid: 1000,
      user: 'alice',
      seat: 'seat0',
      tty: 'tty2',
      sessionClass: 'user',
      type: 'wayland',
      remote: false,
      active: true,
      osState: 'active',
      osLocked: false,
      idleForMs: 0,
      leaderPid: 1290,
    });
    // IdleSinceHintMonotonic 5,400 s, now 6,000 s: idle for 600 s.
    expect(carol).toMatchObject({ id: '3', type: 'x11', osLocked: true, idleForMs: 600_000, active: false });
    expect(bob).toMatchObject({ id: '5', seat: null, tty: 'pts/0', remote: true, type: 'tty' });
    expect(cron).toMatchObject({ id: 'c5', sessionClass: 'background', osState: 'closing', seat: null, tty: null });
  });

  it('rejects blocks that cannot be sessions', () => {
    const bad = [
      new Map([['Id', '../x']]),
      new Map([['Id', '2'], ['User', '-1'], ['Name', 'a']]),
      new Map([['Id', '2'], ['User', '4294967295'], ['Name', 'a']]),
      new Map([['Id', '2'], ['User', '1000']]),
    ];
    for (const block of bad) expect(sessionFactsFromProperties(block, 0n).ok).toBe(false);
  });

  it('splits blocks on a repeated Id even without a blank line, and keeps "=" in values', () => {
    expect(parseLoginctlShow('Id=2\nName=a=b\nId=3\nName=c\n').map((b) => Object.fromEntries(b))).toEqual([
      { Id: '2', Name: 'a=b' },
      { Id: '3', Name: 'c' },
    ]);
  });

  it('round-trips any property blocks and never throws (fuzz)', () => {
    const key = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/).filter((k) => k !== 'Id');
    const value = fc.string({ maxLength: 30 }).filter((v) => !v.includes('\n'));
    const block = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,6}$/), fc.dictionary(key, value, { maxKeys: 6 }));
    fc.assert(
      fc.property(fc.array(block, { maxLength: 5 }), (blocks) => {
        const text = blocks.map(([id, props]) => [`Id=${id}`, ...Object.entries(props).map(([k, v]) => `${k}=${v}`)].join('\n')).join('\n\n');
        const parsed = parseLoginctlShow(text).map((b) => Object.fromEntries(b));
        expect(parsed).toEqual(blocks.map(([id, props]) => ({ Id: id, ...props })));
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.bigInt({ min: 0n, max: 2n ** 64n }), (text, now) => {
        for (const b of parseLoginctlShow(text)) sessionFactsFromProperties(b, now);
        parseLoginctlList(text);
      }),
    );
  });

  it('classifies loginctl failures', () => {
    expect(classifyLoginctlFailure({ exitCode: 1, stdout: '', stderr: fixture('loginctl-no-systemd.stderr.txt') })).toMatchObject({ reason: 'no-service' });
    expect(classifyLoginctlFailure({ exitCode: 1, stdout: '', stderr: 'Access denied\n' })).toMatchObject({ reason: 'failed', detail: 'Access denied' });
  });
});

describe('sd-bus path labels', () => {
  it('decodes logind session paths', () => {
    expect(decodeBusLabel('_32')).toBe('2');
    expect(decodeBusLabel('_312')).toBe('12');
    expect(decodeBusLabel('c1')).toBe('c1');
    expect(decodeBusLabel('_')).toBe('');
    expect(decodeBusLabel('_3')).toBeUndefined();
    expect(decodeBusLabel('a-b')).toBeUndefined();
    expect(encodeBusLabel('2')).toBe('_32');
    expect(encodeBusLabel('c1')).toBe('c1');
  });

  it('round-trips any ASCII id and never throws (fuzz)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 1, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 20 }), (id) => {
        expect(decodeBusLabel(encodeBusLabel(id))).toBe(id);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (label) => {
        decodeBusLabel(label);
      }),
    );
  });
});

describe('dbus-monitor reader (captured dbus-monitor 1.14.10 output)', () => {
  const captured = fixture('dbus-monitor-login1.txt');
  const expected: SessionHint[] = [
    { kind: 'sleep', phase: 'suspending' },
    { kind: 'sleep', phase: 'resumed' },
    { kind: 'changed', sessionId: '2' },
    { kind: 'unlock-requested', sessionId: '2' },
    { kind: 'changed', sessionId: '3' },
    { kind: 'changed', sessionId: '3' },
    { kind: 'changed', sessionId: 'c1' },
    { kind: 'changed', sessionId: '2' },
  ];

  it('turns the signals into hints, ignoring the bus’s own NameAcquired/NameLost', () => {
    expect(createDbusMonitorReader().push(captured)).toEqual(expected);
  });

  it('gives the same hints however the output is cut into chunks (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: captured.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const reader = createDbusMonitorReader();
        const hints: SessionHint[] = [];
        let from = 0;
        for (const point of [...points, captured.length]) {
          hints.push(...reader.push(captured.slice(from, point)));
          from = point;
        }
        // A chunk may end right after a SessionNew header: the id is then unknown (null), not wrong.
        const shape = (h: SessionHint) => (h.kind === 'changed' ? { kind: h.kind } : h);
        expect(hints.map(shape)).toEqual(expected.map(shape));
        for (const [i, hint] of hints.entries()) {
          if (hint.kind === 'changed' && hint.sessionId !== null) expect(hint.sessionId).toBe((expected[i] as { sessionId: string }).sessionId);
        }
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (text) => {
        createDbusMonitorReader().push(text);
      }),
    );
    expect(parseLogindSignal('signal time=1 sender=:1.1 -> destination=(null destination) serial=1 path=/org/freedesktop/login1/session/_2; interface=org.freedesktop.login1.Session; member=Unlock')).toBeUndefined();
  });
});

/** A runner that answers from a table and records the commands. */
function fakeRunner(answers: Record<string, LoginctlOutcome | Error>) {
  const calls: string[] = [];
  const run = (file: string, args: readonly string[]): Promise<LoginctlOutcome> => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const key = Object.keys(answers).find((prefix) => line.startsWith(prefix));
    const answer = key === undefined ? { exitCode: 1, stdout: '', stderr: `unexpected: ${line}` } : answers[key];
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer as LoginctlOutcome);
  };
  return { calls, run };
}

describe('createLogindSessions: command plan (injected runner)', () => {
  it('lists with list-sessions then one show-session for all ids', async () => {
    const runner = fakeRunner({
      'loginctl list-sessions': { exitCode: 0, stdout: fixture('list-sessions-no-legend.txt'), stderr: '' },
      'loginctl show-session': { exitCode: 0, stdout: fixture('show-session.txt'), stderr: '' },
    });
    const source = createLogindSessions({ run: runner.run, monotonicNowUs: () => 6_000_000_000n });
    const listed = await source.list();
    expect(runner.calls).toEqual([
      'loginctl list-sessions --no-legend --no-pager',
      `loginctl ${loginctlShowArgs(['c1', '2', '3', '5', 'c5']).join(' ')}`,
    ]);
    expect(runner.calls[1]).toBe(
      'loginctl show-session --no-pager c1 2 3 5 c5 -p Id -p Name -p User -p State -p Active -p LockedHint -p IdleHint -p IdleSinceHintMonotonic -p Class -p Type -p Remote -p Seat -p TTY -p Leader',
    );
    expect(listed.ok && listed.value.map((s) => s.id)).toEqual(['c1', '2', '3', '5', 'c5']);
  });

  it('keeps the sessions printed when one ended between the two commands', async () => {
    const runner = fakeRunner({
      'loginctl list-sessions': { exitCode: 0, stdout: '2 1000 alice seat0 tty2\n9 1003 dave seat0 tty4\n', stderr: '' },
      'loginctl show-session': { exitCode: 1, stdout: fixture('show-session.txt').split('\n\n')[1] ?? '', stderr: "Failed to get session path: No session '9' known\n" },
    });
    const listed = await createLogindSessions({ run: runner.run, monotonicNowUs: () => 0n }).list();
    expect(listed.ok && listed.value.map((s) => s.id)).toEqual(['2']);
  });

  it('reports no logind, a missing loginctl and a failing show-session as failures', async () => {
    const noLogind = fakeRunner({ 'loginctl list-sessions': { exitCode: 1, stdout: '', stderr: fixture('loginctl-no-systemd.stderr.txt') } });
    expect(await createLogindSessions({ run: noLogind.run }).list()).toMatchObject({ ok: false, error: { reason: 'no-service' } });
    const missing = fakeRunner({ 'loginctl list-sessions': Object.assign(new Error('spawn loginctl ENOENT'), { code: 'ENOENT' }) });
    expect(await createLogindSessions({ run: missing.run }).list()).toMatchObject({ ok: false, error: { reason: 'tool-missing' } });
    const broken = fakeRunner({ 'loginctl list-sessions': { exitCode: 0, stdout: '2 1000 alice\n', stderr: '' }, 'loginctl show-session': { exitCode: 1, stdout: '', stderr: 'Access denied\n' } });
    expect(await createLogindSessions({ run: broken.run }).list()).toMatchObject({ ok: false, error: { reason: 'failed' } });
    const none = fakeRunner({ 'loginctl list-sessions': { exitCode: 0, stdout: '', stderr: '' } });
    expect(await createLogindSessions({ run: none.run }).list()).toEqual({ ok: true, value: [] });
    expect(none.calls).toHaveLength(1);
  });

  it('locks and terminates with loginctl lock-session / terminate-session, refusing odd ids unrun', async () => {
    const runner = fakeRunner({
      'loginctl lock-session 2': { exitCode: 0, stdout: '', stderr: '' },
      'loginctl terminate-session 2': { exitCode: 1, stdout: '', stderr: "Could not terminate session: No session '2' known\n" },
    });
    const control = createLogindSessions({ run: runner.run });
    expect(await control.lock('2')).toEqual({ ok: true });
    expect(await control.terminate('2')).toEqual({ ok: false, detail: "Could not terminate session: No session '2' known" });
    expect(await control.lock('--all')).toMatchObject({ ok: false });
    expect(runner.calls).toEqual(['loginctl lock-session 2', 'loginctl terminate-session 2']);
  });
});

/** A scripted dbus-monitor child. */
function fakeChild() {
  const listeners = { out: [] as ((c: string) => void)[], exit: [] as ((code: number | null, signal: string | null) => void)[] };
  const child: MonitorChild & { write(c: string): void; exit(code: number): void; killed: string[] } = {
    killed: [],
    onStdout: (l) => listeners.out.push(l),
    onStderr: () => undefined,
    onExit: (l) => listeners.exit.push(l),
    onError: () => undefined,
    kill: (signal) => child.killed.push(signal),
    write: (c) => listeners.out.forEach((l) => l(c)),
    exit: (code) => listeners.exit.forEach((l) => l(code, null)),
  };
  return child;
}

describe('createLogindSessions: watch', () => {
  it('runs dbus-monitor on the system bus, passes hints on and restarts it when it dies', () => {
    const children: ReturnType<typeof fakeChild>[] = [];
    const spawned: string[] = [];
    const timers: { run: () => void; delayMs: number }[] = [];
    const source = createLogindSessions({
      spawn: (command, args) => {
        spawned.push([command, ...args].join(' '));
        const child = fakeChild();
        children.push(child);
        return child;
      },
      schedule: (run, delayMs) => {
        timers.push({ run, delayMs });
        return () => undefined;
      },
    });
    const hints: SessionHint[] = [];
    const stop = source.watch((hint) => hints.push(hint));
    expect(spawned).toEqual(["dbus-monitor --system type='signal',path_namespace='/org/freedesktop/login1'"]);
    children[0]?.write('signal time=1.2 sender=:1.3 -> destination=(null destination) serial=9 path=/org/freedesktop/login1; interface=org.freedesktop.login1.Manager; member=PrepareForSleep\n   boolean true\n');
    children[0]?.exit(1);
    expect(hints).toEqual([{ kind: 'sleep', phase: 'suspending' }, { kind: 'watch-failed', detail: 'dbus-monitor exited (code 1)' }]);
    expect(timers.map((t) => t.delayMs)).toEqual([500]);
    timers[0]?.run();
    expect(spawned).toHaveLength(2);
    stop();
    expect(children[1]?.killed).toEqual(['SIGTERM']);
  });
});

// The event path end to end on a real dbus-monitor: a private dbus-daemon stands in for the system
// bus, dbus-send emits logind-shaped signals. Not logind itself (see the file header).
const haveDbus = spawnSync('dbus-daemon', ['--version']).status === 0 && spawnSync('dbus-send', ['--help']).status !== null;
describe.runIf(haveDbus || process.env.CI === 'true')('createLogindSessions: watch on a real dbus-monitor (private bus)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-logind-'));
  let daemon: ChildProcess | undefined;
  afterAll(() => {
    daemon?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers PrepareForSleep and Session.Lock from the bus', async () => {
    const socket = path.join(dir, 'bus');
    writeFileSync(
      path.join(dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy></busconfig>`,
    );
    daemon = spawn('dbus-daemon', ['--config-file', path.join(dir, 'bus.conf'), '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => daemon?.stdout?.once('data', () => resolve()));
    const address = `unix:path=${socket}`;
    const hints: SessionHint[] = [];
    const stop = createLogindSessions({ bus: { address } }).watch((hint) => hints.push(hint));
    const send = (...args: string[]) => spawnSync('dbus-send', [`--address=${address}`, '--type=signal', ...args]);
    // Wait until the monitor is attached: keep sending until the first hint arrives.
    for (let i = 0; i < 50 && hints.length === 0; i += 1) {
      send('/org/freedesktop/login1', 'org.freedesktop.login1.Manager.PrepareForSleep', 'boolean:true');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = hints.length;
    send('/org/freedesktop/login1/session/_32', 'org.freedesktop.login1.Session.Lock');
    send('/org/freedesktop/login1/session/c1', 'org.freedesktop.login1.Session.Unlock');
    send('/org/freedesktop/other', 'org.example.Thing.Happened');
    for (let i = 0; i < 50 && hints.length < before + 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(hints[0]).toEqual({ kind: 'sleep', phase: 'suspending' });
    expect(hints.slice(before)).toEqual([
      { kind: 'changed', sessionId: '2' },
      { kind: 'unlock-requested', sessionId: 'c1' },
    ]);
  });
});
