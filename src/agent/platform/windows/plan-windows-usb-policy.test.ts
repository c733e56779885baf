import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type MediaAction, type ZonePolicy } from '../../../shared/policy';
import { formatRegistryChanges, formatWindowsUsbPlan } from './describe-windows-usb-plan';
import { planRegistryChanges } from './plan-registry-changes';
import { findWeakeningSettings, planWindowsUsbPolicy, usbInstanceIdOf, type WindowsApprovedUsbDevice, type WindowsUsbPlan } from './plan-windows-usb-policy';
import { commandArray, normalizeRegistryKey, type RegistryKeyState, type RegistrySnapshot } from './registry-model';
import { isNeverDeniedSetupClass, NEVER_DENIED_SETUP_CLASSES } from './windows-usb-classes';

const parsed = parsePolicyText(readFileSync(new URL('../../../../policies/mynumber-zone.yaml', import.meta.url), 'utf8'));
if (!parsed.ok) throw new Error('the default policy must parse');
const defaultPolicy: ZonePolicy = parsed.policy;
const nowMs = Date.parse('2026-06-01T00:00:00+09:00');

function withClasses(classes: Partial<ZonePolicy['spec']['media']['classes']>, base: ZonePolicy = defaultPolicy): ZonePolicy {
  const copy = structuredClone(base);
  Object.assign(copy.spec.media.classes, classes);
  return copy;
}

const RSD = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices';
const DISK = `${RSD}\\{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}`;
const CD = `${RSD}\\{53f56308-b6bf-11d0-94f2-00a0c91efb8b}`;
const FLOPPY = `${RSD}\\{53f56311-b6bf-11d0-94f2-00a0c91efb8b}`;
const TAPE = `${RSD}\\{53f5630b-b6bf-11d0-94f2-00a0c91efb8b}`;
const WPD1 = `${RSD}\\{6AC27878-A6FA-4155-BA85-F98F491D4F33}`;
const WPD2 = `${RSD}\\{F33FDC04-D1AC-4E8E-9A30-19BBD4B108AE}`;
const DEVICE_INSTALL = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall';
const RESTRICTIONS = `${DEVICE_INSTALL}\\Restrictions`;
const DENY_LIST = `${RESTRICTIONS}\\DenyDeviceClasses`;
const ALLOW_LIST = `${RESTRICTIONS}\\AllowInstanceIDs`;
const USBSTOR = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR';
const UASPSTOR = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\UASPStor';
const DISK_DRIVE = '{4d36e967-e325-11ce-bfc1-08002be10318}';
const CDROM = '{4d36e965-e325-11ce-bfc1-08002be10318}';
const WPD = '{eec5ad98-8080-425f-922a-dabf3de3f69a}';
const FLOPPY_DISK = '{4d36e980-e325-11ce-bfc1-08002be10318}';
const TAPE_DRIVE = '{6d807884-7d21-11cf-801c-08002be10318}';

const dword = (key: string, name: string, n: number): string[] => ['reg.exe', 'add', key, '/v', name, '/t', 'REG_DWORD', '/d', String(n), '/f', '/reg:64'];
const sz = (key: string, name: string, data: string): string[] => ['reg.exe', 'add', key, '/v', name, '/t', 'REG_SZ', '/d', data, '/f', '/reg:64'];
const access = (key: string, read: number, write: number, execute?: number): string[][] => [
  dword(key, 'Deny_Read', read),
  dword(key, 'Deny_Write', write),
  ...(execute === undefined ? [] : [dword(key, 'Deny_Execute', execute)]),
];

/**
 * The registry of a freshly installed Windows as the snapshot reader reports it: no policy keys
 * (RemovableStorageDevices and DeviceInstall are missing), both USB storage drivers at Start 3.
 */
function freshSnapshot(): RegistrySnapshot {
  const states: RegistryKeyState[] = [
    ...[DISK, CD, FLOPPY, TAPE, WPD1, WPD2].map((key): RegistryKeyState => ({ exists: false, key, missingFrom: RSD })),
    ...[RESTRICTIONS, DENY_LIST, ALLOW_LIST].map((key): RegistryKeyState => ({ exists: false, key, missingFrom: DEVICE_INSTALL })),
    { exists: true, key: USBSTOR, values: [{ name: 'Start', value: { type: 'REG_DWORD', data: '3' } }], subkeys: ['Enum'] },
    { exists: true, key: UASPSTOR, values: [{ name: 'Start', value: { type: 'REG_DWORD', data: '3' } }], subkeys: [] },
  ];
  return new Map(states.map((state) => [normalizeRegistryKey(state.key), state]));
}

function commandsOnFreshWindows(plan: WindowsUsbPlan): string[][] {
  const changes = planRegistryChanges(plan.targets, freshSnapshot());
  if (!changes.ok) throw new Error(changes.error.map((p) => p.message.en).join('; '));
  return changes.value.commands.map(commandArray);
}

const stick: WindowsApprovedUsbDevice = { vendorId: '0781', productId: '5567', serial: '4C5300012304', source: 'allow id 0781:5567 serial "4C5300012304"' };

describe('planWindowsUsbPolicy: exact reg.exe commands on a fresh Windows', () => {
  it('the default My Number zone policy', () => {
    const plan = planWindowsUsbPolicy({ policy: defaultPolicy, approvedDevices: [], nowMs });
    const commands = commandsOnFreshWindows(plan);
    // The first command and one list entry spelled out in full, without helpers.
    expect(commands[0]).toEqual([
      'reg.exe',
      'add',
      'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices\\{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}',
      '/v',
      'Deny_Read',
      '/t',
      'REG_DWORD',
      '/d',
      '1',
      '/f',
      '/reg:64',
    ]);
    expect(commands[18]).toEqual([
      'reg.exe',
      'add',
      'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions\\DenyDeviceClasses',
      '/v',
      '1',
      '/t',
      'REG_SZ',
      '/d',
      '{4d36e967-e325-11ce-bfc1-08002be10318}',
      '/f',
      '/reg:64',
    ]);
    expect(commands).toEqual([
      ...access(DISK, 1, 1, 1),
      ...access(CD, 1, 1, 1),
      ...access(FLOPPY, 1, 1, 1),
      ...access(TAPE, 1, 1, 1),
      ...access(WPD1, 1, 1),
      ...access(WPD2, 1, 1),
      // Allow switches going off come first (they are absent here, so they are written as 0).
      dword(RESTRICTIONS, 'AllowInstanceIDs', 0),
      dword(RESTRICTIONS, 'AllowDenyLayered', 0),
      sz(DENY_LIST, '1', DISK_DRIVE),
      sz(DENY_LIST, '2', CDROM),
      sz(DENY_LIST, '3', WPD),
      sz(DENY_LIST, '4', FLOPPY_DISK),
      sz(DENY_LIST, '5', TAPE_DRIVE),
      dword(RESTRICTIONS, 'DenyDeviceClassesRetroactive', 0),
      dword(RESTRICTIONS, 'DenyDeviceClasses', 1),
      dword(USBSTOR, 'Start', 4),
      dword(UASPSTOR, 'Start', 4),
    ]);
    const changes = planRegistryChanges(plan.targets, freshSnapshot());
    expect(changes.ok && changes.value.revert).toEqual({
      format: 'mynumber-guard/windows-registry-revert/v1',
      targets: [
        { kind: 'absent-key', key: RSD },
        { kind: 'absent-key', key: DEVICE_INSTALL },
        { kind: 'value', key: UASPSTOR, name: 'Start', value: { type: 'REG_DWORD', data: '3' } },
        { kind: 'value', key: USBSTOR, name: 'Start', value: { type: 'REG_DWORD', data: '3' } },
      ],
    });
  });

  it('usbStorage: read-only', () => {
    const plan = planWindowsUsbPolicy({ policy: withClasses({ usbStorage: 'read-only', sdCard: 'read-only' }), approvedDevices: [], nowMs });
    expect(commandsOnFreshWindows(plan)).toEqual([
      ...access(DISK, 0, 1, 1),
      ...access(CD, 1, 1, 1),
      ...access(FLOPPY, 1, 1, 1),
      ...access(TAPE, 1, 1, 1),
      ...access(WPD1, 1, 1),
      ...access(WPD2, 1, 1),
      dword(RESTRICTIONS, 'AllowInstanceIDs', 0),
      dword(RESTRICTIONS, 'AllowDenyLayered', 0),
      sz(DENY_LIST, '1', CDROM),
      sz(DENY_LIST, '2', WPD),
      sz(DENY_LIST, '3', FLOPPY_DISK),
      sz(DENY_LIST, '4', TAPE_DRIVE),
      dword(RESTRICTIONS, 'DenyDeviceClassesRetroactive', 0),
      dword(RESTRICTIONS, 'DenyDeviceClasses', 1),
      // USBSTOR and UASPStor stay at 3, which they already are: no command.
    ]);
  });

  it('usbStorage: allow', () => {
    const plan = planWindowsUsbPolicy({ policy: withClasses({ usbStorage: 'allow', sdCard: 'allow' }), approvedDevices: [], nowMs });
    expect(commandsOnFreshWindows(plan)).toEqual([
      ...access(DISK, 0, 0, 0),
      ...access(CD, 1, 1, 1),
      ...access(FLOPPY, 0, 0, 0),
      ...access(TAPE, 0, 0, 0),
      ...access(WPD1, 0, 0),
      ...access(WPD2, 0, 0),
      dword(RESTRICTIONS, 'AllowInstanceIDs', 0),
      dword(RESTRICTIONS, 'AllowDenyLayered', 0),
      sz(DENY_LIST, '1', CDROM),
      dword(RESTRICTIONS, 'DenyDeviceClassesRetroactive', 0),
      dword(RESTRICTIONS, 'DenyDeviceClasses', 1),
    ]);
  });

  it('optical: allow', () => {
    const plan = planWindowsUsbPolicy({ policy: withClasses({ optical: 'allow' }), approvedDevices: [], nowMs });
    expect(commandsOnFreshWindows(plan)).toEqual([
      ...access(DISK, 1, 1, 1),
      ...access(CD, 0, 0, 0),
      ...access(FLOPPY, 1, 1, 1),
      ...access(TAPE, 1, 1, 1),
      ...access(WPD1, 1, 1),
      ...access(WPD2, 1, 1),
      dword(RESTRICTIONS, 'AllowInstanceIDs', 0),
      dword(RESTRICTIONS, 'AllowDenyLayered', 0),
      sz(DENY_LIST, '1', DISK_DRIVE),
      sz(DENY_LIST, '2', WPD),
      sz(DENY_LIST, '3', FLOPPY_DISK),
      sz(DENY_LIST, '4', TAPE_DRIVE),
      dword(RESTRICTIONS, 'DenyDeviceClassesRetroactive', 0),
      dword(RESTRICTIONS, 'DenyDeviceClasses', 1),
      dword(USBSTOR, 'Start', 4),
      dword(UASPSTOR, 'Start', 4),
    ]);
  });

  it('an approved device (exact id and serial), from an allow rule of the policy or from the caller', () => {
    const policy = structuredClone(defaultPolicy);
    policy.spec.usb.rules.push('allow id 0781:5567 serial "4C5300012304" label "USB-0001"');
    const fromRule = planWindowsUsbPolicy({ policy, nowMs });
    const fromCaller = planWindowsUsbPolicy({ policy: defaultPolicy, approvedDevices: [stick], nowMs });
    expect(fromRule.decisions.allowedInstanceIds).toEqual([
      {
        instanceId: 'USB\\VID_0781&PID_5567\\4C5300012304',
        source: `spec.usb.rules[${policy.spec.usb.rules.length - 1}] allow id 0781:5567 serial "4C5300012304" label "USB-0001"`,
      },
    ]);
    expect(commandsOnFreshWindows(fromRule)).toEqual(commandsOnFreshWindows(fromCaller));
    const plan = fromCaller;
    expect(commandsOnFreshWindows(plan)).toEqual([
      ...access(DISK, 1, 1, 1),
      ...access(CD, 1, 1, 1),
      ...access(FLOPPY, 1, 1, 1),
      ...access(TAPE, 1, 1, 1),
      ...access(WPD1, 1, 1),
      ...access(WPD2, 1, 1),
      sz(DENY_LIST, '1', DISK_DRIVE),
      sz(DENY_LIST, '2', CDROM),
      sz(DENY_LIST, '3', WPD),
      sz(DENY_LIST, '4', FLOPPY_DISK),
      sz(DENY_LIST, '5', TAPE_DRIVE),
      dword(RESTRICTIONS, 'DenyDeviceClassesRetroactive', 0),
      dword(RESTRICTIONS, 'DenyDeviceClasses', 1),
      ['reg.exe', 'add', ALLOW_LIST, '/v', '1', '/t', 'REG_SZ', '/d', 'USB\\VID_0781&PID_5567\\4C5300012304', '/f', '/reg:64'],
      // Allow switches going on come after their list.
      dword(RESTRICTIONS, 'AllowInstanceIDs', 1),
      dword(RESTRICTIONS, 'AllowDenyLayered', 1),
      dword(USBSTOR, 'Start', 4),
      dword(UASPSTOR, 'Start', 4),
    ]);
    expect(plan.notices.map((n) => n.code)).toContain('windows.allow-is-device-node-only');
  });
});

describe('planWindowsUsbPolicy decisions', () => {
  const decide = (classes: Partial<ZonePolicy['spec']['media']['classes']>, approvedDevices: WindowsApprovedUsbDevice[] = []) =>
    planWindowsUsbPolicy({ policy: withClasses(classes), approvedDevices, nowMs });

  const table: ReadonlyArray<
    readonly [string, Partial<ZonePolicy['spec']['media']['classes']>, MediaAction, 'deny' | 'allow', 'deny' | 'allow', 3 | 4, string[]]
  > = [
    ['default', {}, 'deny', 'deny', 'deny', 4, ['DiskDrive', 'CDROM', 'WPD', 'FloppyDisk', 'TapeDrive']],
    ['sticks read-only', { usbStorage: 'read-only', sdCard: undefined }, 'read-only', 'deny', 'deny', 3, ['CDROM', 'WPD', 'FloppyDisk', 'TapeDrive']],
    ['everything allowed', { usbStorage: 'allow', sdCard: 'allow', optical: 'allow' }, 'allow', 'allow', 'allow', 3, []],
    // SD cards are removable disks to Windows: the stricter setting wins for both.
    ['sticks allowed, SD denied', { usbStorage: 'allow', sdCard: 'deny' }, 'deny', 'deny', 'allow', 4, ['DiskDrive', 'CDROM', 'FloppyDisk', 'TapeDrive']],
    ['sticks denied, SD allowed', { usbStorage: 'deny', sdCard: 'allow' }, 'deny', 'deny', 'deny', 4, ['DiskDrive', 'CDROM', 'WPD', 'FloppyDisk', 'TapeDrive']],
    ['sticks allowed, SD read-only', { usbStorage: 'allow', sdCard: 'read-only', optical: 'allow' }, 'read-only', 'deny', 'allow', 3, ['FloppyDisk', 'TapeDrive']],
  ];
  for (const [name, classes, removable, legacy, wpd, start, denied] of table) {
    it(name, () => {
      const plan = decide(classes);
      expect(plan.decisions.removableDisks).toBe(removable);
      expect(plan.decisions.floppyAndTape).toBe(legacy);
      expect(plan.decisions.portableDevices).toBe(wpd);
      expect(plan.decisions.storageDriverStart).toBe(start);
      expect(plan.decisions.deniedSetupClasses.map((c) => c.name)).toEqual(denied);
    });
  }

  it('says when SD cards and sticks were merged', () => {
    expect(decide({ usbStorage: 'allow', sdCard: 'deny' }).notices.map((n) => n.code)).toContain('windows.sd-card-merged');
    expect(decide({}).notices.map((n) => n.code)).not.toContain('windows.sd-card-merged');
  });

  it('allows no instance ID when nothing is denied (an allow without a deny means nothing)', () => {
    const plan = decide({ usbStorage: 'allow', sdCard: 'allow', optical: 'allow' }, [stick]);
    expect(plan.decisions.allowedInstanceIds).toEqual([]);
    const flags = plan.targets.filter((t) => t.kind === 'value' && (t.name === 'AllowInstanceIDs' || t.name === 'AllowDenyLayered'));
    expect(flags.map((t) => (t.kind === 'value' ? t.value?.data : undefined))).toEqual(['0', '0']);
  });

  it('leaves out expired and unusable approvals, each with a notice, and de-duplicates', () => {
    const plan = decide({}, [
      { ...stick, expiresAtMs: nowMs },
      { ...stick, serial: '' },
      { ...stick, serial: 'A,B' },
      { ...stick, vendorId: 'xyz1' },
      stick,
      { ...stick, vendorId: '0781'.toUpperCase(), serial: stick.serial.toLowerCase() },
      { ...stick, expiresAtMs: nowMs + 1 },
    ]);
    expect(plan.decisions.allowedInstanceIds.map((a) => a.instanceId)).toEqual(['USB\\VID_0781&PID_5567\\4C5300012304']);
    expect(plan.notices.filter((n) => n.code === 'windows.approved-device-expired')).toHaveLength(1);
    expect(plan.notices.filter((n) => n.code === 'windows.approved-device-skipped')).toHaveLength(3);
  });

  it('reports unexpired approved volumes as not applied on Windows', () => {
    const policy = structuredClone(defaultPolicy);
    policy.spec.media.approvedVolumes = [
      { name: 'USB-0001', deviceSerial: 'S1', action: 'read-only', expires: '2026-12-31T23:59:59+09:00', reason: '申請 2026-001' },
      { name: 'USB-0002', deviceSerial: 'S2', action: 'allow', expires: '2026-01-01T00:00:00+09:00', reason: '申請 2025-099' },
    ];
    const plan = planWindowsUsbPolicy({ policy, approvedDevices: [], nowMs });
    const notApplied = plan.notices.filter((n) => n.code === 'windows.approved-volume-not-applied');
    expect(notApplied).toHaveLength(1);
    expect(notApplied[0]?.message.ja).toContain('USB-0001');
    expect(notApplied[0]?.message.en).toContain('USB-0001');
  });
});

describe('findWeakeningSettings', () => {
  const restrictions = (values: Record<string, string>): RegistryKeyState => ({
    exists: true,
    key: RESTRICTIONS,
    values: Object.entries(values).map(([name, data]) => ({ name, value: { type: 'REG_DWORD', data } })),
    subkeys: [],
  });
  const withApproval = planWindowsUsbPolicy({ policy: defaultPolicy, approvedDevices: [stick], nowMs });
  const withoutApproval = planWindowsUsbPolicy({ policy: defaultPolicy, nowMs });

  it('warns about administrators overriding the restrictions', () => {
    expect(findWeakeningSettings(withoutApproval, restrictions({ allowadmininstall: '1' })).map((n) => n.code)).toEqual(['windows.admin-install-allowed']);
    expect(findWeakeningSettings(withoutApproval, restrictions({ AllowAdminInstall: '0' }))).toEqual([]);
  });

  it('warns about other allow lists only when layered evaluation is on', () => {
    const foreign = restrictions({ AllowDeviceIDs: '1', AllowDeviceClasses: '1' });
    expect(findWeakeningSettings(withApproval, foreign).map((n) => n.code)).toEqual(['windows.foreign-allow-list', 'windows.foreign-allow-list']);
    expect(findWeakeningSettings(withoutApproval, foreign)).toEqual([]);
  });

  it('has nothing to say about a missing key', () => {
    expect(findWeakeningSettings(withApproval, undefined)).toEqual([]);
    expect(findWeakeningSettings(withApproval, { exists: false, key: RESTRICTIONS, missingFrom: DEVICE_INSTALL })).toEqual([]);
  });
});

describe('usbInstanceIdOf', () => {
  it('builds the Windows instance ID of a USB device node', () => {
    expect(usbInstanceIdOf({ vendorId: '1050', productId: '0407', serial: 'abc-123_X' })).toEqual({ ok: true, instanceId: 'USB\\VID_1050&PID_0407\\abc-123_X' });
    expect(usbInstanceIdOf({ vendorId: 'abcd', productId: 'ef01', serial: 'S' })).toEqual({ ok: true, instanceId: 'USB\\VID_ABCD&PID_EF01\\S' });
  });

  it.each([
    ['empty serial', '0781', '5567', ''],
    ['space in serial', '0781', '5567', 'A B'],
    ['comma', '0781', '5567', 'A,B'],
    ['quote', '0781', '5567', 'A"B'],
    ['backslash', '0781', '5567', 'A\\B'],
    ['non-ASCII', '0781', '5567', 'シリアル'],
    ['control', '0781', '5567', 'A\u0000'],
    ['too long', '0781', '5567', 'A'.repeat(190)],
    ['wildcard id', '0781', '*', 'S'],
    ['short id', '781', '5567', 'S'],
  ])('refuses %s', (_name, vendorId, productId, serial) => {
    const id = usbInstanceIdOf({ vendorId, productId, serial });
    expect(id.ok).toBe(false);
    if (!id.ok) expect(id.reason.ja.length).toBeGreaterThan(0);
  });
});

describe('planWindowsUsbPolicy invariants for every policy (property)', () => {
  const action = fc.constantFrom<MediaAction>('deny', 'read-only', 'allow');
  const hex4 = fc.stringMatching(/^[0-9a-fA-F]{4}$/);
  const device = fc.record({
    vendorId: fc.oneof(hex4, fc.string({ maxLength: 5 })),
    productId: fc.oneof(hex4, fc.string({ maxLength: 5 })),
    serial: fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,24}$/), fc.string({ maxLength: 30 })),
    source: fc.constant('generated'),
    expiresAtMs: fc.option(fc.integer({ min: nowMs - 1000, max: nowMs + 1000 }), { nil: undefined }),
  });
  const input = fc.record({
    usbStorage: action,
    sdCard: fc.option(action, { nil: undefined }),
    optical: action,
    approvedDevices: fc.array(device, { maxLength: 6 }),
  });

  it('never denies USB, HIDClass, Keyboard, Mouse or SmartCardReader, and never sets a Retroactive value other than 0', () => {
    fc.assert(
      fc.property(input, ({ usbStorage, sdCard, optical, approvedDevices }) => {
        const policy = withClasses({ usbStorage, optical });
        if (sdCard === undefined) delete (policy.spec.media.classes as { sdCard?: MediaAction }).sdCard;
        else policy.spec.media.classes.sdCard = sdCard;
        const plan = planWindowsUsbPolicy({ policy, approvedDevices, nowMs });
        for (const target of plan.targets) {
          if (target.kind === 'list' && /\\Deny[^\\]*$/i.test(target.key)) {
            for (const guid of target.entries) expect(isNeverDeniedSetupClass(guid)).toBe(false);
          }
          if ((target.kind === 'value' || target.kind === 'list') && /retroactive/i.test(`${target.key}\\${'name' in target ? target.name : ''}`)) {
            expect(target.kind === 'value' && target.value).toEqual({ type: 'REG_DWORD', data: '0' });
          }
        }
        for (const entry of plan.decisions.deniedSetupClasses) expect(isNeverDeniedSetupClass(entry.guid)).toBe(false);
        // Nor in any command on a fresh machine, in any position.
        const commands = commandsOnFreshWindows(plan);
        for (const command of commands) {
          for (const never of NEVER_DENIED_SETUP_CLASSES) expect(command.join(' ').toLowerCase()).not.toContain(never.guid.toLowerCase());
          if (command.some((arg) => /retroactive/i.test(arg))) expect(command[command.indexOf('/d') + 1]).toBe('0');
        }
        // Allows exist only against a deny, and layering is on exactly when they do.
        const denied = plan.decisions.deniedSetupClasses.length > 0;
        if (!denied) expect(plan.decisions.allowedInstanceIds).toEqual([]);
        const flag = (name: string) => plan.targets.find((t) => t.kind === 'value' && t.name === name);
        const on = plan.decisions.allowedInstanceIds.length > 0 ? '1' : '0';
        expect(flag('AllowInstanceIDs')?.kind === 'value' && flag('AllowInstanceIDs')).toMatchObject({ value: { data: on } });
        expect(flag('AllowDenyLayered')?.kind === 'value' && flag('AllowDenyLayered')).toMatchObject({ value: { data: on } });
        // USBSTOR is disabled exactly when removable disks are denied.
        expect(plan.decisions.storageDriverStart).toBe(plan.decisions.removableDisks === 'deny' ? 4 : 3);
      }),
      { numRuns: 500 },
    );
  });

  it('holds for every combination of media settings, enumerated', () => {
    const actions: MediaAction[] = ['deny', 'read-only', 'allow'];
    let combinations = 0;
    for (const usbStorage of actions) {
      for (const sdCard of [...actions, undefined]) {
        for (const optical of actions) {
          const policy = withClasses({ usbStorage, optical });
          if (sdCard === undefined) delete (policy.spec.media.classes as { sdCard?: MediaAction }).sdCard;
          else policy.spec.media.classes.sdCard = sdCard;
          const plan = planWindowsUsbPolicy({ policy, approvedDevices: [stick], nowMs });
          for (const command of commandsOnFreshWindows(plan)) {
            for (const never of NEVER_DENIED_SETUP_CLASSES) expect(command.join(' ').toLowerCase()).not.toContain(never.guid.toLowerCase());
            if (command.some((arg) => /retroactive/i.test(arg))) expect(command[command.indexOf('/d') + 1]).toBe('0');
          }
          combinations += 1;
        }
      }
    }
    expect(combinations).toBe(36);
  });

  it('the never-denied list is the one of reference §5.3', () => {
    expect(NEVER_DENIED_SETUP_CLASSES.map((c) => c.name)).toEqual(['USB', 'HIDClass', 'Keyboard', 'Mouse', 'SmartCardReader']);
    expect(isNeverDeniedSetupClass('36FC9E60-C465-11CF-8056-444553540000')).toBe(true);
    expect(isNeverDeniedSetupClass('{50DD5230-BA8A-11D1-BF5D-0000F805F530}')).toBe(true);
    expect(isNeverDeniedSetupClass(DISK_DRIVE)).toBe(false);
  });
});

describe('the human-readable plan', () => {
  it('shows decisions, every setting with its reason, and the notices, in both languages', () => {
    const plan = planWindowsUsbPolicy({ policy: defaultPolicy, approvedDevices: [stick], nowMs });
    const ja = formatWindowsUsbPlan(plan, 'ja');
    const en = formatWindowsUsbPlan(plan, 'en');
    expect(ja).toContain('リムーバブルディスク（USB メモリ・SD カード）: 使用不可');
    expect(ja).toContain(`${DISK}\\Deny_Read = REG_DWORD 1 — リムーバブルディスク（USB メモリ・SD カード）: 使用不可`);
    expect(ja).toContain('USBSTOR・UASPStor の Start: 4（無効）');
    expect(en).toContain(`${DENY_LIST} (list) = 1=${DISK_DRIVE} 2=${CDROM} 3=${WPD} 4=${FLOPPY_DISK} 5=${TAPE_DRIVE}`);
    expect(en).toContain(`${USBSTOR}\\Start = REG_DWORD 4 (only if the key exists) — disable the USB storage driver (4)`);
    expect(en).toContain('Instance IDs allowed to install: USB\\VID_0781&PID_5567\\4C5300012304');
    for (const notice of plan.notices) {
      expect(ja).toContain(notice.message.ja);
      expect(en).toContain(notice.message.en);
    }
  });

  it('shows changes with old and new values', () => {
    const plan = planWindowsUsbPolicy({ policy: defaultPolicy, approvedDevices: [], nowMs });
    const changes = planRegistryChanges(plan.targets, freshSnapshot());
    if (!changes.ok) throw new Error('plan');
    const lines = formatRegistryChanges(changes.value.changes, 'en');
    expect(lines[0]).toBe(`${DISK}\\Deny_Read: (absent) → REG_DWORD 1`);
    expect(lines.at(-1)).toBe(`${UASPSTOR}\\Start: REG_DWORD 3 → REG_DWORD 4`);
    expect(formatRegistryChanges([{ kind: 'delete-key', key: RSD }], 'ja')).toEqual([`${RSD}: キーを削除`]);
  });
});
