// Radios on a real kernel (issue #9; docs/testing.md): a Wi-Fi adapter from mac80211_hwsim and a
// Bluetooth controller from hci_vhci register real rfkill switches; the agent soft-blocks both
// (policy: wifi block, bluetooth block), read back from /sys/class/rfkill and `rfkill list`, and
// blocks them again when someone switches them back on. The agent sees radios at its posture
// refresh; /dev/rfkill events are not watched yet (issue #10 item 7). Run by test/vm/desktop.test.ts.
import { expect, it } from 'vitest';
import { lastAuditSeq, waitForAudit } from '../rig/agent';
import type { VmContext } from '../rig/context';

interface Radio {
  readonly index: string;
  readonly type: string;
  readonly name: string;
  readonly soft: string;
  readonly hard: string;
}

/** `postureIntervalSeconds`: the agent's refresh period on this machine. */
export function radioChecks(ctx: VmContext, postureIntervalSeconds: number): void {
  const radios = async (): Promise<Radio[]> => {
    const out = await ctx.vm().guest.sh('for r in /sys/class/rfkill/rfkill*; do [ -e "$r" ] || continue; printf "%s %s %s %s %s\\n" "${r##*rfkill}" "$(cat $r/type)" "$(cat $r/name)" "$(cat $r/soft)" "$(cat $r/hard)"; done');
    return out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [index = '', type = '', name = '', soft = '', hard = ''] = line.split(' ');
        return { index, type, name, soft, hard };
      });
  };
  const radioOf = (type: string) => async (): Promise<Radio | undefined> => (await radios()).find((radio) => radio.type === type);

  it('no radio before the drivers load (the control)', async () => {
    expect(await radios()).toEqual([]);
  });

  it('a Wi-Fi adapter (mac80211_hwsim) appears switched on and is soft-blocked by the agent', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.sh('modprobe mac80211_hwsim radios=1');
    const fresh = await ctx.vm().guest.waitFor('the wlan rfkill switch', radioOf('wlan'));
    expect(fresh.hard).toBe('0');
    const blocked = await ctx.vm().guest.waitFor('wlan soft-blocked', async () => ((await radioOf('wlan')())?.soft === '1' ? true : undefined), { timeoutMs: (postureIntervalSeconds * 3 + 30) * 1000 });
    expect(blocked).toBe(true);
    expect(await ctx.vm().guest.sh('rfkill list wlan')).toMatch(/Soft blocked: yes/);
    const record = await waitForAudit(ctx.vm().guest, 'channel.radio-blocked wlan', (entry) => entry.type === 'channel.radio-blocked' && entry.data.type === 'wlan', { afterSeq: seq });
    expect(record.data).toMatchObject({ index: Number(fresh.index), soft: false });
  });

  it('a Bluetooth controller (hci_vhci) appears switched on and is soft-blocked by the agent', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.sh('modprobe hci_vhci');
    await ctx.vm().guest.spawn(['/usr/bin/python3', '/usr/local/lib/mng-test/vhci-controller.py'], '/run/vhci.log');
    const controller = await ctx.vm().guest.waitFor('hci0', async () => (await ctx.vm().guest.readFile('/run/vhci.log'))?.toString('utf8').match(/hci\d+/)?.[0]);
    expect(controller).toMatch(/^hci\d+$/);
    await ctx.vm().guest.waitFor('the bluetooth rfkill switch', radioOf('bluetooth'));
    await ctx.vm().guest.waitFor('bluetooth soft-blocked', async () => ((await radioOf('bluetooth')())?.soft === '1' ? true : undefined), { timeoutMs: (postureIntervalSeconds * 3 + 30) * 1000 });
    expect(await ctx.vm().guest.sh('rfkill list bluetooth')).toMatch(/Soft blocked: yes/);
    await waitForAudit(ctx.vm().guest, 'channel.radio-blocked bluetooth', (entry) => entry.type === 'channel.radio-blocked' && entry.data.type === 'bluetooth', { afterSeq: seq });
  });

  it('radios switched back on (rfkill unblock all) are blocked again, each with an alert', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.sh('rfkill unblock all');
    expect((await radios()).filter((radio) => radio.soft === '0').length).toBeGreaterThanOrEqual(2);
    await ctx.vm().guest.waitFor('every radio blocked again', async () => ((await radios()).every((radio) => radio.soft === '1') ? true : undefined), { timeoutMs: (postureIntervalSeconds * 3 + 30) * 1000 });
    for (const type of ['wlan', 'bluetooth']) {
      const record = await waitForAudit(ctx.vm().guest, `channel.radio-unblock-detected ${type}`, (entry) => entry.type === 'channel.radio-unblock-detected' && entry.data.type === type, { afterSeq: seq });
      expect(record).toMatchObject({ severity: 'alert', data: { corrected: true } });
    }
  });
}
