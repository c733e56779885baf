import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type MediaAction, type ZonePolicy } from '../../../shared/policy';
import { createFakeRegExe, FRESH_WINDOWS_REGISTRY, type FakeRegistryContent, type FakeRegValue } from './fake-reg-exe';
import { combineRevertPlans } from './plan-registry-changes';
import type { WindowsApprovedUsbDevice } from './plan-windows-usb-policy';
import { createRegExeUsbPolicy, formatPreparedCommands, regExePathFor, type WindowsUsbPolicy } from './reg-exe-usb-policy';
import { commandArray } from './registry-model';
import { NEVER_DENIED_SETUP_CLASSES } from './windows-usb-classes';

const parsed = parsePolicyText(readFileSync(new URL('../../../../policies/mynumber-zone.yaml', import.meta.url), 'utf8'));
if (!parsed.ok) throw new Error('the default policy must parse');
const defaultPolicy: ZonePolicy = parsed.policy;
const nowMs = Date.parse('2026-06-01T00:00:00+09:00');
const REG = 'C:\\Windows\\System32\\reg.exe';

const POLICIES = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows';
const RSD = `${POLICIES}\\RemovableStorageDevices`;
const DISK = `${RSD}\\{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}`;
const DEVICE_INSTALL = `${POLICIES}\\DeviceInstall`;
const RESTRICTIONS = `${DEVICE_INSTALL}\\Restrictions`;
const DENY_LIST = `${RESTRICTIONS}\\DenyDeviceClasses`;
const ALLOW_LIST = `${RESTRICTIONS}\\AllowInstanceIDs`;
const USBSTOR = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR';
const UASPSTOR = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\UASPStor';

function withClasses(classes: Partial<ZonePolicy['spec']['media']['classes']>): ZonePolicy {
  const copy = structuredClone(defaultPolicy);
  Object.assign(copy.spec.media.classes, classes);
  return copy;
}

function adapterOn(content: FakeRegistryContent, options: Parameters<typeof createFakeRegExe>[1] = {}) {
  const fake = createFakeRegExe(content, { regExePath: REG, ...options });
  const adapter: WindowsUsbPolicy = createRegExeUsbPolicy({ runner: fake, regExePath: REG });
  return { fake, adapter };
}

const planFor = (adapter: WindowsUsbPolicy, policy: ZonePolicy = defaultPolicy, approvedDevices: WindowsApprovedUsbDevice[] = []) =>
  adapter.plan({ policy, approvedDevices, nowMs });

const query = (key: string): string[] => ['query', key, '/reg:64'];

describe('RegExeUsbPolicy on a fresh Windows (simulated reg.exe)', () => {
  it('reads each key once, confirms missing keys from their parent, and pins the queries', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const prepared = await adapter.prepare(planFor(adapter));
    expect(prepared.ok).toBe(true);
    expect(fake.calls).toEqual([
      query(DISK),
      query(RSD),
      query(POLICIES),
      query(`${RSD}\\{53f56308-b6bf-11d0-94f2-00a0c91efb8b}`),
      query(`${RSD}\\{53f56311-b6bf-11d0-94f2-00a0c91efb8b}`),
      query(`${RSD}\\{53f5630b-b6bf-11d0-94f2-00a0c91efb8b}`),
      query(`${RSD}\\{6AC27878-A6FA-4155-BA85-F98F491D4F33}`),
      query(`${RSD}\\{F33FDC04-D1AC-4E8E-9A30-19BBD4B108AE}`),
      query(RESTRICTIONS),
      query(DEVICE_INSTALL),
      query(DENY_LIST),
      query(ALLOW_LIST),
      query(USBSTOR),
      query(UASPSTOR),
    ]);
  });

  it('applies the default policy, then the revert puts the registry back exactly', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const original = fake.dump();
    const plan = planFor(adapter);
    const prepared = await adapter.prepare(plan);
    if (!prepared.ok) throw new Error(prepared.error.message.en);
    fake.calls.length = 0;

    const report = await adapter.apply(plan);
    if (!report.ok) throw new Error(report.error.message.en);
    expect(report.value.ok).toBe(true);
    expect(report.value.rebootRequired).toBe(true);
    // apply runs exactly the commands prepare showed, after the same queries.
    const writes = fake.calls.filter((args) => args[0] !== 'query');
    expect(writes).toEqual(prepared.value.commands.map((command) => command.args));
    expect(report.value.executed.map((result) => result.exitCode)).toEqual(prepared.value.commands.map(() => 0));
    const after = fake.dump();
    expect(after[DISK.toLowerCase()]).toEqual(['Deny_Execute=REG_DWORD:0x1', 'Deny_Read=REG_DWORD:0x1', 'Deny_Write=REG_DWORD:0x1']);
    expect(after[DENY_LIST.toLowerCase()]).toEqual([
      '1=REG_SZ:{4d36e967-e325-11ce-bfc1-08002be10318}',
      '2=REG_SZ:{4d36e965-e325-11ce-bfc1-08002be10318}',
      '3=REG_SZ:{eec5ad98-8080-425f-922a-dabf3de3f69a}',
      '4=REG_SZ:{4d36e980-e325-11ce-bfc1-08002be10318}',
      '5=REG_SZ:{6d807884-7d21-11cf-801c-08002be10318}',
    ]);
    expect(after[RESTRICTIONS.toLowerCase()]).toEqual([
      'AllowDenyLayered=REG_DWORD:0x0',
      'AllowInstanceIDs=REG_DWORD:0x0',
      'DenyDeviceClasses=REG_DWORD:0x1',
      'DenyDeviceClassesRetroactive=REG_DWORD:0x0',
    ]);
    expect(after[USBSTOR.toLowerCase()]).toContain('Start=REG_DWORD:0x4');
    expect(after[UASPSTOR.toLowerCase()]).toContain('Start=REG_DWORD:0x4');

    fake.calls.length = 0;
    const reverted = await adapter.revert(report.value.revert);
    if (!reverted.ok) throw new Error(reverted.error.message.en);
    expect(reverted.value.ok).toBe(true);
    expect(fake.calls.filter((args) => args[0] !== 'query')).toEqual([
      ['delete', RSD, '/f', '/reg:64'],
      ['delete', DEVICE_INSTALL, '/f', '/reg:64'],
      ['add', UASPSTOR, '/v', 'Start', '/t', 'REG_DWORD', '/d', '3', '/f', '/reg:64'],
      ['add', USBSTOR, '/v', 'Start', '/t', 'REG_DWORD', '/d', '3', '/f', '/reg:64'],
    ]);
    expect(fake.dump()).toEqual(original);
    // Running the revert again changes nothing.
    const again = await adapter.revert(report.value.revert);
    expect(again.ok && again.value.executed).toEqual([]);
  });

  it('applying the same plan twice runs no command the second time and needs no restart', async () => {
    const { adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const plan = planFor(adapter);
    await adapter.apply(plan);
    const second = await adapter.apply(plan);
    expect(second.ok && second.value).toMatchObject({ ok: true, executed: [], changes: [], rebootRequired: false });
    const check = await adapter.check(plan);
    expect(check).toEqual({ ok: true, value: { compliant: true, changes: [], skipped: [], notices: [] } });
  });

  it('reports drift when someone changes a value behind its back (e.g. a domain GPO refresh)', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const plan = planFor(adapter);
    await adapter.apply(plan);
    fake.set(DISK, 'Deny_Read', { type: 'REG_DWORD', data: '0x0' });
    const check = await adapter.check(plan);
    expect(check.ok && check.value).toEqual({
      compliant: false,
      changes: [{ kind: 'set-value', key: DISK, name: 'Deny_Read', before: { type: 'REG_DWORD', data: '0' }, after: { type: 'REG_DWORD', data: '1' } }],
      skipped: [],
      notices: [],
    });
  });

  it('combined revert plans of two applies return to the state before the first', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const original = fake.dump();
    const first = await adapter.apply(planFor(adapter));
    const second = await adapter.apply(planFor(adapter, withClasses({ usbStorage: 'read-only', sdCard: 'read-only', optical: 'allow' }), [
      { vendorId: '04e8', productId: '6860', serial: 'R58M12345', source: 'phone' },
    ]));
    if (!first.ok || !second.ok) throw new Error('apply');
    const reverted = await adapter.revert(combineRevertPlans(first.value.revert, second.value.revert));
    expect(reverted.ok && reverted.value.ok).toBe(true);
    expect(fake.dump()).toEqual(original);
  });

  it('reports settings of other tools that weaken the plan, in apply and check', async () => {
    const { adapter } = adapterOn({ ...FRESH_WINDOWS_REGISTRY, [RESTRICTIONS]: { AllowAdminInstall: { type: 'REG_DWORD', data: '0x1' } } });
    const plan = planFor(adapter);
    const report = await adapter.apply(plan);
    expect(report.ok && report.value.notices.map((n) => n.code)).toContain('windows.admin-install-allowed');
    const check = await adapter.check(plan);
    expect(check.ok && check.value.notices.map((n) => n.code)).toEqual(['windows.admin-install-allowed']);
  });

  it('formats prepared commands as command lines', async () => {
    const { adapter } = adapterOn(FRESH_WINDOWS_REGISTRY);
    const prepared = await adapter.prepare(planFor(adapter, defaultPolicy, [{ vendorId: '0781', productId: '5567', serial: 'AB12', source: 'x' }]));
    if (!prepared.ok) throw new Error('prepare');
    const lines = formatPreparedCommands(prepared.value);
    expect(lines[0]).toBe(`reg.exe add ${DISK} /v Deny_Read /t REG_DWORD /d 1 /f /reg:64`);
    expect(lines).toContain(`reg.exe add ${ALLOW_LIST} /v 1 /t REG_SZ /d "USB\\VID_0781&PID_5567\\AB12" /f /reg:64`);
  });
});

describe('RegExeUsbPolicy fails closed and changes nothing when it cannot read', () => {
  const writes = (calls: string[][]) => calls.filter((args) => args[0] !== 'query');

  it('a key that exists but cannot be read', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY, { denies: (args) => args[0] === 'query' && args[1] === USBSTOR });
    const result = await adapter.apply(planFor(adapter));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'registry-unreadable', key: USBSTOR, detail: 'ERROR: Access is denied.' });
    expect(result.error.message.ja).toContain('何も変更していません');
    expect(writes(fake.calls)).toEqual([]);
  });

  it('a hive-level key that cannot be read', async () => {
    const { fake, adapter } = adapterOn({}, { denies: (args) => args[0] === 'query' });
    const result = await adapter.apply(planFor(adapter));
    expect(!result.ok && result.error.code).toBe('registry-unreadable');
    expect(writes(fake.calls)).toEqual([]);
  });

  it('reg.exe that does not answer in time', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY, { hangs: (args) => args[1] === UASPSTOR });
    const result = await adapter.apply(planFor(adapter));
    expect(!result.ok && result.error.message.en).toMatch(/did not finish in time/);
    expect(writes(fake.calls)).toEqual([]);
  });

  it('a managed value that cannot be restored exactly', async () => {
    const { fake, adapter } = adapterOn({
      ...FRESH_WINDOWS_REGISTRY,
      [RESTRICTIONS]: { DenyDeviceClasses: { type: 'REG_MULTI_SZ', data: '1\\02' } },
    });
    const result = await adapter.apply(planFor(adapter));
    expect(!result.ok && result.error.code).toBe('unrestorable-values');
    expect(writes(fake.calls)).toEqual([]);
  });

  it('output that does not parse', async () => {
    const fake = createFakeRegExe(FRESH_WINDOWS_REGISTRY);
    const garbled = {
      async run(file: string, args: readonly string[]) {
        const outcome = await fake.run(file, args);
        return args[1] === USBSTOR ? { ...outcome, stdout: `${outcome.stdout}garbage\r\n` } : outcome;
      },
    };
    const adapter = createRegExeUsbPolicy({ runner: garbled, regExePath: REG });
    const result = await adapter.apply(planFor(adapter));
    expect(!result.ok && result.error).toMatchObject({ code: 'registry-unreadable', key: USBSTOR });
    expect(writes(fake.calls)).toEqual([]);
  });
});

describe('RegExeUsbPolicy edge cases of the registry', () => {
  it('an existing empty key that reg.exe prints as nothing is confirmed from its parent and kept on revert', async () => {
    const content = { ...FRESH_WINDOWS_REGISTRY, [RSD]: {} };
    const { fake, adapter } = adapterOn(content, { emptyKeyPrintsNothing: true });
    const original = fake.dump();
    const report = await adapter.apply(planFor(adapter));
    if (!report.ok) throw new Error(report.error.message.en);
    const keyDeletions = report.value.revert.targets.filter((t) => t.kind === 'absent-key').map((t) => t.key);
    expect(keyDeletions).not.toContain(RSD);
    expect(keyDeletions).toContain(DISK);
    await adapter.revert(report.value.revert);
    expect(fake.dump()).toEqual(original);
  });

  it('never creates a missing UASPStor service key', async () => {
    const content: Record<string, Record<string, FakeRegValue>> = { ...FRESH_WINDOWS_REGISTRY };
    delete content[UASPSTOR];
    const { fake, adapter } = adapterOn(content);
    const report = await adapter.apply(planFor(adapter));
    if (!report.ok) throw new Error(report.error.message.en);
    expect(fake.dump()[UASPSTOR.toLowerCase()]).toBeUndefined();
    expect(report.value.skipped.map((s) => s.key)).toEqual([UASPSTOR]);
  });

  it('stops at the first failing command, reports it, and its revert still restores everything', async () => {
    const { fake, adapter } = adapterOn(FRESH_WINDOWS_REGISTRY, { denies: (args) => args[0] === 'add' && args[1] === DENY_LIST && args[3] === '3' });
    const original = fake.dump();
    const report = await adapter.apply(planFor(adapter));
    if (!report.ok) throw new Error(report.error.message.en);
    expect(report.value.ok).toBe(false);
    const last = report.value.executed.at(-1);
    expect(last && commandArray(last.command)).toEqual(['reg.exe', 'add', DENY_LIST, '/v', '3', '/t', 'REG_SZ', '/d', '{eec5ad98-8080-425f-922a-dabf3de3f69a}', '/f', '/reg:64']);
    expect(last?.stderr).toBe('ERROR: Access is denied.');
    expect(report.value.executed.length).toBeLessThan(report.value.changes.length);
    // Nothing after the failure ran: USBSTOR is still at 3.
    expect(fake.dump()[USBSTOR.toLowerCase()]).toContain('Start=REG_DWORD:0x3');
    expect(report.value.rebootRequired).toBe(true);
    const reverted = await adapter.revert(report.value.revert);
    expect(reverted.ok && reverted.value.ok).toBe(true);
    expect(fake.dump()).toEqual(original);
  });

  it('runs reg.exe from the absolute path it was given', async () => {
    const fake = createFakeRegExe(FRESH_WINDOWS_REGISTRY, { regExePath: REG });
    const adapter = createRegExeUsbPolicy({ runner: fake, regExePath: 'reg.exe' });
    const result = await adapter.prepare(adapter.plan({ policy: defaultPolicy, approvedDevices: [], nowMs }));
    expect(result.ok).toBe(false);
    expect(regExePathFor('C:\\Windows')).toBe(REG);
    expect(regExePathFor('C:\\Windows\\')).toBe(REG);
  });
});

describe('RegExeUsbPolicy on any prior registry state (property)', () => {
  const managedRsd = [
    ['{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}', ['Deny_Read', 'Deny_Write', 'Deny_Execute']],
    ['{53f56308-b6bf-11d0-94f2-00a0c91efb8b}', ['Deny_Read', 'Deny_Write', 'Deny_Execute']],
    ['{6AC27878-A6FA-4155-BA85-F98F491D4F33}', ['Deny_Read', 'Deny_Write']],
  ] as const;
  const dwordValue = fc.integer({ min: 0, max: 4 }).map((n): FakeRegValue => ({ type: 'REG_DWORD', data: `0x${n.toString(16)}` }));
  const anyValue = fc.oneof(dwordValue, fc.constantFrom<FakeRegValue>({ type: 'REG_SZ', data: '1' }, { type: 'REG_SZ', data: '' }, { type: 'REG_EXPAND_SZ', data: '%x%' }));
  const listEntry = fc.oneof(
    fc.constantFrom(...NEVER_DENIED_SETUP_CLASSES.map((c) => c.guid), '{4d36e967-e325-11ce-bfc1-08002be10318}', 'USB\\VID_1234&PID_5678\\X'),
    fc.stringMatching(/^[ -~]{0,12}$/).filter((s) => !s.startsWith(' ') && !s.endsWith(' ') && !s.includes('    ')),
  );
  const list = fc.option(fc.dictionary(fc.constantFrom('1', '2', '3', '4', '5', '6', '7', 'x'), listEntry.map((data): FakeRegValue => ({ type: 'REG_SZ', data }))), { nil: undefined });
  const priorState = fc.record({
    rsd: fc.option(
      fc.tuple(...managedRsd.map(([, names]) => fc.option(fc.record(Object.fromEntries(names.map((n) => [n, anyValue])), { requiredKeys: [] }), { nil: undefined }))),
      { nil: undefined },
    ),
    foreignRsdSubkey: fc.boolean(),
    restrictions: fc.option(
      fc.record(
        { DenyDeviceClasses: dwordValue, DenyDeviceClassesRetroactive: dwordValue, AllowInstanceIDs: dwordValue, AllowDenyLayered: dwordValue, AllowAdminInstall: dwordValue },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    denyList: list,
    allowList: list,
    usbstorStart: dwordValue,
    uaspstor: fc.option(dwordValue, { nil: undefined }),
  });
  type PriorState = typeof priorState extends fc.Arbitrary<infer T> ? T : never;
  const action = fc.constantFrom<MediaAction>('deny', 'read-only', 'allow');
  const policyInput = fc.record({
    usbStorage: action,
    sdCard: action,
    optical: action,
    approved: fc.array(fc.record({ vendorId: fc.stringMatching(/^[0-9a-f]{4}$/), productId: fc.stringMatching(/^[0-9a-f]{4}$/), serial: fc.stringMatching(/^[A-Z0-9]{1,12}$/), source: fc.constant('p') }), { maxLength: 3 }),
  });

  function contentOf(state: PriorState): FakeRegistryContent {
    const content: Record<string, Record<string, FakeRegValue>> = { [`${POLICIES}\\Appx`]: {} };
    if (state.rsd !== undefined) {
      content[RSD] = {};
      state.rsd.forEach((values, index) => {
        if (values !== undefined) content[`${RSD}\\${managedRsd[index]?.[0]}`] = values as Record<string, FakeRegValue>;
      });
      if (state.foreignRsdSubkey) content[`${RSD}\\Custom`] = { Deny_Read: { type: 'REG_DWORD', data: '0x1' } };
    }
    if (state.restrictions !== undefined) content[RESTRICTIONS] = state.restrictions as Record<string, FakeRegValue>;
    if (state.denyList !== undefined) content[DENY_LIST] = state.denyList;
    if (state.allowList !== undefined) content[ALLOW_LIST] = state.allowList;
    content[USBSTOR] = { Start: state.usbstorStart, Type: { type: 'REG_DWORD', data: '0x1' } };
    if (state.uaspstor !== undefined) content[UASPSTOR] = { Start: state.uaspstor };
    return content;
  }

  it('apply enforces the invariants, a second apply is a no-op, and revert restores the registry exactly', async () => {
    await fc.assert(
      fc.asyncProperty(priorState, policyInput, async (state, input) => {
        const { fake, adapter } = adapterOn(contentOf(state));
        const original = fake.dump();
        const plan = adapter.plan({ policy: withClasses({ usbStorage: input.usbStorage, sdCard: input.sdCard, optical: input.optical }), approvedDevices: input.approved, nowMs });
        const report = await adapter.apply(plan);
        if (!report.ok) throw new Error(report.error.message.en);
        expect(report.value.ok).toBe(true);

        const after = fake.dump();
        const denyList = after[DENY_LIST.toLowerCase()] ?? [];
        for (const never of NEVER_DENIED_SETUP_CLASSES) expect(denyList.join('\n').toLowerCase()).not.toContain(never.guid.toLowerCase());
        expect(denyList).toEqual(plan.decisions.deniedSetupClasses.map((c, i) => `${i + 1}=REG_SZ:${c.guid}`));
        expect(after[RESTRICTIONS.toLowerCase()]).toContain('DenyDeviceClassesRetroactive=REG_DWORD:0x0');
        expect(after[ALLOW_LIST.toLowerCase()] ?? []).toEqual(plan.decisions.allowedInstanceIds.map((a, i) => `${i + 1}=REG_SZ:${a.instanceId}`));
        // A foreign subkey that was there stays there.
        if (state.rsd !== undefined && state.foreignRsdSubkey) expect(after[`${RSD}\\Custom`.toLowerCase()]).toEqual(['Deny_Read=REG_DWORD:0x1']);

        const again = await adapter.apply(plan);
        expect(again.ok && again.value.executed).toEqual([]);

        const reverted = await adapter.revert(report.value.revert);
        expect(reverted.ok && reverted.value.ok).toBe(true);
        expect(fake.dump()).toEqual(original);
      }),
      { numRuns: 200 },
    );
  });
});
