import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeRegExe } from './fake-reg-exe';
import { MAX_REG_QUERY_OUTPUT_CHARS, parseRegQueryOutput, readKeyListing } from './reg-query-output';

// Samples written from reg.exe's documented output format (`reg query /?` and its documentation):
// a blank line, the key as HKEY_LOCAL_MACHINE\..., value lines of four-space separated fields, a
// blank line, then direct subkeys as full paths. CRLF line endings as Windows writes them.
const RESTRICTIONS = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions';
const restrictionsSample = [
  '',
  RESTRICTIONS,
  '    DenyDeviceClasses    REG_DWORD    0x1',
  '    DenyDeviceClassesRetroactive    REG_DWORD    0x0',
  '    AllowAdminInstall    REG_DWORD    0x0',
  '',
  `${RESTRICTIONS}\\AllowInstanceIDs`,
  `${RESTRICTIONS}\\DenyDeviceClasses`,
  '',
].join('\r\n');

const listSample = [
  '',
  `${RESTRICTIONS}\\DenyDeviceClasses`,
  '    1    REG_SZ    {4d36e967-e325-11ce-bfc1-08002be10318}',
  '    2    REG_SZ    {4d36e965-e325-11ce-bfc1-08002be10318}',
  '',
].join('\r\n');

const mixedTypesSample = [
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Example',
  '    (Default)    REG_SZ    default text',
  '    string_val    REG_SZ    two  spaces inside',
  '    string_val_empty    REG_SZ',
  '    bin_val    REG_BINARY    4242ab',
  '    bin_val_empty    REG_BINARY',
  '    dword_val    REG_DWORD    0x2a',
  '    qword_val    REG_QWORD    0x000000000000002A',
  '    multi_string_val    REG_MULTI_SZ    test3\\0test4',
  '    expand_string_val    REG_EXPAND_SZ    %SystemRoot%\\x',
  '    none_val    REG_NONE',
  '',
].join('\r\n');

describe('parseRegQueryOutput on documented samples', () => {
  it('reads a policy key with values and subkeys', () => {
    const parsed = parseRegQueryOutput(restrictionsSample);
    expect(parsed).toEqual({
      ok: true,
      value: [
        {
          key: RESTRICTIONS,
          entries: [
            { name: 'DenyDeviceClasses', value: { type: 'REG_DWORD', data: '1' } },
            { name: 'DenyDeviceClassesRetroactive', value: { type: 'REG_DWORD', data: '0' } },
            { name: 'AllowAdminInstall', value: { type: 'REG_DWORD', data: '0' } },
          ],
        },
        { key: `${RESTRICTIONS}\\AllowInstanceIDs`, entries: [] },
        { key: `${RESTRICTIONS}\\DenyDeviceClasses`, entries: [] },
      ],
    });
  });

  it('reads a list subkey', () => {
    const listing = readKeyListing(listSample, 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions\\DenyDeviceClasses');
    expect(listing).toEqual({
      ok: true,
      value: {
        values: [
          { name: '1', value: { type: 'REG_SZ', data: '{4d36e967-e325-11ce-bfc1-08002be10318}' } },
          { name: '2', value: { type: 'REG_SZ', data: '{4d36e965-e325-11ce-bfc1-08002be10318}' } },
        ],
        subkeys: [],
      },
    });
  });

  it('reads every value type into canonical data, and marks what cannot be restored', () => {
    const parsed = parseRegQueryOutput(mixedTypesSample);
    if (!parsed.ok) throw new Error(parsed.error.message.en);
    expect(parsed.value[0]?.entries).toEqual([
      { name: '(Default)', value: { type: 'REG_SZ', data: 'default text' } },
      { name: 'string_val', value: { type: 'REG_SZ', data: 'two  spaces inside' } },
      { name: 'string_val_empty', value: { type: 'REG_SZ', data: '' } },
      { name: 'bin_val', value: { type: 'REG_BINARY', data: '4242AB' } },
      { name: 'bin_val_empty', value: { type: 'REG_BINARY', data: '' } },
      { name: 'dword_val', value: { type: 'REG_DWORD', data: '42' } },
      { name: 'qword_val', value: { type: 'REG_QWORD', data: '0x2a' } },
      { name: 'multi_string_val', value: { type: 'unrestorable', typeName: 'REG_MULTI_SZ', raw: 'test3\\0test4' } },
      { name: 'expand_string_val', value: { type: 'REG_EXPAND_SZ', data: '%SystemRoot%\\x' } },
      { name: 'none_val', value: { type: 'unrestorable', typeName: 'REG_NONE', raw: '' } },
    ]);
  });

  it('reads LF-only output and names with spaces', () => {
    const parsed = parseRegQueryOutput('\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A B\n    Value With Spaces    REG_DWORD    0xffffffff\n');
    expect(parsed).toEqual({
      ok: true,
      value: [{ key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\A B', entries: [{ name: 'Value With Spaces', value: { type: 'REG_DWORD', data: '4294967295' } }] }],
    });
  });

  it('treats text that was not in the decoding code page as unrestorable', () => {
    const parsed = parseRegQueryOutput('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    1    REG_SZ    USB\\VID_0781&PID_5567\\\uFFFD\uFFFD\r\n');
    expect(parsed.ok && parsed.value[0]?.entries[0]?.value.type).toBe('unrestorable');
  });

  it('reads empty output as no blocks', () => {
    expect(parseRegQueryOutput('')).toEqual({ ok: true, value: [] });
    expect(parseRegQueryOutput('\r\n\r\n')).toEqual({ ok: true, value: [] });
  });
});

describe('parseRegQueryOutput refuses what it does not recognise', () => {
  const cases: ReadonlyArray<readonly [string, string, number, RegExp]> = [
    ['a value line before any key', '    A    REG_DWORD    0x1\r\n', 1, /before any key/],
    ['a stray line', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\nEnd of search: 1 match(es) found.\r\n', 3, /unexpected line/],
    ['a tab-separated line', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n\tA\tREG_DWORD\t0x1\r\n', 3, /unexpected line/],
    ['an unknown type', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    A    REG_FANCY    1\r\n', 3, /unknown value type REG_FANCY/],
    ['a DWORD in decimal', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    A    REG_DWORD    1\r\n', 3, /REG_DWORD/],
    ['a DWORD too wide', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    A    REG_DWORD    0x100000000\r\n', 3, /REG_DWORD/],
    ['odd binary', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    A    REG_BINARY    ABC\r\n', 3, /REG_BINARY/],
    ['a duplicate value', '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n    A    REG_DWORD    0x1\r\n    a    REG_DWORD    0x2\r\n', 4, /appears twice/],
    ['a key of another hive spelled short', '\r\nHKLM\\SOFTWARE\\A\r\n', 2, /unexpected line/],
  ];
  for (const [name, text, line, message] of cases) {
    it(name, () => {
      const parsed = parseRegQueryOutput(text);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error.line).toBe(line);
      expect(parsed.error.message.en).toMatch(message);
      expect(parsed.error.message.ja.length).toBeGreaterThan(0);
    });
  }

  it('refuses output over the size limit before reading it', () => {
    const parsed = parseRegQueryOutput(' '.repeat(MAX_REG_QUERY_OUTPUT_CHARS + 1));
    expect(parsed.ok ? undefined : parsed.error.line).toBe(0);
  });
});

describe('readKeyListing', () => {
  const key = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions';

  it('matches the queried key in any spelling of the hive and any case', () => {
    const listing = readKeyListing(restrictionsSample, key.toLowerCase());
    expect(listing.ok && listing.value?.subkeys).toEqual(['AllowInstanceIDs', 'DenyDeviceClasses']);
  });

  it('refuses output about another key', () => {
    const listing = readKeyListing(restrictionsSample, 'HKLM\\SOFTWARE\\Other');
    expect(listing.ok).toBe(false);
  });

  it('refuses a later block that is not a direct subkey, or that has values', () => {
    const deeper = `${restrictionsSample}${RESTRICTIONS}\\DenyDeviceClasses\\Deeper\r\n`;
    expect(readKeyListing(deeper, key).ok).toBe(false);
    const withValues = `${restrictionsSample}${RESTRICTIONS}\\X\r\n    1    REG_SZ    a\r\n`;
    expect(readKeyListing(withValues, key).ok).toBe(false);
  });

  it('gives undefined for output without a key line (the caller asks the parent)', () => {
    expect(readKeyListing('\r\n', key)).toEqual({ ok: true, value: undefined });
  });
});

describe('parseRegQueryOutput properties', () => {
  it('never throws on arbitrary text, and every failure has a located ja/en message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const parsed = parseRegQueryOutput(text);
        if (!parsed.ok) {
          expect(parsed.error.line).toBeGreaterThanOrEqual(0);
          expect(parsed.error.message.en.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on text built from reg.exe-like pieces', () => {
    const piece = fc.constantFrom(
      '\r\n',
      '\n',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\A',
      '    ',
      'REG_SZ',
      'REG_DWORD',
      'REG_MULTI_SZ',
      '0x',
      'ffffffff',
      '1',
      '\\0',
      '(Default)',
      '\uFFFD',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        parseRegQueryOutput(pieces.join(''));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back exactly the values the simulated reg.exe prints', async () => {
    // Names never contain a run of four spaces (reg.exe's own separator) and never end in a space.
    const name = fc.stringMatching(/^[A-Za-z0-9_{}&\\.-]([A-Za-z0-9_ {}&\\.-]{0,20}[A-Za-z0-9_{}&\\.-])?$/).filter((n) => !n.includes('    '));
    const value = fc.oneof(
      fc.integer({ min: 0, max: 0xffff_ffff }).map((n) => ({ type: 'REG_DWORD', data: String(n), printed: `0x${n.toString(16)}` })),
      fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((s) => ({ type: 'REG_SZ', data: s, printed: s })),
      fc.uint8Array({ maxLength: 16 }).map((bytes) => {
        const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
        return { type: 'REG_BINARY', data: hex, printed: hex };
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n.toLowerCase(), maxLength: 12 }), async (entries) => {
        const fake = createFakeRegExe({
          'HKLM\\SOFTWARE\\T': Object.fromEntries(entries.map(([n, v]) => [n, { type: v.type, data: v.printed }])),
          'HKLM\\SOFTWARE\\T\\Child': {},
        });
        const outcome = await fake.run('reg.exe', ['query', 'HKLM\\SOFTWARE\\T', '/reg:64']);
        const listing = readKeyListing(outcome.stdout, 'HKLM\\SOFTWARE\\T');
        if (!listing.ok || listing.value === undefined) throw new Error('expected a listing');
        // Object keys that look like integers come out first (JS property order), so compare as sets.
        const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
        expect([...listing.value.values].sort(byName)).toEqual(entries.map(([n, v]) => ({ name: n, value: { type: v.type, data: v.data } })).sort(byName));
        expect(listing.value.subkeys).toEqual(['Child']);
      }),
      { numRuns: 300 },
    );
  });
});
