import { msg, type Localized } from '../../shared/i18n';
import type { AgentControl, ControlStatus } from '../posture';
import type { ChannelsEnforcer, ChannelsSnapshot, PrinterEntry, RadioEntry } from './channels-service';
import type { RadioKind } from './decide-radios';

/** Radio kinds as people name them in the summary. */
const kindLabel: Readonly<Record<RadioKind, string>> = {
  wifi: 'Wi-Fi',
  bluetooth: 'Bluetooth',
  wwan: 'WWAN',
  wimax: 'WiMAX',
  uwb: 'UWB',
  nfc: 'NFC',
  gps: 'GPS',
  fm: 'FM',
  other: 'other',
};

const failureLabel: Readonly<Record<string, Localized>> = {
  'tool-missing': msg('CUPS のコマンドがありません', 'CUPS tools missing'),
  'server-unreachable': msg('印刷サーバーが応答しません', 'print server not answering'),
  failed: msg('読み取りに失敗', 'read failed'),
};

/** A radio counts as shut when it was blocked in this pass or already blocked (soft or hard). */
const radioShut = (entry: RadioEntry): boolean => entry.outcome === 'applied' || entry.decision.blocked === true;
const queueShut = (entry: PrinterEntry): boolean => entry.outcome === 'applied' || entry.decision.stopped === true;

function radioSummary(snapshot: ChannelsSnapshot): Localized {
  const { radios } = snapshot;
  if (radios.state === 'absent') return msg('無線スイッチなし（rfkill なし: 無線機器は登録されていません）', 'no radio switches (no rfkill: no wireless driver registered)');
  if (radios.state === 'unreadable') return msg(`無線の状態を読めません: ${radios.detail ?? ''}`, `radio state unreadable: ${radios.detail ?? ''}`);
  const block = radios.entries.filter((e) => e.decision.target === 'block');
  const shut = block.filter(radioShut);
  const open = block.length - shut.length;
  const byKind = [...new Set(shut.map((e) => e.decision.kind))].map((kind) => `${kindLabel[kind]} ${shut.filter((e) => e.decision.kind === kind).length}`).join('・');
  const allowed = radios.entries.filter((e) => e.decision.target === 'allow').length;
  const reported = radios.entries.filter((e) => e.decision.target === 'report').length;
  const failed = radios.entries.filter((e) => e.outcome === 'failed').length;
  const ja = [`ブロック ${shut.length}${byKind === '' ? '' : `（${byKind}）`}`];
  const en = [`${shut.length} blocked${byKind === '' ? '' : ` (${byKind})`}`];
  if (open > 0) {
    ja.push(`未ブロック ${open}`);
    en.push(`${open} not blocked`);
  }
  if (allowed > 0) {
    ja.push(`許可 ${allowed}`);
    en.push(`${allowed} allowed`);
  }
  if (reported > 0) {
    ja.push(`報告のみ ${reported}`);
    en.push(`${reported} report-only`);
  }
  if (failed > 0) {
    ja.push(`失敗 ${failed}`);
    en.push(`${failed} failed`);
  }
  return msg(`無線 ${radios.entries.length} 台: ${ja.join('、')}`, `${radios.entries.length} radio(s): ${en.join(', ')}`);
}

function printerSummary(snapshot: ChannelsSnapshot): Localized {
  const { printers } = snapshot;
  if (printers.state === 'unknown') {
    const label = failureLabel[printers.reason ?? 'failed'] ?? msg('不明', 'unknown');
    return msg(`プリンタ不明（${label.ja}）`, `printers unknown (${label.en})`);
  }
  const block = printers.entries.filter((e) => e.decision.target === 'block');
  const shut = block.filter(queueShut).length;
  const open = block.length - shut;
  const allowed = printers.entries.length - block.length;
  const failed = printers.entries.filter((e) => e.outcome === 'failed').length;
  const ja = [`許可 ${allowed}`, `停止 ${shut}`];
  const en = [`${allowed} allowed`, `${shut} stopped`];
  if (open > 0) {
    ja.push(`未停止 ${open}`);
    en.push(`${open} not stopped`);
  }
  if (failed > 0) {
    ja.push(`失敗 ${failed}`);
    en.push(`${failed} failed`);
  }
  return msg(`プリンタ ${printers.entries.length} 台: ${ja.join('、')}`, `${printers.entries.length} printer queue(s): ${en.join(', ')}`);
}

/**
 * The channels control (radios and printers, issue #4 item 3) as the agent runtime drives it:
 * one pass at start, on every policy change and on every refresh (the refresh is also what
 * catches a radio or queue someone turned back on). State: `degraded` when radios or queues could
 * not be read or a write failed, else `enforced` / `monitored` by mode.
 */
export function createChannelsControl(deps: {
  readonly enforcer: ChannelsEnforcer;
  readonly mode: 'monitor' | 'enforce';
  /** `implements` of the policy's channels section ([] when no policy is in force). */
  readonly implementsClauses: () => readonly string[];
}): AgentControl {
  let startError: string | undefined;
  return {
    name: 'channels',
    async start() {
      try {
        await deps.enforcer.run('start');
      } catch (error) {
        startError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async policyChanged() {
      await deps.enforcer.run('policy-changed');
    },
    async refresh() {
      await deps.enforcer.run('refresh');
    },
    status(): ControlStatus {
      const base = { control: 'channels' as const, implements: deps.implementsClauses() };
      if (startError !== undefined) return { ...base, state: 'failed', summary: msg(`無線・プリンタ制御を開始できません: ${startError}`, `radio and printer control could not start: ${startError}`) };
      const snapshot = deps.enforcer.snapshot();
      if (snapshot === undefined) return { ...base, state: 'degraded', summary: msg('無線・プリンタはまだ確認されていません', 'radios and printers not checked yet') };
      const radios = radioSummary(snapshot);
      const printers = printerSummary(snapshot);
      const mode = deps.mode === 'enforce' ? msg('', '') : msg('（監視のみ: 書き込みなし）', ' (monitor only: nothing written)');
      const fallback = snapshot.fallback
        ? msg('。ポリシーなし: 無線をすべてブロックし、すべてのプリンタを停止します', '; no policy: every radio blocked, every printer stopped')
        : msg('', '');
      const failed = [...snapshot.radios.entries, ...snapshot.printers.entries].some((e) => e.outcome === 'failed');
      const degraded = snapshot.radios.state === 'unreadable' || snapshot.printers.state === 'unknown' || failed;
      return {
        ...base,
        state: degraded ? 'degraded' : deps.mode === 'enforce' ? 'enforced' : 'monitored',
        summary: msg(`${radios.ja}。${printers.ja}${mode.ja}${fallback.ja}`, `${radios.en}; ${printers.en}${mode.en}${fallback.en}`),
      };
    },
    details() {
      const snapshot = deps.enforcer.snapshot();
      if (snapshot === undefined) return { checkedAt: null, radios: [], printers: [] };
      return {
        checkedAt: new Date(snapshot.atMs).toISOString(),
        trigger: snapshot.trigger,
        mode: snapshot.mode,
        fallbackRules: snapshot.fallback,
        radioSwitches: { state: snapshot.radios.state, detail: snapshot.radios.detail },
        radios: snapshot.radios.entries.map(({ radio, decision, outcome, detail }) => ({
          index: radio.index,
          type: radio.type,
          kind: decision.kind,
          name: radio.name,
          soft: radio.soft,
          hard: radio.hard,
          blocked: decision.blocked,
          decision: decision.target,
          basis: decision.basis,
          outcome,
          detail,
        })),
        printerQueues: { state: snapshot.printers.state, reason: snapshot.printers.reason, detail: snapshot.printers.detail },
        printers: snapshot.printers.entries.map(({ printer, decision, outcome, detail }) => ({
          name: printer.name,
          state: printer.state,
          accepting: printer.accepting,
          reason: printer.reason,
          decision: decision.target,
          basis: decision.basis,
          outcome,
          detail,
        })),
      };
    },
    async stop() {
      // Nothing runs between passes; the runtime's refresh timer drives them.
    },
  };
}
