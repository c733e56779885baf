// A zone terminal's desktop side on a real kernel (issue #9; docs/testing.md), one boot for all of
// it: the agent installed from its deb with the media policy of test/vm/checks/media.ts, staff
// tokens imported with `mng mfa import-pskc`, then radios (checks/radio.ts), logon and sessions
// (checks/session.ts) and removable media (checks/media.ts), in that order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needTools } from '../helpers/system-tools';
import { mediaChecks, mediaPolicy, prepareMediaShare } from './checks/media';
import { radioChecks } from './checks/radio';
import { sessionChecks } from './checks/session';
import { createPolicyKit, createShareDir, installAgent, installGuestEntry } from './rig/agent';
import { createVmContext } from './rig/context';
import { startVm, type Vm } from './rig/machine';
import { createTokenKit } from './rig/tokens';
import { vmImageOrSkip, vmReady } from './rig/vm-available';

const ready = vmReady() && needTools('oathtool', 'mkfs.vfat', 'mkfs.exfat');
/** The agent's settings on this machine: radios seen every 10 s; 40 s to complete MFA after login. */
const postureIntervalSeconds = 10;
const loginDeadlineSeconds = 40;
const signalLog = '/run/session-signals.log';

describe.skipIf(!ready)('a zone terminal on a real kernel: radios, logon, sessions and media', () => {
  const ctx = createVmContext(createPolicyKit());
  const tokens = createTokenKit(['staff1', 'staff2']);
  let vm: Vm | undefined;
  let removeShare: (() => void) | undefined;
  let unlockClient = '';

  beforeAll(async () => {
    const image = vmImageOrSkip();
    const share = await createShareDir('desktop');
    removeShare = () => share.remove();
    prepareMediaShare(share.dir);
    vm = await startVm({ image, name: 'desktop', shareDir: share.dir });
    ctx.set(vm, share);
    await installAgent(vm.guest, {
      deb: share.deb,
      kit: ctx.kit,
      bundle: ctx.kit.bundle(mediaPolicy(false)).bytes,
      config: `mode: enforce\npostureIntervalSeconds: ${postureIntervalSeconds}\nloginDeadlineSeconds: ${loginDeadlineSeconds}\n`,
    });
    unlockClient = await installGuestEntry(vm.guest, 'unlock-client');
    // Everything logind says about sessions from here on, to see it act on the agent's lock.
    await vm.guest.spawn(['dbus-monitor', '--system', "type='signal',interface='org.freedesktop.login1.Session'"], signalLog);
  });

  afterAll(async () => {
    await vm?.stop();
    removeShare?.();
  });

  it('mng mfa import-pskc stores the staff tokens in the agent', async () => {
    await ctx.vm().guest.writeFile('/root/tokens.pskc', tokens.pskc(), 0o600);
    const imported = await ctx.vm().guest.exec(['mng', '--json', 'mfa', 'import-pskc', '/root/tokens.pskc']);
    expect(imported.status).toBe(0);
    expect((JSON.parse(imported.stdout) as { imported: { user: string }[] }).imported.map((entry) => entry.user)).toEqual(['staff1', 'staff2']);
  });
  describe('radios', () => {
    radioChecks(ctx, postureIntervalSeconds);
  });
  describe('logon and sessions', () => {
    sessionChecks(ctx, { tokens, loginDeadlineSeconds, unlockClient: () => unlockClient, signalLog });
  });
  describe('removable media', () => {
    mediaChecks(ctx, { tokens, unlockClient: () => unlockClient });
  });
});
