import type { Command } from 'commander';
import type { CommandDeps } from '../program';

/** `mng policy …`: keygen, sign, verify, lint. */
export function registerPolicyCommands(program: Command, deps: CommandDeps): void {
  void deps;
  program.command('policy').description('ゾーンポリシーの署名・検証 / sign and verify zone policies');
}
