/**
 * The polkit rule that stops desktop (udisks2) mounting of forbidden media (issue #4 item 1).
 * Pure: renders the JavaScript text; writing it to /etc/polkit-1/rules.d/ and removing it on
 * uninstall is the caller's job (`mng`, not yet wired).
 *
 * udisks2 passes device details with each authorization check (udisks
 * src/udisksdaemonutil.c `udisks_daemon_util_check_authorization_sync`): `drive.removable`,
 * `drive.removable.bus` (`usb`, `sdio`, …), `drive.removable.media`, `drive.serial`, `id.type`,
 * `id.uuid`. The rule denies mount and unlock actions for removable drives when automount is
 * `block`, or when the drive's class is `deny`; approved volumes (serial and/or UUID, before their
 * expiry) are left to polkit's defaults. The agent still enforces every mount itself: this rule
 * only keeps the desktop from mounting what would be unmounted at once. Not checked against a
 * running udisksd on the development machines (no udisks2 there).
 */
import type { MediaPolicy } from '../../shared/policy/schema';

/** Where the rule is installed (polkit reads rules.d in lexical order; 10- comes before the defaults). */
export const udisksPolkitRulePath = '/etc/polkit-1/rules.d/10-mynumber-guard-media.rules';

/** udisks2 actions that mount or unlock a file system, or attach an image as a loop device. */
export const udisksMountActions: readonly string[] = [
  'org.freedesktop.udisks2.filesystem-mount',
  'org.freedesktop.udisks2.filesystem-mount-system',
  'org.freedesktop.udisks2.filesystem-mount-other-seat',
  'org.freedesktop.udisks2.encrypted-unlock',
  'org.freedesktop.udisks2.encrypted-unlock-system',
  'org.freedesktop.udisks2.encrypted-unlock-other-seat',
  'org.freedesktop.udisks2.loop-setup',
];

/** The rule text for a policy. Approvals already expired at `nowMs` are left out; the rest carry their expiry. */
export function renderUdisksPolkitRule(media: MediaPolicy, nowMs: number): string {
  const approvals = media.approvedVolumes
    .filter((approval) => Date.parse(approval.expires) > nowMs && (approval.deviceSerial !== undefined || approval.filesystemUuid !== undefined))
    .map((approval) => ({
      serial: approval.deviceSerial ?? null,
      uuid: approval.filesystemUuid?.toLowerCase() ?? null,
      expiresMs: Date.parse(approval.expires),
    }));
  const deny = {
    usb: media.classes.usbStorage === 'deny',
    sd: (media.classes.sdCard ?? media.classes.usbStorage) === 'deny',
    optical: media.classes.optical === 'deny',
  };
  // JSON.stringify gives valid JavaScript literals for every value (schema strings are printable).
  return `// Written by mynumber-guard (mng) from the zone policy; removed on uninstall. Do not edit.
// Stops desktop mounting of media the policy forbids (issue #4). The agent enforces mounts itself.
polkit.addRule(function (action, subject) {
  var actions = ${JSON.stringify(udisksMountActions)};
  if (actions.indexOf(action.id) < 0) return polkit.Result.NOT_HANDLED;
  if (action.lookup("drive.removable") !== "true" && action.id !== "org.freedesktop.udisks2.loop-setup") return polkit.Result.NOT_HANDLED;
  var approvals = ${JSON.stringify(approvals)};
  var serial = action.lookup("drive.serial") || "";
  var uuid = (action.lookup("id.uuid") || "").toLowerCase();
  var now = Date.now();
  for (var i = 0; i < approvals.length; i++) {
    var a = approvals[i];
    if (now < a.expiresMs && (a.serial === null || a.serial === serial) && (a.uuid === null || a.uuid === uuid)) return polkit.Result.NOT_HANDLED;
  }
  if (${JSON.stringify(media.automount === 'block')}) return polkit.Result.NO;
  var deny = ${JSON.stringify(deny)};
  var bus = action.lookup("drive.removable.bus") || "";
  var media = action.lookup("drive.removable.media") || "";
  var type = action.lookup("id.type") || "";
  var optical = media.indexOf("optical") === 0 || type === "iso9660" || type === "udf";
  if (optical) return deny.optical ? polkit.Result.NO : polkit.Result.NOT_HANDLED;
  if (bus === "sdio") return deny.sd ? polkit.Result.NO : polkit.Result.NOT_HANDLED;
  return deny.usb ? polkit.Result.NO : polkit.Result.NOT_HANDLED;
});
`;
}
