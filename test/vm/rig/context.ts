// What the checks of one machine share (test/vm/checks/*): the machine, its share folder and IT's
// signing key. A test file boots one machine in beforeAll and hands this to each group of checks,
// so one boot serves them all (docs/testing.md).
import type { PolicyKit, ShareDir } from './agent';
import type { Vm } from './machine';

export interface VmContext {
  /** The running machine (throws before the file's beforeAll booted it). */
  vm(): Vm;
  share(): ShareDir;
  readonly kit: PolicyKit;
}

export function createVmContext(kit: PolicyKit): VmContext & { set(vm: Vm, share: ShareDir): void } {
  let current: { vm: Vm; share: ShareDir } | undefined;
  const get = (): { vm: Vm; share: ShareDir } => {
    if (current === undefined) throw new Error('the test machine is not running (its beforeAll failed)');
    return current;
  };
  return {
    kit,
    vm: () => get().vm,
    share: () => get().share,
    set(vm, share) {
      current = { vm, share };
    },
  };
}
