/**
 * Tray icons drawn in code (no image files to ship or to tamper with): a coloured disc with a
 * mark, so the states differ in shape as well as colour (colour-blind users). Pure.
 */
import type { IconBitmap, TrayIconState } from './facade';

/** Icon edge length in pixels (Linux trays scale 32 px well; Windows takes 16–32). */
export const trayIconSize = 32;

type Rgb = readonly [number, number, number];

const palette: Readonly<Record<TrayIconState, { disc: Rgb; mark: Rgb }>> = {
  locked: { disc: [214, 137, 16], mark: [255, 255, 255] },
  unlocked: { disc: [30, 132, 73], mark: [255, 255, 255] },
  violation: { disc: [192, 57, 43], mark: [255, 255, 255] },
  'agent-unreachable': { disc: [112, 123, 124], mark: [255, 255, 255] },
};

/** True when (u, v) lies within 0.06 of the segment a–b (unit square coordinates). */
function nearSegment(u: number, v: number, a: readonly [number, number], b: readonly [number, number]): boolean {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((u - a[0]) * dx + (v - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(u - (a[0] + t * dx), v - (a[1] + t * dy)) < 0.06;
}

/** Whether pixel (x, y) of a `size`-pixel icon belongs to the state's mark. */
function isMark(state: TrayIconState, x: number, y: number, size: number): boolean {
  const u = x / size;
  const v = y / size;
  switch (state) {
    case 'locked':
      // A padlock: body plus shackle.
      return (u >= 0.3 && u <= 0.7 && v >= 0.45 && v <= 0.75) || (Math.abs(Math.hypot(u - 0.5, v - 0.45) - 0.14) < 0.04 && v < 0.45);
    case 'unlocked':
      // A check mark: two strokes.
      return nearSegment(u, v, [0.28, 0.5], [0.42, 0.64]) || nearSegment(u, v, [0.42, 0.64], [0.72, 0.34]);
    case 'violation':
      // An exclamation mark.
      return Math.abs(u - 0.5) < 0.06 && ((v >= 0.25 && v <= 0.6) || (v >= 0.68 && v <= 0.78));
    case 'agent-unreachable':
      // A diagonal stroke.
      return nearSegment(u, v, [0.28, 0.28], [0.72, 0.72]);
  }
}

/** The icon of one state as a BGRA bitmap of {@link trayIconSize}² pixels. */
export function renderTrayIcon(state: TrayIconState, size: number = trayIconSize): IconBitmap {
  const bgra = new Uint8Array(size * size * 4);
  const { disc, mark } = palette[state];
  const centre = (size - 1) / 2;
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      if (Math.hypot(x - centre, y - centre) > radius) continue;
      const colour = isMark(state, x, y, size) ? mark : disc;
      const offset = (y * size + x) * 4;
      bgra[offset] = colour[2];
      bgra[offset + 1] = colour[1];
      bgra[offset + 2] = colour[0];
      bgra[offset + 3] = 255;
    }
  }
  return { width: size, height: size, bgra };
}
