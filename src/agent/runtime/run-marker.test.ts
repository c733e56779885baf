import { describe, expect, it } from 'vitest';
import { decideUncleanStop, parseRunMarker, type RunMarker } from './run-marker';

const marker: RunMarker = {
  format: 'mynumber-guard.run-marker/v1',
  pid: 812,
  bootId: '9644dce2-50ee-4692-849b-9c7f1ed62f58',
  startedAt: '2026-12-07T08:00:00.000Z',
  aliveAt: '2026-12-07T09:00:00.000Z',
};
const nowMs = Date.parse('2026-12-07T09:00:45.000Z');

describe('parseRunMarker', () => {
  it.each([
    ['a marker', JSON.stringify(marker), 'found'],
    ['empty file (a crash while writing)', '', 'corrupt'],
    ['half a marker', JSON.stringify(marker).slice(0, 40), 'corrupt'],
    ['another format', JSON.stringify({ ...marker, format: 'x' }), 'corrupt'],
    ['an extra field', JSON.stringify({ ...marker, extra: 1 }), 'corrupt'],
    ['a pid of 0', JSON.stringify({ ...marker, pid: 0 }), 'corrupt'],
    ['a time without zone', JSON.stringify({ ...marker, aliveAt: '2026-12-07T09:00:00' }), 'corrupt'],
  ])('%s → %s', (_name, text, kind) => {
    expect(parseRunMarker(text).kind).toBe(kind);
  });
});

describe('decideUncleanStop', () => {
  const context = { nowMs, bootId: marker.bootId, pid: 990 };

  it('no marker: the previous run stopped cleanly, nothing to audit', () => {
    expect(decideUncleanStop({ kind: 'absent' }, context)).toBeUndefined();
  });

  it('a marker left behind: an alert with the outage window since the last heartbeat', () => {
    expect(decideUncleanStop({ kind: 'found', marker }, context)).toEqual({
      type: 'agent.unclean-stop',
      severity: 'alert',
      data: {
        detectedAt: '2026-12-07T09:00:45.000Z',
        pid: 990,
        previousPid: 812,
        previousStartedAt: marker.startedAt,
        lastAliveAt: marker.aliveAt,
        outageMaxMs: 45_000,
        sameBoot: true,
      },
    });
  });

  it('another boot id: the machine went down too (power loss, reset)', () => {
    expect(decideUncleanStop({ kind: 'found', marker }, { ...context, bootId: '00000000-0000-0000-0000-000000000000' })?.data.sameBoot).toBe(false);
    expect(decideUncleanStop({ kind: 'found', marker }, { ...context, bootId: null })?.data.sameBoot).toBeNull();
  });

  it('a clock that went back never gives a negative outage', () => {
    expect(decideUncleanStop({ kind: 'found', marker }, { ...context, nowMs: Date.parse(marker.aliveAt) - 5_000 })?.data.outageMaxMs).toBe(0);
  });

  it('a marker that cannot be read is an unclean stop too (fail closed)', () => {
    expect(decideUncleanStop({ kind: 'corrupt', detail: 'not JSON' }, context)).toMatchObject({ type: 'agent.unclean-stop', severity: 'alert', data: { marker: 'corrupt', detail: 'not JSON' } });
  });
});
