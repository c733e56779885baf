import type { Command } from 'commander';
import type { CommandDeps } from '../program';

/** `mng audit …`: verify. */
export function registerAuditCommands(program: Command, deps: CommandDeps): void {
  void deps;
  program.command('audit').description('監査ログの検証 / verify the audit log');
}
