import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import {
  decodeRuleBytes,
  isUsbGuardCompatible,
  MAX_USB_RULE_FILE_LENGTH,
  parseUsbRuleFile,
  parseUsbRuleLine,
  printUsbRule,
  type UsbRule,
  type UsbRuleError,
} from '../../shared/usb-rules';
import { readRegularFile } from '../../agent/platform/node';
import { defineAction, ExitCode, type CliContext } from '../context';
import type { CommandDeps } from '../program';

/** `mng usb …`: USB device control (docs/usb.md). */
export function registerUsbCommands(program: Command, deps: CommandDeps): void {
  const { io, setExit } = deps;
  const usb = program.command('usb').description('USB 機器の接続制御 / USB device control');
  const rule = usb.command('rule').description('USB 規則（USBGuard 互換） / USB rules (USBGuard compatible)');

  rule
    .command('check')
    .description(
      '規則を検査して正規形を表示する。誤りは「行:列: 内容」を標準エラーに出して終了コード 1 / ' +
        'check a rule and print its canonical form; on an error print "line:col: message" on stderr and exit 1',
    )
    .argument('[rule]', '検査する規則（1 つ） / the rule to check')
    .option('--file <rules.conf>', '規則ファイルの全行を検査する / check every line of a rule file')
    .option('--usbguard', 'USBGuard 1.1.2 の構文だけを受け付ける（拡張を使わない） / accept USBGuard 1.1.2 syntax only (no extensions)')
    .action(
      defineAction(io, setExit, (ctx, text: string | undefined, options: { file?: string; usbguard?: boolean }) =>
        options.file === undefined ? checkRule(ctx, text, options.usbguard === true) : checkFile(ctx, text, options.file, options.usbguard === true),
      ),
    );
}

/** Control characters (but tab) made visible: rule text must not drive the operator's terminal. */
function forTerminal(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function errorJson(error: UsbRuleError): Record<string, unknown> {
  return { line: error.line, column: error.column, byteColumn: error.byteColumn, code: error.code, message: error.message };
}

function ruleJson(line: number, rule: UsbRule): Record<string, unknown> {
  return { line, rule: printUsbRule(rule), usbguardCompatible: isUsbGuardCompatible(rule) };
}

function checkRule(ctx: CliContext, text: string | undefined, usbguardOnly: boolean): ExitCode {
  if (text === undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg('検査する規則か --file <規則ファイル> を指定してください', 'give a rule to check, or --file <rule file>'));
  }
  const result = parseUsbRuleLine(text, { extensions: !usbguardOnly });
  if (!result.ok) {
    const { error } = result;
    if (ctx.json) ctx.print({ ok: false, errors: [errorJson(error)] }, '');
    ctx.io.stderr(`${error.line}:${error.column}: ${forTerminal(ctx.t(error.message))}\n`);
    return ExitCode.CheckFailed;
  }
  // A comment-only line is a valid line with no rule: USBGuard prints it as nothing.
  const rule = result.value;
  ctx.print(rule === undefined ? { ok: true, rule: null } : { ok: true, ...ruleJson(1, rule) }, rule === undefined ? '' : forTerminal(printUsbRule(rule)));
  return ExitCode.Ok;
}

async function checkFile(ctx: CliContext, text: string | undefined, file: string, usbguardOnly: boolean): Promise<ExitCode> {
  if (text !== undefined) {
    throw new MngError(ErrorCode.InvalidArgument, msg('規則と --file は同時に指定できません', 'give either a rule or --file, not both'));
  }
  // Bytes that are not UTF-8 stay as they are (U+DC80..U+DCFF), as USBGuard reads them.
  const bytes = await readRegularFile(path.resolve(ctx.io.cwd, file), { maxBytes: MAX_USB_RULE_FILE_LENGTH });
  const parsed = parseUsbRuleFile(decodeRuleBytes(bytes), { extensions: !usbguardOnly });
  const ok = parsed.errors.length === 0;
  ctx.print(
    { ok, file, rules: parsed.rules.map((r) => ruleJson(r.line, r.rule)), errors: parsed.errors.map(errorJson) },
    ok ? parsed.rules.map((r) => forTerminal(printUsbRule(r.rule))).join('\n') : '',
  );
  for (const error of parsed.errors) ctx.io.stderr(`${forTerminal(file)}:${error.line}:${error.column}: ${forTerminal(ctx.t(error.message))}\n`);
  return ok ? ExitCode.Ok : ExitCode.CheckFailed;
}
