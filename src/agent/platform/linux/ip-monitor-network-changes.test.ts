// Real `ip monitor` on a network namespace made by the test (`ip -n <ns> monitor`).
import { afterEach, describe, expect, it } from 'vitest';
import { createNetnsLab, ip, type NetnsLab } from '../../../../test/helpers/netns';
import { needTools } from '../../../../test/helpers/system-tools';
import { createIpMonitorNetworkChanges } from './ip-monitor-network-changes';

describe.skipIf(!needTools('ip'))('createIpMonitorNetworkChanges', () => {
  let lab: NetnsLab | undefined;
  afterEach(() => lab?.destroy());

  it('reports address and route changes, and stops cleanly', async () => {
    lab = createNetnsLab();
    const ns = lab.add('m');
    const source = createIpMonitorNetworkChanges({ ipArgs: ['-n', ns] });
    let changes = 0;
    const errors: Error[] = [];
    await source.start({ onChange: () => (changes += 1), onError: (e) => errors.push(e) });
    // Give `ip monitor` a moment to subscribe to netlink before the change.
    await new Promise((resolve) => setTimeout(resolve, 200));
    ip('-n', ns, 'addr', 'add', '10.77.5.1/24', 'dev', 'lo');
    ip('-n', ns, 'route', 'add', '10.77.6.0/24', 'dev', 'lo');
    const deadline = Date.now() + 3000;
    while (changes === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await source.stop();
    expect(changes).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('reports the monitor dying through onError', async () => {
    lab = createNetnsLab();
    const source = createIpMonitorNetworkChanges({ ipArgs: ['-n', lab.name('missing')] });
    const error = await new Promise<Error>((resolve, reject) => {
      source.start({ onChange: () => undefined, onError: resolve }).catch(reject);
    });
    expect(error.message).toMatch(/^ip monitor exited \(code \d+\)/);
    await source.stop();
  });
});
