import { describe, expect, it } from 'vitest';
import { combineRevertPlans, parseRevertPlan, planRegistryChanges, REVERT_PLAN_FORMAT, type WindowsRevertPlan } from './plan-registry-changes';
import {
  commandArray,
  normalizeRegistryKey,
  regDword,
  regSz,
  type RegistryKeyState,
  type RegistrySnapshot,
  type RegistryTarget,
  type RegValue,
  type UnrestorableRegValue,
} from './registry-model';

const POLICIES = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows';
const RESTRICTIONS = `${POLICIES}\\DeviceInstall\\Restrictions`;
const LIST = `${RESTRICTIONS}\\DenyDeviceClasses`;
const SERVICE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\UASPStor';

function snapshot(...states: RegistryKeyState[]): RegistrySnapshot {
  return new Map(states.map((state) => [normalizeRegistryKey(state.key), state]));
}
const exists = (key: string, values: Record<string, RegValue | UnrestorableRegValue>): RegistryKeyState => ({
  exists: true,
  key,
  values: Object.entries(values).map(([name, value]) => ({ name, value })),
  subkeys: [],
});
const commandsOf = (targets: RegistryTarget[], snap: RegistrySnapshot) => {
  const planned = planRegistryChanges(targets, snap);
  if (!planned.ok) throw new Error(planned.error.map((p) => p.message.en).join('; '));
  return planned.value;
};

describe('planRegistryChanges', () => {
  it('writes nothing when the registry already matches (applying twice is a no-op)', () => {
    const planned = commandsOf(
      [
        { kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(1) },
        { kind: 'list', key: LIST, entries: ['{a}', '{b}'] },
      ],
      snapshot(exists(RESTRICTIONS, { denydeviceclasses: { type: 'REG_DWORD', data: '1' } }), exists(LIST, { '1': regSz('{a}'), '2': regSz('{b}') })),
    );
    expect(planned.commands).toEqual([]);
    expect(planned.revert).toEqual({ format: REVERT_PLAN_FORMAT, targets: [] });
  });

  it('restores the exact old type and data of a value it overwrites', () => {
    const planned = commandsOf(
      [{ kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(1) }],
      snapshot(exists(RESTRICTIONS, { DenyDeviceClasses: { type: 'REG_SZ', data: '1' } })),
    );
    expect(planned.commands.map(commandArray)).toEqual([
      ['reg.exe', 'add', RESTRICTIONS, '/v', 'DenyDeviceClasses', '/t', 'REG_DWORD', '/d', '1', '/f', '/reg:64'],
    ]);
    expect(planned.revert.targets).toEqual([{ kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: { type: 'REG_SZ', data: '1' } }]);
  });

  it('deletes a value the targets want absent, and the revert puts it back', () => {
    const planned = commandsOf(
      [{ kind: 'value', key: RESTRICTIONS, name: 'AllowInstanceIDs', value: null }],
      snapshot(exists(RESTRICTIONS, { allowinstanceids: { type: 'REG_DWORD', data: '1' } })),
    );
    // The value is addressed by the name the registry printed.
    expect(planned.commands.map(commandArray)).toEqual([['reg.exe', 'delete', RESTRICTIONS, '/v', 'allowinstanceids', '/f', '/reg:64']]);
    expect(planned.changes).toEqual([{ kind: 'delete-value', key: RESTRICTIONS, name: 'AllowInstanceIDs', before: regDword(1) }]);
    expect(planned.revert.targets).toEqual([{ kind: 'value', key: RESTRICTIONS, name: 'allowinstanceids', value: regDword(1) }]);
  });

  it('owns a whole list: extra entries are deleted (even a never-denied class left by someone else) and come back on revert', () => {
    const before = {
      '1': regSz('{36fc9e60-c465-11cf-8056-444553540000}'),
      '2': regSz('{b}'),
      '3': regSz('{c}'),
      custom: regSz('{d}'),
    };
    const planned = commandsOf([{ kind: 'list', key: LIST, entries: ['{a}', '{b}'] }], snapshot(exists(LIST, before)));
    expect(planned.commands.map(commandArray)).toEqual([
      ['reg.exe', 'delete', LIST, '/v', '3', '/f', '/reg:64'],
      ['reg.exe', 'delete', LIST, '/v', 'custom', '/f', '/reg:64'],
      ['reg.exe', 'add', LIST, '/v', '1', '/t', 'REG_SZ', '/d', '{a}', '/f', '/reg:64'],
    ]);
    expect(planned.revert.targets).toEqual([
      { kind: 'value', key: LIST, name: '1', value: before['1'] },
      { kind: 'value', key: LIST, name: 'custom', value: before.custom },
      { kind: 'value', key: LIST, name: '3', value: before['3'] },
    ]);
  });

  it('leaves the unnamed default value of a list key alone, and says so', () => {
    const planned = commandsOf([{ kind: 'list', key: LIST, entries: [] }], snapshot(exists(LIST, { '(既定)': regSz('x') })));
    expect(planned.commands).toEqual([]);
    expect(planned.skipped.map((s) => s.name)).toEqual(['(既定)']);
  });

  it('deletes only the highest key it created when reverting, deepest first', () => {
    const planned = commandsOf(
      [
        { kind: 'value', key: `${POLICIES}\\RemovableStorageDevices\\{x}`, name: 'Deny_Read', value: regDword(1) },
        { kind: 'value', key: `${POLICIES}\\RemovableStorageDevices\\{y}`, name: 'Deny_Read', value: regDword(1) },
        { kind: 'list', key: LIST, entries: ['{a}'] },
        { kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(1) },
      ],
      snapshot(
        { exists: false, key: `${POLICIES}\\RemovableStorageDevices\\{x}`, missingFrom: `${POLICIES}\\RemovableStorageDevices` },
        { exists: false, key: `${POLICIES}\\RemovableStorageDevices\\{y}`, missingFrom: `${POLICIES}\\RemovableStorageDevices` },
        { exists: false, key: LIST, missingFrom: LIST },
        exists(RESTRICTIONS, {}),
      ),
    );
    expect(planned.revert.targets).toEqual([
      { kind: 'absent-key', key: LIST },
      { kind: 'absent-key', key: `${POLICIES}\\RemovableStorageDevices` },
      { kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: null },
    ]);
  });

  it('does not create a service key that does not exist', () => {
    const planned = commandsOf(
      [{ kind: 'value', key: SERVICE, name: 'Start', value: regDword(4), onlyIfKeyExists: true }],
      snapshot({ exists: false, key: SERVICE, missingFrom: SERVICE }),
    );
    expect(planned.commands).toEqual([]);
    expect(planned.skipped).toHaveLength(1);
    expect(planned.skipped[0]?.reason.en).toMatch(/never created/);
  });

  it('refuses to change a value it could not restore exactly, listing every such value', () => {
    const planned = planRegistryChanges(
      [
        { kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(1) },
        { kind: 'list', key: LIST, entries: ['{a}'] },
      ],
      snapshot(
        exists(RESTRICTIONS, { DenyDeviceClasses: { type: 'unrestorable', typeName: 'REG_MULTI_SZ', raw: '1\\02' } }),
        exists(LIST, { '1': { type: 'unrestorable', typeName: 'REG_SZ', raw: '\uFFFD' } }),
      ),
    );
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.error.map((p) => `${p.key}|${p.name}`)).toEqual([`${RESTRICTIONS}|DenyDeviceClasses`, `${LIST}|1`]);
    expect(planned.error[0]?.message.en).toMatch(/REG_MULTI_SZ/);
  });

  it('overwrites such values when running a revert plan', () => {
    const planned = planRegistryChanges(
      [{ kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(0) }],
      snapshot(exists(RESTRICTIONS, { DenyDeviceClasses: { type: 'unrestorable', typeName: 'REG_NONE', raw: '' } })),
      { overwriteUnrestorable: true },
    );
    expect(planned.ok && planned.value.commands.map(commandArray)).toEqual([
      ['reg.exe', 'add', RESTRICTIONS, '/v', 'DenyDeviceClasses', '/t', 'REG_DWORD', '/d', '0', '/f', '/reg:64'],
    ]);
  });

  it('deletes a key once, and writes values below a deleted key again', () => {
    const planned = commandsOf(
      [
        { kind: 'absent-key', key: `${POLICIES}\\DeviceInstall` },
        { kind: 'absent-key', key: RESTRICTIONS },
        { kind: 'value', key: RESTRICTIONS, name: 'DenyDeviceClasses', value: regDword(1) },
      ],
      snapshot(exists(`${POLICIES}\\DeviceInstall`, {}), exists(RESTRICTIONS, { DenyDeviceClasses: regDword(1) })),
    );
    expect(planned.commands.map(commandArray)).toEqual([
      ['reg.exe', 'delete', `${POLICIES}\\DeviceInstall`, '/f', '/reg:64'],
      ['reg.exe', 'add', RESTRICTIONS, '/v', 'DenyDeviceClasses', '/t', 'REG_DWORD', '/d', '1', '/f', '/reg:64'],
    ]);
  });

  it('throws on a target whose key was not read (a bug in the caller)', () => {
    expect(() => planRegistryChanges([{ kind: 'value', key: RESTRICTIONS, name: 'X', value: regDword(1) }], new Map())).toThrow(/bug/);
  });
});

describe('combineRevertPlans', () => {
  const earlier: WindowsRevertPlan = {
    format: REVERT_PLAN_FORMAT,
    targets: [
      { kind: 'absent-key', key: `${POLICIES}\\RemovableStorageDevices` },
      { kind: 'value', key: SERVICE, name: 'Start', value: regDword(3) },
    ],
  };
  const later: WindowsRevertPlan = {
    format: REVERT_PLAN_FORMAT,
    targets: [
      { kind: 'absent-key', key: `${POLICIES}\\DeviceInstall\\Restrictions\\AllowInstanceIDs` },
      { kind: 'value', key: SERVICE, name: 'start', value: regDword(4) },
      { kind: 'value', key: `${POLICIES}\\RemovableStorageDevices\\{x}`, name: 'Deny_Read', value: regDword(1) },
      { kind: 'value', key: RESTRICTIONS, name: 'AllowDenyLayered', value: regDword(0) },
    ],
  };

  it('keeps what the earlier plan knows about the original state', () => {
    expect(combineRevertPlans(earlier, later)).toEqual({
      format: REVERT_PLAN_FORMAT,
      targets: [
        { kind: 'absent-key', key: `${POLICIES}\\DeviceInstall\\Restrictions\\AllowInstanceIDs` },
        { kind: 'absent-key', key: `${POLICIES}\\RemovableStorageDevices` },
        { kind: 'value', key: RESTRICTIONS, name: 'AllowDenyLayered', value: regDword(0) },
        { kind: 'value', key: SERVICE, name: 'Start', value: regDword(3) },
      ],
    });
  });

  it('is the identity with an empty plan on either side', () => {
    const empty: WindowsRevertPlan = { format: REVERT_PLAN_FORMAT, targets: [] };
    expect(combineRevertPlans(empty, earlier)).toEqual(earlier);
    expect(combineRevertPlans(earlier, empty)).toEqual(earlier);
  });
});

describe('parseRevertPlan', () => {
  const plan: WindowsRevertPlan = {
    format: REVERT_PLAN_FORMAT,
    targets: [
      { kind: 'absent-key', key: `${POLICIES}\\RemovableStorageDevices` },
      { kind: 'value', key: SERVICE, name: 'Start', value: regDword(3) },
      { kind: 'value', key: RESTRICTIONS, name: 'AllowInstanceIDs', value: null },
    ],
  };

  it('reads back a stored plan', () => {
    expect(parseRevertPlan(JSON.parse(JSON.stringify(plan)))).toEqual({ ok: true, value: plan });
  });

  it.each([
    ['another format', { ...plan, format: 'other/v1' }],
    ['a key outside HKLM', { ...plan, targets: [{ kind: 'absent-key', key: 'HKCU\\Software\\X' }] }],
    ['a list target', { ...plan, targets: [{ kind: 'list', key: LIST, entries: [] }] }],
    ['an unknown field', { ...plan, extra: 1 }],
    ['a value of an unrestorable type', { ...plan, targets: [{ kind: 'value', key: SERVICE, name: 'Start', value: { type: 'REG_MULTI_SZ', data: '' } }] }],
    ['a key with a line break', { ...plan, targets: [{ kind: 'absent-key', key: 'HKLM\\SOFTWARE\\A\nB' }] }],
    ['not an object', 'plan'],
  ])('refuses %s', (_name, value) => {
    const parsed = parseRevertPlan(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.ja).toMatch(/元に戻す計画/);
  });
});
