import { msg, type Localized } from '../../../shared/i18n';
import { instantOf, type MediaAction, type ZonePolicy } from '../../../shared/policy';
import { approvedUsbDevicesFromRules } from './approvals-from-usb-rules';
import { regDword, type RegistryKeyState, type RegistryTarget } from './registry-model';
import {
  DEVICE_INSTALL_RESTRICTIONS_KEY,
  DeniableSetupClass,
  isNeverDeniedSetupClass,
  REMOVABLE_STORAGE_KEY,
  StorageInterfaceClass,
  UASPSTOR_SERVICE_KEY,
  USBSTOR_SERVICE_KEY,
} from './windows-usb-classes';

/**
 * Renders a Zone Policy to the Windows built-in USB and media controls (issue #3 item 4,
 * reference usb-and-media.md §5): Removable Storage Access `Deny_*` values, the USBSTOR and
 * UASPStor driver start types, and Device Installation Restrictions. Pure: the result is the
 * registry state to reach (`targets`); reading the current state, computing the reg.exe commands
 * and the revert plan happen in plan-registry-changes.ts and reg-exe-usb-policy.ts.
 *
 * The mapping (docs/usb.md, "Windows"):
 * | policy                                   | Windows                                                    |
 * |------------------------------------------|------------------------------------------------------------|
 * | removable disks = strictest of usbStorage and sdCard | `{53f5630d…}` Deny_Read/Write/Execute; DiskDrive setup class; USBSTOR/UASPStor Start |
 * | optical                                  | `{53f56308…}` Deny_*; CDROM setup class                    |
 * | floppy, tape (no class in the policy)    | denied unless removable disks are `allow`                  |
 * | portable devices (WPD: phones, cameras)  | denied unless usbStorage is `allow`: both WPD GUIDs, WPD setup class |
 * | allow rules with exact id + serial only  | AllowInstanceIDs `USB\VID_v&PID_p\serial` + AllowDenyLayered |
 *
 * Invariants (tested for every policy): the USB, HIDClass, Keyboard, Mouse and SmartCardReader
 * setup classes are never denied, and no `*Retroactive` value is ever 1 (DenyDeviceClassesRetroactive=1
 * with DiskDrive uninstalls internal disks too, reference §5.3).
 */

/**
 * A USB device approved by exact identity. The planner derives these itself from the policy's
 * rules (`allow id 0781:5567 serial "4C5300012304"`, see approvals-from-usb-rules.ts); a caller
 * may add more (e.g. from a device ledger). Only exact identities belong here: anything wider
 * cannot be expressed on Windows and must not be widened into an allow.
 */
export interface WindowsApprovedUsbDevice {
  /** `idVendor`, 4 hex digits. */
  readonly vendorId: string;
  /** `idProduct`, 4 hex digits. */
  readonly productId: string;
  /** `iSerialNumber` string as the device reports it. */
  readonly serial: string;
  /** Where the approval comes from (rule text or label), for plans and audit. */
  readonly source: string;
  /** End of the approval (ms since the epoch); absent: no end. */
  readonly expiresAtMs?: number;
}

/** What the planner reads. */
export interface WindowsUsbPolicyInput {
  readonly policy: ZonePolicy;
  /** Approvals in addition to the exact-identity allow rules of `policy.spec.usb.rules`. */
  readonly approvedDevices?: readonly WindowsApprovedUsbDevice[];
  /** Now (ms since the epoch), from the injected clock: expired approvals are left out. */
  readonly nowMs: number;
}

/** Allowed or denied, for device families the policy has no three-way setting for. */
export type WindowsDeviceAccess = 'deny' | 'allow';

/** The decisions behind the targets, in the policy's terms (for people, audit and tests). */
export interface WindowsUsbDecisions {
  /** USB sticks, external disks and SD cards: Windows cannot tell them apart (`{53f5630d…}`, DiskDrive). */
  readonly removableDisks: MediaAction;
  readonly optical: MediaAction;
  readonly floppyAndTape: WindowsDeviceAccess;
  /** Windows Portable Devices: phones and cameras over MTP/PTP. */
  readonly portableDevices: WindowsDeviceAccess;
  /** USBSTOR and UASPStor `Start`: 4 = disabled, 3 = load on demand (the Windows default). */
  readonly storageDriverStart: 3 | 4;
  /** Setup classes whose installation is denied, in list order. */
  readonly deniedSetupClasses: readonly { readonly name: string; readonly guid: string }[];
  /** Device instance IDs allowed to install despite a denied class, with their source. */
  readonly allowedInstanceIds: readonly { readonly instanceId: string; readonly source: string }[];
}

/** Something the administrator should know about a plan: a stable code and a ja/en text. */
export interface WindowsPlanNotice {
  readonly code: string;
  readonly message: Localized;
}

/** A rendered policy: what to write, why, and what it cannot express. */
export interface WindowsUsbPlan {
  readonly policyId: string;
  readonly policyVersion: number;
  readonly decisions: WindowsUsbDecisions;
  /** Registry state to reach, in the order it is written. */
  readonly targets: readonly RegistryTarget[];
  readonly notices: readonly WindowsPlanNotice[];
}

// Strictest first: when two policy classes land on one Windows class, the stricter one wins.
const STRICTNESS: readonly MediaAction[] = ['deny', 'read-only', 'allow'];

function stricter(a: MediaAction, b: MediaAction): MediaAction {
  return STRICTNESS.indexOf(a) <= STRICTNESS.indexOf(b) ? a : b;
}

/** Deny_Read / Deny_Write / Deny_Execute for a three-way media action (1 = denied). */
function accessBits(action: MediaAction): { read: number; write: number; execute: number } {
  switch (action) {
    case 'deny':
      return { read: 1, write: 1, execute: 1 };
    case 'read-only':
      // Execute is denied too: running programs from approved media is not reading data.
      return { read: 0, write: 1, execute: 1 };
    case 'allow':
      return { read: 0, write: 0, execute: 0 };
  }
}

const ACCESS_TEXT: Record<MediaAction, Localized> = {
  deny: msg('使用不可', 'denied'),
  'read-only': msg('読み取りのみ', 'read-only'),
  allow: msg('許可', 'allowed'),
};

// Windows builds `USB\VID_v&PID_p\<serial>` only from serials of printable ASCII without a comma
// (otherwise it makes up an instance ID); quotes and backslashes are left out as well, because
// they change meaning in a Windows command line and in a key path. Whole IDs are at most 200
// characters (MAX_DEVICE_ID_LEN).
const SERIAL_FOR_INSTANCE_ID = /^[\x21-\x7e]+$/;
const MAX_INSTANCE_ID_CHARS = 200;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** `USB\VID_0781&PID_5567\4C5300012304` for a usable identity, or why there is none. */
export function usbInstanceIdOf(device: Pick<WindowsApprovedUsbDevice, 'vendorId' | 'productId' | 'serial'>): { ok: true; instanceId: string } | { ok: false; reason: Localized } {
  if (!HEX4.test(device.vendorId) || !HEX4.test(device.productId)) {
    return { ok: false, reason: msg('ベンダー ID・製品 ID が 16 進 4 桁ではありません', 'vendor and product IDs must be 4 hex digits') };
  }
  if (device.serial === '') {
    return { ok: false, reason: msg('シリアル番号が空です（Windows は別のインスタンス ID を作ります）', 'the serial is empty (Windows makes up another instance ID)') };
  }
  if (!SERIAL_FOR_INSTANCE_ID.test(device.serial) || /[,"\\]/.test(device.serial)) {
    return {
      ok: false,
      reason: msg(
        'シリアル番号に空白・制御文字・ASCII 以外・「,」「"」「\\」が含まれます（Windows はこのシリアルをインスタンス ID に使いません）',
        'the serial contains white space, control or non-ASCII characters, or one of , " \\ (Windows does not use such a serial in the instance ID)',
      ),
    };
  }
  const instanceId = `USB\\VID_${device.vendorId.toUpperCase()}&PID_${device.productId.toUpperCase()}\\${device.serial}`;
  if (instanceId.length > MAX_INSTANCE_ID_CHARS) {
    return { ok: false, reason: msg('インスタンス ID が 200 文字を超えます', 'the instance ID would exceed 200 characters') };
  }
  return { ok: true, instanceId };
}

function notice(code: string, ja: string, en: string): WindowsPlanNotice {
  return { code, message: msg(ja, en) };
}

/**
 * Renders `input.policy` for Windows. Pure and total: every schema-valid policy gives a plan.
 * Throws only on a bug (a never-denied class in the deny list).
 */
export function planWindowsUsbPolicy(input: WindowsUsbPolicyInput): WindowsUsbPlan {
  const { policy, nowMs } = input;
  const classes = policy.spec.media.classes;
  const notices: WindowsPlanNotice[] = [];

  // SD cards are removable disks to Windows (same interface class, same DiskDrive setup class),
  // so the stricter of the two settings holds for both.
  const sdCard = classes.sdCard ?? classes.usbStorage;
  const removableDisks = stricter(classes.usbStorage, sdCard);
  if (sdCard !== classes.usbStorage) {
    notices.push(
      notice(
        'windows.sd-card-merged',
        `Windows では USB メモリと SD カードを区別できないため、両方に厳しい方の設定（${ACCESS_TEXT[removableDisks].ja}）を適用します`,
        `Windows cannot tell USB sticks from SD cards, so the stricter setting (${ACCESS_TEXT[removableDisks].en}) applies to both`,
      ),
    );
  }
  const optical = classes.optical;
  // Floppy and tape have no class of their own in the policy: denied by default, allowed only in
  // a zone that allows removable disks outright.
  const floppyAndTape: WindowsDeviceAccess = removableDisks === 'allow' ? 'allow' : 'deny';
  // Phones and cameras (MTP/PTP) carry files like a stick but bypass the disk classes entirely.
  // Windows does not enforce WPD read-only reliably, so anything short of `allow` denies them.
  const portableDevices: WindowsDeviceAccess = classes.usbStorage === 'allow' ? 'allow' : 'deny';
  const storageDriverStart = removableDisks === 'deny' ? 4 : 3;

  const deniedSetupClasses: { name: string; guid: string }[] = [];
  if (removableDisks === 'deny') deniedSetupClasses.push({ name: 'DiskDrive', guid: DeniableSetupClass.diskDrive });
  if (optical === 'deny') deniedSetupClasses.push({ name: 'CDROM', guid: DeniableSetupClass.cdrom });
  if (portableDevices === 'deny') deniedSetupClasses.push({ name: 'WPD', guid: DeniableSetupClass.wpd });
  if (floppyAndTape === 'deny') {
    deniedSetupClasses.push({ name: 'FloppyDisk', guid: DeniableSetupClass.floppyDisk });
    deniedSetupClasses.push({ name: 'TapeDrive', guid: DeniableSetupClass.tapeDrive });
  }
  for (const entry of deniedSetupClasses) {
    // STYLE.md §1.3 is about failing closed; this is the one deny that must never happen (lock-out).
    if (isNeverDeniedSetupClass(entry.guid)) throw new Error(`planWindowsUsbPolicy: bug: ${entry.name} ${entry.guid} must never be denied`);
  }

  const fromRules = approvedUsbDevicesFromRules(policy.spec.usb.rules);
  notices.push(...fromRules.notices);
  const allowedInstanceIds: { instanceId: string; source: string }[] = [];
  for (const device of [...fromRules.devices, ...(input.approvedDevices ?? [])]) {
    if (device.expiresAtMs !== undefined && device.expiresAtMs <= nowMs) {
      notices.push(
        notice(
          'windows.approved-device-expired',
          `承認済み機器（${device.source}）は期限切れのため許可しません`,
          `approved device (${device.source}) has expired and is not allowed`,
        ),
      );
      continue;
    }
    const id = usbInstanceIdOf(device);
    if (!id.ok) {
      notices.push(
        notice(
          'windows.approved-device-skipped',
          `承認済み機器（${device.source}）を Windows で許可できません: ${id.reason.ja}`,
          `approved device (${device.source}) cannot be allowed on Windows: ${id.reason.en}`,
        ),
      );
      continue;
    }
    if (allowedInstanceIds.some((entry) => entry.instanceId.toLowerCase() === id.instanceId.toLowerCase())) continue;
    allowedInstanceIds.push({ instanceId: id.instanceId, source: device.source });
  }
  // An allow list only matters against a deny; without one it would just be an unused exception.
  const effectiveAllows = deniedSetupClasses.length > 0 ? allowedInstanceIds : [];
  if (effectiveAllows.length > 0 && removableDisks === 'deny') {
    notices.push(
      notice(
        'windows.allow-is-device-node-only',
        'AllowInstanceIDs が許可するのは USB 機器そのもの（USB\\VID_…）だけです。記憶装置のディスク（USBSTOR\\DISK&VEN_…、DiskDrive クラス）は拒否されたままで、Deny_Read と USBSTOR の無効化も全機器に効くため、承認済みの USB メモリも Windows では使えません',
        'AllowInstanceIDs admits the USB device node (USB\\VID_…) only. The disk of a storage device (USBSTOR\\DISK&VEN_…, DiskDrive class) stays denied, and Deny_Read and the disabled USBSTOR driver apply to every device, so an approved USB stick does not work on Windows either',
      ),
    );
  }

  for (const volume of policy.spec.media.approvedVolumes) {
    if (instantOf(volume.expires) <= nowMs) continue;
    notices.push(
      notice(
        'windows.approved-volume-not-applied',
        `承認済み媒体「${volume.name}」は Windows では適用しません。ポリシーに Windows のデバイスインスタンス ID がなく、Windows の読み書き制御は媒体ごとではなく種類ごとのため、種類の設定（${ACCESS_TEXT[removableDisks].ja}）のままです`,
        `approved volume "${volume.name}" is not applied on Windows: the policy has no Windows device instance ID, and Windows access control works per class, not per medium, so the class setting (${ACCESS_TEXT[removableDisks].en}) holds`,
      ),
    );
  }

  if (deniedSetupClasses.length > 0) {
    notices.push(
      notice(
        'windows.installed-devices-kept',
        'デバイスのインストール制限は、すでにインストールされた機器を取り除きません（DenyDeviceClassesRetroactive は常に 0）。そうした機器は Deny_* と USBSTOR の無効化で止めます',
        'Device installation restrictions do not remove devices that are already installed (DenyDeviceClassesRetroactive is always 0); Deny_* values and the disabled USBSTOR driver stop those',
      ),
    );
  }
  if (removableDisks === 'deny') {
    notices.push(
      notice(
        'windows.disk-install-denied',
        'DiskDrive クラスを拒否している間は、新しい内蔵ディスク・VHD・iSCSI ディスクもインストールできません。ディスク交換の前にポリシーを戻してください（revert）',
        'While the DiskDrive class is denied, new internal disks, VHDs and iSCSI disks cannot be installed either; revert the policy before replacing a disk',
      ),
    );
  }
  notices.push(
    notice(
      'windows.not-rendered',
      'Windows では spec.usb の規則を機器ごとには評価しません（完全一致の allow 規則を AllowInstanceIDs にするだけ）。networkFilesystem・otherFuse・automount もこの変換の対象外です',
      'On Windows the spec.usb rules are not evaluated per device (exact-identity allow rules only become AllowInstanceIDs); networkFilesystem, otherFuse and automount are not rendered either',
    ),
  );

  const targets: RegistryTarget[] = [];
  const storageClass = (guid: string, action: MediaAction, family: Localized, withExecute: boolean): void => {
    const bits = accessBits(action);
    const reason = msg(`${family.ja}: ${ACCESS_TEXT[action].ja}`, `${family.en}: ${ACCESS_TEXT[action].en}`);
    const key = `${REMOVABLE_STORAGE_KEY}\\${guid}`;
    targets.push({ kind: 'value', key, name: 'Deny_Read', value: regDword(bits.read), reason });
    targets.push({ kind: 'value', key, name: 'Deny_Write', value: regDword(bits.write), reason });
    if (withExecute) targets.push({ kind: 'value', key, name: 'Deny_Execute', value: regDword(bits.execute), reason });
  };
  const legacy: MediaAction = floppyAndTape === 'allow' ? 'allow' : 'deny';
  const wpd: MediaAction = portableDevices === 'allow' ? 'allow' : 'deny';
  storageClass(StorageInterfaceClass.removableDisk, removableDisks, msg('リムーバブルディスク（USB メモリ・SD カード）', 'removable disks (USB sticks, SD cards)'), true);
  storageClass(StorageInterfaceClass.cdDvd, optical, msg('CD/DVD', 'CD/DVD'), true);
  storageClass(StorageInterfaceClass.floppy, legacy, msg('フロッピー', 'floppy'), true);
  storageClass(StorageInterfaceClass.tape, legacy, msg('テープ', 'tape'), true);
  storageClass(StorageInterfaceClass.wpdFirst, wpd, msg('ポータブルデバイス（WPD: スマートフォン・カメラ）', 'portable devices (WPD: phones, cameras)'), false);
  storageClass(StorageInterfaceClass.wpdSecond, wpd, msg('ポータブルデバイス（WPD: スマートフォン・カメラ）', 'portable devices (WPD: phones, cameras)'), false);

  const restrictions = DEVICE_INSTALL_RESTRICTIONS_KEY;
  const allowing = effectiveAllows.length > 0 ? 1 : 0;
  const allowReason = msg('承認済み機器のインスタンス ID を許可（階層評価）', 'allow approved device instance IDs (layered evaluation)');
  const allowFlags: RegistryTarget[] = [
    { kind: 'value', key: restrictions, name: 'AllowInstanceIDs', value: regDword(allowing), reason: allowReason },
    { kind: 'value', key: restrictions, name: 'AllowDenyLayered', value: regDword(allowing), reason: allowReason },
  ];
  // Write order keeps every prefix of the command list from opening anything: allow switches that
  // go off are turned off first; allow switches that go on are turned on after their list.
  if (allowing === 0) targets.push(...allowFlags);
  const denyReason = msg('記憶装置・媒体の種類のインストールを拒否', 'deny installation of storage and media classes');
  targets.push({ kind: 'list', key: `${restrictions}\\DenyDeviceClasses`, entries: deniedSetupClasses.map((entry) => entry.guid), reason: denyReason });
  targets.push({
    kind: 'value',
    key: restrictions,
    name: 'DenyDeviceClassesRetroactive',
    value: regDword(0),
    reason: msg('1 にすると内蔵ディスクまで取り除かれるため常に 0', 'always 0: 1 would uninstall internal disks too'),
  });
  targets.push({ kind: 'value', key: restrictions, name: 'DenyDeviceClasses', value: regDword(deniedSetupClasses.length > 0 ? 1 : 0), reason: denyReason });
  targets.push({ kind: 'list', key: `${restrictions}\\AllowInstanceIDs`, entries: effectiveAllows.map((entry) => entry.instanceId), reason: allowReason });
  if (allowing === 1) targets.push(...allowFlags);

  const driverReason =
    storageDriverStart === 4
      ? msg('USB 記憶装置のドライバーを無効化（4）', 'disable the USB storage driver (4)')
      : msg('USB 記憶装置のドライバーを既定の必要時読み込みに（3）', 'USB storage driver loads on demand, the default (3)');
  targets.push({ kind: 'value', key: USBSTOR_SERVICE_KEY, name: 'Start', value: regDword(storageDriverStart), onlyIfKeyExists: true, reason: driverReason });
  targets.push({ kind: 'value', key: UASPSTOR_SERVICE_KEY, name: 'Start', value: regDword(storageDriverStart), onlyIfKeyExists: true, reason: driverReason });

  return {
    policyId: policy.metadata.id,
    policyVersion: policy.metadata.version,
    decisions: {
      removableDisks,
      optical,
      floppyAndTape,
      portableDevices,
      storageDriverStart,
      deniedSetupClasses,
      allowedInstanceIds: effectiveAllows,
    },
    targets,
    notices,
  };
}

/**
 * Notices about Device Installation Restrictions values the plan does not own but that weaken it,
 * read from the current state of the Restrictions key (pure):
 * - `AllowAdminInstall` ≠ 0 lets members of Administrators install denied devices;
 * - with layered evaluation on (the plan has approvals), a non-zero `AllowDeviceIDs` or
 *   `AllowDeviceClasses` list set by another tool can take precedence over the class denies
 *   (device IDs rank above setup classes, reference §5.3).
 * The plan does not change them (another tool or a domain GPO owns them); the administrator decides.
 */
export function findWeakeningSettings(plan: WindowsUsbPlan, restrictions: RegistryKeyState | undefined): WindowsPlanNotice[] {
  if (restrictions === undefined || !restrictions.exists) return [];
  const enabled = (name: string): boolean =>
    restrictions.values.some((entry) => entry.name.toLowerCase() === name.toLowerCase() && !(entry.value.type === 'REG_DWORD' && entry.value.data === '0'));
  const notices: WindowsPlanNotice[] = [];
  if (enabled('AllowAdminInstall')) {
    notices.push(
      notice(
        'windows.admin-install-allowed',
        'AllowAdminInstall が有効です。Administrators グループの利用者は、拒否したクラスの機器もインストールできます。業務用アカウントに管理者権限を与えないでください',
        'AllowAdminInstall is on: members of Administrators can install devices of the denied classes; do not give staff accounts administrator rights',
      ),
    );
  }
  const layered = plan.decisions.allowedInstanceIds.length > 0;
  for (const name of ['AllowDeviceIDs', 'AllowDeviceClasses']) {
    if (layered && enabled(name)) {
      notices.push(
        notice(
          'windows.foreign-allow-list',
          `${name} が他の管理ツールなどで有効になっています。階層評価（AllowDenyLayered=1）の下では、この一覧にある機器はクラスの拒否より優先されることがあります。一覧を確認してください`,
          `${name} is on (set by another tool); under layered evaluation (AllowDenyLayered=1) devices in that list can take precedence over the class denies; review the list`,
        ),
      );
    }
  }
  return notices;
}
