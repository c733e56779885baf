import { describe, expect, it } from 'vitest';
import type { TrayIconState } from './facade';
import { renderTrayIcon, trayIconSize } from './tray-icons';

describe('tray icons', () => {
  const states: TrayIconState[] = ['locked', 'unlocked', 'violation', 'agent-unreachable'];

  it('draws a BGRA bitmap of the right size, transparent corners, opaque centre', () => {
    for (const state of states) {
      const icon = renderTrayIcon(state);
      expect(icon.width).toBe(trayIconSize);
      expect(icon.bgra.length).toBe(trayIconSize * trayIconSize * 4);
      expect(icon.bgra[3]).toBe(0);
      const centre = ((trayIconSize / 2) * trayIconSize + trayIconSize / 2) * 4;
      expect(icon.bgra[centre + 3]).toBe(255);
    }
  });

  it('gives every state its own picture (shape and colour)', () => {
    const pictures = states.map((state) => Buffer.from(renderTrayIcon(state).bgra).toString('base64'));
    expect(new Set(pictures).size).toBe(states.length);
    // The marks differ in shape, not only in colour: compare the white-pixel masks.
    const masks = states.map((state) => {
      const { bgra } = renderTrayIcon(state);
      let mask = '';
      for (let i = 0; i < bgra.length; i += 4) mask += bgra[i] === 255 && bgra[i + 1] === 255 && bgra[i + 2] === 255 ? '1' : '0';
      return mask;
    });
    expect(new Set(masks).size).toBe(states.length);
  });
});
