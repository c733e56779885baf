// SysfsRfkillRadios on a fixture tree of regular files written by the test: the development and CI
// kernels have no rfkill devices (no /sys/class/rfkill), so the real class cannot be exercised here.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRfkillAttributes, SysfsRfkillRadios } from './sysfs-rfkill';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mng-rfkill-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes `class/rfkill/rfkill<index>` with kernel-style attributes (each value ends in a newline). */
function addSwitch(index: number, attributes: Partial<Record<'index' | 'type' | 'name' | 'soft' | 'hard' | 'state', string>>): string {
  const dir = path.join(root, 'class/rfkill', `rfkill${index}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(attributes)) writeFileSync(path.join(dir, name), `${value}\n`);
  return dir;
}
const full = (index: number, type: string, name: string, soft: string, hard: string) => ({ index: String(index), type, name, soft, hard, state: soft === '1' || hard === '1' ? '0' : '1' });

describe('SysfsRfkillRadios', () => {
  it('lists every switch in index order with its soft and hard state', async () => {
    addSwitch(10, full(10, 'bluetooth', 'hci0', '0', '0'));
    addSwitch(2, full(2, 'wlan', 'phy0', '1', '0'));
    addSwitch(3, full(3, 'wwan', 'wwan0', '0', '1'));
    // Not a switch directory: ignored.
    mkdirSync(path.join(root, 'class/rfkill/other'), { recursive: true });
    const list = await new SysfsRfkillRadios({ sysfsRoot: root }).list();
    expect(list).toEqual({
      state: 'present',
      radios: [
        { index: 2, type: 'wlan', name: 'phy0', soft: true, hard: false },
        { index: 3, type: 'wwan', name: 'wwan0', soft: false, hard: true },
        { index: 10, type: 'bluetooth', name: 'hci0', soft: false, hard: false },
      ],
    });
  });

  it('is absent without the rfkill class, present and empty with an empty one', async () => {
    expect(await new SysfsRfkillRadios({ sysfsRoot: root }).list()).toEqual({ state: 'absent' });
    mkdirSync(path.join(root, 'class/rfkill'), { recursive: true });
    expect(await new SysfsRfkillRadios({ sysfsRoot: root }).list()).toEqual({ state: 'present', radios: [] });
  });

  it('is unreadable when the class cannot be listed or a switch makes no sense', async () => {
    mkdirSync(path.join(root, 'class'), { recursive: true });
    writeFileSync(path.join(root, 'class/rfkill'), 'not a directory');
    expect(await new SysfsRfkillRadios({ sysfsRoot: root }).list()).toMatchObject({ state: 'unreadable', detail: expect.stringContaining('class/rfkill') });
    rmSync(path.join(root, 'class/rfkill'));
    addSwitch(0, { index: '7', type: 'wlan', name: 'phy0', soft: '0', hard: '0' });
    expect(await new SysfsRfkillRadios({ sysfsRoot: root }).list()).toMatchObject({ state: 'unreadable', detail: expect.stringContaining('index=7') });
  });

  it('skips a switch that vanished between listing and reading', async () => {
    mkdirSync(path.join(root, 'class/rfkill/rfkill4'), { recursive: true });
    addSwitch(5, full(5, 'wlan', 'phy1', '0', '0'));
    expect(await new SysfsRfkillRadios({ sysfsRoot: root }).list()).toEqual({ state: 'present', radios: [{ index: 5, type: 'wlan', name: 'phy1', soft: false, hard: false }] });
  });

  it('soft-blocks by writing 1 to soft, and the next list shows it', async () => {
    const dir = addSwitch(1, full(1, 'bluetooth', 'hci0', '0', '0'));
    const radios = new SysfsRfkillRadios({ sysfsRoot: root });
    expect(await radios.softBlock(1)).toEqual({ ok: true });
    expect(readFileSync(path.join(dir, 'soft'), 'utf8')).toBe('1\n');
    expect(await radios.list()).toMatchObject({ radios: [{ index: 1, soft: true }] });
  });

  it('reports a failed write as a value: missing switch, bad index', async () => {
    const radios = new SysfsRfkillRadios({ sysfsRoot: root });
    const missing = await radios.softBlock(9);
    expect(missing).toMatchObject({ ok: false, detail: expect.stringContaining('rfkill9/soft') });
    // The write never creates the file (r+): a missing switch stays missing.
    expect(() => readFileSync(path.join(root, 'class/rfkill/rfkill9/soft'))).toThrow();
    expect(await radios.softBlock(-1)).toMatchObject({ ok: false });
    expect(await radios.softBlock(1.5)).toMatchObject({ ok: false });
  });
});

describe('parseRfkillAttributes', () => {
  it.each([
    [{ index: '0', type: 'wlan', name: 'phy0', soft: '0', hard: '0' }, { index: 0, type: 'wlan', name: 'phy0', soft: false, hard: false }],
    [{ index: null, type: 'nfc', name: null, soft: '1', hard: '1' }, { index: 0, type: 'nfc', name: '', soft: true, hard: true }],
    [{ index: '0', type: 'fm', name: 'x', soft: '2', hard: null }, { index: 0, type: 'fm', name: 'x', soft: null, hard: null }],
    [{ index: '1', type: 'wlan', name: 'phy0', soft: '0', hard: '0' }, null],
    [{ index: '0', type: null, name: 'phy0', soft: '0', hard: '0' }, null],
    [{ index: '0', type: '', name: 'phy0', soft: '0', hard: '0' }, null],
  ])('%o → %o', (attributes, expected) => {
    expect(parseRfkillAttributes(0, attributes)).toEqual(expected);
  });

  it('never guesses a block state: only 0 and 1 are known', () => {
    const text = fc.option(fc.string({ maxLength: 4 }), { nil: null });
    fc.assert(
      fc.property(fc.nat(100), text, text, fc.string({ minLength: 1 }), (index, soft, hard, type) => {
        const facts = parseRfkillAttributes(index, { index: String(index), type, name: 'n', soft, hard });
        expect(facts).not.toBeNull();
        expect(facts?.soft).toBe(soft === '1' ? true : soft === '0' ? false : null);
        expect(facts?.hard).toBe(hard === '1' ? true : hard === '0' ? false : null);
      }),
    );
  });
});
