import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import { printUsbRule, type UsbRule } from '../../shared/usb-rules';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';
import { isProcessRunning, readAgentStatusFile } from '../agent-status';

const defaultStateDir = '/var/lib/mynumber-guard';

// The agent's status document, as far as these commands read it. It comes from a file: parsed by
// a schema first (STYLE.md §7), unknown fields allowed (newer agents add them).
const deviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  serial: z.string(),
  hash: z.string(),
  parentHash: z.string(),
  connectType: z.string(),
  isRootHub: z.boolean(),
  authorized: z.boolean().nullable(),
  interfaces: z.array(z.string()),
  weakIdentity: z.array(z.string()),
});
const basisSchema = z.object({ kind: z.string(), index: z.number().optional(), text: z.string().optional(), code: z.string().optional(), detail: z.string().optional() });
const statusSchema = z.object({
  format: z.literal('mynumber-guard.agent-status/v1'),
  pid: z.number(),
  summary: z.object({ mode: z.string(), generatedAt: z.string() }),
  controls: z.object({
    usb: z
      .object({
        fallbackRules: z.boolean(),
        devices: z.array(
          z.object({
            port: z.string(),
            target: z.enum(['allow', 'block', 'reject']),
            readOnly: z.boolean(),
            basis: basisSchema,
            decidedAt: z.string(),
            device: deviceSchema.nullable(),
          }),
        ),
      })
      .optional(),
  }),
});
type AgentStatus = z.infer<typeof statusSchema>;
type DeviceEntry = NonNullable<AgentStatus['controls']['usb']>['devices'][number];

async function readAgentStatus(stateDir: string): Promise<AgentStatus> {
  const { file, status: data } = await readAgentStatusFile(stateDir, statusSchema);
  if (data.controls.usb === undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg(`${file} に USB の情報がありません（この OS では USB 制御が動いていません）`, `${file} has no USB section (USB control does not run on this system)`), {
      hint: msg('Linux 端末のエージェントで実行してください', 'run it against a Linux terminal agent'),
    });
  }
  return data;
}

function describeBasis(entry: DeviceEntry, ja: boolean): string {
  const { basis } = entry;
  switch (basis.kind) {
    case 'rule':
      return `${ja ? '規則' : 'rule'} ${(basis.index ?? 0) + 1}: ${basis.text ?? ''}`;
    case 'default':
      return ja ? '既定（一致する規則なし）' : 'default (no rule matched)';
    case 'root-hub':
      return ja ? 'ルートハブ（変更しない）' : 'root hub (never changed)';
    case 'read-failure':
      return `${ja ? '読み取り失敗' : 'read failure'} ${basis.code ?? ''}: ${basis.detail ?? ''}`;
    default:
      return `${ja ? '評価エラー' : 'evaluation error'}: ${basis.detail ?? ''}`;
  }
}

function runList(ctx: CliContext, options: { stateDir: string }): Promise<ExitCode> {
  return readAgentStatus(options.stateDir).then((status) => {
    const usb = status.controls.usb!;
    const ja = ctx.lang === 'ja';
    const running = isProcessRunning(status.pid);
    const lines: string[] = [
      ja
        ? `エージェント: ${running ? `稼働中（pid ${status.pid}）` : '停止中'}、${status.summary.mode === 'enforce' ? '強制モード' : '監視モード'}、状態の時刻 ${status.summary.generatedAt}`
        : `agent: ${running ? `running (pid ${status.pid})` : 'not running'}, ${status.summary.mode} mode, status as of ${status.summary.generatedAt}`,
    ];
    if (usb.fallbackRules) {
      lines.push(ja ? '注意: ポリシーが適用されていないため、内蔵の安全規則で判定しています' : 'note: no policy in force; the built-in safety rules decide');
    }
    for (const entry of usb.devices) {
      const device = entry.device;
      const verdict = `${entry.target}${entry.readOnly ? ' (read-only)' : ''}`;
      const identity = device === null ? '?' : `${device.id} "${device.name}" serial "${device.serial}" [${[...new Set(device.interfaces)].join(' ')}]`;
      lines.push(`${entry.port.padEnd(8)} ${verdict.padEnd(18)} ${identity}`);
      lines.push(`${' '.repeat(8)} ${describeBasis(entry, ja)}`);
      if (device !== null && device.weakIdentity.length > 0) {
        lines.push(`${' '.repeat(8)} ${ja ? '弱い識別' : 'weak identity'}: ${device.weakIdentity.join(', ')}`);
      }
    }
    ctx.print({ ok: true, agentRunning: running, pid: status.pid, mode: status.summary.mode, fallbackRules: usb.fallbackRules, devices: usb.devices }, lines.join('\n'));
    return ExitCode.Ok;
  });
}

/** The rule that allows exactly this device, in USBGuard's generate-policy form. */
function ruleForDevice(device: NonNullable<DeviceEntry['device']>, options: { withHash: boolean }): UsbRule {
  const [vendorId = '', productId = ''] = device.id.split(':');
  const one = <T>(value: T) => ({ operator: 'equals' as const, values: [value] });
  const interfaces = device.interfaces.map((code) => {
    const [classCode = '', subclassCode = '', protocolCode = ''] = code.split(':');
    return { classCode, subclassCode, protocolCode };
  });
  return {
    target: 'allow',
    id: one({ vendorId, productId }),
    serial: one(device.serial),
    name: one(device.name),
    ...(options.withHash ? { hash: one(device.hash), parentHash: one(device.parentHash) } : {}),
    ...(interfaces.length === 0 ? {} : { withInterface: { operator: 'equals' as const, values: interfaces } }),
    withConnectType: one(device.connectType),
  };
}

function runGeneratePolicy(ctx: CliContext, options: { stateDir: string; hash: boolean; format: string }): Promise<ExitCode> {
  if (options.format !== 'rules' && options.format !== 'yaml') {
    throw new MngError(ErrorCode.InvalidArgument, msg(`--format は rules か yaml です（指定値: ${options.format}）`, `--format must be rules or yaml (got ${options.format})`));
  }
  return readAgentStatus(options.stateDir).then((status) => {
    const ja = ctx.lang === 'ja';
    const rules: { rule: string; port: string; warnings: string[] }[] = [];
    for (const entry of status.controls.usb!.devices) {
      if (entry.device === null || entry.device.isRootHub) continue;
      const warnings = entry.device.weakIdentity.map((reason) =>
        ja ? `注意: ${entry.port} の識別が弱い（${reason}）。同じ型の別の機器にも一致します` : `warning: ${entry.port} has a weak identity (${reason}); other devices of the same model match too`,
      );
      rules.push({ rule: printUsbRule(ruleForDevice(entry.device, { withHash: options.hash })), port: entry.port, warnings });
    }
    const header = ja
      ? `# ${status.summary.generatedAt} 時点で接続されていた機器を許可する規則（mng usb generate-policy）。内容を確認してから使ってください。`
      : `# Rules allowing the devices attached as of ${status.summary.generatedAt} (mng usb generate-policy). Review before use.`;
    const body =
      options.format === 'yaml'
        ? [header, 'rules:', ...rules.flatMap((entry) => [...entry.warnings.map((warning) => `  # ${warning}`), `  - '${entry.rule.replaceAll("'", "''")}'`])]
        : [header, ...rules.flatMap((entry) => [...entry.warnings.map((warning) => `# ${warning}`), entry.rule])];
    ctx.print({ ok: true, rules }, body.join('\n'));
    return ExitCode.Ok;
  });
}

/**
 * `mng usb list` and `mng usb generate-policy`: the devices the agent sees and its verdicts, read
 * from the agent's status (`<state-dir>/status.json`, root only). Registered under `mng usb`.
 */
export function registerUsbDeviceCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const usb = program.commands.find((command) => command.name() === 'usb') ?? program.command('usb').description('USB 機器制御 / USB device control');
  usb
    .command('list')
    .description('接続中の機器、判定、判定した規則を表示する / show each device, its verdict and the rule that decided it')
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultStateDir}） / agent state folder`, defaultStateDir)
    .action(defineAction(io, setExit, (ctx, options: { stateDir: string }) => runList(ctx, options)));
  usb
    .command('generate-policy')
    .description('接続中の機器を許可する規則を作る / write rules that allow the devices attached now')
    .option('--state-dir <dir>', `エージェントの状態フォルダ（既定 ${defaultStateDir}） / agent state folder`, defaultStateDir)
    .option('--no-hash', 'hash と parent-hash を入れない / leave out hash and parent-hash')
    .option('--format <format>', 'rules（規則ファイル）または yaml（spec.usb.rules） / rules or yaml', 'rules')
    .action(defineAction(io, setExit, (ctx, options: { stateDir: string; hash: boolean; format: string }) => runGeneratePolicy(ctx, options)));
}
