// Parsers of CUPS 2.4 client output (LC_ALL=C, captured from Debian 12's cups-client 2.4.2 against
// a private cupsd), and the adapter's failure paths against the real clients with a server that
// does not exist (never the machine's own CUPS). Disabling real queues: test/e2e/channels-cups.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { needTools } from '../../../../test/helpers/system-tools';
import { classifyCupsFailure, combineLpstat, CupsPrinterQueues, parseLpstatAccepting, parseLpstatPrinters } from './cups-printers';

const lpstatP = [
  'printer C1 is idle.  enabled since Thu Nov 26 14:21:25 2026',
  'printer Q1 now printing Q1-12.  enabled since Thu Nov 26 14:19:50 2026',
  'printer Q2 disabled since Thu Nov 26 14:19:50 2026 -',
  '\tmynumber-guard: ポリシーで許可されていないプリンタです / printer not allowed by policy',
  'printer Q3 is holding new jobs.  enabled since Thu Nov 26 14:19:50 2026',
  'printer Ofi-ce_2.x is idle.  enabled since Thu Nov 26 14:23:37 2026',
  '',
].join('\n');
const lpstatA = [
  'C1 accepting requests since Thu Nov 26 14:21:25 2026',
  'Q1 accepting requests since Thu Nov 26 14:19:50 2026',
  'Q2 not accepting requests since Thu Nov 26 14:19:50 2026 -',
  '\tblocked by mng',
  'Q3 accepting requests since Thu Nov 26 14:19:50 2026',
  '',
].join('\n');

describe('parseLpstatPrinters', () => {
  it('reads name, state and state message', () => {
    expect(parseLpstatPrinters(lpstatP)).toEqual({
      ok: true,
      value: [
        { name: 'C1', state: 'idle', reason: null },
        { name: 'Q1', state: 'printing', reason: null },
        { name: 'Q2', state: 'disabled', reason: 'mynumber-guard: ポリシーで許可されていないプリンタです / printer not allowed by policy' },
        { name: 'Q3', state: 'idle', reason: null },
        { name: 'Ofi-ce_2.x', state: 'idle', reason: null },
      ],
    });
  });

  it('keeps a queue whose state line is unfamiliar, as unknown', () => {
    expect(parseLpstatPrinters('printer Q9 is on fire.\n')).toEqual({ ok: true, value: [{ name: 'Q9', state: 'unknown', reason: null }] });
  });

  it('fails on output it does not know (a localized lpstat, an error text)', () => {
    expect(parseLpstatPrinters('プリンター Q1 は待機中です。\n')).toMatchObject({ ok: false, detail: expect.stringContaining('unexpected line') });
    expect(parseLpstatPrinters('\treason first\n')).toMatchObject({ ok: false });
  });

  it('an empty listing is no queues', () => {
    expect(parseLpstatPrinters('')).toEqual({ ok: true, value: [] });
  });
});

describe('parseLpstatAccepting', () => {
  it('reads accepting and not accepting', () => {
    const parsed = parseLpstatAccepting(lpstatA);
    expect(parsed.ok && [...parsed.value]).toEqual([
      ['C1', true],
      ['Q1', true],
      ['Q2', false],
      ['Q3', true],
    ]);
  });

  it('fails on unknown lines', () => {
    expect(parseLpstatAccepting('Q1 is accepting\n')).toMatchObject({ ok: false });
    expect(parseLpstatAccepting('\tx\n')).toMatchObject({ ok: false });
  });
});

describe('combineLpstat', () => {
  it('joins both listings; a queue only -a knows has an unknown state, one only -p knows an unknown accepting', () => {
    const printers = parseLpstatPrinters(lpstatP);
    const accepting = parseLpstatAccepting(lpstatA);
    if (!printers.ok || !accepting.ok) throw new Error('fixture did not parse');
    accepting.value.set('X9', false);
    const facts = combineLpstat(printers.value, accepting.value);
    expect(facts.map((f) => [f.name, f.state, f.accepting])).toEqual([
      ['C1', 'idle', true],
      ['Q1', 'printing', true],
      ['Q2', 'disabled', false],
      ['Q3', 'idle', true],
      ['Ofi-ce_2.x', 'idle', null],
      ['X9', 'unknown', false],
    ]);
  });
});

describe('lpstat parsers, properties', () => {
  // lpadmin(8): names are printable characters other than space, tab, `/`, `#`, `\`, quotes.
  const queueName = fc.stringMatching(/^[A-Za-z0-9_.\-+@~]{1,40}$/);
  const since = 'Thu Nov 26 14:19:50 2026';
  const queueArb = fc.record({ name: queueName, state: fc.constantFrom('idle' as const, 'printing' as const, 'disabled' as const), accepting: fc.boolean(), reason: fc.option(fc.stringMatching(/^[^\n\t]{1,30}$/), { nil: null }) });

  it('reads back every queue lpstat would print, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(queueArb, { selector: (q) => q.name, maxLength: 8 }), (queues) => {
        const p = queues
          .map((q) => {
            const head = q.state === 'idle' ? `printer ${q.name} is idle.  enabled since ${since}` : q.state === 'printing' ? `printer ${q.name} now printing ${q.name}-3.  enabled since ${since}` : `printer ${q.name} disabled since ${since} -`;
            return q.reason === null ? `${head}\n` : `${head}\n\t${q.reason}\n`;
          })
          .join('');
        const a = queues.map((q) => `${q.name} ${q.accepting ? '' : 'not '}accepting requests since ${since}${q.accepting ? '' : ' -\n\treason'}\n`).join('');
        const printers = parseLpstatPrinters(p);
        const accepting = parseLpstatAccepting(a);
        if (!printers.ok || !accepting.ok) throw new Error('did not parse');
        expect(combineLpstat(printers.value, accepting.value)).toEqual(queues);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        parseLpstatPrinters(text);
        parseLpstatAccepting(text);
      }),
    );
  });
});

describe('classifyCupsFailure', () => {
  it.each([
    ['', 'ENOENT', 'tool-missing'],
    ['lpstat: No destinations added.\n', '1', 'empty'],
    ['lpstat: Scheduler is not running.\n', '1', 'server-unreachable'],
    ['lpstat: Unable to connect to server: Connection refused\n', '1', 'server-unreachable'],
    ['lpstat: Forbidden\n', '1', 'failed'],
  ] as const)('%j (%s) → %s', (stderr, code, expected) => {
    expect(classifyCupsFailure(stderr, code)).toBe(expected);
  });
});

describe('CupsPrinterQueues failure paths', () => {
  it('missing clients: printers unknown (tool-missing), never an exception', async () => {
    const queues = new CupsPrinterQueues({ server: '/nonexistent/cups.sock', commands: { lpstat: '/nonexistent/lpstat', cupsdisable: '/nonexistent/cupsdisable', cupsreject: '/nonexistent/cupsreject' } });
    expect(await queues.list()).toMatchObject({ state: 'unknown', reason: 'tool-missing' });
    expect(await queues.disable('Q1', 'r')).toMatchObject({ ok: false, detail: expect.stringContaining('/nonexistent/cupsdisable') });
  });

  it('refuses a queue name that would read as an option', async () => {
    expect(await new CupsPrinterQueues({ server: '/nonexistent/cups.sock' }).disable('-E', 'r')).toMatchObject({ ok: false });
  });

  describe.skipIf(!needTools('lpstat', 'cupsdisable', 'cupsreject'))('with the real clients', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mng-cups-none-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // A socket path nobody listens on: the real clients fail fast without touching any other CUPS.
    const queues = new CupsPrinterQueues({ server: path.join(dir, 'cups.sock'), timeoutMs: 5_000 });

    it('a scheduler that does not answer: server-unreachable', async () => {
      expect(await queues.list()).toMatchObject({ state: 'unknown', reason: 'server-unreachable', detail: expect.stringContaining('Scheduler is not running') });
    });

    it('disable reports the failure of both steps', async () => {
      const result = await queues.disable('Q1', 'test');
      expect(result.ok).toBe(false);
      expect(!result.ok && result.detail).toMatch(/cupsdisable .*; cupsreject /);
    });
  });
});
