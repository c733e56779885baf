/**
 * Words and rows for `mng media list` (issue #4 item 5): each mount, its class, the decision and
 * why, in Japanese and English. Pure; the CLI prints what these return.
 */
import { msg, pick, type Lang, type Localized } from '../../shared/i18n';
import type { MountClassBasis, MountClassification } from './decide-mount-class';
import type { MountDecision } from './decide-mount';
import type { MediaAction, Mount, MountClass } from './model';
import type { HolderReport, MountEnforcementOutcome } from './mount-service';
import type { HolderSpareReason, MountEnforcementStep } from './plan-mount-enforcement';
import type { MountHandleKind } from './ports';

/** Names of the classes. */
export const mountClassText: Readonly<Record<MountClass, Localized>> = {
  'usb-storage': msg('USB メモリ・外付けディスク', 'USB storage'),
  'sd-card': msg('SD カード', 'SD card'),
  optical: msg('光学ディスク', 'optical disc'),
  'network-filesystem': msg('ネットワークファイルシステム', 'network file system'),
  'other-fuse': msg('その他の FUSE', 'other FUSE'),
  internal: msg('内蔵', 'internal'),
  pseudo: msg('疑似ファイルシステム', 'pseudo file system'),
};

/** Names of the actions. */
export const mediaActionText: Readonly<Record<MediaAction, Localized>> = {
  deny: msg('使用不可', 'deny'),
  'read-only': msg('読み取りのみ', 'read-only'),
  allow: msg('許可', 'allow'),
};

/** Why a mount got its class. */
export const mountClassBasisText: Readonly<Record<MountClassBasis, Localized>> = {
  'pseudo-filesystem': msg('記憶装置を持たないファイルシステム', 'file system without storage'),
  'network-filesystem': msg('ネットワーク越しのファイルシステム', 'file system over the network'),
  'optical-filesystem': msg('光学ディスクのファイルシステム（iso9660/udf）', 'optical disc file system (iso9660/udf)'),
  overlay: msg('重ね合わせ（overlay）', 'overlay'),
  'optical-device': msg('光学ドライブ上の装置', 'device on an optical drive'),
  'usb-device': msg('USB 接続の装置', 'device on USB'),
  'sd-card': msg('SD カードスロットの装置', 'device in an SD card slot'),
  emmc: msg('内蔵 eMMC', 'built-in eMMC'),
  'removable-device': msg('取り外し可能な装置', 'removable device'),
  'loop-backing-file': msg('ループ装置（元ファイルの置き場所で判定）', 'loop device (judged by where its backing file lives)'),
  'loop-unattached': msg('元ファイルのないループ装置', 'loop device without backing file'),
  'device-mapper': msg('device-mapper（元の装置で判定）', 'device mapper (judged by the devices below it)'),
  'internal-device': msg('内蔵の装置', 'built-in device'),
  fuse: msg('FUSE ファイルシステム', 'FUSE file system'),
  'device-unresolved': msg('装置を特定できません', 'device could not be identified'),
};

/** One sentence saying why a mount got its decision. */
export function describeMountReason(decision: MountDecision): Localized {
  const volume = decision.approvedVolume ?? '';
  const klass = mountClassText[decision.mountClass];
  switch (decision.reason) {
    case 'not-media':
      return msg('記録媒体ではありません', 'not removable media');
    case 'class-default':
      return msg(`${klass.ja}の既定（ポリシー）`, `policy default for ${klass.en}`);
    case 'approved-volume':
      return msg(`承認済み媒体「${volume}」`, `approved volume "${volume}"`);
    case 'approval-expired':
      return msg(`承認「${volume}」は期限切れのため${klass.ja}の既定を適用`, `approval "${volume}" has expired; policy default for ${klass.en}`);
    case 'allowed-share':
      return msg('ポリシーで許可された共有', 'share allowed by the policy');
    case 'class-unresolved':
      return msg('種類を特定できないため使用不可（安全側）', 'class could not be established; denied (fail closed)');
    case 'identity-unknown':
      return msg('媒体の識別情報を読めないため使用不可（安全側）', 'volume identity could not be read; denied (fail closed)');
  }
}

/** One row of `mng media list`: printable strings plus the codes for `--json`. */
export interface MountRow {
  readonly mountPoint: string;
  readonly source: string;
  readonly fsType: string;
  readonly mountClass: MountClass;
  readonly basis: MountClassBasis;
  readonly action: MediaAction;
  readonly reason: MountDecision['reason'];
  readonly approvedVolume: string | null;
  readonly classText: string;
  readonly actionText: string;
  readonly reasonText: string;
}

/** What one row is made from. */
export interface DescribedMount {
  readonly mount: Mount;
  readonly classification: MountClassification;
  readonly decision: MountDecision;
}

/** Rows in the table's order (mount points printed escaped: `\n`, `\xHH`, so one mount is one line). */
export function describeMounts(items: readonly DescribedMount[], lang: Lang): MountRow[] {
  return items.map(({ mount, classification, decision }) => ({
    mountPoint: mount.mountPoint.display,
    source: mount.source.display,
    fsType: mount.fsType,
    mountClass: decision.mountClass,
    basis: classification.basis,
    action: decision.action,
    reason: decision.reason,
    approvedVolume: decision.approvedVolume,
    classText: pick(mountClassText[decision.mountClass], lang),
    actionText: pick(mediaActionText[decision.action], lang),
    reasonText: pick(describeMountReason(decision), lang),
  }));
}

/**
 * The human table: a header and one tab-free line per row, columns padded to the widest value
 * (by code points; wide CJK glyphs may misalign in some terminals, the content stays exact).
 * `showAll` false hides internal and pseudo mounts, which are not media.
 */
export function formatMountRows(rows: readonly MountRow[], lang: Lang, showAll = false): string {
  const shown = showAll ? rows : rows.filter((row) => row.mountClass !== 'internal' && row.mountClass !== 'pseudo');
  if (shown.length === 0) return pick(msg('対象の記録媒体はマウントされていません', 'no media mounted'), lang);
  const header = lang === 'ja' ? ['マウント先', '種類', '判定', '理由'] : ['MOUNT POINT', 'CLASS', 'ACTION', 'REASON'];
  const table = [header, ...shown.map((row) => [row.mountPoint, row.classText, row.actionText, row.reasonText])];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => [...(cells[column] ?? '')].length)));
  return table
    .map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + (cell.length - [...cell].length)))).join('  '))
    .join('\n');
}

/** Names of the enforcement steps (audit views, `mng media list --verbose`). */
export const mountEnforcementStepText: Readonly<Record<MountEnforcementStep, Localized>> = {
  'remount-read-only': msg('読み取り専用で再マウント', 'remount read-only'),
  'stop-holders': msg('使用中のプロセスを停止・強制終了', 'stop and kill the processes using it'),
  unmount: msg('アンマウント', 'unmount'),
  'detach-lazily': msg('遅延アンマウント（切り離しのみ）', 'lazy unmount (detach only)'),
  'seal-mount-point': msg('マウント先を封鎖（書き込み不可）', 'seal the mount point (no writes)'),
};

/** What happened to a process that held a mount. */
export const holderResultText: Readonly<Record<HolderReport['result'], Localized>> = {
  killed: msg('強制終了しました', 'killed'),
  gone: msg('すでに終了していました', 'had already exited'),
  survived: msg('強制終了後も残っています', 'still alive after SIGKILL'),
  failed: msg('停止できませんでした', 'could not be signalled'),
  spared: msg('停止対象外のため残しました', 'left running (may not be stopped)'),
};

const spareReasonText: Readonly<Record<HolderSpareReason, Localized>> = {
  agent: msg('本エージェント自身', 'the agent itself'),
  init: msg('init（PID 1）', 'init (pid 1)'),
  'kernel-thread': msg('カーネルスレッド', 'a kernel thread'),
};

const handleKindText: Readonly<Record<MountHandleKind, Localized>> = {
  'write-fd': msg('書き込み用に開いたファイル', 'file open for writing'),
  'read-fd': msg('読み取り用に開いたファイル', 'file open for reading'),
  cwd: msg('作業ディレクトリ', 'working directory'),
  root: msg('ルートディレクトリ', 'root directory'),
  map: msg('メモリに割り当てたファイル', 'memory-mapped file'),
};

/** One line about a process that held a mount: who, how it held it, and what became of it. */
export function describeHolderReport(report: HolderReport): Localized {
  const who = `PID ${report.pid} (${report.comm}${report.user === null ? (report.uid === null ? '' : `, uid ${report.uid}`) : `, ${report.user}`})`;
  const kinds = [...new Set(report.handles.map((handle) => handle.kind))];
  const how = msg(kinds.map((kind) => handleKindText[kind].ja).join('・'), kinds.map((kind) => handleKindText[kind].en).join(', '));
  const result = holderResultText[report.result];
  const spare = report.result === 'spared' && report.why in spareReasonText ? spareReasonText[report.why as HolderSpareReason] : null;
  const why = spare ?? (report.why === '' ? null : msg(report.why, report.why));
  return msg(
    `${who}: ${how.ja}。${result.ja}${why === null ? '' : `（${why.ja}）`}`,
    `${who}: ${how.en}; ${result.en}${why === null ? '' : ` (${why.en})`}`,
  );
}

/** One sentence saying how the enforcement of a decision ended. */
export function describeEnforcementOutcome(outcome: MountEnforcementOutcome): Localized {
  const steps = (list: readonly MountEnforcementStep[]): Localized =>
    msg(list.map((step) => mountEnforcementStepText[step].ja).join('→'), list.map((step) => mountEnforcementStepText[step].en).join(', then '));
  switch (outcome.state) {
    case 'not-needed':
      return msg('変更は不要でした', 'nothing needed to change');
    case 'refused':
      return msg('システムに必要なマウント先のため変更しませんでした（要確認）', 'not changed: the system needs this mount point (check the policy)');
    case 'applied': {
      const done = steps(outcome.steps);
      return outcome.fellBack
        ? msg(`使用中だったため使用不可に切り替えました: ${done.ja}`, `it was in use, so it was denied instead: ${done.en}`)
        : msg(`適用しました: ${done.ja}`, `applied: ${done.en}`);
    }
    case 'failed': {
      const step = mountEnforcementStepText[outcome.step];
      if (outcome.lastResort.length === 0) return msg(`「${step.ja}」に失敗しました: ${outcome.detail}`, `"${step.en}" failed: ${outcome.detail}`);
      const last = steps(outcome.lastResort);
      return msg(
        `「${step.ja}」に失敗したため最終手段として ${last.ja} を行いました。開いたままのファイルからは書き込める可能性があります: ${outcome.detail}`,
        `"${step.en}" failed, so as a last resort: ${last.en}. Files still open there may still be written: ${outcome.detail}`,
      );
    }
    case 'vanished':
      return msg(
        `適用する前にマウントがなくなっていました（「${mountEnforcementStepText[outcome.step].ja}」の時点）。判定は変わりません`,
        `the mount was gone before it could be enforced (at "${mountEnforcementStepText[outcome.step].en}"); the decision stands`,
      );
  }
}
